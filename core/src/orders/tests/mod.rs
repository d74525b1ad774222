//! The order books end to end: lifecycles, duplicate reports, lost outcomes, the diff, the
//! archive bound and reconciliation; `running_totals` checks the O(1) exposure totals against
//! full walks after random sequences.

use super::*;
use crate::commands::{Command, PlaceOrder, TimeInForce};
use crate::config::SelfTradePrevention;
use crate::events::{CancelAck, OrderAck, OrderRejected, RequestKind};
use crate::fixed::{Count, Money, Price, SignedCount};
use crate::market_data::{ExchangeOrderStatus, OrderSnapshot, OwnFill, PositionSnapshot};
use crate::side::BookSide;

mod running_totals;

fn id(text: &str) -> ClientOrderId {
    ClientOrderId::parse(text).unwrap()
}
fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}
fn count(contracts: i64) -> Count {
    Count::from_contracts(contracts).unwrap()
}
fn place(client: &str, side: BookSide, price_text: &str, contracts: i64) -> PlaceOrder {
    PlaceOrder {
        client_order_id: id(client),
        ticker: "M".to_string(),
        side,
        price: price(price_text),
        count: count(contracts),
        time_in_force: TimeInForce::GoodTillCanceled,
        post_only: true,
        reduce_only: false,
        self_trade_prevention: SelfTradePrevention::TakerAtCross,
        cancel_order_on_pause: true,
        expiration_ts_s: None,
        order_group_id: None,
    }
}
fn ack(client: &str, order_id: &str, filled: i64, remaining: i64) -> OrderAck {
    OrderAck {
        client_order_id: id(client),
        order_id: order_id.to_string(),
        request: RequestKind::Place,
        fill_count: count(filled),
        remaining_count: count(remaining),
    }
}
fn fill(fill_id: &str, client: &str, order_id: &str, contracts: i64) -> OwnFill {
    OwnFill {
        fill_id: fill_id.to_string(),
        order_id: order_id.to_string(),
        client_order_id: Some(client.to_string()),
        ticker: "M".to_string(),
        side: BookSide::Bid,
        yes_price: price("0.40"),
        count: count(contracts),
        is_taker: false,
        fee: Money::ZERO,
        post_position: None,
        ts_ns: 0,
    }
}

#[test]
fn lifecycle_pending_resting_partial_filled() {
    let mut manager = OrderManager::new();
    manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
    assert_eq!(
        manager.get(&id("kb-r-1")).unwrap().status,
        OrderStatus::Pending
    );
    manager.on_ack(&ack("kb-r-1", "o1", 0, 10));
    assert_eq!(
        manager.get(&id("kb-r-1")).unwrap().status,
        OrderStatus::Resting
    );
    manager.on_fill(&fill("f1", "kb-r-1", "o1", 4)).unwrap();
    let record = manager.get(&id("kb-r-1")).unwrap();
    assert_eq!(
        (record.status, record.remaining),
        (OrderStatus::PartiallyFilled, count(6))
    );
    manager.on_fill(&fill("f2", "kb-r-1", "o1", 6)).unwrap();
    assert_eq!(
        manager.get(&id("kb-r-1")).unwrap().status,
        OrderStatus::Filled
    );
    assert_eq!(
        manager.positions().get("M").position,
        SignedCount::from_centi(1_000)
    );
}

#[test]
fn ack_reporting_fills_before_the_fill_messages_counts_them_once() {
    let mut manager = OrderManager::new();
    manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
    // The create response reports 4 immediate fills before the WS fill arrives.
    manager.on_ack(&ack("kb-r-1", "o1", 4, 6));
    manager.on_fill(&fill("f1", "kb-r-1", "o1", 4)).unwrap();
    let record = manager.get(&id("kb-r-1")).unwrap();
    assert_eq!(
        (record.filled, record.remaining, record.status),
        (count(4), count(6), OrderStatus::PartiallyFilled)
    );
    // A later fill beyond what the ack reported adds on top.
    manager.on_fill(&fill("f2", "kb-r-1", "o1", 6)).unwrap();
    let record = manager.get(&id("kb-r-1")).unwrap();
    assert_eq!(
        (record.filled, record.remaining, record.status),
        (count(10), count(0), OrderStatus::Filled)
    );
}

#[test]
fn duplicate_fills_and_ack_after_fill_count_once() {
    let mut manager = OrderManager::new();
    manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
    manager.on_fill(&fill("f1", "kb-r-1", "o1", 4)).unwrap();
    assert!(manager.on_fill(&fill("f1", "kb-r-1", "o1", 4)).is_none());
    // The ack reports the same 4 immediate fills.
    manager.on_ack(&ack("kb-r-1", "o1", 4, 6));
    let record = manager.get(&id("kb-r-1")).unwrap();
    assert_eq!(
        (record.filled, record.remaining, record.status),
        (count(4), count(6), OrderStatus::PartiallyFilled)
    );
    assert_eq!(
        manager.positions().get("M").position,
        SignedCount::from_centi(400)
    );
}

#[test]
fn unknown_outcome_looks_up_then_retries_with_the_same_id() {
    let mut manager = OrderManager::new();
    manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
    let effects = manager.on_unknown(&id("kb-r-1"));
    assert_eq!(
        effects.commands,
        vec![Command::LookupOrder {
            client_order_id: id("kb-r-1"),
            ticker: "M".to_string()
        }]
    );
    // While the lookup is out, the diff sends nothing for that rung.
    let desired = [DesiredQuote {
        side: BookSide::Bid,
        price: price("0.40"),
        count: count(10),
    }];
    let plan = manager.diff("M", &desired);
    assert!(plan.places.is_empty() && plan.cancels.is_empty());
    manager.on_not_found(&id("kb-r-1"));
    let plan = manager.diff("M", &desired);
    assert_eq!(plan.places.len(), 1);
    assert_eq!(plan.places[0].retry_of, Some(id("kb-r-1")));
    // No longer wanted: the intent is dropped, nothing is sent.
    let plan = manager.diff("M", &[]);
    assert!(plan.places.is_empty() && plan.cancels.is_empty());
    assert_eq!(
        manager.get(&id("kb-r-1")).unwrap().status,
        OrderStatus::Cancelled
    );
}

#[test]
fn diff_keeps_matching_quotes_shrinks_in_place_and_replaces_moved_ones() {
    let mut manager = OrderManager::new();
    manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
    manager.record_place_sent(&place("kb-r-2", BookSide::Bid, "0.39", 10), 0);
    manager.on_ack(&ack("kb-r-1", "o1", 0, 10));
    manager.on_ack(&ack("kb-r-2", "o2", 0, 10));
    let desired = [
        DesiredQuote {
            side: BookSide::Bid,
            price: price("0.40"),
            count: count(6),
        },
        DesiredQuote {
            side: BookSide::Bid,
            price: price("0.38"),
            count: count(10),
        },
    ];
    let plan = manager.diff("M", &desired);
    assert_eq!(plan.decreases.len(), 1);
    assert_eq!(plan.decreases[0].reduce_to, count(6));
    assert_eq!(plan.cancels.len(), 1);
    assert_eq!(plan.cancels[0].client_order_id, id("kb-r-2"));
    assert_eq!(plan.places.len(), 1);
    assert_eq!(plan.places[0].quote.price, price("0.38"));
    assert!(plan.amends.is_empty());
}

#[test]
fn cancel_before_ack_is_sent_once_the_id_is_known() {
    let mut manager = OrderManager::new();
    manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
    assert!(manager.cancel_orders(Some("M")).is_empty());
    let effects = manager.on_ack(&ack("kb-r-1", "o1", 0, 10));
    assert_eq!(effects.commands.len(), 1);
    assert!(
        matches!(&effects.commands[0], Command::Cancel(cancel) if cancel.order_id.as_deref() == Some("o1"))
    );
}

fn cancel_ack(client: &str, order_id: &str) -> CancelAck {
    CancelAck {
        client_order_id: id(client),
        order_id: order_id.to_string(),
        reduced_by: Count::ZERO,
    }
}

#[test]
fn terminal_records_beyond_the_archive_bound_are_dropped_oldest_first() {
    let mut manager = OrderManager::with_archive_max(2);
    for n in 1..=3 {
        let client = format!("kb-r-{n}");
        manager.record_place_sent(&place(&client, BookSide::Bid, "0.40", 10), 0);
        manager.on_ack(&ack(&client, &format!("o{n}"), 0, 10));
        manager.on_cancel_ack(&cancel_ack(&client, &format!("o{n}")));
    }
    manager.record_place_sent(&place("kb-r-4", BookSide::Bid, "0.41", 5), 0);
    assert!(manager.get(&id("kb-r-1")).is_none());
    assert_eq!(
        manager.get(&id("kb-r-2")).unwrap().status,
        OrderStatus::Cancelled
    );
    assert_eq!(manager.orders().count(), 3);
    assert_eq!(manager.live_orders().count(), 1);
    // A late fill for an archived order still finds its record through the order id.
    let mut late = fill("f9", "kb-r-3", "o3", 2);
    late.client_order_id = None;
    manager.on_fill(&late).unwrap();
    assert_eq!(manager.get(&id("kb-r-3")).unwrap().filled, count(2));
    // Only the live order counts toward exposure.
    let (exposure, open) = manager.market_exposure("M", None);
    assert_eq!((exposure.resting_bid, open), (count(5), 1));
    assert_eq!(
        manager.account_exposure(None),
        Money::from_micros(2_050_000) + manager.positions().get("M").cost
    );
}

#[test]
fn a_cancelled_order_reported_resting_again_counts_as_live() {
    let mut manager = OrderManager::new();
    manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
    manager.on_ack(&ack("kb-r-1", "o1", 0, 10));
    manager.on_cancel_ack(&cancel_ack("kb-r-1", "o1"));
    assert_eq!(manager.working_quotes("M").count(), 0);
    assert_eq!(manager.market_exposure("M", None).1, 0);
    let snapshot = OrderSnapshot {
        order_id: "o1".to_string(),
        client_order_id: Some("kb-r-1".to_string()),
        ticker: "M".to_string(),
        side: BookSide::Bid,
        yes_price: price("0.40"),
        status: ExchangeOrderStatus::Resting,
        fill_count: Count::ZERO,
        remaining_count: count(7),
        initial_count: None,
        last_update_reason: None,
        ts_ns: 0,
    };
    manager.on_snapshot(&snapshot, TransitionCause::Snapshot);
    assert_eq!(manager.working_quotes("M").count(), 1);
    let (exposure, open) = manager.market_exposure("M", None);
    assert_eq!((exposure.resting_bid, open), (count(7), 1));
    assert_eq!(
        manager.account_exposure(None),
        Money::from_micros(2_800_000)
    );
    // Excluding the order leaves nothing.
    assert_eq!(manager.market_exposure("M", Some(&id("kb-r-1"))).1, 0);
    assert_eq!(manager.account_exposure(Some(&id("kb-r-1"))), Money::ZERO);
    // Cancelling everything retires it again.
    let commands = manager.cancel_orders(None);
    assert_eq!(commands.len(), 1);
    manager.on_cancel_ack(&cancel_ack("kb-r-1", "o1"));
    assert_eq!(manager.live_orders().count(), 0);
}

#[test]
fn reconcile_adopts_ours_tracks_foreign_and_cancels_missing() {
    let mut manager = OrderManager::new();
    manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
    manager.on_ack(&ack("kb-r-1", "o1", 0, 10));
    let snapshot = |order_id: &str, client: Option<&str>| OrderSnapshot {
        order_id: order_id.to_string(),
        client_order_id: client.map(str::to_string),
        ticker: "M".to_string(),
        side: BookSide::Ask,
        yes_price: price("0.60"),
        status: ExchangeOrderStatus::Resting,
        fill_count: Count::ZERO,
        remaining_count: count(5),
        initial_count: None,
        last_update_reason: None,
        ts_ns: 0,
    };
    let positions = [PositionSnapshot {
        ticker: "M".to_string(),
        position: SignedCount::from_centi(-300),
        cost: Money::from_micros(1_200_000),
        realized_pnl: Money::ZERO,
        fees_paid: Money::ZERO,
    }];
    let (summary, _) = manager.reconcile(
        &[
            snapshot("o7", Some("kb-old-3")),
            snapshot("o8", Some("manual-1")),
        ],
        &positions,
    );
    assert_eq!(
        summary,
        ReconcileSummary {
            adopted: 1,
            foreign: 1,
            missing: 1,
            positions: 1
        }
    );
    assert_eq!(
        manager.get(&id("kb-r-1")).unwrap().status,
        OrderStatus::Cancelled
    );
    assert!(manager.get(&id("kb-old-3")).unwrap().managed);
    assert!(!manager.get(&id("manual-1")).unwrap().managed);
    let (exposure, open) = manager.market_exposure("M", None);
    assert_eq!((exposure.resting_ask, open), (count(10), 2));
    assert_eq!(exposure.position, SignedCount::from_centi(-300));
    // Only the adopted order of ours is cancelled; the foreign one is left alone.
    let cancels = manager.cancel_orders(None);
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0].client_order_id(), Some(&id("kb-old-3")));
}
