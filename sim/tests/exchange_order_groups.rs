//! Order groups: the rolling 15 s window of matched contracts, triggering on excess, manual
//! trigger, reset, limit updates and deletion.

mod exchange_common;

use exchange_common::*;
use kalshi_core::side::BookSide;
use kalshi_sim::events_out::{ExchangeEvent, OrderGroupChange};
use kalshi_sim::exchange::{
    CreateOrderV2, ExchangeError, FeeType, NS_PER_S, OrderStatus, TimeInForce,
};

const T: i64 = START_NS + NS_PER_S;

fn take(
    exchange: &mut kalshi_sim::Exchange,
    taker: kalshi_sim::exchange::UserId,
    contracts: i64,
    at_ns: i64,
) {
    let mut request = CreateOrderV2::limit(TICKER, BookSide::Bid, price("0.50"), count(contracts));
    request.time_in_force = TimeInForce::ImmediateOrCancel;
    let outcome = exchange.place_v2(taker, request, at_ns).unwrap();
    assert_eq!(outcome.fill_count, count(contracts));
}

#[test]
fn group_triggers_when_matched_contracts_in_15_seconds_exceed_the_limit() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let maker = user(&mut exchange, "maker");
    let taker = user(&mut exchange, "taker");
    let group = exchange.create_order_group(maker, 0, count(10), T).unwrap();
    let in_group = |side, yes_price: &str, contracts| {
        let mut request = CreateOrderV2::limit(TICKER, side, price(yes_price), count(contracts));
        request.order_group_id = Some(group.clone());
        request
    };
    let ask = exchange
        .place_v2(maker, in_group(BookSide::Ask, "0.50", 30), T)
        .unwrap()
        .order;
    let bid = exchange
        .place_v2(maker, in_group(BookSide::Bid, "0.30", 5), T)
        .unwrap()
        .order;
    exchange.drain_events();

    take(&mut exchange, taker, 6, T);
    // 16 s later the first 6 have left the window: 6 in the window, not above 10.
    take(&mut exchange, taker, 6, T + 16 * NS_PER_S);
    assert!(!exchange.order_group(maker, 0, &group).unwrap().triggered);
    assert!(exchange.order(maker, &ask.order_id).unwrap().is_resting());
    // 6 + 5 = 11 > 10 inside 15 s: triggered.
    take(&mut exchange, taker, 5, T + 20 * NS_PER_S);
    let view = exchange.order_group(maker, 0, &group).unwrap();
    assert!(view.triggered);
    assert!(view.resting_order_ids.is_empty());
    let ask_after = exchange.order(maker, &ask.order_id).unwrap();
    assert_eq!(
        (ask_after.status, ask_after.fill_count),
        (OrderStatus::Canceled, count(17))
    );
    assert_eq!(
        exchange.order(maker, &bid.order_id).unwrap().status,
        OrderStatus::Canceled
    );
    let events = exchange.drain_events();
    assert!(events.iter().any(
        |e| matches!(e, ExchangeEvent::OrderGroup(g) if g.change == OrderGroupChange::Triggered)
    ));
    let book = exchange.orderbook(TICKER, 0).unwrap();
    assert!(book.yes.is_empty() && book.no.is_empty());

    let refused = exchange
        .place_v2(maker, in_group(BookSide::Bid, "0.30", 1), T + 21 * NS_PER_S)
        .unwrap_err();
    assert_eq!(
        refused,
        ExchangeError::OrderGroupTriggered {
            order_group_id: group.clone()
        }
    );

    exchange
        .reset_order_group(maker, 0, &group, T + 22 * NS_PER_S)
        .unwrap();
    assert!(!exchange.order_group(maker, 0, &group).unwrap().triggered);
    assert_eq!(
        exchange
            .order_group(maker, 0, &group)
            .unwrap()
            .window_matched,
        count(0)
    );
    assert!(
        exchange
            .place_v2(maker, in_group(BookSide::Bid, "0.30", 1), T + 23 * NS_PER_S)
            .unwrap()
            .order
            .is_resting()
    );
}

#[test]
fn manual_trigger_limit_update_and_delete() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let maker = user(&mut exchange, "maker");
    let taker = user(&mut exchange, "taker");
    let group = exchange
        .create_order_group(maker, 0, count(100), T)
        .unwrap();
    let mut request = CreateOrderV2::limit(TICKER, BookSide::Ask, price("0.50"), count(20));
    request.order_group_id = Some(group.clone());
    exchange.place_v2(maker, request.clone(), T).unwrap();
    take(&mut exchange, taker, 8, T);

    // Lowering the limit below the 8 already matched triggers at once.
    exchange
        .update_order_group_limit(maker, 0, &group, count(5), T + NS_PER_S)
        .unwrap();
    assert!(exchange.order_group(maker, 0, &group).unwrap().triggered);
    exchange
        .reset_order_group(maker, 0, &group, T + 2 * NS_PER_S)
        .unwrap();

    let resting = exchange
        .place_v2(maker, request.clone(), T + 3 * NS_PER_S)
        .unwrap()
        .order;
    // Re-pricing keeps the order in its group exactly once.
    let amend = kalshi_sim::exchange::AmendOrder {
        order_id: resting.order_id.clone(),
        ticker: TICKER.into(),
        side: BookSide::Ask,
        price: price("0.52"),
        count: count(20),
        client_order_id: None,
        updated_client_order_id: None,
        expiration: kalshi_sim::exchange::ExpirationChange::Keep,
        subaccount: 0,
    };
    exchange.amend(maker, amend, T + 3 * NS_PER_S).unwrap();
    let view = exchange.order_group(maker, 0, &group).unwrap();
    assert_eq!(view.resting_order_ids, vec![resting.order_id.clone()]);
    exchange
        .trigger_order_group(maker, 0, &group, T + 4 * NS_PER_S)
        .unwrap();
    assert_eq!(
        exchange.order(maker, &resting.order_id).unwrap().status,
        OrderStatus::Canceled
    );
    exchange
        .reset_order_group(maker, 0, &group, T + 5 * NS_PER_S)
        .unwrap();

    let resting = exchange
        .place_v2(maker, request.clone(), T + 6 * NS_PER_S)
        .unwrap()
        .order;
    exchange
        .delete_order_group(maker, 0, &group, T + 7 * NS_PER_S)
        .unwrap();
    assert_eq!(
        exchange.order(maker, &resting.order_id).unwrap().status,
        OrderStatus::Canceled
    );
    assert!(matches!(
        exchange.order_group(maker, 0, &group),
        Err(ExchangeError::OrderGroupNotFound { .. })
    ));
    assert!(matches!(
        exchange.place_v2(maker, request, T + 8 * NS_PER_S),
        Err(ExchangeError::OrderGroupNotFound { .. })
    ));
    let stranger = user(&mut exchange, "stranger");
    assert!(matches!(
        exchange.create_order_group(stranger, 0, count(0), T),
        Err(ExchangeError::InvalidParameters { .. })
    ));
}
