//! Exact parsing of Kalshi's `fee_multiplier` (a JSON number such as `1`, `0.5`, `1.25`, or
//! its decimal-string spelling) into parts per million.

use serde_json::Value;

use super::FeeError;
use crate::fixed::{Money, echo};

/// Parses a decimal multiplier (`"1"`, `"0.5"`, `"1.25"`) into parts per million, exactly.
/// More than 6 fraction digits, a negative value or non-numeric text is a [`FeeError`].
pub fn parse_multiplier_ppm(text: &str) -> Result<i64, FeeError> {
    // Money counts millionths of a unit, which is exactly parts per million; reusing its
    // parser gives the same exact decimal handling (exponents, trailing zeros, overflow).
    let multiplier_ppm = Money::parse(text)
        .map_err(|source| FeeError::InvalidMultiplier {
            text: echo(text),
            source,
        })?
        .micros();
    if multiplier_ppm < 0 {
        return Err(FeeError::NegativeMultiplier { multiplier_ppm });
    }
    Ok(multiplier_ppm)
}

/// Parses a multiplier as it appears in JSON: a number (read through its shortest decimal
/// spelling, so `0.5` is exactly 500_000 ppm) or a decimal string.
pub fn multiplier_ppm_from_json(value: &Value) -> Result<i64, FeeError> {
    match value {
        Value::Number(number) => parse_multiplier_ppm(&number.to_string()),
        Value::String(text) => parse_multiplier_ppm(text),
        Value::Null => Err(FeeError::MultiplierNotNumeric { json_kind: "null" }),
        Value::Bool(_) => Err(FeeError::MultiplierNotNumeric { json_kind: "bool" }),
        Value::Array(_) => Err(FeeError::MultiplierNotNumeric { json_kind: "array" }),
        Value::Object(_) => Err(FeeError::MultiplierNotNumeric {
            json_kind: "object",
        }),
    }
}
