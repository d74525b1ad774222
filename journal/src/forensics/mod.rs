//! Forensics over a run directory: books as they stood at any seq ([`book`]) and the causal
//! chain of one order ([`audit`]). Both only read the journal.

pub mod audit;
pub mod book;

pub use audit::{AuditEntry, AuditStage, AuditTrail, MarketAtDecision, audit_order};
pub use book::{BookReplayer, BookTop, BookView, reconstruct_book, reconstruct_books};

use crate::record::RecordError;

/// Why a forensic question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum ForensicsError {
    /// The journal could not be read.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The market never appeared in the journal up to the requested seq.
    #[error("market {market} has no book in the journal{}", at_seq.map_or_else(String::new, |seq| format!(" up to seq {seq}")))]
    MarketNotFound {
        /// The market asked for.
        market: String,
        /// The seq asked for.
        at_seq: Option<u64>,
    },
    /// No record mentions the client order id.
    #[error("no journal record mentions client order id {client_order_id}")]
    OrderNotFound {
        /// The id asked for.
        client_order_id: String,
    },
}
