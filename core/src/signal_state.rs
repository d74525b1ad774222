//! The signal state one market carries between events: the mid-price trend and the external
//! model probability. Held by [`crate::market_state::MarketState`], read by
//! [`crate::signals::Signals::compute`]; it sits below both so neither imports the other for it.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::fixed::MICROS_PER_DOLLAR;

/// Parts per million in one.
const PPM_PER_ONE: u32 = 1_000_000;

/// A signal input that makes no sense.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignalError {
    /// A model probability above one (1 000 000 ppm).
    #[error("model probability {probability_ppm} ppm is above 1 000 000")]
    ProbabilityOutOfRange {
        /// The rejected value.
        probability_ppm: u32,
    },
}

/// An external model's YES probability and when it was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelProbability {
    /// Probability of YES in parts per million.
    pub probability_ppm: u32,
    /// When it was set, Unix ns.
    pub ts_ns: i64,
}

impl ModelProbability {
    /// The probability as a fraction of one.
    pub fn probability(self) -> f64 {
        f64::from(self.probability_ppm) / f64::from(PPM_PER_ONE)
    }
}

/// Signal state carried between events for one market (held by [`crate::market_state::MarketState`]).
///
/// **Mid trend.** Each time the mid price changes by `Δ` (dollars) after `dt` ns since the
/// previous observation, `trend ← trend × τ/(τ + dt) + Δ`, with time constant `τ`
/// (`mid_trend_tau_ns`). Read at a later `now`, the trend is decayed once more by
/// `τ/(τ + (now − last))`. `τ/(τ + dt)` is a rational stand-in for `e^(−dt/τ)` that needs no
/// transcendental function: a change counts fully when it happens, half after `τ`, a third
/// after `2τ`. The result is a recency-weighted sum of mid moves, in dollars.
///
/// The same trend is also kept in whole micro-dollars with integer arithmetic
/// ([`SignalState::mid_trend_micros_at`], each decay rounded toward zero): that copy is the one
/// the fair-value blend ([`crate::fair_value`]) decides with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SignalState {
    mid_trend_tau_ns: i64,
    last_mid_micros: Option<i64>,
    last_mid_ts_ns: i64,
    mid_trend: f64,
    mid_trend_micros: i64,
    model: Option<ModelProbability>,
}

impl SignalState {
    /// Fresh state; `mid_trend_tau_ns` is the trend's time constant (at least 1 ns is used).
    pub fn new(mid_trend_tau_ns: i64) -> SignalState {
        SignalState {
            mid_trend_tau_ns: mid_trend_tau_ns.max(1),
            last_mid_micros: None,
            last_mid_ts_ns: 0,
            mid_trend: 0.0,
            mid_trend_micros: 0,
            model: None,
        }
    }

    /// Feeds the current mid (micro-dollars) observed at `ts_ns`; `None` (one-sided or
    /// invalid book) leaves the trend as it is. Events with an older `ts_ns` than the last
    /// observation count as `dt = 0`.
    pub fn observe_mid(&mut self, mid_micros: Option<i64>, ts_ns: i64) {
        let Some(mid_micros) = mid_micros else {
            return;
        };
        match self.last_mid_micros {
            Some(last_micros) => {
                if mid_micros != last_micros {
                    let dt_ns = ts_ns.saturating_sub(self.last_mid_ts_ns).max(0);
                    let change = (mid_micros - last_micros) as f64 / MICROS_PER_DOLLAR as f64;
                    self.mid_trend = self.mid_trend * self.decay(dt_ns) + change;
                    self.mid_trend_micros = self
                        .decay_micros(self.mid_trend_micros, dt_ns)
                        .saturating_add(mid_micros - last_micros);
                    self.last_mid_ts_ns = self.last_mid_ts_ns.max(ts_ns);
                }
            }
            None => self.last_mid_ts_ns = ts_ns,
        }
        self.last_mid_micros = Some(mid_micros);
    }

    fn decay(&self, dt_ns: i64) -> f64 {
        let tau = self.mid_trend_tau_ns as f64;
        tau / (tau + dt_ns as f64)
    }

    /// `trend × τ/(τ + dt)` in integers, rounded toward zero.
    fn decay_micros(&self, trend_micros: i64, dt_ns: i64) -> i64 {
        let tau = i128::from(self.mid_trend_tau_ns);
        let decayed = i128::from(trend_micros) * tau / (tau + i128::from(dt_ns.max(0)));
        // |decayed| ≤ |trend_micros|, so it fits.
        i64::try_from(decayed).unwrap_or(trend_micros)
    }

    /// The mid trend in micro-dollars (integer arithmetic), decayed to `now_ns`.
    pub fn mid_trend_micros_at(&self, now_ns: i64) -> i64 {
        let dt_ns = now_ns.saturating_sub(self.last_mid_ts_ns).max(0);
        self.decay_micros(self.mid_trend_micros, dt_ns)
    }

    /// The mid trend (dollars) decayed to `now_ns`.
    pub fn mid_trend_at(&self, now_ns: i64) -> f64 {
        let dt_ns = now_ns.saturating_sub(self.last_mid_ts_ns).max(0);
        self.mid_trend * self.decay(dt_ns)
    }

    /// Sets the external model probability (an input event). Above 1 000 000 ppm is an error.
    pub fn set_model_probability(
        &mut self,
        probability_ppm: u32,
        ts_ns: i64,
    ) -> Result<(), SignalError> {
        if probability_ppm > PPM_PER_ONE {
            return Err(SignalError::ProbabilityOutOfRange { probability_ppm });
        }
        self.model = Some(ModelProbability {
            probability_ppm,
            ts_ns,
        });
        Ok(())
    }

    /// Forgets the model probability.
    pub fn clear_model_probability(&mut self) {
        self.model = None;
    }

    /// The model probability, whatever its age.
    pub fn model_probability(&self) -> Option<ModelProbability> {
        self.model
    }
}
