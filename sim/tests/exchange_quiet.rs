//! Quiet markets (`CatalogConfig::quiet_share_ppm`): listed with a two-sided book and a 24 h
//! volume from trades hours before start, but never traded since — the synthetic flow leaves
//! them alone while it trades the others.

use kalshi_core::Count;
use kalshi_core::market_data::MarketStatus;
use kalshi_sim::catalog::CatalogConfig;
use kalshi_sim::exchange::NS_PER_S;
use kalshi_sim::exchange::queries::TradesQuery;
use kalshi_sim::flow::FlowConfig;
use kalshi_sim::{Exchange, ExchangeConfig};

const HOUR_NS: i64 = 3_600 * NS_PER_S;

fn exchange(quiet_share_ppm: u32) -> Exchange {
    let config = ExchangeConfig {
        catalog: CatalogConfig {
            market_count: 8,
            event_count: 2,
            quiet_share_ppm,
            ..CatalogConfig::default()
        },
        // Lively flow (as `--sim` runs it), so the other markets trade within minutes.
        flow: FlowConfig {
            noise_orders_per_hour: 14_400.0,
            noise_cancels_per_hour: 12_000.0,
            informed_checks_per_hour: 3_600.0,
            informed_edge: 0.015,
            drift_sigma_per_sqrt_hour: 6.0,
            noise_offset_max: 0.03,
            ..FlowConfig::default()
        },
        ..ExchangeConfig::default()
    };
    Exchange::new(config, 3).unwrap()
}

/// Tickers of markets open now, with the time of their newest trade (None: never traded).
fn last_trades(exchange: &Exchange) -> Vec<(String, Option<i64>)> {
    exchange
        .market_tickers()
        .into_iter()
        .filter(|ticker| exchange.market(ticker).unwrap().status == MarketStatus::Active)
        .map(|ticker| {
            let newest = exchange
                .trades(&TradesQuery {
                    ticker: Some(ticker.clone()),
                    limit: Some(1),
                    ..TradesQuery::default()
                })
                .unwrap()
                .items
                .first()
                .map(|trade| trade.ts_ns);
            (ticker, newest)
        })
        .collect()
}

#[test]
fn quiet_markets_keep_a_book_and_stale_volume_but_get_no_flow() {
    let mut exchange = exchange(250_000);
    let start_ns = exchange.now_ns();
    exchange.advance_to(start_ns + HOUR_NS / 6);
    let now_ns = exchange.now_ns();
    let markets = last_trades(&exchange);
    let quiet: Vec<&String> = markets
        .iter()
        .filter(|(_, newest)| newest.is_some_and(|ts| ts < start_ns))
        .map(|(ticker, _)| ticker)
        .collect();
    let active: Vec<&String> = markets
        .iter()
        .filter(|(_, newest)| newest.is_some_and(|ts| ts >= start_ns))
        .map(|(ticker, _)| ticker)
        .collect();
    assert_eq!(quiet.len(), 2, "a quarter of the 8 markets: {markets:?}");
    assert!(!active.is_empty(), "{markets:?}");
    for ticker in quiet {
        let view = exchange.market(ticker).unwrap();
        assert!(view.yes_bid.is_some() && view.yes_ask.is_some(), "{view:?}");
        let (bid, _) = view.yes_bid.unwrap();
        let (ask, _) = view.yes_ask.unwrap();
        assert!(ask.micros() - bid.micros() <= 20_000, "{bid} / {ask}");
        assert_eq!(view.volume_24h, Count::from_contracts(200).unwrap());
        let tape = exchange
            .trades(&TradesQuery {
                ticker: Some(ticker.clone()),
                ..TradesQuery::default()
            })
            .unwrap()
            .items;
        assert_eq!(tape.len(), 5, "only the stale trades");
        assert!(tape.iter().all(|trade| trade.ts_ns <= now_ns - 2 * HOUR_NS));
    }
}

#[test]
fn without_the_option_every_open_market_trades() {
    let mut exchange = exchange(0);
    let start_ns = exchange.now_ns();
    exchange.advance_to(start_ns + HOUR_NS / 6);
    let markets = last_trades(&exchange);
    assert!(
        markets
            .iter()
            .all(|(_, newest)| newest.is_some_and(|ts| ts >= start_ns)),
        "{markets:?}"
    );
}
