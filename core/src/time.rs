//! RFC 3339 timestamps ⇄ Unix nanoseconds, exactly, without a date-time library.
//!
//! Kalshi sends object times as RFC 3339 strings (`"2026-05-13T01:51:41.778164Z"`, sometimes
//! with an offset or no fraction). Everything downstream works in Unix nanoseconds (`i64`),
//! which covers the years 1677 ..= 2262; anything outside is refused with a typed error.
//! The `NS_PER_*` constants are the one set of unit conversions every crate uses, and
//! [`UnixNanos`] is the instant type for code that reads the wall clock or does arithmetic
//! on instants.

use thiserror::Error;

mod unix_nanos;
pub use unix_nanos::UnixNanos;

/// Nanoseconds in a microsecond.
pub const NS_PER_US: i64 = 1_000;
/// Nanoseconds in a millisecond.
pub const NS_PER_MS: i64 = 1_000_000;
/// Nanoseconds in a second.
pub const NS_PER_S: i64 = 1_000_000_000;
/// Nanoseconds in a minute.
pub const NS_PER_MINUTE: i64 = 60 * NS_PER_S;
/// Nanoseconds in an hour.
pub const NS_PER_HOUR: i64 = 60 * NS_PER_MINUTE;
const NANOS_PER_SECOND: i64 = NS_PER_S;
const SECONDS_PER_DAY: i64 = 86_400;
/// Most fraction digits a nanosecond timestamp can hold.
const FRACTION_DIGITS_MAX: usize = 9;

/// Why a timestamp string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimeError {
    /// The text does not have the `YYYY-MM-DDTHH:MM:SS[.f][Z|±HH:MM]` shape.
    #[error("not an RFC 3339 timestamp: {text:?}")]
    Malformed {
        /// The offending input (shortened).
        text: String,
    },
    /// A field is out of its calendar range (month 13, day 31 in April, hour 24, …).
    #[error("{field} out of range in {text:?}")]
    OutOfRange {
        /// Which component was wrong.
        field: &'static str,
        /// The offending input (shortened).
        text: String,
    },
    /// More than nine fraction digits.
    #[error("more than 9 fraction digits in {text:?}")]
    TooPrecise {
        /// The offending input (shortened).
        text: String,
    },
    /// The instant does not fit in `i64` nanoseconds (before 1677 or after 2262).
    #[error("{text:?} is outside the range of Unix nanoseconds")]
    Overflow {
        /// The offending input (shortened).
        text: String,
    },
}

/// Longest input echoed back inside an error.
const ERROR_ECHO_CHARS_MAX: usize = 40;

fn echo(text: &str) -> String {
    text.chars().take(ERROR_ECHO_CHARS_MAX).collect()
}

/// Parses an RFC 3339 timestamp into Unix nanoseconds.
///
/// Accepts `T`, `t` or a space between date and time, `Z`/`z` or a `±HH:MM` offset, and a
/// fraction of 1 to 9 digits.
pub fn parse_rfc3339_ns(text: &str) -> Result<i64, TimeError> {
    let bytes = text.as_bytes();
    let malformed = || TimeError::Malformed { text: echo(text) };
    if bytes.len() < 20 {
        return Err(malformed());
    }
    let year = digits(bytes, 0, 4).ok_or_else(malformed)?;
    let month = digits(bytes, 5, 2).ok_or_else(malformed)?;
    let day = digits(bytes, 8, 2).ok_or_else(malformed)?;
    let hour = digits(bytes, 11, 2).ok_or_else(malformed)?;
    let minute = digits(bytes, 14, 2).ok_or_else(malformed)?;
    let second = digits(bytes, 17, 2).ok_or_else(malformed)?;
    if bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return Err(malformed());
    }
    let out_of_range = |field: &'static str| TimeError::OutOfRange {
        field,
        text: echo(text),
    };
    if !(1..=12).contains(&month) {
        return Err(out_of_range("month"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(out_of_range("day"));
    }
    if hour > 23 {
        return Err(out_of_range("hour"));
    }
    if minute > 59 {
        return Err(out_of_range("minute"));
    }
    if second > 59 {
        return Err(out_of_range("second"));
    }

    let mut at = 19;
    let mut fraction_ns: i64 = 0;
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while at < bytes.len() && bytes[at].is_ascii_digit() {
            at += 1;
        }
        let count = at - start;
        if count == 0 {
            return Err(malformed());
        }
        if count > FRACTION_DIGITS_MAX {
            return Err(TimeError::TooPrecise { text: echo(text) });
        }
        for &digit in &bytes[start..at] {
            fraction_ns = fraction_ns * 10 + i64::from(digit - b'0');
        }
        for _ in count..FRACTION_DIGITS_MAX {
            fraction_ns *= 10;
        }
    }

    let offset_seconds = match &bytes[at..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 5 && rest[2] == b':' => {
            let offset_hours = digits(rest, 0, 2).ok_or_else(malformed)?;
            let offset_minutes = digits(rest, 3, 2).ok_or_else(malformed)?;
            if offset_hours > 23 {
                return Err(out_of_range("offset hour"));
            }
            if offset_minutes > 59 {
                return Err(out_of_range("offset minute"));
            }
            let magnitude = offset_hours * 3600 + offset_minutes * 60;
            if *sign == b'+' { magnitude } else { -magnitude }
        }
        _ => return Err(malformed()),
    };

    let days = days_from_civil(year, month, day);
    let seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset_seconds;
    seconds
        .checked_mul(NANOS_PER_SECOND)
        .and_then(|ns| ns.checked_add(fraction_ns))
        .ok_or_else(|| TimeError::Overflow { text: echo(text) })
}

/// Formats Unix nanoseconds as RFC 3339 UTC with microseconds, the way Kalshi writes object
/// times: `"2026-05-13T01:51:41.778164Z"` (sub-microsecond digits are truncated).
pub fn format_rfc3339_micros(ts_ns: i64) -> String {
    let seconds = ts_ns.div_euclid(NANOS_PER_SECOND);
    let micros = ts_ns.rem_euclid(NANOS_PER_SECOND) / 1_000;
    let (year, month, day, hour, minute, second) = civil_from_seconds(seconds);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{micros:06}Z")
}

/// Formats Unix nanoseconds as RFC 3339 UTC without a fraction: `"2026-05-20T03:59:00Z"`
/// (the form Kalshi uses for `open_time` / `close_time`).
pub fn format_rfc3339_seconds(ts_ns: i64) -> String {
    let (year, month, day, hour, minute, second) =
        civil_from_seconds(ts_ns.div_euclid(NANOS_PER_SECOND));
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

/// Reads `count` ASCII digits starting at `start` as a number.
fn digits(bytes: &[u8], start: usize, count: usize) -> Option<i64> {
    let slice = bytes.get(start..start + count)?;
    let mut value = 0i64;
    for &byte in slice {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(byte - b'0');
    }
    Some(value)
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the well-known era-based formula).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`], plus the time of day.
fn civil_from_seconds(seconds: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
    )
}
