//! Settings of the market state, the signals and the fair-value blend, journaled inside the
//! engine configuration and tuning.

use serde::{Deserialize, Serialize};

/// Per-market bounds and time constants; journaled with the rest of the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketStateConfig {
    /// Most trades kept in the recent-trades window (oldest evicted first). Default 1024.
    pub trades_max: usize,
    /// Trades older than the newest one by more than this are evicted. Default 1 h.
    pub trade_age_max_ns: i64,
    /// Time constant of the mid-trend signal (see [`crate::signal_state::SignalState`]). Default 60 s.
    pub mid_trend_tau_ns: i64,
}

impl Default for MarketStateConfig {
    fn default() -> Self {
        MarketStateConfig {
            trades_max: 1024,
            trade_age_max_ns: 3_600 * 1_000_000_000,
            mid_trend_tau_ns: 60 * 1_000_000_000,
        }
    }
}

/// Tunables for [`crate::signals::Signals::compute`]; journaled with the rest of the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SignalConfig {
    /// Levels per side summed by the imbalance signal. Default 3.
    pub imbalance_levels: usize,
    /// Window of the trade-flow signal. Default 60 s (chosen with the fair-value blend's
    /// flow weight, STRATEGY.md).
    pub flow_window_ns: i64,
    /// Weight of a fresh model probability in the fair value, 0 ..= 1. Default 0.5.
    pub model_weight: f64,
    /// A model probability older than this is ignored. Default 15 minutes.
    pub model_age_max_ns: i64,
}

impl Default for SignalConfig {
    fn default() -> Self {
        SignalConfig {
            imbalance_levels: 3,
            flow_window_ns: 60 * 1_000_000_000,
            model_weight: 0.5,
            model_age_max_ns: 15 * 60 * 1_000_000_000,
        }
    }
}

/// The blend's weights and clamp (from [`crate::vocab::tuning::Tuning`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BlendSettings {
    /// Weight of the depth imbalance, ppm.
    pub imbalance_weight_ppm: i64,
    /// Weight of the signed trade flow, ppm.
    pub flow_weight_ppm: i64,
    /// Weight of the mid trend, ppm.
    pub trend_weight_ppm: i64,
    /// Weight of a fresh model probability, ppm.
    pub model_weight_ppm: i64,
    /// Largest total shift from `base`, ppm.
    pub max_shift_ppm: i64,
}

impl BlendSettings {
    /// Whether every weight is 0 (fair is `base`).
    pub fn is_off(&self) -> bool {
        self.imbalance_weight_ppm == 0
            && self.flow_weight_ppm == 0
            && self.trend_weight_ppm == 0
            && self.model_weight_ppm == 0
    }
}
