//! The simulator's view of one market's visible book, and the queue arithmetic for our
//! hypothetical resting orders inside it.
//!
//! The visible book is what the data shows (other participants only: a backtest's orders
//! never appear in historical data). Our order's `queue_ahead` is the visible size that was
//! resting at its level when it arrived, reduced as that size trades or is cancelled.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use kalshi_core::market_data::{BookDelta, BookSnapshot};
use kalshi_core::{BookSide, Count, Price};

/// Where at a level the size cancelled by others is assumed to have sat, relative to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelPosition {
    /// Cancels come from the front: every cancelled contract moves us up (optimistic).
    Front,
    /// Cancels come from the back: they move us up only once everything behind us is gone
    /// (pessimistic; the default).
    #[default]
    Back,
    /// Cancels are spread evenly: we move up by the cancelled share of the size ahead of us.
    ProRata,
}

/// Visible resting size per price, both sides, plus traded size not yet seen leaving the book.
#[derive(Debug, Clone, Default)]
pub struct VisibleBook {
    bids: BTreeMap<Price, Count>,
    asks: BTreeMap<Price, Count>,
    /// Size that traded at a level and whose removal the feed has not shown yet; the next
    /// decreases at that level are attributed to the trade, not to cancels.
    traded_unseen: BTreeMap<(BookSide, Price), Count>,
}

/// How one decrease at a level splits between trades already applied and cancels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelDecrease {
    /// Size at the level before the decrease, less what trades already removed.
    pub level_before: Count,
    /// Size removed by cancels (the part not explained by trades).
    pub cancelled: Count,
}

impl VisibleBook {
    fn side(&self, side: BookSide) -> &BTreeMap<Price, Count> {
        match side {
            BookSide::Bid => &self.bids,
            BookSide::Ask => &self.asks,
        }
    }

    fn side_mut(&mut self, side: BookSide) -> &mut BTreeMap<Price, Count> {
        match side {
            BookSide::Bid => &mut self.bids,
            BookSide::Ask => &mut self.asks,
        }
    }

    /// Replaces the book with a snapshot (levels with zero size are dropped).
    pub fn apply_snapshot(&mut self, snapshot: &BookSnapshot) {
        self.bids.clear();
        self.asks.clear();
        self.traded_unseen.clear();
        for level in &snapshot.bids {
            if !level.size.is_zero() {
                let entry = self.bids.entry(level.price).or_insert(Count::ZERO);
                *entry = *entry + level.size;
            }
        }
        for level in &snapshot.asks {
            if !level.size.is_zero() {
                let entry = self.asks.entry(level.price).or_insert(Count::ZERO);
                *entry = *entry + level.size;
            }
        }
    }

    /// Applies a delta. A decrease larger than the level empties it. Returns how a decrease
    /// splits between already-applied trades and cancels (`None` for increases).
    pub fn apply_delta(&mut self, delta: &BookDelta) -> Option<LevelDecrease> {
        let before = self.size_at(delta.side, delta.price);
        let change = delta.delta.centi();
        if change >= 0 {
            let added = Count::from_centi(change).unwrap_or(Count::ZERO);
            self.side_mut(delta.side)
                .insert(delta.price, before + added);
            return None;
        }
        let removed = Count::from_centi(change.saturating_neg())
            .unwrap_or(Count::ZERO)
            .min(before);
        let after = before.saturating_sub(removed);
        if after.is_zero() {
            self.side_mut(delta.side).remove(&delta.price);
        } else {
            self.side_mut(delta.side).insert(delta.price, after);
        }
        let key = (delta.side, delta.price);
        let unseen = self.traded_unseen.get(&key).copied().unwrap_or(Count::ZERO);
        let explained = unseen.min(removed);
        let left = unseen.saturating_sub(explained);
        if left.is_zero() {
            self.traded_unseen.remove(&key);
        } else {
            self.traded_unseen.insert(key, left);
        }
        Some(LevelDecrease {
            level_before: before.saturating_sub(explained),
            cancelled: removed.saturating_sub(explained),
        })
    }

    /// Notes that `count` traded against resting `side` at `price`; the feed's matching
    /// decrease will not be counted as a cancel.
    pub fn note_trade(&mut self, side: BookSide, price: Price, count: Count) {
        let entry = self
            .traded_unseen
            .entry((side, price))
            .or_insert(Count::ZERO);
        *entry = *entry + count;
    }

    /// Notes that `count` left a level without being others' size (a real order of ours, in
    /// a drift shadow's book that leaves our orders out): traded size noted there is used up
    /// first, so it cannot later excuse others' cancels.
    pub fn forget_traded(&mut self, side: BookSide, price: Price, count: Count) {
        let key = (side, price);
        let left = self
            .traded_unseen
            .get(&key)
            .copied()
            .unwrap_or(Count::ZERO)
            .saturating_sub(count);
        if left.is_zero() {
            self.traded_unseen.remove(&key);
        } else {
            self.traded_unseen.insert(key, left);
        }
    }

    /// Removes size we took as a taker (the data will not show our hypothetical trade).
    pub fn take(&mut self, side: BookSide, price: Price, count: Count) {
        let after = self.size_at(side, price).saturating_sub(count);
        if after.is_zero() {
            self.side_mut(side).remove(&price);
        } else {
            self.side_mut(side).insert(price, after);
        }
    }

    /// Visible size at a level.
    pub fn size_at(&self, side: BookSide, price: Price) -> Count {
        self.side(side).get(&price).copied().unwrap_or(Count::ZERO)
    }

    /// Best bid price.
    pub fn best_bid(&self) -> Option<Price> {
        self.bids.keys().next_back().copied()
    }

    /// Best ask price.
    pub fn best_ask(&self) -> Option<Price> {
        self.asks.keys().next().copied()
    }

    /// Mid price in micro-dollars (rounded down), when both sides exist.
    pub fn mid_micros(&self) -> Option<i64> {
        Some((self.best_bid()?.micros() + self.best_ask()?.micros()) / 2)
    }

    /// Opposite-side levels an order on `side` at `limit` would cross, best first.
    pub fn crossing_levels(&self, side: BookSide, limit: Price) -> Vec<(Price, Count)> {
        match side {
            BookSide::Bid => self.asks.range(..=limit).map(|(p, c)| (*p, *c)).collect(),
            BookSide::Ask => self
                .bids
                .range(limit..)
                .rev()
                .map(|(p, c)| (*p, *c))
                .collect(),
        }
    }
}

/// The new queue ahead of an order after others cancelled `decrease.cancelled` at its level.
pub fn queue_after_cancels(
    queue_ahead: Count,
    decrease: LevelDecrease,
    position: CancelPosition,
) -> Count {
    let cancelled = decrease.cancelled;
    if cancelled.is_zero() {
        return queue_ahead;
    }
    let reduced = match position {
        CancelPosition::Front => queue_ahead.saturating_sub(cancelled),
        CancelPosition::Back => {
            let behind = decrease.level_before.saturating_sub(queue_ahead);
            queue_ahead.saturating_sub(cancelled.saturating_sub(behind))
        }
        CancelPosition::ProRata => {
            let level = decrease.level_before.centi();
            if level <= 0 {
                Count::ZERO
            } else {
                let share = i128::from(cancelled.centi()) * i128::from(queue_ahead.centi())
                    / i128::from(level);
                let moved = Count::from_centi(i64::try_from(share).unwrap_or(i64::MAX))
                    .unwrap_or(queue_ahead);
                queue_ahead.saturating_sub(moved)
            }
        }
    };
    reduced.min(decrease.level_before.saturating_sub(cancelled))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: i64) -> Count {
        Count::from_contracts(n).unwrap()
    }

    #[test]
    fn cancel_positions_move_the_queue_differently() {
        // 100 visible, 40 ahead of us, 60 behind; 30 cancelled.
        let decrease = LevelDecrease {
            level_before: c(100),
            cancelled: c(30),
        };
        assert_eq!(
            queue_after_cancels(c(40), decrease, CancelPosition::Front),
            c(10)
        );
        assert_eq!(
            queue_after_cancels(c(40), decrease, CancelPosition::Back),
            c(40)
        );
        assert_eq!(
            queue_after_cancels(c(40), decrease, CancelPosition::ProRata),
            c(28)
        );
        // 80 cancelled: the 60 behind go first, then 20 of the 40 ahead.
        let big = LevelDecrease {
            level_before: c(100),
            cancelled: c(80),
        };
        assert_eq!(queue_after_cancels(c(40), big, CancelPosition::Back), c(20));
        assert_eq!(queue_after_cancels(c(40), big, CancelPosition::Front), c(0));
    }
}
