//! A market's tick grid: which prices an order may carry, and how to move between them.
//!
//! Kalshi describes the grid as `price_ranges`, a list of `{start, end, step}` bands, and
//! names it with `price_level_structure` (`linear_cent`, `deci_cent`, `tapered_deci_cent`, …).
//! The ranges are authoritative; the name is only a fallback for payloads that carry none.
//!
//! A price `p` is a valid tick when `0 < p < 1` and, for some band with
//! `start ≤ p ≤ end`, `p − start` is a whole number of `step`s. Where two bands share a
//! boundary, passing either band's rule is enough. Everything is integer math on
//! micro-dollars.

use thiserror::Error;

use crate::fixed::{MICROS_PER_DOLLAR, Price};
use crate::market_data::PriceRange;

/// Why a tick grid could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TickGridError {
    /// `price_ranges` was empty where a grid was required.
    #[error("tick grid has no price ranges")]
    NoRanges,
    /// A band's step is zero.
    #[error("price range #{index} has a zero step")]
    ZeroStep {
        /// Position of the band in the list.
        index: usize,
    },
    /// A band's start is not below its end.
    #[error("price range #{index} is empty: start {start} is not below end {end}")]
    EmptyRange {
        /// Position of the band in the list.
        index: usize,
        /// The band's start.
        start: Price,
        /// The band's end.
        end: Price,
    },
    /// A band starts before the previous band ends (out of order or overlapping).
    #[error(
        "price range #{index} starts at {start}, before range #{previous_index} ends at {previous_end}"
    )]
    Overlap {
        /// Position of the offending band.
        index: usize,
        /// Its start.
        start: Price,
        /// Position of the band before it.
        previous_index: usize,
        /// Where that band ends.
        previous_end: Price,
    },
    /// A `price_level_structure` name this crate has no documented grid for, and no ranges.
    #[error("unknown price level structure {name:?} and no price_ranges to define its ticks")]
    UnknownStructure {
        /// The name as received.
        name: String,
    },
}

/// Which way [`TickGrid::snap`] may move a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SnapDirection {
    /// The highest valid tick at or below the price.
    Down,
    /// The lowest valid tick at or above the price.
    Up,
    /// The closer of `Down` and `Up`; an exact tie goes to the lower tick.
    Nearest,
}

/// One validated band, in micro-dollars, with its tradable tick indices precomputed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Band {
    start_micros: i64,
    end_micros: i64,
    step_micros: i64,
    /// Smallest `k` with `start + k·step > 0`.
    first_index: i64,
    /// Largest `k` with `start + k·step ≤ min(end, 1 − 1µ$)`; below `first_index` when the
    /// band holds no tradable tick.
    last_index: i64,
}

impl Band {
    fn new(start_micros: i64, end_micros: i64, step_micros: i64) -> Band {
        let first_index = if start_micros > 0 { 0 } else { 1 };
        let highest_tradable_micros = end_micros.min(MICROS_PER_DOLLAR - 1);
        let last_index = if highest_tradable_micros < start_micros {
            -1
        } else {
            (highest_tradable_micros - start_micros) / step_micros
        };
        Band {
            start_micros,
            end_micros,
            step_micros,
            first_index,
            last_index,
        }
    }

    fn tick(&self, index: i64) -> i64 {
        self.start_micros + index * self.step_micros
    }

    fn has_ticks(&self) -> bool {
        self.first_index <= self.last_index
    }

    /// The highest tradable tick of this band at or below `price_micros`.
    fn floor_tick(&self, price_micros: i64) -> Option<i64> {
        if !self.has_ticks() {
            return None;
        }
        let index = (price_micros - self.start_micros)
            .div_euclid(self.step_micros)
            .min(self.last_index);
        (index >= self.first_index).then(|| self.tick(index))
    }

    /// The lowest tradable tick of this band at or above `price_micros`.
    fn ceil_tick(&self, price_micros: i64) -> Option<i64> {
        if !self.has_ticks() {
            return None;
        }
        let offset = price_micros - self.start_micros;
        let index = ceil_div(offset, self.step_micros).max(self.first_index);
        (index <= self.last_index).then(|| self.tick(index))
    }

    /// Tradable ticks `t` of this band with `low < t ≤ high`.
    fn count_in(&self, low_micros: i64, high_micros: i64) -> i64 {
        if !self.has_ticks() || high_micros <= low_micros {
            return 0;
        }
        let lowest = ((low_micros - self.start_micros).div_euclid(self.step_micros) + 1)
            .max(self.first_index);
        let highest = (high_micros - self.start_micros)
            .div_euclid(self.step_micros)
            .min(self.last_index);
        (highest - lowest + 1).max(0)
    }

    fn is_tick(&self, price_micros: i64) -> bool {
        self.floor_tick(price_micros) == Some(price_micros)
    }
}

/// Ceiling of `numerator / denominator` for a positive denominator.
fn ceil_div(numerator: i64, denominator: i64) -> i64 {
    -((-numerator).div_euclid(denominator))
}

/// A validated tick grid: ordered bands that meet at most at shared boundaries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TickGrid {
    ranges: Vec<PriceRange>,
    bands: Vec<Band>,
}

/// Name of the one-cent grid (`0–1`, step `0.01`), also the default when nothing is known.
pub const LINEAR_CENT: &str = "linear_cent";
/// Name of the tenth-of-a-cent grid (`0–1`, step `0.001`).
pub const DECI_CENT: &str = "deci_cent";
/// Name of the grid with tenth-of-a-cent ticks near 0 and 1 and one-cent ticks between.
pub const TAPERED_DECI_CENT: &str = "tapered_deci_cent";

impl TickGrid {
    /// Builds and validates a grid from a market's `price_ranges`.
    pub fn from_ranges(ranges: &[PriceRange]) -> Result<TickGrid, TickGridError> {
        if ranges.is_empty() {
            return Err(TickGridError::NoRanges);
        }
        let mut bands = Vec::with_capacity(ranges.len());
        for (index, range) in ranges.iter().enumerate() {
            if range.step.micros() <= 0 {
                return Err(TickGridError::ZeroStep { index });
            }
            if range.start >= range.end {
                return Err(TickGridError::EmptyRange {
                    index,
                    start: range.start,
                    end: range.end,
                });
            }
            if let Some(previous_index) = index.checked_sub(1) {
                let previous_end = ranges[previous_index].end;
                if range.start < previous_end {
                    return Err(TickGridError::Overlap {
                        index,
                        start: range.start,
                        previous_index,
                        previous_end,
                    });
                }
            }
            bands.push(Band::new(
                range.start.micros(),
                range.end.micros(),
                range.step.micros(),
            ));
        }
        Ok(TickGrid {
            ranges: ranges.to_vec(),
            bands,
        })
    }

    /// The documented grid for a `price_level_structure` name (`linear_cent`, `deci_cent`,
    /// `tapered_deci_cent`); any other name is [`TickGridError::UnknownStructure`].
    pub fn from_structure(name: &str) -> Result<TickGrid, TickGridError> {
        let bands: &[(i64, i64, i64)] = match name {
            LINEAR_CENT => &[(0, 1_000_000, 10_000)],
            DECI_CENT => &[(0, 1_000_000, 1_000)],
            TAPERED_DECI_CENT => &[
                (0, 100_000, 1_000),
                (100_000, 900_000, 10_000),
                (900_000, 1_000_000, 1_000),
            ],
            _ => {
                return Err(TickGridError::UnknownStructure {
                    name: name.to_string(),
                });
            }
        };
        // The constants above are all within 0..=1 $; a fallback could only produce a zero
        // step or an empty band, which `from_ranges` rejects with a typed error.
        let ranges: Vec<PriceRange> = bands
            .iter()
            .map(|&(start, end, step)| PriceRange {
                start: Price::from_micros(start).unwrap_or(Price::ZERO),
                end: Price::from_micros(end).unwrap_or(Price::ONE),
                step: Price::from_micros(step).unwrap_or(Price::ZERO),
            })
            .collect();
        TickGrid::from_ranges(&ranges)
    }

    /// The grid for a market: its `price_ranges` when non-empty (authoritative); otherwise
    /// the named `price_level_structure`; otherwise — no ranges and no name, or an empty
    /// name — the legacy one-cent grid (`linear_cent`), which is what markets without
    /// either field have always traded on.
    pub fn for_market(
        ranges: &[PriceRange],
        price_level_structure: Option<&str>,
    ) -> Result<TickGrid, TickGridError> {
        if !ranges.is_empty() {
            return TickGrid::from_ranges(ranges);
        }
        match price_level_structure {
            Some(name) if !name.is_empty() => TickGrid::from_structure(name),
            _ => TickGrid::from_structure(LINEAR_CENT),
        }
    }

    /// The bands this grid was built from, in order.
    pub fn ranges(&self) -> &[PriceRange] {
        &self.ranges
    }

    /// True when `price` is strictly between 0 and 1 and on the grid.
    pub fn is_valid(&self, price: Price) -> bool {
        let micros = price.micros();
        self.bands.iter().any(|band| {
            band.start_micros <= micros && micros <= band.end_micros && band.is_tick(micros)
        })
    }

    /// The nearest valid tick in `direction` (the price itself when valid), or `None` when no
    /// valid tick exists that way.
    pub fn snap(&self, price: Price, direction: SnapDirection) -> Option<Price> {
        let micros = price.micros();
        match direction {
            SnapDirection::Down => self.floor_micros(micros),
            SnapDirection::Up => self.ceil_micros(micros),
            SnapDirection::Nearest => match (self.floor_micros(micros), self.ceil_micros(micros)) {
                (Some(down), Some(up)) => Some(if up.micros() - micros < micros - down.micros() {
                    up
                } else {
                    down
                }),
                (down, up) => down.or(up),
            },
        }
    }

    /// The lowest valid tick strictly above `price`.
    pub fn next_tick_above(&self, price: Price) -> Option<Price> {
        self.ceil_micros(price.micros() + 1)
    }

    /// The highest valid tick strictly below `price`.
    pub fn next_tick_below(&self, price: Price) -> Option<Price> {
        self.floor_micros(price.micros() - 1)
    }

    /// The signed number of tick steps from `from` to `to`: the count of valid ticks `t`
    /// with `from < t ≤ to`, negated when `to < from`. A 0.40 bid and 0.45 ask on the cent
    /// grid are 5 ticks apart.
    pub fn ticks_between(&self, from: Price, to: Price) -> i64 {
        if to < from {
            return -self.ticks_between(to, from);
        }
        let (low, high) = (from.micros(), to.micros());
        let mut count: i64 = self.bands.iter().map(|band| band.count_in(low, high)).sum();
        // A tick on a boundary shared by two bands was counted by both.
        for pair in self.bands.windows(2) {
            let boundary = pair[0].end_micros;
            if boundary == pair[1].start_micros
                && low < boundary
                && boundary <= high
                && pair[0].is_tick(boundary)
                && pair[1].is_tick(boundary)
            {
                count -= 1;
            }
        }
        count
    }

    /// The lowest valid tick of the grid.
    pub fn min_tick(&self) -> Option<Price> {
        self.ceil_micros(0)
    }

    /// The highest valid tick of the grid.
    pub fn max_tick(&self) -> Option<Price> {
        self.floor_micros(MICROS_PER_DOLLAR)
    }

    fn floor_micros(&self, micros: i64) -> Option<Price> {
        let best = self
            .bands
            .iter()
            .filter_map(|band| band.floor_tick(micros))
            .max()?;
        Price::from_micros(best).ok()
    }

    fn ceil_micros(&self, micros: i64) -> Option<Price> {
        let best = self
            .bands
            .iter()
            .filter_map(|band| band.ceil_tick(micros))
            .min()?;
        Price::from_micros(best).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(text: &str) -> Price {
        Price::parse(text).unwrap()
    }

    #[test]
    fn floor_tick_never_exceeds_band_end() {
        let band = Band::new(0, 105_000, 10_000);
        assert_eq!(band.floor_tick(500_000), Some(100_000));
        assert_eq!(band.ceil_tick(100_001), None);
        assert_eq!(band.count_in(0, 1_000_000), 10);
    }

    #[test]
    fn band_ending_at_one_excludes_one_itself() {
        let grid = TickGrid::from_structure(LINEAR_CENT).unwrap();
        assert_eq!(grid.max_tick(), Some(price("0.99")));
        assert_eq!(grid.min_tick(), Some(price("0.01")));
    }
}
