//! Kalshi request authentication on the server side: the three `KALSHI-ACCESS-*` headers,
//! the registered key, the signature over `timestamp + METHOD + path-without-query`, and the
//! timestamp tolerance.

use axum::http::HeaderMap;
use kalshi_wire::auth::{
    HEADER_ACCESS_KEY, HEADER_ACCESS_SIGNATURE, HEADER_ACCESS_TIMESTAMP, check_timestamp_skew,
    parse_timestamp_header,
};

use super::state::ServerState;
use crate::exchange::UserId;

/// Why a request is not authenticated (the text goes into the 401 `details`; it names what
/// was wrong, never key material or the signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// None of the three headers was sent.
    Missing,
    /// Some but not all headers, or a header that is not text.
    Incomplete(&'static str),
    /// The key id is not registered.
    UnknownKey,
    /// The timestamp header is not a decimal millisecond count, or too far from now.
    Timestamp(String),
    /// The signature does not verify.
    BadSignature,
}

impl AuthFailure {
    /// The `details` text of the 401 body.
    pub(crate) fn details(&self) -> String {
        match self {
            AuthFailure::Missing => "missing KALSHI-ACCESS-KEY, KALSHI-ACCESS-TIMESTAMP and KALSHI-ACCESS-SIGNATURE headers".to_string(),
            AuthFailure::Incomplete(header) => format!("missing or unreadable {header} header"),
            AuthFailure::UnknownKey => "unknown API key id".to_string(),
            AuthFailure::Timestamp(details) => details.clone(),
            AuthFailure::BadSignature => "signature does not verify for this key, timestamp, method and path".to_string(),
        }
    }
}

/// True when any of the three auth headers is present.
pub(crate) fn has_auth_headers(headers: &HeaderMap) -> bool {
    [
        HEADER_ACCESS_KEY,
        HEADER_ACCESS_TIMESTAMP,
        HEADER_ACCESS_SIGNATURE,
    ]
    .iter()
    .any(|name| headers.contains_key(*name))
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, AuthFailure> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthFailure::Incomplete(name))
}

/// Authenticates a request with `method` on `path` (as sent, query ignored).
pub(crate) fn authenticate(
    state: &ServerState,
    headers: &HeaderMap,
    method: &str,
    path: &str,
) -> Result<UserId, AuthFailure> {
    if !has_auth_headers(headers) {
        return Err(AuthFailure::Missing);
    }
    let key_id = header(headers, HEADER_ACCESS_KEY)?;
    let timestamp = header(headers, HEADER_ACCESS_TIMESTAMP)?;
    let signature = header(headers, HEADER_ACCESS_SIGNATURE)?;
    let key = state.key(key_id).ok_or(AuthFailure::UnknownKey)?;
    let timestamp_ms = parse_timestamp_header(timestamp).map_err(|_| {
        AuthFailure::Timestamp("KALSHI-ACCESS-TIMESTAMP must be Unix milliseconds".to_string())
    })?;
    if let Some(tolerance_ms) = state.settings.timestamp_tolerance_ms {
        check_timestamp_skew(timestamp_ms, state.exchange_clock_ms(), tolerance_ms)
            .map_err(|e| AuthFailure::Timestamp(e.to_string()))?;
    }
    key.verifying_key
        .verify(timestamp, method, path, signature)
        .map_err(|_| AuthFailure::BadSignature)?;
    Ok(key.user)
}
