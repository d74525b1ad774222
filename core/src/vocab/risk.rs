//! The risk gate's journaled words: its state, why it changed, and why an intent was refused.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fixed::{Count, Money, Price};

/// What the risk gate lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskState {
    /// Everything within limits may be sent.
    Active,
    /// Only orders that reduce an existing position may be sent.
    Reducing,
    /// Nothing but cancels.
    Halted,
}

impl RiskState {
    /// Upper-case name used in transcripts.
    pub const fn as_str(self) -> &'static str {
        match self {
            RiskState::Active => "ACTIVE",
            RiskState::Reducing => "REDUCING",
            RiskState::Halted => "HALTED",
        }
    }
}

/// Why the risk state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskStateReason {
    /// The daily loss passed the reduce-only threshold.
    DailyLossReducing,
    /// The daily loss passed the stop.
    DailyLossStop,
    /// The kill switch was pulled.
    KillSwitch,
    /// An operator halted trading.
    OperatorHalt,
    /// An operator resumed trading.
    OperatorResume,
    /// A new trading day started (reduce-only is lifted; a halt is not).
    DailyReset,
    /// Restored from a previous run's journal.
    Restored,
    /// An operator started a run with `--fresh-risk-state` over a previous state (a HALT, or
    /// one that could not be read): the run starts ACTIVE and the journal says who cleared it.
    OperatorCleared,
    /// An operator asked to flatten the positions (`kalshi-bot ctl flatten`): REDUCING until
    /// resumed. Appended last so journals written before it still decode.
    OperatorFlatten,
}

/// The journaled risk state, enough to restore it in a new engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskStateRecord {
    /// The state now in force.
    pub state: RiskState,
    /// Why it changed.
    pub reason: RiskStateReason,
    /// Realized P&L after fees since the start of the trading day.
    pub day_realized_net: Money,
}

impl fmt::Display for RiskStateRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} reason={:?} day_realized_net={}",
            self.state.as_str(),
            self.reason,
            self.day_realized_net
        )
    }
}

/// Why an intent was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RiskRejection {
    /// The engine is halted.
    Halted,
    /// Reduce-only and this order would not reduce the position.
    ReducingOnly,
    /// The price is 0, 1 or off the market's tick grid.
    InvalidPrice,
    /// Zero contracts.
    ZeroCount,
    /// More contracts than one order may carry.
    OrderContracts {
        /// Requested.
        count: Count,
        /// Limit.
        max: Count,
    },
    /// More dollars than one order may commit.
    OrderNotional {
        /// Requested.
        notional: Money,
        /// Limit.
        max: Money,
    },
    /// No fair value is known, so the collar cannot be checked.
    NoFairValue,
    /// The price is too far from fair value.
    PriceCollar {
        /// Requested price.
        price: Price,
        /// Fair YES price.
        fair: Price,
        /// Allowed distance, micro-dollars.
        collar_micros: i64,
    },
    /// The market already has the most open orders allowed.
    OpenOrders {
        /// Open orders now.
        open: u32,
        /// Limit.
        max: u32,
    },
    /// Worst-case position in the market would exceed its limit.
    MarketPosition {
        /// Worst case after the order.
        worst: Count,
        /// Limit.
        max: Count,
    },
    /// Worst-case position over the event would exceed its limit.
    EventPosition {
        /// Worst case after the order.
        worst: Count,
        /// Limit.
        max: Count,
    },
    /// Money at risk over the account would exceed its limit.
    AccountExposure {
        /// Exposure after the order.
        exposure: Money,
        /// Limit.
        max: Money,
    },
    /// The order-rate budget is spent.
    RateLimited,
}

impl fmt::Display for RiskRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RiskRejection::Halted => f.write_str("halted"),
            RiskRejection::ReducingOnly => f.write_str("reducing_only"),
            RiskRejection::InvalidPrice => f.write_str("invalid_price"),
            RiskRejection::ZeroCount => f.write_str("zero_count"),
            RiskRejection::OrderContracts { count, max } => {
                write!(f, "order_contracts {count}>{max}")
            }
            RiskRejection::OrderNotional { notional, max } => {
                write!(f, "order_notional {notional}>{max}")
            }
            RiskRejection::NoFairValue => f.write_str("no_fair_value"),
            RiskRejection::PriceCollar {
                price,
                fair,
                collar_micros,
            } => {
                write!(
                    f,
                    "price_collar price={price} fair={fair} collar_micros={collar_micros}"
                )
            }
            RiskRejection::OpenOrders { open, max } => write!(f, "open_orders {open}>={max}"),
            RiskRejection::MarketPosition { worst, max } => {
                write!(f, "market_position {worst}>{max}")
            }
            RiskRejection::EventPosition { worst, max } => {
                write!(f, "event_position {worst}>{max}")
            }
            RiskRejection::AccountExposure { exposure, max } => {
                write!(f, "account_exposure {exposure}>{max}")
            }
            RiskRejection::RateLimited => f.write_str("rate_limited"),
        }
    }
}
