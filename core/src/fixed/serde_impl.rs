//! Serde for the fixed-point types: serialized as wire strings, deserialized from either a
//! string or a JSON number (Kalshi has been seen sending both for the same field).
//!
//! Binary formats (`is_human_readable() == false`, e.g. the journal's encoding) carry the raw
//! integer units instead, so no text parsing sits on the replay path.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Count, Money, Price, SignedCount};

/// Implements `Serialize` (wire string) and a string-or-number `Deserialize` for one type.
macro_rules! string_or_number_serde {
    ($type:ident, $expecting:literal) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if serializer.is_human_readable() {
                    serializer.serialize_str(&self.to_wire())
                } else {
                    serializer.serialize_i64(self.0)
                }
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$type, D::Error> {
                if !deserializer.is_human_readable() {
                    let units = i64::deserialize(deserializer)?;
                    return $type::from_raw_units(units).map_err(de::Error::custom);
                }
                struct StringOrNumber;

                impl Visitor<'_> for StringOrNumber {
                    type Value = $type;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_str<E: de::Error>(self, text: &str) -> Result<$type, E> {
                        $type::parse(text).map_err(E::custom)
                    }

                    fn visit_i64<E: de::Error>(self, value: i64) -> Result<$type, E> {
                        $type::parse(&value.to_string()).map_err(E::custom)
                    }

                    fn visit_u64<E: de::Error>(self, value: u64) -> Result<$type, E> {
                        $type::parse(&value.to_string()).map_err(E::custom)
                    }

                    fn visit_f64<E: de::Error>(self, value: f64) -> Result<$type, E> {
                        $type::from_f64(value).map_err(E::custom)
                    }
                }

                deserializer.deserialize_any(StringOrNumber)
            }
        }
    };
}

string_or_number_serde!(Price, "a dollar price as a decimal string or number");
string_or_number_serde!(Count, "a contract count as a decimal string or number");
string_or_number_serde!(
    SignedCount,
    "a signed contract count as a decimal string or number"
);
string_or_number_serde!(Money, "a dollar amount as a decimal string or number");
