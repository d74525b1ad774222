//! `kalshi-bot import` and `kalshi-bot backtest` as the built binary: CSV files become a
//! journal, a backtest over it writes its journal, metrics JSON and HTML report, time windows
//! and sweeps behave, and bad requests fail with a message.

mod backtest_support;

use backtest_support::{
    START_S, TICKER, bot, field, imported_journal, path, stderr, stdout, write_config,
    write_csv_market,
};
use std::path::Path;

use kalshi_core::Money;

fn money(value: &serde_json::Value) -> Money {
    Money::parse(value.as_str().unwrap()).unwrap()
}

#[test]
fn an_imported_csv_market_backtests_into_metrics_html_and_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    let journal = imported_journal(dir.path(), 600);
    let config = write_config(dir.path());
    let report = dir.path().join("report");
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

    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("metrics.json")).unwrap())
            .unwrap();
    let m = &metrics["metrics"];
    assert_eq!(m["fidelity"], "snapshots");
    assert!(m["orders"].as_u64().unwrap() > 0, "the ladder quoted");
    assert!(
        m["fills"].as_u64().unwrap() > 0,
        "trades inside the spread filled it"
    );
    assert_eq!(
        money(&m["net_pnl"]),
        money(&m["gross_pnl"]) - money(&m["fees"]),
        "net = gross - fees, exactly"
    );
    assert_eq!(
        money(&m["net_pnl"]),
        money(&m["pnl"]["total"]),
        "net is the one definition's total"
    );
    assert_eq!(
        money(&m["pnl"]["total"]),
        money(&m["pnl"]["realized_net"]) + money(&m["pnl"]["unrealized"]),
        "total = realized net + unrealized"
    );
    assert_eq!(m["markets"][0]["ticker"], TICKER);
    assert_eq!(
        metrics["output_digest"].as_str().unwrap(),
        field(&output, "output digest:")
    );

    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
    assert!(html.contains("<svg"), "the report draws its charts inline");
    assert!(html.contains(TICKER));
    assert!(report.join("journal").join("manifest.json").exists());
    assert_eq!(field(&output, "report:"), path(&report.join("report.html")));

    // The data carried no listing: the assumption is stated, not hidden.
    let sources = std::fs::read_to_string(report.join("sources.json")).unwrap();
    assert!(sources.contains("carries no listing"), "{sources}");
    let table = stdout(&output);
    assert!(
        table.contains("p&l total") && table.contains("time quoted"),
        "{table}"
    );
}

#[test]
fn trades_without_a_book_backtest_to_no_orders_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let (trades, _) = write_csv_market(dir.path(), 120);
    let journal = dir.path().join("trades-only");
    let import = bot(&[
        "import",
        "--trades",
        path(&trades),
        "--market",
        TICKER,
        "--out",
        path(&journal),
    ]);
    assert!(import.status.success(), "{}", stderr(&import));
    assert!(stdout(&import).contains("imported 60 input(s)"));
    let config = write_config(dir.path());
    let report = dir.path().join("report");
    let output = bot(&[
        "backtest",
        "--journal",
        path(&journal),
        "--config",
        path(&config),
        "--report",
        path(&report),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("TradesOnly"), "{text}");
    assert!(text.contains("no orders were placed"), "{text}");
    assert!(report.join("metrics.json").exists() && report.join("report.html").exists());
}

#[test]
fn a_window_in_rfc3339_or_unix_seconds_selects_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let journal = imported_journal(dir.path(), 300);
    let config = write_config(dir.path());
    let run = |start: &str, end: &str, name: &str| {
        let output = bot(&[
            "backtest",
            "--journal",
            path(&journal),
            "--market",
            TICKER,
            "--start",
            start,
            "--end",
            end,
            "--config",
            path(&config),
            "--report",
            path(&dir.path().join(name)),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        output
    };
    let unix = run(
        &(START_S + 60).to_string(),
        &(START_S + 180).to_string(),
        "a",
    );
    let rfc = run("2023-11-14T22:14:20Z", "2023-11-14T22:16:20Z", "b");
    assert_eq!(
        field(&unix, "output digest:"),
        field(&rfc, "output digest:")
    );
    // [start, end) of 120 s with a line every second: the span is 119 s.
    assert_eq!(field(&unix, "span"), "119.0s");
    let whole = run(&START_S.to_string(), &(START_S + 300).to_string(), "c");
    assert_ne!(
        field(&unix, "output digest:"),
        field(&whole, "output digest:")
    );
}

#[test]
fn a_sweep_of_two_values_prints_a_table_with_two_rows() {
    let dir = tempfile::tempdir().unwrap();
    let journal = imported_journal(dir.path(), 300);
    let config = write_config(dir.path());
    let report = dir.path().join("sweep");
    let output = bot(&[
        "backtest",
        "--journal",
        path(&journal),
        "--config",
        path(&config),
        "--report",
        path(&report),
        "--sweep",
        "strategy.fair_offset_ticks=1,2",
        "--threads",
        "2",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|line| line.trim_start().starts_with("strategy.fair_offset_ticks"))
        .unwrap_or_else(|| panic!("no table header in:\n{text}"));
    let rows: Vec<Vec<&str>> = lines[header + 1..]
        .iter()
        .take_while(|line| !line.starts_with("sweep results:"))
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!((rows[0][0], rows[1][0]), ("1", "2"));
    assert_ne!(
        rows[0].last(),
        rows[1].last(),
        "different configs, different digests"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(saved.as_array().unwrap().len(), 2);
}

#[test]
fn bad_requests_fail_with_a_message_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let no_data = bot(&["backtest", "--market", TICKER]);
    assert!(!no_data.status.success());
    assert!(stderr(&no_data).contains("no data"), "{}", stderr(&no_data));

    let journal = imported_journal(dir.path(), 60);
    let bad_key = bot(&[
        "backtest",
        "--journal",
        path(&journal),
        "--report",
        path(&dir.path().join("r")),
        "--sweep",
        "strategy.no_such_field=1,2",
    ]);
    assert!(!bad_key.status.success());
    assert!(
        stderr(&bad_key).contains("no_such_field"),
        "{}",
        stderr(&bad_key)
    );

    let bad_time = bot(&["backtest", "--journal", path(&journal), "--start", "soon"]);
    assert!(!bad_time.status.success());
    assert!(stderr(&bad_time).contains("soon"), "{}", stderr(&bad_time));

    let other_market = bot(&[
        "backtest",
        "--journal",
        path(&journal),
        "--market",
        "KXOTHER-1",
    ]);
    assert_eq!(
        other_market.status.code(),
        Some(2),
        "{}",
        stderr(&other_market)
    );
    assert!(
        stderr(&other_market).contains("no data for KXOTHER-1; the data holds 1 market(s)"),
        "{}",
        stderr(&other_market)
    );
    assert!(
        stderr(&other_market).contains(TICKER),
        "{}",
        stderr(&other_market)
    );

    let outside = bot(&[
        "backtest",
        "--journal",
        path(&journal),
        "--start",
        "2099-01-01T00:00:00Z",
    ]);
    assert_eq!(outside.status.code(), Some(2), "{}", stderr(&outside));
    assert!(
        stderr(&outside).contains("no market data between 2099-01-01T00:00:00Z and the end"),
        "{}",
        stderr(&outside)
    );
    assert!(stderr(&outside).contains(" from "), "{}", stderr(&outside));

    let out = dir.path().join("again");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "x").unwrap();
    let (trades, _) = write_csv_market(dir.path(), 10);
    let clobber = bot(&[
        "import",
        "--trades",
        path(&trades),
        "--market",
        TICKER,
        "--out",
        path(&out),
    ]);
    assert!(!clobber.status.success());
    assert!(
        stderr(&clobber).contains("not empty"),
        "{}",
        stderr(&clobber)
    );
}

/// The table part of a sweep's stdout: every line before `sweep results:`.
fn sweep_table_text(text: &str) -> String {
    text.lines()
        .take_while(|line| !line.starts_with("sweep results:"))
        .map(|line| format!("{line}\n"))
        .collect()
}

#[test]
fn two_shards_merged_print_the_unsharded_sweep_table_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let journal = imported_journal(dir.path(), 300);
    let config = write_config(dir.path());
    let sweep = |report: &Path, shard: Option<&str>| {
        let mut args = vec![
            "backtest",
            "--journal",
            path(&journal),
            "--config",
            path(&config),
            "--report",
            path(report),
            "--sweep",
            "strategy.fair_offset_ticks=1,2,3",
            "--sweep",
            "fill.cancel_position=front,back",
            "--threads",
            "1",
        ];
        if let Some(shard) = shard {
            args.extend(["--shard", shard]);
        }
        let output = bot(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        output
    };
    let whole_dir = dir.path().join("whole");
    let whole = sweep(&whole_dir, None);
    let shard_dirs = [dir.path().join("shard1"), dir.path().join("shard2")];
    let first = sweep(&shard_dirs[0], Some("1/2"));
    assert!(
        stdout(&first).contains("shard 1/2: 3 of 6 grid points"),
        "{}",
        stdout(&first)
    );
    sweep(&shard_dirs[1], Some("2/2"));
    let merged_dir = dir.path().join("merged");
    let merged = bot(&[
        "sweep",
        "merge",
        path(&shard_dirs[1]),
        path(&shard_dirs[0]),
        "--out",
        path(&merged_dir),
    ]);
    assert!(merged.status.success(), "{}", stderr(&merged));
    let table = sweep_table_text(&stdout(&whole));
    assert!(
        table.lines().count() == 7,
        "a header and six rows:\n{table}"
    );
    assert_eq!(sweep_table_text(&stdout(&merged)), table);
    assert_eq!(
        std::fs::read(merged_dir.join("sweep.json")).unwrap(),
        std::fs::read(whole_dir.join("sweep.json")).unwrap(),
        "the merged sweep.json is the unsharded one, byte for byte"
    );

    // One shard alone is refused, naming the missing grid points.
    let partial = bot(&["sweep", "merge", path(&shard_dirs[0])]);
    assert!(!partial.status.success());
    assert!(
        stderr(&partial).contains("3 of 6 grid points have no result"),
        "{}",
        stderr(&partial)
    );
    // A shard of a different sweep does not merge.
    let other_dir = dir.path().join("other");
    let other = bot(&[
        "backtest",
        "--journal",
        path(&journal),
        "--config",
        path(&config),
        "--report",
        path(&other_dir),
        "--sweep",
        "strategy.fair_offset_ticks=1,2,3",
        "--sweep",
        "fill.cancel_position=front,back",
        "--latency-ms",
        "75",
        "--shard",
        "2/2",
    ]);
    assert!(other.status.success(), "{}", stderr(&other));
    let mixed = bot(&["sweep", "merge", path(&shard_dirs[0]), path(&other_dir)]);
    assert!(!mixed.status.success());
    assert!(
        stderr(&mixed).contains("another sweep"),
        "{}",
        stderr(&mixed)
    );
}
