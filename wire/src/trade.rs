//! The public tape: `GET /markets/trades` pages.

use kalshi_core::fixed::{Count, Price};
use kalshi_core::side::{BookSide, OutcomeSide};
use serde::{Deserialize, Serialize};

use super::numbers::opt;

/// One public trade, either dialect.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Trade {
    /// Exchange trade id.
    pub trade_id: String,
    /// Market ticker.
    pub ticker: String,
    /// Contracts traded (2026).
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub count_fp: Option<Count>,
    /// YES execution price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_price_dollars: Option<Price>,
    /// NO execution price (1 − YES).
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub no_price_dollars: Option<Price>,
    /// Legacy whole-contract count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Legacy YES price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_price: Option<i64>,
    /// Legacy NO price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_price: Option<i64>,
    /// Taker's side of the YES book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_book_side: Option<BookSide>,
    /// Outcome the taker became long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_outcome_side: Option<OutcomeSide>,
    /// Deprecated duplicate of `taker_outcome_side`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_side: Option<OutcomeSide>,
    /// Off-book block trade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_block_trade: Option<bool>,
    /// RFC 3339 trade time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
}

/// A `GET /markets/trades` page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TradesPage {
    /// The trades.
    #[serde(default)]
    pub trades: Vec<Trade>,
    /// Cursor of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}
