//! Normalized, dialect-independent market and account data: what `io::normalize` produces
//! from Kalshi's wire payloads (2025 integer cents or 2026 fixed-point strings alike), what the
//! journal records, and what the engine consumes.
//!
//! Book convention: **one YES book**. Bid levels are resting YES bids at their YES price; ask
//! levels are resting NO bids re-expressed as YES asks at `1 − no_price`. Every timestamp is
//! Unix nanoseconds (`*_ns`).

use serde::{Deserialize, Serialize};

use crate::fixed::{Count, Money, Price, SignedCount};
use crate::side::BookSide;

/// A market's trading status (Kalshi `Market.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarketStatus {
    /// Created, before `open_time`.
    Initialized,
    /// Open for trading.
    Active,
    /// Paused by the exchange.
    Inactive,
    /// Past close time, awaiting a result.
    Closed,
    /// Result known, settlement timer running.
    Determined,
    /// Result challenged.
    Disputed,
    /// Result re-determined.
    Amended,
    /// Paid out; terminal.
    Finalized,
}

impl MarketStatus {
    /// Parses Kalshi's status string; also accepts the `GET /markets?status=` filter spellings.
    pub fn from_wire(text: &str) -> Option<MarketStatus> {
        Some(match text {
            "initialized" | "unopened" => MarketStatus::Initialized,
            "active" | "open" => MarketStatus::Active,
            "inactive" | "paused" => MarketStatus::Inactive,
            "closed" => MarketStatus::Closed,
            "determined" => MarketStatus::Determined,
            "disputed" => MarketStatus::Disputed,
            "amended" => MarketStatus::Amended,
            "finalized" | "settled" => MarketStatus::Finalized,
            _ => return None,
        })
    }

    /// Kalshi's spelling of this status on a `Market` object.
    pub const fn as_str(self) -> &'static str {
        match self {
            MarketStatus::Initialized => "initialized",
            MarketStatus::Active => "active",
            MarketStatus::Inactive => "inactive",
            MarketStatus::Closed => "closed",
            MarketStatus::Determined => "determined",
            MarketStatus::Disputed => "disputed",
            MarketStatus::Amended => "amended",
            MarketStatus::Finalized => "finalized",
        }
    }

    /// True when new orders are accepted.
    pub const fn is_tradable(self) -> bool {
        matches!(self, MarketStatus::Active)
    }
}

/// A market's determined result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarketResult {
    /// YES pays 1.
    Yes,
    /// NO pays 1.
    No,
    /// Scalar: YES pays the settlement value.
    Scalar,
}

/// One `{start, end, step}` band of a market's tick grid (`price_ranges`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PriceRange {
    /// Lowest price of the band.
    pub start: Price,
    /// Highest price of the band.
    pub end: Price,
    /// Tick size within the band.
    pub step: Price,
}

/// Fee parameters that apply to a market (series values, or the event's overrides).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FeeParams {
    /// Kalshi `fee_type` string (`quadratic`, `quadratic_with_maker_fees`, …).
    pub fee_type: String,
    /// `fee_multiplier` in parts per million (1.0 = 1_000_000), exact.
    pub multiplier_ppm: i64,
}

/// Everything the scanner and the engine need to know about one market from a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketInfo {
    /// Market ticker.
    pub ticker: String,
    /// Parent event ticker.
    pub event_ticker: String,
    /// Human title (may be empty in newer payloads).
    pub title: String,
    /// Trading status.
    pub status: MarketStatus,
    /// When trading opens, Unix ns.
    pub open_time_ns: Option<i64>,
    /// When trading closes, Unix ns.
    pub close_time_ns: Option<i64>,
    /// Best YES bid from the listing (absent or zero when the side is empty).
    pub yes_bid: Option<Price>,
    /// Size at the best YES bid.
    pub yes_bid_size: Option<Count>,
    /// Best YES ask from the listing.
    pub yes_ask: Option<Price>,
    /// Size at the best YES ask.
    pub yes_ask_size: Option<Count>,
    /// Last traded YES price.
    pub last_price: Option<Price>,
    /// Contracts traded, all time.
    pub volume: Count,
    /// Contracts traded in the last 24 h.
    pub volume_24h: Count,
    /// Contracts outstanding.
    pub open_interest: Count,
    /// The tick grid (empty when the payload carried none; then one-cent ticks apply).
    pub price_ranges: Vec<PriceRange>,
    /// Fee parameters when the payload carried them (series or event data).
    pub fee: Option<FeeParams>,
    /// Whether contract counts may be fractional.
    pub fractional_trading: bool,
    /// The result once determined.
    pub result: Option<MarketResult>,
    /// YES settlement value once determined.
    pub settlement_value: Option<Price>,
}

/// One price level: a price and the size resting there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BookLevel {
    /// YES price of the level.
    pub price: Price,
    /// Contracts resting.
    pub size: Count,
}

/// A full book for one market, in the one-YES-book convention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookSnapshot {
    /// Market ticker.
    pub ticker: String,
    /// YES bids, any order (consumers sort).
    pub bids: Vec<BookLevel>,
    /// YES asks (NO bids at `1 − no_price`), any order.
    pub asks: Vec<BookLevel>,
    /// Exchange per-market clock of the newest change included, when known.
    pub clock: Option<u64>,
}

/// A change of resting size at one level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookDelta {
    /// Market ticker.
    pub ticker: String,
    /// `Bid` = a YES-bid level changed; `Ask` = a NO-bid level changed (YES ask).
    pub side: BookSide,
    /// YES price of the level.
    pub price: Price,
    /// Signed size change.
    pub delta: SignedCount,
    /// Exchange per-market clock, when known.
    pub clock: Option<u64>,
    /// Set when our own order caused the change.
    pub client_order_id: Option<String>,
}

/// A public trade on the tape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicTrade {
    /// Exchange trade id.
    pub trade_id: String,
    /// Market ticker.
    pub ticker: String,
    /// Execution YES price.
    pub yes_price: Price,
    /// Contracts traded.
    pub count: Count,
    /// The taker's side: `Bid` = taker bought YES, `Ask` = taker sold YES (bought NO).
    pub taker_side: BookSide,
    /// Trade time, Unix ns (0 when the payload carried none).
    pub ts_ns: i64,
}

/// Status of one of our orders, as the exchange reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExchangeOrderStatus {
    /// Resting (possibly partially filled).
    Resting,
    /// Cancelled (possibly after partial fills).
    Canceled,
    /// Fully filled.
    Executed,
    /// The exchange itself did not know.
    Unknown,
}

/// One execution of one of our orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnFill {
    /// Unique fill id (`fill_id`, or legacy `trade_id`).
    pub fill_id: String,
    /// Exchange order id.
    pub order_id: String,
    /// Our client order id, when the payload carried it.
    pub client_order_id: Option<String>,
    /// Market ticker.
    pub ticker: String,
    /// Our side of the book.
    pub side: BookSide,
    /// Execution YES price.
    pub yes_price: Price,
    /// Contracts filled.
    pub count: Count,
    /// Whether we took liquidity.
    pub is_taker: bool,
    /// Fee charged on this fill.
    pub fee: Money,
    /// Our signed position after the fill, when reported.
    pub post_position: Option<SignedCount>,
    /// Fill time, Unix ns.
    pub ts_ns: i64,
}

/// The exchange's view of one of our orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSnapshot {
    /// Exchange order id.
    pub order_id: String,
    /// Our client order id (`None` when empty on the wire).
    pub client_order_id: Option<String>,
    /// Market ticker.
    pub ticker: String,
    /// Side of the YES book.
    pub side: BookSide,
    /// Limit YES price.
    pub yes_price: Price,
    /// Resting, canceled, executed or unknown, as the exchange reports it.
    pub status: ExchangeOrderStatus,
    /// Contracts filled so far.
    pub fill_count: Count,
    /// Contracts still resting.
    pub remaining_count: Count,
    /// Contracts originally ordered, when reported.
    pub initial_count: Option<Count>,
    /// Why it last changed (`Trade`, `PostOnlyCrossCancel`, …), when reported.
    pub last_update_reason: Option<String>,
    /// Last update time, Unix ns (0 when unknown).
    pub ts_ns: i64,
}

/// Our position in one market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionSnapshot {
    /// Market ticker.
    pub ticker: String,
    /// Signed position: + YES contracts, − NO contracts.
    pub position: SignedCount,
    /// Cost of the current position.
    pub cost: Money,
    /// Realized profit and loss.
    pub realized_pnl: Money,
    /// Fees paid in this market.
    pub fees_paid: Money,
}

/// A market lifecycle change (`market_lifecycle_v2`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleChange {
    /// Market ticker.
    pub ticker: String,
    /// What happened.
    pub kind: LifecycleKind,
    /// New close time (created / close date updated), Unix ns.
    pub close_time_ns: Option<i64>,
    /// Result (determined).
    pub result: Option<MarketResult>,
    /// YES settlement value (determined).
    pub settlement_value: Option<Price>,
    /// New tick grid (price level structure updated).
    pub price_ranges: Vec<PriceRange>,
}

/// The kinds of lifecycle change Kalshi reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleKind {
    /// A new market.
    Created,
    /// Trading resumed.
    Activated,
    /// Trading paused.
    Deactivated,
    /// Close time moved.
    CloseDateUpdated,
    /// Result known.
    Determined,
    /// Paid out.
    Settled,
    /// Tick grid changed.
    PriceLevelStructureUpdated,
    /// Strike or titles changed.
    MetadataUpdated,
}

impl LifecycleKind {
    /// Parses Kalshi's `event_type`.
    pub fn from_wire(text: &str) -> Option<LifecycleKind> {
        Some(match text {
            "created" => LifecycleKind::Created,
            "activated" => LifecycleKind::Activated,
            "deactivated" => LifecycleKind::Deactivated,
            "close_date_updated" => LifecycleKind::CloseDateUpdated,
            "determined" => LifecycleKind::Determined,
            "settled" => LifecycleKind::Settled,
            "price_level_structure_updated" => LifecycleKind::PriceLevelStructureUpdated,
            "metadata_updated" => LifecycleKind::MetadataUpdated,
            _ => return None,
        })
    }
}
