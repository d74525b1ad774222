//! The market scanner's settings and the reasons it gives for each market it keeps or drops.

use serde::{Deserialize, Serialize};

use crate::fixed::Count;
use crate::liquidity::LiquidityWeights;
use crate::time::NS_PER_MINUTE;

/// Why a market was kept or dropped. Serialized in snake_case (stable names for the CLI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanReason {
    /// Passed every filter.
    Passed,
    /// In the keep set (position or resting orders): never dropped.
    KeptHeld,
    /// Status is not `active`.
    NotActive,
    /// 24 h volume below the minimum.
    #[serde(rename = "low_volume_24h")]
    LowVolume24h,
    /// Open interest below the minimum.
    LowOpenInterest,
    /// No best bid or no best ask.
    NoTwoSidedQuote,
    /// Best bid at or above best ask.
    CrossedQuote,
    /// The market's `price_ranges` do not form a valid grid.
    InvalidTickGrid,
    /// Spread wider than the tick limit.
    WideSpreadTicks,
    /// Spread wider than the dollar limit.
    WideSpreadDollars,
    /// No close time known.
    NoCloseTime,
    /// Closes sooner than the minimum time to close.
    ClosingSoon,
    /// Closes within the near-resolved window.
    NearResolvedTime,
    /// Best bid, best ask or last price within the margin of 0 or 1.
    NearResolvedPrice,
    /// Fewer trades than required in the recent window.
    TooFewRecentTrades,
    /// The trade tape does not cover the recent window.
    NoTradeData,
    /// The market's fee parameters could not be read (or name a fee type this build cannot
    /// price): it is never priced with a guessed schedule.
    FeeUnknown,
    /// The market's trade history could not be read, so its recent activity is unknown: it
    /// is not passed without it. Appended last (journaled in universe decisions).
    TradesUnreadable,
}

impl ScanReason {
    /// The stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ScanReason::Passed => "passed",
            ScanReason::KeptHeld => "kept_held",
            ScanReason::NotActive => "not_active",
            ScanReason::LowVolume24h => "low_volume_24h",
            ScanReason::LowOpenInterest => "low_open_interest",
            ScanReason::NoTwoSidedQuote => "no_two_sided_quote",
            ScanReason::CrossedQuote => "crossed_quote",
            ScanReason::InvalidTickGrid => "invalid_tick_grid",
            ScanReason::WideSpreadTicks => "wide_spread_ticks",
            ScanReason::WideSpreadDollars => "wide_spread_dollars",
            ScanReason::NoCloseTime => "no_close_time",
            ScanReason::ClosingSoon => "closing_soon",
            ScanReason::NearResolvedTime => "near_resolved_time",
            ScanReason::NearResolvedPrice => "near_resolved_price",
            ScanReason::TooFewRecentTrades => "too_few_recent_trades",
            ScanReason::NoTradeData => "no_trade_data",
            ScanReason::FeeUnknown => "fee_unknown",
            ScanReason::TradesUnreadable => "trades_unreadable",
        }
    }

    /// True for reasons that describe a failed filter (everything but `Passed`/`KeptHeld`).
    pub const fn is_failure(self) -> bool {
        !matches!(self, ScanReason::Passed | ScanReason::KeptHeld)
    }
}

/// Every threshold of the scanner. Serializable so the effective config can be journaled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScannerConfig {
    /// Least 24 h volume. Default 100 contracts.
    pub volume_24h_min: Count,
    /// Least open interest. Default 100 contracts.
    pub open_interest_min: Count,
    /// Widest spread in ticks of the market's grid; `None` disables. Default 10.
    pub spread_ticks_max: Option<i64>,
    /// Widest spread in micro-dollars; `None` disables. Default 100 000 (10¢).
    pub spread_micros_max: Option<i64>,
    /// Least time to close. Default 1 h.
    pub time_to_close_min_ns: i64,
    /// A market closing within this is near-resolved. Default 15 minutes. Kept apart from
    /// `time_to_close_min_ns` so it still applies when that one is set to zero.
    pub near_resolved_close_within_ns: i64,
    /// A best bid, best ask or last price within this of 0 or 1 means near-resolved.
    /// Default 30 000 (3¢).
    pub near_resolved_margin_micros: i64,
    /// Whether the recently-active filter runs at all. Default true.
    pub require_recent_trades: bool,
    /// Least trades in the recent window. Default 3.
    pub recent_trades_min: u32,
    /// The recent window. Default 60 minutes.
    pub recent_window_ns: i64,
    /// Whether a market passes the recently-active filter when the trade tape does not cover
    /// the window (e.g. a listings-only scan). Default true.
    pub pass_without_trade_data: bool,
    /// The ranking key. Default [`RankBy::Liquidity`].
    pub rank_by: RankBy,
    /// Score weights.
    pub weights: LiquidityWeights,
}

impl Default for ScannerConfig {
    fn default() -> Self {
        ScannerConfig {
            volume_24h_min: Count::from_centi(100 * 100).unwrap_or(Count::ZERO),
            open_interest_min: Count::from_centi(100 * 100).unwrap_or(Count::ZERO),
            spread_ticks_max: Some(10),
            spread_micros_max: Some(100_000),
            time_to_close_min_ns: 60 * NS_PER_MINUTE,
            near_resolved_close_within_ns: 15 * NS_PER_MINUTE,
            near_resolved_margin_micros: 30_000,
            require_recent_trades: true,
            recent_trades_min: 3,
            recent_window_ns: 60 * NS_PER_MINUTE,
            pass_without_trade_data: true,
            rank_by: RankBy::Liquidity,
            weights: LiquidityWeights::default(),
        }
    }
}

/// What the ranked list is sorted by (descending score or ascending spread), ties broken by
/// the other keys and finally by ticker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    /// Liquidity score, then maker-ease, then tightness.
    Liquidity,
    /// Maker-ease score, then liquidity, then tightness.
    MakerEase,
    /// Spread in ticks (tightest first), then depth at the touch, then liquidity.
    Tightness,
}
