//! `kalshi-bot audit --journal DIR --order CLIENT_ORDER_ID [--json]`: the causal chain of one
//! order — the input that caused it with the book at that moment, the signals, EV-gate and
//! risk decisions, the request, then acks, order updates and fills in seq order.

use std::path::PathBuf;

use clap::Args;
use kalshi_journal::forensics::audit_order;

/// `audit` arguments.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The run directory (or `s3://bucket/prefix/RUN`).
    #[arg(long, value_name = "RUN")]
    pub journal: PathBuf,
    /// The client order id to trace.
    #[arg(long)]
    pub order: String,
    /// Print JSON (every record in full) instead of one line per link.
    #[arg(long)]
    pub json: bool,
}

/// Runs `audit`.
pub fn run(args: AuditArgs) -> anyhow::Result<()> {
    let journal = crate::remote::local_journal(&args.journal)?;
    let trail = audit_order(&journal, &args.order)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&trail)?);
    } else {
        print!("{}", trail.render_text());
    }
    Ok(())
}
