//! The one place io (and the runtime above it) reads the wall clock.
//!
//! Everything time-stamped outside the deterministic core — envelope stamps, auth headers,
//! clock probes, unique file names — asks [`wall_clock_now`], so a test or an audit finds the
//! single read here. Monotonic `Instant`s (timeouts, rate-limit refills) are not wall time and
//! stay where they are used.

use kalshi_core::time::UnixNanos;

/// The current Unix time; a system clock set before 1970 reads as the epoch.
#[allow(clippy::disallowed_methods)]
pub fn wall_clock_now() -> UnixNanos {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(UnixNanos::EPOCH, UnixNanos::from_duration_since_epoch)
}

/// [`UnixNanos`] for a wall-clock reading taken elsewhere (an HTTP `Date` header), or the
/// epoch when it names an instant before 1970.
pub fn unix_nanos_of(time: std::time::SystemTime) -> UnixNanos {
    time.duration_since(std::time::UNIX_EPOCH)
        .map_or(UnixNanos::EPOCH, UnixNanos::from_duration_since_epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_reads_a_time_after_this_code_was_written() {
        // 2026-12-01T00:00:00Z.
        let written = UnixNanos::parse_rfc3339("2026-12-01T00:00:00Z").unwrap();
        assert!(wall_clock_now() > written);
    }

    #[test]
    fn instants_before_1970_read_as_the_epoch() {
        let before = std::time::UNIX_EPOCH - std::time::Duration::from_secs(5);
        assert_eq!(unix_nanos_of(before), UnixNanos::EPOCH);
        let after = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1500);
        assert_eq!(unix_nanos_of(after).as_ms(), 1500);
    }
}
