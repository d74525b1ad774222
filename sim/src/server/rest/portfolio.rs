//! Portfolio reads: orders, fills, positions, balance, settlements, queue positions.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use kalshi_core::{Count, Money};
use kalshi_wire::portfolio::{
    Balance, BalanceBreakdown, EventPosition, FillsPage, OrderResponse, OrdersPage, PositionsPage,
    QueuePosition, QueuePositionResponse, QueuePositionsResponse, SettlementsPage,
};

use super::{AppState, json, query};
use crate::exchange::OrderStatus;
use crate::exchange::queries::{
    FillsQuery, OrdersQuery, PositionsQuery, SettlementStatusFilter, SettlementsQuery,
};
use crate::server::convert;
use crate::server::error::ApiError;
use crate::server::middleware::AuthUser;

/// Largest `limit` of the portfolio lists (spec: 1..=1000).
const PORTFOLIO_LIMIT_MAX: i64 = 1000;
/// Most values of a list filter (`ticker` of fills, `event_ticker` of orders), per the
/// documented limits.
const FILTER_VALUES_MAX: usize = 100;

/// A list filter, refused with a 400 when it names more than [`FILTER_VALUES_MAX`] values.
fn filter_list(q: &crate::server::query::QueryParams, name: &str) -> Result<Vec<String>, ApiError> {
    let values = q.list(name);
    if values.len() > FILTER_VALUES_MAX {
        return Err(ApiError::bad_request(format!(
            "{name} names {} values; at most {FILTER_VALUES_MAX} are accepted",
            values.len()
        )));
    }
    Ok(values)
}

/// `GET /portfolio/orders`.
pub(crate) async fn orders(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = query(&uri)?;
    let status = match q.get("status") {
        None => None,
        Some("resting") => Some(OrderStatus::Resting),
        Some("canceled") => Some(OrderStatus::Canceled),
        Some("executed") => Some(OrderStatus::Executed),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "status {other:?} is not one of resting, canceled, executed"
            )));
        }
    };
    let request = OrdersQuery {
        ticker: q.get("ticker").map(str::to_string),
        event_tickers: filter_list(&q, "event_ticker")?,
        min_ts: q.parse_opt("min_ts")?,
        max_ts: q.parse_opt("max_ts")?,
        status,
        limit: q.limit(1, PORTFOLIO_LIMIT_MAX)?,
        cursor: q.get("cursor").map(str::to_string),
        subaccount: q.parse_opt("subaccount")?,
    };
    let body = state.with_exchange(|exchange, _| {
        let page = exchange.orders(user, &request)?;
        let user_id = exchange.user_id_text(user)?.to_string();
        Ok::<_, crate::exchange::ExchangeError>(OrdersPage {
            orders: page
                .items
                .iter()
                .map(|o| convert::order(o, &user_id))
                .collect(),
            cursor: Some(page.cursor),
        })
    })?;
    Ok(json(StatusCode::OK, &body))
}

/// `GET /portfolio/orders/{order_id}`.
pub(crate) async fn order_one(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(order_id): Path<String>,
) -> Result<Response, ApiError> {
    let body = state.with_exchange(|exchange, _| {
        let order = exchange.order(user, &order_id)?;
        let user_id = exchange.user_id_text(user)?;
        Ok::<_, crate::exchange::ExchangeError>(OrderResponse {
            order: convert::order(&order, user_id),
        })
    })?;
    Ok(json(StatusCode::OK, &body))
}

/// `GET /portfolio/orders/{order_id}/queue_position`.
pub(crate) async fn queue_position(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(order_id): Path<String>,
) -> Result<Response, ApiError> {
    let ahead = state.with_exchange(|exchange, _| exchange.queue_position(user, &order_id))?;
    Ok(json(
        StatusCode::OK,
        &QueuePositionResponse {
            queue_position_fp: Some(ahead),
            queue_position: None,
        },
    ))
}

/// `GET /portfolio/orders/queue_positions`.
pub(crate) async fn queue_positions(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = query(&uri)?;
    let tickers = q.list("market_tickers");
    let event = q.get("event_ticker").map(str::to_string);
    let sub = q.parse_opt::<u32>("subaccount")?;
    let rows = state.with_exchange(|exchange, _| {
        exchange.queue_positions(user, &tickers, event.as_deref(), sub)
    })?;
    let body = QueuePositionsResponse {
        queue_positions: rows
            .into_iter()
            .map(|r| QueuePosition {
                order_id: r.order_id,
                market_ticker: r.market_ticker,
                queue_position_fp: Some(r.queue_position),
                queue_position: None,
            })
            .collect(),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `GET /portfolio/fills`.
pub(crate) async fn fills(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = query(&uri)?;
    let request = FillsQuery {
        tickers: filter_list(&q, "ticker")?,
        order_id: q.get("order_id").map(str::to_string),
        min_ts: q.parse_opt("min_ts")?,
        max_ts: q.parse_opt("max_ts")?,
        limit: q.limit(1, PORTFOLIO_LIMIT_MAX)?,
        cursor: q.get("cursor").map(str::to_string),
        subaccount: q.parse_opt("subaccount")?,
    };
    let page = state.with_exchange(|exchange, _| exchange.fills(user, &request))?;
    Ok(json(
        StatusCode::OK,
        &FillsPage {
            fills: page.items.iter().map(convert::fill).collect(),
            cursor: Some(page.cursor),
        },
    ))
}

/// `GET /portfolio/positions`.
pub(crate) async fn positions(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = query(&uri)?;
    let filters = q.list("count_filter");
    for filter in &filters {
        if filter != "position" && filter != "total_traded" {
            return Err(ApiError::bad_request(format!(
                "count_filter {filter:?} is not position or total_traded"
            )));
        }
    }
    let settlement_status = match q.get("settlement_status") {
        None | Some("unsettled") => SettlementStatusFilter::Unsettled,
        Some("settled") => SettlementStatusFilter::Settled,
        Some("all") => SettlementStatusFilter::All,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "settlement_status {other:?} is not unsettled, settled or all"
            )));
        }
    };
    let request = PositionsQuery {
        ticker: q.get("ticker").map(str::to_string),
        event_ticker: q.get("event_ticker").map(str::to_string),
        settlement_status,
        nonzero_position: filters.iter().any(|f| f == "position"),
        nonzero_total_traded: filters.iter().any(|f| f == "total_traded"),
        subaccount: q.parse_opt("subaccount")?.unwrap_or(0),
        limit: q.limit(1, PORTFOLIO_LIMIT_MAX)?,
        cursor: q.get("cursor").map(str::to_string),
    };
    let page = state.with_exchange(|exchange, _| exchange.positions(user, &request))?;
    let mut events: BTreeMap<String, EventPosition> = BTreeMap::new();
    for row in &page.items {
        let p = &row.position;
        let entry = events
            .entry(row.event_ticker.clone())
            .or_insert_with(|| EventPosition {
                event_ticker: row.event_ticker.clone(),
                total_cost_dollars: Some(Money::ZERO),
                total_cost_shares_fp: Some(Count::ZERO),
                event_exposure_dollars: Some(Money::ZERO),
                realized_pnl_dollars: Some(Money::ZERO),
                fees_paid_dollars: Some(Money::ZERO),
                ..EventPosition::default()
            });
        let add = |slot: &mut Option<Money>, amount: Money| {
            *slot = Some(slot.unwrap_or(Money::ZERO) + amount)
        };
        add(&mut entry.total_cost_dollars, p.cost);
        add(&mut entry.event_exposure_dollars, p.cost);
        add(&mut entry.realized_pnl_dollars, p.realized_pnl);
        add(&mut entry.fees_paid_dollars, p.fees_paid);
        entry.total_cost_shares_fp =
            Some(entry.total_cost_shares_fp.unwrap_or(Count::ZERO) + p.position.abs());
    }
    let body = PositionsPage {
        market_positions: page.items.iter().map(convert::market_position).collect(),
        event_positions: events.into_values().collect(),
        cursor: Some(page.cursor),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `GET /portfolio/balance`.
pub(crate) async fn balance(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    uri: Uri,
) -> Result<Response, ApiError> {
    let sub = query(&uri)?.parse_opt::<u32>("subaccount")?.unwrap_or(0);
    let view = state.with_exchange(|exchange, _| exchange.balance(user, sub))?;
    let body = Balance {
        balance: Some(convert::cents_floor(view.available.micros())),
        balance_dollars: Some(view.available),
        portfolio_value: Some(convert::cents_floor(view.portfolio_value.micros())),
        updated_ts: Some(convert::secs(view.updated_ns)),
        balance_breakdown: Some(vec![BalanceBreakdown {
            exchange_index: 0,
            balance: Some(view.available),
        }]),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `GET /portfolio/settlements`.
pub(crate) async fn settlements(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = query(&uri)?;
    let request = SettlementsQuery {
        ticker: q.get("ticker").map(str::to_string),
        event_ticker: q.get("event_ticker").map(str::to_string),
        min_ts: q.parse_opt("min_ts")?,
        max_ts: q.parse_opt("max_ts")?,
        subaccount: q.parse_opt("subaccount")?.unwrap_or(0),
        limit: q.limit(1, PORTFOLIO_LIMIT_MAX)?,
        cursor: q.get("cursor").map(str::to_string),
    };
    let page = state.with_exchange(|exchange, _| exchange.settlements(user, &request))?;
    let body = SettlementsPage {
        settlements: page.items.iter().map(convert::settlement).collect(),
        cursor: Some(page.cursor),
    };
    Ok(json(StatusCode::OK, &body))
}
