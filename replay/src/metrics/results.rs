//! What a backtest reports: the run's and each market's metrics, the fidelity of the data
//! they rest on, and the time series the HTML report charts. Plain records; the collector
//! that fills them is the parent module.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use kalshi_core::pnl::PnlBreakdown;
use kalshi_core::{BookSide, Count, Money, Price, SignedCount};

/// What the input data could show, which bounds how much the fill model can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataFidelity {
    /// Full depth with every change: queue positions are modelled from real level sizes.
    FullL2,
    /// Book snapshots only (no deltas): queues are re-based at each snapshot.
    Snapshots,
    /// Public trades with 1-minute candlesticks (bid/ask OHLC): the touch is approximate and
    /// level sizes are assumed.
    TradesAndCandles,
    /// Trades only: no book, fills come from the tape alone.
    TradesOnly,
}

impl DataFidelity {
    /// One sentence for reports.
    pub const fn note(self) -> &'static str {
        match self {
            DataFidelity::FullL2 => {
                "full L2 book with deltas: queue positions use real level sizes"
            }
            DataFidelity::Snapshots => {
                "book snapshots without deltas: queue positions re-based at each snapshot"
            }
            DataFidelity::TradesAndCandles => {
                "trades plus 1-minute bid/ask candles: touch approximate, level sizes assumed"
            }
            DataFidelity::TradesOnly => "trades only: no book, fills come from the tape alone",
        }
    }
}

/// How a market's final position was valued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Valuation {
    /// Settled at the market's result.
    Settled,
    /// Marked to the mid of a valid book, or to the last trade.
    MarkedToMid,
    /// No mark: counted at zero unrealized P&L.
    Unmarked,
    /// Flat at the end: nothing to value.
    Flat,
}

/// Metrics of one market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketMetrics {
    /// The market these figures cover.
    pub ticker: String,
    /// P&L before fees.
    pub gross_pnl: Money,
    /// Fees paid.
    pub fees: Money,
    /// P&L after fees.
    pub net_pnl: Money,
    /// P&L by the one definition (realized net of fees, fees, unrealized, total).
    pub pnl: PnlBreakdown,
    /// Place commands sent.
    pub orders: u64,
    /// Fill events.
    pub fills: u64,
    /// Contracts placed.
    pub placed_contracts: Count,
    /// Contracts filled.
    pub filled_contracts: Count,
    /// Contracts filled as maker.
    pub maker_contracts: Count,
    /// Largest absolute position.
    pub inventory_max_abs: Count,
    /// Position at the end.
    pub inventory_final: SignedCount,
    /// How the final position was valued.
    pub valuation: Valuation,
    /// Price the final position was valued at.
    pub final_mark: Option<Price>,
    /// Average 1-minute markout, micro-dollars per contract.
    pub markout_1m_micros: Option<i64>,
    /// Average 5-minute markout, micro-dollars per contract.
    pub markout_5m_micros: Option<i64>,
    /// Time with at least one of our orders resting here, ns.
    pub time_quoted_ns: i64,
}

/// Metrics of a whole backtest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    /// What the input data could show.
    pub fidelity: DataFidelity,
    /// Note on the fidelity.
    pub fidelity_note: String,
    /// First event time, Unix ns.
    pub start_ts_ns: i64,
    /// Last event time, Unix ns.
    pub end_ts_ns: i64,
    /// Inputs the engine processed (market data and simulated exchange events).
    pub inputs: u64,
    /// P&L before fees.
    pub gross_pnl: Money,
    /// Fees paid.
    pub fees: Money,
    /// P&L after fees.
    pub net_pnl: Money,
    /// P&L by the one definition (realized net of fees, fees, unrealized, total).
    pub pnl: PnlBreakdown,
    /// Place commands sent.
    pub orders: u64,
    /// Cancel commands sent (cancel-all counts once).
    pub cancels: u64,
    /// Fill events.
    pub fills: u64,
    /// Contracts placed.
    pub placed_contracts: Count,
    /// Contracts filled.
    pub filled_contracts: Count,
    /// Filled / placed contracts, ppm.
    pub fill_ratio_ppm: u64,
    /// Maker-filled / filled contracts, ppm.
    pub maker_share_ppm: u64,
    /// Largest absolute position in any market.
    pub inventory_max_abs: Count,
    /// Σ |final position| over markets.
    pub inventory_final_abs: Count,
    /// Largest fall of equity from a previous peak.
    pub max_drawdown: Money,
    /// Average 1-minute markout, micro-dollars per contract.
    pub markout_1m_micros: Option<i64>,
    /// Fills the 1-minute markout averages.
    pub markouts_1m_count: u64,
    /// Average 5-minute markout, micro-dollars per contract.
    pub markout_5m_micros: Option<i64>,
    /// Fills the 5-minute markout averages.
    pub markouts_5m_count: u64,
    /// Time with at least one live quote, ns.
    pub time_quoted_ns: i64,
    /// Time quoted over the run's span, ppm.
    pub time_quoted_ppm: u64,
    /// Per-market breakdown, by ticker.
    pub markets: Vec<MarketMetrics>,
}

/// One point of the market-vs-quotes chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteSample {
    /// Time, Unix ns.
    pub ts_ns: i64,
    /// Visible best bid.
    pub best_bid: Option<Price>,
    /// Visible best ask.
    pub best_ask: Option<Price>,
    /// Prices of our resting bids.
    pub our_bids: Vec<Price>,
    /// Prices of our resting asks.
    pub our_asks: Vec<Price>,
}

/// Time series for charts. Each line holds at most
/// [`LINE_POINTS_MAX`](crate::series_thinning::LINE_POINTS_MAX) points: a longer run keeps
/// evenly spaced changes (see [`series_thinning`](crate::series_thinning)), and the final
/// equity point is always kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    /// (time, equity micro-dollars), at each change.
    pub equity: Vec<(i64, i64)>,
    /// (time, Σ signed position in hundredths), at each change.
    pub inventory: Vec<(i64, i64)>,
    /// Per market, book touch and our resting prices at each change.
    pub quotes: BTreeMap<String, Vec<QuoteSample>>,
    /// Per market, our fills (the first [`FILL_MARKS_MAX`] of them).
    pub fills: BTreeMap<String, Vec<FillMark>>,
    /// Per market, (time, that market's own equity micro-dollars), at each change.
    pub market_equity: BTreeMap<String, Vec<(i64, i64)>>,
    /// Per market, (time, signed position in hundredths), at each change.
    pub market_inventory: BTreeMap<String, Vec<(i64, i64)>>,
    /// First input time, Unix ns: the left edge of every chart.
    pub start_ts_ns: i64,
    /// Last input time, Unix ns: the right edge of every chart (every line reaches it).
    pub end_ts_ns: i64,
}

/// Most fills kept per market for the charts.
pub const FILL_MARKS_MAX: usize = 5_000;

/// One of our fills, for the charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillMark {
    /// Fill time, Unix ns.
    pub ts_ns: i64,
    /// YES price.
    pub price: Price,
    /// `Bid`: we bought YES; `Ask`: we sold YES.
    pub side: BookSide,
    /// Contracts filled.
    pub count: Count,
}
