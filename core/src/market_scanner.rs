//! The market scanner: which listed markets are worth quoting, ranked.
//!
//! A pure function of the listings (`GET /markets` pages, never one orderbook request per
//! market), optional live state per market, a [`ScannerConfig`], the set of tickers we must
//! keep (open positions or resting orders), and `now_ns` (the CLI's `--as-of`). Every market
//! ends up in exactly one of [`ScanReport::ranked`] or [`ScanReport::dropped`], with reason
//! codes saying why.
//!
//! Filters, in the order their reasons are listed:
//! 1. status is `active` ([`ScanReason::NotActive`]);
//! 2. 24 h volume ≥ `volume_24h_min` ([`ScanReason::LowVolume24h`]);
//! 3. open interest ≥ `open_interest_min` ([`ScanReason::LowOpenInterest`]);
//! 4. a two-sided, uncrossed quote on a valid tick grid ([`ScanReason::NoTwoSidedQuote`],
//!    [`ScanReason::CrossedQuote`], [`ScanReason::InvalidTickGrid`]), with spread ≤
//!    `spread_ticks_max` ticks and ≤ `spread_micros_max` ([`ScanReason::WideSpreadTicks`],
//!    [`ScanReason::WideSpreadDollars`]);
//! 5. a known close time at least `time_to_close_min_ns` away ([`ScanReason::NoCloseTime`],
//!    [`ScanReason::ClosingSoon`]);
//! 6. not near-resolved: close further than `near_resolved_close_within_ns`
//!    ([`ScanReason::NearResolvedTime`]) and best bid, best ask and last price all more than
//!    `near_resolved_margin_micros` from 0 and 1 ([`ScanReason::NearResolvedPrice`]);
//! 7. recently active: ≥ `recent_trades_min` trades in the last `recent_window_ns`
//!    ([`ScanReason::TooFewRecentTrades`]); when the tape does not cover the window the reason
//!    is [`ScanReason::NoTradeData`], which passes or fails per `pass_without_trade_data`;
//! 8. priceable: fee parameters that are present but unusable (unreadable, an unknown fee
//!    type) drop the market ([`ScanReason::FeeUnknown`]); a listing without any (older
//!    journals, imported data) is priced with the default schedule.
//!
//! A caller that read trade histories and failed for some markets marks them with
//! [`ScanReport::mark_trades_unreadable`] ([`ScanReason::TradesUnreadable`]).
//!
//! A market in the keep set is never dropped: it is ranked with [`ScanReason::KeptHeld`]
//! first, followed by any filters it failed.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::fees::FeeSchedule;
use crate::fixed::{Count, MICROS_PER_DOLLAR, Price};
use crate::liquidity::{LiquidityInputs, liquidity_score, maker_ease_score};
use crate::market_data::{MarketInfo, MarketStatus};
use crate::market_state::MarketState;
use crate::tick_grid::TickGrid;
use crate::universe::Universe;
pub use crate::vocab::scanner::{RankBy, ScanReason, ScannerConfig};

/// Where a row's quotes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteSource {
    /// The live book (valid at scan time).
    LiveBook,
    /// The listing's `yes_bid` / `yes_ask` fields.
    Listing,
}

/// One market's line in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRow {
    /// Market ticker.
    pub ticker: String,
    /// Human title.
    pub title: String,
    /// Trading status.
    pub status: MarketStatus,
    /// Best YES bid.
    pub yes_bid: Option<Price>,
    /// Best YES ask.
    pub yes_ask: Option<Price>,
    /// Last traded YES price (live tape, else the listing).
    pub last_price: Option<Price>,
    /// Size at the best bid.
    pub bid_size: Count,
    /// Size at the best ask.
    pub ask_size: Count,
    /// Ask minus bid, micro-dollars.
    pub spread_micros: Option<i64>,
    /// Ask minus bid in ticks of the market's grid.
    pub spread_ticks: Option<i64>,
    /// Contracts traded in the last 24 h.
    pub volume_24h: Count,
    /// Contracts outstanding.
    pub open_interest: Count,
    /// Nanoseconds until close at `now_ns`.
    pub time_to_close_ns: Option<i64>,
    /// Trades in the recent window (a lower bound when the tape is incomplete).
    pub recent_trade_count: Option<u32>,
    /// See [`liquidity_score`].
    pub liquidity_score: f64,
    /// See [`maker_ease_score`].
    pub maker_ease_score: f64,
    /// Where the quotes came from.
    pub quote_source: QuoteSource,
    /// Why the market is where it is.
    pub reasons: Vec<ScanReason>,
}

/// The scanner's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// Markets worth quoting (and kept markets), best first.
    pub ranked: Vec<ScanRow>,
    /// Markets filtered out, by ticker.
    pub dropped: Vec<ScanRow>,
}

impl ScanReport {
    /// Drops the markets of `tickers` (not in `keep`) with [`ScanReason::TradesUnreadable`]:
    /// their trade history could not be read, so they do not pass the recently-active filter
    /// by default. Kept markets stay ranked with the reason added.
    pub fn mark_trades_unreadable(&mut self, tickers: &BTreeSet<String>, keep: &BTreeSet<String>) {
        let mut moved = Vec::new();
        self.ranked.retain_mut(|row| {
            if !tickers.contains(&row.ticker) {
                return true;
            }
            row.reasons.push(ScanReason::TradesUnreadable);
            if keep.contains(&row.ticker) {
                return true;
            }
            row.reasons.retain(|reason| *reason != ScanReason::Passed);
            moved.push(row.clone());
            false
        });
        for row in &mut self.dropped {
            if tickers.contains(&row.ticker) {
                row.reasons.push(ScanReason::TradesUnreadable);
            }
        }
        self.dropped.extend(moved);
        self.dropped.sort_by(|a, b| a.ticker.cmp(&b.ticker));
    }
}

/// One market to scan: its listing, plus live state when the engine has it.
#[derive(Debug, Clone, Copy)]
pub struct ScanInput<'a> {
    /// The listing.
    pub info: &'a MarketInfo,
    /// Live state (book, trades); its book is used only when valid.
    pub live: Option<&'a MarketState>,
}

/// Scans listings alone (no live books or trades).
pub fn scan_listings(
    listings: &[MarketInfo],
    keep: &BTreeSet<String>,
    config: &ScannerConfig,
    now_ns: i64,
) -> ScanReport {
    let inputs: Vec<ScanInput<'_>> = listings
        .iter()
        .map(|info| ScanInput { info, live: None })
        .collect();
    scan(&inputs, keep, config, now_ns)
}

/// The markets whose trades are worth reading for the recently-active filter: the best
/// `max` of `listings` by every other filter (the listing's quotes, nothing live), best
/// first.
pub fn activity_candidates(
    listings: &[MarketInfo],
    config: &ScannerConfig,
    now_ns: i64,
    max: usize,
) -> Vec<String> {
    let without_activity = ScannerConfig {
        require_recent_trades: false,
        ..*config
    };
    scan_listings(listings, &BTreeSet::new(), &without_activity, now_ns)
        .ranked
        .into_iter()
        .take(max)
        .map(|row| row.ticker)
        .collect()
}

/// Scans every market of a universe with its live state.
pub fn scan_universe(
    universe: &Universe,
    keep: &BTreeSet<String>,
    config: &ScannerConfig,
    now_ns: i64,
) -> ScanReport {
    let inputs: Vec<ScanInput<'_>> = universe
        .iter()
        .map(|(_, state)| ScanInput {
            info: state.info(),
            live: Some(state),
        })
        .collect();
    scan(&inputs, keep, config, now_ns)
}

/// Filters and ranks `inputs`. Deterministic: the output depends only on the arguments.
pub fn scan(
    inputs: &[ScanInput<'_>],
    keep: &BTreeSet<String>,
    config: &ScannerConfig,
    now_ns: i64,
) -> ScanReport {
    let mut ranked = Vec::new();
    let mut dropped = Vec::new();
    for input in inputs {
        let mut row = evaluate(input, config, now_ns);
        let failed = row.reasons.iter().any(|reason| reason.is_failure());
        if keep.contains(&row.ticker) {
            row.reasons.insert(0, ScanReason::KeptHeld);
            ranked.push(row);
        } else if failed {
            dropped.push(row);
        } else {
            row.reasons.insert(0, ScanReason::Passed);
            ranked.push(row);
        }
    }
    ranked.sort_by(|a, b| compare_rows(a, b, config.rank_by));
    dropped.sort_by(|a, b| a.ticker.cmp(&b.ticker));
    ScanReport { ranked, dropped }
}

struct Quote {
    bid: Option<Price>,
    ask: Option<Price>,
    bid_size: Count,
    ask_size: Count,
    source: QuoteSource,
}

fn quote_of(input: &ScanInput<'_>) -> Quote {
    if let Some(live) = input.live {
        let book = live.book();
        if book.is_valid() {
            let bid = book.best_bid();
            let ask = book.best_ask();
            return Quote {
                bid: bid.map(|level| level.price),
                ask: ask.map(|level| level.price),
                bid_size: bid.map_or(Count::ZERO, |level| level.size),
                ask_size: ask.map_or(Count::ZERO, |level| level.size),
                source: QuoteSource::LiveBook,
            };
        }
    }
    let info = input.info;
    // Listings show an empty side as bid 0 / ask 1.
    let bid = info.yes_bid.filter(|price| *price > Price::ZERO);
    let ask = info.yes_ask.filter(|price| *price < Price::ONE);
    Quote {
        bid,
        ask,
        bid_size: bid.and(info.yes_bid_size).unwrap_or(Count::ZERO),
        ask_size: ask.and(info.yes_ask_size).unwrap_or(Count::ZERO),
        source: QuoteSource::Listing,
    }
}

fn evaluate(input: &ScanInput<'_>, config: &ScannerConfig, now_ns: i64) -> ScanRow {
    let info = input.info;
    let mut reasons = Vec::new();
    if info.status != MarketStatus::Active {
        reasons.push(ScanReason::NotActive);
    }
    if info.volume_24h < config.volume_24h_min {
        reasons.push(ScanReason::LowVolume24h);
    }
    if info.open_interest < config.open_interest_min {
        reasons.push(ScanReason::LowOpenInterest);
    }
    // Listings without fee parameters (older journals, imported data) are priced with the
    // default schedule; parameters that are present but unusable are not priced at all.
    if info
        .fee
        .as_ref()
        .is_some_and(|fee| FeeSchedule::from_params(fee).is_err())
    {
        reasons.push(ScanReason::FeeUnknown);
    }

    let quote = quote_of(input);
    let grid = match input.live {
        Some(live) => live.tick_grid().ok().cloned(),
        None => TickGrid::for_market(&info.price_ranges, None).ok(),
    };
    let mut spread_micros = None;
    let mut spread_ticks = None;
    match (quote.bid, quote.ask) {
        (Some(bid), Some(ask)) if bid >= ask => reasons.push(ScanReason::CrossedQuote),
        (Some(bid), Some(ask)) => {
            let micros = ask.micros() - bid.micros();
            spread_micros = Some(micros);
            match &grid {
                Some(grid) => {
                    let ticks = grid.ticks_between(bid, ask);
                    spread_ticks = Some(ticks);
                    if config.spread_ticks_max.is_some_and(|max| ticks > max) {
                        reasons.push(ScanReason::WideSpreadTicks);
                    }
                }
                None => reasons.push(ScanReason::InvalidTickGrid),
            }
            if config.spread_micros_max.is_some_and(|max| micros > max) {
                reasons.push(ScanReason::WideSpreadDollars);
            }
        }
        _ => reasons.push(ScanReason::NoTwoSidedQuote),
    }

    let time_to_close_ns = info
        .close_time_ns
        .map(|close_ns| close_ns.saturating_sub(now_ns));
    match time_to_close_ns {
        None => reasons.push(ScanReason::NoCloseTime),
        Some(remaining_ns) => {
            if remaining_ns < config.time_to_close_min_ns {
                reasons.push(ScanReason::ClosingSoon);
            }
            if remaining_ns < config.near_resolved_close_within_ns {
                reasons.push(ScanReason::NearResolvedTime);
            }
        }
    }
    let margin = config.near_resolved_margin_micros;
    let near_edge =
        |price: Price| price.micros() <= margin || price.micros() >= MICROS_PER_DOLLAR - margin;
    let last_price = input
        .live
        .and_then(|live| live.last_trade().map(|trade| trade.yes_price))
        .or(info.last_price);
    if [quote.bid, quote.ask, last_price]
        .into_iter()
        .flatten()
        .any(near_edge)
    {
        reasons.push(ScanReason::NearResolvedPrice);
    }

    let recent = input
        .live
        .map(|live| live.trades_in_window(now_ns, config.recent_window_ns));
    let recent_trade_count = recent.map(|stats| stats.trade_count);
    if config.require_recent_trades {
        match recent {
            Some(stats) if stats.trade_count >= config.recent_trades_min => {}
            Some(stats) if stats.complete => reasons.push(ScanReason::TooFewRecentTrades),
            _ => {
                if !config.pass_without_trade_data {
                    reasons.push(ScanReason::NoTradeData);
                }
            }
        }
    }

    let score_inputs = LiquidityInputs {
        recent_trade_count,
        spread_ticks,
        volume_24h: info.volume_24h,
        bid_size: quote.bid_size,
        ask_size: quote.ask_size,
    };
    ScanRow {
        ticker: info.ticker.clone(),
        title: info.title.clone(),
        status: info.status,
        yes_bid: quote.bid,
        yes_ask: quote.ask,
        last_price,
        bid_size: quote.bid_size,
        ask_size: quote.ask_size,
        spread_micros,
        spread_ticks,
        volume_24h: info.volume_24h,
        open_interest: info.open_interest,
        time_to_close_ns,
        recent_trade_count,
        liquidity_score: liquidity_score(&score_inputs, &config.weights),
        maker_ease_score: maker_ease_score(&score_inputs, &config.weights),
        quote_source: quote.source,
        reasons,
    }
}

fn compare_rows(a: &ScanRow, b: &ScanRow, rank_by: RankBy) -> Ordering {
    let liquidity = b.liquidity_score.total_cmp(&a.liquidity_score);
    let maker_ease = b.maker_ease_score.total_cmp(&a.maker_ease_score);
    // Unknown spread sorts after any known one.
    let tightness = a
        .spread_ticks
        .unwrap_or(i64::MAX)
        .cmp(&b.spread_ticks.unwrap_or(i64::MAX))
        .then_with(|| b.bid_size.min(b.ask_size).cmp(&a.bid_size.min(a.ask_size)));
    let primary = match rank_by {
        RankBy::Liquidity => liquidity.then(maker_ease).then(tightness),
        RankBy::MakerEase => maker_ease.then(liquidity).then(tightness),
        RankBy::Tightness => tightness.then(liquidity).then(maker_ease),
    };
    primary.then_with(|| a.ticker.cmp(&b.ticker))
}
