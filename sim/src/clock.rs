//! Where the simulator's time comes from. The exchange itself is pure — every call takes
//! `now_ns` — and only the layer that drives it (the server, a test) asks a [`Clock`].
//! `Clock::Real` is the only place the simulator reads the wall clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of Unix time in nanoseconds.
#[derive(Debug, Clone)]
pub enum Clock {
    /// The wall clock.
    Real,
    /// Time set by the caller; clones share the same time.
    Virtual(VirtualClock),
}

impl Clock {
    /// A virtual clock starting at `start_ns`.
    pub fn virtual_at(start_ns: i64) -> Clock {
        Clock::Virtual(VirtualClock::new(start_ns))
    }

    /// Current Unix time, ns.
    pub fn now_ns(&self) -> i64 {
        match self {
            Clock::Real => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| {
                    i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX)
                }),
            Clock::Virtual(clock) => clock.now_ns(),
        }
    }
}

/// A manually driven clock that only moves forward.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    now_ns: Arc<AtomicI64>,
}

impl VirtualClock {
    /// A clock reading `start_ns`.
    pub fn new(start_ns: i64) -> VirtualClock {
        VirtualClock {
            now_ns: Arc::new(AtomicI64::new(start_ns)),
        }
    }

    /// Current time, ns.
    pub fn now_ns(&self) -> i64 {
        self.now_ns.load(Ordering::SeqCst)
    }

    /// Sets the time; earlier times than the current one are ignored. Returns the new time.
    pub fn set_ns(&self, now_ns: i64) -> i64 {
        self.now_ns.fetch_max(now_ns, Ordering::SeqCst).max(now_ns)
    }

    /// Moves the time forward by `delta_ns` (negative deltas are ignored). Returns the new time.
    pub fn advance_ns(&self, delta_ns: i64) -> i64 {
        let delta = delta_ns.max(0);
        self.now_ns
            .fetch_add(delta, Ordering::SeqCst)
            .saturating_add(delta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_moves_only_forward_and_is_shared() {
        let clock = Clock::virtual_at(1_000);
        let Clock::Virtual(handle) = clock.clone() else {
            panic!("expected a virtual clock")
        };
        assert_eq!(handle.advance_ns(500), 1_500);
        assert_eq!(clock.now_ns(), 1_500);
        assert_eq!(handle.set_ns(1_200), 1_500);
        assert_eq!(handle.set_ns(2_000), 2_000);
        assert_eq!(clock.now_ns(), 2_000);
    }

    #[test]
    fn real_clock_reads_a_plausible_time() {
        // After 2024-01-01.
        assert!(Clock::Real.now_ns() > 1_704_067_200 * 1_000_000_000);
    }
}
