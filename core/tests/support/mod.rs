//! Shared fixtures of the core tests: exact-number helpers, the market listings (a quotable one
//! and a bare one, changed per test with struct update syntax), a one-level book, a harness
//! that numbers and times envelopes, and command filters.
#![allow(dead_code)]

use kalshi_core::client_order_id::{ClientOrderId, RunId};
use kalshi_core::commands::Command;
use kalshi_core::config::EngineConfig;
use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{
    BookLevel, BookSnapshot, FeeParams, MarketInfo, MarketStatus, PriceRange,
};
use kalshi_core::{Count, Price};

/// A price from its wire text ("0.45").
pub fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

/// Whole contracts.
pub fn count(contracts: i64) -> Count {
    Count::from_contracts(contracts).unwrap()
}

/// Default engine settings with the scanner's volume and open-interest floors removed, so the
/// test listing is quoted.
pub fn quoting_config(run_id: &str) -> EngineConfig {
    let mut config = EngineConfig {
        run_id: RunId::parse(run_id).unwrap(),
        ..EngineConfig::default()
    };
    config.scanner.volume_24h_min = Count::ZERO;
    config.scanner.open_interest_min = Count::ZERO;
    config
}

/// An active cent-grid market, 0.40 / 0.50, quadratic fees.
pub fn listing(ticker: &str, event_ticker: &str, title: &str) -> MarketInfo {
    MarketInfo {
        ticker: ticker.to_string(),
        event_ticker: event_ticker.to_string(),
        title: title.to_string(),
        status: MarketStatus::Active,
        open_time_ns: Some(0),
        close_time_ns: Some(2_000_000_000_000_000_000),
        yes_bid: Some(price("0.40")),
        yes_bid_size: Some(count(100)),
        yes_ask: Some(price("0.50")),
        yes_ask_size: Some(count(100)),
        last_price: Some(price("0.45")),
        volume: count(5_000),
        volume_24h: count(1_000),
        open_interest: count(2_000),
        price_ranges: vec![PriceRange {
            start: Price::ZERO,
            end: Price::ONE,
            step: price("0.01"),
        }],
        fee: Some(FeeParams {
            fee_type: "quadratic".to_string(),
            multiplier_ppm: 1_000_000,
        }),
        fractional_trading: false,
        result: None,
        settlement_value: None,
    }
}

/// An active market with only its names: no times, quotes, volume, tick grid or fee.
pub fn bare_listing(ticker: &str, event_ticker: &str) -> MarketInfo {
    MarketInfo {
        ticker: ticker.to_string(),
        event_ticker: event_ticker.to_string(),
        title: String::new(),
        status: MarketStatus::Active,
        open_time_ns: None,
        close_time_ns: None,
        yes_bid: None,
        yes_bid_size: None,
        yes_ask: None,
        yes_ask_size: None,
        last_price: None,
        volume: Count::ZERO,
        volume_24h: Count::ZERO,
        open_interest: Count::ZERO,
        price_ranges: Vec::new(),
        fee: None,
        fractional_trading: false,
        result: None,
        settlement_value: None,
    }
}

/// A snapshot with one level of 100 contracts on each side.
pub fn one_level_book(ticker: &str, bid: &str, ask: &str, clock: u64) -> Event {
    Event::BookSnapshot(BookSnapshot {
        ticker: ticker.to_string(),
        bids: vec![BookLevel {
            price: price(bid),
            size: count(100),
        }],
        asks: vec![BookLevel {
            price: price(ask),
            size: count(100),
        }],
        clock: Some(clock),
    })
}

/// An engine fed envelopes with consecutive seqs, 100 ms apart unless told otherwise.
pub struct Harness {
    pub engine: Engine,
    pub seq: u64,
    pub ts_ns: i64,
}

impl Harness {
    pub fn new() -> Harness {
        Harness {
            engine: Engine::new(),
            seq: 0,
            ts_ns: 1_000_000_000,
        }
    }

    /// Sends `event` 100 ms after the previous one.
    pub fn send(&mut self, event: Event) -> Output {
        self.send_after(100_000_000, event)
    }

    /// Sends `event` `gap_ns` after the previous one.
    pub fn send_after(&mut self, gap_ns: i64, event: Event) -> Output {
        self.seq += 1;
        self.ts_ns += gap_ns;
        self.engine.process(&Envelope {
            seq: self.seq,
            ts_ns: self.ts_ns,
            event,
        })
    }
}

/// Client ids of the Place commands of one step.
pub fn placed(output: &Output) -> Vec<ClientOrderId> {
    output
        .commands
        .iter()
        .filter_map(|command| match command {
            Command::Place(order) => Some(order.client_order_id.clone()),
            _ => None,
        })
        .collect()
}

/// Client ids of the Cancel commands of one step.
pub fn cancelled(output: &Output) -> Vec<ClientOrderId> {
    output
        .commands
        .iter()
        .filter_map(|command| match command {
            Command::Cancel(cancel) => Some(cancel.client_order_id.clone()),
            _ => None,
        })
        .collect()
}
