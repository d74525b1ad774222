//! Per-market trading signals: microprice, book imbalance, trade-flow trend, a mid-price trend,
//! and an optional external model probability, blended into a fair value.
//!
//! Signal math uses `f64` with `+ − × ÷` only (no transcendental functions, whose last bits
//! may differ between platforms), and every value that decides anything is quantized to the
//! market's tick grid first ([`Signals::fair_value_price`]). Time arrives only as `ts_ns` /
//! `now_ns` arguments. Prices are in dollars (`0.43` = 43¢).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::book::OrderBook;
use crate::fixed::{MICROS_PER_DOLLAR, Price};
use crate::market_state::MarketState;
use crate::side::BookSide;
use crate::tick_grid::{SnapDirection, TickGrid};

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

/// Tunables for [`Signals::compute`]; journaled with the rest of the configuration.
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

/// Signal state carried between events for one market (held by [`MarketState`]).
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

/// The signals of one market at one instant. Every price is in dollars; `None` means the
/// inputs were missing (invalid or one-sided book, no trades in the window, no model).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// `(bid + ask) / 2` of the best levels.
    pub mid: Option<f64>,
    /// Size-weighted mid: `(bid × ask_size + ask × bid_size) / (bid_size + ask_size)`. Leans
    /// toward the ask when bids outsize asks (buying pressure), and vice versa.
    pub microprice: Option<f64>,
    /// `(B − A) / (B + A)` where `B`, `A` are the sizes of the top `imbalance_levels` levels
    /// per side; in [−1, 1], positive when bids outweigh asks.
    pub imbalance: Option<f64>,
    /// `(taker-buy volume − taker-sell volume) / total volume` over `flow_window_ns`; in
    /// [−1, 1], positive when takers mostly bought YES.
    pub trade_flow: Option<f64>,
    /// Recency-weighted sum of mid changes, dollars (see [`SignalState`]).
    pub mid_trend: f64,
    /// The model probability when younger than `model_age_max_ns`.
    pub model_probability: Option<f64>,
    /// `w × model + (1 − w) × base` where `base` is the microprice (else the mid, else the
    /// last trade price) and `w = model_weight`; just `base` without a fresh model, just the
    /// model without a base; `None` when neither exists.
    pub fair_value: Option<f64>,
}

impl Signals {
    /// Computes every signal of `market` at `now_ns`. Book-derived signals need a valid book.
    pub fn compute(market: &MarketState, now_ns: i64, config: &SignalConfig) -> Signals {
        let book = market.book();
        let (mid, microprice, imbalance) = if book.is_valid() {
            (
                mid(book),
                microprice(book),
                imbalance(book, config.imbalance_levels),
            )
        } else {
            (None, None, None)
        };
        let flow = market.trades_in_window(now_ns, config.flow_window_ns);
        let trade_flow = if flow.volume.centi() > 0 {
            Some(flow.signed_volume.centi() as f64 / flow.volume.centi() as f64)
        } else {
            None
        };
        let state = market.signal_state();
        let model_probability = state
            .model_probability()
            .filter(|model| now_ns.saturating_sub(model.ts_ns) <= config.model_age_max_ns)
            .map(ModelProbability::probability);
        let last_trade = market
            .last_trade()
            .map(|trade| dollars(trade.yes_price.micros()));
        let base = microprice.or(mid).or(last_trade);
        let weight = config.model_weight.clamp(0.0, 1.0);
        let fair_value = match (model_probability, base) {
            (Some(model), Some(base)) => Some(weight * model + (1.0 - weight) * base),
            (Some(model), None) => Some(model),
            (None, base) => base,
        };
        Signals {
            mid,
            microprice,
            imbalance,
            trade_flow,
            mid_trend: state.mid_trend_at(now_ns),
            model_probability,
            fair_value,
        }
    }

    /// The fair value as a valid tick of `grid`, snapped in `direction` (e.g. `Down` for a
    /// price we would pay, `Up` for one we would sell at).
    pub fn fair_value_price(&self, grid: &TickGrid, direction: SnapDirection) -> Option<Price> {
        self.fair_value
            .and_then(|value| quantize(value, grid, direction))
    }
}

/// Rounds a dollar value to whole micro-dollars in `direction` (nearest for `Nearest`), then
/// snaps it to a valid tick of `grid`. `None` for NaN or when no tick exists that way; values
/// outside 0 ..= 1 are clamped first.
pub fn quantize(value: f64, grid: &TickGrid, direction: SnapDirection) -> Option<Price> {
    if value.is_nan() {
        return None;
    }
    let scaled = value * MICROS_PER_DOLLAR as f64;
    let rounded = match direction {
        SnapDirection::Down => scaled.floor(),
        SnapDirection::Up => scaled.ceil(),
        SnapDirection::Nearest => scaled.round(),
    };
    let micros = rounded.clamp(0.0, MICROS_PER_DOLLAR as f64) as i64;
    let price = Price::from_micros(micros).ok()?;
    grid.snap(price, direction)
}

fn dollars(micros: i64) -> f64 {
    micros as f64 / MICROS_PER_DOLLAR as f64
}

fn mid(book: &OrderBook) -> Option<f64> {
    let bid = book.best_bid()?;
    let ask = book.best_ask()?;
    Some((dollars(bid.price.micros()) + dollars(ask.price.micros())) / 2.0)
}

fn microprice(book: &OrderBook) -> Option<f64> {
    let bid = book.best_bid()?;
    let ask = book.best_ask()?;
    let bid_size = bid.size.centi() as f64;
    let ask_size = ask.size.centi() as f64;
    let total = bid_size + ask_size;
    if total <= 0.0 {
        return None;
    }
    Some((dollars(bid.price.micros()) * ask_size + dollars(ask.price.micros()) * bid_size) / total)
}

fn imbalance(book: &OrderBook, levels: usize) -> Option<f64> {
    let bid_depth = book.depth(BookSide::Bid, levels).centi() as f64;
    let ask_depth = book.depth(BookSide::Ask, levels).centi() as f64;
    let total = bid_depth + ask_depth;
    if total <= 0.0 {
        return None;
    }
    Some((bid_depth - ask_depth) / total)
}
