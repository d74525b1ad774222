//! kalshi-io's REST client and executor against the local exchange over loopback:
//! a full 10,000-market scan, 1,000 placements with 20 % lost responses and no duplicate
//! order, and a 429 storm during which no request outruns the token bucket and no write is
//! retried.

mod io_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use io_support::*;
use kalshi_io::data_rest::queries::MarketsQuery;
use kalshi_io::data_rest::{RestClient, RestConfig};
use kalshi_io::env::Endpoints;
use kalshi_io::exec::{ExecConfig, Executor, Resolution, WriteOutcome};
use kalshi_io::ratelimit::{RateLimiter, TokenBucket, UsageTier, bucket_of, cost_of};
use kalshi_sim::faults::{LostResponseMode, StormWindow};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_scan_of_ten_thousand_markets_sees_each_once() {
    let mut config = quiet_config(10_000);
    config.rate_limits_enabled = true;
    let rig = Rig::start(config).await;
    let limiter = Arc::new(RateLimiter::for_tier(UsageTier::Basic));
    let rest = rig.rest(Some(limiter));
    let query = MarketsQuery {
        limit: Some(1000),
        ..MarketsQuery::default()
    };
    let started = Instant::now();
    let mut pages = 0;
    let markets = rest
        .collect_markets(&query, |pages_done, _| pages = pages_done)
        .await
        .unwrap();
    let wall = started.elapsed();
    eprintln!(
        "scanned {} markets in {pages} pages in {wall:?}",
        markets.len()
    );

    assert_eq!(pages, 10_000_usize.div_ceil(1000), "page count");
    assert_eq!(markets.len(), 10_000, "every market returned once");
    let seen: BTreeSet<&str> = markets.iter().map(|m| m.ticker.as_str()).collect();
    assert_eq!(seen.len(), 10_000, "no market returned twice");
    let listed: BTreeSet<String> = rig
        .handle
        .with_exchange(|exchange, _| exchange.market_tickers().into_iter().collect());
    assert!(
        listed.iter().map(String::as_str).eq(seen.iter().copied()),
        "the scan is exactly the exchange's catalog"
    );
    assert_eq!(rig.handle.stats().rate_limited, 0, "no request was refused");
    rig.shutdown().await;
}

/// Places `order` until the exchange certainly has it: an unknown outcome is resolved by
/// client id before anything else, and only a `NotFound` is retried, with the same id.
/// Returns (unknown outcomes, retries after NotFound, lookups that failed and were repeated).
async fn place_exactly_once(
    exec: &Executor,
    order: &kalshi_core::commands::PlaceOrder,
) -> (usize, usize, usize) {
    let id = order.client_order_id.as_str();
    let (mut unknown, mut retries, mut failed_lookups) = (0, 0, 0);
    loop {
        match exec.place(order).await {
            WriteOutcome::Accepted(placed) => {
                assert_eq!(placed.client_order_id.as_deref(), Some(id));
                return (unknown, retries, failed_lookups);
            }
            WriteOutcome::Unknown { .. } => {
                unknown += 1;
                let resolution = loop {
                    match exec.resolve_unknown(id, &order.ticker).await {
                        Ok(resolution) => break resolution,
                        Err(error) => {
                            failed_lookups += 1;
                            assert!(failed_lookups < 20, "lookup keeps failing: {error}");
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                };
                match resolution {
                    Resolution::Found(snapshot) => {
                        assert_eq!(snapshot.client_order_id.as_deref(), Some(id));
                        assert_eq!(snapshot.ticker, order.ticker);
                        return (unknown, retries, failed_lookups);
                    }
                    Resolution::NotFound => retries += 1,
                }
            }
            other => panic!("unexpected outcome for {id}: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_responses_never_duplicate_an_order() {
    let mut config = quiet_config(10);
    config.rate_limits_enabled = true;
    config.tier = UsageTier::Prime;
    config.seed = 11;
    config.faults.rest.lost_response_probability = 0.2;
    config.faults.rest.lost_response_mode = LostResponseMode::DropConnection;
    // Failures before processing too, so some unknown outcomes resolve to NotFound.
    config.faults.rest.error_5xx_probability = 0.03;
    let rig = Rig::start(config).await;
    let tickers = rig.active_tickers();
    assert_eq!(tickers.len(), 10);
    let limiter = Arc::new(RateLimiter::for_tier(UsageTier::Prime));
    let exec = Executor::new(rig.rest(Some(limiter)), ExecConfig::default()).unwrap();

    let orders: Vec<_> = (0..1000)
        .map(|n| bid(&format!("lost-{n:04}"), &tickers[n % tickers.len()], "0.05"))
        .collect();
    let started = Instant::now();
    let (mut unknown, mut retries, mut failed_lookups) = (0, 0, 0);
    for order in &orders {
        let (u, r, f) = place_exactly_once(&exec, order).await;
        unknown += u;
        retries += r;
        failed_lookups += f;
    }
    eprintln!(
        "1000 placements in {:?}: {unknown} unknown outcomes, {retries} retries after NotFound, \
         {failed_lookups} repeated lookups",
        started.elapsed()
    );

    let on_exchange = exchange_orders_by_client_id(&rig).await;
    let expected: BTreeMap<String, usize> = orders
        .iter()
        .map(|o| (o.client_order_id.as_str().to_string(), 1))
        .collect();
    assert_eq!(
        on_exchange, expected,
        "every client order id maps to exactly one exchange order"
    );
    assert!(
        (120..=300).contains(&unknown),
        "about 20 % + 3 % of the creates had an unknown outcome, got {unknown}"
    );
    assert!(
        retries > 0,
        "some unknown outcomes were failures before processing"
    );
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_of_429_neither_outruns_the_bucket_nor_retries_writes() {
    let mut config = quiet_config(5);
    config.rate_limits_enabled = true;
    config.tier = UsageTier::Basic;
    config.faults.rest.storm_429_windows = vec![
        StormWindow {
            start_ms: 400,
            duration_ms: 600,
        },
        StormWindow {
            start_ms: 1_500,
            duration_ms: 300,
        },
    ];
    let rig = Rig::start(config).await;
    let tickers = rig.active_tickers();
    let relay = Relay::start(&format!("http://{}", rig.handle.addr)).await;
    let endpoints = Endpoints::custom(&relay.base_url, &rig.handle.ws_url).unwrap();
    let limiter = Arc::new(RateLimiter::for_tier(UsageTier::Basic));
    let rest = RestClient::new(
        RestConfig::new(endpoints),
        Some(Arc::clone(&rig.credentials)),
        Some(Arc::clone(&limiter)),
    )
    .unwrap();
    let exec = Executor::new(rest.clone(), ExecConfig::default()).unwrap();

    let run_for = Duration::from_millis(2_300);
    let reader = {
        let rest = rest.clone();
        let tickers = tickers.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let (mut ok, mut failed) = (0, 0);
            let mut n = 0;
            while started.elapsed() < run_for {
                let result = if n % 2 == 0 {
                    rest.get_orderbook(&tickers[n % tickers.len()], None)
                        .await
                        .map(|_| ())
                } else {
                    rest.get_markets(&MarketsQuery::default(), None)
                        .await
                        .map(|_| ())
                };
                n += 1;
                if result.is_ok() { ok += 1 } else { failed += 1 }
            }
            (ok, failed)
        })
    };
    let started = Instant::now();
    let mut outcomes: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut n = 0;
    while started.elapsed() < run_for {
        let order = bid(
            &format!("storm-{n:03}"),
            &tickers[n % tickers.len()],
            "0.03",
        );
        let outcome = exec.place(&order).await;
        outcomes.insert(
            order.client_order_id.as_str().to_string(),
            outcome.kind_name(),
        );
        n += 1;
    }
    let (reads_ok, reads_failed) = reader.await.unwrap();
    let seen = relay.seen();
    eprintln!(
        "{} requests reached the exchange; reads ok {reads_ok} failed {reads_failed}; writes {outcomes:?}",
        seen.len()
    );

    // Replay the arrival times through full-size buckets of the tier: the client (at 90 %
    // of the budget) must never have sent a request those buckets could not pay for.
    let limits = UsageTier::Basic.limits();
    let mut read = TokenBucket::new(limits.read, 0);
    let mut write = TokenBucket::new(limits.write, 0);
    for request in &seen {
        let at_ns = u64::try_from(request.at.as_nanos()).unwrap();
        let path = format!(
            "/trade-api/v2{}",
            request.path.trim_start_matches("/trade-api/v2")
        );
        let cost = cost_of(&request.method, &path, 1);
        let bucket = match bucket_of(&request.method, &path) {
            kalshi_io::ratelimit::BucketKind::Read => &mut read,
            kalshi_io::ratelimit::BucketKind::Write => &mut write,
        };
        assert!(
            bucket.try_take(cost, at_ns),
            "{} {} at {:?} outran the {:?} bucket",
            request.method,
            request.path,
            request.at,
            bucket_of(&request.method, &path)
        );
    }

    // Every write reached the exchange exactly once, whatever its outcome.
    let mut posts: BTreeMap<String, usize> = BTreeMap::new();
    let mut refused_posts = 0;
    for request in seen.iter().filter(|r| r.method == "POST") {
        let id = request
            .client_order_id
            .clone()
            .expect("create carries its id");
        *posts.entry(id).or_insert(0) += 1;
        if request.status == 429 {
            refused_posts += 1;
        }
    }
    assert!(
        posts.values().all(|&count| count == 1),
        "a write was sent twice: {posts:?}"
    );
    assert_eq!(posts.len(), outcomes.len(), "every write was sent");
    let rate_limited = outcomes.values().filter(|k| **k == "rate_limited").count();
    assert!(rate_limited > 0, "the storm hit no write: {outcomes:?}");
    assert_eq!(
        rate_limited, refused_posts,
        "each 429 was reported, not retried"
    );
    assert!(
        seen.iter().any(|r| r.method == "GET" && r.status == 429),
        "the storm hit reads too"
    );
    // Refused creates left nothing on the exchange; accepted ones are there once.
    let on_exchange = exchange_orders_by_client_id(&rig).await;
    let accepted: BTreeMap<String, usize> = outcomes
        .iter()
        .filter(|(_, kind)| **kind == "accepted")
        .map(|(id, _)| (id.clone(), 1))
        .collect();
    assert_eq!(on_exchange, accepted);
    assert_eq!(
        outcomes.values().filter(|k| **k == "accepted").count() + rate_limited,
        outcomes.len(),
        "no other outcome"
    );
    rig.shutdown().await;
}
