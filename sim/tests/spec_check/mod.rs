//! What Kalshi's documents say of an answer of the local exchange: every REST route the router
//! serves, the OpenAPI response schema of a `(path, method, status)` (with the two documented
//! departures of the real exchange, see `server_spec_schemas`), the AsyncAPI payloads of a
//! WebSocket message type, and the violations of one answer or message.

use serde_json::{Value, json};

use crate::spec_support::{asyncapi, openapi, schema_violations};

/// Every REST route of the router (`sim/src/server/rest/mod.rs`), relative to the prefix.
pub const ROUTES: [(&str, &str); 44] = [
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
pub struct Answer {
    pub method: &'static str,
    /// The route as the router names it (`{param}` segments).
    pub route: &'static str,
    pub status: u16,
    pub body: Value,
}

/// The legacy write routes' answers by the schemas 3.34 still defines. Cancel and decrease
/// answers have no named schema left; their documented shape (kalshi-api.md §5.4) is
/// written here from the spec's own `Order` and fixed-point schemas.
pub fn legacy_schema(method: &str, route: &str, status: u16) -> Option<Value> {
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
pub fn spec_path(route: &str) -> Option<&'static str> {
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
pub fn response_schema(method: &str, route: &str, status: u16) -> Result<Option<Value>, String> {
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
pub fn rest_violations(answer: &Answer) -> Vec<String> {
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
pub fn ws_payloads(kind: &str) -> Vec<&'static Value> {
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
pub fn ws_violations(frame: &Value) -> Vec<String> {
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
