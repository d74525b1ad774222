//! `kalshi-bot replay` as the built binary: a backtest's journal verifies with the digest the
//! backtest printed (exit 0), a journal with one altered command diverges at that command's
//! input seq (exit 1), an unreadable journal exits 2, and a what-if run over a journal's
//! market data writes a report.

mod backtest_support;

use std::path::{Path, PathBuf};

use backtest_support::{TICKER, bot, field, imported_journal, path, stderr, stdout, write_config};
use kalshi_core::commands::Command;
use kalshi_journal::{JournalRecord, RunInfo};
use kalshi_replay::journal_source::{JournalSource, write_journal};
use kalshi_replay::record::RecordSource;

/// Backtests the imported CSV market; returns the report directory and the printed digest.
fn backtest(dir: &Path) -> (PathBuf, String) {
    let journal = imported_journal(dir, 300);
    let config = write_config(dir);
    let report = dir.join("report");
    let output = bot(&[
        "backtest",
        "--journal",
        path(&journal),
        "--market",
        TICKER,
        "--config",
        path(&config),
        "--report",
        path(&report),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    (report, field(&output, "output digest:"))
}

fn read_records(dir: &Path) -> Vec<JournalRecord> {
    let mut source = JournalSource::open(dir).unwrap();
    let mut records = Vec::new();
    while let Some(record) = source.next_record().unwrap() {
        records.push(record);
    }
    records
}

fn run_info(run_id: &str) -> RunInfo {
    RunInfo {
        run_id: run_id.to_string(),
        build_id: "test".to_string(),
        config_hash: String::new(),
        seed: 0,
        environment: "backtest".to_string(),
        created_ts_ns: 0,
    }
}

#[test]
fn a_backtest_journal_verifies_with_the_digest_the_backtest_printed() {
    let dir = tempfile::tempdir().unwrap();
    let (report, digest) = backtest(dir.path());
    let output = bot(&[
        "replay",
        "--journal",
        path(&report.join("journal")),
        "--verify",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(field(&output, "output digest:"), digest);
    assert_eq!(field(&output, "result:"), "identical");
    assert_eq!(field(&output, "run ended:"), "yes");
    let inputs: u64 = field(&output, "inputs replayed:").parse().unwrap();
    assert!(
        inputs > 300,
        "market data plus simulated exchange events: {inputs}"
    );

    // For scripts: the same verdicts as one JSON document each.
    let json = bot(&[
        "replay",
        "--journal",
        path(&report.join("journal")),
        "--verify",
        "--json",
    ]);
    assert_eq!(json.status.code(), Some(0));
    let verdict: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(verdict["result"], "identical");
    assert_eq!(verdict["output_digest"], digest.as_str());
    assert_eq!(verdict["inputs_replayed"], inputs);
    let verified = bot(&["journal", "verify", path(&report.join("journal")), "--json"]);
    assert_eq!(verified.status.code(), Some(0));
    let verdict: serde_json::Value = serde_json::from_str(&stdout(&verified)).unwrap();
    assert_eq!(verdict["verdict"], "clean");
    assert!(verdict["entries"].as_u64().unwrap() > inputs);
    let missing = bot(&["replay", "--journal", "/no/such/run", "--verify", "--json"]);
    assert_eq!(missing.status.code(), Some(2));
    let verdict: serde_json::Value = serde_json::from_str(&stdout(&missing)).unwrap();
    assert_eq!(verdict["result"], "unreadable");
}

#[test]
fn an_altered_command_diverges_at_its_input_seq() {
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = backtest(dir.path());
    let mut records = read_records(&report.join("journal"));
    // Double the size of the first order the engine placed.
    let (position, input_seq) = records
        .iter()
        .enumerate()
        .find_map(|(position, record)| match record {
            JournalRecord::OutputCommand {
                input_seq,
                command: Command::Place(_),
                ..
            } => Some((position, *input_seq)),
            _ => None,
        })
        .expect("the backtest placed an order");
    let JournalRecord::OutputCommand { command, .. } = &mut records[position] else {
        unreachable!()
    };
    let mut json = serde_json::to_value(&*command).unwrap();
    let count = json["Place"]["count"].as_str().unwrap().to_string();
    let doubled = format!("{:.2}", count.parse::<f64>().unwrap() * 2.0);
    json["Place"]["count"] = serde_json::Value::String(doubled.clone());
    *command = serde_json::from_value(json).unwrap();
    let tampered = dir.path().join("tampered");
    write_journal(&tampered, run_info("bt"), &records).unwrap();

    let output = bot(&["replay", "--journal", path(&tampered), "--verify"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let result = field(&output, "result:");
    assert_eq!(
        result,
        format!("DIVERGENT at input seq {input_seq} (command #0)"),
        "{}",
        stdout(&output)
    );
    let expected = field(&output, "expected:");
    let actual = field(&output, "actual:");
    assert!(
        expected.contains(&format!("\"count\":\"{doubled}\"")),
        "{expected}"
    );
    assert!(
        actual.contains(&format!("\"count\":\"{count}\"")),
        "{actual}"
    );
}

#[test]
fn an_unreadable_journal_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = bot(&[
        "replay",
        "--journal",
        path(&dir.path().join("missing")),
        "--verify",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stdout(&missing).contains("cannot read"),
        "{}",
        stdout(&missing)
    );

    let garbage = dir.path().join("garbage");
    std::fs::create_dir(&garbage).unwrap();
    std::fs::write(garbage.join("manifest.json"), "{ not json").unwrap();
    let output = bot(&["replay", "--journal", path(&garbage), "--verify"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
}

#[test]
fn a_what_if_runs_the_journal_market_data_through_another_config() {
    let dir = tempfile::tempdir().unwrap();
    let (_, base_digest) = backtest(dir.path());
    let wider = dir.path().join("wider.toml");
    std::fs::write(
        &wider,
        "[engine.scanner]\nvolume_24h_min = \"0\"\nopen_interest_min = \"0\"\n\
         [engine.strategy]\nfair_offset_ticks = 2\n",
    )
    .unwrap();
    let report = dir.path().join("what-if");
    let output = bot(&[
        "replay",
        "--journal",
        path(&dir.path().join("imported")),
        "--config",
        path(&wider),
        "--report",
        path(&report),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_ne!(field(&output, "output digest:"), base_digest);
    assert!(report.join("metrics.json").exists() && report.join("report.html").exists());

    // The what-if's own journal verifies like any other.
    let verify = bot(&[
        "replay",
        "--journal",
        path(&report.join("journal")),
        "--verify",
    ]);
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
    assert_eq!(
        field(&verify, "output digest:"),
        field(&output, "output digest:")
    );

    // Neither mode given: refused with a hint.
    let neither = bot(&["replay", "--journal", path(&report.join("journal"))]);
    assert!(!neither.status.success());
    assert!(
        stderr(&neither).contains("--verify"),
        "{}",
        stderr(&neither)
    );
}
