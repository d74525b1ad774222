//! kalshi-wire: what the Kalshi client (`kalshi-io`) and the local exchange (`kalshi-sim`)
//! share, and nothing either side decides for itself.
//!
//! - The serde types of every Kalshi REST and WebSocket payload the project uses, in both
//!   dialects: the 2025 integer-cent fields (`yes_bid: 81`, `count: 10`) and the 2026
//!   fixed-point strings (`yes_bid_dollars: "0.8100"`, `count_fp: "10.00"`), and the dual
//!   era that carried both (modules [`candlestick`] through [`ws_msg`]).
//! - RFC 3339 text ⇄ Unix nanoseconds ([`time`], defined in core where the replay loaders
//!   use it too).
//! - Kalshi's *published* rate limits ([`ratelimit`]): usage tiers, which bucket a request
//!   draws from and what it costs. The local exchange enforces this table; the client keeps
//!   its own reading of it (`kalshi_io::ratelimit`), so a test against the local exchange
//!   catches a client that underpays.
//! - Request authentication as the server sees it ([`auth`]): the signed message, the three
//!   headers, public keys and signature verification, and development key pairs. Signing is
//!   the client's and stays in `kalshi-io`.
//!
//! Wire rules: unknown fields are ignored (never `deny_unknown_fields`); numbers are read
//! from strings or JSON numbers; fields are optional wherever real captures omit them.
//! Response types also serialize (the 2026 dialect when built with only the new fields), so
//! the local exchange can answer with them. Request types serialize exactly as the spec
//! requires. `kalshi_io::normalize` turns these into the dialect-independent
//! `kalshi_core::market_data` types.

pub mod auth;
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
pub mod ratelimit;
pub mod trade;
pub mod ws;
pub mod ws_msg;

/// RFC 3339 text ⇄ Unix nanoseconds (defined in core, where the replay loaders use it too).
pub use kalshi_core::time;

pub use error::{ApiErrorBody, ApiErrorDetail, ApiErrorPayload, WireError};
pub use ws::{
    WS_FRAME_BYTES_MAX_DEFAULT, WsCommand, WsServerMessage, decode_ws_frame,
    decode_ws_frame_with_limit,
};
