//! Per-market trading signals: microprice, book imbalance, trade-flow trend, a mid-price trend,
//! and an optional external model probability, blended into a fair value.
//!
//! Signal math uses `f64` with `+ − × ÷` only (no transcendental functions, whose last bits
//! may differ between platforms), and every value that decides anything is quantized to the
//! market's tick grid first ([`Signals::fair_value_price`]). Time arrives only as `ts_ns` /
//! `now_ns` arguments. Prices are in dollars (`0.43` = 43¢).

use serde::{Deserialize, Serialize};

use crate::book::OrderBook;
use crate::fixed::{MICROS_PER_DOLLAR, Price};
use crate::market_state::MarketState;
use crate::side::BookSide;
pub use crate::signal_state::{ModelProbability, SignalError, SignalState};
use crate::tick_grid::{SnapDirection, TickGrid};
pub use crate::vocab::settings::SignalConfig;

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
        let model_probability = fresh_model(market, now_ns, config);
        let fair_value = blend_base(market, microprice.or(mid), model_probability, config);
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

    /// Just [`Signals::fair_value`] and [`Signals::model_probability`] of
    /// [`Signals::compute`], without the signals they do not read (imbalance, trade flow, mid
    /// trend): the same values, cheaper.
    pub fn fair_value_and_model(
        market: &MarketState,
        now_ns: i64,
        config: &SignalConfig,
    ) -> (Option<f64>, Option<f64>) {
        let book = market.book();
        let book_base = if book.is_valid() {
            microprice(book).or_else(|| mid(book))
        } else {
            None
        };
        let model_probability = fresh_model(market, now_ns, config);
        (
            blend_base(market, book_base, model_probability, config),
            model_probability,
        )
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

/// The model probability of `market` when younger than `model_age_max_ns` at `now_ns`.
fn fresh_model(market: &MarketState, now_ns: i64, config: &SignalConfig) -> Option<f64> {
    market
        .signal_state()
        .model_probability()
        .filter(|model| now_ns.saturating_sub(model.ts_ns) <= config.model_age_max_ns)
        .map(ModelProbability::probability)
}

/// `w × model + (1 − w) × base`, where `base` is `book_base` (microprice, else mid) or else the
/// last trade price: just `base` without a model, just the model without a base.
fn blend_base(
    market: &MarketState,
    book_base: Option<f64>,
    model: Option<f64>,
    config: &SignalConfig,
) -> Option<f64> {
    let base = book_base.or_else(|| {
        market
            .last_trade()
            .map(|trade| dollars(trade.yes_price.micros()))
    });
    let weight = config.model_weight.clamp(0.0, 1.0);
    match (model, base) {
        (Some(model), Some(base)) => Some(weight * model + (1.0 - weight) * base),
        (Some(model), None) => Some(model),
        (None, base) => base,
    }
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
