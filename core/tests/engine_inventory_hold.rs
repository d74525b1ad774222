//! What the ladder quotes while a position is held: the side that adds to the position is
//! sized to zero at `inventory_soft_limit` (journaled as a `SideHeld` decision), while the side
//! that reduces it keeps quoting — the EV gate values every rung at the inventory-adjusted
//! reservation price, so skewed reducing rungs pass instead of stranding the position.

mod support;

use kalshi_core::client_order_id::RunId;
use kalshi_core::commands::Command;
use kalshi_core::config::EngineConfig;
use kalshi_core::decision::Decision;
use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{BookLevel, BookSnapshot, FeeParams, MarketInfo, PositionSnapshot};
use kalshi_core::strategy::SideHeldReason;
use kalshi_core::{BookSide, Count, Money, SignedCount};
use support::{count, price};

const TICKER: &str = "KXHOLD-1";

fn listing() -> MarketInfo {
    MarketInfo {
        fee: Some(FeeParams {
            fee_type: "quadratic_with_maker_fees".to_string(),
            multiplier_ppm: 1_000_000,
        }),
        ..support::listing(TICKER, "KXHOLD", "hold")
    }
}

/// Runs config (engine defaults: skew 0.02¢ per contract, soft limit 100) → reconciled
/// position → listing → a 0.40/0.50 book; returns the output of the book.
fn quote_with_position(contracts: i64) -> Output {
    let mut config = EngineConfig {
        run_id: RunId::parse("hold").unwrap(),
        ..EngineConfig::default()
    };
    config.scanner.volume_24h_min = Count::ZERO;
    config.scanner.open_interest_min = Count::ZERO;
    let events = vec![
        Event::Config(Box::new(config)),
        Event::Reconciled {
            orders: Vec::new(),
            positions: vec![PositionSnapshot {
                ticker: TICKER.to_string(),
                position: SignedCount::from_centi(contracts * 100),
                cost: Money::ZERO,
                realized_pnl: Money::ZERO,
                fees_paid: Money::ZERO,
            }],
        },
        Event::MarketListing(vec![listing()]),
        Event::BookSnapshot(BookSnapshot {
            ticker: TICKER.to_string(),
            bids: vec![BookLevel {
                price: price("0.40"),
                size: count(100),
            }],
            asks: vec![BookLevel {
                price: price("0.50"),
                size: count(100),
            }],
            clock: Some(1),
        }),
    ];
    let mut engine = Engine::new();
    let mut last = Output::default();
    for (index, event) in events.into_iter().enumerate() {
        let seq = index as u64 + 1;
        last = engine.process(&Envelope {
            seq,
            ts_ns: 1_000_000_000 + i64::try_from(seq).unwrap(),
            event,
        });
    }
    last
}

fn held(output: &Output) -> Vec<(BookSide, SideHeldReason)> {
    output
        .decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::SideHeld { side, reason, .. } => Some((*side, *reason)),
            _ => None,
        })
        .collect()
}

fn placed_sides(output: &Output) -> Vec<BookSide> {
    output
        .commands
        .iter()
        .filter_map(|command| match command {
            Command::Place(order) => Some(order.side),
            _ => None,
        })
        .collect()
}

#[test]
fn short_near_the_soft_limit_only_bids_to_reduce_and_says_why_the_ask_is_held() {
    let output = quote_with_position(-95);
    let sides = placed_sides(&output);
    assert!(!sides.is_empty(), "the reducing side must keep quoting");
    assert!(sides.iter().all(|side| *side == BookSide::Bid), "{sides:?}");
    assert_eq!(
        held(&output),
        vec![(BookSide::Ask, SideHeldReason::InventorySoftLimit)]
    );
    let line = output
        .decisions
        .iter()
        .find(|decision| matches!(decision, Decision::SideHeld { .. }))
        .unwrap()
        .transcript_line();
    assert_eq!(
        line,
        "SIDE_HELD KXHOLD-1 ask position=-95.00 inventory_soft_limit"
    );
}

#[test]
fn long_near_the_soft_limit_is_the_mirror_image() {
    let output = quote_with_position(95);
    let sides = placed_sides(&output);
    assert!(!sides.is_empty(), "the reducing side must keep quoting");
    assert!(sides.iter().all(|side| *side == BookSide::Ask), "{sides:?}");
    assert_eq!(
        held(&output),
        vec![(BookSide::Bid, SideHeldReason::InventorySoftLimit)]
    );
}

#[test]
fn reducing_rungs_are_valued_at_the_reservation_price() {
    let output = quote_with_position(-95);
    let passed_reducing: Vec<i64> = output
        .decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::Ev(ev) if ev.inputs.side == BookSide::Bid && ev.passed() => {
                Some(ev.inputs.inventory_skew_micros)
            }
            _ => None,
        })
        .collect();
    // Short 95 at 0.02¢ per contract: the reservation sits 1.9¢ above fair.
    assert!(!passed_reducing.is_empty());
    assert!(passed_reducing.iter().all(|skew| *skew == -19_000));
}

#[test]
fn a_moderate_position_still_quotes_both_sides_and_holds_nothing() {
    let output = quote_with_position(-40);
    let sides = placed_sides(&output);
    assert!(sides.contains(&BookSide::Bid), "the reducing side quotes");
    assert!(
        sides.contains(&BookSide::Ask),
        "the adding side is shrunk, not zero"
    );
    assert!(held(&output).is_empty());
    assert!(held(&quote_with_position(0)).is_empty());
}
