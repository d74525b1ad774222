//! The real REST client and executor, throttled by their Basic-tier limiter (90 % of the
//! budget), run flat out against the local exchange enforcing the full Basic budget over
//! loopback HTTP for a sustained period: the exchange answers no request with 429, and both
//! buckets really were driven close to the budget (so the test cannot pass by being slow).
//!
//! The run lasts 12 s; set `KALSHI_BUDGET_SECONDS` for a longer (or shorter) one.

mod io_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use io_support::*;
use kalshi_core::commands::AmendOrder;
use kalshi_core::{Count, Price};
use kalshi_io::data_rest::{AuthMode, RestClient, RestRequest};
use kalshi_io::error::RestError;
use kalshi_io::exec::{ExecConfig, Executor, WriteOutcome};
use kalshi_io::ratelimit::{
    BucketKind, DEFAULT_SAFETY_MARGIN_PERCENT, RateLimiter, UsageTier, bucket_of, cost_of,
};
use kalshi_io::wire::market::MarketsPage;
use kalshi_io::wire::orderbook::OrderbookResponse;
use kalshi_io::wire::portfolio::Balance;
use reqwest::Method;

/// Default length of the sustained run.
const DEFAULT_RUN_SECONDS: u64 = 12;
/// Environment variable that overrides the run length (whole seconds, at least 1).
const RUN_SECONDS_ENV: &str = "KALSHI_BUDGET_SECONDS";
/// Concurrent tasks issuing reads, and issuing writes.
const READ_TASKS: usize = 3;
const WRITE_TASKS: usize = 3;
/// Each bucket must sustain at least this share of the published budget, in percent, after
/// the initial burst is discounted (the limiter aims at `DEFAULT_SAFETY_MARGIN_PERCENT`).
const MIN_SUSTAINED_PERCENT: u64 = 85;

const V2: &str = "/trade-api/v2";

/// What one task did.
#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    tokens: u64,
    /// Requests the client saw answered 429 (reads retry 429 inside the client, so the
    /// exchange's own count is the authoritative one).
    rate_limited: u64,
    failures: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.requests += other.requests;
        self.tokens += other.tokens;
        self.rate_limited += other.rate_limited;
        self.failures.extend(other.failures);
    }

    fn add(&mut self, method: &str, path: &str) {
        self.requests += 1;
        self.tokens += u64::from(cost_of(method, &format!("{V2}{path}"), 1));
    }
}

fn run_length() -> Duration {
    let seconds = match std::env::var(RUN_SECONDS_ENV) {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|&s| s >= 1)
            .unwrap_or_else(|| panic!("{RUN_SECONDS_ENV}={text:?}: expected whole seconds ≥ 1")),
        Err(_) => DEFAULT_RUN_SECONDS,
    };
    Duration::from_secs(seconds)
}

/// One signed read: the orderbook, a page of markets, or the balance, in turn. Reads of
/// public data are signed so that the exchange bills them to the same user as the writes
/// (unsigned ones would go to a separate anonymous bucket and make the test easier).
async fn one_read(rest: &RestClient, ticker: &str, n: usize, tally: &mut Tally) {
    let (path, result) = match n % 3 {
        0 => {
            let path = format!("/markets/{ticker}/orderbook");
            let request = RestRequest::new(Method::GET, path.clone(), AuthMode::Signed);
            let result = rest.read_json::<OrderbookResponse>(&request).await;
            (path, result.map(|_| ()))
        }
        1 => {
            let path = "/markets".to_string();
            let request = RestRequest::new(Method::GET, path.clone(), AuthMode::Signed)
                .with_query(vec![("limit", "20".to_string())]);
            let result = rest.read_json::<MarketsPage>(&request).await;
            (path, result.map(|_| ()))
        }
        _ => {
            let path = "/portfolio/balance".to_string();
            let result: Result<Balance, RestError> = rest.get_balance(None).await;
            (path, result.map(|_| ()))
        }
    };
    assert_eq!(bucket_of("GET", &format!("{V2}{path}")), BucketKind::Read);
    match result {
        Ok(()) => tally.add("GET", &path),
        Err(error) if error.is_rate_limited() => tally.rate_limited += 1,
        Err(error) => tally.failures.push(format!("GET {path}: {error}")),
    }
}

/// Records a write's outcome; returns its value when accepted.
fn note_write<T: std::fmt::Debug>(
    tally: &mut Tally,
    method: &str,
    path: &str,
    outcome: WriteOutcome<T>,
) -> Option<T> {
    assert_eq!(bucket_of(method, &format!("{V2}{path}")), BucketKind::Write);
    match outcome {
        WriteOutcome::Accepted(value) => {
            tally.add(method, path);
            Some(value)
        }
        WriteOutcome::RateLimited => {
            tally.rate_limited += 1;
            None
        }
        other => {
            tally.failures.push(format!("{method} {path}: {other:?}"));
            None
        }
    }
}

/// One write cycle: place a one-contract bid, amend its price, cancel it.
async fn one_write_cycle(exec: &Executor, client_order_id: &str, ticker: &str, tally: &mut Tally) {
    let order = bid(client_order_id, ticker, "0.05");
    let placed = exec.place(&order).await;
    let Some(placed) = note_write(tally, "POST", "/portfolio/events/orders", placed) else {
        return;
    };
    let amend = AmendOrder {
        client_order_id: order.client_order_id.clone(),
        order_id: placed.order_id.clone(),
        ticker: ticker.to_string(),
        side: order.side,
        price: Price::parse("0.04").unwrap(),
        total_count: Count::from_contracts(1).unwrap(),
        remaining_count: Count::from_contracts(1).unwrap(),
    };
    let amend_path = format!("/portfolio/events/orders/{}/amend", placed.order_id);
    let amended = exec.amend(&amend).await;
    let order_id = note_write(tally, "POST", &amend_path, amended)
        .map_or(placed.order_id, |modified| modified.order_id);
    let cancel_path = format!("/portfolio/events/orders/{order_id}");
    let canceled = exec.cancel(&order_id, ticker).await;
    note_write(tally, "DELETE", &cancel_path, canceled);
}

/// Tokens per second in `tally` after discounting the client bucket's initial burst.
fn sustained_per_s(tally: &Tally, burst_tokens: u64, elapsed: Duration) -> f64 {
    tally.tokens.saturating_sub(burst_tokens) as f64 / elapsed.as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sustained_basic_budget_gets_no_429_and_runs_near_the_budget() {
    let run_for = run_length();
    let mut config = quiet_config(6);
    config.rate_limits_enabled = true;
    config.tier = UsageTier::Basic;
    config.seed = 9;
    let rig = Rig::start(config).await;
    let tickers = Arc::new(rig.active_tickers());
    assert!(!tickers.is_empty(), "the exchange lists active markets");

    let limiter = Arc::new(RateLimiter::for_tier(UsageTier::Basic));
    let rest = rig.rest(Some(Arc::clone(&limiter)));
    let exec = Arc::new(Executor::new(rest.clone(), ExecConfig::default()).unwrap());

    let started = Instant::now();
    let mut readers = Vec::new();
    for task in 0..READ_TASKS {
        let (rest, tickers) = (rest.clone(), Arc::clone(&tickers));
        readers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut n = task;
            while started.elapsed() < run_for {
                let ticker = &tickers[n % tickers.len()];
                one_read(&rest, ticker, n, &mut tally).await;
                n += READ_TASKS;
            }
            tally
        }));
    }
    let mut writers = Vec::new();
    for task in 0..WRITE_TASKS {
        let (exec, tickers) = (Arc::clone(&exec), Arc::clone(&tickers));
        writers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut n = 0;
            while started.elapsed() < run_for {
                let ticker = &tickers[(task + n) % tickers.len()];
                let client_order_id = format!("sustain-{task}-{n:05}");
                one_write_cycle(&exec, &client_order_id, ticker, &mut tally).await;
                n += 1;
            }
            tally
        }));
    }
    let mut reads = Tally::default();
    for reader in readers {
        reads.merge(reader.await.unwrap());
    }
    let mut writes = Tally::default();
    for writer in writers {
        writes.merge(writer.await.unwrap());
    }
    let elapsed = started.elapsed();
    let exchange_429s = rig.handle.stats().rate_limited;

    let limits = UsageTier::Basic.limits();
    let margin = u64::from(DEFAULT_SAFETY_MARGIN_PERCENT);
    let report = |name: &str, tally: &Tally, budget_per_s: u32, capacity: u32| {
        let burst = u64::from(capacity) * margin / 100;
        let overall = tally.tokens as f64 / elapsed.as_secs_f64();
        let sustained = sustained_per_s(tally, burst, elapsed);
        eprintln!(
            "{name}: {} requests, {} tokens in {:.2} s = {overall:.1} tokens/s overall, \
             {sustained:.1} tokens/s after the {burst}-token burst = {:.1} % of the Basic \
             budget {budget_per_s}/s; client-seen 429s {}",
            tally.requests,
            tally.tokens,
            elapsed.as_secs_f64(),
            100.0 * sustained / f64::from(budget_per_s),
            tally.rate_limited
        );
        sustained
    };
    let read_sustained = report(
        "reads ",
        &reads,
        limits.read.refill_per_s,
        limits.read.capacity,
    );
    let write_sustained = report(
        "writes",
        &writes,
        limits.write.refill_per_s,
        limits.write.capacity,
    );
    eprintln!("exchange 429 answers: {exchange_429s}");

    assert_eq!(exchange_429s, 0, "the exchange refused a request with 429");
    assert_eq!(reads.rate_limited + writes.rate_limited, 0);
    assert!(
        reads.failures.is_empty(),
        "reads failed: {:?}",
        reads.failures
    );
    assert!(
        writes.failures.is_empty(),
        "writes failed: {:?}",
        writes.failures
    );
    for (name, sustained, budget_per_s) in [
        ("read", read_sustained, limits.read.refill_per_s),
        ("write", write_sustained, limits.write.refill_per_s),
    ] {
        let floor = f64::from(budget_per_s) * MIN_SUSTAINED_PERCENT as f64 / 100.0;
        assert!(
            sustained >= floor,
            "the {name} bucket ran at {sustained:.1} tokens/s, below {MIN_SUSTAINED_PERCENT} % \
             of the {budget_per_s}/s budget ({floor:.1})"
        );
    }
    rig.shutdown().await;
}
