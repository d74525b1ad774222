//! `--json` and `--log-format json` for scripts: each command's stdout is one JSON document
//! with its key figures, and with `--log-format json` every line on stderr — logs, notes,
//! progress, the fatal `error:` line — is a JSON object.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use kalshi_e2e::binary::kalshi_bot;

/// Runs the binary in `dir` without Kalshi credentials.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(kalshi_bot())
        .current_dir(dir)
        .args(args)
        .env_remove("KALSHI_API_KEY_ID")
        .env_remove("KALSHI_PRIVATE_KEY_PATH")
        .env_remove("KALSHI_PRIVATE_KEY_PEM")
        .env_remove("KALSHI_KEY_ENVIRONMENT")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// Every stderr line parsed as a JSON object (panics naming the first that is not).
fn stderr_json(output: &Output) -> Vec<Value> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap_or_else(|error| {
                panic!("stderr line is not JSON ({error}): {line:?}\nstderr:\n{stderr}")
            });
            assert!(value["level"].is_string(), "{line}");
            assert!(value["fields"].is_object(), "{line}");
            value
        })
        .collect()
}

/// Stdout parsed as one JSON document, after a successful exit.
fn stdout_json(output: &Output, what: &str) -> Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{what}: stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{what}: stdout is not one JSON document ({error}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn depth_fixture() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/depth/two_markets.csv")
        .display()
        .to_string()
}

#[test]
fn import_and_backtest_print_json_and_log_every_line_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let fixture = depth_fixture();
    let import = run(
        dir,
        &[
            "--log-format",
            "json",
            "import",
            "--depth",
            &fixture,
            "--out",
            "imported",
            "--json",
        ],
    );
    let document = stdout_json(&import, "import");
    assert!(document["inputs"].as_u64().unwrap() > 0, "{document}");
    assert_eq!(
        document["markets"],
        serde_json::json!(["KXDEPTH-A", "KXDEPTH-B"])
    );
    assert_eq!(document["journal"], "imported");
    assert!(document["first_ts_ns"].as_i64() < document["last_ts_ns"].as_i64());
    assert!(!stderr_json(&import).is_empty());

    let backtest = run(
        dir,
        &[
            "--log-format",
            "json",
            "backtest",
            "--journal",
            "imported",
            "--report",
            "report",
            "--json",
        ],
    );
    let document = stdout_json(&backtest, "backtest");
    assert!(document["metrics"]["metrics"]["inputs"].as_u64().unwrap() > 0);
    assert!(document["orders"].is_u64(), "{document}");
    assert_eq!(document["report"], "report/report.html");
    assert_eq!(document["output_digest"].as_str().unwrap().len(), 64);
    let lines = stderr_json(&backtest);
    assert!(
        lines
            .iter()
            .any(|line| line["fields"]["message"] == "progress"
                && line["fields"]["stage"].is_string()
                && line["fields"]["percent"] == 100),
        "no final progress event: {lines:?}"
    );

    // `--set` takes the keys `--sweep` takes: the fill model's and the engine's.
    let set = run(
        dir,
        &[
            "backtest",
            "--journal",
            "imported",
            "--report",
            "report-set",
            "--set",
            "fill.entry_latency_ns=200000000",
            "--set",
            "engine.strategy.fair_offset_ticks=2",
            "--json",
        ],
    );
    let document = stdout_json(&set, "backtest --set");
    let report = &document["metrics"];
    assert_eq!(
        report["fill_model"]["entry_latency_ns"], 200_000_000,
        "{report}"
    );
    assert_eq!(
        report["engine"]["strategy"]["fair_offset_ticks"], 2,
        "{report}"
    );

    // A refusal (the report exists) and a failure (no such journal): one JSON error line.
    for (args, code) in [
        (
            vec![
                "--log-format",
                "json",
                "backtest",
                "--journal",
                "imported",
                "--report",
                "report",
            ],
            2,
        ),
        (
            vec![
                "--log-format",
                "json",
                "backtest",
                "--journal",
                "no-such-run",
                "--report",
                "other",
            ],
            1,
        ),
        (
            vec!["--log-format", "json", "record", "--sim", "--markets", "5"],
            2,
        ),
        (
            vec![
                "--log-format",
                "json",
                "backtest",
                "--journal",
                "imported",
                "--report",
                "report-bad-key",
                "--set",
                "fill.no_such_key=1",
            ],
            2,
        ),
        // A usage error clap reports.
        (
            vec!["--log-format", "json", "backtest", "--no-such-flag"],
            2,
        ),
    ] {
        let output = run(dir, &args);
        assert_eq!(output.status.code(), Some(code), "{args:?}");
        let lines = stderr_json(&output);
        assert!(
            lines.iter().any(|line| line["level"] == "ERROR"),
            "{args:?}: no ERROR line in {lines:?}"
        );
    }
}

#[test]
fn runs_print_their_summary_as_json_and_log_every_line_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let trade = run(
        dir,
        &[
            "--log-format",
            "json",
            "run-strategy",
            "--strategy",
            "maker_ladder",
            "--sim",
            "--duration",
            "6s",
            "--journal",
            "journal/run",
            "--json",
        ],
    );
    let summary = stdout_json(&trade, "run-strategy");
    assert_eq!(summary["journal"], "journal/run");
    assert!(summary["inputs"].as_u64().unwrap() > 0, "{summary}");
    assert!(summary["orders_placed"].as_u64().unwrap() > 0, "{summary}");
    assert!(summary["fills"].is_u64(), "{summary}");
    assert!(summary["pnl_total_micros"].is_i64(), "{summary}");
    assert_eq!(summary["account"]["resting_ours"], 0, "{summary}");
    assert_eq!(summary["stop"], "duration_elapsed");
    stderr_json(&trade);

    let record = run(
        dir,
        &[
            "--log-format",
            "json",
            "record",
            "--sim",
            "--top",
            "2",
            "--duration",
            "3s",
            "--journal",
            "journal/rec",
            "--json",
        ],
    );
    let summary = stdout_json(&record, "record");
    assert!(summary["inputs"].as_u64().unwrap() > 0, "{summary}");
    assert_eq!(summary["orders_placed"], 0, "{summary}");
    assert_eq!(summary["journal"], "journal/rec");
    stderr_json(&record);

    // `--journal RUN` and the older positional run directory both name the run to read.
    let verify = run(dir, &["journal", "verify", "journal/rec", "--json"]);
    assert_eq!(stdout_json(&verify, "journal verify")["verdict"], "clean");
    let verify = run(
        dir,
        &["journal", "verify", "--journal", "journal/run", "--json"],
    );
    assert_eq!(stdout_json(&verify, "journal verify")["verdict"], "clean");
    let ledger = run(
        dir,
        &["ledger", "rebuild", "--journal", "journal/run", "--json"],
    );
    assert!(
        stdout_json(&ledger, "ledger rebuild")["records"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn a_scan_that_ranks_nothing_names_its_top_drop_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(
        dir.path(),
        &[
            "scan-markets",
            "--sim",
            "--min-volume-24h",
            "99999999",
            "--json",
        ],
    );
    let report = stdout_json(&output, "scan-markets");
    assert_eq!(report["passed"], 0, "{report}");
    assert!(
        report["dropped_by_reason"]["low_volume_24h"]
            .as_u64()
            .unwrap()
            > 0
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let why = stderr
        .lines()
        .find(|line| line.starts_with("no market passed the scanner: "))
        .unwrap_or_else(|| panic!("no reason given:\n{stderr}"));
    assert!(why.contains("low_volume_24h: "), "{why}");
}
