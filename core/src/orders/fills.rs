//! Applying our own fills: each fill id moves the position and its order once, however many
//! times the exchange delivers it (stream and REST backfill, reconnects).
//!
//! The fill ids seen are remembered in a bounded ring ([`FILL_IDS_REMEMBERED_MAX`]): past it
//! the oldest id is forgotten, and the latest time of any forgotten fill is kept instead, so a
//! fill strictly older than that is still taken for one seen before. A repeat can slip through
//! only if it carries exactly that latest forgotten time.

use std::collections::VecDeque;

use super::{Effects, OrderManager, OrderStatus, TransitionCause};
use crate::market_data::OwnFill;
use crate::ticker_map::TickerMap;
pub use crate::vocab::orders::FillApplied;

/// How many fill ids the books remember to recognise a fill delivered twice (each id is kept
/// twice, with its time: a few MB at most). Older fills are recognised by time instead.
pub const FILL_IDS_REMEMBERED_MAX: usize = 100_000;

/// The fill ids seen, newest last, at most `max` of them; and the latest time of a forgotten
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SeenFills {
    /// Ids remembered, for the lookup.
    ids: TickerMap<()>,
    /// Ids remembered with their fill times, oldest first.
    ring: VecDeque<(Box<str>, i64)>,
    /// Latest fill time, Unix ns, of any id forgotten (`None` until the ring first overflows).
    forgotten_ts_ns: Option<i64>,
    /// Ids remembered at most (at least one).
    max: usize,
}

impl SeenFills {
    /// No fill seen; remembers up to `max` ids (at least one).
    pub(super) fn new(max: usize) -> SeenFills {
        SeenFills {
            ids: TickerMap::new(),
            ring: VecDeque::new(),
            forgotten_ts_ns: None,
            max: max.max(1),
        }
    }

    /// Notes the fill `fill_id` made at `ts_ns`; false when it was seen before (or is older
    /// than a fill already forgotten).
    pub(super) fn insert(&mut self, fill_id: &str, ts_ns: i64) -> bool {
        if self.ids.get(fill_id).is_some() {
            return false;
        }
        if self
            .forgotten_ts_ns
            .is_some_and(|forgotten| ts_ns < forgotten)
        {
            return false;
        }
        self.ids.insert(fill_id, ());
        self.ring.push_back((Box::from(fill_id), ts_ns));
        while self.ring.len() > self.max {
            let Some((oldest, oldest_ts_ns)) = self.ring.pop_front() else {
                break;
            };
            self.ids.remove(&oldest);
            self.forgotten_ts_ns = Some(
                self.forgotten_ts_ns
                    .map_or(oldest_ts_ns, |forgotten| forgotten.max(oldest_ts_ns)),
            );
        }
        true
    }

    /// Number of ids remembered.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.ring.len()
    }
}

impl OrderManager {
    /// Applies one of our fills. Returns `None` for a fill already seen.
    pub fn on_fill(&mut self, fill: &OwnFill) -> Option<(FillApplied, Effects)> {
        if !self.seen_fills.insert(&fill.fill_id, fill.ts_ns) {
            return None;
        }
        let mut effects = Effects::default();
        let realized = self.change_position(&fill.ticker, |positions| {
            let realized = positions.apply_fill(
                &fill.ticker,
                fill.side,
                fill.yes_price,
                fill.count,
                fill.fee,
            );
            if let Some(post_position) = fill.post_position {
                positions.correct_position(&fill.ticker, post_position);
            }
            realized
        });
        let key = self.key_for(fill.client_order_id.as_deref(), &fill.order_id);
        if let Some(key) = &key
            && let Some(record) = self.orders.get_mut(key)
        {
            record.record_fill(fill.count);
            if !matches!(
                record.status,
                OrderStatus::Pending | OrderStatus::Unknown | OrderStatus::Intent
            ) || record.remaining.is_zero()
            {
                let status = record.derived_live_status();
                effects.transitions.extend(Self::transition(
                    &mut self.index,
                    record,
                    key,
                    status,
                    TransitionCause::Fill,
                ));
            }
        }
        if let Some(key) = &key {
            self.refresh(key);
        }
        let applied = FillApplied {
            fill_id: fill.fill_id.clone(),
            ticker: fill.ticker.clone(),
            side: fill.side,
            yes_price: fill.yes_price,
            count: fill.count,
            fee: fill.fee,
            realized,
            position_after: self.positions.get(&fill.ticker).position,
        };
        self.evict_archived();
        Some((applied, effects))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fill_id_is_taken_once() {
        let mut seen = SeenFills::new(8);
        assert!(seen.insert("f1", 10));
        assert!(seen.insert("f2", 10));
        assert!(!seen.insert("f1", 10));
        assert!(!seen.insert("f2", 30));
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn past_the_bound_the_oldest_ids_are_forgotten_and_older_fills_refused_by_time() {
        let mut seen = SeenFills::new(3);
        for (number, ts_ns) in [(1, 100), (2, 200), (3, 200), (4, 300), (5, 300)] {
            assert!(seen.insert(&format!("f{number}"), ts_ns));
        }
        // f1 (100) and f2 (200) were forgotten; the ring holds f3, f4 and f5.
        assert_eq!(seen.len(), 3);
        assert!(!seen.insert("f4", 300), "a remembered id is refused by id");
        assert!(
            !seen.insert("f1", 100),
            "older than a forgotten fill: refused by time"
        );
        assert!(
            !seen.insert("f0", 150),
            "any fill that old is taken for a repeat"
        );
        // A new fill at the latest forgotten time is still taken (ties are common in bursts).
        assert!(seen.insert("f6", 200));
        assert!(seen.insert("f7", 400));
        assert_eq!(seen.len(), 3);
    }

    #[test]
    fn the_bound_is_at_least_one() {
        let mut seen = SeenFills::new(0);
        assert!(seen.insert("f1", 5));
        assert!(!seen.insert("f1", 5));
        assert!(seen.insert("f2", 5));
        assert_eq!(seen.len(), 1);
    }
}
