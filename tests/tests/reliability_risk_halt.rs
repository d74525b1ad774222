//! Risk: a daily loss stop trips in the step of the event that made the loss, nothing is
//! placed after it, and a restarted run starts HALTED (its risk state restored from the
//! halted run) and places nothing — also when the halted run's journal is damaged, across
//! restarts, and when the state can only come from journals that cannot be read (then every
//! start refuses until an operator clears it, which the journal records).

mod reliability_support;

use std::time::Duration;

use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::decision::Decision;
use kalshi_core::engine::Engine;
use kalshi_core::events::{Event, TimerKind};
use kalshi_core::orders::InFlight;
use kalshi_core::risk::{RiskState, RiskStateReason};
use kalshi_journal::typed_reader::read_all_records;
use reliability_support::{
    TestExchange, commands, decisions, first_reconciled_seq, inputs, journal_verify, signal,
    soak_seeds, spawn_bot, wait_for_journal, wait_with_limit,
};

/// A one-micro-dollar loss stop: the first loss of any size halts.
const TINY_LOSS_STOP: [&str; 4] = [
    "--set",
    "engine.risk.daily_loss_stop=0.000001",
    "--set",
    "engine.risk.daily_loss_reducing=0.000001",
];

fn halted_by_loss(decision: &Decision) -> bool {
    matches!(decision, Decision::RiskState(record)
        if record.state == RiskState::Halted && record.reason == RiskStateReason::DailyLossStop)
}

#[test]
fn a_daily_loss_stop_halts_in_the_losing_step_and_stays_halted_after_a_restart() {
    for seed in soak_seeds(31) {
        halt_and_restart(seed);
    }
}

fn halt_and_restart(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("journal");
    std::fs::create_dir_all(&root).unwrap();
    let exchange = TestExchange::start(seed, &dir.path().join("keys"));

    let run_dir = root.join("run-1");
    let child = spawn_bot(
        &exchange,
        &run_dir,
        &[&["--seed", "31"][..], &TINY_LOSS_STOP].concat(),
    );
    wait_for_journal(
        &run_dir,
        Duration::from_secs(90),
        "a loss halt",
        |records| {
            decisions(records)
                .iter()
                .any(|(_, decision)| halted_by_loss(decision))
        },
    );
    std::thread::sleep(Duration::from_secs(1));
    signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(6),
        "a HALTED run exits 6: {stderr}"
    );
    assert!(
        stderr.contains("ended HALTED") && stderr.contains("daily_loss_stop"),
        "{stderr}"
    );
    let records = read_all_records(&run_dir).unwrap();
    let (halt_input_seq, halt_record_seq) = records
        .iter()
        .find_map(|record| match &record.record {
            kalshi_journal::JournalRecord::OutputDecision {
                decision,
                input_seq,
                ..
            } if halted_by_loss(decision) => Some((*input_seq, record.seq)),
            _ => None,
        })
        .unwrap();
    // The halt is an output of the step that saw the loss: an own fill (realized loss), a
    // market-data event that moves the mark of a held market, or the periodic tick — and that
    // same step cancels our quotes.
    let (_, trigger) = inputs(&records)
        .find(|(seq, _)| *seq == halt_input_seq)
        .unwrap();
    assert!(
        matches!(
            trigger,
            Event::OwnFill(_)
                | Event::BookDelta(_)
                | Event::BookSnapshot(_)
                | Event::BookInvalidated { .. }
                | Event::PublicTrade(_)
                | Event::Timer {
                    kind: TimerKind::Tick
                }
        ),
        "halted on {trigger:?}"
    );
    assert!(
        inputs(&records)
            .take_while(|(seq, _)| *seq <= halt_input_seq)
            .any(|(_, event)| matches!(event, Event::OwnFill(_))),
        "halted before any fill"
    );
    let cancels_in_halt_step = records
        .iter()
        .filter(|record| {
            matches!(
                &record.record,
                kalshi_journal::JournalRecord::OutputCommand {
                    input_seq,
                    command: EngineCommand::Cancel(_),
                    ..
                } if *input_seq == halt_input_seq
            )
        })
        .count();
    // Whatever was live when the loss hit is being cancelled by the end of that step: replay
    // the journal's inputs through a fresh engine up to the halting input and look at every
    // live order of ours. (Zero cancels is right when nothing rested at that instant, e.g. the
    // fill took the only quote — so the check is on the orders, not on a cancel count.)
    let mut engine = Engine::new();
    for record in &records {
        if let kalshi_journal::JournalRecord::Input(envelope) = &record.record {
            engine.process(envelope);
            if envelope.seq == halt_input_seq {
                break;
            }
        }
    }
    let still_working: Vec<String> = engine
        .orders()
        .live_orders()
        .filter(|order| {
            order.managed
                && !order.cancel_requested
                && !matches!(order.in_flight, Some(InFlight::Cancel))
        })
        .map(|order| format!("{:?} {:?}", order.client_order_id, order.status))
        .collect();
    assert!(
        still_working.is_empty(),
        "the halting step left quotes working: {still_working:?}"
    );
    eprintln!(
        "risk halt: tripped on {}, {cancels_in_halt_step} cancels in the same step",
        if matches!(trigger, Event::OwnFill(_)) {
            "a fill"
        } else {
            "a tick"
        }
    );
    let late_places: Vec<u64> = commands(&records)
        .into_iter()
        .filter(|(seq, command)| {
            *seq > halt_record_seq && matches!(command, EngineCommand::Place(_))
        })
        .map(|(seq, _)| seq)
        .collect();
    assert!(
        late_places.is_empty(),
        "placed after the halt: {late_places:?}"
    );

    // The restart, with ordinary limits: the HALT comes back from run-1 and holds.
    let restart_dir = root.join("run-2");
    let child = spawn_bot(&exchange, &restart_dir, &["--seed", "31"]);
    wait_for_journal(
        &restart_dir,
        Duration::from_secs(60),
        "reconciliation",
        |records| first_reconciled_seq(records).is_some(),
    );
    std::thread::sleep(Duration::from_secs(4));
    signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(30));
    assert_eq!(
        output.status.code(),
        Some(6),
        "the restored HALT holds to the end: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (code, text) = journal_verify(&restart_dir);
    assert_eq!(code, Some(0), "{text}");
    let records = read_all_records(&restart_dir).unwrap();
    assert!(
        inputs(&records).any(|(_, event)| matches!(
            event,
            Event::RiskStateRestored(record) if record.state == RiskState::Halted
        )),
        "the restart did not restore the HALT"
    );
    assert!(
        decisions(&records).iter().any(|(_, decision)| matches!(
            decision,
            Decision::RiskState(record) if record.state == RiskState::Halted
        )),
        "no HALTED risk state decision in the restart"
    );
    let places = commands(&records)
        .into_iter()
        .filter(|(_, command)| matches!(command, EngineCommand::Place(_)))
        .count();
    assert_eq!(places, 0, "a halted restart placed orders");

    forgotten_halt_cannot_happen(&exchange, &root, &run_dir);
}

/// Flips one byte in the middle of every sealed segment of `run_dir`.
fn damage_journal(run_dir: &std::path::Path) {
    let mut damaged = 0;
    for entry in std::fs::read_dir(run_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "parquet") {
            let mut bytes = std::fs::read(&path).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x5a;
            std::fs::write(&path, bytes).unwrap();
            damaged += 1;
        }
    }
    assert!(damaged > 0, "no sealed segment in {}", run_dir.display());
}

/// One restart against the same journal root: exit code, stderr, and the places it journaled
/// (`None` when it refused before journaling a configuration).
fn restart(
    exchange: &TestExchange,
    run_dir: &std::path::Path,
    extra: &[&str],
) -> (Option<i32>, String, Option<usize>) {
    let child = spawn_bot(exchange, run_dir, &[&["--seed", "31"][..], extra].concat());
    let ready = std::time::Instant::now();
    // A refused start ends by itself; a started one is stopped once it has reconciled and
    // had a few seconds to quote.
    let mut child = Some(child);
    while ready.elapsed() < Duration::from_secs(60) {
        let reconciled =
            read_all_records(run_dir).is_ok_and(|records| first_reconciled_seq(&records).is_some());
        let exited = child
            .as_mut()
            .is_some_and(|child| child.try_wait().unwrap().is_some());
        if exited {
            break;
        }
        if reconciled {
            std::thread::sleep(Duration::from_secs(3));
            if let Some(child) = child.as_ref() {
                signal(child, "-TERM");
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = wait_with_limit(child.take().unwrap(), Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let places = read_all_records(run_dir).ok().map(|records| {
        commands(&records)
            .into_iter()
            .filter(|(_, command)| matches!(command, EngineCommand::Place(_)))
            .count()
    });
    (output.status.code(), stderr, places)
}

fn forgotten_halt_cannot_happen(
    exchange: &TestExchange,
    root: &std::path::Path,
    halted_run: &std::path::Path,
) {
    let risk_file = root.join("risk-state-sim.json");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&risk_file).unwrap()).unwrap();
    assert_eq!(stored["record"]["state"], "halted", "{stored}");

    // The halted run's journal becomes unreadable: the state lives beside the journals, so two
    // restarts in a row come back HALTED and place nothing.
    damage_journal(halted_run);
    for name in ["run-3", "run-4"] {
        let dir = root.join(name);
        let (code, stderr, places) = restart(exchange, &dir, &[]);
        assert_eq!(code, Some(6), "{name} ends HALTED: {stderr}");
        assert_eq!(
            places,
            Some(0),
            "{name} placed orders after a HALT: {stderr}"
        );
        let records = read_all_records(&dir).unwrap();
        assert!(
            inputs(&records).any(|(_, event)| matches!(
                event,
                Event::RiskStateRestored(record) if record.state == RiskState::Halted
            )),
            "{name} did not restore the HALT"
        );
    }

    // Without the file the state must come from the journals; the newest that journaled one is
    // unreadable: every start refuses, and a refused start does not count as the newest run.
    std::fs::remove_file(&risk_file).unwrap();
    damage_journal(&root.join("run-4"));
    for name in ["run-5", "run-6"] {
        let (code, stderr, places) = restart(exchange, &root.join(name), &[]);
        assert_ne!(
            code,
            Some(0),
            "{name} started over an unreadable risk state"
        );
        assert!(stderr.contains("--fresh-risk-state"), "{name}: {stderr}");
        assert_eq!(places.unwrap_or(0), 0, "{name} placed orders");
    }
    assert!(!risk_file.exists(), "a refused start wrote the risk state");

    // The operator clears it explicitly; the journal says so.
    let dir = root.join("run-7");
    let (code, stderr, places) = restart(exchange, &dir, &["--fresh-risk-state"]);
    assert_eq!(code, Some(0), "{stderr}");
    let records = read_all_records(&dir).unwrap();
    assert!(
        inputs(&records).any(|(_, event)| matches!(
            event,
            Event::RiskStateRestored(record)
                if record.state == RiskState::Active
                    && record.reason == RiskStateReason::OperatorCleared
        )),
        "the operator's clearing is not journaled"
    );
    assert!(places.unwrap() > 0, "a cleared run did not trade");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&risk_file).unwrap()).unwrap();
    assert_eq!(stored["record"]["state"], "active", "{stored}");
}
