//! The signed message and the three auth header values, as both sides build and read them.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{AuthError, HEADER_ACCESS_KEY, HEADER_ACCESS_SIGNATURE, HEADER_ACCESS_TIMESTAMP};

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

    /// The headers of a request the client has just signed: `signature` is the raw
    /// signature over [`signing_message`]`(timestamp_ms, ..)`, encoded here as standard
    /// padded base64. The key id is taken as given (the client checked it when it built its
    /// credentials).
    pub fn from_signature(key_id: &str, timestamp_ms: i64, signature: &[u8]) -> Self {
        Self {
            key_id: key_id.to_owned(),
            timestamp_ms: timestamp_ms.to_string(),
            signature_b64: STANDARD.encode(signature),
        }
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
