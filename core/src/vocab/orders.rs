//! The order book-keeping's journaled records: desired quotes, order states and transitions,
//! applied fills and reconciliation summaries.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fixed::{Count, Money, Price, SignedCount};
use crate::side::BookSide;

/// A quote the strategy wants resting: a post-only GTC order at `price` for `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredQuote {
    /// Bid to buy YES, ask to sell YES.
    pub side: BookSide,
    /// YES price.
    pub price: Price,
    /// Contracts wanted resting.
    pub count: Count,
}

/// A fill as applied to the books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillApplied {
    /// Exchange fill id.
    pub fill_id: String,
    /// Market ticker.
    pub ticker: String,
    /// The side our order was on: a bid bought YES, an ask sold YES (bought NO).
    pub side: BookSide,
    /// Execution YES price.
    pub yes_price: Price,
    /// Contracts filled.
    pub count: Count,
    /// Fee charged.
    pub fee: Money,
    /// Realized P&L before fees.
    pub realized: Money,
    /// Our signed position in the market after the fill (+ YES, − NO).
    pub position_after: SignedCount,
}

impl fmt::Display for FillApplied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FILL_APPLIED {} {} {} {}@{} fee={} realized={} position={}",
            self.fill_id,
            self.ticker,
            self.side.as_str(),
            self.count,
            self.yes_price,
            self.fee,
            self.realized,
            self.position_after
        )
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Decided but not (or no longer) sent: a create to retry under the same id.
    Intent,
    /// Sent, not yet acknowledged.
    Pending,
    /// Resting with nothing filled.
    Resting,
    /// Resting after some fills.
    PartiallyFilled,
    /// Fully filled (terminal).
    Filled,
    /// Cancelled, possibly after fills (terminal).
    Cancelled,
    /// Refused by the exchange (terminal).
    Rejected,
    /// The outcome of a request is unknown until a lookup answers.
    Unknown,
}

impl OrderStatus {
    /// True for Filled, Cancelled and Rejected.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled | OrderStatus::Cancelled | OrderStatus::Rejected
        )
    }

    /// True when the order may rest on the book (or might, for Pending and Unknown).
    pub const fn may_rest(self) -> bool {
        matches!(
            self,
            OrderStatus::Pending
                | OrderStatus::Resting
                | OrderStatus::PartiallyFilled
                | OrderStatus::Unknown
        )
    }
}

/// What caused a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionCause {
    /// A request was sent.
    Sent,
    /// The exchange acknowledged a request.
    Acked,
    /// The exchange refused a request.
    Rejected,
    /// A request's outcome was lost.
    OutcomeUnknown,
    /// An order snapshot (stream or lookup).
    Snapshot,
    /// A lookup after an unknown outcome found no such order on the exchange.
    LookupFoundNothing,
    /// A cancel was acknowledged.
    CancelAcked,
    /// One of our fills was applied to the order.
    Fill,
    /// Reconciliation adopted an order the engine did not know.
    ReconcileAdopted,
    /// Reconciliation did not find an order the engine thought live.
    ReconcileMissing,
    /// A retry intent was no longer wanted.
    Dropped,
}

/// One status change, journaled as a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTransition {
    /// Record key (client id, or `order:<id>` for foreign orders).
    pub key: String,
    /// Ticker of the order's market.
    pub ticker: String,
    /// Previous status (`None` for a new record).
    pub from: Option<OrderStatus>,
    /// Status after the change.
    pub to: OrderStatus,
    /// What caused the change.
    pub cause: TransitionCause,
}

impl fmt::Display for OrderTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from = self
            .from
            .map_or_else(|| "new".to_string(), |status| format!("{status:?}"));
        write!(
            f,
            "ORDER {} {} {}->{:?} ({:?})",
            self.key, self.ticker, from, self.to, self.cause
        )
    }
}

/// Counts from one reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReconcileSummary {
    /// Orders of ours the engine did not know, now managed.
    pub adopted: u32,
    /// Foreign orders now counted toward exposure.
    pub foreign: u32,
    /// Orders the engine thought live that the exchange no longer has.
    pub missing: u32,
    /// Positions the exchange reported, adopted as ours.
    pub positions: u32,
}
