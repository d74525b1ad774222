//! Fill-simulator paths the exchange parity scenarios do not walk: a close noticed on the next
//! event (no driver asking when closes are due, as a paper run), closes from a listing's
//! status or a `determined` change, lookups after a close, groups named but never declared,
//! a lowered limit, and what leaves the close schedule.

mod support;

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::{Command, PlaceOrder, TimeInForce};
use kalshi_core::config::SelfTradePrevention;
use kalshi_core::events::{Event, RequestKind};
use kalshi_core::market_data::{
    ExchangeOrderStatus, FeeParams, LifecycleChange, LifecycleKind, MarketInfo, MarketResult,
    MarketStatus, PublicTrade,
};
use kalshi_core::{BookSide, Count, Price};
use kalshi_replay::fill_sim::{CLOSE_CANCEL, FillModelConfig, FillSimulator, SimEvent};

const S: i64 = 1_000_000_000;
const T: &str = "KXHALT-1";
const CLOSE_NS: i64 = 100 * S;

fn c(contracts: i64) -> Count {
    Count::from_contracts(contracts).unwrap()
}

fn listing(status: MarketStatus) -> Event {
    Event::MarketListing(vec![MarketInfo {
        status,
        open_time_ns: Some(0),
        close_time_ns: Some(CLOSE_NS),
        fee: Some(FeeParams {
            fee_type: "quadratic".to_string(),
            multiplier_ppm: 1_000_000,
        }),
        ..support::bare_listing(T, "KXHALT")
    }])
}

fn sim() -> FillSimulator {
    let mut sim = FillSimulator::new(FillModelConfig {
        entry_latency_ns: 0,
        cancel_latency_ns: 0,
        ..FillModelConfig::default()
    })
    .unwrap();
    assert!(
        sim.on_market_event(0, &listing(MarketStatus::Active))
            .unwrap()
            .is_empty()
    );
    sim
}

fn order(id: u64, price: &str, group: Option<&str>) -> PlaceOrder {
    PlaceOrder {
        client_order_id: ClientOrderId::parse(&format!("kb-h-{id}")).unwrap(),
        ticker: T.to_string(),
        side: BookSide::Bid,
        price: Price::parse(price).unwrap(),
        count: c(10),
        time_in_force: TimeInForce::GoodTillCanceled,
        post_only: true,
        reduce_only: false,
        self_trade_prevention: SelfTradePrevention::TakerAtCross,
        cancel_order_on_pause: true,
        expiration_ts_s: None,
        order_group_id: group.map(str::to_string),
    }
}

/// Places at `ts_ns` and returns what the arrival answered.
fn place(sim: &mut FillSimulator, ts_ns: i64, order: PlaceOrder) -> Vec<Event> {
    sim.place(ts_ns, order);
    let mut events = Vec::new();
    while sim.next_due_ns().is_some_and(|due| due <= ts_ns) {
        events.extend(sim.run_next_action().unwrap().into_iter().map(|e| e.event));
    }
    events
}

fn sell_trade(ts_ns: i64, price: &str, contracts: i64) -> Event {
    Event::PublicTrade(PublicTrade {
        trade_id: format!("t{ts_ns}"),
        ticker: T.to_string(),
        yes_price: Price::parse(price).unwrap(),
        count: c(contracts),
        taker_side: BookSide::Ask,
        ts_ns,
    })
}

fn close_cancels(events: &[SimEvent]) -> Vec<(i64, String)> {
    events
        .iter()
        .filter_map(|sim_event| match &sim_event.event {
            Event::OrderSnapshot(snapshot)
                if snapshot.status == ExchangeOrderStatus::Canceled
                    && snapshot.last_update_reason.as_deref() == Some(CLOSE_CANCEL) =>
            {
                Some((sim_event.ts_ns, snapshot.client_order_id.clone().unwrap()))
            }
            _ => None,
        })
        .collect()
}

fn rejected_code(events: &[Event]) -> Option<&str> {
    events.iter().find_map(|event| match event {
        Event::OrderRejected(rejected) if rejected.request == RequestKind::Place => {
            Some(rejected.code.as_str())
        }
        _ => None,
    })
}

#[test]
fn a_close_is_noticed_on_the_next_event_at_its_own_time_before_that_event() {
    let mut sim = sim();
    place(&mut sim, S, order(1, "0.40", None));
    assert_eq!(sim.next_close_due_ns(), Some(CLOSE_NS));
    // No one asked for the close: the trade after it finds the order gone, and the
    // cancellation comes first, stamped at the close time.
    let events = sim
        .on_market_event(CLOSE_NS + 5 * S, &sell_trade(CLOSE_NS + 5 * S, "0.39", 50))
        .unwrap();
    assert_eq!(
        close_cancels(&events),
        vec![(CLOSE_NS, "kb-h-1".to_string())]
    );
    assert!(
        events.iter().all(|e| !matches!(e.event, Event::OwnFill(_))),
        "a closed market fills nothing"
    );
    assert!(sim.market_closed(T));
    assert_eq!(sim.next_close_due_ns(), None);
    // A lookup reads the final state with its reason.
    sim.submit(
        CLOSE_NS + 6 * S,
        &Command::LookupOrder {
            client_order_id: ClientOrderId::parse("kb-h-1").unwrap(),
            ticker: T.to_string(),
        },
    );
    let looked = sim.run_next_action().unwrap();
    match looked.as_slice() {
        [
            SimEvent {
                event: Event::OrderSnapshot(snapshot),
                ..
            },
        ] => {
            assert_eq!(snapshot.status, ExchangeOrderStatus::Canceled);
            assert_eq!(snapshot.last_update_reason.as_deref(), Some(CLOSE_CANCEL));
        }
        other => panic!("expected the order's final state, got {other:?}"),
    }
}

#[test]
fn a_listing_past_trading_or_a_determined_change_closes_at_once() {
    let mut sim = sim();
    place(&mut sim, S, order(1, "0.40", None));
    let events = sim
        .on_market_event(2 * S, &listing(MarketStatus::Closed))
        .unwrap();
    assert_eq!(close_cancels(&events), vec![(2 * S, "kb-h-1".to_string())]);
    assert_eq!(
        rejected_code(&place(&mut sim, 3 * S, order(2, "0.40", None))),
        Some("market_not_active")
    );

    let mut sim = self::sim();
    place(&mut sim, S, order(1, "0.40", None));
    let determined = Event::Lifecycle(LifecycleChange {
        ticker: T.to_string(),
        kind: LifecycleKind::Determined,
        close_time_ns: None,
        result: Some(MarketResult::Yes),
        settlement_value: Some(Price::ONE),
        price_ranges: vec![],
    });
    let events = sim.on_market_event(2 * S, &determined).unwrap();
    assert_eq!(close_cancels(&events), vec![(2 * S, "kb-h-1".to_string())]);
    // A result is known: a later close time does not re-open the market.
    let moved = Event::Lifecycle(LifecycleChange {
        ticker: T.to_string(),
        kind: LifecycleKind::CloseDateUpdated,
        close_time_ns: Some(CLOSE_NS * 2),
        result: None,
        settlement_value: None,
        price_ranges: vec![],
    });
    sim.on_market_event(3 * S, &moved).unwrap();
    assert!(sim.market_closed(T));
    assert_eq!(sim.next_close_due_ns(), None);
}

#[test]
fn a_group_never_declared_has_no_limit_and_a_lowered_limit_triggers_at_once() {
    let mut sim = sim();
    place(&mut sim, S, order(1, "0.40", Some("og-undeclared")));
    let events = sim
        .on_market_event(2 * S, &sell_trade(2 * S, "0.39", 1_000))
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e.event, Event::OwnFill(_)))
            .count(),
        1
    );
    let group = sim.order_group("og-undeclared").unwrap();
    assert_eq!((group.contracts_limit, group.triggered), (None, false));
    assert_eq!(group.window_matched, c(10));

    // 6 matched in the window; lowering the limit to 5 triggers the group at once.
    let mut sim = self::sim();
    assert!(sim.create_order_group(0, "og", Some(c(100))).is_empty());
    place(&mut sim, S, order(1, "0.40", Some("og")));
    place(&mut sim, S, order(2, "0.30", Some("og")));
    sim.on_market_event(2 * S, &sell_trade(2 * S, "0.40", 6))
        .unwrap();
    let cancelled = sim.create_order_group(3 * S, "og", Some(c(5)));
    let ids: Vec<_> = cancelled
        .iter()
        .filter_map(|e| match &e.event {
            Event::OrderSnapshot(snapshot)
                if snapshot.status == ExchangeOrderStatus::Canceled
                    && snapshot.last_update_reason.is_none() =>
            {
                snapshot.client_order_id.clone()
            }
            _ => None,
        })
        .collect();
    assert_eq!(ids, vec!["kb-h-1".to_string(), "kb-h-2".to_string()]);
    assert!(sim.order_group("og").unwrap().triggered);
    assert_eq!(
        rejected_code(&place(&mut sim, 4 * S, order(3, "0.30", Some("og")))),
        Some("order_group_triggered")
    );
    // Outside the group, trading goes on.
    assert_eq!(
        rejected_code(&place(&mut sim, 4 * S, order(4, "0.30", None))),
        None
    );
    // 16 s after the match the window is empty again; the trigger stays until a reset.
    sim.on_market_event(19 * S, &sell_trade(19 * S, "0.20", 1))
        .unwrap();
    let group = sim.order_group("og").unwrap();
    assert_eq!((group.triggered, group.window_matched), (true, Count::ZERO));
    assert!(sim.reset_order_group("og"));
    assert!(!sim.reset_order_group("og-unknown"));
    assert_eq!(
        rejected_code(&place(&mut sim, 20 * S, order(5, "0.30", Some("og")))),
        None
    );
}

/// Records what a paper run's engine would be stepped with, and when.
struct SteppedEvents {
    sim: FillSimulator,
    steps: Vec<(i64, Event)>,
}

impl kalshi_replay::sim_loop::SimHost for SteppedEvents {
    type Error = kalshi_replay::error::ReplayError;

    fn sim(&mut self) -> &mut FillSimulator {
        &mut self.sim
    }

    fn step(&mut self, ts_ns: i64, event: Event) -> Result<(), Self::Error> {
        self.steps.push((ts_ns, event));
        Ok(())
    }
}

#[test]
fn a_paper_run_steps_a_due_close_before_the_next_input_as_the_backtest_driver_does() {
    let mut host = SteppedEvents {
        sim: sim(),
        steps: Vec::new(),
    };
    place(&mut host.sim, S, order(1, "0.40", None));
    let trade_ns = CLOSE_NS + 5 * S;
    kalshi_replay::sim_loop::run_due_then_feed(
        &mut host,
        trade_ns,
        sell_trade(trade_ns, "0.39", 50),
    )
    .unwrap();
    let order: Vec<(i64, &str)> = host
        .steps
        .iter()
        .map(|(ts_ns, event)| {
            let kind = match event {
                Event::OrderSnapshot(snapshot)
                    if snapshot.last_update_reason.as_deref() == Some(CLOSE_CANCEL) =>
                {
                    "close cancel"
                }
                Event::PublicTrade(_) => "trade",
                Event::OwnFill(_) => "fill",
                _ => "other",
            };
            (*ts_ns, kind)
        })
        .collect();
    assert_eq!(
        order,
        vec![(CLOSE_NS, "close cancel"), (trade_ns, "trade")],
        "the close is stepped at its own time, before the input that follows it"
    );
}
