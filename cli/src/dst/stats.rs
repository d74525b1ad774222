//! What one simulated run did: faults injected by kind and the system's own counters.

use std::fmt;

/// Faults injected, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaultCounts {
    /// Sequenced data frames dropped.
    pub feed_drop: u64,
    /// Data frames delivered twice.
    pub feed_duplicate: u64,
    /// Data frames held back behind the next one.
    pub feed_reorder: u64,
    /// Sequenced data frames cut short.
    pub feed_garble: u64,
    /// WebSocket connections lost (followed by a reconnect).
    pub reconnect: u64,
    /// Writes refused with 429 before reaching the matching engine.
    pub exec_rate_limited: u64,
    /// Writes answered 5xx before reaching the matching engine.
    pub exec_server_error: u64,
    /// Writes timed out (408) before reaching the matching engine.
    pub exec_timeout: u64,
    /// Writes applied by the exchange whose answer was lost.
    pub exec_lost_response: u64,
    /// Lookups that failed (no answer read).
    pub lookup_failed: u64,
    /// Commands the exec queue refused (full).
    pub queue_full: u64,
}

impl FaultCounts {
    /// Each kind with its name, for the "every fault happened" check.
    pub fn by_kind(&self) -> [(&'static str, u64); 11] {
        [
            ("feed_drop", self.feed_drop),
            ("feed_duplicate", self.feed_duplicate),
            ("feed_reorder", self.feed_reorder),
            ("feed_garble", self.feed_garble),
            ("reconnect", self.reconnect),
            ("exec_rate_limited", self.exec_rate_limited),
            ("exec_server_error", self.exec_server_error),
            ("exec_timeout", self.exec_timeout),
            ("exec_lost_response", self.exec_lost_response),
            ("lookup_failed", self.lookup_failed),
            ("queue_full", self.queue_full),
        ]
    }

    /// Adds another run's counts.
    pub fn add(&mut self, other: &FaultCounts) {
        self.feed_drop += other.feed_drop;
        self.feed_duplicate += other.feed_duplicate;
        self.feed_reorder += other.feed_reorder;
        self.feed_garble += other.feed_garble;
        self.reconnect += other.reconnect;
        self.exec_rate_limited += other.exec_rate_limited;
        self.exec_server_error += other.exec_server_error;
        self.exec_timeout += other.exec_timeout;
        self.exec_lost_response += other.exec_lost_response;
        self.lookup_failed += other.lookup_failed;
        self.queue_full += other.queue_full;
    }
}

/// Figures of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStats {
    /// The seed that drove every random choice; rerunning it reproduces the run.
    pub seed: u64,
    /// Steps run.
    pub steps: u64,
    /// Inputs the sequencer processed.
    pub inputs: u64,
    /// Place commands.
    pub places: u64,
    /// Cancel commands.
    pub cancels: u64,
    /// Amend and decrease commands.
    pub modifies: u64,
    /// Fills the engine applied.
    pub fills: u64,
    /// Orders the exchange holds for the bot (any status).
    pub exchange_orders: u64,
    /// Sequence gaps the WebSocket session detected.
    pub gaps: u64,
    /// Undecodable frames the session counted.
    pub undecodable: u64,
    /// Unknown outcomes resolved by a lookup (found or not found).
    pub unknowns_resolved: u64,
    /// Reconciliations fed to the engine.
    pub reconciliations: u64,
    /// Quiescent checkpoints passed.
    pub checkpoints: u64,
    /// Faults injected.
    pub faults: FaultCounts,
    /// Journal digest (hex chain head).
    pub digest: String,
}

impl fmt::Display for RunStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed={} steps={} inputs={} places={} cancels={} modifies={} fills={} \
             exchange_orders={} gaps={} undecodable={} unknowns_resolved={} reconciliations={} \
             checkpoints={} faults:",
            self.seed,
            self.steps,
            self.inputs,
            self.places,
            self.cancels,
            self.modifies,
            self.fills,
            self.exchange_orders,
            self.gaps,
            self.undecodable,
            self.unknowns_resolved,
            self.reconciliations,
            self.checkpoints,
        )?;
        for (name, count) in self.faults.by_kind() {
            write!(f, " {name}={count}")?;
        }
        write!(f, " digest={}", self.digest)
    }
}
