//! The staleness guard: how old is what the engine is about to act on?
//!
//! Every input carries its arrival time (`recv_ts_ns`, stamped by the task that read it).
//! When the sequencer falls behind its inputs (a slow disk, a flood of deltas) the gap between
//! that time and now grows. Before each input the guard compares the two; when the age passes
//! the bound it returns a `FeedLag { stale: true }` input, which the runtime journals ahead of
//! the old input, so the engine withdraws every quote and decides nothing on it. Quoting
//! resumes with `FeedLag { stale: false }` once inputs are processed within half the bound
//! (hysteresis, so the verdict does not flap around the bound).

use kalshi_core::events::Event;

use kalshi_core::time::NS_PER_MS;

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct LagGuard {
    stale_after_ns: i64,
    fresh_within_ns: i64,
    stale: bool,
    lag_ns_max: i64,
    stale_episodes: u64,
}

impl LagGuard {
    /// A guard that calls inputs older than `stale_after_ms` stale (0 turns it off).
    pub fn new(stale_after_ms: u64) -> LagGuard {
        let stale_after_ns = i64::try_from(stale_after_ms)
            .unwrap_or(i64::MAX / NS_PER_MS)
            .saturating_mul(NS_PER_MS);
        LagGuard {
            stale_after_ns,
            fresh_within_ns: stale_after_ns / 2,
            stale: false,
            lag_ns_max: 0,
            stale_episodes: 0,
        }
    }

    /// Looks at an input that arrived at `recv_ts_ns` and is processed at `now_ns`; returns
    /// the `FeedLag` input to journal before it when the verdict changes.
    pub fn observe(&mut self, recv_ts_ns: i64, now_ns: i64) -> Option<Event> {
        let lag_ns = now_ns.saturating_sub(recv_ts_ns).max(0);
        self.lag_ns_max = self.lag_ns_max.max(lag_ns);
        if self.stale_after_ns == 0 {
            return None;
        }
        let next = if self.stale {
            lag_ns > self.fresh_within_ns
        } else {
            lag_ns > self.stale_after_ns
        };
        if next == self.stale {
            return None;
        }
        self.stale = next;
        if next {
            self.stale_episodes += 1;
        }
        Some(Event::FeedLag {
            lag_ms: u64::try_from(lag_ns / NS_PER_MS).unwrap_or(0),
            stale: next,
        })
    }

    /// Whether quoting is held for stale inputs.
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// How many times the inputs became stale so far.
    pub fn stale_episodes(&self) -> u64 {
        self.stale_episodes
    }

    /// The largest age seen since the last status line, ms, without resetting it.
    pub fn peek_lag_ms_max(&self) -> u64 {
        u64::try_from(self.lag_ns_max / NS_PER_MS).unwrap_or(0)
    }

    /// The largest age seen since the last call, ms (for the status line).
    pub fn take_lag_ms_max(&mut self) -> u64 {
        let lag_ms = u64::try_from(self.lag_ns_max / NS_PER_MS).unwrap_or(0);
        self.lag_ns_max = 0;
        lag_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_793_491_200_000_000_000;

    fn lag(ms: i64) -> (i64, i64) {
        (T0, T0 + ms * NS_PER_MS)
    }

    #[test]
    fn stale_past_the_bound_and_fresh_again_within_half_of_it() {
        let mut guard = LagGuard::new(2_000);
        let (recv, now) = lag(1_999);
        assert_eq!(guard.observe(recv, now), None);
        let (recv, now) = lag(2_001);
        assert_eq!(
            guard.observe(recv, now),
            Some(Event::FeedLag {
                lag_ms: 2_001,
                stale: true
            })
        );
        assert!(guard.is_stale());
        // Between half the bound and the bound: still stale (hysteresis).
        let (recv, now) = lag(1_500);
        assert_eq!(guard.observe(recv, now), None);
        let (recv, now) = lag(900);
        assert_eq!(
            guard.observe(recv, now),
            Some(Event::FeedLag {
                lag_ms: 900,
                stale: false
            })
        );
        assert!(!guard.is_stale());
        assert_eq!(guard.stale_episodes(), 1);
        assert_eq!(guard.take_lag_ms_max(), 2_001);
        assert_eq!(guard.take_lag_ms_max(), 0);
    }

    #[test]
    fn a_zero_bound_never_calls_anything_stale() {
        let mut guard = LagGuard::new(0);
        let (recv, now) = lag(600_000);
        assert_eq!(guard.observe(recv, now), None);
        assert_eq!(guard.take_lag_ms_max(), 600_000);
    }

    #[test]
    fn inputs_stamped_after_now_count_as_fresh() {
        let mut guard = LagGuard::new(1_000);
        assert_eq!(guard.observe(T0 + 5 * NS_PER_MS, T0), None);
        assert_eq!(guard.take_lag_ms_max(), 0);
    }
}
