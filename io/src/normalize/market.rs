//! Market listings → [`MarketInfo`]; series / event fee fields → [`FeeParams`].

use kalshi_core::fixed::Count;
use kalshi_core::market_data::{FeeParams, MarketInfo, MarketResult, MarketStatus, PriceRange};

use super::error::NormalizeError;
use super::fields;
use crate::wire::event::{Event, Series};
use crate::wire::market::{Market, WirePriceRange};

/// Builds a [`MarketInfo`] from a market object of any dialect: `_dollars` / `_fp` fields when
/// present, else the integer-cent ones. `fee` is left `None`; fill it from [`fee_params`].
pub fn market_info(market: &Market) -> Result<MarketInfo, NormalizeError> {
    let ticker = market.ticker.as_str();
    let status_text = market
        .status
        .as_deref()
        .ok_or_else(|| NormalizeError::missing("status", ticker))?;
    let status = MarketStatus::from_wire(status_text)
        .ok_or_else(|| NormalizeError::unknown("status", ticker, status_text))?;
    Ok(MarketInfo {
        ticker: market.ticker.clone(),
        event_ticker: market.event_ticker.clone(),
        title: market.title.clone().unwrap_or_default(),
        status,
        open_time_ns: fields::time_ns(market.open_time.as_deref(), "open_time", ticker)?,
        close_time_ns: fields::time_ns(market.close_time.as_deref(), "close_time", ticker)?,
        yes_bid: fields::price(market.yes_bid_dollars, market.yes_bid, "yes_bid", ticker)?,
        yes_bid_size: market.yes_bid_size_fp,
        yes_ask: fields::price(market.yes_ask_dollars, market.yes_ask, "yes_ask", ticker)?,
        yes_ask_size: market.yes_ask_size_fp,
        last_price: fields::price(
            market.last_price_dollars,
            market.last_price,
            "last_price",
            ticker,
        )?,
        volume: fields::count(market.volume_fp, market.volume, "volume", ticker)?
            .unwrap_or(Count::ZERO),
        volume_24h: fields::count(
            market.volume_24h_fp,
            market.volume_24h,
            "volume_24h",
            ticker,
        )?
        .unwrap_or(Count::ZERO),
        open_interest: fields::count(
            market.open_interest_fp,
            market.open_interest,
            "open_interest",
            ticker,
        )?
        .unwrap_or(Count::ZERO),
        price_ranges: price_ranges(market.price_ranges.as_deref().unwrap_or(&[])),
        fee: None,
        fractional_trading: market.fractional_trading_enabled.unwrap_or(false),
        result: market_result(market.result.as_deref(), ticker)?,
        settlement_value: fields::price(
            market.settlement_value_dollars,
            market.settlement_value,
            "settlement_value",
            ticker,
        )?,
    })
}

/// Converts wire tick bands to core ones.
pub fn price_ranges(ranges: &[WirePriceRange]) -> Vec<PriceRange> {
    ranges
        .iter()
        .map(|r| PriceRange {
            start: r.start,
            end: r.end,
            step: r.step,
        })
        .collect()
}

/// Parses a `result` field: empty means not determined yet.
pub fn market_result(
    text: Option<&str>,
    ticker: &str,
) -> Result<Option<MarketResult>, NormalizeError> {
    match text {
        None | Some("") => Ok(None),
        Some("yes") => Ok(Some(MarketResult::Yes)),
        Some("no") => Ok(Some(MarketResult::No)),
        Some("scalar") => Ok(Some(MarketResult::Scalar)),
        Some(other) => Err(NormalizeError::unknown("result", ticker, other)),
    }
}

/// Fee parameters of a series (`fee_type`, `fee_multiplier`), when it carries them.
pub fn fee_params(series: &Series) -> Option<FeeParams> {
    let fee_type = series.fee_type.as_ref()?;
    let multiplier_ppm = series.fee_multiplier.map_or(1_000_000, |m| m.ppm);
    Some(FeeParams {
        fee_type: fee_type.clone(),
        multiplier_ppm,
    })
}

/// The fee parameters that apply to an event's markets: the event's overrides where set,
/// else the series values.
pub fn event_fee_params(event: &Event, series: Option<&Series>) -> Option<FeeParams> {
    event_fee_params_over(event, series.and_then(fee_params))
}

/// The fee parameters that apply to an event's markets when its series' parameters are
/// `base`: the event's overrides where set, else `base`.
pub fn event_fee_params_over(event: &Event, base: Option<FeeParams>) -> Option<FeeParams> {
    match (
        &event.fee_type_override,
        event.fee_multiplier_override,
        base,
    ) {
        (None, None, base) => base,
        (fee_type, multiplier, base) => {
            let fee_type = fee_type
                .clone()
                .or_else(|| base.as_ref().map(|b| b.fee_type.clone()))?;
            let multiplier_ppm = multiplier
                .map(|m| m.ppm)
                .or_else(|| base.as_ref().map(|b| b.multiplier_ppm))
                .unwrap_or(1_000_000);
            Some(FeeParams {
                fee_type,
                multiplier_ppm,
            })
        }
    }
}
