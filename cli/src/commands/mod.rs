//! One file per subcommand.

pub mod audit;
pub mod book;
pub mod journal;
pub mod ledger;
pub mod sim_exchange;
