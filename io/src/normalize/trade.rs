//! Public trades (REST tape and WS `trade`) → [`PublicTrade`].

use kalshi_core::fixed::{Count, Price};
use kalshi_core::market_data::PublicTrade;
use kalshi_core::side::{BookSide, OutcomeSide};

use super::error::NormalizeError;
use super::fields;
use crate::wire::numbers::WireTime;
use crate::wire::trade::Trade;
use crate::wire::ws_msg::TradeMsg;

/// The taker's side of the YES book: `taker_book_side`, else `taker_outcome_side`, else the
/// deprecated `taker_side` (yes ⇒ bid, no ⇒ ask).
pub fn taker_side(
    book_side: Option<BookSide>,
    outcome_side: Option<OutcomeSide>,
    legacy_side: Option<OutcomeSide>,
) -> Option<BookSide> {
    book_side.or_else(|| outcome_side.or(legacy_side).map(OutcomeSide::book_side))
}

/// The YES execution price from whichever of the four price fields is present.
pub(crate) fn yes_price(
    yes_dollars: Option<Price>,
    yes_cents: Option<i64>,
    no_dollars: Option<Price>,
    no_cents: Option<i64>,
    ticker: &str,
) -> Result<Price, NormalizeError> {
    if let Some(price) = fields::price(yes_dollars, yes_cents, "yes_price", ticker)? {
        return Ok(price);
    }
    if let Some(price) = fields::price(no_dollars, no_cents, "no_price", ticker)? {
        return Ok(price.complement());
    }
    Err(NormalizeError::missing(
        "yes_price_dollars|yes_price|no_price_dollars|no_price",
        ticker,
    ))
}

/// Normalizes one trade of a `GET /markets/trades` page.
pub fn public_trade(trade: &Trade) -> Result<PublicTrade, NormalizeError> {
    let ticker = trade.ticker.as_str();
    Ok(PublicTrade {
        trade_id: trade.trade_id.clone(),
        ticker: trade.ticker.clone(),
        yes_price: yes_price(
            trade.yes_price_dollars,
            trade.yes_price,
            trade.no_price_dollars,
            trade.no_price,
            ticker,
        )?,
        count: trade_count(trade.count_fp, trade.count, ticker)?,
        taker_side: taker_side(
            trade.taker_book_side,
            trade.taker_outcome_side,
            trade.taker_side,
        )
        .ok_or_else(|| {
            NormalizeError::missing("taker_book_side|taker_outcome_side|taker_side", ticker)
        })?,
        ts_ns: fields::time_ns(trade.created_time.as_deref(), "created_time", ticker)?.unwrap_or(0),
    })
}

/// Normalizes a WS `trade` message.
pub fn public_trade_from_ws(msg: &TradeMsg) -> Result<PublicTrade, NormalizeError> {
    let ticker = msg.market_ticker.as_str();
    Ok(PublicTrade {
        trade_id: msg.trade_id.clone(),
        ticker: msg.market_ticker.clone(),
        yes_price: yes_price(
            msg.yes_price_dollars,
            msg.yes_price,
            msg.no_price_dollars,
            msg.no_price,
            ticker,
        )?,
        count: trade_count(msg.count_fp, msg.count, ticker)?,
        taker_side: taker_side(msg.taker_book_side, msg.taker_outcome_side, msg.taker_side)
            .ok_or_else(|| {
                NormalizeError::missing("taker_book_side|taker_outcome_side|taker_side", ticker)
            })?,
        ts_ns: ws_time_ns(msg.ts_ms, msg.ts.as_ref(), ticker)?.unwrap_or(0),
    })
}

fn trade_count(
    fixed: Option<Count>,
    whole: Option<i64>,
    ticker: &str,
) -> Result<Count, NormalizeError> {
    fields::count(fixed, whole, "count", ticker)?
        .ok_or_else(|| NormalizeError::missing("count_fp|count", ticker))
}

/// A WS message time: `ts_ms` when present, else the deprecated `ts`.
pub(crate) fn ws_time_ns(
    ts_ms: Option<i64>,
    ts: Option<&WireTime>,
    ticker: &str,
) -> Result<Option<i64>, NormalizeError> {
    if let Some(ts_ms) = ts_ms {
        return fields::ms_to_ns(ts_ms, "ts_ms", ticker).map(Some);
    }
    ts.map(|ts| {
        ts.to_ns()
            .map_err(|e| NormalizeError::invalid("ts", ticker, e))
    })
    .transpose()
}
