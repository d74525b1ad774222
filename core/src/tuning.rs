//! Engine settings added after journals of record format 2 were written.
//!
//! They reach the engine as their own journaled input, [`crate::events::Event::Tuning`], right
//! after the configuration — not as fields of [`crate::config::EngineConfig`], whose binary
//! layout those journals fixed. A journal without the input replays exactly as it ran (every
//! setting here off); a new run sends it, so its replay sees the same settings. New settings
//! are added here with a default that reproduces the behaviour before them.

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tuning {
    /// Re-judge the scanner's spread and near-resolved price filters against the live book on
    /// every change of a quoted market's book: a market that fails stops being quoted in that
    /// step and comes back once it passes again with room to spare. Default true.
    pub live_filters: bool,
    /// That room: a market the live filters stopped quotes again only when its spread is this
    /// many ticks inside the limits and its touch this many ticks further from 0 and 1 than
    /// the near-resolved margin. Default 1.
    pub live_filter_hysteresis_ticks: i64,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            live_filters: true,
            live_filter_hysteresis_ticks: 1,
        }
    }
}

impl Tuning {
    /// The settings a journal without a `Tuning` input ran with: everything off.
    pub fn before_tuning() -> Tuning {
        Tuning {
            live_filters: false,
            live_filter_hysteresis_ticks: 0,
        }
    }

    /// Refuses values outside their ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(0..=100).contains(&self.live_filter_hysteresis_ticks) {
            return Err(ConfigError::OutOfRange {
                field: "tuning.live_filter_hysteresis_ticks",
                value: self.live_filter_hysteresis_ticks.to_string(),
                expected: "between 0 and 100 ticks",
            });
        }
        Ok(())
    }
}
