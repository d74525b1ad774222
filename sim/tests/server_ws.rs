//! WebSocket protocol: deltas applied to the snapshot equal the REST book at random
//! checkpoints while synthetic flow runs; the same seed gives a byte-identical market-data
//! stream; commands answer with Kalshi's acks and error codes.

mod server_support;

use std::collections::BTreeMap;

use kalshi_core::{Count, Price, SignedCount};
use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value, json};
use server_support::*;

/// One side of a book: price text → size.
type Ladder = BTreeMap<String, Count>;

fn ladder(levels: &Value) -> Ladder {
    levels
        .as_array()
        .map(|list| {
            list.iter()
                .map(|l| {
                    (
                        Price::parse(l[0].as_str().unwrap()).unwrap().to_wire(),
                        dec_count(&l[1]),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn market_tickers(client: &Client) -> Vec<String> {
    let page = client.get("/markets?status=open&limit=1000").await.json();
    page["markets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ticker"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deltas_on_snapshot_equal_rest_book_at_random_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let handle = kalshi_sim::spawn(flow_config(dir.path(), 4, 5))
        .await
        .unwrap();
    let client = Client::new(&handle);
    let tickers = market_tickers(&client).await;
    assert!(!tickers.is_empty());
    let mut ws = client.ws().await;
    ws.command(
        "subscribe",
        Some(json!({"channels": ["orderbook_delta"], "market_tickers": tickers})),
    )
    .await;
    let mut books: BTreeMap<String, (Ladder, Ladder)> = BTreeMap::new();
    let mut last_seq = 0_u64;
    let mut deltas_applied = 0_usize;
    let mut apply = |frames: Vec<(String, Value)>,
                     books: &mut BTreeMap<String, (Ladder, Ladder)>| {
        for (_, v) in frames {
            let kind = v["type"].as_str().unwrap_or_default().to_string();
            if kind != "orderbook_snapshot" && kind != "orderbook_delta" {
                continue;
            }
            let seq = v["seq"].as_u64().unwrap();
            assert_eq!(seq, last_seq + 1, "seq must be contiguous per sid");
            last_seq = seq;
            let msg = &v["msg"];
            let ticker = msg["market_ticker"].as_str().unwrap().to_string();
            if kind == "orderbook_snapshot" {
                books.insert(
                    ticker,
                    (
                        ladder(&msg["yes_dollars_fp"]),
                        ladder(&msg["no_dollars_fp"]),
                    ),
                );
                continue;
            }
            deltas_applied += 1;
            let (yes, no) = books.get_mut(&ticker).expect("delta before snapshot");
            let side = if msg["side"] == "yes" { yes } else { no };
            let key = dec_price(&msg["price_dollars"]).to_wire();
            let delta = SignedCount::parse(msg["delta_fp"].as_str().unwrap()).unwrap();
            let before = side.get(&key).copied().unwrap_or(Count::ZERO).signed();
            let after = before + delta;
            assert!(
                after >= SignedCount::ZERO,
                "level {key} of {ticker} went negative"
            );
            if after == SignedCount::ZERO {
                side.remove(&key);
            } else {
                side.insert(key, after.to_count().unwrap());
            }
        }
    };
    apply(ws.sync().await, &mut books);
    assert_eq!(books.len(), tickers.len(), "one snapshot per market");

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(99);
    for checkpoint in 0..25 {
        let step_s: i64 = rng.gen_range(1..=90);
        handle
            .advance_virtual_clock(step_s * 1_000_000_000)
            .unwrap();
        apply(ws.sync().await, &mut books);
        for ticker in &tickers {
            let rest = client.get(&format!("/markets/{ticker}/orderbook")).await;
            assert_eq!(rest.status, 200, "{}", rest.text);
            let rest = rest.json();
            let rest_books = (
                ladder(&rest["orderbook_fp"]["yes_dollars"]),
                ladder(&rest["orderbook_fp"]["no_dollars"]),
            );
            assert_eq!(
                books[ticker], rest_books,
                "checkpoint {checkpoint}, market {ticker}"
            );
        }
    }
    assert!(
        deltas_applied > 100,
        "synthetic flow produced only {deltas_applied} deltas"
    );
    handle.shutdown().await;
}

/// Runs a seeded simulator for a while and returns every WebSocket text frame received.
async fn market_data_stream(seed: u64) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let handle = kalshi_sim::spawn(flow_config(dir.path(), 3, seed))
        .await
        .unwrap();
    let client = Client::new(&handle);
    let tickers = market_tickers(&client).await;
    let mut ws = client.ws().await;
    ws.command(
        "subscribe",
        Some(json!({"channels": ["orderbook_delta", "trade", "ticker", "market_lifecycle_v2"], "market_tickers": tickers})),
    )
    .await;
    let mut stream: Vec<String> = ws.sync().await.into_iter().map(|(text, _)| text).collect();
    for _ in 0..40 {
        handle.advance_virtual_clock(15_000_000_000).unwrap();
        stream.extend(ws.sync().await.into_iter().map(|(text, _)| text));
    }
    handle.shutdown().await;
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_gives_a_byte_identical_market_data_stream() {
    let first = market_data_stream(21).await;
    let second = market_data_stream(21).await;
    assert!(
        first
            .iter()
            .any(|f| f.contains(r#""type":"orderbook_delta""#))
    );
    assert!(first.iter().any(|f| f.contains(r#""type":"trade""#)));
    assert_eq!(first.len(), second.len());
    for (i, (a, b)) in first.iter().zip(&second).enumerate() {
        assert_eq!(a, b, "frame {i} differs");
    }
    let other = market_data_stream(22).await;
    assert_ne!(first, other, "a different seed gives a different stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_ack_and_fail_with_kalshi_codes() {
    let dir = tempfile::tempdir().unwrap();
    let handle = kalshi_sim::spawn(quiet_config(dir.path())).await.unwrap();
    add_test_market(&handle, kalshi_sim::exchange::FeeType::Quadratic);
    let client = Client::new(&handle);
    let mut ws = client.ws().await;

    let expect_error = async |ws: &mut Ws, cmd: &str, params: Option<Value>, code: u64| {
        let id = ws.command(cmd, params).await;
        let frames = ws.until(|v| v["id"] == id).await;
        let reply = &frames.last().unwrap().1;
        assert_eq!(
            (reply["type"].clone(), reply["msg"]["code"].clone()),
            (json!("error"), json!(code)),
            "{cmd}: {reply}"
        );
    };
    expect_error(&mut ws, "dance", None, 5).await;
    expect_error(&mut ws, "subscribe", None, 2).await;
    expect_error(&mut ws, "subscribe", Some(json!({"channels": []})), 3).await;
    expect_error(
        &mut ws,
        "subscribe",
        Some(json!({"channels": ["orderbook_delta"]})),
        14,
    )
    .await;
    expect_error(
        &mut ws,
        "subscribe",
        Some(json!({"channels": ["bogus"]})),
        8,
    )
    .await;
    expect_error(&mut ws, "unsubscribe", Some(json!({"sids": []})), 4).await;
    expect_error(&mut ws, "unsubscribe", Some(json!({"sids": [42]})), 7).await;
    expect_error(
        &mut ws,
        "update_subscription",
        Some(json!({"sids": [1, 2], "action": "add_markets"})),
        12,
    )
    .await;

    // orderbook (sid 1) and trade (sid 2).
    let id = ws
        .command(
            "subscribe",
            Some(json!({"channels": ["orderbook_delta", "trade"], "market_ticker": TICKER})),
        )
        .await;
    let frames = ws.sync().await;
    let subscribed: Vec<_> = frames
        .iter()
        .filter(|(_, v)| v["type"] == "subscribed" && v["id"] == id)
        .collect();
    assert_eq!(subscribed.len(), 2);
    assert_eq!(
        subscribed[0].1["msg"],
        json!({"channel": "orderbook_delta", "sid": 1})
    );
    assert!(
        frames
            .iter()
            .any(|(_, v)| v["type"] == "orderbook_snapshot" && v["sid"] == 1 && v["seq"] == 1)
    );

    expect_error(
        &mut ws,
        "update_subscription",
        Some(json!({"sid": 1, "market_tickers": [TICKER]})),
        15,
    )
    .await;
    expect_error(
        &mut ws,
        "update_subscription",
        Some(json!({"sid": 9, "action": "add_markets", "market_tickers": [TICKER]})),
        7,
    )
    .await;
    expect_error(
        &mut ws,
        "update_subscription",
        Some(json!({"sid": 1, "action": "add_markets"})),
        14,
    )
    .await;
    expect_error(
        &mut ws,
        "update_subscription",
        Some(json!({"sid": 2, "action": "get_snapshot", "market_tickers": [TICKER]})),
        13,
    )
    .await;

    // get_snapshot: a fresh snapshot with the next seq.
    ws.command(
        "update_subscription",
        Some(json!({"sids": [1], "action": "get_snapshot", "market_tickers": [TICKER]})),
    )
    .await;
    let frames = ws.sync().await;
    let snapshot = frames
        .iter()
        .find(|(_, v)| v["type"] == "orderbook_snapshot")
        .expect("snapshot")
        .1
        .clone();
    assert_eq!(
        (snapshot["sid"].clone(), snapshot["seq"].clone()),
        (json!(1), json!(2))
    );

    // delete_markets: ok with the market list after the update, consuming a seq slot.
    let id = ws
        .command(
            "update_subscription",
            Some(json!({"sid": 1, "action": "delete_markets", "market_tickers": [TICKER]})),
        )
        .await;
    let frames = ws.until(|v| v["id"] == id).await;
    let ok = &frames.last().unwrap().1;
    assert_eq!(ok["type"], "ok");
    assert_eq!(ok["seq"], 3);
    assert_eq!(ok["msg"]["market_tickers"], json!([]));

    let id = ws.command("list_subscriptions", None).await;
    let frames = ws.until(|v| v["id"] == id).await;
    assert_eq!(
        frames.last().unwrap().1["msg"],
        json!([{"channel": "orderbook_delta", "sid": 1}, {"channel": "trade", "sid": 2}])
    );
    let id = ws.command("unsubscribe", Some(json!({"sids": [2]}))).await;
    let frames = ws.until(|v| v["id"] == id).await;
    assert_eq!(frames.last().unwrap().1["type"], "unsubscribed");
    assert_eq!(frames.last().unwrap().1["sid"], 2);
    handle.shutdown().await;
}
