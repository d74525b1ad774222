//! The daily loss stop sees marked losses as they happen: a book change that moves the mark
//! of a market where we hold a position past the stop halts in that same step, with the
//! HALTED decision and the cancels of every quote, as a fill or a timer tick would.

mod support;

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::Command;
use kalshi_core::config::EngineConfig;
use kalshi_core::decision::Decision;
use kalshi_core::engine::Output;
use kalshi_core::events::{Event, OrderAck, RequestKind};
use kalshi_core::market_data::{BookDelta, BookLevel, BookSnapshot, MarketInfo, PositionSnapshot};
use kalshi_core::risk::{RiskState, RiskStateReason};
use kalshi_core::{BookSide, Count, Money, SignedCount};
use support::{Harness, cancelled, count, placed, price};

const TICKER: &str = "KXMARK-1";

fn config() -> EngineConfig {
    let mut config = support::quoting_config("mk");
    config.risk.daily_loss_stop = Money::from_micros(10_000_000);
    config.risk.daily_loss_reducing = Money::from_micros(5_000_000);
    config
}

fn listing() -> MarketInfo {
    support::listing(TICKER, "KXMARK", "mark")
}

/// Two bid levels far apart, so taking out the best bid drops the mid a long way.
fn thin_book() -> Event {
    Event::BookSnapshot(BookSnapshot {
        ticker: TICKER.to_string(),
        bids: vec![
            BookLevel {
                price: price("0.44"),
                size: count(100),
            },
            BookLevel {
                price: price("0.20"),
                size: count(100),
            },
        ],
        asks: vec![BookLevel {
            price: price("0.46"),
            size: count(100),
        }],
        clock: Some(1),
    })
}

fn best_bid_change(price_text: &str, contracts: i64, clock: u64) -> Event {
    Event::BookDelta(BookDelta {
        ticker: TICKER.to_string(),
        side: BookSide::Bid,
        price: price(price_text),
        delta: SignedCount::from_centi(contracts * 100),
        clock: Some(clock),
        client_order_id: None,
    })
}

fn risk_states(output: &Output) -> Vec<(RiskState, RiskStateReason)> {
    output
        .decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::RiskState(record) => Some((record.state, record.reason)),
            _ => None,
        })
        .collect()
}

/// Long 100 YES bought at 0.45 ($45 cost), quoting around a 0.44/0.46 book (mid 0.45, so
/// nothing is lost yet); every quote acknowledged. Returns the quotes' ids.
fn long_and_quoting() -> (Harness, Vec<ClientOrderId>) {
    let mut h = Harness::new();
    h.send(Event::Config(Box::new(config())));
    h.send(Event::MarketListing(vec![listing()]));
    h.send(Event::Reconciled {
        orders: vec![],
        positions: vec![PositionSnapshot {
            ticker: TICKER.to_string(),
            position: SignedCount::from_centi(10_000),
            cost: Money::from_micros(45_000_000),
            realized_pnl: Money::ZERO,
            fees_paid: Money::ZERO,
        }],
    });
    let ladder = h.send(thin_book());
    assert!(risk_states(&ladder).is_empty(), "flat mark: no loss yet");
    let ids = placed(&ladder);
    assert!(
        !ids.is_empty(),
        "the ladder quotes the reducing side at least"
    );
    for command in &ladder.commands {
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
    (h, ids)
}

#[test]
fn a_book_delta_that_marks_the_position_through_the_stop_halts_in_that_step() {
    let (mut h, quotes) = long_and_quoting();
    assert_eq!(h.engine.risk_state(), RiskState::Active);

    // The best bid vanishes: mid (0.20 + 0.46) / 2 = 0.33, so 100 × 0.33 − $45 = −$12,
    // beyond the $10 stop. No fill and no timer: the book change alone halts.
    let step = h.send(best_bid_change("0.44", -100, 2));
    assert_eq!(
        risk_states(&step),
        vec![(RiskState::Halted, RiskStateReason::DailyLossStop)]
    );
    assert_eq!(h.engine.risk_state(), RiskState::Halted);
    let mut cancelled_ids = cancelled(&step);
    cancelled_ids.sort();
    let mut expected = quotes.clone();
    expected.sort();
    assert_eq!(
        cancelled_ids, expected,
        "every quote is cancelled in the halting step"
    );
    assert!(placed(&step).is_empty());

    // The book recovering does not un-halt: only an operator resume does.
    let recovered = h.send(best_bid_change("0.44", 100, 3));
    assert!(risk_states(&recovered).is_empty());
    assert!(placed(&recovered).is_empty());
    assert_eq!(h.engine.risk_state(), RiskState::Halted);
}

#[test]
fn a_mark_inside_both_thresholds_changes_nothing_until_it_passes_the_stop() {
    let (mut h, _) = long_and_quoting();
    // A new best bid at 0.36 first (mid 0.45 → unchanged touch on the ask side), then the
    // 0.44 level goes: mid (0.36 + 0.46) / 2 = 0.41, 100 × 0.41 − $45 = −$4: within limits.
    let deeper = h.send(best_bid_change("0.36", 100, 2));
    assert!(risk_states(&deeper).is_empty());
    let within = h.send(best_bid_change("0.44", -100, 3));
    assert!(
        risk_states(&within).is_empty(),
        "−$4 is inside both thresholds"
    );
    // 0.36 goes too: mid (0.20 + 0.46) / 2 = 0.33 → −$12 → straight to HALTED.
    let beyond = h.send(best_bid_change("0.36", -100, 4));
    assert_eq!(
        risk_states(&beyond),
        vec![(RiskState::Halted, RiskStateReason::DailyLossStop)]
    );
}

#[test]
fn a_mark_between_the_thresholds_goes_reducing_on_the_book_change() {
    let (mut h, _) = long_and_quoting();
    // New best bid 0.30 below 0.44, then 0.44 goes: mid (0.30 + 0.46) / 2 = 0.38 → −$7:
    // past the $5 reduce-only threshold, short of the $10 stop.
    h.send(best_bid_change("0.30", 100, 2));
    let step = h.send(best_bid_change("0.44", -100, 3));
    assert_eq!(
        risk_states(&step),
        vec![(RiskState::Reducing, RiskStateReason::DailyLossReducing)]
    );
    assert_eq!(h.engine.risk_state(), RiskState::Reducing);
}

#[test]
fn marks_of_markets_without_a_position_do_not_move_the_risk_state() {
    let mut h = Harness::new();
    h.send(Event::Config(Box::new(config())));
    h.send(Event::MarketListing(vec![listing()]));
    h.send(Event::Reconciled {
        orders: vec![],
        positions: vec![],
    });
    h.send(thin_book());
    let step = h.send(best_bid_change("0.44", -100, 2));
    assert!(risk_states(&step).is_empty());
    assert_eq!(h.engine.risk_state(), RiskState::Active);
}
