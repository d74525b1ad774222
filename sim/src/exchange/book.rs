//! One market's order book: YES bids and YES asks (= NO bids at `1 − p`), each a price →
//! FIFO level map. Prices are YES micro-dollars; the NO-terms view is derived.

use std::collections::{BTreeMap, VecDeque};

use kalshi_core::side::BookSide;
use kalshi_core::{Count, Price};

use super::order::OrderIdx;

/// One price level: FIFO queue of resting orders and their total remaining size.
#[derive(Debug, Clone, Default)]
pub(crate) struct Level {
    pub(crate) total: Count,
    pub(crate) queue: VecDeque<OrderIdx>,
}

/// Both sides of one market's book, keyed by YES price.
#[derive(Debug, Clone, Default)]
pub(crate) struct Book {
    pub(crate) bids: BTreeMap<Price, Level>,
    pub(crate) asks: BTreeMap<Price, Level>,
}

impl Book {
    pub(crate) fn side(&self, side: BookSide) -> &BTreeMap<Price, Level> {
        match side {
            BookSide::Bid => &self.bids,
            BookSide::Ask => &self.asks,
        }
    }

    pub(crate) fn side_mut(&mut self, side: BookSide) -> &mut BTreeMap<Price, Level> {
        match side {
            BookSide::Bid => &mut self.bids,
            BookSide::Ask => &mut self.asks,
        }
    }

    /// Best YES bid and its size.
    pub(crate) fn best_bid(&self) -> Option<(Price, Count)> {
        self.bids
            .iter()
            .next_back()
            .map(|(price, level)| (*price, level.total))
    }

    /// Best YES ask and its size.
    pub(crate) fn best_ask(&self) -> Option<(Price, Count)> {
        self.asks
            .iter()
            .next()
            .map(|(price, level)| (*price, level.total))
    }

    /// The best level an incoming order on `taker_side` at `limit` may trade against.
    pub(crate) fn best_crossing(&self, taker_side: BookSide, limit: Price) -> Option<Price> {
        match taker_side {
            BookSide::Bid => self.best_ask().map(|(p, _)| p).filter(|&ask| ask <= limit),
            BookSide::Ask => self.best_bid().map(|(p, _)| p).filter(|&bid| bid >= limit),
        }
    }

    /// True when an order on `side` at `price` would take liquidity.
    pub(crate) fn crosses(&self, side: BookSide, price: Price) -> bool {
        self.best_crossing(side, price).is_some()
    }

    /// Crossing levels for `taker_side` at `limit`, best first.
    pub(crate) fn crossing_levels(
        &self,
        taker_side: BookSide,
        limit: Price,
    ) -> Vec<(Price, &Level)> {
        match taker_side {
            BookSide::Bid => self.asks.range(..=limit).map(|(p, l)| (*p, l)).collect(),
            BookSide::Ask => self
                .bids
                .range(limit..)
                .rev()
                .map(|(p, l)| (*p, l))
                .collect(),
        }
    }

    /// Appends an order at the back of its level's queue.
    pub(crate) fn push(&mut self, side: BookSide, price: Price, order: OrderIdx, size: Count) {
        let level = self.side_mut(side).entry(price).or_default();
        level.total = level.total + size;
        level.queue.push_back(order);
    }

    /// Removes an order from its level; drops the level when it empties.
    pub(crate) fn remove(&mut self, side: BookSide, price: Price, order: OrderIdx, size: Count) {
        let levels = self.side_mut(side);
        if let Some(level) = levels.get_mut(&price) {
            if let Some(at) = level.queue.iter().position(|&o| o == order) {
                level.queue.remove(at);
                level.total = level.total.saturating_sub(size);
            }
            if level.queue.is_empty() {
                levels.remove(&price);
            }
        }
    }

    /// Shrinks an order's share of its level without moving it in the queue.
    pub(crate) fn shrink(&mut self, side: BookSide, price: Price, by: Count) {
        if let Some(level) = self.side_mut(side).get_mut(&price) {
            level.total = level.total.saturating_sub(by);
        }
    }

    /// Levels as `(YES price, size)`, ascending by YES price.
    pub(crate) fn levels(&self, side: BookSide) -> Vec<(Price, Count)> {
        self.side(side).iter().map(|(p, l)| (*p, l.total)).collect()
    }
}
