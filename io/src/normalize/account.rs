//! Our own fills, orders and positions (REST and WS) → [`OwnFill`], [`OrderSnapshot`],
//! [`PositionSnapshot`].

use kalshi_core::fixed::Money;
use kalshi_core::market_data::{ExchangeOrderStatus, OrderSnapshot, OwnFill, PositionSnapshot};
use kalshi_core::side::{BookSide, LegacyAction, OutcomeSide};

use super::error::NormalizeError;
use super::fields;
use super::trade::{ws_time_ns, yes_price};
use crate::wire::portfolio::{Fill, MarketPosition, Order};
use crate::wire::ws_msg::{FillMsg, MarketPositionMsg, UserOrderMsg};

/// Our side of the YES book: `book_side`, else `outcome_side`, else the legacy
/// `(action, side)` pair, else (WS fills) `purchased_side`.
fn own_side(
    book_side: Option<BookSide>,
    outcome_side: Option<OutcomeSide>,
    action: Option<&str>,
    legacy_side: Option<OutcomeSide>,
    purchased_side: Option<OutcomeSide>,
    ticker: &str,
) -> Result<BookSide, NormalizeError> {
    if let Some(side) = book_side.or_else(|| outcome_side.map(OutcomeSide::book_side)) {
        return Ok(side);
    }
    let legacy_action = match action {
        Some("buy") => Some(LegacyAction::Buy),
        Some(text) if text.starts_with("sell") => Some(LegacyAction::Sell),
        _ => None,
    };
    if let (Some(action), Some(side)) = (legacy_action, legacy_side) {
        return Ok(BookSide::from_legacy(action, side));
    }
    purchased_side
        .map(OutcomeSide::book_side)
        .ok_or_else(|| NormalizeError::missing("book_side|outcome_side|action+side", ticker))
}

/// Normalizes a REST fill. A fill without `fee_cost` (payloads before the fee field existed)
/// gets a zero fee.
pub fn own_fill(fill: &Fill) -> Result<OwnFill, NormalizeError> {
    let ticker = fill
        .ticker
        .as_deref()
        .or(fill.market_ticker.as_deref())
        .unwrap_or(fill.order_id.as_str());
    let fill_id = fill
        .fill_id
        .clone()
        .or_else(|| fill.trade_id.clone())
        .ok_or_else(|| NormalizeError::missing("fill_id|trade_id", ticker))?;
    Ok(OwnFill {
        fill_id,
        order_id: fill.order_id.clone(),
        client_order_id: fill.client_order_id.clone().filter(|id| !id.is_empty()),
        ticker: ticker.to_string(),
        side: own_side(
            fill.book_side,
            fill.outcome_side,
            fill.action.as_deref(),
            fill.side,
            None,
            ticker,
        )?,
        yes_price: yes_price(
            fill.yes_price_dollars.or(fill.yes_price_fixed),
            fill.yes_price,
            fill.no_price_dollars.or(fill.no_price_fixed),
            fill.no_price,
            ticker,
        )?,
        count: fields::count(fill.count_fp, fill.count, "count", ticker)?
            .ok_or_else(|| NormalizeError::missing("count_fp|count", ticker))?,
        is_taker: fill
            .is_taker
            .ok_or_else(|| NormalizeError::missing("is_taker", ticker))?,
        fee: fill.fee_cost.unwrap_or(Money::ZERO),
        post_position: None,
        ts_ns: match fields::time_ns(fill.created_time.as_deref(), "created_time", ticker)? {
            Some(ts_ns) => ts_ns,
            None => fill
                .ts
                .map(|s| fields::seconds_to_ns(s, "ts", ticker))
                .transpose()?
                .unwrap_or(0),
        },
    })
}

/// Normalizes a WS `fill` message.
pub fn own_fill_from_ws(msg: &FillMsg) -> Result<OwnFill, NormalizeError> {
    let ticker = msg.market_ticker.as_str();
    Ok(OwnFill {
        fill_id: msg.trade_id.clone(),
        order_id: msg.order_id.clone(),
        client_order_id: msg.client_order_id.clone().filter(|id| !id.is_empty()),
        ticker: msg.market_ticker.clone(),
        side: own_side(
            msg.book_side,
            msg.outcome_side,
            msg.action.as_deref(),
            msg.side,
            msg.purchased_side,
            ticker,
        )?,
        yes_price: yes_price(
            msg.yes_price_dollars,
            msg.yes_price,
            None,
            msg.no_price,
            ticker,
        )?,
        count: fields::count(msg.count_fp, msg.count, "count", ticker)?
            .ok_or_else(|| NormalizeError::missing("count_fp|count", ticker))?,
        is_taker: msg
            .is_taker
            .ok_or_else(|| NormalizeError::missing("is_taker", ticker))?,
        fee: msg.fee_cost.unwrap_or(Money::ZERO),
        post_position: fields::signed_count(
            msg.post_position_fp,
            msg.post_position,
            "post_position",
            ticker,
        )?,
        ts_ns: ws_time_ns(msg.ts_ms, msg.ts.as_ref(), ticker)?.unwrap_or(0),
    })
}

fn order_status(text: &str, ticker: &str) -> Result<ExchangeOrderStatus, NormalizeError> {
    match text {
        "resting" => Ok(ExchangeOrderStatus::Resting),
        "canceled" | "cancelled" => Ok(ExchangeOrderStatus::Canceled),
        "executed" => Ok(ExchangeOrderStatus::Executed),
        "unknown" => Ok(ExchangeOrderStatus::Unknown),
        other => Err(NormalizeError::unknown("status", ticker, other)),
    }
}

/// Normalizes a REST `Order` (orders list, single order, legacy write responses).
pub fn order_snapshot(order: &Order) -> Result<OrderSnapshot, NormalizeError> {
    let ticker = order.ticker.as_str();
    let ts_ns = match fields::time_ns(
        order.last_update_time.as_deref(),
        "last_update_time",
        ticker,
    )? {
        Some(ts_ns) => ts_ns,
        None => {
            fields::time_ns(order.created_time.as_deref(), "created_time", ticker)?.unwrap_or(0)
        }
    };
    Ok(OrderSnapshot {
        order_id: order.order_id.clone(),
        client_order_id: order.client_order_id.clone().filter(|id| !id.is_empty()),
        ticker: order.ticker.clone(),
        side: own_side(
            order.book_side,
            order.outcome_side,
            order.action.as_deref(),
            order.side,
            None,
            ticker,
        )?,
        yes_price: yes_price(
            order.yes_price_dollars,
            order.yes_price,
            order.no_price_dollars,
            order.no_price,
            ticker,
        )?,
        status: order_status(&order.status, ticker)?,
        fill_count: fields::count(order.fill_count_fp, order.fill_count, "fill_count", ticker)?
            .ok_or_else(|| NormalizeError::missing("fill_count_fp|fill_count", ticker))?,
        remaining_count: fields::count(
            order.remaining_count_fp,
            order.remaining_count,
            "remaining_count",
            ticker,
        )?
        .ok_or_else(|| NormalizeError::missing("remaining_count_fp|remaining_count", ticker))?,
        initial_count: fields::count(
            order.initial_count_fp,
            order.initial_count,
            "initial_count",
            ticker,
        )?,
        last_update_reason: order.last_update_reason.clone(),
        ts_ns,
    })
}

/// Normalizes a WS `user_order` message.
pub fn order_snapshot_from_ws(msg: &UserOrderMsg) -> Result<OrderSnapshot, NormalizeError> {
    let ticker = msg.ticker.as_str();
    let legacy_side = msg.side.or(msg.is_yes.map(|yes| {
        if yes {
            OutcomeSide::Yes
        } else {
            OutcomeSide::No
        }
    }));
    let ts_ns = match msg.last_updated_ts_ms.or(msg.created_ts_ms) {
        Some(ts_ms) => fields::ms_to_ns(ts_ms, "last_updated_ts_ms", ticker)?,
        None => fields::time_ns(msg.last_update_time.as_deref(), "last_update_time", ticker)?
            .unwrap_or(0),
    };
    Ok(OrderSnapshot {
        order_id: msg.order_id.clone(),
        client_order_id: msg.client_order_id.clone().filter(|id| !id.is_empty()),
        ticker: msg.ticker.clone(),
        side: msg
            .book_side
            .or_else(|| msg.outcome_side.map(OutcomeSide::book_side))
            .or_else(|| legacy_side.map(OutcomeSide::book_side))
            .ok_or_else(|| NormalizeError::missing("book_side|outcome_side|side", ticker))?,
        yes_price: msg
            .yes_price_dollars
            .ok_or_else(|| NormalizeError::missing("yes_price_dollars", ticker))?,
        status: order_status(&msg.status, ticker)?,
        fill_count: msg
            .fill_count_fp
            .ok_or_else(|| NormalizeError::missing("fill_count_fp", ticker))?,
        remaining_count: msg
            .remaining_count_fp
            .ok_or_else(|| NormalizeError::missing("remaining_count_fp", ticker))?,
        initial_count: msg.initial_count_fp,
        last_update_reason: msg.last_update_reason.clone(),
        ts_ns,
    })
}

/// Normalizes a REST `MarketPosition`. Money fields absent in every dialect count as zero.
pub fn position(position: &MarketPosition) -> Result<PositionSnapshot, NormalizeError> {
    let ticker = position.ticker.as_str();
    Ok(PositionSnapshot {
        ticker: position.ticker.clone(),
        position: fields::signed_count(
            position.position_fp,
            position.position,
            "position",
            ticker,
        )?
        .ok_or_else(|| NormalizeError::missing("position_fp|position", ticker))?,
        cost: fields::money(
            position.market_exposure_dollars,
            position.market_exposure,
            "market_exposure",
            ticker,
        )?
        .unwrap_or(Money::ZERO),
        realized_pnl: fields::money(
            position.realized_pnl_dollars,
            position.realized_pnl,
            "realized_pnl",
            ticker,
        )?
        .unwrap_or(Money::ZERO),
        fees_paid: fields::money(
            position.fees_paid_dollars,
            position.fees_paid,
            "fees_paid",
            ticker,
        )?
        .unwrap_or(Money::ZERO),
    })
}

/// Normalizes a WS `market_position` message.
pub fn position_from_ws(msg: &MarketPositionMsg) -> Result<PositionSnapshot, NormalizeError> {
    let ticker = msg.market_ticker.as_str();
    Ok(PositionSnapshot {
        ticker: msg.market_ticker.clone(),
        position: fields::signed_count(msg.position_fp, msg.position, "position", ticker)?
            .ok_or_else(|| NormalizeError::missing("position_fp|position", ticker))?,
        cost: fields::money(
            msg.position_cost_dollars,
            msg.position_cost,
            "position_cost",
            ticker,
        )?
        .unwrap_or(Money::ZERO),
        realized_pnl: fields::money(
            msg.realized_pnl_dollars,
            msg.realized_pnl,
            "realized_pnl",
            ticker,
        )?
        .unwrap_or(Money::ZERO),
        fees_paid: fields::money(msg.fees_paid_dollars, msg.fees_paid, "fees_paid", ticker)?
            .unwrap_or(Money::ZERO),
    })
}
