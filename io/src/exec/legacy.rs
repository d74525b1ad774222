//! The deprecated `/portfolio/orders` write dialect (`side: yes|no`, `action: buy|sell`, one
//! of four price fields), for servers that still only speak it.
//!
//! Mapping from the one-YES-book order: a **bid** at YES price `p` is sent as *buy YES* with
//! `yes_price_dollars = p`; an **ask** at `p` is sent as *buy NO* with
//! `no_price_dollars = 1 − p` (economically identical to selling YES at `p`, and accepted
//! without holding YES). Amends use the same mapping, so side and action always match the
//! original order.

use kalshi_core::commands::{AmendOrder, DecreaseOrder, PlaceOrder};
use kalshi_core::fixed::{Count, Price};
use kalshi_core::side::{BookSide, LegacyAction, OutcomeSide};
use reqwest::Method;
use serde::Serialize;

use super::{
    Canceled, Executor, Modified, OrderDialect, Placed, WriteOutcome, classify_write_error, stp,
    time_in_force,
};
use crate::data_rest::{AuthMode, RestRequest};
use crate::normalize;
use crate::wire::order_legacy::{
    AmendOrderResponse, CancelOrderResponse, CreateOrderRequest, DecreaseOrderRequest,
};
use crate::wire::portfolio::{Order, OrderResponse};

/// The legacy `(side, action, price field)` of a one-book order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyTerms {
    /// Outcome traded.
    pub side: OutcomeSide,
    /// Buy or sell it.
    pub action: LegacyAction,
    /// `yes_price_dollars` when set.
    pub yes_price: Option<Price>,
    /// `no_price_dollars` when set.
    pub no_price: Option<Price>,
}

/// Maps a one-book side and YES price to legacy terms (see the module docs).
pub fn legacy_terms(side: BookSide, yes_price: Price) -> LegacyTerms {
    match side {
        BookSide::Bid => LegacyTerms {
            side: OutcomeSide::Yes,
            action: LegacyAction::Buy,
            yes_price: Some(yes_price),
            no_price: None,
        },
        BookSide::Ask => LegacyTerms {
            side: OutcomeSide::No,
            action: LegacyAction::Buy,
            yes_price: None,
            no_price: Some(yes_price.complement()),
        },
    }
}

/// Whole contracts when the count has no fraction (older servers want the integer form).
fn whole_contracts(count: Count) -> Option<i64> {
    (count.centi() % 100 == 0).then(|| count.centi() / 100)
}

/// The legacy create body of an order.
pub fn legacy_request(executor: &Executor, order: &PlaceOrder) -> CreateOrderRequest {
    let terms = legacy_terms(order.side, order.price);
    CreateOrderRequest {
        ticker: order.ticker.clone(),
        side: terms.side,
        action: terms.action,
        count: whole_contracts(order.count),
        count_fp: Some(order.count),
        yes_price: None,
        no_price: None,
        yes_price_dollars: terms.yes_price,
        no_price_dollars: terms.no_price,
        client_order_id: Some(order.client_order_id.as_str().to_string()),
        expiration_ts: order.expiration_ts_s,
        time_in_force: Some(time_in_force(order.time_in_force)),
        buy_max_cost: None,
        post_only: Some(order.post_only),
        reduce_only: Some(order.reduce_only),
        sell_position_floor: None,
        self_trade_prevention_type: Some(stp(order.self_trade_prevention)),
        order_group_id: order.order_group_id.clone(),
        cancel_order_on_pause: Some(order.cancel_order_on_pause),
        subaccount: executor.config.subaccount,
        exchange_index: None,
    }
}

/// Counts of a legacy `Order` answer.
fn counts(order: &Order) -> Result<(Count, Count), String> {
    let snapshot = normalize::order_snapshot(order).map_err(|error| error.to_string())?;
    Ok((snapshot.fill_count, snapshot.remaining_count))
}

fn placed_from(order: Order) -> WriteOutcome<Placed> {
    match counts(&order) {
        Ok((fill_count, remaining_count)) => WriteOutcome::Accepted(Placed {
            order_id: order.order_id,
            client_order_id: order.client_order_id.filter(|id| !id.is_empty()),
            fill_count,
            remaining_count,
        }),
        Err(reason) => WriteOutcome::Unknown {
            reason: format!("accepted with an unreadable order: {reason}"),
        },
    }
}

fn modified_from(order: Order) -> WriteOutcome<Modified> {
    match counts(&order) {
        Ok((fill_count, remaining_count)) => WriteOutcome::Accepted(Modified {
            order_id: order.order_id,
            client_order_id: order.client_order_id.filter(|id| !id.is_empty()),
            fill_count: Some(fill_count),
            remaining_count: Some(remaining_count),
        }),
        Err(reason) => WriteOutcome::Unknown {
            reason: format!("accepted with an unreadable order: {reason}"),
        },
    }
}

fn signed_json<U>(
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: &impl Serialize,
) -> Result<RestRequest, WriteOutcome<U>> {
    RestRequest::new(method, path, AuthMode::Signed)
        .with_query(query)
        .with_json(body)
        .map_err(|error| classify_write_error(&error))
}

/// `POST /portfolio/orders`.
pub(super) async fn place(executor: &Executor, order: &PlaceOrder) -> WriteOutcome<Placed> {
    let route = OrderDialect::Legacy.place_route();
    let request = match signed_json(
        route.method,
        route.template.to_string(),
        Vec::new(),
        &legacy_request(executor, order),
    ) {
        Ok(request) => request,
        Err(outcome) => return outcome,
    };
    match executor
        .write::<OrderResponse>(Ok(request))
        .await
        .into_accepted()
    {
        Ok(response) => placed_from(response.order),
        Err(outcome) => outcome,
    }
}

/// `DELETE /portfolio/orders/{order_id}`.
pub(super) async fn cancel(executor: &Executor, order_id: &str) -> WriteOutcome<Canceled> {
    let route = OrderDialect::Legacy.cancel_route();
    let path = match route.path_for(order_id) {
        Ok(path) => path,
        Err(error) => return classify_write_error(&error),
    };
    let request = RestRequest::new(route.method, path, AuthMode::Signed)
        .with_query(executor.subaccount_query());
    match executor
        .write::<CancelOrderResponse>(Ok(request))
        .await
        .into_accepted()
    {
        Ok(response) => {
            let reduced_by = response
                .reduced_by_fp
                .or_else(|| {
                    response
                        .reduced_by
                        .and_then(|n| Count::from_contracts(n).ok())
                })
                .unwrap_or_default();
            WriteOutcome::Accepted(Canceled {
                order_id: response.order.order_id,
                client_order_id: response.order.client_order_id.filter(|id| !id.is_empty()),
                reduced_by,
            })
        }
        Err(outcome) => outcome,
    }
}

/// Legacy amend body (`AmendOrderRequest` in the spec): the same side/action/price mapping
/// as the create, and the new total count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegacyAmendRequest {
    /// Market ticker.
    pub ticker: String,
    /// Outcome of the order (unchanged by the amend).
    pub side: OutcomeSide,
    /// Buy or sell (unchanged by the amend).
    pub action: LegacyAction,
    /// Client id of the order being amended.
    pub client_order_id: String,
    /// New YES price, for an order entered as *buy YES*.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yes_price_dollars: Option<Price>,
    /// New NO price, for an order entered as *buy NO*.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_price_dollars: Option<Price>,
    /// New total count (filled plus desired remaining).
    pub count_fp: Count,
    /// Subaccount (`None` = primary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
}

/// The legacy amend body of an amend.
pub fn legacy_amend_request(executor: &Executor, amend: &AmendOrder) -> LegacyAmendRequest {
    let terms = legacy_terms(amend.side, amend.price);
    LegacyAmendRequest {
        ticker: amend.ticker.clone(),
        side: terms.side,
        action: terms.action,
        client_order_id: amend.client_order_id.as_str().to_string(),
        yes_price_dollars: terms.yes_price,
        no_price_dollars: terms.no_price,
        count_fp: amend.total_count,
        subaccount: executor.config.subaccount,
    }
}

/// The legacy decrease body of a decrease: keep `reduce_to` contracts resting.
pub fn legacy_decrease_request(decrease: &DecreaseOrder) -> DecreaseOrderRequest {
    DecreaseOrderRequest {
        reduce_to_fp: Some(decrease.reduce_to),
        ..DecreaseOrderRequest::default()
    }
}

/// `POST /portfolio/orders/{order_id}/amend`.
pub(super) async fn amend(executor: &Executor, amend: &AmendOrder) -> WriteOutcome<Modified> {
    let route = OrderDialect::Legacy.amend_route();
    let path = match route.path_for(&amend.order_id) {
        Ok(path) => path,
        Err(error) => return classify_write_error(&error),
    };
    let request = match signed_json(
        route.method,
        path,
        Vec::new(),
        &legacy_amend_request(executor, amend),
    ) {
        Ok(request) => request,
        Err(outcome) => return outcome,
    };
    match executor
        .write::<AmendOrderResponse>(Ok(request))
        .await
        .into_accepted()
    {
        Ok(response) => modified_from(response.order),
        Err(outcome) => outcome,
    }
}

/// `POST /portfolio/orders/{order_id}/decrease`.
pub(super) async fn decrease(
    executor: &Executor,
    decrease: &DecreaseOrder,
) -> WriteOutcome<Modified> {
    let route = OrderDialect::Legacy.decrease_route();
    let path = match route.path_for(&decrease.order_id) {
        Ok(path) => path,
        Err(error) => return classify_write_error(&error),
    };
    let request = match signed_json(
        route.method,
        path,
        executor.subaccount_query(),
        &legacy_decrease_request(decrease),
    ) {
        Ok(request) => request,
        Err(outcome) => return outcome,
    };
    match executor
        .write::<OrderResponse>(Ok(request))
        .await
        .into_accepted()
    {
        Ok(response) => modified_from(response.order),
        Err(outcome) => outcome,
    }
}
