//! The exchange's use of core's fee engine (`kalshi_core::fees`, kalshi-api.md §9): the
//! quadratic trade fee rounded up to $0.0001, the 2026 balance rounding with a per-order
//! rounding accumulator and $0.01 rebates, and the fee part of an order's collateral.
//!
//! Core reports fee arithmetic overflow as an error. The exchange caps order sizes
//! ([`COUNT_MAX_CENTI`]) and series multipliers ([`MULTIPLIER_MAX_PPM`]) so that overflow
//! cannot occur; should it anyway, fees saturate to a huge value, which makes the collateral
//! check refuse the order rather than trade it for free.

use kalshi_core::fees::{
    FeeSchedule, FillCharge, FillTerms, Liquidity, RoundingAccumulator, TargetPrecision,
};
use kalshi_core::side::BookSide;
use kalshi_core::{Count, Money, Price};

/// Largest order size: one billion contracts, in hundredths.
pub const COUNT_MAX_CENTI: i64 = 100_000_000_000;
/// Largest series fee multiplier: 100×, in parts per million.
pub const MULTIPLIER_MAX_PPM: i64 = 100_000_000;
/// The value a fee saturates to if core's arithmetic ever overflowed.
const SATURATED_FEE: Money = Money::from_micros(i64::MAX / 4);

/// The trade fee of one fill (formula rounded up to $0.0001).
pub fn trade_fee(schedule: &FeeSchedule, yes_price: Price, count: Count, is_taker: bool) -> Money {
    schedule
        .trade_fee(Liquidity::from_is_taker(is_taker), yes_price, count)
        .unwrap_or(SATURATED_FEE)
}

/// Charges one fill to its order's rounding accumulator: net fee, rebate and the cash change
/// (`balance_applied`) under the account's target precision.
pub fn charge_fill(
    schedule: &FeeSchedule,
    precision: TargetPrecision,
    accumulator: &mut RoundingAccumulator,
    side: BookSide,
    yes_price: Price,
    count: Count,
    is_taker: bool,
) -> FillCharge {
    let terms = FillTerms {
        side,
        yes_price,
        count,
        liquidity: Liquidity::from_is_taker(is_taker),
    };
    accumulator
        .charge_fill(schedule, precision, &terms)
        .unwrap_or_else(|_| {
            let revenue = -Money::notional(terms.price_paid(), count);
            FillCharge {
                trade_fee: SATURATED_FEE,
                revenue,
                balance_change: revenue - SATURATED_FEE,
                rounding_fee: Money::ZERO,
                rebate: Money::ZERO,
                net_fee: SATURATED_FEE,
                balance_applied: revenue - SATURATED_FEE,
            }
        })
}

/// What an order of `count` contracts reserves for fees: the taker fee at $0.50 (the most any
/// price can cost) rounded up to the balance precision, plus one precision unit of rounding.
pub fn fee_reserve(schedule: &FeeSchedule, count: Count, precision: TargetPrecision) -> Money {
    let half = Price::from_micros(500_000).unwrap_or(Price::ZERO);
    let worst = trade_fee(schedule, half, count, true).micros();
    let unit = precision.unit_micros();
    let rounded_up = worst
        .saturating_add(unit - 1)
        .div_euclid(unit)
        .saturating_mul(unit);
    Money::from_micros(rounded_up.saturating_add(unit))
}

#[cfg(test)]
mod tests {
    use kalshi_core::fees::FeeType;

    use super::*;

    #[test]
    fn fee_reserve_covers_the_worst_price_and_rounding() {
        let schedule = FeeSchedule::new(FeeType::Quadratic, 1_000_000).unwrap();
        // 0.07 × 18 × 0.25 = 0.315 → 0.32, plus 0.01.
        let reserve = fee_reserve(
            &schedule,
            Count::from_contracts(18).unwrap(),
            TargetPrecision::STANDARD,
        );
        assert_eq!(reserve, Money::parse("0.33").unwrap());
        let direct = fee_reserve(
            &schedule,
            Count::from_contracts(18).unwrap(),
            TargetPrecision::DIRECT_MEMBER,
        );
        assert_eq!(direct, Money::parse("0.3151").unwrap());
    }

    #[test]
    fn four_one_lot_fills_cost_seven_cents() {
        let schedule = FeeSchedule::new(FeeType::Quadratic, 1_000_000).unwrap();
        let mut accumulator = RoundingAccumulator::new();
        let one = Count::from_contracts(1).unwrap();
        let half = Price::parse("0.50").unwrap();
        let fees = (0..4)
            .map(|_| {
                charge_fill(
                    &schedule,
                    TargetPrecision::STANDARD,
                    &mut accumulator,
                    BookSide::Bid,
                    half,
                    one,
                    true,
                )
                .net_fee
            })
            .fold(Money::ZERO, |a, b| a + b);
        assert_eq!(fees, Money::parse("0.07").unwrap());
    }
}
