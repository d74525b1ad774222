//! kalshi-sim: a local Kalshi exchange — a pure, seeded matching engine with accounts,
//! fees, lifecycle and synthetic flow ([`exchange`], with its [`catalog`] and [`flow`]), which the server layer
//! exposes over the real REST and WebSocket API.

pub mod clock;
pub mod exchange;
pub mod faults;
pub mod keys;
pub mod server;

/// The seeded market catalog the exchange lists at start (part of [`exchange`]).
pub use exchange::catalog;
/// What the exchange emits for its feeds (part of [`exchange`]).
pub use exchange::events_out;
/// The exchange's synthetic traders (part of [`exchange`]).
pub use exchange::flow;

pub use clock::Clock;
pub use events_out::ExchangeEvent;
pub use exchange::{Exchange, ExchangeConfig, ExchangeError};
pub use server::{ClockMode, SimConfig, SimError, SimHandle, SimStats, spawn};
