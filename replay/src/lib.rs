//! kalshi-replay: replay verification and backtesting over journals.
//!
//! - [`verify`] feeds a journal's inputs back through a fresh `Engine` and compares every
//!   output byte for byte with what was journaled.
//! - [`backtest`] runs market data (a journal's, or imported history) through an `Engine`
//!   with [`fill_sim`] standing in for the exchange, writing its own replayable journal.
//! - [`drift`] compares the fill model with the exchange a live run traded on (shadow fills,
//!   queue positions) and calibrates it.
//! - [`metrics`] and [`report`] summarize a backtest; [`sweep`] runs a parameter grid across
//!   threads; [`loaders`] turn journals, CSV files and REST history into input events.
//!
//! Pure like the core: no clock, no environment, no randomness; threads only in [`sweep`],
//! with results ordered by the sweep grid, never by completion.

pub mod backtest;
pub mod drift;
pub mod error;
pub mod fill_model;
pub mod fill_sim;
pub mod journal_source;
pub mod loaders;
pub mod metrics;
pub mod progress;
pub mod record;
pub mod report;
pub mod series_thinning;
pub mod sim_book;
pub mod sim_loop;
pub mod sweep;
pub mod verify;

pub use error::ReplayError;
