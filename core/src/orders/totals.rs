//! Running exposure totals of the order books: resting contracts, open orders and money at
//! risk per market, per event and over the account, kept up to date as records change so the
//! risk gate reads them in O(1) instead of walking every live order.
//!
//! Each record that may rest contributes its side, remaining count and the price paid for
//! that count; the totals remember the contribution last applied per record key, so a record
//! change is applied as "take the old contribution out, put the new one in". Positions add
//! their signed size (per event) and cost basis (account).

use crate::fixed::{Count, Money, SignedCount};
use crate::risk::ScopeExposure;
use crate::side::BookSide;
use crate::ticker_map::TickerMap;

/// What one live record adds to the totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contribution {
    /// Ticker of the record's market.
    pub ticker: String,
    /// The side its contracts rest on.
    pub side: BookSide,
    /// Contracts that may rest.
    pub remaining: Count,
    /// Price paid for `remaining` (YES price for a bid, NO price for an ask).
    pub notional: Money,
}

/// Resting orders of one market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct MarketTotals {
    /// Contracts resting on the bid side.
    pub resting_bid: Count,
    /// Contracts resting on the ask side.
    pub resting_ask: Count,
    /// Orders that may rest.
    pub open: u32,
}

/// The running totals: resting orders per market, position plus resting orders per event,
/// money at risk over the account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ExposureTotals {
    /// Contribution applied per record key (only records that may rest).
    applied: TickerMap<Contribution>,
    /// Resting orders per market.
    markets: TickerMap<MarketTotals>,
    /// Position plus resting orders per event.
    events: TickerMap<ScopeExposure>,
    /// The event each market belongs to.
    event_of: TickerMap<String>,
    /// Price paid by every order that may rest.
    resting_notional: Money,
    /// Cost basis of every position.
    position_cost: Money,
}

/// Adds `count` resting contracts on `side` to `exposure`.
fn add_side(exposure: &mut ScopeExposure, side: BookSide, count: Count) {
    match side {
        BookSide::Bid => exposure.resting_bid = exposure.resting_bid + count,
        BookSide::Ask => exposure.resting_ask = exposure.resting_ask + count,
    }
}

/// Takes `count` resting contracts on `side` out of `exposure` (never below zero).
pub(super) fn remove_side(exposure: &mut ScopeExposure, side: BookSide, count: Count) {
    match side {
        BookSide::Bid => exposure.resting_bid = exposure.resting_bid.saturating_sub(count),
        BookSide::Ask => exposure.resting_ask = exposure.resting_ask.saturating_sub(count),
    }
}

impl ExposureTotals {
    /// Replaces the contribution of record `key` with `next` (`None`: it no longer may rest).
    pub fn set_contribution(&mut self, key: &str, next: Option<Contribution>) {
        if self.applied.get(key) == next.as_ref() {
            return;
        }
        if let Some(old) = self.applied.remove(key) {
            self.remove(&old);
        }
        if let Some(new) = next {
            self.add(&new);
            self.applied.insert(key, new);
        }
    }

    /// True when `key` contributes exactly `ticker`, `side`, `remaining` and `notional`.
    pub fn contributes(
        &self,
        key: &str,
        ticker: &str,
        side: BookSide,
        remaining: Count,
        notional: Money,
    ) -> bool {
        self.applied.get(key).is_some_and(|applied| {
            applied.side == side
                && applied.remaining == remaining
                && applied.notional == notional
                && applied.ticker == ticker
        })
    }

    fn add(&mut self, contribution: &Contribution) {
        let market = self
            .markets
            .get_or_insert_with(&contribution.ticker, MarketTotals::default);
        match contribution.side {
            BookSide::Bid => market.resting_bid = market.resting_bid + contribution.remaining,
            BookSide::Ask => market.resting_ask = market.resting_ask + contribution.remaining,
        }
        market.open += 1;
        if let Some(event) = self.event_of.get(&contribution.ticker)
            && let Some(totals) = self.events.get_mut(event)
        {
            add_side(totals, contribution.side, contribution.remaining);
        }
        self.resting_notional = self.resting_notional + contribution.notional;
    }

    fn remove(&mut self, contribution: &Contribution) {
        if let Some(market) = self.markets.get_mut(&contribution.ticker) {
            match contribution.side {
                BookSide::Bid => {
                    market.resting_bid = market.resting_bid.saturating_sub(contribution.remaining);
                }
                BookSide::Ask => {
                    market.resting_ask = market.resting_ask.saturating_sub(contribution.remaining);
                }
            }
            market.open = market.open.saturating_sub(1);
            if market.open == 0 {
                self.markets.remove(&contribution.ticker);
            }
        }
        if let Some(event) = self.event_of.get(&contribution.ticker)
            && let Some(totals) = self.events.get_mut(event)
        {
            remove_side(totals, contribution.side, contribution.remaining);
        }
        self.resting_notional = self.resting_notional - contribution.notional;
    }

    /// A position changed from `before` to `after` (signed size and cost basis).
    pub fn position_changed(
        &mut self,
        ticker: &str,
        before: (SignedCount, Money),
        after: (SignedCount, Money),
    ) {
        self.position_cost = self.position_cost - before.1 + after.1;
        if before.0 != after.0
            && let Some(event) = self.event_of.get(ticker)
            && let Some(totals) = self.events.get_mut(event)
        {
            totals.position = totals.position - before.0 + after.0;
        }
    }

    /// Files market `ticker` (holding `position`) under `event`, moving its totals out of the
    /// event it belonged to before.
    pub fn assign_event(&mut self, ticker: &str, event: &str, position: SignedCount) {
        if self.event_of.get(ticker).map(String::as_str) == Some(event) {
            return;
        }
        let market = self.markets.get(ticker).copied().unwrap_or_default();
        if let Some(previous) = self.event_of.remove(ticker)
            && let Some(totals) = self.events.get_mut(&previous)
        {
            totals.position = totals.position - position;
            remove_side(totals, BookSide::Bid, market.resting_bid);
            remove_side(totals, BookSide::Ask, market.resting_ask);
        }
        let totals = self
            .events
            .get_or_insert_with(event, ScopeExposure::default);
        totals.position = totals.position + position;
        add_side(totals, BookSide::Bid, market.resting_bid);
        add_side(totals, BookSide::Ask, market.resting_ask);
        self.event_of.insert(ticker, event.to_string());
    }

    /// The contribution of record `key`, if it may rest.
    pub fn contribution(&self, key: &str) -> Option<&Contribution> {
        self.applied.get(key)
    }

    /// Resting orders of `ticker`.
    pub fn market(&self, ticker: &str) -> MarketTotals {
        self.markets.get(ticker).copied().unwrap_or_default()
    }

    /// Position plus resting orders over `event`, if any market was filed under it.
    pub fn event(&self, event: &str) -> Option<ScopeExposure> {
        self.events.get(event).copied()
    }

    /// The event `ticker` is filed under.
    pub fn event_of(&self, ticker: &str) -> Option<&str> {
        self.event_of.get(ticker).map(String::as_str)
    }

    /// Money at risk over the account: position costs plus resting orders' prices paid.
    pub fn account(&self) -> Money {
        self.position_cost + self.resting_notional
    }
}
