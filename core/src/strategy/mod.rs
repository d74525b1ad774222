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

/// What a strategy's key for one market is computed from: the same book, instant and close
/// time its [`Strategy::plan`] would be given.
#[derive(Debug, Clone, Copy)]
pub struct PlanKeyContext<'a> {
    /// Dense index of the market.
    pub market: MarketIndex,
    /// Envelope time, Unix ns.
    pub ts_ns: i64,
    /// The live book.
    pub book: &'a OrderBook,
    /// Nanoseconds until close, when known.
    pub time_to_close_ns: Option<i64>,
}

/// The book and clock facts one market's plan reads, as a strategy sees them: when two keys of
/// a market are equal (and every other input of the plan is too), the plan is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanKey {
    /// Best bid: price and size.
    pub best_bid: Option<(Price, Count)>,
    /// Best ask: price and size.
    pub best_ask: Option<(Price, Count)>,
    /// Visible size per side (bid, ask) over the levels the strategy sizes from, centi.
    pub depth_centi: (i64, i64),
    /// Clock-driven facts of the strategy (thresholds crossed, memory held), as bits.
    pub clock_bits: u8,
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

    /// The key of everything `plan` reads for one market from the book, the clock and the
    /// strategy's own memory (the engine adds the rest: fair value, position, orders, limits).
    /// `None` (the default) means the strategy cannot tell, and is asked to plan at every
    /// chance.
    fn plan_key(&self, context: &PlanKeyContext<'_>) -> Option<PlanKey> {
        let _ = context;
        None
    }
}
