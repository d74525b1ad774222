//! Fill simulator parity with the local exchange: order groups, trading pauses and market
//! close.
//!
//! Each scenario is one list of steps run through both: the local exchange's pure core
//! (`kalshi_sim::Exchange`, in process) with us and another trader as accounts, and the
//! backtest's `FillSimulator` fed what a backtest would see of the same run — the market's
//! listing, the public trades and the other trader's book changes the exchange published,
//! its lifecycle changes, the exchange status a status poll reports, and our own commands
//! (with zero latency, so both apply them at the same time). The outcome of every order we
//! sent (refused and why, fills, final state, why the exchange cancelled it) is then read
//! from each side, the exchange's from its order records and the simulator's from the events
//! it sent the engine, and the two must be equal.

mod parity_support;

use kalshi_core::BookSide;
use kalshi_replay::fill_sim::{CLOSE_CANCEL, HALT_CANCEL};
use parity_support::{Fate, State, Step, TICKER, canceled, count, fate, ours, price, run};

#[test]
fn group_limit_cancels_the_group_and_refuses_it_until_reset() {
    use BookSide::{Ask, Bid};
    let steps = [
        Step::Place(1, ours(1, Ask, "0.50", 30).grouped()),
        Step::Place(1, ours(2, Bid, "0.30", 5).grouped()),
        Step::Place(1, ours(3, Bid, "0.20", 5)),
        Step::Take(2, Bid, "0.50", 6),
        // 16 s later the first 6 have left the window: 6 inside it, not above 10.
        Step::Take(18, Bid, "0.50", 6),
        // 6 + 5 = 11 > 10 within 15 s: the group triggers.
        Step::Take(22, Bid, "0.50", 5),
        Step::Place(23, ours(4, Bid, "0.30", 1).grouped()),
        Step::Place(23, ours(5, Bid, "0.31", 1)),
        Step::ResetGroup(24),
        Step::Place(25, ours(6, Bid, "0.30", 2).grouped()),
        Step::Place(26, ours(8, Ask, "0.55", 20).grouped()),
        // Exactly the limit matched: not above it, nothing happens.
        Step::Take(27, Bid, "0.55", 10),
        Step::Place(27, ours(9, Bid, "0.29", 1).grouped()),
        // One more: above it.
        Step::Take(28, Bid, "0.55", 1),
        // A taking order of the group: 8 + 8 matched takes it over the limit, so it stops
        // there and its remainder does not rest.
        Step::ResetGroup(40),
        Step::Place(40, ours(10, Bid, "0.28", 1).grouped()),
        Step::Provide(41, Ask, "0.60", 8),
        Step::Provide(41, Ask, "0.61", 8),
        Step::Provide(41, Ask, "0.62", 8),
        Step::Place(42, ours(7, Bid, "0.62", 24).grouped()),
    ];
    let (exchange, _) = run(&steps);
    // The scenario did exercise the group: what both sides agreed on.
    let fill = |p: &str, n: i64, taker: bool| (price(p), count(n), taker);
    assert_eq!(
        fate(&exchange, 1),
        canceled(
            vec![
                fill("0.50", 6, false),
                fill("0.50", 6, false),
                fill("0.50", 5, false)
            ],
            None
        )
    );
    assert_eq!(fate(&exchange, 2), canceled(vec![], None));
    assert_eq!(
        fate(&exchange, 4),
        Fate::Refused("order_group_triggered".into())
    );
    assert_eq!(
        fate(&exchange, 7),
        canceled(vec![fill("0.60", 8, true), fill("0.61", 8, true)], None)
    );
    for id in [3, 5] {
        assert!(matches!(
            fate(&exchange, id),
            Fate::Sent {
                state: State::Resting,
                ..
            }
        ));
    }
    // The taking order's trigger cancels the group's resting order 10.
    assert_eq!(fate(&exchange, 10), canceled(vec![], None));
    // Orders 6 and 9 rested after the reset and went when the window passed 10 again.
    assert_eq!(fate(&exchange, 6), canceled(vec![], None));
    assert_eq!(fate(&exchange, 9), canceled(vec![], None));
    assert_eq!(
        fate(&exchange, 8),
        canceled(vec![fill("0.55", 10, false), fill("0.55", 1, false)], None)
    );
}

#[test]
fn trading_pause_and_market_deactivation() {
    use BookSide::{Ask, Bid};
    let steps = [
        Step::Place(1, ours(1, Bid, "0.40", 10)),
        Step::Place(1, ours(2, Ask, "0.60", 10).kept_on_pause()),
        Step::TradingActive(5, false),
        Step::Place(6, ours(3, Bid, "0.41", 10)),
        Step::Amend(6, ours(2, Ask, "0.59", 10)),
        Step::Cancel(7, 2),
        Step::Place(7, ours(4, Ask, "0.61", 10).kept_on_pause()),
        Step::TradingActive(8, true),
        Step::Place(9, ours(5, Ask, "0.62", 10).kept_on_pause()),
        Step::Take(10, Bid, "0.62", 3),
        Step::Amend(10, ours(5, Ask, "0.63", 10)),
        Step::MarketActive(11, false),
        Step::Place(12, ours(6, Bid, "0.39", 10)),
        Step::Amend(12, ours(5, Ask, "0.64", 10)),
        Step::Wait(20),
        // Re-activation cancels every resting order of the market, as on Kalshi.
        Step::MarketActive(21, true),
        Step::Place(22, ours(7, Bid, "0.38", 10)),
    ];
    let (exchange, _) = run(&steps);
    assert_eq!(fate(&exchange, 1), canceled(vec![], Some(HALT_CANCEL)));
    assert_eq!(fate(&exchange, 2), canceled(vec![], None));
    assert_eq!(
        exchange.amends_refused,
        vec![
            (2, "trading_paused".to_string()),
            (5, "market_not_active".to_string())
        ]
    );
    assert_eq!(fate(&exchange, 3), Fate::Refused("trading_paused".into()));
    assert_eq!(fate(&exchange, 4), Fate::Refused("trading_paused".into()));
    assert_eq!(
        fate(&exchange, 6),
        Fate::Refused("market_not_active".into())
    );
    assert_eq!(
        fate(&exchange, 5),
        canceled(vec![(price("0.62"), count(3), false)], Some(HALT_CANCEL))
    );
    assert!(matches!(
        fate(&exchange, 7),
        Fate::Sent {
            state: State::Resting,
            ..
        }
    ));
}

#[test]
fn market_close_cancels_resting_orders_and_refuses_places() {
    use BookSide::{Ask, Bid};
    let steps = [
        Step::Place(1, ours(1, Bid, "0.40", 10)),
        // Brought forward: the market now closes 30 s after the start.
        Step::MoveClose(2, 30),
        Step::Place(3, ours(2, Ask, "0.60", 10)),
        Step::Take(4, Bid, "0.60", 4),
        Step::Wait(29),
        Step::Place(29, ours(3, Ask, "0.65", 10)),
        Step::Wait(31),
        Step::Place(32, ours(4, Bid, "0.41", 10)),
        // Moved past now again before the result is known: trading resumes.
        Step::MoveClose(40, 1800),
        Step::Place(41, ours(5, Bid, "0.42", 10)),
        Step::Place(42, ours(6, Ask, "0.70", 10)),
        // The scheduled close: no message, the time alone closes the market.
        Step::Wait(1800),
        Step::Place(1801, ours(7, Bid, "0.43", 10)),
        Step::Wait(1800 + 120),
    ];
    let (exchange, sim) = run(&steps);
    assert_eq!(fate(&exchange, 1), canceled(vec![], Some(CLOSE_CANCEL)));
    assert_eq!(
        fate(&exchange, 2),
        canceled(vec![(price("0.60"), count(4), false)], Some(CLOSE_CANCEL))
    );
    assert_eq!(
        fate(&exchange, 4),
        Fate::Refused("market_not_active".into())
    );
    assert_eq!(fate(&exchange, 5), canceled(vec![], Some(CLOSE_CANCEL)));
    assert_eq!(
        fate(&exchange, 7),
        Fate::Refused("market_not_active".into())
    );
    assert!(sim.sim.market_closed(TICKER));
    assert_eq!(sim.sim.live_count(TICKER), 0);
}
