//! Order groups: create, list, get, trigger, reset, change the limit, delete.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use kalshi_core::Count;
use kalshi_wire::order_group::{
    CreateOrderGroupRequest, CreateOrderGroupResponse, EmptyResponse, OrderGroupResponse,
    OrderGroupSummary, OrderGroupsList, UpdateOrderGroupLimitRequest,
};

use super::{AppState, json, parse_body, query};
use crate::server::error::ApiError;
use crate::server::middleware::AuthUser;

fn subaccount(uri: &Uri) -> Result<u32, ApiError> {
    Ok(query(uri)?.parse_opt::<u32>("subaccount")?.unwrap_or(0))
}

/// `contracts_limit` (whole) or `contracts_limit_fp`; both must agree when both are sent.
fn contracts_limit(whole: Option<i64>, fp: Option<Count>) -> Result<Count, ApiError> {
    let whole = whole
        .map(|c| {
            Count::from_contracts(c)
                .map_err(|e| ApiError::bad_request(format!("contracts_limit: {e}")))
        })
        .transpose()?;
    match (whole, fp) {
        (Some(a), Some(b)) if a != b => Err(ApiError::bad_request(
            "contracts_limit and contracts_limit_fp disagree",
        )),
        (Some(c), _) | (None, Some(c)) => Ok(c),
        (None, None) => Err(ApiError::bad_request(
            "contracts_limit or contracts_limit_fp is required",
        )),
    }
}

/// `POST /portfolio/order_groups/create` → 201.
pub(crate) async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = parse_body::<CreateOrderGroupRequest>(&body, "order group")?;
    let limit = contracts_limit(request.contracts_limit, request.contracts_limit_fp)?;
    let sub = request.subaccount.unwrap_or(0);
    let id = state
        .with_exchange(|exchange, now_ns| exchange.create_order_group(user, sub, limit, now_ns))?;
    let body = CreateOrderGroupResponse {
        order_group_id: id,
        subaccount: Some(sub),
        exchange_index: Some(0),
    };
    Ok(json(StatusCode::CREATED, &body))
}

/// `GET /portfolio/order_groups`.
pub(crate) async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    uri: Uri,
) -> Result<Response, ApiError> {
    let sub = subaccount(&uri)?;
    let groups = state.with_exchange(|exchange, _| exchange.order_groups(user, sub));
    let body = OrderGroupsList {
        order_groups: groups
            .into_iter()
            .map(|g| OrderGroupSummary {
                id: g.order_group_id,
                contracts_limit_fp: Some(g.contracts_limit),
                contracts_limit: None,
                is_auto_cancel_enabled: !g.triggered,
                exchange_index: Some(0),
            })
            .collect(),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `GET /portfolio/order_groups/{id}`.
pub(crate) async fn get_one(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let sub = subaccount(&uri)?;
    let group = state.with_exchange(|exchange, _| exchange.order_group(user, sub, &id))?;
    let body = OrderGroupResponse {
        is_auto_cancel_enabled: !group.triggered,
        contracts_limit_fp: Some(group.contracts_limit),
        contracts_limit: None,
        orders: group.resting_order_ids,
        exchange_index: Some(0),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `PUT /portfolio/order_groups/{id}/trigger`.
pub(crate) async fn trigger(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let sub = subaccount(&uri)?;
    state.with_exchange(|exchange, now_ns| exchange.trigger_order_group(user, sub, &id, now_ns))?;
    Ok(json(StatusCode::OK, &EmptyResponse {}))
}

/// `PUT /portfolio/order_groups/{id}/reset`.
pub(crate) async fn reset(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let sub = subaccount(&uri)?;
    state.with_exchange(|exchange, now_ns| exchange.reset_order_group(user, sub, &id, now_ns))?;
    Ok(json(StatusCode::OK, &EmptyResponse {}))
}

/// `PUT /portfolio/order_groups/{id}/limit`.
pub(crate) async fn limit(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    uri: Uri,
    body: Bytes,
) -> Result<Response, ApiError> {
    let sub = subaccount(&uri)?;
    let request = parse_body::<UpdateOrderGroupLimitRequest>(&body, "order group limit")?;
    let limit = contracts_limit(request.contracts_limit, request.contracts_limit_fp)?;
    state.with_exchange(|exchange, now_ns| {
        exchange.update_order_group_limit(user, sub, &id, limit, now_ns)
    })?;
    Ok(json(StatusCode::OK, &EmptyResponse {}))
}

/// `DELETE /portfolio/order_groups/{id}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let sub = subaccount(&uri)?;
    state.with_exchange(|exchange, now_ns| exchange.delete_order_group(user, sub, &id, now_ns))?;
    Ok(json(StatusCode::OK, &EmptyResponse {}))
}
