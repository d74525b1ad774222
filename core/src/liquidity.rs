//! Two scores the market scanner ranks by: how liquid a market is, and how easy it is to rest
//! maker orders in it.
//!
//! Both use only `+ − × ÷` on `f64`, so they are identical on every platform. Instead of
//! logarithms, each unbounded input `x` is compressed with the saturation curve
//! `sat(x, h) = x / (x + h)`: 0 at `x = 0`, ½ at the half-saturation point `x = h`, → 1 as
//! `x` grows. With weights summing to 100, each score lies in 0 ..= 100.

use serde::{Deserialize, Serialize};

use crate::fixed::{CENTI_PER_CONTRACT, Count};

/// Weights and half-saturation points of the two scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LiquidityWeights {
    /// Weight of recent trade count in the liquidity score. Default 30.
    pub trades_weight: f64,
    /// Trade count worth half the trades weight. Default 20.
    pub trades_half: f64,
    /// Weight of 24 h volume. Default 30.
    pub volume_weight: f64,
    /// 24 h volume (contracts) worth half the volume weight. Default 1 000.
    pub volume_half_contracts: f64,
    /// Weight of depth at the touch (the thinner side). Default 20.
    pub depth_weight: f64,
    /// Touch depth (contracts) worth half the depth weight. Default 100.
    pub depth_half_contracts: f64,
    /// Weight of spread tightness `1 / spread_ticks`. Default 20.
    pub tightness_weight: f64,
    /// Weight of room inside the spread in the maker-ease score. Default 50.
    pub maker_room_weight: f64,
    /// Ticks of room inside the spread worth half the room weight. Default 2.
    pub maker_room_half_ticks: f64,
    /// Weight of touch-queue turnover in the maker-ease score. Default 50.
    pub maker_turnover_weight: f64,
}

impl Default for LiquidityWeights {
    fn default() -> Self {
        LiquidityWeights {
            trades_weight: 30.0,
            trades_half: 20.0,
            volume_weight: 30.0,
            volume_half_contracts: 1_000.0,
            depth_weight: 20.0,
            depth_half_contracts: 100.0,
            tightness_weight: 20.0,
            maker_room_weight: 50.0,
            maker_room_half_ticks: 2.0,
            maker_turnover_weight: 50.0,
        }
    }
}

/// What the scores look at for one market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LiquidityInputs {
    /// Public trades in the scanner's recent window, when known.
    pub recent_trade_count: Option<u32>,
    /// Best ask minus best bid in ticks of the market's grid, when both sides exist.
    pub spread_ticks: Option<i64>,
    /// Contracts traded in the last 24 h.
    pub volume_24h: Count,
    /// Size at the best bid.
    pub bid_size: Count,
    /// Size at the best ask.
    pub ask_size: Count,
}

/// `x / (x + h)`, 0 for non-positive `x`; 1 when `h ≤ 0` and `x > 0`.
pub fn saturation(value: f64, half: f64) -> f64 {
    if value.is_nan() || value <= 0.0 {
        return 0.0;
    }
    if half <= 0.0 {
        return 1.0;
    }
    value / (value + half)
}

fn contracts(count: Count) -> f64 {
    count.centi() as f64 / CENTI_PER_CONTRACT as f64
}

/// Liquidity score, 0 ..= 100 with default weights:
///
/// `trades_weight × sat(recent_trades, trades_half)`
/// `+ volume_weight × sat(volume_24h, volume_half_contracts)`
/// `+ depth_weight × sat(min(bid_size, ask_size), depth_half_contracts)`
/// `+ tightness_weight × 1 / spread_ticks`
///
/// An unknown trade count or spread contributes 0 (missing data never helps a market).
pub fn liquidity_score(inputs: &LiquidityInputs, weights: &LiquidityWeights) -> f64 {
    let trades = inputs.recent_trade_count.map_or(0.0, f64::from);
    let touch_depth = contracts(inputs.bid_size.min(inputs.ask_size));
    let tightness = match inputs.spread_ticks {
        Some(ticks) if ticks > 0 => 1.0 / ticks as f64,
        _ => 0.0,
    };
    weights.trades_weight * saturation(trades, weights.trades_half)
        + weights.volume_weight
            * saturation(contracts(inputs.volume_24h), weights.volume_half_contracts)
        + weights.depth_weight * saturation(touch_depth, weights.depth_half_contracts)
        + weights.tightness_weight * tightness
}

/// Maker-ease score, 0 ..= 100 with default weights: how readily a resting order gets
/// placed ahead of others and then filled.
///
/// `maker_room_weight × sat(spread_ticks − 1, maker_room_half_ticks)` — ticks strictly inside
/// the spread where a new best quote can be placed (0 on a one-tick spread, where we must join
/// the queue);
/// `+ maker_turnover_weight × hourly / (hourly + queue)` — with `hourly = volume_24h / 24`
/// and `queue` the mean size at the touch, the share of flow that outruns the queue we would
/// stand behind (1 with no queue, → 0 as the queue dwarfs the flow; 0 with no volume).
pub fn maker_ease_score(inputs: &LiquidityInputs, weights: &LiquidityWeights) -> f64 {
    let room = match inputs.spread_ticks {
        Some(ticks) if ticks > 1 => saturation((ticks - 1) as f64, weights.maker_room_half_ticks),
        _ => 0.0,
    };
    let hourly = contracts(inputs.volume_24h) / 24.0;
    let queue = (contracts(inputs.bid_size) + contracts(inputs.ask_size)) / 2.0;
    let turnover = if hourly > 0.0 {
        hourly / (hourly + queue)
    } else {
        0.0
    };
    weights.maker_room_weight * room + weights.maker_turnover_weight * turnover
}
