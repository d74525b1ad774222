//! Determinism and consistency of the emitted stream under a virtual clock: the same seed and
//! calls give byte-identical events; a book rebuilt from snapshot + deltas equals the
//! exchange's own book; the catalog scales to 10,000 markets.

use std::collections::BTreeMap;

use kalshi_core::side::{BookSide, OutcomeSide};
use kalshi_core::{Count, Money, Price};
use kalshi_sim::Clock;
use kalshi_sim::catalog::CatalogConfig;
use kalshi_sim::events_out::ExchangeEvent;
use kalshi_sim::exchange::queries::{MarketStatusFilter, MarketsQuery};
use kalshi_sim::exchange::{CreateOrderV2, Exchange, ExchangeConfig, NS_PER_S, TimeInForce};
use kalshi_sim::flow::FlowConfig;

/// A config whose run is short enough that some markets close and settle in the test.
fn short_run_config() -> ExchangeConfig {
    ExchangeConfig {
        catalog: CatalogConfig {
            run_duration_ns: 20 * 60 * NS_PER_S,
            settlement_timer_s: 120,
            ..CatalogConfig::default()
        },
        flow: FlowConfig {
            noise_orders_per_hour: 240.0,
            noise_cancels_per_hour: 200.0,
            informed_checks_per_hour: 120.0,
            ..FlowConfig::default()
        },
        ..ExchangeConfig::default()
    }
}

/// Runs 30 virtual minutes with a user's orders mixed in; returns the serialized stream.
fn run(seed: u64) -> Vec<u8> {
    let config = short_run_config();
    let start = config.start_ns;
    let mut exchange = Exchange::new(config, seed).unwrap();
    let clock = Clock::virtual_at(start);
    let Clock::Virtual(handle) = &clock else {
        unreachable!("virtual clock")
    };
    let me = exchange
        .add_user("me", Money::parse("5000").unwrap())
        .unwrap();
    let tickers = exchange.market_tickers();
    let mut stream = Vec::new();
    for minute in 0..30 {
        handle.advance_ns(60 * NS_PER_S);
        exchange.advance_to(clock.now_ns());
        let ticker = &tickers[minute % tickers.len()];
        if let Ok(market) = exchange.market(ticker)
            && let Some((ask, _)) = market.yes_ask
        {
            let mut request = CreateOrderV2::limit(
                ticker,
                BookSide::Bid,
                ask,
                Count::from_contracts(2).unwrap(),
            );
            request.time_in_force = TimeInForce::ImmediateOrCancel;
            let _ = exchange.place_v2(me, request, clock.now_ns());
        }
        for event in exchange.drain_events() {
            stream.extend(serde_json::to_vec(&event).unwrap());
            stream.push(b'\n');
        }
    }
    stream
}

#[test]
fn same_seed_same_bytes() {
    let first = run(42);
    let second = run(42);
    assert!(
        first.len() > 10_000,
        "the run produced a real stream ({} bytes)",
        first.len()
    );
    assert!(
        first == second,
        "identical seeds and calls must give identical event streams"
    );
    assert!(
        first != run(43),
        "a different seed gives a different stream"
    );
    let text = String::from_utf8(first).unwrap();
    assert!(text.contains("\"kind\":\"trade\""));
    assert!(
        text.contains("\"kind\":\"settled\""),
        "some markets settle during the run"
    );
}

/// A book rebuilt from wire-form events: (side, wire price) → size.
type WireBook = BTreeMap<(OutcomeSide, Price), Count>;

#[test]
fn book_rebuilt_from_snapshot_and_deltas_matches_the_exchange() {
    let config = short_run_config();
    let start = config.start_ns;
    let mut exchange = Exchange::new(config, 7).unwrap();
    exchange.drain_events();
    let tickers = exchange.market_tickers();
    let mut books: BTreeMap<String, (u64, WireBook)> = BTreeMap::new();
    for ticker in &tickers {
        let view = exchange.orderbook(ticker, 0).unwrap();
        let mut book = WireBook::new();
        for (p, size) in view.yes {
            book.insert((OutcomeSide::Yes, p), size);
        }
        for (p, size) in view.no {
            book.insert((OutcomeSide::No, p), size);
        }
        books.insert(ticker.clone(), (view.clock, book));
    }
    let mut checkpoints = 0;
    let mut deltas_seen = 0;
    let mut now = start;
    for step in 0..200 {
        now += 7 * NS_PER_S + (step % 5) * NS_PER_S;
        exchange.advance_to(now);
        for event in exchange.drain_events() {
            let ExchangeEvent::BookDelta(delta) = event else {
                continue;
            };
            deltas_seen += 1;
            let (clock, book) = books.get_mut(&delta.ticker).unwrap();
            assert!(
                delta.clock >= *clock,
                "clocks never go backwards per market"
            );
            *clock = delta.clock;
            let expected_side = if delta.side == BookSide::Bid {
                OutcomeSide::Yes
            } else {
                OutcomeSide::No
            };
            assert_eq!(delta.wire_side, expected_side);
            let key = (delta.wire_side, delta.wire_price);
            let level = book.get(&key).map_or(0, |c| c.centi()) + delta.delta.centi();
            assert!(level >= 0, "a level never goes negative");
            if level == 0 {
                book.remove(&key);
            } else {
                book.insert(key, Count::from_centi(level).unwrap());
            }
        }
        if step % 40 == 39 {
            checkpoints += 1;
            for ticker in &tickers {
                let view = exchange.orderbook(ticker, 0).unwrap();
                let (clock, book) = &books[ticker];
                assert_eq!(*clock, view.clock, "{ticker}: snapshot clock");
                let rebuilt_yes: Vec<(Price, Count)> = book
                    .iter()
                    .filter(|((s, _), _)| *s == OutcomeSide::Yes)
                    .map(|((_, p), c)| (*p, *c))
                    .collect();
                let rebuilt_no: Vec<(Price, Count)> = book
                    .iter()
                    .filter(|((s, _), _)| *s == OutcomeSide::No)
                    .map(|((_, p), c)| (*p, *c))
                    .collect();
                assert_eq!(rebuilt_yes, view.yes, "{ticker}: yes side");
                assert_eq!(rebuilt_no, view.no, "{ticker}: no side");
                if let (Some(bid), Some(ask)) = (view.yes.last(), view.no.last()) {
                    assert!(
                        bid.0.micros() + ask.0.micros() < 1_000_000,
                        "{ticker}: book is never crossed"
                    );
                }
            }
        }
    }
    assert_eq!(checkpoints, 5);
    assert!(
        deltas_seen > 500,
        "flow moved the books ({deltas_seen} deltas)"
    );
}

#[test]
fn ten_thousand_market_catalog_builds_and_pages() {
    let config = ExchangeConfig {
        catalog: CatalogConfig {
            market_count: 10_000,
            event_count: 2_000,
            ..CatalogConfig::default()
        },
        ..ExchangeConfig::default()
    };
    let start = config.start_ns;
    let mut exchange = Exchange::new(config, 3).unwrap();
    exchange.advance_to(start + 5 * NS_PER_S);
    exchange.drain_events();
    let mut cursor = None;
    let mut seen = 0;
    loop {
        let query = MarketsQuery {
            limit: Some(1000),
            cursor,
            ..MarketsQuery::default()
        };
        let page = exchange.markets(&query).unwrap();
        seen += page.items.len();
        if page.cursor.is_empty() {
            break;
        }
        cursor = Some(page.cursor);
    }
    assert_eq!(seen, 10_000);
    let open = MarketsQuery {
        limit: Some(1000),
        status: Some(MarketStatusFilter::Open),
        ..MarketsQuery::default()
    };
    assert_eq!(exchange.markets(&open).unwrap().items.len(), 1000);
}
