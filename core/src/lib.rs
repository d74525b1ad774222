//! kalshi-core: the pure, deterministic heart of kalshi-bot.
//!
//! Nothing here reads a clock, a socket, the environment or a random source: time arrives
//! as `ts_ns` on journaled events, configuration as an event, so replaying the same inputs
//! reproduces the same outputs bit for bit (DESIGN.md §3).

pub mod book;
pub mod client_order_id;
pub mod engine;
mod engine_pnl;
pub mod ev_gate;
pub mod fair_value;
pub mod fees;
pub mod fill_burst;
pub mod fixed;
pub mod liquidity;
pub mod live_filter;
pub mod market_data;
pub mod market_scanner;
pub mod market_state;
pub mod orders;
pub mod pnl;
pub mod risk;
pub mod side;
pub mod signal_state;
pub mod signals;
pub mod strategy;
pub mod tick_grid;
pub mod ticker_map;
pub mod time;
pub mod universe;
pub mod vocab;

pub use vocab::{commands, config, decision, events, tuning};

pub use fixed::{Count, FixedPointError, Money, Price, SignedCount};
pub use side::{BookSide, OutcomeSide};
