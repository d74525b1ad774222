//! Series, events and markets: their static definitions (specs) and each market's live state.

use std::collections::{BTreeSet, VecDeque};

use kalshi_core::market_data::{FeeParams, MarketResult, MarketStatus, PriceRange};
use kalshi_core::tick_grid::TickGrid;
use kalshi_core::{Count, Price};
use serde::Serialize;

use super::account::AccountKey;
use super::book::Book;
use super::candles::MinuteCandle;
use super::ids::RawId;
use kalshi_core::side::BookSide;

use kalshi_core::fees::FeeSchedule;
pub use kalshi_core::fees::FeeType;

/// A series (recurring template).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesSpec {
    /// Series ticker, e.g. `KXHIGHNY`.
    pub ticker: String,
    /// Human title shown in listings, e.g. "Highest temperature in NYC".
    pub title: String,
    /// Kalshi category it is listed under, e.g. "Crypto".
    pub category: String,
    /// Free-text frequency (`daily`, `weekly`, …).
    pub frequency: String,
    /// Fee schedule.
    pub fee_type: FeeType,
    /// Fee multiplier in parts per million (1.0 = 1_000_000).
    pub fee_multiplier_ppm: i64,
}

/// An event (one instance of a series).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventSpec {
    /// Event ticker, e.g. `KXHIGHNY-26NOV30`.
    pub ticker: String,
    /// Parent series ticker.
    pub series_ticker: String,
    /// Human title, the series' title plus the date code.
    pub title: String,
    /// Short subtitle (`sub_title` on the wire); the date code in generated catalogs.
    pub sub_title: String,
    /// Whether its markets are mutually exclusive.
    pub mutually_exclusive: bool,
    /// Fee type overriding the series' (`fee_type_override`), if set.
    pub fee_type_override: Option<FeeType>,
    /// Fee multiplier overriding the series' (`fee_multiplier_override`), ppm, if set.
    pub fee_multiplier_override_ppm: Option<i64>,
}

/// A scheduled change of a series' fee parameters (`GET /series/fee_changes`), relative to
/// the exchange start. Markets of events that override a parameter keep the override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesFeeChangeSpec {
    /// Ticker of the series whose fees change.
    pub series_ticker: String,
    /// When the change takes effect, ns after the exchange start.
    pub after_start_ns: i64,
    /// The series' new fee type.
    pub fee_type: FeeType,
    /// The series' new fee multiplier, ppm.
    pub fee_multiplier_ppm: i64,
}

/// A scheduled series fee change as the exchange lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesFeeChangeView {
    /// Change id.
    pub id: String,
    /// Ticker of the series whose fees change.
    pub series_ticker: String,
    /// The series' new fee type.
    pub fee_type: FeeType,
    /// The series' new fee multiplier, ppm.
    pub fee_multiplier_ppm: i64,
    /// When it takes effect, Unix ns.
    pub scheduled_ns: i64,
}

/// A market definition. Times are Unix ns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarketSpec {
    /// Market ticker, e.g. `KXHIGHNY-26NOV30-T42`.
    pub ticker: String,
    /// Parent event ticker (must exist).
    pub event_ticker: String,
    /// The question the market asks, shown in listings.
    pub title: String,
    /// Short YES label.
    pub yes_sub_title: String,
    /// Short NO label.
    pub no_sub_title: String,
    /// Created, Unix ns.
    pub created_ns: i64,
    /// Trading opens, Unix ns.
    pub open_ns: i64,
    /// Trading closes, Unix ns.
    pub close_ns: i64,
    /// Delay from close to determination (simulator-only knob), ns.
    pub determination_delay_ns: i64,
    /// Delay from determination to settlement (`settlement_timer_seconds`).
    pub settlement_timer_s: i64,
    /// `price_level_structure` name.
    pub price_level_structure: String,
    /// The authoritative tick grid.
    pub price_ranges: Vec<PriceRange>,
    /// Whether fractional counts (hundredths) are accepted.
    pub fractional_trading: bool,
    /// Whether it may close early.
    pub can_close_early: bool,
    /// `strike_type` (`greater`, `less`, `between`, …).
    pub strike_type: String,
    /// Lower strike, when any.
    pub floor_strike: Option<i64>,
    /// Upper strike, when any.
    pub cap_strike: Option<i64>,
    /// Result to determine; `None` lets the synthetic flow's latent probability decide.
    pub forced_result: Option<MarketResult>,
}

/// Live state of one market.
#[derive(Debug, Clone)]
pub(crate) struct Market {
    pub(crate) spec: MarketSpec,
    pub(crate) series: u32,
    /// Parent event index.
    pub(crate) event: u32,
    /// The fee schedule in force: the event's overrides, else the series' current values.
    pub(crate) fee: FeeSchedule,
    pub(crate) grid: TickGrid,
    pub(crate) status: MarketStatus,
    pub(crate) book: Book,
    /// Per-market exchange clock: bumped once per action that changes the book.
    pub(crate) clock: u64,
    /// The action that last bumped `clock` (several deltas of one action share a clock).
    pub(crate) clock_action: u64,
    pub(crate) last_price: Option<Price>,
    pub(crate) last_trade_size: Count,
    pub(crate) volume: Count,
    pub(crate) open_interest: Count,
    pub(crate) result: Option<MarketResult>,
    pub(crate) settlement_value: Option<Price>,
    pub(crate) determined_ns: Option<i64>,
    pub(crate) settled_ns: Option<i64>,
    pub(crate) updated_ns: i64,
    /// The market's most recent trades, oldest first, at most
    /// [`super::TRADES_PER_MARKET_MAX`].
    pub(crate) trades: VecDeque<TapeTrade>,
    pub(crate) candles: Vec<MinuteCandle>,
    /// Accounts that ever held a position here (settlement walks them).
    pub(crate) holders: BTreeSet<AccountKey>,
    /// A quiet market: no synthetic flow (see `CatalogConfig::quiet_share_ppm`).
    pub(crate) quiet: bool,
}

/// One trade as the market keeps it: 56 bytes, no heap (the ticker is the market's, the id
/// is kept as its bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TapeTrade {
    /// Position on the exchange-wide tape: 0, 1, 2, … in execution order (the page cursor).
    pub(crate) seq: u64,
    /// Trade id bits.
    pub(crate) trade_id: RawId,
    /// Execution YES price.
    pub(crate) yes_price: Price,
    /// Contracts traded.
    pub(crate) count: Count,
    /// The taker's side of the YES book.
    pub(crate) taker_side: BookSide,
    /// Time, Unix ns.
    pub(crate) ts_ns: i64,
}

impl Market {
    pub(crate) fn new(
        spec: MarketSpec,
        series: u32,
        event: u32,
        fee: FeeSchedule,
        grid: TickGrid,
    ) -> Market {
        let updated_ns = spec.created_ns;
        Market {
            spec,
            series,
            event,
            fee,
            grid,
            status: MarketStatus::Initialized,
            book: Book::default(),
            clock: 0,
            clock_action: 0,
            last_price: None,
            last_trade_size: Count::ZERO,
            volume: Count::ZERO,
            open_interest: Count::ZERO,
            result: None,
            settlement_value: None,
            determined_ns: None,
            settled_ns: None,
            updated_ns,
            trades: VecDeque::new(),
            candles: Vec::new(),
            holders: BTreeSet::new(),
            quiet: false,
        }
    }
}

/// A market as `GET /markets` reports it (static definition plus live fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarketView {
    /// The definition.
    pub spec: MarketSpec,
    /// Ticker of the series its event belongs to.
    pub series_ticker: String,
    /// Trading status now (initialized, active, closed, determined, finalized, …).
    pub status: MarketStatus,
    /// Best YES bid and size.
    pub yes_bid: Option<(Price, Count)>,
    /// Best YES ask (= 1 − best NO bid) and size.
    pub yes_ask: Option<(Price, Count)>,
    /// Last traded YES price.
    pub last_price: Option<Price>,
    /// Contracts traded, all time.
    pub volume: Count,
    /// Contracts traded in the 24 h before the query time.
    pub volume_24h: Count,
    /// Contracts outstanding.
    pub open_interest: Count,
    /// Result once determined.
    pub result: Option<MarketResult>,
    /// YES settlement value once determined.
    pub settlement_value: Option<Price>,
    /// Determination time, Unix ns.
    pub determined_ns: Option<i64>,
    /// Settlement time, Unix ns.
    pub settled_ns: Option<i64>,
    /// Last non-trading change, Unix ns.
    pub updated_ns: i64,
    /// Fee parameters from the series.
    pub fee: FeeParams,
}

impl MarketView {
    /// Best NO bid (= 1 − best YES ask).
    pub fn no_bid(&self) -> Option<Price> {
        self.yes_ask.map(|(p, _)| p.complement())
    }

    /// Best NO ask (= 1 − best YES bid).
    pub fn no_ask(&self) -> Option<Price> {
        self.yes_bid.map(|(p, _)| p.complement())
    }
}
