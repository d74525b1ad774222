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
mod spec_check;
mod spec_session;
#[path = "../../io/tests/spec_support/mod.rs"]
mod spec_support;

use std::collections::BTreeSet;

use serde_json::json;
use server_support::TICKER;
use spec_check::{Answer, ROUTES, rest_violations, ws_violations};
use spec_session::recorded_session;

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
