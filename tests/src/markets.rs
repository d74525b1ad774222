//! Market listings for tests: one [`listing`] with the defaults most tests want, changed per
//! test with struct update syntax (`MarketInfo { close_time_ns: Some(t), ..listing(ticker) }`).

use kalshi_core::market_data::{FeeParams, MarketInfo, MarketStatus, PriceRange};
use kalshi_core::{Count, Price};

/// `contracts` whole contracts.
///
/// # Panics
/// When `contracts` is out of the count's range (a test constant).
pub fn contracts(contracts: i64) -> Count {
    Count::from_contracts(contracts)
        .unwrap_or_else(|e| panic!("{contracts} contracts is not a count: {e}"))
}

/// The event ticker of a market ticker: everything before its last `-` (the ticker itself when
/// it has none).
pub fn event_of(ticker: &str) -> &str {
    ticker.rsplit_once('-').map_or(ticker, |(event, _)| event)
}

/// One band from 0 to 1 with one-cent ticks.
pub fn cent_grid() -> Vec<PriceRange> {
    vec![PriceRange {
        start: Price::ZERO,
        end: Price::ONE,
        step: Price::parse("0.01").expect("one cent is a price"),
    }]
}

/// Kalshi's usual fee: `quadratic_with_maker_fees`, multiplier 1.
pub fn maker_fees() -> FeeParams {
    FeeParams {
        fee_type: "quadratic_with_maker_fees".to_string(),
        multiplier_ppm: 1_000_000,
    }
}

/// An active listing of `ticker`: its event from the ticker ([`event_of`]), no title, open
/// since time 0 with no close time, no quotes or last price, 100,000 contracts traded (10,000
/// in the last 24 h, 10,000 open), the one-cent grid, [`maker_fees`], fractional counts, no
/// result.
pub fn listing(ticker: &str) -> MarketInfo {
    MarketInfo {
        ticker: ticker.to_string(),
        event_ticker: event_of(ticker).to_string(),
        title: String::new(),
        status: MarketStatus::Active,
        open_time_ns: Some(0),
        close_time_ns: None,
        yes_bid: None,
        yes_bid_size: None,
        yes_ask: None,
        yes_ask_size: None,
        last_price: None,
        volume: contracts(100_000),
        volume_24h: contracts(10_000),
        open_interest: contracts(10_000),
        price_ranges: cent_grid(),
        fee: Some(maker_fees()),
        fractional_trading: true,
        result: None,
        settlement_value: None,
    }
}
