//! `kalshi-bot import`: trade, top-of-book and L2 depth files (CSV or Parquet) turned into a
//! journal of market-data inputs, which `backtest --journal DIR` and `replay` read like any
//! recorded run.
//!
//! Formats are those of `kalshi_replay::loaders::{csv, parquet, depth}`, chosen by extension
//! (`.csv`, `.parquet`). `--market` names the market: rows of other markets are skipped (and
//! counted), and a trades or top-of-book file without a `ticker` column is taken to be
//! entirely that market. A depth file (`--depth`) carries its tickers and may hold several
//! markets; `--market` then keeps one. Several files are merged by time (depth, then quotes,
//! then trades on ties).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;

use kalshi_core::config::EngineConfig;
use kalshi_core::events::Envelope;
use kalshi_journal::{JournalRecord, RunInfo};
use kalshi_replay::journal_source::{run_header, write_journal};
use kalshi_replay::loaders::csv::{merge_streams, parse_top_of_book_csv, parse_trades_csv};
use kalshi_replay::loaders::depth::{depth_inputs, parse_depth_csv};
use kalshi_replay::loaders::parquet::{
    read_depth_parquet, read_top_of_book_parquet, read_trades_parquet,
};
use kalshi_replay::progress::{Progress, ProgressSink as _};

use crate::progress_bar::ProgressBar;

/// `import` arguments.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("data").required(true).multiple(true).args(["trades", "top_of_book", "depth"])))]
pub struct ImportArgs {
    /// Public trades: `ts_ns,ticker,yes_price,count,taker_side[,trade_id]` (.csv or .parquet).
    #[arg(long, value_name = "FILE")]
    pub trades: Option<PathBuf>,
    /// Top of book: `ts_ns,ticker,bid_price,bid_size,ask_price,ask_size` (.csv or .parquet).
    #[arg(long = "top-of-book", value_name = "FILE")]
    pub top_of_book: Option<PathBuf>,
    /// L2 depth: `ts_ns` (or RFC 3339 `ts`), `ticker`, `kind` (`book`: the level now holds
    /// `size`, 0 removes it; `trade`), `side` (`bid`/`ask` in YES terms; a trade's taker
    /// side), `price` (dollars), `size` (contracts); other columns are ignored (.csv or
    /// .parquet). Several markets per file.
    #[arg(long, value_name = "FILE")]
    pub depth: Option<PathBuf>,
    /// The market the data belongs to (required with --trades / --top-of-book; with --depth
    /// alone, keeps only this market).
    #[arg(long, value_name = "TICKER")]
    pub market: Option<String>,
    /// The journal directory to create (must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Print one JSON document on stdout (`inputs`, `first_ts`, `last_ts`, `journal`,
    /// `segments`) instead of the summary line.
    #[arg(long)]
    pub json: bool,
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Trades,
    TopOfBook,
    Depth,
}

/// Runs `import`.
pub fn run(args: ImportArgs) -> anyhow::Result<()> {
    let market = args.market.as_deref().map(str::trim);
    if market == Some("") {
        bail!("--market is empty");
    }
    if market.is_none() && (args.trades.is_some() || args.top_of_book.is_some()) {
        bail!(
            "--market is required with --trades and --top-of-book (their rows may carry no ticker)"
        );
    }
    if args.out.exists()
        && std::fs::read_dir(&args.out)
            .with_context(|| format!("reading {}", args.out.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} already exists and is not empty; choose a new --out directory",
            args.out.display()
        );
    }
    // Quotes first, so a quote and a trade at the same time show the book before the trade.
    let files = [&args.depth, &args.top_of_book, &args.trades]
        .iter()
        .filter(|file| file.is_some())
        .count();
    // One step per file read, and the journal written.
    let steps = files as u64 + 1;
    let progress = ProgressBar::stderr();
    let mut done = 0u64;
    progress.update(Progress {
        stage: "import",
        done,
        total: steps,
    });
    let mut streams = Vec::new();
    for (path, kind) in [
        (&args.depth, Kind::Depth),
        (&args.top_of_book, Kind::TopOfBook),
        (&args.trades, Kind::Trades),
    ] {
        let Some(path) = path else { continue };
        let loaded = load(path, kind, market)?;
        let total = loaded.len();
        let kept: Vec<Envelope> = match market {
            Some(market) => loaded
                .into_iter()
                .filter(|envelope| envelope.event.ticker() == Some(market))
                .collect(),
            None => loaded,
        };
        if kept.len() < total {
            crate::logging::note(&format!(
                "{}: skipped {} input(s) of other markets",
                path.display(),
                total - kept.len()
            ));
        }
        crate::logging::note(&format!(
            "{}: {} input(s) of {}",
            path.display(),
            kept.len(),
            market.unwrap_or("every market")
        ));
        streams.push(kept);
        done += 1;
        progress.update(Progress {
            stage: "import",
            done,
            total: steps,
        });
    }
    let inputs = merge_streams(streams);
    let label = market.unwrap_or("depth");
    if inputs.is_empty() {
        progress.finish();
        bail!("no rows of {label} in the given files");
    }
    // Every journal starts with its run header at seq 1 (a journal without one reads as
    // incomplete), so the inputs follow it one seq later; market data ran through no engine,
    // so the header holds the default configuration.
    let mut records = vec![JournalRecord::RunStarted(Box::new(run_header(
        EngineConfig::default(),
    )))];
    records.extend(inputs.iter().map(|envelope| {
        JournalRecord::Input(Envelope {
            seq: envelope.seq.saturating_add(1),
            ..envelope.clone()
        })
    }));
    records.push(JournalRecord::RunEnded {
        reason: "import".to_string(),
    });
    let run = RunInfo {
        run_id: format!("import-{label}"),
        build_id: concat!("kalshi-bot ", env!("CARGO_PKG_VERSION")).to_string(),
        config_hash: String::new(),
        seed: 0,
        environment: "import".to_string(),
        created_ts_ns: inputs.first().map_or(0, |envelope| envelope.ts_ns),
    };
    let manifest = write_journal(&args.out, run, &records)
        .with_context(|| format!("writing the journal {}", args.out.display()))?;
    progress.update(Progress {
        stage: "import",
        done: steps,
        total: steps,
    });
    progress.finish();
    let first_ns = inputs.first().map_or(0, |envelope| envelope.ts_ns);
    let last_ns = inputs.last().map_or(0, |envelope| envelope.ts_ns);
    if args.json {
        let markets: std::collections::BTreeSet<&str> = inputs
            .iter()
            .filter_map(|envelope| envelope.event.ticker())
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "inputs": inputs.len(),
                "markets": markets,
                "first_ts": kalshi_io::time::format_rfc3339_micros(first_ns),
                "first_ts_ns": first_ns,
                "last_ts": kalshi_io::time::format_rfc3339_micros(last_ns),
                "last_ts_ns": last_ns,
                "journal": args.out.display().to_string(),
                "segments": manifest.segments.len(),
            })
        );
    } else {
        println!(
            "imported {} input(s) of {label} ({} .. {}) into {} ({} sealed segment(s))",
            inputs.len(),
            kalshi_io::time::format_rfc3339_micros(first_ns),
            kalshi_io::time::format_rfc3339_micros(last_ns),
            args.out.display(),
            manifest.segments.len()
        );
    }
    Ok(())
}

fn load(path: &Path, kind: Kind, market: Option<&str>) -> anyhow::Result<Vec<Envelope>> {
    let origin = path.display().to_string();
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    let envelopes = match extension.as_deref() {
        Some("csv") => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let with_tickers = match market {
                Some(market) if kind != Kind::Depth => with_ticker_column(&text, market),
                _ => text,
            };
            match kind {
                Kind::Trades => parse_trades_csv(&origin, &with_tickers)?,
                Kind::TopOfBook => parse_top_of_book_csv(&origin, &with_tickers)?,
                Kind::Depth => depth_inputs(&origin, parse_depth_csv(&origin, &with_tickers)?)?,
            }
        }
        Some("parquet") => {
            let file =
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            match kind {
                Kind::Trades => read_trades_parquet(&origin, file, market)?,
                Kind::TopOfBook => read_top_of_book_parquet(&origin, file, market)?,
                Kind::Depth => depth_inputs(&origin, read_depth_parquet(&origin, file)?)?,
            }
        }
        _ => bail!(
            "{}: unknown format; the file name must end in .csv or .parquet",
            path.display()
        ),
    };
    Ok(envelopes)
}

/// The CSV text with a `ticker` column naming `market` on every row, when it has none.
fn with_ticker_column(text: &str, market: &str) -> String {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return text.to_string();
    };
    if header.split(',').any(|name| name.trim() == "ticker") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + text.lines().count() * (market.len() + 1));
    out.push_str(header);
    out.push_str(",ticker\n");
    for line in lines {
        if !line.trim().is_empty() {
            out.push_str(line);
            out.push(',');
            out.push_str(market);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_without_tickers_gets_the_market_on_every_row() {
        let text = "ts_ns,yes_price,count,taker_side\n1,0.45,2,yes\n\n2,0.46,1,no\n";
        let with = with_ticker_column(text, "KX-1");
        assert_eq!(
            with,
            "ts_ns,yes_price,count,taker_side,ticker\n1,0.45,2,yes,KX-1\n\n2,0.46,1,no,KX-1\n"
        );
        let already = "ts_ns,ticker,yes_price\n1,KX-2,0.4\n";
        assert_eq!(with_ticker_column(already, "KX-1"), already);
    }
}
