//! Serde types for every Kalshi REST and WebSocket payload the project uses, in both
//! dialects: the 2025 integer-cent fields (`yes_bid: 81`, `count: 10`) and the 2026
//! fixed-point strings (`yes_bid_dollars: "0.8100"`, `count_fp: "10.00"`), and the dual era
//! that carried both.
//!
//! Rules: unknown fields are ignored (never `deny_unknown_fields`); numbers are read from
//! strings or JSON numbers; fields are optional wherever real captures omit them. Response
//! types also serialize (the 2026 dialect when built with only the new fields), so the local
//! exchange can answer with them. Request types serialize exactly as the spec requires.
//! `io::normalize` turns these into the dialect-independent `kalshi_core::market_data` types.

pub mod candlestick;
pub mod error;
pub mod event;
pub mod exchange;
pub mod market;
pub mod numbers;
pub mod order_group;
pub mod order_legacy;
pub mod order_v2;
pub mod orderbook;
pub mod portfolio;
pub mod trade;
pub mod ws;
pub mod ws_msg;

pub use error::{ApiErrorBody, ApiErrorDetail, ApiErrorPayload, WireError};
pub use ws::{
    WS_FRAME_BYTES_MAX_DEFAULT, WsCommand, WsServerMessage, decode_ws_frame,
    decode_ws_frame_with_limit,
};
