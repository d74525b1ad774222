//! kalshi-api.md §10.4: the worked matching example reproduces exactly — fills, trades,
//! book deltas in NO terms, fills to both parties, fees and cash to the micro-dollar.

mod exchange_common;

use exchange_common::*;
use kalshi_core::side::{BookSide, OutcomeSide};
use kalshi_core::{Money, SignedCount};
use kalshi_sim::events_out::ExchangeEvent;
use kalshi_sim::exchange::queries::FillsQuery;
use kalshi_sim::exchange::{CreateOrderV2, FeeType, OrderStatus, TimeInForce, UpdateReason};

#[test]
fn worked_example_fills_trades_deltas_and_fees() {
    let mut exchange = exchange_with(FeeType::QuadraticWithMakerFees);
    let bidder = user(&mut exchange, "bidder");
    let maker_56 = user(&mut exchange, "maker-56");
    let maker_55 = user(&mut exchange, "maker-55");
    let taker = user(&mut exchange, "taker");
    let t = START_NS + 1_000_000_000;
    rest(&mut exchange, bidder, BookSide::Bid, "0.42", 13, t);
    rest(&mut exchange, bidder, BookSide::Bid, "0.41", 10, t);
    // NO bids at 0.56 and 0.55 are YES asks at 0.44 and 0.45.
    let first_maker = rest(&mut exchange, maker_56, BookSide::Ask, "0.44", 17, t);
    let second_maker = rest(&mut exchange, maker_55, BookSide::Ask, "0.45", 20, t);
    exchange.drain_events();

    let mut request = CreateOrderV2::limit(TICKER, BookSide::Bid, price("0.45"), count(25));
    request.time_in_force = TimeInForce::ImmediateOrCancel;
    let outcome = exchange.place_v2(taker, request, t + 1).unwrap();

    assert_eq!(outcome.fill_count, count(25));
    assert_eq!(outcome.remaining_count, count(0));
    assert_eq!(outcome.average_fill_price, Some(price("0.4432")));
    assert_eq!(outcome.order.status, OrderStatus::Executed);
    assert_eq!(outcome.order.last_update_reason, Some(UpdateReason::Trade));
    // Taker fees: 0.07×17×0.44×0.56 = 0.293216 → 0.2933, +0.0067 rounding = $0.30;
    // 0.07×8×0.45×0.55 = 0.1386, +0.0014 rounding = $0.14 (accumulator 0.0081, no rebate).
    assert_eq!(outcome.order.taker_fees, money("0.44"));
    assert_eq!(outcome.average_fee_paid, Some(money("0.0176")));
    assert_eq!(outcome.order.taker_fill_cost, money("11.08"));

    let events = exchange.drain_events();
    let trades: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let ExchangeEvent::Trade(t) = e {
                Some(t)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(trades.len(), 2);
    assert_eq!(
        (trades[0].yes_price, trades[0].no_price, trades[0].count),
        (price("0.44"), price("0.56"), count(17))
    );
    assert_eq!(
        (trades[1].yes_price, trades[1].no_price, trades[1].count),
        (price("0.45"), price("0.55"), count(8))
    );
    assert!(trades.iter().all(|t| t.taker_outcome_side == OutcomeSide::Yes && t.taker_book_side == BookSide::Bid));

    let deltas: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let ExchangeEvent::BookDelta(d) = e {
                Some(d)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(deltas.len(), 2);
    assert_eq!(
        (deltas[0].wire_side, deltas[0].wire_price, deltas[0].delta),
        (
            OutcomeSide::No,
            price("0.56"),
            SignedCount::parse("-17").unwrap()
        )
    );
    assert_eq!(
        (deltas[1].wire_side, deltas[1].wire_price, deltas[1].delta),
        (
            OutcomeSide::No,
            price("0.55"),
            SignedCount::parse("-8").unwrap()
        )
    );
    assert_eq!(deltas[0].yes_price, price("0.44"));
    assert_eq!(
        deltas[0].clock, deltas[1].clock,
        "deltas of one action share a clock"
    );

    let fills: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let ExchangeEvent::Fill(f) = e {
                Some(&f.fill)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(fills.len(), 4, "one fill per party per trade");
    let taker_fills: Vec<_> = fills.iter().filter(|f| f.user == taker).collect();
    assert_eq!(taker_fills.len(), 2);
    assert!(
        taker_fills
            .iter()
            .all(|f| f.is_taker && f.side == BookSide::Bid)
    );
    assert_eq!(taker_fills[0].fee_cost, money("0.30"));
    assert_eq!(taker_fills[1].fee_cost, money("0.14"));
    assert_eq!(
        taker_fills[1].post_position,
        SignedCount::parse("25").unwrap()
    );
    assert_eq!(
        taker_fills[0].trade_id,
        fills.iter().find(|f| f.user == maker_56).unwrap().trade_id
    );
    let maker_fill_56 = fills.iter().find(|f| f.user == maker_56).unwrap();
    assert!(!maker_fill_56.is_taker);
    assert_eq!(maker_fill_56.order_id, first_maker.order.order_id);
    // Maker fee 0.0175×17×0.44×0.56 = 0.073304 → 0.0734; cash −9.52 − 0.0734 floors to −9.60.
    assert_eq!(maker_fill_56.fee_cost, money("0.08"));
    assert_eq!(
        maker_fill_56.post_position,
        SignedCount::parse("-17").unwrap()
    );
    let maker_fill_55 = fills.iter().find(|f| f.user == maker_55).unwrap();
    assert_eq!(maker_fill_55.order_id, second_maker.order.order_id);
    assert_eq!(maker_fill_55.count, count(8));
    assert_eq!(maker_fill_55.fee_cost, money("0.04"));

    let updates: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let ExchangeEvent::OrderUpdate(u) = e {
                Some(&u.order)
            } else {
                None
            }
        })
        .collect();
    let first_update = updates
        .iter()
        .find(|o| o.order_id == first_maker.order.order_id)
        .unwrap();
    assert_eq!(
        (first_update.status, first_update.last_update_reason),
        (OrderStatus::Executed, Some(UpdateReason::Trade))
    );
    let second_update = updates
        .iter()
        .find(|o| o.order_id == second_maker.order.order_id)
        .unwrap();
    assert_eq!(
        (second_update.status, second_update.remaining_count),
        (OrderStatus::Resting, count(12))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ExchangeEvent::Position(p) if p.user == maker_56))
    );
    let ticker = events
        .iter()
        .rev()
        .find_map(|e| {
            if let ExchangeEvent::Ticker(t) = e {
                Some(t)
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(ticker.last_price, Some(price("0.45")));
    assert_eq!(ticker.yes_ask, Some((price("0.45"), count(12))));
    assert_eq!(ticker.open_interest, count(25));

    // Cash to the micro-dollar: taker −11.08 − 0.44, makers −9.60 and −4.44.
    assert_eq!(exchange.balance(taker, 0).unwrap().cash, money("9988.48"));
    assert_eq!(
        exchange.balance(maker_56, 0).unwrap().cash,
        money("9990.40")
    );
    assert_eq!(
        exchange.balance(maker_55, 0).unwrap().cash,
        money("9995.56")
    );

    let book = exchange.orderbook(TICKER, 0).unwrap();
    assert_eq!(book.no, vec![(price("0.55"), count(12))]);
    assert_eq!(
        book.yes,
        vec![(price("0.41"), count(10)), (price("0.42"), count(13))]
    );

    let page = exchange.fills(taker, &FillsQuery::default()).unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].count, count(8), "fills are newest first");
    let total_fees: Money = page
        .items
        .iter()
        .map(|f| f.fee_cost)
        .fold(Money::ZERO, |a, b| a + b);
    assert_eq!(total_fees, money("0.44"));
}
