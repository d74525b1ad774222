//! Request limits and Kalshi-shaped errors for every refusal, including the ones axum makes
//! before a handler runs.
//!
//! [`request_limits`] wraps the whole router. It refuses a URI longer than [`URI_BYTES_MAX`]
//! (414), headers larger than [`HEADER_BYTES_MAX`] in total (431) and a declared body length
//! over [`REQUEST_BODY_BYTES_MAX`] (413) with Kalshi's error body, and rewrites every other error answer that is not JSON — axum's 405 for a known
//! path with the wrong method, the 413 of the body limit ([`REQUEST_BODY_BYTES_MAX`]), a
//! path or WebSocket-upgrade extractor's 400 — into `{"error":{"code","message","details"}}`
//! with the original text as `details`.
//!
//! Not reachable: hyper parses the request head before any of this runs. A request line or
//! header block beyond hyper's read buffer (about 400 kB), or a head that is not HTTP at
//! all, is answered by hyper itself (431, or 400 / a closed connection) with an empty body,
//! and `axum::serve` offers no hook to change that. Between our limits and hyper's, the
//! answers are ours and JSON.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Largest request URI (path and query), bytes. Kalshi's longest legitimate query — 100
/// tickers of the batch endpoints at under 40 characters each — is about 4 kB.
pub(crate) const URI_BYTES_MAX: usize = 8 * 1024;

/// Largest total size of the request headers (names and values), bytes. The signed auth
/// headers are under 1 kB.
pub(crate) const HEADER_BYTES_MAX: usize = 16 * 1024;

/// Largest request body, bytes: a 20-order batch is about 10 kB, so 1 MiB only refuses
/// nonsense.
pub(crate) const REQUEST_BODY_BYTES_MAX: usize = 1 << 20;

/// Longest original error text carried over into `details`, bytes.
const DETAILS_BYTES_MAX: usize = 1024;

/// The outermost middleware (an axum `from_fn` layer): enforces the URI and header limits
/// and makes every error answer Kalshi-shaped JSON.
pub(crate) async fn request_limits(request: Request, next: Next) -> Response {
    let uri_len = request.uri().to_string().len();
    if uri_len > URI_BYTES_MAX {
        return ApiError::for_status(
            StatusCode::URI_TOO_LONG,
            format!("the request URI is {uri_len} bytes; at most {URI_BYTES_MAX} are accepted"),
        )
        .into_response();
    }
    let header_len: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if header_len > HEADER_BYTES_MAX {
        return ApiError::for_status(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the request headers are {header_len} bytes; at most {HEADER_BYTES_MAX} are accepted"
            ),
        )
        .into_response();
    }
    // A declared length over the limit is refused before any byte of the body is read, as
    // a front end does, instead of waiting for the body to cross the limit.
    let declared_body_len = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(declared) = declared_body_len.filter(|&n| n > REQUEST_BODY_BYTES_MAX as u64) {
        return ApiError::for_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is {declared} bytes; at most {REQUEST_BODY_BYTES_MAX} are accepted"
            ),
        )
        .into_response();
    }
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match to_bytes(body, DETAILS_BYTES_MAX * 4).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let details = if text.is_empty() {
        parts
            .status
            .canonical_reason()
            .unwrap_or("refused")
            .to_string()
    } else {
        truncate(text, DETAILS_BYTES_MAX)
    };
    let mut rewritten = ApiError::for_status(parts.status, details).into_response();
    // Keep headers such as `Allow` on a 405.
    for (name, value) in &parts.headers {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}

fn is_json(response: &Response<Body>) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// `text` cut to at most `max` bytes on a character boundary.
fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("abcdef".to_string(), 3), "abc");
        assert_eq!(truncate("aé".to_string(), 2), "a");
        assert_eq!(truncate("ab".to_string(), 5), "ab");
    }
}
