//! Exact fixed-point numbers for prices, contract counts and money.
//!
//! | type | unit | wire form |
//! |---|---|---|
//! | [`Price`] | micro-dollars (1e-6 $), 0 ..= 1 $ | `"0.5600"` (4 dp, 6 dp when needed) |
//! | [`Count`] | hundredths of a contract, never negative | `"10.00"` |
//! | [`SignedCount`] | hundredths of a contract, signed (deltas, positions) | `"-33.00"` |
//! | [`Money`] | micro-dollars, signed | `"1042.5000"` (4 dp, 6 dp when needed) |
//!
//! Parsing accepts strings and JSON numbers (`"0.5600"`, `"0.010000"`, `0.56`, `"10"`,
//! `"12.61"`), rejects NaN, overflow, negative values where they mean nothing, and more
//! precision than the unit can hold — always with a typed [`FixedPointError`].

mod decimal;
mod serde_impl;

use std::fmt;
use std::ops::{Add, Neg, Sub};

use thiserror::Error;

pub(crate) use decimal::echo;

/// Why a decimal could not become a fixed-point value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FixedPointError {
    /// The text was empty or only whitespace.
    #[error("empty number")]
    Empty,
    /// The text is not a decimal number.
    #[error("not a decimal number: {text:?}")]
    Invalid {
        /// The offending input (shortened).
        text: String,
    },
    /// A JSON float was NaN or infinite.
    #[error("number is NaN or infinite")]
    NotFinite,
    /// More fraction digits than the unit can represent.
    #[error("{text:?} has more than {decimals_max} decimal places")]
    TooPrecise {
        /// The offending input (shortened).
        text: String,
        /// The most fraction digits this type keeps.
        decimals_max: u32,
    },
    /// The value does not fit in the integer representation.
    #[error("{text:?} is too large")]
    Overflow {
        /// The offending input (shortened).
        text: String,
    },
    /// A negative value where only zero or more makes sense.
    #[error("{text:?} is negative, which is meaningless here")]
    Negative {
        /// The offending input (shortened).
        text: String,
    },
    /// A price outside 0 ..= 1 dollar.
    #[error("price {text:?} is outside 0..=1 dollar")]
    PriceOutOfRange {
        /// The offending input (shortened).
        text: String,
    },
}

/// Micro-dollars per dollar.
pub const MICROS_PER_DOLLAR: i64 = 1_000_000;
/// Hundredths of a contract per contract.
pub const CENTI_PER_CONTRACT: i64 = 100;

const MICRO_SCALE: u32 = 6;
const CENTI_SCALE: u32 = 2;

/// A contract price in micro-dollars, always within 0 ..= 1 $ (the YES price unless stated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Price(i64);

/// A non-negative contract count in hundredths of a contract (`"10.50"` = 1050).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Count(i64);

/// A signed contract count in hundredths (book deltas; positions: + YES, − NO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SignedCount(i64);

/// An amount of money in micro-dollars, signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Price {
    /// Zero dollars.
    pub const ZERO: Price = Price(0);
    /// One dollar, the payout of a winning contract.
    pub const ONE: Price = Price(MICROS_PER_DOLLAR);

    /// Builds a price from micro-dollars, checking 0 ..= 1 $.
    pub fn from_micros(price_micros: i64) -> Result<Price, FixedPointError> {
        if (0..=MICROS_PER_DOLLAR).contains(&price_micros) {
            Ok(Price(price_micros))
        } else {
            Err(FixedPointError::PriceOutOfRange {
                text: format!("{price_micros} micro-dollars"),
            })
        }
    }

    /// Builds a price from legacy integer cents (2025 dialect), checking 0 ..= 100.
    pub fn from_cents(price_cents: i64) -> Result<Price, FixedPointError> {
        if (0..=100).contains(&price_cents) {
            Ok(Price(price_cents * 10_000))
        } else {
            Err(FixedPointError::PriceOutOfRange {
                text: format!("{price_cents} cents"),
            })
        }
    }

    /// Parses decimal dollars (`"0.5600"`, `"0.56"`, `"0.010000"`).
    pub fn parse(text: &str) -> Result<Price, FixedPointError> {
        let micros = decimal::parse_scaled(text, MICRO_SCALE)?;
        Self::checked_range(micros, text)
    }

    /// Parses a JSON float exactly via its shortest decimal representation.
    pub fn from_f64(value: f64) -> Result<Price, FixedPointError> {
        let micros = decimal::parse_f64_scaled(value, MICRO_SCALE)?;
        Self::checked_range(micros, &format!("{value}"))
    }

    fn checked_range(micros: i64, text: &str) -> Result<Price, FixedPointError> {
        if (0..=MICROS_PER_DOLLAR).contains(&micros) {
            Ok(Price(micros))
        } else {
            Err(FixedPointError::PriceOutOfRange { text: echo(text) })
        }
    }

    /// The price in micro-dollars.
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// The other leg: a YES price `p` is a NO price `1 − p`. Exact.
    pub const fn complement(self) -> Price {
        Price(MICROS_PER_DOLLAR - self.0)
    }

    /// Wire form: 4 decimals (`"0.5600"`), or 6 when the price has sub-0.0001 precision.
    pub fn to_wire(self) -> String {
        money_like_wire(self.0)
    }
}

impl Count {
    /// Zero contracts.
    pub const ZERO: Count = Count(0);

    /// Builds a count from hundredths of a contract; negative values are refused.
    pub fn from_centi(count_centi: i64) -> Result<Count, FixedPointError> {
        if count_centi < 0 {
            return Err(FixedPointError::Negative {
                text: format!("{count_centi} hundredths"),
            });
        }
        Ok(Count(count_centi))
    }

    /// Builds a count of whole contracts; negative values are refused.
    pub fn from_contracts(contracts: i64) -> Result<Count, FixedPointError> {
        let centi =
            contracts
                .checked_mul(CENTI_PER_CONTRACT)
                .ok_or_else(|| FixedPointError::Overflow {
                    text: format!("{contracts} contracts"),
                })?;
        Self::from_centi(centi)
    }

    /// Parses `"10"`, `"10.5"`, `"10.50"`; refuses negatives and more than 2 decimals.
    pub fn parse(text: &str) -> Result<Count, FixedPointError> {
        let centi = decimal::parse_scaled(text, CENTI_SCALE)?;
        if centi < 0 {
            return Err(FixedPointError::Negative { text: echo(text) });
        }
        Ok(Count(centi))
    }

    /// Parses a JSON number exactly via its shortest decimal representation.
    pub fn from_f64(value: f64) -> Result<Count, FixedPointError> {
        let centi = decimal::parse_f64_scaled(value, CENTI_SCALE)?;
        if centi < 0 {
            return Err(FixedPointError::Negative {
                text: format!("{value}"),
            });
        }
        Ok(Count(centi))
    }

    /// The count in hundredths of a contract.
    pub const fn centi(self) -> i64 {
        self.0
    }

    /// True for zero contracts.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The smaller of two counts.
    pub fn min(self, other: Count) -> Count {
        Count(self.0.min(other.0))
    }

    /// `self − other`, or `None` if that would be negative.
    pub fn checked_sub(self, other: Count) -> Option<Count> {
        let rest = self.0.checked_sub(other.0)?;
        (rest >= 0).then_some(Count(rest))
    }

    /// `self − other`, floored at zero.
    pub fn saturating_sub(self, other: Count) -> Count {
        Count((self.0 - other.0).max(0))
    }

    /// The same size as a signed count.
    pub const fn signed(self) -> SignedCount {
        SignedCount(self.0)
    }

    /// Wire form with 2 decimals: `"10.00"`.
    pub fn to_wire(self) -> String {
        decimal::format_scaled(self.0, CENTI_SCALE, CENTI_SCALE)
    }
}

impl SignedCount {
    /// Zero contracts.
    pub const ZERO: SignedCount = SignedCount(0);

    /// Builds a signed count from hundredths of a contract.
    pub const fn from_centi(count_centi: i64) -> SignedCount {
        SignedCount(count_centi)
    }

    /// Parses `"-33.00"`, `"2.5"`, `"10"`.
    pub fn parse(text: &str) -> Result<SignedCount, FixedPointError> {
        decimal::parse_scaled(text, CENTI_SCALE).map(SignedCount)
    }

    /// Parses a JSON number exactly via its shortest decimal representation.
    pub fn from_f64(value: f64) -> Result<SignedCount, FixedPointError> {
        decimal::parse_f64_scaled(value, CENTI_SCALE).map(SignedCount)
    }

    /// The count in hundredths of a contract.
    pub const fn centi(self) -> i64 {
        self.0
    }

    /// The magnitude as a non-negative count.
    pub const fn abs(self) -> Count {
        Count(self.0.abs())
    }

    /// The value if it is zero or more.
    pub fn to_count(self) -> Option<Count> {
        (self.0 >= 0).then_some(Count(self.0))
    }

    /// Wire form with 2 decimals: `"-33.00"`.
    pub fn to_wire(self) -> String {
        decimal::format_scaled(self.0, CENTI_SCALE, CENTI_SCALE)
    }
}

impl Money {
    /// Zero dollars.
    pub const ZERO: Money = Money(0);

    /// Builds an amount from micro-dollars.
    pub const fn from_micros(amount_micros: i64) -> Money {
        Money(amount_micros)
    }

    /// Builds an amount from integer cents (legacy `balance`, `revenue`).
    pub fn from_cents(amount_cents: i64) -> Result<Money, FixedPointError> {
        amount_cents
            .checked_mul(10_000)
            .map(Money)
            .ok_or_else(|| FixedPointError::Overflow {
                text: format!("{amount_cents} cents"),
            })
    }

    /// Parses decimal dollars (`"10.67"`, `"0.010000"`, `"-1.5"`).
    pub fn parse(text: &str) -> Result<Money, FixedPointError> {
        decimal::parse_scaled(text, MICRO_SCALE).map(Money)
    }

    /// Parses a JSON number exactly via its shortest decimal representation.
    pub fn from_f64(value: f64) -> Result<Money, FixedPointError> {
        decimal::parse_f64_scaled(value, MICRO_SCALE).map(Money)
    }

    /// The amount in micro-dollars.
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// The cash value of `count` contracts at `price`, rounded to the nearest micro-dollar
    /// (ties away from zero). Exact for every price on a Kalshi tick grid (≤ 4 decimals).
    pub fn notional(price: Price, count: Count) -> Money {
        let product = i128::from(price.0) * i128::from(count.0);
        let hundred = i128::from(CENTI_PER_CONTRACT);
        let rounded = (product + hundred / 2) / hundred;
        Money(i64::try_from(rounded).unwrap_or(i64::MAX))
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// Wire form: 4 decimals (`"1042.5000"`), or 6 when needed (`"0.017500"` stays exact).
    pub fn to_wire(self) -> String {
        money_like_wire(self.0)
    }

    /// Wire form with exactly 6 decimals (fee fields such as `fee_cost`).
    pub fn to_wire_6dp(self) -> String {
        decimal::format_scaled(self.0, MICRO_SCALE, MICRO_SCALE)
    }
}

impl Price {
    fn from_raw_units(price_micros: i64) -> Result<Price, FixedPointError> {
        Price::from_micros(price_micros)
    }
}

impl Count {
    fn from_raw_units(count_centi: i64) -> Result<Count, FixedPointError> {
        Count::from_centi(count_centi)
    }
}

impl SignedCount {
    fn from_raw_units(count_centi: i64) -> Result<SignedCount, FixedPointError> {
        Ok(SignedCount(count_centi))
    }
}

impl Money {
    fn from_raw_units(amount_micros: i64) -> Result<Money, FixedPointError> {
        Ok(Money(amount_micros))
    }
}

fn money_like_wire(micros: i64) -> String {
    let decimals = if decimal::fits_decimals(micros, MICRO_SCALE, 4) {
        4
    } else {
        MICRO_SCALE
    };
    decimal::format_scaled(micros, MICRO_SCALE, decimals)
}

impl Add for Count {
    type Output = Count;
    fn add(self, other: Count) -> Count {
        Count(self.0.saturating_add(other.0))
    }
}

impl Add for SignedCount {
    type Output = SignedCount;
    fn add(self, other: SignedCount) -> SignedCount {
        SignedCount(self.0.saturating_add(other.0))
    }
}

impl Sub for SignedCount {
    type Output = SignedCount;
    fn sub(self, other: SignedCount) -> SignedCount {
        SignedCount(self.0.saturating_sub(other.0))
    }
}

impl Neg for SignedCount {
    type Output = SignedCount;
    fn neg(self) -> SignedCount {
        SignedCount(self.0.saturating_neg())
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money(self.0.saturating_sub(other.0))
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(self.0.saturating_neg())
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

impl fmt::Display for SignedCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

#[cfg(test)]
mod tests;
