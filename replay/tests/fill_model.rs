//! Fill-model behaviour with hand-built books: queue position, trade-through, latency,
//! post-only rejection, cancels by others and exact fees.

mod support;

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::{PlaceOrder, TimeInForce};
use kalshi_core::config::SelfTradePrevention;
use kalshi_core::events::{Event, RequestKind};
use kalshi_core::market_data::{
    BookDelta, BookLevel, BookSnapshot, FeeParams, MarketInfo, OwnFill, PublicTrade,
};
use kalshi_core::{BookSide, Count, Money, Price, SignedCount};
use kalshi_replay::fill_sim::{
    CancelPosition, FeeRounding, FillModelConfig, FillSimulator, QueuePosition,
};

const MS: i64 = 1_000_000;
const T: &str = "KXTEST-1";

fn p(text: &str) -> Price {
    Price::parse(text).unwrap()
}
fn c(contracts: i64) -> Count {
    Count::from_contracts(contracts).unwrap()
}

fn listing(fee_type: &str) -> Event {
    Event::MarketListing(vec![MarketInfo {
        fee: Some(FeeParams {
            fee_type: fee_type.to_string(),
            multiplier_ppm: 1_000_000,
        }),
        ..support::bare_listing(T, "KXTEST")
    }])
}

fn model(
    cancel_position: CancelPosition,
    fee_rounding: FeeRounding,
    precision: i64,
) -> FillModelConfig {
    FillModelConfig {
        entry_latency_ns: 10 * MS,
        cancel_latency_ns: 20 * MS,
        cancel_position,
        fee_rounding,
        fee_target_precision_micros: precision,
        queue_position: QueuePosition::Back,
    }
}

/// A simulator over a book of 100 bid @0.44 and 50 ask @0.46.
fn sim_with(config: FillModelConfig) -> FillSimulator {
    let mut sim = FillSimulator::new(config).unwrap();
    sim.on_market_event(0, &listing("quadratic_with_maker_fees"))
        .unwrap();
    sim.on_market_event(
        0,
        &Event::BookSnapshot(BookSnapshot {
            ticker: T.to_string(),
            bids: vec![BookLevel {
                price: p("0.44"),
                size: c(100),
            }],
            asks: vec![BookLevel {
                price: p("0.46"),
                size: c(50),
            }],
            clock: None,
        }),
    )
    .unwrap();
    sim
}

fn sim() -> FillSimulator {
    sim_with(model(CancelPosition::Back, FeeRounding::Classic, 10_000))
}

fn order(id: u64, side: BookSide, price: &str, count: i64) -> PlaceOrder {
    PlaceOrder {
        client_order_id: ClientOrderId::parse(&format!("kb-t-{id}")).unwrap(),
        ticker: T.to_string(),
        side,
        price: p(price),
        count: c(count),
        time_in_force: TimeInForce::GoodTillCanceled,
        post_only: true,
        reduce_only: false,
        self_trade_prevention: SelfTradePrevention::TakerAtCross,
        cancel_order_on_pause: false,
        expiration_ts_s: None,
        order_group_id: None,
    }
}

/// Runs every pending action due at or before `ts_ns`.
fn advance(sim: &mut FillSimulator, ts_ns: i64) -> Vec<Event> {
    let mut events = Vec::new();
    while sim.next_due_ns().is_some_and(|due| due <= ts_ns) {
        events.extend(sim.run_next_action().unwrap().into_iter().map(|e| e.event));
    }
    events
}

fn trade(
    sim: &mut FillSimulator,
    ts_ns: i64,
    price: &str,
    count: i64,
    taker: BookSide,
) -> Vec<OwnFill> {
    let event = Event::PublicTrade(PublicTrade {
        trade_id: format!("t{ts_ns}"),
        ticker: T.to_string(),
        yes_price: p(price),
        count: c(count),
        taker_side: taker,
        ts_ns,
    });
    fills(
        sim.on_market_event(ts_ns, &event)
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect(),
    )
}

fn delta(sim: &mut FillSimulator, ts_ns: i64, side: BookSide, price: &str, contracts: i64) {
    let event = Event::BookDelta(BookDelta {
        ticker: T.to_string(),
        side,
        price: p(price),
        delta: SignedCount::from_centi(contracts * 100),
        clock: None,
        client_order_id: None,
    });
    assert!(sim.on_market_event(ts_ns, &event).unwrap().is_empty());
}

fn fills(events: Vec<Event>) -> Vec<OwnFill> {
    events
        .into_iter()
        .filter_map(|event| match event {
            Event::OwnFill(fill) => Some(fill),
            _ => None,
        })
        .collect()
}

fn queue_ahead(sim: &FillSimulator, id: u64) -> Count {
    sim.live_order(&format!("kb-t-{id}")).unwrap().queue_ahead
}

#[test]
fn resting_order_joins_the_back_and_is_acked_after_latency() {
    let mut sim = sim();
    sim.place(0, order(1, BookSide::Bid, "0.44", 10));
    assert!(
        advance(&mut sim, 9 * MS).is_empty(),
        "nothing arrives before the entry latency"
    );
    let events = advance(&mut sim, 10 * MS);
    match events.as_slice() {
        [Event::OrderAck(ack)] => {
            assert_eq!(ack.request, RequestKind::Place);
            assert_eq!(ack.order_id, "sim-o-1");
            assert_eq!((ack.fill_count, ack.remaining_count), (Count::ZERO, c(10)));
        }
        other => panic!("expected one ack, got {other:?}"),
    }
    assert_eq!(queue_ahead(&sim, 1), c(100));
}

#[test]
fn a_queue_of_100_needs_more_than_100_traded_at_our_price() {
    let mut sim = sim();
    sim.place(0, order(1, BookSide::Bid, "0.44", 10));
    advance(&mut sim, 10 * MS);
    assert!(trade(&mut sim, 20 * MS, "0.44", 99, BookSide::Ask).is_empty());
    assert_eq!(queue_ahead(&sim, 1), c(1));

    let mut sim = self::sim();
    sim.place(0, order(1, BookSide::Bid, "0.44", 10));
    advance(&mut sim, 10 * MS);
    let filled = trade(&mut sim, 20 * MS, "0.44", 101, BookSide::Ask);
    assert_eq!(filled.len(), 1);
    assert_eq!(
        (filled[0].count, filled[0].yes_price, filled[0].is_taker),
        (c(1), p("0.44"), false)
    );
    assert_eq!(filled[0].post_position, Some(SignedCount::from_centi(100)));
    assert_eq!(sim.live_order("kb-t-1").unwrap().remaining, c(9));
}

#[test]
fn two_of_our_orders_at_one_level_share_the_volume_in_arrival_order() {
    let mut sim = sim();
    sim.place(0, order(1, BookSide::Bid, "0.44", 10));
    sim.place(1, order(2, BookSide::Bid, "0.44", 10));
    advance(&mut sim, 20 * MS);
    // 100 visible, then our 10, then our 10 (the second also sees 100 visible ahead).
    let filled = trade(&mut sim, 30 * MS, "0.44", 115, BookSide::Ask);
    let summary: Vec<_> = filled
        .iter()
        .map(|f| (f.client_order_id.clone().unwrap(), f.count))
        .collect();
    assert_eq!(
        summary,
        vec![("kb-t-1".to_string(), c(10)), ("kb-t-2".to_string(), c(5))]
    );
}

#[test]
fn a_trade_on_our_own_side_of_the_tape_does_not_fill_us() {
    let mut sim = sim();
    sim.place(0, order(1, BookSide::Bid, "0.44", 10));
    advance(&mut sim, 10 * MS);
    assert!(trade(&mut sim, 20 * MS, "0.44", 500, BookSide::Bid).is_empty());
    assert_eq!(queue_ahead(&sim, 1), c(100));
}

#[test]
fn a_price_that_trades_through_fills_us_up_to_the_traded_size() {
    let mut sim = sim();
    sim.place(0, order(1, BookSide::Bid, "0.44", 10));
    advance(&mut sim, 10 * MS);
    let filled = trade(&mut sim, 20 * MS, "0.43", 4, BookSide::Ask);
    assert_eq!(filled.len(), 1);
    assert_eq!((filled[0].count, filled[0].yes_price), (c(4), p("0.44")));
    assert_eq!(queue_ahead(&sim, 1), Count::ZERO);
    let rest = trade(&mut sim, 21 * MS, "0.42", 50, BookSide::Ask);
    assert_eq!(rest[0].count, c(6));
    assert!(
        sim.live_order("kb-t-1").is_none(),
        "fully filled orders leave the book"
    );
}

#[test]
fn a_trade_during_the_entry_latency_does_not_fill_us() {
    let mut sim = sim();
    // 0.45 is inside the spread: nothing visible there, so once live we lead the level.
    sim.place(0, order(1, BookSide::Bid, "0.45", 10));
    assert!(trade(&mut sim, 5 * MS, "0.45", 7, BookSide::Ask).is_empty());
    advance(&mut sim, 10 * MS);
    assert_eq!(queue_ahead(&sim, 1), Count::ZERO);
    let filled = trade(&mut sim, 15 * MS, "0.45", 7, BookSide::Ask);
    assert_eq!(filled[0].count, c(7));
}

#[test]
fn a_fill_can_land_before_the_cancel_takes_effect() {
    let mut sim = sim();
    sim.place(0, order(1, BookSide::Bid, "0.45", 10));
    advance(&mut sim, 10 * MS);
    sim.submit(
        20 * MS,
        &kalshi_core::commands::Command::Cancel(kalshi_core::commands::CancelOrder {
            client_order_id: ClientOrderId::parse("kb-t-1").unwrap(),
            order_id: Some("sim-o-1".to_string()),
            ticker: T.to_string(),
        }),
    );
    assert!(advance(&mut sim, 39 * MS).is_empty());
    let filled = trade(&mut sim, 30 * MS, "0.45", 3, BookSide::Ask);
    assert_eq!(filled[0].count, c(3));
    match advance(&mut sim, 40 * MS).as_slice() {
        [Event::CancelAck(ack)] => assert_eq!(ack.reduced_by, c(7)),
        other => panic!("expected a cancel ack, got {other:?}"),
    }
    assert!(trade(&mut sim, 50 * MS, "0.45", 3, BookSide::Ask).is_empty());
}

#[test]
fn cancelling_a_filled_order_is_refused_as_not_found() {
    let mut sim = sim();
    sim.place(0, order(1, BookSide::Bid, "0.45", 2));
    advance(&mut sim, 10 * MS);
    trade(&mut sim, 12 * MS, "0.45", 5, BookSide::Ask);
    sim.submit(
        13 * MS,
        &kalshi_core::commands::Command::Cancel(kalshi_core::commands::CancelOrder {
            client_order_id: ClientOrderId::parse("kb-t-1").unwrap(),
            order_id: None,
            ticker: T.to_string(),
        }),
    );
    match advance(&mut sim, 40 * MS).as_slice() {
        [Event::OrderRejected(rejected)] => {
            assert_eq!(
                (rejected.request, rejected.code.as_str()),
                (RequestKind::Cancel, "order_not_found")
            )
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn post_only_is_rejected_when_it_would_cross_on_arrival() {
    let mut sim = sim();
    sim.place(0, order(1, BookSide::Bid, "0.46", 10));
    // Not crossing when sent, but an ask appears at 0.45 before it arrives.
    sim.place(0, order(2, BookSide::Bid, "0.45", 10));
    delta(&mut sim, 5 * MS, BookSide::Ask, "0.45", 20);
    let events = advance(&mut sim, 10 * MS);
    let codes: Vec<_> = events
        .iter()
        .map(|event| match event {
            Event::OrderRejected(rejected) => rejected.code.clone(),
            other => panic!("expected rejections only, got {other:?}"),
        })
        .collect();
    assert_eq!(codes, vec!["post_only_cross", "post_only_cross"]);
    assert_eq!(sim.live_orders().count(), 0);
}

#[test]
fn an_ioc_order_takes_visible_liquidity_as_a_taker_with_the_taker_fee() {
    let mut sim = sim();
    let mut ioc = order(1, BookSide::Bid, "0.46", 60);
    ioc.post_only = false;
    ioc.time_in_force = TimeInForce::ImmediateOrCancel;
    sim.place(0, ioc);
    let events = advance(&mut sim, 10 * MS);
    let [Event::OwnFill(fill), Event::OrderAck(ack)] = events.as_slice() else {
        panic!("expected a fill then an ack, got {events:?}")
    };
    assert_eq!(
        (fill.count, fill.yes_price, fill.is_taker),
        (c(50), p("0.46"), true)
    );
    // 0.07 × 50 × 0.46 × 0.54 = 0.8694 → 0.87 (classic, rounded up to the cent).
    assert_eq!(fill.fee, Money::parse("0.87").unwrap());
    assert_eq!((ack.fill_count, ack.remaining_count), (c(50), Count::ZERO));
    assert_eq!(
        sim.best_bid_ask(T),
        (Some(p("0.44")), None),
        "the liquidity we took is gone"
    );
}

#[test]
fn maker_fees_are_exact_under_both_roundings() {
    // 0.07 × 0.25 × 10 × 0.44 × 0.56 = 0.04312.
    let cases = [
        (FeeRounding::Classic, 10_000, "0.05"),
        (FeeRounding::Balance2026, 100, "0.0432"),
        (FeeRounding::Balance2026, 10_000, "0.05"),
    ];
    for (rounding, precision, expected) in cases {
        let mut sim = sim_with(model(CancelPosition::Back, rounding, precision));
        sim.place(0, order(1, BookSide::Bid, "0.44", 10));
        advance(&mut sim, 10 * MS);
        let filled = trade(&mut sim, 20 * MS, "0.43", 10, BookSide::Ask);
        assert_eq!(
            filled[0].fee,
            Money::parse(expected).unwrap(),
            "{rounding:?} at {precision}"
        );
    }
}

#[test]
fn others_cancels_move_the_queue_by_the_configured_assumption() {
    let expected = [
        (CancelPosition::Front, 70),
        (CancelPosition::Back, 100),
        (CancelPosition::ProRata, 80),
    ];
    for (position, ahead) in expected {
        let mut sim = sim_with(model(position, FeeRounding::Classic, 10_000));
        sim.place(0, order(1, BookSide::Bid, "0.44", 10));
        advance(&mut sim, 10 * MS);
        delta(&mut sim, 11 * MS, BookSide::Bid, "0.44", 50); // 50 join behind us
        delta(&mut sim, 12 * MS, BookSide::Bid, "0.44", -30); // 30 cancelled
        assert_eq!(queue_ahead(&sim, 1), c(ahead), "{position:?}");
    }
}

#[test]
fn a_decrease_that_follows_a_trade_is_not_counted_twice() {
    let mut sim = sim_with(model(CancelPosition::Front, FeeRounding::Classic, 10_000));
    sim.place(0, order(1, BookSide::Bid, "0.44", 10));
    advance(&mut sim, 10 * MS);
    assert!(trade(&mut sim, 20 * MS, "0.44", 40, BookSide::Ask).is_empty());
    delta(&mut sim, 21 * MS, BookSide::Bid, "0.44", -40);
    assert_eq!(queue_ahead(&sim, 1), c(60));
    delta(&mut sim, 22 * MS, BookSide::Bid, "0.44", -10);
    assert_eq!(queue_ahead(&sim, 1), c(50));
}

#[test]
fn a_snapshot_caps_the_queue_at_the_new_visible_size() {
    let mut sim = sim();
    sim.place(0, order(1, BookSide::Bid, "0.44", 10));
    advance(&mut sim, 10 * MS);
    sim.on_market_event(
        20 * MS,
        &Event::BookSnapshot(BookSnapshot {
            ticker: T.to_string(),
            bids: vec![BookLevel {
                price: p("0.44"),
                size: c(30),
            }],
            asks: vec![BookLevel {
                price: p("0.46"),
                size: c(50),
            }],
            clock: None,
        }),
    )
    .unwrap();
    assert_eq!(queue_ahead(&sim, 1), c(30));
}

#[test]
fn queue_position_front_joins_ahead_of_the_visible_size() {
    let mut sim = sim_with(FillModelConfig {
        queue_position: QueuePosition::Front,
        ..model(CancelPosition::Back, FeeRounding::Classic, 10_000)
    });
    sim.place(0, order(1, BookSide::Bid, "0.44", 10));
    advance(&mut sim, 10 * MS);
    assert_eq!(queue_ahead(&sim, 1), Count::ZERO);
    let filled = trade(&mut sim, 20 * MS, "0.44", 4, BookSide::Ask);
    assert_eq!(filled.len(), 1);
    assert_eq!(
        filled[0].count,
        c(4),
        "nothing ahead: the first trade fills us"
    );
}

#[test]
fn negative_latency_is_refused() {
    let config = FillModelConfig {
        entry_latency_ns: -1,
        ..FillModelConfig::default()
    };
    assert!(FillSimulator::new(config).is_err());
}

#[test]
fn old_finished_orders_keep_their_id_but_not_their_final_state() {
    use kalshi_core::commands::{CancelOrder, Command};
    use kalshi_replay::fill_sim::FINISHED_SNAPSHOTS_MAX;
    let mut sim = sim();
    let finished = u64::try_from(FINISHED_SNAPSHOTS_MAX).unwrap() + 1;
    let mut ts_ns = 0;
    for id in 1..=finished {
        sim.place(ts_ns, order(id, BookSide::Bid, "0.40", 1));
        sim.submit(
            ts_ns + MS,
            &Command::Cancel(CancelOrder {
                client_order_id: ClientOrderId::parse(&format!("kb-t-{id}")).unwrap(),
                order_id: None,
                ticker: T.to_string(),
            }),
        );
        ts_ns += 100 * MS;
        advance(&mut sim, ts_ns);
    }
    let lookup = |id: u64| Command::LookupOrder {
        client_order_id: ClientOrderId::parse(&format!("kb-t-{id}")).unwrap(),
        ticker: T.to_string(),
    };
    // The newest finished orders still answer a lookup with their final state.
    sim.submit(ts_ns, &lookup(finished));
    ts_ns += 100 * MS;
    match advance(&mut sim, ts_ns).as_slice() {
        [Event::OrderSnapshot(snapshot)] => {
            assert_eq!(
                snapshot.client_order_id.as_deref(),
                Some(format!("kb-t-{finished}").as_str())
            )
        }
        other => panic!("expected the final state, got {other:?}"),
    }
    // The oldest has dropped its final state ...
    sim.submit(ts_ns, &lookup(1));
    ts_ns += 100 * MS;
    assert!(matches!(
        advance(&mut sim, ts_ns).as_slice(),
        [Event::OrderNotFound { .. }]
    ));
    // ... but its client id is still refused.
    sim.place(ts_ns, order(1, BookSide::Bid, "0.40", 1));
    ts_ns += 100 * MS;
    match advance(&mut sim, ts_ns).as_slice() {
        [Event::OrderRejected(rejected)] => {
            assert_eq!(rejected.code, "duplicate_client_order_id")
        }
        other => panic!("expected a duplicate-id rejection, got {other:?}"),
    }
}
