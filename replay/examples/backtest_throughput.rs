//! Backtest throughput: `run_backtest` (engine + queue-aware fill simulator + metrics) over
//! a seeded synthetic L2 stream of one market, timed over three runs; prints one JSON line.
//!
//! `cargo run -p kalshi-replay --release --example backtest_throughput -- [events] [csv]`
//! (default 200,000 events). With a CSV path, the same stream is also written there as
//! `ts_ns,kind,side,price_micros,size_centi` rows (`kind`: `snap` level, `delta`, `trade`;
//! a trade's `side` is the taker's) so that peer backtesters can replay identical data.
//!
//! The stream is `common/synthetic_l2.rs`.
#![allow(clippy::disallowed_methods)] // a benchmark measures wall time; replay itself does not

use std::fmt::Write as _;
use std::time::Instant;

#[path = "common/synthetic_l2.rs"]
mod synthetic_l2;

use kalshi_core::client_order_id::RunId;
use kalshi_core::config::EngineConfig;
use kalshi_core::events::{Envelope, Event};
use kalshi_core::{BookSide, Count};
use kalshi_replay::backtest::{BacktestConfig, run_backtest};
use kalshi_replay::progress::NoProgress;
use synthetic_l2::{SyntheticL2, listing};

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

fn main() {
    let mut args = std::env::args().skip(1);
    let event_count: usize = args
        .next()
        .and_then(|text| text.parse().ok())
        .unwrap_or(200_000);
    let csv_path = args.next();
    let events: Vec<Envelope> = SyntheticL2::new(1).take(event_count).collect();
    if let Some(path) = &csv_path
        && let Err(error) = write_csv(path, &events)
    {
        eprintln!("cannot write {path}: {error}");
        std::process::exit(1);
    }
    let mut engine = EngineConfig {
        run_id: RunId::parse("bt").unwrap_or_default(),
        ..EngineConfig::default()
    };
    engine.scanner.volume_24h_min = Count::ZERO;
    engine.scanner.open_interest_min = Count::ZERO;
    let mut config = BacktestConfig::new(engine);
    config.listings = vec![listing()];
    config.timer_tick_ns = Some(1_000_000_000);

    let mut seconds = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let outcome = match run_backtest(&events, &config, &NoProgress) {
            Ok(outcome) => outcome,
            Err(error) => {
                eprintln!("backtest failed: {error}");
                std::process::exit(1);
            }
        };
        seconds.push(start.elapsed().as_secs_f64());
        last = Some(outcome);
    }
    seconds.sort_by(f64::total_cmp);
    let median_s = seconds[RUNS / 2];
    let Some(outcome) = last else {
        return;
    };
    let report = serde_json::json!({
        "events": events.len(),
        "runs_s": seconds,
        "median_s": median_s,
        "events_per_s": events.len() as f64 / median_s,
        "outputs": outcome.outputs,
        "orders": outcome.metrics.orders,
        "cancels": outcome.metrics.cancels,
        "fills": outcome.metrics.fills,
        "net_pnl": outcome.metrics.net_pnl.to_wire(),
        "output_digest": outcome.output_digest,
    });
    println!("{report}");
}
