//! Order writes: the V2 endpoints under `/portfolio/events/orders` and the legacy
//! `/portfolio/orders` ones (create, cancel, amend, decrease, batches, cancel-all).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kalshi_core::side::{BookSide, LegacyAction, OutcomeSide};
use kalshi_core::{Count, Price};
use kalshi_wire::order_legacy::{
    AmendOrderResponse, BatchCancelOrderResult, BatchCancelOrdersResponse, BatchCreateOrderResult,
    BatchCreateOrdersRequest, BatchCreateOrdersResponse, CancelOrderResponse, CreateOrderRequest,
    DecreaseOrderRequest,
};
use kalshi_wire::order_v2::{
    AmendOrderV2Request, AmendOrderV2Response, BatchCancelOrderV2Result,
    BatchCancelOrdersV2Request, BatchCancelOrdersV2Response, BatchCreateOrderV2Result,
    BatchCreateOrdersV2Request, BatchCreateOrdersV2Response, CancelOrderV2Response,
    CreateOrderV2Request, CreateOrderV2Response, DecreaseOrderV2Request, DecreaseOrderV2Response,
    SelfTradePrevention as WireStp, TimeInForce as WireTif,
};
use kalshi_wire::portfolio::OrderResponse;
use serde::Deserialize;

use super::{AppState, json, parse_body, query, ts_ms};
use crate::exchange::{
    AmendOrder, CreateOrderLegacy, CreateOrderV2, Decrease, Exchange, ExpirationChange,
    PlaceOutcome, SelfTradePrevention, TimeInForce, UserId,
};
use crate::server::convert;
use crate::server::error::ApiError;
use crate::server::middleware::AuthUser;
use crate::server::state::Stats;

fn tif(wire: WireTif) -> TimeInForce {
    match wire {
        WireTif::FillOrKill => TimeInForce::FillOrKill,
        WireTif::GoodTillCanceled => TimeInForce::GoodTillCanceled,
        WireTif::ImmediateOrCancel => TimeInForce::ImmediateOrCancel,
    }
}

fn stp(wire: WireStp) -> SelfTradePrevention {
    match wire {
        WireStp::TakerAtCross => SelfTradePrevention::TakerAtCross,
        WireStp::Maker => SelfTradePrevention::Maker,
    }
}

fn v2_request(wire: CreateOrderV2Request) -> CreateOrderV2 {
    CreateOrderV2 {
        ticker: wire.ticker,
        side: wire.side,
        count: wire.count,
        price: wire.price,
        time_in_force: tif(wire.time_in_force),
        self_trade_prevention: stp(wire.self_trade_prevention_type),
        client_order_id: wire.client_order_id,
        expiration_time_s: wire.expiration_time,
        post_only: wire.post_only.unwrap_or(false),
        reduce_only: wire.reduce_only.unwrap_or(false),
        cancel_order_on_pause: wire.cancel_order_on_pause.unwrap_or(false),
        subaccount: wire.subaccount.unwrap_or(0),
        order_group_id: wire.order_group_id,
    }
}

fn legacy_request(wire: CreateOrderRequest) -> CreateOrderLegacy {
    CreateOrderLegacy {
        ticker: wire.ticker,
        side: Some(wire.side),
        action: Some(wire.action),
        count: wire.count,
        count_fp: wire.count_fp,
        yes_price: wire.yes_price,
        no_price: wire.no_price,
        yes_price_dollars: wire.yes_price_dollars,
        no_price_dollars: wire.no_price_dollars,
        client_order_id: wire.client_order_id,
        expiration_ts_s: wire.expiration_ts,
        time_in_force: wire.time_in_force.map(tif),
        buy_max_cost_cents: wire.buy_max_cost,
        post_only: wire.post_only.unwrap_or(false),
        reduce_only: wire.reduce_only.unwrap_or(false),
        sell_position_floor: wire.sell_position_floor,
        self_trade_prevention: wire.self_trade_prevention_type.map(stp),
        order_group_id: wire.order_group_id,
        cancel_order_on_pause: wire.cancel_order_on_pause.unwrap_or(false),
        subaccount: wire.subaccount.unwrap_or(0),
    }
}

fn v2_created(outcome: &PlaceOutcome) -> CreateOrderV2Response {
    CreateOrderV2Response {
        order_id: outcome.order.order_id.clone(),
        client_order_id: outcome.order.client_order_id.clone(),
        fill_count: outcome.fill_count,
        remaining_count: outcome.remaining_count,
        average_fill_price: outcome.average_fill_price,
        average_fee_paid: outcome.average_fee_paid,
        ts_ms: ts_ms(outcome.ts_ns),
    }
}

fn subaccount(uri: &Uri) -> Result<Option<u32>, ApiError> {
    query(uri)?.parse_opt::<u32>("subaccount")
}

fn user_text(exchange: &Exchange, user: UserId) -> String {
    exchange
        .user_id_text(user)
        .map(str::to_string)
        .unwrap_or_default()
}

/// `POST /portfolio/events/orders` → 201.
pub(crate) async fn create_v2(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = v2_request(parse_body::<CreateOrderV2Request>(&body, "order")?);
    let outcome =
        state.with_exchange(|exchange, now_ns| exchange.place_v2(user, request, now_ns))?;
    Stats::add(&state.stats.orders, 1);
    Ok(json(StatusCode::CREATED, &v2_created(&outcome)))
}

/// `POST /portfolio/events/orders/batched` → 201 with a result or error per item.
pub(crate) async fn batch_create_v2(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    body: Bytes,
) -> Result<Response, ApiError> {
    let batch = parse_body::<BatchCreateOrdersV2Request>(&body, "batch")?;
    let requests: Vec<CreateOrderV2> = batch.orders.into_iter().map(v2_request).collect();
    let client_ids: Vec<Option<String>> =
        requests.iter().map(|r| r.client_order_id.clone()).collect();
    let outcomes =
        state.with_exchange(|exchange, now_ns| exchange.batch_place_v2(user, requests, now_ns));
    let mut orders = Vec::with_capacity(outcomes.len());
    for (outcome, client_order_id) in outcomes.into_iter().zip(client_ids) {
        orders.push(match outcome {
            Ok(placed) => {
                Stats::add(&state.stats.orders, 1);
                let created = v2_created(&placed);
                BatchCreateOrderV2Result {
                    order_id: created.order_id,
                    client_order_id: created.client_order_id,
                    fill_count: Some(created.fill_count),
                    remaining_count: Some(created.remaining_count),
                    average_fill_price: created.average_fill_price,
                    average_fee_paid: created.average_fee_paid,
                    ts_ms: Some(created.ts_ms),
                    error: None,
                }
            }
            Err(error) => BatchCreateOrderV2Result {
                client_order_id,
                error: Some(ApiError::from(error).detail()),
                ..BatchCreateOrderV2Result::default()
            },
        });
    }
    Ok(json(
        StatusCode::CREATED,
        &BatchCreateOrdersV2Response { orders },
    ))
}

/// `DELETE /portfolio/events/orders/{order_id}`.
pub(crate) async fn cancel_v2(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(order_id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let sub = subaccount(&uri)?;
    let outcome =
        state.with_exchange(|exchange, now_ns| exchange.cancel(user, sub, &order_id, now_ns))?;
    let body = CancelOrderV2Response {
        order_id: outcome.order.order_id.clone(),
        client_order_id: outcome.order.client_order_id.clone(),
        reduced_by: outcome.reduced_by,
        ts_ms: ts_ms(outcome.ts_ns),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `DELETE /portfolio/events/orders/batched`.
pub(crate) async fn batch_cancel_v2(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    body: Bytes,
) -> Result<Response, ApiError> {
    let batch = parse_body::<BatchCancelOrdersV2Request>(&body, "batch cancel")?;
    let results = state.with_exchange(|exchange, now_ns| {
        batch
            .orders
            .iter()
            .map(|item| {
                (
                    item.order_id.clone(),
                    exchange.cancel(user, item.subaccount, &item.order_id, now_ns),
                )
            })
            .collect::<Vec<_>>()
    });
    let orders = results
        .into_iter()
        .map(|(order_id, result)| match result {
            Ok(outcome) => BatchCancelOrderV2Result {
                order_id,
                client_order_id: outcome.order.client_order_id.clone(),
                reduced_by: Some(outcome.reduced_by),
                ts_ms: Some(ts_ms(outcome.ts_ns)),
                error: None,
            },
            Err(error) => BatchCancelOrderV2Result {
                order_id,
                reduced_by: Some(Count::ZERO),
                error: Some(ApiError::from(error).detail()),
                ..BatchCancelOrderV2Result::default()
            },
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &BatchCancelOrdersV2Response { orders },
    ))
}

/// `DELETE /portfolio/events/orders` → 204.
pub(crate) async fn cancel_all_v2(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    uri: Uri,
) -> Result<Response, ApiError> {
    let sub = subaccount(&uri)?;
    state.with_exchange(|exchange, now_ns| exchange.cancel_all(user, sub, now_ns))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /portfolio/events/orders/{order_id}/amend`.
pub(crate) async fn amend_v2(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(order_id): Path<String>,
    uri: Uri,
    body: Bytes,
) -> Result<Response, ApiError> {
    let wire = parse_body::<AmendOrderV2Request>(&body, "amend")?;
    let request = AmendOrder {
        order_id,
        ticker: wire.ticker,
        side: wire.side,
        price: wire.price,
        count: wire.count,
        client_order_id: wire.client_order_id,
        updated_client_order_id: wire.updated_client_order_id,
        expiration: match wire.expiration_time {
            None => ExpirationChange::Keep,
            Some(0) => ExpirationChange::Remove,
            Some(ts) => ExpirationChange::Set(ts),
        },
        subaccount: subaccount(&uri)?.unwrap_or(0),
    };
    let outcome = state.with_exchange(|exchange, now_ns| exchange.amend(user, request, now_ns))?;
    let body = AmendOrderV2Response {
        order_id: outcome.order.order_id.clone(),
        client_order_id: outcome.order.client_order_id.clone(),
        remaining_count: Some(outcome.remaining_count),
        fill_count: Some(outcome.fill_count),
        average_fill_price: outcome.average_fill_price,
        average_fee_paid: outcome.average_fee_paid,
        ts_ms: ts_ms(outcome.ts_ns),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `POST /portfolio/events/orders/{order_id}/decrease`.
pub(crate) async fn decrease_v2(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(order_id): Path<String>,
    uri: Uri,
    body: Bytes,
) -> Result<Response, ApiError> {
    let wire = parse_body::<DecreaseOrderV2Request>(&body, "decrease")?;
    let decrease = match (wire.reduce_by, wire.reduce_to) {
        (Some(by), None) => Decrease::By(by),
        (None, Some(to)) => Decrease::To(to),
        _ => {
            return Err(ApiError::invalid_order(
                "exactly one of reduce_by or reduce_to must be provided",
            ));
        }
    };
    let sub = subaccount(&uri)?;
    let outcome = state.with_exchange(|exchange, now_ns| {
        exchange.decrease(user, sub, &order_id, decrease, now_ns)
    })?;
    let body = DecreaseOrderV2Response {
        order_id: outcome.order.order_id.clone(),
        client_order_id: outcome.order.client_order_id.clone(),
        remaining_count: outcome.order.remaining_count,
        ts_ms: ts_ms(outcome.ts_ns),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `POST /portfolio/orders` (legacy) → 201 `{"order": Order}`.
pub(crate) async fn create_legacy(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = legacy_request(parse_body::<CreateOrderRequest>(&body, "order")?);
    let (outcome, user_id) = state.with_exchange(|exchange, now_ns| {
        exchange
            .place_legacy(user, request, now_ns)
            .map(|o| (o, user_text(exchange, user)))
    })?;
    Stats::add(&state.stats.orders, 1);
    Ok(json(
        StatusCode::CREATED,
        &OrderResponse {
            order: convert::order(&outcome.order, &user_id),
        },
    ))
}

/// `POST /portfolio/orders/batched` (legacy) → 201.
pub(crate) async fn batch_create_legacy(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    body: Bytes,
) -> Result<Response, ApiError> {
    let batch = parse_body::<BatchCreateOrdersRequest>(&body, "batch")?;
    let requests: Vec<CreateOrderLegacy> = batch.orders.into_iter().map(legacy_request).collect();
    let client_ids: Vec<Option<String>> =
        requests.iter().map(|r| r.client_order_id.clone()).collect();
    let (outcomes, user_id) = state.with_exchange(|exchange, now_ns| {
        (
            exchange.batch_place_legacy(user, requests, now_ns),
            user_text(exchange, user),
        )
    });
    let orders = outcomes
        .into_iter()
        .zip(client_ids)
        .map(|(outcome, client_order_id)| match outcome {
            Ok(placed) => {
                Stats::add(&state.stats.orders, 1);
                BatchCreateOrderResult {
                    client_order_id,
                    order: Some(convert::order(&placed.order, &user_id)),
                    error: None,
                }
            }
            Err(error) => BatchCreateOrderResult {
                client_order_id,
                order: None,
                error: Some(ApiError::from(error).detail()),
            },
        })
        .collect();
    Ok(json(
        StatusCode::CREATED,
        &BatchCreateOrdersResponse { orders },
    ))
}

/// `DELETE /portfolio/orders/{order_id}` (legacy).
pub(crate) async fn cancel_legacy(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(order_id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let sub = subaccount(&uri)?;
    let (outcome, user_id) = state.with_exchange(|exchange, now_ns| {
        exchange
            .cancel(user, sub, &order_id, now_ns)
            .map(|o| (o, user_text(exchange, user)))
    })?;
    let body = CancelOrderResponse {
        order: convert::order(&outcome.order, &user_id),
        reduced_by_fp: Some(outcome.reduced_by),
        reduced_by: None,
    };
    Ok(json(StatusCode::OK, &body))
}

/// Legacy batch-cancel body: `{"orders":[{"order_id",…}]}` or the older `{"ids":[…]}`.
#[derive(Debug, Deserialize)]
struct LegacyBatchCancel {
    #[serde(default)]
    orders: Vec<LegacyCancelItem>,
    #[serde(default)]
    ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct LegacyCancelItem {
    order_id: String,
    #[serde(default)]
    subaccount: Option<u32>,
}

/// `DELETE /portfolio/orders/batched` (legacy).
pub(crate) async fn batch_cancel_legacy(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    body: Bytes,
) -> Result<Response, ApiError> {
    let batch = parse_body::<LegacyBatchCancel>(&body, "batch cancel")?;
    let mut items: Vec<(String, Option<u32>)> = batch
        .orders
        .into_iter()
        .map(|i| (i.order_id, i.subaccount))
        .collect();
    items.extend(batch.ids.into_iter().map(|id| (id, None)));
    let (results, user_id) = state.with_exchange(|exchange, now_ns| {
        let results: Vec<_> = items
            .iter()
            .map(|(id, sub)| (id.clone(), exchange.cancel(user, *sub, id, now_ns)))
            .collect();
        (results, user_text(exchange, user))
    });
    let orders = results
        .into_iter()
        .map(|(order_id, result)| match result {
            Ok(outcome) => BatchCancelOrderResult {
                order_id,
                order: Some(convert::order(&outcome.order, &user_id)),
                reduced_by_fp: Some(outcome.reduced_by),
                reduced_by: None,
                error: None,
            },
            Err(error) => BatchCancelOrderResult {
                order_id,
                reduced_by_fp: Some(Count::ZERO),
                error: Some(ApiError::from(error).detail()),
                ..BatchCancelOrderResult::default()
            },
        })
        .collect();
    Ok(json(StatusCode::OK, &BatchCancelOrdersResponse { orders }))
}

/// Legacy amend body.
#[derive(Debug, Deserialize)]
struct LegacyAmend {
    ticker: String,
    side: OutcomeSide,
    action: LegacyAction,
    #[serde(default)]
    client_order_id: Option<String>,
    #[serde(default)]
    updated_client_order_id: Option<String>,
    #[serde(default)]
    yes_price: Option<i64>,
    #[serde(default)]
    no_price: Option<i64>,
    #[serde(default)]
    yes_price_dollars: Option<Price>,
    #[serde(default)]
    no_price_dollars: Option<Price>,
    #[serde(default)]
    count: Option<i64>,
    #[serde(default)]
    count_fp: Option<Count>,
    #[serde(default)]
    subaccount: Option<u32>,
}

/// The YES-book side of a legacy `(side, action)`: buy YES / sell NO bid, the others ask.
fn legacy_book_side(side: OutcomeSide, action: LegacyAction) -> BookSide {
    match (side, action) {
        (OutcomeSide::Yes, LegacyAction::Buy) | (OutcomeSide::No, LegacyAction::Sell) => {
            BookSide::Bid
        }
        (OutcomeSide::No, LegacyAction::Buy) | (OutcomeSide::Yes, LegacyAction::Sell) => {
            BookSide::Ask
        }
    }
}

fn legacy_yes_price(body: &LegacyAmend) -> Result<Price, ApiError> {
    let cents = |c: i64| {
        if (1..=99).contains(&c) {
            Price::from_cents(c).map_err(|e| ApiError::invalid_order(e.to_string()))
        } else {
            Err(ApiError::invalid_order(format!(
                "price {c} must be between 1 and 99 cents"
            )))
        }
    };
    match (
        body.yes_price,
        body.no_price,
        body.yes_price_dollars,
        body.no_price_dollars,
    ) {
        (Some(c), None, None, None) => cents(c),
        (None, Some(c), None, None) => cents(c).map(Price::complement),
        (None, None, Some(p), None) => Ok(p),
        (None, None, None, Some(p)) => Ok(p.complement()),
        _ => Err(ApiError::invalid_order(
            crate::exchange::LEGACY_PRICE_RULE_DETAILS,
        )),
    }
}

fn legacy_count(
    count: Option<i64>,
    count_fp: Option<Count>,
    name: &str,
) -> Result<Count, ApiError> {
    let whole = count
        .map(|c| {
            Count::from_contracts(c).map_err(|e| ApiError::invalid_order(format!("{name}: {e}")))
        })
        .transpose()?;
    match (whole, count_fp) {
        (Some(a), Some(b)) if a != b => Err(ApiError::invalid_order(format!(
            "{name} and {name}_fp disagree"
        ))),
        (Some(c), _) | (None, Some(c)) => Ok(c),
        (None, None) => Err(ApiError::invalid_order(format!(
            "{name} or {name}_fp is required"
        ))),
    }
}

/// `POST /portfolio/orders/{order_id}/amend` (legacy) → `{"old_order","order"}`.
pub(crate) async fn amend_legacy(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(order_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let wire = parse_body::<LegacyAmend>(&body, "amend")?;
    let request = AmendOrder {
        order_id,
        ticker: wire.ticker.clone(),
        side: legacy_book_side(wire.side, wire.action),
        price: legacy_yes_price(&wire)?,
        count: legacy_count(wire.count, wire.count_fp, "count")?,
        client_order_id: wire.client_order_id.clone(),
        updated_client_order_id: wire.updated_client_order_id.clone(),
        expiration: ExpirationChange::Keep,
        subaccount: wire.subaccount.unwrap_or(0),
    };
    let (outcome, user_id) = state.with_exchange(|exchange, now_ns| {
        exchange
            .amend(user, request, now_ns)
            .map(|o| (o, user_text(exchange, user)))
    })?;
    let body = AmendOrderResponse {
        old_order: convert::order(&outcome.old_order, &user_id),
        order: convert::order(&outcome.order, &user_id),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `POST /portfolio/orders/{order_id}/decrease` (legacy) → `{"order"}`.
pub(crate) async fn decrease_legacy(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(order_id): Path<String>,
    uri: Uri,
    body: Bytes,
) -> Result<Response, ApiError> {
    let wire = parse_body::<DecreaseOrderRequest>(&body, "decrease")?;
    let by = (wire.reduce_by.is_some() || wire.reduce_by_fp.is_some())
        .then(|| legacy_count(wire.reduce_by, wire.reduce_by_fp, "reduce_by"))
        .transpose()?;
    let to = (wire.reduce_to.is_some() || wire.reduce_to_fp.is_some())
        .then(|| legacy_count(wire.reduce_to, wire.reduce_to_fp, "reduce_to"))
        .transpose()?;
    let decrease = match (by, to) {
        (Some(by), None) => Decrease::By(by),
        (None, Some(to)) => Decrease::To(to),
        _ => {
            return Err(ApiError::invalid_order(
                "exactly one of reduce_by or reduce_to must be provided",
            ));
        }
    };
    let sub = subaccount(&uri)?;
    let (outcome, user_id) = state.with_exchange(|exchange, now_ns| {
        exchange
            .decrease(user, sub, &order_id, decrease, now_ns)
            .map(|o| (o, user_text(exchange, user)))
    })?;
    Ok(json(
        StatusCode::OK,
        &OrderResponse {
            order: convert::order(&outcome.order, &user_id),
        },
    ))
}
