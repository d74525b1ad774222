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

mod calibrate;
mod coverage;
mod listings;
mod rest_history;

pub use listings::missing_listings;
pub(crate) mod summary;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

use kalshi_core::Count;
use kalshi_core::client_order_id::RunId;
use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::MarketInfo;
use kalshi_journal::RunInfo;
use kalshi_replay::backtest::{BacktestConfig, FillSource, run_backtest};
use kalshi_replay::fill_sim::CancelPosition;
use kalshi_replay::journal_source::{JournalSource, write_journal};
use kalshi_replay::loaders::csv::merge_streams;
use kalshi_replay::loaders::journal_filter::{InputFilter, load_inputs};
use kalshi_replay::metrics::DataFidelity;
use kalshi_replay::report::sweep_html::sweep_to_html;
use kalshi_replay::report::{BacktestReport, html::to_html, json::to_json};
use kalshi_replay::sweep::{
    Shard, SweepAxis, SweepPointResult, default_threads, run_sweep_shard, sweep_id,
};

use crate::config::{EngineProfile, load, validate_engine};
use crate::exit_code::Refusal;
use crate::progress_bar::ProgressBar;
use crate::runtime::startup::PAPER_ENVIRONMENT_PREFIX;
use kalshi_io::time::format_rfc3339_seconds;

/// Nanoseconds per millisecond.
use kalshi_core::time::NS_PER_MS;
/// Nanoseconds per second.
use kalshi_core::time::NS_PER_S;
/// Timer tick synthesized for data that carries no timers of its own.
const DEFAULT_TICK_MS: u64 = 1_000;
/// Run id of backtests (client order ids read `kb-bt-<n>`).
const BACKTEST_RUN_ID: &str = "bt";

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
    /// Overrides one key, as `run-strategy --set` and `--sweep` spell it:
    /// `engine.strategy.fair_offset_ticks=2`, `tuning.KEY=V` or the fill model's `fill.KEY=V`
    /// (repeatable; applied after the file; `kalshi-bot config keys` lists them).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
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
    #[arg(long = "journal", value_name = "RUN")]
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
    /// Replace the report already in --report (refused without it).
    #[arg(long)]
    pub force: bool,
    /// Sweep a config key over values: `key=v1,v2` (repeatable: cartesian product). Keys are
    /// dotted engine paths (`strategy.fair_offset_ticks`) or `fill.<field>`.
    #[arg(long = "sweep", value_name = "KEY=V1,V2")]
    pub sweeps: Vec<String>,
    /// Where our orders' fills come from: `simulated` (the fill model answers the engine's
    /// orders; the journal's own account events are dropped) or `recorded` (a live run's
    /// journal is fed whole, its own acks and fills included, nothing simulated: the report's
    /// P&L is that run's P&L). Simulated over `run-strategy --paper` journals also keeps their
    /// staleness verdicts, so the same --config and fill model reproduce the paper fills.
    #[arg(long, value_enum, default_value = "simulated")]
    pub fills: FillsArg,
    /// Threads for sweeps (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// A model file (`ts,ticker,probability` CSV or JSON lines, as `run-strategy
    /// --model-file` follows): each value is fed at its own timestamp, replacing any model
    /// values the journals hold.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Run only the K-th of N slices of the sweep grid (grid point i when i % N == K-1),
    /// writing one result file per point to `<report>/sweep-points/`; combine the shards'
    /// report directories with `kalshi-bot sweep merge`.
    #[arg(long, value_name = "K/N", requires = "sweeps")]
    pub shard: Option<String>,
    /// Print one JSON document on stdout (the metrics, the output digest and the files
    /// written; a sweep's rows) instead of the tables; notes stay on stderr.
    #[arg(long)]
    pub json: bool,
    /// Fit the fill model to a trading run's journal (one --journal): run the drift monitor's
    /// shadow over it for a grid of fill-model settings and print the best fit as
    /// `--set fill.KEY=VALUE` lines with its figures; nothing is backtested.
    #[arg(long, conflicts_with_all = ["sweeps", "from_rest", "shard"])]
    pub calibrate: bool,
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
    if args.calibrate {
        return calibrate::run(&args);
    }
    let started = std::time::Instant::now();
    if args.journals.is_empty() && !args.from_rest {
        bail!("no data: give --journal DIR (repeatable) and/or --from-rest");
    }
    if let (Some(start), Some(end)) = (args.start, args.end)
        && start >= end
    {
        bail!("--start must be before --end");
    }
    refuse_to_overwrite(&args.report, args.force)?;
    let mut sources = DataSources::default();
    let tickers: BTreeSet<String> = args.markets.iter().cloned().collect();
    let filter = InputFilter {
        tickers: tickers.clone(),
        from_ns: args.start,
        to_ns: args.end,
    };
    let mut streams = Vec::new();
    let mut paper_runs = 0usize;
    let mut paper_sim_runs = 0usize;
    for given in &args.journals {
        let local = crate::remote::local_journal(given)?;
        let dir = &local;
        let mut source = JournalSource::open(dir)
            .with_context(|| format!("opening journal {}", dir.display()))?;
        let environment = &source.manifest().run.environment;
        if environment.starts_with(PAPER_ENVIRONMENT_PREFIX) {
            paper_runs += 1;
            if environment.ends_with("-sim") {
                paper_sim_runs += 1;
            }
        }
        let inputs = load_inputs(&mut source, &filter)
            .with_context(|| format!("reading journal {}", dir.display()))?;
        crate::logging::note(&format!("{}: {} inputs kept", dir.display(), inputs.len()));
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
    let mut inputs = if streams.len() == 1 {
        streams.pop().unwrap_or_default()
    } else {
        merge_streams(streams)
    };
    refuse_missing_data(&inputs, &tickers, &args)?;
    if let Some(model) = &args.model {
        inputs = with_model(inputs, model, &filter, &mut sources.notes)?;
    }
    let listings = missing_listings(&inputs, &tickers, &mut sources.notes);
    // Paper runs against the local exchange ran with its engine defaults: the same here.
    let profile = if paper_sim_runs > 0 && paper_sim_runs == args.journals.len() {
        EngineProfile::LocalExchange
    } else {
        EngineProfile::Exchange
    };
    let mut config = backtest_config_with(&args.simulation, &inputs, listings, profile)?;
    if args.from_rest && args.journals.is_empty() {
        config.fidelity = Some(DataFidelity::TradesAndCandles);
    }
    config.fills = args.fills.into();
    if config.fills == FillSource::Simulated && paper_runs > 0 && paper_runs == args.journals.len()
    {
        // The paper run's engine saw its staleness verdicts: kept, so the fills reproduce.
        config.fills = FillSource::Paper;
        sources.notes.push(
            "paper run journal: its staleness verdicts (FeedLag) are kept, so the same \
             --config and fill model reproduce the paper run's fills"
                .to_string(),
        );
    }
    if args.fills == FillsArg::Recorded && (args.from_rest || !args.sweeps.is_empty()) {
        bail!("--fills recorded replays a recorded journal: it takes no --from-rest or --sweep");
    }
    std::fs::create_dir_all(&args.report)
        .with_context(|| format!("creating {}", args.report.display()))?;
    write_json(&args.report.join("sources.json"), &sources)?;
    for note in &sources.notes {
        crate::logging::note(&format!("note: {note}"));
    }
    let title = format!("backtest {}", describe_markets(&tickers));
    // Timings on stderr, for scripts/bench.sh (the command's own time without the report).
    crate::logging::note(&format!(
        "{} inputs read and configured in {:.3} s",
        inputs.len(),
        started.elapsed().as_secs_f64()
    ));
    if args.sweeps.is_empty() {
        run_one(&inputs, &config, &args.report, &title, args.json)
    } else {
        sweep(&inputs, &config, &args)
    }
}

/// Refuses a backtest whose data has none of a requested market, or no market data at all in
/// the window, naming what the data does hold (the journals are read again, unfiltered, for
/// that message only).
fn refuse_missing_data(
    inputs: &[Envelope],
    tickers: &BTreeSet<String>,
    args: &BacktestArgs,
) -> anyhow::Result<()> {
    let mut kept = coverage::Coverage::default();
    kept.add(inputs);
    let missing = kept.missing(tickers);
    if !missing.is_empty() || kept.markets.is_empty() {
        let mut all = coverage::Coverage::default();
        for dir in &args.journals {
            let mut source = JournalSource::open(dir)
                .with_context(|| format!("opening journal {}", dir.display()))?;
            let everything = load_inputs(&mut source, &InputFilter::default())
                .with_context(|| format!("reading journal {}", dir.display()))?;
            all.add(&everything);
        }
        let wanted = if missing.is_empty() {
            "no market data".to_string()
        } else {
            format!("no data for {}", missing.join(", "))
        };
        let window = match (args.start, args.end) {
            (None, None) => String::new(),
            (start, end) => format!(
                " between {} and {}",
                start.map_or("the start".to_string(), format_rfc3339_seconds),
                end.map_or("the end".to_string(), format_rfc3339_seconds)
            ),
        };
        return Err(Refusal::new(format!(
            "{wanted}{window}; the data holds {}",
            all.describe()
        ))
        .into());
    }
    Ok(())
}

/// Refuses a `--report` directory that already holds a report, unless `force`.
fn refuse_to_overwrite(report: &Path, force: bool) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    for name in ["report.html", "metrics.json", "sweep.json", "sweep.html"] {
        if report.join(name).exists() {
            return Err(Refusal::new(format!(
                "{} already holds a report ({name}); pass --force to replace it, or choose \
                 another --report",
                report.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// `inputs` with the model file's values fed at their own timestamps (the journals' model
/// values dropped). Lines for markets absent from the data, outside the data's time range
/// (and `--start`/`--end`), out of range or malformed are refused, counted and reported in
/// `notes`.
pub fn with_model(
    inputs: Vec<Envelope>,
    model: &std::path::Path,
    filter: &InputFilter,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<Envelope>> {
    use crate::runtime::model_line::{ModelCounters, Refusal, read_file};
    let mut known: BTreeSet<String> = BTreeSet::new();
    for envelope in &inputs {
        match &envelope.event {
            Event::MarketListing(markets) => {
                known.extend(markets.iter().map(|market| market.ticker.clone()));
            }
            event => {
                if let Some(ticker) = event.ticker() {
                    known.insert(ticker.to_string());
                }
            }
        }
    }
    let first_ns = inputs.first().map_or(i64::MIN, |envelope| envelope.ts_ns);
    let last_ns = inputs.last().map_or(i64::MAX, |envelope| envelope.ts_ns);
    let mut counters = ModelCounters::default();
    let mut values = Vec::new();
    for line in read_file(model)? {
        let checked = line.parsed.and_then(|value| {
            if !known.contains(&value.ticker)
                || (!filter.tickers.is_empty() && !filter.tickers.contains(&value.ticker))
            {
                Err((
                    Refusal::UnknownTicker,
                    format!("{} is not in the data", value.ticker),
                ))
            } else if value.ts_ns < first_ns
                || value.ts_ns > last_ns
                || filter.from_ns.is_some_and(|from| value.ts_ns < from)
                || filter.to_ns.is_some_and(|to| value.ts_ns >= to)
            {
                Err((
                    Refusal::Stale,
                    "outside the data's time range (or --start/--end)".to_string(),
                ))
            } else {
                Ok(value)
            }
        });
        match checked {
            Ok(value) => {
                counters.accepted += 1;
                values.push(Envelope {
                    seq: line.line_no,
                    ts_ns: value.ts_ns,
                    event: Event::ModelProbability {
                        ticker: value.ticker,
                        probability_ppm: value.probability_ppm,
                    },
                });
            }
            Err((reason, detail)) => {
                *counters.refused.entry(reason).or_default() += 1;
                crate::logging::note(&format!(
                    "model line {} refused ({}): {detail}",
                    line.line_no,
                    reason.as_str()
                ));
            }
        }
    }
    let data: Vec<Envelope> = inputs
        .into_iter()
        .filter(|envelope| !matches!(envelope.event, Event::ModelProbability { .. }))
        .collect();
    notes.push(format!("model {}: {}", model.display(), counters.line()));
    Ok(merge_streams(vec![data, values]))
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
    backtest_config_with(simulation, inputs, listings, EngineProfile::Exchange)
}

/// [`backtest_config`] over the engine defaults of `profile` (a paper run against the local
/// exchange ran with [`EngineProfile::LocalExchange`]'s).
pub fn backtest_config_with(
    simulation: &SimulationArgs,
    inputs: &[Envelope],
    listings: Vec<MarketInfo>,
    profile: EngineProfile,
) -> anyhow::Result<BacktestConfig> {
    let (fill_sets, config_sets): (Vec<&String>, Vec<&String>) = simulation
        .set
        .iter()
        .partition(|assignment| assignment.trim_start().starts_with("fill."));
    let config_sets: Vec<String> = config_sets.into_iter().cloned().collect();
    let loaded = load(simulation.config.as_deref(), &config_sets, profile)
        .map_err(|error| Refusal::new(error.to_string()))?;
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
    let fill_point = fill_sets
        .iter()
        .map(|assignment| {
            assignment
                .split_once('=')
                .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
                .ok_or_else(|| Refusal::new(format!("--set {assignment}: expected KEY=VALUE")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !fill_point.is_empty() {
        config = kalshi_replay::sweep::apply_point(&config, &fill_point)
            .map_err(|error| Refusal::new(format!("--set: {error}")))?;
    }
    config.fill_model.validate()?;
    Ok(config)
}

/// One backtest: run, write the journal, metrics and HTML, print the summary (one JSON
/// document with `json`).
pub fn run_one(
    inputs: &[Envelope],
    config: &BacktestConfig,
    report_dir: &Path,
    title: &str,
    json: bool,
) -> anyhow::Result<()> {
    let progress = ProgressBar::stderr();
    let started = std::time::Instant::now();
    let outcome = run_backtest(inputs, config, &progress);
    progress.finish();
    let outcome = outcome.context("running the backtest")?;
    crate::logging::note(&format!(
        "backtest of {} inputs ran in {:.3} s",
        inputs.len(),
        started.elapsed().as_secs_f64()
    ));
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
    let phase = std::time::Instant::now();
    crate::logging::note(&format!(
        "writing the journal ({} records) to {} …",
        outcome.records.len(),
        journal_dir.display()
    ));
    write_journal(&journal_dir, run, &outcome.records)
        .with_context(|| format!("writing the journal {}", journal_dir.display()))?;
    crate::logging::note(&format!(
        "journal written in {:.1} s; writing the report …",
        phase.elapsed().as_secs_f64()
    ));
    let mut report = BacktestReport::new(title, config, &outcome);
    if config.fills == FillSource::Recorded {
        // The recorded run's inputs and the commands they reproduce: its drift.
        let settings = kalshi_replay::drift::DriftSettings {
            fill_model: config.fill_model.clone(),
            ..kalshi_replay::drift::DriftSettings::default()
        };
        let drift = kalshi_replay::drift::drift_of(&outcome.records, settings)?;
        crate::logging::note(&drift.line());
        report.drift = Some(drift);
    }
    let metrics_path = report_dir.join("metrics.json");
    std::fs::write(&metrics_path, to_json(&report)?)
        .with_context(|| format!("writing {}", metrics_path.display()))?;
    let html_path = report_dir.join("report.html");
    std::fs::write(&html_path, to_html(&report, &outcome.series))
        .with_context(|| format!("writing {}", html_path.display()))?;
    if json {
        let metrics: serde_json::Value =
            serde_json::from_str(&to_json(&report)?).context("decoding the metrics")?;
        let document = serde_json::json!({
            "title": title,
            "orders": outcome.metrics.orders,
            "output_digest": outcome.output_digest.to_string(),
            "journal": journal_dir.display().to_string(),
            "metrics_file": metrics_path.display().to_string(),
            "report": html_path.display().to_string(),
            "no_orders": (outcome.metrics.orders == 0)
                .then(|| summary::why_no_orders(&outcome.records).trim().to_string()),
            "metrics": metrics,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&document).context("encoding the summary")?
        );
        return Ok(());
    }
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
    let html_path = args.report.join("sweep.html");
    let title = format!("sweep: {}", args.sweeps.join(" × "));
    std::fs::write(&html_path, sweep_to_html(&title, &axes, &rows))
        .with_context(|| format!("writing {}", html_path.display()))?;
    if args.json {
        let document = serde_json::json!({
            "sweep_id": id,
            "points": rows.len(),
            "sweep_file": path.display().to_string(),
            "report": html_path.display().to_string(),
            "rows": rows,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&document).context("encoding the sweep")?
        );
        return Ok(());
    }
    print!("{}", summary::sweep_table(&axes, &rows));
    println!(
        "sweep results: {} and {}",
        path.display(),
        html_path.display()
    );
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
