//! Tolerant readers for optional fixed-point fields and timestamps.
//!
//! Real payloads carry a fixed-point field as a string (`"0.5600"`), a JSON number (`0.56`),
//! `null`, or even an empty string (`"maker_fill_cost_dollars": ""` in January 2026 order
//! responses). These helpers read all of them into `Option<T>`: absent, `null` and `""` become
//! `None`; anything else must parse exactly or the whole payload is refused.
//!
//! Use as `#[serde(default, deserialize_with = "numbers::opt", skip_serializing_if =
//! "Option::is_none")]`.

use std::fmt;
use std::marker::PhantomData;

use kalshi_core::fixed::{Count, FixedPointError, Money, Price, SignedCount};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A fixed-point type that can be read from wire text or a JSON number.
pub trait WireNumber: Sized {
    /// What the field holds, for error messages.
    const EXPECTING: &'static str;
    /// Parses decimal text.
    fn parse_text(text: &str) -> Result<Self, FixedPointError>;
    /// Parses a JSON float exactly via its shortest decimal form.
    fn parse_float(value: f64) -> Result<Self, FixedPointError>;
    /// Builds the value from a whole JSON integer (dollars or contracts, not cents).
    fn from_whole(value: i64) -> Result<Self, FixedPointError>;
}

impl WireNumber for Price {
    const EXPECTING: &'static str = "a dollar price (string or number)";
    fn parse_text(text: &str) -> Result<Self, FixedPointError> {
        Price::parse(text)
    }
    fn parse_float(value: f64) -> Result<Self, FixedPointError> {
        Price::from_f64(value)
    }
    fn from_whole(value: i64) -> Result<Self, FixedPointError> {
        Price::from_micros(value.saturating_mul(1_000_000))
    }
}

impl WireNumber for Count {
    const EXPECTING: &'static str = "a contract count (string or number)";
    fn parse_text(text: &str) -> Result<Self, FixedPointError> {
        Count::parse(text)
    }
    fn parse_float(value: f64) -> Result<Self, FixedPointError> {
        Count::from_f64(value)
    }
    fn from_whole(value: i64) -> Result<Self, FixedPointError> {
        Count::from_contracts(value)
    }
}

impl WireNumber for SignedCount {
    const EXPECTING: &'static str = "a signed contract count (string or number)";
    fn parse_text(text: &str) -> Result<Self, FixedPointError> {
        SignedCount::parse(text)
    }
    fn parse_float(value: f64) -> Result<Self, FixedPointError> {
        SignedCount::from_f64(value)
    }
    fn from_whole(value: i64) -> Result<Self, FixedPointError> {
        value
            .checked_mul(100)
            .map(SignedCount::from_centi)
            .ok_or_else(|| FixedPointError::Overflow {
                text: format!("{value} contracts"),
            })
    }
}

impl WireNumber for Money {
    const EXPECTING: &'static str = "a dollar amount (string or number)";
    fn parse_text(text: &str) -> Result<Self, FixedPointError> {
        Money::parse(text)
    }
    fn parse_float(value: f64) -> Result<Self, FixedPointError> {
        Money::from_f64(value)
    }
    fn from_whole(value: i64) -> Result<Self, FixedPointError> {
        value
            .checked_mul(1_000_000)
            .map(Money::from_micros)
            .ok_or_else(|| FixedPointError::Overflow {
                text: format!("{value} dollars"),
            })
    }
}

struct OptionalNumber<T>(PhantomData<T>);

impl<'de, T: WireNumber> Visitor<'de> for OptionalNumber<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Option<T>, E> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        T::parse_text(text).map(Some).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Option<T>, E> {
        T::from_whole(value).map(Some).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Option<T>, E> {
        let value = i64::try_from(value).map_err(|_| E::custom(format!("{value} is too large")))?;
        T::from_whole(value).map(Some).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Option<T>, E> {
        T::parse_float(value).map(Some).map_err(E::custom)
    }
}

/// Reads an optional fixed-point field: absent, `null` or `""` ⇒ `None`.
pub fn opt<'de, D: Deserializer<'de>, T: WireNumber>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    deserializer.deserialize_option(OptionalNumber(PhantomData))
}

/// A timestamp field that Kalshi sends either as Unix seconds (`"ts": 1770897976`) or as an
/// RFC 3339 string (`"ts": "2026-07-01T02:31:45.308599Z"` on orderbook deltas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireTime {
    /// Whole Unix seconds.
    UnixSeconds(i64),
    /// RFC 3339 text, parsed on demand with [`crate::time::parse_rfc3339_ns`].
    Text(String),
}

impl WireTime {
    /// The instant in Unix nanoseconds.
    pub fn to_ns(&self) -> Result<i64, crate::time::TimeError> {
        match self {
            WireTime::UnixSeconds(seconds) => {
                seconds
                    .checked_mul(1_000_000_000)
                    .ok_or_else(|| crate::time::TimeError::Overflow {
                        text: seconds.to_string(),
                    })
            }
            WireTime::Text(text) => crate::time::parse_rfc3339_ns(text),
        }
    }
}

impl Serialize for WireTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            WireTime::UnixSeconds(seconds) => serializer.serialize_i64(*seconds),
            WireTime::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for WireTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WireTime, D::Error> {
        struct TimeVisitor;

        impl Visitor<'_> for TimeVisitor {
            type Value = WireTime;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("Unix seconds or an RFC 3339 string")
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<WireTime, E> {
                Ok(WireTime::UnixSeconds(value))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<WireTime, E> {
                i64::try_from(value)
                    .map(WireTime::UnixSeconds)
                    .map_err(|_| E::custom(format!("timestamp {value} is too large")))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<WireTime, E> {
                // Whole seconds sent as a float; fractions of a second are not part of any
                // observed payload and would be silently lost, so they are refused.
                if value.fract() == 0.0 && value.abs() < 1e15 {
                    #[allow(clippy::cast_possible_truncation)]
                    Ok(WireTime::UnixSeconds(value as i64))
                } else {
                    Err(E::custom(format!("timestamp {value} is not whole seconds")))
                }
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<WireTime, E> {
                Ok(WireTime::Text(text.to_string()))
            }
        }

        deserializer.deserialize_any(TimeVisitor)
    }
}
