//! Candlesticks: `GET /series/{s}/markets/{t}/candlesticks` and the batch form.

use kalshi_core::fixed::{Count, Price};
use serde::{Deserialize, Serialize};

use super::numbers::opt;

/// Open/high/low/close of a quote (YES bid or ask) over one period.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QuoteOhlc {
    /// Opening value.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub open_dollars: Option<Price>,
    /// Highest value.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub high_dollars: Option<Price>,
    /// Lowest value.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub low_dollars: Option<Price>,
    /// Closing value.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub close_dollars: Option<Price>,
    /// Legacy opening value in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<i64>,
    /// Legacy highest value in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<i64>,
    /// Legacy lowest value in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<i64>,
    /// Legacy closing value in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close: Option<i64>,
}

/// Trade-price statistics over one period (null fields when nothing traded).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TradePriceOhlc {
    /// First trade price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub open_dollars: Option<Price>,
    /// Highest trade price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub high_dollars: Option<Price>,
    /// Lowest trade price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub low_dollars: Option<Price>,
    /// Last trade price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub close_dollars: Option<Price>,
    /// Mean trade price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mean_dollars: Option<Price>,
    /// Close of the previous period.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_dollars: Option<Price>,
    /// Minimum trade price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub min_dollars: Option<Price>,
    /// Maximum trade price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_dollars: Option<Price>,
    /// Legacy first trade price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<i64>,
    /// Legacy highest trade price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<i64>,
    /// Legacy lowest trade price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<i64>,
    /// Legacy last trade price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close: Option<i64>,
    /// Legacy previous close in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<i64>,
}

/// One candle (`MarketCandlestick`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Candlestick {
    /// Unix seconds of the (inclusive) end of the period.
    pub end_period_ts: i64,
    /// YES bid statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_bid: Option<QuoteOhlc>,
    /// YES ask statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_ask: Option<QuoteOhlc>,
    /// Trade price statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<TradePriceOhlc>,
    /// Contracts traded in the period.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_fp: Option<Count>,
    /// Open interest at the end of the period.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub open_interest_fp: Option<Count>,
    /// Legacy whole-contract volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<i64>,
    /// Legacy whole-contract open interest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_interest: Option<i64>,
}

/// `GET /series/{s}/markets/{t}/candlesticks`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CandlesticksResponse {
    /// Market ticker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticker: Option<String>,
    /// The candles, oldest first.
    #[serde(default)]
    pub candlesticks: Vec<Candlestick>,
}

/// One market's candles in the batch response.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MarketCandlesticks {
    /// Ticker of the market these candles belong to.
    pub market_ticker: String,
    /// The candles.
    #[serde(default)]
    pub candlesticks: Vec<Candlestick>,
}

/// `GET /markets/candlesticks`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BatchCandlesticksResponse {
    /// Candles per market.
    #[serde(default)]
    pub markets: Vec<MarketCandlesticks>,
}
