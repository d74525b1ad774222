//! A feed reconnect holds new orders until the reconciliation lands: quotes can still be
//! withdrawn (cancels flow), nothing new is placed, and quoting resumes on `Reconciled`.

use kalshi_core::client_order_id::{ClientOrderId, RunId};
use kalshi_core::commands::Command;
use kalshi_core::config::EngineConfig;
use kalshi_core::decision::{Decision, PlacesHeldReason};
use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::{CancelAck, Envelope, Event, OrderAck, RequestKind};
use kalshi_core::market_data::{
    BookLevel, BookSnapshot, FeeParams, MarketInfo, MarketStatus, PriceRange,
};
use kalshi_core::strategy::WithdrawReason;
use kalshi_core::{Count, Price};

const TICKER: &str = "KXRECON-1";

fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}
fn count(contracts: i64) -> Count {
    Count::from_contracts(contracts).unwrap()
}

fn config() -> EngineConfig {
    let mut config = EngineConfig {
        run_id: RunId::parse("rc").unwrap(),
        ..EngineConfig::default()
    };
    config.scanner.volume_24h_min = Count::ZERO;
    config.scanner.open_interest_min = Count::ZERO;
    // Withdraw the whole ladder once no rung at or inside the touch earns half a cent.
    config.strategy.edge_decay_cancel_micros = 5_000;
    config
}

fn listing() -> MarketInfo {
    MarketInfo {
        ticker: TICKER.to_string(),
        event_ticker: "KXRECON".to_string(),
        title: "reconnect".to_string(),
        status: MarketStatus::Active,
        open_time_ns: Some(0),
        close_time_ns: Some(2_000_000_000_000_000_000),
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

fn book(bid: &str, ask: &str, clock: u64) -> Event {
    Event::BookSnapshot(BookSnapshot {
        ticker: TICKER.to_string(),
        bids: vec![BookLevel {
            price: price(bid),
            size: count(100),
        }],
        asks: vec![BookLevel {
            price: price(ask),
            size: count(100),
        }],
        clock: Some(clock),
    })
}

struct Harness {
    engine: Engine,
    seq: u64,
    ts_ns: i64,
}

impl Harness {
    fn new() -> Harness {
        Harness {
            engine: Engine::new(),
            seq: 0,
            ts_ns: 1_000_000_000,
        }
    }

    fn send(&mut self, event: Event) -> Output {
        self.seq += 1;
        self.ts_ns += 100_000_000;
        self.engine.process(&Envelope {
            seq: self.seq,
            ts_ns: self.ts_ns,
            event,
        })
    }
}

fn placed(output: &Output) -> Vec<ClientOrderId> {
    output
        .commands
        .iter()
        .filter_map(|command| match command {
            Command::Place(order) => Some(order.client_order_id.clone()),
            _ => None,
        })
        .collect()
}

fn cancelled(output: &Output) -> Vec<ClientOrderId> {
    output
        .commands
        .iter()
        .filter_map(|command| match command {
            Command::Cancel(cancel) => Some(cancel.client_order_id.clone()),
            _ => None,
        })
        .collect()
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
