//! Tricky decoding cases: error bodies, string-or-number, empty strings, unknown and
//! oversized WebSocket frames, sequence numbers, and round trips of what the local exchange
//! will serialize.

use kalshi_core::side::OutcomeSide;
use kalshi_core::{Count, Money, Price, SignedCount};
use kalshi_io::wire::market::Market;
use kalshi_io::wire::portfolio::OrderResponse;
use kalshi_io::wire::ws::{WsFrame, WsServerMessage, decode_ws_frame, decode_ws_frame_with_limit};
use kalshi_io::wire::ws_msg::OrderbookDeltaMsg;
use kalshi_io::wire::{ApiErrorBody, ApiErrorPayload, WireError};

#[test]
fn rate_limit_error_is_a_string_and_others_are_objects() {
    let limited: ApiErrorBody = serde_json::from_str(r#"{"error":"too many requests"}"#).unwrap();
    assert_eq!(limited, ApiErrorBody::too_many_requests());
    assert_eq!(limited.code(), "too many requests");
    assert_eq!(
        serde_json::to_string(&limited).unwrap(),
        r#"{"error":"too many requests"}"#
    );

    let rejected: ApiErrorBody = serde_json::from_str(
        r#"{"error":{"code":"market_not_found","message":"market not found","service":"exchange"}}"#,
    )
    .unwrap();
    assert_eq!(rejected.code(), "market_not_found");
    assert_eq!(rejected.message(), "market not found");
    let ApiErrorPayload::Detail(detail) = &rejected.error else {
        panic!("object form expected")
    };
    assert_eq!(detail.service.as_deref(), Some("exchange"));
    assert_eq!(detail.details, None);

    let built = ApiErrorBody::new(
        "invalid_order",
        "invalid order",
        Some("exactly one of yes_price, no_price"),
    );
    let text = serde_json::to_string(&built).unwrap();
    assert_eq!(
        text,
        r#"{"error":{"code":"invalid_order","message":"invalid order","details":"exactly one of yes_price, no_price"}}"#
    );
}

#[test]
fn fixed_point_fields_take_strings_numbers_null_and_empty() {
    let frame = r#"{"type":"orderbook_delta","sid":2,"seq":9,"msg":{"market_ticker":"T","side":"yes",
        "price_dollars":0.22,"delta_fp":-33,"clock":7}}"#;
    let WsServerMessage::OrderbookDelta(f) = decode_ws_frame(frame).unwrap() else {
        panic!()
    };
    assert_eq!(
        f.msg.price_dollars,
        Some(Price::from_micros(220_000).unwrap())
    );
    assert_eq!(f.msg.delta_fp, Some(SignedCount::from_centi(-3300)));

    let frame = r#"{"type":"orderbook_snapshot","sid":2,"seq":1,"msg":{"market_ticker":"T",
        "yes_dollars_fp":[[0.08,300],["0.2200","333.50"]]}}"#;
    let WsServerMessage::OrderbookSnapshot(f) = decode_ws_frame(frame).unwrap() else {
        panic!()
    };
    let levels = f.msg.yes_dollars_fp.unwrap();
    assert_eq!(levels[0].0, Price::from_micros(80_000).unwrap());
    assert_eq!(levels[0].1, Count::from_centi(30_000).unwrap());
    assert_eq!(levels[1].1, Count::from_centi(33_350).unwrap());

    // A January 2026 order carried `"maker_fill_cost_dollars": ""`.
    let order: OrderResponse = serde_json::from_str(
        r#"{"order":{"order_id":"o","ticker":"T","status":"canceled","maker_fill_cost_dollars":"",
            "taker_fill_cost_dollars":"10.2600","taker_fees_dollars":null}}"#,
    )
    .unwrap();
    assert_eq!(order.order.maker_fill_cost_dollars, None);
    assert_eq!(
        order.order.taker_fill_cost_dollars,
        Some(Money::from_micros(10_260_000))
    );
    assert_eq!(order.order.taker_fees_dollars, None);
}

#[test]
fn bad_numbers_are_refused_with_the_reason() {
    for bad in [r#""0.123456789""#, r#""abc""#, r#""1.5""#, r#"-0.1"#] {
        let text = format!(r#"{{"ticker":"T","yes_bid_dollars":{bad}}}"#);
        let error = serde_json::from_str::<Market>(&text)
            .unwrap_err()
            .to_string();
        assert!(!error.is_empty(), "{bad} accepted");
    }
    let negative_count = r#"{"ticker":"T","volume_fp":"-3.00"}"#;
    assert!(
        serde_json::from_str::<Market>(negative_count)
            .unwrap_err()
            .to_string()
            .contains("negative")
    );
}

#[test]
fn unknown_frame_types_are_reported_not_fatal() {
    let message =
        decode_ws_frame(r#"{"type":"rfq_created","sid":5,"seq":12,"msg":{"id":"x"}}"#).unwrap();
    assert_eq!(
        message,
        WsServerMessage::Unknown {
            type_name: "rfq_created".to_string(),
            sid: Some(5),
            seq: Some(12)
        }
    );
    assert_eq!(message.seq(), Some(12));
    assert_eq!(message.type_name(), "rfq_created");
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    for bad in [
        "",
        "not json",
        r#"{"sid":1}"#,
        r#"{"type":"orderbook_delta","sid":1}"#,
        r#"{"type":"orderbook_delta","sid":1,"msg":{"market_ticker":"T","side":"maybe"}}"#,
        r#"{"type":"orderbook_snapshot","msg":{"market_ticker":"T","yes_dollars_fp":[["0.5"]]}}"#,
        r#"{"type":"orderbook_snapshot","msg":{"market_ticker":"T","yes_dollars_fp":[["1.5","1"]]}}"#,
        r#"{"type":"ticker","msg":[1,2]}"#,
        r#"{"type":"error","msg":{"code":"eight"}}"#,
        "{\"type\":\"trade\",\"msg\":{\"market_ticker\":\"T\"",
    ] {
        assert!(decode_ws_frame(bad).is_err(), "{bad:?} decoded");
    }
    assert!(matches!(
        decode_ws_frame(r#"{"type":"fill","sid":1}"#),
        Err(WireError::MissingMsg { type_name: "fill" })
    ));
}

#[test]
fn oversize_frames_are_refused_before_parsing() {
    // Not even valid JSON: the size check must come first.
    let huge = "x".repeat(2_000);
    assert!(matches!(
        decode_ws_frame_with_limit(&huge, 1_000),
        Err(WireError::FrameTooLarge {
            size_bytes: 2_000,
            max_bytes: 1_000
        })
    ));
    let frame = r#"{"type":"ok","id":3,"sid":1,"seq":4,"msg":{"market_tickers":["A"]}}"#;
    assert!(decode_ws_frame_with_limit(frame, frame.len()).is_ok());
    assert!(decode_ws_frame_with_limit(frame, frame.len() - 1).is_err());
}

#[test]
fn ok_acks_carry_seq_and_list_subscriptions_is_an_array() {
    let ack = decode_ws_frame(
        r#"{"type":"ok","id":6,"sid":1,"seq":1,"msg":{"market_tickers":["A","B"]}}"#,
    )
    .unwrap();
    assert_eq!((ack.sid(), ack.seq()), (Some(1), Some(1)));
    let list = decode_ws_frame(
        r#"{"id":3,"type":"ok","msg":[{"channel":"orderbook_delta","sid":1},{"channel":"ticker","sid":2}]}"#,
    )
    .unwrap();
    let WsServerMessage::Ok(f) = list else {
        panic!()
    };
    let kalshi_io::wire::ws::OkBody::Subscriptions(subs) = f.msg else {
        panic!("expected a subscription list")
    };
    assert_eq!(subs.len(), 2);
    assert_eq!(subs[1].channel, "ticker");

    let subscribed =
        decode_ws_frame(r#"{"type":"subscribed","id":2,"msg":{"channel":"fill","sid":2}}"#)
            .unwrap();
    assert_eq!(
        subscribed.sid(),
        Some(2),
        "sid of a subscribed ack comes from its msg"
    );
    let unsubscribed =
        decode_ws_frame(r#"{"id":124,"type":"unsubscribed","sid":2,"seq":7}"#).unwrap();
    assert_eq!((unsubscribed.sid(), unsubscribed.seq()), (Some(2), Some(7)));
    let error =
        decode_ws_frame(r#"{"type":"error","id":1,"msg":{"code":8,"msg":"Unknown channel name"}}"#)
            .unwrap();
    let WsServerMessage::Error(e) = error else {
        panic!()
    };
    assert_eq!(
        (e.msg.code, e.msg.msg.as_str()),
        (8, "Unknown channel name")
    );
}

/// The real July 2026 session: sid 1 is contiguous from 1 to 2894 once `ok` acks are counted,
/// and the fill channel (sid 2) carries no seq.
#[test]
fn real_session_seq_space_includes_ok_acks() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/ws/jfreun123-kalshi-market-maker/ws_session_demo_2026-07-01.jsonl"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut expected_seq = 1;
    let mut ok_acks_in_sequence = 0;
    let mut fills = 0;
    for line in text.lines() {
        let message = decode_ws_frame(line).unwrap();
        match (message.sid(), message.seq()) {
            (Some(1), Some(seq)) => {
                assert_eq!(seq, expected_seq, "gap before {line}");
                expected_seq += 1;
                ok_acks_in_sequence += usize::from(matches!(message, WsServerMessage::Ok(_)));
            }
            (Some(2), seq) => {
                assert_eq!(seq, None);
                fills += usize::from(matches!(message, WsServerMessage::Fill(_)));
            }
            _ => assert!(
                matches!(message, WsServerMessage::Subscribed(_)),
                "unexpected {line}"
            ),
        }
    }
    assert_eq!(expected_seq - 1, 2894);
    assert_eq!(ok_acks_in_sequence, 4);
    assert_eq!(fills, 2);
}

#[test]
fn frames_built_by_the_local_exchange_round_trip() {
    let delta = OrderbookDeltaMsg {
        market_ticker: "KXHIGHNY-26OCT27-T60".into(),
        market_id: None,
        clock: Some(4_182_061),
        side: OutcomeSide::Yes,
        price_dollars: Some(Price::parse("0.22").unwrap()),
        delta_fp: Some(SignedCount::parse("-33").unwrap()),
        price: None,
        delta: None,
        client_order_id: None,
        subaccount: None,
        ts: None,
        ts_ms: Some(1_793_109_601_000),
    };
    let message = WsServerMessage::OrderbookDelta(WsFrame::sequenced(2, 2, delta));
    let text = serde_json::to_string(&message).unwrap();
    assert_eq!(
        text,
        r#"{"type":"orderbook_delta","sid":2,"seq":2,"msg":{"market_ticker":"KXHIGHNY-26OCT27-T60","clock":4182061,"side":"yes","price_dollars":"0.2200","delta_fp":"-33.00","ts_ms":1793109601000}}"#
    );
    assert_eq!(decode_ws_frame(&text).unwrap(), message);
    let unknown = WsServerMessage::Unknown {
        type_name: "x".into(),
        sid: None,
        seq: None,
    };
    assert!(serde_json::to_string(&unknown).is_err());
}
