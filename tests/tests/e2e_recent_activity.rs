//! Recent activity from real data, end to end against the in-process local exchange with
//! quiet markets (`sim.quiet_share_ppm`: a normal book and a stale 24 h volume, no trade for
//! hours, no flow):
//!
//! - `scan-markets --json` reads the candidates' trade history and drops a quiet market as
//!   `too_few_recent_trades` while ranking active ones with their recent trade count;
//! - a `run-strategy --sim` run journals each candidate's `TradeHistory` before the listing,
//!   lists the quiet markets as dropped with that reason in its universe decision, never
//!   quotes them, quotes the active ones, and replays to the identical output.

use std::collections::BTreeSet;
mod reliability_support;

use std::process::Command;
use std::time::Duration;

use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::decision::Decision;
use kalshi_core::events::Event;
use kalshi_core::market_scanner::ScanReason;
use kalshi_journal::typed_reader::read_all_records;
use kalshi_journal::{JournalRecord, SequencedRecord};
use reliability_support::{kalshi_bot, run_with_limit};
use serde_json::Value;

/// A lively local exchange of 8 markets, a quarter of them quiet.
const QUIET_SIM: [&str; 16] = [
    "--sim-markets",
    "8",
    "--set",
    "sim.quiet_share_ppm=250000",
    "--set",
    "sim.noise_orders_per_hour=14400",
    "--set",
    "sim.noise_cancels_per_hour=12000",
    "--set",
    "sim.informed_checks_per_hour=3600",
    "--set",
    "sim.drift_sigma_per_sqrt_hour=6",
    "--set",
    "sim.noise_offset_max=0.03",
    "--sim-warmup",
    "600",
];

#[test]
fn scan_drops_a_quiet_market_and_ranks_active_ones_with_their_trade_count() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_with_limit(
        Command::new(kalshi_bot())
            .current_dir(dir.path())
            .args(["scan-markets", "--sim", "--json", "--include-dropped"])
            .args(QUIET_SIM),
        Duration::from_secs(120),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("trades: read the trade history of"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["markets"], 8, "{report}");
    assert_eq!(report["trades_unreadable"], 0, "{report}");
    assert!(report["trades_read"].as_u64().unwrap() > 0, "{report}");

    // A quiet market fails the recently-active filter and nothing else.
    let dropped = report["dropped_rows"].as_array().unwrap();
    let quiet: Vec<&Value> = dropped
        .iter()
        .filter(|row| row["reasons"] == serde_json::json!(["too_few_recent_trades"]))
        .collect();
    assert!(!quiet.is_empty(), "{report}");
    for row in &quiet {
        assert_eq!(row["recent_trade_count"], 0, "{row}");
        assert!(
            row["yes_bid"].is_string() && row["yes_ask"].is_string(),
            "{row}"
        );
    }
    // Active markets are ranked, with the trades the history showed.
    let ranked = report["ranked"].as_array().unwrap();
    assert!(
        ranked
            .iter()
            .any(|row| row["recent_trade_count"].as_u64().unwrap_or(0) >= 3),
        "{report}"
    );
    for row in ranked {
        assert_eq!(row["reasons"], serde_json::json!(["passed"]), "{row}");
        assert!(
            row["recent_trade_count"].as_u64().unwrap() >= 3,
            "a ranked market has the recent trades the filter asks for: {row}"
        );
    }
}

fn records_of(run_dir: &std::path::Path) -> Vec<SequencedRecord> {
    read_all_records(run_dir).unwrap()
}

#[test]
fn a_run_does_not_quote_quiet_markets_but_quotes_active_ones() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("journal").join("run-quiet");
    let output = run_with_limit(
        Command::new(kalshi_bot())
            .current_dir(dir.path())
            .args(["run-strategy", "--strategy", "maker_ladder", "--sim"])
            .args(["--duration", "12s", "--seed", "3", "--journal-dir"])
            .arg(&run_dir)
            .args(["--set", "runtime.rescan_interval_s=5"])
            .args(["--set", "engine.orders.order_group_contracts_limit=10000"])
            .args(QUIET_SIM),
        Duration::from_secs(150),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let records = records_of(&run_dir);
    let inputs: Vec<&Event> = records
        .iter()
        .filter_map(|record| match &record.record {
            JournalRecord::Input(envelope) => Some(&envelope.event),
            _ => None,
        })
        .collect();

    // Each candidate's trade history is journaled before the first listing.
    let first_listing = inputs
        .iter()
        .position(|event| matches!(event, Event::MarketListing(_)))
        .expect("a listing");
    let histories: Vec<_> = inputs[..first_listing]
        .iter()
        .filter_map(|event| match event {
            Event::TradeHistory(history) => Some(history),
            _ => None,
        })
        .collect();
    assert!(!histories.is_empty(), "no trade history before the listing");

    // The universe decision drops the quiet markets with the reason.
    let quiet: BTreeSet<String> = records
        .iter()
        .filter_map(|record| match &record.record {
            JournalRecord::OutputDecision {
                decision: Decision::UniverseSelected { dropped, .. },
                ..
            } => Some(dropped),
            _ => None,
        })
        .flatten()
        .filter(|market| market.reasons.contains(&ScanReason::TooFewRecentTrades))
        .map(|market| market.ticker.clone())
        .collect();
    assert!(!quiet.is_empty(), "no market dropped as too quiet");
    // They are the markets whose history shows no trade in the window.
    for ticker in &quiet {
        let history = histories
            .iter()
            .find(|history| &history.ticker == ticker)
            .unwrap_or_else(|| panic!("{ticker} was judged without its history"));
        assert!(
            history
                .trades
                .iter()
                .all(|trade| trade.ts_ns < history.covered_from_ns),
            "{ticker}: {history:?}"
        );
    }

    // Never quoted; the active markets are.
    let placed: BTreeSet<String> = records
        .iter()
        .filter_map(|record| match &record.record {
            JournalRecord::OutputCommand {
                command: EngineCommand::Place(order),
                ..
            } => Some(order.ticker.clone()),
            _ => None,
        })
        .collect();
    assert!(
        placed.is_disjoint(&quiet),
        "quoted {placed:?}, quiet {quiet:?}"
    );
    assert!(!placed.is_empty(), "nothing quoted");

    // The new input replays to the identical output.
    let replay = Command::new(kalshi_bot())
        .args(["replay", "--journal"])
        .arg(&run_dir)
        .arg("--verify")
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
}
