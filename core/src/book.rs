//! The dense ladder order book of one market, in the one-YES-book convention.
//!
//! Two flat arrays hold the resting size (hundredths of a contract) at every representable
//! YES price: one for YES bids, one for YES asks (NO bids re-expressed at `1 − q`, which is
//! how [`BookSnapshot`] and [`BookDelta`] already arrive). Slot `i` is the price
//! `i × tick_unit_micros`, where the unit is the market's finest tick (10 000 µ$ for cent
//! grids, 1 000 for deci-cent, 100 for 0.0001 grids), so the whole 0 ..= 1 $ range takes at
//! most 10 001 slots per side.
//!
//! The best bid and best ask indices are kept incrementally: a delta that adds size beyond
//! the current best moves it in O(1); only a delta that empties the best level scans for the
//! next non-empty slot. Applying a delta never allocates.
//!
//! Validity is a set of [`InvalidReason`]s. A book is usable for trading decisions only when
//! the set is empty; [`OrderBook::apply_snapshot`] clears it, the caller sets
//! [`InvalidReason::SequenceGap`] and [`InvalidReason::Stale`] explicitly, and the book itself
//! sets `NegativeLevel`, `OffGridPrice`, `SizeOverflow` and `Crossed` when it sees them.

use std::fmt;

use thiserror::Error;

use crate::fixed::{Count, MICROS_PER_DOLLAR, Price};
use crate::market_data::{BookDelta, BookLevel, BookSnapshot, PriceRange};
use crate::side::BookSide;

/// The tick unit used when a market publishes no `price_ranges`: one cent.
pub const DEFAULT_TICK_UNIT_MICROS: i64 = 10_000;

/// Why a snapshot or delta could not be applied. Every error also marks the book invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BookError {
    /// The price is not a multiple of the book's tick unit.
    #[error("price {price} is not on the book's {tick_unit_micros} micro-dollar grid")]
    OffGridPrice {
        /// The offending price.
        price: Price,
        /// The book's slot width.
        tick_unit_micros: i64,
    },
    /// A delta would leave a level with negative size.
    #[error(
        "{side:?} level at {price} would become negative: {size_centi} + {delta_centi} hundredths"
    )]
    NegativeLevel {
        /// Side of the level.
        side: BookSide,
        /// Price of the level.
        price: Price,
        /// Size before the delta, hundredths.
        size_centi: i64,
        /// The signed change, hundredths.
        delta_centi: i64,
    },
    /// A level's size would overflow the integer representation.
    #[error("{side:?} level at {price} would overflow")]
    SizeOverflow {
        /// Side of the level.
        side: BookSide,
        /// Price of the level.
        price: Price,
    },
    /// A snapshot listed the same price twice on one side.
    #[error("snapshot lists the {side:?} level at {price} more than once")]
    DuplicateLevel {
        /// Side of the level.
        side: BookSide,
        /// Price of the level.
        price: Price,
    },
    /// The tick unit is not a positive divisor of one dollar.
    #[error("tick unit {tick_unit_micros} micro-dollars does not divide one dollar")]
    BadTickUnit {
        /// The rejected unit.
        tick_unit_micros: i64,
    },
}

/// One reason a book must not be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InvalidReason {
    /// No snapshot has been applied since the book was created or reset.
    NoSnapshot,
    /// The caller saw a sequence gap on the feed; wait for a fresh snapshot.
    SequenceGap,
    /// The best bid reached or passed the best ask (sticky until the next snapshot).
    Crossed,
    /// A delta tried to make a level negative.
    NegativeLevel,
    /// A price did not fit the book's grid.
    OffGridPrice,
    /// A level size overflowed.
    SizeOverflow,
    /// The caller judged the data too old (e.g. the feed disconnected).
    Stale,
}

impl InvalidReason {
    /// Every reason, in bit order.
    pub const ALL: [InvalidReason; 7] = [
        InvalidReason::NoSnapshot,
        InvalidReason::SequenceGap,
        InvalidReason::Crossed,
        InvalidReason::NegativeLevel,
        InvalidReason::OffGridPrice,
        InvalidReason::SizeOverflow,
        InvalidReason::Stale,
    ];

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// Stable snake_case name for logs and reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            InvalidReason::NoSnapshot => "no_snapshot",
            InvalidReason::SequenceGap => "sequence_gap",
            InvalidReason::Crossed => "crossed",
            InvalidReason::NegativeLevel => "negative_level",
            InvalidReason::OffGridPrice => "off_grid_price",
            InvalidReason::SizeOverflow => "size_overflow",
            InvalidReason::Stale => "stale",
        }
    }
}

/// A set of [`InvalidReason`]s; empty means the book is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct InvalidReasons(u8);

impl InvalidReasons {
    /// The empty set.
    pub const NONE: InvalidReasons = InvalidReasons(0);

    /// True when no reason is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True when `reason` is set.
    pub const fn contains(self, reason: InvalidReason) -> bool {
        self.0 & reason.bit() != 0
    }

    /// The reasons that are set, in [`InvalidReason::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = InvalidReason> {
        InvalidReason::ALL
            .into_iter()
            .filter(move |reason| self.contains(*reason))
    }

    fn insert(&mut self, reason: InvalidReason) {
        self.0 |= reason.bit();
    }

    fn remove(&mut self, reason: InvalidReason) {
        self.0 &= !reason.bit();
    }
}

impl fmt::Display for InvalidReasons {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for reason in self.iter() {
            if !first {
                f.write_str(",")?;
            }
            f.write_str(reason.as_str())?;
            first = false;
        }
        Ok(())
    }
}

/// What [`OrderBook::apply_delta`] did with a delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaOutcome {
    /// The level changed.
    Applied,
    /// The delta's clock is not newer than the snapshot's clock: it is already included.
    IgnoredStale,
    /// No snapshot yet (or since a reset): there is nothing to apply the delta to.
    IgnoredNoSnapshot,
}

/// The dense ladder book of one market. See the module docs for the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBook {
    tick_unit_micros: i64,
    bid_sizes_centi: Vec<i64>,
    ask_sizes_centi: Vec<i64>,
    best_bid_index: Option<usize>,
    best_ask_index: Option<usize>,
    snapshot_clock: Option<u64>,
    clock: Option<u64>,
    invalid: InvalidReasons,
}

impl OrderBook {
    /// An empty book whose slots are `tick_unit_micros` wide; invalid (`NoSnapshot`) until
    /// the first snapshot. The unit must be positive and divide one dollar.
    pub fn new(tick_unit_micros: i64) -> Result<OrderBook, BookError> {
        if tick_unit_micros <= 0 || MICROS_PER_DOLLAR % tick_unit_micros != 0 {
            return Err(BookError::BadTickUnit { tick_unit_micros });
        }
        Ok(OrderBook::with_checked_unit(tick_unit_micros))
    }

    /// An empty book sized for a market's tick grid (see [`finest_tick_unit_micros`]).
    pub fn for_price_ranges(price_ranges: &[PriceRange]) -> OrderBook {
        OrderBook::with_checked_unit(finest_tick_unit_micros(price_ranges))
    }

    /// `tick_unit_micros` must be positive and divide one dollar.
    fn with_checked_unit(tick_unit_micros: i64) -> OrderBook {
        let slot_count = (MICROS_PER_DOLLAR / tick_unit_micros) as usize + 1;
        let mut invalid = InvalidReasons::NONE;
        invalid.insert(InvalidReason::NoSnapshot);
        OrderBook {
            tick_unit_micros,
            bid_sizes_centi: vec![0; slot_count],
            ask_sizes_centi: vec![0; slot_count],
            best_bid_index: None,
            best_ask_index: None,
            snapshot_clock: None,
            clock: None,
            invalid,
        }
    }

    /// Width of one slot in micro-dollars.
    pub const fn tick_unit_micros(&self) -> i64 {
        self.tick_unit_micros
    }

    /// Replaces the whole book with `snapshot` and clears every invalid reason (then marks
    /// `Crossed` if the snapshot itself is crossed). Levels of size zero are skipped.
    ///
    /// On error the book is left empty and invalid (`NoSnapshot` plus the specific reason).
    pub fn apply_snapshot(&mut self, snapshot: &BookSnapshot) -> Result<(), BookError> {
        self.clear_levels();
        self.invalid = InvalidReasons::NONE;
        self.snapshot_clock = snapshot.clock;
        self.clock = snapshot.clock;
        let result = self
            .load_side(BookSide::Bid, &snapshot.bids)
            .and_then(|()| self.load_side(BookSide::Ask, &snapshot.asks));
        if let Err(error) = result {
            self.clear_levels();
            self.snapshot_clock = None;
            self.clock = None;
            self.invalid.insert(InvalidReason::NoSnapshot);
            self.invalid.insert(reason_for(&error));
            return Err(error);
        }
        self.best_bid_index = scan_down(&self.bid_sizes_centi, self.bid_sizes_centi.len() - 1);
        self.best_ask_index = scan_up(&self.ask_sizes_centi, 0);
        self.check_crossed();
        Ok(())
    }

    fn load_side(&mut self, side: BookSide, levels: &[BookLevel]) -> Result<(), BookError> {
        for level in levels {
            let index = self.index_of(level.price)?;
            if level.size.is_zero() {
                continue;
            }
            let ladder = match side {
                BookSide::Bid => &mut self.bid_sizes_centi,
                BookSide::Ask => &mut self.ask_sizes_centi,
            };
            if ladder[index] != 0 {
                return Err(BookError::DuplicateLevel {
                    side,
                    price: level.price,
                });
            }
            ladder[index] = level.size.centi();
        }
        Ok(())
    }

    /// Applies one size change.
    ///
    /// Deltas are ignored while the book has no snapshot, and dropped as
    /// [`DeltaOutcome::IgnoredStale`] when both clocks are known and the delta's clock is not
    /// newer than the snapshot's (the snapshot already includes it). An off-grid price, a
    /// level that would go negative, or an overflow leaves the level unchanged, marks the book
    /// invalid and returns the typed error. Never allocates.
    #[inline]
    pub fn apply_delta(&mut self, delta: &BookDelta) -> Result<DeltaOutcome, BookError> {
        if self.invalid.contains(InvalidReason::NoSnapshot) {
            return Ok(DeltaOutcome::IgnoredNoSnapshot);
        }
        if let (Some(delta_clock), Some(snapshot_clock)) = (delta.clock, self.snapshot_clock)
            && delta_clock <= snapshot_clock
        {
            return Ok(DeltaOutcome::IgnoredStale);
        }
        let index = match self.index_of(delta.price) {
            Ok(index) => index,
            Err(error) => {
                self.invalid.insert(InvalidReason::OffGridPrice);
                return Err(error);
            }
        };
        let change_centi = delta.delta.centi();
        let ladder = match delta.side {
            BookSide::Bid => &mut self.bid_sizes_centi,
            BookSide::Ask => &mut self.ask_sizes_centi,
        };
        let size_centi = ladder[index];
        let Some(new_size_centi) = size_centi.checked_add(change_centi) else {
            self.invalid.insert(InvalidReason::SizeOverflow);
            return Err(BookError::SizeOverflow {
                side: delta.side,
                price: delta.price,
            });
        };
        if new_size_centi < 0 {
            self.invalid.insert(InvalidReason::NegativeLevel);
            return Err(BookError::NegativeLevel {
                side: delta.side,
                price: delta.price,
                size_centi,
                delta_centi: change_centi,
            });
        }
        ladder[index] = new_size_centi;
        match delta.side {
            BookSide::Bid => {
                if new_size_centi > 0 {
                    if self.best_bid_index.is_none_or(|best| index > best) {
                        self.best_bid_index = Some(index);
                    }
                } else if self.best_bid_index == Some(index) {
                    self.best_bid_index = index
                        .checked_sub(1)
                        .and_then(|from| scan_down(&self.bid_sizes_centi, from));
                }
            }
            BookSide::Ask => {
                if new_size_centi > 0 {
                    if self.best_ask_index.is_none_or(|best| index < best) {
                        self.best_ask_index = Some(index);
                    }
                } else if self.best_ask_index == Some(index) {
                    self.best_ask_index = scan_up(&self.ask_sizes_centi, index + 1);
                }
            }
        }
        if delta.clock.is_some() {
            self.clock = delta.clock;
        }
        self.check_crossed();
        Ok(DeltaOutcome::Applied)
    }

    #[inline]
    fn check_crossed(&mut self) {
        if let (Some(bid), Some(ask)) = (self.best_bid_index, self.best_ask_index)
            && bid >= ask
        {
            self.invalid.insert(InvalidReason::Crossed);
        }
    }

    /// Empties the book and marks it `NoSnapshot` (e.g. on unsubscribe or a grid change).
    pub fn reset(&mut self) {
        self.clear_levels();
        self.snapshot_clock = None;
        self.clock = None;
        self.invalid = InvalidReasons::NONE;
        self.invalid.insert(InvalidReason::NoSnapshot);
    }

    fn clear_levels(&mut self) {
        self.bid_sizes_centi.fill(0);
        self.ask_sizes_centi.fill(0);
        self.best_bid_index = None;
        self.best_ask_index = None;
    }

    /// Rebuilds the ladder on a new slot width, keeping every level and the validity state.
    /// Fails (leaving the book untouched) when the unit is bad or some level would fall off
    /// the new grid; the caller then resets and re-snapshots.
    pub fn regrid(&mut self, tick_unit_micros: i64) -> Result<(), BookError> {
        if tick_unit_micros == self.tick_unit_micros {
            return Ok(());
        }
        let mut rebuilt = OrderBook::new(tick_unit_micros)?;
        for side in [BookSide::Bid, BookSide::Ask] {
            for level in self.levels(side) {
                let index = rebuilt.index_of(level.price)?;
                match side {
                    BookSide::Bid => rebuilt.bid_sizes_centi[index] = level.size.centi(),
                    BookSide::Ask => rebuilt.ask_sizes_centi[index] = level.size.centi(),
                }
            }
        }
        rebuilt.best_bid_index =
            scan_down(&rebuilt.bid_sizes_centi, rebuilt.bid_sizes_centi.len() - 1);
        rebuilt.best_ask_index = scan_up(&rebuilt.ask_sizes_centi, 0);
        rebuilt.snapshot_clock = self.snapshot_clock;
        rebuilt.clock = self.clock;
        rebuilt.invalid = self.invalid;
        *self = rebuilt;
        Ok(())
    }

    /// Slot index of a price, or `OffGridPrice`.
    #[inline]
    fn index_of(&self, price: Price) -> Result<usize, BookError> {
        // Prices are within 0 ..= 1 $ and the unit divides 1 $, so u32 arithmetic is exact
        // and cheaper than i64 division.
        let micros = price.micros() as u32;
        let unit = self.tick_unit_micros as u32;
        if micros % unit != 0 {
            return Err(BookError::OffGridPrice {
                price,
                tick_unit_micros: self.tick_unit_micros,
            });
        }
        Ok((micros / unit) as usize)
    }

    fn price_at(&self, index: usize) -> Price {
        // Indices come from the ladders, whose last slot is exactly 1 $.
        Price::from_micros(index as i64 * self.tick_unit_micros).unwrap_or(Price::ONE)
    }

    fn ladder(&self, side: BookSide) -> &[i64] {
        match side {
            BookSide::Bid => &self.bid_sizes_centi,
            BookSide::Ask => &self.ask_sizes_centi,
        }
    }

    fn level_at(&self, side: BookSide, index: usize) -> BookLevel {
        let size_centi = self.ladder(side)[index];
        BookLevel {
            price: self.price_at(index),
            size: Count::from_centi(size_centi).unwrap_or(Count::ZERO),
        }
    }

    /// Best (highest) YES bid, if any.
    #[inline]
    pub fn best_bid(&self) -> Option<BookLevel> {
        self.best_bid_index
            .map(|index| self.level_at(BookSide::Bid, index))
    }

    /// Best (lowest) YES ask, if any.
    #[inline]
    pub fn best_ask(&self) -> Option<BookLevel> {
        self.best_ask_index
            .map(|index| self.level_at(BookSide::Ask, index))
    }

    /// Best level of `side`.
    pub fn best(&self, side: BookSide) -> Option<BookLevel> {
        match side {
            BookSide::Bid => self.best_bid(),
            BookSide::Ask => self.best_ask(),
        }
    }

    /// Best ask minus best bid in micro-dollars (zero or negative when crossed).
    pub fn spread_micros(&self) -> Option<i64> {
        match (self.best_bid_index, self.best_ask_index) {
            (Some(bid), Some(ask)) => Some((ask as i64 - bid as i64) * self.tick_unit_micros),
            _ => None,
        }
    }

    /// Mid price `(bid + ask) / 2` in micro-dollars, rounded down, when both sides exist.
    pub fn mid_micros(&self) -> Option<i64> {
        match (self.best_bid_index, self.best_ask_index) {
            (Some(bid), Some(ask)) => Some((bid as i64 + ask as i64) * self.tick_unit_micros / 2),
            _ => None,
        }
    }

    /// Resting size at `price` on `side` (zero for empty or off-grid prices).
    pub fn size_at(&self, side: BookSide, price: Price) -> Count {
        match self.index_of(price) {
            Ok(index) => Count::from_centi(self.ladder(side)[index]).unwrap_or(Count::ZERO),
            Err(_) => Count::ZERO,
        }
    }

    /// Non-empty levels of `side`, best first (bids descending, asks ascending).
    pub fn levels(&self, side: BookSide) -> Levels<'_> {
        let next = match side {
            BookSide::Bid => self.best_bid_index,
            BookSide::Ask => self.best_ask_index,
        };
        Levels {
            book: self,
            side,
            next,
        }
    }

    /// Total size of the best `level_count` non-empty levels of `side`.
    pub fn depth(&self, side: BookSide, level_count: usize) -> Count {
        let total_centi: i64 = self
            .levels(side)
            .take(level_count)
            .map(|level| level.size.centi())
            .sum();
        Count::from_centi(total_centi).unwrap_or(Count::ZERO)
    }

    /// True when the best bid is at or above the best ask right now.
    pub fn is_crossed(&self) -> bool {
        matches!((self.best_bid_index, self.best_ask_index), (Some(bid), Some(ask)) if bid >= ask)
    }

    /// True when no invalid reason is set.
    #[inline]
    pub fn is_valid(&self) -> bool {
        self.invalid.is_empty()
    }

    /// The reasons the book is not trusted (empty when valid).
    pub fn invalid_reasons(&self) -> InvalidReasons {
        self.invalid
    }

    /// Marks the book invalid for `reason` (e.g. `SequenceGap`, `Stale`).
    pub fn mark_invalid(&mut self, reason: InvalidReason) {
        self.invalid.insert(reason);
    }

    /// Clears one reason (e.g. `Stale` when the feed is live again). Clearing `NoSnapshot`
    /// is only possible through [`OrderBook::apply_snapshot`], and `Crossed` stays while the
    /// book is actually crossed.
    pub fn clear_invalid(&mut self, reason: InvalidReason) {
        match reason {
            InvalidReason::NoSnapshot => {}
            InvalidReason::Crossed if self.is_crossed() => {}
            _ => self.invalid.remove(reason),
        }
    }

    /// Exchange clock of the last applied change (snapshot or delta), when known.
    pub fn clock(&self) -> Option<u64> {
        self.clock
    }

    /// Exchange clock of the last applied snapshot, when known.
    pub fn snapshot_clock(&self) -> Option<u64> {
        self.snapshot_clock
    }
}

/// Iterator over the non-empty levels of one side, best first.
#[derive(Debug, Clone)]
pub struct Levels<'a> {
    book: &'a OrderBook,
    side: BookSide,
    next: Option<usize>,
}

impl Iterator for Levels<'_> {
    type Item = BookLevel;

    fn next(&mut self) -> Option<BookLevel> {
        let index = self.next?;
        let ladder = self.book.ladder(self.side);
        self.next = match self.side {
            BookSide::Bid => index
                .checked_sub(1)
                .and_then(|from| scan_down(ladder, from)),
            BookSide::Ask => scan_up(ladder, index + 1),
        };
        Some(self.book.level_at(self.side, index))
    }
}

/// Highest index `<= from` holding a non-zero size.
#[inline]
fn scan_down(ladder: &[i64], from: usize) -> Option<usize> {
    let end = from.checked_add(1)?.min(ladder.len());
    ladder[..end].iter().rposition(|size| *size != 0)
}

/// Lowest index `>= from` holding a non-zero size.
#[inline]
fn scan_up(ladder: &[i64], from: usize) -> Option<usize> {
    let tail = ladder.get(from..)?;
    tail.iter()
        .position(|size| *size != 0)
        .map(|offset| from + offset)
}

fn reason_for(error: &BookError) -> InvalidReason {
    match error {
        BookError::OffGridPrice { .. } | BookError::BadTickUnit { .. } => {
            InvalidReason::OffGridPrice
        }
        BookError::NegativeLevel { .. } => InvalidReason::NegativeLevel,
        BookError::SizeOverflow { .. } => InvalidReason::SizeOverflow,
        BookError::DuplicateLevel { .. } => InvalidReason::NoSnapshot,
    }
}

/// The largest slot width that puts every price of the grid on a slot: the greatest common
/// divisor of every band's start, end and step (and of one dollar). One cent when the grid is
/// empty; bands with a non-positive step are ignored.
pub fn finest_tick_unit_micros(price_ranges: &[PriceRange]) -> i64 {
    let mut unit = 0;
    for range in price_ranges {
        if range.step.micros() <= 0 {
            continue;
        }
        unit = gcd(unit, range.step.micros());
        unit = gcd(unit, range.start.micros());
        unit = gcd(unit, range.end.micros());
    }
    if unit == 0 {
        return DEFAULT_TICK_UNIT_MICROS;
    }
    gcd(unit, MICROS_PER_DOLLAR)
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        let rest = a % b;
        a = b;
        b = rest;
    }
    a.abs()
}
