//! kalshi-sim: a local Kalshi exchange — a pure, seeded matching engine with accounts,
//! fees, lifecycle and synthetic flow ([`exchange`], [`flow`]), which the server layer
//! exposes over the real REST and WebSocket API.

pub mod catalog;
pub mod clock;
pub mod events_out;
pub mod exchange;
pub mod faults;
pub mod flow;
pub mod keys;
pub mod server;

pub use clock::Clock;
pub use events_out::ExchangeEvent;
pub use exchange::{Exchange, ExchangeConfig, ExchangeError};
pub use server::{ClockMode, SimConfig, SimError, SimHandle, SimStats, spawn};
