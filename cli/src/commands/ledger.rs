//! `kalshi-bot ledger rebuild --journal RUN` (older spelling: `ledger rebuild DIR`): rebuilds the run's SQLite ledger from its journal.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use kalshi_core::Money;
use kalshi_journal::{Ledger, LedgerSummary};

/// `ledger` arguments.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: LedgerCommand,
}

/// `ledger` subcommands.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Drop and rebuild the SQLite ledger (decisions, orders, fills, positions, P&L) from the
    /// journal. Rebuilding twice gives identical tables.
    Rebuild {
        /// The run directory (or `s3://bucket/prefix/RUN`, rebuilt in the local cache).
        #[command(flatten)]
        run: super::journal::RunArg,
        /// Database file (default: DIR/ledger.sqlite).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `ledger` subcommand.
pub fn run(args: LedgerArgs) -> anyhow::Result<()> {
    match args.command {
        LedgerCommand::Rebuild { run, db, json } => {
            let dir = crate::remote::local_journal(&run.dir()?)?;
            let db = db.unwrap_or_else(|| Ledger::path_in(&dir));
            let summary = Ledger::rebuild_into(&dir, &db)
                .with_context(|| format!("rebuilding the ledger of {}", dir.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                println!("ledger {}", db.display());
                print!("{}", render(&summary));
            }
            Ok(())
        }
    }
}

fn render(summary: &LedgerSummary) -> String {
    format!(
        "records applied  {}\n\
         last seq         {}\n\
         runs             {}\n\
         decisions        {}\n\
         commands         {}\n\
         orders           {}\n\
         fills            {} ({} duplicate(s) skipped)\n\
         unmatched events {}\n\
         p&l total        {}\n\
         realized         {} (net of fees)\n\
         fees             {}\n\
         unrealized       {}{}\n",
        summary.records,
        summary
            .last_seq
            .map_or_else(|| "-".to_owned(), |seq| seq.to_string()),
        summary.runs,
        summary.decisions,
        summary.commands,
        summary.orders,
        summary.fills,
        summary.duplicate_fills,
        summary.unmatched_order_events,
        Money::from_micros(summary.total_micros).dollars(),
        Money::from_micros(summary.realized_net_micros).dollars(),
        Money::from_micros(summary.fees_micros).dollars(),
        Money::from_micros(summary.unrealized_micros).dollars(),
        if summary.unmarked_markets > 0 {
            format!(
                " ({} held market(s) without a mark, counted at zero)",
                summary.unmarked_markets
            )
        } else {
            String::new()
        }
    )
}
