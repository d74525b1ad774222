//! The peer comparison's stream and our engine-only rate over it: writes a seeded synthetic
//! L2 stream of `markets` markets as the depth CSV that `kalshi-bot import --depth` and the
//! peer backtesters read (`ts_ns,ticker,kind,side,price,size`, absolute level sizes), reads
//! that file back through the importer's own loader (`loaders::depth`, untimed), and times
//! the streaming backtest (engine + queue-aware fill simulator + metrics + output digest;
//! records summarized, not kept) over those inputs, median of the runs; prints one JSON
//! line.
//!
//! `cargo run -p kalshi-replay --profile bench --example backtest_peers -- MARKETS EVENTS CSV [RUNS]`
//!
//! `RUNS` (default 3) timed runs; one is the form to profile (`perf record … 1`).
//!
//! Every market keeps the one-market stream's pace (an event every 10 ms of data time, see
//! `common/synthetic_l2.rs`), so 50 markets carry 50 events per 10 ms; market 0 is the
//! one-market stream itself. `EVENTS` counts the generated events; the CSV has a row per
//! book level of each market's opening snapshot, so slightly more rows.
#![allow(clippy::disallowed_methods)] // a benchmark measures wall time; replay itself does not

use std::io::BufWriter;
use std::time::Instant;

#[path = "common/metrics_digest.rs"]
mod metrics_digest;
#[path = "common/synthetic_l2.rs"]
mod synthetic_l2;

use kalshi_core::Count;
use kalshi_core::client_order_id::RunId;
use kalshi_core::config::EngineConfig;
use kalshi_core::events::Envelope;
use kalshi_replay::backtest::{
    BacktestConfig, BacktestSummary, DiscardRecords, run_backtest_streaming,
};
use kalshi_replay::loaders::depth::{depth_inputs, parse_depth_csv};
use kalshi_replay::progress::NoProgress;
use synthetic_l2::{DepthCsv, MultiL2, listing_of};

/// Timed runs unless told otherwise.
const RUNS: usize = 3;
/// Data time between two events of one market.
const SPACING_NS: i64 = 10_000_000;

/// CPU time this process's main thread has run, seconds (`/proc/self/schedstat`, ns): on a
/// host shared with other work it shows how much of the wall time was ours.
fn cpu_s() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The engine as `backtest_throughput` runs it, quoting every one of `markets` markets.
fn backtest_config(markets: usize) -> BacktestConfig {
    let mut engine = EngineConfig {
        run_id: RunId::parse("bt").unwrap_or_default(),
        quoted_markets_max: u32::try_from(markets).unwrap_or(u32::MAX),
        ..EngineConfig::default()
    };
    engine.scanner.volume_24h_min = Count::ZERO;
    engine.scanner.open_interest_min = Count::ZERO;
    // As in `backtest_throughput`: the synthetic tape fills the ladder faster than any real
    // market, and the peers have no fill-burst breaker.
    engine.risk.fill_burst_contracts_max = Count::from_centi(100_000_000).unwrap_or(Count::ZERO);
    let mut config = BacktestConfig::new(engine);
    config.listings = (0..markets).map(listing_of).collect();
    config.timer_tick_ns = Some(1_000_000_000);
    config
}

fn fail(message: String) -> ! {
    eprintln!("{message}");
    std::process::exit(1);
}

fn write_stream(path: &str, markets: usize, events: usize) -> std::io::Result<u64> {
    let file = std::fs::File::create(path)?;
    let mut csv = DepthCsv::new(BufWriter::with_capacity(1 << 20, file))?;
    for envelope in MultiL2::new(markets, SPACING_NS).take(events) {
        csv.write(&envelope)?;
    }
    let rows = csv.rows;
    csv.finish()?;
    Ok(rows)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(markets), Some(events), Some(path)) = (
        args.first().and_then(|text| text.parse::<usize>().ok()),
        args.get(1).and_then(|text| text.parse::<usize>().ok()),
        args.get(2),
    ) else {
        fail("usage: backtest_peers MARKETS EVENTS CSV [RUNS]".to_string());
    };
    let runs = match args.get(3) {
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|runs| *runs > 0)
            .unwrap_or_else(|| fail(format!("RUNS `{text}` is not a positive count"))),
        None => RUNS,
    };
    if markets == 0 {
        fail("MARKETS must be at least 1".to_string());
    }
    let rows = write_stream(path, markets, events)
        .unwrap_or_else(|error| fail(format!("cannot write {path}: {error}")));

    let load_start = Instant::now();
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| fail(format!("cannot read {path}: {error}")));
    let inputs: Vec<Envelope> = parse_depth_csv(path, &text)
        .and_then(|parsed| depth_inputs(path, parsed))
        .unwrap_or_else(|error| fail(format!("cannot load {path}: {error}")));
    drop(text);
    let load_s = load_start.elapsed().as_secs_f64();

    let config = backtest_config(markets);
    let mut seconds = Vec::with_capacity(runs);
    let mut last: Option<BacktestSummary> = None;
    let mut cpu_seconds = Vec::with_capacity(runs);
    for _ in 0..runs {
        // Each run gets its own copy, made before the clock starts (the peer's arrays are
        // loaded before its timing too).
        let run_inputs = inputs.clone();
        let cpu_start = cpu_s();
        let start = Instant::now();
        match run_backtest_streaming(run_inputs, &config, &mut DiscardRecords, &NoProgress) {
            Ok(summary) => last = Some(summary),
            Err(error) => fail(format!("backtest failed: {error}")),
        }
        seconds.push(start.elapsed().as_secs_f64());
        if let (Some(before), Some(after)) = (cpu_start, cpu_s()) {
            cpu_seconds.push(after - before);
        }
    }
    seconds.sort_by(f64::total_cmp);
    cpu_seconds.sort_by(f64::total_cmp);
    let Some(summary) = last else {
        fail("no backtest ran".to_string());
    };
    let median_s = seconds[runs / 2];
    let report = serde_json::json!({
        "markets": markets,
        "events": events,
        "csv_rows": rows,
        "inputs": inputs.len(),
        "load_s": load_s,
        "runs_s": seconds,
        "median_s": median_s,
        "rows_per_s": rows as f64 / median_s,
        "cpu_s": cpu_seconds.get(cpu_seconds.len() / 2),
        "engine_inputs": summary.records.saturating_sub(summary.outputs + 2),
        "outputs": summary.outputs,
        "orders": summary.metrics.orders,
        "cancels": summary.metrics.cancels,
        "fills": summary.metrics.fills,
        "net_pnl": summary.metrics.net_pnl.to_wire(),
        "output_digest": summary.output_digest,
        "metrics_digest": metrics_digest::metrics_digest(&summary),
        "peak_rss_kb": peak_rss_kb(),
    });
    println!("{report}");
}
