//! Minute candles per market, updated in O(1) at the end of every action that touches the
//! market, and aggregated on demand into 1-, 60- and 1440-minute candlesticks.

use kalshi_core::{Count, Price};
use serde::Serialize;

/// Nanoseconds in one minute.
pub(crate) const MINUTE_NS: i64 = 60_000_000_000;

/// Open/high/low/close of a price series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ohlc {
    /// First value of the period.
    pub open: Price,
    /// Highest value.
    pub high: Price,
    /// Lowest value.
    pub low: Price,
    /// Last value.
    pub close: Price,
}

impl Ohlc {
    fn new(price: Price) -> Ohlc {
        Ohlc {
            open: price,
            high: price,
            low: price,
            close: price,
        }
    }

    fn update(&mut self, price: Price) {
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
    }

    fn merge(&mut self, later: &Ohlc) {
        self.high = self.high.max(later.high);
        self.low = self.low.min(later.low);
        self.close = later.close;
    }
}

/// Trade-price statistics of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TradePrices {
    /// Open/high/low/close of trade YES prices.
    pub ohlc: Ohlc,
    /// Volume-weighted mean YES price.
    pub mean: Price,
    /// Σ price × count (micro-dollars × hundredths), for the mean.
    #[serde(skip)]
    pub(crate) notional: i128,
    /// Σ count in hundredths.
    #[serde(skip)]
    pub(crate) count_centi: i64,
}

impl TradePrices {
    fn new(price: Price, count: Count) -> TradePrices {
        TradePrices {
            ohlc: Ohlc::new(price),
            mean: price,
            notional: i128::from(price.micros()) * i128::from(count.centi()),
            count_centi: count.centi(),
        }
    }

    fn add(&mut self, price: Price, count: Count) {
        self.ohlc.update(price);
        self.notional += i128::from(price.micros()) * i128::from(count.centi());
        self.count_centi += count.centi();
        self.mean = self.recompute_mean();
    }

    fn merge(&mut self, later: &TradePrices) {
        self.ohlc.merge(&later.ohlc);
        self.notional += later.notional;
        self.count_centi += later.count_centi;
        self.mean = self.recompute_mean();
    }

    fn recompute_mean(&self) -> Price {
        if self.count_centi <= 0 {
            return self.ohlc.close;
        }
        let count = i128::from(self.count_centi);
        let mean = (self.notional + count / 2) / count;
        Price::from_micros(i64::try_from(mean).unwrap_or(0)).unwrap_or(self.ohlc.close)
    }
}

/// One minute of one market.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MinuteCandle {
    /// Unix minute (ts_ns / MINUTE_NS) this candle covers.
    pub(crate) minute: i64,
    pub(crate) yes_bid: Ohlc,
    pub(crate) yes_ask: Ohlc,
    pub(crate) trades: Option<TradePrices>,
    pub(crate) volume: Count,
    pub(crate) open_interest: Count,
}

/// A candlestick as `GET …/candlesticks` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candlestick {
    /// Inclusive end of the period, Unix seconds.
    pub end_period_ts: i64,
    /// Best YES bid over the period (0 when the side was empty).
    pub yes_bid: Ohlc,
    /// Best YES ask over the period (1 when the side was empty).
    pub yes_ask: Ohlc,
    /// Trade prices, `None` when nothing traded.
    pub price: Option<TradePrices>,
    /// Close of the last earlier period's trades (`previous_dollars`).
    pub previous_price: Option<Price>,
    /// Contracts traded in the period.
    pub volume: Count,
    /// Open interest at the period's end.
    pub open_interest: Count,
}

/// Records the market's top of book (and a trade, if any) into its minute candles.
pub(crate) fn record(
    candles: &mut Vec<MinuteCandle>,
    now_ns: i64,
    yes_bid: Price,
    yes_ask: Price,
    trade: Option<(Price, Count)>,
    open_interest: Count,
) {
    let minute = now_ns.div_euclid(MINUTE_NS);
    let needs_new = candles.last().is_none_or(|last| last.minute != minute);
    if needs_new {
        let cap = super::CANDLE_MINUTES_MAX;
        if candles.len() >= cap {
            let excess = candles.len() + 1 - cap;
            candles.drain(..excess);
        } else if candles.len() == candles.capacity() {
            // Grow by doubling, but never past the bound (plain doubling would reserve 2,048).
            let grow = candles.len().max(4).min(cap - candles.len());
            candles.reserve_exact(grow);
        }
        candles.push(MinuteCandle {
            minute,
            yes_bid: Ohlc::new(yes_bid),
            yes_ask: Ohlc::new(yes_ask),
            trades: None,
            volume: Count::ZERO,
            open_interest,
        });
    }
    let Some(candle) = candles.last_mut() else {
        return;
    };
    candle.yes_bid.update(yes_bid);
    candle.yes_ask.update(yes_ask);
    candle.open_interest = open_interest;
    if let Some((price, count)) = trade {
        candle.volume = candle.volume + count;
        match candle.trades.as_mut() {
            Some(trades) => trades.add(price, count),
            None => candle.trades = Some(TradePrices::new(price, count)),
        }
    }
}

/// Aggregates minute candles into periods of `period_minutes` whose end lies in
/// `[start_s, end_s]`. Periods without any recorded minute carry the previous close of the
/// book forward and report no trades; periods before the first recorded minute are skipped.
pub(crate) fn aggregate(
    candles: &[MinuteCandle],
    period_minutes: i64,
    start_s: i64,
    end_s: i64,
) -> Vec<Candlestick> {
    let mut out: Vec<Candlestick> = Vec::new();
    let mut last_bid: Option<Price> = None;
    let mut last_ask: Option<Price> = None;
    let mut last_trade: Option<Price> = None;
    let mut open_interest = Count::ZERO;
    let mut index = 0;
    let Some(first) = candles.first() else {
        return out;
    };
    let first_period = first.minute.div_euclid(period_minutes);
    let last_period = end_s.div_euclid(60 * period_minutes);
    let mut period = first_period;
    while period <= last_period {
        let period_end_minute = (period + 1) * period_minutes;
        let end_period_ts = period_end_minute * 60;
        let mut bid: Option<Ohlc> = None;
        let mut ask: Option<Ohlc> = None;
        let mut trades: Option<TradePrices> = None;
        let mut volume = Count::ZERO;
        let previous_price = last_trade;
        while index < candles.len() && candles[index].minute < period_end_minute {
            let candle = &candles[index];
            merge_into(&mut bid, &candle.yes_bid);
            merge_into(&mut ask, &candle.yes_ask);
            if let Some(t) = candle.trades.as_ref() {
                match trades.as_mut() {
                    Some(existing) => existing.merge(t),
                    None => trades = Some(*t),
                }
            }
            volume = volume + candle.volume;
            open_interest = candle.open_interest;
            index += 1;
        }
        let bid = bid
            .or_else(|| last_bid.map(Ohlc::new))
            .unwrap_or(Ohlc::new(Price::ZERO));
        let ask = ask
            .or_else(|| last_ask.map(Ohlc::new))
            .unwrap_or(Ohlc::new(Price::ONE));
        last_bid = Some(bid.close);
        last_ask = Some(ask.close);
        if let Some(t) = trades.as_ref() {
            last_trade = Some(t.ohlc.close);
        }
        if end_period_ts >= start_s && end_period_ts <= end_s {
            out.push(Candlestick {
                end_period_ts,
                yes_bid: bid,
                yes_ask: ask,
                price: trades,
                previous_price,
                volume,
                open_interest,
            });
        }
        period += 1;
    }
    out
}

fn merge_into(target: &mut Option<Ohlc>, later: &Ohlc) {
    match target.as_mut() {
        Some(existing) => existing.merge(later),
        None => *target = Some(*later),
    }
}
