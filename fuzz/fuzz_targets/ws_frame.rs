//! WebSocket frames: arbitrary UTF-8, one frame per line, through the decoder, the
//! normalizer and a session's sequence and book-validity bookkeeping.
//!
//! Checks: nothing panics; every frame that decodes to a known type serializes and decodes
//! back to the same value (the local exchange sends frames through that serializer).

#![no_main]

use kalshi_io::data_ws::{Channel, Session};
use kalshi_io::normalize::normalize_ws;
use kalshi_io::wire::{WsServerMessage, decode_ws_frame};
use libfuzzer_sys::fuzz_target;

/// Every channel the client knows, so every frame type reaches its handler.
const CHANNELS: [Channel; 7] = [
    Channel::OrderbookDelta,
    Channel::Trade,
    Channel::Ticker,
    Channel::MarketLifecycleV2,
    Channel::Fill,
    Channel::UserOrders,
    Channel::MarketPositions,
];

fuzz_target!(|text: &str| {
    let markets = ["KXBTC-26".to_string(), "KXETH-26".to_string()];
    let mut sessions = [
        Session::new(&CHANNELS, &markets, false),
        Session::new(&CHANNELS, &markets, true),
    ];
    for session in &mut sessions {
        session.on_connected();
    }
    for line in text.split('\n') {
        let Ok(message) = decode_ws_frame(line) else {
            continue;
        };
        for use_yes_price in [false, true] {
            let _ = normalize_ws(&message, use_yes_price);
        }
        for session in &mut sessions {
            let _ = session.on_frame(&message);
        }
        if matches!(message, WsServerMessage::Unknown { .. }) {
            continue;
        }
        let encoded = match serde_json::to_string(&message) {
            Ok(encoded) => encoded,
            Err(error) => panic!("decoded frame does not serialize: {error}: {message:?}"),
        };
        match decode_ws_frame(&encoded) {
            Ok(again) => assert_eq!(again, message, "re-decoded frame differs: {encoded}"),
            Err(error) => panic!("serialized frame does not decode: {error}: {encoded}"),
        }
    }
});
