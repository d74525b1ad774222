//! The io error taxonomy.
//!
//! [`RestError`] separates what a caller does next: retry later ([`RestError::Transient`]),
//! fix the request ([`RestError::Api`]), fix the code or report a server bug
//! ([`RestError::Decode`]), or fix the credentials ([`RestError::Auth`]). [`IoError`] gathers
//! every io failure for callers that only propagate. No variant ever holds a key, a PEM, a
//! signature or a request header value.

use thiserror::Error;

use crate::auth::AuthError;
use crate::env::EnvError;
use crate::ratelimit::RateLimitError;

/// Why a request may succeed if tried again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransientKind {
    /// No answer within the configured timeout.
    Timeout,
    /// The TCP/TLS connection could not be made.
    Connect,
    /// The connection broke while sending or before the full answer arrived.
    ConnectionLost,
    /// HTTP 429: the exchange's token bucket is empty.
    RateLimited,
    /// HTTP 408 request timeout from the server or a gateway.
    RequestTimeout,
    /// HTTP 5xx.
    Server,
}

impl TransientKind {
    /// Snake-case name for logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            TransientKind::Timeout => "timeout",
            TransientKind::Connect => "connect",
            TransientKind::ConnectionLost => "connection_lost",
            TransientKind::RateLimited => "rate_limited",
            TransientKind::RequestTimeout => "request_timeout",
            TransientKind::Server => "server_error",
        }
    }
}

/// Why authentication failed.
#[derive(Debug, Error)]
pub enum AuthFailure {
    /// The call needs credentials and the client has none.
    #[error("no API credentials configured")]
    MissingCredentials,
    /// Signing failed locally.
    #[error("signing failed: {0}")]
    Signing(#[source] AuthError),
    /// The exchange refused the credentials (HTTP 401 or 403).
    #[error("exchange refused the credentials (HTTP {status}): {code} {message}")]
    Rejected {
        /// 401 or 403.
        status: u16,
        /// Error code from the body (may be empty).
        code: String,
        /// Error message from the body (may be empty).
        message: String,
    },
}

/// A failed REST call. `endpoint` is `"METHOD /path"` without the query.
#[derive(Debug, Error)]
pub enum RestError {
    /// Retryable failure (for reads; a write's outcome is then unknown).
    #[error("{endpoint}: transient failure ({}{})", .kind.as_str(), fmt_status(*.status))]
    Transient {
        /// Which call.
        endpoint: String,
        /// What went wrong.
        kind: TransientKind,
        /// HTTP status, when an answer arrived.
        status: Option<u16>,
        /// Short description (never a header value).
        detail: String,
    },
    /// The exchange answered with a 4xx error (other than 401/403/408/429).
    #[error("{endpoint}: HTTP {status} {code}: {message}{}", fmt_details(.details.as_deref()))]
    Api {
        /// Which call.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// Kalshi error code (`invalid_order`, …); empty when the body had none.
        code: String,
        /// Human message; for a non-JSON body, a short sanitized excerpt of it.
        message: String,
        /// Longer explanation, when given.
        details: Option<String>,
    },
    /// The answer arrived but could not be read as the expected type.
    #[error("{endpoint}: cannot decode HTTP {status} answer: {reason}")]
    Decode {
        /// Which call.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// The decoder's reason.
        reason: String,
    },
    /// Authentication failed (locally or at the exchange).
    #[error("{endpoint}: {failure}")]
    Auth {
        /// Which call.
        endpoint: String,
        /// How.
        #[source]
        failure: AuthFailure,
    },
    /// The exchange answered with a redirect; signed requests never follow redirects.
    #[error("{endpoint}: unexpected redirect (HTTP {status}) to {location}")]
    Redirect {
        /// Which call.
        endpoint: String,
        /// 3xx status.
        status: u16,
        /// Redirect target without its query (or `"?"` when absent).
        location: String,
    },
    /// The answer's body is larger than the configured limit; it was not read to the end.
    #[error("{endpoint}: HTTP {status} answer body exceeds the {limit_bytes}-byte limit")]
    BodyTooLarge {
        /// Which call.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// The limit (`RestConfig::response_bytes_max`).
        limit_bytes: usize,
    },
    /// The request could not be built or its cost can never fit the rate-limit bucket.
    #[error("{endpoint}: invalid request: {reason}")]
    InvalidRequest {
        /// Which call.
        endpoint: String,
        /// Why.
        reason: String,
    },
    /// The client-side rate limiter can never grant this request.
    #[error("{endpoint}: {source}")]
    RateLimit {
        /// Which call.
        endpoint: String,
        /// Why.
        #[source]
        source: RateLimitError,
    },
}

fn fmt_status(status: Option<u16>) -> String {
    status.map_or_else(String::new, |status| format!(", HTTP {status}"))
}

fn fmt_details(details: Option<&str>) -> String {
    details.map_or_else(String::new, |details| format!(" ({details})"))
}

impl RestError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, RestError::Transient { .. })
    }

    /// Whether this is a 429.
    pub fn is_rate_limited(&self) -> bool {
        matches!(
            self,
            RestError::Transient {
                kind: TransientKind::RateLimited,
                ..
            }
        )
    }

    /// The HTTP status, when an answer arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            RestError::Transient { status, .. } => *status,
            RestError::Api { status, .. }
            | RestError::Decode { status, .. }
            | RestError::BodyTooLarge { status, .. }
            | RestError::Redirect { status, .. } => Some(*status),
            RestError::Auth {
                failure: AuthFailure::Rejected { status, .. },
                ..
            } => Some(*status),
            RestError::Auth { .. }
            | RestError::InvalidRequest { .. }
            | RestError::RateLimit { .. } => None,
        }
    }

    /// The call this error concerns (`"METHOD /path"`).
    pub fn endpoint(&self) -> &str {
        match self {
            RestError::Transient { endpoint, .. }
            | RestError::Api { endpoint, .. }
            | RestError::Decode { endpoint, .. }
            | RestError::BodyTooLarge { endpoint, .. }
            | RestError::Auth { endpoint, .. }
            | RestError::Redirect { endpoint, .. }
            | RestError::InvalidRequest { endpoint, .. }
            | RestError::RateLimit { endpoint, .. } => endpoint,
        }
    }
}

/// A WebSocket failure that ends the connection task (everything else is retried).
#[derive(Debug, Error)]
pub enum WsError {
    /// The handshake was refused with 401/403: the credentials are wrong; reconnecting would
    /// loop forever.
    #[error("WebSocket handshake refused with HTTP {status}: check the API key and environment")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
    },
    /// Signing the handshake failed.
    #[error("signing the WebSocket handshake failed: {0}")]
    Signing(#[source] AuthError),
    /// The WebSocket URL could not be used.
    #[error("invalid WebSocket request: {reason}")]
    InvalidRequest {
        /// Why.
        reason: String,
    },
    /// The consumer dropped the event receiver; nothing is listening.
    #[error("event receiver dropped")]
    ReceiverDropped,
    /// A one-off connection check ([`crate::data_ws::probe_connect`]) could not open the
    /// socket (connection refused, timeout, a handshake answered with another status). The
    /// connection task retries these instead.
    #[error("cannot open the WebSocket: {reason}")]
    Unreachable {
        /// What failed.
        reason: String,
    },
}

/// Every io failure, for callers that only propagate.
#[derive(Debug, Error)]
pub enum IoError {
    /// Endpoint or credential configuration.
    #[error(transparent)]
    Config(#[from] EnvError),
    /// Key loading or signing.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A REST call.
    #[error(transparent)]
    Rest(#[from] RestError),
    /// The WebSocket connection.
    #[error(transparent)]
    Ws(#[from] WsError),
    /// The rate limiter.
    #[error(transparent)]
    RateLimit(#[from] RateLimitError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_endpoint_and_status() {
        let error = RestError::Api {
            endpoint: "POST /portfolio/events/orders".to_string(),
            status: 400,
            code: "invalid_order".to_string(),
            message: "invalid order".to_string(),
            details: Some("price off grid".to_string()),
        };
        assert_eq!(
            error.to_string(),
            "POST /portfolio/events/orders: HTTP 400 invalid_order: invalid order (price off grid)"
        );
        assert_eq!(error.status(), Some(400));
        assert!(!error.is_transient());
        let limited = RestError::Transient {
            endpoint: "GET /markets".to_string(),
            kind: TransientKind::RateLimited,
            status: Some(429),
            detail: "too many requests".to_string(),
        };
        assert!(limited.is_rate_limited());
        assert_eq!(
            limited.to_string(),
            "GET /markets: transient failure (rate_limited, HTTP 429)"
        );
    }
}
