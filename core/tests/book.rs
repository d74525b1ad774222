//! Order book behaviour: snapshot/delta application, best-level tracking, validity, clocks,
//! and a property test against a simple ordered-map reference model.

use std::collections::BTreeMap;

use kalshi_core::book::{
    BookError, DeltaOutcome, InvalidReason, OrderBook, finest_tick_unit_micros,
};
use kalshi_core::market_data::{BookDelta, BookLevel, BookSnapshot, PriceRange};
use kalshi_core::{BookSide, Count, Price, SignedCount};
use proptest::prelude::*;

fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn level(price_text: &str, contracts: i64) -> BookLevel {
    BookLevel {
        price: price(price_text),
        size: Count::from_contracts(contracts).unwrap(),
    }
}

fn snapshot(bids: Vec<BookLevel>, asks: Vec<BookLevel>, clock: Option<u64>) -> BookSnapshot {
    BookSnapshot {
        ticker: "KX-T".into(),
        bids,
        asks,
        clock,
    }
}

fn delta(side: BookSide, price_text: &str, change_centi: i64, clock: Option<u64>) -> BookDelta {
    BookDelta {
        ticker: "KX-T".into(),
        side,
        price: price(price_text),
        delta: SignedCount::from_centi(change_centi),
        clock,
        client_order_id: None,
    }
}

/// The worked example of kalshi-api.md §10.4: YES bids 0.42×13, 0.41×10; NO bids 0.56×17,
/// 0.55×20 ⇒ YES asks 0.44×17, 0.45×20.
fn example_book() -> OrderBook {
    let mut book = OrderBook::new(10_000).unwrap();
    book.apply_snapshot(&snapshot(
        vec![level("0.41", 10), level("0.42", 13)],
        vec![level("0.45", 20), level("0.44", 17)],
        Some(100),
    ))
    .unwrap();
    book
}

#[test]
fn new_book_is_invalid_until_snapshot_and_ignores_deltas() {
    let mut book = OrderBook::new(10_000).unwrap();
    assert!(!book.is_valid());
    assert!(book.invalid_reasons().contains(InvalidReason::NoSnapshot));
    let outcome = book
        .apply_delta(&delta(BookSide::Bid, "0.40", 500, Some(1)))
        .unwrap();
    assert_eq!(outcome, DeltaOutcome::IgnoredNoSnapshot);
    assert_eq!(book.best_bid(), None);
    book.apply_snapshot(&snapshot(vec![], vec![], None))
        .unwrap();
    assert!(book.is_valid());
}

#[test]
fn snapshot_gives_best_levels_spread_and_depth() {
    let book = example_book();
    assert_eq!(book.best_bid(), Some(level("0.42", 13)));
    assert_eq!(book.best_ask(), Some(level("0.44", 17)));
    assert_eq!(book.spread_micros(), Some(20_000));
    assert_eq!(book.mid_micros(), Some(430_000));
    assert_eq!(
        book.depth(BookSide::Bid, 1),
        Count::from_contracts(13).unwrap()
    );
    assert_eq!(
        book.depth(BookSide::Ask, 5),
        Count::from_contracts(37).unwrap()
    );
    let bids: Vec<BookLevel> = book.levels(BookSide::Bid).collect();
    assert_eq!(bids, vec![level("0.42", 13), level("0.41", 10)]);
    let asks: Vec<BookLevel> = book.levels(BookSide::Ask).collect();
    assert_eq!(asks, vec![level("0.44", 17), level("0.45", 20)]);
    assert_eq!(
        book.size_at(BookSide::Ask, price("0.45")),
        Count::from_contracts(20).unwrap()
    );
    assert_eq!(book.size_at(BookSide::Ask, price("0.46")), Count::ZERO);
    assert_eq!(book.clock(), Some(100));
}

#[test]
fn worked_match_example_moves_best_ask() {
    // The IOC buy of §10.4 takes 17 @ 0.44 and 8 @ 0.45: best ask becomes 0.45×12.
    let mut book = example_book();
    assert_eq!(
        book.apply_delta(&delta(BookSide::Ask, "0.44", -1700, Some(101))),
        Ok(DeltaOutcome::Applied)
    );
    assert_eq!(
        book.apply_delta(&delta(BookSide::Ask, "0.45", -800, Some(101))),
        Ok(DeltaOutcome::Applied)
    );
    assert_eq!(book.best_ask(), Some(level("0.45", 12)));
    assert_eq!(book.clock(), Some(101));
    assert!(book.is_valid());
}

#[test]
fn emptying_best_bid_scans_to_next_level() {
    let mut book = example_book();
    book.apply_delta(&delta(BookSide::Bid, "0.42", -1300, Some(101)))
        .unwrap();
    assert_eq!(book.best_bid(), Some(level("0.41", 10)));
    book.apply_delta(&delta(BookSide::Bid, "0.41", -1000, Some(102)))
        .unwrap();
    assert_eq!(book.best_bid(), None);
    assert_eq!(book.spread_micros(), None);
    book.apply_delta(&delta(BookSide::Bid, "0.01", 100, Some(103)))
        .unwrap();
    assert_eq!(book.best_bid(), Some(level("0.01", 1)));
}

#[test]
fn fractional_deltas_accumulate_exactly() {
    let mut book = example_book();
    book.apply_delta(&delta(BookSide::Bid, "0.42", -250, Some(101)))
        .unwrap();
    assert_eq!(
        book.best_bid().unwrap().size,
        Count::parse("10.50").unwrap()
    );
}

#[test]
fn negative_level_is_typed_error_leaves_level_and_marks_invalid() {
    let mut book = example_book();
    let error = book
        .apply_delta(&delta(BookSide::Bid, "0.42", -1400, Some(101)))
        .unwrap_err();
    assert!(matches!(
        error,
        BookError::NegativeLevel {
            side: BookSide::Bid,
            size_centi: 1300,
            delta_centi: -1400,
            ..
        }
    ));
    assert_eq!(book.best_bid(), Some(level("0.42", 13)));
    assert!(
        book.invalid_reasons()
            .contains(InvalidReason::NegativeLevel)
    );
    assert!(!book.is_valid());
}

#[test]
fn off_grid_price_is_typed_error_and_marks_invalid() {
    let mut book = example_book();
    let error = book
        .apply_delta(&delta(BookSide::Ask, "0.445", 100, Some(101)))
        .unwrap_err();
    assert!(matches!(
        error,
        BookError::OffGridPrice {
            tick_unit_micros: 10_000,
            ..
        }
    ));
    assert!(book.invalid_reasons().contains(InvalidReason::OffGridPrice));
    // A snapshot repairs it.
    book.apply_snapshot(&snapshot(
        vec![level("0.30", 1)],
        vec![level("0.70", 1)],
        Some(200),
    ))
    .unwrap();
    assert!(book.is_valid());
}

#[test]
fn off_grid_or_duplicate_snapshot_is_rejected_and_leaves_book_empty() {
    let mut book = example_book();
    let error = book
        .apply_snapshot(&snapshot(vec![level("0.305", 1)], vec![], Some(5)))
        .unwrap_err();
    assert!(matches!(error, BookError::OffGridPrice { .. }));
    assert!(book.invalid_reasons().contains(InvalidReason::NoSnapshot));
    assert_eq!(book.best_bid(), None);
    assert_eq!(book.best_ask(), None);
    let error = book
        .apply_snapshot(&snapshot(
            vec![level("0.30", 1), level("0.30", 2)],
            vec![],
            Some(5),
        ))
        .unwrap_err();
    assert!(matches!(
        error,
        BookError::DuplicateLevel {
            side: BookSide::Bid,
            ..
        }
    ));
    assert!(!book.is_valid());
}

#[test]
fn stale_deltas_are_dropped_by_clock() {
    let mut book = example_book();
    assert_eq!(
        book.apply_delta(&delta(BookSide::Bid, "0.42", -1300, Some(100))),
        Ok(DeltaOutcome::IgnoredStale)
    );
    assert_eq!(
        book.apply_delta(&delta(BookSide::Bid, "0.42", -1300, Some(99))),
        Ok(DeltaOutcome::IgnoredStale)
    );
    assert_eq!(book.best_bid(), Some(level("0.42", 13)));
    // Unknown clock on the delta: applied.
    assert_eq!(
        book.apply_delta(&delta(BookSide::Bid, "0.42", 100, None)),
        Ok(DeltaOutcome::Applied)
    );
    assert_eq!(book.best_bid(), Some(level("0.42", 14)));
    // Several deltas may share one clock newer than the snapshot.
    assert_eq!(
        book.apply_delta(&delta(BookSide::Bid, "0.42", 100, Some(101))),
        Ok(DeltaOutcome::Applied)
    );
    assert_eq!(
        book.apply_delta(&delta(BookSide::Bid, "0.42", 100, Some(101))),
        Ok(DeltaOutcome::Applied)
    );
    assert_eq!(book.best_bid(), Some(level("0.42", 16)));
}

#[test]
fn crossed_book_is_invalid_until_resnapshot() {
    let mut book = example_book();
    book.apply_delta(&delta(BookSide::Bid, "0.44", 100, Some(101)))
        .unwrap();
    assert!(book.is_crossed());
    assert!(book.invalid_reasons().contains(InvalidReason::Crossed));
    // Crossed cannot be cleared while crossed.
    book.clear_invalid(InvalidReason::Crossed);
    assert!(!book.is_valid());
    book.apply_delta(&delta(BookSide::Bid, "0.44", -100, Some(102)))
        .unwrap();
    assert!(!book.is_crossed());
    assert!(
        !book.is_valid(),
        "crossing is sticky: the book needs a resync"
    );
    book.clear_invalid(InvalidReason::Crossed);
    assert!(book.is_valid());
}

#[test]
fn crossed_snapshot_is_invalid() {
    let mut book = OrderBook::new(10_000).unwrap();
    book.apply_snapshot(&snapshot(
        vec![level("0.50", 1)],
        vec![level("0.50", 1)],
        Some(1),
    ))
    .unwrap();
    assert!(book.invalid_reasons().contains(InvalidReason::Crossed));
}

#[test]
fn explicit_reasons_set_and_clear() {
    let mut book = example_book();
    book.mark_invalid(InvalidReason::SequenceGap);
    book.mark_invalid(InvalidReason::Stale);
    let reasons: Vec<InvalidReason> = book.invalid_reasons().iter().collect();
    assert_eq!(
        reasons,
        vec![InvalidReason::SequenceGap, InvalidReason::Stale]
    );
    assert_eq!(book.invalid_reasons().to_string(), "sequence_gap,stale");
    book.clear_invalid(InvalidReason::Stale);
    assert!(!book.is_valid());
    book.clear_invalid(InvalidReason::NoSnapshot);
    book.apply_snapshot(&snapshot(vec![], vec![], Some(300)))
        .unwrap();
    assert!(book.is_valid());
    book.reset();
    assert!(book.invalid_reasons().contains(InvalidReason::NoSnapshot));
    book.clear_invalid(InvalidReason::NoSnapshot);
    assert!(!book.is_valid(), "only a snapshot clears NoSnapshot");
}

#[test]
fn tick_unit_comes_from_finest_grid() {
    let range = |start: &str, end: &str, step: &str| PriceRange {
        start: price(start),
        end: price(end),
        step: price(step),
    };
    assert_eq!(finest_tick_unit_micros(&[]), 10_000);
    assert_eq!(finest_tick_unit_micros(&[range("0", "1", "0.01")]), 10_000);
    assert_eq!(finest_tick_unit_micros(&[range("0", "1", "0.001")]), 1_000);
    let tapered = [
        range("0", "0.1", "0.001"),
        range("0.1", "0.9", "0.01"),
        range("0.9", "1", "0.001"),
    ];
    assert_eq!(finest_tick_unit_micros(&tapered), 1_000);
    assert_eq!(
        finest_tick_unit_micros(&[range("0.0005", "1", "0.01")]),
        500
    );
    assert!(OrderBook::new(0).is_err());
    assert!(OrderBook::new(3).is_err());
    let mut fine = OrderBook::for_price_ranges(&[range("0", "1", "0.0001")]);
    assert_eq!(fine.tick_unit_micros(), 100);
    fine.apply_snapshot(&snapshot(
        vec![level("0.0001", 1)],
        vec![level("0.9999", 2)],
        None,
    ))
    .unwrap();
    assert_eq!(fine.spread_micros(), Some(999_800));
}

#[test]
fn regrid_keeps_levels_or_fails_untouched() {
    let mut book = example_book();
    book.regrid(1_000).unwrap();
    assert_eq!(book.tick_unit_micros(), 1_000);
    assert_eq!(book.best_bid(), Some(level("0.42", 13)));
    assert_eq!(book.levels(BookSide::Ask).count(), 2);
    book.apply_delta(&delta(BookSide::Bid, "0.425", 100, Some(101)))
        .unwrap();
    assert_eq!(
        book.regrid(10_000),
        Err(BookError::OffGridPrice {
            price: price("0.425"),
            tick_unit_micros: 10_000
        })
    );
    assert_eq!(book.tick_unit_micros(), 1_000);
    assert_eq!(book.best_bid(), Some(level("0.425", 1)));
}

/// The reference model: two ordered maps from price micros to size hundredths.
#[derive(Default)]
struct ReferenceBook {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
}

impl ReferenceBook {
    fn side(&mut self, side: BookSide) -> &mut BTreeMap<i64, i64> {
        match side {
            BookSide::Bid => &mut self.bids,
            BookSide::Ask => &mut self.asks,
        }
    }

    /// Returns false (and changes nothing) when the level would go negative.
    fn apply(&mut self, side: BookSide, price_micros: i64, change_centi: i64) -> bool {
        let map = self.side(side);
        let size = map.get(&price_micros).copied().unwrap_or(0) + change_centi;
        if size < 0 {
            return false;
        }
        if size == 0 {
            map.remove(&price_micros);
        } else {
            map.insert(price_micros, size);
        }
        true
    }

    fn best_bid(&self) -> Option<(i64, i64)> {
        self.bids.iter().next_back().map(|(p, s)| (*p, *s))
    }

    fn best_ask(&self) -> Option<(i64, i64)> {
        self.asks.iter().next().map(|(p, s)| (*p, *s))
    }

    fn crossed(&self) -> bool {
        matches!((self.best_bid(), self.best_ask()), (Some((bid, _)), Some((ask, _))) if bid >= ask)
    }
}

fn as_pair(level: Option<BookLevel>) -> Option<(i64, i64)> {
    level.map(|level| (level.price.micros(), level.size.centi()))
}

fn check_agrees(book: &OrderBook, reference: &ReferenceBook) -> Result<(), TestCaseError> {
    prop_assert_eq!(as_pair(book.best_bid()), reference.best_bid());
    prop_assert_eq!(as_pair(book.best_ask()), reference.best_ask());
    let bids: Vec<(i64, i64)> = book
        .levels(BookSide::Bid)
        .map(|l| (l.price.micros(), l.size.centi()))
        .collect();
    let reference_bids: Vec<(i64, i64)> =
        reference.bids.iter().rev().map(|(p, s)| (*p, *s)).collect();
    prop_assert_eq!(bids, reference_bids);
    let asks: Vec<(i64, i64)> = book
        .levels(BookSide::Ask)
        .map(|l| (l.price.micros(), l.size.centi()))
        .collect();
    let reference_asks: Vec<(i64, i64)> = reference.asks.iter().map(|(p, s)| (*p, *s)).collect();
    prop_assert_eq!(asks, reference_asks);
    prop_assert_eq!(book.is_crossed(), reference.crossed());
    Ok(())
}

/// A random step: side, slot, signed change (hundredths; a multiple of 3 on an existing level
/// means "remove the level"), clock offset from the snapshot.
type Step = (bool, u32, i64, i64);

fn steps(slot_max: u32) -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        (any::<bool>(), 0..=slot_max, -3_000i64..3_000, -3i64..20),
        0..200,
    )
}

/// Slot and size (hundredths) of one snapshot level.
type SlotLevel = (u32, i64);

/// Tick unit, snapshot bids, snapshot asks, then the delta steps.
type BookCase = (i64, Vec<SlotLevel>, Vec<SlotLevel>, Vec<Step>);

fn book_case() -> impl Strategy<Value = BookCase> {
    prop_oneof![Just(10_000i64), Just(1_000i64), Just(100i64)].prop_flat_map(|unit| {
        let slot_max = (1_000_000 / unit) as u32;
        let middle = slot_max / 2;
        // Levels are packed next to each other so emptying a best level often exposes an
        // adjacent one; bids sit mostly below asks, with some overlap to exercise crossing.
        let bid_slot = (middle - 12)..=(middle + 2);
        let ask_slot = (middle - 2)..=(middle + 12);
        (
            Just(unit),
            proptest::collection::vec((bid_slot, 1i64..2_000), 0..15),
            proptest::collection::vec((ask_slot, 1i64..2_000), 0..15),
            steps(slot_max).prop_map(move |mut steps| {
                // Most steps land in the packed window; every fourth may land anywhere.
                for (index, step) in steps.iter_mut().enumerate() {
                    if index % 4 != 0 {
                        step.1 = middle - 12 + step.1 % 25;
                    }
                }
                steps
            }),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn book_agrees_with_reference_model((unit, bid_slots, ask_slots, steps) in book_case()) {
        let mut book = OrderBook::new(unit).unwrap();
        let mut reference = ReferenceBook::default();
        let mut bids = BTreeMap::new();
        for (slot, size) in bid_slots {
            bids.insert(i64::from(slot) * unit, size);
        }
        let mut asks = BTreeMap::new();
        for (slot, size) in ask_slots {
            asks.insert(i64::from(slot) * unit, size);
        }
        let to_levels = |map: &BTreeMap<i64, i64>| -> Vec<BookLevel> {
            // Reverse order: the book must not depend on the order levels arrive in.
            map.iter().rev().map(|(p, s)| BookLevel { price: Price::from_micros(*p).unwrap(), size: Count::from_centi(*s).unwrap() }).collect()
        };
        let snapshot_clock = 1_000u64;
        book.apply_snapshot(&BookSnapshot { ticker: "KX".into(), bids: to_levels(&bids), asks: to_levels(&asks), clock: Some(snapshot_clock) }).unwrap();
        reference.bids = bids;
        reference.asks = asks;
        let mut ever_crossed = reference.crossed();
        let mut ever_negative = false;
        check_agrees(&book, &reference)?;
        for (is_bid, slot, change_centi, clock_offset) in steps {
            let side = if is_bid { BookSide::Bid } else { BookSide::Ask };
            let price_micros = i64::from(slot) * unit;
            let clock = snapshot_clock as i64 + clock_offset;
            // A third of the steps remove a whole existing level, the case that moves the best.
            let resting_centi = match side {
                BookSide::Bid => reference.bids.get(&price_micros).copied(),
                BookSide::Ask => reference.asks.get(&price_micros).copied(),
            };
            let change_centi = match resting_centi {
                Some(resting) if change_centi.rem_euclid(3) == 0 => -resting,
                _ => change_centi,
            };
            let delta = BookDelta {
                ticker: "KX".into(),
                side,
                price: Price::from_micros(price_micros).unwrap(),
                delta: SignedCount::from_centi(change_centi),
                clock: Some(clock as u64),
                client_order_id: None,
            };
            let outcome = book.apply_delta(&delta);
            if clock_offset <= 0 {
                prop_assert_eq!(outcome, Ok(DeltaOutcome::IgnoredStale));
            } else if reference.apply(side, price_micros, change_centi) {
                prop_assert_eq!(outcome, Ok(DeltaOutcome::Applied));
            } else {
                ever_negative = true;
                let is_negative_error = matches!(outcome, Err(BookError::NegativeLevel { .. }));
                prop_assert!(is_negative_error);
            }
            ever_crossed |= reference.crossed();
            check_agrees(&book, &reference)?;
            prop_assert_eq!(book.invalid_reasons().contains(InvalidReason::Crossed), ever_crossed);
            prop_assert_eq!(book.invalid_reasons().contains(InvalidReason::NegativeLevel), ever_negative);
            prop_assert_eq!(book.is_valid(), !ever_crossed && !ever_negative);
        }
    }
}
