//! kalshi-io: everything that touches Kalshi (or the local exchange): request signing, the
//! wire types of both API dialects, normalization into core types, REST and WebSocket
//! clients, execution and rate limits. The only crate that reads clocks, sockets and keys.
pub mod auth;
pub mod backoff;
pub mod clock;
pub mod data_rest;
pub mod data_ws;
pub mod env;
pub mod error;
pub mod exec;
pub mod normalize;
pub mod ratelimit;
/// RFC 3339 text ⇄ Unix nanoseconds (defined in core, where the replay loaders use it too).
pub use kalshi_core::time;
pub mod wire;
