//! Batch creates/cancels with per-item results, and the read side: market filters and
//! pagination, the trade tape, order filters, candlesticks, queue positions.

mod exchange_common;

use exchange_common::*;
use kalshi_core::side::BookSide;
use kalshi_sim::exchange::queries::{MarketStatusFilter, MarketsQuery, OrdersQuery, TradesQuery};
use kalshi_sim::exchange::{
    CreateOrderV2, ExchangeError, FeeType, NS_PER_S, OrderStatus, TimeInForce,
};

const T: i64 = START_NS + NS_PER_S;

#[test]
fn batch_create_and_cancel_report_per_item_errors() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    let trader = user(&mut exchange, "trader");
    let good = CreateOrderV2::limit(TICKER, BookSide::Bid, price("0.30"), count(2));
    let off_grid = CreateOrderV2::limit(TICKER, BookSide::Bid, price("0.305"), count(2));
    let results = exchange.batch_place_v2(trader, vec![good.clone(), off_grid, good], T);
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[2].is_ok());
    assert!(matches!(
        results[1],
        Err(ExchangeError::InvalidOrder { .. })
    ));
    let ids: Vec<String> = vec![
        results[0].as_ref().unwrap().order.order_id.clone(),
        "no-such-order".to_string(),
        results[2].as_ref().unwrap().order.order_id.clone(),
    ];
    let cancels = exchange.batch_cancel(trader, None, &ids, T);
    assert_eq!(cancels[0].as_ref().unwrap().reduced_by, count(2));
    assert!(matches!(
        cancels[1],
        Err(ExchangeError::OrderNotFound { .. })
    ));
    assert_eq!(
        cancels[2].as_ref().unwrap().order.status,
        OrderStatus::Canceled
    );
}

#[test]
fn markets_trades_orders_candles_and_queue_positions() {
    let mut exchange = exchange_with(FeeType::Quadratic);
    exchange
        .add_market(market_spec("KXTEST-26NOV30-T60", None), T)
        .unwrap();
    let maker = user(&mut exchange, "maker");
    let taker = user(&mut exchange, "taker");

    let all = exchange
        .markets(&MarketsQuery {
            limit: Some(1),
            ..MarketsQuery::default()
        })
        .unwrap();
    assert_eq!(all.items.len(), 1);
    assert!(!all.cursor.is_empty());
    let next = MarketsQuery {
        limit: Some(1),
        cursor: Some(all.cursor.clone()),
        ..MarketsQuery::default()
    };
    let second = exchange.markets(&next).unwrap();
    assert_eq!(second.items[0].spec.ticker, "KXTEST-26NOV30-T60");
    assert!(second.cursor.is_empty());
    let only = MarketsQuery {
        tickers: vec![TICKER.to_string()],
        ..MarketsQuery::default()
    };
    assert_eq!(exchange.markets(&only).unwrap().items.len(), 1);
    let unopened = MarketsQuery {
        status: Some(MarketStatusFilter::Unopened),
        ..MarketsQuery::default()
    };
    assert!(exchange.markets(&unopened).unwrap().items.is_empty());
    let mixed = MarketsQuery {
        min_close_ts: Some(0),
        min_created_ts: Some(0),
        ..MarketsQuery::default()
    };
    assert!(matches!(
        exchange.markets(&mixed),
        Err(ExchangeError::InvalidParameters { .. })
    ));
    let too_many = MarketsQuery {
        limit: Some(1001),
        ..MarketsQuery::default()
    };
    assert!(exchange.markets(&too_many).is_err());

    let first = rest(&mut exchange, maker, BookSide::Ask, "0.55", 10, T).order;
    let second_order = rest(&mut exchange, maker, BookSide::Ask, "0.55", 10, T).order;
    assert_eq!(
        exchange
            .queue_position(maker, &second_order.order_id)
            .unwrap(),
        count(10)
    );
    for minute in 0..3 {
        let mut request = CreateOrderV2::limit(TICKER, BookSide::Bid, price("0.55"), count(2));
        request.time_in_force = TimeInForce::ImmediateOrCancel;
        exchange
            .place_v2(taker, request, T + minute * 60 * NS_PER_S)
            .unwrap();
    }
    assert_eq!(
        exchange.queue_position(maker, &first.order_id).unwrap(),
        count(0)
    );
    assert_eq!(
        exchange
            .queue_position(maker, &second_order.order_id)
            .unwrap(),
        count(4)
    );
    let queue = exchange
        .queue_positions(maker, &[TICKER.to_string()], None, None)
        .unwrap();
    assert_eq!(queue.len(), 2);

    let tape = exchange
        .trades(&TradesQuery {
            ticker: Some(TICKER.into()),
            limit: Some(2),
            ..TradesQuery::default()
        })
        .unwrap();
    assert_eq!(tape.items.len(), 2);
    assert!(tape.items[0].ts_ns > tape.items[1].ts_ns, "newest first");
    let rest_of_tape = exchange
        .trades(&TradesQuery {
            cursor: Some(tape.cursor.clone()),
            ..TradesQuery::default()
        })
        .unwrap();
    assert_eq!(rest_of_tape.items.len(), 1);

    let executed = OrdersQuery {
        status: Some(OrderStatus::Executed),
        ..OrdersQuery::default()
    };
    assert_eq!(exchange.orders(taker, &executed).unwrap().items.len(), 3);
    let resting = OrdersQuery {
        status: Some(OrderStatus::Resting),
        ..OrdersQuery::default()
    };
    assert_eq!(exchange.orders(maker, &resting).unwrap().items.len(), 2);
    assert!(
        exchange
            .orders(
                maker,
                &OrdersQuery {
                    ticker: Some("KXTEST-26NOV30-T60".into()),
                    ..OrdersQuery::default()
                }
            )
            .unwrap()
            .items
            .is_empty()
    );

    let start_s = T / NS_PER_S;
    let candles = exchange
        .candlesticks(TICKER, start_s, start_s + 240, 1)
        .unwrap();
    let traded: Vec<_> = candles.iter().filter(|c| c.price.is_some()).collect();
    assert_eq!(traded.len(), 3, "one candle per minute with a trade");
    assert!(
        traded
            .iter()
            .all(|c| c.volume == count(2) && c.price.unwrap().ohlc.close == price("0.55"))
    );
    assert!(candles.iter().all(|c| c.yes_ask.close == price("0.55")));
    let hourly = exchange
        .candlesticks(TICKER, start_s, start_s + 3600, 60)
        .unwrap();
    assert_eq!(hourly.iter().map(|c| c.volume.centi()).sum::<i64>(), 600);
    assert!(
        exchange
            .candlesticks(TICKER, start_s, start_s + 60, 5)
            .is_err()
    );
}
