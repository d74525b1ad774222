//! `kalshi-bot import --depth` through the binary: a third-party L2 stream (absolute level
//! sizes and trades, two markets, `fixtures/depth/`) becomes a journal that verifies, a
//! backtest over it trades and gives the same output digest twice, the Parquet form of the
//! same rows gives the same journal, and a bad row is refused with its line.

mod backtest_support;

use std::path::{Path, PathBuf};

use backtest_support::{bot, field, path, stderr, stdout, write_config};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/depth")
        .join(name)
}

fn import(depth: &Path, out: &Path, market: Option<&str>) -> std::process::Output {
    let mut args = vec!["import", "--depth", path(depth), "--out", path(out)];
    if let Some(market) = market {
        args.extend(["--market", market]);
    }
    bot(&args)
}

#[test]
fn a_depth_stream_imports_verifies_and_backtests_the_same_twice() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("depth");
    let output = import(&fixture("two_markets.csv"), &journal, None);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("of depth"), "{}", stdout(&output));
    let verify = bot(&["journal", "verify", path(&journal)]);
    assert!(verify.status.success(), "{}", stdout(&verify));

    let config = write_config(dir.path());
    let run = |report: &str| {
        bot(&[
            "backtest",
            "--journal",
            path(&journal),
            "--market",
            "KXDEPTH-A",
            "--config",
            path(&config),
            "--report",
            path(&dir.path().join(report)),
        ])
    };
    let first = run("r1");
    assert!(first.status.success(), "{}", stderr(&first));
    let second = run("r2");
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(
        field(&first, "output digest:"),
        field(&second, "output digest:")
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r1/metrics.json")).unwrap())
            .unwrap();
    assert!(
        metrics["metrics"]["orders"].as_u64().unwrap() > 0,
        "the ladder quoted the imported book: {metrics:#}"
    );

    // One market of the two, by --market.
    let only_b = dir.path().join("only-b");
    let output = import(&fixture("two_markets.csv"), &only_b, Some("KXDEPTH-B"));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("skipped"), "{}", stderr(&output));
}

#[test]
fn the_parquet_form_of_the_same_rows_gives_the_same_journal() {
    let dir = tempfile::tempdir().unwrap();
    // The Parquet fixture holds the CSV's first 300 data rows (prices and sizes as doubles).
    let text = std::fs::read_to_string(fixture("two_markets.csv")).unwrap();
    let head: Vec<&str> = text.lines().take(301).collect();
    let csv = dir.path().join("head.csv");
    std::fs::write(&csv, head.join("\n") + "\n").unwrap();
    let from_csv = dir.path().join("from-csv");
    let from_parquet = dir.path().join("from-parquet");
    for (input, out) in [
        (csv.as_path(), &from_csv),
        (fixture("two_markets_head.parquet").as_path(), &from_parquet),
    ] {
        let output = import(input, out, None);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let head_hash = |journal: &Path| {
        let verify = bot(&["journal", "verify", path(journal)]);
        assert!(verify.status.success(), "{}", stdout(&verify));
        let text = stdout(&verify);
        text.split("head hash ")
            .nth(1)
            .unwrap_or_else(|| panic!("no head hash in {text}"))
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(head_hash(&from_csv), head_hash(&from_parquet));
}

#[test]
fn a_bad_row_is_refused_with_its_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "ts_ns,ticker,kind,side,price,size\n\
         1793491200000000000,KXA-1,book,bid,0.40,10\n\
         1793491201000000000,KXA-1,book,bid,0.4x,10\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = import(&bad, &out, None);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("line 3"), "{}", stderr(&output));
    assert!(stderr(&output).contains("0.4x"), "{}", stderr(&output));
    assert!(!out.join("manifest.json").exists());
}
