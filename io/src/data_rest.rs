//! The REST client: signed requests, rate limiting, read retries, typed error classification.
//!
//! - Redirects are never followed (`redirect::Policy::none()`): a signed request must not be
//!   replayed to a host or path it was not signed for. A 3xx becomes [`RestError::Redirect`].
//! - Authenticated calls are signed with a fresh timestamp on every attempt; the signed path
//!   is the URL path as sent (including `/trade-api/v2`), without the query.
//! - Every attempt passes the [`RateLimiter`] first (when one is configured); a 429 empties
//!   the client-side bucket so later calls wait for refill.
//! - Answer bodies are read in chunks, at most [`RestConfig::response_bytes_max`] bytes: a
//!   larger 2xx body (or `Content-Length`) is refused with [`RestError::BodyTooLarge`]; a
//!   larger error body is cut there and classified by its status as usual (only an excerpt
//!   is ever kept). A broken server cannot exhaust memory.
//! - Reads retry transient failures (timeout, connection, 408, 429, 5xx) with capped, jittered
//!   exponential backoff. Writes are sent exactly once here; `exec` classifies their outcome.
//!
//! Typed calls live in [`endpoints`], query parameter sets in [`queries`], cursor pagination
//! in [`pagination`].

pub mod account;
pub mod clock_probe;
pub mod endpoints;
pub mod pagination;
pub mod queries;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::auth::{ApiCredentials, sign_request};
use crate::backoff::{Backoff, BackoffPolicy};
use crate::env::Endpoints;
use crate::error::{AuthFailure, RestError, TransientKind};
use crate::ratelimit::{CostTable, RateLimiter};
use crate::wire::error::{ApiErrorBody, ApiErrorPayload};

pub use pagination::Page;

/// Longest excerpt of a non-JSON error body kept in an error message.
const BODY_EXCERPT_CHARS_MAX: usize = 160;

/// Default largest response body read (32 MiB).
pub const RESPONSE_BYTES_MAX_DEFAULT: usize = 32 << 20;

/// Settings of a [`RestClient`].
#[derive(Debug, Clone)]
pub struct RestConfig {
    /// Where to connect.
    pub endpoints: Endpoints,
    /// Whole-request timeout (connect + send + full answer).
    pub request_timeout: Duration,
    /// Connection-establishment timeout.
    pub connect_timeout: Duration,
    /// Retry policy for reads (writes are never retried here).
    pub read_backoff: BackoffPolicy,
    /// Largest response body read; a larger one is refused while streaming.
    pub response_bytes_max: usize,
}

impl RestConfig {
    /// Defaults: 10 s request timeout, 5 s connect timeout, default read backoff, 32 MiB
    /// response bodies.
    pub fn new(endpoints: Endpoints) -> RestConfig {
        RestConfig {
            endpoints,
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            read_backoff: BackoffPolicy::default(),
            response_bytes_max: RESPONSE_BYTES_MAX_DEFAULT,
        }
    }
}

/// Whether a call must carry the three auth headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Public endpoint: no headers.
    Public,
    /// `/portfolio/*`, `/account/limits`, …: signed.
    Signed,
}

/// One request, before sending. `path` is relative to the REST base (`/markets`), no query.
#[derive(Debug, Clone)]
pub struct RestRequest {
    /// HTTP method.
    pub method: Method,
    /// Path relative to the base, starting with `/`.
    pub path: String,
    /// Query parameters (repeated keys allowed).
    pub query: Vec<(&'static str, String)>,
    /// JSON body, already serialized.
    pub body: Option<Vec<u8>>,
    /// Signed or public.
    pub auth: AuthMode,
    /// Items in a batch request (for its token cost); 0 otherwise.
    pub batch_len: usize,
}

impl RestRequest {
    /// A request without query or body.
    pub fn new(method: Method, path: impl Into<String>, auth: AuthMode) -> RestRequest {
        RestRequest {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            auth,
            batch_len: 0,
        }
    }

    /// Adds query parameters.
    pub fn with_query(mut self, query: Vec<(&'static str, String)>) -> RestRequest {
        self.query = query;
        self
    }

    /// Adds a JSON body.
    pub fn with_json<T: serde::Serialize>(mut self, body: &T) -> Result<RestRequest, RestError> {
        let bytes = serde_json::to_vec(body).map_err(|error| RestError::InvalidRequest {
            endpoint: self.endpoint(),
            reason: format!("cannot serialize body: {error}"),
        })?;
        self.body = Some(bytes);
        Ok(self)
    }

    /// Sets the batch size used for the token cost.
    pub fn with_batch_len(mut self, batch_len: usize) -> RestRequest {
        self.batch_len = batch_len;
        self
    }

    /// `"METHOD /path"` for errors and logs.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A successful (2xx) answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// The body bytes (empty for 204).
    pub body: Vec<u8>,
}

/// An HTTP client for Kalshi's REST API (or the local exchange).
#[derive(Debug, Clone)]
pub struct RestClient {
    http: reqwest::Client,
    config: RestConfig,
    credentials: Option<Arc<ApiCredentials>>,
    limiter: Option<Arc<RateLimiter>>,
}

impl RestClient {
    /// Builds a client. `credentials` are needed for `/portfolio/*` and account calls;
    /// `limiter` (shared with `exec` and other clients of the same account) keeps requests
    /// within the token budgets.
    pub fn new(
        config: RestConfig,
        credentials: Option<Arc<ApiCredentials>>,
        limiter: Option<Arc<RateLimiter>>,
    ) -> Result<RestClient, RestError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("kalshi-bot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| RestError::InvalidRequest {
                endpoint: "client".to_string(),
                reason: format!("cannot build HTTP client: {error}"),
            })?;
        Ok(RestClient {
            http,
            config,
            credentials,
            limiter,
        })
    }

    /// The endpoints this client talks to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.config.endpoints
    }

    /// The shared rate limiter, if any.
    pub fn limiter(&self) -> Option<&Arc<RateLimiter>> {
        self.limiter.as_ref()
    }

    /// Whether credentials are configured.
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// Sends a read and decodes the JSON answer, retrying transient failures per the read
    /// backoff policy.
    pub async fn read_json<T: DeserializeOwned>(
        &self,
        request: &RestRequest,
    ) -> Result<T, RestError> {
        let response = self.send_with_retries(request).await?;
        decode_json(&request.endpoint(), &response)
    }

    /// Sends a read, retrying transient failures; returns the raw 2xx answer.
    pub async fn send_with_retries(&self, request: &RestRequest) -> Result<RawResponse, RestError> {
        let mut backoff = Backoff::new(self.config.read_backoff);
        loop {
            match self.send_once(request).await {
                Ok(response) => return Ok(response),
                Err(error) if error.is_transient() => {
                    let delay = backoff.next_delay(&mut rand::thread_rng());
                    match delay {
                        Some(delay) => {
                            tracing::debug!(
                                endpoint = %error.endpoint(),
                                retry = backoff.retries_done(),
                                delay_ms = delay.as_millis() as u64,
                                "retrying read after transient failure"
                            );
                            tokio::time::sleep(delay).await;
                        }
                        None => return Err(error),
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Sends one attempt: rate limit, sign (fresh timestamp), send, classify the status.
    /// Used directly for writes, which must never be retried blindly.
    pub async fn send_once(&self, request: &RestRequest) -> Result<RawResponse, RestError> {
        let endpoint = request.endpoint();
        let url = self.url_for(request, &endpoint)?;
        if let Some(limiter) = &self.limiter {
            limiter
                .acquire_for(request.method.as_str(), url.path(), request.batch_len)
                .await
                .map_err(|source| RestError::RateLimit {
                    endpoint: endpoint.clone(),
                    source,
                })?;
        }
        let mut builder = self.http.request(request.method.clone(), url.clone());
        if request.auth == AuthMode::Signed {
            let credentials = self.credentials.as_ref().ok_or_else(|| RestError::Auth {
                endpoint: endpoint.clone(),
                failure: AuthFailure::MissingCredentials,
            })?;
            let headers = sign_request(credentials, now_ms(), request.method.as_str(), url.path())
                .map_err(|error| RestError::Auth {
                    endpoint: endpoint.clone(),
                    failure: AuthFailure::Signing(error),
                })?;
            for (name, value) in headers.header_pairs() {
                let value = HeaderValue::from_str(value).map_err(|_| RestError::Auth {
                    endpoint: endpoint.clone(),
                    failure: AuthFailure::MissingCredentials,
                })?;
                builder = builder.header(HeaderName::from_static(header_name_lower(name)), value);
            }
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone());
        }
        let response = builder
            .send()
            .await
            .map_err(|error| transport_error(&endpoint, &error))?;
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(strip_query);
        let body = read_body_capped(response, &endpoint, self.config.response_bytes_max).await?;
        let outcome = classify(&endpoint, status, location, body);
        if let (Err(error), Some(limiter)) = (&outcome, &self.limiter) {
            if error.is_rate_limited() {
                let kind = (limiter.costs().bucket)(request.method.as_str(), url.path());
                limiter.note_rate_limited(kind).await;
            }
        }
        outcome
    }

    fn url_for(&self, request: &RestRequest, endpoint: &str) -> Result<Url, RestError> {
        let mut url =
            Url::parse(&self.config.endpoints.rest_url(&request.path)).map_err(|error| {
                RestError::InvalidRequest {
                    endpoint: endpoint.to_string(),
                    reason: format!("bad URL: {error}"),
                }
            })?;
        if !request.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in &request.query {
                pairs.append_pair(key, value);
            }
        }
        Ok(url)
    }

    /// The token cost of a request, as the limiter will charge it.
    pub fn cost_of(&self, request: &RestRequest) -> u32 {
        let costs = self
            .limiter
            .as_ref()
            .map_or(CostTable::CLIENT, |limiter| limiter.costs());
        (costs.cost)(
            request.method.as_str(),
            &self.config.endpoints.signed_rest_path(&request.path),
            request.batch_len,
        )
    }
}

/// Current Unix time in milliseconds (the auth timestamp).
fn now_ms() -> i64 {
    crate::clock::wall_clock_now().as_ms()
}

/// The auth header names in the lowercase form `HeaderName::from_static` requires.
fn header_name_lower(name: &'static str) -> &'static str {
    match name {
        crate::auth::HEADER_ACCESS_KEY => "kalshi-access-key",
        crate::auth::HEADER_ACCESS_TIMESTAMP => "kalshi-access-timestamp",
        _ => "kalshi-access-signature",
    }
}

fn strip_query(location: &str) -> String {
    location
        .split_once('?')
        .map_or(location, |(path, _)| path)
        .to_string()
}

/// Maps a transport failure (no complete answer) to a transient error.
/// Reads a response body chunk by chunk, at most `bytes_max` bytes. A 2xx body over the
/// limit (or announcing a larger `Content-Length`) is refused; an error body is cut at the
/// limit, since only its excerpt is used.
async fn read_body_capped(
    mut response: reqwest::Response,
    endpoint: &str,
    bytes_max: usize,
) -> Result<Vec<u8>, RestError> {
    let cut_instead = !response.status().is_success();
    let status = response.status().as_u16();
    let too_large = || RestError::BodyTooLarge {
        endpoint: endpoint.to_string(),
        status,
        limit_bytes: bytes_max,
    };
    let announced = response.content_length();
    if !cut_instead && announced.is_some_and(|length| length > bytes_max as u64) {
        return Err(too_large());
    }
    let initial = announced.map_or(0, |length| {
        usize::try_from(length).unwrap_or(0).min(bytes_max)
    });
    let mut body = Vec::with_capacity(initial);
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| transport_error(endpoint, &error))?
    {
        let room = bytes_max - body.len();
        if chunk.len() > room {
            if cut_instead {
                body.extend_from_slice(&chunk[..room]);
                return Ok(body);
            }
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn transport_error(endpoint: &str, error: &reqwest::Error) -> RestError {
    let kind = if error.is_timeout() {
        TransientKind::Timeout
    } else if error.is_connect() {
        TransientKind::Connect
    } else {
        TransientKind::ConnectionLost
    };
    // reqwest's Display includes the URL (no secrets: auth travels in headers only), but keep
    // just the error chain's innermost reason to stay short.
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        detail = inner.to_string();
        source = inner.source();
    }
    RestError::Transient {
        endpoint: endpoint.to_string(),
        kind,
        status: None,
        detail,
    }
}

/// Classifies a complete answer by status.
fn classify(
    endpoint: &str,
    status: StatusCode,
    location: Option<String>,
    body: Vec<u8>,
) -> Result<RawResponse, RestError> {
    let code = status.as_u16();
    if status.is_success() {
        return Ok(RawResponse { status: code, body });
    }
    let endpoint = endpoint.to_string();
    if status.is_redirection() {
        return Err(RestError::Redirect {
            endpoint,
            status: code,
            location: location.unwrap_or_else(|| "?".to_string()),
        });
    }
    let parsed = parse_error_body(&body);
    match code {
        401 | 403 => Err(RestError::Auth {
            endpoint,
            failure: AuthFailure::Rejected {
                status: code,
                code: parsed.code,
                message: parsed.message,
            },
        }),
        408 | 429 => Err(RestError::Transient {
            endpoint,
            kind: if code == 429 {
                TransientKind::RateLimited
            } else {
                TransientKind::RequestTimeout
            },
            status: Some(code),
            detail: parsed.message,
        }),
        500..=599 => Err(RestError::Transient {
            endpoint,
            kind: TransientKind::Server,
            status: Some(code),
            detail: if parsed.code.is_empty() {
                parsed.message
            } else {
                format!("{}: {}", parsed.code, parsed.message)
            },
        }),
        _ => Err(RestError::Api {
            endpoint,
            status: code,
            code: parsed.code,
            message: parsed.message,
            details: parsed.details,
        }),
    }
}

/// An error body in one shape, whatever the wire sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedErrorBody {
    /// Error code (empty when none).
    pub code: String,
    /// Message, or a sanitized excerpt of a non-JSON body (empty for an empty body).
    pub message: String,
    /// Longer explanation.
    pub details: Option<String>,
}

/// Parses Kalshi's error bodies: `{"error":{"code","message","details"}}`, the 429 form
/// `{"error":"too many requests"}`, and empty or non-JSON bodies (gateway pages).
pub fn parse_error_body(body: &[u8]) -> ParsedErrorBody {
    if let Ok(parsed) = serde_json::from_slice::<ApiErrorBody>(body) {
        return match parsed.error {
            ApiErrorPayload::Detail(detail) => ParsedErrorBody {
                code: detail.code,
                message: detail.message,
                details: detail.details.filter(|details| !details.is_empty()),
            },
            ApiErrorPayload::Message(message) => ParsedErrorBody {
                code: String::new(),
                message,
                details: None,
            },
        };
    }
    ParsedErrorBody {
        code: String::new(),
        message: excerpt(body),
        details: None,
    }
}

/// A short, single-line, printable excerpt of a body.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .trim()
        .chars()
        .take(BODY_EXCERPT_CHARS_MAX)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.trim().chars().count() > BODY_EXCERPT_CHARS_MAX {
        out.push('…');
    }
    out
}

/// Decodes a 2xx JSON body.
pub fn decode_json<T: DeserializeOwned>(
    endpoint: &str,
    response: &RawResponse,
) -> Result<T, RestError> {
    serde_json::from_slice(&response.body).map_err(|error| RestError::Decode {
        endpoint: endpoint.to_string(),
        status: response.status,
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_in_every_shape() {
        let object = parse_error_body(
            br#"{"error":{"code":"invalid_order","message":"invalid order","details":"exactly one of yes_price"}}"#,
        );
        assert_eq!(object.code, "invalid_order");
        assert_eq!(object.message, "invalid order");
        assert_eq!(object.details.as_deref(), Some("exactly one of yes_price"));
        let string = parse_error_body(br#"{"error":"too many requests"}"#);
        assert_eq!(string.code, "");
        assert_eq!(string.message, "too many requests");
        assert_eq!(parse_error_body(b""), ParsedErrorBody::default());
        let html = parse_error_body(b"<html>\n<body>502 Bad Gateway</body></html>");
        assert_eq!(html.message, "<html> <body>502 Bad Gateway</body></html>");
        let long = parse_error_body(&vec![b'x'; 1000]);
        assert_eq!(long.message.chars().count(), BODY_EXCERPT_CHARS_MAX + 1);
    }

    #[test]
    fn statuses_are_classified() {
        let status = |code| StatusCode::from_u16(code).unwrap();
        assert!(classify("E", status(200), None, vec![]).is_ok());
        assert!(matches!(
            classify(
                "E",
                status(429),
                None,
                br#"{"error":"too many requests"}"#.to_vec()
            ),
            Err(RestError::Transient {
                kind: TransientKind::RateLimited,
                status: Some(429),
                ..
            })
        ));
        assert!(matches!(
            classify("E", status(503), None, vec![]),
            Err(RestError::Transient {
                kind: TransientKind::Server,
                ..
            })
        ));
        assert!(matches!(
            classify("E", status(408), None, vec![]),
            Err(RestError::Transient {
                kind: TransientKind::RequestTimeout,
                ..
            })
        ));
        assert!(matches!(
            classify("E", status(401), None, vec![]),
            Err(RestError::Auth {
                failure: AuthFailure::Rejected { status: 401, .. },
                ..
            })
        ));
        assert!(matches!(
            classify("E", status(409), None, br#"{"error":{"code":"duplicate_client_order_id","message":"dup"}}"#.to_vec()),
            Err(RestError::Api { status: 409, ref code, .. }) if code == "duplicate_client_order_id"
        ));
        assert!(matches!(
            classify("E", status(307), Some("https://elsewhere/x".to_string()), vec![]),
            Err(RestError::Redirect { status: 307, ref location, .. }) if location == "https://elsewhere/x"
        ));
    }
}
