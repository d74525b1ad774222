//! Fitting the fill model to a trading run: the drift monitor over a grid of fill-model
//! settings, ranked by fit, and the `fill.KEY=VALUE` settings it reads and prints.

use serde::{Deserialize, Serialize};

use kalshi_journal::JournalRecord;

use super::{DriftReport, DriftSettings, NS_PER_MS, ShadowTiming, drift_of};
use crate::error::ReplayError;
use crate::fill_sim::FillModelConfig;
use crate::sim_book::CancelPosition;

/// One grid point of a calibration and its fit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalibrationPoint {
    /// The fill model tried.
    pub fill_model: FillModelConfig,
    /// Its drift over the journal.
    pub report: DriftReport,
}

/// Entry latencies a calibration tries, ms (cancel latency follows the entry latency).
pub const CALIBRATION_LATENCIES_MS: [i64; 5] = [0, 10, 50, 200, 1_000];

/// The calibration grid: queue position × cancel position × latency (the fixed
/// [`CALIBRATION_LATENCIES_MS`] and, when known, the run's measured command-to-ack time),
/// around `base` (fee settings kept). The default model comes first so it wins ties.
pub fn calibration_grid(
    base: &FillModelConfig,
    measured_latency_ns: Option<i64>,
) -> Vec<FillModelConfig> {
    let mut latencies_ns: Vec<i64> = CALIBRATION_LATENCIES_MS
        .iter()
        .map(|ms| ms * NS_PER_MS)
        .collect();
    if let Some(measured) = measured_latency_ns.filter(|ns| *ns >= 0) {
        latencies_ns.insert(0, measured);
    }
    use crate::fill_model::QueuePosition;
    let mut grid = vec![FillModelConfig {
        fee_rounding: base.fee_rounding,
        fee_target_precision_micros: base.fee_target_precision_micros,
        ..FillModelConfig::default()
    }];
    for queue_position in [QueuePosition::Back, QueuePosition::Front] {
        for cancel_position in [
            CancelPosition::Back,
            CancelPosition::ProRata,
            CancelPosition::Front,
        ] {
            for &latency_ns in &latencies_ns {
                let point = FillModelConfig {
                    entry_latency_ns: latency_ns,
                    cancel_latency_ns: latency_ns,
                    cancel_position,
                    queue_position,
                    ..grid[0].clone()
                };
                if !grid.contains(&point) {
                    grid.push(point);
                }
            }
        }
    }
    grid
}

/// Runs the drift monitor (orders at their command time plus each model's latencies, as a
/// backtest sends them) over `records` for every model of `grid` and returns the points
/// best fit first: highest fill F1, then smallest median queue error, then smallest 90th
/// percentile queue error, then grid order.
pub fn calibrate(
    records: &[JournalRecord],
    grid: &[FillModelConfig],
    fill_tolerance_ms: i64,
) -> Result<Vec<CalibrationPoint>, ReplayError> {
    let mut points = Vec::with_capacity(grid.len());
    for fill_model in grid {
        let report = drift_of(
            records,
            DriftSettings {
                fill_model: fill_model.clone(),
                fill_tolerance_ms,
                timing: ShadowTiming::Commanded,
            },
        )?;
        points.push(CalibrationPoint {
            fill_model: fill_model.clone(),
            report,
        });
    }
    let mut indexed: Vec<(usize, CalibrationPoint)> = points.into_iter().enumerate().collect();
    indexed.sort_by(|(ia, a), (ib, b)| {
        let f1 = |p: &CalibrationPoint| p.report.f1_ppm.unwrap_or(-1);
        f1(b)
            .cmp(&f1(a))
            .then_with(|| {
                a.report
                    .queue_abs_error_p50
                    .cmp(&b.report.queue_abs_error_p50)
            })
            .then_with(|| {
                a.report
                    .queue_abs_error_p90
                    .cmp(&b.report.queue_abs_error_p90)
            })
            .then_with(|| ia.cmp(ib))
    });
    Ok(indexed.into_iter().map(|(_, point)| point).collect())
}

/// The `--set fill.KEY=VALUE` lines of a fill model's fitted keys.
pub fn set_lines(model: &FillModelConfig) -> Vec<String> {
    vec![
        format!(
            "--set fill.queue_position={}",
            enum_name(&model.queue_position)
        ),
        format!(
            "--set fill.cancel_position={}",
            enum_name(&model.cancel_position)
        ),
        format!("--set fill.entry_latency_ns={}", model.entry_latency_ns),
        format!("--set fill.cancel_latency_ns={}", model.cancel_latency_ns),
    ]
}

/// A serde enum's snake-case name.
fn enum_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(error) => format!("<{error}>"),
    }
}

/// Sets one fill-model key (`queue_position`, `cancel_position`, `entry_latency_ns`, …; a
/// leading `fill.` is accepted) from its text, as `--set fill.KEY=VALUE` gives it.
pub fn apply_fill_setting(
    model: &mut FillModelConfig,
    key: &str,
    value: &str,
) -> Result<(), ReplayError> {
    let key = key.trim();
    let name = key.strip_prefix("fill.").unwrap_or(key);
    let bad = |reason: String| ReplayError::InvalidConfig {
        field: "fill",
        reason: format!("fill.{name}={value}: {reason}"),
    };
    let mut fields = match serde_json::to_value(&*model) {
        Ok(serde_json::Value::Object(fields)) => fields,
        Ok(_) => return Err(bad("the fill model is not a table".to_string())),
        Err(error) => return Err(bad(error.to_string())),
    };
    if !fields.contains_key(name) {
        let known: Vec<&str> = fields.keys().map(String::as_str).collect();
        return Err(bad(format!("no such key (known: {})", known.join(", "))));
    }
    let parsed = serde_json::from_str::<serde_json::Value>(value.trim())
        .unwrap_or_else(|_| serde_json::Value::String(value.trim().to_string()));
    fields.insert(name.to_string(), parsed);
    let updated: FillModelConfig = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|error| bad(error.to_string()))?;
    updated.validate()?;
    *model = updated;
    Ok(())
}
