//! Market state, universe and signals: trades window, lifecycle, grids, indices, signal math.

mod support;

use kalshi_core::book::{DeltaOutcome, InvalidReason};
use kalshi_core::market_data::{
    BookDelta, BookLevel, BookSnapshot, LifecycleChange, LifecycleKind, MarketInfo, MarketResult,
    MarketStatus, PriceRange, PublicTrade,
};
use kalshi_core::market_state::{MarketState, MarketStateConfig};
use kalshi_core::signals::{SignalConfig, SignalError, Signals, quantize};
use kalshi_core::tick_grid::{SnapDirection, TickGrid};
use kalshi_core::universe::{MarketIndex, Universe};
use kalshi_core::{BookSide, Count, Price, SignedCount};

const SECOND_NS: i64 = 1_000_000_000;

fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn contracts(n: i64) -> Count {
    Count::from_contracts(n).unwrap()
}

fn info(ticker: &str) -> MarketInfo {
    MarketInfo {
        title: format!("title {ticker}"),
        open_time_ns: Some(0),
        close_time_ns: Some(10_000 * SECOND_NS),
        ..support::bare_listing(ticker, "KX")
    }
}

fn trade(ts_ns: i64, contracts_traded: i64, taker_side: BookSide) -> PublicTrade {
    PublicTrade {
        trade_id: format!("t{ts_ns}"),
        ticker: "KX-A".into(),
        yes_price: price("0.40"),
        count: contracts(contracts_traded),
        taker_side,
        ts_ns,
    }
}

fn book_snapshot(bid: (&str, i64), ask: (&str, i64)) -> BookSnapshot {
    BookSnapshot {
        ticker: "KX-A".into(),
        bids: vec![BookLevel {
            price: price(bid.0),
            size: contracts(bid.1),
        }],
        asks: vec![BookLevel {
            price: price(ask.0),
            size: contracts(ask.1),
        }],
        clock: Some(10),
    }
}

fn lifecycle(kind: LifecycleKind) -> LifecycleChange {
    LifecycleChange {
        ticker: "KX-A".into(),
        kind,
        close_time_ns: None,
        result: None,
        settlement_value: None,
        price_ranges: vec![],
    }
}

#[test]
fn trades_window_counts_volume_and_direction() {
    let mut state = MarketState::new(info("KX-A"), MarketStateConfig::default());
    state.set_trade_coverage_start(0);
    state.on_trade(&trade(10 * SECOND_NS, 5, BookSide::Bid), 10 * SECOND_NS);
    state.on_trade(&trade(20 * SECOND_NS, 2, BookSide::Ask), 20 * SECOND_NS);
    state.on_trade(&trade(30 * SECOND_NS, 1, BookSide::Bid), 30 * SECOND_NS);
    let all = state.trades_in_window(30 * SECOND_NS, 30 * SECOND_NS);
    assert_eq!(all.trade_count, 3);
    assert_eq!(all.volume, contracts(8));
    assert_eq!(all.signed_volume, SignedCount::from_centi(400));
    assert!(all.complete);
    // Window (10 s, 30 s]: the trade at exactly 10 s is outside.
    let recent = state.trades_in_window(30 * SECOND_NS, 20 * SECOND_NS);
    assert_eq!(recent.trade_count, 2);
    // Trades after now are not counted.
    assert_eq!(
        state
            .trades_in_window(15 * SECOND_NS, 15 * SECOND_NS)
            .trade_count,
        1
    );
    assert_eq!(state.last_trade().unwrap().ts_ns, 30 * SECOND_NS);
    assert_eq!(state.info().last_price, Some(price("0.40")));
}

#[test]
fn trade_without_time_uses_receive_time() {
    let mut state = MarketState::new(info("KX-A"), MarketStateConfig::default());
    state.on_trade(&trade(0, 1, BookSide::Bid), 77 * SECOND_NS);
    assert_eq!(state.last_trade().unwrap().ts_ns, 77 * SECOND_NS);
}

#[test]
fn trades_window_is_bounded_by_count_and_age_and_reports_incomplete() {
    let config = MarketStateConfig {
        trades_max: 3,
        trade_age_max_ns: 100 * SECOND_NS,
        ..MarketStateConfig::default()
    };
    let mut state = MarketState::new(info("KX-A"), config);
    state.set_trade_coverage_start(0);
    for second in 1..=5 {
        state.on_trade(
            &trade(second * SECOND_NS, 1, BookSide::Bid),
            second * SECOND_NS,
        );
    }
    assert_eq!(state.recent_trades().count(), 3);
    let window = state.trades_in_window(5 * SECOND_NS, 5 * SECOND_NS);
    assert_eq!(window.trade_count, 3);
    assert!(
        !window.complete,
        "trades at 1 s and 2 s were evicted from inside the window"
    );
    assert!(
        state
            .trades_in_window(5 * SECOND_NS, 3 * SECOND_NS)
            .complete
    );
    // Age bound: a trade 200 s later evicts everything older than 100 s before it.
    state.on_trade(&trade(205 * SECOND_NS, 1, BookSide::Bid), 205 * SECOND_NS);
    assert_eq!(state.recent_trades().count(), 1);
}

#[test]
fn window_before_coverage_start_is_incomplete() {
    let mut state = MarketState::new(info("KX-A"), MarketStateConfig::default());
    assert!(
        !state
            .trades_in_window(100 * SECOND_NS, 10 * SECOND_NS)
            .complete
    );
    state.set_trade_coverage_start(50 * SECOND_NS);
    assert!(
        !state
            .trades_in_window(100 * SECOND_NS, 60 * SECOND_NS)
            .complete
    );
    assert!(
        state
            .trades_in_window(100 * SECOND_NS, 50 * SECOND_NS)
            .complete
    );
}

#[test]
fn lifecycle_changes_status_close_time_result_and_grid() {
    let mut state = MarketState::new(info("KX-A"), MarketStateConfig::default());
    state.on_lifecycle(&lifecycle(LifecycleKind::Deactivated), 1);
    assert_eq!(state.status(), MarketStatus::Inactive);
    state.on_lifecycle(&lifecycle(LifecycleKind::Activated), 2);
    assert_eq!(state.status(), MarketStatus::Active);
    let mut moved = lifecycle(LifecycleKind::CloseDateUpdated);
    moved.close_time_ns = Some(500 * SECOND_NS);
    state.on_lifecycle(&moved, 3);
    assert_eq!(
        state.time_to_close_ns(100 * SECOND_NS),
        Some(400 * SECOND_NS)
    );
    assert_eq!(
        state.time_to_close_ns(600 * SECOND_NS),
        Some(-100 * SECOND_NS)
    );

    state
        .on_snapshot(&book_snapshot(("0.40", 5), ("0.45", 5)), 4)
        .unwrap();
    let mut regrid = lifecycle(LifecycleKind::PriceLevelStructureUpdated);
    regrid.price_ranges = vec![PriceRange {
        start: Price::ZERO,
        end: Price::ONE,
        step: price("0.001"),
    }];
    state.on_lifecycle(&regrid, 5);
    assert_eq!(state.book().tick_unit_micros(), 1_000);
    assert!(state.tick_grid().unwrap().is_valid(price("0.405")));
    assert_eq!(
        state.book().best_bid().unwrap().price,
        price("0.40"),
        "levels survive a finer grid"
    );
    assert!(state.book().is_valid());

    let mut determined = lifecycle(LifecycleKind::Determined);
    determined.result = Some(MarketResult::Yes);
    state.on_lifecycle(&determined, 6);
    assert_eq!(state.status(), MarketStatus::Determined);
    assert_eq!(state.info().result, Some(MarketResult::Yes));
    state.on_lifecycle(&lifecycle(LifecycleKind::Settled), 7);
    assert_eq!(state.status(), MarketStatus::Finalized);
    assert_eq!(state.counters().lifecycle_changes, 6);
}

#[test]
fn invalid_grid_is_reported_not_hidden() {
    let mut bad = info("KX-A");
    bad.price_ranges = vec![PriceRange {
        start: price("0.5"),
        end: price("0.4"),
        step: price("0.01"),
    }];
    let state = MarketState::new(bad, MarketStateConfig::default());
    assert!(state.tick_grid().is_err());
}

#[test]
fn book_events_update_counters() {
    let mut state = MarketState::new(info("KX-A"), MarketStateConfig::default());
    let delta = BookDelta {
        ticker: "KX-A".into(),
        side: BookSide::Bid,
        price: price("0.40"),
        delta: SignedCount::from_centi(100),
        clock: Some(11),
        client_order_id: None,
    };
    assert_eq!(
        state.on_delta(&delta, 1),
        Ok(DeltaOutcome::IgnoredNoSnapshot)
    );
    state
        .on_snapshot(&book_snapshot(("0.40", 5), ("0.45", 5)), 2)
        .unwrap();
    assert_eq!(state.on_delta(&delta, 3), Ok(DeltaOutcome::Applied));
    assert!(
        state
            .on_delta(
                &BookDelta {
                    delta: SignedCount::from_centi(-10_000),
                    ..delta.clone()
                },
                4
            )
            .is_err()
    );
    let counters = state.counters();
    assert_eq!(
        (
            counters.snapshots,
            counters.deltas_applied,
            counters.deltas_without_snapshot,
            counters.book_errors
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(state.last_update_ts_ns(), 4);
    state.book_mut().mark_invalid(InvalidReason::SequenceGap);
    assert!(!state.book().is_valid());
}

#[test]
fn universe_assigns_stable_indices_in_ticker_order() {
    let listings = vec![info("KX-C"), info("KX-A"), info("KX-B")];
    let mut universe = Universe::from_listings(&listings, MarketStateConfig::default(), 0);
    assert_eq!(universe.index_of("KX-A"), Some(MarketIndex(0)));
    assert_eq!(universe.index_of("KX-B"), Some(MarketIndex(1)));
    assert_eq!(universe.index_of("KX-C"), Some(MarketIndex(2)));
    // A new market is appended; an existing one keeps its index on refresh.
    assert_eq!(universe.upsert_listing(&info("KX-0"), 1), MarketIndex(3));
    let mut refreshed = info("KX-B");
    refreshed.title = "new title".into();
    assert_eq!(universe.upsert_listing(&refreshed, 2), MarketIndex(1));
    assert_eq!(
        universe.by_ticker("KX-B").unwrap().info().title,
        "new title"
    );
    assert_eq!(universe.ensure_ticker("KX-NEW"), MarketIndex(4));
    assert_eq!(universe.ensure_ticker("KX-NEW"), MarketIndex(4));
    assert_eq!(
        universe.by_ticker("KX-NEW").unwrap().status(),
        MarketStatus::Initialized
    );
    assert_eq!(universe.len(), 5);
    // Inactive markets stay addressable but are skipped by active iteration.
    assert!(universe.set_active(MarketIndex(1), false));
    assert!(!universe.set_active(MarketIndex(99), false));
    let active: Vec<&str> = universe
        .iter_active()
        .map(|(_, state)| state.ticker())
        .collect();
    assert_eq!(active, vec!["KX-A", "KX-C", "KX-0", "KX-NEW"]);
    assert_eq!(universe.get(MarketIndex(1)).unwrap().ticker(), "KX-B");
}

#[test]
fn signals_follow_the_documented_formulas() {
    let mut state = MarketState::new(info("KX-A"), MarketStateConfig::default());
    // Bid 0.40 × 30, ask 0.50 × 10.
    state
        .on_snapshot(&book_snapshot(("0.40", 30), ("0.50", 10)), 0)
        .unwrap();
    let config = SignalConfig {
        imbalance_levels: 1,
        ..SignalConfig::default()
    };
    let signals = Signals::compute(&state, 0, &config);
    assert!((signals.mid.unwrap() - 0.45).abs() < 1e-12);
    // (0.40 × 10 + 0.50 × 30) / 40 = 0.475: leans toward the ask when bids outsize asks.
    assert!((signals.microprice.unwrap() - 0.475).abs() < 1e-12);
    assert!((signals.imbalance.unwrap() - 0.5).abs() < 1e-12);
    assert_eq!(signals.trade_flow, None);
    assert_eq!(signals.model_probability, None);
    assert_eq!(signals.fair_value, signals.microprice);
    let grid = TickGrid::for_market(&[], None).unwrap();
    assert_eq!(
        signals.fair_value_price(&grid, SnapDirection::Down),
        Some(price("0.47"))
    );
    assert_eq!(
        signals.fair_value_price(&grid, SnapDirection::Up),
        Some(price("0.48"))
    );

    // Trade flow: 6 bought, 2 sold ⇒ (6 − 2) / 8 = 0.5.
    state.on_trade(&trade(SECOND_NS, 6, BookSide::Bid), SECOND_NS);
    state.on_trade(&trade(2 * SECOND_NS, 2, BookSide::Ask), 2 * SECOND_NS);
    let signals = Signals::compute(&state, 3 * SECOND_NS, &config);
    assert!((signals.trade_flow.unwrap() - 0.5).abs() < 1e-12);

    // Model blend: 0.5 × 0.60 + 0.5 × 0.475 = 0.5375; stale models are ignored.
    state
        .signal_state_mut()
        .set_model_probability(600_000, 3 * SECOND_NS)
        .unwrap();
    let signals = Signals::compute(&state, 3 * SECOND_NS, &config);
    assert!((signals.fair_value.unwrap() - 0.5375).abs() < 1e-12);
    let late = 3 * SECOND_NS + config.model_age_max_ns + 1;
    assert_eq!(
        Signals::compute(&state, late, &config).model_probability,
        None
    );
    assert_eq!(
        state.signal_state_mut().set_model_probability(1_000_001, 0),
        Err(SignalError::ProbabilityOutOfRange {
            probability_ppm: 1_000_001
        })
    );

    // An invalid book yields no book signals; the fair value falls back to the model blend
    // with the last trade price.
    state.book_mut().mark_invalid(InvalidReason::Stale);
    let signals = Signals::compute(&state, 3 * SECOND_NS, &config);
    assert_eq!(
        (signals.mid, signals.microprice, signals.imbalance),
        (None, None, None)
    );
    assert!((signals.fair_value.unwrap() - (0.5 * 0.6 + 0.5 * 0.40)).abs() < 1e-12);
}

#[test]
fn mid_trend_decays_with_time() {
    let tau_ns = 10 * SECOND_NS;
    let config = MarketStateConfig {
        mid_trend_tau_ns: tau_ns,
        ..MarketStateConfig::default()
    };
    let mut state = MarketState::new(info("KX-A"), config);
    state
        .on_snapshot(&book_snapshot(("0.40", 5), ("0.50", 5)), 0)
        .unwrap();
    // Best bid moves up to 0.44: mid 0.45 → 0.47, a +0.02 change at t = 0.
    let up = BookDelta {
        ticker: "KX-A".into(),
        side: BookSide::Bid,
        price: price("0.44"),
        delta: SignedCount::from_centi(100),
        clock: Some(11),
        client_order_id: None,
    };
    state.on_delta(&up, 0).unwrap();
    let trend_now = state.signal_state().mid_trend_at(0);
    assert!((trend_now - 0.02).abs() < 1e-12);
    // After one τ the change counts half: 0.02 × τ/(τ + τ).
    assert!((state.signal_state().mid_trend_at(tau_ns) - 0.01).abs() < 1e-12);
    // A later −0.02 move after τ: 0.02 × ½ − 0.02 = −0.01.
    state
        .on_delta(
            &BookDelta {
                delta: SignedCount::from_centi(-100),
                clock: Some(12),
                ..up
            },
            tau_ns,
        )
        .unwrap();
    assert!((state.signal_state().mid_trend_at(tau_ns) + 0.01).abs() < 1e-12);
}

#[test]
fn quantize_rounds_then_snaps_to_grid() {
    let grid = TickGrid::for_market(&[], None).unwrap();
    assert_eq!(
        quantize(0.4349, &grid, SnapDirection::Nearest),
        Some(price("0.43"))
    );
    assert_eq!(
        quantize(0.4351, &grid, SnapDirection::Nearest),
        Some(price("0.44"))
    );
    assert_eq!(
        quantize(0.430_000_1, &grid, SnapDirection::Up),
        Some(price("0.44"))
    );
    assert_eq!(quantize(f64::NAN, &grid, SnapDirection::Down), None);
    assert_eq!(
        quantize(1.5, &grid, SnapDirection::Down),
        Some(price("0.99"))
    );
    assert_eq!(quantize(-0.5, &grid, SnapDirection::Down), None);
}

mod trade_window_search {
    use proptest::prelude::*;

    use super::*;

    /// The window computed by scanning every kept trade: the reference for the binary search
    /// used while the tape is in time order.
    fn scanned(state: &MarketState, now_ns: i64, window_ns: i64) -> (u32, i64, i64) {
        let start_ns = now_ns.saturating_sub(window_ns);
        let mut stats = (0u32, 0i64, 0i64);
        for trade in state
            .recent_trades()
            .filter(|trade| trade.ts_ns > start_ns && trade.ts_ns <= now_ns)
        {
            stats.0 += 1;
            stats.1 += trade.count.centi();
            stats.2 += match trade.taker_side {
                BookSide::Bid => trade.count.centi(),
                BookSide::Ask => -trade.count.centi(),
            };
        }
        stats
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn windows_agree_with_a_full_scan_in_and_out_of_time_order(
            // Mostly increasing times with occasional steps back (late or reordered trades).
            steps in proptest::collection::vec((-3i64..10, 1i64..5, any::<bool>()), 1..80),
            trades_max in 1usize..20,
            queries in proptest::collection::vec((0i64..120, 0i64..60), 1..8),
        ) {
            let config = MarketStateConfig {
                trades_max,
                trade_age_max_ns: 40 * SECOND_NS,
                ..MarketStateConfig::default()
            };
            let mut state = MarketState::new(info("KX-A"), config);
            let mut ts_s: i64 = 10;
            for (step_s, size, bid) in steps {
                ts_s = (ts_s + step_s).max(1);
                let side = if bid { BookSide::Bid } else { BookSide::Ask };
                state.on_trade(&trade(ts_s * SECOND_NS, size, side), ts_s * SECOND_NS);
                for (now_s, window_s) in &queries {
                    let window = state.trades_in_window(now_s * SECOND_NS, window_s * SECOND_NS);
                    let (count, volume, signed) =
                        scanned(&state, now_s * SECOND_NS, window_s * SECOND_NS);
                    prop_assert_eq!(window.trade_count, count);
                    prop_assert_eq!(window.volume.centi(), volume);
                    prop_assert_eq!(window.signed_volume.centi(), signed);
                }
            }
        }
    }
}
