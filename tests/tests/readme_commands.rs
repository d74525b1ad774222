//! The README's commands, run as written: every command of the "Quick start" section's code
//! blocks (its step 1 and the "More commands" block) is read from README.md, run against the
//! local exchange from a clean temporary directory, and checked for non-empty results (orders
//! and fills, a verified replay, ranked markets, journals, report files, keys) and exit code 0,
//! the code the README's table documents for success. A README change that breaks a command,
//! or a command this test does not know how to check, fails the test.
//!
//! Substitutions, and nothing else: the binary's path for `kalshi-bot` / `cargo run --release
//! -p kalshi-bot --`, shorter `--duration`s for `record` and `sim-exchange`, port 0 for `--port 8080` (with `--json` to read
//! the port), the run directory of step 1 for `journal/<run_id>`, a market that run quoted for
//! `KXTICKER`, and the checkout's `fixtures/` for the fixture paths. Commands that need Kalshi
//! credentials or run the whole test suite are skipped, listed in [`SKIPPED`].

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use kalshi_core::commands::Command as EngineCommand;
use kalshi_journal::JournalRecord;
use kalshi_journal::typed_reader::read_all_records;

use kalshi_e2e::binary::kalshi_bot;

/// README commands not run here, with the reason.
const SKIPPED: [(&str, &str); 4] = [
    ("cargo test --workspace", "the whole test suite: CI runs it"),
    (
        "kalshi-bot doctor --demo",
        "checks a demo key against Kalshi's demo hosts: needs credentials and the network",
    ),
    (
        "kalshi-bot run-strategy --strategy maker_ladder --demo --duration 10m",
        "trades Kalshi's demo exchange: needs a demo key and the network",
    ),
    (
        "kalshi-bot run-strategy --strategy maker_ladder --live --paper --duration 10m",
        "reads Kalshi's production market data: needs a key and the network \
         (e2e_paper.rs runs paper mode against the local exchange)",
    ),
];

/// The checkout's root.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shell commands of the code blocks between `## Quick start` and the next `## ` heading:
/// comment lines dropped, `\` continuations joined, each split on whitespace (the README's
/// commands use no quoting).
fn quick_start_commands(readme: &str) -> Vec<Vec<String>> {
    let start = readme
        .find("\n## Quick start")
        .expect("README has a Quick start section");
    let section = &readme[start + 1..];
    let end = section[3..]
        .find("\n## ")
        .map_or(section.len(), |at| at + 3);
    let section = &section[..end];
    let mut commands = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in section.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        let line = line.trim();
        if !in_block || line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(line);
                commands.push(pending.split_whitespace().map(str::to_string).collect());
                pending.clear();
            }
        }
    }
    assert!(pending.is_empty(), "a command ends in a continuation");
    commands
}

/// Starts the binary in `dir` without any Kalshi credentials in its environment.
fn spawn(dir: &Path, args: &[String]) -> Child {
    Command::new(kalshi_bot())
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("KALSHI_API_KEY_ID")
        .env_remove("KALSHI_PRIVATE_KEY_PATH")
        .env_remove("KALSHI_PRIVATE_KEY_PEM")
        .env_remove("KALSHI_KEY_ENVIRONMENT")
        .spawn()
        .unwrap()
}

/// Waits for `child` (whose stdout may already be taken) with a hard limit.
fn wait_with_limit(mut child: Child, limit: Duration) -> Output {
    let stdout = child.stdout.take();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut stdout) = stdout {
            stdout.read_to_end(&mut text).unwrap();
        }
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        stderr.read_to_end(&mut text).unwrap();
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            let _ = child.wait();
            panic!(
                "kalshi-bot did not finish within {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&err_reader.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// Runs the binary and requires exit code 0; returns stdout.
fn run_ok(dir: &Path, args: &[String], limit: Duration) -> String {
    let output = wait_with_limit(spawn(dir, args), limit);
    assert_eq!(
        output.status.code(),
        Some(0),
        "kalshi-bot {} exited {:?}\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The number after `label` on the line of `text` that starts with it (`  fills : 3 (…)`).
fn figure(text: &str, label: &str) -> u64 {
    let line = text
        .lines()
        .find(|line| line.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{text}"));
    let after = line.trim_start()[label.len()..].trim_start_matches([' ', ':']);
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after `{label}` in {line:?}"))
}

/// Replaces the value after `flag` (which must be present).
fn set_flag(args: &mut [String], flag: &str, value: &str) {
    let at = args
        .iter()
        .position(|arg| arg == flag)
        .unwrap_or_else(|| panic!("{flag} missing from {args:?}"));
    args[at + 1] = value.to_string();
}

/// The market with the most orders in a run's journal.
fn busiest_market(run_dir: &Path) -> String {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for record in read_all_records(run_dir).unwrap() {
        if let JournalRecord::OutputCommand {
            command: EngineCommand::Place(place),
            ..
        } = &record.record
        {
            *counts.entry(place.ticker.clone()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, count)| *count)
        .map(|(ticker, _)| ticker)
        .expect("the run placed orders")
}

/// `sim-exchange` with `--json`: reads its ready line, scans it with `scan-markets --sim
/// --api-base` while it serves (the scanner must rank markets of a standalone exchange), and
/// checks the stopped line.
fn check_sim_exchange(dir: &Path, args: &[String]) {
    let mut child = spawn(dir, args);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut ready = String::new();
    stdout.read_line(&mut ready).unwrap();
    let ready: serde_json::Value = serde_json::from_str(&ready)
        .unwrap_or_else(|error| panic!("sim-exchange ready line {ready:?}: {error}"));
    assert_eq!(ready["event"], "ready");
    let port = ready["port"].as_u64().unwrap();
    assert!(port > 0);
    let base_url = ready["base_url"].as_str().unwrap().to_string();
    assert!(base_url.contains(&format!(":{port}/")), "{base_url}");
    let scan = run_ok(
        dir,
        &[
            "scan-markets".to_string(),
            "--sim".to_string(),
            "--api-base".to_string(),
            base_url,
            "--json".to_string(),
        ],
        Duration::from_secs(60),
    );
    let scan: serde_json::Value = serde_json::from_str(&scan).unwrap();
    assert!(
        !scan["ranked"].as_array().unwrap().is_empty(),
        "a standalone sim-exchange ranks no market: {}",
        scan["dropped_by_reason"]
    );
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let output = wait_with_limit(child, Duration::from_secs(120));
    assert_eq!(output.status.code(), Some(0));
    let stopped: serde_json::Value = serde_json::from_str(rest.trim()).unwrap();
    assert_eq!(stopped["event"], "stopped");
    assert!(stopped["rest_requests"].as_u64().unwrap() > 0, "{stopped}");
}

#[test]
fn every_readme_quick_start_command_runs_against_the_local_exchange() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let commands = quick_start_commands(&readme);
    let fixtures = repo_root().join("fixtures");
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut run_dir: Option<PathBuf> = None;
    let mut skipped = Vec::new();
    let mut ran = Vec::new();
    for words in commands {
        let line = words.join(" ");
        if let Some((_, why)) = SKIPPED.iter().find(|(command, _)| *command == line) {
            skipped.push(line.clone());
            eprintln!("skipped: {line} ({why})");
            continue;
        }
        let mut args: Vec<String> = match words.as_slice() {
            [kalshi_bot, rest @ ..] if kalshi_bot == "kalshi-bot" => rest.to_vec(),
            [cargo, run, release, p, package, dashes, rest @ ..]
                if [cargo, run, release, p, package, dashes]
                    == ["cargo", "run", "--release", "-p", "kalshi-bot", "--"] =>
            {
                rest.to_vec()
            }
            _ => panic!("README command this test cannot run: {line}"),
        };
        for arg in &mut args {
            if let Some(rest) = arg.strip_prefix("fixtures/") {
                *arg = fixtures.join(rest).display().to_string();
            }
            if arg == "journal/<run_id>" {
                let run = run_dir.as_ref().expect("a run precedes journal/<run_id>");
                *arg = run.display().to_string();
            }
            if arg == "KXTICKER" {
                let run = run_dir.as_ref().expect("a run precedes KXTICKER");
                *arg = busiest_market(&dir.join(run));
            }
        }
        eprintln!("README: {line}");
        let started = Instant::now();
        match args.first().map(String::as_str) {
            Some("run-strategy") => {
                // The README's own 30 s: long enough for fills on the local exchange.
                let out = run_ok(dir, &args, Duration::from_secs(180));
                assert!(figure(&out, "orders placed") > 0, "{out}");
                assert!(figure(&out, "fills") > 0, "{out}");
                let journal = out
                    .lines()
                    .find_map(|line| line.trim().strip_prefix("journal         : "))
                    .unwrap_or_else(|| panic!("no journal line in:\n{out}"));
                run_dir = Some(PathBuf::from(journal.trim()));
            }
            Some("replay") => {
                let out = run_ok(dir, &args, Duration::from_secs(120));
                assert!(out.contains("result:           identical"), "{out}");
                assert!(figure(&out, "outputs matched") > 0, "{out}");
            }
            Some("scan-markets") => {
                let out = run_ok(dir, &args, Duration::from_secs(120));
                let summary = out
                    .lines()
                    .find(|line| line.contains(" passed, "))
                    .unwrap_or_else(|| panic!("no summary line in:\n{out}"));
                let passed = summary
                    .split(": ")
                    .nth(1)
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|count| count.parse::<u64>().ok())
                    .unwrap_or_else(|| panic!("no pass count in {summary:?}"));
                assert!(passed > 0, "{out}");
                assert!(out.lines().nth(1).is_some_and(|row| row.contains("passed")));
            }
            Some("record") => {
                set_flag(&mut args, "--duration", "6s");
                let out = run_ok(dir, &args, Duration::from_secs(180));
                assert!(figure(&out, "inputs") > 0, "{out}");
                assert_eq!(figure(&out, "orders placed"), 0, "{out}");
            }
            Some("backtest") if args.iter().any(|arg| arg == "--calibrate") => {
                let out = run_ok(dir, &args, Duration::from_secs(300));
                assert!(out.contains("best fit over "), "{out}");
                assert!(
                    out.lines().any(|line| line.starts_with("--set fill.")),
                    "{out}"
                );
            }
            Some("drift") => {
                let out = run_ok(dir, &args, Duration::from_secs(120));
                assert!(out.contains("fill model: queue_position="), "{out}");
                assert!(figure(&out, "orders placed") > 0, "{out}");
            }
            Some("backtest") => {
                let out = run_ok(dir, &args, Duration::from_secs(180));
                let report = args
                    .iter()
                    .position(|arg| arg == "--report")
                    .map(|at| dir.join(&args[at + 1]))
                    .unwrap();
                for file in ["report.html", "metrics.json", "sources.json"] {
                    assert!(report.join(file).is_file(), "{file} missing:\n{out}");
                }
                let metrics: serde_json::Value = serde_json::from_str(
                    &std::fs::read_to_string(report.join("metrics.json")).unwrap(),
                )
                .unwrap();
                assert!(metrics["metrics"]["orders"].as_u64().unwrap() > 0, "{out}");
            }
            Some("import") => {
                let out = run_ok(dir, &args, Duration::from_secs(60));
                let imported = out
                    .split_whitespace()
                    .nth(1)
                    .and_then(|count| count.parse::<u64>().ok())
                    .unwrap_or_else(|| panic!("no count in {out:?}"));
                assert!(imported > 0, "{out}");
                let at = args.iter().position(|arg| arg == "--out").unwrap();
                assert!(dir.join(&args[at + 1]).join("manifest.json").is_file());
            }
            Some("sim-exchange") => {
                set_flag(&mut args, "--port", "0");
                set_flag(&mut args, "--duration", "6s");
                args.push("--json".to_string());
                check_sim_exchange(dir, &args);
            }
            Some("config") if args.get(1).map(String::as_str) == Some("keys") => {
                let out = run_ok(dir, &args, Duration::from_secs(30));
                assert!(out.lines().count() > 50, "{out}");
                assert!(out.contains("engine.risk.daily_loss_stop"), "{out}");
                assert!(out.contains("fill."), "{out}");
            }
            Some("config") if args.get(1).map(String::as_str) == Some("init") => {
                run_ok(dir, &args, Duration::from_secs(30));
                let at = args.iter().position(|arg| arg == "--out").unwrap();
                let text = std::fs::read_to_string(dir.join(&args[at + 1])).unwrap();
                assert!(text.contains("[engine"), "{text}");
            }
            _ => panic!("README command this test does not know how to check: {line}"),
        }
        eprintln!("  ok in {:.1} s", started.elapsed().as_secs_f64());
        ran.push(line);
    }
    let mut expected_skips: Vec<String> = SKIPPED.iter().map(|(c, _)| c.to_string()).collect();
    expected_skips.sort();
    skipped.sort();
    assert_eq!(
        skipped, expected_skips,
        "every skipped command must still be in the README"
    );
    assert!(ran.len() >= 10, "only {} README commands ran", ran.len());
}

#[test]
fn the_readme_parser_joins_continuations_and_drops_comments() {
    let readme = "# title\n\n## Quick start\n\n```sh\n# a comment\nkalshi-bot a \\\n  --b c\n```\n\
                  text\n```sh\nkalshi-bot d\n```\n\n## Next\n\n```sh\nkalshi-bot e\n```\n";
    let commands = quick_start_commands(readme);
    assert_eq!(
        commands,
        vec![vec!["kalshi-bot", "a", "--b", "c"], vec!["kalshi-bot", "d"]]
    );
}
