//! Why the strategy requoted, withdrew or held a side: reasons journaled with its decisions.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a strategy re-laid its quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequoteReason {
    /// First quotes in this market (or after a withdrawal).
    Initial,
    /// Fair value moved past the threshold.
    FairMoved,
    /// The best bid or ask moved past the threshold.
    TouchMoved,
    /// Our position changed.
    InventoryChanged,
    /// The quotes are older than the maximum age.
    Aged,
    /// A working quote would now cross the book.
    WouldCross,
}

/// Why a strategy wants no quotes in a market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    /// The best achievable edge fell below the decay threshold.
    EdgeDecayed,
    /// Inside the wind-down window before close.
    WindDown,
    /// One side of the book is empty: no spread to quote inside.
    NoTouch,
    /// The book is not trusted.
    BookInvalid,
    /// The market is not open for trading.
    NotTradable,
    /// The market left the quoted universe.
    NotInUniverse,
    /// The engine is halted or shutting down.
    Stopped,
    /// Exchange-wide trading pause.
    ExchangePaused,
    /// The local fill-burst breaker is tripped.
    FillBurst,
    /// The inputs the engine acts on are older than the runtime's staleness bound
    /// ([`crate::vocab::events::Event::FeedLag`]).
    StaleData,
    /// The live book fails the scanner's spread or near-resolved price filter
    /// ([`crate::live_filter`]).
    LiveFilter,
}

impl fmt::Display for WithdrawReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// Why one side of a market is left without quotes while the other is (re-)laid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SideHeldReason {
    /// The side adds to the position and is sized to zero: the strategy shrinks it linearly
    /// to nothing at `strategy.inventory_soft_limit`.
    InventorySoftLimit,
    /// The side would reduce the position, but the EV gate refused every candidate (each
    /// rung's EV at the reservation price fell below `ev_gate.min_edge_micros`, e.g. a spread
    /// too tight for the fees). Until the book, the fair value or the position moves, nothing
    /// on this side will unwind the position.
    ReducingBelowMinEdge,
}

impl fmt::Display for SideHeldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SideHeldReason::InventorySoftLimit => "inventory_soft_limit",
            SideHeldReason::ReducingBelowMinEdge => "reducing_below_min_edge",
        })
    }
}
