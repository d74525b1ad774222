//! Normalization cases a trader relies on: both dialects give the same market, NO bids become
//! YES asks at the complement, fractional deltas stay exact, taker direction falls back in the
//! documented order, and bad input names the field and the market.

use kalshi_core::market_data::{BookLevel, ExchangeOrderStatus, MarketResult, MarketStatus};
use kalshi_core::side::{BookSide, OutcomeSide};
use kalshi_core::{Count, Money, Price, SignedCount};
use kalshi_io::normalize::{self, NormalizeError, NormalizedWs};
use kalshi_io::wire::event::{Event, FeeMultiplier, Series};
use kalshi_io::wire::market::Market;
use kalshi_io::wire::orderbook::OrderbookResponse;
use kalshi_io::wire::portfolio::{Fill, Order};
use kalshi_io::wire::ws::decode_ws_frame;

fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn count(text: &str) -> Count {
    Count::parse(text).unwrap()
}

fn level(p: &str, size: &str) -> BookLevel {
    BookLevel {
        price: price(p),
        size: count(size),
    }
}

#[test]
fn cents_and_dollars_markets_normalize_identically() {
    let cents: Market = serde_json::from_str(
        r#"{"ticker":"KXA-1","event_ticker":"KXA","status":"active","title":"A?",
            "open_time":"2025-03-18T22:00:57Z","close_time":"2025-03-25T03:59:00Z",
            "yes_bid":81,"yes_ask":83,"last_price":82,"volume":622,"volume_24h":10,"open_interest":600,
            "result":"","response_price_units":"usd_cent","tick_size":1}"#,
    )
    .unwrap();
    let dollars: Market = serde_json::from_str(
        r#"{"ticker":"KXA-1","event_ticker":"KXA","status":"active","title":"A?",
            "open_time":"2025-03-18T22:00:57Z","close_time":"2025-03-25T03:59:00Z",
            "yes_bid_dollars":"0.8100","yes_ask_dollars":"0.8300","last_price_dollars":"0.8200",
            "volume_fp":"622.00","volume_24h_fp":"10.00","open_interest_fp":"600.00","result":""}"#,
    )
    .unwrap();
    let dual: Market = serde_json::from_str(
        r#"{"ticker":"KXA-1","event_ticker":"KXA","status":"active","title":"A?",
            "open_time":"2025-03-18T22:00:57Z","close_time":"2025-03-25T03:59:00Z",
            "yes_bid":81,"yes_bid_dollars":"0.8100","yes_ask":83,"yes_ask_dollars":"0.8300",
            "last_price":82,"last_price_dollars":"0.8200","volume":622,"volume_fp":"622.00",
            "volume_24h":10,"volume_24h_fp":"10.00","open_interest":600,"open_interest_fp":"600.00"}"#,
    )
    .unwrap();
    let a = normalize::market_info(&cents).unwrap();
    assert_eq!(a, normalize::market_info(&dollars).unwrap());
    assert_eq!(a, normalize::market_info(&dual).unwrap());
    assert_eq!(a.yes_bid, Some(price("0.81")));
    assert_eq!(a.volume, count("622"));
    assert_eq!(a.close_time_ns, Some(1_742_875_140_000_000_000));
    assert_eq!(a.status, MarketStatus::Active);
    assert_eq!(a.result, None);
}

#[test]
fn dollars_win_over_cents_when_both_disagree() {
    // Sub-penny market in the dual era: the cents field can only be a rounded view.
    let market: Market = serde_json::from_str(
        r#"{"ticker":"T","status":"active","yes_bid":56,"yes_bid_dollars":"0.5610"}"#,
    )
    .unwrap();
    assert_eq!(
        normalize::market_info(&market).unwrap().yes_bid,
        Some(price("0.561"))
    );
}

#[test]
fn settled_market_and_bad_fields_name_the_market() {
    let settled: Market = serde_json::from_str(
        r#"{"ticker":"T","status":"finalized","result":"no","settlement_value_dollars":"0.0000"}"#,
    )
    .unwrap();
    let info = normalize::market_info(&settled).unwrap();
    assert_eq!(
        (info.status, info.result, info.settlement_value),
        (
            MarketStatus::Finalized,
            Some(MarketResult::No),
            Some(Price::ZERO)
        )
    );

    let odd_status: Market =
        serde_json::from_str(r#"{"ticker":"KXODD","status":"frozen"}"#).unwrap();
    assert_eq!(
        normalize::market_info(&odd_status),
        Err(NormalizeError::UnknownValue {
            field: "status",
            ticker: "KXODD".into(),
            value: "frozen".into()
        })
    );
    let bad_time: Market =
        serde_json::from_str(r#"{"ticker":"KXT","status":"active","close_time":"tomorrow"}"#)
            .unwrap();
    let error = normalize::market_info(&bad_time).unwrap_err();
    assert!(
        matches!(&error, NormalizeError::Invalid { field: "close_time", ticker, .. } if ticker == "KXT"),
        "{error}"
    );
    let no_status: Market = serde_json::from_str(r#"{"ticker":"KXN"}"#).unwrap();
    assert_eq!(
        normalize::market_info(&no_status),
        Err(NormalizeError::Missing {
            field: "status",
            ticker: "KXN".into()
        })
    );
}

#[test]
fn no_bids_become_yes_asks_at_the_complement_in_any_order() {
    let rest: OrderbookResponse = serde_json::from_str(
        r#"{"orderbook_fp":{"yes_dollars":[["0.4200","13.00"],["0.0100","200.00"],["0.4100","10.00"]],
            "no_dollars":[["0.5600","17.00"],["0.4500","20.00"]]}}"#,
    )
    .unwrap();
    let book = normalize::book_from_rest("KXB", &rest).unwrap();
    assert_eq!(
        book.bids,
        vec![
            level("0.42", "13"),
            level("0.01", "200"),
            level("0.41", "10")
        ]
    );
    assert_eq!(book.asks, vec![level("0.44", "17"), level("0.55", "20")]);
    assert_eq!(book.clock, None);

    let legacy: OrderbookResponse = serde_json::from_str(
        r#"{"orderbook":{"yes":[[42,13]],"no":[[56,17]],"yes_dollars":null}}"#,
    )
    .unwrap();
    let legacy_book = normalize::book_from_rest("KXB", &legacy).unwrap();
    assert_eq!(legacy_book.bids, vec![level("0.42", "13")]);
    assert_eq!(legacy_book.asks, vec![level("0.44", "17")]);

    assert!(matches!(
        normalize::book_from_rest("KXB", &OrderbookResponse::default()),
        Err(NormalizeError::Missing { .. })
    ));
}

#[test]
fn ws_snapshot_with_a_missing_side_has_an_empty_side() {
    let frame = r#"{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"KXS","clock":9,
        "no_dollars_fp":[["0.5400","20.00"],["0.5600","146.00"]]}}"#;
    let message = decode_ws_frame(frame).unwrap();
    let Some(NormalizedWs::Snapshot(book)) = normalize::normalize_ws(&message, false).unwrap()
    else {
        panic!()
    };
    assert!(book.bids.is_empty());
    assert_eq!(book.asks, vec![level("0.46", "20"), level("0.44", "146")]);
    assert_eq!(book.clock, Some(9));

    // With use_yes_price the NO side already is in YES prices.
    let Some(NormalizedWs::Snapshot(yes_priced)) = normalize::normalize_ws(&message, true).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        yes_priced.asks,
        vec![level("0.54", "20"), level("0.56", "146")]
    );
}

#[test]
fn deltas_keep_fractions_and_map_sides() {
    let frame = r#"{"type":"orderbook_delta","sid":1,"seq":10,"msg":{"market_ticker":"KXD","price_dollars":"0.7400",
        "delta_fp":"-1.84","side":"no","clock":5,"client_order_id":"run7-1","ts":"2026-07-01T02:31:45.308599Z"}}"#;
    let Some(NormalizedWs::Delta(delta)) =
        normalize::normalize_ws(&decode_ws_frame(frame).unwrap(), false).unwrap()
    else {
        panic!()
    };
    assert_eq!(delta.side, BookSide::Ask);
    assert_eq!(delta.price, price("0.26"));
    assert_eq!(delta.delta, SignedCount::from_centi(-184));
    assert_eq!(delta.client_order_id.as_deref(), Some("run7-1"));

    let cents = r#"{"type":"orderbook_delta","sid":1,"seq":4,"msg":{"market_ticker":"KXD","price":52,"delta":2,"side":"yes"}}"#;
    let Some(NormalizedWs::Delta(delta)) =
        normalize::normalize_ws(&decode_ws_frame(cents).unwrap(), false).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (delta.side, delta.price, delta.delta),
        (BookSide::Bid, price("0.52"), SignedCount::from_centi(200))
    );

    let no_price = r#"{"type":"orderbook_delta","sid":1,"seq":4,"msg":{"market_ticker":"KXD","delta_fp":"1","side":"yes"}}"#;
    assert_eq!(
        normalize::normalize_ws(&decode_ws_frame(no_price).unwrap(), false),
        Err(NormalizeError::Missing {
            field: "price_dollars|price",
            ticker: "KXD".into()
        })
    );
}

#[test]
fn taker_direction_prefers_book_side_then_outcome_then_legacy() {
    use BookSide::{Ask, Bid};
    use OutcomeSide::{No, Yes};
    assert_eq!(
        normalize::taker_side(Some(Ask), Some(Yes), Some(Yes)),
        Some(Ask)
    );
    assert_eq!(normalize::taker_side(None, Some(No), Some(Yes)), Some(Ask));
    assert_eq!(normalize::taker_side(None, None, Some(Yes)), Some(Bid));
    assert_eq!(normalize::taker_side(None, None, None), None);

    let frame = r#"{"type":"trade","sid":12,"seq":2,"msg":{"trade_id":"d91b","market_ticker":"KXT",
        "yes_price_dollars":"0.3600","no_price_dollars":"0.6400","count_fp":"136.00","taker_side":"no",
        "taker_outcome_side":"no","taker_book_side":"ask","ts":1793109601,"ts_ms":1793109601250}}"#;
    let Some(NormalizedWs::Trade(trade)) =
        normalize::normalize_ws(&decode_ws_frame(frame).unwrap(), false).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (trade.taker_side, trade.yes_price, trade.count),
        (Ask, price("0.36"), count("136"))
    );
    assert_eq!(trade.ts_ns, 1_793_109_601_250_000_000);

    let cents_only_no = r#"{"type":"trade","sid":2,"msg":{"market_ticker":"KXT","no_price":46,"count":183,"taker_side":"yes","ts":1748056536}}"#;
    let Some(NormalizedWs::Trade(trade)) =
        normalize::normalize_ws(&decode_ws_frame(cents_only_no).unwrap(), false).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (trade.taker_side, trade.yes_price, trade.ts_ns),
        (Bid, price("0.54"), 1_748_056_536_000_000_000)
    );
}

#[test]
fn fills_orders_and_positions_from_both_dialects() {
    let frame = r#"{"type":"fill","sid":2,"msg":{"trade_id":"a750","order_id":"d44d","market_ticker":"KXF",
        "is_taker":true,"side":"no","ts":1782873396,"ts_ms":1782873396915,"yes_price_dollars":"0.1600",
        "count_fp":"1.16","fee_cost":"0.011000","action":"buy","post_position_fp":"4.36","purchased_side":"no",
        "outcome_side":"no","book_side":"ask","subaccount":0}}"#;
    let Some(NormalizedWs::Fill(fill)) =
        normalize::normalize_ws(&decode_ws_frame(frame).unwrap(), false).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (fill.side, fill.yes_price, fill.count),
        (BookSide::Ask, price("0.16"), count("1.16"))
    );
    assert_eq!(
        (fill.fee, fill.post_position),
        (
            Money::from_micros(11_000),
            Some(SignedCount::from_centi(436))
        )
    );

    // A legacy fill: sell YES at 60¢ is the ask side; the price string had the `_fixed` name.
    let legacy: Fill = serde_json::from_str(
        r#"{"action":"sell","count":32,"created_time":"2026-01-10T16:11:11.109554Z","fill_id":"43db",
            "is_taker":true,"market_ticker":"KXF","no_price":40,"order_id":"6e44","side":"yes",
            "ticker":"KXF","yes_price":60,"yes_price_fixed":"0.6000"}"#,
    )
    .unwrap();
    let fill = normalize::own_fill(&legacy).unwrap();
    assert_eq!(
        (fill.side, fill.yes_price, fill.count, fill.fee),
        (BookSide::Ask, price("0.60"), count("32"), Money::ZERO)
    );

    // A legacy order with no price on the YES leg: buy NO at 44¢ rests as a YES ask at 56¢.
    let order: Order = serde_json::from_str(
        r#"{"order_id":"o1","ticker":"KXO","side":"no","action":"buy","status":"resting","no_price":44,
            "fill_count":0,"remaining_count":5,"initial_count":5,"client_order_id":"",
            "last_update_time":"2026-01-14T20:18:17.19985Z"}"#,
    )
    .unwrap();
    let snapshot = normalize::order_snapshot(&order).unwrap();
    assert_eq!(
        (snapshot.side, snapshot.yes_price, snapshot.status),
        (BookSide::Ask, price("0.56"), ExchangeOrderStatus::Resting)
    );
    assert_eq!(
        (snapshot.remaining_count, snapshot.client_order_id),
        (count("5"), None)
    );
    assert_eq!(snapshot.ts_ns, 1_768_421_897_199_850_000);

    let user_order = r#"{"type":"user_order","sid":3,"msg":{"order_id":"o2","ticker":"KXO","status":"canceled",
        "book_side":"bid","yes_price_dollars":"0.3500","fill_count_fp":"4.00","remaining_count_fp":"0.00",
        "initial_count_fp":"10.00","client_order_id":"run7-9","last_updated_ts_ms":1793109600000,
        "last_update_reason":"PostOnlyCrossCancel"}}"#;
    let Some(NormalizedWs::Order(snapshot)) =
        normalize::normalize_ws(&decode_ws_frame(user_order).unwrap(), false).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (snapshot.status, snapshot.fill_count),
        (ExchangeOrderStatus::Canceled, count("4"))
    );
    assert_eq!(
        snapshot.last_update_reason.as_deref(),
        Some("PostOnlyCrossCancel")
    );

    let position = r#"{"type":"market_position","sid":14,"msg":{"market_ticker":"KXP","position_fp":"-100.00",
        "position_cost_dollars":"50.0000","realized_pnl_dollars":"-10.0000","fees_paid_dollars":"1.0000"}}"#;
    let Some(NormalizedWs::Position(position)) =
        normalize::normalize_ws(&decode_ws_frame(position).unwrap(), false).unwrap()
    else {
        panic!()
    };
    assert_eq!(position.position, SignedCount::from_centi(-10_000));
    assert_eq!(position.realized_pnl, Money::from_micros(-10_000_000));

    let unknown_status: Order = serde_json::from_str(r#"{"order_id":"o3","ticker":"KXO","status":"pending","book_side":"bid","yes_price_dollars":"0.5","fill_count_fp":"0","remaining_count_fp":"1"}"#).unwrap();
    assert_eq!(
        normalize::order_snapshot(&unknown_status),
        Err(NormalizeError::UnknownValue {
            field: "status",
            ticker: "KXO".into(),
            value: "pending".into()
        })
    );
}

#[test]
fn lifecycle_and_fees() {
    let frame = r#"{"type":"market_lifecycle_v2","sid":13,"seq":3,"msg":{"market_ticker":"KXL","event_type":"determined",
        "determination_ts":1793120000,"result":"yes","settlement_value":"1.0000"}}"#;
    let Some(NormalizedWs::Lifecycle(change)) =
        normalize::normalize_ws(&decode_ws_frame(frame).unwrap(), false).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (change.result, change.settlement_value),
        (Some(MarketResult::Yes), Some(Price::ONE))
    );

    let new_grid = r#"{"type":"market_lifecycle_v2","sid":13,"seq":4,"msg":{"market_ticker":"KXL",
        "event_type":"price_level_structure_updated","price_level_structure":"deci_cent",
        "price_ranges":[{"start":"0.0000","end":"1.0000","step":"0.0010"}]}}"#;
    let Some(NormalizedWs::Lifecycle(change)) =
        normalize::normalize_ws(&decode_ws_frame(new_grid).unwrap(), false).unwrap()
    else {
        panic!()
    };
    assert_eq!(change.price_ranges[0].step, price("0.001"));

    let series: Series = serde_json::from_str(
        r#"{"ticker":"KXMLBGAME","fee_type":"quadratic_with_maker_fees","fee_multiplier":0.5}"#,
    )
    .unwrap();
    let fee = normalize::fee_params(&series).unwrap();
    assert_eq!(
        (fee.fee_type.as_str(), fee.multiplier_ppm),
        ("quadratic_with_maker_fees", 500_000)
    );
    assert_eq!(
        serde_json::to_value(series.fee_multiplier).unwrap(),
        serde_json::json!(0.5)
    );
    assert_eq!(
        serde_json::to_value(FeeMultiplier::ONE).unwrap(),
        serde_json::json!(1)
    );

    let event = Event {
        fee_multiplier_override: Some(FeeMultiplier { ppm: 250_000 }),
        ..Event::default()
    };
    let fee = normalize::event_fee_params(&event, Some(&series)).unwrap();
    assert_eq!(
        (fee.fee_type.as_str(), fee.multiplier_ppm),
        ("quadratic_with_maker_fees", 250_000)
    );
    assert_eq!(normalize::event_fee_params(&Event::default(), None), None);
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Replays the real July 2026 session: every delta, mapped into the one-YES book, must land on
/// a level that exists (or create one) and never drive a level below zero. A wrong complement
/// for NO-side levels would remove size from levels that are not there.
#[test]
fn real_session_deltas_apply_cleanly_to_normalized_snapshots() {
    use std::collections::BTreeMap;
    let text = fixture("ws/jfreun123-kalshi-market-maker/ws_session_demo_2026-07-01.jsonl");
    let mut books: BTreeMap<String, BTreeMap<(BookSide, Price), i64>> = BTreeMap::new();
    let (mut applied, mut reductions) = (0, 0);
    for line in text.lines() {
        match normalize::normalize_ws(&decode_ws_frame(line).unwrap(), false).unwrap() {
            Some(NormalizedWs::Snapshot(snapshot)) => {
                let book = books.entry(snapshot.ticker.clone()).or_default();
                book.clear();
                for level in &snapshot.bids {
                    book.insert((BookSide::Bid, level.price), level.size.centi());
                }
                for level in &snapshot.asks {
                    book.insert((BookSide::Ask, level.price), level.size.centi());
                }
            }
            Some(NormalizedWs::Delta(delta)) => {
                let book = books
                    .get_mut(&delta.ticker)
                    .expect("delta before its market's snapshot");
                let size = book.entry((delta.side, delta.price)).or_insert(0);
                *size += delta.delta.centi();
                assert!(
                    *size >= 0,
                    "{line} drove {:?} {} negative",
                    delta.side,
                    delta.price
                );
                reductions += usize::from(delta.delta.centi() < 0);
                if *size == 0 {
                    book.remove(&(delta.side, delta.price));
                }
                applied += 1;
            }
            _ => {}
        }
    }
    assert_eq!(applied, 2885);
    // Most deltas take size away: each of those had to find its level already in the book.
    assert!(reductions > 1_000, "only {reductions} size reductions");
    for (ticker, book) in &books {
        let best_bid = book
            .keys()
            .filter(|(side, _)| *side == BookSide::Bid)
            .map(|(_, p)| *p)
            .max();
        let best_ask = book
            .keys()
            .filter(|(side, _)| *side == BookSide::Ask)
            .map(|(_, p)| *p)
            .min();
        if let (Some(bid), Some(ask)) = (best_bid, best_ask) {
            assert!(bid < ask, "{ticker} ends crossed: bid {bid} ask {ask}");
        }
    }
}

/// The REST books captured in the same session equal the WS snapshots once both are
/// normalized (REST arrays are sorted differently; the normalized levels must match as sets).
#[test]
fn rest_and_ws_books_of_the_same_session_agree() {
    let ws = fixture("ws/jfreun123-kalshi-market-maker/ws_session_demo_2026-07-01.jsonl");
    let mut snapshots = std::collections::BTreeMap::new();
    for line in ws.lines() {
        if let Some(NormalizedWs::Snapshot(book)) =
            normalize::normalize_ws(&decode_ws_frame(line).unwrap(), false).unwrap()
        {
            snapshots.entry(book.ticker.clone()).or_insert(book);
        }
    }
    let rest = fixture("rest/jfreun123-kalshi-market-maker/rest_capture_demo_2026-07-01.jsonl");
    let mut compared = 0;
    for line in rest.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(path) = record["url"].as_str().unwrap().strip_suffix("/orderbook") else {
            continue;
        };
        let ticker = path.rsplit('/').next().unwrap();
        let body: OrderbookResponse =
            serde_json::from_str(record["response_body"].as_str().unwrap()).unwrap();
        let mut from_rest = normalize::book_from_rest(ticker, &body).unwrap();
        let mut from_ws = snapshots[ticker].clone();
        for book in [&mut from_rest, &mut from_ws] {
            book.bids.sort_by_key(|l| l.price);
            book.asks.sort_by_key(|l| l.price);
            book.clock = None;
        }
        assert_eq!(from_rest, from_ws, "{ticker}");
        compared += 1;
    }
    assert_eq!(compared, 5);
}
