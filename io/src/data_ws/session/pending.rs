//! Subscribe requests of one connection awaiting their answer, each with the market list it
//! named, so that markets added or removed before the answer (while no sid is known to update)
//! are brought in line as soon as it arrives.

use std::collections::{BTreeMap, BTreeSet};

use super::{Channel, PENDING_SUBSCRIBES_MAX};

/// One subscribe request awaiting its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PendingSubscribe {
    /// The channel it subscribes.
    pub(super) channel: Channel,
    /// The markets it named (empty for a channel that is not market-scoped).
    pub(super) markets: Vec<String>,
}

impl PendingSubscribe {
    /// The markets `wanted` holds that the request did not name, and those it named that
    /// `wanted` no longer holds.
    pub(super) fn differences(&self, wanted: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
        let named: BTreeSet<&str> = self.markets.iter().map(String::as_str).collect();
        let missing = wanted
            .iter()
            .filter(|ticker| !named.contains(ticker.as_str()))
            .cloned()
            .collect();
        let extra = self
            .markets
            .iter()
            .filter(|ticker| !wanted.contains(*ticker))
            .cloned()
            .collect();
        (missing, extra)
    }
}

/// The requests by command id, at most [`PENDING_SUBSCRIBES_MAX`] (the oldest beyond are
/// forgotten).
#[derive(Debug, Clone, Default)]
pub(super) struct PendingSubscribes {
    by_id: BTreeMap<u64, PendingSubscribe>,
}

impl PendingSubscribes {
    /// Notes request `id`.
    pub(super) fn insert(&mut self, id: u64, request: PendingSubscribe) {
        self.by_id.insert(id, request);
        while self.by_id.len() > PENDING_SUBSCRIBES_MAX {
            self.by_id.pop_first();
        }
    }

    /// Takes request `id` out (its answer or error arrived).
    pub(super) fn take(&mut self, id: u64) -> Option<PendingSubscribe> {
        self.by_id.remove(&id)
    }

    /// Whether a request for `channel` awaits its answer.
    pub(super) fn has_channel(&self, channel: Channel) -> bool {
        self.by_id
            .values()
            .any(|request| request.channel == channel)
    }

    /// Forgets every request (the socket they went out on is gone).
    pub(super) fn clear(&mut self) {
        self.by_id.clear();
    }
}
