//! Order rules: post-only, self-trade prevention, time in force, reduce-only, amend priority,
//! client order ids, legacy mapping, decrease/cancel, collateral and validation.

mod exchange_common;

use exchange_common::*;
use kalshi_core::side::{BookSide, LegacyAction, OutcomeSide};
use kalshi_core::{Count, SignedCount};
use kalshi_sim::events_out::ExchangeEvent;
use kalshi_sim::exchange::{
    AmendOrder, CreateOrderLegacy, CreateOrderV2, Decrease, ExchangeError, ExpirationChange,
    FeeType, LEGACY_PRICE_RULE_DETAILS, NS_PER_S, OrderStatus, SelfTradePrevention, TimeInForce,
    UpdateReason,
};

const T: i64 = START_NS + NS_PER_S;

fn order(side: BookSide, yes_price: &str, contracts: i64) -> CreateOrderV2 {
    CreateOrderV2::limit(TICKER, side, price(yes_price), count(contracts))
}

#[test]
fn post_only_that_would_cross_is_created_then_cancelled() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let maker = user(&mut exchange, "maker");
    let quoter = user(&mut exchange, "quoter");
    rest(&mut exchange, maker, BookSide::Ask, "0.50", 5, T);
    let mut crossing = order(BookSide::Bid, "0.50", 3);
    crossing.post_only = true;
    let outcome = exchange.place_v2(quoter, crossing, T).unwrap();
    assert_eq!(outcome.order.status, OrderStatus::Canceled);
    assert_eq!(
        outcome.order.last_update_reason,
        Some(UpdateReason::PostOnlyCrossCancel)
    );
    assert_eq!(
        (outcome.fill_count, outcome.remaining_count),
        (Count::ZERO, Count::ZERO)
    );
    assert_eq!(
        exchange.orderbook(TICKER, 0).unwrap().no,
        vec![(price("0.50"), count(5))],
        "nothing traded"
    );
    assert_eq!(
        exchange.balance(quoter, 0).unwrap().reserved,
        money("0"),
        "nothing stays reserved"
    );

    let mut passive = order(BookSide::Bid, "0.49", 3);
    passive.post_only = true;
    assert_eq!(
        exchange.place_v2(quoter, passive, T).unwrap().order.status,
        OrderStatus::Resting
    );
    let mut ioc_post_only = order(BookSide::Bid, "0.49", 3);
    ioc_post_only.post_only = true;
    ioc_post_only.time_in_force = TimeInForce::ImmediateOrCancel;
    assert!(matches!(
        exchange.place_v2(quoter, ioc_post_only, T),
        Err(ExchangeError::InvalidOrder { .. })
    ));
}

#[test]
fn self_trade_prevention_taker_at_cross_stops_the_incoming_order() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let me = user(&mut exchange, "me");
    let other = user(&mut exchange, "other");
    rest(&mut exchange, other, BookSide::Ask, "0.49", 3, T);
    let mine = rest(&mut exchange, me, BookSide::Ask, "0.50", 5, T);
    let outcome = exchange
        .place_v2(me, order(BookSide::Bid, "0.50", 10), T)
        .unwrap();
    assert_eq!(
        outcome.fill_count,
        count(3),
        "fills before reaching my own order are kept"
    );
    assert_eq!(outcome.order.status, OrderStatus::Canceled);
    assert_eq!(
        outcome.order.last_update_reason,
        Some(UpdateReason::SelfTradeCancel)
    );
    assert!(
        exchange
            .order(me, &mine.order.order_id)
            .unwrap()
            .is_resting(),
        "my resting order survives"
    );
}

#[test]
fn self_trade_prevention_maker_cancels_my_resting_order_and_keeps_matching() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let me = user(&mut exchange, "me");
    let other = user(&mut exchange, "other");
    let third = user(&mut exchange, "third");
    rest(&mut exchange, other, BookSide::Ask, "0.49", 3, T);
    let mine = rest(&mut exchange, me, BookSide::Ask, "0.50", 5, T);
    rest(&mut exchange, third, BookSide::Ask, "0.50", 4, T);
    let mut request = order(BookSide::Bid, "0.50", 10);
    request.self_trade_prevention = SelfTradePrevention::Maker;
    let outcome = exchange.place_v2(me, request, T).unwrap();
    assert_eq!(outcome.fill_count, count(7));
    assert_eq!(
        (outcome.order.status, outcome.remaining_count),
        (OrderStatus::Resting, count(3))
    );
    let cancelled = exchange.order(me, &mine.order.order_id).unwrap();
    assert_eq!(
        (cancelled.status, cancelled.last_update_reason),
        (OrderStatus::Canceled, Some(UpdateReason::SelfTradeCancel))
    );
    assert_eq!(position(&exchange, me), SignedCount::parse("7").unwrap());
}

#[test]
fn immediate_or_cancel_fill_or_kill_and_expiry() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let maker = user(&mut exchange, "maker");
    let taker = user(&mut exchange, "taker");
    rest(&mut exchange, maker, BookSide::Ask, "0.50", 5, T);

    let mut fok = order(BookSide::Bid, "0.50", 8);
    fok.time_in_force = TimeInForce::FillOrKill;
    let killed = exchange.place_v2(taker, fok, T).unwrap();
    assert_eq!(
        (killed.fill_count, killed.order.status),
        (Count::ZERO, OrderStatus::Canceled)
    );
    assert_eq!(
        exchange.orderbook(TICKER, 0).unwrap().no,
        vec![(price("0.50"), count(5))],
        "FOK left the book alone"
    );

    let mut ioc = order(BookSide::Bid, "0.50", 8);
    ioc.time_in_force = TimeInForce::ImmediateOrCancel;
    let partial = exchange.place_v2(taker, ioc, T).unwrap();
    assert_eq!(
        (partial.fill_count, partial.remaining_count),
        (count(5), Count::ZERO)
    );
    assert_eq!(
        partial.order.status,
        OrderStatus::Canceled,
        "a partly filled IOC ends cancelled"
    );
    assert!(
        exchange.orderbook(TICKER, 0).unwrap().yes.is_empty(),
        "IOC never rests"
    );

    rest(&mut exchange, maker, BookSide::Ask, "0.50", 5, T);
    let mut fok = order(BookSide::Bid, "0.50", 5);
    fok.time_in_force = TimeInForce::FillOrKill;
    assert_eq!(
        exchange.place_v2(taker, fok, T).unwrap().order.status,
        OrderStatus::Executed
    );

    let mut ioc_expiring = order(BookSide::Bid, "0.40", 1);
    ioc_expiring.time_in_force = TimeInForce::ImmediateOrCancel;
    ioc_expiring.expiration_time_s = Some(T / NS_PER_S + 60);
    assert!(matches!(
        exchange.place_v2(taker, ioc_expiring, T),
        Err(ExchangeError::InvalidOrder { .. })
    ));

    let mut expiring = order(BookSide::Bid, "0.40", 2);
    expiring.expiration_time_s = Some(T / NS_PER_S + 10);
    let gtt = exchange.place_v2(taker, expiring, T).unwrap();
    assert!(gtt.order.is_resting());
    exchange.drain_events();
    exchange.advance_to(T + 9 * NS_PER_S);
    assert!(
        exchange
            .order(taker, &gtt.order.order_id)
            .unwrap()
            .is_resting()
    );
    exchange.advance_to(T + 11 * NS_PER_S);
    let expired = exchange.order(taker, &gtt.order.order_id).unwrap();
    assert_eq!(
        (expired.status, expired.last_update_reason),
        (OrderStatus::Canceled, Some(UpdateReason::ExpiryCancel))
    );
    let events = exchange.drain_events();
    assert!(events.iter().any(
        |e| matches!(e, ExchangeEvent::BookDelta(d) if d.delta == SignedCount::parse("-2").unwrap())
    ));
    assert!(exchange.orderbook(TICKER, 0).unwrap().yes.is_empty());
}

#[test]
fn reduce_only_is_capped_at_the_opposite_position() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let holder = user(&mut exchange, "holder");
    let counterparty = user(&mut exchange, "counterparty");
    rest(&mut exchange, counterparty, BookSide::Ask, "0.40", 5, T);
    let mut buy = order(BookSide::Bid, "0.40", 5);
    buy.time_in_force = TimeInForce::ImmediateOrCancel;
    exchange.place_v2(holder, buy, T).unwrap();
    assert_eq!(
        position(&exchange, holder),
        SignedCount::parse("5").unwrap()
    );

    let mut gtc_reduce = order(BookSide::Ask, "0.40", 8);
    gtc_reduce.reduce_only = true;
    assert!(matches!(
        exchange.place_v2(holder, gtc_reduce, T),
        Err(ExchangeError::InvalidOrder { .. })
    ));

    rest(&mut exchange, counterparty, BookSide::Bid, "0.41", 10, T);
    let mut reduce = order(BookSide::Ask, "0.41", 8);
    reduce.reduce_only = true;
    reduce.time_in_force = TimeInForce::ImmediateOrCancel;
    let capped = exchange.place_v2(holder, reduce.clone(), T).unwrap();
    assert_eq!(capped.fill_count, count(5), "capped at the 5 YES held");
    assert_eq!(
        capped.order.last_update_reason,
        Some(UpdateReason::ReduceOnlyCancel)
    );
    assert_eq!(capped.order.status, OrderStatus::Canceled);
    assert_eq!(position(&exchange, holder), SignedCount::ZERO);

    let flat = exchange.place_v2(holder, reduce, T).unwrap();
    assert_eq!(
        (flat.fill_count, flat.order.status),
        (Count::ZERO, OrderStatus::Canceled)
    );
    assert_eq!(
        position(&exchange, holder),
        SignedCount::ZERO,
        "never flips the position"
    );
}

#[test]
fn amend_keeps_priority_on_a_pure_decrease_and_loses_it_otherwise() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let first = user(&mut exchange, "first");
    let second = user(&mut exchange, "second");
    let a = rest(&mut exchange, first, BookSide::Bid, "0.40", 10, T).order;
    let b = rest(&mut exchange, second, BookSide::Bid, "0.40", 10, T).order;
    let amend = |order_id: &str, yes_price: &str, total: i64| AmendOrder {
        order_id: order_id.to_string(),
        ticker: TICKER.to_string(),
        side: BookSide::Bid,
        price: price(yes_price),
        count: count(total),
        client_order_id: None,
        updated_client_order_id: None,
        expiration: ExpirationChange::Keep,
        subaccount: 0,
    };

    let smaller = exchange
        .amend(first, amend(&a.order_id, "0.40", 6), T)
        .unwrap();
    assert_eq!(smaller.order.remaining_count, count(6));
    assert_eq!(smaller.order.last_update_reason, Some(UpdateReason::Amend));
    assert_eq!(
        exchange.queue_position(first, &a.order_id).unwrap(),
        Count::ZERO,
        "still first in line"
    );
    assert_eq!(
        exchange.queue_position(second, &b.order_id).unwrap(),
        count(6)
    );

    exchange
        .amend(first, amend(&a.order_id, "0.40", 12), T)
        .unwrap();
    assert_eq!(
        exchange.queue_position(first, &a.order_id).unwrap(),
        count(10),
        "a size increase goes to the back"
    );
    assert_eq!(
        exchange.queue_position(second, &b.order_id).unwrap(),
        Count::ZERO
    );

    // A price change may cross and fill; the remainder rests at the new price.
    let seller = user(&mut exchange, "seller");
    rest(&mut exchange, seller, BookSide::Ask, "0.45", 5, T);
    let crossed = exchange
        .amend(first, amend(&a.order_id, "0.45", 12), T)
        .unwrap();
    assert_eq!(crossed.fill_count, count(5));
    assert_eq!(crossed.order.remaining_count, count(7));
    assert_eq!(crossed.old_order.yes_price, price("0.40"));
    assert_eq!(
        exchange.orderbook(TICKER, 0).unwrap().yes,
        vec![(price("0.40"), count(10)), (price("0.45"), count(7))]
    );

    // count is the new TOTAL: 5 filled, so a total of 5 leaves nothing and is refused.
    assert!(matches!(
        exchange.amend(first, amend(&a.order_id, "0.45", 5), T),
        Err(ExchangeError::InvalidOrder { .. })
    ));
}

#[test]
fn duplicate_client_order_id_among_open_orders_is_a_conflict() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let trader = user(&mut exchange, "trader");
    let mut request = order(BookSide::Bid, "0.30", 1);
    request.client_order_id = Some("quote-1".into());
    let first = exchange.place_v2(trader, request.clone(), T).unwrap();
    let error = exchange.place_v2(trader, request.clone(), T).unwrap_err();
    assert_eq!(
        error,
        ExchangeError::DuplicateClientOrderId {
            client_order_id: "quote-1".into()
        }
    );
    assert_eq!(
        (error.http_status(), error.code()),
        (409, "duplicate_client_order_id")
    );
    exchange
        .cancel(trader, None, &first.order.order_id, T)
        .unwrap();
    assert!(
        exchange.place_v2(trader, request, T).is_ok(),
        "ids of closed orders may be reused"
    );
    let mut bad = order(BookSide::Bid, "0.30", 1);
    bad.client_order_id = Some("has space".into());
    assert!(matches!(
        exchange.place_v2(trader, bad, T),
        Err(ExchangeError::InvalidOrder { .. })
    ));
}

#[test]
fn legacy_orders_map_onto_the_yes_book_and_enforce_the_price_rule() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let trader = user(&mut exchange, "trader");
    let base = CreateOrderLegacy {
        ticker: TICKER.into(),
        side: Some(OutcomeSide::No),
        action: Some(LegacyAction::Buy),
        count: Some(5),
        ..CreateOrderLegacy::default()
    };
    let none = exchange.place_legacy(trader, base.clone(), T).unwrap_err();
    assert_eq!(none.details(), LEGACY_PRICE_RULE_DETAILS);
    assert_eq!(
        (none.code(), none.message(), none.http_status()),
        ("invalid_order", "invalid order", 400)
    );
    let two = CreateOrderLegacy {
        no_price: Some(44),
        yes_price_dollars: Some(price("0.56")),
        ..base.clone()
    };
    assert_eq!(
        exchange.place_legacy(trader, two, T).unwrap_err().details(),
        LEGACY_PRICE_RULE_DETAILS
    );
    assert_eq!(
        LEGACY_PRICE_RULE_DETAILS,
        "exactly one of yes_price, no_price, yes_price_dollars, or no_price_dollars should be provided"
    );

    // Buy NO at 44¢ is an ask at YES 0.56.
    let buy_no = exchange
        .place_legacy(
            trader,
            CreateOrderLegacy {
                no_price: Some(44),
                ..base.clone()
            },
            T,
        )
        .unwrap();
    assert_eq!(
        (buy_no.order.side, buy_no.order.yes_price),
        (BookSide::Ask, price("0.56"))
    );
    assert_eq!(buy_no.order.legacy_direction().action, LegacyAction::Buy);
    assert_eq!(
        exchange.orderbook(TICKER, 0).unwrap().no,
        vec![(price("0.44"), count(5))]
    );

    // Sell NO at no_price_dollars 0.60 is a bid at YES 0.40.
    let sell_no = CreateOrderLegacy {
        action: Some(LegacyAction::Sell),
        no_price_dollars: Some(price("0.60")),
        count: None,
        count_fp: Some(count(2)),
        ..base.clone()
    };
    let placed = exchange.place_legacy(trader, sell_no, T).unwrap();
    assert_eq!(
        (placed.order.side, placed.order.yes_price),
        (BookSide::Bid, price("0.40"))
    );

    let mismatched = CreateOrderLegacy {
        no_price: Some(44),
        count: Some(2),
        count_fp: Some(count(3)),
        ..base
    };
    assert!(matches!(
        exchange.place_legacy(trader, mismatched, T),
        Err(ExchangeError::InvalidOrder { .. })
    ));
}

#[test]
fn decrease_and_cancel_report_what_they_removed() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let trader = user(&mut exchange, "trader");
    let placed = rest(&mut exchange, trader, BookSide::Bid, "0.30", 10, T).order;
    let by = exchange
        .decrease(trader, None, &placed.order_id, Decrease::By(count(3)), T)
        .unwrap();
    assert_eq!(
        (by.reduced_by, by.order.remaining_count),
        (count(3), count(7))
    );
    let to = exchange
        .decrease(trader, None, &placed.order_id, Decrease::To(count(2)), T)
        .unwrap();
    assert_eq!(
        (to.reduced_by, to.order.remaining_count),
        (count(5), count(2))
    );
    assert!(matches!(
        exchange.decrease(trader, None, &placed.order_id, Decrease::To(count(4)), T),
        Err(ExchangeError::InvalidOrder { .. })
    ));
    let cancelled = exchange.cancel(trader, None, &placed.order_id, T).unwrap();
    assert_eq!(
        (cancelled.reduced_by, cancelled.order.status),
        (count(2), OrderStatus::Canceled)
    );
    assert_eq!(cancelled.order.cancelled_count(), count(10));
    assert_eq!(
        exchange
            .cancel(trader, None, &placed.order_id, T)
            .unwrap()
            .reduced_by,
        Count::ZERO
    );
    let stranger = user(&mut exchange, "stranger");
    assert!(matches!(
        exchange.cancel(stranger, None, &placed.order_id, T),
        Err(ExchangeError::OrderNotFound { .. })
    ));

    rest(&mut exchange, trader, BookSide::Bid, "0.30", 1, T);
    rest(&mut exchange, trader, BookSide::Ask, "0.70", 1, T);
    assert_eq!(exchange.cancel_all(trader, None, T).unwrap(), 2);
    let book = exchange.orderbook(TICKER, 0).unwrap();
    assert!(book.yes.is_empty() && book.no.is_empty());
}

#[test]
fn resting_orders_reserve_collateral() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let small = exchange.add_user("small", money("10")).unwrap();
    // 18 × 0.50 = 9.00 plus the fee reserve (0.07 × 18 × 0.25 = 0.315 → 0.32, + 0.01) = 9.33.
    exchange
        .place_v2(small, order(BookSide::Bid, "0.50", 18), T)
        .unwrap();
    let balance = exchange.balance(small, 0).unwrap();
    assert_eq!(
        (balance.reserved, balance.available),
        (money("9.33"), money("0.67"))
    );
    let error = exchange
        .place_v2(small, order(BookSide::Bid, "0.50", 2), T)
        .unwrap_err();
    assert!(
        matches!(error, ExchangeError::InsufficientBalance { .. }),
        "{error:?}"
    );
    // Selling (buying NO) still needs its own collateral: 1 − 0.95 = 0.05 per contract.
    assert!(
        exchange
            .place_v2(small, order(BookSide::Ask, "0.95", 1), T)
            .is_ok()
    );
}

#[test]
fn prices_off_the_tick_grid_and_inactive_markets_are_refused() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let trader = user(&mut exchange, "trader");
    assert!(matches!(
        exchange.place_v2(trader, order(BookSide::Bid, "0.455", 1), T),
        Err(ExchangeError::InvalidOrder { .. })
    ));
    assert!(matches!(
        exchange.place_v2(trader, order(BookSide::Bid, "0.00", 1), T),
        Err(ExchangeError::InvalidOrder { .. })
    ));
    let mut zero = order(BookSide::Bid, "0.40", 1);
    zero.count = Count::ZERO;
    assert!(matches!(
        exchange.place_v2(trader, zero, T),
        Err(ExchangeError::InvalidCount { .. })
    ));
    let mut unknown = order(BookSide::Bid, "0.40", 1);
    unknown.ticker = "NOPE".into();
    assert_eq!(
        exchange
            .place_v2(trader, unknown, T)
            .unwrap_err()
            .http_status(),
        404
    );
    exchange.deactivate_market(TICKER, T).unwrap();
    assert!(matches!(
        exchange.place_v2(trader, order(BookSide::Bid, "0.40", 1), T),
        Err(ExchangeError::MarketNotActive { .. })
    ));
}
