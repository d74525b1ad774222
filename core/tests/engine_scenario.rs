//! End-to-end scenarios through `Engine::process`: config → listing → snapshot → ladder →
//! fill → skew → invalid book → halt, plus determinism and restart-while-halted.

mod support;

use kalshi_core::client_order_id::{ClientOrderId, RunId};
use kalshi_core::commands::{Command, TimeInForce};
use kalshi_core::config::EngineConfig;
use kalshi_core::decision::Decision;
use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::{
    BookInvalidation, CancelAck, ControlCommand, Envelope, Event, OrderAck, RequestKind,
};
use kalshi_core::market_data::{BookLevel, BookSnapshot, MarketInfo, OwnFill};
use kalshi_core::risk::RiskState;
use kalshi_core::tick_grid::TickGrid;
use kalshi_core::{BookSide, Count, Money, Price};
use support::{count, price};

fn config() -> EngineConfig {
    let mut config = EngineConfig {
        run_id: RunId::parse("t1").unwrap(),
        ..EngineConfig::default()
    };
    config.scanner.volume_24h_min = Count::ZERO;
    config.scanner.open_interest_min = Count::ZERO;
    config.strategy.inventory_skew_micros_per_contract = 2_000;
    config
}

fn listing() -> MarketInfo {
    support::listing("KXTEST-1", "KXTEST", "test")
}

fn snapshot() -> Event {
    Event::BookSnapshot(BookSnapshot {
        ticker: "KXTEST-1".to_string(),
        bids: vec![BookLevel {
            price: price("0.40"),
            size: count(100),
        }],
        asks: vec![BookLevel {
            price: price("0.50"),
            size: count(100),
        }],
        clock: Some(1),
    })
}

struct Harness {
    engine: Engine,
    seq: u64,
    ts_ns: i64,
    transcript: Vec<String>,
}

impl Harness {
    fn new() -> Harness {
        Harness {
            engine: Engine::new(),
            seq: 0,
            ts_ns: 1_000_000_000,
            transcript: Vec::new(),
        }
    }

    fn send(&mut self, event: Event) -> Output {
        self.seq += 1;
        self.ts_ns += 100_000_000;
        let envelope = Envelope {
            seq: self.seq,
            ts_ns: self.ts_ns,
            event,
        };
        let output = self.engine.process(&envelope);
        self.transcript.push(envelope.transcript_line());
        self.transcript.extend(
            output
                .commands
                .iter()
                .map(|c| format!("  > {}", c.transcript_line())),
        );
        self.transcript.extend(
            output
                .decisions
                .iter()
                .map(|d| format!("  = {}", d.transcript_line())),
        );
        output
    }

    fn ack_all(&mut self, output: &Output) {
        for command in &output.commands {
            if let Command::Place(order) = command {
                let order_id = format!("ex-{}", order.client_order_id);
                self.send(Event::OrderAck(OrderAck {
                    client_order_id: order.client_order_id.clone(),
                    order_id,
                    request: RequestKind::Place,
                    fill_count: Count::ZERO,
                    remaining_count: order.count,
                }));
            }
        }
    }
}

fn places(output: &Output) -> Vec<(BookSide, Price, Count, ClientOrderId)> {
    output
        .commands
        .iter()
        .filter_map(|command| match command {
            Command::Place(order) => Some((
                order.side,
                order.price,
                order.count,
                order.client_order_id.clone(),
            )),
            _ => None,
        })
        .collect()
}

fn cancels(output: &Output) -> Vec<ClientOrderId> {
    output
        .commands
        .iter()
        .filter_map(|command| match command {
            Command::Cancel(cancel) => Some(cancel.client_order_id.clone()),
            _ => None,
        })
        .collect()
}

/// The full scenario; returns the harness for further checks.
fn run_scenario() -> (Harness, Vec<Output>) {
    let mut h = Harness::new();
    let mut outputs = Vec::new();
    outputs.push(h.send(Event::Config(Box::new(config()))));
    outputs.push(h.send(Event::Reconciled {
        orders: vec![],
        positions: vec![],
    }));
    outputs.push(h.send(Event::MarketListing(vec![listing()])));
    let ladder = h.send(snapshot());
    outputs.push(ladder.clone());
    h.ack_all(&ladder);
    // The innermost bid (0.44 × 7) fills completely.
    let top_bid = places(&ladder)
        .into_iter()
        .find(|(side, p, _, _)| *side == BookSide::Bid && *p == price("0.44"))
        .unwrap();
    let fill = h.send(Event::OwnFill(OwnFill {
        fill_id: "f-1".to_string(),
        order_id: format!("ex-{}", top_bid.3),
        client_order_id: Some(top_bid.3.to_string()),
        ticker: "KXTEST-1".to_string(),
        side: BookSide::Bid,
        yes_price: price("0.44"),
        count: count(7),
        is_taker: false,
        fee: Money::ZERO,
        post_position: None,
        ts_ns: 0,
    }));
    outputs.push(fill.clone());
    h.ack_all(&fill);
    for id in cancels(&fill) {
        h.send(Event::CancelAck(CancelAck {
            client_order_id: id.clone(),
            order_id: format!("ex-{id}"),
            reduced_by: count(7),
        }));
    }
    outputs.push(h.send(Event::BookInvalidated {
        ticker: "KXTEST-1".to_string(),
        reason: BookInvalidation::SequenceGap,
    }));
    outputs.push(h.send(Event::Control(ControlCommand::Halt)));
    outputs.push(h.send(snapshot()));
    (h, outputs)
}

#[test]
fn scenario_ladder_fill_skew_invalid_halt() {
    let (h, outputs) = run_scenario();
    let grid = TickGrid::from_structure("linear_cent").unwrap();

    // Nothing is placed before the book exists.
    assert!(outputs[..3].iter().all(|output| output.commands.is_empty()));

    // The ladder: 3 post-only GTC rungs per side, strictly inside the spread, on the grid.
    let ladder = &outputs[3];
    let placed = places(ladder);
    let bids: Vec<_> = placed
        .iter()
        .filter(|p| p.0 == BookSide::Bid)
        .map(|p| p.1)
        .collect();
    let asks: Vec<_> = placed
        .iter()
        .filter(|p| p.0 == BookSide::Ask)
        .map(|p| p.1)
        .collect();
    assert_eq!(bids, vec![price("0.44"), price("0.43"), price("0.42")]);
    assert_eq!(asks, vec![price("0.46"), price("0.47"), price("0.48")]);
    for command in &ladder.commands {
        let Command::Place(order) = command else {
            panic!("only places expected, got {command}")
        };
        assert!(order.post_only && !order.reduce_only);
        assert_eq!(order.time_in_force, TimeInForce::GoodTillCanceled);
        assert!(grid.is_valid(order.price));
        assert!(order.price > price("0.40") && order.price < price("0.50"));
        assert!(order.client_order_id.as_str().starts_with("kb-t1-"));
    }
    // Every place was EV-gated and risk-approved first.
    let ev_passes = ladder
        .decisions
        .iter()
        .filter(|d| matches!(d, Decision::Ev(ev) if ev.passed()))
        .count();
    let approvals = ladder
        .decisions
        .iter()
        .filter(|d| matches!(d, Decision::Risk(r) if r.rejection.is_none()))
        .count();
    assert_eq!((ev_passes, approvals), (6, 6));

    // After the fill (long 7, skew 0.2¢/contract), the reservation price drops 1.4¢ to 0.436:
    // the EV gate values every rung there, so the bids step down (0.43 no longer pays; a new
    // 0.41 rung) and the asks, which now reduce the position, move in toward it (a new 0.45
    // rung) while the two outer asks are pulled.
    let fill = &outputs[4];
    assert!(
        fill.decisions
            .iter()
            .any(|d| matches!(d, Decision::Fill(f) if f.position_after.centi() == 700))
    );
    let quote = fill
        .decisions
        .iter()
        .find_map(|d| match d {
            Decision::Quote(q) => Some(q.clone()),
            _ => None,
        })
        .unwrap();
    let top_bid = quote
        .quotes
        .iter()
        .filter(|q| q.side == BookSide::Bid)
        .map(|q| q.price)
        .max()
        .unwrap();
    assert_eq!(top_bid, price("0.42"));
    assert!(
        quote
            .quotes
            .iter()
            .filter(|q| q.side == BookSide::Bid)
            .all(|q| q.count < count(7))
    );
    let new_places = places(fill);
    assert!(
        new_places
            .iter()
            .any(|p| p.0 == BookSide::Bid && p.1 == price("0.41"))
    );
    assert!(
        new_places
            .iter()
            .any(|p| p.0 == BookSide::Ask && p.1 == price("0.45"))
    );
    assert_eq!(
        cancels(fill).len(),
        3,
        "the 0.43 bid and the two outer asks go"
    );
    // The bid that kept its price shrinks in place (queue priority kept), not cancel+place.
    let decreases: Vec<_> = fill
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Decrease(decrease) => Some(decrease.reduce_to),
            _ => None,
        })
        .collect();
    assert_eq!(decreases, vec![count(6)]);

    // Book invalid: every working quote of the market is cancelled in the same step.
    let invalid = &outputs[5];
    let live_quotes = h
        .engine
        .orders()
        .orders()
        .filter(|o| o.managed && !o.status.is_terminal())
        .count();
    assert!(!cancels(invalid).is_empty());
    assert!(
        invalid
            .commands
            .iter()
            .all(|c| matches!(c, Command::Cancel(_)))
    );
    assert_eq!(cancels(invalid).len(), live_quotes);

    // Halt: the state is a decision, and afterwards only cancels may pass.
    let halt = &outputs[6];
    assert!(
        halt.decisions
            .iter()
            .any(|d| matches!(d, Decision::RiskState(r) if r.state == RiskState::Halted))
    );
    assert!(
        halt.commands
            .iter()
            .all(|c| matches!(c, Command::Cancel(_)))
    );
    let after = &outputs[7];
    assert!(
        after
            .commands
            .iter()
            .all(|c| matches!(c, Command::Cancel(_)))
    );
    assert_eq!(h.engine.risk_state(), RiskState::Halted);
}

#[test]
fn same_envelopes_give_identical_serialized_outputs() {
    let (first, first_outputs) = run_scenario();
    let (second, second_outputs) = run_scenario();
    assert_eq!(
        serde_json::to_string(&first_outputs).unwrap(),
        serde_json::to_string(&second_outputs).unwrap()
    );
    assert_eq!(first.transcript, second.transcript);
}

#[test]
fn halted_engine_stays_halted_after_restart() {
    let (h, outputs) = run_scenario();
    let record = outputs
        .iter()
        .flat_map(|output| output.decisions.iter())
        .filter_map(|d| match d {
            Decision::RiskState(record) => Some(*record),
            _ => None,
        })
        .next_back()
        .unwrap();
    drop(h);
    let mut restarted = Harness::new();
    restarted.send(Event::Config(Box::new(config())));
    restarted.send(Event::RiskStateRestored(record));
    restarted.send(Event::Reconciled {
        orders: vec![],
        positions: vec![],
    });
    restarted.send(Event::MarketListing(vec![listing()]));
    let output = restarted.send(snapshot());
    assert!(output.commands.is_empty());
    assert_eq!(restarted.engine.risk_state(), RiskState::Halted);
}

#[test]
fn no_quotes_before_reconciliation() {
    let mut h = Harness::new();
    h.send(Event::Config(Box::new(config())));
    h.send(Event::MarketListing(vec![listing()]));
    assert!(h.send(snapshot()).commands.is_empty());
    let reconciled = h.send(Event::Reconciled {
        orders: vec![],
        positions: vec![],
    });
    assert_eq!(places(&reconciled).len(), 6);
}

#[test]
fn transcript_lines_are_single_lines() {
    let (h, _) = run_scenario();
    assert!(h.transcript.len() > 20);
    assert!(h.transcript.iter().all(|line| !line.contains('\n')));
    assert!(h.transcript.iter().any(|line| {
        line.starts_with("  > PLACE kb-t1-1 KXTEST-1 bid 7.00@0.4400 good_till_canceled post_only")
    }));
}

#[test]
#[ignore = "prints the scenario transcript for reading"]
fn print_transcript() {
    let (h, _) = run_scenario();
    println!("{}", h.transcript.join("\n"));
}

#[test]
fn places_beyond_the_order_rate_budget_wait_without_burning_client_ids() {
    let mut config = config();
    config.risk.order_rate_per_second = 2;
    config.risk.order_rate_burst = 2;
    let mut h = Harness::new();
    h.send(Event::Config(Box::new(config)));
    h.send(Event::Reconciled {
        orders: Vec::new(),
        positions: Vec::new(),
    });
    h.send(Event::MarketListing(vec![listing()]));
    let first = h.send(snapshot());
    let placed = places(&first);
    assert_eq!(placed.len(), 2, "only the burst goes out");
    assert!(first.decisions.iter().any(|d| matches!(
        d,
        Decision::PlacesDeferred { count, .. } if *count == 4
    )));
    assert!(
        !first
            .decisions
            .iter()
            .any(|d| matches!(d, Decision::Risk(r) if r.rejection.is_some())),
        "nothing is refused by the rate limit, so no client id is wasted"
    );
    // A second later the budget has refilled and a timer tick sends the rest, with the next
    // client ids in sequence.
    h.ts_ns += 1_000_000_000;
    let later = h.send(Event::Timer {
        kind: kalshi_core::events::TimerKind::Tick,
    });
    let ids: Vec<String> = later
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Place(order) => Some(order.client_order_id.as_str().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(ids, vec!["kb-t1-3".to_string(), "kb-t1-4".to_string()]);
}
