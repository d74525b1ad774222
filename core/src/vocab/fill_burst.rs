//! The fill-burst breaker's journaled record of a trip or a resume.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fixed::Count;

/// Whether the breaker tripped or let quoting resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillBurstState {
    /// The window tally reached the threshold: quotes cancelled, places stopped.
    Tripped,
    /// The cooldown passed and the tally is below the threshold: quoting resumes.
    Resumed,
}

/// A journaled breaker change, with the figures that caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillBurstRecord {
    /// Tripped or resumed.
    pub state: FillBurstState,
    /// Our matched contracts inside the window at the change.
    pub window_contracts: Count,
    /// The threshold (`risk.fill_burst_contracts_max`).
    pub threshold: Count,
    /// The window length, ms.
    pub window_ms: i64,
    /// End of the cooldown, Unix ns (when tripped: the earliest resume time).
    pub cooldown_until_ts_ns: i64,
}

impl fmt::Display for FillBurstRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            FillBurstState::Tripped => "TRIPPED",
            FillBurstState::Resumed => "RESUMED",
        };
        write!(
            f,
            "{state} window_contracts={} threshold={} window_ms={} cooldown_until_ts_ns={}",
            self.window_contracts, self.threshold, self.window_ms, self.cooldown_until_ts_ns
        )
    }
}
