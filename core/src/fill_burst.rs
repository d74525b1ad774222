//! The local fill-burst breaker: trips before the exchange's order group would.
//!
//! A Kalshi order group caps the contracts matched over a rolling 15-second window; past the
//! cap the exchange cancels every order of the group and refuses new ones until the group is
//! reset. The engine keeps its own tally of our matched contracts over
//! `risk.fill_burst_window_ms` (driven by envelope `ts_ns`, never a clock) and trips as soon as
//! the tally reaches `risk.fill_burst_contracts_max`: every quote is cancelled in that step and
//! nothing is placed until the cooldown has passed **and** the tally is back below the
//! threshold (checked on timer ticks). With the configuration rule
//! `fill_burst_contracts_max + order_contracts_max <= order_group_contracts_limit`, the fill
//! that trips the breaker cannot take the group past its limit (see
//! [`crate::config::OrderDefaults::order_group_contracts_limit`]).

use std::collections::VecDeque;

use crate::config::RiskLimits;
use crate::fixed::Count;
pub use crate::vocab::fill_burst::{FillBurstRecord, FillBurstState};

use crate::time::NS_PER_MS;

/// Our matched contracts over a rolling window, and whether the breaker is tripped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FillBurstBreaker {
    /// Fills inside the window: (receive time ns, contracts), oldest first.
    fills: VecDeque<(i64, Count)>,
    /// Sum of `fills`.
    window_total: Count,
    tripped: bool,
    cooldown_until_ts_ns: i64,
    /// Latest time seen; time never runs backwards here.
    now_ts_ns: i64,
}

impl FillBurstBreaker {
    /// An untripped breaker with an empty window.
    pub fn new() -> FillBurstBreaker {
        FillBurstBreaker::default()
    }

    /// True while quoting is stopped.
    pub fn is_tripped(&self) -> bool {
        self.tripped
    }

    /// Our matched contracts inside the window as of the last fill or tick.
    pub fn window_total(&self) -> Count {
        self.window_total
    }

    /// Moves time to `ts_ns` (never backwards) and drops fills older than the window. The
    /// window is closed at both ends (a fill exactly one window old still counts), so the
    /// tally is never below the exchange's for the same window length.
    fn advance(&mut self, limits: &RiskLimits, ts_ns: i64) {
        self.now_ts_ns = self.now_ts_ns.max(ts_ns);
        let window_ns = limits.fill_burst_window_ms.saturating_mul(NS_PER_MS);
        let oldest_kept = self.now_ts_ns.saturating_sub(window_ns);
        while let Some(&(fill_ts_ns, count)) = self.fills.front() {
            if fill_ts_ns >= oldest_kept {
                break;
            }
            self.fills.pop_front();
            self.window_total = self.window_total.saturating_sub(count);
        }
    }

    fn record(&self, state: FillBurstState, limits: &RiskLimits) -> FillBurstRecord {
        FillBurstRecord {
            state,
            window_contracts: self.window_total,
            threshold: limits.fill_burst_contracts_max,
            window_ms: limits.fill_burst_window_ms,
            cooldown_until_ts_ns: self.cooldown_until_ts_ns,
        }
    }

    /// Counts one of our fills received at `ts_ns`. Returns the trip record when this fill
    /// brings the window tally to the threshold. A fill while tripped extends the cooldown.
    pub fn record_fill(
        &mut self,
        limits: &RiskLimits,
        ts_ns: i64,
        count: Count,
    ) -> Option<FillBurstRecord> {
        self.advance(limits, ts_ns);
        self.fills.push_back((self.now_ts_ns, count));
        self.window_total = self.window_total + count;
        if self.window_total < limits.fill_burst_contracts_max {
            return None;
        }
        let cooldown_ns = limits.fill_burst_cooldown_ms.saturating_mul(NS_PER_MS);
        let until = self.now_ts_ns.saturating_add(cooldown_ns);
        self.cooldown_until_ts_ns = self.cooldown_until_ts_ns.max(until);
        if self.tripped {
            return None;
        }
        self.tripped = true;
        Some(self.record(FillBurstState::Tripped, limits))
    }

    /// A timer tick at `ts_ns`: resumes when the cooldown has passed and the window tally is
    /// below the threshold again. Returns the resume record when it does.
    pub fn on_tick(&mut self, limits: &RiskLimits, ts_ns: i64) -> Option<FillBurstRecord> {
        self.advance(limits, ts_ns);
        if !self.tripped
            || self.now_ts_ns < self.cooldown_until_ts_ns
            || self.window_total >= limits.fill_burst_contracts_max
        {
            return None;
        }
        self.tripped = false;
        Some(self.record(FillBurstState::Resumed, limits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> RiskLimits {
        RiskLimits {
            fill_burst_contracts_max: Count::from_contracts(10).unwrap(),
            fill_burst_window_ms: 15_000,
            fill_burst_cooldown_ms: 60_000,
            ..RiskLimits::default()
        }
    }

    fn contracts(n: i64) -> Count {
        Count::from_contracts(n).unwrap()
    }

    const S: i64 = 1_000_000_000;

    #[test]
    fn trips_on_the_fill_that_reaches_the_threshold_and_waits_for_cooldown_and_window() {
        let limits = limits();
        let mut breaker = FillBurstBreaker::new();
        assert_eq!(breaker.record_fill(&limits, 0, contracts(6)), None);
        let tripped = breaker.record_fill(&limits, 5 * S, contracts(4)).unwrap();
        assert_eq!(tripped.state, FillBurstState::Tripped);
        assert_eq!(tripped.window_contracts, contracts(10));
        assert_eq!(tripped.cooldown_until_ts_ns, 65 * S);
        assert!(breaker.is_tripped());
        // The window empties after 20 s, but the cooldown holds until 65 s.
        assert_eq!(breaker.on_tick(&limits, 30 * S), None);
        assert_eq!(breaker.window_total(), Count::ZERO);
        let resumed = breaker.on_tick(&limits, 65 * S).unwrap();
        assert_eq!(resumed.state, FillBurstState::Resumed);
        assert!(!breaker.is_tripped());
    }

    #[test]
    fn a_window_still_at_the_threshold_keeps_it_tripped_after_the_cooldown() {
        let limits = RiskLimits {
            fill_burst_cooldown_ms: 1_000,
            ..limits()
        };
        let mut breaker = FillBurstBreaker::new();
        breaker.record_fill(&limits, 0, contracts(10));
        // Fills keep coming while tripped: each extends the cooldown, none re-journals a trip.
        assert_eq!(breaker.record_fill(&limits, 2 * S, contracts(1)), None);
        assert_eq!(breaker.on_tick(&limits, 3 * S + 1), None);
        assert!(breaker.is_tripped());
        // At 15 s the first fill is still inside the closed window; past it, 1 contract is left.
        assert_eq!(breaker.on_tick(&limits, 15 * S), None);
        assert!(breaker.on_tick(&limits, 15 * S + 1).is_some());
    }

    #[test]
    fn time_running_backwards_counts_fills_at_the_latest_time_seen() {
        let limits = limits();
        let mut breaker = FillBurstBreaker::new();
        breaker.record_fill(&limits, 20 * S, contracts(5));
        breaker.record_fill(&limits, 0, contracts(5));
        assert!(breaker.is_tripped());
        assert_eq!(breaker.window_total(), contracts(10));
    }
}
