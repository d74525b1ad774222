//! A feed reconnect holds new orders until the reconciliation lands: quotes can still be
//! withdrawn (cancels flow), nothing new is placed, and quoting resumes on `Reconciled`.

mod support;

use kalshi_core::Count;
use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::Command;
use kalshi_core::config::EngineConfig;
use kalshi_core::decision::{Decision, PlacesHeldReason};
use kalshi_core::engine::Output;
use kalshi_core::events::{CancelAck, Envelope, Event, OrderAck, RequestKind};
use kalshi_core::market_data::MarketInfo;
use kalshi_core::strategy::WithdrawReason;
use support::{Harness, cancelled, count, placed};

const TICKER: &str = "KXRECON-1";

fn config() -> EngineConfig {
    let mut config = support::quoting_config("rc");
    // Withdraw the whole ladder once no rung at or inside the touch earns half a cent.
    config.strategy.edge_decay_cancel_micros = 5_000;
    config
}

fn listing() -> MarketInfo {
    support::listing(TICKER, "KXRECON", "reconnect")
}

fn book(bid: &str, ask: &str, clock: u64) -> Event {
    support::one_level_book(TICKER, bid, ask, clock)
}

fn held(output: &Output) -> Vec<(String, u32, PlacesHeldReason)> {
    output
        .decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::PlacesHeld {
                ticker,
                count,
                reason,
            } => Some((ticker.clone(), *count, *reason)),
            _ => None,
        })
        .collect()
}

/// A quoting engine with its ladder placed and acknowledged; returns the ladder's ids.
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
    assert_eq!(
        ids.len(),
        6,
        "a three-rung ladder per side is the starting point"
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
fn reconnect_holds_places_lets_cancels_through_and_reconciliation_resumes_quoting() {
    let (mut h, ladder) = quoting();

    let reconnect = h.send(Event::FeedReconnected);
    assert!(reconnect.commands.is_empty());
    assert_eq!(reconnect.decisions, vec![Decision::AwaitingReconciliation]);
    assert!(h.engine.awaiting_reconciliation());

    // The spread collapses: the ladder's edge decays and every quote is withdrawn at once.
    let decayed = h.send(book("0.45", "0.46", 2));
    assert!(decayed.decisions.iter().any(|decision| matches!(
        decision,
        Decision::Withdraw {
            reason: WithdrawReason::EdgeDecayed,
            ..
        }
    )));
    let mut withdrawn = cancelled(&decayed);
    withdrawn.sort();
    let mut expected = ladder.clone();
    expected.sort();
    assert_eq!(
        withdrawn, expected,
        "every quote is cancelled while awaiting"
    );
    assert!(placed(&decayed).is_empty());
    for id in &ladder {
        h.send(Event::CancelAck(CancelAck {
            client_order_id: id.clone(),
            order_id: format!("ex-{id}"),
            reduced_by: count(5),
        }));
    }

    // The spread reopens: the strategy wants a ladder again, but nothing is placed and the
    // decision says why.
    let reopened = h.send(book("0.40", "0.50", 3));
    assert!(reopened.commands.is_empty(), "{:?}", reopened.commands);
    assert_eq!(
        held(&reopened),
        vec![(
            TICKER.to_string(),
            6,
            PlacesHeldReason::AwaitingReconciliation
        )]
    );
    // Other traffic (a timer) does not release the hold either.
    let tick = h.send(Event::Timer {
        kind: kalshi_core::events::TimerKind::Tick,
    });
    assert!(placed(&tick).is_empty());

    // Reconciliation lands: the ladder goes out in that same step, under fresh client ids.
    let reconciled = h.send(Event::Reconciled {
        orders: vec![],
        positions: vec![],
    });
    assert!(!h.engine.awaiting_reconciliation());
    let resumed = placed(&reconciled);
    assert_eq!(resumed.len(), 6);
    assert!(resumed.iter().all(|id| !ladder.contains(id)));
    assert!(held(&reconciled).is_empty());
}

#[test]
fn reconnect_before_any_quote_only_delays_the_first_ladder() {
    let mut h = Harness::new();
    h.send(Event::Config(Box::new(config())));
    h.send(Event::Reconciled {
        orders: vec![],
        positions: vec![],
    });
    h.send(Event::MarketListing(vec![listing()]));
    h.send(Event::FeedReconnected);
    let first_book = h.send(book("0.40", "0.50", 1));
    assert!(placed(&first_book).is_empty());
    assert_eq!(held(&first_book).len(), 1);
    let reconciled = h.send(Event::Reconciled {
        orders: vec![],
        positions: vec![],
    });
    assert_eq!(placed(&reconciled).len(), 6);
}

#[test]
fn the_event_decodes_as_the_last_variant_and_prints_one_line() {
    let envelope = Envelope {
        seq: 9,
        ts_ns: 5,
        event: Event::FeedReconnected,
    };
    assert_eq!(envelope.transcript_line(), "#9 @5 FEED_RECONNECTED");
    let text = serde_json::to_string(&envelope).unwrap();
    let back: Envelope = serde_json::from_str(&text).unwrap();
    assert_eq!(back, envelope);
}
