//! kalshi-api.md §10.4 over real HTTP and WebSocket: the taker's V2 order fills 17 @ 0.44
//! and 8 @ 0.45; the response, fills, trades, WS deltas (`no` side −17 and −8) and fees are
//! exact. Also: post-only cross, duplicate client order id (409), unknown ids (404).

mod server_support;

use kalshi_core::side::BookSide;
use kalshi_sim::exchange::FeeType;
use serde_json::{Value, json};
use server_support::*;

async fn worked_example_setup() -> (kalshi_sim::SimHandle, Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let handle = kalshi_sim::spawn(quiet_config(dir.path())).await.unwrap();
    add_test_market(&handle, FeeType::QuadraticWithMakerFees);
    let bidder = add_user(&handle, "bidder");
    let maker_56 = add_user(&handle, "maker-56");
    let maker_55 = add_user(&handle, "maker-55");
    rest(&handle, bidder, BookSide::Bid, "0.42", 13);
    rest(&handle, bidder, BookSide::Bid, "0.41", 10);
    // NO bids at 0.56 and 0.55 are YES asks at 0.44 and 0.45.
    rest(&handle, maker_56, BookSide::Ask, "0.44", 17);
    rest(&handle, maker_55, BookSide::Ask, "0.45", 20);
    let client = Client::new(&handle);
    (handle, client, dir)
}

fn of_type<'a>(frames: &'a [(String, Value)], kind: &str) -> Vec<&'a Value> {
    frames
        .iter()
        .map(|(_, v)| v)
        .filter(|v| v["type"] == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worked_example_over_http_and_websocket() {
    let (handle, client, _dir) = worked_example_setup().await;

    let mut ws = client.ws().await;
    ws.command(
        "subscribe",
        Some(json!({"channels": ["orderbook_delta", "trade", "fill", "user_orders", "market_positions", "ticker"],
                    "market_tickers": [TICKER]})),
    )
    .await;
    let opening = ws.until(|v| v["type"] == "orderbook_snapshot").await;
    assert_eq!(
        of_type(&opening, "subscribed").len(),
        1,
        "first channel acked before its snapshot"
    );
    let snapshot = &opening.last().unwrap().1;
    assert_eq!(snapshot["seq"], 1);
    assert_eq!(
        snapshot["msg"]["yes_dollars_fp"],
        json!([["0.4100", "10.00"], ["0.4200", "13.00"]])
    );
    assert_eq!(
        snapshot["msg"]["no_dollars_fp"],
        json!([["0.5500", "20.00"], ["0.5600", "17.00"]])
    );
    let acks = ws.sync().await;
    assert_eq!(of_type(&acks, "subscribed").len(), 5);

    let created = client
        .post(
            "/portfolio/events/orders",
            json!({"ticker": TICKER, "side": "bid", "price": "0.45", "count": "25",
                   "time_in_force": "immediate_or_cancel", "self_trade_prevention_type": "taker_at_cross",
                   "client_order_id": "taker-1"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let body = created.json();
    assert_eq!(body["fill_count"], "25.00");
    assert_eq!(body["remaining_count"], "0.00");
    assert_eq!(dec_price(&body["average_fill_price"]), price("0.4432"));
    // Taker fees $0.30 + $0.14 over 25 contracts.
    assert_eq!(dec_money(&body["average_fee_paid"]), money("0.0176"));
    assert_eq!(body["client_order_id"], "taker-1");
    let order_id = body["order_id"].as_str().unwrap().to_string();

    let frames = ws.sync().await;
    let deltas = of_type(&frames, "orderbook_delta");
    assert_eq!(deltas.len(), 2, "{frames:#?}");
    assert_eq!(
        (
            deltas[0]["msg"]["side"].clone(),
            deltas[0]["msg"]["price_dollars"].clone(),
            deltas[0]["msg"]["delta_fp"].clone()
        ),
        (json!("no"), json!("0.5600"), json!("-17.00"))
    );
    assert_eq!(
        (
            deltas[1]["msg"]["side"].clone(),
            deltas[1]["msg"]["price_dollars"].clone(),
            deltas[1]["msg"]["delta_fp"].clone()
        ),
        (json!("no"), json!("0.5500"), json!("-8.00"))
    );
    assert_eq!(
        deltas[0]["msg"]["clock"], deltas[1]["msg"]["clock"],
        "one action, one clock"
    );
    assert_eq!(
        (deltas[0]["seq"].clone(), deltas[1]["seq"].clone()),
        (json!(2), json!(3))
    );
    assert!(
        deltas[0]["msg"].get("client_order_id").is_none(),
        "the makers' orders are not ours"
    );

    let trades = of_type(&frames, "trade");
    assert_eq!(trades.len(), 2);
    assert_eq!(trades[0]["msg"]["yes_price_dollars"], "0.4400");
    assert_eq!(trades[0]["msg"]["no_price_dollars"], "0.5600");
    assert_eq!(trades[0]["msg"]["count_fp"], "17.00");
    assert_eq!(trades[0]["msg"]["taker_outcome_side"], "yes");
    assert_eq!(trades[1]["msg"]["yes_price_dollars"], "0.4500");
    assert_eq!(trades[1]["msg"]["count_fp"], "8.00");
    assert!(trades[0].get("seq").is_some());

    let fills = of_type(&frames, "fill");
    assert_eq!(fills.len(), 2, "only our own fills");
    assert_eq!(dec_money(&fills[0]["msg"]["fee_cost"]), money("0.30"));
    assert_eq!(dec_money(&fills[1]["msg"]["fee_cost"]), money("0.14"));
    assert_eq!(fills[1]["msg"]["post_position_fp"], "25.00");
    assert_eq!(fills[0]["msg"]["client_order_id"], "taker-1");
    assert!(fills[0].get("seq").is_none(), "fill is unsequenced");

    let orders = of_type(&frames, "user_order");
    let last = orders.last().unwrap();
    assert_eq!(last["msg"]["status"], "executed");
    assert_eq!(last["msg"]["last_update_reason"], "Trade");
    assert_eq!(dec_money(&last["msg"]["taker_fees_dollars"]), money("0.44"));

    let positions = of_type(&frames, "market_position");
    assert_eq!(positions.last().unwrap()["msg"]["position_fp"], "25.00");

    let tickers = of_type(&frames, "ticker");
    let ticker = &tickers.last().unwrap()["msg"];
    assert_eq!(ticker["price_dollars"], "0.4500");
    assert_eq!(ticker["yes_ask_dollars"], "0.4500");
    assert_eq!(ticker["yes_ask_size_fp"], "12.00");

    // REST agrees.
    let fills = client
        .get(&format!("/portfolio/fills?order_id={order_id}"))
        .await
        .json();
    let fills = fills["fills"].as_array().unwrap();
    assert_eq!(fills.len(), 2);
    let fees: Vec<_> = fills.iter().map(|f| dec_money(&f["fee_cost"])).collect();
    assert!(
        fees.contains(&money("0.30")) && fees.contains(&money("0.14")),
        "{fees:?}"
    );
    let book = client
        .get(&format!("/markets/{TICKER}/orderbook"))
        .await
        .json();
    assert_eq!(
        book["orderbook_fp"]["no_dollars"],
        json!([["0.5500", "12.00"]])
    );
    assert_eq!(
        book["orderbook_fp"]["yes_dollars"],
        json!([["0.4100", "10.00"], ["0.4200", "13.00"]])
    );
    let tape = client
        .get(&format!("/markets/trades?ticker={TICKER}"))
        .await
        .json();
    assert_eq!(tape["trades"].as_array().unwrap().len(), 2);
    let order = client
        .get(&format!("/portfolio/orders/{order_id}"))
        .await
        .json();
    assert_eq!(order["order"]["status"], "executed");
    assert_eq!(
        dec_money(&order["order"]["taker_fill_cost_dollars"]),
        money("11.08")
    );
    let balance = client.get("/portfolio/balance").await.json();
    // $100,000 − 11.08 cost − 0.44 fees.
    assert_eq!(dec_money(&balance["balance_dollars"]), money("99988.48"));
    assert_eq!(balance["balance"], 9_998_848);

    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_only_cross_duplicates_and_unknown_ids() {
    let (handle, client, _dir) = worked_example_setup().await;
    let order = |price: &str, post_only: bool, id: &str| {
        json!({"ticker": TICKER, "side": "bid", "price": price, "count": "5",
               "time_in_force": "good_till_canceled", "self_trade_prevention_type": "taker_at_cross",
               "post_only": post_only, "client_order_id": id})
    };

    // Post-only crossing the 0.44 ask: accepted (201) and cancelled, nothing filled.
    let crossed = client
        .post("/portfolio/events/orders", order("0.46", true, "po-1"))
        .await;
    assert_eq!(crossed.status, 201, "{}", crossed.text);
    let crossed = crossed.json();
    assert_eq!(
        (
            crossed["fill_count"].clone(),
            crossed["remaining_count"].clone()
        ),
        (json!("0.00"), json!("0.00"))
    );
    let id = crossed["order_id"].as_str().unwrap();
    let stored = client.get(&format!("/portfolio/orders/{id}")).await.json();
    assert_eq!(stored["order"]["status"], "canceled");
    // Why it was cancelled travels on `user_order` (3.34's REST `Order` has no reason).
    assert!(stored["order"].get("last_update_reason").is_none());
    let book = client
        .get(&format!("/markets/{TICKER}/orderbook?depth=1"))
        .await
        .json();
    assert_eq!(
        book["orderbook_fp"]["no_dollars"],
        json!([["0.5600", "17.00"]]),
        "the ask was not touched"
    );

    // A resting order, then the same client order id again: 409.
    let first = client
        .post("/portfolio/events/orders", order("0.30", false, "dup-1"))
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let second = client
        .post("/portfolio/events/orders", order("0.31", false, "dup-1"))
        .await;
    assert_eq!(second.status, 409, "{}", second.text);
    assert_eq!(second.json()["error"]["code"], "duplicate_client_order_id");

    // Unknown order and market: 404 with an error object.
    let missing = client
        .delete("/portfolio/events/orders/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "order_not_found");
    let missing = client.get("/markets/KXNOPE-1").await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.json()["error"]["details"]
            .as_str()
            .unwrap()
            .contains("KXNOPE-1")
    );

    // Malformed body: 400 naming the problem.
    let bad = client
        .post(
            "/portfolio/events/orders",
            json!({"ticker": TICKER, "side": "bid"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]["details"]
            .as_str()
            .unwrap()
            .contains("missing field")
    );

    // Cancel the resting order: 200 with reduced_by.
    let resting_id = first.json()["order_id"].as_str().unwrap().to_string();
    let cancelled = client
        .delete(&format!("/portfolio/events/orders/{resting_id}"))
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.json()["reduced_by"], "5.00");

    // Legacy create: buying NO at 44¢ is an ask at 0.56 YES.
    let legacy = client
        .post(
            "/portfolio/orders",
            json!({"ticker": TICKER, "side": "no", "action": "buy", "count": 3, "no_price": 44}),
        )
        .await;
    assert_eq!(legacy.status, 201, "{}", legacy.text);
    let legacy = legacy.json();
    assert_eq!(legacy["order"]["book_side"], "ask");
    assert_eq!(legacy["order"]["yes_price_dollars"], "0.5600");
    let both_prices = client
        .post(
            "/portfolio/orders",
            json!({"ticker": TICKER, "side": "yes", "action": "buy", "count": 1, "yes_price": 30, "no_price": 70}),
        )
        .await;
    assert_eq!(both_prices.status, 400);
    assert_eq!(both_prices.json()["error"]["code"], "invalid_order");

    // Cancel-all answers 204 with no body.
    let all = client.delete("/portfolio/events/orders").await;
    assert_eq!((all.status, all.text.as_str()), (204, ""));
    handle.shutdown().await;
}
