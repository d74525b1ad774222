//! Kalshi trading fees for one fill (kalshi-api.md §9): the quadratic formula, rounded up to
//! $0.0001, then the 2026 balance rounding with a per-order rounding accumulator and $0.01
//! rebates (§9.3). All integer arithmetic on micro-dollars and hundredths of a contract.

use kalshi_core::{Count, Money, Price};

use super::market::FeeType;

/// Micro-dollars in the $0.0001 unit trade fees are rounded up to.
const TRADE_FEE_UNIT_MICROS: i64 = 100;
/// The rebate paid when a rounding accumulator reaches it: $0.01.
const REBATE_MICROS: i64 = 10_000;

/// Fee rate as a fraction `numerator / denominator` of `C·P·(1−P)`.
fn rate(fee_type: FeeType, is_taker: bool) -> (i128, i128) {
    match (fee_type, is_taker) {
        (_, true) => (7, 100),
        (FeeType::Quadratic, false) => (0, 1),
        (FeeType::QuadraticWithMakerFees, false) => (175, 10_000),
        (FeeType::QuadraticWithComboMakerFees, false) => (35, 1_000),
    }
}

/// The trade fee of one fill: `multiplier × rate × C × P × (1 − P)` rounded up to $0.0001.
pub fn trade_fee(
    fee_type: FeeType,
    multiplier_ppm: i64,
    yes_price: Price,
    count: Count,
    is_taker: bool,
) -> Money {
    let (numerator, denominator) = rate(fee_type, is_taker);
    let p = i128::from(yes_price.micros());
    let q = i128::from(yes_price.complement().micros());
    let exact = i128::from(multiplier_ppm.max(0)) * numerator * i128::from(count.centi()) * p * q;
    // fee in $ = exact / (1e6 · den · 100 · 1e12); in $0.0001 units: exact / (den · 1e16).
    let divisor = denominator * 10_000_000_000_000_000;
    let units = (exact + divisor - 1) / divisor;
    Money::from_micros(
        i64::try_from(units).unwrap_or(i64::MAX / TRADE_FEE_UNIT_MICROS) * TRADE_FEE_UNIT_MICROS,
    )
}

/// How one fill moves an account's cash once fees and rounding are applied (the same
/// arithmetic as core's `RoundingAccumulator::charge_fill`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeSettlement {
    /// The formula fee (rounded up to $0.0001).
    pub trade_fee: Money,
    /// What flooring the balance change to the target precision took.
    pub rounding_fee: Money,
    /// Rebate paid out of the order's accumulator.
    pub rebate: Money,
    /// `trade_fee + rounding_fee − rebate`, floored at zero: the fee reported on the fill.
    pub net_fee: Money,
    /// What cash moves by: `floor(−C × price paid − trade_fee) + rebate`.
    pub cash_change: Money,
}

/// Applies §9.3 to one fill bought at `price_paid` per contract: `precision_micros` is the
/// account's balance precision ($0.01 = 10 000), `accumulator` the order's rounding fees.
/// A $0.01 rebate is paid when the accumulator reaches $0.01.
///
/// Netting (a YES+NO pair redeeming for $1) is a separate whole-cent cash flow the caller
/// adds; it never changes the rounding.
pub fn settle_fill(
    price_paid: Price,
    count: Count,
    trade_fee: Money,
    precision_micros: i64,
    accumulator: &mut Money,
) -> FeeSettlement {
    let precision = precision_micros.max(1);
    let revenue = -Money::notional(price_paid, count);
    let balance_change = (revenue - trade_fee).micros();
    let applied = balance_change.div_euclid(precision) * precision;
    let rounding_fee = Money::from_micros(balance_change - applied);
    *accumulator = *accumulator + rounding_fee;
    let rebate = if accumulator.micros() >= REBATE_MICROS {
        *accumulator = *accumulator - Money::from_micros(REBATE_MICROS);
        Money::from_micros(REBATE_MICROS)
    } else {
        Money::ZERO
    };
    let net_fee = (trade_fee + rounding_fee - rebate).max(Money::ZERO);
    FeeSettlement {
        trade_fee,
        rounding_fee,
        rebate,
        net_fee,
        cash_change: Money::from_micros(applied) + rebate,
    }
}

/// An upper bound of the fee a buy of `count` contracts can incur at any price, plus one
/// precision unit of rounding: what a resting order reserves for fees.
pub fn fee_reserve(
    fee_type: FeeType,
    multiplier_ppm: i64,
    count: Count,
    precision_micros: i64,
) -> Money {
    let half = Price::from_micros(500_000).unwrap_or(Price::ZERO);
    let worst = trade_fee(fee_type, multiplier_ppm, half, count, true);
    let precision = precision_micros.max(1);
    let rounded_up = (worst.micros() + precision - 1).div_euclid(precision) * precision;
    Money::from_micros(rounded_up + precision)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(text: &str) -> Price {
        Price::parse(text).unwrap()
    }

    #[test]
    fn trade_fee_matches_published_examples() {
        let one = Count::from_contracts(1).unwrap();
        let hundred = Count::from_contracts(100).unwrap();
        assert_eq!(
            trade_fee(FeeType::Quadratic, 1_000_000, price("0.50"), one, true),
            Money::parse("0.0175").unwrap()
        );
        assert_eq!(
            trade_fee(FeeType::Quadratic, 1_000_000, price("0.10"), hundred, true),
            Money::parse("0.63").unwrap()
        );
        assert_eq!(
            trade_fee(
                FeeType::QuadraticWithMakerFees,
                1_000_000,
                price("0.50"),
                hundred,
                false
            ),
            Money::parse("0.4375").unwrap()
        );
        assert_eq!(
            trade_fee(FeeType::Quadratic, 1_000_000, price("0.50"), hundred, false),
            Money::ZERO
        );
        // 0.07 × 17 × 0.44 × 0.56 = 0.293216 → rounded up to 0.2933.
        let seventeen = Count::from_contracts(17).unwrap();
        assert_eq!(
            trade_fee(
                FeeType::Quadratic,
                1_000_000,
                price("0.44"),
                seventeen,
                true
            ),
            Money::parse("0.2933").unwrap()
        );
    }

    #[test]
    fn four_one_lot_fills_cost_the_same_as_one_four_lot_fill() {
        let one = Count::from_contracts(1).unwrap();
        let mut accumulator = Money::ZERO;
        let mut fees = Money::ZERO;
        for _ in 0..4 {
            let fee = trade_fee(FeeType::Quadratic, 1_000_000, price("0.50"), one, true);
            let settled = settle_fill(price("0.50"), one, fee, 10_000, &mut accumulator);
            fees = fees + settled.net_fee;
        }
        assert_eq!(fees, Money::parse("0.07").unwrap());
        assert_eq!(accumulator, Money::ZERO);
    }

    #[test]
    fn direct_member_precision_pays_the_formula_fee() {
        let one = Count::from_contracts(1).unwrap();
        let mut accumulator = Money::ZERO;
        let fee = trade_fee(FeeType::Quadratic, 1_000_000, price("0.50"), one, true);
        let settled = settle_fill(price("0.50"), one, fee, 100, &mut accumulator);
        assert_eq!(settled.net_fee, Money::parse("0.0175").unwrap());
        assert_eq!(settled.cash_change, Money::parse("-0.5175").unwrap());
    }
}
