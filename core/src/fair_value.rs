//! The fair value the strategy and the EV gate decide with: the book's fair value (today's
//! microprice) shifted by weighted signals.
//!
//! ```text
//! fair = base + clamp(w_imb × imbalance_adj + w_flow × flow_adj + w_trend × trend_adj
//!                     + w_model × model_adj, ±max_shift)
//! ```
//!
//! - `base`: the microprice (else the mid, else the last trade), quantized to ppm exactly as
//!   before the blend existed ([`crate::signals::Signals`]). While the blend's model weight is
//!   0, `base` also carries the older `engine.signals.model_weight` blend with a fresh model.
//! - `imbalance_adj = (B − A)/(B + A) × half_spread`: `B`, `A` the sizes of the top
//!   `engine.signals.imbalance_levels` levels per side. Full bid-side depth moves fair half a
//!   spread up at weight 1.
//! - `flow_adj = (buy − sell)/(buy + sell) × half_spread`: taker volume over
//!   `engine.signals.flow_window_ns`. Takers who only bought move fair half a spread up at
//!   weight 1.
//! - `trend_adj`: the recency-weighted sum of mid moves in micro-dollars
//!   ([`crate::signals::SignalState::mid_trend_micros_at`], time constant
//!   `engine.market_state.mid_trend_tau_ns`).
//! - `model_adj = model − base`: a model probability younger than
//!   `engine.signals.model_age_max_ns`. With a non-zero weight here the older
//!   `engine.signals.model_weight` is not applied (this weight wins); at 0 it still is.
//!
//! Weights are parts per million (1 000 000 = 1). The summed shift is clamped to
//! `±max_shift_ppm`, may not carry fair past the opposite touch (a shift up stops at the best
//! ask, a shift down at the best bid, unless `base` already lay beyond it), and fair stays in
//! 0 ..= 1. Every step is integer arithmetic with products in `i128`, each weighted term
//! rounded toward zero. With every weight 0 the shift is 0 and fair is `base`, bit for bit.

use crate::ev_gate::FairSource;
use crate::fixed::MICROS_PER_DOLLAR;
use crate::market_state::MarketState;
use crate::side::BookSide;
use crate::signals::{SignalConfig, Signals};
pub use crate::vocab::ev::FairValue;
pub use crate::vocab::settings::BlendSettings;

/// Parts per million in one (also micro-dollars per dollar: a YES probability in ppm is a
/// price in micro-dollars).
const PPM_PER_ONE: i64 = 1_000_000;

/// Everything the blend reads, as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlendInputs {
    /// The book's fair value, ppm (see the module documentation).
    pub base_ppm: u32,
    /// Best bid and best ask, micro-dollars, when the book is valid and two-sided.
    pub touch_micros: Option<(i64, i64)>,
    /// Bid-side and ask-side depth over the imbalance levels, centi-contracts.
    pub depth_centi: (i64, i64),
    /// Taker-buy minus taker-sell volume in the flow window, centi-contracts.
    pub flow_signed_centi: i64,
    /// Total volume in the flow window, centi-contracts.
    pub flow_volume_centi: i64,
    /// Mid trend, micro-dollars.
    pub mid_trend_micros: i64,
    /// A fresh model probability, ppm.
    pub model_ppm: Option<u32>,
}

/// `weight_ppm × numerator / denominator / 1 000 000`, rounded toward zero; 0 for a zero
/// denominator.
fn weighted(weight_ppm: i64, numerator: i128, denominator: i128) -> i64 {
    if denominator == 0 {
        return 0;
    }
    let value = i128::from(weight_ppm) * numerator / (denominator * i128::from(PPM_PER_ONE));
    let bound = i128::from(PPM_PER_ONE) * 4;
    // Every term is bounded by the weights' range times one dollar; clamp before narrowing.
    i64::try_from(value.clamp(-bound, bound)).unwrap_or(0)
}

/// Blends `inputs` with `settings` (pure integer arithmetic; see the module documentation).
pub fn blend(inputs: &BlendInputs, settings: &BlendSettings, source: FairSource) -> FairValue {
    let base = i64::from(inputs.base_ppm);
    let spread_micros = inputs
        .touch_micros
        .map_or(0, |(bid, ask)| (ask - bid).max(0));
    let (bid_depth, ask_depth) = inputs.depth_centi;
    // Half a spread per unit of imbalance: × spread / 2.
    let imbalance_ppm = weighted(
        settings.imbalance_weight_ppm,
        i128::from(bid_depth - ask_depth) * i128::from(spread_micros),
        2 * i128::from(bid_depth + ask_depth),
    );
    let flow_ppm = weighted(
        settings.flow_weight_ppm,
        i128::from(inputs.flow_signed_centi) * i128::from(spread_micros),
        2 * i128::from(inputs.flow_volume_centi),
    );
    let trend_ppm = weighted(
        settings.trend_weight_ppm,
        i128::from(inputs.mid_trend_micros),
        1,
    );
    let model_ppm = inputs.model_ppm.map_or(0, |model| {
        weighted(
            settings.model_weight_ppm,
            i128::from(i64::from(model) - base),
            1,
        )
    });
    let max_shift = settings.max_shift_ppm.max(0);
    let shift = (imbalance_ppm + flow_ppm + trend_ppm + model_ppm).clamp(-max_shift, max_shift);
    let mut fair = base + shift;
    if let Some((bid, ask)) = inputs.touch_micros {
        if shift > 0 {
            fair = fair.min(ask.max(base));
        } else if shift < 0 {
            fair = fair.max(bid.min(base));
        }
    }
    let fair = fair.clamp(0, PPM_PER_ONE);
    FairValue {
        base_ppm: inputs.base_ppm,
        imbalance_ppm,
        flow_ppm,
        trend_ppm,
        model_ppm,
        // In 0 ..= 1 000 000 after the clamp.
        fair_ppm: u32::try_from(fair).unwrap_or(inputs.base_ppm),
        source,
    }
}

/// The fair value of `market` at `now_ns`: `None` when there is no base (no valid book, no
/// trade) and no fresh model.
pub fn fair_value(
    market: &MarketState,
    now_ns: i64,
    config: &SignalConfig,
    settings: &BlendSettings,
) -> Option<FairValue> {
    let base_config = if settings.model_weight_ppm != 0 {
        // The blend's model weight replaces the older one.
        SignalConfig {
            model_weight: 0.0,
            ..*config
        }
    } else {
        *config
    };
    let (fair, model) = Signals::fair_value_and_model(market, now_ns, &base_config);
    let base_ppm = fair.and_then(probability_ppm)?;
    let source = if model.is_some() {
        FairSource::Model
    } else {
        FairSource::Book
    };
    let mut inputs = BlendInputs {
        base_ppm,
        ..BlendInputs::default()
    };
    if settings.is_off() {
        return Some(blend(&inputs, settings, source));
    }
    let book = market.book();
    if book.is_valid()
        && let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask())
    {
        inputs.touch_micros = Some((bid.price.micros(), ask.price.micros()));
        inputs.depth_centi = (
            book.depth(BookSide::Bid, config.imbalance_levels).centi(),
            book.depth(BookSide::Ask, config.imbalance_levels).centi(),
        );
    }
    let flow = market.trades_in_window(now_ns, config.flow_window_ns);
    inputs.flow_signed_centi = flow.signed_volume.centi();
    inputs.flow_volume_centi = flow.volume.centi();
    let state = market.signal_state();
    inputs.mid_trend_micros = state.mid_trend_micros_at(now_ns);
    inputs.model_ppm = state
        .model_probability()
        .filter(|model| now_ns.saturating_sub(model.ts_ns) <= config.model_age_max_ns)
        .map(|model| model.probability_ppm);
    Some(blend(&inputs, settings, source))
}

/// Quantizes a fair value in dollars to parts per million (nearest), within 0 ..= 1.
pub fn probability_ppm(value: f64) -> Option<u32> {
    if !value.is_finite() {
        return None;
    }
    let scaled = (value * MICROS_PER_DOLLAR as f64)
        .round()
        .clamp(0.0, MICROS_PER_DOLLAR as f64);
    // In range after the clamp, so the conversion is exact.
    Some(scaled as u32)
}
