//! The legacy dialect's part of the recorded session.

use serde_json::json;

use super::{Session, id_of};
use crate::server_support::TICKER;

/// Buy NO (a YES ask) that rests, is amended, decreased and cancelled; a crossing buy YES;
/// batches; and the error forms of each.
pub async fn legacy_dialect_orders(s: &mut Session<'_>) {
    let legacy = s
        .call(
            "POST",
            "/portfolio/orders",
            "/portfolio/orders",
            Some(
                json!({"ticker": TICKER, "side": "no", "action": "buy", "count": 4,
                        "no_price_dollars": "0.0100", "client_order_id": "fid-legacy-1",
                        "time_in_force": "good_till_canceled"}),
            ),
        )
        .await;
    let legacy_id = id_of(&legacy, "/order/order_id");
    s.call(
        "POST",
        "/portfolio/orders",
        "/portfolio/orders",
        Some(
            json!({"ticker": TICKER, "side": "yes", "action": "buy", "count": 2,
                    "yes_price": 44, "time_in_force": "immediate_or_cancel"}),
        ),
    )
    .await;
    s.call(
        "POST",
        "/portfolio/orders",
        "/portfolio/orders",
        Some(
            json!({"ticker": TICKER, "side": "yes", "action": "buy", "count": 2,
                    "yes_price": 44, "no_price": 56}),
        ),
    )
    .await;
    s.call(
        "POST",
        "/portfolio/orders/{order_id}/amend",
        &format!("/portfolio/orders/{legacy_id}/amend"),
        Some(
            json!({"ticker": TICKER, "side": "no", "action": "buy", "count_fp": "6.00",
                    "no_price_dollars": "0.0200", "client_order_id": "fid-legacy-1",
                    "updated_client_order_id": "fid-legacy-2"}),
        ),
    )
    .await;
    s.call(
        "POST",
        "/portfolio/orders/{order_id}/amend",
        &format!("/portfolio/orders/{legacy_id}/amend"),
        Some(json!({"ticker": TICKER})),
    )
    .await;
    s.call(
        "POST",
        "/portfolio/orders/{order_id}/decrease",
        &format!("/portfolio/orders/{legacy_id}/decrease"),
        Some(json!({"reduce_to_fp": "3.00"})),
    )
    .await;
    s.call(
        "POST",
        "/portfolio/orders/{order_id}/decrease",
        "/portfolio/orders/00000000-0000-0000-0000-000000000000/decrease",
        Some(json!({"reduce_by": 1})),
    )
    .await;
    s.call(
        "DELETE",
        "/portfolio/orders/{order_id}",
        &format!("/portfolio/orders/{legacy_id}"),
        None,
    )
    .await;
    s.call(
        "DELETE",
        "/portfolio/orders/{order_id}",
        "/portfolio/orders/00000000-0000-0000-0000-000000000000",
        None,
    )
    .await;
    let legacy_batch = s
        .call(
            "POST",
            "/portfolio/orders/batched",
            "/portfolio/orders/batched",
            Some(json!({"orders": [
                {"ticker": TICKER, "side": "yes", "action": "buy", "count": 1, "yes_price": 10},
                {"ticker": TICKER, "side": "yes", "action": "buy", "count": 1},
            ]})),
        )
        .await;
    let legacy_batch_id = id_of(&legacy_batch, "/orders/0/order/order_id");
    s.call(
        "POST",
        "/portfolio/orders/batched",
        "/portfolio/orders/batched",
        Some(json!({"orders": {}})),
    )
    .await;
    s.call(
        "DELETE",
        "/portfolio/orders/batched",
        "/portfolio/orders/batched",
        Some(json!({"orders": [{"order_id": legacy_batch_id}, {"order_id": "00000000-0000-0000-0000-000000000000"}]})),
    )
    .await;
    s.call(
        "DELETE",
        "/portfolio/orders/batched",
        "/portfolio/orders/batched",
        Some(json!({"orders": "x"})),
    )
    .await;
}
