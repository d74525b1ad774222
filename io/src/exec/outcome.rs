//! The outcome of one write, and how a [`RestError`] maps onto it.

use crate::error::{AuthFailure, RestError, TransientKind};

/// What a write achieved, as far as the client can know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome<T> {
    /// The exchange accepted it (2xx) and the answer was read.
    Accepted(T),
    /// The exchange refused it (4xx other than 408/429); it had no effect.
    Rejected {
        /// HTTP status.
        status: u16,
        /// Kalshi error code (may be empty).
        code: String,
        /// Kalshi's human-readable error message (may be empty).
        message: String,
    },
    /// HTTP 429: refused by the rate limit; it had no effect. Not retried automatically.
    RateLimited,
    /// It may or may not have taken effect (timeout, 408, 5xx, lost connection or answer).
    Unknown {
        /// What happened.
        reason: String,
    },
    /// Refused locally; nothing was sent.
    NotSent {
        /// Why.
        reason: String,
    },
}

impl<T> WriteOutcome<T> {
    /// Maps the accepted value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> WriteOutcome<U> {
        match self.into_accepted() {
            Ok(value) => WriteOutcome::Accepted(f(value)),
            Err(outcome) => outcome,
        }
    }

    /// The accepted value, or this outcome re-typed for a caller with another value type.
    pub fn into_accepted<U>(self) -> Result<T, WriteOutcome<U>> {
        match self {
            WriteOutcome::Accepted(value) => Ok(value),
            WriteOutcome::Rejected {
                status,
                code,
                message,
            } => Err(WriteOutcome::Rejected {
                status,
                code,
                message,
            }),
            WriteOutcome::RateLimited => Err(WriteOutcome::RateLimited),
            WriteOutcome::Unknown { reason } => Err(WriteOutcome::Unknown { reason }),
            WriteOutcome::NotSent { reason } => Err(WriteOutcome::NotSent { reason }),
        }
    }

    /// Snake-case name of the outcome kind, for logs and metrics.
    pub fn kind_name(&self) -> &'static str {
        match self {
            WriteOutcome::Accepted(_) => "accepted",
            WriteOutcome::Rejected { .. } => "rejected",
            WriteOutcome::RateLimited => "rate_limited",
            WriteOutcome::Unknown { .. } => "unknown",
            WriteOutcome::NotSent { .. } => "not_sent",
        }
    }

    /// Whether the request certainly had no effect on the exchange.
    pub fn certainly_no_effect(&self) -> bool {
        matches!(
            self,
            WriteOutcome::Rejected { .. }
                | WriteOutcome::RateLimited
                | WriteOutcome::NotSent { .. }
        )
    }
}

/// Classifies a failed write. A connection that could not even be opened is still treated as
/// `Unknown`: the cost of a lookup is small, a duplicate order is not.
pub fn classify_write_error<T>(error: &RestError) -> WriteOutcome<T> {
    match error {
        RestError::Transient {
            kind: TransientKind::RateLimited,
            ..
        } => WriteOutcome::RateLimited,
        RestError::Transient { kind, detail, .. } => WriteOutcome::Unknown {
            reason: format!("{}: {detail}", kind.as_str()),
        },
        RestError::Api {
            status,
            code,
            message,
            details,
            ..
        } => WriteOutcome::Rejected {
            status: *status,
            code: code.clone(),
            message: match details {
                Some(details) => format!("{message} ({details})"),
                None => message.clone(),
            },
        },
        RestError::Auth {
            failure:
                AuthFailure::Rejected {
                    status,
                    code,
                    message,
                },
            ..
        } => WriteOutcome::Rejected {
            status: *status,
            code: code.clone(),
            message: message.clone(),
        },
        RestError::Redirect {
            status, location, ..
        } => WriteOutcome::Rejected {
            status: *status,
            code: "redirect".to_string(),
            message: format!("redirect to {location} not followed"),
        },
        RestError::Decode { reason, .. } => WriteOutcome::Unknown {
            reason: format!("accepted with an unreadable answer: {reason}"),
        },
        RestError::BodyTooLarge { .. } => WriteOutcome::Unknown {
            reason: format!("answer not read: {error}"),
        },
        RestError::Auth { .. } | RestError::InvalidRequest { .. } | RestError::RateLimit { .. } => {
            WriteOutcome::NotSent {
                reason: error.to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transient(kind: TransientKind, status: Option<u16>) -> RestError {
        RestError::Transient {
            endpoint: "POST /portfolio/events/orders".to_string(),
            kind,
            status,
            detail: "x".to_string(),
        }
    }

    #[test]
    fn every_error_maps_to_the_right_outcome() {
        let outcome: WriteOutcome<()> =
            classify_write_error(&transient(TransientKind::RateLimited, Some(429)));
        assert_eq!(outcome, WriteOutcome::RateLimited);
        for kind in [
            TransientKind::Timeout,
            TransientKind::Connect,
            TransientKind::ConnectionLost,
            TransientKind::RequestTimeout,
            TransientKind::Server,
        ] {
            let outcome: WriteOutcome<()> = classify_write_error(&transient(kind, None));
            assert!(matches!(outcome, WriteOutcome::Unknown { .. }), "{kind:?}");
            assert!(!outcome.certainly_no_effect());
        }
        let rejected: WriteOutcome<()> = classify_write_error(&RestError::Api {
            endpoint: "e".to_string(),
            status: 409,
            code: "duplicate_client_order_id".to_string(),
            message: "dup".to_string(),
            details: None,
        });
        assert_eq!(
            rejected,
            WriteOutcome::Rejected {
                status: 409,
                code: "duplicate_client_order_id".to_string(),
                message: "dup".to_string()
            }
        );
        let unauthorized: WriteOutcome<()> = classify_write_error(&RestError::Auth {
            endpoint: "e".to_string(),
            failure: AuthFailure::Rejected {
                status: 401,
                code: String::new(),
                message: String::new(),
            },
        });
        assert!(matches!(
            unauthorized,
            WriteOutcome::Rejected { status: 401, .. }
        ));
        let local: WriteOutcome<()> = classify_write_error(&RestError::Auth {
            endpoint: "e".to_string(),
            failure: AuthFailure::MissingCredentials,
        });
        assert!(matches!(local, WriteOutcome::NotSent { .. }));
        assert!(local.certainly_no_effect());
    }
}
