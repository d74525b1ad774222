//! The 2026 balance rounding (kalshi-api.md §9.3): how a fill's exact `trade_fee` and cash
//! flow become a balance change at the account's target precision, with the sub-precision
//! remainder charged as a rounding fee and returned as $0.01 rebates per order.
//!
//! For each fill:
//! 1. `trade_fee` = the formula rounded up to $0.0001 ([`FeeSchedule::trade_fee`]);
//! 2. `balance_change = revenue − trade_fee`, revenue being `−C × price paid`;
//! 3. `applied` = `balance_change` floored (toward −∞) to the target precision;
//! 4. `rounding_fee = balance_change − applied`;
//! 5. the order's accumulator adds `rounding_fee`; when it **reaches** $0.01 (`>=`), a
//!    $0.01 rebate is credited and $0.01 subtracted. Kalshi does not say whether exactly
//!    $0.01 fires; `>=` is chosen because it makes the documented example hold — four 1-lot
//!    taker fills at $0.50 cost $0.07 in total, the same as one 4-lot fill;
//! 6. `net_fee = trade_fee + rounding_fee − rebate`, never below zero; the balance moves by
//!    `applied + rebate`.

use serde::{Deserialize, Serialize};

use super::{CENT_MICROS, FeeError, FeeSchedule, Liquidity};
use crate::fixed::{Count, Money, Price};
use crate::side::BookSide;

/// The rebate credited each time an order's accumulated rounding fees reach it: $0.01.
pub const REBATE_MICROS: i64 = CENT_MICROS;

/// The precision an account's balance is kept at: $0.0001 for direct members, $0.01 (the
/// default) for everyone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TargetPrecision {
    unit_micros: i64,
}

impl TargetPrecision {
    /// $0.0001: direct members.
    pub const DIRECT_MEMBER: TargetPrecision = TargetPrecision { unit_micros: 100 };
    /// $0.01: everyone else (the default).
    pub const STANDARD: TargetPrecision = TargetPrecision {
        unit_micros: 10_000,
    };

    /// A custom precision in micro-dollars; it must be a positive divisor of $0.01 so that at
    /// most one rebate can fall due per fill.
    pub fn from_micros(unit_micros: i64) -> Result<TargetPrecision, FeeError> {
        if unit_micros <= 0 || REBATE_MICROS % unit_micros != 0 {
            return Err(FeeError::InvalidTargetPrecision {
                precision_micros: unit_micros,
            });
        }
        Ok(TargetPrecision { unit_micros })
    }

    /// The precision in micro-dollars.
    pub const fn unit_micros(self) -> i64 {
        self.unit_micros
    }
}

impl Default for TargetPrecision {
    fn default() -> TargetPrecision {
        TargetPrecision::STANDARD
    }
}

/// What was executed in one fill, as the fee engine needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FillTerms {
    /// Our side: `Bid` bought YES at the YES price; `Ask` bought NO at `1 − YES price`.
    pub side: BookSide,
    /// Execution YES price.
    pub yes_price: Price,
    /// Contracts filled.
    pub count: Count,
    /// Whether the fill made or took liquidity.
    pub liquidity: Liquidity,
}

impl FillTerms {
    /// The price we paid per contract: the YES price for a YES buyer, its complement for a
    /// NO buyer.
    pub const fn price_paid(&self) -> Price {
        match self.side {
            BookSide::Bid => self.yes_price,
            BookSide::Ask => self.yes_price.complement(),
        }
    }
}

/// The fee and balance accounting of one fill under the 2026 rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FillCharge {
    /// The formula rounded up to $0.0001.
    pub trade_fee: Money,
    /// Signed cash flow of the trade itself (`−C × price paid`).
    pub revenue: Money,
    /// `revenue − trade_fee`, before precision rounding.
    pub balance_change: Money,
    /// What flooring to the target precision took (`0 ≤ rounding_fee < precision`).
    pub rounding_fee: Money,
    /// $0.01 when this fill brought the order's accumulator to $0.01, else zero.
    pub rebate: Money,
    /// `trade_fee + rounding_fee − rebate`, floored at zero.
    pub net_fee: Money,
    /// What the balance actually moves by: floored `balance_change` plus `rebate`.
    pub balance_applied: Money,
}

/// The rounding fees one order has accumulated and not yet had rebated. Keep one per order,
/// shared by all of its fills, taker and maker alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct RoundingAccumulator {
    accumulated_micros: i64,
}

impl RoundingAccumulator {
    /// An empty accumulator for a new order.
    pub const fn new() -> RoundingAccumulator {
        RoundingAccumulator {
            accumulated_micros: 0,
        }
    }

    /// Rounding fees charged to the order and not yet rebated (always below $0.01).
    pub const fn accumulated(&self) -> Money {
        Money::from_micros(self.accumulated_micros)
    }

    /// Charges one fill of this order under `schedule` at `precision`, updating the
    /// accumulator. On error the accumulator is left unchanged.
    pub fn charge_fill(
        &mut self,
        schedule: &FeeSchedule,
        precision: TargetPrecision,
        fill: &FillTerms,
    ) -> Result<FillCharge, FeeError> {
        let trade_fee = schedule.trade_fee(fill.liquidity, fill.yes_price, fill.count)?;
        let revenue = -Money::notional(fill.price_paid(), fill.count);
        let balance_change = revenue - trade_fee;
        let unit_micros = precision.unit_micros();
        let applied =
            Money::from_micros(balance_change.micros().div_euclid(unit_micros) * unit_micros);
        let rounding_fee = balance_change - applied;

        let accumulated_micros = self.accumulated_micros + rounding_fee.micros();
        let rebate_micros = if accumulated_micros >= REBATE_MICROS {
            REBATE_MICROS
        } else {
            0
        };
        self.accumulated_micros = accumulated_micros - rebate_micros;

        let rebate = Money::from_micros(rebate_micros);
        let net_fee = (trade_fee + rounding_fee - rebate).max(Money::ZERO);
        Ok(FillCharge {
            trade_fee,
            revenue,
            balance_change,
            rounding_fee,
            rebate,
            net_fee,
            balance_applied: applied + rebate,
        })
    }
}
