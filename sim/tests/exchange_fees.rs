//! Fee parameters in force: series multipliers, event overrides and scheduled series fee
//! changes, each charged on fills and shown by the queries.

mod exchange_common;

use exchange_common::*;
use kalshi_core::market_data::FeeParams;
use kalshi_core::side::BookSide;
use kalshi_core::{Money, SignedCount};
use kalshi_sim::catalog::CatalogConfig;
use kalshi_sim::exchange::{
    CreateOrderV2, EventSpec, Exchange, ExchangeConfig, ExchangeError, FeeType, NS_PER_S,
    SeriesFeeChangeSpec, SeriesSpec,
};
use kalshi_sim::flow::FlowConfig;

/// The second market, in an event that overrides the series' fee parameters.
const OVERRIDDEN: &str = "KXTEST-26DEC01-T50";

fn quiet_config() -> ExchangeConfig {
    ExchangeConfig {
        catalog: CatalogConfig {
            market_count: 0,
            ..CatalogConfig::default()
        },
        flow: FlowConfig {
            enabled: false,
            ..FlowConfig::default()
        },
        ..ExchangeConfig::default()
    }
}

/// An exchange with series `KXTEST` (`fee_type` × `multiplier_ppm`), market [`TICKER`] in a
/// plain event, and market [`OVERRIDDEN`] in an event with the given overrides.
fn exchange(
    fee_type: FeeType,
    multiplier_ppm: i64,
    type_override: Option<FeeType>,
    multiplier_override_ppm: Option<i64>,
) -> Exchange {
    let mut exchange = Exchange::new(quiet_config(), 1).unwrap();
    exchange
        .add_series(SeriesSpec {
            ticker: "KXTEST".into(),
            title: "Test".into(),
            category: "Test".into(),
            frequency: "daily".into(),
            fee_type,
            fee_multiplier_ppm: multiplier_ppm,
        })
        .unwrap();
    for (ticker, fee_type_override, fee_multiplier_override_ppm) in [
        ("KXTEST-26NOV30", None, None),
        ("KXTEST-26DEC01", type_override, multiplier_override_ppm),
    ] {
        exchange
            .add_event(EventSpec {
                ticker: ticker.into(),
                series_ticker: "KXTEST".into(),
                title: "Test event".into(),
                sub_title: String::new(),
                mutually_exclusive: false,
                fee_type_override,
                fee_multiplier_override_ppm,
            })
            .unwrap();
    }
    exchange
        .add_market(market_spec(TICKER, None), START_NS)
        .unwrap();
    let mut overridden = market_spec(OVERRIDDEN, None);
    overridden.event_ticker = "KXTEST-26DEC01".into();
    exchange.add_market(overridden, START_NS).unwrap();
    exchange.drain_events();
    exchange
}

/// A maker rests 100 YES asks at $0.50 in `ticker`, a taker lifts them at `at_ns`; returns
/// (taker fee, maker fee).
fn trade_100_at_half(exchange: &mut Exchange, ticker: &str, at_ns: i64) -> (Money, Money) {
    let maker = user(exchange, "maker");
    let taker = user(exchange, "taker");
    let ask = CreateOrderV2::limit(ticker, BookSide::Ask, price("0.50"), count(100));
    let rested = exchange.place_v2(maker, ask, at_ns).unwrap();
    assert!(rested.order.is_resting());
    let bid = CreateOrderV2::limit(ticker, BookSide::Bid, price("0.50"), count(100));
    let taken = exchange.place_v2(taker, bid, at_ns).unwrap();
    assert_eq!(taken.fill_count, count(100));
    let maker_position = exchange.position(maker, 0, ticker).unwrap();
    assert!(maker_position.position < SignedCount::ZERO);
    (taken.order.taker_fees, maker_position.fees_paid)
}

fn params(fee_type: &str, multiplier_ppm: i64) -> FeeParams {
    FeeParams {
        fee_type: fee_type.to_string(),
        multiplier_ppm,
    }
}

#[test]
fn a_series_multiplier_scales_the_charged_fee() {
    let mut exchange = exchange(FeeType::QuadraticWithMakerFees, 1_500_000, None, None);
    assert_eq!(
        exchange.market(TICKER).unwrap().fee,
        params("quadratic_with_maker_fees", 1_500_000)
    );
    let (taker, maker) = trade_100_at_half(&mut exchange, TICKER, START_NS + NS_PER_S);
    // 1.5 × 0.07 × 100 × 0.25 = 2.625 → $2.63; maker a quarter: 0.65625 → $0.66.
    assert_eq!(taker, money("2.63"));
    assert_eq!(maker, money("0.66"));
}

#[test]
fn an_event_override_wins_over_its_series() {
    let mut exchange = exchange(
        FeeType::Quadratic,
        1_000_000,
        Some(FeeType::QuadraticWithMakerFees),
        Some(500_000),
    );
    assert_eq!(
        exchange.market(OVERRIDDEN).unwrap().fee,
        params("quadratic_with_maker_fees", 500_000)
    );
    assert_eq!(
        exchange.market(TICKER).unwrap().fee,
        params("quadratic", 1_000_000)
    );
    let (event, _) = exchange.event("KXTEST-26DEC01").unwrap();
    assert_eq!(
        event.spec.fee_type_override,
        Some(FeeType::QuadraticWithMakerFees)
    );
    assert_eq!(event.spec.fee_multiplier_override_ppm, Some(500_000));
    let (taker, maker) = trade_100_at_half(&mut exchange, OVERRIDDEN, START_NS + NS_PER_S);
    // 0.5 × 1.75 = 0.875 → $0.88; maker 0.5 × 0.4375 = 0.21875 → $0.22.
    assert_eq!(taker, money("0.88"));
    assert_eq!(maker, money("0.22"));
    // The plain event's market pays the series' quadratic fee: no maker fee.
    let (taker, maker) = trade_100_at_half(&mut exchange, TICKER, START_NS + NS_PER_S);
    assert_eq!(taker, money("1.75"));
    assert_eq!(maker, Money::ZERO);
}

#[test]
fn a_scheduled_change_applies_exactly_at_its_time() {
    // The overriding event keeps its multiplier (0.5) but follows the series' fee type.
    let mut exchange = exchange(FeeType::Quadratic, 1_000_000, None, Some(500_000));
    let at_ns = START_NS + 10 * NS_PER_S;
    let id = exchange
        .schedule_series_fee_change("KXTEST", at_ns, FeeType::QuadraticWithMakerFees, 2_000_000)
        .unwrap();
    let upcoming = exchange.series_fee_changes(None, false);
    assert_eq!(upcoming.len(), 1);
    assert_eq!(upcoming[0].id, id);
    assert_eq!(upcoming[0].scheduled_ns, at_ns);
    assert_eq!(upcoming[0].fee_multiplier_ppm, 2_000_000);

    // One nanosecond before: the old parameters.
    let (taker, maker) = trade_100_at_half(&mut exchange, TICKER, at_ns - 1);
    assert_eq!((taker, maker), (money("1.75"), Money::ZERO));
    assert_eq!(
        exchange.series("KXTEST").unwrap().fee_multiplier_ppm,
        1_000_000
    );
    assert_eq!(
        exchange.market(TICKER).unwrap().fee,
        params("quadratic", 1_000_000)
    );

    // At its time: 2 × 1.75 = $3.50 for the taker, 2 × 0.4375 = $0.875 → $0.88 for the maker.
    let (taker, maker) = trade_100_at_half(&mut exchange, TICKER, at_ns);
    assert_eq!((taker, maker), (money("3.50"), money("0.88")));
    let series = exchange.series("KXTEST").unwrap();
    assert_eq!(
        (series.fee_type, series.fee_multiplier_ppm),
        (FeeType::QuadraticWithMakerFees, 2_000_000)
    );
    assert_eq!(
        exchange.market(TICKER).unwrap().fee,
        params("quadratic_with_maker_fees", 2_000_000)
    );
    assert_eq!(
        exchange.market(OVERRIDDEN).unwrap().fee,
        params("quadratic_with_maker_fees", 500_000)
    );
    let (taker, maker) = trade_100_at_half(&mut exchange, OVERRIDDEN, at_ns);
    assert_eq!((taker, maker), (money("0.88"), money("0.22")));

    // Applied changes are history.
    assert!(exchange.series_fee_changes(None, false).is_empty());
    assert_eq!(exchange.series_fee_changes(Some("KXTEST"), true).len(), 1);
    assert!(
        exchange
            .series_fee_changes(Some("KXOTHER"), true)
            .is_empty()
    );
}

#[test]
fn a_change_is_applied_by_the_clock_alone_and_listed_in_whole_seconds() {
    let mut exchange = exchange(FeeType::Quadratic, 1_000_000, None, None);
    exchange
        .schedule_series_fee_change(
            "KXTEST",
            START_NS + 2 * NS_PER_S + 300_000_000,
            FeeType::Quadratic,
            500_000,
        )
        .unwrap();
    assert_eq!(
        exchange.series_fee_changes(None, false)[0].scheduled_ns,
        START_NS + 3 * NS_PER_S
    );
    exchange.advance_to(START_NS + 3 * NS_PER_S - 1);
    assert_eq!(
        exchange.market(TICKER).unwrap().fee.multiplier_ppm,
        1_000_000
    );
    exchange.advance_to(START_NS + 3 * NS_PER_S);
    assert_eq!(exchange.market(TICKER).unwrap().fee.multiplier_ppm, 500_000);
}

#[test]
fn changes_of_unknown_series_and_bad_multipliers_are_refused() {
    let mut exchange = exchange(FeeType::Quadratic, 1_000_000, None, None);
    assert!(matches!(
        exchange.schedule_series_fee_change("KXNOPE", START_NS, FeeType::Quadratic, 1_000_000),
        Err(ExchangeError::SeriesNotFound { .. })
    ));
    assert!(
        exchange
            .schedule_series_fee_change("KXTEST", START_NS, FeeType::Quadratic, -1)
            .is_err()
    );
    let mut config = quiet_config();
    config.catalog.market_count = 10;
    config.catalog.event_count = 2;
    config.catalog.fee_changes = vec![SeriesFeeChangeSpec {
        series_ticker: "KXNOPE".into(),
        after_start_ns: NS_PER_S,
        fee_type: FeeType::Quadratic,
        fee_multiplier_ppm: 1_000_000,
    }];
    assert!(matches!(
        Exchange::new(config, 1),
        Err(ExchangeError::SeriesNotFound { .. })
    ));
}

#[test]
fn configured_changes_are_scheduled_from_the_start() {
    let mut config = quiet_config();
    config.catalog.market_count = 10;
    config.catalog.event_count = 2;
    config.catalog.fee_changes = vec![SeriesFeeChangeSpec {
        series_ticker: "KXHIGHNY".into(),
        after_start_ns: 60 * NS_PER_S,
        fee_type: FeeType::QuadraticWithMakerFees,
        fee_multiplier_ppm: 1_000_000,
    }];
    let mut exchange = Exchange::new(config, 1).unwrap();
    let listed = exchange.series_fee_changes(Some("KXHIGHNY"), false);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].scheduled_ns, START_NS + 60 * NS_PER_S);
    exchange.advance_to(START_NS + 60 * NS_PER_S);
    assert_eq!(
        exchange.series("KXHIGHNY").unwrap().fee_type,
        FeeType::QuadraticWithMakerFees
    );
}
