//! [`UnixNanos`]: an instant as nanoseconds since the Unix epoch, kept apart from durations.
//!
//! Journaled records keep their `ts_ns: i64` fields (the encoding is the contract); code that
//! reads the wall clock or does arithmetic on instants uses this type, so an instant is never
//! added to another instant and a duration is never mistaken for a timestamp.

use super::{NS_PER_MS, TimeError, format_rfc3339_micros, parse_rfc3339_ns};

/// An instant: nanoseconds since 1970-01-01T00:00:00Z (UTC, no leap seconds).
///
/// Covers the years 1677 ..= 2262, the range of `i64` nanoseconds. Arithmetic saturates at
/// the ends of that range instead of wrapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixNanos(i64);

impl UnixNanos {
    /// The Unix epoch itself (also what a clock set before 1970 reads as).
    pub const EPOCH: UnixNanos = UnixNanos(0);

    /// The instant `ns` nanoseconds after the epoch (negative: before it).
    pub const fn from_ns(ns: i64) -> UnixNanos {
        UnixNanos(ns)
    }

    /// The instant `ms` milliseconds after the epoch, saturating outside the `i64` range.
    pub const fn from_ms(ms: i64) -> UnixNanos {
        UnixNanos(ms.saturating_mul(NS_PER_MS))
    }

    /// The instant a duration since the epoch names, saturating past the year 2262.
    pub fn from_duration_since_epoch(since_epoch: std::time::Duration) -> UnixNanos {
        UnixNanos(i64::try_from(since_epoch.as_nanos()).unwrap_or(i64::MAX))
    }

    /// Nanoseconds since the epoch, the form journaled records carry.
    pub const fn as_ns(self) -> i64 {
        self.0
    }

    /// Whole milliseconds since the epoch, rounded toward negative infinity.
    pub const fn as_ms(self) -> i64 {
        self.0.div_euclid(NS_PER_MS)
    }

    /// This instant moved by `delta_ns` nanoseconds (either direction), saturating.
    #[must_use]
    pub const fn plus_ns(self, delta_ns: i64) -> UnixNanos {
        UnixNanos(self.0.saturating_add(delta_ns))
    }

    /// Nanoseconds from `earlier` to `self` (negative when `earlier` is later), saturating.
    pub const fn ns_since(self, earlier: UnixNanos) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Reads an RFC 3339 timestamp (see [`parse_rfc3339_ns`]).
    pub fn parse_rfc3339(text: &str) -> Result<UnixNanos, TimeError> {
        parse_rfc3339_ns(text).map(UnixNanos)
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the form Kalshi writes (see [`format_rfc3339_micros`]).
    pub fn to_rfc3339_micros(self) -> String {
        format_rfc3339_micros(self.0)
    }
}

impl From<UnixNanos> for i64 {
    fn from(instant: UnixNanos) -> i64 {
        instant.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NS_PER_S;

    #[test]
    fn arithmetic_saturates_at_the_ends_of_the_range() {
        assert_eq!(
            UnixNanos::from_ns(i64::MAX - 1).plus_ns(10).as_ns(),
            i64::MAX
        );
        assert_eq!(
            UnixNanos::from_ns(i64::MIN + 1).plus_ns(-10).as_ns(),
            i64::MIN
        );
        assert_eq!(
            UnixNanos::from_ns(i64::MIN).ns_since(UnixNanos::from_ns(1)),
            i64::MIN
        );
        assert_eq!(UnixNanos::from_ms(i64::MAX).as_ns(), i64::MAX);
    }

    #[test]
    fn milliseconds_round_toward_the_past() {
        assert_eq!(UnixNanos::from_ns(1_999_999).as_ms(), 1);
        assert_eq!(UnixNanos::from_ns(-1).as_ms(), -1);
        assert_eq!(UnixNanos::from_ms(-3).as_ns(), -3 * NS_PER_MS);
    }

    #[test]
    fn rfc3339_round_trips_at_microsecond_precision() {
        let text = "2026-05-13T01:51:41.778164Z";
        let instant = UnixNanos::parse_rfc3339(text).expect("a valid timestamp");
        assert_eq!(instant.to_rfc3339_micros(), text);
        assert_eq!(
            instant.ns_since(UnixNanos::parse_rfc3339("2026-05-13T01:51:40.778164Z").unwrap()),
            NS_PER_S
        );
        assert!(UnixNanos::parse_rfc3339("2026-13-01T00:00:00Z").is_err());
    }

    #[test]
    fn durations_past_2262_saturate() {
        let far = std::time::Duration::from_secs(u64::MAX);
        assert_eq!(UnixNanos::from_duration_since_epoch(far).as_ns(), i64::MAX);
        let one_s = std::time::Duration::from_secs(1);
        assert_eq!(
            UnixNanos::from_duration_since_epoch(one_s).as_ns(),
            NS_PER_S
        );
    }
}
