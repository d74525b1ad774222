//! Exposure for the risk gate: position plus resting orders per market, per event and over
//! the account, read in O(1) from running totals ([`super::totals`]) that every record and
//! position change keeps in step; the full walks they are checked against in debug builds.

use super::OrderManager;
use super::positions::PositionLedger;
use super::totals::{Contribution, remove_side};
use crate::client_order_id::ClientOrderId;
use crate::fixed::Money;
use crate::risk::{ScopeExposure, price_paid};
use crate::side::BookSide;

impl OrderManager {
    /// Brings the exposure totals in line with record `key` after it changed (or vanished).
    pub(super) fn refresh(&mut self, key: &str) {
        let next = self
            .orders
            .get(key)
            .filter(|record| record.status.may_rest())
            .map(|record| {
                (
                    record.ticker.as_str(),
                    record.side,
                    record.remaining,
                    Money::notional(price_paid(record.side, record.price), record.remaining),
                )
            });
        match next {
            Some((ticker, side, remaining, notional)) => {
                if self
                    .totals
                    .contributes(key, ticker, side, remaining, notional)
                {
                    return;
                }
                let contribution = Contribution {
                    ticker: ticker.to_string(),
                    side,
                    remaining,
                    notional,
                };
                self.totals.set_contribution(key, Some(contribution));
            }
            None => self.totals.set_contribution(key, None),
        }
    }

    /// Applies `change` to the position of `ticker` and carries the difference into the
    /// exposure totals.
    pub(super) fn change_position<R>(
        &mut self,
        ticker: &str,
        change: impl FnOnce(&mut PositionLedger) -> R,
    ) -> R {
        let before = self.positions.get(ticker);
        let result = change(&mut self.positions);
        let after = self.positions.get(ticker);
        self.totals.position_changed(
            ticker,
            (before.position, before.cost),
            (after.position, after.cost),
        );
        result
    }

    /// The event market `ticker` is filed under, if any.
    pub fn event_of(&self, ticker: &str) -> Option<&str> {
        self.totals.event_of(ticker)
    }

    /// Files market `ticker` under `event` for the per-event exposure totals (a market moved
    /// to another event leaves the old one).
    pub fn assign_event(&mut self, ticker: &str, event: &str) {
        if self.totals.event_of(ticker) == Some(event) {
            return;
        }
        let position = self.positions.get(ticker).position;
        self.totals.assign_event(ticker, event, position);
    }

    /// Position plus resting orders in `ticker`, leaving out the record `excluding`; and the
    /// number of open orders there. O(1) from the running totals.
    pub fn market_exposure(
        &self,
        ticker: &str,
        excluding: Option<&ClientOrderId>,
    ) -> (ScopeExposure, u32) {
        let market = self.totals.market(ticker);
        let mut exposure = ScopeExposure {
            position: self.positions.get(ticker).position,
            resting_bid: market.resting_bid,
            resting_ask: market.resting_ask,
        };
        let mut open = market.open;
        if let Some(excluded) = self.excluded(excluding)
            && excluded.ticker == ticker
        {
            remove_side(&mut exposure, excluded.side, excluded.remaining);
            open = open.saturating_sub(1);
        }
        debug_assert_eq!(
            (exposure, open),
            self.market_exposure_walk(ticker, excluding)
        );
        (exposure, open)
    }

    /// Position plus resting orders over every market filed under `event` (see
    /// [`OrderManager::assign_event`]), leaving out `excluding`; `None` for an event no market
    /// was filed under. O(1) from the running totals.
    pub fn event_exposure(
        &self,
        event: &str,
        excluding: Option<&ClientOrderId>,
    ) -> Option<ScopeExposure> {
        let mut exposure = self.totals.event(event)?;
        if let Some(excluded) = self.excluded(excluding)
            && self.totals.event_of(&excluded.ticker) == Some(event)
        {
            remove_side(&mut exposure, excluded.side, excluded.remaining);
        }
        Some(exposure)
    }

    /// Money at risk over the account: the cost of every position plus the price paid by every
    /// order that may rest, leaving out `excluding`. O(1) from the running totals.
    pub fn account_exposure(&self, excluding: Option<&ClientOrderId>) -> Money {
        let mut total = self.totals.account();
        if let Some(excluded) = self.excluded(excluding) {
            total = total - excluded.notional;
        }
        debug_assert_eq!(total, self.account_exposure_walk(excluding));
        total
    }

    /// The contribution of the record `excluding` names, if it may rest.
    fn excluded(&self, excluding: Option<&ClientOrderId>) -> Option<&Contribution> {
        excluding.and_then(|id| self.totals.contribution(id.as_str()))
    }

    /// [`OrderManager::market_exposure`] by walking the live records (the reference the
    /// running totals are checked against).
    pub(super) fn market_exposure_walk(
        &self,
        ticker: &str,
        excluding: Option<&ClientOrderId>,
    ) -> (ScopeExposure, u32) {
        let mut exposure = ScopeExposure {
            position: self.positions.get(ticker).position,
            ..ScopeExposure::default()
        };
        let mut open: u32 = 0;
        for (key, record) in self.live_records_in(ticker) {
            if record.ticker != ticker
                || !record.status.may_rest()
                || excluding.is_some_and(|id| id.as_str() == key)
            {
                continue;
            }
            open += 1;
            match record.side {
                BookSide::Bid => exposure.resting_bid = exposure.resting_bid + record.remaining,
                BookSide::Ask => exposure.resting_ask = exposure.resting_ask + record.remaining,
            }
        }
        (exposure, open)
    }

    /// [`OrderManager::account_exposure`] by walking every position and live record.
    pub(super) fn account_exposure_walk(&self, excluding: Option<&ClientOrderId>) -> Money {
        let mut total = Money::ZERO;
        for (_, position) in self.positions.iter() {
            total = total + position.cost;
        }
        for (key, record) in self
            .index
            .live
            .iter()
            .filter_map(|key| self.orders.get(key).map(|record| (key, record)))
        {
            if record.status.may_rest() && excluding.is_none_or(|id| id.as_str() != key) {
                total = total
                    + Money::notional(price_paid(record.side, record.price), record.remaining);
            }
        }
        total
    }
}
