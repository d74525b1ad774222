//! `kalshi-bot doctor` through the binary: every check passes against the local exchange; it
//! fails clearly, with the fix, on an exchange clock beyond the signature tolerance, a key
//! file readable by others, and a demo key pointed at production.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kalshi_e2e::binary::kalshi_bot;

use serde_json::Value;

fn doctor(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
    let mut command = Command::new(kalshi_bot());
    command
        .current_dir(dir)
        .arg("doctor")
        .args(args)
        .arg("--json")
        .env_remove("KALSHI_API_KEY_ID")
        .env_remove("KALSHI_PRIVATE_KEY_PATH")
        .env_remove("KALSHI_PRIVATE_KEY_PEM")
        .env_remove("KALSHI_KEY_ENVIRONMENT")
        .env("RUST_LOG", "warn");
    for (name, value) in env {
        command.env(name, value);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("doctor --json is not JSON ({error}): {stdout}\n{stderr}"));
    (status.code().unwrap_or(-1), report, stderr)
}

/// The check named `name` in a report.
fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"))
}

/// The development key the local exchange created in `key_dir`: (key id, path).
fn dev_key(key_dir: &Path) -> (String, PathBuf) {
    for entry in std::fs::read_dir(key_dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(id) = name
            .strip_prefix("kalshi-dev-")
            .and_then(|rest| rest.strip_suffix(".pem"))
        {
            return (id.to_string(), path);
        }
    }
    panic!("no development key in {}", key_dir.display());
}

#[test]
fn every_check_passes_against_the_local_exchange() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report, stderr) = doctor(dir.path(), &["--sim", "--sim-key-dir", "keys"], &[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(report["ok"], true);
    for name in [
        "config",
        "key",
        "key_file",
        "key_loads",
        "key_environment",
        "rest",
        "clock",
        "auth",
        "limits",
        "websocket",
    ] {
        assert_eq!(check(&report, name)["verdict"], "pass", "{report:#}");
    }
    assert!(
        check(&report, "auth")["detail"]
            .as_str()
            .unwrap()
            .contains("balance $"),
        "{report:#}"
    );
}

#[test]
fn an_exchange_clock_beyond_the_tolerance_fails_the_clock_and_explains_the_refused_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("skew.toml"),
        "[rest]\nclock_skew_ms = 90000\n",
    )
    .unwrap();
    let (code, report, stderr) = doctor(
        dir.path(),
        &[
            "--sim",
            "--sim-key-dir",
            "keys",
            "--sim-faults",
            "skew.toml",
        ],
        &[],
    );
    assert_eq!(code, 1, "{report:#}\n{stderr}");
    assert_eq!(report["ok"], false);
    let clock = check(&report, "clock");
    assert_eq!(clock["verdict"], "fail", "{report:#}");
    assert!(
        clock["detail"].as_str().unwrap().contains("ahead of"),
        "{clock}"
    );
    assert!(clock["fix"].as_str().unwrap().contains("NTP"), "{clock}");
    let auth = check(&report, "auth");
    assert_eq!(auth["verdict"], "fail", "{report:#}");
    assert!(auth["fix"].as_str().unwrap().contains("clock"), "{auth}");
}

#[test]
fn a_key_file_readable_by_others_fails_with_the_chmod_fix() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = doctor(dir.path(), &["--sim", "--sim-key-dir", "keys"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let (key_id, key_path) = dev_key(&dir.path().join("keys"));
    let loose = dir.path().join("loose.pem");
    std::fs::copy(&key_path, &loose).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    let loose_text = loose.to_str().unwrap();
    let (code, report, stderr) = doctor(
        dir.path(),
        &["--sim", "--sim-key-dir", "keys"],
        &[
            ("KALSHI_API_KEY_ID", &key_id),
            ("KALSHI_PRIVATE_KEY_PATH", loose_text),
        ],
    );
    assert_eq!(code, 1, "{report:#}\n{stderr}");
    let key_file = check(&report, "key_file");
    assert_eq!(key_file["verdict"], "fail", "{report:#}");
    assert!(
        key_file["detail"].as_str().unwrap().contains("0644"),
        "{key_file}"
    );
    assert_eq!(
        key_file["fix"].as_str().unwrap(),
        format!("chmod 600 {loose_text}")
    );
    assert_eq!(check(&report, "key_loads")["verdict"], "fail");
    // The same key at 0600 passes.
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, report, _) = doctor(
        dir.path(),
        &["--sim", "--sim-key-dir", "keys"],
        &[
            ("KALSHI_API_KEY_ID", &key_id),
            ("KALSHI_PRIVATE_KEY_PATH", loose_text),
        ],
    );
    assert_eq!(check(&report, "key_file")["verdict"], "pass", "{report:#}");
    assert_eq!(check(&report, "key_loads")["verdict"], "pass", "{report:#}");
    // The in-process exchange registers its own development key, which this copy is.
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn a_demo_key_against_production_fails_before_any_order_could_be_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = doctor(dir.path(), &["--sim", "--sim-key-dir", "keys"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let (key_id, key_path) = dev_key(&dir.path().join("keys"));
    // Port 1 on loopback refuses at once: the check runs without the internet.
    let (code, report, stderr) = doctor(
        dir.path(),
        &[
            "--live",
            "--api-base",
            "http://127.0.0.1:1/trade-api/v2",
            "--ws-url",
            "ws://127.0.0.1:1/trade-api/ws/v2",
        ],
        &[
            ("KALSHI_API_KEY_ID", &key_id),
            ("KALSHI_PRIVATE_KEY_PATH", key_path.to_str().unwrap()),
            ("KALSHI_KEY_ENVIRONMENT", "demo"),
        ],
    );
    assert_eq!(code, 1, "{report:#}\n{stderr}");
    assert_eq!(report["target"], "production");
    let environment = check(&report, "key_environment");
    assert_eq!(environment["verdict"], "fail", "{report:#}");
    assert!(
        environment["detail"]
            .as_str()
            .unwrap()
            .contains("declared for demo but production was chosen"),
        "{environment}"
    );
    let rest = check(&report, "rest");
    assert_eq!(rest["verdict"], "fail", "{report:#}");
    assert!(
        rest["fix"].as_str().unwrap().contains("127.0.0.1"),
        "{rest}"
    );
    assert_eq!(check(&report, "auth")["verdict"], "skip");
}
