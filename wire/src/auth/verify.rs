//! Signature verification and timestamp checks (the local exchange's side).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::signature::Verifier as _;

use super::keys::VerifyingKeyInner;
use super::message::{message_from_parts, parse_timestamp_header};
use super::{AuthError, AuthHeaders, VerifyingKey};

/// Suggested maximum clock skew between a request timestamp and server time (Kalshi does
/// not document its value).
pub const DEFAULT_TIMESTAMP_TOLERANCE_MS: u64 = 30_000;

impl VerifyingKey {
    /// Verifies a Kalshi signature.
    ///
    /// `timestamp_header` is the raw `KALSHI-ACCESS-TIMESTAMP` value (signed byte for byte);
    /// `method` is case-insensitive; `path` may include a query string, which is ignored.
    /// RSA signatures are accepted with any PSS salt length (Kalshi signs with 32 but is
    /// lenient); Ed25519 is verified strictly (RFC 8032 with malleability checks). Does not
    /// check clock skew; see [`check_timestamp_skew`].
    pub fn verify(
        &self,
        timestamp_header: &str,
        method: &str,
        path: &str,
        signature_b64: &str,
    ) -> Result<(), AuthError> {
        parse_timestamp_header(timestamp_header)?;
        let message = message_from_parts(timestamp_header, method, path)?;
        let signature = STANDARD
            .decode(signature_b64)
            .map_err(|_| AuthError::BadSignatureEncoding)?;
        match &self.inner {
            VerifyingKeyInner::Rsa { standard, key } => {
                let sig = rsa::pss::Signature::try_from(signature.as_slice())
                    .map_err(|_| AuthError::SignatureMismatch)?;
                if standard.verify(message.as_bytes(), &sig).is_ok() {
                    return Ok(());
                }
                let salt_len = super::pss_any_salt::recover_salt_len(key, &signature)
                    .ok_or(AuthError::SignatureMismatch)?;
                rsa::pss::VerifyingKey::<sha2::Sha256>::new_with_salt_len(
                    key.as_ref().clone(),
                    salt_len,
                )
                .verify(message.as_bytes(), &sig)
                .map_err(|_| AuthError::SignatureMismatch)
            }
            VerifyingKeyInner::Ed25519(key) => {
                let sig = ed25519_dalek::Signature::from_slice(&signature)
                    .map_err(|_| AuthError::SignatureMismatch)?;
                key.verify_strict(message.as_bytes(), &sig)
                    .map_err(|_| AuthError::SignatureMismatch)
            }
        }
    }

    /// Verifies parsed [`AuthHeaders`] for a request with this method and path.
    pub fn verify_headers(
        &self,
        headers: &AuthHeaders,
        method: &str,
        path: &str,
    ) -> Result<(), AuthError> {
        self.verify(
            headers.timestamp_ms(),
            method,
            path,
            headers.signature_b64(),
        )
    }
}

/// Fails with [`AuthError::TimestampSkew`] when `header_ts_ms` is more than `tolerance_ms`
/// away (either direction) from `server_now_ms`.
pub fn check_timestamp_skew(
    header_ts_ms: i64,
    server_now_ms: i64,
    tolerance_ms: u64,
) -> Result<(), AuthError> {
    let skew_ms = header_ts_ms.abs_diff(server_now_ms);
    if skew_ms > tolerance_ms {
        return Err(AuthError::TimestampSkew {
            header_ts_ms,
            server_now_ms,
            skew_ms,
            tolerance_ms,
        });
    }
    Ok(())
}
