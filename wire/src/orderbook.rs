//! Order books: REST `GET /markets/{ticker}/orderbook` (2026 `orderbook_fp` and the legacy
//! `orderbook` with integer cents) and the batch `GET /markets/orderbooks`.
//!
//! Only bids are sent: `yes` levels are bids for YES, `no` levels are bids for NO priced in NO
//! terms. `io::normalize` turns them into one YES book.

use kalshi_core::fixed::{Count, Price};
use serde::{Deserialize, Serialize};

/// One `[price, size]` level in dollars and contracts (`["0.0100","7100.00"]`; numbers
/// accepted too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceLevel(pub Price, pub Count);

/// One legacy `[price_cents, whole_contracts]` level (`[1, 200]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentsLevel(pub i64, pub i64);

/// The 2026 book: dollar/fixed-point levels per side (bids only).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderbookFp {
    /// Bids for YES at YES prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_dollars: Option<Vec<PriceLevel>>,
    /// Bids for NO at NO prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_dollars: Option<Vec<PriceLevel>>,
}

/// The pre-2026 `orderbook` object: cents levels, with dollar twins in the dual era.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LegacyOrderbook {
    /// Bids for YES, `[cents, contracts]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes: Option<Vec<CentsLevel>>,
    /// Bids for NO, `[cents, contracts]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no: Option<Vec<CentsLevel>>,
    /// Dual-era dollar twin of `yes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_dollars: Option<Vec<PriceLevel>>,
    /// Dual-era dollar twin of `no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_dollars: Option<Vec<PriceLevel>>,
}

/// `GET /markets/{ticker}/orderbook`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderbookResponse {
    /// The 2026 form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orderbook_fp: Option<OrderbookFp>,
    /// The legacy form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orderbook: Option<LegacyOrderbook>,
}

/// One entry of the batch orderbook response.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TickerOrderbook {
    /// Market ticker.
    pub ticker: String,
    /// The 2026 form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orderbook_fp: Option<OrderbookFp>,
    /// The legacy form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orderbook: Option<LegacyOrderbook>,
}

/// `GET /markets/orderbooks`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderbooksResponse {
    /// One book per requested ticker.
    #[serde(default)]
    pub orderbooks: Vec<TickerOrderbook>,
}
