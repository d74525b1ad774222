//! Why a wire payload could not become a normalized type.

use thiserror::Error;

/// A normalization failure, naming the field and the market (or order) it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NormalizeError {
    /// A field needed to build the normalized value is absent in every dialect.
    #[error("{ticker}: missing {field}")]
    Missing {
        /// The field (or the set of alternative fields) that was looked for.
        field: &'static str,
        /// Market ticker (or order id when no ticker is known).
        ticker: String,
    },
    /// A field is present but its value is not usable.
    #[error("{ticker}: invalid {field}: {reason}")]
    Invalid {
        /// Name of the wire field, as spelled in the payload.
        field: &'static str,
        /// Market ticker (or order id).
        ticker: String,
        /// What was wrong with it.
        reason: String,
    },
    /// An enumerated field holds a value this code does not know.
    #[error("{ticker}: unknown {field} {value:?}")]
    UnknownValue {
        /// Name of the wire field, as spelled in the payload.
        field: &'static str,
        /// Market ticker (or order id).
        ticker: String,
        /// The value received (shortened).
        value: String,
    },
}

impl NormalizeError {
    pub(crate) fn missing(field: &'static str, ticker: &str) -> NormalizeError {
        NormalizeError::Missing {
            field,
            ticker: ticker.to_string(),
        }
    }

    pub(crate) fn invalid(
        field: &'static str,
        ticker: &str,
        reason: impl ToString,
    ) -> NormalizeError {
        NormalizeError::Invalid {
            field,
            ticker: ticker.to_string(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn unknown(field: &'static str, ticker: &str, value: &str) -> NormalizeError {
        NormalizeError::UnknownValue {
            field,
            ticker: ticker.to_string(),
            value: value.chars().take(40).collect(),
        }
    }
}
