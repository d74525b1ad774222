//! The recorded session of `server_spec_schemas`: every route of the local exchange called in
//! success and error forms, with trading that makes every WebSocket channel speak. The legacy
//! dialect's orders are in `legacy.rs`.

mod legacy;

use kalshi_core::side::BookSide;
use kalshi_sim::exchange::{EventSpec, FeeType, NS_PER_S};
use serde_json::{Value, json};

use crate::server_support::*;
use crate::spec_check::Answer;

/// The REST half of the recorded session.
pub struct Session<'a> {
    client: &'a Client,
    answers: Vec<Answer>,
}

impl Session<'_> {
    /// Calls `method path` (signed) and records the answer under `route`.
    pub async fn call(
        &mut self,
        method: &'static str,
        route: &'static str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        self.call_signed(method, route, path, body, true).await
    }

    pub async fn call_signed(
        &mut self,
        method: &'static str,
        route: &'static str,
        path: &str,
        body: Option<Value>,
        signed: bool,
    ) -> Value {
        let reply = self
            .client
            .request(method, path, body, signed)
            .await
            .unwrap();
        let body = if reply.text.is_empty() {
            Value::Null
        } else {
            reply.json()
        };
        self.answers.push(Answer {
            method,
            route,
            status: reply.status,
            body: body.clone(),
        });
        body
    }
}

/// A fresh simulator with flow on a few generated markets plus the test market with
/// another user's resting quotes on both sides.
pub async fn start() -> (kalshi_sim::SimHandle, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let handle = kalshi_sim::spawn(flow_config(dir.path(), 3, 11))
        .await
        .unwrap();
    add_test_market(&handle, FeeType::QuadraticWithMakerFees);
    let maker = add_user(&handle, "maker");
    rest(&handle, maker, BookSide::Bid, "0.41", 10);
    rest(&handle, maker, BookSide::Bid, "0.42", 13);
    rest(&handle, maker, BookSide::Ask, "0.44", 17);
    rest(&handle, maker, BookSide::Ask, "0.45", 20);
    handle.advance_virtual_clock(600 * NS_PER_S).unwrap();
    (handle, dir)
}

pub fn v2_order(side: &str, price: &str, count: &str, tif: &str, client_order_id: &str) -> Value {
    json!({"ticker": TICKER, "side": side, "price": price, "count": count,
           "time_in_force": tif, "self_trade_prevention_type": "taker_at_cross",
           "client_order_id": client_order_id})
}

pub fn id_of(body: &Value, pointer: &str) -> String {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {pointer} in {body}"))
        .to_string()
}

/// Calls every route of the router, in success and error forms, with trading that makes
/// every WebSocket channel speak. Returns the REST answers and the WebSocket messages.
pub async fn recorded_session() -> (Vec<Answer>, Vec<Value>) {
    let (handle, _dir) = start().await;
    let client = Client::new(&handle);
    let mut ws = client.ws().await;
    let channels = [
        "orderbook_delta",
        "ticker",
        "trade",
        "fill",
        "user_orders",
        "market_positions",
        "market_lifecycle_v2",
        "order_group_updates",
    ];
    for channel in channels {
        let params = if matches!(channel, "market_lifecycle_v2" | "order_group_updates") {
            json!({"channels": [channel]})
        } else {
            json!({"channels": [channel], "market_tickers": [TICKER]})
        };
        ws.command("subscribe", Some(params)).await;
    }
    ws.command("list_subscriptions", None).await;
    ws.command("subscribe", Some(json!({"channels": ["no_such_channel"]})))
        .await;
    let mut frames: Vec<Value> = ws.sync().await.into_iter().map(|(_, v)| v).collect();

    let mut s = Session {
        client: &client,
        answers: Vec::new(),
    };
    let event_ticker = "KXTEST-26NOV30";
    let now_s = handle.now_ns() / NS_PER_S;

    // Exchange, account, market data.
    s.call("GET", "/exchange/status", "/exchange/status", None)
        .await;
    s.call(
        "GET",
        "/exchange/user_data_timestamp",
        "/exchange/user_data_timestamp",
        None,
    )
    .await;
    s.call("GET", "/account/limits", "/account/limits", None)
        .await;
    s.call(
        "GET",
        "/account/endpoint_costs",
        "/account/endpoint_costs",
        None,
    )
    .await;
    s.call("GET", "/series", "/series", None).await;
    s.call("GET", "/series/{series_ticker}", "/series/KXTEST", None)
        .await;
    s.call("GET", "/series/{series_ticker}", "/series/KXNOPE", None)
        .await;
    // A scheduled fee change ahead and one already applied; an event overriding its series.
    handle.with_exchange(|exchange, now_ns| {
        exchange
            .schedule_series_fee_change(
                "KXTEST",
                now_ns - NS_PER_S,
                FeeType::QuadraticWithMakerFees,
                1_000_000,
            )
            .unwrap();
        exchange
            .schedule_series_fee_change(
                "KXTEST",
                now_ns + 3_600 * NS_PER_S,
                FeeType::QuadraticWithMakerFees,
                1_500_000,
            )
            .unwrap();
        exchange
            .add_event(EventSpec {
                ticker: "KXTEST-26DEC01".into(),
                series_ticker: "KXTEST".into(),
                title: "Test event with fee overrides".into(),
                sub_title: String::new(),
                mutually_exclusive: false,
                fee_type_override: Some(FeeType::QuadraticWithComboMakerFees),
                fee_multiplier_override_ppm: Some(500_000),
            })
            .unwrap();
    });
    let upcoming = s
        .call("GET", "/series/fee_changes", "/series/fee_changes", None)
        .await;
    assert_eq!(
        upcoming["series_fee_change_arr"].as_array().map(Vec::len),
        Some(1),
        "{upcoming}"
    );
    let all = s
        .call(
            "GET",
            "/series/fee_changes",
            "/series/fee_changes?series_ticker=KXTEST&show_historical=true",
            None,
        )
        .await;
    assert_eq!(
        all["series_fee_change_arr"].as_array().map(Vec::len),
        Some(2),
        "{all}"
    );
    s.call(
        "GET",
        "/series/fee_changes",
        "/series/fee_changes?show_historical=maybe",
        None,
    )
    .await;
    let overridden = s
        .call(
            "GET",
            "/events/{event_ticker}",
            "/events/KXTEST-26DEC01",
            None,
        )
        .await;
    assert_eq!(
        overridden["event"]["fee_type_override"], "quadratic_with_combo_maker_fees",
        "{overridden}"
    );
    assert_eq!(
        overridden["event"]["fee_multiplier_override"], 0.5,
        "{overridden}"
    );
    s.call("GET", "/events", "/events", None).await;
    s.call("GET", "/events", "/events?with_nested_markets=true", None)
        .await;
    s.call("GET", "/events", "/events?limit=0", None).await;
    s.call(
        "GET",
        "/events/{event_ticker}",
        &format!("/events/{event_ticker}"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/events/{event_ticker}",
        &format!("/events/{event_ticker}?with_nested_markets=true"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/events/{event_ticker}",
        &format!("/events/{event_ticker}?exclude_markets=true"),
        None,
    )
    .await;
    s.call("GET", "/events/{event_ticker}", "/events/KXNOPE-1", None)
        .await;
    let markets = s.call("GET", "/markets", "/markets", None).await;
    assert!(
        markets["markets"].as_array().is_some_and(|m| m.len() >= 2),
        "{markets}"
    );
    s.call("GET", "/markets", "/markets?status=bogus", None)
        .await;
    s.call(
        "GET",
        "/markets/{ticker}",
        &format!("/markets/{TICKER}"),
        None,
    )
    .await;
    s.call("GET", "/markets/{ticker}", "/markets/KXNOPE-1", None)
        .await;
    s.call(
        "GET",
        "/markets/{ticker}/orderbook",
        &format!("/markets/{TICKER}/orderbook"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/markets/{ticker}/orderbook",
        "/markets/KXNOPE-1/orderbook",
        None,
    )
    .await;
    s.call(
        "GET",
        "/markets/orderbooks",
        &format!("/markets/orderbooks?tickers={TICKER}"),
        None,
    )
    .await;
    s.call("GET", "/markets/orderbooks", "/markets/orderbooks", None)
        .await;
    s.call("GET", "/markets/trades", "/markets/trades?limit=50", None)
        .await;
    s.call("GET", "/markets/trades", "/markets/trades?limit=x", None)
        .await;
    let range = format!(
        "start_ts={}&end_ts={}&period_interval=1",
        now_s - 3600,
        now_s
    );
    s.call(
        "GET",
        "/series/{series_ticker}/markets/{ticker}/candlesticks",
        &format!("/series/KXTEST/markets/{TICKER}/candlesticks?{range}"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/series/{series_ticker}/markets/{ticker}/candlesticks",
        &format!("/series/KXTEST/markets/{TICKER}/candlesticks"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/series/{series_ticker}/markets/{ticker}/candlesticks",
        &format!("/series/KXTEST/markets/KXNOPE-1/candlesticks?{range}"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/markets/candlesticks",
        &format!("/markets/candlesticks?market_tickers={TICKER}&{range}"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/markets/candlesticks",
        "/markets/candlesticks",
        None,
    )
    .await;

    // An order group, and V2 orders: a taker that fills, a resting maker that is amended,
    // decreased and cancelled, batches, cancel-all.
    let group = s
        .call(
            "POST",
            "/portfolio/order_groups/create",
            "/portfolio/order_groups/create",
            Some(json!({"contracts_limit_fp": "500.00"})),
        )
        .await;
    let group_id = id_of(&group, "/order_group_id");
    s.call(
        "POST",
        "/portfolio/order_groups/create",
        "/portfolio/order_groups/create",
        Some(json!({})),
    )
    .await;
    s.call(
        "GET",
        "/portfolio/order_groups",
        "/portfolio/order_groups",
        None,
    )
    .await;
    s.call(
        "GET",
        "/portfolio/order_groups/{id}",
        &format!("/portfolio/order_groups/{group_id}"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/portfolio/order_groups/{id}",
        "/portfolio/order_groups/nope",
        None,
    )
    .await;
    s.call(
        "PUT",
        "/portfolio/order_groups/{id}/limit",
        &format!("/portfolio/order_groups/{group_id}/limit"),
        Some(json!({"contracts_limit_fp": "400.00"})),
    )
    .await;
    s.call(
        "PUT",
        "/portfolio/order_groups/{id}/limit",
        &format!("/portfolio/order_groups/{group_id}/limit"),
        Some(json!({})),
    )
    .await;

    let mut taker = v2_order("bid", "0.44", "5", "immediate_or_cancel", "fid-taker-1");
    taker["order_group_id"] = Value::from(group_id.clone());
    s.call(
        "POST",
        "/portfolio/events/orders",
        "/portfolio/events/orders",
        Some(taker),
    )
    .await;
    let resting = s
        .call(
            "POST",
            "/portfolio/events/orders",
            "/portfolio/events/orders",
            Some(v2_order(
                "bid",
                "0.30",
                "10",
                "good_till_canceled",
                "fid-rest-1",
            )),
        )
        .await;
    let resting_id = id_of(&resting, "/order_id");
    s.call(
        "POST",
        "/portfolio/events/orders",
        "/portfolio/events/orders",
        Some(json!({"ticker": TICKER, "side": "bid"})),
    )
    .await;
    s.call(
        "POST",
        "/portfolio/events/orders/{order_id}/amend",
        &format!("/portfolio/events/orders/{resting_id}/amend"),
        Some(
            json!({"ticker": TICKER, "side": "bid", "price": "0.31", "count": "12",
                    "client_order_id": "fid-rest-1", "updated_client_order_id": "fid-rest-2"}),
        ),
    )
    .await;
    s.call(
        "POST",
        "/portfolio/events/orders/{order_id}/amend",
        "/portfolio/events/orders/00000000-0000-0000-0000-000000000000/amend",
        Some(json!({"ticker": TICKER, "side": "bid", "price": "0.31", "count": "12"})),
    )
    .await;
    s.call(
        "POST",
        "/portfolio/events/orders/{order_id}/decrease",
        &format!("/portfolio/events/orders/{resting_id}/decrease"),
        Some(json!({"reduce_by": "2.00"})),
    )
    .await;
    s.call(
        "POST",
        "/portfolio/events/orders/{order_id}/decrease",
        &format!("/portfolio/events/orders/{resting_id}/decrease"),
        Some(json!({})),
    )
    .await;
    s.call(
        "GET",
        "/portfolio/orders/{order_id}/queue_position",
        &format!("/portfolio/orders/{resting_id}/queue_position"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/portfolio/orders/{order_id}/queue_position",
        "/portfolio/orders/00000000-0000-0000-0000-000000000000/queue_position",
        None,
    )
    .await;
    s.call(
        "GET",
        "/portfolio/orders/queue_positions",
        &format!("/portfolio/orders/queue_positions?market_tickers={TICKER}"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/portfolio/orders/queue_positions",
        "/portfolio/orders/queue_positions?subaccount=x",
        None,
    )
    .await;
    s.call(
        "GET",
        "/portfolio/orders/{order_id}",
        &format!("/portfolio/orders/{resting_id}"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/portfolio/orders/{order_id}",
        "/portfolio/orders/00000000-0000-0000-0000-000000000000",
        None,
    )
    .await;
    s.call(
        "DELETE",
        "/portfolio/events/orders/{order_id}",
        &format!("/portfolio/events/orders/{resting_id}"),
        None,
    )
    .await;
    s.call(
        "DELETE",
        "/portfolio/events/orders/{order_id}",
        "/portfolio/events/orders/00000000-0000-0000-0000-000000000000",
        None,
    )
    .await;
    let batch = s
        .call(
            "POST",
            "/portfolio/events/orders/batched",
            "/portfolio/events/orders/batched",
            Some(json!({"orders": [
                v2_order("bid", "0.20", "3", "good_till_canceled", "fid-batch-1"),
                v2_order("ask", "0.90", "3", "good_till_canceled", "fid-batch-2"),
                v2_order("bid", "0.203", "3", "good_till_canceled", "fid-batch-3"),
            ]})),
        )
        .await;
    let batch_id = id_of(&batch, "/orders/0/order_id");
    s.call(
        "POST",
        "/portfolio/events/orders/batched",
        "/portfolio/events/orders/batched",
        Some(json!({"orders": "none"})),
    )
    .await;
    s.call(
        "DELETE",
        "/portfolio/events/orders/batched",
        "/portfolio/events/orders/batched",
        Some(json!({"orders": [{"order_id": batch_id}, {"order_id": "00000000-0000-0000-0000-000000000000"}]})),
    )
    .await;
    s.call(
        "DELETE",
        "/portfolio/events/orders/batched",
        "/portfolio/events/orders/batched",
        Some(json!({"orders": 3})),
    )
    .await;
    s.call(
        "DELETE",
        "/portfolio/events/orders",
        "/portfolio/events/orders",
        None,
    )
    .await;

    legacy::legacy_dialect_orders(&mut s).await;

    // A resting order left for the group trigger to cancel.
    let mut grouped = v2_order("bid", "0.25", "2", "good_till_canceled", "fid-group-1");
    grouped["order_group_id"] = Value::from(group_id.clone());
    s.call(
        "POST",
        "/portfolio/events/orders",
        "/portfolio/events/orders",
        Some(grouped),
    )
    .await;
    s.call(
        "PUT",
        "/portfolio/order_groups/{id}/trigger",
        &format!("/portfolio/order_groups/{group_id}/trigger"),
        None,
    )
    .await;
    s.call(
        "PUT",
        "/portfolio/order_groups/{id}/trigger",
        "/portfolio/order_groups/nope/trigger",
        None,
    )
    .await;
    s.call(
        "PUT",
        "/portfolio/order_groups/{id}/reset",
        &format!("/portfolio/order_groups/{group_id}/reset"),
        None,
    )
    .await;
    s.call(
        "PUT",
        "/portfolio/order_groups/{id}/reset",
        "/portfolio/order_groups/nope/reset",
        None,
    )
    .await;
    s.call(
        "PUT",
        "/portfolio/order_groups/{id}/limit",
        "/portfolio/order_groups/nope/limit",
        Some(json!({"contracts_limit_fp": "10.00"})),
    )
    .await;

    // Reads of the portfolio while the market is open.
    s.call("GET", "/portfolio/orders", "/portfolio/orders", None)
        .await;
    s.call(
        "GET",
        "/portfolio/orders",
        "/portfolio/orders?status=bogus",
        None,
    )
    .await;
    s.call("GET", "/portfolio/fills", "/portfolio/fills", None)
        .await;
    s.call("GET", "/portfolio/fills", "/portfolio/fills?limit=x", None)
        .await;
    s.call("GET", "/portfolio/positions", "/portfolio/positions", None)
        .await;
    s.call(
        "GET",
        "/portfolio/positions",
        "/portfolio/positions?settlement_status=bogus",
        None,
    )
    .await;
    s.call("GET", "/portfolio/balance", "/portfolio/balance", None)
        .await;
    s.call_signed(
        "GET",
        "/portfolio/balance",
        "/portfolio/balance",
        None,
        false,
    )
    .await;
    frames.extend(ws.sync().await.into_iter().map(|(_, v)| v));

    // Close, determine and settle the test market; read what a settled market answers.
    // In one-minute steps, reading the socket after each: the exchange publishes a batch per
    // second of simulated time, and a session that falls more than the broadcast's capacity
    // behind loses its subscriptions (error 25).
    for _ in 0..120 {
        handle.advance_virtual_clock(60 * NS_PER_S).unwrap();
        frames.extend(ws.sync().await.into_iter().map(|(_, v)| v));
    }
    s.call(
        "GET",
        "/portfolio/settlements",
        "/portfolio/settlements",
        None,
    )
    .await;
    s.call(
        "GET",
        "/portfolio/settlements",
        "/portfolio/settlements?limit=x",
        None,
    )
    .await;
    s.call(
        "GET",
        "/portfolio/positions",
        "/portfolio/positions?settlement_status=settled",
        None,
    )
    .await;
    s.call(
        "GET",
        "/markets/{ticker}",
        &format!("/markets/{TICKER}"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/markets",
        "/markets?status=settled&limit=1000",
        None,
    )
    .await;
    s.call(
        "GET",
        "/events/{event_ticker}",
        &format!("/events/{event_ticker}?with_nested_markets=true"),
        None,
    )
    .await;
    s.call(
        "DELETE",
        "/portfolio/order_groups/{id}",
        &format!("/portfolio/order_groups/{group_id}"),
        None,
    )
    .await;
    s.call(
        "DELETE",
        "/portfolio/order_groups/{id}",
        "/portfolio/order_groups/nope",
        None,
    )
    .await;
    s.call("GET", "/nowhere", "/nowhere", None).await;

    // Unsubscribe from everything: the acks are messages too.
    let sids: Vec<u64> = frames
        .iter()
        .filter(|f| f["type"] == "subscribed")
        .filter_map(|f| f["msg"]["sid"].as_u64())
        .collect();
    ws.command("unsubscribe", Some(json!({"sids": sids}))).await;
    frames.extend(ws.sync().await.into_iter().map(|(_, v)| v));
    let answers = s.answers;
    (answers, frames)
}
