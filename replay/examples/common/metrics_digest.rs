//! SHA-256 of a backtest's metrics and chart series, so a benchmark run shows that a faster
//! build still computes the same results, not only the same engine outputs.

use kalshi_replay::backtest::BacktestSummary;
use sha2::{Digest, Sha256};

/// Hex SHA-256 of the summary's metrics and series as JSON.
pub fn metrics_digest(summary: &BacktestSummary) -> String {
    let json = serde_json::to_vec(&(&summary.metrics, &summary.series))
        .unwrap_or_else(|error| format!("unserializable metrics: {error}").into_bytes());
    Sha256::digest(json)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
