//! Exchange-wide status: `GET /exchange/status`, `GET /exchange/user_data_timestamp`.

use serde::{Deserialize, Serialize};

/// Status of one exchange shard.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExchangeIndexStatus {
    /// Shard id.
    #[serde(default)]
    pub exchange_index: i32,
    /// Shard description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the shard is up.
    #[serde(default)]
    pub exchange_active: bool,
    /// Whether trading is allowed.
    #[serde(default)]
    pub trading_active: bool,
    /// Whether transfers between shards work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intra_exchange_transfers_active: Option<bool>,
}

/// `GET /exchange/status`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExchangeStatus {
    /// Whether the exchange is up (cancels allowed).
    #[serde(default)]
    pub exchange_active: bool,
    /// Whether placing and amending orders is allowed.
    #[serde(default)]
    pub trading_active: bool,
    /// Whether transfers between shards work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intra_exchange_transfers_active: Option<bool>,
    /// RFC 3339 estimated end of a pause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_estimated_resume_time: Option<String>,
    /// Per-shard statuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index_statuses: Option<Vec<ExchangeIndexStatus>>,
}

/// `GET /exchange/user_data_timestamp`: how fresh portfolio REST views are.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserDataTimestamp {
    /// RFC 3339 time the portfolio views reflect.
    pub as_of_time: String,
}
