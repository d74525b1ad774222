//! The crate's error type: every failure names what was wrong and where.

use thiserror::Error;

use kalshi_core::fees::FeeError;

/// Why a replay, backtest, load or sweep could not proceed.
#[derive(Debug, Error)]
pub enum ReplayError {
    /// A fill's fee could not be priced (for example a `flat` fee type).
    #[error("cannot price a fill in {ticker}: {source}")]
    Fee {
        /// Market ticker.
        ticker: String,
        /// The fee engine's error.
        source: FeeError,
    },
    /// A record could not be encoded for comparison or hashing.
    #[error("cannot encode {what}: {source}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// The encoder's error.
        source: serde_json::Error,
    },
    /// A backtest or fill-model setting is out of range.
    #[error("invalid setting `{field}`: {reason}")]
    InvalidConfig {
        /// The setting.
        field: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// A record source failed to yield the next record.
    #[error("record source failed: {0}")]
    Source(String),
    /// Input data (a CSV line, a history row) was malformed.
    #[error("{origin}: line {line}: {reason}")]
    BadInput {
        /// File or stream the data came from.
        origin: String,
        /// 1-based line (0 when not line-oriented).
        line: u64,
        /// What was wrong.
        reason: String,
    },
    /// A sweep specification was malformed or names an unknown config key.
    #[error("sweep `{spec}`: {reason}")]
    Sweep {
        /// The offending `key=v1,v2` text or key.
        spec: String,
        /// What was wrong.
        reason: String,
    },
    /// A journal could not be read.
    #[error(transparent)]
    Journal(#[from] kalshi_journal::JournalError),
    /// A typed journal record could not be read or written.
    #[error(transparent)]
    Record(#[from] kalshi_journal::RecordError),
    /// Writing a report failed.
    #[error("cannot write report: {0}")]
    Io(#[from] std::io::Error),
}
