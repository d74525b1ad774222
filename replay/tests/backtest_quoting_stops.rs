//! The synthetic backtest that "stopped quoting early" (time quoted ≈ 8 %, fills clustered at
//! the start): the ladder accumulates a short position until the adding side is sized to zero
//! at the soft limit and the EV gate refuses every reducing rung. The backtest's own journal
//! must say so: every re-laid empty ladder with a position carries a `SideHeld` decision for
//! each side.

mod support;

use kalshi_core::BookSide;
use kalshi_core::decision::Decision;
use kalshi_core::strategy::SideHeldReason;
use kalshi_replay::backtest::{BacktestConfig, run_backtest};
use kalshi_replay::progress::NoProgress;
use kalshi_replay::record::ReplayRecord;
use support::{engine_config, listing, market_data};

#[test]
fn an_empty_ladder_with_a_position_is_explained_side_by_side() {
    let mut config = BacktestConfig::new(engine_config());
    config.listings = vec![listing()];
    let outcome = run_backtest(&market_data(900, 7), &config, &NoProgress).unwrap();
    assert!(
        outcome.metrics.time_quoted_ppm < 200_000,
        "the reported symptom reproduces: {} ppm quoted",
        outcome.metrics.time_quoted_ppm
    );

    // Decisions grouped by the input that produced them.
    let mut steps: Vec<Vec<&Decision>> = Vec::new();
    for record in &outcome.records {
        match record {
            ReplayRecord::Input(_) => steps.push(Vec::new()),
            ReplayRecord::OutputDecision { decision, .. } => {
                if let Some(step) = steps.last_mut() {
                    step.push(decision);
                }
            }
            _ => {}
        }
    }
    let mut stuck_steps = 0;
    for step in &steps {
        let Some(quote) = step.iter().find_map(|decision| match decision {
            Decision::Quote(quote) => Some(quote),
            _ => None,
        }) else {
            continue;
        };
        if !quote.quotes.is_empty() || quote.position.centi() == 0 {
            continue;
        }
        stuck_steps += 1;
        let held: Vec<(BookSide, SideHeldReason)> = step
            .iter()
            .filter_map(|decision| match decision {
                Decision::SideHeld { side, reason, .. } => Some((*side, *reason)),
                _ => None,
            })
            .collect();
        assert!(quote.position.centi() < 0, "the synthetic run ends short");
        assert_eq!(
            held,
            vec![
                (BookSide::Ask, SideHeldReason::InventorySoftLimit),
                (BookSide::Bid, SideHeldReason::ReducingBelowMinEdge),
            ],
            "QUOTE at position {} left unexplained",
            quote.position
        );
    }
    assert!(
        stuck_steps > 10,
        "quoting stopped for most of the run: {stuck_steps}"
    );
}
