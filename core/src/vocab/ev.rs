//! The expected-value gate's record (inputs, cost components, verdict) and the blended fair
//! value it was priced with.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fees::Liquidity;
use crate::fixed::{Count, Price};
use crate::side::BookSide;

/// Where the fair probability came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FairSource {
    /// An external model (possibly blended with the book).
    Model,
    /// The book's microprice (or mid, or last trade).
    Book,
}

/// Inputs of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvInputs {
    /// Market ticker.
    pub ticker: String,
    /// Order side.
    pub side: BookSide,
    /// Limit YES price.
    pub price: Price,
    /// Contracts.
    pub count: Count,
    /// Whether the order rests (maker) or crosses (taker).
    pub liquidity: Liquidity,
    /// Fair YES probability, parts per million.
    pub fair_ppm: u32,
    /// Where it came from.
    pub fair_source: FairSource,
    /// Inventory adjustment subtracted from the fair value (positive when long YES), micros;
    /// see [`crate::ev_gate::inventory_skew_micros`].
    pub inventory_skew_micros: i64,
}

/// The cost components, all per contract in micro-dollars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EvComponents {
    /// `P(win) × $1` for this side.
    pub win_value_micros: i64,
    /// Price paid for the outcome bought.
    pub price_paid_micros: i64,
    /// Exchange fee.
    pub fee_micros: i64,
    /// Spread paid beyond the touch (takers).
    pub spread_paid_micros: i64,
    /// Slippage allowance (takers).
    pub slippage_micros: i64,
    /// Adverse-selection allowance.
    pub adverse_selection_micros: i64,
}

impl EvComponents {
    /// Win value minus every cost.
    pub fn ev_micros(&self) -> i64 {
        self.win_value_micros
            - self.price_paid_micros
            - self.fee_micros
            - self.spread_paid_micros
            - self.slippage_micros
            - self.adverse_selection_micros
    }
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvReason {
    /// EV reached the minimum edge.
    Pass,
    /// EV fell short of the minimum edge.
    BelowMinEdge,
    /// The fee could not be priced (unsupported fee type or overflow).
    FeeUnavailable,
    /// A taker order finds less depth within its limit than its size.
    InsufficientDepth,
    /// Zero contracts.
    ZeroCount,
    /// The probability is above one.
    InvalidProbability,
}

/// One evaluation, journaled as a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvDecision {
    /// What was evaluated.
    pub inputs: EvInputs,
    /// Cost components per contract.
    pub components: EvComponents,
    /// EV per contract, micro-dollars.
    pub ev_micros: i64,
    /// The threshold applied.
    pub min_edge_micros: i64,
    /// Verdict and reason.
    pub reason: EvReason,
}

impl EvDecision {
    /// True when the order may proceed.
    pub fn passed(&self) -> bool {
        self.reason == EvReason::Pass
    }
}

impl fmt::Display for EvDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.components;
        write!(
            f,
            "EV {} {} {}@{} {:?} fair_ppm={}({:?}) skew={} win={} paid={} fee={} spread={} slip={} adverse={} ev={} min={} -> {:?}",
            self.inputs.ticker,
            self.inputs.side.as_str(),
            self.inputs.count,
            self.inputs.price,
            self.inputs.liquidity,
            self.inputs.fair_ppm,
            self.inputs.fair_source,
            self.inputs.inventory_skew_micros,
            c.win_value_micros,
            c.price_paid_micros,
            c.fee_micros,
            c.spread_paid_micros,
            c.slippage_micros,
            c.adverse_selection_micros,
            self.ev_micros,
            self.min_edge_micros,
            self.reason
        )
    }
}

/// A blended fair value and what made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FairValue {
    /// The book's fair value before the shift, ppm.
    pub base_ppm: u32,
    /// Weighted imbalance term, ppm.
    pub imbalance_ppm: i64,
    /// Weighted trade-flow term, ppm.
    pub flow_ppm: i64,
    /// Weighted mid-trend term, ppm.
    pub trend_ppm: i64,
    /// Weighted model term, ppm.
    pub model_ppm: i64,
    /// The fair value decided with, ppm.
    pub fair_ppm: u32,
    /// Where it came from.
    pub source: FairSource,
}
