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

/// Answers `commands` as the exchange would (cancels confirmed, places acknowledged, others
/// left unanswered), following the engine's replies; returns the reduce-only exits sent.
fn exchange_answers(
    h: &mut Harness,
    commands: Vec<Command>,
) -> Vec<kalshi_core::commands::PlaceOrder> {
    let mut exits = Vec::new();
    let mut pending: std::collections::VecDeque<Command> = commands.into_iter().collect();
    while let Some(command) = pending.pop_front() {
        let reply = match command {
            Command::Cancel(cancel) => Event::CancelAck(kalshi_core::events::CancelAck {
                client_order_id: cancel.client_order_id.clone(),
                order_id: cancel.order_id.clone().unwrap_or_default(),
                reduced_by: Count::from_centi(700).unwrap(),
            }),
            Command::Place(order) if order.reduce_only => {
                exits.push((*order).clone());
                continue;
            }
            Command::Place(order) => Event::OrderAck(OrderAck {
                client_order_id: order.client_order_id.clone(),
                order_id: format!("ex-{}", order.client_order_id),
                request: RequestKind::Place,
                fill_count: Count::ZERO,
                remaining_count: order.count,
            }),
            _ => continue,
        };
        pending.extend(h.send(reply).commands);
    }
    exits
}

#[test]
fn flatten_cancels_goes_reducing_and_exits_each_position_at_the_opposite_touch() {
    let (mut h, first) = quoting();
    let bid = first
        .commands
        .iter()
        .find_map(|command| match command {
            Command::Place(order) if order.side == kalshi_core::BookSide::Bid => {
                Some(order.clone())
            }
            _ => None,
        })
        .expect("a resting bid");
    // Our bid fills 3 contracts: long 3 YES.
    let fill = h.send(Event::OwnFill(kalshi_core::market_data::OwnFill {
        fill_id: "f-1".to_string(),
        order_id: format!("ex-{}", bid.client_order_id),
        client_order_id: Some(bid.client_order_id.to_string()),
        ticker: TICKER.to_string(),
        side: kalshi_core::BookSide::Bid,
        yes_price: bid.price,
        count: Count::from_centi(300).unwrap(),
        is_taker: false,
        fee: Money::ZERO,
        post_position: None,
        ts_ns: h.ts_ns,
    }));
    // The exchange answers what the ladder sent after the fill.
    assert!(exchange_answers(&mut h, fill.commands).is_empty());

    let flatten = h.send(operator(ControlCommand::Flatten, false));
    assert!(flatten.decisions.iter().any(|decision| matches!(decision,
        Decision::RiskState(record) if record.state == RiskState::Reducing
            && record.reason == RiskStateReason::OperatorFlatten)));
    let cancels: Vec<_> = flatten
        .commands
        .iter()
        .filter_map(|command| match command {
            Command::Cancel(cancel) => Some(cancel.clone()),
            _ => None,
        })
        .collect();
    assert!(!cancels.is_empty(), "our quotes are cancelled");
    assert!(
        placed(&flatten).is_empty(),
        "no exit while our own asks may still sell: {:?}",
        flatten.commands
    );
    assert_eq!(h.engine.risk_state(), RiskState::Reducing);
    // As the exchange confirms the cancels, the exit goes out once no order of ours sells.
    let exits = exchange_answers(&mut h, flatten.commands);
    assert_eq!(exits.len(), 1, "{exits:?}");
    let exit = &exits[0];
    assert_eq!(
        exit.side,
        kalshi_core::BookSide::Ask,
        "sells the long position"
    );
    assert_eq!(exit.price, support::price("0.40"), "at the opposite touch");
    assert_eq!(exit.count, Count::from_centi(300).unwrap());
    assert!(exit.reduce_only && !exit.post_only);
    // A book change while the exit is in flight sends nothing more.
    let book = h.send(support::one_level_book(TICKER, "0.40", "0.50", 3));
    assert!(placed(&book).is_empty(), "{:?}", book.commands);

    // A daily-loss HALT is not lifted by a flatten.
    let (mut halted, _) = quoting();
    halted.send(Event::RiskStateRestored(RiskStateRecord {
        state: RiskState::Halted,
        reason: RiskStateReason::DailyLossStop,
        day_realized_net: Money::ZERO,
    }));
    let refused_flatten = halted.send(operator(ControlCommand::Flatten, false));
    assert!(refused(&refused_flatten));
    assert_eq!(halted.engine.risk_state(), RiskState::Halted);
}

#[test]
fn rung_sizes_and_the_spread_threshold_change_live() {
    let (mut h, first) = quoting();
    assert!(
        first.commands.iter().any(|command| matches!(command,
            Command::Place(order) if order.count > Count::from_centi(100).unwrap())),
        "rungs start above one contract"
    );
    // A cap below the base size is refused by the configuration's own check.
    let refused_cap = h.send(set(LiveSetting::RungSizeCap(
        Count::from_centi(100).unwrap(),
    )));
    assert_eq!(
        verdict(&refused_cap).map(|(applied, _)| applied),
        Some(false)
    );
    let base = h.send(set(LiveSetting::RungBaseSize(
        Count::from_centi(100).unwrap(),
    )));
    assert_eq!(verdict(&base), Some((true, String::new())));
    let cap = h.send(set(LiveSetting::RungSizeCap(
        Count::from_centi(100).unwrap(),
    )));
    assert_eq!(verdict(&cap), Some((true, String::new())));
    // The ladder re-lays at the smaller base size in the same step: every rung it places,
    // amends or decreases is smaller than any rung before.
    let smallest_before = first
        .commands
        .iter()
        .filter_map(|command| match command {
            Command::Place(order) => Some(order.count),
            _ => None,
        })
        .min()
        .unwrap();
    let mut resized = 0;
    for command in &base.commands {
        let size = match command {
            Command::Place(order) => order.count,
            Command::Amend(amend) => amend.total_count,
            Command::Decrease(decrease) => decrease.reduce_to,
            _ => continue,
        };
        resized += 1;
        assert!(size < smallest_before, "{command:?}");
    }
    assert!(
        resized > 0,
        "the working rungs were resized: {:?}",
        base.commands
    );

    // With the live filters a run sends (its tuning), a spread threshold the 10¢ book is
    // wider than stops quoting the market at once.
    h.send(Event::TuningSettings(
        kalshi_core::tuning::Tuning::default().settings(),
    ));
    let narrow = h.send(set(LiveSetting::SpreadTicksMax(2)));
    assert_eq!(verdict(&narrow), Some((true, String::new())));
    assert!(placed(&narrow).is_empty());
    assert!(
        !cancelled(&narrow).is_empty(),
        "the market's quotes are withdrawn: {:?}",
        narrow.commands
    );
}
