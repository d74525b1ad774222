//! Backtest reports: a JSON document for machines and a self-contained HTML page (inline SVG,
//! no scripts, no external resources) for people.

pub mod html;
pub mod json;
pub mod markout_curve;
mod svg;
pub mod sweep_html;

use serde::{Deserialize, Serialize};

use kalshi_core::config::EngineConfig;

use crate::backtest::{BacktestConfig, BacktestOutcome};
use crate::fill_sim::FillModelConfig;
use crate::metrics::Metrics;

/// Everything a report states about one backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestReport {
    /// Report title.
    pub title: String,
    /// SHA-256 of the backtest's output stream.
    pub output_digest: String,
    /// Outputs (commands and decisions) produced.
    pub outputs: u64,
    /// P&L, fees, order and fill counts, fill ratios and positions of the whole run.
    pub metrics: Metrics,
    /// The fill model used.
    pub fill_model: FillModelConfig,
    /// The engine configuration under test.
    pub engine: EngineConfig,
    /// The fill model's drift from the exchange (`--fills recorded` runs of a trading journal:
    /// the run's real fills and queue positions against the model's shadow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<crate::drift::DriftReport>,
}

impl BacktestReport {
    /// The report of one backtest.
    pub fn new(title: &str, config: &BacktestConfig, outcome: &BacktestOutcome) -> BacktestReport {
        BacktestReport {
            title: title.to_string(),
            output_digest: outcome.output_digest.clone(),
            outputs: outcome.outputs,
            metrics: outcome.metrics.clone(),
            fill_model: config.fill_model.clone(),
            engine: config.engine.clone(),
            drift: None,
        }
    }
}
