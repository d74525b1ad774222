//! The sequencer: local refusals journaled and replayed, a paper run against its backtest,
//! universe changes within a batch.

use kalshi_core::BookSide;
use kalshi_core::client_order_id::RunId;
use kalshi_core::config::EngineConfig;
use kalshi_core::fixed::{Count, Price};
use kalshi_core::market_data::PublicTrade;
use kalshi_core::market_data::{
    BookLevel, BookSnapshot, FeeParams, MarketInfo, MarketStatus, PriceRange,
};
use kalshi_journal::typed_reader::read_all_records;
use kalshi_journal::{JournalRecord, RunInfo, RunStarted, WalConfig};

use super::*;

const T0: i64 = 1_793_491_200_000_000_000;
const DAY_NS: i64 = 86_400_000_000_000;

fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn contracts(n: i64) -> Count {
    Count::from_contracts(n).unwrap()
}

fn market() -> MarketInfo {
    MarketInfo {
        ticker: "KXTEST-26NOV01-A".to_string(),
        event_ticker: "KXTEST-26NOV01".to_string(),
        title: "Test market".to_string(),
        status: MarketStatus::Active,
        open_time_ns: Some(T0 - DAY_NS),
        close_time_ns: Some(T0 + DAY_NS),
        yes_bid: Some(price("0.45")),
        yes_bid_size: Some(contracts(100)),
        yes_ask: Some(price("0.50")),
        yes_ask_size: Some(contracts(100)),
        last_price: Some(price("0.47")),
        volume: contracts(5_000),
        volume_24h: contracts(1_000),
        open_interest: contracts(1_000),
        price_ranges: vec![PriceRange {
            start: price("0"),
            end: price("1"),
            step: price("0.01"),
        }],
        fee: Some(FeeParams {
            fee_type: "quadratic".to_string(),
            multiplier_ppm: 1_000_000,
        }),
        fractional_trading: false,
        result: None,
        settlement_value: None,
    }
}

fn book() -> BookSnapshot {
    let level = |p: &str, n: i64| BookLevel {
        price: price(p),
        size: contracts(n),
    };
    BookSnapshot {
        ticker: "KXTEST-26NOV01-A".to_string(),
        bids: vec![level("0.45", 100), level("0.44", 200)],
        asks: vec![level("0.50", 100), level("0.51", 200)],
        clock: Some(1),
    }
}

#[test]
fn commands_exec_cannot_take_are_journaled_as_local_rejections_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let config = EngineConfig {
        run_id: RunId::parse("test-run").unwrap(),
        ..EngineConfig::default()
    };
    let mut journal = TypedJournalWriter::create(
        &run_dir,
        RunInfo {
            run_id: "test-run".to_string(),
            build_id: "test".to_string(),
            config_hash: "0".to_string(),
            seed: 0,
            environment: "sim".to_string(),
            created_ts_ns: T0,
        },
        WalConfig::default(),
    )
    .unwrap();
    journal
        .append_run_started(RunStarted {
            run_id: "test-run".to_string(),
            build_id: "test".to_string(),
            config: config.clone(),
            environment: "sim".to_string(),
            seed: 0,
            started_ts_ns: T0,
        })
        .unwrap();
    let mut sequencer = Sequencer::new(Engine::new(), journal, Box::new(NoCommands), false);
    sequencer
        .step(T0, Event::Config(Box::new(config)), None)
        .unwrap();
    assert!(sequencer.config_accepted());
    sequencer
        .step(T0 + 1, Event::MarketListing(vec![market()]), None)
        .unwrap();
    assert_eq!(
        sequencer.take_universe_change().added,
        vec!["KXTEST-26NOV01-A".to_string()]
    );
    sequencer
        .step(T0 + 2, Event::BookSnapshot(book()), None)
        .unwrap();
    // An input stamped earlier than the previous one is journaled at the previous time.
    sequencer
        .step(
            T0,
            Event::Reconciled {
                orders: Vec::new(),
                positions: Vec::new(),
            },
            None,
        )
        .unwrap();
    assert!(
        sequencer.counters().places > 0,
        "the engine quoted the market"
    );
    sequencer.drain_local(T0 + 3).unwrap();
    assert_eq!(sequencer.open_orders(), 0, "every refused create is dead");
    let places = sequencer.counters().places;
    assert_eq!(sequencer.counters().refused_locally, places);
    sequencer.finish(T0 + 4, "test").unwrap();

    let records = read_all_records(&run_dir).unwrap();
    let mut last_ts = i64::MIN;
    let mut not_sent = 0;
    for record in &records {
        if let JournalRecord::Input(envelope) = &record.record {
            assert!(envelope.ts_ns >= last_ts, "input times never go back");
            last_ts = envelope.ts_ns;
            if let Event::OrderRejected(rejected) = &envelope.event {
                assert_eq!(rejected.code, "not_sent");
                not_sent += 1;
            }
        }
    }
    assert_eq!(not_sent, places);
    let mut source = kalshi_replay::journal_source::JournalSource::open(&run_dir).unwrap();
    let report =
        kalshi_replay::verify::verify(&mut source, &kalshi_replay::progress::NoProgress).unwrap();
    assert!(report.is_match(), "{:?}", report.divergence);
}

fn trade(taker: BookSide, p: &str, n: i64, ts_ns: i64) -> Event {
    Event::PublicTrade(PublicTrade {
        trade_id: format!("t-{ts_ns}"),
        ticker: "KXTEST-26NOV01-A".to_string(),
        yes_price: price(p),
        count: contracts(n),
        taker_side: taker,
        ts_ns,
    })
}

/// Paper fills as journaled: (input time, fill id, order id, side, price, count).
fn paper_fills<'a>(
    inputs: impl Iterator<Item = &'a kalshi_core::events::Envelope>,
) -> Vec<(i64, String, String, String, String, String)> {
    inputs
        .filter_map(|envelope| match &envelope.event {
            Event::OwnFill(fill) => Some((
                envelope.ts_ns,
                fill.fill_id.clone(),
                fill.order_id.clone(),
                fill.side.as_str().to_string(),
                fill.yes_price.to_string(),
                fill.count.to_string(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn a_paper_run_steps_simulated_answers_as_a_backtest_of_its_journal_does() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("paper");
    let config = EngineConfig {
        run_id: RunId::parse("paper-run").unwrap(),
        ..EngineConfig::default()
    };
    let mut journal = TypedJournalWriter::create(
        &run_dir,
        RunInfo {
            run_id: "paper-run".to_string(),
            build_id: "test".to_string(),
            config_hash: "0".to_string(),
            seed: 0,
            environment: "paper-sim".to_string(),
            created_ts_ns: T0,
        },
        WalConfig::default(),
    )
    .unwrap();
    journal
        .append_run_started(RunStarted {
            run_id: "paper-run".to_string(),
            build_id: "test".to_string(),
            config: config.clone(),
            environment: "paper-sim".to_string(),
            seed: 0,
            started_ts_ns: T0,
        })
        .unwrap();
    let fill_model = kalshi_replay::fill_sim::FillModelConfig::default();
    let mut sequencer = Sequencer::new(Engine::new(), journal, Box::new(NoCommands), false);
    sequencer.trade_on_paper(FillSimulator::new(fill_model.clone()).unwrap());
    let ms = 1_000_000;
    sequencer
        .step(T0, Event::Config(Box::new(config.clone())), None)
        .unwrap();
    let opening = [
        Event::Reconciled {
            orders: Vec::new(),
            positions: Vec::new(),
        },
        Event::ExchangeStatus {
            trading_active: true,
        },
        Event::MarketListing(vec![market()]),
        Event::BookSnapshot(book()),
    ];
    for event in opening {
        sequencer.step(T0, event, None).unwrap();
    }
    assert!(sequencer.counters().places > 0, "the engine quoted");
    assert_eq!(
        sequencer.counters().refused_locally,
        0,
        "nothing reached the sink"
    );
    let tick = || Event::Timer {
        kind: kalshi_core::events::TimerKind::Tick,
    };
    // Acks arrive at the entry latency (stepped before the next input); trades through
    // both sides then fill the resting quotes, a lag verdict comes and goes, and the
    // shutdown's cancels run after the last input.
    let later = [
        (T0 + 30 * ms, tick()),
        (T0 + 120 * ms, tick()),
        (
            T0 + 200 * ms,
            trade(BookSide::Ask, "0.40", 500, T0 + 200 * ms),
        ),
        (
            T0 + 210 * ms,
            trade(BookSide::Bid, "0.60", 500, T0 + 210 * ms),
        ),
        (
            T0 + 260 * ms,
            Event::FeedLag {
                lag_ms: 2_500,
                stale: true,
            },
        ),
        (T0 + 400 * ms, tick()),
        (
            T0 + 500 * ms,
            Event::FeedLag {
                lag_ms: 10,
                stale: false,
            },
        ),
        (T0 + 900 * ms, tick()),
        (
            T0 + 1_000 * ms,
            Event::Control(kalshi_core::events::ControlCommand::Shutdown),
        ),
    ];
    for (ts_ns, event) in later {
        sequencer.step_batched(ts_ns, event, None).unwrap();
    }
    sequencer.end_batch().unwrap();
    sequencer.run_paper_actions().unwrap();
    assert_eq!(
        sequencer.open_orders(),
        0,
        "the shutdown cancels took effect"
    );
    assert!(
        sequencer.counters().fills > 0,
        "the trades filled our quotes"
    );
    sequencer.finish(T0 + 2_000 * ms, "test").unwrap();

    let records = read_all_records(&run_dir).unwrap();
    let inputs: Vec<kalshi_core::events::Envelope> = records
        .iter()
        .filter_map(|record| match &record.record {
            JournalRecord::Input(envelope) => Some(envelope.clone()),
            _ => None,
        })
        .collect();
    let paper = paper_fills(inputs.iter());
    assert!(!paper.is_empty());
    let mut source = kalshi_replay::journal_source::JournalSource::open(&run_dir).unwrap();
    let report =
        kalshi_replay::verify::verify(&mut source, &kalshi_replay::progress::NoProgress).unwrap();
    assert!(report.is_match(), "{:?}", report.divergence);

    let mut backtest = kalshi_replay::backtest::BacktestConfig::new(config);
    backtest.fill_model = fill_model;
    backtest.fills = kalshi_replay::backtest::FillSource::Paper;
    let outcome = kalshi_replay::backtest::run_backtest(
        &inputs,
        &backtest,
        &kalshi_replay::progress::NoProgress,
    )
    .unwrap();
    let replayed: Vec<kalshi_core::events::Envelope> = outcome
        .records
        .iter()
        .filter_map(|record| match record {
            kalshi_journal::JournalRecord::Input(envelope) => Some(envelope.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(paper_fills(replayed.iter()), paper);
    // Every input after the opening three (which the backtest synthesizes itself) is
    // the same event at the same time, simulated answers included.
    let strip = |envelopes: &[kalshi_core::events::Envelope]| -> Vec<(i64, Event)> {
        envelopes
            .iter()
            .skip(3)
            .map(|envelope| (envelope.ts_ns, envelope.event.clone()))
            .collect()
    };
    assert_eq!(strip(&replayed), strip(&inputs));

    // Without the lag verdicts (a plain simulated backtest) the engine quotes while the
    // paper run's engine held, so the verdicts matter.
    backtest.fills = kalshi_replay::backtest::FillSource::Simulated;
    let plain = kalshi_replay::backtest::run_backtest(
        &inputs,
        &backtest,
        &kalshi_replay::progress::NoProgress,
    )
    .unwrap();
    assert_ne!(plain.output_digest, outcome.output_digest);
}

#[test]
fn universe_changes_cancel_out_within_one_batch() {
    let mut pending = UniverseChange::default();
    merge_change(&mut pending, vec!["A".into(), "B".into()], vec![]);
    merge_change(&mut pending, vec![], vec!["B".into(), "C".into()]);
    assert_eq!(pending.added, vec!["A".to_string()]);
    assert_eq!(pending.removed, vec!["C".to_string()]);
    merge_change(&mut pending, vec!["C".into()], vec![]);
    assert_eq!(pending.added, vec!["A".to_string(), "C".to_string()]);
    assert!(pending.removed.is_empty());
}
