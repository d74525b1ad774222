//! End-to-end: how a `run-strategy --sim` run ends and says why: a run that places no order
//! names the reason (and fails under `--require-orders`), a run that cannot read the account
//! at startup trades nothing and exits 5, and `--require-flat` exits 4 exactly when positions
//! remain.

mod reliability_support;

use std::process::Command;
use std::time::Duration;

use kalshi_core::commands::Command as EngineCommand;
use kalshi_journal::typed_reader::read_all_records;
use reliability_support::{LIVELY_SIM, commands, kalshi_bot, run_with_limit};

#[test]
fn a_run_that_places_no_order_says_why_and_require_orders_fails_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        run_with_limit(
            Command::new(kalshi_bot())
                .current_dir(dir.path())
                .args(["run-strategy", "--strategy", "maker_ladder", "--sim"])
                .args(["--duration", "4s", "--seed", "5", "--fresh-risk-state"])
                // No local-exchange market has this much volume: every one is dropped.
                .args(["--set", "engine.scanner.volume_24h_min=1000000000"])
                .args(extra),
            Duration::from_secs(120),
        )
    };
    let plain = run(&[]);
    let stdout = String::from_utf8_lossy(&plain.stdout);
    assert_eq!(
        plain.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    assert!(stdout.contains("orders placed   : 0"), "{stdout}");
    assert!(
        stdout.contains("no orders       : no market passed the scanner"),
        "{stdout}"
    );
    assert!(stdout.contains("low_volume_24h"), "{stdout}");

    let required = run(&["--require-orders"]);
    let stderr = String::from_utf8_lossy(&required.stderr);
    assert_eq!(required.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--require-orders"), "{stderr}");
}

#[test]
fn a_run_that_cannot_read_the_account_at_startup_trades_nothing_and_exits_5() {
    let dir = tempfile::tempdir().unwrap();
    let faults = dir.path().join("faults.toml");
    // Market data and writes work; every portfolio read answers 503.
    std::fs::write(&faults, "[rest]\nportfolio_reads_down = true\n").unwrap();
    let run_dir = dir.path().join("journal").join("run-1");
    let output = run_with_limit(
        Command::new(kalshi_bot())
            .current_dir(dir.path())
            .args(["run-strategy", "--strategy", "maker_ladder", "--sim"])
            .args(["--duration", "20s", "--seed", "3", "--journal"])
            .arg(&run_dir)
            .arg("--faults")
            .arg(&faults)
            .args(LIVELY_SIM),
        Duration::from_secs(150),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(5),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stderr.contains("reconciliation failed"), "{stderr}");
    let records = read_all_records(&run_dir).unwrap();
    assert!(
        commands(&records)
            .iter()
            .all(|(_, command)| !matches!(command, EngineCommand::Place(_))),
        "placed an order without knowing the account"
    );
}

#[test]
fn require_flat_exits_4_exactly_when_positions_remain_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("journal").join("run-1");
    let output = run_with_limit(
        Command::new(kalshi_bot())
            .current_dir(dir.path())
            .args(["run-strategy", "--strategy", "maker_ladder", "--sim"])
            .args([
                "--duration",
                "20s",
                "--seed",
                "3",
                "--require-flat",
                "--journal",
            ])
            .arg(&run_dir)
            .args(LIVELY_SIM),
        Duration::from_secs(150),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let flat = stdout.contains("positions       : flat");
    let held = stdout.contains("positions       : ") && !flat;
    assert!(flat || held, "no positions line:\n{stdout}");
    if held {
        assert_eq!(output.status.code(), Some(4), "{stdout}\n{stderr}");
        assert!(
            stderr.contains("positions remain") && stderr.contains("--require-flat"),
            "{stderr}"
        );
    } else {
        assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    }
}
