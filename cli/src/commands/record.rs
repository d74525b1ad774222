//! `kalshi-bot record`: journal market data only — listings, book snapshots and deltas, public
//! trades, lifecycle changes — for later backtests. The engine runs beside it so the journal
//! replays like any other run, but it is never reconciled, so it never quotes, and the command
//! sink refuses anything it might produce: no order can leave this command. Because of that,
//! `--live` needs no `--i-understand-risk` here.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args};

use super::trading_args::{
    ConfigArgs, ExchangeArgs, SimArgs, apply_journal_dir, prepare, tokio_runtime,
};
use crate::config::validate_engine;
use crate::duration_flag::parse_duration;
use crate::exit_code::Refusal;
use crate::runtime::startup::{
    MarketSelection, OutsideOptions, Purpose, RunOptions, run as run_session,
};

/// Options of `record`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("venue").required(true).args(["sim", "demo", "live"])))]
#[command(group(ArgGroup::new("which").args(["tickers", "top"])))]
pub struct RecordArgs {
    /// Markets to record, comma-separated (T1,T2,…).
    #[arg(long, value_delimiter = ',', value_name = "TICKERS")]
    pub tickers: Vec<String>,
    /// The older spelling of --tickers (a ticker list; a count is refused: use --top N).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "TICKERS",
        hide = true,
        conflicts_with = "top"
    )]
    pub markets: Vec<String>,
    /// Record the scanner's best N markets at startup.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Stop after this long; records until Ctrl-C when omitted.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Which exchange.
    #[command(flatten)]
    pub exchange: ExchangeArgs,
    /// Local exchange knobs.
    #[command(flatten)]
    pub sim: SimArgs,
    /// The run directory (default ./journal/<run_id>/).
    #[arg(long = "journal", alias = "journal-dir", value_name = "RUN")]
    pub journal_dir: Option<PathBuf>,
    /// Configuration file and overrides.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Journal upload to object storage.
    #[command(flatten)]
    pub upload: crate::remote::UploadArgs,
    /// Journal raw WebSocket frames beside the normalized events.
    #[arg(long)]
    pub capture_raw: bool,
    /// Print the end-of-run summary as one JSON document on stdout (notes stay on stderr).
    #[arg(long)]
    pub json: bool,
}

/// The tickers of `--tickers` and of the older `--markets` spelling, trimmed. `--markets N`
/// with a bare number is refused: elsewhere `--markets` is a count, and here it never was.
fn ticker_list(tickers: &[String], legacy: &[String]) -> Result<Vec<String>, Refusal> {
    if let Some(count) = legacy
        .iter()
        .find(|value| !value.trim().is_empty() && value.trim().bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Refusal::new(format!(
            "record --markets takes tickers, not a count ({}): use --top {} for the scanner's \
             best markets, or --tickers T1,T2",
            count.trim(),
            count.trim()
        )));
    }
    let list: Vec<String> = tickers
        .iter()
        .chain(legacy)
        .map(|ticker| ticker.trim().to_string())
        .filter(|ticker| !ticker.is_empty())
        .collect();
    if list.is_empty() {
        return Err(Refusal::new(
            "name the markets to record: --tickers T1,T2 or --top N",
        ));
    }
    Ok(list)
}

/// Runs the command; returns the exit code.
pub fn run(args: RecordArgs) -> anyhow::Result<i32> {
    let prepared = prepare(&args.exchange, &args.config, true)?;
    let mut loaded = prepared.loaded;
    args.sim.apply(&mut loaded);
    if args.capture_raw {
        loaded.runtime.capture_raw_frames = true;
    }
    let journal_dir = apply_journal_dir(&mut loaded, args.journal_dir.as_ref());
    validate_engine(&loaded.engine).map_err(|error| Refusal::new(error.to_string()))?;
    let markets = match args.top {
        Some(0) => return Err(Refusal::new("--top must be at least 1").into()),
        Some(count) => MarketSelection::Top(count),
        None => MarketSelection::Tickers(ticker_list(&args.tickers, &args.markets)?),
    };
    let options = RunOptions {
        purpose: Purpose::Record { markets },
        target: prepared.target,
        key: prepared.key,
        engine: loaded.engine,
        tuning: loaded.tuning,
        runtime: loaded.runtime,
        sim: loaded.sim,
        drift: loaded.drift,
        duration: args.duration,
        journal_dir,
        outside: OutsideOptions {
            json_summary: args.json,
            ..OutsideOptions::default()
        },
        journal_dir_announce: None,
    };
    let Some(upload) = args.upload.prepare()? else {
        return tokio_runtime()?.block_on(run_session(options));
    };
    let (announce, announced) = std::sync::mpsc::channel();
    let options = RunOptions {
        journal_dir_announce: Some(announce),
        ..options
    };
    tokio_runtime()?.block_on(async move {
        let upload = upload.start(announced);
        let code = run_session(options).await;
        upload.finish().await;
        code
    })
}

#[cfg(test)]
mod tests {
    use super::ticker_list;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| value.to_string()).collect()
    }

    #[test]
    fn tickers_come_from_either_spelling_and_a_count_is_refused() {
        assert_eq!(
            ticker_list(&strings(&["KXA", " KXB "]), &[]).unwrap(),
            strings(&["KXA", "KXB"])
        );
        assert_eq!(
            ticker_list(&[], &strings(&["KXA"])).unwrap(),
            strings(&["KXA"])
        );
        let refused = ticker_list(&[], &strings(&["5"])).unwrap_err().to_string();
        assert!(refused.contains("--top 5"), "{refused}");
        assert!(ticker_list(&strings(&[" "]), &[]).is_err());
    }
}
