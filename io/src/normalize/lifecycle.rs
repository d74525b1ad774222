//! `market_lifecycle_v2` → [`LifecycleChange`].

use kalshi_core::market_data::{LifecycleChange, LifecycleKind};

use super::error::NormalizeError;
use super::fields;
use super::market::{market_result, price_ranges};
use crate::wire::ws_msg::MarketLifecycleMsg;

/// Normalizes a market lifecycle message. Unknown `event_type`s are an error so that a new
/// Kalshi state is noticed rather than ignored.
pub fn lifecycle_change(msg: &MarketLifecycleMsg) -> Result<LifecycleChange, NormalizeError> {
    let ticker = msg.market_ticker.as_str();
    let kind = LifecycleKind::from_wire(&msg.event_type)
        .ok_or_else(|| NormalizeError::unknown("event_type", ticker, &msg.event_type))?;
    Ok(LifecycleChange {
        ticker: msg.market_ticker.clone(),
        kind,
        close_time_ns: msg
            .close_ts
            .map(|s| fields::seconds_to_ns(s, "close_ts", ticker))
            .transpose()?,
        result: market_result(msg.result.as_deref(), ticker)?,
        settlement_value: msg.settlement_value,
        price_ranges: price_ranges(msg.price_ranges.as_deref().unwrap_or(&[])),
    })
}
