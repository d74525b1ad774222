//! Request limits: every refusal is Kalshi's JSON error shape (400, 404, 405, 413, 414,
//! 431), query parameters and body fields are held to the spec's bounds, and WebSocket
//! subscriptions are deduplicated and capped.

mod server_support;

use serde_json::{Value, json};
use server_support::*;

/// Asserts `reply` is `status` with `{"error":{"code","message",…}}`; returns the code.
fn assert_kalshi_error(reply: &Reply, status: u16) -> String {
    assert_eq!(reply.status, status, "{}", reply.text);
    let content_type = reply
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{status}: content-type {content_type:?}"
    );
    let body = reply.json();
    let error = &body["error"];
    assert!(error["message"].is_string(), "{status}: {body}");
    error["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{status}: no code in {body}"))
        .to_string()
}

/// Sends a raw request (unsigned) with extra headers and an optional raw body.
async fn raw(
    client: &Client,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Reply {
    let mut request = client.http.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{}{path_and_query}", client.origin),
    );
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Reply {
        status,
        headers,
        text,
    }
}

/// POSTs to `path` over a plain socket declaring a 2 MiB JSON body (twice the exchange's
/// limit) and sending only its first kilobyte, then reads the answer to the end.
async fn oversized_body(client: &Client, path: &str, headers: &[(&str, String)]) -> Reply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = client.origin.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n",
        2 << 20
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[b' '; 1024]).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("the exchange answers an oversized body within 10 s");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {answer:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    let mut header_map = reqwest::header::HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            header_map.insert(
                reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
                value.trim().parse().unwrap(),
            );
        }
    }
    let chunked = header_map
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    let text = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Reply {
        status,
        headers: header_map,
        text,
    }
}

/// Joins the chunks of a chunked HTTP/1.1 body.
fn dechunk(body: &str) -> String {
    let mut text = String::new();
    let mut rest = body;
    while let Some((size_line, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size_line.trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        text.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_is_a_kalshi_json_error() {
    let dir = tempfile::tempdir().unwrap();
    let handle = kalshi_sim::spawn(quiet_config(dir.path())).await.unwrap();
    add_test_market(&handle, kalshi_sim::exchange::FeeType::Quadratic);
    let client = Client::new(&handle);

    // 404: unknown path.
    let reply = client.get("/no/such/endpoint").await;
    assert_eq!(assert_kalshi_error(&reply, 404), "not_found");
    // 405: a known path with a method it does not serve.
    let reply = raw(&client, "PATCH", "/trade-api/v2/markets", &[], None).await;
    assert_eq!(assert_kalshi_error(&reply, 405), "method_not_allowed");
    assert!(reply.headers.get("allow").is_some(), "405 keeps Allow");
    // 400: malformed JSON body.
    let reply = client
        .request("POST", "/portfolio/events/orders", None, true)
        .await
        .unwrap();
    assert_kalshi_error(&reply, 400);
    let mut signed = Vec::new();
    let headers = sign_request(
        &client.creds,
        now_ms(),
        "POST",
        "/trade-api/v2/portfolio/events/orders",
    )
    .unwrap();
    for (name, value) in headers.header_pairs() {
        signed.push((name, value.to_string()));
    }
    let reply = raw(
        &client,
        "POST",
        "/trade-api/v2/portfolio/events/orders",
        &signed,
        Some(b"{\"ticker\": ".to_vec()),
    )
    .await;
    assert_kalshi_error(&reply, 400);
    // 400: malformed query.
    let reply = client.get("/markets?limit=abc").await;
    assert_eq!(assert_kalshi_error(&reply, 400), "invalid_parameters");
    let reply = client.get("/markets?cursor=%zz").await;
    assert_kalshi_error(&reply, 400);
    // 413: a body over the limit. The exchange refuses on the declared length without
    // reading the body and closes, so a client still writing 2 MiB may see a reset before
    // the answer; declaring the length and sending only its start makes the answer certain.
    let reply = oversized_body(&client, "/trade-api/v2/portfolio/events/orders", &signed).await;
    assert_eq!(assert_kalshi_error(&reply, 413), "payload_too_large");
    // 414: a URI over the limit (within what hyper reads).
    let long = format!("/trade-api/v2/markets?tickers={}", "A".repeat(10_000));
    let reply = raw(&client, "GET", &long, &[], None).await;
    assert_eq!(assert_kalshi_error(&reply, 414), "uri_too_long");
    // 431: headers over the limit (within what hyper reads).
    let reply = raw(
        &client,
        "GET",
        "/trade-api/v2/markets",
        &[("x-padding", "p".repeat(20_000))],
        None,
    )
    .await;
    assert_eq!(
        assert_kalshi_error(&reply, 431),
        "request_header_fields_too_large"
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_and_parameters_are_held_to_the_spec_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = quiet_config(dir.path());
    config.rate_limits_enabled = false;
    let handle = kalshi_sim::spawn(config).await.unwrap();
    add_test_market(&handle, kalshi_sim::exchange::FeeType::Quadratic);
    let client = Client::new(&handle);
    let order = |id: String| {
        json!({"ticker": TICKER, "side": "bid", "price": "0.20", "count": "1",
               "time_in_force": "good_till_canceled",
               "self_trade_prevention_type": "taker_at_cross", "client_order_id": id})
    };

    // client_order_id: at most 64 characters.
    let reply = client
        .post("/portfolio/events/orders", order("x".repeat(100_000)))
        .await;
    assert_kalshi_error(&reply, 400);
    let reply = client
        .post("/portfolio/events/orders", order("y".repeat(65)))
        .await;
    assert_kalshi_error(&reply, 400);
    let reply = client
        .post("/portfolio/events/orders", order("z".repeat(64)))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let legacy = json!({"ticker": TICKER, "action": "buy", "side": "yes", "count": 1,
                        "type": "limit", "yes_price": 20, "client_order_id": "w".repeat(100_000)});
    let reply = client.post("/portfolio/orders", legacy).await;
    assert_kalshi_error(&reply, 400);

    // depth: 0..=100.
    let book = format!("/markets/{TICKER}/orderbook");
    assert_kalshi_error(&client.get(&format!("{book}?depth=-1")).await, 400);
    assert_kalshi_error(&client.get(&format!("{book}?depth=101")).await, 400);
    assert_eq!(client.get(&format!("{book}?depth=0")).await.status, 200);
    assert_eq!(client.get(&format!("{book}?depth=100")).await.status, 200);
    let batch = format!("/markets/orderbooks?tickers={TICKER}&depth=-1");
    assert_kalshi_error(&client.get(&batch).await, 400);

    // limit: each list's range.
    for (path, bad, good) in [
        ("/markets", vec!["-1", "1001"], vec!["0", "1000"]),
        ("/markets/trades", vec!["-1", "1001"], vec!["0", "1000"]),
        ("/events", vec!["0", "201"], vec!["1", "200"]),
        ("/portfolio/orders", vec!["0", "1001"], vec!["1", "1000"]),
        ("/portfolio/fills", vec!["0", "1001"], vec!["1", "1000"]),
        ("/portfolio/positions", vec!["0", "1001"], vec!["1", "1000"]),
        (
            "/portfolio/settlements",
            vec!["0", "1001"],
            vec!["1", "1000"],
        ),
    ] {
        for limit in bad {
            let reply = client.get(&format!("{path}?limit={limit}")).await;
            assert_kalshi_error(&reply, 400);
        }
        for limit in good {
            let reply = client.get(&format!("{path}?limit={limit}")).await;
            assert_eq!(reply.status, 200, "{path}?limit={limit}: {}", reply.text);
        }
    }
    // List filters: at most 100 values.
    let many: Vec<String> = (0..101).map(|k| format!("T-{k}")).collect();
    let reply = client
        .get(&format!("/portfolio/fills?ticker={}", many.join(",")))
        .await;
    assert_kalshi_error(&reply, 400);
    let reply = client
        .get(&format!(
            "/portfolio/orders?event_ticker={}",
            many.join(",")
        ))
        .await;
    assert_kalshi_error(&reply, 400);
    handle.shutdown().await;
}

/// Frames of `kind` in `frames`.
fn of_type<'a>(frames: &'a [(String, Value)], kind: &str) -> Vec<&'a Value> {
    frames
        .iter()
        .map(|(_, v)| v)
        .filter(|v| v["type"] == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_subscriptions_are_deduplicated_and_capped() {
    let dir = tempfile::tempdir().unwrap();
    let handle = kalshi_sim::spawn(flow_config(dir.path(), 3, 21))
        .await
        .unwrap();
    handle.advance_virtual_clock(30 * 1_000_000_000).unwrap();
    let client = Client::new(&handle);
    let page = client.get("/markets?status=open").await.json();
    let tickers: Vec<String> = page["markets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ticker"].as_str().unwrap().to_string())
        .collect();
    let ticker = tickers[0].clone();
    let mut ws = client.ws().await;

    // One ticker named 20,000 times is one market: one snapshot.
    let repeated = vec![ticker.clone(); 20_000];
    ws.command(
        "subscribe",
        Some(json!({"channels": ["orderbook_delta"], "market_tickers": repeated})),
    )
    .await;
    let frames = ws.sync().await;
    assert_eq!(of_type(&frames, "subscribed").len(), 1);
    assert_eq!(of_type(&frames, "orderbook_snapshot").len(), 1);
    let sid = of_type(&frames, "subscribed")[0]["msg"]["sid"]
        .as_u64()
        .unwrap();

    // The same channel and markets again: refused as already subscribed.
    ws.command(
        "subscribe",
        Some(json!({"channels": ["orderbook_delta"], "market_tickers": [ticker]})),
    )
    .await;
    let frames = ws.sync().await;
    let errors = of_type(&frames, "error");
    assert_eq!(errors.len(), 1, "{frames:?}");
    assert_eq!(errors[0]["msg"]["code"], 1);
    assert!(
        errors[0]["msg"]["msg"]
            .as_str()
            .unwrap()
            .contains("already subscribed")
    );
    assert!(of_type(&frames, "orderbook_snapshot").is_empty());
    // One channel twice in one command: the second is the duplicate.
    ws.command("subscribe", Some(json!({"channels": ["trade", "trade"]})))
        .await;
    let frames = ws.sync().await;
    assert_eq!(of_type(&frames, "subscribed").len(), 1);
    assert_eq!(of_type(&frames, "error").len(), 1);

    // add_markets with repeats adds each market once.
    let again = vec![tickers[1].clone(), tickers[1].clone(), ticker.clone()];
    ws.command(
        "update_subscription",
        Some(json!({"sids": [sid], "market_tickers": again, "action": "add_markets"})),
    )
    .await;
    let frames = ws.sync().await;
    let ok = of_type(&frames, "ok");
    assert_eq!(ok.len(), 1, "{frames:?}");
    assert_eq!(ok[0]["msg"]["market_tickers"].as_array().unwrap().len(), 2);
    // A snapshot per named market (two), not per name (three).
    assert_eq!(of_type(&frames, "orderbook_snapshot").len(), 2);

    // Too many markets in one subscription: error 26, nothing subscribed.
    let many: Vec<String> = (0..1001).map(|k| format!("NO-SUCH-{k}")).collect();
    ws.command(
        "subscribe",
        Some(json!({"channels": ["ticker"], "market_tickers": many})),
    )
    .await;
    let frames = ws.sync().await;
    let errors = of_type(&frames, "error");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["msg"]["code"], 26);
    assert!(of_type(&frames, "subscribed").is_empty());
    let too_many: Vec<String> = (0..1000).map(|k| format!("NO-SUCH-{k}")).collect();
    ws.command(
        "update_subscription",
        Some(json!({"sids": [sid], "market_tickers": too_many, "action": "add_markets"})),
    )
    .await;
    let frames = ws.sync().await;
    assert_eq!(of_type(&frames, "error")[0]["msg"]["code"], 26);

    // Subscriptions per connection: 64 in all (2 exist), then refused.
    for k in 0..62 {
        ws.command(
            "subscribe",
            Some(json!({"channels": ["trade"], "market_tickers": [format!("M-{k}")]})),
        )
        .await;
    }
    let frames = ws.sync().await;
    assert_eq!(of_type(&frames, "subscribed").len(), 62);
    ws.command(
        "subscribe",
        Some(json!({"channels": ["trade"], "market_tickers": ["M-last"]})),
    )
    .await;
    let frames = ws.sync().await;
    let errors = of_type(&frames, "error");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["msg"]["code"], 1);
    assert!(of_type(&frames, "subscribed").is_empty());
    handle.shutdown().await;
}
