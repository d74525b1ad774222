//! Exact decimal text ⇄ scaled integer conversion shared by every fixed-point type.
//!
//! Kalshi sends money, prices and sizes as decimal strings (`"0.5600"`, `"10.00"`), sometimes
//! as JSON numbers (`0.56`, `10`). Everything is parsed here into an `i64` counting units of
//! `10^-scale`, without ever going through binary floating point for string input.

use super::FixedPointError;

/// Longest input echoed back inside an error message (hostile inputs can be megabytes).
const ERROR_ECHO_CHARS_MAX: usize = 40;

/// Shortens `text` for inclusion in an error message.
pub(crate) fn echo(text: &str) -> String {
    if text.chars().count() <= ERROR_ECHO_CHARS_MAX {
        text.to_string()
    } else {
        let head: String = text.chars().take(ERROR_ECHO_CHARS_MAX).collect();
        format!("{head}…")
    }
}

/// Parses a decimal like `-12.3400`, `0.56`, `10`, `.5`, `5.`, `5.6e-1` or `1E2` into units of
/// `10^-scale`. Trailing zeros beyond `scale` are accepted; any other extra precision is an
/// error, never silently rounded.
pub(crate) fn parse_scaled(text: &str, scale: u32) -> Result<i64, FixedPointError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(FixedPointError::Empty);
    }
    let (negative, unsigned) = match trimmed.as_bytes()[0] {
        b'-' => (true, &trimmed[1..]),
        b'+' => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let (mantissa, exponent) = split_exponent(unsigned, text)?;
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(FixedPointError::Invalid { text: echo(text) });
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(FixedPointError::Invalid { text: echo(text) });
    }
    // All digits of the mantissa, and where the decimal point sits after applying the exponent.
    let digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b - b'0')
        .collect();
    let frac_len = i64::try_from(frac_part.len())
        .map_err(|_| FixedPointError::Overflow { text: echo(text) })?;
    let point_shift = exponent
        .checked_sub(frac_len)
        .and_then(|shift| shift.checked_add(i64::from(scale)))
        .ok_or_else(|| FixedPointError::Overflow { text: echo(text) })?;
    // value_in_units = digits * 10^point_shift
    let mut units: i64 = 0;
    let kept = if point_shift >= 0 {
        digits.len()
    } else {
        let dropped = usize::try_from(point_shift.unsigned_abs()).unwrap_or(usize::MAX);
        if dropped > digits.len() {
            if digits.iter().any(|&d| d != 0) {
                return Err(FixedPointError::TooPrecise {
                    text: echo(text),
                    decimals_max: scale,
                });
            }
            0
        } else {
            let kept = digits.len() - dropped;
            if digits[kept..].iter().any(|&d| d != 0) {
                return Err(FixedPointError::TooPrecise {
                    text: echo(text),
                    decimals_max: scale,
                });
            }
            kept
        }
    };
    for &digit in &digits[..kept] {
        units = units
            .checked_mul(10)
            .and_then(|u| u.checked_add(i64::from(digit)))
            .ok_or_else(|| FixedPointError::Overflow { text: echo(text) })?;
    }
    if point_shift > 0 && units != 0 {
        let shift = u32::try_from(point_shift)
            .map_err(|_| FixedPointError::Overflow { text: echo(text) })?;
        let factor = 10i64
            .checked_pow(shift)
            .ok_or_else(|| FixedPointError::Overflow { text: echo(text) })?;
        units = units
            .checked_mul(factor)
            .ok_or_else(|| FixedPointError::Overflow { text: echo(text) })?;
    }
    Ok(if negative { -units } else { units })
}

/// Splits `5.6e-1` into (`5.6`, -1). Rejects `NaN`, `inf` and malformed exponents.
fn split_exponent<'a>(
    unsigned: &'a str,
    original: &str,
) -> Result<(&'a str, i64), FixedPointError> {
    match unsigned.find(['e', 'E']) {
        None => Ok((unsigned, 0)),
        Some(at) => {
            let exponent_text = &unsigned[at + 1..];
            let digits = exponent_text
                .strip_prefix(['+', '-'])
                .unwrap_or(exponent_text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(FixedPointError::Invalid {
                    text: echo(original),
                });
            }
            // Exponents beyond a few dozen can only overflow or underflow an i64 of units.
            if digits.len() > 4 {
                return Err(FixedPointError::Overflow {
                    text: echo(original),
                });
            }
            let exponent: i64 = exponent_text
                .parse()
                .map_err(|_| FixedPointError::Invalid {
                    text: echo(original),
                })?;
            Ok((&unsigned[..at], exponent))
        }
    }
}

/// Formats `units` of `10^-scale` with exactly `decimals` fraction digits. `decimals` must be
/// at most `scale`, and `units` must be representable with that many digits (callers check).
pub(crate) fn format_scaled(units: i64, scale: u32, decimals: u32) -> String {
    let divisor = 10i64.pow(scale);
    let sign = if units < 0 { "-" } else { "" };
    let magnitude = units.unsigned_abs();
    let whole = magnitude / divisor.unsigned_abs();
    let fraction = magnitude % divisor.unsigned_abs();
    if decimals == 0 {
        return format!("{sign}{whole}");
    }
    let fraction_shown = fraction / 10u64.pow(scale - decimals);
    format!(
        "{sign}{whole}.{fraction_shown:0width$}",
        width = decimals as usize
    )
}

/// True when `units` has no non-zero digits beyond `decimals` fraction digits.
pub(crate) fn fits_decimals(units: i64, scale: u32, decimals: u32) -> bool {
    units % 10i64.pow(scale - decimals) == 0
}

/// Converts a JSON float to its shortest round-trip decimal text, then parses that exactly.
pub(crate) fn parse_f64_scaled(value: f64, scale: u32) -> Result<i64, FixedPointError> {
    if !value.is_finite() {
        return Err(FixedPointError::NotFinite);
    }
    // Rust's Display for f64 prints the shortest decimal that reads back to the same float,
    // without an exponent, so 0.56 becomes "0.56" and never "0.56000000000000005".
    parse_scaled(&format!("{value}"), scale)
}
