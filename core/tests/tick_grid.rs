//! Tick grids: construction, validation, validity, snapping, stepping and tick counting.

use kalshi_core::Price;
use kalshi_core::market_data::PriceRange;
use kalshi_core::tick_grid::{SnapDirection, TickGrid, TickGridError};
use proptest::prelude::*;

fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn range(start: &str, end: &str, step: &str) -> PriceRange {
    PriceRange {
        start: price(start),
        end: price(end),
        step: price(step),
    }
}

fn tapered() -> TickGrid {
    TickGrid::from_structure("tapered_deci_cent").unwrap()
}

/// Every valid tick, found by testing each micro-dollar on its own.
fn brute_force_ticks(grid: &TickGrid) -> Vec<i64> {
    (0..=1_000_000)
        .filter(|&m| grid.is_valid(Price::from_micros(m).unwrap()))
        .collect()
}

#[test]
fn named_structures_match_the_documented_grids() {
    let linear = TickGrid::from_structure("linear_cent").unwrap();
    assert_eq!(linear.ranges(), &[range("0", "1", "0.01")]);
    let deci = TickGrid::from_structure("deci_cent").unwrap();
    assert_eq!(deci.ranges(), &[range("0", "1", "0.001")]);
    assert_eq!(
        tapered().ranges(),
        &[
            range("0", "0.10", "0.001"),
            range("0.10", "0.90", "0.01"),
            range("0.90", "1", "0.001")
        ]
    );
    assert_eq!(brute_force_ticks(&linear).len(), 99);
    assert_eq!(brute_force_ticks(&deci).len(), 999);
    // 0.001 … 0.099 (99), then 0.10 … 0.90 in cents (81), then 0.901 … 0.999 (99).
    assert_eq!(brute_force_ticks(&tapered()).len(), 99 + 81 + 99);
}

#[test]
fn market_grid_prefers_ranges_then_name_then_linear_cent() {
    let ranges = [range("0", "1", "0.001")];
    let from_ranges = TickGrid::for_market(&ranges, Some("linear_cent")).unwrap();
    assert!(from_ranges.is_valid(price("0.505")));

    let from_name = TickGrid::for_market(&[], Some("deci_cent")).unwrap();
    assert!(from_name.is_valid(price("0.505")));

    let default = TickGrid::for_market(&[], None).unwrap();
    assert_eq!(default, TickGrid::from_structure("linear_cent").unwrap());
    assert_eq!(TickGrid::for_market(&[], Some("")).unwrap(), default);

    assert_eq!(
        TickGrid::for_market(&[], Some("banded_centi_cent")),
        Err(TickGridError::UnknownStructure {
            name: "banded_centi_cent".to_string()
        })
    );
    // Ranges make an otherwise unknown name irrelevant.
    assert!(TickGrid::for_market(&ranges, Some("banded_centi_cent")).is_ok());
}

#[test]
fn malformed_grids_are_refused_with_the_offending_band() {
    assert_eq!(TickGrid::from_ranges(&[]), Err(TickGridError::NoRanges));
    assert_eq!(
        TickGrid::from_ranges(&[range("0", "1", "0")]),
        Err(TickGridError::ZeroStep { index: 0 })
    );
    assert_eq!(
        TickGrid::from_ranges(&[range("0", "0.5", "0.01"), range("0.5", "0.5", "0.01")]),
        Err(TickGridError::EmptyRange {
            index: 1,
            start: price("0.5"),
            end: price("0.5")
        })
    );
    assert_eq!(
        TickGrid::from_ranges(&[range("0", "0.5", "0.01"), range("0.4", "1", "0.01")]),
        Err(TickGridError::Overlap {
            index: 1,
            start: price("0.4"),
            previous_index: 0,
            previous_end: price("0.5")
        })
    );
    // Out of order is caught the same way.
    assert!(matches!(
        TickGrid::from_ranges(&[range("0.5", "1", "0.01"), range("0", "0.5", "0.01")]),
        Err(TickGridError::Overlap { index: 1, .. })
    ));
    let message = TickGrid::from_structure("center_whole_edge_half_cent")
        .unwrap_err()
        .to_string();
    assert!(message.contains("center_whole_edge_half_cent"), "{message}");
}

#[test]
fn validity_follows_the_band_containing_the_price() {
    let grid = tapered();
    for valid in [
        "0.001", "0.099", "0.10", "0.11", "0.89", "0.90", "0.901", "0.999",
    ] {
        assert!(grid.is_valid(price(valid)), "{valid} should be valid");
    }
    for invalid in ["0", "1", "0.105", "0.555", "0.0005", "0.9995"] {
        assert!(
            !grid.is_valid(price(invalid)),
            "{invalid} should be invalid"
        );
    }
}

#[test]
fn shared_boundary_passes_if_either_band_accepts_it() {
    // 0.105 is not on the first band's 0.01 grid from 0, but it starts the second band.
    let grid = TickGrid::from_ranges(&[range("0", "0.105", "0.01"), range("0.105", "1", "0.005")])
        .unwrap();
    assert!(grid.is_valid(price("0.105")));
    assert!(grid.is_valid(price("0.10")));
    assert!(grid.is_valid(price("0.11")));
    assert_eq!(grid.next_tick_above(price("0.10")), Some(price("0.105")));
    assert_eq!(grid.ticks_between(price("0.10"), price("0.115")), 3);
}

#[test]
fn gaps_between_bands_hold_no_ticks() {
    let grid =
        TickGrid::from_ranges(&[range("0", "0.20", "0.01"), range("0.80", "1", "0.01")]).unwrap();
    assert!(!grid.is_valid(price("0.50")));
    assert_eq!(
        grid.snap(price("0.50"), SnapDirection::Down),
        Some(price("0.20"))
    );
    assert_eq!(
        grid.snap(price("0.50"), SnapDirection::Up),
        Some(price("0.80"))
    );
    assert_eq!(
        grid.snap(price("0.45"), SnapDirection::Nearest),
        Some(price("0.20"))
    );
    assert_eq!(
        grid.snap(price("0.55"), SnapDirection::Nearest),
        Some(price("0.80"))
    );
    // 0.20, then straight to 0.80 and 0.81.
    assert_eq!(grid.ticks_between(price("0.19"), price("0.81")), 3);
}

#[test]
fn snapping_respects_direction_and_edges() {
    let grid = TickGrid::from_structure("linear_cent").unwrap();
    assert_eq!(
        grid.snap(price("0.5649"), SnapDirection::Down),
        Some(price("0.56"))
    );
    assert_eq!(
        grid.snap(price("0.5601"), SnapDirection::Up),
        Some(price("0.57"))
    );
    assert_eq!(
        grid.snap(price("0.5649"), SnapDirection::Nearest),
        Some(price("0.56"))
    );
    assert_eq!(
        grid.snap(price("0.5651"), SnapDirection::Nearest),
        Some(price("0.57"))
    );
    assert_eq!(
        grid.snap(price("0.565"), SnapDirection::Nearest),
        Some(price("0.56")),
        "ties go down"
    );
    assert_eq!(grid.snap(price("0.005"), SnapDirection::Down), None);
    assert_eq!(
        grid.snap(price("0.005"), SnapDirection::Nearest),
        Some(price("0.01"))
    );
    assert_eq!(grid.snap(price("0.995"), SnapDirection::Up), None);
    assert_eq!(
        grid.snap(Price::ONE, SnapDirection::Down),
        Some(price("0.99"))
    );
    assert_eq!(
        grid.snap(Price::ZERO, SnapDirection::Up),
        Some(price("0.01"))
    );
}

#[test]
fn stepping_crosses_band_boundaries_with_the_right_tick() {
    let grid = tapered();
    assert_eq!(grid.next_tick_above(price("0.099")), Some(price("0.10")));
    assert_eq!(grid.next_tick_above(price("0.10")), Some(price("0.11")));
    assert_eq!(grid.next_tick_below(price("0.10")), Some(price("0.099")));
    assert_eq!(grid.next_tick_above(price("0.89")), Some(price("0.90")));
    assert_eq!(grid.next_tick_above(price("0.90")), Some(price("0.901")));
    assert_eq!(grid.next_tick_below(price("0.001")), None);
    assert_eq!(grid.next_tick_above(price("0.999")), None);
}

#[test]
fn ticks_between_measures_spread_in_ticks() {
    let cent = TickGrid::from_structure("linear_cent").unwrap();
    assert_eq!(cent.ticks_between(price("0.40"), price("0.45")), 5);
    assert_eq!(cent.ticks_between(price("0.45"), price("0.40")), -5);
    assert_eq!(cent.ticks_between(price("0.40"), price("0.40")), 0);
    let grid = tapered();
    // 0.095 → 0.10: 5 deci-cent ticks; 0.10 → 0.12: 2 cent ticks.
    assert_eq!(grid.ticks_between(price("0.095"), price("0.12")), 7);
    // 0.89 → 0.90 one cent tick, then 0.901 … 0.905 five deci-cent ticks.
    assert_eq!(grid.ticks_between(price("0.89"), price("0.905")), 6);
    assert_eq!(grid.ticks_between(Price::ZERO, Price::ONE), 99 + 81 + 99);
}

#[test]
fn walking_the_grid_visits_exactly_the_valid_ticks() {
    let grid = tapered();
    let mut walked = Vec::new();
    let mut cursor = grid.min_tick();
    while let Some(tick) = cursor {
        walked.push(tick.micros());
        cursor = grid.next_tick_above(tick);
    }
    assert_eq!(walked, brute_force_ticks(&grid));
    assert_eq!(grid.max_tick().map(Price::micros), walked.last().copied());
}

fn arbitrary_grid() -> impl Strategy<Value = TickGrid> {
    prop_oneof![
        Just(TickGrid::from_structure("linear_cent").unwrap()),
        Just(TickGrid::from_structure("deci_cent").unwrap()),
        Just(tapered()),
        Just(
            TickGrid::from_ranges(&[range("0", "0.105", "0.01"), range("0.105", "1", "0.005")])
                .unwrap()
        ),
        Just(
            TickGrid::from_ranges(&[
                range("0.02", "0.20", "0.03"),
                range("0.80", "0.97", "0.0025")
            ])
            .unwrap()
        ),
    ]
}

fn arbitrary_price() -> impl Strategy<Value = Price> {
    (0i64..=1_000_000).prop_map(|m| Price::from_micros(m).unwrap())
}

proptest! {
    #[test]
    fn snap_lands_on_a_valid_tick_on_the_requested_side(grid in arbitrary_grid(), p in arbitrary_price()) {
        if let Some(down) = grid.snap(p, SnapDirection::Down) {
            prop_assert!(grid.is_valid(down));
            prop_assert!(down <= p);
            prop_assert!(grid.ticks_between(down, p) == 0, "a valid tick was skipped below {p}");
        }
        if let Some(up) = grid.snap(p, SnapDirection::Up) {
            prop_assert!(grid.is_valid(up));
            prop_assert!(up >= p);
            prop_assert_eq!(grid.ticks_between(p, up), i64::from(up != p), "a valid tick was skipped above {}", p);
        }
        if let Some(nearest) = grid.snap(p, SnapDirection::Nearest) {
            prop_assert!(grid.is_valid(nearest));
            let down = grid.snap(p, SnapDirection::Down);
            let up = grid.snap(p, SnapDirection::Up);
            prop_assert!(Some(nearest) == down || Some(nearest) == up);
        }
    }

    #[test]
    fn snapping_a_valid_price_returns_it(grid in arbitrary_grid(), p in arbitrary_price()) {
        if grid.is_valid(p) {
            prop_assert_eq!(grid.snap(p, SnapDirection::Down), Some(p));
            prop_assert_eq!(grid.snap(p, SnapDirection::Up), Some(p));
            prop_assert_eq!(grid.snap(p, SnapDirection::Nearest), Some(p));
        }
    }

    #[test]
    fn stepping_down_then_up_returns_home(grid in arbitrary_grid(), p in arbitrary_price()) {
        let Some(tick) = grid.snap(p, SnapDirection::Nearest) else { return Ok(()) };
        if let Some(below) = grid.next_tick_below(tick) {
            prop_assert!(below < tick);
            prop_assert_eq!(grid.next_tick_above(below), Some(tick));
            prop_assert_eq!(grid.ticks_between(below, tick), 1);
        }
        if let Some(above) = grid.next_tick_above(tick) {
            prop_assert_eq!(grid.next_tick_below(above), Some(tick));
        }
    }

    #[test]
    fn ticks_between_is_additive(grid in arbitrary_grid(), a in arbitrary_price(), b in arbitrary_price(), c in arbitrary_price()) {
        prop_assert_eq!(grid.ticks_between(a, b) + grid.ticks_between(b, c), grid.ticks_between(a, c));
    }
}
