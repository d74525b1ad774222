//! The backtest driver with market close, trading pauses and order groups: closes run at the
//! listed close time inside the data and never after it, a pause cancels the quotes the engine
//! asked to be cancelled on pause, the configured order group is created and named by every
//! place, and each such backtest still verifies.

mod support;

use kalshi_core::commands::Command;
use kalshi_core::events::{Envelope, Event, RequestKind};
use kalshi_core::market_data::ExchangeOrderStatus;
use kalshi_journal::JournalRecord;
use kalshi_replay::backtest::{
    BACKTEST_ORDER_GROUP_ID, BacktestConfig, BacktestOutcome, run_backtest,
};
use kalshi_replay::fill_sim::{CLOSE_CANCEL, HALT_CANCEL};
use kalshi_replay::progress::NoProgress;
use kalshi_replay::record::VecSource;
use kalshi_replay::verify::verify;
use support::{START_NS, contracts, engine_config, listing, market_data};

const S: i64 = 1_000_000_000;
const STEPS: u64 = 900;

/// A backtest whose market closes at `close_ns`; the engine quotes up to the close (no
/// wind-down, no minimum time to close), so quotes rest when it comes.
fn config_closing_at(close_ns: i64) -> BacktestConfig {
    let mut engine = engine_config();
    engine.strategy.wind_down_before_close_ns = 0;
    engine.scanner.time_to_close_min_ns = 0;
    engine.scanner.near_resolved_close_within_ns = 0;
    // The synthetic tape fills quotes fast: keep the fill-burst breaker out of the way so
    // the engine is still quoting at the close or pause.
    engine.risk.fill_burst_contracts_max = contracts(1_000_000);
    let mut config = BacktestConfig::new(engine);
    let mut info = listing();
    info.close_time_ns = Some(close_ns);
    config.listings = vec![info];
    config
}

fn run(data: &[Envelope], config: &BacktestConfig) -> BacktestOutcome {
    let outcome = run_backtest(data, config, &NoProgress).unwrap();
    let report = verify(&mut VecSource::new(outcome.records.clone()), &NoProgress).unwrap();
    assert!(report.is_match(), "{:?}", report.divergence);
    assert_eq!(report.output_digest, outcome.output_digest);
    outcome
}

fn inputs(outcome: &BacktestOutcome) -> impl Iterator<Item = &Envelope> {
    outcome.records.iter().filter_map(|record| match record {
        JournalRecord::Input(envelope) => Some(envelope),
        _ => None,
    })
}

/// Orders the simulated exchange cancelled on its own with `reason`, with when.
fn cancelled_for(outcome: &BacktestOutcome, reason: &str) -> Vec<(i64, String)> {
    inputs(outcome)
        .filter_map(|envelope| match &envelope.event {
            Event::OrderSnapshot(snapshot)
                if snapshot.status == ExchangeOrderStatus::Canceled
                    && snapshot.last_update_reason.as_deref() == Some(reason) =>
            {
                Some((envelope.ts_ns, snapshot.client_order_id.clone().unwrap()))
            }
            _ => None,
        })
        .collect()
}

/// Times of the places the simulated exchange accepted.
fn accepted_places(outcome: &BacktestOutcome) -> Vec<i64> {
    inputs(outcome)
        .filter_map(|envelope| match &envelope.event {
            Event::OrderAck(ack) if ack.request == RequestKind::Place => Some(envelope.ts_ns),
            _ => None,
        })
        .collect()
}

#[test]
fn a_close_inside_the_data_cancels_the_resting_quotes_and_nothing_trades_after_it() {
    let close_ns = START_NS + 300 * S;
    let outcome = run(&market_data(STEPS, 7), &config_closing_at(close_ns));
    let closed = cancelled_for(&outcome, CLOSE_CANCEL);
    // Cancelled at the close; the engine's own cancels, sent too late, find nothing and its
    // lookups read the same final state afterwards.
    assert!(
        closed.iter().any(|(ts_ns, _)| *ts_ns == close_ns),
        "the quotes resting at the close were cancelled"
    );
    assert!(closed.iter().all(|(ts_ns, _)| *ts_ns >= close_ns));
    assert!(
        accepted_places(&outcome)
            .iter()
            .all(|ts_ns| *ts_ns < close_ns)
    );
    assert!(inputs(&outcome).all(|envelope| match &envelope.event {
        Event::OwnFill(_) => envelope.ts_ns < close_ns,
        Event::OrderRejected(rejected) if rejected.request == RequestKind::Place => {
            envelope.ts_ns >= close_ns && rejected.code == "market_not_active"
        }
        _ => true,
    }));
}

#[test]
fn a_close_after_the_data_changes_nothing() {
    let data = market_data(STEPS, 7);
    let far = run(&data, &config_closing_at(START_NS + 100_000 * S));
    // The last input is at STEPS s; actions still pending then are due 50 ms later.
    let after_data = run(&data, &config_closing_at(START_NS + (STEPS as i64 + 1) * S));
    assert_eq!(after_data.output_digest, far.output_digest);
    assert!(cancelled_for(&after_data, CLOSE_CANCEL).is_empty());
}

#[test]
fn a_trading_pause_cancels_the_quotes_and_refuses_places_until_it_ends() {
    let (pause_ns, resume_ns) = (START_NS + 300 * S, START_NS + 400 * S);
    let mut data = market_data(STEPS, 7);
    let position = |ts_ns: i64, data: &[Envelope]| {
        data.iter()
            .position(|envelope| envelope.ts_ns > ts_ns)
            .unwrap()
    };
    let at = position(pause_ns, &data);
    data.insert(
        at,
        Envelope {
            seq: 0,
            ts_ns: pause_ns,
            event: Event::ExchangeStatus {
                trading_active: false,
            },
        },
    );
    let at = position(resume_ns, &data);
    data.insert(
        at,
        Envelope {
            seq: 0,
            ts_ns: resume_ns,
            event: Event::ExchangeStatus {
                trading_active: true,
            },
        },
    );
    let outcome = run(&data, &config_closing_at(START_NS + 100_000 * S));
    let halted = cancelled_for(&outcome, HALT_CANCEL);
    assert!(
        halted.iter().any(|(ts_ns, _)| *ts_ns == pause_ns),
        "the resting quotes were cancelled by the pause"
    );
    assert!(halted.iter().all(|(ts_ns, _)| *ts_ns >= pause_ns));
    let places = accepted_places(&outcome);
    assert!(
        places
            .iter()
            .all(|ts_ns| *ts_ns < pause_ns || *ts_ns > resume_ns)
    );
    assert!(
        places.iter().any(|ts_ns| *ts_ns > resume_ns),
        "quoting resumed after the pause"
    );
}

#[test]
fn a_configured_order_group_limit_is_created_and_named_by_every_place() {
    let mut config = config_closing_at(START_NS + 100_000 * S);
    let risk = &config.engine.risk;
    config.engine.orders.order_group_contracts_limit =
        Some(risk.fill_burst_contracts_max + risk.order_contracts_max);
    let outcome = run(&market_data(STEPS, 7), &config);
    let JournalRecord::RunStarted(started) = &outcome.records[0] else {
        panic!("a backtest journal starts with RunStarted");
    };
    assert_eq!(
        started.config.orders.order_group_id.as_deref(),
        Some(BACKTEST_ORDER_GROUP_ID)
    );
    let places: Vec<&Command> = outcome
        .records
        .iter()
        .filter_map(|record| match record {
            JournalRecord::OutputCommand { command, .. } => Some(command),
            _ => None,
        })
        .filter(|command| matches!(command, Command::Place(_)))
        .collect();
    assert!(!places.is_empty());
    assert!(places.iter().all(|command| match command {
        Command::Place(place) => place.order_group_id.as_deref() == Some(BACKTEST_ORDER_GROUP_ID),
        _ => false,
    }));
}
