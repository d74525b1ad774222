//! Order groups: a rolling 15-second matched-contracts limit that cancels the group's orders
//! when exceeded (Kalshi's automatic kill switch).

use kalshi_core::fixed::Count;
use serde::{Deserialize, Serialize};

use super::numbers::opt;

/// `POST /portfolio/order_groups/create` body: `contracts_limit` or `contracts_limit_fp`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CreateOrderGroupRequest {
    /// Whole-contract limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contracts_limit: Option<i64>,
    /// Fixed-point limit.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub contracts_limit_fp: Option<Count>,
    /// Subaccount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
    /// Shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// Create answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CreateOrderGroupResponse {
    /// The new group's id.
    pub order_group_id: String,
    /// Subaccount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
    /// Shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// One entry of `GET /portfolio/order_groups`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderGroupSummary {
    /// Group id.
    pub id: String,
    /// The limit.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub contracts_limit_fp: Option<Count>,
    /// Legacy whole-contract limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contracts_limit: Option<i64>,
    /// Kalshi's flag on the group.
    #[serde(default)]
    pub is_auto_cancel_enabled: bool,
    /// Shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// `GET /portfolio/order_groups`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderGroupsList {
    /// The groups.
    #[serde(default)]
    pub order_groups: Vec<OrderGroupSummary>,
}

/// `GET /portfolio/order_groups/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderGroupResponse {
    /// Kalshi's flag on the group.
    #[serde(default)]
    pub is_auto_cancel_enabled: bool,
    /// The limit.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub contracts_limit_fp: Option<Count>,
    /// Legacy whole-contract limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contracts_limit: Option<i64>,
    /// Ids of the group's orders.
    #[serde(default)]
    pub orders: Vec<String>,
    /// Shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// `PUT /portfolio/order_groups/{id}/limit` body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UpdateOrderGroupLimitRequest {
    /// Whole-contract limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contracts_limit: Option<i64>,
    /// Fixed-point limit.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub contracts_limit_fp: Option<Count>,
}

/// The `{}` answer of trigger, reset, limit and delete.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EmptyResponse {}
