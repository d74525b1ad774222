//! Recent activity from real data: a market's REST trade history (`Event::TradeHistory`)
//! joins its trade tape without duplicating the WebSocket's trades and declares the tape
//! complete, and with the tuning's `recent_activity` the universe is chosen on that tape — a
//! quiet market is dropped with `too_few_recent_trades` unless we hold it. Without the tuning
//! input (journals written before it) the universe is chosen from the listings alone.

mod support;

use kalshi_core::decision::{Decision, DroppedMarket};
use kalshi_core::engine::Output;
use kalshi_core::events::{Event, TradeHistory};
use kalshi_core::fixed::{Money, SignedCount};
use kalshi_core::market_data::{PositionSnapshot, PublicTrade};
use kalshi_core::market_scanner::ScanReason;
use kalshi_core::side::BookSide;
use kalshi_core::tuning::Tuning;
use support::{Harness, count, price};

const ACTIVE: &str = "KXACT-1";
const QUIET: &str = "KXQUIET-1";
const MINUTE_NS: i64 = 60 * 1_000_000_000;
/// The harness's clock starts here, so the one-hour window lies at positive times.
const START_NS: i64 = 10_000 * 60 * 1_000_000_000;

fn trade(ticker: &str, id: &str, ts_ns: i64) -> PublicTrade {
    PublicTrade {
        trade_id: id.to_string(),
        ticker: ticker.to_string(),
        yes_price: price("0.45"),
        count: count(2),
        taker_side: BookSide::Bid,
        ts_ns,
    }
}

fn history(ticker: &str, covered_from_ns: i64, trades: Vec<PublicTrade>) -> Event {
    Event::TradeHistory(TradeHistory {
        ticker: ticker.to_string(),
        covered_from_ns,
        trades,
    })
}

fn harness(tuning: Option<Tuning>, positions: Vec<PositionSnapshot>) -> Harness {
    let mut h = Harness::new();
    h.ts_ns = START_NS;
    h.send(Event::Config(Box::new(support::quoting_config("ra"))));
    if let Some(tuning) = tuning {
        h.send(Event::TuningSettings(tuning.settings()));
    }
    h.send(Event::Reconciled {
        orders: vec![],
        positions,
    });
    h
}

/// Histories of an active market (five trades in the last hour) and a quiet one (its only
/// trade two hours ago), then the listing of both.
fn histories_then_listing(h: &mut Harness) -> Output {
    let now = h.ts_ns;
    let from = now - 60 * MINUTE_NS;
    let active: Vec<PublicTrade> = (0..5)
        .map(|k| trade(ACTIVE, &format!("a{k}"), now - (50 - k * 10) * MINUTE_NS))
        .collect();
    h.send(history(ACTIVE, from, active));
    h.send(history(
        QUIET,
        from,
        vec![trade(QUIET, "q0", now - 120 * MINUTE_NS)],
    ));
    h.send(Event::MarketListing(vec![
        support::listing(ACTIVE, "KXACT", "active"),
        support::listing(QUIET, "KXQUIET", "quiet"),
    ]))
}

fn universe(output: &Output) -> Option<(&Vec<String>, &Vec<DroppedMarket>)> {
    output.decisions.iter().find_map(|decision| match decision {
        Decision::UniverseSelected {
            quoted, dropped, ..
        } => Some((quoted, dropped)),
        _ => None,
    })
}

#[test]
fn history_sets_coverage_and_skips_trades_the_socket_already_delivered() {
    let mut h = harness(Some(Tuning::default()), vec![]);
    h.send(Event::MarketListing(vec![support::listing(
        ACTIVE, "KXACT", "active",
    )]));
    let now = h.ts_ns;
    // The socket delivers two trades before the history read answers.
    h.send(Event::PublicTrade(trade(ACTIVE, "t2", now - 2 * MINUTE_NS)));
    h.send(Event::PublicTrade(trade(ACTIVE, "t3", now - MINUTE_NS)));
    let state = |h: &Harness| {
        let index = h.engine.universe().index_of(ACTIVE).unwrap();
        h.engine.universe().get(index).unwrap().clone()
    };
    let before = state(&h).trades_in_window(h.ts_ns, 60 * MINUTE_NS);
    assert_eq!(before.trade_count, 2);
    assert!(!before.complete, "no coverage declared yet");
    // The history overlaps them (t2, t3) and adds an older one (t1), listed newest first.
    h.send(history(
        ACTIVE,
        now - 60 * MINUTE_NS,
        vec![
            trade(ACTIVE, "t3", now - MINUTE_NS),
            trade(ACTIVE, "t2", now - 2 * MINUTE_NS),
            trade(ACTIVE, "t1", now - 30 * MINUTE_NS),
        ],
    ));
    let market = state(&h);
    let after = market.trades_in_window(h.ts_ns, 60 * MINUTE_NS);
    assert_eq!(after.trade_count, 3, "t2 and t3 are not counted twice");
    assert_eq!(after.volume, count(6));
    assert!(after.complete, "the history covers the window");
    assert_eq!(market.trade_coverage_start_ns(), Some(now - 60 * MINUTE_NS));
    assert_eq!(market.counters().trades, 3);
    let times: Vec<i64> = market.recent_trades().map(|t| t.ts_ns).collect();
    assert_eq!(
        times,
        vec![now - 30 * MINUTE_NS, now - 2 * MINUTE_NS, now - MINUTE_NS],
        "merged in time order"
    );
    assert_eq!(market.last_trade().map(|t| t.ts_ns), Some(now - MINUTE_NS));
    // A socket trade the history already read (it was in flight during the read) is not
    // counted again.
    h.send(Event::PublicTrade(trade(ACTIVE, "t3", now - MINUTE_NS)));
    assert_eq!(
        state(&h)
            .trades_in_window(h.ts_ns, 60 * MINUTE_NS)
            .trade_count,
        3
    );
    // A later socket trade still counts; the same history read again adds nothing.
    h.send(Event::PublicTrade(trade(ACTIVE, "t4", h.ts_ns)));
    h.send(history(
        ACTIVE,
        now - 60 * MINUTE_NS,
        vec![trade(ACTIVE, "t1", now - 30 * MINUTE_NS)],
    ));
    assert_eq!(
        state(&h)
            .trades_in_window(h.ts_ns, 60 * MINUTE_NS)
            .trade_count,
        4
    );
}

#[test]
fn with_recent_activity_a_quiet_market_is_dropped_with_its_reason() {
    let mut h = harness(Some(Tuning::default()), vec![]);
    let output = histories_then_listing(&mut h);
    let (quoted, dropped) = universe(&output).expect("a universe decision");
    assert_eq!(quoted, &vec![ACTIVE.to_string()]);
    assert_eq!(
        dropped,
        &vec![DroppedMarket {
            ticker: QUIET.to_string(),
            reasons: vec![ScanReason::TooFewRecentTrades],
        }]
    );
}

#[test]
fn a_quiet_market_we_hold_is_kept() {
    let held = PositionSnapshot {
        ticker: QUIET.to_string(),
        position: SignedCount::from_centi(300),
        cost: Money::from_micros(1_350_000),
        realized_pnl: Money::ZERO,
        fees_paid: Money::ZERO,
    };
    let mut h = harness(Some(Tuning::default()), vec![held]);
    let output = histories_then_listing(&mut h);
    let (quoted, dropped) = universe(&output).expect("a universe decision");
    assert!(quoted.contains(&QUIET.to_string()), "{quoted:?}");
    assert!(quoted.contains(&ACTIVE.to_string()), "{quoted:?}");
    assert!(dropped.is_empty(), "{dropped:?}");
}

#[test]
fn without_the_setting_the_universe_comes_from_the_listings_alone() {
    // No tuning input (a journal written before it) and the setting turned off explicitly
    // choose the same universe: both markets, nothing dropped, the tape unread.
    for tuning in [
        None,
        Some(Tuning {
            recent_activity: false,
            ..Tuning::default()
        }),
    ] {
        let mut h = harness(tuning.clone(), vec![]);
        let output = histories_then_listing(&mut h);
        let (quoted, dropped) = universe(&output).expect("a universe decision");
        let mut sorted = quoted.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            vec![ACTIVE.to_string(), QUIET.to_string()],
            "{tuning:?}"
        );
        assert!(dropped.is_empty(), "{tuning:?}: {dropped:?}");
    }
}

#[test]
fn before_tuning_a_listing_run_is_byte_identical_with_or_without_the_new_code_path() {
    // The same inputs an old journal holds (no history, no tuning input) give the same
    // outputs as an engine told explicitly that every tuning setting is at its old value.
    let run = |tuning: Option<Tuning>| -> Vec<u8> {
        let mut h = harness(tuning, vec![]);
        let outputs = vec![
            h.send(Event::MarketListing(vec![
                support::listing(ACTIVE, "KXACT", "active"),
                support::listing(QUIET, "KXQUIET", "quiet"),
            ])),
            h.send(support::one_level_book(ACTIVE, "0.40", "0.50", 1)),
            h.send(support::one_level_book(QUIET, "0.40", "0.50", 1)),
        ];
        serde_json::to_vec(&outputs).unwrap()
    };
    let old = run(None);
    let explicit = run(Some(Tuning::before_tuning()));
    assert_eq!(old, explicit);
    let text = String::from_utf8(old).unwrap();
    assert!(
        text.contains(QUIET),
        "the quiet market is quoted without trade data"
    );
}
