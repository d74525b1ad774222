//! The journal's vocabulary: every type an [`events::Event`], a [`commands::Command`] or a
//! [`decision::Decision`] carries, and the configuration journaled with them.
//!
//! This folder sits at the bottom of the crate. It imports only the primitives below it
//! (`fixed`, `side`, `client_order_id`, `market_data`, `fees`, `liquidity`) and never a logic
//! module, so editing the engine, the strategy or the risk gate cannot change what the journal
//! persists by accident. Logic modules import from here; their old paths re-export these
//! types (e.g. `crate::vocab::risk::RiskState`). Journaled enums are append-only: new variants go at
//! the end so older journals still decode.

pub mod commands;
pub mod config;
pub mod decision;
pub mod ev;
pub mod events;
pub mod fill_burst;
pub mod orders;
pub mod risk;
pub mod scanner;
pub mod settings;
pub mod strategy;
pub mod tuning;
