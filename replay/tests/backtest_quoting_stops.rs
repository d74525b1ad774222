//! The synthetic backtest that once "stopped quoting early" (time quoted ≈ 8 %, fills
//! clustered at the start). The ladder had accumulated a short position until the adding side
//! was sized to zero at the soft limit, and the EV gate — valuing rungs at the unskewed fair
//! value — refused every reducing rung, so the position could never unwind. The gate now
//! values rungs at the inventory-adjusted reservation price: the reducing side keeps quoting,
//! inventory stays near the soft limit, and any ladder left empty while a position is held is
//! explained by a `SideHeld` decision in the backtest's own journal.

mod support;

use kalshi_core::decision::Decision;
use kalshi_core::{Count, SignedCount};
use kalshi_journal::JournalRecord;
use kalshi_replay::backtest::{BacktestConfig, run_backtest};
use kalshi_replay::progress::NoProgress;
use support::{engine_config, listing, market_data};

#[test]
fn a_held_position_keeps_being_worked_and_every_empty_ladder_is_explained() {
    let mut engine = engine_config();
    // This synthetic tape fills the ladder far faster than any real market: the fill-burst
    // breaker would (rightly) withdraw every quote, which is not what this test is about.
    engine.risk.fill_burst_contracts_max = Count::from_centi(100_000_000).unwrap();
    let soft_limit = engine.strategy.inventory_soft_limit;
    let rung_size_max = engine.strategy.size_cap;
    let mut config = BacktestConfig::new(engine);
    config.listings = vec![listing()];
    let outcome = run_backtest(&market_data(900, 7), &config, &NoProgress).unwrap();
    assert!(
        outcome.metrics.time_quoted_ppm > 900_000,
        "quoting must not stop while a position is held: {} ppm quoted",
        outcome.metrics.time_quoted_ppm
    );
    assert!(
        outcome.metrics.fills > 100,
        "{} fills",
        outcome.metrics.fills
    );
    // The adding side stops at the soft limit; fills already resting can overshoot it by at
    // most what the ladder had out on that side.
    let rungs = i64::from(config.engine.strategy.rungs_per_side);
    let ceiling = Count::from_centi(soft_limit.centi() + rungs * rung_size_max.centi()).unwrap();
    assert!(
        outcome.metrics.inventory_max_abs <= ceiling,
        "inventory {} beyond the soft limit {} plus one ladder",
        outcome.metrics.inventory_max_abs,
        soft_limit
    );

    // Decisions grouped by the input that produced them.
    let mut steps: Vec<Vec<&Decision>> = Vec::new();
    for record in &outcome.records {
        match record {
            JournalRecord::Input(_) => steps.push(Vec::new()),
            JournalRecord::OutputDecision { decision, .. } => {
                if let Some(step) = steps.last_mut() {
                    step.push(decision);
                }
            }
            _ => {}
        }
    }
    for step in &steps {
        let Some(quote) = step.iter().find_map(|decision| match decision {
            Decision::Quote(quote) => Some(quote),
            _ => None,
        }) else {
            continue;
        };
        if !quote.quotes.is_empty() || quote.position == SignedCount::ZERO {
            continue;
        }
        assert!(
            step.iter()
                .any(|decision| matches!(decision, Decision::SideHeld { .. })),
            "QUOTE at position {} left an empty ladder unexplained",
            quote.position
        );
    }
}
