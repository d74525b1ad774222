//! A deterministic synthetic market for backtest tests: one market whose touch wanders
//! around 0.45 with trades on both sides, some through our likely quotes.

#![allow(dead_code)]

use kalshi_core::client_order_id::RunId;
use kalshi_core::config::EngineConfig;
use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{
    BookDelta, BookLevel, BookSnapshot, FeeParams, MarketInfo, MarketStatus, PriceRange,
    PublicTrade,
};
use kalshi_core::{BookSide, Count, Price, SignedCount};

pub const TICKER: &str = "KXSYN-1";
pub const START_NS: i64 = 1_700_000_000_000_000_000;
const CLOSE_NS: i64 = 1_800_000_000_000_000_000;

pub fn price_cents(cents: i64) -> Price {
    Price::from_cents(cents).unwrap()
}

pub fn contracts(n: i64) -> Count {
    Count::from_contracts(n).unwrap()
}

pub fn listing() -> MarketInfo {
    MarketInfo {
        ticker: TICKER.to_string(),
        event_ticker: "KXSYN".to_string(),
        title: "synthetic".to_string(),
        status: MarketStatus::Active,
        open_time_ns: Some(0),
        close_time_ns: Some(CLOSE_NS),
        yes_bid: Some(price_cents(40)),
        yes_bid_size: Some(contracts(100)),
        yes_ask: Some(price_cents(50)),
        yes_ask_size: Some(contracts(100)),
        last_price: Some(price_cents(45)),
        volume: contracts(5_000),
        volume_24h: contracts(1_000),
        open_interest: contracts(2_000),
        price_ranges: vec![PriceRange {
            start: Price::ZERO,
            end: Price::ONE,
            step: price_cents(1),
        }],
        fee: Some(FeeParams {
            fee_type: "quadratic_with_maker_fees".to_string(),
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

pub fn engine_config() -> EngineConfig {
    let mut config = EngineConfig {
        run_id: RunId::parse("bt1").unwrap(),
        ..EngineConfig::default()
    };
    config.scanner.volume_24h_min = Count::ZERO;
    config.scanner.open_interest_min = Count::ZERO;
    config
}

/// A small linear congruential generator: the data must be the same on every machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// `steps` seconds of market data: a snapshot, then each second a trade and a delta; every
/// 60 s the touch moves by a cent and a fresh snapshot is sent.
pub fn market_data(steps: u64, seed: u64) -> Vec<Envelope> {
    let mut rng = Lcg(seed);
    let mut events = Vec::new();
    let mut seq = 0;
    let mut push = |ts_ns: i64, event: Event| {
        seq += 1;
        events.push(Envelope { seq, ts_ns, event });
    };
    let mut bid = 40i64;
    let snapshot = |bid: i64| {
        Event::BookSnapshot(BookSnapshot {
            ticker: TICKER.to_string(),
            bids: vec![
                BookLevel {
                    price: price_cents(bid),
                    size: contracts(100),
                },
                BookLevel {
                    price: price_cents(bid - 1),
                    size: contracts(200),
                },
            ],
            asks: vec![
                BookLevel {
                    price: price_cents(bid + 10),
                    size: contracts(100),
                },
                BookLevel {
                    price: price_cents(bid + 11),
                    size: contracts(200),
                },
            ],
            clock: None,
        })
    };
    push(START_NS, snapshot(bid));
    for step in 1..=steps {
        let ts_ns = START_NS + i64::try_from(step).unwrap() * 1_000_000_000;
        if step % 60 == 0 {
            bid = (bid + i64::try_from(rng.next(3)).unwrap() - 1).clamp(35, 45);
            push(ts_ns, snapshot(bid));
            continue;
        }
        let taker = if rng.next(2) == 0 {
            BookSide::Bid
        } else {
            BookSide::Ask
        };
        let offset = i64::try_from(rng.next(11)).unwrap();
        let trade_price = match taker {
            BookSide::Ask => bid + 5 - offset / 2 - 1,
            BookSide::Bid => bid + 5 + offset / 2 + 1,
        };
        let count = contracts(i64::try_from(rng.next(40)).unwrap() + 1);
        push(
            ts_ns,
            Event::PublicTrade(PublicTrade {
                trade_id: format!("tr-{step}"),
                ticker: TICKER.to_string(),
                yes_price: price_cents(trade_price),
                count,
                taker_side: taker,
                ts_ns,
            }),
        );
        let side = if rng.next(2) == 0 {
            BookSide::Bid
        } else {
            BookSide::Ask
        };
        let level = match side {
            BookSide::Bid => bid,
            BookSide::Ask => bid + 10,
        };
        let change = i64::try_from(rng.next(21)).unwrap() - 10;
        push(
            ts_ns + 1,
            Event::BookDelta(BookDelta {
                ticker: TICKER.to_string(),
                side,
                price: price_cents(level),
                delta: SignedCount::from_centi(change * 100),
                clock: None,
                client_order_id: None,
            }),
        );
    }
    events
}
