//! Market scanner: every filter, the keep set, ranking, live-state use, and a property test
//! that ranked rows pass every filter and dropped rows name why.

mod support;

use std::collections::BTreeSet;

use kalshi_core::liquidity::{
    LiquidityInputs, LiquidityWeights, liquidity_score, maker_ease_score,
};
use kalshi_core::market_data::{
    BookLevel, BookSnapshot, MarketInfo, MarketStatus, PriceRange, PublicTrade,
};
use kalshi_core::market_scanner::{
    QuoteSource, RankBy, ScanInput, ScanReason, ScanReport, ScanRow, ScannerConfig,
    activity_candidates, scan, scan_listings,
};
use kalshi_core::market_state::{MarketState, MarketStateConfig};
use kalshi_core::{BookSide, Count, Price};
use proptest::prelude::*;

const MINUTE_NS: i64 = 60 * 1_000_000_000;
const NOW_NS: i64 = 1_000_000 * MINUTE_NS;

fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn contracts(n: i64) -> Count {
    Count::from_contracts(n).unwrap()
}

/// A market that passes every default filter: active, 5 000 traded, 2 000 open, 0.40/0.42
/// on the cent grid, closing in two days.
fn good(ticker: &str) -> MarketInfo {
    MarketInfo {
        close_time_ns: Some(NOW_NS + 2 * 24 * 60 * MINUTE_NS),
        yes_bid_size: Some(contracts(50)),
        yes_ask: Some(price("0.42")),
        yes_ask_size: Some(contracts(60)),
        last_price: Some(price("0.41")),
        volume: contracts(10_000),
        volume_24h: contracts(5_000),
        fee: None,
        ..support::listing(ticker, "KX", &format!("Title {ticker}"))
    }
}

fn run(listings: &[MarketInfo], config: &ScannerConfig) -> ScanReport {
    scan_listings(listings, &BTreeSet::new(), config, NOW_NS)
}

/// Scans one market and returns its reasons and whether it was ranked.
fn reasons_of(info: MarketInfo, config: &ScannerConfig) -> (bool, Vec<ScanReason>) {
    let report = run(&[info], config);
    match (report.ranked.first(), report.dropped.first()) {
        (Some(row), None) => (true, row.reasons.clone()),
        (None, Some(row)) => (false, row.reasons.clone()),
        _ => panic!("a market must land in exactly one list"),
    }
}

fn assert_dropped_for(info: MarketInfo, config: &ScannerConfig, expected: ScanReason) {
    let (ranked, reasons) = reasons_of(info, config);
    assert!(!ranked, "expected a drop for {expected:?}, got {reasons:?}");
    assert!(
        reasons.contains(&expected),
        "expected {expected:?} in {reasons:?}"
    );
}

#[test]
fn good_market_passes() {
    assert_eq!(
        reasons_of(good("KX-A"), &ScannerConfig::default()),
        (true, vec![ScanReason::Passed])
    );
    let report = run(&[good("KX-A")], &ScannerConfig::default());
    let row = &report.ranked[0];
    assert_eq!(row.spread_micros, Some(20_000));
    assert_eq!(row.spread_ticks, Some(2));
    assert_eq!(row.quote_source, QuoteSource::Listing);
    assert_eq!(row.recent_trade_count, None);
}

#[test]
fn status_filter() {
    let mut info = good("KX-A");
    info.status = MarketStatus::Inactive;
    assert_dropped_for(info, &ScannerConfig::default(), ScanReason::NotActive);
}

#[test]
fn fee_filter_drops_unpriceable_fees_and_keeps_listings_without_any() {
    let config = ScannerConfig::default();
    for fee_type in ["unreadable", "flat", ""] {
        let mut info = good("KX-A");
        info.fee = Some(kalshi_core::market_data::FeeParams {
            fee_type: fee_type.to_string(),
            multiplier_ppm: 1_000_000,
        });
        assert_dropped_for(info, &config, ScanReason::FeeUnknown);
    }
    for fee_type in ["quadratic", "quadratic_with_maker_fees"] {
        let mut info = good("KX-A");
        info.fee = Some(kalshi_core::market_data::FeeParams {
            fee_type: fee_type.to_string(),
            multiplier_ppm: 1_500_000,
        });
        assert_eq!(reasons_of(info, &config), (true, vec![ScanReason::Passed]));
    }
    // Older journals and imported data carry no fee parameters: priced by default.
    let mut info = good("KX-A");
    info.fee = None;
    assert_eq!(reasons_of(info, &config), (true, vec![ScanReason::Passed]));
}

#[test]
fn volume_filter() {
    let mut info = good("KX-A");
    info.volume_24h = contracts(99);
    assert_dropped_for(info, &ScannerConfig::default(), ScanReason::LowVolume24h);
}

#[test]
fn open_interest_filter() {
    let mut info = good("KX-A");
    info.open_interest = contracts(99);
    assert_dropped_for(info, &ScannerConfig::default(), ScanReason::LowOpenInterest);
}

#[test]
fn quote_filters() {
    let mut one_sided = good("KX-A");
    one_sided.yes_ask = Some(Price::ONE); // an empty ask side as listings show it
    assert_dropped_for(
        one_sided,
        &ScannerConfig::default(),
        ScanReason::NoTwoSidedQuote,
    );
    let mut crossed = good("KX-A");
    crossed.yes_bid = Some(price("0.42"));
    assert_dropped_for(crossed, &ScannerConfig::default(), ScanReason::CrossedQuote);
    let mut bad_grid = good("KX-A");
    bad_grid.price_ranges = vec![PriceRange {
        start: price("0.5"),
        end: price("0.4"),
        step: price("0.01"),
    }];
    assert_dropped_for(
        bad_grid,
        &ScannerConfig::default(),
        ScanReason::InvalidTickGrid,
    );
}

#[test]
fn spread_tick_filter() {
    let config = ScannerConfig {
        spread_ticks_max: Some(1),
        spread_micros_max: None,
        ..ScannerConfig::default()
    };
    assert_dropped_for(good("KX-A"), &config, ScanReason::WideSpreadTicks);
    // On a deci-cent grid the same 2¢ spread is 20 ticks.
    let mut fine = good("KX-B");
    fine.price_ranges = vec![PriceRange {
        start: Price::ZERO,
        end: Price::ONE,
        step: price("0.001"),
    }];
    let config = ScannerConfig {
        spread_ticks_max: Some(19),
        spread_micros_max: None,
        ..ScannerConfig::default()
    };
    assert_dropped_for(fine, &config, ScanReason::WideSpreadTicks);
}

#[test]
fn spread_dollar_filter() {
    let config = ScannerConfig {
        spread_ticks_max: None,
        spread_micros_max: Some(19_999),
        ..ScannerConfig::default()
    };
    assert_dropped_for(good("KX-A"), &config, ScanReason::WideSpreadDollars);
}

#[test]
fn time_to_close_filters() {
    let mut soon = good("KX-A");
    soon.close_time_ns = Some(NOW_NS + 59 * MINUTE_NS);
    assert_dropped_for(soon, &ScannerConfig::default(), ScanReason::ClosingSoon);
    let mut unknown = good("KX-A");
    unknown.close_time_ns = None;
    assert_dropped_for(unknown, &ScannerConfig::default(), ScanReason::NoCloseTime);
}

#[test]
fn near_resolved_time_filter() {
    let config = ScannerConfig {
        time_to_close_min_ns: 0,
        ..ScannerConfig::default()
    };
    let mut soon = good("KX-A");
    soon.close_time_ns = Some(NOW_NS + 14 * MINUTE_NS);
    let (ranked, reasons) = reasons_of(soon, &config);
    assert!(!ranked);
    assert_eq!(reasons, vec![ScanReason::NearResolvedTime]);
}

#[test]
fn near_resolved_price_filter() {
    for edge in ["bid", "ask", "last"] {
        let mut info = good("KX-A");
        match edge {
            "bid" => {
                info.yes_bid = Some(price("0.96"));
                info.yes_ask = Some(price("0.98"));
            }
            "ask" => {
                info.yes_bid = Some(price("0.01"));
                info.yes_ask = Some(price("0.03"));
            }
            _ => info.last_price = Some(price("0.99")),
        }
        assert_dropped_for(
            info,
            &ScannerConfig::default(),
            ScanReason::NearResolvedPrice,
        );
    }
}

fn live_with_trades(
    info: &MarketInfo,
    trade_count: i64,
    coverage_start_ns: Option<i64>,
) -> MarketState {
    let mut state = MarketState::new(info.clone(), MarketStateConfig::default());
    if let Some(start_ns) = coverage_start_ns {
        state.set_trade_coverage_start(start_ns);
    }
    for n in 0..trade_count {
        let ts_ns = NOW_NS - (n + 1) * MINUTE_NS;
        state.on_trade(
            &PublicTrade {
                trade_id: format!("t{n}"),
                ticker: info.ticker.clone(),
                yes_price: price("0.41"),
                count: contracts(1),
                taker_side: BookSide::Bid,
                ts_ns,
            },
            ts_ns,
        );
    }
    state
}

fn scan_live(info: &MarketInfo, live: &MarketState, config: &ScannerConfig) -> ScanReport {
    scan(
        &[ScanInput {
            info,
            live: Some(live),
        }],
        &BTreeSet::new(),
        config,
        NOW_NS,
    )
}

#[test]
fn recently_active_filter() {
    let info = good("KX-A");
    let config = ScannerConfig::default();
    let quiet = live_with_trades(&info, 2, Some(0));
    let report = scan_live(&info, &quiet, &config);
    assert_eq!(
        report.dropped[0].reasons,
        vec![ScanReason::TooFewRecentTrades]
    );
    assert_eq!(report.dropped[0].recent_trade_count, Some(2));
    let busy = live_with_trades(&info, 3, Some(0));
    assert_eq!(
        scan_live(&info, &busy, &config).ranked[0].reasons,
        vec![ScanReason::Passed]
    );
    // Switched off: the quiet market passes.
    let off = ScannerConfig {
        require_recent_trades: false,
        ..ScannerConfig::default()
    };
    assert_eq!(scan_live(&info, &quiet, &off).ranked.len(), 1);
}

#[test]
fn no_trade_data_obeys_its_switch() {
    let info = good("KX-A");
    let strict = ScannerConfig {
        pass_without_trade_data: false,
        ..ScannerConfig::default()
    };
    // Listings alone carry no tape.
    assert_dropped_for(info.clone(), &strict, ScanReason::NoTradeData);
    assert_eq!(
        reasons_of(info.clone(), &ScannerConfig::default()),
        (true, vec![ScanReason::Passed])
    );
    // A live tape that began recording only 10 minutes ago does not cover the hour.
    let partial = live_with_trades(&info, 1, Some(NOW_NS - 10 * MINUTE_NS));
    assert_eq!(
        scan_live(&info, &partial, &strict).dropped[0].reasons,
        vec![ScanReason::NoTradeData]
    );
    // ...but enough trades within the partial tape already prove activity.
    let partial_busy = live_with_trades(&info, 5, Some(NOW_NS - 10 * MINUTE_NS));
    assert_eq!(scan_live(&info, &partial_busy, &strict).ranked.len(), 1);
}

#[test]
fn live_valid_book_overrides_listing_quotes() {
    let info = good("KX-A");
    let mut live = live_with_trades(&info, 5, Some(0));
    live.on_snapshot(
        &BookSnapshot {
            ticker: "KX-A".into(),
            bids: vec![BookLevel {
                price: price("0.30"),
                size: contracts(7),
            }],
            asks: vec![BookLevel {
                price: price("0.45"),
                size: contracts(8),
            }],
            clock: Some(1),
        },
        NOW_NS,
    )
    .unwrap();
    let report = scan_live(&info, &live, &ScannerConfig::default());
    let row = &report.dropped[0];
    assert_eq!(row.quote_source, QuoteSource::LiveBook);
    assert_eq!(
        (row.yes_bid, row.yes_ask),
        (Some(price("0.30")), Some(price("0.45")))
    );
    assert_eq!(
        row.reasons,
        vec![ScanReason::WideSpreadTicks, ScanReason::WideSpreadDollars]
    );
}

#[test]
fn keep_set_is_never_dropped() {
    let mut held = good("KX-HELD");
    held.status = MarketStatus::Inactive;
    held.volume_24h = Count::ZERO;
    let keep: BTreeSet<String> = ["KX-HELD".to_string()].into();
    let report = scan_listings(
        &[held.clone(), good("KX-A")],
        &keep,
        &ScannerConfig::default(),
        NOW_NS,
    );
    assert!(report.dropped.is_empty());
    let row = report
        .ranked
        .iter()
        .find(|row| row.ticker == "KX-HELD")
        .unwrap();
    assert_eq!(
        row.reasons,
        vec![
            ScanReason::KeptHeld,
            ScanReason::NotActive,
            ScanReason::LowVolume24h
        ]
    );
    let without_keep = run(&[held], &ScannerConfig::default());
    assert_eq!(without_keep.dropped.len(), 1);
}

#[test]
fn ranking_orders_by_score_then_ticker() {
    let mut thin = good("KX-THIN");
    thin.volume_24h = contracts(200);
    let mut tight = good("KX-TIGHT");
    tight.yes_ask = Some(price("0.41"));
    let twin_a = good("KX-TWIN-A");
    let twin_b = good("KX-TWIN-B");
    let listings = vec![twin_b, thin, twin_a, tight];
    let order = |rank_by: RankBy| -> Vec<String> {
        let config = ScannerConfig {
            rank_by,
            ..ScannerConfig::default()
        };
        run(&listings, &config)
            .ranked
            .into_iter()
            .map(|row| row.ticker)
            .collect()
    };
    // Tight spread scores the tightness term fully; thin volume loses volume score; equal
    // twins fall back to ticker order.
    assert_eq!(
        order(RankBy::Liquidity),
        vec!["KX-TIGHT", "KX-TWIN-A", "KX-TWIN-B", "KX-THIN"]
    );
    assert_eq!(
        order(RankBy::Tightness),
        vec!["KX-TIGHT", "KX-TWIN-A", "KX-TWIN-B", "KX-THIN"]
    );
    // A one-tick spread leaves no room inside it, so by maker ease the equally traded
    // two-tick twins come first.
    assert_eq!(
        order(RankBy::MakerEase),
        vec!["KX-TWIN-A", "KX-TWIN-B", "KX-TIGHT", "KX-THIN"]
    );
}

#[test]
fn scores_follow_documented_formulas() {
    let weights = LiquidityWeights::default();
    let inputs = LiquidityInputs {
        recent_trade_count: Some(20),
        spread_ticks: Some(2),
        volume_24h: contracts(1_000),
        bid_size: contracts(100),
        ask_size: contracts(300),
    };
    // 30 × ½ + 30 × ½ + 20 × ½ (thinner side 100 = half point) + 20 × ½ = 50.
    assert!((liquidity_score(&inputs, &weights) - 50.0).abs() < 1e-9);
    // room: sat(1, 2) = 1/3 → 50/3; turnover: hourly 1000/24, queue 200.
    let hourly = 1_000.0 / 24.0;
    let expected = 50.0 / 3.0 + 50.0 * hourly / (hourly + 200.0);
    assert!((maker_ease_score(&inputs, &weights) - expected).abs() < 1e-9);
    let empty = LiquidityInputs::default();
    assert_eq!(liquidity_score(&empty, &weights), 0.0);
    assert_eq!(maker_ease_score(&empty, &weights), 0.0);
}

#[test]
fn reasons_and_config_serialize_with_stable_names() {
    let json = serde_json::to_string(&[
        ScanReason::KeptHeld,
        ScanReason::LowVolume24h,
        ScanReason::NoTradeData,
    ])
    .unwrap();
    assert_eq!(json, r#"["kept_held","low_volume_24h","no_trade_data"]"#);
    use ScanReason::*;
    let every = [
        Passed,
        KeptHeld,
        NotActive,
        LowVolume24h,
        LowOpenInterest,
        NoTwoSidedQuote,
        CrossedQuote,
        InvalidTickGrid,
        WideSpreadTicks,
        WideSpreadDollars,
        NoCloseTime,
        ClosingSoon,
        NearResolvedTime,
        NearResolvedPrice,
        TooFewRecentTrades,
        NoTradeData,
    ];
    for reason in every {
        assert_eq!(
            serde_json::to_string(&reason).unwrap(),
            format!("\"{}\"", reason.as_str())
        );
    }
    let config = ScannerConfig::default();
    let text = serde_json::to_string(&config).unwrap();
    let back: ScannerConfig = serde_json::from_str(&text).unwrap();
    assert_eq!(back, config);
    let partial: ScannerConfig = serde_json::from_str(r#"{"recent_trades_min": 9}"#).unwrap();
    assert_eq!(partial.recent_trades_min, 9);
    assert_eq!(partial.volume_24h_min, config.volume_24h_min);
}

/// Every default filter, re-derived from the row's own numbers (listings-only scan, where
/// missing trade data passes).
fn passes_independently(row: &ScanRow, config: &ScannerConfig) -> bool {
    let margin = config.near_resolved_margin_micros;
    let away_from_edges =
        |price: Price| price.micros() > margin && price.micros() < 1_000_000 - margin;
    let (Some(bid), Some(ask)) = (row.yes_bid, row.yes_ask) else {
        return false;
    };
    let Some(remaining) = row.time_to_close_ns else {
        return false;
    };
    row.status == MarketStatus::Active
        && row.volume_24h >= config.volume_24h_min
        && row.open_interest >= config.open_interest_min
        && bid < ask
        && (ask.micros() - bid.micros()) / 10_000 <= config.spread_ticks_max.unwrap()
        && ask.micros() - bid.micros() <= config.spread_micros_max.unwrap()
        && remaining >= config.time_to_close_min_ns
        && remaining >= config.near_resolved_close_within_ns
        && away_from_edges(bid)
        && away_from_edges(ask)
        && row.last_price.is_none_or(away_from_edges)
}

fn arbitrary_listing() -> impl Strategy<Value = MarketInfo> {
    (
        0usize..4,
        0i64..3_000,
        0i64..3_000,
        proptest::option::of(0i64..=100),
        proptest::option::of(0i64..=100),
        proptest::option::of(-120i64..10_000),
        proptest::option::of(0i64..=100),
        "[A-Z]{1,4}",
    )
        .prop_map(
            |(status, volume, open_interest, bid, ask, close_minutes, last, suffix)| {
                let mut info = good(&format!("KX-{suffix}"));
                info.status = [
                    MarketStatus::Active,
                    MarketStatus::Active,
                    MarketStatus::Inactive,
                    MarketStatus::Closed,
                ][status];
                info.volume_24h = contracts(volume);
                info.open_interest = contracts(open_interest);
                info.yes_bid = bid.map(|cents| Price::from_cents(cents).unwrap());
                info.yes_ask = ask.map(|cents| Price::from_cents(cents).unwrap());
                info.close_time_ns = close_minutes.map(|minutes| NOW_NS + minutes * MINUTE_NS);
                info.last_price = last.map(|cents| Price::from_cents(cents).unwrap());
                info
            },
        )
}

proptest! {
    #[test]
    fn ranked_rows_pass_every_filter_and_dropped_rows_say_why(
        listings in proptest::collection::vec(arbitrary_listing(), 0..30),
        keep_mask in any::<u32>(),
    ) {
        let config = ScannerConfig::default();
        let keep: BTreeSet<String> = listings
            .iter()
            .enumerate()
            .filter(|(position, _)| keep_mask & (1 << (position % 32)) != 0 && position % 3 == 0)
            .map(|(_, info)| info.ticker.clone())
            .collect();
        let report = scan_listings(&listings, &keep, &config, NOW_NS);
        prop_assert_eq!(report.ranked.len() + report.dropped.len(), listings.len());
        for row in &report.ranked {
            if row.reasons[0] == ScanReason::KeptHeld {
                prop_assert!(keep.contains(&row.ticker));
                continue;
            }
            prop_assert_eq!(&row.reasons, &vec![ScanReason::Passed]);
            prop_assert!(passes_independently(row, &config), "{:?}", row);
        }
        for row in &report.dropped {
            prop_assert!(!keep.contains(&row.ticker));
            prop_assert!(!row.reasons.is_empty());
            prop_assert!(row.reasons.iter().all(|reason| reason.is_failure()));
            prop_assert!(!passes_independently(row, &config), "{:?}", row);
        }
        // Ranking is a strict order ending in ticker: re-sorting the same input is stable.
        let again = scan_listings(&listings, &keep, &config, NOW_NS);
        prop_assert_eq!(&again, &report);
    }
}

#[test]
fn unreadable_trades_drop_a_market_unless_it_is_kept() {
    let listings = [good("KXA-1"), good("KXB-1"), good("KXC-1")];
    let mut report = run(&listings, &ScannerConfig::default());
    assert_eq!(report.ranked.len(), 3);
    let unreadable: BTreeSet<String> = ["KXA-1".to_string(), "KXB-1".to_string()].into();
    let keep: BTreeSet<String> = ["KXB-1".to_string()].into();
    report.mark_trades_unreadable(&unreadable, &keep);
    let ranked: Vec<&str> = report
        .ranked
        .iter()
        .map(|row| row.ticker.as_str())
        .collect();
    assert!(
        ranked.contains(&"KXB-1") && ranked.contains(&"KXC-1"),
        "{ranked:?}"
    );
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(report.dropped[0].ticker, "KXA-1");
    assert_eq!(
        report.dropped[0].reasons,
        vec![ScanReason::TradesUnreadable]
    );
    assert_eq!(ScanReason::TradesUnreadable.as_str(), "trades_unreadable");
}

#[test]
fn activity_candidates_pass_every_other_filter_and_are_bounded() {
    let mut thin = good("KXTHIN-1");
    thin.volume_24h = Count::ZERO;
    let listings = [good("KXA-1"), thin, good("KXB-1"), good("KXC-1")];
    // Even when the tape must cover the window, candidates are judged without it.
    let config = ScannerConfig {
        pass_without_trade_data: false,
        ..ScannerConfig::default()
    };
    let all = activity_candidates(&listings, &config, NOW_NS, 10);
    assert_eq!(all.len(), 3);
    assert!(!all.contains(&"KXTHIN-1".to_string()), "{all:?}");
    assert_eq!(activity_candidates(&listings, &config, NOW_NS, 2).len(), 2);
}
