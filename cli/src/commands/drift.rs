//! `kalshi-bot drift --journal RUN`: the drift between the fill model and the exchange a
//! trading run really traded on, recomputed from its journal by the same
//! [`kalshi_replay::drift::DriftMonitor`] the run used live (see that module for the figures).
//!
//! The settings default to the ones the run monitored with (its `drift.json`), else the
//! defaults; `--set fill.KEY=VALUE` and `--tolerance-ms` change them, so the same journal
//! answers "how would this fill model have done".

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;

use kalshi_journal::JournalRecord;
use kalshi_replay::drift::{
    DriftMonitor, DriftReport, DriftSettings, ShadowTiming, apply_fill_setting, ratio_text,
};
use kalshi_replay::journal_source::JournalSource;
use kalshi_replay::record::RecordSource;

pub use crate::runtime::drift::DRIFT_FILE;

/// `drift` arguments.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The trading run's directory (or `s3://bucket/prefix/RUN`).
    #[arg(long, value_name = "DIR")]
    pub journal: PathBuf,
    /// A fill-model setting for the shadow: `fill.KEY=VALUE` (repeatable), e.g.
    /// `fill.queue_position=front`; `kalshi-bot config keys` lists the keys.
    #[arg(long = "set", value_name = "fill.KEY=VALUE")]
    pub sets: Vec<String>,
    /// Largest time between a shadow fill and the real fill it matches, ms (default: the
    /// run's, else 1000).
    #[arg(long, value_name = "MS")]
    pub tolerance_ms: Option<i64>,
    /// When our orders reach the shadow: `acked` (at the exchange's acks; the default) or
    /// `commanded` (at the engine's commands plus the model's latencies, as in a backtest).
    /// Default: the run's.
    #[arg(long, value_enum, value_name = "WHEN")]
    pub timing: Option<TimingArg>,
    /// Print the report as one JSON document.
    #[arg(long)]
    pub json: bool,
}

/// `--timing` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimingArg {
    /// At the exchange's acknowledgements.
    Acked,
    /// At the engine's commands plus the model's latencies.
    Commanded,
}

/// Runs `drift`.
pub fn run(args: DriftArgs) -> anyhow::Result<()> {
    let journal = crate::remote::fetch_if_remote(&args.journal)?;
    let mut settings = settings_for(&journal, &args.sets, args.tolerance_ms)?;
    if let Some(timing) = args.timing {
        settings.timing = match timing {
            TimingArg::Acked => ShadowTiming::Acked,
            TimingArg::Commanded => ShadowTiming::Commanded,
        };
    }
    let report = drift_of_journal(&journal, settings)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report_text(&report));
    }
    Ok(())
}

/// The settings recorded in a run's `drift.json` (the rest of the report is not needed).
#[derive(Debug, serde::Deserialize)]
struct SettingsUsed {
    fill_model: kalshi_replay::fill_sim::FillModelConfig,
    fill_tolerance_ms: i64,
    #[serde(default)]
    timing: ShadowTiming,
}

/// The settings a run monitored with (its `drift.json`), else the defaults, with `sets`
/// (`fill.KEY=VALUE`) and `tolerance_ms` applied.
pub fn settings_for(
    run_dir: &Path,
    sets: &[String],
    tolerance_ms: Option<i64>,
) -> anyhow::Result<DriftSettings> {
    let mut settings = match std::fs::read(run_dir.join(DRIFT_FILE)) {
        Ok(bytes) => {
            let used: SettingsUsed = serde_json::from_slice(&bytes)
                .with_context(|| format!("reading {}", run_dir.join(DRIFT_FILE).display()))?;
            DriftSettings {
                fill_model: used.fill_model,
                fill_tolerance_ms: used.fill_tolerance_ms,
                timing: used.timing,
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => DriftSettings::default(),
        Err(error) => {
            return Err(error)
                .with_context(|| format!("reading {}", run_dir.join(DRIFT_FILE).display()));
        }
    };
    apply_sets(&mut settings, sets)?;
    if let Some(ms) = tolerance_ms {
        settings.fill_tolerance_ms = ms;
    }
    Ok(settings)
}

/// Applies `fill.KEY=VALUE` settings to the shadow's fill model.
pub fn apply_sets(settings: &mut DriftSettings, sets: &[String]) -> anyhow::Result<()> {
    for set in sets {
        let Some((key, value)) = set.split_once('=') else {
            bail!("--set {set}: expected fill.KEY=VALUE");
        };
        if !key.trim().starts_with("fill.") {
            bail!("--set {set}: only fill.* keys apply here");
        }
        apply_fill_setting(&mut settings.fill_model, key, value)?;
    }
    Ok(())
}

/// Every input and command of a run's journal, in journal order.
pub fn journal_records(dir: &Path) -> anyhow::Result<Vec<JournalRecord>> {
    let mut source =
        JournalSource::open(dir).with_context(|| format!("opening {}", dir.display()))?;
    let mut records = Vec::new();
    while let Some(record) = source.next_record()? {
        if matches!(
            record,
            JournalRecord::Input(_) | JournalRecord::OutputCommand { .. }
        ) {
            records.push(record);
        }
    }
    Ok(records)
}

/// Runs the drift monitor over a run's journal, streaming.
pub fn drift_of_journal(dir: &Path, settings: DriftSettings) -> anyhow::Result<DriftReport> {
    let mut source =
        JournalSource::open(dir).with_context(|| format!("opening {}", dir.display()))?;
    let mut monitor = DriftMonitor::new(settings)?;
    let mut last_ns = i64::MIN;
    while let Some(record) = source.next_record()? {
        if let JournalRecord::Input(envelope) = &record {
            last_ns = last_ns.max(envelope.ts_ns);
        }
        monitor.on_record(&record)?;
    }
    monitor.run_due(last_ns)?;
    Ok(monitor.report())
}

/// The report as text: the fill model, the figures, then the orders with the largest queue
/// error.
pub fn report_text(report: &DriftReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let ms = |value: Option<i64>| value.map_or_else(|| "-".to_string(), |ms| ms.to_string());
    let model = &report.fill_model;
    let _ = writeln!(
        out,
        "fill model: queue_position={:?} cancel_position={:?} entry_latency_ns={} \
         cancel_latency_ns={} (tolerance {} ms)",
        model.queue_position,
        model.cancel_position,
        model.entry_latency_ns,
        model.cancel_latency_ns,
        report.fill_tolerance_ms
    );
    let _ = writeln!(
        out,
        "orders reach shadow:  {:?} (measured place → ack p50 {} ms, cancel → ack p50 {} ms)",
        report.timing,
        ms(report.place_ack_p50_ns.map(|ns| ns / 1_000_000)),
        ms(report.cancel_ack_p50_ns.map(|ns| ns / 1_000_000))
    );
    let _ = writeln!(out, "orders placed:        {}", report.orders);
    let _ = writeln!(
        out,
        "fills (contracts):    real {} shadow {} matched {}",
        report.real_fill_contracts, report.shadow_fill_contracts, report.matched_contracts
    );
    let _ = writeln!(
        out,
        "fill precision:       {}",
        ratio_text(report.precision_ppm)
    );
    let _ = writeln!(
        out,
        "fill recall:          {}",
        ratio_text(report.recall_ppm)
    );
    let _ = writeln!(out, "fill F1:              {}", ratio_text(report.f1_ppm));
    let _ = writeln!(
        out,
        "time-to-fill error:   p50 {} ms, p90 {} ms over {} orders",
        ms(report.fill_time_abs_error_p50_ms),
        ms(report.fill_time_abs_error_p90_ms),
        report.fill_time_samples
    );
    let _ = writeln!(
        out,
        "queue error:          p50 {} p90 {} bias {} over {} reads ({} not resting in the shadow)",
        report.queue_abs_error_p50,
        report.queue_abs_error_p90,
        report.queue_bias,
        report.queue_samples,
        report.queue_unmodelled
    );
    if !report.per_order.is_empty() {
        let _ = writeln!(
            out,
            "{:<28} {:<20} {:<4} {:>7} {:>6} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8}",
            "order",
            "market",
            "side",
            "price",
            "reads",
            "err_max",
            "err_mean",
            "model",
            "exchange",
            "real",
            "shadow"
        );
        for row in report.per_order.iter().take(20) {
            let _ = writeln!(
                out,
                "{:<28} {:<20} {:<4} {:>7} {:>6} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8}",
                row.client_order_id,
                row.ticker,
                format!("{:?}", row.side).to_lowercase(),
                row.price.to_string(),
                row.queue_reads,
                row.queue_abs_error_max.to_string(),
                row.queue_abs_error_mean.to_string(),
                row.last_modelled_ahead.to_string(),
                row.last_exchange_ahead.to_string(),
                row.real_filled.to_string(),
                row.shadow_filled.to_string()
            );
        }
        if report.per_order.len() > 20 {
            let _ = writeln!(
                out,
                "… {} more orders in --json",
                report.per_order.len() - 20
            );
        }
    }
    out
}
