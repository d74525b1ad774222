//! Fault injection over the wire: a lost response after the order was accepted (dropped
//! connection and 504), 429 storms, stale portfolio reads, 5xx, and WebSocket disconnect
//! after N messages and dropped messages showing up as `seq` gaps.

mod server_support;

use std::time::Duration;

use futures_util::StreamExt as _;
use kalshi_sim::exchange::FeeType;
use kalshi_sim::faults::{LostResponseMode, StormWindow};
use serde_json::json;
use server_support::*;
use tokio_tungstenite::tungstenite::Message;

fn order(id: &str) -> serde_json::Value {
    json!({"ticker": TICKER, "side": "bid", "price": "0.20", "count": "2",
           "time_in_force": "good_till_canceled", "self_trade_prevention_type": "taker_at_cross", "client_order_id": id})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_response_drops_the_connection_but_keeps_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = quiet_config(dir.path());
    config.faults.rest.lost_response_probability = 1.0;
    let handle = kalshi_sim::spawn(config).await.unwrap();
    add_test_market(&handle, FeeType::Quadratic);
    let client = Client::new(&handle);
    let sent = client
        .request(
            "POST",
            "/portfolio/events/orders",
            Some(order("lost-1")),
            true,
        )
        .await;
    assert!(
        sent.is_err() || sent.as_ref().is_ok_and(|r| r.status != 201),
        "the client must not see the 201"
    );
    let orders = client.get("/portfolio/orders?status=resting").await.json();
    let ids: Vec<_> = orders["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["client_order_id"].clone())
        .collect();
    assert_eq!(ids, vec![json!("lost-1")], "the order was placed anyway");
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_response_as_504_and_server_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = quiet_config(dir.path());
    config.faults.rest.lost_response_probability = 1.0;
    config.faults.rest.lost_response_mode = LostResponseMode::GatewayTimeout;
    let handle = kalshi_sim::spawn(config).await.unwrap();
    add_test_market(&handle, FeeType::Quadratic);
    let client = Client::new(&handle);
    let reply = client.post("/portfolio/events/orders", order("gw-1")).await;
    assert_eq!(reply.status, 504);
    let orders = client.get("/portfolio/orders").await.json();
    assert_eq!(orders["orders"][0]["client_order_id"], "gw-1");
    handle.shutdown().await;

    let dir = tempfile::tempdir().unwrap();
    let mut config = quiet_config(dir.path());
    config.faults.rest.error_5xx_probability = 1.0;
    let handle = kalshi_sim::spawn(config).await.unwrap();
    add_test_market(&handle, FeeType::Quadratic);
    let client = Client::new(&handle);
    let reply = client.post("/portfolio/events/orders", order("e-1")).await;
    assert!(
        reply.status == 500 || reply.status == 503,
        "{}",
        reply.status
    );
    assert!(
        handle.with_exchange(|exchange, _| exchange.orderbook(TICKER, 0).unwrap().yes.is_empty()),
        "not processed"
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_window_answers_429_and_portfolio_reads_lag() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = quiet_config(dir.path());
    config.faults.rest.storm_429_windows = vec![StormWindow {
        start_ms: 0,
        duration_ms: 400,
    }];
    config.faults.rest.portfolio_read_lag_ms = 60_000;
    let handle = kalshi_sim::spawn(config).await.unwrap();
    add_test_market(&handle, FeeType::Quadratic);
    let client = Client::new(&handle);
    let stormed = client.get("/markets").await;
    assert_eq!(
        (stormed.status, stormed.text.as_str()),
        (429, r#"{"error":"too many requests"}"#)
    );
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(client.get("/markets").await.status, 200);

    let before = client.get("/portfolio/orders").await.json();
    assert_eq!(before["orders"], json!([]));
    assert_eq!(
        client
            .post("/portfolio/events/orders", order("lag-1"))
            .await
            .status,
        201
    );
    let after = client.get("/portfolio/orders").await.json();
    assert_eq!(
        after["orders"],
        json!([]),
        "within the lag the old view is served"
    );
    let other_view = client.get("/portfolio/orders?status=resting").await.json();
    assert_eq!(
        other_view["orders"].as_array().unwrap().len(),
        1,
        "a view not cached before is fresh"
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_disconnects_after_n_messages_and_drops_leave_seq_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = flow_config(dir.path(), 3, 3);
    config.faults.ws.disconnect_after_messages = Some(30);
    let handle = kalshi_sim::spawn(config).await.unwrap();
    let client = Client::new(&handle);
    let mut ws = client.ws().await;
    ws.command(
        "subscribe",
        Some(json!({"channels": ["trade", "ticker", "market_lifecycle_v2"]})),
    )
    .await;
    let mut data = 0;
    let mut closed = false;
    'advance: for _ in 0..200 {
        handle.advance_virtual_clock(5_000_000_000).unwrap();
        loop {
            match tokio::time::timeout(Duration::from_millis(200), ws.stream.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    if text.contains(r#""sid""#) && !text.contains(r#""subscribed""#) {
                        data += 1;
                    }
                }
                Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) => {
                    closed = true;
                    break 'advance;
                }
                Ok(Some(Ok(_))) => {}
                Err(_) => break,
            }
        }
    }
    assert!(closed, "the server never closed the socket");
    assert_eq!(data, 30, "closed right after the 30th data message");
    handle.shutdown().await;

    let dir = tempfile::tempdir().unwrap();
    let mut config = flow_config(dir.path(), 3, 3);
    config.faults.ws.drop_probability = 0.3;
    let handle = kalshi_sim::spawn(config).await.unwrap();
    let client = Client::new(&handle);
    let mut ws = client.ws().await;
    ws.command("subscribe", Some(json!({"channels": ["trade"]})))
        .await;
    let mut seqs = Vec::new();
    let mut types = std::collections::BTreeMap::new();
    for _ in 0..60 {
        handle.advance_virtual_clock(30_000_000_000).unwrap();
        for (_, v) in ws.sync().await {
            *types.entry(v["type"].to_string()).or_insert(0) += 1;
            if v["type"] == "trade" {
                seqs.push(v["seq"].as_u64().unwrap());
            }
        }
    }
    assert!(seqs.len() > 10, "too few trades: {} {types:?}", seqs.len());
    assert!(seqs.windows(2).all(|w| w[1] > w[0]), "seq still increases");
    assert!(
        seqs.windows(2).any(|w| w[1] > w[0] + 1),
        "dropped messages leave gaps"
    );
    handle.shutdown().await;
}
