//! `kalshi-bot backtest`: market data through the engine with simulated execution (or, with
//! `--fills recorded`, a live run's journal replayed whole, its own fills included).
//!
//! Data sources, any mix:
//! - `--journal DIR` (repeatable): recorded journals (live runs, `record`, `import`), filtered
//!   to `--market` and `[--start, --end)`;
//! - `--from-rest`: Kalshi's public history over REST (trades, 1-minute candlesticks with
//!   bid/ask OHLC, the market's result), converted by `kalshi_replay::loaders::history` and
//!   cached as a journal under `<report>/rest-cache/` (lower fidelity, stated in the report).
//!
//! The report directory receives the backtest's own journal (`journal/`: inputs, simulated
//! exchange events, commands, decisions — `replay --verify` reproduces it), `metrics.json`,
//! `report.html` and `sources.json` (where the data came from and what was assumed). With
//! `--sweep key=v1,v2` (repeatable, cartesian product) every grid point is a full backtest run
//! on `--threads` threads; one table of results is printed and written to `sweep.json`, and
//! each grid point's result to `sweep-points/point-NNNNNN.json`. With `--shard K/N` only the
//! K-th of N deterministic slices of the grid runs (grid point `i` when `i % N == K - 1`) and
//! only the point files are written; `kalshi-bot sweep merge` puts shards back together.

mod rest_history;
pub(crate) mod summary;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

use kalshi_core::client_order_id::RunId;
use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{FeeParams, MarketInfo, MarketStatus, PriceRange};
use kalshi_core::{Count, Price};
use kalshi_journal::RunInfo;
use kalshi_replay::backtest::{BacktestConfig, FillSource, run_backtest};
use kalshi_replay::fill_sim::CancelPosition;
use kalshi_replay::journal_source::{JournalSource, write_journal};
use kalshi_replay::loaders::csv::merge_streams;
use kalshi_replay::loaders::journal_filter::{InputFilter, load_inputs};
use kalshi_replay::metrics::DataFidelity;
use kalshi_replay::report::{BacktestReport, html::to_html, json::to_json};
use kalshi_replay::sweep::{
    Shard, SweepAxis, SweepPointResult, default_threads, run_sweep_shard, sweep_id,
};

use crate::config::{EngineProfile, load, validate_engine};
use crate::progress_bar::ProgressBar;

/// Nanoseconds per millisecond.
const NS_PER_MS: i64 = 1_000_000;
/// Nanoseconds per second.
const NS_PER_S: i64 = 1_000_000_000;
/// Timer tick synthesized for data that carries no timers of its own.
const DEFAULT_TICK_MS: u64 = 1_000;
/// Run id of backtests (client order ids read `kb-bt-<n>`).
const BACKTEST_RUN_ID: &str = "bt";
/// Fee schedule assumed for a synthesized listing: Kalshi's quadratic fee with maker fees
/// (the conservative choice: resting fills pay too).
const ASSUMED_FEE_TYPE: &str = "quadratic_with_maker_fees";
/// Close time assumed for a synthesized listing, after the last data point.
const ASSUMED_CLOSE_AFTER_NS: i64 = 24 * 3_600 * NS_PER_S;

/// `--cancel-position` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CancelPositionArg {
    /// Others' cancels come from ahead of us (optimistic).
    Front,
    /// Others' cancels come from behind us (pessimistic; the default).
    Back,
    /// Others' cancels are spread evenly over the level.
    ProRata,
}

impl From<CancelPositionArg> for CancelPosition {
    fn from(value: CancelPositionArg) -> CancelPosition {
        match value {
            CancelPositionArg::Front => CancelPosition::Front,
            CancelPositionArg::Back => CancelPosition::Back,
            CancelPositionArg::ProRata => CancelPosition::ProRata,
        }
    }
}

/// `--fills` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FillsArg {
    /// The fill simulator answers the engine's orders.
    Simulated,
    /// The recorded run's own exchange events are replayed.
    Recorded,
}

impl From<FillsArg> for FillSource {
    fn from(value: FillsArg) -> FillSource {
        match value {
            FillsArg::Simulated => FillSource::Simulated,
            FillsArg::Recorded => FillSource::Recorded,
        }
    }
}

/// Engine configuration and fill-model settings shared by `backtest` and `replay` what-ifs.
#[derive(Debug, Clone, Args)]
pub struct SimulationArgs {
    /// Configuration file (TOML, the same format as `run-strategy --config`); only its
    /// `[engine]` section matters here.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Latency of every simulated request (place, amend, cancel), milliseconds. Default 50.
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,
    /// Where others' cancels at our price level sit relative to our order.
    #[arg(long, value_enum, value_name = "WHERE")]
    pub cancel_position: Option<CancelPositionArg>,
    /// Synthesize a timer tick every this many milliseconds of data time (0: none). Default
    /// 1000 when the data carries no timers of its own, else none.
    #[arg(long, value_name = "MS")]
    pub tick_ms: Option<u64>,
}

/// `backtest` arguments.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Market to backtest (repeatable). Required with --from-rest; with journals, none means
    /// every market in them.
    #[arg(long = "market", value_name = "TICKER")]
    pub markets: Vec<String>,
    /// Start of the data, inclusive: RFC 3339 (`2026-03-01T14:00:00Z`) or Unix seconds.
    #[arg(long, value_name = "TIME", value_parser = parse_time_ns)]
    pub start: Option<i64>,
    /// End of the data, exclusive: RFC 3339 or Unix seconds.
    #[arg(long, value_name = "TIME", value_parser = parse_time_ns)]
    pub end: Option<i64>,
    /// A recorded journal to take market data from (repeatable): a run directory or
    /// `s3://bucket/prefix/RUN`.
    #[arg(long = "journal", value_name = "DIR")]
    pub journals: Vec<PathBuf>,
    /// Fetch Kalshi's public history over REST (trades + 1-minute candles; lower fidelity).
    #[arg(long)]
    pub from_rest: bool,
    /// REST base URL for --from-rest (default: production).
    #[arg(long, value_name = "URL", requires = "from_rest")]
    pub api_base: Option<String>,
    /// Level size assumed for candle quotes in REST history (candles carry no sizes),
    /// contracts.
    #[arg(long, value_name = "CONTRACTS", default_value = "100")]
    pub assumed_level_size: String,
    /// Engine configuration and fill model.
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Directory for the journal, metrics and HTML report.
    #[arg(long, value_name = "DIR", default_value = "backtest-report")]
    pub report: PathBuf,
    /// Sweep a config key over values: `key=v1,v2` (repeatable: cartesian product). Keys are
    /// dotted engine paths (`strategy.fair_offset_ticks`) or `fill.<field>`.
    #[arg(long = "sweep", value_name = "KEY=V1,V2")]
    pub sweeps: Vec<String>,
    /// Where our orders' fills come from: `simulated` (the fill model answers the engine's
    /// orders; the journal's own account events are dropped) or `recorded` (a live run's
    /// journal is fed whole, its own acks and fills included, nothing simulated: the report's
    /// P&L is that run's P&L).
    #[arg(long, value_enum, default_value = "simulated")]
    pub fills: FillsArg,
    /// Threads for sweeps (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Run only the K-th of N slices of the sweep grid (grid point i when i % N == K-1),
    /// writing one result file per point to `<report>/sweep-points/`; combine the shards'
    /// report directories with `kalshi-bot sweep merge`.
    #[arg(long, value_name = "K/N", requires = "sweeps")]
    pub shard: Option<String>,
}

/// Folder of the per-point result files inside a sweep's report directory.
pub const SWEEP_POINTS_DIR: &str = "sweep-points";

/// File name of grid point `index`'s result.
pub fn sweep_point_file(index: usize) -> String {
    format!("point-{index:06}.json")
}

/// Parses RFC 3339 or Unix seconds into Unix ns.
pub fn parse_time_ns(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return seconds
            .checked_mul(NS_PER_S)
            .ok_or_else(|| format!("{text} seconds is out of range"));
    }
    kalshi_io::time::parse_rfc3339_ns(text)
        .map_err(|error| format!("`{text}` is neither Unix seconds nor RFC 3339: {error}"))
}

/// Where the data of a run came from, and what was assumed; written as `sources.json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DataSources {
    /// Journals read.
    pub journals: Vec<String>,
    /// Markets fetched over REST, with the cache journal of each.
    pub rest: Vec<String>,
    /// Assumptions and warnings, one sentence each.
    pub notes: Vec<String>,
}

/// Runs `backtest`.
pub fn run(args: BacktestArgs) -> anyhow::Result<()> {
    if args.journals.is_empty() && !args.from_rest {
        bail!("no data: give --journal DIR (repeatable) and/or --from-rest");
    }
    if let (Some(start), Some(end)) = (args.start, args.end)
        && start >= end
    {
        bail!("--start must be before --end");
    }
    let mut sources = DataSources::default();
    let tickers: BTreeSet<String> = args.markets.iter().cloned().collect();
    let filter = InputFilter {
        tickers: tickers.clone(),
        from_ns: args.start,
        to_ns: args.end,
    };
    let mut streams = Vec::new();
    for given in &args.journals {
        let local = crate::remote::local_journal(given)?;
        let dir = &local;
        let mut source = JournalSource::open(dir)
            .with_context(|| format!("opening journal {}", dir.display()))?;
        let inputs = load_inputs(&mut source, &filter)
            .with_context(|| format!("reading journal {}", dir.display()))?;
        eprintln!("{}: {} inputs kept", dir.display(), inputs.len());
        sources.journals.push(given.display().to_string());
        streams.push(inputs);
    }
    if args.from_rest {
        let (Some(start), Some(end)) = (args.start, args.end) else {
            bail!("--from-rest needs --start and --end");
        };
        if tickers.is_empty() {
            bail!("--from-rest needs at least one --market");
        }
        let level_size = Count::parse(&args.assumed_level_size)
            .map_err(|error| anyhow::anyhow!("--assumed-level-size: {error}"))?;
        let fetched = rest_history::load(
            args.api_base.as_deref(),
            &tickers,
            start,
            end,
            level_size,
            &args.report.join("rest-cache"),
        )?;
        for (label, inputs) in fetched {
            sources.rest.push(label);
            streams.push(inputs);
        }
        sources.notes.push(format!(
            "REST history: {}; candle quotes assume {} contracts per level",
            DataFidelity::TradesAndCandles.note(),
            level_size
        ));
    }
    let inputs = if streams.len() == 1 {
        streams.pop().unwrap_or_default()
    } else {
        merge_streams(streams)
    };
    if inputs.is_empty() {
        bail!("no market data left after filtering by market and time");
    }
    let listings = missing_listings(&inputs, &tickers, &mut sources.notes);
    let mut config = backtest_config(&args.simulation, &inputs, listings)?;
    if args.from_rest && args.journals.is_empty() {
        config.fidelity = Some(DataFidelity::TradesAndCandles);
    }
    config.fills = args.fills.into();
    if args.fills == FillsArg::Recorded && (args.from_rest || !args.sweeps.is_empty()) {
        bail!("--fills recorded replays a recorded journal: it takes no --from-rest or --sweep");
    }
    std::fs::create_dir_all(&args.report)
        .with_context(|| format!("creating {}", args.report.display()))?;
    write_json(&args.report.join("sources.json"), &sources)?;
    for note in &sources.notes {
        eprintln!("note: {note}");
    }
    let title = format!("backtest {}", describe_markets(&tickers));
    if args.sweeps.is_empty() {
        run_one(&inputs, &config, &args.report, &title)
    } else {
        sweep(&inputs, &config, &args)
    }
}

fn describe_markets(tickers: &BTreeSet<String>) -> String {
    if tickers.is_empty() {
        "all markets".to_string()
    } else {
        tickers.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// The backtest configuration: the engine from `--config` (defaults otherwise) and the fill
/// model from the flags.
pub fn backtest_config(
    simulation: &SimulationArgs,
    inputs: &[Envelope],
    listings: Vec<MarketInfo>,
) -> anyhow::Result<BacktestConfig> {
    let loaded = load(simulation.config.as_deref(), &[], EngineProfile::Exchange)?;
    let mut engine = loaded.engine;
    engine.run_id = RunId::parse(BACKTEST_RUN_ID)
        .map_err(|error| anyhow::anyhow!("backtest run id: {error}"))?;
    validate_engine(&engine)?;
    let mut config = BacktestConfig::new(engine);
    config.tuning = Some(loaded.tuning);
    if let Some(latency_ms) = simulation.latency_ms {
        let latency_ns = i64::try_from(latency_ms)
            .ok()
            .and_then(|ms| ms.checked_mul(NS_PER_MS))
            .ok_or_else(|| anyhow::anyhow!("--latency-ms {latency_ms} is too large"))?;
        config.fill_model.entry_latency_ns = latency_ns;
        config.fill_model.cancel_latency_ns = latency_ns;
    }
    if let Some(position) = simulation.cancel_position {
        config.fill_model.cancel_position = position.into();
    }
    let has_timers = inputs
        .iter()
        .any(|envelope| matches!(envelope.event, Event::Timer { .. }));
    let tick_ms = match simulation.tick_ms {
        Some(tick_ms) => tick_ms,
        None if has_timers => 0,
        None => DEFAULT_TICK_MS,
    };
    config.timer_tick_ns = if tick_ms == 0 {
        None
    } else {
        Some(
            i64::try_from(tick_ms)
                .ok()
                .and_then(|ms| ms.checked_mul(NS_PER_MS))
                .ok_or_else(|| anyhow::anyhow!("--tick-ms {tick_ms} is too large"))?,
        )
    };
    config.listings = listings;
    config.fill_model.validate()?;
    Ok(config)
}

/// Listings for the markets whose data carries none (imported trade or quote files), built
/// from what the data shows; each assumption is added to `notes`.
pub fn missing_listings(
    inputs: &[Envelope],
    requested: &BTreeSet<String>,
    notes: &mut Vec<String>,
) -> Vec<MarketInfo> {
    let mut listed = BTreeSet::new();
    let mut seen: BTreeMap<String, MarketInfo> = BTreeMap::new();
    let mut first_ns = None;
    let mut last_ns = None;
    for envelope in inputs {
        first_ns.get_or_insert(envelope.ts_ns);
        last_ns = Some(envelope.ts_ns.max(last_ns.unwrap_or(envelope.ts_ns)));
        match &envelope.event {
            Event::MarketListing(infos) => {
                listed.extend(infos.iter().map(|info| info.ticker.clone()));
            }
            event => {
                if let Some(ticker) = event.ticker() {
                    let info = seen
                        .entry(ticker.to_string())
                        .or_insert_with(|| blank_listing(ticker));
                    observe(info, event);
                }
            }
        }
    }
    for ticker in requested {
        seen.entry(ticker.clone())
            .or_insert_with(|| blank_listing(ticker));
    }
    let first_ns = first_ns.unwrap_or(0);
    let close_ns = last_ns.unwrap_or(0).saturating_add(ASSUMED_CLOSE_AFTER_NS);
    let mut listings = Vec::new();
    for (ticker, mut info) in seen {
        if listed.contains(&ticker) {
            continue;
        }
        info.open_time_ns = Some(first_ns);
        info.close_time_ns = Some(close_ns);
        info.open_interest = info.volume_24h;
        notes.push(format!(
            "{ticker}: the data carries no listing; assumed active, 1-cent ticks, fee \
             {ASSUMED_FEE_TYPE}, close one day after the data, 24 h volume and open interest \
             = the {} contracts traded in the data",
            info.volume_24h
        ));
        listings.push(info);
    }
    listings
}

fn blank_listing(ticker: &str) -> MarketInfo {
    MarketInfo {
        ticker: ticker.to_string(),
        event_ticker: ticker.to_string(),
        title: format!("{ticker} (listing assumed for backtest)"),
        status: MarketStatus::Active,
        open_time_ns: None,
        close_time_ns: None,
        yes_bid: None,
        yes_bid_size: None,
        yes_ask: None,
        yes_ask_size: None,
        last_price: None,
        volume: Count::ZERO,
        volume_24h: Count::ZERO,
        open_interest: Count::ZERO,
        price_ranges: vec![PriceRange {
            start: Price::ZERO,
            end: Price::ONE,
            step: Price::from_micros(10_000).unwrap_or(Price::ZERO),
        }],
        fee: Some(FeeParams {
            fee_type: ASSUMED_FEE_TYPE.to_string(),
            multiplier_ppm: 1_000_000,
        }),
        fractional_trading: false,
        result: None,
        settlement_value: None,
    }
}

/// Takes the first quote and last trade price, and adds traded volume.
fn observe(info: &mut MarketInfo, event: &Event) {
    match event {
        Event::BookSnapshot(snapshot) if info.yes_bid.is_none() && info.yes_ask.is_none() => {
            if let Some(level) = snapshot.bids.iter().max_by_key(|level| level.price) {
                info.yes_bid = Some(level.price);
                info.yes_bid_size = Some(level.size);
            }
            if let Some(level) = snapshot.asks.iter().min_by_key(|level| level.price) {
                info.yes_ask = Some(level.price);
                info.yes_ask_size = Some(level.size);
            }
        }
        Event::PublicTrade(trade) => {
            info.last_price = Some(trade.yes_price);
            info.volume = info.volume + trade.count;
            info.volume_24h = info.volume;
        }
        _ => {}
    }
}

/// One backtest: run, write the journal, metrics and HTML, print the summary.
pub fn run_one(
    inputs: &[Envelope],
    config: &BacktestConfig,
    report_dir: &Path,
    title: &str,
) -> anyhow::Result<()> {
    let progress = ProgressBar::stderr();
    let outcome = run_backtest(inputs, config, &progress);
    progress.finish();
    let outcome = outcome.context("running the backtest")?;
    std::fs::create_dir_all(report_dir)
        .with_context(|| format!("creating {}", report_dir.display()))?;
    let journal_dir = report_dir.join("journal");
    if journal_dir.exists() {
        std::fs::remove_dir_all(&journal_dir)
            .with_context(|| format!("replacing the old journal {}", journal_dir.display()))?;
    }
    let run = RunInfo {
        run_id: BACKTEST_RUN_ID.to_string(),
        build_id: concat!("kalshi-bot ", env!("CARGO_PKG_VERSION")).to_string(),
        config_hash: crate::runtime::startup::config_hash(&config.engine)?,
        seed: 0,
        environment: "backtest".to_string(),
        created_ts_ns: inputs.first().map_or(0, |envelope| envelope.ts_ns),
    };
    write_journal(&journal_dir, run, &outcome.records)
        .with_context(|| format!("writing the journal {}", journal_dir.display()))?;
    let report = BacktestReport::new(title, config, &outcome);
    let metrics_path = report_dir.join("metrics.json");
    std::fs::write(&metrics_path, to_json(&report)?)
        .with_context(|| format!("writing {}", metrics_path.display()))?;
    let html_path = report_dir.join("report.html");
    std::fs::write(&html_path, to_html(&report, &outcome.series))
        .with_context(|| format!("writing {}", html_path.display()))?;
    print!("{}", summary::metrics_table(&outcome.metrics));
    if outcome.metrics.orders == 0 {
        print!("{}", summary::why_no_orders(&outcome.records));
    }
    println!("output digest: {}", outcome.output_digest);
    println!("journal:       {}", journal_dir.display());
    println!("metrics:       {}", metrics_path.display());
    println!("report:        {}", html_path.display());
    Ok(())
}

fn sweep(inputs: &[Envelope], base: &BacktestConfig, args: &BacktestArgs) -> anyhow::Result<()> {
    let axes = args
        .sweeps
        .iter()
        .map(|spec| SweepAxis::parse(spec))
        .collect::<Result<Vec<_>, _>>()?;
    let shard = match &args.shard {
        Some(text) => Shard::parse(text)?,
        None => Shard::WHOLE,
    };
    let total = axes.iter().map(|axis| axis.values.len()).product::<usize>();
    let id = sweep_id(inputs, base, &axes)?;
    let points_dir = args.report.join(SWEEP_POINTS_DIR);
    clear_point_files(&points_dir)?;
    std::fs::create_dir_all(&points_dir)
        .with_context(|| format!("creating {}", points_dir.display()))?;
    let threads = args.threads.unwrap_or_else(default_threads).max(1);
    let progress = ProgressBar::stderr();
    let rows = run_sweep_shard(inputs, base, &axes, shard, threads, &progress);
    progress.finish();
    let rows = rows.context("running the sweep")?;
    for (index, row) in &rows {
        let point = SweepPointResult {
            sweep_id: id.clone(),
            index: *index,
            total,
            axes: axes.clone(),
            row: row.clone(),
        };
        write_json(&points_dir.join(sweep_point_file(*index)), &point)?;
    }
    if shard != Shard::WHOLE {
        println!(
            "shard {}/{}: {} of {total} grid points; results in {}",
            shard.index,
            shard.count,
            rows.len(),
            points_dir.display()
        );
        println!("merge the shards with: kalshi-bot sweep merge REPORT_DIR...");
        return Ok(());
    }
    let rows: Vec<_> = rows.into_iter().map(|(_, row)| row).collect();
    let path = args.report.join("sweep.json");
    write_json(&path, &rows)?;
    print!("{}", summary::sweep_table(&axes, &rows));
    println!("sweep results: {}", path.display());
    Ok(())
}

/// Removes the point files of an earlier sweep in the same report directory, so a merge never
/// mixes two sweeps' results.
fn clear_point_files(dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry
            .with_context(|| format!("listing {}", dir.display()))?
            .path();
        let is_point = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with("point-") && name.ends_with(".json"));
        if is_point {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// Writes `value` as pretty JSON.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).context("encoding JSON")?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_unix_seconds_or_rfc3339() {
        assert_eq!(parse_time_ns("1700000000"), Ok(1_700_000_000 * NS_PER_S));
        assert_eq!(
            parse_time_ns("2023-11-14T22:13:20Z"),
            Ok(1_700_000_000 * NS_PER_S)
        );
        assert!(parse_time_ns("yesterday").is_err());
        assert!(parse_time_ns("99999999999999999").is_err());
    }
}
