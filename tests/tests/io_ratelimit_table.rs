//! The client's rate-limit cost table (`kalshi_io::ratelimit`) checked against Kalshi's
//! published one (`kalshi_wire::ratelimit`), which the local exchange enforces.
//!
//! The two tables are written separately on purpose. Here: they agree on every endpoint the
//! client calls; a client whose table underpays one endpoint (`GET /markets` billed 1 token
//! instead of 10) runs flat out through its own limiter and is answered 429 by the local
//! exchange; the same traffic through the client's real table is never refused.

mod io_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use io_support::*;
use kalshi_io::data_rest::{AuthMode, RestClient, RestRequest};
use kalshi_io::ratelimit::{self as client, CostTable, RateLimiter, UsageTier};
use kalshi_wire::ratelimit as published;
use reqwest::Method;

/// Every (method, path, batch length) the client sends, with the V2 prefix.
const CALLS: &[(&str, &str, usize)] = &[
    ("GET", "/trade-api/v2/markets", 1),
    ("GET", "/trade-api/v2/markets/KXT-1/orderbook", 1),
    ("GET", "/trade-api/v2/markets/orderbooks", 1),
    ("GET", "/trade-api/v2/markets/trades", 1),
    ("GET", "/trade-api/v2/events/EV-1", 1),
    (
        "GET",
        "/trade-api/v2/series/S/markets/KXT-1/candlesticks",
        1,
    ),
    ("GET", "/trade-api/v2/exchange/status", 1),
    ("GET", "/trade-api/v2/account/limits", 1),
    ("GET", "/trade-api/v2/portfolio/balance", 1),
    ("GET", "/trade-api/v2/portfolio/positions", 1),
    ("GET", "/trade-api/v2/portfolio/fills", 1),
    ("GET", "/trade-api/v2/portfolio/orders", 1),
    ("GET", "/trade-api/v2/portfolio/orders/ord-1", 1),
    ("GET", "/trade-api/v2/portfolio/orders/queue_positions", 1),
    ("GET", "/trade-api/v2/portfolio/order_groups", 1),
    ("POST", "/trade-api/v2/portfolio/events/orders", 1),
    (
        "POST",
        "/trade-api/v2/portfolio/events/orders/ord-1/amend",
        1,
    ),
    (
        "POST",
        "/trade-api/v2/portfolio/events/orders/ord-1/decrease",
        1,
    ),
    ("DELETE", "/trade-api/v2/portfolio/events/orders/ord-1", 1),
    ("DELETE", "/trade-api/v2/portfolio/events/orders", 1),
    ("POST", "/trade-api/v2/portfolio/events/orders/batched", 7),
    ("DELETE", "/trade-api/v2/portfolio/events/orders/batched", 7),
    ("POST", "/trade-api/v2/portfolio/orders", 1),
    ("POST", "/trade-api/v2/portfolio/orders/ord-1/amend", 1),
    ("POST", "/trade-api/v2/portfolio/orders/ord-1/decrease", 1),
    ("DELETE", "/trade-api/v2/portfolio/orders/ord-1", 1),
    ("POST", "/trade-api/v2/portfolio/orders/batched", 3),
    ("DELETE", "/trade-api/v2/portfolio/orders/batched", 3),
    ("POST", "/trade-api/v2/portfolio/order_groups/create", 1),
    ("PUT", "/trade-api/v2/portfolio/order_groups/g1/reset", 1),
    ("DELETE", "/trade-api/v2/portfolio/order_groups/g1", 1),
    ("POST", "/trade-api/v2/communications/quotes", 1),
    ("POST", "/trade-api/v2/account/api_usage_level/upgrade", 1),
];

/// Most requests a run may send before it must have been refused.
const MAX_UNDERPAID_REQUESTS: usize = 400;
/// Requests of the control run (400 tokens by the published table: twice the Basic read
/// bucket, so the client's limiter has to pace it).
const CONTROL_REQUESTS: usize = 40;

/// The client's table except `GET /markets`, which it bills 1 token (Kalshi: 10).
fn underpaid_cost(method: &str, path: &str, batch_len: usize) -> u32 {
    if method.eq_ignore_ascii_case("GET") && path.ends_with("/markets") {
        1
    } else {
        client::cost_of(method, path, batch_len)
    }
}

/// One signed single attempt at `GET /markets?limit=1` (no retry, so every 429 is seen).
/// Returns whether the exchange refused it with 429; panics on any other failure.
async fn one_markets_read(rest: &RestClient) -> bool {
    let request = RestRequest::new(Method::GET, "/markets", AuthMode::Signed)
        .with_query(vec![("limit", "1".to_string())]);
    match rest.send_once(&request).await {
        Ok(response) => {
            assert_eq!(response.status, 200);
            false
        }
        Err(error) if error.is_rate_limited() => true,
        Err(error) => panic!("GET /markets failed: {error}"),
    }
}

fn limited_config() -> kalshi_sim::SimConfig {
    let mut config = quiet_config(3);
    config.rate_limits_enabled = true;
    config.tier = UsageTier::Basic;
    config
}

#[test]
fn client_table_agrees_with_the_published_table() {
    for &(method, path, batch_len) in CALLS {
        assert_eq!(
            client::cost_of(method, path, batch_len),
            published::cost_of(method, path, batch_len),
            "cost of {method} {path} ×{batch_len}"
        );
        assert_eq!(
            client::bucket_of(method, path),
            published::bucket_of(method, path),
            "bucket of {method} {path}"
        );
    }
    // The underpaying table really differs from the published one where the exchange
    // test below relies on it.
    assert_eq!(underpaid_cost("GET", "/trade-api/v2/markets", 1), 1);
    assert_eq!(published::cost_of("GET", "/trade-api/v2/markets", 1), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_table_that_underpays_is_refused_by_the_local_exchange() {
    let rig = Rig::start(limited_config()).await;
    let costs = CostTable {
        bucket: client::bucket_of,
        cost: underpaid_cost,
    };
    // The full budget (no safety margin): the client believes it spends 1 token a read.
    let limiter = Arc::new(RateLimiter::with_costs(
        UsageTier::Basic.limits(),
        100,
        costs,
    ));
    let rest = rig.rest(Some(limiter));
    let started = Instant::now();
    let mut sent = 0;
    let mut refused = false;
    while sent < MAX_UNDERPAID_REQUESTS && !refused {
        refused = one_markets_read(&rest).await;
        sent += 1;
    }
    let elapsed = started.elapsed();
    eprintln!(
        "underpaying client: {sent} reads in {:.2} s, refused: {refused}, exchange 429s: {}",
        elapsed.as_secs_f64(),
        rig.handle.stats().rate_limited
    );
    assert!(
        refused,
        "{sent} reads billed 1 token each by the client were all accepted in {elapsed:?}"
    );
    assert!(rig.handle.stats().rate_limited >= 1);
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_table_is_never_refused_by_the_local_exchange() {
    let rig = Rig::start(limited_config()).await;
    let limiter = Arc::new(RateLimiter::for_tier(UsageTier::Basic));
    let rest = rig.rest(Some(Arc::clone(&limiter)));
    let started = Instant::now();
    for n in 0..CONTROL_REQUESTS {
        assert!(
            !one_markets_read(&rest).await,
            "read {n} refused with 429 through the client's real table"
        );
    }
    let elapsed = started.elapsed();
    eprintln!(
        "real table: {CONTROL_REQUESTS} reads in {:.2} s, exchange 429s: {}",
        elapsed.as_secs_f64(),
        rig.handle.stats().rate_limited
    );
    assert_eq!(rig.handle.stats().rate_limited, 0);
    // The run had to wait for refill (so it did press on the budget): 400 tokens at 90 % of
    // 200 tokens/s with a 180-token burst take at least (400 − 180) / 180 s ≈ 1.2 s.
    assert!(
        elapsed >= Duration::from_millis(1_100),
        "{CONTROL_REQUESTS} reads took only {elapsed:?}: the limiter did not pace them"
    );
    rig.shutdown().await;
}
