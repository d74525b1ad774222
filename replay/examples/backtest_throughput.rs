//! Backtest throughput: the streaming backtest (engine + queue-aware fill simulator +
//! metrics + output digest; records summarized, not kept) over the seeded synthetic L2
//! stream of one market, timed over three runs each; prints one JSON line.
//!
//! `cargo run -p kalshi-replay --release --example backtest_throughput -- [events] [csv]`
//!
//! Two measurements:
//!
//! - `market_day`: one market-day of L2 data, [`synthetic_l2::MARKET_DAY_EVENTS`] events
//!   spread over 24 hours of data time (a timer tick every second of it, 86,400 more engine
//!   inputs), generated lazily and streamed through `run_backtest_streaming` into
//!   `DiscardRecords`, against the ≤ 1 s target; with the process's peak resident set.
//! - `peer_stream`: the first `events` (default 50,000) events at 10 ms spacing, the stream
//!   the peer backtesters replay. With a CSV path, that stream is written there as
//!   `ts_ns,kind,side,price_micros,size_centi` rows (`kind`: `snap` level, `delta`, `trade`;
//!   a trade's `side` is the taker's).
//!
//! With `--stream-only` (anywhere in the arguments) only the peers' stream is timed: the quick
//! form for profiling a change (`valgrind --tool=callgrind … 20000 --stream-only`).
//!
//! The stream is `common/synthetic_l2.rs`.
#![allow(clippy::disallowed_methods)] // a benchmark measures wall time; replay itself does not

use std::fmt::Write as _;
use std::time::Instant;

#[path = "common/metrics_digest.rs"]
mod metrics_digest;
#[path = "common/synthetic_l2.rs"]
mod synthetic_l2;

use kalshi_core::client_order_id::RunId;
use kalshi_core::config::EngineConfig;
use kalshi_core::events::{Envelope, Event};
use kalshi_core::{BookSide, Count};
use kalshi_replay::backtest::{
    BacktestConfig, BacktestSummary, DiscardRecords, run_backtest_streaming,
};
use kalshi_replay::progress::NoProgress;
use synthetic_l2::{MARKET_DAY_EVENTS, MARKET_DAY_SPACING_NS, SyntheticL2, listing};

/// The one-market-day target, seconds.
const MARKET_DAY_TARGET_S: f64 = 1.0;
const RUNS: usize = 3;

fn write_csv(path: &str, events: &[Envelope]) -> std::io::Result<()> {
    let mut out = String::with_capacity(events.len() * 48);
    out.push_str("ts_ns,kind,side,price_micros,size_centi\n");
    let side_name = |side: BookSide| match side {
        BookSide::Bid => "bid",
        BookSide::Ask => "ask",
    };
    for envelope in events {
        match &envelope.event {
            Event::BookSnapshot(snapshot) => {
                for (side, levels) in [("bid", &snapshot.bids), ("ask", &snapshot.asks)] {
                    for level in levels {
                        let _ = writeln!(
                            out,
                            "{},snap,{side},{},{}",
                            envelope.ts_ns,
                            level.price.micros(),
                            level.size.centi()
                        );
                    }
                }
            }
            Event::BookDelta(delta) => {
                let _ = writeln!(
                    out,
                    "{},delta,{},{},{}",
                    envelope.ts_ns,
                    side_name(delta.side),
                    delta.price.micros(),
                    delta.delta.centi()
                );
            }
            Event::PublicTrade(trade) => {
                let _ = writeln!(
                    out,
                    "{},trade,{},{},{}",
                    envelope.ts_ns,
                    side_name(trade.taker_side),
                    trade.yes_price.micros(),
                    trade.count.centi()
                );
            }
            _ => {}
        }
    }
    std::fs::write(path, out)
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn backtest_config() -> BacktestConfig {
    let mut engine = EngineConfig {
        run_id: RunId::parse("bt").unwrap_or_default(),
        ..EngineConfig::default()
    };
    engine.scanner.volume_24h_min = Count::ZERO;
    engine.scanner.open_interest_min = Count::ZERO;
    // The synthetic tape fills the ladder faster than any real market; the fill-burst breaker
    // would withdraw the quotes for most of the run. The peers have no breaker: measure the
    // engine quoting, not standing aside.
    engine.risk.fill_burst_contracts_max = Count::from_centi(100_000_000).unwrap_or(Count::ZERO);
    let mut config = BacktestConfig::new(engine);
    config.listings = vec![listing()];
    config.timer_tick_ns = Some(1_000_000_000);
    config
}

/// Runs `RUNS` streaming backtests over `make()`'s events; returns the sorted run times and
/// the last summary.
fn timed_runs<I: Iterator<Item = Envelope>>(
    config: &BacktestConfig,
    make: impl Fn() -> I,
) -> (Vec<f64>, BacktestSummary) {
    let mut seconds = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let inputs = make();
        let start = Instant::now();
        match run_backtest_streaming(inputs, config, &mut DiscardRecords, &NoProgress) {
            Ok(summary) => last = Some(summary),
            Err(error) => {
                eprintln!("backtest failed: {error}");
                std::process::exit(1);
            }
        }
        seconds.push(start.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    match last {
        Some(summary) => (seconds, summary),
        None => std::process::exit(1),
    }
}

fn summary_json(events: usize, seconds: &[f64], summary: &BacktestSummary) -> serde_json::Value {
    let median_s = seconds[RUNS / 2];
    serde_json::json!({
        "events": events,
        "runs_s": seconds,
        "median_s": median_s,
        "events_per_s": events as f64 / median_s,
        "engine_inputs": summary.records.saturating_sub(summary.outputs + 2),
        "outputs": summary.outputs,
        "orders": summary.metrics.orders,
        "cancels": summary.metrics.cancels,
        "fills": summary.metrics.fills,
        "net_pnl": summary.metrics.net_pnl.to_wire(),
        "output_digest": summary.output_digest,
        "metrics_digest": metrics_digest::metrics_digest(summary),
    })
}

fn main() {
    let all_args: Vec<String> = std::env::args().skip(1).collect();
    let stream_only = all_args.iter().any(|arg| arg == "--stream-only");
    let mut args = all_args.into_iter().filter(|arg| arg != "--stream-only");
    let event_count: usize = args
        .next()
        .and_then(|text| text.parse().ok())
        .unwrap_or(50_000);
    let csv_path = args.next();
    let config = backtest_config();

    if let Some(path) = &csv_path {
        let events: Vec<Envelope> = SyntheticL2::new(1).take(event_count).collect();
        if let Err(error) = write_csv(path, &events) {
            eprintln!("cannot write {path}: {error}");
            std::process::exit(1);
        }
    }
    let (peer_s, peer) = timed_runs(&config, || SyntheticL2::new(1).take(event_count));
    if stream_only {
        println!("{}", summary_json(event_count, &peer_s, &peer));
        return;
    }
    let (day_s, day) = timed_runs(&config, || {
        SyntheticL2::with_spacing(1, MARKET_DAY_SPACING_NS).take(MARKET_DAY_EVENTS)
    });
    let day_median_s = day_s[RUNS / 2];
    let mut market_day = summary_json(MARKET_DAY_EVENTS, &day_s, &day);
    market_day["data_hours"] =
        serde_json::json!(MARKET_DAY_EVENTS as f64 * MARKET_DAY_SPACING_NS as f64 / 3.6e12);
    market_day["target_s"] = serde_json::json!(MARKET_DAY_TARGET_S);
    market_day["target_met"] = serde_json::json!(day_median_s <= MARKET_DAY_TARGET_S);
    let mut report = summary_json(event_count, &peer_s, &peer);
    report["market_day"] = market_day;
    report["peak_rss_kb"] = serde_json::json!(peak_rss_kb());
    println!("{report}");
}
