//! Events (with nested markets) and series (with fee parameters).

use std::fmt;

use kalshi_core::fixed::{Count, FixedPointError, Money};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::market::Market;
use super::numbers::{WireTime, opt};

/// One event (`EventData`), optionally with its markets nested.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Event {
    /// Event ticker, e.g. `KXHIGHNY-26NOV30`; market tickers start with it.
    pub event_ticker: String,
    /// Parent series ticker.
    #[serde(default)]
    pub series_ticker: String,
    /// Human title shown in listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Short subtitle under the title (often a date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_title: Option<String>,
    /// Category (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// `MECNET`, `DIRECNET` or empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collateral_return_type: Option<String>,
    /// Whether exactly one market resolves YES.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutually_exclusive: Option<bool>,
    /// Strike date (RFC 3339 text or Unix seconds), when the event has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strike_date: Option<WireTime>,
    /// Strike period text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strike_period: Option<String>,
    /// Nested markets (`with_nested_markets=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markets: Option<Vec<Market>>,
    /// Official sources for determining the event's markets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_sources: Option<Vec<SettlementSource>>,
    /// Event-level fee type overriding the series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_type_override: Option<String>,
    /// Event-level fee multiplier overriding the series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_multiplier_override: Option<FeeMultiplier>,
    /// RFC 3339 time of the last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_ts: Option<String>,
    /// Exchange shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// One official source used to determine markets (`SettlementSource`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SettlementSource {
    /// Name of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where it is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A `GET /events` page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EventsPage {
    /// Events of this page; follow `cursor` for more.
    #[serde(default)]
    pub events: Vec<Event>,
    /// Cursor of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// `GET /events/{event_ticker}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventResponse {
    /// The event, with its markets nested when asked for.
    pub event: Event,
    /// Its markets (deprecated top-level list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markets: Option<Vec<Market>>,
}

/// One series (`Series`): the recurring template events come from, and its fees.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Series {
    /// Series ticker.
    pub ticker: String,
    /// Human title shown in listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Kalshi's category (`Economics`, `Crypto`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Free-text frequency (`daily`, `hourly`, `custom`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<String>,
    /// Free-text tags Kalshi attaches for discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// `quadratic`, `quadratic_with_maker_fees`, `quadratic_with_combo_maker_fees` or `flat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_type: Option<String>,
    /// Multiplier applied to the fee schedule (1 = standard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_multiplier: Option<FeeMultiplier>,
    /// Discovery categories (may be empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// Official sources for determining the series' markets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_sources: Option<Vec<SettlementSource>>,
    /// Additional trading prohibitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_prohibitions: Option<Vec<String>>,
    /// Contract document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_url: Option<String>,
    /// Contract terms document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_terms_url: Option<String>,
    /// Contracts traded across the series.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_fp: Option<Count>,
    /// RFC 3339 time of the last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_ts: Option<String>,
    /// Exchange shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// `GET /series/{series_ticker}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesResponse {
    /// The series, with its fee type and settlement sources.
    pub series: Series,
}

/// `GET /series`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SeriesList {
    /// Every series matching the filters (not paginated).
    #[serde(default)]
    pub series: Vec<Series>,
}

/// One scheduled series fee change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesFeeChange {
    /// Change id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Ticker of the series whose fees change.
    #[serde(default)]
    pub series_ticker: String,
    /// New fee type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_type: Option<String>,
    /// New fee multiplier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_multiplier: Option<FeeMultiplier>,
    /// RFC 3339 time the change applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_ts: Option<String>,
}

/// `GET /series/fee_changes`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SeriesFeeChangesResponse {
    /// The scheduled changes.
    #[serde(default)]
    pub series_fee_change_arr: Vec<SeriesFeeChange>,
}

/// A fee multiplier (`fee_multiplier`, a JSON number such as `1` or `0.5`), held exactly in
/// parts per million.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeeMultiplier {
    /// The multiplier × 1,000,000 (1.0 = 1_000_000).
    pub ppm: i64,
}

impl FeeMultiplier {
    /// The standard multiplier, 1.
    pub const ONE: FeeMultiplier = FeeMultiplier { ppm: 1_000_000 };

    fn from_decimal(
        parsed: Result<Money, FixedPointError>,
    ) -> Result<FeeMultiplier, FixedPointError> {
        // A six-decimal amount in micro-units is exactly parts per million.
        parsed.map(|value| FeeMultiplier {
            ppm: value.micros(),
        })
    }
}

impl Serialize for FeeMultiplier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.ppm % 1_000_000 == 0 {
            serializer.serialize_i64(self.ppm / 1_000_000)
        } else {
            // Kalshi sends this field as a JSON number; a ratio with at most six decimals
            // round-trips exactly through the shortest float representation.
            #[allow(clippy::cast_precision_loss)]
            serializer.serialize_f64(self.ppm as f64 / 1_000_000.0)
        }
    }
}

impl<'de> Deserialize<'de> for FeeMultiplier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FeeMultiplier, D::Error> {
        struct MultiplierVisitor;

        impl Visitor<'_> for MultiplierVisitor {
            type Value = FeeMultiplier;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a fee multiplier (number or decimal string)")
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<FeeMultiplier, E> {
                value
                    .checked_mul(1_000_000)
                    .map(|ppm| FeeMultiplier { ppm })
                    .ok_or_else(|| E::custom(format!("fee multiplier {value} is too large")))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<FeeMultiplier, E> {
                let value = i64::try_from(value)
                    .map_err(|_| E::custom(format!("fee multiplier {value} is too large")))?;
                self.visit_i64(value)
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<FeeMultiplier, E> {
                FeeMultiplier::from_decimal(Money::from_f64(value)).map_err(E::custom)
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<FeeMultiplier, E> {
                FeeMultiplier::from_decimal(Money::parse(text)).map_err(E::custom)
            }
        }

        deserializer.deserialize_any(MultiplierVisitor)
    }
}
