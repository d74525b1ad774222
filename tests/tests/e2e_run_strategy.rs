//! End-to-end: the built binary trades the in-process local exchange, and records from it.
//!
//! `run-strategy --strategy maker_ladder --sim --duration 20s` must scan, quote post-only
//! ladders, get filled by the synthetic flow, shut down with no resting order of ours, and
//! leave a journal that `kalshi-bot journal verify` accepts and that replays to the identical
//! output stream. The safety refusals must happen before any network traffic.

mod reliability_support;

use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::decision::Decision;
use kalshi_core::engine::Engine;
use kalshi_core::events::Event;
use kalshi_core::side::BookSide;
use kalshi_journal::typed_reader::read_all_records;
use kalshi_journal::{JournalRecord, SequencedRecord};
use reliability_support::{LIVELY_SIM, kalshi_bot, run_with_limit, spawn, wait_with_limit};

fn inputs(records: &[SequencedRecord]) -> impl Iterator<Item = &Event> {
    records.iter().filter_map(|record| match &record.record {
        JournalRecord::Input(envelope) => Some(&envelope.event),
        _ => None,
    })
}

fn commands(records: &[SequencedRecord]) -> Vec<&EngineCommand> {
    records
        .iter()
        .filter_map(|record| match &record.record {
            JournalRecord::OutputCommand { command, .. } => Some(command),
            _ => None,
        })
        .collect()
}

fn decisions(records: &[SequencedRecord]) -> impl Iterator<Item = &Decision> {
    records.iter().filter_map(|record| match &record.record {
        JournalRecord::OutputDecision { decision, .. } => Some(decision),
        _ => None,
    })
}

#[test]
fn sim_run_quotes_ladders_gets_fills_leaves_no_orders_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("journal").join("run-1");
    let output = run_with_limit(
        Command::new(kalshi_bot())
            .current_dir(dir.path())
            .args(["run-strategy", "--strategy", "maker_ladder", "--sim"])
            .args(["--duration", "20s", "--seed", "3", "--journal-dir"])
            .arg(&run_dir)
            .args(["--set", "runtime.rescan_interval_s=5"])
            // The exchange-side kill switch, far above what the run matches: this test is
            // about the wiring (the group is created, on every order, deleted at the end).
            .args(["--set", "engine.orders.order_group_contracts_limit=10000"])
            .args(LIVELY_SIM),
        Duration::from_secs(150),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("resting orders  : 0 of ours"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "kalshi-bot replay --journal {} --verify",
            run_dir.display()
        )),
        "{stdout}"
    );

    // The journal verifies with the CLI's own verifier.
    let verify = Command::new(kalshi_bot())
        .args(["journal", "verify"])
        .arg(&run_dir)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "journal verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );

    let records = read_all_records(&run_dir).unwrap();
    assert!(matches!(records[0].record, JournalRecord::RunStarted(_)));
    assert!(matches!(
        records.last().unwrap().record,
        JournalRecord::RunEnded { .. }
    ));

    // Startup order: config, exchange status, listing (scanner), snapshots, reconciliation,
    // and only then orders.
    let events: Vec<&Event> = inputs(&records).collect();
    let Event::Config(config) = events[0] else {
        panic!("the first input is not the config: {:?}", events[0]);
    };
    // The run created the order group before journaling the config, attached every order to
    // it, and deleted it at the end.
    let group_id = config
        .orders
        .order_group_id
        .clone()
        .expect("the journaled config names the run's order group");
    let places: Vec<_> = commands(&records)
        .into_iter()
        .filter_map(|command| match command {
            EngineCommand::Place(place) => Some(place),
            _ => None,
        })
        .collect();
    assert!(!places.is_empty());
    assert!(
        places
            .iter()
            .all(|place| place.order_group_id.as_deref() == Some(group_id.as_str())),
        "every order carries the run's order group"
    );
    assert!(
        stdout.contains("order group deleted") || stderr.contains("order group deleted"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let listing = events
        .iter()
        .position(|event| matches!(event, Event::MarketListing(_)))
        .expect("a market listing");
    let reconciled = events
        .iter()
        .position(|event| matches!(event, Event::Reconciled { .. }))
        .expect("a reconciliation");
    let first_snapshot = events
        .iter()
        .position(|event| matches!(event, Event::BookSnapshot(_)))
        .expect("book snapshots");
    assert!(listing < first_snapshot && first_snapshot < reconciled);
    let first_place_seq = records
        .iter()
        .find(|record| {
            matches!(
                record.record,
                JournalRecord::OutputCommand {
                    command: EngineCommand::Place(_),
                    ..
                }
            )
        })
        .map(|record| record.seq)
        .expect("orders were placed");
    let reconciled_seq = records
        .iter()
        .find(|record| {
            matches!(&record.record, JournalRecord::Input(envelope) if matches!(envelope.event, Event::Reconciled { .. }))
        })
        .unwrap()
        .seq;
    assert!(reconciled_seq < first_place_seq);
    let universe = decisions(&records)
        .find_map(|decision| match decision {
            Decision::UniverseSelected { quoted, .. } => Some(quoted.clone()),
            _ => None,
        })
        .unwrap();
    assert!(!universe.is_empty(), "the scanner chose markets to quote");
    let listings = events
        .iter()
        .filter(|event| matches!(event, Event::MarketListing(_)))
        .count();
    assert!(
        listings >= 3,
        "periodic rescans are journaled: {listings} listings"
    );

    // Post-only ladders: every create is post-only, and some quote has two rungs on a side.
    let places: Vec<_> = commands(&records)
        .into_iter()
        .filter_map(|command| match command {
            EngineCommand::Place(order) => Some(order),
            _ => None,
        })
        .collect();
    assert!(places.len() >= 6, "{} places", places.len());
    assert!(places.iter().all(|order| order.post_only));
    let ladder = decisions(&records).any(|decision| match decision {
        Decision::Quote(quote) => [BookSide::Bid, BookSide::Ask].iter().any(|side| {
            quote
                .quotes
                .iter()
                .filter(|rung| rung.side == *side)
                .count()
                >= 2
        }),
        _ => false,
    });
    assert!(ladder, "no quote with two rungs on one side");

    // The synthetic flow filled us.
    let fills = events
        .iter()
        .filter(|event| matches!(event, Event::OwnFill(_)))
        .count();
    assert!(fills >= 1, "no fills in the run; stdout:\n{stdout}");

    // The replay crate reproduces every output byte for byte.
    let mut source = kalshi_replay::journal_source::JournalSource::open(&run_dir).unwrap();
    let report =
        kalshi_replay::verify::verify(&mut source, &kalshi_replay::progress::NoProgress).unwrap();
    assert!(report.is_match(), "{:?}", report.divergence);
    assert!(report.run_ended);
    assert_eq!(report.inputs_replayed as usize, events.len());

    // And, independently, a fresh engine fed the journaled inputs emits the identical command
    // stream.
    let mut engine = Engine::new();
    let mut replayed = Vec::new();
    for record in &records {
        if let JournalRecord::Input(envelope) = &record.record {
            replayed.extend(engine.process(envelope).commands);
        }
    }
    let journaled: Vec<EngineCommand> = commands(&records).into_iter().cloned().collect();
    assert_eq!(replayed, journaled);

    // The CLI's replay says the same, and the same journal backtests into a report.
    let replay = Command::new(kalshi_bot())
        .args(["replay", "--journal"])
        .arg(&run_dir)
        .arg("--verify")
        .output()
        .unwrap();
    let replay_stdout = String::from_utf8_lossy(&replay.stdout);
    assert_eq!(replay.status.code(), Some(0), "{replay_stdout}");
    assert!(replay_stdout.contains("identical"), "{replay_stdout}");
    let first_s = records.first().unwrap().ts_ns / 1_000_000_000;
    let last_s = records.last().unwrap().ts_ns / 1_000_000_000 + 1;
    let report_dir = dir.path().join("report");
    let backtest = run_with_limit(
        Command::new(kalshi_bot())
            .args(["backtest", "--market", &universe[0]])
            .args([
                "--start",
                &first_s.to_string(),
                "--end",
                &last_s.to_string(),
            ])
            .arg("--journal")
            .arg(&run_dir)
            .arg("--report")
            .arg(&report_dir),
        Duration::from_secs(120),
    );
    assert_eq!(
        backtest.status.code(),
        Some(0),
        "backtest: {}{}",
        String::from_utf8_lossy(&backtest.stdout),
        String::from_utf8_lossy(&backtest.stderr)
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("metrics.json")).unwrap())
            .unwrap();
    assert!(metrics["metrics"].get("net_pnl").is_some(), "{metrics}");
    assert!(report_dir.join("report.html").exists());
}

#[test]
fn record_journals_market_data_and_never_an_order() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("rec");
    let output = run_with_limit(
        Command::new(kalshi_bot())
            .current_dir(dir.path())
            .args(["record", "--sim", "--top", "3", "--duration", "6s"])
            .args(["--sim-warmup", "300", "--journal-dir"])
            .arg(&run_dir),
        Duration::from_secs(90),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let records = read_all_records(&run_dir).unwrap();
    assert!(commands(&records).is_empty(), "record sent commands");
    let events: Vec<&Event> = inputs(&records).collect();
    let snapshots = events
        .iter()
        .filter(|event| matches!(event, Event::BookSnapshot(_)))
        .count();
    let deltas = events
        .iter()
        .filter(|event| matches!(event, Event::BookDelta(_)))
        .count();
    assert!(snapshots >= 3, "{snapshots} snapshots");
    assert!(deltas >= 1, "no book deltas recorded");
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, Event::Reconciled { .. } | Event::OwnFill(_))),
        "record must not reconcile or see account data"
    );
    let mut source = kalshi_replay::journal_source::JournalSource::open(&run_dir).unwrap();
    let report =
        kalshi_replay::verify::verify(&mut source, &kalshi_replay::progress::NoProgress).unwrap();
    assert!(report.is_match(), "{:?}", report.divergence);
}

#[test]
fn websocket_disconnects_are_followed_by_rest_reconciliation() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run-faults");
    let faults = dir.path().join("faults.toml");
    std::fs::write(&faults, "[ws]\ndisconnect_after_messages = 400\n").unwrap();
    let output = run_with_limit(
        Command::new(kalshi_bot())
            .current_dir(dir.path())
            .args(["run-strategy", "--strategy", "maker_ladder", "--sim"])
            .args(["--duration", "12s", "--seed", "9", "--sim-faults"])
            .arg(&faults)
            .arg("--journal-dir")
            .arg(&run_dir)
            .args(LIVELY_SIM),
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("resting orders  : 0 of ours"), "{stdout}");
    let records = read_all_records(&run_dir).unwrap();
    let reconciliations = inputs(&records)
        .filter(|event| matches!(event, Event::Reconciled { .. }))
        .count();
    let invalidations = inputs(&records)
        .filter(|event| {
            matches!(
                event,
                Event::BookInvalidated {
                    reason: kalshi_core::events::BookInvalidation::Reconnect,
                    ..
                }
            )
        })
        .count();
    assert!(invalidations >= 1, "the socket never dropped");
    assert!(
        reconciliations >= 2,
        "{reconciliations} reconciliations for {invalidations} reconnect invalidations"
    );
    let mut source = kalshi_replay::journal_source::JournalSource::open(&run_dir).unwrap();
    let report =
        kalshi_replay::verify::verify(&mut source, &kalshi_replay::progress::NoProgress).unwrap();
    assert!(report.is_match(), "{:?}", report.divergence);
}

#[test]
fn sigterm_cancels_our_orders_and_seals_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run-term");
    let child = spawn(
        Command::new(kalshi_bot())
            .current_dir(dir.path())
            .args(["run-strategy", "--strategy", "maker_ladder", "--sim"])
            .args(["--seed", "5", "--journal-dir"])
            .arg(&run_dir)
            .args(LIVELY_SIM),
    );
    // Wait until the run has placed orders, then ask it to stop the way a service manager
    // would.
    let started = Instant::now();
    while !read_all_records(&run_dir).is_ok_and(|records| {
        commands(&records)
            .iter()
            .any(|command| matches!(command, EngineCommand::Place(_)))
    }) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no orders placed"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    std::thread::sleep(Duration::from_secs(2));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = wait_with_limit(child, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("stopped (signal)"), "{stdout}");
    assert!(stdout.contains("resting orders  : 0 of ours"), "{stdout}");
    let records = read_all_records(&run_dir).unwrap();
    assert!(matches!(
        &records.last().unwrap().record,
        JournalRecord::RunEnded { reason } if reason == "signal"
    ));
    assert!(inputs(&records).any(|event| matches!(
        event,
        Event::Control(kalshi_core::events::ControlCommand::Shutdown)
    )));
}

/// A loopback listener that counts connections (to prove nothing was sent).
fn counting_listener() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stream.is_ok() {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    (format!("http://{addr}/trade-api/v2"), count)
}

fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::new(kalshi_bot());
    command.args(args);
    for name in [
        "KALSHI_API_KEY_ID",
        "KALSHI_PRIVATE_KEY_PATH",
        "KALSHI_PRIVATE_KEY_PEM",
        "KALSHI_KEY_ENVIRONMENT",
    ] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains("refusing to start"), "{stderr}");
    stderr
}

#[test]
fn unsafe_settings_are_refused_before_any_traffic() {
    let base = ["run-strategy", "--strategy", "maker_ladder"];
    let stderr = refused(&[&base[..], &["--live"]].concat(), &[]);
    assert!(stderr.contains("--i-understand-risk"), "{stderr}");

    let stderr = refused(
        &[
            &base[..],
            &["--live", "--i-understand-risk", "--api-base"],
            &["https://demo-api.kalshi.co/trade-api/v2"],
        ]
        .concat(),
        &[],
    );
    assert!(stderr.contains("demo"), "{stderr}");

    let stderr = refused(
        &[&base[..], &["--live", "--i-understand-risk"]].concat(),
        &[("KALSHI_KEY_ENVIRONMENT", "demo")],
    );
    assert!(stderr.contains("declared for the demo"), "{stderr}");

    // A demo run against a local endpoint with a production key, and one with a key file
    // others can read: refused, and the endpoint never sees a connection.
    let (api_base, connections) = counting_listener();
    let ws_url = api_base
        .replace("http://", "ws://")
        .replace("/trade-api/v2", "/trade-api/ws/v2");
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    std::fs::write(
        &key,
        "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let key_path = key.to_str().unwrap();
    let demo = [
        &base[..],
        &[
            "--demo",
            "--duration",
            "1s",
            "--api-base",
            &api_base,
            "--ws-url",
            &ws_url,
        ],
    ]
    .concat();
    let stderr = refused(
        &demo,
        &[
            ("KALSHI_API_KEY_ID", "key-1"),
            ("KALSHI_PRIVATE_KEY_PATH", key_path),
            ("KALSHI_KEY_ENVIRONMENT", "production"),
        ],
    );
    assert!(stderr.contains("declared for production"), "{stderr}");
    let stderr = refused(
        &demo,
        &[
            ("KALSHI_API_KEY_ID", "key-1"),
            ("KALSHI_PRIVATE_KEY_PATH", key_path),
        ],
    );
    assert!(stderr.contains("chmod 600"), "{stderr}");
    let stderr = refused(&demo, &[]);
    assert!(stderr.contains("needs an API key"), "{stderr}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(connections.load(Ordering::SeqCst), 0);

    // A misspelt config field is refused by name.
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[engine.strategy]\nrungs_per_sidee = 2\n").unwrap();
    let stderr = refused(
        &[&base[..], &["--sim", "--config", config.to_str().unwrap()]].concat(),
        &[],
    );
    assert!(
        stderr.contains("engine.strategy.rungs_per_sidee"),
        "{stderr}"
    );
}

/// The money fields of a JSON object (`"-0.4800"` strings) in micro-dollars.
fn json_micros(value: &serde_json::Value, key: &str) -> i64 {
    let text = value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {value}"));
    kalshi_core::Money::parse(text).unwrap().micros()
}

/// Issue 16's "done when": for a finished run, the run summary, the ledger's `pnl_total` and
/// a backtest of that journal agree on the P&L to the micro-dollar, part by part.
///
/// `backtest` simulates its own fills by default (it drops the journal's acks and fills and
/// answers the engine's orders with its fill model), so it would trade differently from the
/// live run. The comparison therefore uses `backtest --fills recorded`, which feeds the run's
/// journal whole — its configuration, reconciliation, acks and fills — to the engine.
#[test]
fn pnl_agrees_across_the_run_summary_the_ledger_and_a_recorded_backtest() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("journal").join("run-pnl");
    let output = run_with_limit(
        Command::new(kalshi_bot())
            .current_dir(dir.path())
            .args(["run-strategy", "--strategy", "maker_ladder", "--sim"])
            .args(["--duration", "20s", "--seed", "5", "--journal-dir"])
            .arg(&run_dir)
            .args(LIVELY_SIM),
        Duration::from_secs(150),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let records = read_all_records(&run_dir).unwrap();
    let filled_order = inputs(&records)
        .find_map(|event| match event {
            Event::OwnFill(fill) => fill.client_order_id.clone(),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fills in the run; stdout:\n{stdout}"));

    // The summary: dollars for people, and the same figures in micro-dollars.
    let dollars_line = stdout
        .lines()
        .find(|line| line.starts_with("  p&l             : total "))
        .unwrap_or_else(|| panic!("no p&l line in\n{stdout}"));
    assert!(dollars_line.contains("$"), "{dollars_line}");
    assert!(!dollars_line.contains("$-"), "sign first: {dollars_line}");
    let micros_line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("  p&l micros      : "))
        .unwrap_or_else(|| panic!("no p&l micros line in\n{stdout}"));
    let summary: std::collections::BTreeMap<&str, i64> = micros_line
        .split_whitespace()
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap();
            (key, value.parse().unwrap())
        })
        .collect();
    let summary = [
        summary["total"],
        summary["realized_net"],
        summary["fees"],
        summary["unrealized"],
    ];
    assert_eq!(summary[0], summary[1] + summary[3], "{micros_line}");
    assert_eq!(
        dollars_line,
        format!(
            "  p&l             : total {} = realized {} (net of {} fees) + unrealized {}",
            kalshi_core::Money::from_micros(summary[0]).dollars(),
            kalshi_core::Money::from_micros(summary[1]).dollars(),
            kalshi_core::Money::from_micros(summary[2]).dollars(),
            kalshi_core::Money::from_micros(summary[3]).dollars()
        )
    );

    // The ledger rebuilt from the journal (its totals are the `pnl_total` view).
    let ledger = Command::new(kalshi_bot())
        .args(["ledger", "rebuild"])
        .arg(&run_dir)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        ledger.status.success(),
        "{}",
        String::from_utf8_lossy(&ledger.stderr)
    );
    let ledger: serde_json::Value = serde_json::from_slice(&ledger.stdout).unwrap();
    let ledger = [
        ledger["total_micros"].as_i64().unwrap(),
        ledger["realized_net_micros"].as_i64().unwrap(),
        ledger["fees_micros"].as_i64().unwrap(),
        ledger["unrealized_micros"].as_i64().unwrap(),
    ];
    assert_eq!(ledger, summary, "ledger vs run summary");

    // A backtest replaying the run's own fills.
    let report_dir = dir.path().join("report");
    let backtest = run_with_limit(
        Command::new(kalshi_bot())
            .args(["backtest", "--fills", "recorded", "--journal"])
            .arg(&run_dir)
            .arg("--report")
            .arg(&report_dir),
        Duration::from_secs(120),
    );
    assert_eq!(
        backtest.status.code(),
        Some(0),
        "backtest: {}{}",
        String::from_utf8_lossy(&backtest.stdout),
        String::from_utf8_lossy(&backtest.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("metrics.json")).unwrap())
            .unwrap();
    let pnl = &report["metrics"]["pnl"];
    let backtest = [
        json_micros(pnl, "total"),
        json_micros(pnl, "realized_net"),
        json_micros(pnl, "fees"),
        json_micros(pnl, "unrealized"),
    ];
    assert_eq!(backtest, summary, "recorded backtest vs run summary");
    assert_eq!(
        json_micros(&report["metrics"], "net_pnl"),
        summary[0],
        "the report's net P&L is the total"
    );

    // `audit` of a filled order states its fills' realized P&L in the same terms.
    let audit = Command::new(kalshi_bot())
        .args(["audit", "--journal"])
        .arg(&run_dir)
        .args(["--order", &filled_order])
        .output()
        .unwrap();
    let audit_text = String::from_utf8_lossy(&audit.stdout);
    assert!(audit.status.success(), "{audit_text}");
    assert!(
        audit_text.contains(" fill(s): realized ") && audit_text.contains(" fees)"),
        "{audit_text}"
    );
}
