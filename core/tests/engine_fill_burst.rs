//! The local fill-burst breaker: it trips at or before the fill at which the exchange's order
//! group (a contracts limit over a rolling 15 s) would exceed its limit, cancels every quote
//! in that step, places nothing while tripped, and resumes on a tick once the cooldown has
//! passed and the window is below the threshold again.

mod support;

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::Command;
use kalshi_core::config::EngineConfig;
use kalshi_core::decision::Decision;
use kalshi_core::engine::Output;
use kalshi_core::events::{CancelAck, Event, OrderAck, RequestKind, TimerKind};
use kalshi_core::fill_burst::FillBurstState;
use kalshi_core::market_data::{MarketInfo, OwnFill};
use kalshi_core::{BookSide, Count};
use proptest::prelude::*;
use support::{Harness, cancelled, count, placed, price};

const TICKER: &str = "KXBURST-1";
/// The breaker's threshold, contracts.
const THRESHOLD: i64 = 20;
/// Largest single order, contracts.
const ORDER_MAX: i64 = 10;
/// The order group's limit: the smallest the configuration accepts.
const GROUP_LIMIT: i64 = THRESHOLD + ORDER_MAX;
const SECOND_NS: i64 = 1_000_000_000;

fn config() -> EngineConfig {
    let mut config = support::quoting_config("fb");
    config.risk.fill_burst_contracts_max = count(THRESHOLD);
    config.risk.fill_burst_window_ms = 15_000;
    config.risk.fill_burst_cooldown_ms = 60_000;
    config.risk.order_contracts_max = count(ORDER_MAX);
    config.orders.order_group_contracts_limit = Some(count(GROUP_LIMIT));
    // Fills in the tests move the position a lot; keep the position limits out of the way.
    config.risk.market_position_max = count(100_000);
    config.risk.event_position_max = count(100_000);
    config.risk.account_exposure_max = kalshi_core::Money::from_micros(1_000_000_000_000);
    config.risk.order_rate_burst = 1_000;
    config.risk.order_rate_per_second = 1_000;
    config
}

fn listing() -> MarketInfo {
    support::listing(TICKER, "KXBURST", "burst")
}

fn book(bid: &str, ask: &str, clock: u64) -> Event {
    support::one_level_book(TICKER, bid, ask, clock)
}

fn burst_records(output: &Output) -> Vec<(FillBurstState, Count)> {
    output
        .decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::FillBurst(record) => Some((record.state, record.window_contracts)),
            _ => None,
        })
        .collect()
}

fn own_fill(number: usize, side: BookSide, contracts: i64) -> Event {
    Event::OwnFill(OwnFill {
        fill_id: format!("f-{number}"),
        order_id: format!("elsewhere-{number}"),
        client_order_id: None,
        ticker: TICKER.to_string(),
        side,
        yes_price: price("0.45"),
        count: count(contracts),
        is_taker: false,
        fee: kalshi_core::Money::ZERO,
        post_position: None,
        ts_ns: 0,
    })
}

fn tick() -> Event {
    Event::Timer {
        kind: TimerKind::Tick,
    }
}

/// Answers every place and cancel of `output` like the exchange would; returns the outputs
/// of those answers.
fn answer(h: &mut Harness, output: &Output) -> Vec<Output> {
    let mut answers = Vec::new();
    for command in &output.commands {
        let event = match command {
            Command::Place(order) => Event::OrderAck(OrderAck {
                client_order_id: order.client_order_id.clone(),
                order_id: format!("ex-{}", order.client_order_id),
                request: RequestKind::Place,
                fill_count: Count::ZERO,
                remaining_count: order.count,
            }),
            Command::Cancel(cancel) => Event::CancelAck(CancelAck {
                client_order_id: cancel.client_order_id.clone(),
                order_id: format!("ex-{}", cancel.client_order_id),
                reduced_by: Count::ZERO,
            }),
            _ => continue,
        };
        answers.push(h.send_after(0, event));
    }
    answers
}

/// A quoting engine with its ladder acknowledged; returns the ladder's ids.
fn quoting() -> (Harness, Vec<ClientOrderId>) {
    let mut h = Harness::new();
    h.send(Event::Config(Box::new(config())));
    h.send(Event::Reconciled {
        orders: vec![],
        positions: vec![],
    });
    h.send(Event::MarketListing(vec![listing()]));
    let ladder = h.send(book("0.40", "0.50", 1));
    let ids = placed(&ladder);
    assert!(!ids.is_empty());
    answer(&mut h, &ladder);
    (h, ids)
}

#[test]
fn trip_cancels_every_quote_then_cooldown_then_resume() {
    let (mut h, _) = quoting();

    let below = h.send(own_fill(1, BookSide::Bid, 12));
    assert!(burst_records(&below).is_empty(), "12 < 20: still quoting");
    assert!(!h.engine.fill_burst_tripped());
    answer(&mut h, &below);

    // 12 + 8 = 20 within 15 s: the breaker trips in this step and every quote goes.
    let trip = h.send_after(2 * SECOND_NS, own_fill(2, BookSide::Ask, 8));
    assert_eq!(
        burst_records(&trip),
        vec![(FillBurstState::Tripped, count(20))]
    );
    assert!(h.engine.fill_burst_tripped());
    let live: Vec<ClientOrderId> = h
        .engine
        .orders()
        .live_orders()
        .filter_map(|record| record.client_order_id.clone())
        .collect();
    let mut cancelled_ids = cancelled(&trip);
    cancelled_ids.sort();
    let mut expected = live;
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(cancelled_ids, expected, "every live quote is cancelled");
    assert!(placed(&trip).is_empty());
    answer(&mut h, &trip);

    // Book changes and ticks inside the cooldown place nothing (the window emptied at 17 s,
    // but the cooldown runs to 62 s after the trip).
    let moved = h.send_after(SECOND_NS, book("0.41", "0.49", 2));
    assert!(placed(&moved).is_empty());
    let early = h.send_after(30 * SECOND_NS, tick());
    assert!(burst_records(&early).is_empty());
    assert!(placed(&early).is_empty());
    assert!(h.engine.fill_burst_tripped());

    // Past the cooldown: the tick resumes quoting in that same step.
    let resume = h.send_after(31 * SECOND_NS, tick());
    assert_eq!(
        burst_records(&resume),
        vec![(FillBurstState::Resumed, Count::ZERO)]
    );
    assert!(!h.engine.fill_burst_tripped());
    assert!(
        !placed(&resume).is_empty(),
        "quoting resumes on the resuming tick"
    );
}

/// One step of the property test: a fill of `contracts` (≤ the order maximum) `gap_ms` after
/// the previous step, or a tick.
#[derive(Debug, Clone)]
enum Step {
    Fill { gap_ms: i64, contracts: i64 },
    Tick { gap_ms: i64 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0i64..20_000, 1i64..=ORDER_MAX)
            .prop_map(|(gap_ms, contracts)| Step::Fill { gap_ms, contracts }),
        1 => (0i64..70_000).prop_map(|gap_ms| Step::Tick { gap_ms }),
    ]
}

/// The exchange's order group: matched contracts over the last 15 s, `(t − 15 s, t]`.
struct OrderGroupModel {
    fills: Vec<(i64, i64)>,
}

impl OrderGroupModel {
    fn matched_in_window(&self, now_ns: i64) -> i64 {
        self.fills
            .iter()
            .filter(|(ts_ns, _)| *ts_ns > now_ns - 15 * SECOND_NS && *ts_ns <= now_ns)
            .map(|(_, contracts)| contracts)
            .sum()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_breaker_trips_before_the_order_group_would_and_places_nothing_while_tripped(
        steps in proptest::collection::vec(step(), 1..80),
    ) {
        let (mut h, _) = quoting();
        let mut group = OrderGroupModel { fills: Vec::new() };
        let mut first_exceeded = false;
        for (number, step) in steps.iter().enumerate() {
            let (output, is_fill) = match step {
                Step::Fill { gap_ms, contracts } => {
                    let side = if number % 2 == 0 { BookSide::Bid } else { BookSide::Ask };
                    let output = h.send_after(gap_ms * 1_000_000, own_fill(number, side, *contracts));
                    group.fills.push((h.ts_ns, *contracts));
                    (output, true)
                }
                Step::Tick { gap_ms } => (h.send_after(gap_ms * 1_000_000, tick()), false),
            };
            if is_fill && !first_exceeded && group.matched_in_window(h.ts_ns) > GROUP_LIMIT {
                first_exceeded = true;
                // The first fill that takes the group over its limit finds the breaker
                // already tripped (or tripping in this very step).
                prop_assert!(h.engine.fill_burst_tripped(), "group over its limit at step {number}");
            }
            let mut outputs = vec![output.clone()];
            outputs.extend(answer(&mut h, &output));
            for produced in &outputs {
                if h.engine.fill_burst_tripped() {
                    prop_assert!(placed(produced).is_empty(), "a place while tripped at step {number}");
                }
            }
        }
    }
}

#[test]
fn under_the_configured_bound_the_order_group_is_never_exceeded_before_a_trip() {
    // A deterministic worst case: fills just under the threshold, then one full order.
    let (mut h, _) = quoting();
    h.send(own_fill(1, BookSide::Bid, ORDER_MAX));
    h.send(own_fill(2, BookSide::Ask, THRESHOLD - ORDER_MAX - 1));
    assert!(!h.engine.fill_burst_tripped());
    let last = h.send(own_fill(3, BookSide::Bid, ORDER_MAX));
    // 29 contracts: the group (limit 30) is still within its limit, and the breaker tripped.
    assert!(h.engine.fill_burst_tripped());
    assert_eq!(
        burst_records(&last),
        vec![(FillBurstState::Tripped, count(THRESHOLD - 1 + ORDER_MAX))]
    );
}
