//! `GET /account/limits` (the caller's tier and buckets) and `GET /account/endpoint_costs`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kalshi_wire::ratelimit::{
    BATCH_CANCEL_COST_PER_ORDER, BATCH_CREATE_COST_PER_ORDER, CHEAP_COST, DEFAULT_COST, UsageTier,
};
use serde_json::json as json_value;

use super::{AppState, json};

fn tier_name(tier: UsageTier) -> &'static str {
    match tier {
        UsageTier::Basic => "basic",
        UsageTier::Advanced => "advanced",
        UsageTier::Premier => "premier",
        UsageTier::Paragon => "paragon",
        UsageTier::Prime => "prime",
    }
}

/// `GET /account/limits`.
pub(crate) async fn limits(State(state): State<AppState>) -> Response {
    let limits = state.settings.limits;
    let body = json_value!({
        "usage_tier": tier_name(state.settings.tier),
        "read": { "refill_rate": limits.read.refill_per_s, "bucket_capacity": limits.read.capacity },
        "write": { "refill_rate": limits.write.refill_per_s, "bucket_capacity": limits.write.capacity },
        "grants": [],
    });
    json(StatusCode::OK, &body)
}

/// `GET /account/endpoint_costs`: the exceptions to the default cost.
pub(crate) async fn endpoint_costs() -> Response {
    let cost = |method: &str, path: &str, cost: u32| json_value!({ "method": method, "path": path, "cost": cost });
    let body = json_value!({
        "default_cost": DEFAULT_COST,
        "endpoint_costs": [
            cost("GET", "/portfolio/orders/{order_id}", CHEAP_COST),
            cost("DELETE", "/portfolio/events/orders/{order_id}", CHEAP_COST),
            cost("DELETE", "/portfolio/events/orders", CHEAP_COST),
            cost("POST", "/portfolio/events/orders/batched", BATCH_CREATE_COST_PER_ORDER),
            cost("DELETE", "/portfolio/events/orders/batched", BATCH_CANCEL_COST_PER_ORDER),
        ],
    });
    json(StatusCode::OK, &body)
}
