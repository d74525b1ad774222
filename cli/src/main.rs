//! `kalshi-bot`: the command line. Each subcommand lives in its own file under `commands/`.

mod commands;

use clap::{Parser, Subcommand};

/// Kalshi market-making bot and its tools.
#[derive(Debug, Parser)]
#[command(name = "kalshi-bot", version, about)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Commands,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Commands {
    /// Run a local Kalshi exchange (REST + WebSocket) with synthetic order flow.
    SimExchange(commands::sim_exchange::SimExchangeArgs),
    /// Verify or seal a run's journal.
    Journal(commands::journal::JournalArgs),
    /// Rebuild a run's SQLite ledger from its journal.
    Ledger(commands::ledger::LedgerArgs),
    /// Show order books rebuilt from a journal at any seq.
    Book(commands::book::BookArgs),
    /// Trace one order's causal chain through a journal.
    Audit(commands::audit::AuditArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Commands::SimExchange(args) => commands::sim_exchange::run(args),
        Commands::Journal(args) => commands::journal::run(args),
        Commands::Ledger(args) => commands::ledger::run(args),
        Commands::Book(args) => commands::book::run(args),
        Commands::Audit(args) => commands::audit::run(args),
    }
}
