//! `kalshi-bot book --journal DIR [--market T] [--at-seq N] [--json]`: order books rebuilt
//! from the journal as they stood after seq N (default: the end of the journal).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use kalshi_journal::forensics::{reconstruct_book, reconstruct_books};

/// `book` arguments.
#[derive(Debug, Args)]
pub struct BookArgs {
    /// The run directory (or `s3://bucket/prefix/RUN`).
    #[arg(long, value_name = "RUN")]
    pub journal: PathBuf,
    /// Only this market (default: every market in the journal).
    #[arg(long)]
    pub market: Option<String>,
    /// Rebuild up to and including this seq.
    #[arg(long)]
    pub at_seq: Option<u64>,
    /// Print JSON instead of ladders.
    #[arg(long)]
    pub json: bool,
}

/// Runs `book`.
pub fn run(mut args: BookArgs) -> anyhow::Result<()> {
    args.journal = crate::remote::local_journal(&args.journal)?;
    let views = match &args.market {
        Some(market) => vec![reconstruct_book(&args.journal, market, args.at_seq)?],
        None => reconstruct_books(&args.journal, args.at_seq)
            .with_context(|| format!("reading {}", args.journal.display()))?,
    };
    if args.json {
        let text = match (&args.market, views.as_slice()) {
            (Some(_), [view]) => serde_json::to_string_pretty(view)?,
            _ => serde_json::to_string_pretty(&views)?,
        };
        println!("{text}");
    } else if views.is_empty() {
        println!("no books in the journal");
    } else {
        for view in &views {
            print!("{}", view.render_text());
        }
    }
    Ok(())
}
