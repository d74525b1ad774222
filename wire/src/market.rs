//! Market listings: `GET /markets` pages, `GET /markets/{ticker}`, the `Market` object in
//! both dialects (2025 integer cents, 2026 `_dollars` / `_fp` strings, and the dual era).
//!
//! Every field except `ticker` is optional: real captures omit fields the spec marks as
//! required, and add fields the spec does not list (those are ignored).

use kalshi_core::fixed::{Count, Price};
use serde::{Deserialize, Serialize};

use super::numbers::opt;

/// One market (`Market` in the spec), either dialect.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Market {
    /// Market ticker.
    pub ticker: String,
    /// Parent event ticker.
    #[serde(default)]
    pub event_ticker: String,
    /// `binary` or `scalar`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_type: Option<String>,
    /// Title (deprecated by Kalshi, still sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Subtitle (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// Short YES label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_sub_title: Option<String>,
    /// Short NO label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_sub_title: Option<String>,
    /// `initialized`, `active`, `inactive`, `closed`, `determined`, `disputed`, `amended`, `finalized`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// RFC 3339 time of the last metadata change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_time: Option<String>,
    /// RFC 3339 opening time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_time: Option<String>,
    /// RFC 3339 closing time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_time: Option<String>,
    /// RFC 3339 expected expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_expiration_time: Option<String>,
    /// RFC 3339 expiry (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<String>,
    /// RFC 3339 latest possible expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_expiration_time: Option<String>,
    /// RFC 3339 time the underlying occurs, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence_datetime: Option<String>,
    /// Delay from determination to settlement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_timer_seconds: Option<i64>,
    /// Best YES bid (2026 dialect).
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_bid_dollars: Option<Price>,
    /// Size at the best YES bid.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_bid_size_fp: Option<Count>,
    /// Best YES ask (= 1 − best NO bid).
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_ask_dollars: Option<Price>,
    /// Size at the best YES ask.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_ask_size_fp: Option<Count>,
    /// Best NO bid.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub no_bid_dollars: Option<Price>,
    /// Best NO ask.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub no_ask_dollars: Option<Price>,
    /// Last traded YES price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_price_dollars: Option<Price>,
    /// YES bid about 24 h ago.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_yes_bid_dollars: Option<Price>,
    /// YES ask about 24 h ago.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_yes_ask_dollars: Option<Price>,
    /// Last price about 24 h ago.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_price_dollars: Option<Price>,
    /// Contracts traded, all time.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_fp: Option<Count>,
    /// Contracts traded in 24 h.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_24h_fp: Option<Count>,
    /// Contracts outstanding.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub open_interest_fp: Option<Count>,
    /// Payout of one contract (normally 1).
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub notional_value_dollars: Option<Price>,
    /// YES settlement value once determined.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub settlement_value_dollars: Option<Price>,
    /// Legacy best YES bid in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_bid: Option<i64>,
    /// Legacy best YES ask in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_ask: Option<i64>,
    /// Legacy best NO bid in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_bid: Option<i64>,
    /// Legacy best NO ask in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_ask: Option<i64>,
    /// Legacy last price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_price: Option<i64>,
    /// Legacy whole-contract volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<i64>,
    /// Legacy whole-contract 24 h volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_24h: Option<i64>,
    /// Legacy whole-contract open interest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_interest: Option<i64>,
    /// Legacy settlement value in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_value: Option<i64>,
    /// Legacy tick size in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick_size: Option<i64>,
    /// Legacy price unit marker (`usd_cent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_price_units: Option<String>,
    /// `yes`, `no`, `scalar`, or empty until determined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Whether the market may close early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_close_early: Option<bool>,
    /// How the strike is defined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strike_type: Option<String>,
    /// Tick-grid family, e.g. `linear_cent`, `deci_cent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_level_structure: Option<String>,
    /// The authoritative tick grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_ranges: Option<Vec<WirePriceRange>>,
    /// Whether fractional contract counts are allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fractional_trading_enabled: Option<bool>,
    /// May be removed after determination if untraded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_provisional: Option<bool>,
    /// Multivariate collection (combo markets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mve_collection_ticker: Option<String>,
    /// The value considered for settlement (empty until determined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_value: Option<String>,
    /// Plain-language main market terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_primary: Option<String>,
    /// Plain-language secondary market terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_secondary: Option<String>,
    /// Which settlement bounds apply: `default` (none) or `floor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_bounds_type: Option<String>,
    /// Exchange shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// One `{start, end, step}` band of a market's tick grid, as dollar strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WirePriceRange {
    /// Lowest price of the band.
    pub start: Price,
    /// Highest price of the band.
    pub end: Price,
    /// Tick size within the band.
    pub step: Price,
}

/// A `GET /markets` page. One entry that does not decode (a price of 1.5, a count that is not
/// a number) is left out and named in `unreadable` instead of failing the whole page, so one
/// bad market cannot stop a listing of thousands.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct MarketsPage {
    /// The markets that decoded.
    pub markets: Vec<Market>,
    /// Cursor of the next page; empty or absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// The entries left out: `ticker: why` (`?` when the entry has no readable ticker).
    #[serde(skip)]
    pub unreadable: Vec<String>,
}

impl<'de> Deserialize<'de> for MarketsPage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct RawPage {
            #[serde(default)]
            markets: Vec<Box<serde_json::value::RawValue>>,
            #[serde(default)]
            cursor: Option<String>,
        }
        let raw = RawPage::deserialize(deserializer)?;
        let mut page = MarketsPage {
            markets: Vec::with_capacity(raw.markets.len()),
            cursor: raw.cursor,
            unreadable: Vec::new(),
        };
        for entry in raw.markets {
            match serde_json::from_str::<Market>(entry.get()) {
                Ok(market) => page.markets.push(market),
                Err(error) => {
                    let ticker = serde_json::from_str::<serde_json::Value>(entry.get())
                        .ok()
                        .and_then(|value| value.get("ticker")?.as_str().map(str::to_string))
                        .unwrap_or_else(|| "?".to_string());
                    page.unreadable.push(format!("{ticker}: {error}"));
                }
            }
        }
        Ok(page)
    }
}

/// `GET /markets/{ticker}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketResponse {
    /// The market's listing, status and prices.
    pub market: Market,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_market_that_does_not_decode_is_left_out_of_its_page_by_name() {
        let body = r#"{"cursor": "next", "markets": [
            {"ticker": "KXGOOD-1", "yes_bid_dollars": "0.4500"},
            {"ticker": "KXBAD-1", "yes_bid_dollars": "1.5000"},
            {"yes_bid_dollars": 7},
            {"ticker": "KXGOOD-2", "yes_ask_dollars": "0.5500"}
        ]}"#;
        let page: MarketsPage = serde_json::from_str(body).unwrap();
        let tickers: Vec<&str> = page.markets.iter().map(|m| m.ticker.as_str()).collect();
        assert_eq!(tickers, ["KXGOOD-1", "KXGOOD-2"]);
        assert_eq!(page.cursor.as_deref(), Some("next"));
        assert_eq!(page.unreadable.len(), 2);
        assert!(
            page.unreadable[0].starts_with("KXBAD-1: "),
            "{:?}",
            page.unreadable
        );
        assert!(
            page.unreadable[1].starts_with("?: "),
            "{:?}",
            page.unreadable
        );
        // Serializing never shows the left-out list.
        let text = serde_json::to_string(&page).unwrap();
        assert!(!text.contains("unreadable"), "{text}");
    }
}
