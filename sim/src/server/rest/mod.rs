//! REST routes under `/trade-api/v2`, and the helpers their handlers share.

mod account;
mod market_data;
mod order_groups;
mod orders;
mod portfolio;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::REST_PREFIX;
use super::error::ApiError;
use super::middleware::rest_gate;
use super::query::QueryParams;
use super::state::ServerState;

/// Shared state as handlers receive it.
pub(crate) type AppState = Arc<ServerState>;

/// A JSON answer with `status`.
pub(crate) fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Parses a JSON request body; a malformed body is a 400 naming the problem.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &Bytes, what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("malformed {what} body: {e}")))
}

/// The query parameters of `uri`.
pub(crate) fn query(uri: &Uri) -> Result<QueryParams, ApiError> {
    QueryParams::parse(uri.query())
}

/// Exchange ns → wire ms.
pub(crate) fn ts_ms(ts_ns: i64) -> i64 {
    super::convert::ms(ts_ns)
}

fn at(path: &str) -> String {
    format!("{REST_PREFIX}{path}")
}

/// Every REST route plus the WebSocket endpoint, with the REST gate on the REST routes.
pub(crate) fn router(state: AppState) -> Router {
    let rest = Router::new()
        .route(&at("/exchange/status"), get(market_data::exchange_status))
        .route(
            &at("/exchange/user_data_timestamp"),
            get(market_data::user_data_timestamp),
        )
        .route(&at("/series"), get(market_data::series_list))
        .route(
            &at("/series/fee_changes"),
            get(market_data::series_fee_changes),
        )
        .route(&at("/series/{series_ticker}"), get(market_data::series_one))
        .route(
            &at("/series/{series_ticker}/markets/{ticker}/candlesticks"),
            get(market_data::candlesticks),
        )
        .route(&at("/events"), get(market_data::events))
        .route(&at("/events/{event_ticker}"), get(market_data::event_one))
        .route(&at("/markets"), get(market_data::markets))
        .route(&at("/markets/trades"), get(market_data::trades))
        .route(&at("/markets/orderbooks"), get(market_data::orderbooks))
        .route(
            &at("/markets/candlesticks"),
            get(market_data::candlesticks_batch),
        )
        .route(&at("/markets/{ticker}"), get(market_data::market_one))
        .route(
            &at("/markets/{ticker}/orderbook"),
            get(market_data::orderbook),
        )
        .route(
            &at("/portfolio/events/orders"),
            post(orders::create_v2).delete(orders::cancel_all_v2),
        )
        .route(
            &at("/portfolio/events/orders/batched"),
            post(orders::batch_create_v2).delete(orders::batch_cancel_v2),
        )
        .route(
            &at("/portfolio/events/orders/{order_id}"),
            axum::routing::delete(orders::cancel_v2),
        )
        .route(
            &at("/portfolio/events/orders/{order_id}/amend"),
            post(orders::amend_v2),
        )
        .route(
            &at("/portfolio/events/orders/{order_id}/decrease"),
            post(orders::decrease_v2),
        )
        .route(
            &at("/portfolio/orders"),
            post(orders::create_legacy).get(portfolio::orders),
        )
        .route(
            &at("/portfolio/orders/batched"),
            post(orders::batch_create_legacy).delete(orders::batch_cancel_legacy),
        )
        .route(
            &at("/portfolio/orders/queue_positions"),
            get(portfolio::queue_positions),
        )
        .route(
            &at("/portfolio/orders/{order_id}"),
            get(portfolio::order_one).delete(orders::cancel_legacy),
        )
        .route(
            &at("/portfolio/orders/{order_id}/amend"),
            post(orders::amend_legacy),
        )
        .route(
            &at("/portfolio/orders/{order_id}/decrease"),
            post(orders::decrease_legacy),
        )
        .route(
            &at("/portfolio/orders/{order_id}/queue_position"),
            get(portfolio::queue_position),
        )
        .route(&at("/portfolio/fills"), get(portfolio::fills))
        .route(&at("/portfolio/positions"), get(portfolio::positions))
        .route(&at("/portfolio/balance"), get(portfolio::balance))
        .route(&at("/portfolio/settlements"), get(portfolio::settlements))
        .route(&at("/portfolio/order_groups"), get(order_groups::list))
        .route(
            &at("/portfolio/order_groups/create"),
            post(order_groups::create),
        )
        .route(
            &at("/portfolio/order_groups/{id}"),
            get(order_groups::get_one).delete(order_groups::delete),
        )
        .route(
            &at("/portfolio/order_groups/{id}/trigger"),
            put(order_groups::trigger),
        )
        .route(
            &at("/portfolio/order_groups/{id}/reset"),
            put(order_groups::reset),
        )
        .route(
            &at("/portfolio/order_groups/{id}/limit"),
            put(order_groups::limit),
        )
        .route(&at("/account/limits"), get(account::limits))
        .route(&at("/account/endpoint_costs"), get(account::endpoint_costs))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            rest_gate,
        ));
    Router::new()
        .route(super::WS_PATH, get(super::ws::upgrade))
        .merge(rest)
        .layer(axum::extract::DefaultBodyLimit::max(
            super::limits::REQUEST_BODY_BYTES_MAX,
        ))
        .layer(axum::middleware::from_fn(super::limits::request_limits))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            super::middleware::exchange_date,
        ))
        .with_state(state)
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no endpoint at {}", uri.path()))
}
