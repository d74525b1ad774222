//! The engine's effective configuration. It reaches the engine as the first journaled event of
//! a run (`Event::Config`), so replay always uses exactly what the live run used (DESIGN.md §3.5).
//!
//! Every section has documented defaults via `Default`, and `#[serde(default)]` lets a config
//! file name only what it changes. [`EngineConfig::validate`] refuses nonsense with a typed
//! error before the engine accepts it.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::client_order_id::RunId;
use crate::fixed::{Count, Money};
use crate::vocab::scanner::ScannerConfig;
use crate::vocab::settings::MarketStateConfig;
use crate::vocab::settings::SignalConfig;

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A field is outside the range it must lie in.
    #[error("config field `{field}` is {value}; {expected}")]
    OutOfRange {
        /// Dotted path of the field.
        field: &'static str,
        /// The refused value, as text.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
}

/// Everything the engine needs to trade, journaled at run start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EngineConfig {
    /// Identifier of this run; the stem of every client order id.
    pub run_id: RunId,
    /// Quoting strategy parameters.
    pub strategy: MakerLadderConfig,
    /// Expected-value gate parameters.
    pub ev_gate: EvGateConfig,
    /// Risk limits.
    pub risk: RiskLimits,
    /// Order fields that apply to every request.
    pub orders: OrderDefaults,
    /// Market scanner thresholds: which listed markets are worth quoting.
    pub scanner: ScannerConfig,
    /// Most markets quoted at once (the scanner's best). Default 10.
    pub quoted_markets_max: u32,
    /// Signal tunables (fair value blend, windows).
    pub signals: SignalConfig,
    /// Per-market state bounds (trade window, trend time constant).
    pub market_state: MarketStateConfig,
    /// Balance target precision for fee rounding, micro-dollars: 10 000 ($0.01) for
    /// non-direct members (the default), 100 ($0.0001) for direct members.
    pub fee_target_precision_micros: i64,
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            run_id: RunId::default(),
            strategy: MakerLadderConfig::default(),
            ev_gate: EvGateConfig::default(),
            risk: RiskLimits::default(),
            orders: OrderDefaults::default(),
            scanner: ScannerConfig::default(),
            quoted_markets_max: 10,
            signals: SignalConfig {
                model_weight: 1.0,
                ..SignalConfig::default()
            },
            market_state: MarketStateConfig::default(),
            fee_target_precision_micros: 10_000,
        }
    }
}

/// Parameters of the maker ladder strategy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MakerLadderConfig {
    /// Rungs per side, 2 or 3. Default 3.
    pub rungs_per_side: u32,
    /// Distance between neighbouring rungs, in ticks. Default 1.
    pub rung_spacing_ticks: u32,
    /// Distance of the innermost rung from the (skewed) fair value, in ticks. Default 1.
    pub fair_offset_ticks: u32,
    /// Size of a rung before depth scaling. Default 5 contracts.
    pub base_size: Count,
    /// Extra size as a fraction of visible same-side depth, parts per million. Default 2 %.
    pub depth_fraction_ppm: u32,
    /// How many best levels count as visible depth. Default 5.
    pub depth_levels: u32,
    /// Largest rung. Default 25 contracts.
    pub size_cap: Count,
    /// Reservation-price shift per contract of inventory, micro-dollars. Default 200 (0.02¢).
    pub inventory_skew_micros_per_contract: i64,
    /// Inventory at which the side adding to it is sized to zero. Default 100 contracts.
    pub inventory_soft_limit: Count,
    /// Requote when fair value moved at least this many ticks. Default 1.
    pub reprice_fair_ticks: u32,
    /// Requote when the best bid or ask moved at least this many ticks. Default 1.
    pub reprice_touch_ticks: u32,
    /// Requote when the ladder is older than this, ns. Default 30 s.
    pub rung_age_max_ns: i64,
    /// Cancel the whole market when the best achievable edge per contract falls below this,
    /// micro-dollars (below the EV gate's minimum, for hysteresis). Default 0.
    pub edge_decay_cancel_micros: i64,
    /// Stop opening this long before close, ns. Default 10 minutes.
    pub wind_down_before_close_ns: i64,
    /// In wind-down, send an IOC reduce-only order at the touch to flatten. Default off.
    pub wind_down_exit_ioc: bool,
}

impl Default for MakerLadderConfig {
    fn default() -> MakerLadderConfig {
        MakerLadderConfig {
            rungs_per_side: 3,
            rung_spacing_ticks: 1,
            fair_offset_ticks: 1,
            base_size: Count::from_centi(500).unwrap_or(Count::ZERO),
            depth_fraction_ppm: 20_000,
            depth_levels: 5,
            size_cap: Count::from_centi(2_500).unwrap_or(Count::ZERO),
            inventory_skew_micros_per_contract: 200,
            inventory_soft_limit: Count::from_centi(10_000).unwrap_or(Count::ZERO),
            reprice_fair_ticks: 1,
            reprice_touch_ticks: 1,
            rung_age_max_ns: 30_000_000_000,
            edge_decay_cancel_micros: 0,
            wind_down_before_close_ns: 600_000_000_000,
            wind_down_exit_ioc: false,
        }
    }
}

/// Parameters of the expected-value gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvGateConfig {
    /// Least EV per contract an order must have, micro-dollars. Default 5 000 (0.5¢).
    pub min_edge_micros: i64,
    /// Expected slippage per contract for orders that take liquidity. Default 2 000.
    pub taker_slippage_micros: i64,
    /// Adverse-selection allowance per contract (being filled is bad news). Default 3 000.
    pub adverse_selection_micros: i64,
}

impl Default for EvGateConfig {
    fn default() -> EvGateConfig {
        EvGateConfig {
            min_edge_micros: 5_000,
            taker_slippage_micros: 2_000,
            adverse_selection_micros: 3_000,
        }
    }
}

/// Hard limits enforced by the risk gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RiskLimits {
    /// Largest single order, contracts. Default 50.
    pub order_contracts_max: Count,
    /// Largest single order, dollars paid (YES price for bids, NO price for asks). Default $25.
    pub order_notional_max: Money,
    /// Largest worst-case position in one market (position plus resting orders). Default 200.
    pub market_position_max: Count,
    /// Largest worst-case position summed over one event's markets. Default 400.
    pub event_position_max: Count,
    /// Largest money at risk over the account (position cost plus resting orders). Default $1 000.
    pub account_exposure_max: Money,
    /// Most open orders in one market. Default 8.
    pub open_orders_per_market_max: u32,
    /// Farthest a limit price may sit from fair value, micro-dollars. Default 100 000 (10¢).
    pub price_collar_micros: i64,
    /// Sustained order-request rate (places and amends), per second. Default 5.
    pub order_rate_per_second: u32,
    /// Burst size of the order-request budget. Default 10.
    pub order_rate_burst: u32,
    /// Daily loss (realized + marked, after fees) that halts trading. Default $100.
    pub daily_loss_stop: Money,
    /// Daily loss that switches to reduce-only. Default $50.
    pub daily_loss_reducing: Money,
    /// Our matched contracts within `fill_burst_window_ms` that trip the local fill-burst
    /// breaker: every quote is cancelled in that step and nothing is placed until the
    /// cooldown has passed and the window is back below this. Default 100 contracts.
    pub fill_burst_contracts_max: Count,
    /// The breaker's rolling window, ms. At least the exchange order group's 15 s when an
    /// order group limit is set. Default 15 000.
    pub fill_burst_window_ms: i64,
    /// Least time the breaker stays tripped, ms. Default 60 000.
    pub fill_burst_cooldown_ms: i64,
}

impl Default for RiskLimits {
    fn default() -> RiskLimits {
        RiskLimits {
            order_contracts_max: Count::from_centi(5_000).unwrap_or(Count::ZERO),
            order_notional_max: Money::from_micros(25_000_000),
            market_position_max: Count::from_centi(20_000).unwrap_or(Count::ZERO),
            event_position_max: Count::from_centi(40_000).unwrap_or(Count::ZERO),
            account_exposure_max: Money::from_micros(1_000_000_000),
            open_orders_per_market_max: 8,
            price_collar_micros: 100_000,
            order_rate_per_second: 5,
            order_rate_burst: 10,
            daily_loss_stop: Money::from_micros(100_000_000),
            daily_loss_reducing: Money::from_micros(50_000_000),
            fill_burst_contracts_max: Count::from_centi(10_000).unwrap_or(Count::ZERO),
            fill_burst_window_ms: ORDER_GROUP_WINDOW_MS,
            fill_burst_cooldown_ms: 60_000,
        }
    }
}

/// Self-trade prevention mode sent with every order (required by the V2 endpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelfTradePrevention {
    /// Cancel the incoming order's remainder (Kalshi's default).
    TakerAtCross,
    /// Cancel our resting order and keep matching.
    Maker,
}

impl SelfTradePrevention {
    /// Wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            SelfTradePrevention::TakerAtCross => "taker_at_cross",
            SelfTradePrevention::Maker => "maker",
        }
    }
}

/// Fields applied to every order request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderDefaults {
    /// Self-trade prevention mode. Default `taker_at_cross`.
    pub self_trade_prevention: SelfTradePrevention,
    /// Ask Kalshi to cancel resting orders when trading pauses. Default on.
    pub cancel_order_on_pause: bool,
    /// Order group (exchange-side kill switch) to attach quotes to. Default none.
    pub order_group_id: Option<String>,
    /// The contracts limit the runtime creates the order group with (matched contracts per
    /// rolling 15 s; past it the exchange cancels the whole group). Default none.
    ///
    /// When set, validation requires `risk.fill_burst_contracts_max + risk.order_contracts_max
    /// <= order_group_contracts_limit` (and a breaker window of at least 15 s). Why that
    /// bound: the local breaker trips on the first fill that brings our window tally to
    /// `fill_burst_contracts_max`, so before that fill the tally was below it; one fill comes
    /// from one order, which carries at most `order_contracts_max`; so the tally after the
    /// tripping fill — one more order filling completely after the last fill below the
    /// threshold — stays within the group limit, and the breaker cancels everything in that
    /// same step. The residual case: several of our orders matched by one aggressive sweep
    /// (several rungs at once, reported in one burst of messages before our cancels land) can
    /// still add more than one order's size after the threshold.
    pub order_group_contracts_limit: Option<Count>,
}

/// Fewest rungs per side `strategy.rungs_per_side` accepts.
pub const RUNGS_PER_SIDE_MIN: u32 = 2;
/// Most rungs per side `strategy.rungs_per_side` accepts.
pub const RUNGS_PER_SIDE_MAX: u32 = 3;

/// The exchange order group's rolling window, ms.
pub const ORDER_GROUP_WINDOW_MS: i64 = 15_000;

impl Default for OrderDefaults {
    fn default() -> OrderDefaults {
        OrderDefaults {
            self_trade_prevention: SelfTradePrevention::TakerAtCross,
            cancel_order_on_pause: true,
            order_group_id: None,
            order_group_contracts_limit: None,
        }
    }
}

impl EngineConfig {
    /// Checks every field against the range it must lie in.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let s = &self.strategy;
        check(
            s.rungs_per_side,
            (RUNGS_PER_SIDE_MIN..=RUNGS_PER_SIDE_MAX).contains(&s.rungs_per_side),
            "strategy.rungs_per_side",
            "expected 2 or 3",
        )?;
        check(
            s.rung_spacing_ticks,
            s.rung_spacing_ticks >= 1,
            "strategy.rung_spacing_ticks",
            "expected at least 1",
        )?;
        check(
            s.base_size,
            !s.base_size.is_zero(),
            "strategy.base_size",
            "expected more than zero",
        )?;
        check(
            s.size_cap,
            s.size_cap >= s.base_size,
            "strategy.size_cap",
            "expected at least base_size",
        )?;
        check(
            s.depth_fraction_ppm,
            s.depth_fraction_ppm <= 1_000_000,
            "strategy.depth_fraction_ppm",
            "expected 0..=1000000",
        )?;
        check(
            s.inventory_skew_micros_per_contract,
            s.inventory_skew_micros_per_contract >= 0,
            "strategy.inventory_skew_micros_per_contract",
            "expected zero or more",
        )?;
        check(
            s.rung_age_max_ns,
            s.rung_age_max_ns > 0,
            "strategy.rung_age_max_ns",
            "expected more than zero",
        )?;
        check(
            s.wind_down_before_close_ns,
            s.wind_down_before_close_ns >= 0,
            "strategy.wind_down_before_close_ns",
            "expected zero or more",
        )?;
        let e = &self.ev_gate;
        check(
            e.taker_slippage_micros,
            e.taker_slippage_micros >= 0,
            "ev_gate.taker_slippage_micros",
            "expected zero or more",
        )?;
        check(
            e.adverse_selection_micros,
            e.adverse_selection_micros >= 0,
            "ev_gate.adverse_selection_micros",
            "expected zero or more",
        )?;
        let r = &self.risk;
        check(
            r.order_contracts_max,
            !r.order_contracts_max.is_zero(),
            "risk.order_contracts_max",
            "expected more than zero",
        )?;
        check(
            r.order_notional_max,
            r.order_notional_max > Money::ZERO,
            "risk.order_notional_max",
            "expected more than zero",
        )?;
        check(
            r.price_collar_micros,
            r.price_collar_micros > 0,
            "risk.price_collar_micros",
            "expected more than zero",
        )?;
        check(
            r.order_rate_burst,
            r.order_rate_burst >= 1,
            "risk.order_rate_burst",
            "expected at least 1",
        )?;
        check(
            r.daily_loss_stop,
            r.daily_loss_stop > Money::ZERO,
            "risk.daily_loss_stop",
            "expected more than zero",
        )?;
        check(
            r.daily_loss_reducing,
            r.daily_loss_reducing > Money::ZERO && r.daily_loss_reducing <= r.daily_loss_stop,
            "risk.daily_loss_reducing",
            "expected more than zero and at most daily_loss_stop",
        )?;
        check(
            r.fill_burst_contracts_max,
            !r.fill_burst_contracts_max.is_zero(),
            "risk.fill_burst_contracts_max",
            "expected more than zero",
        )?;
        check(
            r.fill_burst_window_ms,
            r.fill_burst_window_ms > 0,
            "risk.fill_burst_window_ms",
            "expected more than zero",
        )?;
        check(
            r.fill_burst_cooldown_ms,
            r.fill_burst_cooldown_ms >= 0,
            "risk.fill_burst_cooldown_ms",
            "expected zero or more",
        )?;
        if let Some(group_limit) = self.orders.order_group_contracts_limit {
            check(
                group_limit,
                r.fill_burst_contracts_max + r.order_contracts_max <= group_limit,
                "orders.order_group_contracts_limit",
                "expected at least risk.fill_burst_contracts_max + risk.order_contracts_max",
            )?;
            check(
                r.fill_burst_window_ms,
                r.fill_burst_window_ms >= ORDER_GROUP_WINDOW_MS,
                "risk.fill_burst_window_ms",
                "expected at least 15000 (the order group's window) when an order group limit is set",
            )?;
        }
        check(
            self.fee_target_precision_micros,
            matches!(self.fee_target_precision_micros, 100 | 10_000),
            "fee_target_precision_micros",
            "expected 100 (direct member) or 10000",
        )?;
        Ok(())
    }
}

fn check<T: std::fmt::Display>(
    value: T,
    ok: bool,
    field: &'static str,
    expected: &'static str,
) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            value: value.to_string(),
            expected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(EngineConfig::default().validate(), Ok(()));
    }

    #[test]
    fn a_partial_file_fills_in_defaults() {
        let config: EngineConfig =
            serde_json::from_str(r#"{"strategy":{"rungs_per_side":2}}"#).unwrap();
        assert_eq!(config.strategy.rungs_per_side, 2);
        assert_eq!(config.strategy.rung_spacing_ticks, 1);
        assert_eq!(config.risk, RiskLimits::default());
    }

    #[test]
    fn out_of_range_fields_are_named() {
        let mut config = EngineConfig::default();
        config.strategy.rungs_per_side = 4;
        assert!(matches!(
            config.validate(),
            Err(ConfigError::OutOfRange {
                field: "strategy.rungs_per_side",
                ..
            })
        ));
        let mut config = EngineConfig::default();
        // 100 (breaker) + 50 (one order) would take a 120-contract group over its limit.
        config.orders.order_group_contracts_limit = Some(Count::from_centi(12_000).unwrap());
        assert!(matches!(
            config.validate(),
            Err(ConfigError::OutOfRange {
                field: "orders.order_group_contracts_limit",
                ..
            })
        ));
        config.orders.order_group_contracts_limit = Some(Count::from_centi(15_000).unwrap());
        assert_eq!(config.validate(), Ok(()));
        config.risk.fill_burst_window_ms = 10_000;
        assert!(matches!(
            config.validate(),
            Err(ConfigError::OutOfRange {
                field: "risk.fill_burst_window_ms",
                ..
            })
        ));
        let mut config = EngineConfig::default();
        config.risk.daily_loss_reducing = Money::from_micros(200_000_000);
        assert!(matches!(
            config.validate(),
            Err(ConfigError::OutOfRange {
                field: "risk.daily_loss_reducing",
                ..
            })
        ));
    }
}
