//! What the engine keeps per market of the universe, in one table indexed by [`MarketIndex`]
//! (the universe hands out dense indices), instead of one map per fact. Iterating the table
//! visits markets in index order, as the maps it replaces did.

use std::collections::BTreeSet;

use crate::fair_value::FairValue;
use crate::fixed::Money;
use crate::orders::DesiredQuote;
use crate::universe::MarketIndex;

use super::requote_key::QuoteKey;

/// The engine's facts about one market.
#[derive(Debug, Clone, Default)]
pub(super) struct MarketSlot {
    /// In the quoted universe: the scanner's selection (plus markets we hold or trade in).
    pub quoted: bool,
    /// The quotes the strategy last wanted here after the EV gate; `None` when it wants
    /// nothing (never planned, withdrawn, or cleared by a halt, a flatten or a fill burst).
    pub desired: Option<Vec<DesiredQuote>>,
    /// The fair value last decided with, ppm (the risk gate's price collar reads it).
    pub fair_ppm: Option<u32>,
    /// The last [`crate::decision::Decision::FairValue`] recorded, to record only changes.
    pub fair_record: Option<FairValue>,
    /// Marked P&L of the position held here (`None` when flat or unknown).
    pub marked_pnl: Option<Money>,
    /// An operator's flatten is unwinding this market: reduce-only exits, no ladder.
    pub flattening: bool,
    /// Quoted, but the live book fails the spread or near-resolved filter.
    pub live_failing: bool,
    /// The key of the last requote here that emitted nothing and left its inputs as it
    /// found them: a requote with the same key is skipped (see `requote_key`).
    pub clean_key: Option<QuoteKey>,
}

/// One [`MarketSlot`] per market index.
#[derive(Debug, Clone, Default)]
pub(super) struct MarketTable {
    slots: Vec<MarketSlot>,
}

impl MarketTable {
    /// The facts about `index` (all defaults for a market never touched).
    pub fn get(&self, index: MarketIndex) -> Option<&MarketSlot> {
        self.slots.get(index.as_usize())
    }

    /// The facts about `index`, to change them (the table grows to hold it).
    pub fn slot(&mut self, index: MarketIndex) -> &mut MarketSlot {
        let at = index.as_usize();
        if at >= self.slots.len() {
            self.slots.resize_with(at + 1, MarketSlot::default);
        }
        &mut self.slots[at]
    }

    /// Every market's facts, in index order.
    pub fn iter(&self) -> impl Iterator<Item = (MarketIndex, &MarketSlot)> {
        self.slots
            .iter()
            .enumerate()
            .map(|(at, slot)| (MarketIndex(u32::try_from(at).unwrap_or(u32::MAX)), slot))
    }

    /// Every market's facts, to change them.
    pub fn slots_mut(&mut self) -> impl Iterator<Item = &mut MarketSlot> {
        self.slots.iter_mut()
    }

    /// Whether `index` is in the quoted universe.
    pub fn is_quoted(&self, index: MarketIndex) -> bool {
        self.get(index).is_some_and(|slot| slot.quoted)
    }

    /// The quoted universe.
    pub fn quoted(&self) -> BTreeSet<MarketIndex> {
        self.iter()
            .filter(|(_, slot)| slot.quoted)
            .map(|(index, _)| index)
            .collect()
    }

    /// Makes `selected` the quoted universe.
    pub fn set_quoted(&mut self, selected: &BTreeSet<MarketIndex>) {
        for slot in &mut self.slots {
            slot.quoted = false;
        }
        for index in selected {
            self.slot(*index).quoted = true;
        }
    }

    /// Forgets every market's desired quotes.
    pub fn clear_desired(&mut self) {
        for slot in &mut self.slots {
            slot.desired = None;
        }
    }

    /// Ends the flatten's unwinding in every market.
    pub fn clear_flattening(&mut self) {
        for slot in &mut self.slots {
            slot.flattening = false;
        }
    }

    /// Whether `index` is being unwound by a flatten.
    pub fn is_flattening(&self, index: MarketIndex) -> bool {
        self.get(index).is_some_and(|slot| slot.flattening)
    }

    /// Whether `index`'s live book fails the live filters.
    pub fn is_live_failing(&self, index: MarketIndex) -> bool {
        self.get(index).is_some_and(|slot| slot.live_failing)
    }
}
