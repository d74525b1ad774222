//! `backtest --calibrate --journal RUN`: fits the fill model to a trading run.
//!
//! The drift monitor's shadow ([`kalshi_replay::drift`]) runs over the run's journal once per
//! point of [`calibration_grid`] (queue position × cancel position × latency, the latencies
//! including the run's measured median place → ack time), with our orders sent at their
//! command time plus the point's latency as a backtest sends them; points are
//! ranked by fill F1, then median and 90th-percentile queue error. The best point is printed
//! as `--set fill.KEY=VALUE` lines for `backtest`.
//!
//! Tolerance: points whose F1 is within [`F1_TOLERANCE_PPM`] of the best fit the run equally
//! well. A key is *recovered* when all of them agree on its value; otherwise its line says
//! which values tie (the journal cannot tell them apart, typically a latency far below the
//! time between trades).

use std::collections::BTreeSet;

use anyhow::bail;
use serde::Serialize;

use kalshi_replay::drift::{
    CalibrationPoint, DEFAULT_FILL_TOLERANCE_MS, DriftSettings, calibrate, calibration_grid,
    drift_of, ratio_text, set_lines,
};
use kalshi_replay::fill_sim::FillModelConfig;

use super::BacktestArgs;
use crate::commands::drift::journal_records;

/// Points whose F1 is within this of the best fit equally well, ppm (0.02).
pub const F1_TOLERANCE_PPM: i64 = 20_000;

/// What `--calibrate` writes to `<report>/calibration.json`.
#[derive(Debug, Serialize)]
struct Calibration<'a> {
    journal: String,
    f1_tolerance_ppm: i64,
    best: &'a CalibrationPoint,
    set_lines: Vec<String>,
    /// Per key: the values the points within the tolerance take.
    tied: Vec<(String, Vec<String>)>,
    points: &'a [CalibrationPoint],
}

/// Runs the calibration.
pub fn run(args: &BacktestArgs) -> anyhow::Result<()> {
    let [journal] = args.journals.as_slice() else {
        bail!("--calibrate needs exactly one --journal (a trading run's directory)");
    };
    let local = crate::remote::local_journal(journal)?;
    let records = journal_records(&local)?;
    let base = FillModelConfig::default();
    // The run's own command-to-ack time joins the latencies tried.
    let measured = drift_of(&records, DriftSettings::default())?.place_ack_p50_ns;
    let grid = calibration_grid(&base, measured);
    if let Some(ns) = measured {
        eprintln!("measured place → ack median: {} ms", ns / 1_000_000);
    }
    eprintln!(
        "{}: {} records; fitting {} fill-model settings",
        local.display(),
        records.len(),
        grid.len()
    );
    let points = calibrate(&records, &grid, DEFAULT_FILL_TOLERANCE_MS)?;
    let Some(best) = points.first() else {
        bail!("the calibration grid is empty");
    };
    if best.report.real_fill_contracts.is_zero() && best.report.queue_samples == 0 {
        bail!(
            "{} has no fills and no queue-position reads to fit the fill model to",
            local.display()
        );
    }
    let close: Vec<&CalibrationPoint> = points
        .iter()
        .filter(|point| {
            best.report.f1_ppm.unwrap_or(0) - point.report.f1_ppm.unwrap_or(0) <= F1_TOLERANCE_PPM
        })
        .collect();
    let tied = tied_values(&close);
    println!("best fit over {} settings:", points.len());
    let lines = set_lines(&best.fill_model);
    for line in &lines {
        let key = key_of(line);
        let values = tied
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, values)| values.clone())
            .unwrap_or_default();
        if values.len() > 1 {
            println!("{line}    # ties within F1 0.02: {}", values.join(", "));
        } else {
            println!("{line}");
        }
    }
    println!(
        "fit: F1 {} precision {} recall {} queue error p50 {} p90 {} (fills real {} shadow {}, \
         {} queue reads)",
        ratio_text(best.report.f1_ppm),
        ratio_text(best.report.precision_ppm),
        ratio_text(best.report.recall_ppm),
        best.report.queue_abs_error_p50,
        best.report.queue_abs_error_p90,
        best.report.real_fill_contracts,
        best.report.shadow_fill_contracts,
        best.report.queue_samples
    );
    println!(
        "{:<6} {:<8} {:<9} {:>10} {:>7} {:>9} {:>7} {:>9} {:>9}",
        "rank",
        "queue",
        "cancels",
        "latency_ms",
        "F1",
        "precision",
        "recall",
        "q_err_p50",
        "q_err_p90"
    );
    for (rank, point) in points.iter().enumerate().take(10) {
        let model = &point.fill_model;
        println!(
            "{:<6} {:<8} {:<9} {:>10} {:>7} {:>9} {:>7} {:>9} {:>9}",
            rank + 1,
            enum_text(&model.queue_position),
            enum_text(&model.cancel_position),
            model.entry_latency_ns / 1_000_000,
            ratio_text(point.report.f1_ppm),
            ratio_text(point.report.precision_ppm),
            ratio_text(point.report.recall_ppm),
            point.report.queue_abs_error_p50.to_string(),
            point.report.queue_abs_error_p90.to_string()
        );
    }
    std::fs::create_dir_all(&args.report)?;
    let file = args.report.join("calibration.json");
    let document = Calibration {
        journal: journal.display().to_string(),
        f1_tolerance_ppm: F1_TOLERANCE_PPM,
        best,
        set_lines: lines,
        tied,
        points: &points,
    };
    std::fs::write(&file, serde_json::to_vec_pretty(&document)?)?;
    eprintln!("wrote {}", file.display());
    Ok(())
}

/// `fill.KEY` of a `--set fill.KEY=VALUE` line.
fn key_of(line: &str) -> String {
    line.trim_start_matches("--set ")
        .split('=')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Per fitted key, the distinct values the `close` points take.
fn tied_values(close: &[&CalibrationPoint]) -> Vec<(String, Vec<String>)> {
    let mut keys: Vec<(String, BTreeSet<String>)> = Vec::new();
    for point in close {
        for line in set_lines(&point.fill_model) {
            let key = key_of(&line);
            let value = line.split_once('=').map_or("", |(_, v)| v).to_string();
            match keys.iter_mut().find(|(name, _)| *name == key) {
                Some((_, values)) => {
                    values.insert(value);
                }
                None => keys.push((key, BTreeSet::from([value]))),
            }
        }
    }
    keys.into_iter()
        .map(|(key, values)| (key, values.into_iter().collect()))
        .collect()
}

fn enum_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_string(),
    }
}
