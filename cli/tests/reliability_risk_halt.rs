//! Risk: a daily loss stop trips in the step of the event that made the loss, nothing is
//! placed after it, and a restarted run starts HALTED (its risk state restored from the
//! halted run) and places nothing.

mod reliability_support;

use std::time::Duration;

use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::decision::Decision;
use kalshi_core::engine::Engine;
use kalshi_core::events::{Event, TimerKind};
use kalshi_core::order_manager::InFlight;
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
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
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
        Some(0),
        "{}",
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
}
