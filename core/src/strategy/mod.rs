//! Quoting strategies. A strategy looks at one market at a time and says which post-only quotes
//! it wants resting (or that it wants none); the engine gates every candidate through the EV
//! gate and risk, and the order manager turns the wanted quotes into minimal requests.

pub mod maker_ladder;

use serde::{Deserialize, Serialize};

use crate::book::OrderBook;
use crate::ev_gate::{EvGate, FairSource};
use crate::fees::FeeSchedule;
use crate::fixed::{Count, Price, SignedCount};
use crate::orders::DesiredQuote;
use crate::side::BookSide;
use crate::tick_grid::TickGrid;
use crate::universe::MarketIndex;
pub use crate::vocab::strategy::{RequoteReason, SideHeldReason, WithdrawReason};

/// Everything a strategy may look at for one market at one instant.
#[derive(Debug, Clone, Copy)]
pub struct QuoteContext<'a> {
    /// Dense index of the market.
    pub market: MarketIndex,
    /// Market ticker.
    pub ticker: &'a str,
    /// Envelope time, Unix ns.
    pub ts_ns: i64,
    /// The live book (valid when the strategy is asked).
    pub book: &'a OrderBook,
    /// The market's tick grid.
    pub grid: &'a TickGrid,
    /// Fair YES probability, parts per million.
    pub fair_ppm: u32,
    /// Where the fair value came from.
    pub fair_source: FairSource,
    /// Our signed position.
    pub position: SignedCount,
    /// Nanoseconds until close, when known.
    pub time_to_close_ns: Option<i64>,
    /// Whether any of our quotes is working in this market.
    pub has_working_quotes: bool,
    /// Whether a working quote now sits at or through the opposite touch.
    pub working_quote_crosses: bool,
    /// Whether contract counts may be fractional in this market.
    pub fractional: bool,
    /// The EV gate (for edge checks inside the strategy).
    pub ev_gate: &'a EvGate,
    /// The market's fee schedule, when it can be priced.
    pub fees: Option<&'a FeeSchedule>,
}

/// An immediate-or-cancel, reduce-only order that flattens part of a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitOrder {
    /// Side (opposite to the position).
    pub side: BookSide,
    /// Limit YES price (the opposite touch).
    pub price: Price,
    /// Contracts (at most the position).
    pub count: Count,
}

/// A side a strategy chose not to quote, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldSide {
    /// The side left unquoted.
    pub side: BookSide,
    /// Why.
    pub reason: SideHeldReason,
}

/// What a strategy wants for one market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuotePlan {
    /// Leave the working quotes as they are.
    Keep,
    /// Re-lay the quotes: these candidates (before the EV gate), best first per side.
    Quote {
        /// Why now.
        reason: RequoteReason,
        /// Candidate quotes.
        quotes: Vec<DesiredQuote>,
        /// Sides deliberately left without candidates, with the reason.
        held: Vec<HeldSide>,
    },
    /// Withdraw every quote.
    Withdraw {
        /// Why.
        reason: WithdrawReason,
        /// Optional exits to send once.
        exits: Vec<ExitOrder>,
    },
}

/// A quoting strategy. Implementations must be deterministic: the same contexts in the same
/// order give the same plans.
pub trait Strategy {
    /// Short name for decision records.
    fn name(&self) -> &'static str;

    /// The plan for one market.
    fn plan(&mut self, context: &QuoteContext<'_>) -> QuotePlan;

    /// Forgets what the strategy remembered about a market (after a withdrawal), so the next
    /// plan starts afresh.
    fn forget(&mut self, market: MarketIndex);
}
