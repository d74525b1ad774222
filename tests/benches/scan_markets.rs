//! The full `GET /markets` sweep over 10,000 markets of the local exchange (10 pages of
//! 1,000), the scanner's first step: `RestClient::collect_markets` (typed pages, cursor
//! following, the Basic-tier client rate limiter) against a bare HTTP loop that fetches the
//! same pages and parses them as `serde_json::Value` (no types, no limiter). A second run of
//! `collect_markets` without the limiter separates the client's own cost from the pacing:
//! back-to-back sweeps drain the Basic-tier bucket, so the limited figure is the steady-state
//! rate a scanner polling in a loop would see, not the first sweep from a full bucket.
//!
//! The exchange runs in-process on loopback with its synthetic flow off and its own rate
//! limits off (the peer has no limiter and would be answered with 429s). Each sample is one whole sweep (flat
//! sampling), so criterion's per-iteration time is the sweep's wall time.
//!
//! Run: `cargo bench -p kalshi-e2e --bench scan_markets` (it lives in the tests crate because it
//! drives the io client against the local exchange, and sim does not depend on io).

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use kalshi_io::data_rest::queries::MarketsQuery;
use kalshi_io::data_rest::{RestClient, RestConfig};
use kalshi_io::env::Endpoints;
use kalshi_io::ratelimit::{RateLimiter, UsageTier};
use kalshi_sim::catalog::CatalogConfig;
use kalshi_sim::flow::FlowConfig;
use kalshi_sim::{ClockMode, SimConfig};

const MARKET_COUNT: usize = 10_000;
const PAGE_LIMIT: u32 = 1_000;

/// The bare peer: follow the cursor with plain GETs, parse each page untyped.
async fn bare_sweep(client: &reqwest::Client, base_url: &str) -> usize {
    let mut markets = 0usize;
    let mut cursor = String::new();
    loop {
        let mut url = format!("{base_url}/markets?limit={PAGE_LIMIT}");
        if !cursor.is_empty() {
            url.push_str("&cursor=");
            url.push_str(&cursor);
        }
        let body = client
            .get(&url)
            .send()
            .await
            .expect("page request")
            .text()
            .await
            .expect("page body");
        let page: serde_json::Value = serde_json::from_str(&body).expect("page is JSON");
        markets += page["markets"].as_array().map_or(0, Vec::len);
        match page["cursor"].as_str() {
            Some(next) if !next.is_empty() => cursor = next.to_string(),
            _ => return markets,
        }
    }
}

fn bench_scan(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("key dir");
    let mut config = SimConfig {
        clock: ClockMode::Virtual,
        key_dir: dir.path().to_path_buf(),
        // The server's own limits would answer the untimed peer's back-to-back sweeps with
        // 429s; the client-side limiter stays on for `collect_markets`.
        rate_limits_enabled: false,
        ..SimConfig::default()
    };
    config.exchange.catalog = CatalogConfig {
        market_count: MARKET_COUNT,
        ..CatalogConfig::default()
    };
    config.exchange.flow = FlowConfig {
        enabled: false,
        ..FlowConfig::default()
    };
    let handle = runtime
        .block_on(kalshi_sim::spawn(config))
        .expect("simulator starts");
    let endpoints = Endpoints::custom(&handle.base_url, &handle.ws_url).expect("endpoints");
    let rest = RestClient::new(
        RestConfig::new(endpoints),
        None,
        Some(Arc::new(RateLimiter::for_tier(UsageTier::Basic))),
    )
    .expect("rest client");
    let query = MarketsQuery {
        limit: Some(PAGE_LIMIT),
        ..MarketsQuery::default()
    };
    let unlimited = RestClient::new(
        RestConfig::new(Endpoints::custom(&handle.base_url, &handle.ws_url).expect("endpoints")),
        None,
        None,
    )
    .expect("rest client");
    let bare = reqwest::Client::new();
    let listed = runtime
        .block_on(rest.collect_markets(&query, |_, _| {}))
        .expect("sweep")
        .len();
    assert_eq!(listed, MARKET_COUNT, "the sweep sees every market");
    assert_eq!(
        runtime.block_on(bare_sweep(&bare, &handle.base_url)),
        MARKET_COUNT
    );

    let mut group = c.benchmark_group("scan");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.bench_function("collect_markets_10k", |b| {
        b.iter(|| {
            let markets = runtime
                .block_on(rest.collect_markets(&query, |_, _| {}))
                .expect("sweep")
                .len();
            assert_eq!(markets, MARKET_COUNT, "the sweep sees every market");
            markets
        });
    });
    group.bench_function("collect_markets_10k_no_limiter", |b| {
        b.iter(|| {
            let markets = runtime
                .block_on(unlimited.collect_markets(&query, |_, _| {}))
                .expect("sweep")
                .len();
            assert_eq!(markets, MARKET_COUNT, "the sweep sees every market");
            markets
        });
    });
    group.bench_function("peer_bare_http_10k", |b| {
        b.iter(|| {
            let markets = runtime.block_on(bare_sweep(&bare, &handle.base_url));
            assert_eq!(markets, MARKET_COUNT, "the bare sweep sees every market");
            markets
        });
    });
    group.finish();
    runtime.block_on(handle.shutdown());
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_scan
}
criterion_main!(benches);
