//! Operator controls sent to a running bot (`Event::Operator`): a halt cancels the quotes in
//! its step and places nothing until a resume; a resume lifts an operator's own halt at once,
//! but a HALT that the daily loss stop (or a previous run) caused stays until the operator
//! confirms it.

mod support;

use kalshi_core::commands::Command;
use kalshi_core::decision::Decision;
use kalshi_core::engine::Output;
use kalshi_core::events::{
    ControlCommand, Event, LiveSetting, OperatorControl, OperatorSet, OrderAck, RequestKind,
};
use kalshi_core::risk::{RiskState, RiskStateReason, RiskStateRecord};
use kalshi_core::{Count, Money};
use support::{Harness, cancelled, placed};

const TICKER: &str = "KXOPS-1";

fn operator(command: ControlCommand, confirm_daily_loss: bool) -> Event {
    Event::Operator(OperatorControl {
        peer_uid: 1000,
        command,
        confirm_daily_loss,
    })
}

fn quoting() -> (Harness, Output) {
    let mut h = Harness::new();
    h.send(Event::Config(Box::new(support::quoting_config("op"))));
    h.send(Event::MarketListing(vec![support::listing(
        TICKER, "KXOPS", "ops",
    )]));
    h.send(Event::Reconciled {
        orders: Vec::new(),
        positions: Vec::new(),
    });
    let output = h.send(support::one_level_book(TICKER, "0.40", "0.50", 1));
    for command in &output.commands {
        if let Command::Place(order) = command {
            h.send(Event::OrderAck(OrderAck {
                client_order_id: order.client_order_id.clone(),
                order_id: format!("ex-{}", order.client_order_id),
                request: RequestKind::Place,
                fill_count: Count::ZERO,
                remaining_count: order.count,
            }));
        }
    }
    (h, output)
}

fn refused(output: &Output) -> bool {
    output
        .decisions
        .iter()
        .any(|decision| matches!(decision, Decision::ResumeRefused { state } if *state == RiskState::Halted))
}

#[test]
fn an_operator_halt_cancels_in_its_step_and_a_resume_quotes_again() {
    let (mut h, first) = quoting();
    assert!(
        !placed(&first).is_empty(),
        "the engine quotes before the halt"
    );

    let halt = h.send(operator(ControlCommand::Halt, false));
    assert!(halt.decisions.iter().any(|decision| matches!(decision,
        Decision::RiskState(record) if record.state == RiskState::Halted
            && record.reason == RiskStateReason::OperatorHalt)));
    assert_eq!(cancelled(&halt).len(), placed(&first).len());
    assert!(placed(&halt).is_empty());
    assert_eq!(h.engine.risk_state(), RiskState::Halted);
    assert!(!h.engine.resume_needs_confirmation());

    let book = h.send(support::one_level_book(TICKER, "0.41", "0.50", 2));
    assert!(placed(&book).is_empty(), "nothing is placed while halted");

    let resume = h.send(operator(ControlCommand::Resume, false));
    assert!(!refused(&resume));
    assert_eq!(h.engine.risk_state(), RiskState::Active);
    assert!(
        !placed(&resume).is_empty(),
        "the resume quotes again in its step"
    );
}

#[test]
fn the_kill_switch_cancels_everything_on_the_account() {
    let (mut h, _) = quoting();
    let kill = h.send(operator(ControlCommand::KillSwitch, false));
    assert!(
        kill.commands
            .iter()
            .any(|command| matches!(command, Command::CancelAll))
    );
    assert_eq!(h.engine.risk_state(), RiskState::Halted);
}

#[test]
fn a_daily_loss_halt_needs_the_confirmation_to_lift() {
    let (mut h, _) = quoting();
    h.send(Event::RiskStateRestored(RiskStateRecord {
        state: RiskState::Halted,
        reason: RiskStateReason::DailyLossStop,
        day_realized_net: Money::ZERO,
    }));
    assert!(h.engine.resume_needs_confirmation());

    let plain = h.send(operator(ControlCommand::Resume, false));
    assert!(refused(&plain));
    assert!(placed(&plain).is_empty());
    assert_eq!(h.engine.risk_state(), RiskState::Halted);

    let confirmed = h.send(operator(ControlCommand::Resume, true));
    assert!(!refused(&confirmed));
    assert_eq!(h.engine.risk_state(), RiskState::Active);
    assert!(!placed(&confirmed).is_empty());
    assert!(!h.engine.resume_needs_confirmation());
}

fn set(setting: LiveSetting) -> Event {
    Event::OperatorSet(OperatorSet {
        peer_uid: 1000,
        setting,
    })
}

fn verdict(output: &Output) -> Option<(bool, String)> {
    output.decisions.iter().find_map(|decision| match decision {
        Decision::OperatorSetting {
            applied, reason, ..
        } => Some((*applied, reason.clone())),
        _ => None,
    })
}

#[test]
fn live_settings_tighten_risk_limits_and_refuse_to_loosen_them() {
    let (mut h, _) = quoting();
    let limit = support::quoting_config("op").risk.order_contracts_max;

    let looser = h.send(set(LiveSetting::OrderContractsMax(
        Count::from_centi(limit.centi() + 100).unwrap(),
    )));
    let (applied, reason) = verdict(&looser).unwrap();
    assert!(!applied);
    assert!(reason.contains("only tighten"), "{reason}");
    assert!(looser.commands.is_empty());

    // One contract per order: the next quotes are sized down in the same step.
    let tighter = h.send(set(LiveSetting::OrderContractsMax(
        Count::from_centi(100).unwrap(),
    )));
    assert_eq!(verdict(&tighter), Some((true, String::new())));
    for command in &tighter.commands {
        if let Command::Place(order) = command {
            assert!(order.count.centi() <= 100, "{order:?}");
        }
    }

    // The edge may move either way; a negative one fails validation.
    let edge = h.send(set(LiveSetting::MinEdgeMicros(1_000)));
    assert_eq!(verdict(&edge).map(|(applied, _)| applied), Some(true));
    let negative = h.send(set(LiveSetting::MinEdgeMicros(-1)));
    assert_eq!(verdict(&negative).map(|(applied, _)| applied), Some(false));
}
