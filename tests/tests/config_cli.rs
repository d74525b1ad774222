//! `kalshi-bot config keys` and `config init` through the binary, and a closed stdout.

use std::process::{Command, Stdio};

use kalshi_e2e::binary::kalshi_bot;

fn bot() -> Command {
    Command::new(kalshi_bot())
}

#[test]
fn config_keys_lists_file_and_fill_keys_as_json() {
    let output = bot().args(["config", "keys", "--json"]).output().unwrap();
    assert!(output.status.success());
    let keys: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let find = |name: &str| {
        keys.iter()
            .find(|key| key["key"] == name)
            .unwrap_or_else(|| panic!("{name} not listed"))
    };
    assert_eq!(
        find("engine.risk.daily_loss_stop")["kind"],
        "dollars/contracts"
    );
    assert_eq!(find("fill.cancel_position")["default"], "\"back\"");
    assert!(
        find("tuning.live_filters")["meaning"]
            .as_str()
            .unwrap()
            .contains("live book")
    );
}

#[test]
fn config_init_writes_a_loadable_file_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.toml");
    let file_arg = file.to_str().unwrap();
    let run = |extra: &[&str]| {
        bot()
            .args(["config", "init", "--environment", "demo", "--out", file_arg])
            .args(extra)
            .output()
            .unwrap()
    };
    let output = run(&[]);
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\nkey_environment = \"demo\""));
    let again = run(&[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("--force"),
        "{again:?}"
    );
    assert!(run(&["--force"]).status.success());
    // The written file is accepted by a command that loads configuration: doctor refuses
    // nothing about it (it fails later, on the missing key, with exit 1 — not 2).
    let doctor = bot()
        .current_dir(dir.path())
        .args(["doctor", "--demo", "--json", "--config", file_arg])
        .args(["--api-base", "http://127.0.0.1:1/trade-api/v2"])
        .args(["--ws-url", "ws://127.0.0.1:1/trade-api/ws/v2"])
        .env_remove("KALSHI_API_KEY_ID")
        .env_remove("KALSHI_PRIVATE_KEY_PATH")
        .env_remove("KALSHI_PRIVATE_KEY_PEM")
        .env_remove("KALSHI_KEY_ENVIRONMENT")
        .output()
        .unwrap();
    assert_eq!(doctor.status.code(), Some(1), "{doctor:?}");
    let report: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
    assert_eq!(report["checks"][0]["name"], "config");
    assert_eq!(report["checks"][0]["verdict"], "pass");
}

#[test]
fn a_reader_that_closes_stdout_early_gets_no_panic() {
    let mut child = bot()
        .args(["config", "keys"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        matches!(output.status.code(), Some(0 | 141)),
        "{:?}",
        output.status
    );
}

#[test]
fn completions_cover_every_subcommand() {
    let output = bot().args(["completions", "bash"]).output().unwrap();
    assert!(output.status.success());
    let script = String::from_utf8(output.stdout).unwrap();
    for command in [
        "run-strategy",
        "scan-markets",
        "backtest",
        "doctor",
        "config",
    ] {
        assert!(script.contains(command), "{command} missing");
    }
    assert!(
        bot()
            .args(["completions", "tcsh"])
            .output()
            .unwrap()
            .status
            .code()
            == Some(2)
    );
}
