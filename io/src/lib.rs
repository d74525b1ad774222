//! kalshi-io: everything that touches Kalshi (or the local exchange): request signing, the
//! wire types of both API dialects, normalization into core types, REST and WebSocket
//! clients, execution and rate limits. The only crate that reads clocks, sockets and keys.
pub mod auth;
pub mod normalize;
pub mod time;
pub mod wire;
pub mod backoff;
pub mod env;
pub mod ratelimit;
pub mod error;
pub mod data_rest;
pub mod exec;
pub mod data_ws;
