//! REST history → engine inputs: a market's public trades, its 1-minute candlesticks (YES bid
//! and ask OHLC) and its result, converted into the events a live run would have seen. The
//! fetching is io's job (orchestrated by the CLI); this module is the pure conversion.
//!
//! - The market's listing comes first (at the earliest data time), so the engine knows it. It
//!   shows the market as it was then, not as fetched: active, its touch the first candle's
//!   closing bid and ask, its last price the first trade's, no result.
//! - Each candle becomes a one-level `BookSnapshot` at its period end with the close of the
//!   bid and ask series; level sizes are unknown in candles, so `assumed_level_size` is used.
//!   A side with no close is empty.
//! - Each trade becomes a `PublicTrade` at its time.
//! - A known result becomes a `Lifecycle` `Determined` event after the last data point.
//!
//! Order: by time; at equal times the snapshot precedes trades, trades keep their input order.

use serde::{Deserialize, Serialize};

use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{
    BookLevel, BookSnapshot, LifecycleChange, LifecycleKind, MarketInfo, MarketStatus, PublicTrade,
};
use kalshi_core::{BookSide, Count, Price};

/// Open, high, low and close of one price series over a candle (absent when the side was
/// empty all period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ohlc {
    /// First price.
    pub open: Price,
    /// Highest price.
    pub high: Price,
    /// Lowest price.
    pub low: Price,
    /// Last price.
    pub close: Price,
}

/// One 1-minute candlestick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryCandle {
    /// End of the period, Unix seconds.
    pub end_period_ts_s: i64,
    /// YES bid over the period.
    pub yes_bid: Option<Ohlc>,
    /// YES ask over the period.
    pub yes_ask: Option<Ohlc>,
    /// Contracts traded in the period.
    pub volume: Count,
}

/// One historical public trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryTrade {
    /// Exchange trade id.
    pub trade_id: String,
    /// Execution YES price.
    pub yes_price: Price,
    /// Contracts traded.
    pub count: Count,
    /// `Bid`: the taker bought YES.
    pub taker_side: BookSide,
    /// Trade time, Unix ns.
    pub created_ts_ns: i64,
}

/// A market's history as fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketHistory {
    /// The market (its `result` / `settlement_value`, when determined, settle the backtest).
    pub info: MarketInfo,
    /// Trades, any order.
    pub trades: Vec<HistoryTrade>,
    /// Candles, any order.
    pub candles: Vec<HistoryCandle>,
}

use kalshi_core::time::NS_PER_S;

/// Converts one market's history into envelopes (see the module documentation).
pub fn history_to_events(history: &MarketHistory, assumed_level_size: Count) -> Vec<Envelope> {
    let ticker = &history.info.ticker;
    // (ts, rank, input order, event): rank 0 snapshots, 1 trades.
    let mut rows: Vec<(i64, u8, usize, Event)> = Vec::new();
    for (index, candle) in history.candles.iter().enumerate() {
        let level = |ohlc: Option<Ohlc>| {
            ohlc.map(|ohlc| BookLevel {
                price: ohlc.close,
                size: assumed_level_size,
            })
            .into_iter()
            .collect()
        };
        rows.push((
            candle.end_period_ts_s.saturating_mul(NS_PER_S),
            0,
            index,
            Event::BookSnapshot(BookSnapshot {
                ticker: ticker.clone(),
                bids: level(candle.yes_bid),
                asks: level(candle.yes_ask),
                clock: None,
            }),
        ));
    }
    for (index, trade) in history.trades.iter().enumerate() {
        rows.push((
            trade.created_ts_ns,
            1,
            index,
            Event::PublicTrade(PublicTrade {
                trade_id: trade.trade_id.clone(),
                ticker: ticker.clone(),
                yes_price: trade.yes_price,
                count: trade.count,
                taker_side: trade.taker_side,
                ts_ns: trade.created_ts_ns,
            }),
        ));
    }
    rows.sort_by_key(|(ts_ns, rank, index, _)| (*ts_ns, *rank, *index));
    let first_ns = rows.first().map_or(0, |row| row.0);
    let last_ns = rows.last().map_or(first_ns, |row| row.0);
    let mut listing = history.info.clone();
    // The listing is fetched after the fact: its status, touch and last price describe the
    // market now (often settled, at 0 or 1), not at the start of the data. The engine must
    // see the market as it traded: active, quoted at the first candle, last traded at the
    // first trade; it learns the result from the lifecycle event at the end, not up front.
    listing.status = MarketStatus::Active;
    listing.result = None;
    listing.settlement_value = None;
    let first_candle = history
        .candles
        .iter()
        .min_by_key(|candle| candle.end_period_ts_s);
    let first_trade = history
        .trades
        .iter()
        .min_by_key(|trade| trade.created_ts_ns);
    listing.yes_bid = first_candle
        .and_then(|candle| candle.yes_bid)
        .map(|ohlc| ohlc.close);
    listing.yes_ask = first_candle
        .and_then(|candle| candle.yes_ask)
        .map(|ohlc| ohlc.close);
    listing.yes_bid_size = listing.yes_bid.map(|_| assumed_level_size);
    listing.yes_ask_size = listing.yes_ask.map(|_| assumed_level_size);
    listing.last_price = first_trade.map(|trade| trade.yes_price);
    let mut events = vec![(first_ns, Event::MarketListing(vec![listing]))];
    events.extend(rows.into_iter().map(|(ts_ns, _, _, event)| (ts_ns, event)));
    if let Some(result) = history.info.result {
        events.push((
            last_ns,
            Event::Lifecycle(LifecycleChange {
                ticker: ticker.clone(),
                kind: LifecycleKind::Determined,
                close_time_ns: None,
                result: Some(result),
                settlement_value: history.info.settlement_value,
                price_ranges: Vec::new(),
            }),
        ));
    }
    events
        .into_iter()
        .enumerate()
        .map(|(index, (ts_ns, event))| Envelope {
            seq: index as u64 + 1,
            ts_ns,
            event,
        })
        .collect()
}
