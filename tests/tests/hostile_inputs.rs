//! Hostile and broken inputs at every boundary where outside bytes enter the system: the
//! WebSocket frame decoder and normalizer, the WebSocket session (sequence numbers, book
//! validity), REST body decoding, the fixed-point parsers and the core order book.
//!
//! Each case must end in a typed error that names what was wrong, or in a counted ignore
//! (and, for books, an invalidation) — never a panic, a hang or a silently trusted book.
//! RELIABILITY.md at the repository root lists this file with the other reliability tests.

use std::time::{Duration, Instant};

use kalshi_core::book::{DeltaOutcome, InvalidReason, OrderBook};
use kalshi_core::decision::{Decision, Ignored};
use kalshi_core::engine::Engine;
use kalshi_core::events::{BookInvalidation, Envelope, Event};
use kalshi_core::market_data::{BookDelta, BookLevel, BookSnapshot};
use kalshi_core::{BookSide, Count, FixedPointError, Money, Price, SignedCount};
use kalshi_io::data_rest::{RawResponse, decode_json, parse_error_body};
use kalshi_io::data_ws::{Channel, Session, Step};
use kalshi_io::error::RestError;
use kalshi_io::normalize::{NormalizeError, normalize_ws};
use kalshi_io::wire::market::MarketsPage;
use kalshi_io::wire::orderbook::OrderbookResponse;
use kalshi_io::wire::portfolio::OrdersPage;
use kalshi_io::wire::{
    WS_FRAME_BYTES_MAX_DEFAULT, WireError, WsServerMessage, decode_ws_frame,
    decode_ws_frame_with_limit,
};

const MARKET: &str = "KXBTC-26";

/// A real captured session (orderbook snapshots and deltas, fills, acks).
const WS_CAPTURE: &str = include_str!(
    "../../fixtures/ws/jfreun123-kalshi-market-maker/ws_session_demo_2026-07-01.jsonl"
);

/// What decoding (and then normalizing) one WebSocket frame must produce.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// `WireError::Json` for the named part of the frame, whose text mentions `mentions`.
    Json {
        what: &'static str,
        mentions: &'static str,
    },
    /// `WireError::MissingMsg` for a frame of this type.
    MissingMsg { type_name: &'static str },
    /// Decoded as `Unknown` (counted and skipped by the session, not an error).
    Unknown,
    /// Decoded, but normalizing fails with `NormalizeError::Invalid` for `field`.
    NormalizeInvalid { field: &'static str },
}

fn delta_frame(msg_fields: &str) -> String {
    format!(
        r#"{{"type":"orderbook_delta","sid":1,"seq":2,"msg":{{"market_ticker":"{MARKET}","side":"yes",{msg_fields}}}}}"#
    )
}

fn snapshot_frame(msg_fields: &str) -> String {
    format!(
        r#"{{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{{"market_ticker":"{MARKET}",{msg_fields}}}}}"#
    )
}

/// The table: a name, the frame, and what it must produce.
fn frame_cases() -> Vec<(&'static str, String, Expect)> {
    let nested = 100_000;
    vec![
        (
            "empty frame",
            String::new(),
            Expect::Json {
                what: "ws frame",
                mentions: "EOF",
            },
        ),
        (
            "not JSON",
            "hello".to_string(),
            Expect::Json {
                what: "ws frame",
                mentions: "expected",
            },
        ),
        (
            "100k nested arrays",
            "[".repeat(nested),
            Expect::Json {
                what: "ws frame",
                mentions: "invalid type: sequence",
            },
        ),
        (
            // Unknown fields are skipped without recursion, so depth costs no stack; the frame
            // then fails for what it lacks.
            "100k nested arrays in an ignored field",
            format!(
                r#"{{"type":"trade","extra":{}{}}}"#,
                "[".repeat(nested),
                "]".repeat(nested)
            ),
            Expect::MissingMsg { type_name: "trade" },
        ),
        (
            "100k nested objects",
            r#"{"a":"#.repeat(nested),
            Expect::Json {
                what: "ws frame",
                mentions: "EOF",
            },
        ),
        (
            "100k nested arrays as a delta's msg",
            format!(
                r#"{{"type":"orderbook_delta","sid":1,"seq":2,"msg":{}{}}}"#,
                "[".repeat(nested),
                "]".repeat(nested)
            ),
            Expect::Json {
                what: "orderbook_delta",
                mentions: "invalid type: sequence",
            },
        ),
        (
            "type is not a string",
            r#"{"type":5,"sid":1}"#.to_string(),
            Expect::Json {
                what: "ws frame",
                mentions: "invalid type",
            },
        ),
        (
            "duplicate type key",
            r#"{"type":"trade","type":"ticker","sid":1}"#.to_string(),
            Expect::Json {
                what: "ws frame",
                mentions: "duplicate field",
            },
        ),
        (
            "negative seq",
            r#"{"type":"trade","sid":1,"seq":-1,"msg":{}}"#.to_string(),
            Expect::Json {
                what: "ws frame",
                mentions: "invalid value",
            },
        ),
        (
            "seq above u64::MAX",
            r#"{"type":"trade","sid":1,"seq":18446744073709551616,"msg":{}}"#.to_string(),
            Expect::Json {
                what: "ws frame",
                mentions: "",
            },
        ),
        (
            "price 1.0001 (fixed-point dialect)",
            delta_frame(r#""price_dollars":"1.0001","delta_fp":"5.00""#),
            Expect::Json {
                what: "orderbook_delta",
                mentions: "outside 0..=1",
            },
        ),
        (
            "price 101 cents (legacy dialect)",
            delta_frame(r#""price":101,"delta":5"#),
            Expect::NormalizeInvalid { field: "price" },
        ),
        (
            "price with 7 decimals",
            delta_frame(r#""price_dollars":"0.1234567","delta_fp":"5.00""#),
            Expect::Json {
                what: "orderbook_delta",
                mentions: "decimal places",
            },
        ),
        (
            "price \"NaN\"",
            delta_frame(r#""price_dollars":"NaN","delta_fp":"5.00""#),
            Expect::Json {
                what: "orderbook_delta",
                mentions: "not a decimal number",
            },
        ),
        (
            "delta \"Infinity\"",
            delta_frame(r#""price_dollars":"0.5000","delta_fp":"Infinity""#),
            Expect::Json {
                what: "orderbook_delta",
                mentions: "not a decimal number",
            },
        ),
        (
            "price as the number 1e400",
            delta_frame(r#""price_dollars":1e400,"delta_fp":"5.00""#),
            Expect::Json {
                what: "orderbook_delta",
                mentions: "out of range",
            },
        ),
        (
            "delta beyond i64 hundredths",
            delta_frame(r#""price_dollars":"0.5000","delta_fp":"92233720368547758.08""#),
            Expect::Json {
                what: "orderbook_delta",
                mentions: "too large",
            },
        ),
        (
            "snapshot level with a negative size",
            snapshot_frame(r#""yes_dollars_fp":[["0.4000","-3.00"]]"#),
            Expect::Json {
                what: "orderbook_snapshot",
                mentions: "negative",
            },
        ),
        (
            "legacy snapshot level with a negative count",
            snapshot_frame(r#""yes":[[40,-3]]"#),
            Expect::NormalizeInvalid {
                field: "yes levels",
            },
        ),
        (
            "truncated snapshot",
            snapshot_frame(r#""yes_dollars_fp":[["0.4000","3.00"]]"#)[..60].to_string(),
            Expect::Json {
                what: "ws frame",
                mentions: "EOF",
            },
        ),
        (
            "delta without msg",
            r#"{"type":"orderbook_delta","sid":1,"seq":2}"#.to_string(),
            Expect::MissingMsg {
                type_name: "orderbook_delta",
            },
        ),
        (
            "unknown message type",
            r#"{"type":"multivariate_lookup","sid":9,"seq":3,"msg":{"x":[1,2]}}"#.to_string(),
            Expect::Unknown,
        ),
    ]
}

#[test]
fn every_hostile_frame_gives_its_typed_error_or_a_counted_ignore() {
    for (name, frame, expect) in frame_cases() {
        let decoded = decode_ws_frame(&frame);
        match (expect, decoded) {
            (Expect::Json { what, mentions }, Err(WireError::Json { what: got, source })) => {
                assert_eq!(got, what, "{name}: decoded part");
                let text = source.to_string();
                assert!(
                    text.contains(mentions),
                    "{name}: {text:?} lacks {mentions:?}"
                );
            }
            (Expect::MissingMsg { type_name }, Err(WireError::MissingMsg { type_name: got })) => {
                assert_eq!(got, type_name, "{name}");
            }
            (Expect::Unknown, Ok(message @ WsServerMessage::Unknown { .. })) => {
                assert_eq!(message.type_name(), "multivariate_lookup", "{name}");
                assert_eq!((message.sid(), message.seq()), (Some(9), Some(3)), "{name}");
                assert_eq!(normalize_ws(&message, false), Ok(None), "{name}");
            }
            (Expect::NormalizeInvalid { field }, Ok(message)) => {
                match normalize_ws(&message, false) {
                    Err(NormalizeError::Invalid {
                        field: got, ticker, ..
                    }) => {
                        assert_eq!(got, field, "{name}: field");
                        assert_eq!(ticker, MARKET, "{name}: ticker");
                    }
                    other => panic!("{name}: expected an invalid {field}, got {other:?}"),
                }
            }
            (expect, got) => panic!("{name}: expected {expect:?}, got {got:?}"),
        }
    }
}

#[test]
fn a_ten_megabyte_frame_is_refused_by_size_before_any_parsing() {
    // Valid JSON all the way through: if it were parsed first it would decode as a snapshot.
    let levels = r#"["0.4000","3.00"],"#.repeat(10 << 20 >> 4);
    let frame = snapshot_frame(&format!(
        r#""yes_dollars_fp":[{}["0.4100","1.00"]]"#,
        levels
    ));
    assert!(frame.len() >= 10 << 20);
    match decode_ws_frame(&frame) {
        Err(WireError::FrameTooLarge {
            size_bytes,
            max_bytes,
        }) => {
            assert_eq!(size_bytes, frame.len());
            assert_eq!(max_bytes, WS_FRAME_BYTES_MAX_DEFAULT);
        }
        other => panic!("expected FrameTooLarge, got {other:?}"),
    }
    // A thousand refusals of the 10 MB frame: parsing it even once takes tens of
    // milliseconds, so only a length check fits in the budget.
    let started = Instant::now();
    for _ in 0..1_000 {
        assert!(matches!(
            decode_ws_frame(&frame),
            Err(WireError::FrameTooLarge { .. })
        ));
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "refusing 1,000 oversized frames took {:?}",
        started.elapsed()
    );
    // The limit is inclusive: a frame of exactly the limit is parsed, one byte more is not.
    let small = snapshot_frame(r#""yes_dollars_fp":[["0.4000","3.00"]]"#);
    assert!(decode_ws_frame_with_limit(&small, small.len()).is_ok());
    assert!(matches!(
        decode_ws_frame_with_limit(&small, small.len() - 1),
        Err(WireError::FrameTooLarge { size_bytes, max_bytes })
            if size_bytes == small.len() && max_bytes == small.len() - 1
    ));
}

#[test]
fn every_truncation_of_real_frames_is_a_json_error() {
    let mut checked = 0;
    for wanted in ["orderbook_snapshot", "orderbook_delta", "fill", "ok"] {
        let line = WS_CAPTURE
            .lines()
            .find(|line| line.contains(&format!(r#""type":"{wanted}""#)))
            .expect("the capture holds this frame type");
        assert!(
            decode_ws_frame(line).is_ok(),
            "{wanted}: the whole frame decodes"
        );
        for cut in (0..line.len()).filter(|cut| line.is_char_boundary(*cut)) {
            match decode_ws_frame(&line[..cut]) {
                Err(WireError::Json { .. }) => checked += 1,
                other => panic!("{wanted} cut at {cut}: expected a JSON error, got {other:?}"),
            }
        }
    }
    assert!(checked > 1_000, "only {checked} truncations checked");
}

fn ok_response(body: &[u8]) -> RawResponse {
    RawResponse {
        status: 200,
        body: body.to_vec(),
    }
}

#[test]
fn hostile_rest_bodies_give_decode_errors_naming_the_endpoint() {
    let orders = br#"{"orders":[{"order_id":"o1","ticker":"KXBTC-26","status":"resting","side":"yes","action":"buy","yes_price_dollars":"0.3500","initial_count_fp":"10.00","remaining_count_fp":"6.00","fill_count_fp":"4.00"}],"cursor":""}"#;
    decode_json::<OrdersPage>("GET /portfolio/orders", &ok_response(orders))
        .expect("the untruncated page decodes");
    for cut in 0..orders.len() {
        match decode_json::<OrdersPage>("GET /portfolio/orders", &ok_response(&orders[..cut])) {
            Err(RestError::Decode {
                endpoint, status, ..
            }) => {
                assert_eq!(endpoint, "GET /portfolio/orders");
                assert_eq!(status, 200);
            }
            other => panic!("cut at {cut}: expected a decode error, got {other:?}"),
        }
    }

    // Deep nesting in a field the decoder skips costs neither stack nor an error...
    let deep = 100_000;
    let skipped = format!(
        r#"{{"markets":[{{"ticker":"KXBTC-26","extra":{}{}}}],"cursor":""}}"#,
        "[".repeat(deep),
        "]".repeat(deep)
    );
    let page = decode_json::<MarketsPage>("GET /markets", &ok_response(skipped.as_bytes()))
        .expect("deep nesting in an unknown field is skipped");
    assert_eq!(page.markets.len(), 1);
    // Closed, where a market is expected, it is one entry left out of the page, by name.
    let closed = format!(
        r#"{{"markets":[{}{},{{"ticker":"KXBTC-27"}}],"cursor":""}}"#,
        "[".repeat(deep),
        "]".repeat(deep)
    );
    let page = decode_json::<MarketsPage>("GET /markets", &ok_response(closed.as_bytes()))
        .expect("a page with one unreadable entry decodes");
    assert_eq!(page.markets.len(), 1);
    assert_eq!(page.unreadable.len(), 1);
    assert!(
        page.unreadable[0].starts_with("?: "),
        "{:?}",
        page.unreadable
    );
    // ...and unclosed, or where a typed field is expected, it is a decode error.
    let unclosed = format!(r#"{{"markets":[{{"extra":{}"#, "[".repeat(deep));
    let typed = format!(r#"{{"markets":{}"#, "[".repeat(deep));
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "100k unclosed nested arrays in a markets page",
            unclosed.into_bytes(),
            "EOF",
        ),
        (
            // Each listing entry is read raw first (one bad market is left out by name, the
            // page stands), so the unclosed nesting is found as the end of the input.
            "100k nested arrays where markets are expected",
            typed.into_bytes(),
            "EOF",
        ),
        (
            "book price 1.0001",
            br#"{"orderbook_fp":{"yes_dollars":[["1.0001","10.00"]],"no_dollars":[]}}"#.to_vec(),
            "outside 0..=1",
        ),
        (
            "book size negative",
            br#"{"orderbook_fp":{"yes_dollars":[["0.4000","-1.00"]],"no_dollars":[]}}"#.to_vec(),
            "negative",
        ),
        (
            "book price NaN",
            br#"{"orderbook_fp":{"yes_dollars":[["NaN","1.00"]],"no_dollars":[]}}"#.to_vec(),
            "not a decimal number",
        ),
    ];
    for (name, body, mentions) in cases {
        let error = if name.contains("markets") {
            decode_json::<MarketsPage>("GET /markets", &ok_response(&body)).map(|_| ())
        } else {
            decode_json::<OrderbookResponse>("GET /markets/orderbook", &ok_response(&body))
                .map(|_| ())
        };
        match error {
            Err(RestError::Decode { reason, .. }) => {
                assert!(reason.contains(mentions), "{name}: {reason:?}");
            }
            other => panic!("{name}: expected a decode error, got {other:?}"),
        }
    }
}

#[test]
fn error_bodies_of_any_size_and_shape_parse_to_a_bounded_message() {
    let ten_megabytes_of_html = format!("<html>{}</html>", "<p>bad gateway</p>\n".repeat(1 << 19));
    let parsed = parse_error_body(ten_megabytes_of_html.as_bytes());
    assert!(parsed.code.is_empty());
    assert_eq!(
        parsed.message.chars().count(),
        161,
        "160 characters and an ellipsis"
    );
    assert!(
        !parsed.message.contains('\n'),
        "control characters are blanked"
    );

    let invalid_utf8 = [0xff, 0xfe, b'{', 0x80, b'}'];
    let parsed = parse_error_body(&invalid_utf8);
    assert!(parsed.code.is_empty());
    assert!(parsed.message.chars().count() <= 161);

    let nested = "[".repeat(100_000);
    let parsed = parse_error_body(nested.as_bytes());
    assert!(parsed.code.is_empty());
    assert_eq!(parsed.message.chars().count(), 161);

    let rate_limited = parse_error_body(br#"{"error":"too many requests"}"#);
    assert_eq!(rate_limited.message, "too many requests");
}

#[test]
fn fixed_point_parsers_refuse_hostile_numbers_with_typed_errors() {
    fn is_invalid(result: Result<impl std::fmt::Debug, FixedPointError>) -> bool {
        matches!(result, Err(FixedPointError::Invalid { .. }))
    }
    // Prices.
    assert!(matches!(
        Price::parse("1.0001"),
        Err(FixedPointError::PriceOutOfRange { .. })
    ));
    assert!(matches!(
        Price::parse("-0.0100"),
        Err(FixedPointError::PriceOutOfRange { .. })
    ));
    assert!(matches!(
        Price::parse("0.1234567"),
        Err(FixedPointError::TooPrecise {
            decimals_max: 6,
            ..
        })
    ));
    assert_eq!(
        Price::parse("1.000000000"),
        Ok(Price::ONE),
        "trailing zeros are exact"
    );
    assert_eq!(Price::parse(""), Err(FixedPointError::Empty));
    for text in [
        "NaN", "nan", "Infinity", "-inf", "0x10", "1_000", ".", "--1", "1e", "١.٥",
    ] {
        assert!(is_invalid(Price::parse(text)), "price {text:?}");
        assert!(is_invalid(Money::parse(text)), "money {text:?}");
    }
    // Counts: negative values are meaningless; signed counts take them.
    assert!(matches!(
        Count::parse("-1"),
        Err(FixedPointError::Negative { .. })
    ));
    assert!(matches!(
        Count::parse("-33.00"),
        Err(FixedPointError::Negative { .. })
    ));
    assert_eq!(
        SignedCount::parse("-33.00"),
        Ok(SignedCount::from_centi(-3_300))
    );
    assert!(matches!(
        Count::parse("0.001"),
        Err(FixedPointError::TooPrecise {
            decimals_max: 2,
            ..
        })
    ));
    // Magnitudes beyond i64 and absurd exponents.
    for text in [
        "1e400",
        "1e99999",
        "92233720368547758.08",
        "99999999999999999999999",
    ] {
        assert!(
            matches!(
                SignedCount::parse(text),
                Err(FixedPointError::Overflow { .. })
            ),
            "signed count {text:?}"
        );
        assert!(
            matches!(Money::parse(text), Err(FixedPointError::Overflow { .. })),
            "money {text:?}"
        );
    }
    assert!(matches!(
        Money::parse("1e-400"),
        Err(FixedPointError::TooPrecise { .. })
    ));
    // JSON numbers: non-finite floats, out-of-range numbers and floats with hidden digits.
    assert_eq!(Price::from_f64(f64::NAN), Err(FixedPointError::NotFinite));
    assert_eq!(
        Money::from_f64(f64::INFINITY),
        Err(FixedPointError::NotFinite)
    );
    assert!(matches!(
        Money::from_f64(1e300),
        Err(FixedPointError::Overflow { .. })
    ));
    assert!(matches!(
        Price::from_f64(5e-324),
        Err(FixedPointError::TooPrecise { .. })
    ));
    assert!(serde_json::from_str::<Price>("1e400").is_err());
    assert!(serde_json::from_str::<Price>("1.0001").is_err());
    assert!(serde_json::from_str::<Count>("-1").is_err());
    assert!(serde_json::from_str::<Price>("null").is_err());
    assert!(serde_json::from_str::<Price>("[0.5]").is_err());
    assert_eq!(
        serde_json::from_str::<Price>("0.56").ok(),
        Price::parse("0.56").ok()
    );
}

fn frame(text: &str) -> WsServerMessage {
    decode_ws_frame(text).expect("test frame decodes")
}

/// A session following [`MARKET`] with an orderbook subscription on sid 1.
fn subscribed_session() -> Session {
    let mut session = Session::new(&[Channel::OrderbookDelta], &[MARKET.to_string()], false);
    session.on_connected();
    session.on_frame(&frame(
        r#"{"type":"subscribed","id":1,"msg":{"channel":"orderbook_delta","sid":1}}"#,
    ));
    session
}

fn snapshot_at(seq: u64, ticker: &str) -> WsServerMessage {
    frame(&format!(
        r#"{{"type":"orderbook_snapshot","sid":1,"seq":{seq},"msg":{{"market_ticker":"{ticker}","yes_dollars_fp":[["0.4000","10.00"]],"no_dollars_fp":[["0.5000","3.00"]]}}}}"#
    ))
}

fn delta_at(seq: u64, ticker: &str) -> WsServerMessage {
    frame(&format!(
        r#"{{"type":"orderbook_delta","sid":1,"seq":{seq},"msg":{{"market_ticker":"{ticker}","side":"yes","price_dollars":"0.4000","delta_fp":"-2.00"}}}}"#
    ))
}

fn deltas(step: &Step) -> usize {
    step.events
        .iter()
        .filter(|event| matches!(event, Event::BookDelta(_)))
        .count()
}

#[test]
fn unknown_frame_types_are_skipped_without_breaking_the_sequence() {
    let mut session = subscribed_session();
    assert_eq!(deltas(&session.on_frame(&snapshot_at(1, MARKET))), 0);
    // An unknown type in the middle of the sequence occupies its slot: no gap, no error.
    let unknown = session.on_frame(&frame(
        r#"{"type":"brand_new_channel","sid":1,"seq":2,"msg":{"what":"ever"}}"#,
    ));
    assert!(unknown.events.is_empty() && unknown.commands.is_empty());
    assert_eq!(session.last_seq(1), Some(2));
    // Unsequenced unknown frames, and ones on sids we never subscribed, change nothing.
    for text in [
        r#"{"type":"heartbeat"}"#,
        r#"{"type":"brand_new_channel","sid":77,"seq":900}"#,
    ] {
        let step = session.on_frame(&frame(text));
        assert_eq!(step, Step::default(), "{text}");
    }
    let next = session.on_frame(&delta_at(3, MARKET));
    assert_eq!(
        deltas(&next),
        1,
        "the stream continues after unknown frames"
    );
    assert!(session.is_book_valid(MARKET));
}

#[test]
fn a_regressed_or_repeated_seq_is_dropped_and_counted_never_applied() {
    let mut session = subscribed_session();
    session.on_frame(&snapshot_at(1, MARKET));
    assert_eq!(deltas(&session.on_frame(&delta_at(2, MARKET))), 1);
    assert_eq!(deltas(&session.on_frame(&delta_at(3, MARKET))), 1);
    for seq in [3, 2, 1, 0] {
        let step = session.on_frame(&delta_at(seq, MARKET));
        assert_eq!(step.dropped, 1, "seq {seq} after 3");
        assert!(
            step.events.is_empty() && step.commands.is_empty(),
            "seq {seq}"
        );
    }
    assert_eq!(
        session.last_seq(1),
        Some(3),
        "a regression does not rewind the sid"
    );
    assert!(session.is_book_valid(MARKET));
}

#[test]
fn seq_at_u64_max_neither_panics_nor_wraps_into_acceptance() {
    let mut session = subscribed_session();
    session.on_frame(&snapshot_at(1, MARKET));
    // A jump to u64::MAX is a gap: the book is invalidated and a snapshot requested.
    let jump = session.on_frame(&delta_at(u64::MAX, MARKET));
    assert!(jump.events.iter().any(|event| matches!(
        event,
        Event::BookInvalidated { ticker, reason: BookInvalidation::SequenceGap } if ticker == MARKET
    )));
    assert_eq!(jump.commands.len(), 1, "get_snapshot is requested");
    assert!(!session.is_book_valid(MARKET));
    // After u64::MAX nothing can be newer: a wrapped seq is a reset. It is never applied, the
    // sid follows the new numbering and a fresh snapshot is requested.
    let wrapped = session.on_frame(&delta_at(0, MARKET));
    assert_eq!((wrapped.dropped, deltas(&wrapped)), (1, 0));
    assert_eq!(wrapped.commands.len(), 1, "get_snapshot is requested again");
    assert_eq!(session.last_seq(1), Some(0));
    let next = session.on_frame(&delta_at(1, MARKET));
    assert_eq!((next.dropped, deltas(&next)), (1, 0), "book still invalid");
    assert!(!session.is_book_valid(MARKET));
    session.on_frame(&snapshot_at(2, MARKET));
    assert!(session.is_book_valid(MARKET));
    assert_eq!(deltas(&session.on_frame(&delta_at(3, MARKET))), 1);
}

#[test]
fn a_sequence_restarted_by_the_server_resyncs_instead_of_silencing_the_book() {
    let mut session = subscribed_session();
    session.on_frame(&snapshot_at(1, MARKET));
    for seq in 2..=500 {
        assert_eq!(deltas(&session.on_frame(&delta_at(seq, MARKET))), 1);
    }
    // The server restarts numbering on the live subscription. Dropping every later frame
    // as a "duplicate" would leave a book that looks valid but never changes again.
    let restarted = session.on_frame(&delta_at(3, MARKET));
    assert!(restarted.events.iter().any(|event| matches!(
        event,
        Event::BookInvalidated { ticker, reason: BookInvalidation::SequenceGap } if ticker == MARKET
    )));
    assert_eq!(restarted.commands.len(), 1, "get_snapshot is requested");
    assert!(!session.is_book_valid(MARKET));
    session.on_frame(&snapshot_at(4, MARKET));
    assert!(session.is_book_valid(MARKET));
    assert_eq!(
        deltas(&session.on_frame(&delta_at(5, MARKET))),
        1,
        "the new numbering is followed"
    );
    // A restart announced by a fresh seq-1 snapshot is a reset too.
    let snapshot_restart = session.on_frame(&snapshot_at(1, MARKET));
    assert_eq!(snapshot_restart.commands.len(), 1);
    assert!(!session.is_book_valid(MARKET));
}

#[test]
fn a_delta_before_any_snapshot_is_ignored_and_the_book_stays_invalid() {
    // Core book: nothing to apply it to.
    let mut book = OrderBook::new(10_000).expect("one-cent grid");
    let delta = BookDelta {
        ticker: MARKET.to_string(),
        side: BookSide::Bid,
        price: Price::parse("0.4000").expect("price"),
        delta: SignedCount::parse("5.00").expect("count"),
        clock: Some(7),
        client_order_id: None,
    };
    assert_eq!(
        book.apply_delta(&delta),
        Ok(DeltaOutcome::IgnoredNoSnapshot)
    );
    assert!(!book.is_valid());
    assert!(book.invalid_reasons().contains(InvalidReason::NoSnapshot));
    assert_eq!(book.best_bid(), None, "the delta left no level behind");

    // Session: the delta is dropped and counted; no event reaches the engine.
    let mut session = subscribed_session();
    let step = session.on_frame(&delta_at(1, MARKET));
    assert_eq!(step.dropped, 1);
    assert!(step.events.is_empty());
    assert!(!session.is_book_valid(MARKET));
}

#[test]
fn a_snapshot_for_a_market_we_do_not_follow_is_dropped_and_never_trusted() {
    let foreign = "KXNOTOURS-26";
    let mut session = subscribed_session();
    let step = session.on_frame(&snapshot_at(1, foreign));
    assert_eq!(step.dropped, 1, "counted as an ignore");
    assert!(step.events.is_empty(), "no snapshot reaches the engine");
    assert!(!session.is_book_valid(foreign));
    let step = session.on_frame(&delta_at(2, foreign));
    assert_eq!((step.dropped, deltas(&step)), (1, 0));

    // A snapshot still in flight after the market was removed is dropped the same way.
    session.on_frame(&snapshot_at(3, MARKET));
    assert!(session.is_book_valid(MARKET));
    session.remove_markets(&[MARKET.to_string()]);
    let late = session.on_frame(&snapshot_at(4, MARKET));
    assert_eq!((late.dropped, late.events.len()), (1, 0));
    assert!(!session.is_book_valid(MARKET));

    // And the engine, handed a snapshot for a market outside its universe, ignores it with
    // a decision naming the market instead of creating a book.
    let mut engine = Engine::new();
    let output = engine.process(&Envelope {
        seq: 1,
        ts_ns: 1_782_873_105_000_000_000,
        event: Event::BookSnapshot(BookSnapshot {
            ticker: foreign.to_string(),
            bids: vec![BookLevel {
                price: Price::parse("0.4000").expect("price"),
                size: Count::parse("10").expect("count"),
            }],
            asks: Vec::new(),
            clock: None,
        }),
    });
    assert!(output.commands.is_empty());
    assert!(output.decisions.iter().any(|decision| matches!(
        decision,
        Decision::Ignored(Ignored::UnknownMarket { ticker }) if ticker == foreign
    )));
    assert!(engine.universe().index_of(foreign).is_none());
}
