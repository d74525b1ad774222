//! Fidelity to Kalshi's own documents: a recorded session that calls every REST route the
//! local exchange serves (success and error answers alike) and subscribes to every
//! WebSocket channel it serves, with trading in between so that order, fill and position
//! messages occur. Every REST answer is validated against the OpenAPI response schema of
//! its `(path, method, status)`, and every WebSocket message against the AsyncAPI message
//! payloads of its `type`, by the generic validator in `spec_support` (driven by the spec:
//! `$ref`, required, type, enum, properties, items, nullable, allOf/oneOf/anyOf), which
//! also rejects any property the schema does not define.
//!
//! Two documented departures of the real exchange from its own spec are applied here, not
//! in the validator: an error answer is `{"error": ErrorResponse}` (kalshi-api.md §6.1,
//! real captures), and the legacy `/portfolio/orders` write routes, which left the path
//! list in 3.21 while their schemas stayed, are checked against those schemas.

mod server_support;
#[path = "../../io/tests/spec_support/mod.rs"]
mod spec_support;

use std::collections::BTreeSet;

use kalshi_core::side::BookSide;
use kalshi_sim::exchange::{EventSpec, FeeType, NS_PER_S};
use serde_json::{Value, json};
use server_support::*;
use spec_support::{asyncapi, openapi, schema_violations};

/// Every REST route of the router (`sim/src/server/rest/mod.rs`), relative to the prefix.
const ROUTES: [(&str, &str); 44] = [
    ("GET", "/exchange/status"),
    ("GET", "/exchange/user_data_timestamp"),
    ("GET", "/series"),
    ("GET", "/series/fee_changes"),
    ("GET", "/series/{series_ticker}"),
    (
        "GET",
        "/series/{series_ticker}/markets/{ticker}/candlesticks",
    ),
    ("GET", "/events"),
    ("GET", "/events/{event_ticker}"),
    ("GET", "/markets"),
    ("GET", "/markets/trades"),
    ("GET", "/markets/orderbooks"),
    ("GET", "/markets/candlesticks"),
    ("GET", "/markets/{ticker}"),
    ("GET", "/markets/{ticker}/orderbook"),
    ("POST", "/portfolio/events/orders"),
    ("DELETE", "/portfolio/events/orders"),
    ("POST", "/portfolio/events/orders/batched"),
    ("DELETE", "/portfolio/events/orders/batched"),
    ("DELETE", "/portfolio/events/orders/{order_id}"),
    ("POST", "/portfolio/events/orders/{order_id}/amend"),
    ("POST", "/portfolio/events/orders/{order_id}/decrease"),
    ("POST", "/portfolio/orders"),
    ("GET", "/portfolio/orders"),
    ("POST", "/portfolio/orders/batched"),
    ("DELETE", "/portfolio/orders/batched"),
    ("GET", "/portfolio/orders/queue_positions"),
    ("GET", "/portfolio/orders/{order_id}"),
    ("DELETE", "/portfolio/orders/{order_id}"),
    ("POST", "/portfolio/orders/{order_id}/amend"),
    ("POST", "/portfolio/orders/{order_id}/decrease"),
    ("GET", "/portfolio/orders/{order_id}/queue_position"),
    ("GET", "/portfolio/fills"),
    ("GET", "/portfolio/positions"),
    ("GET", "/portfolio/balance"),
    ("GET", "/portfolio/settlements"),
    ("GET", "/portfolio/order_groups"),
    ("POST", "/portfolio/order_groups/create"),
    ("GET", "/portfolio/order_groups/{id}"),
    ("DELETE", "/portfolio/order_groups/{id}"),
    ("PUT", "/portfolio/order_groups/{id}/trigger"),
    ("PUT", "/portfolio/order_groups/{id}/reset"),
    ("PUT", "/portfolio/order_groups/{id}/limit"),
    ("GET", "/account/limits"),
    ("GET", "/account/endpoint_costs"),
];

/// One answer of the recorded session.
struct Answer {
    method: &'static str,
    /// The route as the router names it (`{param}` segments).
    route: &'static str,
    status: u16,
    body: Value,
}

/// The REST half of the recorded session.
struct Session<'a> {
    client: &'a Client,
    answers: Vec<Answer>,
}

impl Session<'_> {
    /// Calls `method path` (signed) and records the answer under `route`.
    async fn call(
        &mut self,
        method: &'static str,
        route: &'static str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        self.call_signed(method, route, path, body, true).await
    }

    async fn call_signed(
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

/// The legacy write routes' answers by the schemas 3.34 still defines. Cancel and decrease
/// answers have no named schema left; their documented shape (kalshi-api.md §5.4) is
/// written here from the spec's own `Order` and fixed-point schemas.
fn legacy_schema(method: &str, route: &str, status: u16) -> Option<Value> {
    let named = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let order_answer = |extra: Value| {
        let mut properties = json!({"order": named("Order")});
        for (key, value) in extra.as_object().unwrap() {
            properties[key] = value.clone();
        }
        json!({"type": "object", "required": ["order"], "properties": properties})
    };
    match (method, route, status) {
        ("POST", "/portfolio/orders", 201) => Some(named("CreateOrderResponse")),
        ("POST", "/portfolio/orders/batched", 201) => Some(named("BatchCreateOrdersResponse")),
        ("DELETE", "/portfolio/orders/batched", 200) => Some(named("BatchCancelOrdersResponse")),
        ("POST", "/portfolio/orders/{order_id}/amend", 200) => Some(named("AmendOrderResponse")),
        ("POST", "/portfolio/orders/{order_id}/decrease", 200) => Some(order_answer(json!({}))),
        ("DELETE", "/portfolio/orders/{order_id}", 200) => Some(order_answer(json!({
            "reduced_by": {"type": "integer"},
            "reduced_by_fp": named("FixedPointCount"),
        }))),
        _ => None,
    }
}

/// The spec's path key for a router route (parameter names may differ).
fn spec_path(route: &str) -> Option<&'static str> {
    let shape = |path: &str| {
        path.split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "{}"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    openapi()["paths"]
        .as_object()
        .unwrap()
        .keys()
        .find(|key| shape(key) == shape(route))
        .map(String::as_str)
}

/// What the spec says an answer must be: `Ok(Some(schema))`, `Ok(None)` for a documented
/// answer without a body schema, or `Err` when the spec has no such answer at all.
fn response_schema(method: &str, route: &str, status: u16) -> Result<Option<Value>, String> {
    if let Some(schema) = legacy_schema(method, route, status) {
        return Ok(Some(schema));
    }
    let operation =
        spec_path(route).and_then(|path| openapi()["paths"][path].get(method.to_ascii_lowercase()));
    let Some(operation) = operation else {
        if status >= 400 {
            // A legacy route's error: the shared error shape.
            return Ok(Some(json!({"$ref": "#/components/schemas/ErrorResponse"})));
        }
        return Err(format!("the spec has no {method} {route}"));
    };
    let responses = &operation["responses"];
    let Some(mut response) = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
    else {
        if status >= 400 {
            return Ok(Some(json!({"$ref": "#/components/schemas/ErrorResponse"})));
        }
        return Err(format!(
            "{method} {route} answered {status}; the spec documents {:?}",
            responses.as_object().unwrap().keys().collect::<Vec<_>>()
        ));
    };
    if let Some(reference) = response.get("$ref").and_then(Value::as_str) {
        response = openapi()
            .pointer(reference.strip_prefix('#').unwrap())
            .unwrap();
    }
    match response.pointer("/content/application~1json/schema") {
        Some(schema) => Ok(Some(schema.clone())),
        None if status >= 400 => Ok(Some(json!({"$ref": "#/components/schemas/ErrorResponse"}))),
        None => Ok(None),
    }
}

/// Every violation in one REST answer, each prefixed with the call.
fn rest_violations(answer: &Answer) -> Vec<String> {
    let call = format!("{} {} → {}", answer.method, answer.route, answer.status);
    let schema = match response_schema(answer.method, answer.route, answer.status) {
        Ok(schema) => schema,
        Err(problem) => return vec![format!("{call}: {problem}")],
    };
    let body = if answer.status >= 400 {
        // The wire wraps the error object (kalshi-api.md §6.1).
        match answer.body.get("error") {
            Some(inner) if answer.body.as_object().is_some_and(|o| o.len() == 1) => inner,
            _ => {
                return vec![format!(
                    "{call}: error body {} is not {{\"error\": …}}",
                    answer.body
                )];
            }
        }
    } else {
        &answer.body
    };
    match schema {
        Some(schema) => schema_violations(openapi(), &schema, body)
            .into_iter()
            .map(|e| format!("{call}: {e}"))
            .collect(),
        None if body.is_null() => Vec::new(),
        None => vec![format!("{call}: the spec documents no body, got {body}")],
    }
}

/// The AsyncAPI message payload schemas whose `type` is `kind`.
fn ws_payloads(kind: &str) -> Vec<&'static Value> {
    let document = asyncapi();
    document["components"]["messages"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|message| {
            let payload = &message["payload"];
            let schema = match payload.get("$ref").and_then(Value::as_str) {
                Some(reference) => document.pointer(reference.strip_prefix('#').unwrap())?,
                None => payload,
            };
            (schema.pointer("/properties/type/const") == Some(&Value::from(kind)))
                .then_some(payload)
        })
        .collect()
}

/// Violations of one WebSocket message: it must satisfy one of the payloads of its type.
fn ws_violations(frame: &Value) -> Vec<String> {
    let kind = frame["type"].as_str().unwrap_or_default();
    let payloads = ws_payloads(kind);
    if payloads.is_empty() {
        return vec![format!(
            "message type {kind:?} is not in the AsyncAPI: {frame}"
        )];
    }
    let outcomes: Vec<Vec<String>> = payloads
        .iter()
        .map(|schema| schema_violations(asyncapi(), schema, frame))
        .collect();
    if outcomes.iter().any(Vec::is_empty) {
        return Vec::new();
    }
    outcomes
        .into_iter()
        .flatten()
        .map(|e| format!("{kind}: {e}"))
        .collect()
}

/// A fresh simulator with flow on a few generated markets plus the test market with
/// another user's resting quotes on both sides.
async fn start() -> (kalshi_sim::SimHandle, tempfile::TempDir) {
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

fn v2_order(side: &str, price: &str, count: &str, tif: &str, client_order_id: &str) -> Value {
    json!({"ticker": TICKER, "side": side, "price": price, "count": count,
           "time_in_force": tif, "self_trade_prevention_type": "taker_at_cross",
           "client_order_id": client_order_id})
}

fn id_of(body: &Value, pointer: &str) -> String {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {pointer} in {body}"))
        .to_string()
}

/// Calls every route of the router, in success and error forms, with trading that makes
/// every WebSocket channel speak. Returns the REST answers and the WebSocket messages.
async fn recorded_session() -> (Vec<Answer>, Vec<Value>) {
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

    // The legacy dialect: buy NO (a YES ask) that rests, amended, decreased, cancelled; a
    // crossing buy YES; batches.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_and_message_of_a_recorded_session_fits_the_spec() {
    let (answers, frames) = recorded_session().await;

    // The session touched every route the exchange serves, each with a success, and
    // nothing else but the fallback; a good share of the answers are errors.
    let mut coverage = Vec::new();
    for answer in &answers {
        if !(ROUTES.contains(&(answer.method, answer.route)) || answer.route == "/nowhere") {
            coverage.push(format!(
                "{} {} is not a route of the router",
                answer.method, answer.route
            ));
        }
    }
    for (method, route) in ROUTES {
        let calls: Vec<String> = answers
            .iter()
            .filter(|a| a.method == method && a.route == route)
            .map(|a| format!("{} {}", a.status, a.body))
            .collect();
        if !calls.iter().any(|c| c.starts_with('2')) {
            coverage.push(format!("{method} {route} never succeeded: {calls:?}"));
        }
    }
    assert!(coverage.is_empty(), "{}", coverage.join("\n"));
    let failures = answers.iter().filter(|a| a.status >= 400).count();
    assert!(failures >= 25, "only {failures} error answers");

    // Every WebSocket channel spoke, with data and with acks and errors.
    let kinds: BTreeSet<&str> = frames.iter().filter_map(|f| f["type"].as_str()).collect();
    for kind in [
        "subscribed",
        "unsubscribed",
        "ok",
        "error",
        "orderbook_snapshot",
        "orderbook_delta",
        "ticker",
        "trade",
        "fill",
        "user_order",
        "market_position",
        "market_lifecycle_v2",
        "order_group_updates",
    ] {
        assert!(kinds.contains(kind), "no {kind} message in {kinds:?}");
    }

    let mut problems: Vec<String> = answers.iter().flat_map(rest_violations).collect();
    problems.extend(frames.iter().flat_map(ws_violations));
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} violations of Kalshi's documents:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn a_response_missing_a_required_field_or_carrying_an_unknown_one_fails() {
    let status = Answer {
        method: "GET",
        route: "/exchange/status",
        status: 200,
        body: json!({"exchange_active": true, "trading_active": true}),
    };
    assert!(rest_violations(&status).is_empty());
    let mut missing = status.body.clone();
    missing.as_object_mut().unwrap().remove("trading_active");
    let problems = rest_violations(&Answer {
        body: missing,
        ..status
    });
    assert!(
        problems
            .iter()
            .any(|p| p.contains("missing required trading_active")),
        "{problems:?}"
    );

    let delta = json!({"type": "orderbook_delta", "sid": 1, "seq": 2, "msg": {
        "market_ticker": TICKER, "market_id": "m", "price_dollars": "0.4400",
        "delta_fp": "-1.00", "side": "no", "surprise": 1}});
    let problems = ws_violations(&delta);
    assert!(
        problems.iter().any(|p| p.contains("surprise")),
        "{problems:?}"
    );
    assert!(!ws_violations(&json!({"type": "no_such_message"})).is_empty());
}
