//! V2 order endpoints under `/portfolio/events/orders`: one YES book, `side: bid|ask`, YES
//! price and count as fixed-point strings.
//!
//! Requests serialize exactly as the spec wants: `"price":"0.5600"`, `"count":"10.00"`,
//! `time_in_force` and `self_trade_prevention_type` always present, optional fields left out
//! when `None`.

use kalshi_core::fixed::{Count, Money, Price};
use kalshi_core::side::BookSide;
use serde::{Deserialize, Serialize};

use super::error::ApiErrorDetail;
use super::numbers::opt;

/// How long an order may rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Fill completely at once or not at all.
    FillOrKill,
    /// Rest until cancelled (or until `expiration_time`).
    GoodTillCanceled,
    /// Fill what crosses now, cancel the rest.
    ImmediateOrCancel,
}

/// What happens when an order would trade against one of our own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelfTradePrevention {
    /// Cancel the incoming order's remainder (Kalshi's default).
    TakerAtCross,
    /// Cancel the resting order and keep matching.
    Maker,
}

/// `POST /portfolio/events/orders` body (`CreateOrderV2Request`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOrderV2Request {
    /// Market ticker.
    pub ticker: String,
    /// `bid` buys YES, `ask` sells YES.
    pub side: BookSide,
    /// Contracts.
    pub count: Count,
    /// YES limit price; must lie on the market's tick grid.
    pub price: Price,
    /// How long it may rest: `good_till_canceled`, `immediate_or_cancel` or `fill_or_kill`.
    pub time_in_force: TimeInForce,
    /// Self-trade prevention.
    pub self_trade_prevention_type: SelfTradePrevention,
    /// Our idempotency / correlation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Expiry in Unix seconds (only with good-till-canceled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<i64>,
    /// Maker only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_only: Option<bool>,
    /// Only reduce the position (requires immediate-or-cancel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_only: Option<bool>,
    /// Cancel if trading pauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_order_on_pause: Option<bool>,
    /// Subaccount (0 = primary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
    /// Order group to attach to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_group_id: Option<String>,
    /// Shard; omit or −1 to route by ticker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// `POST /portfolio/events/orders` 201 answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOrderV2Response {
    /// Exchange order id.
    pub order_id: String,
    /// Echo of our id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Filled on placement.
    pub fill_count: Count,
    /// Resting after placement.
    pub remaining_count: Count,
    /// Average fill price (only when something filled).
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub average_fill_price: Option<Price>,
    /// Average fee per contract (only when something filled).
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub average_fee_paid: Option<Money>,
    /// Matching-engine time, Unix ms.
    pub ts_ms: i64,
}

/// `DELETE /portfolio/events/orders/{order_id}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOrderV2Response {
    /// Exchange order id.
    pub order_id: String,
    /// Our id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Contracts cancelled (the remaining count at cancellation).
    pub reduced_by: Count,
    /// Matching-engine time, Unix ms.
    pub ts_ms: i64,
}

/// `POST /portfolio/events/orders/{order_id}/amend` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmendOrderV2Request {
    /// Market ticker.
    pub ticker: String,
    /// Must match the order.
    pub side: BookSide,
    /// New YES price.
    pub price: Price,
    /// New total size: already filled + desired remaining.
    pub count: Count,
    /// The order's current client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// New client id after the amend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_client_order_id: Option<String>,
    /// New expiry in Unix seconds; 0 removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<i64>,
    /// Shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// Amend answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmendOrderV2Response {
    /// Exchange order id.
    pub order_id: String,
    /// The order's client id after the amend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Resting after the amend, when it changed.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub remaining_count: Option<Count>,
    /// Filled by the amend crossing the book, when any.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub fill_count: Option<Count>,
    /// Average price of those fills.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub average_fill_price: Option<Price>,
    /// Average fee per contract of those fills.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub average_fee_paid: Option<Money>,
    /// Matching-engine time, Unix ms.
    pub ts_ms: i64,
}

/// `POST /portfolio/events/orders/{order_id}/decrease` body: exactly one of `reduce_by` / `reduce_to`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DecreaseOrderV2Request {
    /// Contracts to remove.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub reduce_by: Option<Count>,
    /// Remaining size wanted.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub reduce_to: Option<Count>,
    /// Shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
    /// Ticker for auto-routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<String>,
}

/// Decrease answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecreaseOrderV2Response {
    /// Exchange order id.
    pub order_id: String,
    /// Our id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Resting after the decrease.
    pub remaining_count: Count,
    /// Matching-engine time, Unix ms.
    pub ts_ms: i64,
}

/// `POST /portfolio/events/orders/batched` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCreateOrdersV2Request {
    /// The orders to create; each succeeds or fails on its own (per-item `error`).
    pub orders: Vec<CreateOrderV2Request>,
}

/// One item of the batch-create answer: a result or an error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BatchCreateOrderV2Result {
    /// Exchange order id (empty when the item failed).
    #[serde(default)]
    pub order_id: String,
    /// Our id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Filled on placement.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub fill_count: Option<Count>,
    /// Resting after placement.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub remaining_count: Option<Count>,
    /// Average fill price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub average_fill_price: Option<Price>,
    /// Average fee per contract.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub average_fee_paid: Option<Money>,
    /// Matching-engine time (absent on error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
    /// Why this item failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiErrorDetail>,
}

/// Batch-create answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BatchCreateOrdersV2Response {
    /// One result per requested order, in order.
    #[serde(default)]
    pub orders: Vec<BatchCreateOrderV2Result>,
}

/// One order to cancel in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCancelOrderV2Item {
    /// Exchange order id.
    pub order_id: String,
    /// Subaccount holding the order (0 = primary); omitted means 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
    /// Shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
    /// Ticker for auto-routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<String>,
}

/// `DELETE /portfolio/events/orders/batched` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCancelOrdersV2Request {
    /// The orders to cancel.
    pub orders: Vec<BatchCancelOrderV2Item>,
}

/// One item of the batch-cancel answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BatchCancelOrderV2Result {
    /// Exchange order id.
    pub order_id: String,
    /// Our id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Contracts cancelled (0 on error).
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub reduced_by: Option<Count>,
    /// Matching-engine time (absent on error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
    /// Why this item failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiErrorDetail>,
}

/// Batch-cancel answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BatchCancelOrdersV2Response {
    /// One result per requested cancel.
    #[serde(default)]
    pub orders: Vec<BatchCancelOrderV2Result>,
}
