//! The runtime's wall clock. Only the runtime reads it; the engine sees time solely as the
//! `ts_ns` the sequencer stamps on each envelope.

/// Nanoseconds per second.
pub use kalshi_core::time::NS_PER_S;

/// Current Unix time in nanoseconds (0 if the system clock is before 1970), read through
/// io's one wall-clock read.
pub fn now_ns() -> i64 {
    kalshi_io::clock::wall_clock_now().as_ns()
}

/// The next UTC midnight strictly after `ts_ns`.
pub fn next_utc_midnight_ns(ts_ns: i64) -> i64 {
    let day_ns = 86_400 * NS_PER_S;
    (ts_ns.div_euclid(day_ns) + 1).saturating_mul(day_ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midnight_is_the_start_of_the_next_utc_day() {
        // 2026-11-01T23:59:59Z → 2026-11-02T00:00:00Z.
        let before = 1_793_577_599 * NS_PER_S;
        assert_eq!(next_utc_midnight_ns(before), 1_793_577_600 * NS_PER_S);
        // Exactly midnight moves a whole day on.
        assert_eq!(
            next_utc_midnight_ns(1_793_577_600 * NS_PER_S),
            1_793_664_000 * NS_PER_S
        );
    }
}
