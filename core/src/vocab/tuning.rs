//! Engine settings added after journals of record format 2 were written.
//!
//! They reach the engine as their own journaled input right after the configuration — not as
//! fields of [`crate::vocab::config::EngineConfig`], whose binary layout those journals fixed. A
//! journal without the input replays exactly as it ran (every setting here off); a new run
//! sends it, so its replay sees the same settings.
//!
//! The input is a list of [`TuningSetting`]s ([`crate::vocab::events::Event::TuningSettings`]), one
//! variant per setting, so a setting added later is a new variant appended at the end: older
//! journals still decode, and a journal that lacks the new setting runs with its
//! [`Tuning::before_tuning`] value, which reproduces the behaviour before it. Runs of the
//! first tuning release journaled the settings as one struct, [`TuningV1`], still read.
//!
//! To add a setting: a field of [`Tuning`] (its default is the recommended value, its
//! [`Tuning::before_tuning`] value the old behaviour), a variant at the end of
//! [`TuningSetting`], and the two arms in [`Tuning::settings`] and [`Tuning::apply`].

use serde::{Deserialize, Serialize};

use crate::vocab::config::ConfigError;
use crate::vocab::settings::BlendSettings;

/// Largest blend weight, ppm (a weight of 1).
const WEIGHT_MAX_PPM: i64 = 1_000_000;
/// Largest blend shift, ppm (10¢).
const SHIFT_MAX_PPM: i64 = 100_000;

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
    /// from [`crate::vocab::events::Event::TradeHistory`], then the WebSocket's trades): the
    /// scanner's recently-active filter and the liquidity score's trade term see real trades,
    /// so a market with too few trades in the recent window is dropped unless we hold a
    /// position or orders there. Judged when the universe is chosen (listings,
    /// reconciliation), not on every trade. Off, the universe is chosen from the listings
    /// alone. Default true.
    pub recent_activity: bool,
    /// Fair-value blend ([`crate::fair_value`]): weight of the book depth imbalance, parts
    /// per million (1 000 000 = 1; 0 = off). Default 0.
    pub fair_imbalance_weight_ppm: i64,
    /// Weight of the signed taker flow, ppm. Default 1 000 000 (see STRATEGY.md).
    pub fair_flow_weight_ppm: i64,
    /// Weight of the mid trend, ppm. Default 0.
    pub fair_trend_weight_ppm: i64,
    /// Weight of a fresh model probability, ppm. When non-zero it replaces
    /// `engine.signals.model_weight`; at 0 that older setting applies as before. Default 0.
    pub fair_model_weight_ppm: i64,
    /// Largest total shift of the blend from the microprice, ppm (10 000 = 1¢). Default
    /// 20 000.
    pub fair_max_shift_ppm: i64,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            live_filters: true,
            live_filter_hysteresis_ticks: 1,
            recent_activity: true,
            fair_imbalance_weight_ppm: 0,
            fair_flow_weight_ppm: 1_000_000,
            fair_trend_weight_ppm: 0,
            fair_model_weight_ppm: 0,
            fair_max_shift_ppm: 20_000,
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
    /// [`Tuning::fair_imbalance_weight_ppm`].
    FairImbalanceWeightPpm(i64),
    /// [`Tuning::fair_flow_weight_ppm`].
    FairFlowWeightPpm(i64),
    /// [`Tuning::fair_trend_weight_ppm`].
    FairTrendWeightPpm(i64),
    /// [`Tuning::fair_model_weight_ppm`].
    FairModelWeightPpm(i64),
    /// [`Tuning::fair_max_shift_ppm`].
    FairMaxShiftPpm(i64),
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
            fair_imbalance_weight_ppm: 0,
            fair_flow_weight_ppm: 0,
            fair_trend_weight_ppm: 0,
            fair_model_weight_ppm: 0,
            fair_max_shift_ppm: 0,
        }
    }

    /// The fair-value blend's settings.
    pub fn blend(&self) -> BlendSettings {
        BlendSettings {
            imbalance_weight_ppm: self.fair_imbalance_weight_ppm,
            flow_weight_ppm: self.fair_flow_weight_ppm,
            trend_weight_ppm: self.fair_trend_weight_ppm,
            model_weight_ppm: self.fair_model_weight_ppm,
            max_shift_ppm: self.fair_max_shift_ppm,
        }
    }

    /// Every setting, in the form a run journals them.
    pub fn settings(&self) -> Vec<TuningSetting> {
        vec![
            TuningSetting::LiveFilters(self.live_filters),
            TuningSetting::LiveFilterHysteresisTicks(self.live_filter_hysteresis_ticks),
            TuningSetting::RecentActivity(self.recent_activity),
            TuningSetting::FairImbalanceWeightPpm(self.fair_imbalance_weight_ppm),
            TuningSetting::FairFlowWeightPpm(self.fair_flow_weight_ppm),
            TuningSetting::FairTrendWeightPpm(self.fair_trend_weight_ppm),
            TuningSetting::FairModelWeightPpm(self.fair_model_weight_ppm),
            TuningSetting::FairMaxShiftPpm(self.fair_max_shift_ppm),
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
            TuningSetting::FairImbalanceWeightPpm(ppm) => self.fair_imbalance_weight_ppm = *ppm,
            TuningSetting::FairFlowWeightPpm(ppm) => self.fair_flow_weight_ppm = *ppm,
            TuningSetting::FairTrendWeightPpm(ppm) => self.fair_trend_weight_ppm = *ppm,
            TuningSetting::FairModelWeightPpm(ppm) => self.fair_model_weight_ppm = *ppm,
            TuningSetting::FairMaxShiftPpm(ppm) => self.fair_max_shift_ppm = *ppm,
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
        let weights = [
            (
                "tuning.fair_imbalance_weight_ppm",
                self.fair_imbalance_weight_ppm,
            ),
            ("tuning.fair_flow_weight_ppm", self.fair_flow_weight_ppm),
            ("tuning.fair_trend_weight_ppm", self.fair_trend_weight_ppm),
            ("tuning.fair_model_weight_ppm", self.fair_model_weight_ppm),
        ];
        for (field, value) in weights {
            if !(0..=WEIGHT_MAX_PPM).contains(&value) {
                return Err(ConfigError::OutOfRange {
                    field,
                    value: value.to_string(),
                    expected: "between 0 and 1000000 ppm (0 to 1)",
                });
            }
        }
        if !(0..=SHIFT_MAX_PPM).contains(&self.fair_max_shift_ppm) {
            return Err(ConfigError::OutOfRange {
                field: "tuning.fair_max_shift_ppm",
                value: self.fair_max_shift_ppm.to_string(),
                expected: "between 0 and 100000 ppm (0 to 10¢)",
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
            ..Tuning::before_tuning()
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
            fair_imbalance_weight_ppm: 1,
            fair_flow_weight_ppm: 2,
            fair_trend_weight_ppm: 3,
            fair_model_weight_ppm: 4,
            fair_max_shift_ppm: 5,
        };
        assert_eq!(Tuning::from_settings(&tuning.settings()), tuning);
        assert_eq!(Tuning::from_settings(&[]), Tuning::before_tuning());
        let partial = Tuning::from_settings(&[TuningSetting::LiveFilters(true)]);
        assert!(partial.live_filters);
        assert_eq!(partial.live_filter_hysteresis_ticks, 0);
        assert!(!partial.recent_activity);
        assert!(partial.blend().is_off());
    }

    #[test]
    fn out_of_range_blend_settings_name_their_key() {
        for (tuning, key) in [
            (
                Tuning {
                    fair_imbalance_weight_ppm: -1,
                    ..Tuning::default()
                },
                "tuning.fair_imbalance_weight_ppm",
            ),
            (
                Tuning {
                    fair_flow_weight_ppm: 1_000_001,
                    ..Tuning::default()
                },
                "tuning.fair_flow_weight_ppm",
            ),
            (
                Tuning {
                    fair_trend_weight_ppm: 2_000_000,
                    ..Tuning::default()
                },
                "tuning.fair_trend_weight_ppm",
            ),
            (
                Tuning {
                    fair_model_weight_ppm: -5,
                    ..Tuning::default()
                },
                "tuning.fair_model_weight_ppm",
            ),
            (
                Tuning {
                    fair_max_shift_ppm: 100_001,
                    ..Tuning::default()
                },
                "tuning.fair_max_shift_ppm",
            ),
        ] {
            let error = tuning.validate().unwrap_err().to_string();
            assert!(error.contains(key), "{error}");
        }
        assert!(Tuning::default().validate().is_ok());
        assert!(Tuning::before_tuning().validate().is_ok());
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
