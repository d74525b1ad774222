//! Engine settings added after journals of record format 2 were written.
//!
//! They reach the engine as their own journaled input right after the configuration — not as
//! fields of [`crate::config::EngineConfig`], whose binary layout those journals fixed. A
//! journal without the input replays exactly as it ran (every setting here off); a new run
//! sends it, so its replay sees the same settings.
//!
//! The input is a list of [`TuningSetting`]s ([`crate::events::Event::TuningSettings`]), one
//! variant per setting, so a setting added later is a new variant appended at the end: older
//! journals still decode, and a journal that lacks the new setting runs with its
//! [`Tuning::before_tuning`] value, which reproduces the behaviour before it. Runs of the
//! first tuning release journaled the settings as one struct, [`TuningV1`], still read.
//!
//! To add a setting: a field of [`Tuning`] (its default is the recommended value, its
//! [`Tuning::before_tuning`] value the old behaviour), a variant at the end of
//! [`TuningSetting`], and the two arms in [`Tuning::settings`] and [`Tuning::apply`].

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
    /// Choose the quoted universe with each market's live trade tape (REST trade history
    /// from [`crate::events::Event::TradeHistory`], then the WebSocket's trades): the
    /// scanner's recently-active filter and the liquidity score's trade term see real trades,
    /// so a market with too few trades in the recent window is dropped unless we hold a
    /// position or orders there. Judged when the universe is chosen (listings,
    /// reconciliation), not on every trade. Off, the universe is chosen from the listings
    /// alone. Default true.
    pub recent_activity: bool,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            live_filters: true,
            live_filter_hysteresis_ticks: 1,
            recent_activity: true,
        }
    }
}

/// One engine setting as journaled. Append-only: a new setting is a new variant at the end,
/// never a change to an existing one (the journal stores the variant's position).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TuningSetting {
    /// [`Tuning::live_filters`].
    LiveFilters(bool),
    /// [`Tuning::live_filter_hysteresis_ticks`].
    LiveFilterHysteresisTicks(i64),
    /// [`Tuning::recent_activity`].
    RecentActivity(bool),
}

/// The settings as the first tuning release journaled them, in one struct. Frozen: journals
/// of that release fixed its binary layout; new runs journal [`TuningSetting`]s instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TuningV1 {
    /// [`Tuning::live_filters`].
    pub live_filters: bool,
    /// [`Tuning::live_filter_hysteresis_ticks`].
    pub live_filter_hysteresis_ticks: i64,
}

impl Tuning {
    /// The settings a journal without a tuning input ran with: everything off.
    pub fn before_tuning() -> Tuning {
        Tuning {
            live_filters: false,
            live_filter_hysteresis_ticks: 0,
            recent_activity: false,
        }
    }

    /// Every setting, in the form a run journals them.
    pub fn settings(&self) -> Vec<TuningSetting> {
        vec![
            TuningSetting::LiveFilters(self.live_filters),
            TuningSetting::LiveFilterHysteresisTicks(self.live_filter_hysteresis_ticks),
            TuningSetting::RecentActivity(self.recent_activity),
        ]
    }

    /// Takes one journaled setting.
    pub fn apply(&mut self, setting: &TuningSetting) {
        match setting {
            TuningSetting::LiveFilters(on) => self.live_filters = *on,
            TuningSetting::LiveFilterHysteresisTicks(ticks) => {
                self.live_filter_hysteresis_ticks = *ticks;
            }
            TuningSetting::RecentActivity(on) => self.recent_activity = *on,
        }
    }

    /// The settings a journal's tuning input gives: [`Tuning::before_tuning`] with each of
    /// `settings` applied in order.
    pub fn from_settings(settings: &[TuningSetting]) -> Tuning {
        let mut tuning = Tuning::before_tuning();
        for setting in settings {
            tuning.apply(setting);
        }
        tuning
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

impl From<&TuningV1> for Tuning {
    fn from(v1: &TuningV1) -> Tuning {
        Tuning {
            live_filters: v1.live_filters,
            live_filter_hysteresis_ticks: v1.live_filter_hysteresis_ticks,
            recent_activity: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_missing_ones_stay_off() {
        let tuning = Tuning {
            live_filters: true,
            live_filter_hysteresis_ticks: 3,
            recent_activity: true,
        };
        assert_eq!(Tuning::from_settings(&tuning.settings()), tuning);
        assert_eq!(Tuning::from_settings(&[]), Tuning::before_tuning());
        let partial = Tuning::from_settings(&[TuningSetting::LiveFilters(true)]);
        assert!(partial.live_filters);
        assert_eq!(partial.live_filter_hysteresis_ticks, 0);
        assert!(!partial.recent_activity);
    }

    #[test]
    fn first_release_struct_maps_field_for_field() {
        let v1 = TuningV1 {
            live_filters: true,
            live_filter_hysteresis_ticks: 2,
        };
        let tuning = Tuning::from(&v1);
        assert!(tuning.live_filters);
        assert_eq!(tuning.live_filter_hysteresis_ticks, 2);
    }
}
