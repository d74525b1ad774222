//! One file per subcommand.

pub mod audit;
pub mod book;
pub mod journal;
pub mod ledger;
pub mod record;
pub mod run_strategy;
pub mod scan_markets;
pub mod sim_exchange;
pub mod trading_args;
