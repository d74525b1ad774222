//! The set of markets the engine tracks, each addressed by a small dense [`MarketIndex`].
//!
//! A ticker gets its index once, when it is first inserted, and keeps it for the life of the
//! universe: markets are added (never re-indexed) and marked inactive rather than removed, so
//! an index stored anywhere stays valid. [`Universe::from_listings`] assigns indices in ticker
//! order, so the same listings always give the same indices.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::market_data::MarketInfo;
use crate::market_state::{MarketState, MarketStateConfig};
use crate::ticker_map::TickerMap;

/// Dense index of a market in a [`Universe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MarketIndex(pub u32);

impl MarketIndex {
    /// The index as a `usize`, for slicing per-market vectors.
    pub const fn as_usize(self) -> usize {
        self.0 as usize
    }
}

/// Ticker → index map plus the per-market state, in index order.
#[derive(Debug, Clone, Default)]
pub struct Universe {
    by_ticker: TickerMap<MarketIndex>,
    /// Each market's ticker, shared, in index order (a ticker never changes for an index).
    tickers: Vec<Arc<str>>,
    markets: Vec<MarketState>,
    active: Vec<bool>,
    market_config: MarketStateConfig,
}

impl Universe {
    /// An empty universe; new markets get `market_config`.
    pub fn new(market_config: MarketStateConfig) -> Universe {
        Universe {
            by_ticker: TickerMap::new(),
            tickers: Vec::new(),
            markets: Vec::new(),
            active: Vec::new(),
            market_config,
        }
    }

    /// A universe loaded from listings, indices assigned in ticker order (deterministic
    /// whatever order the pages arrived in). A ticker listed twice keeps its last listing.
    pub fn from_listings(
        listings: &[MarketInfo],
        market_config: MarketStateConfig,
        ts_ns: i64,
    ) -> Universe {
        let mut sorted: Vec<&MarketInfo> = listings.iter().collect();
        sorted.sort_by(|a, b| a.ticker.cmp(&b.ticker));
        let mut universe = Universe::new(market_config);
        for info in sorted {
            universe.upsert_listing(info, ts_ns);
        }
        universe
    }

    /// Inserts a market from its listing, or refreshes an existing one (index unchanged).
    /// Either way the market is marked active.
    pub fn upsert_listing(&mut self, info: &MarketInfo, ts_ns: i64) -> MarketIndex {
        if let Some(index) = self.index_of(&info.ticker) {
            self.markets[index.as_usize()].on_listing(info, ts_ns);
            self.active[index.as_usize()] = true;
            return index;
        }
        self.push(MarketState::new(info.clone(), self.market_config))
    }

    /// The index of `ticker`, inserting a bare market (see [`MarketState::from_ticker`]) when
    /// it is unknown.
    pub fn ensure_ticker(&mut self, ticker: &str) -> MarketIndex {
        match self.index_of(ticker) {
            Some(index) => index,
            None => self.push(MarketState::from_ticker(ticker, self.market_config)),
        }
    }

    fn push(&mut self, state: MarketState) -> MarketIndex {
        // More than u32::MAX markets cannot occur (Kalshi lists tens of thousands); saturate
        // rather than wrap so an index never aliases another market.
        let index = MarketIndex(u32::try_from(self.markets.len()).unwrap_or(u32::MAX));
        self.by_ticker.insert(state.ticker(), index);
        self.tickers.push(Arc::from(state.ticker()));
        self.markets.push(state);
        self.active.push(true);
        index
    }

    /// The index of `ticker`, if known.
    pub fn index_of(&self, ticker: &str) -> Option<MarketIndex> {
        self.by_ticker.get(ticker).copied()
    }

    /// The ticker of the market at `index`, shared: a copy costs a reference count, not an
    /// allocation.
    pub fn shared_ticker(&self, index: MarketIndex) -> Option<Arc<str>> {
        self.tickers.get(index.as_usize()).cloned()
    }

    /// The market at `index`.
    pub fn get(&self, index: MarketIndex) -> Option<&MarketState> {
        self.markets.get(index.as_usize())
    }

    /// The market at `index`, mutably.
    pub fn get_mut(&mut self, index: MarketIndex) -> Option<&mut MarketState> {
        self.markets.get_mut(index.as_usize())
    }

    /// The market named `ticker`.
    pub fn by_ticker(&self, ticker: &str) -> Option<&MarketState> {
        self.index_of(ticker).and_then(|index| self.get(index))
    }

    /// The market named `ticker`, mutably.
    pub fn by_ticker_mut(&mut self, ticker: &str) -> Option<&mut MarketState> {
        let index = self.index_of(ticker)?;
        self.get_mut(index)
    }

    /// Marks a market active (tracked) or inactive (kept, but skipped by active iteration).
    /// Returns false when the index is unknown.
    pub fn set_active(&mut self, index: MarketIndex, active: bool) -> bool {
        match self.active.get_mut(index.as_usize()) {
            Some(flag) => {
                *flag = active;
                true
            }
            None => false,
        }
    }

    /// Whether the market at `index` is active (false when unknown).
    pub fn is_active(&self, index: MarketIndex) -> bool {
        self.active.get(index.as_usize()).copied().unwrap_or(false)
    }

    /// Number of markets ever inserted.
    pub fn len(&self) -> usize {
        self.markets.len()
    }

    /// True when no market was ever inserted.
    pub fn is_empty(&self) -> bool {
        self.markets.is_empty()
    }

    /// Every market in index order.
    pub fn iter(&self) -> impl Iterator<Item = (MarketIndex, &MarketState)> {
        self.markets
            .iter()
            .enumerate()
            .map(|(position, state)| (MarketIndex(position as u32), state))
    }

    /// Active markets in index order.
    pub fn iter_active(&self) -> impl Iterator<Item = (MarketIndex, &MarketState)> {
        self.iter().filter(|(index, _)| self.is_active(*index))
    }

    /// The configuration given to new markets.
    pub fn market_config(&self) -> MarketStateConfig {
        self.market_config
    }
}
