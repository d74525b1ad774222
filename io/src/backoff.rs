//! Capped exponential backoff with full jitter.
//!
//! Attempt `n` (0-based) waits a uniformly random time in `[0, min(cap, base · 2^n)]`
//! ("full jitter"), which spreads retries of many clients apart. Used for REST reads after a
//! 429 or 5xx (never for writes) and for WebSocket reconnects.

use std::time::Duration;

use rand::Rng;

/// How retries are spaced and how many are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Ceiling of the first retry's delay.
    pub base: Duration,
    /// Largest delay ever returned.
    pub cap: Duration,
    /// Retries allowed after the first attempt (`0` = no retries).
    pub max_retries: u32,
}

impl Default for BackoffPolicy {
    /// 100 ms base, 5 s cap, 4 retries.
    fn default() -> Self {
        BackoffPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(5),
            max_retries: 4,
        }
    }
}

impl BackoffPolicy {
    /// A policy that never retries.
    pub const fn no_retries() -> BackoffPolicy {
        BackoffPolicy {
            base: Duration::ZERO,
            cap: Duration::ZERO,
            max_retries: 0,
        }
    }

    /// The upper bound of the delay before retry number `retry` (0-based):
    /// `min(cap, base · 2^retry)`, saturating.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(self.cap)
    }

    /// A random delay in `[0, ceiling(retry)]`.
    pub fn delay<R: Rng + ?Sized>(&self, retry: u32, rng: &mut R) -> Duration {
        let ceiling_ns = u64::try_from(self.ceiling(retry).as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rng.gen_range(0..=ceiling_ns))
    }

    /// Whether another retry is allowed after `retries_done` retries.
    pub const fn allows_retry(&self, retries_done: u32) -> bool {
        retries_done < self.max_retries
    }
}

/// A running backoff: counts retries and hands out the next delay.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: BackoffPolicy,
    retries_done: u32,
}

impl Backoff {
    /// A fresh backoff under `policy`.
    pub const fn new(policy: BackoffPolicy) -> Backoff {
        Backoff {
            policy,
            retries_done: 0,
        }
    }

    /// The delay before the next retry, or `None` when the retry budget is spent.
    pub fn next_delay<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Option<Duration> {
        if !self.policy.allows_retry(self.retries_done) {
            return None;
        }
        let delay = self.policy.delay(self.retries_done, rng);
        self.retries_done += 1;
        Some(delay)
    }

    /// The delay before the next attempt, ignoring `max_retries` (for loops that retry
    /// forever, like reconnects); the ceiling stays capped.
    pub fn next_delay_unbounded<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Duration {
        let delay = self.policy.delay(self.retries_done, rng);
        self.retries_done = self.retries_done.saturating_add(1);
        delay
    }

    /// Retries handed out so far.
    pub const fn retries_done(&self) -> u32 {
        self.retries_done
    }

    /// Starts over (after a success).
    pub fn reset(&mut self) {
        self.retries_done = 0;
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn ceiling_doubles_then_caps() {
        let policy = BackoffPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
            max_retries: 10,
        };
        assert_eq!(policy.ceiling(0), Duration::from_millis(100));
        assert_eq!(policy.ceiling(1), Duration::from_millis(200));
        assert_eq!(policy.ceiling(3), Duration::from_millis(800));
        assert_eq!(policy.ceiling(4), Duration::from_secs(1));
        assert_eq!(policy.ceiling(1_000), Duration::from_secs(1));
    }

    #[test]
    fn delays_stay_within_bounds_and_spread() {
        let policy = BackoffPolicy {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(400),
            max_retries: 100,
        };
        let mut rng = StdRng::seed_from_u64(7);
        for retry in 0..12 {
            let mut distinct = std::collections::BTreeSet::new();
            for _ in 0..200 {
                let delay = policy.delay(retry, &mut rng);
                assert!(delay <= policy.ceiling(retry), "retry {retry}: {delay:?}");
                distinct.insert(delay);
            }
            assert!(distinct.len() > 150, "full jitter spreads delays");
        }
    }

    #[test]
    fn retry_budget_is_bounded() {
        let mut backoff = Backoff::new(BackoffPolicy {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(100),
            max_retries: 3,
        });
        let mut rng = StdRng::seed_from_u64(1);
        assert!(backoff.next_delay(&mut rng).is_some());
        assert!(backoff.next_delay(&mut rng).is_some());
        assert!(backoff.next_delay(&mut rng).is_some());
        assert_eq!(backoff.next_delay(&mut rng), None);
        assert_eq!(backoff.retries_done(), 3);
        backoff.reset();
        assert!(backoff.next_delay(&mut rng).is_some());
        assert!(!BackoffPolicy::no_retries().allows_retry(0));
        let mut unbounded = Backoff::new(BackoffPolicy::no_retries());
        assert_eq!(unbounded.next_delay_unbounded(&mut rng), Duration::ZERO);
    }
}
