//! End-to-end: talking to a running bot against the local exchange.
//!
//! - `kalshi-bot ctl`: `halt` cancels every resting order in the step of its input and
//!   nothing is placed until `resume`; `resume` quotes again; `set` tightens a risk limit
//!   (and refuses to loosen one); `kill` leaves nothing resting
//!   (read on the exchange); a request without the right token is refused; every command is
//!   a journaled `Event::Operator` input naming the caller's uid, and the journal replays
//!   identical.
//! - `/metrics` parses as Prometheus text and its counters match the run summary; the alert
//!   hook fires once per HALT with the reason in its payload, and once at the run's end.
//!
//! The model file's test is in `e2e_model_file.rs`.

mod operator_support;
mod reliability_support;

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::decision::Decision;
use kalshi_core::events::{ControlCommand, Event};
use kalshi_core::risk::{RiskState, RiskStateReason};
use kalshi_journal::typed_reader::read_all_records;
use operator_support::{
    commands, ctl, free_port, operator_inputs, parse_prometheus, raw_request, replay_identical,
    scrape, summary_figure, wait_until,
};
use reliability_support::{
    TestExchange, decisions, inputs, kalshi_bot, signal, spawn_bot, wait_for_journal,
    wait_with_limit, wall_ns,
};

#[test]
fn ctl_halts_resumes_and_kills_a_running_bot_with_metrics_and_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("journal");
    std::fs::create_dir_all(&root).unwrap();
    let exchange = TestExchange::start(41, &dir.path().join("keys"));
    let user = exchange.bot_user();
    let run_dir = root.join("run-ctl");
    let alerts = dir.path().join("alerts.jsonl");
    let port = free_port();
    let port_text = format!("127.0.0.1:{port}");
    let on_alert = format!("cat >> '{}'", alerts.display());
    let child = spawn_bot(
        &exchange,
        &run_dir,
        &[
            "--seed",
            "41",
            "--metrics-addr",
            &port_text,
            "--on-alert",
            &on_alert,
        ],
    );

    // Quoting, with orders resting on the exchange and the control socket up.
    wait_for_journal(
        &run_dir,
        Duration::from_secs(90),
        "the first order",
        |records| {
            commands(records)
                .iter()
                .any(|(_, command)| matches!(command, EngineCommand::Place(_)))
        },
    );
    wait_until(Duration::from_secs(30), "resting orders", || {
        !exchange.resting_orders(user).is_empty() && run_dir.join("ctl.sock").exists()
    });
    let token_mode = std::fs::metadata(run_dir.join("ctl.token")).unwrap().mode();
    assert_eq!(token_mode & 0o777, 0o600);
    let socket_mode = std::fs::metadata(run_dir.join("ctl.sock")).unwrap().mode();
    assert_eq!(socket_mode & 0o777, 0o600);

    // Without the token, or with a wrong one, nothing happens.
    let missing = raw_request(&run_dir, r#"{"command":"halt"}"#);
    assert_eq!(missing["ok"], false, "{missing}");
    let wrong = raw_request(&run_dir, r#"{"token":"0000","command":"kill"}"#);
    assert_eq!(wrong["ok"], false, "{wrong}");
    assert!(wrong["error"].as_str().unwrap().contains("wrong token"));

    // Another Unix user is refused (the run directory's files are its owner's alone); checked
    // where the test can switch users: as root, with setpriv.
    let as_root = std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0);
    let setpriv = Path::new("/usr/bin/setpriv");
    if as_root && setpriv.exists() {
        let other = Command::new(setpriv)
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                kalshi_bot(),
            ])
            .arg("ctl")
            .arg("--journal")
            .arg(&run_dir)
            .arg("halt")
            .output()
            .unwrap();
        assert!(!other.status.success(), "another user's ctl was accepted");
        assert!(
            String::from_utf8_lossy(&other.stderr).contains("Permission denied"),
            "{}",
            String::from_utf8_lossy(&other.stderr)
        );
        let records = read_all_records(&run_dir).unwrap();
        assert!(operator_inputs(&records).is_empty());
    }

    let (code, status) = ctl(&run_dir, &["status"]);
    assert_eq!(code, Some(0), "{status}");
    assert_eq!(status["status"]["risk"], "ACTIVE", "{status}");
    assert_eq!(status["status"]["paper"], false, "{status}");
    assert!(
        status["status"]["line"]
            .as_str()
            .unwrap()
            .contains("risk=ACTIVE")
    );

    // Halt: the step of the operator input cancels every order and nothing is placed after.
    let (code, halted) = ctl(&run_dir, &["halt"]);
    assert_eq!(code, Some(0), "{halted}");
    let halt_seq = halted["seq"].as_u64().unwrap();
    assert_eq!(halted["status"]["risk"], "HALTED");
    wait_until(
        Duration::from_secs(15),
        "no resting order after halt",
        || exchange.resting_orders(user).is_empty(),
    );
    let records = read_all_records(&run_dir).unwrap();
    let halt_cancels = commands(&records)
        .iter()
        .filter(|(seq, command)| *seq == halt_seq && matches!(command, EngineCommand::Cancel(_)))
        .count();
    assert!(
        halt_cancels >= 1,
        "the halt step cancels the resting quotes"
    );
    assert!(
        !commands(&records)
            .iter()
            .any(|(seq, command)| *seq >= halt_seq && matches!(command, EngineCommand::Place(_))),
        "nothing placed after the halt"
    );
    // `audit` of an order the halt cancelled shows the operator control as the cancel's cause.
    let cancelled_id = commands(&records)
        .iter()
        .find_map(|(seq, command)| match command {
            EngineCommand::Cancel(cancel) if *seq == halt_seq => {
                Some(cancel.client_order_id.to_string())
            }
            _ => None,
        })
        .unwrap();
    let audit = Command::new(kalshi_bot())
        .args(["audit", "--journal"])
        .arg(&run_dir)
        .args(["--order", &cancelled_id])
        .output()
        .unwrap();
    let audit_text = String::from_utf8_lossy(&audit.stdout);
    assert!(audit.status.success(), "{audit_text}");
    assert!(audit_text.contains("OPERATOR Halt uid="), "{audit_text}");
    let metrics_mid = parse_prometheus(&scrape(port));
    assert_eq!(metrics_mid["kalshi_bot_risk_state{state=\"HALTED\"}"], 1.0);
    assert_eq!(
        metrics_mid["kalshi_bot_operator_controls_total{command=\"halt\"}"],
        1.0
    );

    // Resume quotes again.
    let (code, resumed) = ctl(&run_dir, &["resume"]);
    assert_eq!(code, Some(0), "{resumed}");
    let resume_seq = resumed["seq"].as_u64().unwrap();
    wait_for_journal(
        &run_dir,
        Duration::from_secs(30),
        "a place after resume",
        |records| {
            commands(records).iter().any(|(seq, command)| {
                *seq >= resume_seq && matches!(command, EngineCommand::Place(_))
            })
        },
    );
    wait_until(
        Duration::from_secs(30),
        "resting orders after resume",
        || !exchange.resting_orders(user).is_empty(),
    );

    // A live setting: one contract per order from its step on; a looser limit is refused
    // by the engine, a key that cannot change live by ctl itself.
    let (code, tightened) = ctl(&run_dir, &["set", "engine.risk.order_contracts_max=1"]);
    assert_eq!(code, Some(0), "{tightened}");
    let set_seq = tightened["seq"].as_u64().unwrap();
    let (code, loosened) = ctl(&run_dir, &["set", "engine.risk.order_contracts_max=100000"]);
    assert_eq!(code, Some(1), "{loosened}");
    assert!(loosened["error"].as_str().unwrap().contains("only tighten"));
    let refused_key = Command::new(kalshi_bot())
        .arg("ctl")
        .arg("--journal")
        .arg(&run_dir)
        .args(["set", "engine.strategy.rungs_per_side=1"])
        .output()
        .unwrap();
    assert_eq!(refused_key.status.code(), Some(2));
    std::thread::sleep(Duration::from_secs(1));
    let records = read_all_records(&run_dir).unwrap();
    let sets: Vec<(u64, bool)> = decisions(&records)
        .iter()
        .filter_map(|(seq, decision)| match decision {
            Decision::OperatorSetting { applied, .. } => Some((*seq, *applied)),
            _ => None,
        })
        .collect();
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[0], (set_seq, true));
    assert!(!sets[1].1);
    for (seq, command) in commands(&records) {
        if let EngineCommand::Place(order) = command
            && seq >= set_seq
        {
            assert!(order.count.centi() <= 100, "{order:?}");
        }
    }

    // Kill: nothing of the account rests.
    let (code, killed) = ctl(&run_dir, &["kill"]);
    assert_eq!(code, Some(0), "{killed}");
    let kill_seq = killed["seq"].as_u64().unwrap();
    wait_until(
        Duration::from_secs(15),
        "no resting order after kill",
        || exchange.resting_orders(user).is_empty(),
    );
    // The answer leaves only once the kill and its cancel-all are on disk.
    let records = read_all_records(&run_dir).unwrap();
    assert!(
        commands(&records)
            .iter()
            .any(|(seq, command)| *seq == kill_seq && matches!(command, EngineCommand::CancelAll))
    );
    // A resume after the kill switch is an operator's halt: no confirmation needed, but keep
    // the bot halted for the counters below.
    std::thread::sleep(Duration::from_secs(2));
    let metrics_text = scrape(port);
    let metrics = parse_prometheus(&metrics_text);

    signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert_eq!(
        output.status.code(),
        Some(6),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!run_dir.join("ctl.sock").exists() && !run_dir.join("ctl.token").exists());
    assert!(exchange.resting_orders(user).is_empty());

    // The metrics' counters are the summary's (nothing is placed or filled while halted).
    let placed = summary_figure(&stdout, "orders placed");
    let fills = summary_figure(&stdout, "fills");
    assert_eq!(
        metrics["kalshi_bot_orders_placed_total"], placed as f64,
        "{metrics_text}"
    );
    assert_eq!(
        metrics["kalshi_bot_fills_total"], fills as f64,
        "{metrics_text}"
    );
    assert!(placed > 0);
    assert_eq!(
        metrics["kalshi_bot_operator_controls_total{command=\"kill\"}"],
        1.0
    );
    assert_eq!(
        metrics["kalshi_bot_operator_controls_total{command=\"set\"}"],
        2.0
    );
    assert_eq!(metrics["kalshi_bot_open_orders"], 0.0);
    assert!(metrics["kalshi_bot_step_seconds_count"] > 0.0);
    assert!(metrics["kalshi_bot_input_age_seconds_count"] > 0.0);
    // Every order placed went out as its own request and was answered (cancels and amends
    // add to the count; nothing was sent in shutdown batches before this scrape).
    assert!(
        metrics["kalshi_bot_request_to_ack_seconds_count"] >= placed as f64,
        "{metrics_text}"
    );
    assert_eq!(
        metrics["kalshi_bot_decision_to_request_seconds_count"],
        metrics["kalshi_bot_request_to_ack_seconds_count"]
    );

    // Every command is journaled with who sent it, in order, and replays identical.
    let records = read_all_records(&run_dir).unwrap();
    let operators = operator_inputs(&records);
    let uid = std::fs::metadata(&run_dir).unwrap().uid();
    let sent: Vec<(u64, ControlCommand)> = operators
        .iter()
        .map(|(seq, control)| {
            assert_eq!(control.peer_uid, uid);
            (*seq, control.command)
        })
        .collect();
    assert_eq!(
        sent,
        vec![
            (halt_seq, ControlCommand::Halt),
            (resume_seq, ControlCommand::Resume),
            (kill_seq, ControlCommand::KillSwitch),
        ]
    );
    let halts: Vec<RiskStateReason> = decisions(&records)
        .iter()
        .filter_map(|(_, decision)| match decision {
            Decision::RiskState(record) if record.state == RiskState::Halted => Some(record.reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        halts,
        vec![RiskStateReason::OperatorHalt, RiskStateReason::KillSwitch]
    );
    replay_identical(&run_dir);

    // One alert per HALT, naming its reason, and one at the end.
    let payloads: Vec<serde_json::Value> = std::fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let halt_reasons: Vec<&str> = payloads
        .iter()
        .filter(|payload| payload["kind"] == "halt")
        .map(|payload| payload["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        halt_reasons,
        vec!["operator_halt", "kill_switch"],
        "{payloads:?}"
    );
    let ends: Vec<&serde_json::Value> = payloads
        .iter()
        .filter(|payload| payload["kind"] == "run_end")
        .collect();
    assert_eq!(ends.len(), 1, "{payloads:?}");
    assert_eq!(ends[0]["reason"], "signal");
    assert_eq!(ends[0]["detail"]["orders_placed"], placed);
}

#[test]
fn a_daily_loss_halt_needs_the_confirmation_and_alerts_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("journal");
    std::fs::create_dir_all(&root).unwrap();
    let exchange = TestExchange::start(47, &dir.path().join("keys"));
    let run_dir = root.join("run-loss");
    let alerts = dir.path().join("alerts.jsonl");
    let on_alert = format!("cat >> '{}'", alerts.display());
    let child = spawn_bot(
        &exchange,
        &run_dir,
        &[
            "--seed",
            "47",
            "--on-alert",
            &on_alert,
            // A one-micro-dollar loss stop: the first loss of any size halts.
            "--set",
            "engine.risk.daily_loss_stop=0.000001",
            "--set",
            "engine.risk.daily_loss_reducing=0.000001",
        ],
    );
    wait_for_journal(
        &run_dir,
        Duration::from_secs(120),
        "a loss halt",
        |records| {
            decisions(records).iter().any(|(_, decision)| {
                matches!(decision, Decision::RiskState(record)
                if record.state == RiskState::Halted
                    && record.reason == RiskStateReason::DailyLossStop)
            })
        },
    );
    wait_until(Duration::from_secs(10), "the control socket", || {
        run_dir.join("ctl.sock").exists()
    });

    // A plain resume is refused and says what is missing; it is journaled all the same.
    let (code, plain) = ctl(&run_dir, &["resume"]);
    assert_eq!(code, Some(1), "{plain}");
    assert_eq!(plain["ok"], false);
    assert!(
        plain["error"]
            .as_str()
            .unwrap()
            .contains("--confirm-daily-loss"),
        "{plain}"
    );
    assert_eq!(plain["status"]["risk"], "HALTED");
    let plain_seq = plain["seq"].as_u64().unwrap();

    // With the confirmation the engine lifts it unless the day's loss is still beyond the
    // stop (then the answer says so).
    let (code, confirmed) = ctl(&run_dir, &["resume", "--confirm-daily-loss"]);
    let confirmed_seq = confirmed["seq"].as_u64().unwrap();
    if confirmed["ok"] == true {
        assert_eq!(code, Some(0));
        assert_eq!(confirmed["status"]["risk"], "ACTIVE", "{confirmed}");
    } else {
        assert_eq!(code, Some(1));
        assert!(
            confirmed["error"]
                .as_str()
                .unwrap()
                .contains("still beyond the stop"),
            "{confirmed}"
        );
    }
    std::thread::sleep(Duration::from_secs(1));
    signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(60));
    // Still HALTED (the confirmation was refused): 6, or 3 when an order of ours was left
    // resting; lifted, the run may end ACTIVE (0) or halt again on a further loss.
    let allowed: &[i32] = if confirmed["ok"] == true {
        &[0, 3, 6]
    } else {
        &[3, 6]
    };
    assert!(
        output
            .status
            .code()
            .is_some_and(|code| allowed.contains(&code)),
        "exit {:?}, allowed {allowed:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );

    let records = read_all_records(&run_dir).unwrap();
    let operators = operator_inputs(&records);
    assert_eq!(operators.len(), 2);
    assert_eq!(operators[0].0, plain_seq);
    assert!(!operators[0].1.confirm_daily_loss);
    assert_eq!(operators[1].0, confirmed_seq);
    assert!(operators[1].1.confirm_daily_loss);
    assert!(decisions(&records).iter().any(|(seq, decision)| *seq == plain_seq
        && matches!(decision, Decision::ResumeRefused { state } if *state == RiskState::Halted)));
    replay_identical(&run_dir);

    // One alert per HALT in the journal, the first naming the daily loss stop.
    let halts: Vec<RiskStateReason> = decisions(&records)
        .iter()
        .filter_map(|(_, decision)| match decision {
            Decision::RiskState(record) if record.state == RiskState::Halted => Some(record.reason),
            _ => None,
        })
        .collect();
    let payloads: Vec<serde_json::Value> = std::fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let halt_alerts: Vec<&serde_json::Value> = payloads
        .iter()
        .filter(|payload| payload["kind"] == "halt")
        .collect();
    assert_eq!(halt_alerts.len(), halts.len(), "{payloads:?}");
    assert_eq!(halt_alerts[0]["reason"], "daily_loss_stop");
    assert!(halt_alerts[0]["detail"]["day_realized_net_micros"].is_i64());
}

#[test]
fn ctl_flatten_unwinds_every_position_on_the_exchange() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("journal");
    std::fs::create_dir_all(&root).unwrap();
    let exchange = TestExchange::start(43, &dir.path().join("keys"));
    let user = exchange.bot_user();
    let run_dir = root.join("run-flatten");
    // Exits go out at the opposite touch only inside the price collar; with the collar wide
    // open every position can be unwound whatever the book looks like.
    let child = spawn_bot(
        &exchange,
        &run_dir,
        &[
            "--seed",
            "43",
            "--set",
            "engine.risk.price_collar_micros=1000000",
        ],
    );

    // Trade until the account holds a position.
    wait_until(Duration::from_secs(120), "a position", || {
        run_dir.join("ctl.sock").exists()
            && exchange
                .positions(user)
                .iter()
                .any(|(_, position)| position.centi() != 0)
    });
    // A model value through the control socket is checked and journaled like a file line.
    let ticker = exchange
        .positions(user)
        .into_iter()
        .find(|(_, position)| position.centi() != 0)
        .map(|(ticker, _)| ticker)
        .unwrap();
    let now_s = wall_ns() / 1_000_000_000;
    let (code, fed) = ctl(&run_dir, &["model", &format!("{now_s},{ticker},0.55")]);
    assert_eq!(code, Some(0), "{fed}");
    let (code, bad) = ctl(&run_dir, &["model", "not a model line"]);
    assert_eq!(code, Some(1), "{bad}");
    assert!(
        bad["error"].as_str().unwrap().contains("malformed"),
        "{bad}"
    );
    let records = read_all_records(&run_dir).unwrap();
    assert!(inputs(&records).any(|(_, event)| *event
        == Event::ModelProbability {
            ticker: ticker.clone(),
            probability_ppm: 550_000,
        }));

    let (code, flattened) = ctl(&run_dir, &["flatten"]);
    assert_eq!(code, Some(0), "{flattened}");
    let flatten_seq = flattened["seq"].as_u64().unwrap();
    let started = Instant::now();
    while !exchange
        .positions(user)
        .iter()
        .all(|(_, position)| position.centi() == 0)
    {
        if started.elapsed() > Duration::from_secs(60) {
            let records = read_all_records(&run_dir).unwrap();
            let mut why = String::new();
            for (seq, decision) in decisions(&records) {
                if seq < flatten_seq {
                    continue;
                }
                let text = format!("{decision}");
                if text.contains("RISK") || text.contains("EV") || text.contains("ORDER") {
                    why.push_str(&format!("{seq}: {text}\n"));
                }
            }
            let tail: String = why.lines().rev().take(40).collect::<Vec<_>>().join("\n");
            panic!(
                "positions not flat after flatten: {:?}\n{tail}",
                exchange.positions(user)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let records = read_all_records(&run_dir).unwrap();
    assert_eq!(
        operator_inputs(&records)
            .iter()
            .filter(|(_, control)| control.command == ControlCommand::Flatten)
            .count(),
        1
    );
    // Every order placed after the flatten is a reduce-only exit.
    let after: Vec<_> = commands(&records)
        .into_iter()
        .filter_map(|(seq, command)| match command {
            EngineCommand::Place(order) if seq >= flatten_seq => Some(order),
            _ => None,
        })
        .collect();
    assert!(!after.is_empty(), "exits were sent");
    assert!(
        after
            .iter()
            .all(|order| order.reduce_only && !order.post_only)
    );
    assert!(
        decisions(&records)
            .iter()
            .any(|(_, decision)| matches!(decision,
        Decision::RiskState(state)
            if state.state == RiskState::Reducing
                && state.reason == RiskStateReason::OperatorFlatten))
    );

    signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(60));
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    replay_identical(&run_dir);
}
