//! Request signing: credentials, the signed message, and the three auth headers.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::keys::SigningKeyInner;
use super::{
    AuthError, HEADER_ACCESS_KEY, HEADER_ACCESS_SIGNATURE, HEADER_ACCESS_TIMESTAMP, SigningKey,
};

/// An API key id together with its private key.
///
/// `Debug` shows the key id and `[REDACTED]` for the key; there is no `Display`.
pub struct ApiCredentials {
    key_id: String,
    key: SigningKey,
}

impl fmt::Debug for ApiCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiCredentials")
            .field("key_id", &self.key_id)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl ApiCredentials {
    /// Pairs a key id with a key; the id must be non-empty visible ASCII (it is sent as a
    /// header value).
    pub fn new(key_id: impl Into<String>, key: SigningKey) -> Result<Self, AuthError> {
        let key_id = key_id.into();
        if key_id.is_empty() || !key_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AuthError::InvalidKeyId);
        }
        Ok(Self { key_id, key })
    }

    /// Loads the key from a permission-checked PEM file (see [`SigningKey::from_pem_file`]).
    pub fn from_pem_file(
        key_id: impl Into<String>,
        path: impl AsRef<Path>,
    ) -> Result<Self, AuthError> {
        Self::new(key_id, SigningKey::from_pem_file(path)?)
    }

    /// Parses the key from PEM text, e.g. read from an environment variable by the caller
    /// (see [`SigningKey::from_pem`]).
    pub fn from_pem(key_id: impl Into<String>, pem_text: &str) -> Result<Self, AuthError> {
        Self::new(key_id, SigningKey::from_pem(pem_text)?)
    }

    /// The API key id (sent as `KALSHI-ACCESS-KEY`).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The private key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }
}

/// The three Kalshi authentication header values for one request.
///
/// `Debug` redacts the signature (it authorizes a replay within the timestamp window).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthHeaders {
    key_id: String,
    timestamp_ms: String,
    signature_b64: String,
}

impl fmt::Debug for AuthHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthHeaders")
            .field("key_id", &self.key_id)
            .field("timestamp_ms", &self.timestamp_ms)
            .field("signature_b64", &"[REDACTED]")
            .finish()
    }
}

impl AuthHeaders {
    /// Builds headers from received header values (simulator side), checking their syntax:
    /// a valid key id, a decimal timestamp and standard padded base64 for the signature.
    pub fn from_header_values(
        key_id: &str,
        timestamp_ms: &str,
        signature_b64: &str,
    ) -> Result<Self, AuthError> {
        if key_id.is_empty() || !key_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AuthError::InvalidKeyId);
        }
        parse_timestamp_header(timestamp_ms)?;
        STANDARD
            .decode(signature_b64)
            .map_err(|_| AuthError::BadSignatureEncoding)?;
        Ok(Self {
            key_id: key_id.to_owned(),
            timestamp_ms: timestamp_ms.to_owned(),
            signature_b64: signature_b64.to_owned(),
        })
    }

    /// Value of `KALSHI-ACCESS-KEY`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Value of `KALSHI-ACCESS-TIMESTAMP` (decimal Unix milliseconds).
    pub fn timestamp_ms(&self) -> &str {
        &self.timestamp_ms
    }

    /// Value of `KALSHI-ACCESS-SIGNATURE` (standard base64 with padding).
    pub fn signature_b64(&self) -> &str {
        &self.signature_b64
    }

    /// The `(name, value)` pairs to put on the HTTP request or WebSocket handshake.
    pub fn header_pairs(&self) -> [(&'static str, &str); 3] {
        [
            (HEADER_ACCESS_KEY, &self.key_id),
            (HEADER_ACCESS_TIMESTAMP, &self.timestamp_ms),
            (HEADER_ACCESS_SIGNATURE, &self.signature_b64),
        ]
    }
}

/// The exact string Kalshi signs: `timestamp_ms` in decimal, the method uppercased, and the
/// path cut at the first `?` (scheme and host must not be included).
///
/// Example: `(1703123456789, "get", "/trade-api/v2/portfolio/orders?limit=5")` gives
/// `1703123456789GET/trade-api/v2/portfolio/orders`.
pub fn signing_message(
    timestamp_ms: i64,
    method: &str,
    path_with_optional_query: &str,
) -> Result<String, AuthError> {
    if timestamp_ms < 0 {
        return Err(AuthError::NegativeTimestamp { timestamp_ms });
    }
    message_from_parts(&timestamp_ms.to_string(), method, path_with_optional_query)
}

/// Parses a `KALSHI-ACCESS-TIMESTAMP` value: ASCII digits only, fitting in `i64`.
pub fn parse_timestamp_header(value: &str) -> Result<i64, AuthError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::InvalidTimestampHeader);
    }
    value
        .parse::<i64>()
        .map_err(|_| AuthError::InvalidTimestampHeader)
}

/// Builds the signed message from an already formatted timestamp string.
pub(crate) fn message_from_parts(
    timestamp_ms: &str,
    method: &str,
    path_with_optional_query: &str,
) -> Result<String, AuthError> {
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(AuthError::InvalidMethod);
    }
    let path = path_with_optional_query
        .split_once('?')
        .map_or(path_with_optional_query, |(path, _query)| path);
    if !path.starts_with('/') || path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(AuthError::InvalidPath {
            path: path.to_owned(),
        });
    }
    let mut message = String::with_capacity(timestamp_ms.len() + method.len() + path.len());
    message.push_str(timestamp_ms);
    message.push_str(&method.to_ascii_uppercase());
    message.push_str(path);
    Ok(message)
}

/// Signs one request and returns its three auth headers.
///
/// `path_with_optional_query` is the path as sent on the wire, including the
/// `/trade-api/v2` (or `/trade-api/ws/v2`) prefix; any query string is ignored. RSA uses
/// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt from the OS RNG (so signatures
/// differ on each call); Ed25519 is deterministic.
pub fn sign_request(
    creds: &ApiCredentials,
    timestamp_ms: i64,
    method: &str,
    path_with_optional_query: &str,
) -> Result<AuthHeaders, AuthError> {
    let message = signing_message(timestamp_ms, method, path_with_optional_query)?;
    let signature = match &creds.key.inner {
        SigningKeyInner::Rsa(signer) => {
            signer
                .sign(message.as_bytes())
                .map_err(|_| AuthError::Signing {
                    kind: creds.key.kind(),
                })?
        }
        SigningKeyInner::Ed25519(key) => {
            ed25519_dalek::Signer::sign(key.as_ref(), message.as_bytes())
                .to_bytes()
                .to_vec()
        }
    };
    Ok(AuthHeaders {
        key_id: creds.key_id.clone(),
        timestamp_ms: timestamp_ms.to_string(),
        signature_b64: STANDARD.encode(signature),
    })
}
