//! Market lifecycle: close cancels resting orders, determination, settlement payouts
//! (YES pays the settlement value, NO pays 1 − it), settlement rows, and cash that
//! reconciles to the micro-dollar; pause/reactivation rules.

mod exchange_common;

use exchange_common::*;
use kalshi_core::market_data::{LifecycleKind, MarketResult, MarketStatus};
use kalshi_core::side::BookSide;
use kalshi_core::{Money, SignedCount};
use kalshi_sim::events_out::ExchangeEvent;
use kalshi_sim::exchange::queries::{PositionsQuery, SettlementStatusFilter, SettlementsQuery};
use kalshi_sim::exchange::{
    CreateOrderV2, FeeType, NS_PER_S, OrderStatus, TimeInForce, UpdateReason, UserId,
};

const T: i64 = START_NS + NS_PER_S;
const NO_MARKET: &str = "KXTEST-26NOV30-T60";

fn cross(
    exchange: &mut kalshi_sim::Exchange,
    ticker: &str,
    taker: UserId,
    side: BookSide,
    yes_price: &str,
    contracts: i64,
) {
    let mut request = CreateOrderV2::limit(ticker, side, price(yes_price), count(contracts));
    request.time_in_force = TimeInForce::ImmediateOrCancel;
    assert_eq!(
        exchange.place_v2(taker, request, T).unwrap().fill_count,
        count(contracts)
    );
}

#[test]
fn close_determine_and_settle_pay_out_and_reconcile() {
    let mut exchange = exchange_with(FeeType::QuadraticWithMakerFees);
    // A second market whose spec forces a NO result.
    exchange
        .add_market(market_spec(NO_MARKET, Some(MarketResult::No)), T)
        .unwrap();
    let alice = user(&mut exchange, "alice");
    let bob = user(&mut exchange, "bob");
    let carol = user(&mut exchange, "carol");
    let dave = user(&mut exchange, "dave");
    let users = [alice, bob, carol, dave];
    let initial = money("10000");

    // Alice buys 10 YES at 0.60 from Bob (Bob long 10 NO), then sells 4 YES at 0.70 to Dave.
    let rest_ask = CreateOrderV2::limit(TICKER, BookSide::Ask, price("0.60"), count(10));
    exchange.place_v2(bob, rest_ask, T).unwrap();
    cross(&mut exchange, TICKER, alice, BookSide::Bid, "0.60", 10);
    exchange
        .place_v2(
            dave,
            CreateOrderV2::limit(TICKER, BookSide::Bid, price("0.70"), count(4)),
            T,
        )
        .unwrap();
    cross(&mut exchange, TICKER, alice, BookSide::Ask, "0.70", 4);
    assert_eq!(position(&exchange, alice), SignedCount::parse("6").unwrap());
    let alice_position = exchange.position(alice, 0, TICKER).unwrap();
    assert_eq!(alice_position.cost, money("3.60"));
    assert_eq!(
        alice_position.realized_pnl,
        money("0.40"),
        "sold 4 bought at 0.60 for 0.70"
    );

    // In the NO market: Carol buys 5 NO at 0.75 (ask at YES 0.25) from Dave's YES bid.
    exchange
        .place_v2(
            dave,
            CreateOrderV2::limit(NO_MARKET, BookSide::Bid, price("0.25"), count(5)),
            T,
        )
        .unwrap();
    cross(&mut exchange, NO_MARKET, carol, BookSide::Ask, "0.25", 5);
    // A resting order that the close must cancel.
    let doomed = exchange
        .place_v2(
            carol,
            CreateOrderV2::limit(TICKER, BookSide::Bid, price("0.10"), count(3)),
            T,
        )
        .unwrap();
    exchange.drain_events();

    let close_ns = START_NS + 3600 * NS_PER_S;
    exchange.advance_to(close_ns);
    assert_eq!(
        exchange.market_status(TICKER).unwrap(),
        MarketStatus::Closed
    );
    let cancelled = exchange.order(carol, &doomed.order.order_id).unwrap();
    assert_eq!(
        (cancelled.status, cancelled.last_update_reason),
        (OrderStatus::Canceled, Some(UpdateReason::CloseCancel))
    );
    assert_eq!(exchange.balance(carol, 0).unwrap().reserved, Money::ZERO);
    let refused = exchange.place_v2(
        carol,
        CreateOrderV2::limit(TICKER, BookSide::Bid, price("0.10"), count(1)),
        close_ns,
    );
    assert!(refused.is_err());

    // The default market's result is forced to YES by hand; the other is forced NO by its spec.
    exchange
        .determine_market(TICKER, MarketResult::Yes, close_ns + NS_PER_S)
        .unwrap();
    exchange.advance_to(close_ns + 61 * NS_PER_S);
    assert_eq!(
        exchange.market_status(NO_MARKET).unwrap(),
        MarketStatus::Determined
    );
    exchange.advance_to(close_ns + 400 * NS_PER_S);
    assert_eq!(
        exchange.market_status(TICKER).unwrap(),
        MarketStatus::Finalized
    );
    assert_eq!(
        exchange.market_status(NO_MARKET).unwrap(),
        MarketStatus::Finalized
    );
    let events = exchange.drain_events();
    let kinds: Vec<LifecycleKind> = events
        .iter()
        .filter_map(|e| {
            if let ExchangeEvent::Lifecycle(l) = e {
                Some(l.kind)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == LifecycleKind::Determined)
            .count(),
        2
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == LifecycleKind::Settled)
            .count(),
        2
    );

    // Alice's 6 YES pay $6; Dave's 4 YES pay $4; Bob's 10 NO pay nothing; in the NO market
    // Carol's 5 NO pay $5 and Dave's 5 YES nothing.
    let settlements = exchange
        .settlements(alice, &SettlementsQuery::default())
        .unwrap()
        .items;
    assert_eq!(settlements.len(), 1);
    assert_eq!(
        (settlements[0].yes_count, settlements[0].revenue),
        (count(6), money("6"))
    );
    assert_eq!(settlements[0].market_result, MarketResult::Yes);
    let carol_rows = exchange
        .settlements(carol, &SettlementsQuery::default())
        .unwrap()
        .items;
    assert_eq!(
        (
            carol_rows[0].no_count,
            carol_rows[0].revenue,
            carol_rows[0].no_total_cost
        ),
        (count(5), money("5"), money("3.75"))
    );
    assert_eq!(
        exchange
            .settlements(bob, &SettlementsQuery::default())
            .unwrap()
            .items[0]
            .revenue,
        Money::ZERO
    );

    // Every account: cash = initial + realized P&L − fees; all positions are flat.
    let mut total_cash = Money::ZERO;
    let mut total_fees = Money::ZERO;
    for who in users {
        let query = PositionsQuery {
            settlement_status: SettlementStatusFilter::All,
            ..PositionsQuery::default()
        };
        let rows = exchange.positions(who, &query).unwrap().items;
        let mut realized = Money::ZERO;
        let mut fees = Money::ZERO;
        for row in &rows {
            assert_eq!(row.position.position, SignedCount::ZERO);
            assert!(row.position.settled);
            realized = realized + row.position.realized_pnl;
            fees = fees + row.position.fees_paid;
        }
        let balance = exchange.balance(who, 0).unwrap();
        assert_eq!(balance.cash, initial + realized - fees, "user {who:?}");
        assert_eq!(balance.reserved, Money::ZERO);
        total_cash = total_cash + balance.cash;
        total_fees = total_fees + fees;
    }
    assert!(total_fees > Money::ZERO);
    assert_eq!(
        total_cash + total_fees,
        money("40000"),
        "settlement conserves money: only fees leave"
    );
    assert_eq!(exchange.market(TICKER).unwrap().open_interest, count(0));
}

#[test]
fn reactivating_a_paused_market_cancels_resting_orders() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let trader = user(&mut exchange, "trader");
    let resting = rest(&mut exchange, trader, BookSide::Bid, "0.40", 5, T).order;
    exchange.deactivate_market(TICKER, T + NS_PER_S).unwrap();
    assert!(
        exchange
            .order(trader, &resting.order_id)
            .unwrap()
            .is_resting(),
        "a pause keeps orders"
    );
    exchange.drain_events();
    exchange.activate_market(TICKER, T + 2 * NS_PER_S).unwrap();
    let after = exchange.order(trader, &resting.order_id).unwrap();
    assert_eq!(
        (after.status, after.last_update_reason),
        (OrderStatus::Canceled, Some(UpdateReason::HaltCancel))
    );
    let events = exchange.drain_events();
    assert!(
        events.iter().any(
            |e| matches!(e, ExchangeEvent::Lifecycle(l) if l.kind == LifecycleKind::Activated)
        )
    );
    assert!(
        rest(
            &mut exchange,
            trader,
            BookSide::Bid,
            "0.40",
            1,
            T + 3 * NS_PER_S
        )
        .order
        .is_resting()
    );
}

#[test]
fn trading_pause_allows_cancels_and_cancels_flagged_orders() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let trader = user(&mut exchange, "trader");
    let plain = rest(&mut exchange, trader, BookSide::Bid, "0.40", 5, T).order;
    let mut flagged = CreateOrderV2::limit(TICKER, BookSide::Bid, price("0.39"), count(5));
    flagged.cancel_order_on_pause = true;
    let flagged = exchange.place_v2(trader, flagged, T).unwrap().order;
    exchange.set_trading_active(false, T + NS_PER_S);
    assert_eq!(
        exchange.order(trader, &flagged.order_id).unwrap().status,
        OrderStatus::Canceled
    );
    assert!(!exchange.exchange_status().trading_active);
    let placed = exchange.place_v2(
        trader,
        CreateOrderV2::limit(TICKER, BookSide::Bid, price("0.30"), count(1)),
        T + 2 * NS_PER_S,
    );
    assert_eq!(placed.unwrap_err().code(), "trading_paused");
    assert_eq!(
        exchange
            .cancel(trader, None, &plain.order_id, T + 3 * NS_PER_S)
            .unwrap()
            .reduced_by,
        count(5)
    );
    exchange.set_exchange_active(false, T + 4 * NS_PER_S);
    assert_eq!(
        exchange
            .cancel(trader, None, &plain.order_id, T + 5 * NS_PER_S)
            .unwrap_err()
            .code(),
        "exchange_paused"
    );
}
