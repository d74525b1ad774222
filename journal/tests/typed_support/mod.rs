//! Shared fixtures for the typed-record, ledger and forensics tests: a small market, a run
//! driven through the real engine with every record journaled, and hand-made events of every
//! kind.
#![allow(dead_code)]

use std::path::Path;

use kalshi_core::client_order_id::{ClientOrderId, RunId};
use kalshi_core::commands::{CancelOrder, Command, DecreaseOrder, PlaceOrder};
use kalshi_core::config::EngineConfig;
use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::{
    BookInvalidation, CancelAck, ControlCommand, Envelope, Event, OrderAck, OrderRejected,
    RequestKind, TimerKind,
};
use kalshi_core::market_data::{
    BookDelta, BookLevel, BookSnapshot, ExchangeOrderStatus, FeeParams, LifecycleChange,
    LifecycleKind, MarketInfo, MarketResult, MarketStatus, OrderSnapshot, OwnFill,
    PositionSnapshot, PriceRange, PublicTrade,
};
use kalshi_core::risk::{RiskState, RiskStateReason, RiskStateRecord};
use kalshi_core::{BookSide, Count, Money, Price, SignedCount};
use kalshi_journal::record::{JournalRecord, RawFrame, RawSource, RunStarted, SequencedRecord};
use kalshi_journal::{RunInfo, TypedJournalWriter, WalConfig};

pub const TICKER: &str = "KXTEST-1";
pub const RUN_ID: &str = "t1";
const CLOSE_NS: i64 = 2_000_000_000_000_000_000;

pub fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

pub fn count(contracts: i64) -> Count {
    Count::from_contracts(contracts).unwrap()
}

pub fn coid(text: &str) -> ClientOrderId {
    ClientOrderId::parse(text).unwrap()
}

pub fn run_info() -> RunInfo {
    RunInfo {
        run_id: RUN_ID.into(),
        build_id: "test-build".into(),
        config_hash: "cfg".into(),
        seed: 7,
        environment: "sim".into(),
        created_ts_ns: 1_000,
    }
}

pub fn engine_config() -> EngineConfig {
    let mut config = EngineConfig {
        run_id: RunId::parse(RUN_ID).unwrap(),
        ..EngineConfig::default()
    };
    config.scanner.volume_24h_min = Count::ZERO;
    config.scanner.open_interest_min = Count::ZERO;
    config
}

pub fn listing() -> MarketInfo {
    MarketInfo {
        ticker: TICKER.to_string(),
        event_ticker: "KXTEST".to_string(),
        title: "test".to_string(),
        status: MarketStatus::Active,
        open_time_ns: Some(0),
        close_time_ns: Some(CLOSE_NS),
        yes_bid: Some(price("0.40")),
        yes_bid_size: Some(count(100)),
        yes_ask: Some(price("0.50")),
        yes_ask_size: Some(count(100)),
        last_price: Some(price("0.45")),
        volume: count(5_000),
        volume_24h: count(1_000),
        open_interest: count(2_000),
        price_ranges: vec![PriceRange {
            start: Price::ZERO,
            end: Price::ONE,
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

pub fn snapshot(ticker: &str) -> BookSnapshot {
    BookSnapshot {
        ticker: ticker.to_string(),
        bids: vec![
            BookLevel {
                price: price("0.40"),
                size: count(100),
            },
            BookLevel {
                price: price("0.38"),
                size: count(50),
            },
        ],
        asks: vec![BookLevel {
            price: price("0.50"),
            size: count(100),
        }],
        clock: Some(1),
    }
}

pub fn delta(ticker: &str, side: BookSide, at: &str, change_centi: i64, clock: u64) -> BookDelta {
    BookDelta {
        ticker: ticker.to_string(),
        side,
        price: price(at),
        delta: SignedCount::from_centi(change_centi),
        clock: Some(clock),
        client_order_id: None,
    }
}

pub fn fill(fill_id: &str, order: &PlaceOrder, order_id: &str, contracts: i64) -> OwnFill {
    OwnFill {
        fill_id: fill_id.to_string(),
        order_id: order_id.to_string(),
        client_order_id: Some(order.client_order_id.to_string()),
        ticker: order.ticker.clone(),
        side: order.side,
        yes_price: order.price,
        count: count(contracts),
        is_taker: false,
        fee: Money::ZERO,
        post_position: None,
        ts_ns: 0,
    }
}

/// A place command built through serde (only the risk gate can build one in code).
pub fn place_command(
    client_order_id: &str,
    ticker: &str,
    side: BookSide,
    at: &str,
    contracts: i64,
) -> Command {
    serde_json::from_value(serde_json::json!({
        "Place": {
            "client_order_id": client_order_id,
            "ticker": ticker,
            "side": side.as_str(),
            "price": at,
            "count": format!("{contracts}.00"),
            "time_in_force": "good_till_canceled",
            "post_only": true,
            "reduce_only": false,
            "self_trade_prevention": "taker_at_cross",
            "cancel_order_on_pause": true,
            "expiration_ts_s": null,
            "order_group_id": null
        }
    }))
    .unwrap()
}

/// An amend command built through serde.
pub fn amend_command(client_order_id: &str, order_id: &str, at: &str, total: i64) -> Command {
    serde_json::from_value(serde_json::json!({
        "Amend": {
            "client_order_id": client_order_id,
            "order_id": order_id,
            "ticker": TICKER,
            "side": "bid",
            "price": at,
            "total_count": format!("{total}.00"),
            "remaining_count": format!("{total}.00")
        }
    }))
    .unwrap()
}

/// Writes records while keeping the list of what was written, seq by seq.
pub struct Recorder {
    pub writer: TypedJournalWriter,
    pub written: Vec<SequencedRecord>,
    pub ts_ns: i64,
}

impl Recorder {
    pub fn create(dir: &Path) -> Recorder {
        Recorder::create_with(dir, WalConfig::default())
    }

    pub fn create_with(dir: &Path, config: WalConfig) -> Recorder {
        let mut writer = TypedJournalWriter::create(dir, run_info(), config).unwrap();
        let started = RunStarted {
            run_id: RUN_ID.into(),
            build_id: "test-build".into(),
            config: engine_config(),
            environment: "sim".into(),
            seed: 7,
            started_ts_ns: 1_000,
        };
        let seq = writer.append_run_started(started.clone()).unwrap();
        Recorder {
            writer,
            written: vec![SequencedRecord {
                seq,
                ts_ns: 1_000,
                record: JournalRecord::RunStarted(Box::new(started)),
            }],
            ts_ns: 1_000_000_000,
        }
    }

    /// Journals an input and returns its envelope.
    pub fn input(&mut self, event: Event) -> Envelope {
        self.ts_ns += 100_000_000;
        let envelope = self.writer.stamp(self.ts_ns, event);
        self.writer.append_input(&envelope).unwrap();
        self.written.push(SequencedRecord {
            seq: envelope.seq,
            ts_ns: envelope.ts_ns,
            record: JournalRecord::Input(envelope.clone()),
        });
        envelope
    }

    /// Journals a step's outputs: decisions first, then commands.
    pub fn outputs(&mut self, input: &Envelope, output: &Output) {
        let seqs = self
            .writer
            .append_outputs(input.seq, input.ts_ns, output)
            .unwrap();
        let mut seq = seqs.first_seq.unwrap_or(0);
        for (index, decision) in output.decisions.iter().enumerate() {
            self.written.push(SequencedRecord {
                seq,
                ts_ns: input.ts_ns,
                record: JournalRecord::OutputDecision {
                    input_seq: input.seq,
                    index: index as u32,
                    decision: decision.clone(),
                },
            });
            seq += 1;
        }
        for (index, command) in output.commands.iter().enumerate() {
            self.written.push(SequencedRecord {
                seq,
                ts_ns: input.ts_ns,
                record: JournalRecord::OutputCommand {
                    input_seq: input.seq,
                    index: index as u32,
                    command: command.clone(),
                },
            });
            seq += 1;
        }
        if seqs.first_seq.is_some() {
            assert_eq!(seqs.last_seq, Some(seq - 1));
        }
        assert_eq!(seqs.durable, !output.commands.is_empty());
    }

    pub fn raw(&mut self, frame: RawFrame) {
        let ts_ns = frame.recv_ts_ns;
        let seq = self.writer.append_raw(frame.clone()).unwrap();
        self.written.push(SequencedRecord {
            seq,
            ts_ns,
            record: JournalRecord::RawFrame(frame),
        });
    }

    pub fn end(&mut self, reason: &str) {
        self.ts_ns += 1;
        let seq = self.writer.append_run_ended(self.ts_ns, reason).unwrap();
        self.written.push(SequencedRecord {
            seq,
            ts_ns: self.ts_ns,
            record: JournalRecord::RunEnded {
                reason: reason.into(),
            },
        });
    }
}

/// What the engine run produced that tests look at.
pub struct EngineRun {
    pub written: Vec<SequencedRecord>,
    pub places: Vec<PlaceOrder>,
    /// The place that got filled (the best bid rung).
    pub filled: PlaceOrder,
    pub filled_order_id: String,
    /// Seq of the snapshot input that caused the ladder.
    pub snapshot_seq: u64,
}

/// Drives the real engine: config, reconciliation, listing, a snapshot (the ladder is placed),
/// acks for every place, one fill of the best bid (journaled twice, as a duplicate), a book
/// delta and a trade; every input and output is journaled. The writer is closed (not sealed).
pub fn engine_run(dir: &Path) -> EngineRun {
    let mut recorder = Recorder::create(dir);
    let mut engine = Engine::new();
    let mut step = |recorder: &mut Recorder, event: Event| -> Output {
        let envelope = recorder.input(event);
        let output = engine.process(&envelope);
        recorder.outputs(&envelope, &output);
        output
    };
    step(&mut recorder, Event::Config(Box::new(engine_config())));
    step(
        &mut recorder,
        Event::Reconciled {
            orders: vec![],
            positions: vec![],
        },
    );
    step(&mut recorder, Event::MarketListing(vec![listing()]));
    let snapshot_seq = recorder.writer.next_seq();
    let ladder = step(&mut recorder, Event::BookSnapshot(snapshot(TICKER)));
    let places: Vec<PlaceOrder> = ladder
        .commands
        .iter()
        .filter_map(|command| match command {
            Command::Place(order) => Some((**order).clone()),
            _ => None,
        })
        .collect();
    assert!(places.len() >= 2, "the engine should place a ladder");
    for order in &places {
        step(
            &mut recorder,
            Event::OrderAck(OrderAck {
                client_order_id: order.client_order_id.clone(),
                order_id: format!("ex-{}", order.client_order_id),
                request: RequestKind::Place,
                fill_count: Count::ZERO,
                remaining_count: order.count,
            }),
        );
    }
    let filled = places
        .iter()
        .filter(|order| order.side == BookSide::Bid)
        .max_by_key(|order| order.price)
        .unwrap()
        .clone();
    let filled_order_id = format!("ex-{}", filled.client_order_id);
    let contracts = filled.count.centi() / 100;
    let own_fill = fill("f-1", &filled, &filled_order_id, contracts);
    step(&mut recorder, Event::OwnFill(own_fill.clone()));
    step(&mut recorder, Event::OwnFill(own_fill));
    step(
        &mut recorder,
        Event::BookDelta(delta(TICKER, BookSide::Ask, "0.50", -2_000, 2)),
    );
    step(
        &mut recorder,
        Event::PublicTrade(PublicTrade {
            trade_id: "t-1".into(),
            ticker: TICKER.into(),
            yes_price: price("0.47"),
            count: count(3),
            taker_side: BookSide::Bid,
            ts_ns: 0,
        }),
    );
    recorder.end("end_of_input");
    let written = recorder.written;
    recorder.writer.close().unwrap();
    EngineRun {
        written,
        places,
        filled,
        filled_order_id,
        snapshot_seq,
    }
}

/// One hand-made event of every kind.
pub fn every_event() -> Vec<Event> {
    let order_snapshot = OrderSnapshot {
        order_id: "ex-9".into(),
        client_order_id: Some("kb-t1-9".into()),
        ticker: TICKER.into(),
        side: BookSide::Ask,
        yes_price: price("0.61"),
        status: ExchangeOrderStatus::Resting,
        fill_count: count(1),
        remaining_count: count(2),
        initial_count: Some(count(3)),
        last_update_reason: Some("Trade".into()),
        ts_ns: 5,
    };
    let position = PositionSnapshot {
        ticker: TICKER.into(),
        position: SignedCount::from_centi(-300),
        cost: Money::from_micros(1_170_000),
        realized_pnl: Money::from_micros(-20_000),
        fees_paid: Money::from_micros(30_000),
    };
    let Command::Place(filled) = place_command("kb-t1-9", TICKER, BookSide::Ask, "0.61", 3) else {
        panic!("place_command builds a place");
    };
    let filled = (*filled).clone();
    vec![
        Event::Config(Box::new(engine_config())),
        Event::MarketListing(vec![listing()]),
        Event::BookSnapshot(snapshot(TICKER)),
        Event::BookDelta(delta(TICKER, BookSide::Bid, "0.41", 500, 2)),
        Event::BookInvalidated {
            ticker: TICKER.into(),
            reason: BookInvalidation::SequenceGap,
        },
        Event::PublicTrade(PublicTrade {
            trade_id: "t-9".into(),
            ticker: TICKER.into(),
            yes_price: price("0.45"),
            count: count(4),
            taker_side: BookSide::Ask,
            ts_ns: 3,
        }),
        Event::OwnFill(fill("f-9", &filled, "ex-9", 1)),
        Event::OrderAck(OrderAck {
            client_order_id: coid("kb-t1-9"),
            order_id: "ex-9".into(),
            request: RequestKind::Place,
            fill_count: Count::ZERO,
            remaining_count: count(3),
        }),
        Event::OrderRejected(OrderRejected {
            client_order_id: coid("kb-t1-10"),
            request: RequestKind::Place,
            code: "invalid_order".into(),
            message: "price out of range".into(),
        }),
        Event::OrderUnknown {
            client_order_id: coid("kb-t1-11"),
            request: RequestKind::Cancel,
        },
        Event::OrderSnapshot(order_snapshot.clone()),
        Event::OrderNotFound {
            client_order_id: coid("kb-t1-12"),
        },
        Event::CancelAck(CancelAck {
            client_order_id: coid("kb-t1-9"),
            order_id: "ex-9".into(),
            reduced_by: count(2),
        }),
        Event::PositionSnapshot(position.clone()),
        Event::Lifecycle(LifecycleChange {
            ticker: TICKER.into(),
            kind: LifecycleKind::Determined,
            close_time_ns: None,
            result: Some(MarketResult::No),
            settlement_value: Some(Price::ZERO),
            price_ranges: vec![],
        }),
        Event::ModelProbability {
            ticker: TICKER.into(),
            probability_ppm: 612_345,
        },
        Event::Reconciled {
            orders: vec![order_snapshot],
            positions: vec![position],
        },
        Event::Timer {
            kind: TimerKind::DailyReset,
        },
        Event::Control(ControlCommand::Halt),
        Event::ExchangeStatus {
            trading_active: false,
        },
        Event::RiskStateRestored(RiskStateRecord {
            state: RiskState::Reducing,
            reason: RiskStateReason::Restored,
            day_realized_net: Money::from_micros(-5_000_000),
        }),
    ]
}

/// One hand-made command of every kind.
pub fn every_command() -> Vec<Command> {
    vec![
        place_command("kb-t1-20", TICKER, BookSide::Bid, "0.3300", 5),
        Command::Cancel(CancelOrder {
            client_order_id: coid("kb-t1-20"),
            order_id: Some("ex-20".into()),
            ticker: TICKER.into(),
        }),
        amend_command("kb-t1-20", "ex-20", "0.34", 6),
        Command::Decrease(DecreaseOrder {
            client_order_id: coid("kb-t1-20"),
            order_id: "ex-20".into(),
            ticker: TICKER.into(),
            reduce_to: count(2),
        }),
        Command::CancelAll,
        Command::LookupOrder {
            client_order_id: coid("kb-t1-21"),
            ticker: TICKER.into(),
        },
    ]
}

pub fn raw_frames(ts_ns: i64) -> Vec<RawFrame> {
    vec![
        RawFrame {
            source: RawSource::Ws,
            recv_ts_ns: ts_ns,
            body: br#"{"type":"orderbook_delta","sid":1,"seq":2}"#.to_vec(),
        },
        RawFrame {
            source: RawSource::Rest {
                method: "GET".into(),
                path: "/trade-api/v2/markets".into(),
                status: 200,
            },
            recv_ts_ns: ts_ns + 1,
            body: vec![0, 159, 146, 150, 255],
        },
    ]
}
