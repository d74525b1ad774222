//! The JSON report: pretty-printed, keys in declaration order, money as exact strings.

use crate::error::ReplayError;
use crate::report::BacktestReport;

/// The report as pretty JSON.
pub fn to_json(report: &BacktestReport) -> Result<String, ReplayError> {
    serde_json::to_string_pretty(report).map_err(|source| ReplayError::Encode {
        what: "report",
        source,
    })
}
