//! Synthetic order flow, seeded and deterministic.
//!
//! Every market has a latent probability that follows a random walk in log-odds space and
//! occasionally jumps. Noise traders rest limit orders around it and cancel them again;
//! informed traders take liquidity when the book is mispriced against it. Flow runs in fixed
//! steps driven by [`Exchange::advance_to`]: each step draws how many actions of each kind
//! happen (Poisson, scaled by the number of markets and the step length) and applies them to
//! randomly chosen markets through the exchange's public order API. Latent probabilities are
//! updated lazily when a market is touched, so a step costs O(actions), not O(markets).
//!
//! The probability math uses `f64`; every price it produces is snapped to the market's tick
//! grid before an order is sent.

use kalshi_core::side::BookSide;
use kalshi_core::tick_grid::SnapDirection;
use kalshi_core::{Count, Money, Price};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::{
    CreateOrderV2, Exchange, ExchangeError, NS_PER_S, SelfTradePrevention, TimeInForce, UserId,
};

/// Stream number separating flow randomness from other uses of the seed.
const FLOW_STREAM: u64 = 0xf10;
/// Nanoseconds per hour.
const HOUR_NS: f64 = 3_600.0 * 1e9;
/// A market's list of noise order ids is swept of ids no longer resting whenever its length
/// reaches a power of two at least this large, so it stays within about twice the market's
/// resting noise orders (cancels prune it only one entry at a time).
const NOISE_IDS_SWEEP_MIN: usize = 256;
/// Latent probabilities stay inside [LATENT_MIN, 1 − LATENT_MIN].
const LATENT_MIN: f64 = 0.01;

/// Flow parameters. Rates are per market per hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowConfig {
    /// Whether synthetic flow runs at all.
    pub enabled: bool,
    /// Step length, ns.
    pub step_ns: i64,
    /// Number of noise traders (separate users).
    pub noise_traders: u32,
    /// Number of informed traders (separate users).
    pub informed_traders: u32,
    /// Starting cash of every synthetic trader.
    pub trader_cash: Money,
    /// Resting orders placed by noise traders, per market per hour.
    pub noise_orders_per_hour: f64,
    /// Cancels by noise traders, per market per hour.
    pub noise_cancels_per_hour: f64,
    /// Mispricing checks by informed traders, per market per hour.
    pub informed_checks_per_hour: f64,
    /// Edge (probability points) an informed trader needs before taking.
    pub informed_edge: f64,
    /// Random-walk volatility in log-odds per √hour.
    pub drift_sigma_per_sqrt_hour: f64,
    /// Jumps per market per hour.
    pub jumps_per_hour: f64,
    /// Jump size (standard deviation) in log-odds.
    pub jump_sigma: f64,
    /// Largest noise order, contracts.
    pub noise_size_max: i64,
    /// Largest informed order, contracts.
    pub informed_size_max: i64,
    /// Furthest a noise order rests from the latent probability (probability points).
    pub noise_offset_max: f64,
}

impl Default for FlowConfig {
    fn default() -> FlowConfig {
        FlowConfig {
            enabled: true,
            step_ns: NS_PER_S / 4,
            noise_traders: 8,
            informed_traders: 2,
            trader_cash: Money::from_micros(1_000_000 * 1_000_000),
            noise_orders_per_hour: 60.0,
            noise_cancels_per_hour: 50.0,
            informed_checks_per_hour: 20.0,
            informed_edge: 0.02,
            drift_sigma_per_sqrt_hour: 0.15,
            jumps_per_hour: 0.1,
            jump_sigma: 1.0,
            noise_size_max: 50,
            informed_size_max: 25,
            noise_offset_max: 0.08,
        }
    }
}

/// Latent state of one market.
#[derive(Debug, Clone, Copy)]
struct Latent {
    log_odds: f64,
    updated_ns: i64,
}

/// Running flow state, owned by the exchange.
#[derive(Debug, Clone)]
pub struct FlowState {
    config: FlowConfig,
    rng: ChaCha8Rng,
    next_step_ns: i64,
    latent: Vec<Latent>,
    noise: Vec<UserId>,
    informed: Vec<UserId>,
    /// Per market, ids of resting noise orders (pruned lazily).
    noise_orders: Vec<Vec<String>>,
}

impl FlowState {
    /// Creates the synthetic traders and draws each market's starting probability.
    pub(crate) fn new(exchange: &mut Exchange, seed: u64) -> Result<FlowState, ExchangeError> {
        let config = exchange.config().flow.clone();
        if config.step_ns <= 0 {
            return Err(ExchangeError::InvalidParameters {
                details: "flow step_ns must be positive".into(),
            });
        }
        if config.noise_traders == 0 && config.informed_traders == 0 {
            return Err(ExchangeError::InvalidParameters {
                details: "flow needs at least one trader".into(),
            });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(FLOW_STREAM);
        let mut noise = Vec::new();
        for k in 0..config.noise_traders {
            noise.push(exchange.add_user_with_history(
                &format!("flow-noise-{k}"),
                config.trader_cash,
                false,
            )?);
        }
        let mut informed = Vec::new();
        for k in 0..config.informed_traders {
            informed.push(exchange.add_user_with_history(
                &format!("flow-informed-{k}"),
                config.trader_cash,
                false,
            )?);
        }
        let start = exchange.now_ns();
        let market_count = exchange.market_count();
        let latent = (0..market_count)
            .map(|_| {
                let p: f64 = rng.gen_range(0.05..0.95);
                Latent {
                    log_odds: (p / (1.0 - p)).ln(),
                    updated_ns: start,
                }
            })
            .collect();
        Ok(FlowState {
            next_step_ns: start + config.step_ns,
            config,
            rng,
            latent,
            noise,
            informed,
            noise_orders: vec![Vec::new(); market_count],
        })
    }

    /// Order ids tracked for cancels, over all markets.
    pub(crate) fn tracked_orders(&self) -> usize {
        self.noise_orders.iter().map(Vec::len).sum()
    }

    /// Time of the next step, ns.
    pub(crate) fn next_step_ns(&self) -> i64 {
        self.next_step_ns
    }

    /// A market's latent probability in parts per million (as last updated).
    pub(crate) fn latent_ppm(&self, market: u32) -> i64 {
        self.latent
            .get(market as usize)
            .map_or(500_000, |l| (probability(l.log_odds) * 1e6).round() as i64)
    }

    /// Runs one step at `step_ns`.
    pub(crate) fn step(&mut self, exchange: &mut Exchange, step_ns: i64) {
        self.next_step_ns = step_ns + self.config.step_ns;
        let markets = exchange.market_count();
        if markets == 0 {
            return;
        }
        // Markets added after start get a latent state on first sight.
        while self.latent.len() < markets {
            let p: f64 = self.rng.gen_range(0.05..0.95);
            self.latent.push(Latent {
                log_odds: (p / (1.0 - p)).ln(),
                updated_ns: step_ns,
            });
            self.noise_orders.push(Vec::new());
        }
        let hours = self.config.step_ns as f64 / HOUR_NS * markets as f64;
        let places = self.poisson(self.config.noise_orders_per_hour * hours);
        let cancels = self.poisson(self.config.noise_cancels_per_hour * hours);
        let checks = self.poisson(self.config.informed_checks_per_hour * hours);
        for _ in 0..places {
            self.noise_place(exchange, step_ns, markets);
        }
        for _ in 0..cancels {
            self.noise_cancel(exchange, step_ns, markets);
        }
        for _ in 0..checks {
            self.informed_check(exchange, step_ns, markets);
        }
    }

    fn pick_market(&mut self, exchange: &Exchange, markets: usize) -> Option<u32> {
        let market = u32::try_from(self.rng.gen_range(0..markets)).ok()?;
        (exchange.market_is_active(market) && !exchange.market_is_quiet(market)).then_some(market)
    }

    /// Brings a market's latent probability forward to `now_ns`; returns it.
    fn latent_at(&mut self, market: u32, now_ns: i64) -> f64 {
        let Some(state) = self.latent.get(market as usize).copied() else {
            return 0.5;
        };
        let hours = ((now_ns - state.updated_ns).max(0)) as f64 / HOUR_NS;
        let mut log_odds = state.log_odds;
        if hours > 0.0 {
            log_odds += self.normal() * self.config.drift_sigma_per_sqrt_hour * hours.sqrt();
            let jump_chance = 1.0 - (-self.config.jumps_per_hour * hours).exp();
            if self.rng.gen_bool(jump_chance.clamp(0.0, 1.0)) {
                log_odds += self.normal() * self.config.jump_sigma;
            }
            let bound = ((1.0 - LATENT_MIN) / LATENT_MIN).ln();
            log_odds = log_odds.clamp(-bound, bound);
        }
        if let Some(slot) = self.latent.get_mut(market as usize) {
            *slot = Latent {
                log_odds,
                updated_ns: now_ns,
            };
        }
        probability(log_odds)
    }

    fn noise_place(&mut self, exchange: &mut Exchange, now_ns: i64, markets: usize) {
        let Some(market) = self.pick_market(exchange, markets) else {
            return;
        };
        let latent = self.latent_at(market, now_ns);
        let side = if self.rng.gen_bool(0.5) {
            BookSide::Bid
        } else {
            BookSide::Ask
        };
        let offset = self
            .rng
            .gen_range(0.0..self.config.noise_offset_max.max(1e-6));
        let (target, direction) = match side {
            BookSide::Bid => (latent - offset, SnapDirection::Down),
            BookSide::Ask => (latent + offset, SnapDirection::Up),
        };
        let Some(price) = exchange.snap_price(market, target, direction) else {
            return;
        };
        let size = self.rng.gen_range(1..=self.config.noise_size_max.max(1));
        let trader =
            self.noise[self.rng.gen_range(0..self.noise.len().max(1)) % self.noise.len().max(1)];
        let Some(ticker) = exchange.market_ticker(market) else {
            return;
        };
        let Ok(count) = Count::from_contracts(size) else {
            return;
        };
        let mut request = CreateOrderV2::limit(&ticker, side, price, count);
        request.self_trade_prevention = SelfTradePrevention::TakerAtCross;
        if let Ok(outcome) = exchange.place_v2(trader, request, now_ns)
            && outcome.order.is_resting()
            && let Some(list) = self.noise_orders.get_mut(market as usize)
        {
            list.push(outcome.order.order_id);
            if list.len() >= NOISE_IDS_SWEEP_MIN && list.len().is_power_of_two() {
                list.retain(|id| exchange.resting_order_owner(id).is_some());
            }
        }
    }

    fn noise_cancel(&mut self, exchange: &mut Exchange, now_ns: i64, markets: usize) {
        let Some(market) = self.pick_market(exchange, markets) else {
            return;
        };
        let Some(list) = self.noise_orders.get_mut(market as usize) else {
            return;
        };
        while !list.is_empty() {
            let at = self.rng.gen_range(0..list.len());
            let order_id = list.swap_remove(at);
            if let Some(owner) = exchange.resting_order_owner(&order_id) {
                let _ = exchange.cancel(owner, None, &order_id, now_ns);
                return;
            }
        }
    }

    fn informed_check(&mut self, exchange: &mut Exchange, now_ns: i64, markets: usize) {
        if self.informed.is_empty() {
            return;
        }
        let Some(market) = self.pick_market(exchange, markets) else {
            return;
        };
        let latent = self.latent_at(market, now_ns);
        let Some((best_bid, best_ask)) = exchange.top_of_book(market) else {
            return;
        };
        let edge = self.config.informed_edge;
        let order = match (best_ask, best_bid) {
            (Some((ask, _)), _) if price_f64(ask) < latent - edge => Some((BookSide::Bid, ask)),
            (_, Some((bid, _))) if price_f64(bid) > latent + edge => Some((BookSide::Ask, bid)),
            _ => None,
        };
        let Some((side, price)) = order else { return };
        let size = self.rng.gen_range(1..=self.config.informed_size_max.max(1));
        let trader = self.informed[self.rng.gen_range(0..self.informed.len())];
        let Some(ticker) = exchange.market_ticker(market) else {
            return;
        };
        let Ok(count) = Count::from_contracts(size) else {
            return;
        };
        let mut request = CreateOrderV2::limit(&ticker, side, price, count);
        request.time_in_force = TimeInForce::ImmediateOrCancel;
        let _ = exchange.place_v2(trader, request, now_ns);
    }

    /// A standard normal draw (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1: f64 = self.rng.gen_range(f64::MIN_POSITIVE..1.0);
        let u2: f64 = self.rng.gen_range(0.0..1.0);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A Poisson draw with mean `lambda` (normal approximation above 30).
    fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 || !lambda.is_finite() {
            return 0;
        }
        if lambda > 30.0 {
            let draw = lambda + lambda.sqrt() * self.normal();
            return draw.round().max(0.0) as u64;
        }
        let limit = (-lambda).exp();
        let mut product: f64 = self.rng.gen_range(0.0..1.0);
        let mut count = 0;
        while product > limit {
            count += 1;
            product *= self.rng.gen_range(0.0..1.0);
        }
        count
    }
}

fn probability(log_odds: f64) -> f64 {
    1.0 / (1.0 + (-log_odds).exp())
}

fn price_f64(price: Price) -> f64 {
    price.micros() as f64 / 1e6
}
