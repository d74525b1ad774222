//! Legacy order endpoints (`POST /portfolio/orders`, `DELETE /portfolio/orders/{id}`, amend,
//! decrease, batched): `side: yes|no` plus `action: buy|sell`, one of four price fields.
//! Deprecated by Kalshi in 2026 but still used by many clients, so the local exchange serves
//! them too.

use kalshi_core::fixed::{Count, Price};
use kalshi_core::side::{LegacyAction, OutcomeSide};
use serde::{Deserialize, Serialize};

use super::error::ApiErrorDetail;
use super::numbers::opt;
use super::order_v2::{SelfTradePrevention, TimeInForce};
use super::portfolio::Order;

/// `POST /portfolio/orders` body (`CreateOrderRequest`): exactly one of the four price fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOrderRequest {
    /// Market ticker.
    pub ticker: String,
    /// Outcome traded.
    pub side: OutcomeSide,
    /// Buy or sell that outcome.
    pub action: LegacyAction,
    /// Whole contracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Contracts as a fixed-point string.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub count_fp: Option<Count>,
    /// YES limit in cents (1–99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_price: Option<i64>,
    /// NO limit in cents (1–99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_price: Option<i64>,
    /// YES limit in dollars.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_price_dollars: Option<Price>,
    /// NO limit in dollars.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub no_price_dollars: Option<Price>,
    /// Our id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Expiry in Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_ts: Option<i64>,
    /// Time in force (good-till-canceled when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<TimeInForce>,
    /// Cost cap in cents (implies fill-or-kill).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buy_max_cost: Option<i64>,
    /// Maker only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_only: Option<bool>,
    /// Only reduce the position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_only: Option<bool>,
    /// Deprecated; only 0 accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sell_position_floor: Option<i64>,
    /// Self-trade prevention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_trade_prevention_type: Option<SelfTradePrevention>,
    /// Order group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_group_id: Option<String>,
    /// Cancel if trading pauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_order_on_pause: Option<bool>,
    /// Subaccount to trade in (0 = primary); omitted means 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
    /// Shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// `DELETE /portfolio/orders/{order_id}` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CancelOrderResponse {
    /// The order after cancellation.
    pub order: Order,
    /// Contracts cancelled.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub reduced_by_fp: Option<Count>,
    /// Legacy whole-contract form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduced_by: Option<i64>,
}

/// `POST /portfolio/orders/{order_id}/amend` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AmendOrderResponse {
    /// The order before.
    pub old_order: Order,
    /// The order after.
    pub order: Order,
}

/// `POST /portfolio/orders/{order_id}/decrease` body: one reduce field.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DecreaseOrderRequest {
    /// Whole contracts to remove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_by: Option<i64>,
    /// Contracts to remove.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub reduce_by_fp: Option<Count>,
    /// Whole contracts to keep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_to: Option<i64>,
    /// Contracts to keep.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub reduce_to_fp: Option<Count>,
}

/// `POST /portfolio/orders/batched` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCreateOrdersRequest {
    /// The orders to create; each succeeds or fails on its own.
    pub orders: Vec<CreateOrderRequest>,
}

/// One item of the legacy batch-create answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BatchCreateOrderResult {
    /// Our id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// The created order, unless this item failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    /// Why this item failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiErrorDetail>,
}

/// Legacy batch-create answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BatchCreateOrdersResponse {
    /// One result per requested order.
    #[serde(default)]
    pub orders: Vec<BatchCreateOrderResult>,
}

/// One item of the legacy batch-cancel answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BatchCancelOrderResult {
    /// Exchange order id.
    #[serde(default)]
    pub order_id: String,
    /// The order after cancellation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    /// Contracts cancelled.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub reduced_by_fp: Option<Count>,
    /// Legacy whole-contract form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduced_by: Option<i64>,
    /// Why this item failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiErrorDetail>,
}

/// Legacy batch-cancel answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BatchCancelOrdersResponse {
    /// One result per requested cancel.
    #[serde(default)]
    pub orders: Vec<BatchCancelOrderResult>,
}
