//! The drift monitor on a hand-built run: our bid behind 10 visible contracts, the exchange's
//! queue reads, trades at our price and the real fill; a right model matches the exchange, a
//! wrong one (`queue_position = front`) shows in precision, recall and queue error, and the
//! calibration ranks the right one first.

mod support;

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::{Command, PlaceOrder, TimeInForce};
use kalshi_core::config::SelfTradePrevention;
use kalshi_core::events::{
    Envelope, Event, OrderAck, OrderQueuePosition, QueuePositions, RequestKind,
};
use kalshi_core::market_data::{BookDelta, BookLevel, BookSnapshot, OwnFill, PublicTrade};
use kalshi_core::{BookSide, Count, Money, SignedCount};
use kalshi_journal::JournalRecord;
use kalshi_replay::drift::{
    DriftMonitor, DriftSettings, calibrate, calibration_grid, drift_of, set_lines,
};
use kalshi_replay::fill_sim::{FillModelConfig, QueuePosition};
use support::{TICKER, contracts, listing, price_cents};

const MS: i64 = 1_000_000;
const S: i64 = 1_000_000_000;
const T0: i64 = support::START_NS;

fn input(seq: u64, ts_ns: i64, event: Event) -> JournalRecord {
    JournalRecord::Input(Envelope { seq, ts_ns, event })
}

fn place() -> PlaceOrder {
    PlaceOrder {
        client_order_id: ClientOrderId::parse("kb-t-1").unwrap(),
        ticker: TICKER.to_string(),
        side: BookSide::Bid,
        price: price_cents(40),
        count: contracts(5),
        time_in_force: TimeInForce::GoodTillCanceled,
        post_only: true,
        reduce_only: false,
        self_trade_prevention: SelfTradePrevention::TakerAtCross,
        cancel_order_on_pause: false,
        expiration_ts_s: None,
        order_group_id: None,
    }
}

/// A place command as the journal holds one (only the engine's risk gate approves orders).
fn place_command() -> Command {
    let place = serde_json::to_value(place()).unwrap();
    serde_json::from_value(serde_json::json!({ "Place": place })).unwrap()
}

fn trade(id: &str, count: i64) -> Event {
    Event::PublicTrade(PublicTrade {
        trade_id: id.to_string(),
        ticker: TICKER.to_string(),
        yes_price: price_cents(40),
        count: contracts(count),
        taker_side: BookSide::Ask,
        ts_ns: 0,
    })
}

fn level_delta(contracts_change: i64, own: bool) -> Event {
    Event::BookDelta(BookDelta {
        ticker: TICKER.to_string(),
        side: BookSide::Bid,
        price: price_cents(40),
        delta: SignedCount::from_centi(contracts_change * 100),
        clock: None,
        client_order_id: own.then(|| "kb-t-1".to_string()),
    })
}

fn queue_read(ahead: i64) -> Event {
    Event::QueuePositions(QueuePositions {
        tickers: vec![TICKER.to_string()],
        orders: vec![OrderQueuePosition {
            order_id: "ex-1".to_string(),
            ticker: TICKER.to_string(),
            ahead: contracts(ahead),
        }],
    })
}

/// A run: 10 others at 0.40; our 5 join behind them; a read says 10 ahead; 10 trade (the
/// others), a read says 0 ahead; 5 more trade 3 s later and fill us.
fn run() -> Vec<JournalRecord> {
    let snapshot = Event::BookSnapshot(BookSnapshot {
        ticker: TICKER.to_string(),
        bids: vec![BookLevel {
            price: price_cents(40),
            size: contracts(10),
        }],
        asks: vec![BookLevel {
            price: price_cents(50),
            size: contracts(10),
        }],
        clock: None,
    });
    vec![
        input(1, T0, Event::MarketListing(vec![listing()])),
        input(2, T0, snapshot),
        input(
            3,
            T0 + S,
            Event::Timer {
                kind: kalshi_core::events::TimerKind::Tick,
            },
        ),
        JournalRecord::OutputCommand {
            input_seq: 3,
            index: 0,
            command: place_command(),
        },
        // Our own order shows in the feed: the shadow must not count it as others' size.
        input(4, T0 + S + 2 * MS, level_delta(5, true)),
        input(
            5,
            T0 + S + 3 * MS,
            Event::OrderAck(OrderAck {
                client_order_id: ClientOrderId::parse("kb-t-1").unwrap(),
                order_id: "ex-1".to_string(),
                request: RequestKind::Place,
                fill_count: Count::ZERO,
                remaining_count: contracts(5),
            }),
        ),
        input(6, T0 + 2 * S, queue_read(10)),
        input(7, T0 + 3 * S, trade("a", 10)),
        input(8, T0 + 3 * S + MS, level_delta(-10, false)),
        input(9, T0 + 4 * S, queue_read(0)),
        input(10, T0 + 6 * S, trade("b", 5)),
        input(
            11,
            T0 + 6 * S + MS,
            Event::OwnFill(OwnFill {
                fill_id: "f1".to_string(),
                order_id: "ex-1".to_string(),
                client_order_id: Some("kb-t-1".to_string()),
                ticker: TICKER.to_string(),
                side: BookSide::Bid,
                yes_price: price_cents(40),
                count: contracts(5),
                is_taker: false,
                fee: Money::ZERO,
                post_position: None,
                ts_ns: T0 + 6 * S,
            }),
        ),
        input(12, T0 + 6 * S + 2 * MS, level_delta(-5, true)),
    ]
}

fn settings(queue_position: QueuePosition) -> DriftSettings {
    DriftSettings {
        fill_model: FillModelConfig {
            queue_position,
            ..FillModelConfig::default()
        },
        ..DriftSettings::default()
    }
}

#[test]
fn the_right_model_matches_the_exchange() {
    let report = drift_of(&run(), settings(QueuePosition::Back)).unwrap();
    assert_eq!(report.orders, 1);
    assert_eq!(report.real_fill_contracts, contracts(5));
    assert_eq!(report.shadow_fill_contracts, contracts(5));
    assert_eq!(report.matched_contracts, contracts(5));
    assert_eq!(report.precision_ppm, Some(1_000_000));
    assert_eq!(report.recall_ppm, Some(1_000_000));
    assert_eq!(report.queue_samples, 2);
    assert_eq!(report.queue_abs_error_p90, Count::ZERO);
    assert_eq!(report.fill_time_abs_error_p50_ms, Some(1));
    assert_eq!(report.per_order.len(), 1);
    assert_eq!(report.per_order[0].queue_reads, 2);
    assert!(report.line().contains("precision=1.000 recall=1.000"));
}

#[test]
fn a_wrong_queue_position_shows_in_every_figure() {
    let report = drift_of(&run(), settings(QueuePosition::Front)).unwrap();
    // Front of the queue: the shadow fills on the first trade, 3 s before the exchange did.
    assert_eq!(report.shadow_fill_contracts, contracts(5));
    assert_eq!(report.matched_contracts, Count::ZERO);
    assert_eq!(report.precision_ppm, Some(0));
    assert_eq!(report.recall_ppm, Some(0));
    assert_eq!(report.fill_time_abs_error_p50_ms, Some(3_001));
    // The first read: modelled 0 ahead, exchange 10; the second is after the shadow's fill.
    assert_eq!(report.queue_samples, 1);
    assert_eq!(report.queue_unmodelled, 1);
    assert_eq!(report.queue_abs_error_p50, contracts(10));
    assert_eq!(report.queue_bias, SignedCount::from_centi(-1_000));
}

#[test]
fn fed_record_by_record_the_monitor_gives_the_same_figures() {
    let records = run();
    let mut monitor = DriftMonitor::new(settings(QueuePosition::Back)).unwrap();
    for record in &records {
        monitor.on_record(record).unwrap();
    }
    assert_eq!(
        monitor.report(),
        drift_of(&records, settings(QueuePosition::Back)).unwrap()
    );
}

#[test]
fn calibration_ranks_the_exchange_s_own_rule_first() {
    let records = run();
    let grid = calibration_grid(&FillModelConfig::default(), Some(2 * MS));
    assert_eq!(grid[0], FillModelConfig::default());
    let points = calibrate(&records, &grid, 1_000).unwrap();
    assert_eq!(points.len(), grid.len());
    let best = &points[0];
    assert_eq!(best.fill_model.queue_position, QueuePosition::Back);
    assert_eq!(best.report.f1_ppm, Some(1_000_000));
    let lines = set_lines(&best.fill_model);
    assert!(lines.contains(&"--set fill.queue_position=back".to_string()));
    assert!(
        points
            .iter()
            .filter(|p| p.fill_model.queue_position == QueuePosition::Front)
            .all(|p| p.report.f1_ppm < best.report.f1_ppm)
    );
}

#[test]
fn a_negative_tolerance_is_refused() {
    let settings = DriftSettings {
        fill_tolerance_ms: -1,
        ..DriftSettings::default()
    };
    assert!(DriftMonitor::new(settings).is_err());
}

#[test]
fn fill_settings_are_set_from_text_and_bad_ones_refused() {
    use kalshi_replay::drift::apply_fill_setting;
    use kalshi_replay::fill_sim::CancelPosition;
    let mut model = FillModelConfig::default();
    apply_fill_setting(&mut model, "fill.queue_position", "front").unwrap();
    apply_fill_setting(&mut model, "cancel_position", "pro_rata").unwrap();
    apply_fill_setting(&mut model, "fill.entry_latency_ns", "7").unwrap();
    assert_eq!(model.queue_position, QueuePosition::Front);
    assert_eq!(model.cancel_position, CancelPosition::ProRata);
    assert_eq!(model.entry_latency_ns, 7);
    for (key, value) in [
        ("fill.queue_position", "middle"),
        ("fill.no_such_key", "1"),
        ("fill.entry_latency_ns", "-5"),
    ] {
        let before = model.clone();
        assert!(
            apply_fill_setting(&mut model, key, value).is_err(),
            "{key}={value}"
        );
        assert_eq!(model, before, "a refused setting changes nothing");
    }
}

/// The run with the exchange refusing our placement instead of acking it.
fn refused_run() -> Vec<JournalRecord> {
    use kalshi_core::events::OrderRejected;
    run()
        .into_iter()
        .filter(|record| {
            !matches!(
                record,
                JournalRecord::Input(Envelope {
                    event: Event::OwnFill(_),
                    ..
                })
            )
        })
        .map(|record| match record {
            JournalRecord::Input(Envelope {
                seq,
                ts_ns,
                event: Event::OrderAck(ack),
            }) => input(
                seq,
                ts_ns,
                Event::OrderRejected(OrderRejected {
                    client_order_id: ack.client_order_id,
                    request: RequestKind::Place,
                    code: "post_only_cross".to_string(),
                    message: "would cross".to_string(),
                }),
            ),
            other => other,
        })
        .collect()
}

#[test]
fn a_refused_order_never_fills_in_the_shadow_whatever_the_timing() {
    use kalshi_replay::drift::ShadowTiming;
    for timing in [ShadowTiming::Acked, ShadowTiming::Commanded] {
        let report = drift_of(
            &refused_run(),
            DriftSettings {
                timing,
                ..DriftSettings::default()
            },
        )
        .unwrap();
        assert_eq!(report.shadow_fill_contracts, Count::ZERO, "{timing:?}");
        assert_eq!(report.real_fill_contracts, Count::ZERO, "{timing:?}");
        assert_eq!(report.precision_ppm, None);
    }
}

#[test]
fn acked_and_commanded_timing_agree_when_the_ack_is_prompt() {
    use kalshi_replay::drift::ShadowTiming;
    let acked = drift_of(&run(), settings(QueuePosition::Back)).unwrap();
    let commanded = drift_of(
        &run(),
        DriftSettings {
            timing: ShadowTiming::Commanded,
            ..settings(QueuePosition::Back)
        },
    )
    .unwrap();
    assert_eq!(acked.place_ack_p50_ns, Some(3 * MS));
    assert_eq!(acked.matched_contracts, commanded.matched_contracts);
    assert_eq!(acked.queue_abs_error_p90, commanded.queue_abs_error_p90);
}

#[test]
fn a_snapshot_that_shows_our_order_is_read_without_it() {
    // After our ack a resubscription's snapshot shows 15 at 0.40: the others' 10 and our 5.
    // Then 5 of the others' cancel: nobody is behind us, so they were ahead, as the read says.
    let mut records = run();
    let after_ack = records
        .iter()
        .position(|record| {
            matches!(
                record,
                JournalRecord::Input(Envelope {
                    event: Event::OrderAck(_),
                    ..
                })
            )
        })
        .unwrap();
    records.truncate(after_ack + 1);
    let resync = Event::BookSnapshot(BookSnapshot {
        ticker: TICKER.to_string(),
        bids: vec![BookLevel {
            price: price_cents(40),
            size: contracts(15),
        }],
        asks: vec![],
        clock: None,
    });
    records.push(input(100, T0 + S + 4 * MS, resync));
    records.push(input(101, T0 + S + 5 * MS, level_delta(-5, false)));
    records.push(input(102, T0 + 2 * S, queue_read(5)));
    let report = drift_of(&records, settings(QueuePosition::Back)).unwrap();
    assert_eq!(report.queue_samples, 1);
    assert_eq!(report.queue_abs_error_p90, Count::ZERO, "{report:?}");
}
