//! The deprecated `/portfolio/orders` dialect through the client's own mapping
//! (`kalshi_io::exec::legacy`): its bodies fit Kalshi's request schemas with real values,
//! the side/price mapping is the documented one (kalshi-api.md §5.4: a YES bid is *buy YES*
//! at the YES price, a YES ask is *buy NO* at one minus it), and the same script of place /
//! amend / decrease / cancel run through the legacy executor and through the V2 executor
//! against two identical local exchanges gives the same outcomes, fills and positions.

mod io_support;
#[path = "../../io/tests/spec_support/mod.rs"]
mod spec_support;

use std::sync::Arc;

use io_support::{Relay, Rig, quiet_config};
use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::{AmendOrder, DecreaseOrder, PlaceOrder, TimeInForce};
use kalshi_core::config::SelfTradePrevention;
use kalshi_core::market_data::{OwnFill, PositionSnapshot};
use kalshi_core::side::{BookSide, LegacyAction, OutcomeSide};
use kalshi_core::{Count, Price};
use kalshi_io::auth::{ApiCredentials, SigningKey};
use kalshi_io::data_rest::queries::{FillsQuery, PositionsQuery};
use kalshi_io::data_rest::{RestClient, RestConfig};
use kalshi_io::env::Endpoints;
use kalshi_io::exec::legacy::{
    legacy_amend_request, legacy_decrease_request, legacy_request, legacy_terms,
};
use kalshi_io::exec::{
    Canceled, ExecConfig, Executor, Modified, OrderDialect, Placed, WriteOutcome,
};
use kalshi_io::normalize;
use kalshi_io::ratelimit::{RateLimiter, UsageTier};
use kalshi_sim::exchange::CreateOrderV2;
use serde_json::{Value, json};
use spec_support::{openapi, schema_violations, violations};

fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn count(contracts: i64) -> Count {
    Count::from_contracts(contracts).unwrap()
}

fn order(id: &str, ticker: &str, side: BookSide, yes_price: &str, contracts: i64) -> PlaceOrder {
    PlaceOrder {
        client_order_id: ClientOrderId::parse(id).unwrap(),
        ticker: ticker.to_string(),
        side,
        price: price(yes_price),
        count: count(contracts),
        time_in_force: TimeInForce::GoodTillCanceled,
        post_only: false,
        reduce_only: false,
        self_trade_prevention: SelfTradePrevention::TakerAtCross,
        cancel_order_on_pause: false,
        expiration_ts_s: None,
        order_group_id: None,
    }
}

/// An executor that is never used to send (for the body builders).
fn offline_executor(dialect: OrderDialect, subaccount: Option<u32>) -> Executor {
    let key = SigningKey::from_ed25519(ed25519_dalek::SigningKey::from_bytes(&[7; 32]));
    let credentials = ApiCredentials::new("key-1", key).unwrap();
    let endpoints = Endpoints::custom(
        "http://127.0.0.1:9/trade-api/v2",
        "ws://127.0.0.1:9/trade-api/ws/v2",
    )
    .unwrap();
    let rest = RestClient::new(
        RestConfig::new(endpoints),
        Some(Arc::new(credentials)),
        Some(Arc::new(RateLimiter::for_tier(UsageTier::Basic))),
    )
    .unwrap();
    Executor::new(
        rest,
        ExecConfig {
            dialect,
            subaccount,
        },
    )
    .unwrap()
}

fn assert_fits(schema_name: &str, body: &Value) {
    let errors = violations(
        openapi(),
        &format!("/components/schemas/{schema_name}"),
        body,
    );
    assert!(
        errors.is_empty(),
        "{schema_name} body {body} violates the spec:\n{}",
        errors.join("\n")
    );
}

#[test]
fn a_bid_is_buy_yes_at_the_yes_price_and_an_ask_is_buy_no_at_its_complement() {
    for (yes, no) in [
        ("0.56", "0.44"),
        ("0.01", "0.99"),
        ("0.99", "0.01"),
        ("0.561", "0.439"),
        ("0.0050", "0.9950"),
    ] {
        let bid = legacy_terms(BookSide::Bid, price(yes));
        assert_eq!(
            (bid.side, bid.action, bid.yes_price, bid.no_price),
            (OutcomeSide::Yes, LegacyAction::Buy, Some(price(yes)), None),
            "bid at {yes}"
        );
        let ask = legacy_terms(BookSide::Ask, price(yes));
        assert_eq!(
            (ask.side, ask.action, ask.yes_price, ask.no_price),
            (OutcomeSide::No, LegacyAction::Buy, None, Some(price(no))),
            "ask at {yes}"
        );
    }
}

#[test]
fn legacy_bodies_fit_the_spec_with_real_values() {
    let executor = offline_executor(OrderDialect::Legacy, Some(3));

    // The worked example of kalshi-api.md §5.4: a V2 ask at 0.56 for 5 is buy NO at 0.44.
    let mut ask = order(
        "run7-000044",
        "KXHIGHNY-26OCT27-T60",
        BookSide::Ask,
        "0.56",
        5,
    );
    ask.post_only = true;
    let body = serde_json::to_value(legacy_request(&executor, &ask)).unwrap();
    assert_fits("CreateOrderRequest", &body);
    assert_eq!(body["side"], "no");
    assert_eq!(body["action"], "buy");
    assert_eq!(body["no_price_dollars"], "0.4400");
    assert!(body.get("yes_price_dollars").is_none() && body.get("yes_price").is_none());
    assert_eq!(body["count"], 5);
    assert_eq!(body["count_fp"], "5.00");
    assert_eq!(body["post_only"], true);
    assert_eq!(body["time_in_force"], "good_till_canceled");
    assert_eq!(body["self_trade_prevention_type"], "taker_at_cross");
    assert_eq!(body["client_order_id"], "run7-000044");
    assert_eq!(body["subaccount"], 3);

    let mut bid = order(
        "run7-000045",
        "KXHIGHNY-26OCT27-T60",
        BookSide::Bid,
        "0.561",
        2,
    );
    bid.count = Count::parse("2.5").unwrap();
    bid.time_in_force = TimeInForce::ImmediateOrCancel;
    bid.reduce_only = true;
    bid.order_group_id = Some("og-7".into());
    bid.expiration_ts_s = Some(1_790_000_000);
    let body = serde_json::to_value(legacy_request(&executor, &bid)).unwrap();
    assert_fits("CreateOrderRequest", &body);
    assert_eq!(
        (&body["side"], &body["action"], &body["yes_price_dollars"]),
        (&json!("yes"), &json!("buy"), &json!("0.5610"))
    );
    assert!(
        body.get("count").is_none(),
        "2.5 contracts have no whole form"
    );
    assert_eq!(body["count_fp"], "2.50");
    assert_eq!(body["time_in_force"], "immediate_or_cancel");
    assert_eq!(body["order_group_id"], "og-7");

    for (side, yes, outcome, field, value) in [
        (BookSide::Bid, "0.57", "yes", "yes_price_dollars", "0.5700"),
        (BookSide::Ask, "0.57", "no", "no_price_dollars", "0.4300"),
    ] {
        let amend = AmendOrder {
            client_order_id: ClientOrderId::parse("run7-000046").unwrap(),
            order_id: "o-1".into(),
            ticker: "KXHIGHNY-26OCT27-T60".into(),
            side,
            price: price(yes),
            total_count: count(8),
            remaining_count: count(6),
        };
        let body = serde_json::to_value(legacy_amend_request(&executor, &amend)).unwrap();
        assert_fits("AmendOrderRequest", &body);
        assert_eq!(body["side"], outcome);
        assert_eq!(body["action"], "buy");
        assert_eq!(body[field], value);
        assert_eq!(body["count_fp"], "8.00");
        assert_eq!(body["client_order_id"], "run7-000046");
    }

    // 3.34 no longer names the legacy decrease body; its documented form (kalshi-api.md
    // §5.4) is one of reduce_by / reduce_by_fp / reduce_to / reduce_to_fp, written here from
    // the spec's own fixed-point schema.
    let decrease = DecreaseOrder {
        client_order_id: ClientOrderId::parse("run7-000046").unwrap(),
        order_id: "o-1".into(),
        ticker: "KXHIGHNY-26OCT27-T60".into(),
        reduce_to: count(3),
    };
    let body = serde_json::to_value(legacy_decrease_request(&decrease)).unwrap();
    let schema = json!({"type": "object", "properties": {
        "reduce_by": {"type": "integer", "minimum": 1},
        "reduce_by_fp": {"$ref": "#/components/schemas/FixedPointCount"},
        "reduce_to": {"type": "integer", "minimum": 0},
        "reduce_to_fp": {"$ref": "#/components/schemas/FixedPointCount"},
        "subaccount": {"type": "integer", "minimum": 0},
        "exchange_index": {"$ref": "#/components/schemas/ExchangeIndex"},
    }});
    let errors = schema_violations(openapi(), &schema, &body);
    assert!(errors.is_empty(), "{body}: {errors:?}");
    assert_eq!(body, json!({"reduce_to_fp": "3.00"}));
}

/// A fill as compared across runs: ticker, client order id, side, YES price, count, taker,
/// fee.
type FillTerms = (String, Option<String>, BookSide, Price, Count, bool, String);

/// What one scripted run observed: every write outcome, then the exchange's fills and
/// positions for the API user as the client normalizes them.
#[derive(Debug, PartialEq)]
struct RunRecord {
    placed: Vec<WriteOutcome<Placed>>,
    modified: Vec<WriteOutcome<Modified>>,
    canceled: Vec<WriteOutcome<Canceled>>,
    fills: Vec<FillTerms>,
    positions: Vec<PositionSnapshot>,
    paths: Vec<(String, String, u16)>,
}

fn accepted<T: Clone + std::fmt::Debug>(outcome: &WriteOutcome<T>) -> T {
    match outcome {
        WriteOutcome::Accepted(value) => value.clone(),
        other => panic!("not accepted: {other:?}"),
    }
}

/// Runs the script through `dialect` on a fresh exchange. Another user rests YES bids at
/// 0.40 (10) and YES asks at 0.60 (10) on the first market; we then:
/// place a resting bid at 0.35 ×4 and a resting ask at 0.65 ×4, cross the book with an ask
/// at 0.40 ×6 (fills 6 of their bid) and a bid at 0.60 ×3 (fills 3 of their ask), amend the
/// resting bid to 0.36 ×6 and the resting ask to 0.64 ×5, decrease both to 2, cancel both.
async fn scripted_run(dialect: OrderDialect) -> RunRecord {
    let rig = Rig::start(quiet_config(2)).await;
    let ticker = rig.active_tickers()[0].clone();
    rig.handle.with_exchange(|exchange, now_ns| {
        let other = exchange
            .add_user("counterparty", kalshi_core::Money::parse("10000").unwrap())
            .unwrap();
        for (side, yes) in [(BookSide::Bid, "0.40"), (BookSide::Ask, "0.60")] {
            exchange
                .place_v2(
                    other,
                    CreateOrderV2::limit(&ticker, side, price(yes), count(10)),
                    now_ns,
                )
                .unwrap();
        }
    });
    let relay = Relay::start(&format!("http://{}", rig.handle.addr)).await;
    let endpoints = Endpoints::custom(&relay.base_url, &rig.handle.ws_url).unwrap();
    let rest = RestClient::new(
        RestConfig::new(endpoints),
        Some(Arc::clone(&rig.credentials)),
        Some(Arc::new(RateLimiter::for_tier(UsageTier::Premier))),
    )
    .unwrap();
    let executor = Executor::new(
        rest.clone(),
        ExecConfig {
            dialect,
            subaccount: None,
        },
    )
    .unwrap();

    let mut placed = Vec::new();
    for (id, side, yes, contracts) in [
        ("s-bid-1", BookSide::Bid, "0.35", 4),
        ("s-ask-1", BookSide::Ask, "0.65", 4),
        ("s-ask-x", BookSide::Ask, "0.40", 6),
        ("s-bid-x", BookSide::Bid, "0.60", 3),
    ] {
        placed.push(
            executor
                .place(&order(id, &ticker, side, yes, contracts))
                .await,
        );
    }
    let resting = [
        (
            accepted(&placed[0]).order_id,
            "s-bid-1",
            BookSide::Bid,
            "0.36",
            6,
        ),
        (
            accepted(&placed[1]).order_id,
            "s-ask-1",
            BookSide::Ask,
            "0.64",
            5,
        ),
    ];
    let mut modified = Vec::new();
    for (order_id, id, side, yes, total) in &resting {
        modified.push(
            executor
                .amend(&AmendOrder {
                    client_order_id: ClientOrderId::parse(id).unwrap(),
                    order_id: order_id.clone(),
                    ticker: ticker.clone(),
                    side: *side,
                    price: price(yes),
                    total_count: count(*total),
                    remaining_count: count(*total),
                })
                .await,
        );
    }
    // An amend answers with the order's (possibly new) id.
    let amended: Vec<String> = modified.iter().map(|m| accepted(m).order_id).collect();
    for (order_id, (_, id, ..)) in amended.iter().zip(&resting) {
        modified.push(
            executor
                .decrease(&DecreaseOrder {
                    client_order_id: ClientOrderId::parse(id).unwrap(),
                    order_id: order_id.clone(),
                    ticker: ticker.clone(),
                    reduce_to: count(2),
                })
                .await,
        );
    }
    let mut canceled = Vec::new();
    for order_id in &amended {
        canceled.push(executor.cancel(order_id, &ticker).await);
    }

    let fills: Vec<OwnFill> = rest
        .get_fills(&FillsQuery::default(), None)
        .await
        .unwrap()
        .fills
        .iter()
        .map(|fill| normalize::own_fill(fill).unwrap())
        .collect();
    let mut fills: Vec<_> = fills
        .into_iter()
        .map(|f| {
            (
                f.ticker,
                f.client_order_id,
                f.side,
                f.yes_price,
                f.count,
                f.is_taker,
                f.fee.to_string(),
            )
        })
        .collect();
    fills.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    let positions = rest
        .get_positions(&PositionsQuery::default(), None)
        .await
        .unwrap()
        .market_positions
        .iter()
        .map(|p| normalize::position(p).unwrap())
        .collect();
    let paths = relay
        .seen()
        .into_iter()
        .filter(|seen| seen.method != "GET")
        .map(|seen| (seen.method, seen.path, seen.status))
        .collect();
    let record = RunRecord {
        placed,
        modified,
        canceled,
        fills,
        positions,
        paths,
    };
    rig.shutdown().await;
    record
}

/// Order ids are the exchange's own; the comparison is about what happened to them.
fn without_ids(mut record: RunRecord) -> RunRecord {
    let blank = |id: &mut String| *id = String::new();
    for outcome in &mut record.placed {
        if let WriteOutcome::Accepted(placed) = outcome {
            blank(&mut placed.order_id);
        }
    }
    for outcome in &mut record.modified {
        if let WriteOutcome::Accepted(modified) = outcome {
            blank(&mut modified.order_id);
            // A V2 decrease answer has no fill count (`DecreaseOrderV2Response`); a legacy
            // one is the whole order. What is compared is what remains.
            modified.fill_count = None;
        }
    }
    for outcome in &mut record.canceled {
        if let WriteOutcome::Accepted(canceled) = outcome {
            blank(&mut canceled.order_id);
        }
    }
    record.paths.clear();
    record
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legacy_executor_trades_exactly_like_the_v2_executor() {
    let v2 = scripted_run(OrderDialect::V2).await;
    let legacy = scripted_run(OrderDialect::Legacy).await;

    // Each run used only its own dialect's write endpoints, and every write was accepted.
    for (record, prefix, other) in [
        (
            &v2,
            "/trade-api/v2/portfolio/events/orders",
            "/trade-api/v2/portfolio/orders",
        ),
        (
            &legacy,
            "/trade-api/v2/portfolio/orders",
            "/trade-api/v2/portfolio/events/orders",
        ),
    ] {
        assert_eq!(record.paths.len(), 10, "{:?}", record.paths);
        for (method, path, status) in &record.paths {
            assert!(
                path.starts_with(prefix) && !path.starts_with(other),
                "{method} {path}"
            );
            assert!(*status < 300, "{method} {path} → {status}");
        }
    }
    let legacy_kinds: Vec<&str> = legacy
        .paths
        .iter()
        .map(
            |(method, path, _)| match (method.as_str(), path.rsplit('/').next()) {
                ("POST", Some("orders")) => "create",
                ("POST", Some("amend")) => "amend",
                ("POST", Some("decrease")) => "decrease",
                ("DELETE", _) => "cancel",
                _ => "other",
            },
        )
        .collect();
    assert_eq!(
        legacy_kinds,
        [
            "create", "create", "create", "create", "amend", "amend", "decrease", "decrease",
            "cancel", "cancel"
        ]
    );

    // The script did trade: 6 sold into their bid at 0.40, 3 bought from their ask at 0.60.
    let taken: Vec<(BookSide, Price, Count)> = v2
        .fills
        .iter()
        .map(|(_, _, side, yes, contracts, ..)| (*side, *yes, *contracts))
        .collect();
    assert!(
        taken.contains(&(BookSide::Ask, price("0.40"), count(6))),
        "{taken:?}"
    );
    assert!(
        taken.contains(&(BookSide::Bid, price("0.60"), count(3))),
        "{taken:?}"
    );
    assert_eq!(
        v2.canceled
            .iter()
            .map(|c| accepted(c).reduced_by)
            .collect::<Vec<_>>(),
        [count(2), count(2)]
    );

    assert_eq!(without_ids(legacy), without_ids(v2));
}
