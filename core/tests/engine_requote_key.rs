//! Requoting only markets whose strategy inputs changed: a book change the ladder does not read
//! costs no requote, a touch move does, and so does time crossing a boundary the plan reads
//! (the ladder's age limit, a model probability going stale).

mod support;

use kalshi_core::commands::Command;
use kalshi_core::decision::Decision;
use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::{CancelAck, Envelope, Event, OrderAck, RequestKind, TimerKind};
use kalshi_core::market_data::{BookDelta, BookLevel, BookSnapshot, PublicTrade};
use kalshi_core::strategy::RequoteReason;
use kalshi_core::strategy::maker_ladder::MakerLadder;
use kalshi_core::{BookSide, Count, SignedCount};
use support::{Harness, count, placed, price};

const TICKER: &str = "KXKEY-1";
const SECOND_NS: i64 = 1_000_000_000;

/// Seven levels a side, one cent apart: 0.40 down to 0.34 and 0.50 up to 0.56, 100 contracts
/// each. The ladder sizes from the first five levels, so the sixth and seventh are deep.
fn deep_book() -> Event {
    let level = |cents: i64| BookLevel {
        price: kalshi_core::Price::from_cents(cents).unwrap(),
        size: count(100),
    };
    Event::BookSnapshot(BookSnapshot {
        ticker: TICKER.to_string(),
        bids: (34..=40).map(level).collect(),
        asks: (50..=56).map(level).collect(),
        clock: Some(1),
    })
}

fn delta(side: BookSide, at: &str, contracts: i64) -> Event {
    Event::BookDelta(BookDelta {
        ticker: TICKER.to_string(),
        side,
        price: price(at),
        delta: SignedCount::from_centi(contracts * 100),
        clock: None,
        client_order_id: None,
    })
}

fn tick() -> Event {
    Event::Timer {
        kind: TimerKind::Tick,
    }
}

/// Answers every command of `output` the way a quiet exchange would (places rest in full,
/// cancels and amends are acknowledged), and the commands those answers trigger in turn.
fn exchange(h: &mut Harness, output: &Output) {
    let mut pending: Vec<Command> = output.commands.clone();
    while let Some(command) = pending.pop() {
        let answer = match command {
            Command::Place(order) => Event::OrderAck(OrderAck {
                order_id: format!("ex-{}", order.client_order_id),
                client_order_id: order.client_order_id.clone(),
                request: RequestKind::Place,
                fill_count: Count::ZERO,
                remaining_count: order.count,
            }),
            Command::Cancel(cancel) => Event::CancelAck(CancelAck {
                order_id: format!("ex-{}", cancel.client_order_id),
                client_order_id: cancel.client_order_id,
                reduced_by: Count::ZERO,
            }),
            Command::Decrease(decrease) => Event::OrderAck(OrderAck {
                client_order_id: decrease.client_order_id,
                order_id: decrease.order_id,
                request: RequestKind::Decrease,
                fill_count: Count::ZERO,
                remaining_count: decrease.reduce_to,
            }),
            Command::Amend(amend) => Event::OrderAck(OrderAck {
                client_order_id: amend.client_order_id.clone(),
                order_id: amend.order_id.clone(),
                request: RequestKind::Amend,
                fill_count: Count::ZERO,
                remaining_count: amend.remaining_count,
            }),
            other => panic!("the test exchange does not answer {other:?}"),
        };
        let next = h.send_after(1_000_000, answer);
        pending.extend(next.commands);
    }
}

fn quote_reasons(output: &Output) -> Vec<RequoteReason> {
    output
        .decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::Quote(quote) => Some(quote.reason),
            _ => None,
        })
        .collect()
}

/// An engine quoting one market on the deep book with the default settings, then one tick
/// later at rest: its last requote found nothing to do.
fn quoting() -> Harness {
    quoting_with(support::quoting_config("rk"))
}

/// [`quoting`] with `config`.
fn quoting_with(config: kalshi_core::config::EngineConfig) -> Harness {
    let mut h = Harness::new();
    h.send(Event::Config(Box::new(config)));
    h.send(Event::Reconciled {
        orders: vec![],
        positions: vec![],
    });
    h.send(Event::MarketListing(vec![support::listing(
        TICKER,
        "KXKEY",
        "requote key",
    )]));
    let ladder = h.send(deep_book());
    assert!(!placed(&ladder).is_empty(), "{:?}", ladder.decisions);
    exchange(&mut h, &ladder);
    let settled = h.send(tick());
    assert_eq!(settled, Output::default());
    h
}

#[test]
fn a_delta_deep_in_the_book_costs_no_requote() {
    let mut h = quoting();
    let before = h.engine.requotes_run();
    // The seventh bid level and the sixth ask level: outside the ladder's sizing depth, and
    // the fair value (touch and touch sizes here) does not read them.
    let deep_bid = h.send(delta(BookSide::Bid, "0.34", 25));
    let deep_ask = h.send(delta(BookSide::Ask, "0.55", -40));
    assert_eq!(deep_bid, Output::default());
    assert_eq!(deep_ask, Output::default());
    assert_eq!(h.engine.requotes_run(), before, "no requote ran");
    // A tick inside the age limit changes nothing either.
    assert_eq!(h.send(tick()), Output::default());
    assert_eq!(h.engine.requotes_run(), before);
}

#[test]
fn a_delta_inside_the_sizing_depth_requotes_without_output() {
    let mut h = quoting();
    let before = h.engine.requotes_run();
    // The third bid level: the ladder's bid size reads it, so the market is requoted, but
    // the plan keeps its quotes.
    let output = h.send(delta(BookSide::Bid, "0.38", 10));
    assert_eq!(h.engine.requotes_run(), before + 1);
    assert!(quote_reasons(&output).is_empty(), "{:?}", output.decisions);
    // Now at rest again: the same kind of change elsewhere deep is skipped.
    h.send(delta(BookSide::Bid, "0.34", 10));
    assert_eq!(h.engine.requotes_run(), before + 1);
}

#[test]
fn a_delta_that_moves_the_touch_requotes() {
    let mut h = quoting();
    let before = h.engine.requotes_run();
    // A new best bid at 0.42 (the fair value moves with it).
    let output = h.send(delta(BookSide::Bid, "0.42", 50));
    assert_eq!(h.engine.requotes_run(), before + 1);
    let touch: Vec<_> = output
        .decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::Quote(quote) => Some(quote.best_bid),
            _ => None,
        })
        .collect();
    assert_eq!(touch, vec![Some(price("0.42"))], "{:?}", output.decisions);
    assert!(!output.commands.is_empty());
}

#[test]
fn the_age_limit_passing_requotes() {
    let mut h = quoting();
    let before = h.engine.requotes_run();
    // The ladder was laid a few acknowledgements and 100 ms before the settling tick; its age
    // limit is 30 s.
    let early = h.send_after(29 * SECOND_NS, tick());
    assert_eq!(early, Output::default());
    assert_eq!(h.engine.requotes_run(), before, "not aged yet: skipped");
    let aged = h.send_after(SECOND_NS, tick());
    assert_eq!(h.engine.requotes_run(), before + 1);
    assert_eq!(
        quote_reasons(&aged),
        vec![RequoteReason::Aged],
        "{:?}",
        aged.decisions
    );
}

#[test]
fn a_model_probability_going_stale_moves_fair_value_and_requotes() {
    let mut config = support::quoting_config("rk");
    // Ladders never age in this test: only the model's freshness moves with time.
    config.strategy.rung_age_max_ns = 3_600 * SECOND_NS;
    let mut h = quoting_with(config);
    let model = h.send(Event::ModelProbability {
        ticker: TICKER.to_string(),
        probability_ppm: 480_000,
    });
    assert_eq!(quote_reasons(&model), vec![RequoteReason::FairMoved]);
    let model_ts_ns = h.ts_ns;
    exchange(&mut h, &model);
    // The re-laid ladder may take a few steps to rest in full (open-order limit, rate budget).
    for _ in 0..20 {
        let step = h.send(tick());
        if step == Output::default() {
            break;
        }
        exchange(&mut h, &step);
    }
    // The model counts while at most 15 minutes old. Settle just before that.
    let settle = h.send_after(model_ts_ns + 900 * SECOND_NS - 2 - h.ts_ns, tick());
    assert_eq!(settle, Output::default());
    let before = h.engine.requotes_run();
    assert_eq!(h.send_after(1, tick()), Output::default());
    assert_eq!(h.send_after(1, tick()), Output::default());
    assert_eq!(h.engine.requotes_run(), before, "still fresh: skipped");
    // One nanosecond past the limit the model is stale, the fair value falls back to the
    // book alone and the ladder moves.
    let stale = h.send_after(1, tick());
    assert_eq!(h.engine.requotes_run(), before + 1);
    assert!(!stale.commands.is_empty());
    assert_eq!(
        quote_reasons(&stale),
        vec![RequoteReason::FairMoved],
        "{:?}",
        stale.decisions
    );
}

/// A seeded linear congruential generator: the same stream on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// The next input of a busy market: mostly book changes near and far from the touch, some
/// trades, ticks at gaps from 1 ms to 40 s, the odd model probability, pause or stale feed,
/// and the exchange's answers to what the engine sent (late, so orders sit pending a while).
fn next_event(rng: &mut Lcg, pending: &mut Vec<Command>) -> (i64, Event) {
    let cents = |cents: u64| kalshi_core::Price::from_cents(cents as i64).unwrap();
    let roll = rng.below(100);
    let gap_ns = 1_000_000 * (1 + rng.below(50) as i64);
    let event = match roll {
        0..=54 => {
            let side = if rng.below(2) == 0 {
                BookSide::Bid
            } else {
                BookSide::Ask
            };
            let at = match side {
                BookSide::Bid => 30 + rng.below(15),
                BookSide::Ask => 46 + rng.below(15),
            };
            let contracts = rng.below(120) as i64 - 40;
            Event::BookDelta(BookDelta {
                ticker: TICKER.to_string(),
                side,
                price: cents(at),
                delta: SignedCount::from_centi(contracts * 100),
                clock: None,
                client_order_id: None,
            })
        }
        55..=59 => deep_book(),
        60..=67 => Event::PublicTrade(PublicTrade {
            trade_id: format!("t{}", rng.below(1_000_000)),
            ticker: TICKER.to_string(),
            yes_price: cents(40 + rng.below(11)),
            count: count(1 + rng.below(30) as i64),
            taker_side: if rng.below(2) == 0 {
                BookSide::Bid
            } else {
                BookSide::Ask
            },
            ts_ns: 0,
        }),
        68..=81 => {
            let gaps_ns = [
                1_000_000,
                100_000_000,
                SECOND_NS,
                10 * SECOND_NS,
                40 * SECOND_NS,
            ];
            return (gaps_ns[rng.below(5) as usize], tick());
        }
        82..=83 => Event::ModelProbability {
            ticker: TICKER.to_string(),
            probability_ppm: 300_000 + rng.below(400_000) as u32,
        },
        84 => Event::ExchangeStatus {
            trading_active: rng.below(4) != 0,
        },
        85 => Event::FeedLag {
            lag_ms: 10,
            stale: rng.below(3) == 0,
        },
        _ if pending.is_empty() => tick(),
        _ => match pending.remove(0) {
            Command::Place(order) => Event::OrderAck(OrderAck {
                order_id: format!("ex-{}", order.client_order_id),
                client_order_id: order.client_order_id.clone(),
                request: RequestKind::Place,
                fill_count: Count::ZERO,
                remaining_count: order.count,
            }),
            Command::Cancel(cancel) => Event::CancelAck(CancelAck {
                order_id: format!("ex-{}", cancel.client_order_id),
                client_order_id: cancel.client_order_id,
                reduced_by: Count::ZERO,
            }),
            Command::Decrease(decrease) => Event::OrderAck(OrderAck {
                client_order_id: decrease.client_order_id,
                order_id: decrease.order_id,
                request: RequestKind::Decrease,
                fill_count: Count::ZERO,
                remaining_count: decrease.reduce_to,
            }),
            Command::Amend(amend) => Event::OrderAck(OrderAck {
                client_order_id: amend.client_order_id.clone(),
                order_id: amend.order_id.clone(),
                request: RequestKind::Amend,
                fill_count: Count::ZERO,
                remaining_count: amend.remaining_count,
            }),
            _ => tick(),
        },
    };
    (gap_ns, event)
}

/// Feeds one generated stream to an engine that skips requotes and to one that cannot (a
/// maker ladder passed in as a custom strategy has no quote key), and checks every step's
/// output is the same while the first ran at least a fifth fewer requotes.
fn skipping_matches_planning_every_time(seed: u64, tuning: Option<Event>) {
    let config = support::quoting_config("rk");
    let mut skipping = Engine::new();
    let mut full = Engine::with_strategy(Box::new(MakerLadder::new(config.strategy.clone())));
    let mut setup = vec![
        Event::Config(Box::new(config)),
        Event::Reconciled {
            orders: vec![],
            positions: vec![],
        },
    ];
    setup.extend(tuning);
    setup.push(Event::MarketListing(vec![support::listing(
        TICKER,
        "KXKEY",
        "requote key",
    )]));
    setup.push(deep_book());
    let mut rng = Lcg(seed);
    let mut pending = Vec::new();
    let mut ts_ns = 1_000_000_000;
    let mut places = 0;
    for seq in 1..=20_000u64 {
        let (gap_ns, event) = match setup.get(seq as usize - 1) {
            Some(event) => (100_000_000, event.clone()),
            None => next_event(&mut rng, &mut pending),
        };
        ts_ns += gap_ns;
        let envelope = Envelope { seq, ts_ns, event };
        let expected = full.process(&envelope);
        let output = skipping.process(&envelope);
        assert_eq!(output, expected, "step {seq}: {:?}", envelope.event);
        places += placed(&output).len();
        pending.extend(output.commands);
    }
    assert!(
        places > 200,
        "the stream kept the ladder busy: {places} places"
    );
    assert!(
        skipping.requotes_run() * 5 < full.requotes_run() * 4,
        "{} of {} requotes ran",
        skipping.requotes_run(),
        full.requotes_run()
    );
}

#[test]
fn skipping_requotes_changes_no_output() {
    for seed in [1, 7, 42] {
        skipping_matches_planning_every_time(seed, None);
    }
}

#[test]
fn skipping_requotes_changes_no_output_with_the_recommended_tuning() {
    let tuning = Event::TuningSettings(kalshi_core::tuning::Tuning::default().settings());
    for seed in [3, 11] {
        skipping_matches_planning_every_time(seed, Some(tuning.clone()));
    }
}
