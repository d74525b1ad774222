//! `kalshi-bot run-strategy`: trade with the engine's strategy against the local exchange
//! (`--sim`), Kalshi's demo (`--demo`) or production (`--live --i-understand-risk`), journaling
//! every input and decision. With `--paper` the market data is real and the orders go to the
//! backtest's fill simulator inside the process (no order request ever leaves it; `--live`
//! then needs only a read key and no `--i-understand-risk`). See `runtime::startup` for the
//! order of operations and `exit_code` for what the exit code means.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, ValueEnum};

use super::backtest::CancelPositionArg;
use super::trading_args::{
    ConfigArgs, ExchangeArgs, SimArgs, apply_journal_dir, prepare, tokio_runtime,
};
use crate::config::validate_engine;
use crate::duration_flag::parse_duration;
use crate::exit_code::Refusal;
use crate::runtime::resume::ResumeFrom;
use crate::runtime::startup::{OutsideOptions, Purpose, RunOptions, run as run_session};
use kalshi_replay::backtest::BacktestConfig;
use kalshi_replay::fill_sim::FillModelConfig;

/// Strategies the engine can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// Post-only ladders of 2–3 rungs per side inside the spread, skewed by inventory.
    #[value(name = "maker_ladder")]
    MakerLadder,
}

/// Options of `run-strategy`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("venue").required(true).args(["sim", "demo", "live"])))]
pub struct RunStrategyArgs {
    /// The strategy to run.
    #[arg(long, value_enum)]
    pub strategy: StrategyArg,
    /// Which exchange.
    #[command(flatten)]
    pub exchange: ExchangeArgs,
    /// Stop after this long (e.g. 30s, 10m, 2h); runs until Ctrl-C when omitted.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Most markets quoted at once (engine.quoted_markets_max).
    #[arg(long, value_name = "N")]
    pub markets: Option<u32>,
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
    /// Restore the risk state (e.g. a HALT) from this run directory instead of the newest run
    /// of the same environment in the journal root.
    #[arg(long, value_name = "DIR", conflicts_with = "fresh_risk_state")]
    pub resume_from: Option<PathBuf>,
    /// Start with a fresh risk state, ignoring previous runs.
    #[arg(long)]
    pub fresh_risk_state: bool,
    /// Exit with code 4 when positions remain open at the end.
    #[arg(long)]
    pub require_flat: bool,
    /// Exit with code 1 when the run placed no order at all (the summary says why).
    #[arg(long)]
    pub require_orders: bool,
    /// Paper trading: real market data (REST snapshots, WebSocket deltas and trades, all
    /// journaled), orders filled by the backtest's fill simulator inside the process. No
    /// order request is ever sent, only reads: `--live --paper` needs a read-only key and no
    /// --i-understand-risk. No risk state is restored or kept. `backtest --journal RUN` with
    /// the same --config (and --latency-ms/--cancel-position) reproduces the run's fills.
    #[arg(long)]
    pub paper: bool,
    /// Paper trading: latency of every simulated request, milliseconds (as `backtest
    /// --latency-ms`). Default 50.
    #[arg(long, value_name = "MS", requires = "paper")]
    pub latency_ms: Option<u64>,
    /// Paper trading: where others' cancels at our price level sit relative to our order (as
    /// `backtest --cancel-position`).
    #[arg(long, value_enum, value_name = "WHERE", requires = "paper")]
    pub cancel_position: Option<CancelPositionArg>,
    /// Journal raw WebSocket frames beside the normalized events.
    #[arg(long)]
    pub capture_raw: bool,
    /// Follow this file of model probabilities (`ts,ticker,probability` CSV or JSON lines,
    /// appended by any program); each accepted value is a journaled input.
    #[arg(long, value_name = "FILE")]
    pub model_file: Option<PathBuf>,
    /// Serve Prometheus metrics on this loopback address (`GET /metrics`); off by default.
    #[arg(long, value_name = "127.0.0.1:PORT")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Run this shell command with a JSON payload on stdin for each HALT, fill-burst trip,
    /// feed outage, reconciliation failure and the run's end.
    #[arg(long, value_name = "CMD")]
    pub on_alert: Option<String>,
    /// A feed outage (a lost socket until the account is reconciled, or inputs older than
    /// runtime.stale_after_ms) alerts once it has lasted this long; 0 alerts at once.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub alert_outage_after: u64,
    /// Print the end-of-run summary as one JSON document on stdout (notes stay on stderr).
    #[arg(long)]
    pub json: bool,
}

/// Runs the command; returns the exit code.
pub fn run(args: RunStrategyArgs) -> anyhow::Result<i32> {
    refuse_paper_conflicts(&args)?;
    let prepared = prepare(&args.exchange, &args.config, args.paper)?;
    let mut loaded = prepared.loaded;
    args.sim.apply(&mut loaded);
    if let Some(markets) = args.markets {
        loaded.engine.quoted_markets_max = markets;
    }
    if args.capture_raw {
        loaded.runtime.capture_raw_frames = true;
    }
    let journal_dir = apply_journal_dir(&mut loaded, args.journal_dir.as_ref());
    validate_engine(&loaded.engine).map_err(|error| Refusal::new(error.to_string()))?;
    if let Some(addr) = args.metrics_addr
        && !addr.ip().is_loopback()
    {
        return Err(Refusal::new(format!(
            "--metrics-addr {addr}: only a loopback address (127.0.0.1 or ::1) is served"
        ))
        .into());
    }
    let paper = if args.paper {
        Some(paper_fill_model(&args, &loaded.engine)?)
    } else {
        None
    };
    let resume = match (&args.resume_from, args.fresh_risk_state) {
        (_, true) => ResumeFrom::Fresh,
        (Some(dir), false) => ResumeFrom::Dir(dir.clone()),
        (None, false) => ResumeFrom::Newest,
    };
    let options = RunOptions {
        purpose: Purpose::Trade {
            require_flat: args.require_flat,
            require_orders: args.require_orders,
            resume,
            paper,
        },
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
            model_file: args.model_file,
            metrics_addr: args.metrics_addr,
            on_alert: args.on_alert,
            alert_outage_after_s: args.alert_outage_after,
            json_summary: args.json,
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

/// Refuses `--paper` with options that only concern real orders (checked before anything
/// else, so nothing is read or sent).
fn refuse_paper_conflicts(args: &RunStrategyArgs) -> Result<(), Refusal> {
    if !args.paper {
        return Ok(());
    }
    let conflicts = [
        (
            args.resume_from.is_some(),
            "--resume-from: a paper run neither restores nor keeps a risk state",
        ),
        (
            args.fresh_risk_state,
            "--fresh-risk-state: a paper run always starts with a fresh risk state",
        ),
        (
            args.exchange.i_understand_risk,
            "--i-understand-risk: a paper run sends no order and risks nothing; drop the flag",
        ),
    ];
    match conflicts.iter().find(|(given, _)| *given) {
        Some((_, why)) => Err(Refusal::new(format!("--paper does not take {why}"))),
        None => Ok(()),
    }
}

/// The fill model of a paper run: the backtest's defaults at the engine's fee precision, with
/// the run's --latency-ms and --cancel-position.
fn paper_fill_model(
    args: &RunStrategyArgs,
    engine: &kalshi_core::config::EngineConfig,
) -> Result<FillModelConfig, Refusal> {
    let mut fill_model = BacktestConfig::new(engine.clone()).fill_model;
    if let Some(latency_ms) = args.latency_ms {
        let latency_ns = i64::try_from(latency_ms)
            .ok()
            .and_then(|ms| ms.checked_mul(1_000_000))
            .ok_or_else(|| Refusal::new(format!("--latency-ms {latency_ms} is too large")))?;
        fill_model.entry_latency_ns = latency_ns;
        fill_model.cancel_latency_ns = latency_ns;
    }
    if let Some(position) = args.cancel_position {
        fill_model.cancel_position = position.into();
    }
    fill_model
        .validate()
        .map_err(|error| Refusal::new(format!("paper fill model: {error}")))?;
    Ok(fill_model)
}
