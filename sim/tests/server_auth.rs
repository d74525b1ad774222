//! Kalshi authentication on REST and on the WebSocket handshake, the development key, and
//! the token-bucket rate limits (429 with the exact body and no `Retry-After`).

mod server_support;

use std::os::unix::fs::PermissionsExt as _;

use kalshi_sim::exchange::FeeType;
use kalshi_wire::auth::AuthHeaders;
use serde_json::json;
use server_support::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_auth_accepts_good_signatures_and_rejects_bad_ones_with_401() {
    let dir = tempfile::tempdir().unwrap();
    let handle = kalshi_sim::spawn(quiet_config(dir.path())).await.unwrap();
    let client = Client::new(&handle);

    assert_eq!(client.get("/portfolio/balance").await.status, 200);
    // Public data needs no headers.
    assert_eq!(
        client
            .request("GET", "/exchange/status", None, false)
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        client
            .request("GET", "/markets", None, false)
            .await
            .unwrap()
            .status,
        200
    );

    // No headers on a portfolio endpoint.
    let missing = client
        .request("GET", "/portfolio/balance", None, false)
        .await
        .unwrap();
    assert_eq!(missing.status, 401);
    assert_eq!(missing.json()["error"]["code"], "authentication_error");

    let path = "/trade-api/v2/portfolio/balance";
    let send = |headers: AuthHeaders| {
        let mut request = client.http.get(format!("{}{path}", client.origin));
        for (name, value) in headers.header_pairs() {
            request = request.header(name, value);
        }
        request.send()
    };
    // Signed for another path: 401.
    let wrong_path = sign_request(
        &client.creds,
        now_ms(),
        "GET",
        "/trade-api/v2/portfolio/fills",
    )
    .unwrap();
    assert_eq!(send(wrong_path).await.unwrap().status().as_u16(), 401);
    // Signed for another method: 401.
    let wrong_method = sign_request(&client.creds, now_ms(), "POST", path).unwrap();
    assert_eq!(send(wrong_method).await.unwrap().status().as_u16(), 401);
    // A query string is not signed: still 200.
    let good = sign_request(
        &client.creds,
        now_ms(),
        "GET",
        "/trade-api/v2/portfolio/fills",
    )
    .unwrap();
    let mut request = client.http.get(format!(
        "{}/trade-api/v2/portfolio/fills?limit=5",
        client.origin
    ));
    for (name, value) in good.header_pairs() {
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.unwrap().status().as_u16(), 200);
    // A timestamp a minute old (tolerance 30 s): 401 naming the skew.
    let stale = sign_request(&client.creds, now_ms() - 60_000, "GET", path).unwrap();
    let response = send(stale).await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.text().await.unwrap().contains("tolerance"));
    // A corrupted signature: 401.
    let real = sign_request(&client.creds, now_ms(), "GET", path).unwrap();
    let mut bytes = real.signature_b64().as_bytes().to_vec();
    bytes[0] = if bytes[0] == b'A' { b'B' } else { b'A' };
    let forged = AuthHeaders::from_header_values(
        real.key_id(),
        real.timestamp_ms(),
        std::str::from_utf8(&bytes).unwrap(),
    )
    .unwrap();
    assert_eq!(send(forged).await.unwrap().status().as_u16(), 401);
    // An unknown key id: 401.
    let unknown =
        AuthHeaders::from_header_values("not-a-key", real.timestamp_ms(), real.signature_b64())
            .unwrap();
    assert_eq!(send(unknown).await.unwrap().status().as_u16(), 401);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_handshake_requires_a_valid_signature() {
    let dir = tempfile::tempdir().unwrap();
    let handle = kalshi_sim::spawn(quiet_config(dir.path())).await.unwrap();
    let client = Client::new(&handle);

    let unsigned = handle.ws_url.as_str().into_client_request().unwrap();
    match tokio_tungstenite::connect_async(unsigned).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 401)
        }
        other => panic!(
            "unsigned handshake was not refused with 401: {:?}",
            other.map(|_| ())
        ),
    }
    // Signed over the REST prefix instead of /trade-api/ws/v2: 401.
    let mut request = handle.ws_url.as_str().into_client_request().unwrap();
    let headers = sign_request(&client.creds, now_ms(), "GET", "/trade-api/v2").unwrap();
    for (name, value) in headers.header_pairs() {
        request.headers_mut().insert(name, value.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 401)
        }
        other => panic!(
            "mis-signed handshake was not refused with 401: {:?}",
            other.map(|_| ())
        ),
    }
    // Properly signed: connects and answers commands.
    let mut ws = client.ws().await;
    ws.command("subscribe", Some(json!({"channels": ["no_such_channel"]})))
        .await;
    let frames = ws.until(|v| v["type"] == "error").await;
    assert_eq!(frames.last().unwrap().1["msg"]["code"], 8);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_key_is_private_and_reused_and_extra_keys_register() {
    let dir = tempfile::tempdir().unwrap();
    let first = kalshi_sim::spawn(quiet_config(dir.path())).await.unwrap();
    let mode = std::fs::metadata(&first.private_key_path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let (key_id, path) = (first.key_id.clone(), first.private_key_path.clone());
    first.shutdown().await;
    let second = kalshi_sim::spawn(quiet_config(dir.path())).await.unwrap();
    assert_eq!(
        (second.key_id.clone(), second.private_key_path.clone()),
        (key_id, path)
    );

    // A second key, registered at runtime, authenticates as its own user.
    let other_dir = tempfile::tempdir().unwrap();
    let pair = kalshi_wire::auth::generate_dev_keypair(
        kalshi_wire::auth::KeyKind::Ed25519,
        other_dir.path(),
    )
    .unwrap();
    let id = second.register_public_key(&pair.public_key_pem).unwrap();
    assert_eq!(id, pair.key_id);
    let mut client = Client::new(&second);
    client.creds = TestCredentials::from_pem_file(id, &pair.private_key_path).unwrap();
    assert_eq!(client.get("/portfolio/balance").await.status, 200);
    assert!(
        second.register_public_key(&pair.public_key_pem).is_err(),
        "a key id registers once"
    );
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_bucket_overflow_gets_exact_429_without_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let handle = kalshi_sim::spawn(quiet_config(dir.path())).await.unwrap();
    add_test_market(&handle, FeeType::Quadratic);
    let client = Client::new(&handle);

    let limits = client.get("/account/limits").await.json();
    assert_eq!(limits["usage_tier"], "basic");
    assert_eq!(limits["write"]["bucket_capacity"], 100);
    let order = json!({"ticker": TICKER, "side": "bid", "price": "0.10", "count": "1",
        "time_in_force": "good_till_canceled", "self_trade_prevention_type": "taker_at_cross"});
    // Basic write bucket: 100 tokens, 10 per create. Requests arrive faster than the 100/s
    // refill adds a whole create, so the 11th to 13th are refused.
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..13 {
        let reply = client.post("/portfolio/events/orders", order.clone()).await;
        statuses.push(reply.status);
        if reply.status == 429 && refused.is_none() {
            refused = Some(reply);
        }
    }
    assert!(statuses[..10].iter().all(|s| *s == 201), "{statuses:?}");
    let refused = refused.unwrap_or_else(|| panic!("no 429 in {statuses:?}"));
    assert_eq!(refused.text, r#"{"error":"too many requests"}"#);
    assert!(refused.headers.get("retry-after").is_none());
    assert!(
        !refused
            .headers
            .keys()
            .any(|k| k.as_str().starts_with("x-ratelimit"))
    );
    // Reads use their own bucket.
    assert_eq!(client.get("/portfolio/balance").await.status, 200);
    // After a second the write bucket has refilled.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        client.post("/portfolio/events/orders", order).await.status,
        201
    );
    assert!(handle.stats().rate_limited >= 1);
    handle.shutdown().await;
}
