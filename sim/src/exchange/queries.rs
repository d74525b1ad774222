//! Read-only views: markets (filters + cursor pagination), order books, the trade tape,
//! candlesticks, events and series, plus exchange status; the query and view types of the
//! portfolio too, whose reads are in `portfolio.rs` (sharing the pagination helpers here).
//!
//! Cursors are opaque decimal strings naming the storage position to continue from; an empty
//! cursor in a page means "no more pages". Lists of orders, fills, trades and settlements are
//! newest first; markets, events and series are in creation order.

use kalshi_core::market_data::MarketStatus;
use kalshi_core::{Count, Price};
use serde::Serialize;

use super::account::Position;
use super::candles::MINUTE_NS;
use super::candles::{Candlestick, aggregate};
use super::error::ExchangeError;
use super::ids::format_uuid;
use super::market::{EventSpec, Market, MarketView, SeriesSpec, TapeTrade};
use super::order::OrderStatus;
use super::{Exchange, NS_PER_S, Trade};

/// Default page size.
pub const PAGE_LIMIT_DEFAULT: usize = 100;
/// Largest page size.
pub const PAGE_LIMIT_MAX: usize = 1000;
/// Most candles one request may return.
pub const CANDLES_MAX: usize = 10_000;
/// Nanoseconds in 24 hours.
const DAY_NS: i64 = 24 * 3600 * NS_PER_S;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// This page's items, in the listing's order.
    pub items: Vec<T>,
    /// Cursor for the next page; empty when there is none.
    pub cursor: String,
}

/// `status` filter of `GET /markets` and `GET /events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketStatusFilter {
    /// `unopened` → initialized.
    Unopened,
    /// `open` → active.
    Open,
    /// `paused` → inactive.
    Paused,
    /// `closed` → past close, not finalized.
    Closed,
    /// `settled` → finalized.
    Settled,
}

impl MarketStatusFilter {
    /// Parses the filter spelling (`unopened|open|paused|closed|settled`).
    pub fn from_wire(text: &str) -> Option<MarketStatusFilter> {
        match text {
            "unopened" => Some(MarketStatusFilter::Unopened),
            "open" => Some(MarketStatusFilter::Open),
            "paused" => Some(MarketStatusFilter::Paused),
            "closed" => Some(MarketStatusFilter::Closed),
            "settled" => Some(MarketStatusFilter::Settled),
            _ => None,
        }
    }

    /// True when a market in `status` matches.
    pub fn matches(self, status: MarketStatus) -> bool {
        match self {
            MarketStatusFilter::Unopened => status == MarketStatus::Initialized,
            MarketStatusFilter::Open => status == MarketStatus::Active,
            MarketStatusFilter::Paused => status == MarketStatus::Inactive,
            MarketStatusFilter::Closed => matches!(
                status,
                MarketStatus::Closed
                    | MarketStatus::Determined
                    | MarketStatus::Disputed
                    | MarketStatus::Amended
            ),
            MarketStatusFilter::Settled => status == MarketStatus::Finalized,
        }
    }
}

/// `GET /markets` query. Timestamps are Unix seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarketsQuery {
    /// Page size (0 or none = 100; at most 1000).
    pub limit: Option<usize>,
    /// Cursor from a previous page.
    pub cursor: Option<String>,
    /// Only this event.
    pub event_ticker: Option<String>,
    /// Only this series.
    pub series_ticker: Option<String>,
    /// Only these tickers (empty = all).
    pub tickers: Vec<String>,
    /// Status filter.
    pub status: Option<MarketStatusFilter>,
    /// Created at or after.
    pub min_created_ts: Option<i64>,
    /// Created at or before.
    pub max_created_ts: Option<i64>,
    /// Closing at or after.
    pub min_close_ts: Option<i64>,
    /// Closing at or before.
    pub max_close_ts: Option<i64>,
    /// Settled at or after.
    pub min_settled_ts: Option<i64>,
    /// Settled at or before.
    pub max_settled_ts: Option<i64>,
}

/// `GET /markets/trades` query. Timestamps are Unix seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradesQuery {
    /// Page size.
    pub limit: Option<usize>,
    /// Where to continue: the previous page's `cursor` (none: from the start).
    pub cursor: Option<String>,
    /// Only this market.
    pub ticker: Option<String>,
    /// At or after.
    pub min_ts: Option<i64>,
    /// At or before.
    pub max_ts: Option<i64>,
}

/// `GET /portfolio/orders` query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrdersQuery {
    /// Only this market.
    pub ticker: Option<String>,
    /// Only these events (empty = all).
    pub event_tickers: Vec<String>,
    /// Last updated at or after (Unix s).
    pub min_ts: Option<i64>,
    /// Last updated at or before (Unix s).
    pub max_ts: Option<i64>,
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// Page size.
    pub limit: Option<usize>,
    /// Where to continue: the previous page's `cursor` (none: from the start).
    pub cursor: Option<String>,
    /// Only this subaccount (none = all).
    pub subaccount: Option<u32>,
}

/// `GET /portfolio/fills` query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FillsQuery {
    /// Only these markets (empty = all).
    pub tickers: Vec<String>,
    /// Only this order.
    pub order_id: Option<String>,
    /// At or after (Unix s).
    pub min_ts: Option<i64>,
    /// At or before (Unix s).
    pub max_ts: Option<i64>,
    /// Page size.
    pub limit: Option<usize>,
    /// Where to continue: the previous page's `cursor` (none: from the start).
    pub cursor: Option<String>,
    /// Only this subaccount (none = all).
    pub subaccount: Option<u32>,
}

/// `settlement_status` of `GET /portfolio/positions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SettlementStatusFilter {
    /// Not yet settled (default).
    #[default]
    Unsettled,
    /// Settled only.
    Settled,
    /// Both.
    All,
}

/// `GET /portfolio/positions` query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PositionsQuery {
    /// Only this market.
    pub ticker: Option<String>,
    /// Only this event.
    pub event_ticker: Option<String>,
    /// Settled/unsettled filter.
    pub settlement_status: SettlementStatusFilter,
    /// Keep only rows with a non-zero position.
    pub nonzero_position: bool,
    /// Keep only rows with non-zero traded value.
    pub nonzero_total_traded: bool,
    /// Subaccount (default 0).
    pub subaccount: u32,
    /// Page size.
    pub limit: Option<usize>,
    /// Where to continue: the previous page's `cursor` (none: from the start).
    pub cursor: Option<String>,
}

/// `GET /portfolio/settlements` query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettlementsQuery {
    /// Only this market.
    pub ticker: Option<String>,
    /// Only this event.
    pub event_ticker: Option<String>,
    /// At or after (Unix s).
    pub min_ts: Option<i64>,
    /// At or before (Unix s).
    pub max_ts: Option<i64>,
    /// Subaccount (default 0).
    pub subaccount: u32,
    /// Page size.
    pub limit: Option<usize>,
    /// Where to continue: the previous page's `cursor` (none: from the start).
    pub cursor: Option<String>,
}

/// `GET /events` query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsQuery {
    /// Page size (default and maximum 200).
    pub limit: Option<usize>,
    /// Where to continue: the previous page's `cursor` (none: from the start).
    pub cursor: Option<String>,
    /// Only events with at least one market in this status.
    pub status: Option<MarketStatusFilter>,
    /// Only this series.
    pub series_ticker: Option<String>,
}

/// A book as `GET …/orderbook` and the WS snapshot report it: bids only, ascending by price,
/// NO bids in NO terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderbookView {
    /// The market whose book this is.
    pub ticker: String,
    /// Per-market clock of the newest change included.
    pub clock: u64,
    /// YES bids `(price, size)`, ascending (best last).
    pub yes: Vec<(Price, Count)>,
    /// NO bids `(NO price, size)`, ascending (best last).
    pub no: Vec<(Price, Count)>,
}

/// A position row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PositionView {
    /// The market held.
    pub ticker: String,
    /// The event that market belongs to.
    pub event_ticker: String,
    /// The subaccount's position in that market.
    pub position: Position,
}

/// An event with its markets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventView {
    /// The event as it was listed.
    pub spec: EventSpec,
    /// Its market tickers in creation order.
    pub market_tickers: Vec<String>,
}

/// One order's place in its queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuePosition {
    /// The resting order.
    pub order_id: String,
    /// The market it rests in.
    pub market_ticker: String,
    /// Contracts ahead of it at its price.
    pub queue_position: Count,
}

/// `GET /exchange/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExchangeStatus {
    /// False during an exchange pause.
    pub exchange_active: bool,
    /// False during a trading pause.
    pub trading_active: bool,
}

pub(super) fn page_limit(
    limit: Option<usize>,
    max: usize,
    default: usize,
) -> Result<usize, ExchangeError> {
    match limit {
        None | Some(0) => Ok(default),
        Some(n) if n > max => Err(ExchangeError::invalid_parameters(format!(
            "limit {n} exceeds the maximum of {max}"
        ))),
        Some(n) => Ok(n),
    }
}

pub(super) fn parse_cursor(cursor: Option<&str>) -> Result<Option<usize>, ExchangeError> {
    match cursor {
        None | Some("") => Ok(None),
        Some(text) => text.parse::<usize>().map(Some).map_err(|_| {
            ExchangeError::invalid_parameters(format!("cursor {text:?} is not valid"))
        }),
    }
}

fn seconds_to_ns(seconds: Option<i64>) -> Option<i64> {
    seconds.map(|s| s.saturating_mul(NS_PER_S))
}

pub(super) fn in_range(ts_ns: i64, min_s: Option<i64>, max_s: Option<i64>) -> bool {
    seconds_to_ns(min_s).is_none_or(|min| ts_ns >= min)
        && max_s.is_none_or(|max| ts_ns < max.saturating_add(1).saturating_mul(NS_PER_S))
}

/// The public form of a kept trade of `market`.
fn public_trade(market: &Market, tape: &TapeTrade) -> Trade {
    Trade {
        trade_id: format_uuid(tape.trade_id),
        ticker: market.spec.ticker.clone(),
        yes_price: tape.yes_price,
        count: tape.count,
        taker_side: tape.taker_side,
        ts_ns: tape.ts_ns,
    }
}

/// Contracts `market` traded after `since_ns`: from its kept trades, and where those do not
/// reach back that far (a busy market keeps only its last trades), from its minute candles
/// for the minutes between. The minute that contains `since_ns` is then left out (its
/// trades cannot be split at `since_ns`).
fn volume_since(market: &Market, since_ns: i64) -> Count {
    let mut volume = Count::ZERO;
    for trade in market.trades.iter().rev() {
        if trade.ts_ns <= since_ns {
            return volume;
        }
        volume = volume + trade.count;
    }
    let Some(oldest) = market.trades.front() else {
        return volume;
    };
    if market.trades.len() < super::TRADES_PER_MARKET_MAX {
        // Nothing was dropped: the kept trades are all the market's trades.
        return volume;
    }
    let since_minute = since_ns.div_euclid(MINUTE_NS);
    let oldest_minute = oldest.ts_ns.div_euclid(MINUTE_NS);
    for candle in market.candles.iter().rev() {
        if candle.minute <= since_minute {
            break;
        }
        if candle.minute > oldest_minute {
            continue;
        }
        if candle.minute < oldest_minute {
            volume = volume + candle.volume;
            continue;
        }
        // The oldest kept trade's minute: add what was traded in it before that trade.
        let kept: Count = market
            .trades
            .iter()
            .take_while(|t| t.ts_ns.div_euclid(MINUTE_NS) == oldest_minute)
            .fold(Count::ZERO, |sum, t| sum + t.count);
        volume = volume + candle.volume.saturating_sub(kept);
    }
    volume
}

/// Collects up to `limit` matching positions walking `positions` (already in list order)
/// from the cursor; the next cursor is the storage position after the last item taken.
pub(super) fn paginate<T>(
    positions: impl Iterator<Item = usize>,
    start_after: Option<usize>,
    ascending: bool,
    limit: usize,
    mut take: impl FnMut(usize) -> Option<T>,
) -> Page<T> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    for position in positions {
        if let Some(start) = start_after {
            let skip = if ascending {
                position < start
            } else {
                position > start
            };
            if skip {
                continue;
            }
        }
        if let Some(item) = take(position) {
            if items.len() == limit {
                cursor = position.to_string();
                break;
            }
            items.push(item);
        }
    }
    Page { items, cursor }
}

impl Exchange {
    /// `GET /markets`.
    pub fn markets(&self, query: &MarketsQuery) -> Result<Page<MarketView>, ExchangeError> {
        let limit = page_limit(query.limit, PAGE_LIMIT_MAX, PAGE_LIMIT_DEFAULT)?;
        let created = query.min_created_ts.is_some() || query.max_created_ts.is_some();
        let close = query.min_close_ts.is_some() || query.max_close_ts.is_some();
        let settled = query.min_settled_ts.is_some() || query.max_settled_ts.is_some();
        if [created, close, settled]
            .iter()
            .filter(|&&family| family)
            .count()
            > 1
        {
            return Err(ExchangeError::invalid_parameters(
                "timestamp filter families cannot be combined",
            ));
        }
        use MarketStatusFilter as F;
        let status_ok = match query.status {
            None => true,
            Some(F::Unopened | F::Open) => !close && !settled,
            Some(F::Closed) => !created && !settled,
            Some(F::Settled) => !created && !close,
            Some(F::Paused) => !created && !close && !settled,
        };
        if !status_ok {
            return Err(ExchangeError::invalid_parameters(
                "this timestamp filter cannot be combined with this status",
            ));
        }
        let start = parse_cursor(query.cursor.as_deref())?;
        let candidates: Vec<usize> = if !query.tickers.is_empty() {
            let mut found: Vec<usize> = query
                .tickers
                .iter()
                .filter_map(|t| self.market_index.get(t))
                .map(|&i| i as usize)
                .collect();
            found.sort_unstable();
            found.dedup();
            found
        } else if let Some(event) = query.event_ticker.as_deref() {
            self.event_index
                .get(event)
                .map(|&e| {
                    self.event_markets[e as usize]
                        .iter()
                        .map(|&m| m as usize)
                        .collect()
                })
                .unwrap_or_default()
        } else {
            (0..self.markets.len()).collect()
        };
        Ok(paginate(candidates.into_iter(), start, true, limit, |i| {
            let m = &self.markets[i];
            let series_ticker = &self.series[m.series as usize].ticker;
            let keep = query
                .event_ticker
                .as_deref()
                .is_none_or(|e| e == m.spec.event_ticker)
                && query
                    .series_ticker
                    .as_deref()
                    .is_none_or(|s| s == series_ticker)
                && query.status.is_none_or(|f| f.matches(m.status))
                && in_range(
                    m.spec.created_ns,
                    query.min_created_ts,
                    query.max_created_ts,
                )
                && in_range(m.spec.close_ns, query.min_close_ts, query.max_close_ts)
                && (!settled
                    || m.settled_ns
                        .is_some_and(|t| in_range(t, query.min_settled_ts, query.max_settled_ts)));
            keep.then(|| self.market_view(i))
        }))
    }

    /// `GET /markets/{ticker}`.
    pub fn market(&self, ticker: &str) -> Result<MarketView, ExchangeError> {
        Ok(self.market_view(self.market_idx(ticker)? as usize))
    }

    fn market_view(&self, index: usize) -> MarketView {
        let m = &self.markets[index];
        let series = &self.series[m.series as usize];
        let volume_24h = volume_since(m, self.now_ns - DAY_NS);
        MarketView {
            spec: m.spec.clone(),
            series_ticker: series.ticker.clone(),
            status: m.status,
            yes_bid: m.book.best_bid(),
            yes_ask: m.book.best_ask(),
            last_price: m.last_price,
            volume: m.volume,
            volume_24h,
            open_interest: m.open_interest,
            result: m.result,
            settlement_value: m.settlement_value,
            determined_ns: m.determined_ns,
            settled_ns: m.settled_ns,
            updated_ns: m.updated_ns,
            fee: kalshi_core::market_data::FeeParams {
                fee_type: m.fee.fee_type().as_str().to_string(),
                multiplier_ppm: m.fee.multiplier_ppm(),
            },
        }
    }

    /// `GET /markets/{ticker}/orderbook`: `depth` 0 = all levels, else the N best per side.
    pub fn orderbook(&self, ticker: &str, depth: usize) -> Result<OrderbookView, ExchangeError> {
        let m = &self.markets[self.market_idx(ticker)? as usize];
        let mut yes = m.book.levels(kalshi_core::BookSide::Bid);
        let mut no: Vec<(Price, Count)> = m
            .book
            .levels(kalshi_core::BookSide::Ask)
            .into_iter()
            .rev()
            .map(|(p, size)| (p.complement(), size))
            .collect();
        if depth > 0 {
            yes = yes.split_off(yes.len().saturating_sub(depth));
            no = no.split_off(no.len().saturating_sub(depth));
        }
        Ok(OrderbookView {
            ticker: ticker.to_string(),
            clock: m.clock,
            yes,
            no,
        })
    }

    /// `GET /markets/trades`: newest first. Each market keeps its last
    /// [`super::TRADES_PER_MARKET_MAX`] trades; the cursor is the tape position (`seq`) of
    /// the next trade.
    pub fn trades(&self, query: &TradesQuery) -> Result<Page<Trade>, ExchangeError> {
        let limit = page_limit(query.limit, PAGE_LIMIT_MAX, PAGE_LIMIT_DEFAULT)?;
        let start = parse_cursor(query.cursor.as_deref())?.map(|s| s as u64);
        let markets: Vec<&Market> = match query.ticker.as_deref() {
            Some(ticker) => vec![&self.markets[self.market_idx(ticker)? as usize]],
            None => self.markets.iter().collect(),
        };
        // Newest first over all chosen markets: a merge of each market's tape (each is in
        // execution order), starting at the cursor.
        let mut heads: std::collections::BinaryHeap<(u64, usize, usize)> = markets
            .iter()
            .enumerate()
            .filter_map(|(k, m)| {
                let end = match start {
                    Some(s) => m.trades.partition_point(|t| t.seq <= s),
                    None => m.trades.len(),
                };
                end.checked_sub(1).map(|at| (m.trades[at].seq, k, at))
            })
            .collect();
        let mut items = Vec::new();
        let mut cursor = String::new();
        while let Some((seq, k, at)) = heads.pop() {
            let market = markets[k];
            let tape = &market.trades[at];
            if let Some(next) = at.checked_sub(1) {
                heads.push((market.trades[next].seq, k, next));
            }
            if !in_range(tape.ts_ns, query.min_ts, query.max_ts) {
                continue;
            }
            if items.len() == limit {
                cursor = seq.to_string();
                break;
            }
            items.push(public_trade(market, tape));
        }
        Ok(Page { items, cursor })
    }

    /// `GET …/candlesticks`: `period_minutes` ∈ {1, 60, 1440}; candles whose period ends in
    /// `[start_s, end_s]`.
    pub fn candlesticks(
        &self,
        ticker: &str,
        start_s: i64,
        end_s: i64,
        period_minutes: i64,
    ) -> Result<Vec<Candlestick>, ExchangeError> {
        if ![1, 60, 1440].contains(&period_minutes) {
            return Err(ExchangeError::invalid_parameters(
                "period_interval must be 1, 60 or 1440",
            ));
        }
        if end_s < start_s {
            return Err(ExchangeError::invalid_parameters(
                "end_ts is before start_ts",
            ));
        }
        let periods = (end_s - start_s) / (60 * period_minutes);
        if usize::try_from(periods).map_or(true, |p| p > CANDLES_MAX) {
            return Err(ExchangeError::invalid_parameters(format!(
                "the range holds more than {CANDLES_MAX} candles"
            )));
        }
        let m = &self.markets[self.market_idx(ticker)? as usize];
        Ok(aggregate(&m.candles, period_minutes, start_s, end_s))
    }

    /// `GET /series`.
    pub fn series_list(&self) -> Vec<SeriesSpec> {
        self.series.clone()
    }

    /// `GET /series/{ticker}`.
    pub fn series(&self, ticker: &str) -> Result<SeriesSpec, ExchangeError> {
        self.series_index
            .get(ticker)
            .map(|&i| self.series[i as usize].clone())
            .ok_or_else(|| ExchangeError::SeriesNotFound {
                ticker: ticker.to_string(),
            })
    }

    /// `GET /events`.
    pub fn events(&self, query: &EventsQuery) -> Result<Page<EventView>, ExchangeError> {
        let limit = page_limit(query.limit, 200, 200)?;
        let start = parse_cursor(query.cursor.as_deref())?;
        Ok(paginate(0..self.events.len(), start, true, limit, |i| {
            let spec = &self.events[i];
            let markets = &self.event_markets[i];
            let keep = query
                .series_ticker
                .as_deref()
                .is_none_or(|s| s == spec.series_ticker)
                && query.status.is_none_or(|f| {
                    markets
                        .iter()
                        .any(|&m| f.matches(self.markets[m as usize].status))
                });
            keep.then(|| self.event_view(i))
        }))
    }

    /// `GET /events/{ticker}`: the event and its markets.
    pub fn event(&self, ticker: &str) -> Result<(EventView, Vec<MarketView>), ExchangeError> {
        let i = *self
            .event_index
            .get(ticker)
            .ok_or_else(|| ExchangeError::EventNotFound {
                ticker: ticker.to_string(),
            })? as usize;
        let markets = self.event_markets[i]
            .iter()
            .map(|&m| self.market_view(m as usize))
            .collect();
        Ok((self.event_view(i), markets))
    }

    fn event_view(&self, i: usize) -> EventView {
        EventView {
            spec: self.events[i].clone(),
            market_tickers: self.event_markets[i]
                .iter()
                .map(|&m| self.markets[m as usize].spec.ticker.clone())
                .collect(),
        }
    }

    /// `GET /exchange/status`.
    pub fn exchange_status(&self) -> ExchangeStatus {
        ExchangeStatus {
            exchange_active: self.exchange_active,
            trading_active: self.trading_active,
        }
    }

    /// Every market ticker in creation order.
    pub fn market_tickers(&self) -> Vec<String> {
        self.markets.iter().map(|m| m.spec.ticker.clone()).collect()
    }
}
