//! One flag grammar across commands, as the README's table documents it: `--journal RUN` for
//! every command that reads or writes a run directory, `--tickers` for lists, `--markets N` /
//! `--top N` for counts, one `--faults`, `--json` on every command with a summary. The older
//! spellings are accepted but hidden from `--help`.

use std::process::Command;

use kalshi_e2e::binary::kalshi_bot;

/// `kalshi-bot ARGS --help`.
fn help(args: &[&str]) -> String {
    let output = Command::new(kalshi_bot())
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?} --help failed");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_command_names_its_run_directory_with_journal_run() {
    for command in [
        &["journal", "verify"][..],
        &["journal", "seal"],
        &["journal", "upload"],
        &["ledger", "rebuild"],
        &["replay"],
        &["backtest"],
        &["book"],
        &["audit"],
        &["ctl"],
        &["run-strategy"],
        &["record"],
    ] {
        let text = help(command);
        assert!(text.contains("--journal <RUN>"), "{command:?}:\n{text}");
        assert!(!text.contains("journal-dir"), "{command:?}:\n{text}");
        assert!(!text.contains("RUN_DIR>"), "{command:?}:\n{text}");
    }
}

#[test]
fn lists_counts_faults_and_json_are_spelt_one_way() {
    let record = help(&["record"]);
    assert!(record.contains("--tickers <TICKERS>"), "{record}");
    assert!(record.contains("--top <N>"), "{record}");
    assert!(!record.contains("--markets"), "{record}");
    assert!(help(&["run-strategy"]).contains("--markets <N>"));
    assert!(help(&["sim-exchange"]).contains("--markets <N>"));
    assert!(help(&["scan-markets"]).contains("--top <N>"));
    for command in ["run-strategy", "record", "scan-markets", "sim-exchange"] {
        let text = help(&[command]);
        assert!(text.contains("--faults <FILE>"), "{command}:\n{text}");
        assert!(!text.contains("sim-faults"), "{command}:\n{text}");
    }
    for command in [
        &["run-strategy"][..],
        &["record"],
        &["scan-markets"],
        &["backtest"],
        &["import"],
        &["sim-exchange"],
        &["journal", "verify"],
        &["ledger", "rebuild"],
        &["config", "keys"],
    ] {
        assert!(
            help(command).contains("--json"),
            "{command:?} has no --json"
        );
    }
    assert!(help(&["backtest"]).contains("--set <KEY=VALUE>"));
}

#[test]
fn the_older_spellings_still_parse() {
    let dir = tempfile::tempdir().unwrap();
    // Each fails on the missing run, not on its arguments (a usage error exits 2 with clap's
    // "unexpected argument").
    for args in [
        &["journal", "seal", "no-such-run"][..],
        &["ledger", "rebuild", "no-such-run"],
        &["journal", "upload", "no-such-run", "s3://bucket/prefix"],
    ] {
        let output = Command::new(kalshi_bot())
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("no-such-run"), "{args:?}: {stderr}");
    }
    let refused = Command::new(kalshi_bot())
        .current_dir(dir.path())
        .args([
            "record",
            "--sim",
            "--markets",
            "KXA,KXB",
            "--sim-faults",
            "none.toml",
        ])
        .args(["--journal-dir", "rec", "--duration", "1s"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!stderr.contains("unexpected argument"), "{stderr}");
    assert!(stderr.contains("none.toml"), "{stderr}");
}
