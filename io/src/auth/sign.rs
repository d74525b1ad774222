//! Request signing: credentials and the three auth headers of a signed request.

use std::fmt;
use std::path::Path;

use kalshi_wire::auth::{AuthError, AuthHeaders, signing_message};

use super::SigningKey;
use super::keys::SigningKeyInner;

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
    Ok(AuthHeaders::from_signature(
        &creds.key_id,
        timestamp_ms,
        &signature,
    ))
}
