//! The scanner's spread and near-resolved price filters, re-judged on the live book: with the
//! tuning's live filters on, a quoted market whose book widens past the limit is withdrawn in
//! that same step and quoted again only once it is back inside with a tick of room; without a
//! `Tuning` input (journals written before it) the engine behaves as it did.

mod support;

use kalshi_core::decision::Decision;
use kalshi_core::engine::Output;
use kalshi_core::events::Event;
use kalshi_core::strategy::WithdrawReason;
use kalshi_core::tuning::Tuning;
use support::{Harness, placed};

const TICKER: &str = "KXLIVE-1";

fn book(bid: &str, ask: &str, clock: u64) -> Event {
    support::one_level_book(TICKER, bid, ask, clock)
}

fn withdrawn_for_live_filter(output: &Output) -> bool {
    output.decisions.iter().any(|decision| {
        matches!(decision, Decision::Withdraw { ticker, reason }
            if ticker == TICKER && *reason == WithdrawReason::LiveFilter)
    })
}

/// An engine quoting one market at 0.40 / 0.50 (10 ticks: the default limit), with or without
/// the tuning input.
fn quoting(tuning: Option<Tuning>) -> Harness {
    let mut h = Harness::new();
    h.send(Event::Config(Box::new(support::quoting_config("lf"))));
    if let Some(tuning) = tuning {
        let output = h.send(Event::TuningSettings(tuning.settings()));
        assert!(
            output
                .decisions
                .iter()
                .any(|decision| matches!(decision, Decision::TuningSettingsAccepted(_)))
        );
    }
    h.send(Event::Reconciled {
        orders: vec![],
        positions: vec![],
    });
    h.send(Event::MarketListing(vec![support::listing(
        TICKER,
        "KXLIVE",
        "live filter",
    )]));
    let ladder = h.send(book("0.40", "0.50", 1));
    assert!(
        !placed(&ladder).is_empty(),
        "the market is quoted at the limit"
    );
    h
}

#[test]
fn a_spread_past_the_limit_withdraws_in_the_same_step_and_returns_with_room() {
    let mut h = quoting(Some(Tuning::default()));
    // 12 ticks: past the 10-tick limit.
    let wide = h.send(book("0.38", "0.50", 2));
    assert!(withdrawn_for_live_filter(&wide), "{:?}", wide.decisions);
    assert!(placed(&wide).is_empty());
    // Back at the limit: not enough room (hysteresis 1 tick) — still nothing placed.
    let at_limit = h.send(book("0.40", "0.50", 3));
    assert!(placed(&at_limit).is_empty(), "{:?}", at_limit.decisions);
    // 9 ticks: inside with a tick of room — quoted again.
    let inside = h.send(book("0.41", "0.50", 4));
    assert!(!placed(&inside).is_empty(), "{:?}", inside.decisions);
}

#[test]
fn a_touch_near_resolution_withdraws() {
    let mut h = quoting(Some(Tuning::default()));
    // A best bid within the 3¢ near-resolved margin of 0.
    let near = h.send(book("0.02", "0.08", 2));
    assert!(withdrawn_for_live_filter(&near), "{:?}", near.decisions);
}

#[test]
fn without_a_tuning_input_the_live_book_is_not_judged() {
    let mut h = quoting(None);
    let wide = h.send(book("0.38", "0.50", 2));
    assert!(!withdrawn_for_live_filter(&wide), "{:?}", wide.decisions);
    let mut off = quoting(Some(Tuning {
        live_filters: false,
        ..Tuning::default()
    }));
    let wide = off.send(book("0.38", "0.50", 2));
    assert!(!withdrawn_for_live_filter(&wide), "{:?}", wide.decisions);
}
