//! Which records are live (not terminal), per market, and the bounded archive of terminal
//! ones: the order they retired in, and the eviction of the oldest beyond the bound.

use std::collections::{BTreeMap, BTreeSet};

use super::{OrderManager, OrderRecord, OrderStatus};
use crate::ticker_map::TickerMap;

/// How many terminal (filled, cancelled, rejected) records stay reachable by client id and
/// exchange order id after they end, for late fills, acks and snapshots. Past this bound the
/// record retired longest ago is dropped; a late event for it is then treated like one for an
/// order the books never knew (a fill still moves the position).
pub const TERMINAL_ARCHIVE_MAX: usize = 10_000;

/// Which records are live (not terminal), per market, and the order terminal ones retired in.
/// Kept in step with the records by [`set_status`] and [`OrderManager::insert_record`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct RecordIndex {
    /// Keys of every live record, in key order.
    pub(super) live: BTreeSet<String>,
    /// Keys of the live records of each market, in key order.
    pub(super) live_by_ticker: TickerMap<BTreeSet<String>>,
    /// Keys of terminal records by retirement number, oldest first.
    retired: BTreeMap<u64, String>,
    /// Retirement number of each terminal record.
    retired_seq: TickerMap<u64>,
    /// Retirement number the next record to end receives.
    next_seq: u64,
}

impl RecordIndex {
    /// Files `key` (a record of `ticker`) as live or retired according to `status`.
    pub(super) fn track(&mut self, key: &str, ticker: &str, status: OrderStatus) {
        if status.is_terminal() {
            if self.live.remove(key) {
                self.remove_live_in(key, ticker);
            }
            if self.retired_seq.get(key).is_none() {
                self.retired_seq.insert(key, self.next_seq);
                self.retired.insert(self.next_seq, key.to_string());
                self.next_seq += 1;
            }
        } else {
            if let Some(seq) = self.retired_seq.remove(key) {
                self.retired.remove(&seq);
            }
            if !self.live.contains(key) {
                self.live.insert(key.to_string());
                self.live_by_ticker
                    .get_or_insert_with(ticker, BTreeSet::new)
                    .insert(key.to_string());
            }
        }
    }

    /// Drops every trace of `key` (a record of `ticker`).
    pub(super) fn forget(&mut self, key: &str, ticker: &str) {
        if self.live.remove(key) {
            self.remove_live_in(key, ticker);
        }
        if let Some(seq) = self.retired_seq.remove(key) {
            self.retired.remove(&seq);
        }
    }

    fn remove_live_in(&mut self, key: &str, ticker: &str) {
        if let Some(keys) = self.live_by_ticker.get_mut(ticker) {
            keys.remove(key);
            if keys.is_empty() {
                self.live_by_ticker.remove(ticker);
            }
        }
    }

    /// Keys of the live records of `ticker`, in key order.
    pub(super) fn live_in(&self, ticker: &str) -> impl Iterator<Item = &String> {
        self.live_by_ticker.get(ticker).into_iter().flatten()
    }
}

/// Sets the status of `record` (filed under `key`) and keeps `index` in step. Every status
/// change goes through here (or [`OrderManager::insert_record`] for a new record).
pub(super) fn set_status(
    index: &mut RecordIndex,
    record: &mut OrderRecord,
    key: &str,
    to: OrderStatus,
) -> OrderStatus {
    let from = record.status;
    record.status = to;
    index.track(key, &record.ticker, to);
    from
}

impl OrderManager {
    /// Drops the terminal records retired longest ago beyond the archive bound.
    pub(crate) fn evict_archived(&mut self) {
        while self.index.retired.len() > self.archive_max {
            let Some((_, key)) = self.index.retired.pop_first() else {
                break;
            };
            self.index.retired_seq.remove(&key);
            if let Some(record) = self.orders.remove(&key)
                && let Some(order_id) = record.order_id
                && self.by_order_id.get(&order_id) == Some(&key)
            {
                self.by_order_id.remove(&order_id);
            }
        }
    }
}
