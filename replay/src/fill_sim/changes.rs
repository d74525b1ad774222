//! Each market's resting orders, and which markets changed since the backtest's metrics last
//! looked.
//!
//! Every resting order enters and leaves through [`FillSimulator::insert_live`] and
//! [`FillSimulator::remove_live`], so a market's list of resting orders is always the live
//! orders whose ticker it is. A market counts as changed when one of its resting orders came,
//! went or moved, or its visible book or last trade changed: everything the metrics read of a
//! market (our resting prices, the visible touch and the mark) stays as it was in a market not
//! named by [`FillSimulator::changed_markets`].

use super::*;

impl FillSimulator {
    /// Makes `order` a resting order under client id `key`.
    pub(super) fn insert_live(&mut self, key: String, order: LiveOrder) {
        let market = market_entry(&mut self.markets, &order.ticker);
        market.resting.push(key.clone());
        self.note_changed(&order.ticker);
        self.live.insert(key, order);
    }

    /// Removes the resting order `key`, if there is one.
    pub(super) fn remove_live(&mut self, key: &str) -> Option<LiveOrder> {
        let order = self.live.remove(key)?;
        if let Some(market) = self.markets.get_mut(&order.ticker) {
            market.resting.retain(|resting| resting != key);
        }
        self.note_changed(&order.ticker);
        Some(order)
    }

    /// Notes that market `ticker` changed (nothing when the simulator has not seen it).
    pub(super) fn note_changed(&mut self, ticker: &str) {
        let Some(market) = self.markets.get_mut(ticker) else {
            return;
        };
        if market.changed {
            return;
        }
        market.changed = true;
        // The list's strings are reused after a clear, so a steady run allocates nothing here.
        if let Some(slot) = self.changed.get_mut(self.changed_len) {
            slot.clear();
            slot.push_str(ticker);
        } else {
            self.changed.push(ticker.to_string());
        }
        self.changed_len += 1;
    }

    /// The markets that changed since the last [`FillSimulator::clear_changed`], each once, in
    /// the order they first changed.
    pub fn changed_markets(&self) -> &[String] {
        &self.changed[..self.changed_len]
    }

    /// Forgets which markets changed (the caller has looked at them).
    pub fn clear_changed(&mut self) {
        for ticker in &self.changed[..self.changed_len] {
            if let Some(market) = self.markets.get_mut(ticker) {
                market.changed = false;
            }
        }
        self.changed_len = 0;
    }

    /// Our resting orders in market `ticker`, in no particular order.
    pub fn live_orders_in<'a>(&'a self, ticker: &str) -> impl Iterator<Item = &'a LiveOrder> {
        self.markets
            .get(ticker)
            .into_iter()
            .flat_map(|market| market.resting.iter())
            .filter_map(|key| self.live.get(key))
    }

    /// How many of our orders rest in market `ticker`.
    pub fn live_count(&self, ticker: &str) -> usize {
        self.markets
            .get(ticker)
            .map_or(0, |market| market.resting.len())
    }
}
