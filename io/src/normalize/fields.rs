//! Dialect fallbacks shared by the normalizers: prefer the 2026 fixed-point field, fall back
//! to the 2025 integer field, and say which field was wrong when neither works.

use kalshi_core::fixed::{Count, Money, Price, SignedCount};

use super::error::NormalizeError;
use crate::time::parse_rfc3339_ns;

use kalshi_core::time::{NS_PER_MS, NS_PER_S};

/// The 2026 price, else the legacy cents price.
pub(crate) fn price(
    dollars: Option<Price>,
    cents: Option<i64>,
    field: &'static str,
    ticker: &str,
) -> Result<Option<Price>, NormalizeError> {
    match (dollars, cents) {
        (Some(price), _) => Ok(Some(price)),
        (None, Some(cents)) => Price::from_cents(cents)
            .map(Some)
            .map_err(|e| NormalizeError::invalid(field, ticker, e)),
        (None, None) => Ok(None),
    }
}

/// The 2026 count, else the legacy whole-contract count.
pub(crate) fn count(
    fixed: Option<Count>,
    whole: Option<i64>,
    field: &'static str,
    ticker: &str,
) -> Result<Option<Count>, NormalizeError> {
    match (fixed, whole) {
        (Some(count), _) => Ok(Some(count)),
        (None, Some(whole)) => Count::from_contracts(whole)
            .map(Some)
            .map_err(|e| NormalizeError::invalid(field, ticker, e)),
        (None, None) => Ok(None),
    }
}

/// The 2026 signed count, else the legacy whole-contract one.
pub(crate) fn signed_count(
    fixed: Option<SignedCount>,
    whole: Option<i64>,
    field: &'static str,
    ticker: &str,
) -> Result<Option<SignedCount>, NormalizeError> {
    match (fixed, whole) {
        (Some(count), _) => Ok(Some(count)),
        (None, Some(whole)) => whole
            .checked_mul(100)
            .map(|centi| Some(SignedCount::from_centi(centi)))
            .ok_or_else(|| NormalizeError::invalid(field, ticker, "too large")),
        (None, None) => Ok(None),
    }
}

/// The 2026 dollar amount, else the legacy cents amount.
pub(crate) fn money(
    dollars: Option<Money>,
    cents: Option<i64>,
    field: &'static str,
    ticker: &str,
) -> Result<Option<Money>, NormalizeError> {
    match (dollars, cents) {
        (Some(amount), _) => Ok(Some(amount)),
        (None, Some(cents)) => Money::from_cents(cents)
            .map(Some)
            .map_err(|e| NormalizeError::invalid(field, ticker, e)),
        (None, None) => Ok(None),
    }
}

/// An optional RFC 3339 field in Unix ns.
pub(crate) fn time_ns(
    text: Option<&str>,
    field: &'static str,
    ticker: &str,
) -> Result<Option<i64>, NormalizeError> {
    match text {
        None => Ok(None),
        Some("") => Ok(None),
        Some(text) => parse_rfc3339_ns(text)
            .map(Some)
            .map_err(|e| NormalizeError::invalid(field, ticker, e)),
    }
}

/// Unix milliseconds → ns.
pub(crate) fn ms_to_ns(
    ts_ms: i64,
    field: &'static str,
    ticker: &str,
) -> Result<i64, NormalizeError> {
    ts_ms
        .checked_mul(NS_PER_MS)
        .ok_or_else(|| NormalizeError::invalid(field, ticker, "out of range"))
}

/// Unix seconds → ns.
pub(crate) fn seconds_to_ns(
    ts_s: i64,
    field: &'static str,
    ticker: &str,
) -> Result<i64, NormalizeError> {
    ts_s.checked_mul(NS_PER_S)
        .ok_or_else(|| NormalizeError::invalid(field, ticker, "out of range"))
}
