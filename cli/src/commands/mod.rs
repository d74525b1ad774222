//! One file per subcommand.

pub mod audit;
pub mod backtest;
pub mod book;
pub mod config_command;
pub mod ctl;
pub mod doctor;
pub mod drift;
pub mod import;
pub mod journal;
pub mod ledger;
pub mod record;
pub mod replay;
pub mod run_strategy;
pub mod scan_markets;
pub mod sim_exchange;
pub mod sweep;
pub mod trading_args;
