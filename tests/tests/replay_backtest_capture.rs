//! A backtest over a real captured Kalshi WebSocket stream (books of five markets, 2 885
//! deltas): the capture is normalized by io, run through the engine with the queue-aware fill
//! simulator, and the report's metrics are snapshot-tested. The capture holds no public
//! trades, so no quote can fill — the snapshot pins orders, cancels, time quoted and the
//! full-L2 fidelity note. Running it twice must give the same metrics and output digest, and
//! the backtest's own journal must verify.

use kalshi_core::client_order_id::RunId;
use kalshi_core::config::EngineConfig;
use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{BookSnapshot, MarketInfo};
use kalshi_e2e::markets;
use kalshi_io::normalize::{NormalizedWs, normalize_ws};
use kalshi_io::wire::ws::decode_ws_frame;
use kalshi_replay::backtest::{BacktestConfig, BacktestOutcome, run_backtest};
use kalshi_replay::progress::NoProgress;
use kalshi_replay::record::VecSource;
use kalshi_replay::report::BacktestReport;
use kalshi_replay::verify::verify;

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/ws/jfreun123-kalshi-market-maker/ws_session_demo_2026-07-01.jsonl"
);
const CLOSE_TIME_NS: i64 = 4_000_000_000_000_000_000;

/// The capture as engine inputs; time from `msg.ts_ms` when present, else the previous.
fn capture_inputs() -> Vec<Envelope> {
    let text = std::fs::read_to_string(CAPTURE).unwrap();
    let mut ts_ns = 0;
    let mut inputs = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(ts_ms) = value["msg"]["ts_ms"].as_i64() {
            ts_ns = ts_ms * 1_000_000;
        }
        let message = decode_ws_frame(line).unwrap();
        let event = match normalize_ws(&message, false).unwrap() {
            Some(NormalizedWs::Snapshot(snapshot)) => Event::BookSnapshot(snapshot),
            Some(NormalizedWs::Delta(delta)) => Event::BookDelta(delta),
            Some(NormalizedWs::Trade(trade)) => Event::PublicTrade(trade),
            Some(NormalizedWs::Fill(fill)) => Event::OwnFill(fill),
            _ => continue,
        };
        inputs.push(Envelope {
            seq: inputs.len() as u64 + 1,
            ts_ns,
            event,
        });
    }
    // Snapshots precede the first timestamped frame: give them its time.
    let first_ts = inputs.iter().map(|e| e.ts_ns).find(|ts| *ts != 0).unwrap();
    for envelope in &mut inputs {
        if envelope.ts_ns == 0 {
            envelope.ts_ns = first_ts;
        }
    }
    inputs
}

/// Listings the capture does not carry: active, far from close, liquid enough for the scanner.
fn listing(snapshot: &BookSnapshot) -> MarketInfo {
    MarketInfo {
        close_time_ns: Some(CLOSE_TIME_NS),
        yes_bid: snapshot.bids.iter().map(|l| l.price).max(),
        yes_ask: snapshot.asks.iter().map(|l| l.price).min(),
        ..markets::listing(&snapshot.ticker)
    }
}

fn config(inputs: &[Envelope]) -> BacktestConfig {
    let engine = EngineConfig {
        run_id: RunId::parse("capture").unwrap(),
        ..EngineConfig::default()
    };
    let mut config = BacktestConfig::new(engine);
    config.listings = inputs
        .iter()
        .filter_map(|envelope| match &envelope.event {
            Event::BookSnapshot(snapshot) => Some(listing(snapshot)),
            _ => None,
        })
        .collect();
    config
}

fn run() -> (BacktestConfig, BacktestOutcome) {
    let inputs = capture_inputs();
    let config = config(&inputs);
    let outcome = run_backtest(&inputs, &config, &NoProgress).unwrap();
    (config, outcome)
}

#[test]
fn backtest_over_a_real_capture_report_snapshot() {
    let (config, outcome) = run();
    assert!(
        outcome.metrics.orders > 0,
        "the ladder quoted the captured books"
    );
    let report = BacktestReport::new("demo session 2026-07", &config, &outcome);
    insta::assert_snapshot!(serde_json::to_string_pretty(&report.metrics).unwrap());
}

#[test]
fn backtest_over_a_real_capture_is_deterministic_and_verifies() {
    let (_, first) = run();
    let (_, second) = run();
    assert_eq!(first.output_digest, second.output_digest);
    assert_eq!(
        serde_json::to_string(&first.metrics).unwrap(),
        serde_json::to_string(&second.metrics).unwrap()
    );
    let report = verify(&mut VecSource::new(first.records), &NoProgress).unwrap();
    assert!(report.is_match(), "{:?}", report.divergence);
    assert_eq!(report.output_digest, first.output_digest);
}
