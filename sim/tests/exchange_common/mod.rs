//! Shared fixtures for the exchange tests: an exchange with no generated catalog and no
//! synthetic flow, plus one hand-made market.

#![allow(dead_code)]

use kalshi_core::market_data::MarketResult;
use kalshi_core::side::BookSide;
use kalshi_core::tick_grid::{LINEAR_CENT, TickGrid};
use kalshi_core::{Count, Money, Price, SignedCount};
use kalshi_sim::catalog::CatalogConfig;
use kalshi_sim::exchange::{
    CreateOrderV2, EventSpec, Exchange, ExchangeConfig, FeeType, MarketSpec, NS_PER_S,
    PlaceOutcome, SeriesSpec, UserId,
};
use kalshi_sim::flow::FlowConfig;

/// 2026-11-01T00:00:00Z.
pub const START_NS: i64 = 1_793_491_200 * NS_PER_S;
/// The test market.
pub const TICKER: &str = "KXTEST-26NOV30-T50";

pub fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

pub fn count(contracts: i64) -> Count {
    Count::from_contracts(contracts).unwrap()
}

pub fn money(text: &str) -> Money {
    Money::parse(text).unwrap()
}

/// An exchange with one active market of `fee_type`, closing an hour after start.
pub fn exchange_with(fee_type: FeeType) -> Exchange {
    let config = ExchangeConfig {
        catalog: CatalogConfig {
            market_count: 0,
            ..CatalogConfig::default()
        },
        flow: FlowConfig {
            enabled: false,
            ..FlowConfig::default()
        },
        ..ExchangeConfig::default()
    };
    let mut exchange = Exchange::new(config, 1).unwrap();
    exchange
        .add_series(SeriesSpec {
            ticker: "KXTEST".into(),
            title: "Test".into(),
            category: "Test".into(),
            frequency: "daily".into(),
            fee_type,
            fee_multiplier_ppm: 1_000_000,
        })
        .unwrap();
    exchange
        .add_event(EventSpec {
            ticker: "KXTEST-26NOV30".into(),
            series_ticker: "KXTEST".into(),
            title: "Test event".into(),
            sub_title: String::new(),
            mutually_exclusive: false,
            fee_type_override: None,
            fee_multiplier_override_ppm: None,
        })
        .unwrap();
    exchange
        .add_market(market_spec(TICKER, None), START_NS)
        .unwrap();
    exchange.drain_events();
    exchange
}

pub fn market_spec(ticker: &str, forced_result: Option<MarketResult>) -> MarketSpec {
    MarketSpec {
        ticker: ticker.into(),
        event_ticker: "KXTEST-26NOV30".into(),
        title: "Test market".into(),
        yes_sub_title: "Yes".into(),
        no_sub_title: "No".into(),
        created_ns: START_NS - NS_PER_S,
        open_ns: START_NS - NS_PER_S,
        close_ns: START_NS + 3600 * NS_PER_S,
        determination_delay_ns: 60 * NS_PER_S,
        settlement_timer_s: 300,
        price_level_structure: LINEAR_CENT.into(),
        price_ranges: TickGrid::from_structure(LINEAR_CENT)
            .unwrap()
            .ranges()
            .to_vec(),
        fractional_trading: true,
        can_close_early: false,
        strike_type: "greater".into(),
        floor_strike: Some(50),
        cap_strike: None,
        forced_result,
    }
}

pub fn user(exchange: &mut Exchange, name: &str) -> UserId {
    exchange.add_user(name, money("10000")).unwrap()
}

/// Rests a GTC limit order and asserts it rested in full.
pub fn rest(
    exchange: &mut Exchange,
    who: UserId,
    side: BookSide,
    yes_price: &str,
    contracts: i64,
    at_ns: i64,
) -> PlaceOutcome {
    let outcome = exchange
        .place_v2(
            who,
            CreateOrderV2::limit(TICKER, side, price(yes_price), count(contracts)),
            at_ns,
        )
        .unwrap();
    assert!(
        outcome.order.is_resting(),
        "expected a resting order, got {:?}",
        outcome.order.status
    );
    outcome
}

/// The user's signed position in the test market (primary subaccount).
pub fn position(exchange: &Exchange, who: UserId) -> SignedCount {
    exchange.position(who, 0, TICKER).unwrap().position
}
