//! `kalshi-bot`: the command line. Each subcommand lives in its own file under `commands/`.

mod commands;
mod config;
mod credentials;
#[cfg(test)]
mod dst;
mod exit_code;
mod logging;
mod progress_bar;
mod remote;
mod runtime;

use clap::{Parser, Subcommand};

/// Kalshi market-making bot and its tools.
#[derive(Debug, Parser)]
#[command(name = "kalshi-bot", version, about)]
struct Cli {
    /// Log format on stderr (level from RUST_LOG, default info).
    #[arg(long, global = true, value_enum, default_value_t = logging::LogFormat::Human)]
    log_format: logging::LogFormat,
    /// What to do.
    #[command(subcommand)]
    command: Commands,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Commands {
    /// Run a local Kalshi exchange (REST + WebSocket) with synthetic order flow.
    SimExchange(commands::sim_exchange::SimExchangeArgs),
    /// Trade a strategy on the local exchange (--sim), Kalshi demo (--demo) or production
    /// (--live --i-understand-risk), journaling every input and decision.
    RunStrategy(commands::run_strategy::RunStrategyArgs),
    /// Rank markets worth quoting from one GET /markets sweep (public data, no key needed).
    ScanMarkets(commands::scan_markets::ScanMarketsArgs),
    /// Journal market data only (no orders) for later backtests.
    Record(commands::record::RecordArgs),
    /// Verify or seal a run's journal.
    Journal(commands::journal::JournalArgs),
    /// Rebuild a run's SQLite ledger from its journal.
    Ledger(commands::ledger::LedgerArgs),
    /// Show order books rebuilt from a journal at any seq.
    Book(commands::book::BookArgs),
    /// Trace one order's causal chain through a journal.
    Audit(commands::audit::AuditArgs),
    /// Replay a journal: verify it reproduces bit for bit (--verify), or run its market data
    /// through another configuration with simulated execution (--config).
    Replay(commands::replay::ReplayArgs),
    /// Backtest markets over recorded journals or Kalshi's REST history with simulated
    /// execution; writes a journal, metrics and an HTML report.
    Backtest(commands::backtest::BacktestArgs),
    /// Turn trade or top-of-book files (CSV, Parquet) into a journal of market data.
    Import(commands::import::ImportArgs),
    /// Combine the outputs of a sharded sweep (`backtest --sweep … --shard K/N`).
    Sweep(commands::sweep::SweepArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    match cli.command {
        Commands::SimExchange(args) => commands::sim_exchange::run(args),
        Commands::RunStrategy(args) => exit_code::finish(commands::run_strategy::run(args)),
        Commands::ScanMarkets(args) => exit_code::finish(commands::scan_markets::run(args)),
        Commands::Record(args) => exit_code::finish(commands::record::run(args)),
        Commands::Journal(args) => commands::journal::run(args),
        Commands::Ledger(args) => commands::ledger::run(args),
        Commands::Book(args) => commands::book::run(args),
        Commands::Audit(args) => commands::audit::run(args),
        Commands::Replay(args) => commands::replay::run(args),
        Commands::Backtest(args) => commands::backtest::run(args),
        Commands::Import(args) => commands::import::run(args),
        Commands::Sweep(args) => commands::sweep::run(args),
    }
}
