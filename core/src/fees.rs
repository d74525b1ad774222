//! Kalshi trading fees, exact (kalshi-api.md §9).
//!
//! Fees are charged per execution; placing, amending and cancelling are free. With `C`
//! contracts at YES price `P`:
//!
//! ```text
//! fee = fee_multiplier × 0.07 × factor × C × P × (1 − P)
//! ```
//!
//! where `factor` is 1 for a taker and the fee type's maker factor for a maker (0 for
//! `quadratic`, 0.25 for `quadratic_with_maker_fees`, 0.5 for
//! `quadratic_with_combo_maker_fees`). The `flat` fee type follows a table Kalshi does not
//! publish in usable form, so it is refused with [`FeeError::UnsupportedFeeType`] rather than
//! priced at a guessed or zero fee.
//!
//! The formula is evaluated as one exact rational in `i128` (multiplier in parts per
//! million, price in micro-dollars, count in hundredths) and rounded exactly once:
//!
//! - [`FeeSchedule::classic_fee`]: up to the next cent per execution (the 2025 schedule);
//! - [`FeeSchedule::trade_fee`]: up to the next $0.0001 (the 2026 `trade_fee`), after which
//!   [`RoundingAccumulator::charge_fill`] applies the 2026 balance rounding and per-order
//!   rebates.
//!
//! Fee waivers (`fee_waiver_expiration_time`) are the caller's concern: this module always
//! prices the schedule it is given; a caller that knows the fee is waived skips the call.

mod balance_rounding;
mod multiplier;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::fixed::{Count, FixedPointError, MICROS_PER_DOLLAR, Money, Price, echo};
use crate::market_data::FeeParams;

pub use balance_rounding::{
    FillCharge, FillTerms, REBATE_MICROS, RoundingAccumulator, TargetPrecision,
};
pub use multiplier::{multiplier_ppm_from_json, parse_multiplier_ppm};

/// Parts per million in one whole (a multiplier or factor of 1.0).
pub const PPM_PER_UNIT: i64 = 1_000_000;

/// The taker rate of the general schedule, 0.07, as hundredths.
pub const TAKER_RATE_HUNDREDTHS: i64 = 7;

/// One cent in micro-dollars: the classic rounding unit.
pub const CENT_MICROS: i64 = 10_000;

/// $0.0001 in micro-dollars: the 2026 `trade_fee` rounding unit.
pub const TRADE_FEE_UNIT_MICROS: i64 = 100;

/// Why a fee could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FeeError {
    /// A `fee_type` this engine cannot price: `flat` (its table is not published) or a string
    /// Kalshi has not documented.
    #[error("{}", unsupported_fee_type_message(fee_type))]
    UnsupportedFeeType {
        /// The fee type as received (shortened).
        fee_type: String,
    },
    /// A fee multiplier that is not an exact decimal with at most 6 fraction digits.
    #[error("fee multiplier {text:?} is not an exact decimal of at most 6 places: {source}")]
    InvalidMultiplier {
        /// The multiplier as received (shortened).
        text: String,
        /// What was wrong with it.
        source: FixedPointError,
    },
    /// A fee multiplier below zero.
    #[error("fee multiplier {multiplier_ppm} ppm is negative")]
    NegativeMultiplier {
        /// The multiplier in parts per million.
        multiplier_ppm: i64,
    },
    /// A fee multiplier that was neither a JSON number nor a decimal string.
    #[error("fee multiplier must be a number or a decimal string, got {json_kind}")]
    MultiplierNotNumeric {
        /// The JSON kind received (`null`, `bool`, `array`, `object`).
        json_kind: &'static str,
    },
    /// The exact fee does not fit the integer arithmetic (absurd multiplier or count).
    #[error("fee for {count} contracts at {price} with multiplier {multiplier_ppm} ppm overflows")]
    Overflow {
        /// Contracts in the execution.
        count: Count,
        /// Execution YES price.
        price: Price,
        /// Multiplier in parts per million.
        multiplier_ppm: i64,
    },
    /// A balance target precision that is not a positive divisor of one cent.
    #[error(
        "target precision of {precision_micros} micro-dollars must be a positive divisor of $0.01"
    )]
    InvalidTargetPrecision {
        /// The precision requested, in micro-dollars.
        precision_micros: i64,
    },
}

fn unsupported_fee_type_message(fee_type: &str) -> String {
    if fee_type == "flat" {
        "fee type \"flat\" is priced by Kalshi's Specific Trading Fees Table, which is not \
         published in usable form; refusing to trade on a guessed fee"
            .to_string()
    } else {
        format!(
            "unknown fee type {fee_type:?}; expected quadratic, quadratic_with_maker_fees or \
             quadratic_with_combo_maker_fees"
        )
    }
}

/// Whether an execution added liquidity (maker) or removed it (taker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Liquidity {
    /// Our resting order was hit.
    Maker,
    /// Our order crossed the book.
    Taker,
}

impl Liquidity {
    /// `Taker` when `is_taker`, else `Maker`.
    pub const fn from_is_taker(is_taker: bool) -> Liquidity {
        if is_taker {
            Liquidity::Taker
        } else {
            Liquidity::Maker
        }
    }
}

/// The fee structures this engine can price (Kalshi `fee_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeType {
    /// Takers pay 0.07·C·P·(1−P); makers pay nothing.
    Quadratic,
    /// Takers pay 0.07·C·P·(1−P); makers a quarter of that.
    QuadraticWithMakerFees,
    /// Takers pay 0.07·C·P·(1−P); makers half of that.
    QuadraticWithComboMakerFees,
}

impl FeeType {
    /// Parses Kalshi's `fee_type` string; `flat` and unknown strings are
    /// [`FeeError::UnsupportedFeeType`].
    pub fn parse(text: &str) -> Result<FeeType, FeeError> {
        match text {
            "quadratic" => Ok(FeeType::Quadratic),
            "quadratic_with_maker_fees" => Ok(FeeType::QuadraticWithMakerFees),
            "quadratic_with_combo_maker_fees" => Ok(FeeType::QuadraticWithComboMakerFees),
            other => Err(FeeError::UnsupportedFeeType {
                fee_type: echo(other),
            }),
        }
    }

    /// Kalshi's spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            FeeType::Quadratic => "quadratic",
            FeeType::QuadraticWithMakerFees => "quadratic_with_maker_fees",
            FeeType::QuadraticWithComboMakerFees => "quadratic_with_combo_maker_fees",
        }
    }

    /// The share of the taker rate a maker pays, in parts per million.
    pub const fn maker_factor_ppm(self) -> i64 {
        match self {
            FeeType::Quadratic => 0,
            FeeType::QuadraticWithMakerFees => 250_000,
            FeeType::QuadraticWithComboMakerFees => 500_000,
        }
    }

    /// The share of the taker rate charged for `liquidity`, in parts per million.
    pub const fn factor_ppm(self, liquidity: Liquidity) -> i64 {
        match liquidity {
            Liquidity::Taker => PPM_PER_UNIT,
            Liquidity::Maker => self.maker_factor_ppm(),
        }
    }
}

impl FromStr for FeeType {
    type Err = FeeError;
    fn from_str(text: &str) -> Result<FeeType, FeeError> {
        FeeType::parse(text)
    }
}

impl fmt::Display for FeeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event's fee override: each field, when set, replaces the series value
/// (`fee_type_override`, `fee_multiplier_override`; null means "not overridden").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct FeeOverride {
    /// Overriding `fee_type`, as Kalshi spells it.
    pub fee_type: Option<String>,
    /// Overriding multiplier in parts per million.
    pub multiplier_ppm: Option<i64>,
}

/// A validated fee schedule: a priceable fee type and a non-negative multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FeeSchedule {
    fee_type: FeeType,
    multiplier_ppm: i64,
}

/// Denominator turning the integer product `multiplier_ppm × 7 × factor_ppm × count_centi ×
/// p_micros × (1e6 − p_micros)` into micro-dollars: multiplier ppm (1e6) × rate hundredths
/// (1e2) × factor ppm (1e6) × count hundredths (1e2) × price² (1e12) ÷ micro-dollar (1e6).
const RAW_FEE_DENOMINATOR: i128 = 10i128.pow(6 + 2 + 6 + 2 + 12 - 6);

impl FeeSchedule {
    /// A schedule from a parsed fee type and a multiplier in parts per million (≥ 0).
    pub fn new(fee_type: FeeType, multiplier_ppm: i64) -> Result<FeeSchedule, FeeError> {
        if multiplier_ppm < 0 {
            return Err(FeeError::NegativeMultiplier { multiplier_ppm });
        }
        Ok(FeeSchedule {
            fee_type,
            multiplier_ppm,
        })
    }

    /// The schedule described by normalized fee parameters.
    pub fn from_params(params: &FeeParams) -> Result<FeeSchedule, FeeError> {
        FeeSchedule::new(FeeType::parse(&params.fee_type)?, params.multiplier_ppm)
    }

    /// The schedule in force for an event's markets: the series values, with each field the
    /// event overrides taking precedence. The series `fee_type` is not consulted (and so may
    /// be `flat`) when the event overrides it.
    pub fn effective(
        series: &FeeParams,
        event_override: Option<&FeeOverride>,
    ) -> Result<FeeSchedule, FeeError> {
        let fee_type = event_override
            .and_then(|o| o.fee_type.as_deref())
            .unwrap_or(&series.fee_type);
        let multiplier_ppm = event_override
            .and_then(|o| o.multiplier_ppm)
            .unwrap_or(series.multiplier_ppm);
        FeeSchedule::new(FeeType::parse(fee_type)?, multiplier_ppm)
    }

    /// The fee type.
    pub const fn fee_type(&self) -> FeeType {
        self.fee_type
    }

    /// The multiplier in parts per million (1.0 = 1_000_000).
    pub const fn multiplier_ppm(&self) -> i64 {
        self.multiplier_ppm
    }

    /// The classic (2025) fee of one execution: the formula rounded up to the next cent.
    pub fn classic_fee(
        &self,
        liquidity: Liquidity,
        yes_price: Price,
        count: Count,
    ) -> Result<Money, FeeError> {
        self.fee_rounded_up(liquidity, yes_price, count, CENT_MICROS)
    }

    /// The 2026 `trade_fee` of one fill: the formula rounded up to the next $0.0001, before
    /// balance rounding ([`RoundingAccumulator::charge_fill`]).
    pub fn trade_fee(
        &self,
        liquidity: Liquidity,
        yes_price: Price,
        count: Count,
    ) -> Result<Money, FeeError> {
        self.fee_rounded_up(liquidity, yes_price, count, TRADE_FEE_UNIT_MICROS)
    }

    /// The formula value rounded up to a multiple of `unit_micros` (> 0).
    fn fee_rounded_up(
        &self,
        liquidity: Liquidity,
        yes_price: Price,
        count: Count,
        unit_micros: i64,
    ) -> Result<Money, FeeError> {
        let overflow = || FeeError::Overflow {
            count,
            price: yes_price,
            multiplier_ppm: self.multiplier_ppm,
        };
        let price_micros = i128::from(yes_price.micros());
        let numerator = [
            i128::from(TAKER_RATE_HUNDREDTHS),
            i128::from(self.fee_type.factor_ppm(liquidity)),
            i128::from(count.centi()),
            price_micros,
            i128::from(MICROS_PER_DOLLAR) - price_micros,
        ]
        .into_iter()
        .try_fold(i128::from(self.multiplier_ppm), |product, factor| {
            product.checked_mul(factor)
        })
        .ok_or_else(overflow)?;
        let unit_denominator = RAW_FEE_DENOMINATOR * i128::from(unit_micros);
        // Every factor is ≥ 0, so ceiling division is (n + d − 1) / d.
        let units = numerator
            .checked_add(unit_denominator - 1)
            .map(|n| n / unit_denominator)
            .ok_or_else(overflow)?;
        let fee_micros = units
            .checked_mul(i128::from(unit_micros))
            .and_then(|micros| i64::try_from(micros).ok())
            .ok_or_else(overflow)?;
        Ok(Money::from_micros(fee_micros))
    }
}

/// Classic per-execution fee (rounded up to the cent, §9.2) for normalized fee parameters.
/// The EV gate and the simulator's classic mode use this. Fee waivers are the caller's call.
pub fn fee_for_fill_classic(
    params: &FeeParams,
    is_taker: bool,
    yes_price: Price,
    count: Count,
) -> Result<Money, FeeError> {
    FeeSchedule::from_params(params)?.classic_fee(
        Liquidity::from_is_taker(is_taker),
        yes_price,
        count,
    )
}

/// 2026 `trade_fee` of one fill (rounded up to $0.0001, §9.3 step 1) for normalized fee
/// parameters — the fee a direct member pays, and the base of the balance rounding others
/// see. Fee waivers are the caller's call.
pub fn fee_for_fill_2026(
    params: &FeeParams,
    is_taker: bool,
    yes_price: Price,
    count: Count,
) -> Result<Money, FeeError> {
    FeeSchedule::from_params(params)?.trade_fee(
        Liquidity::from_is_taker(is_taker),
        yes_price,
        count,
    )
}
