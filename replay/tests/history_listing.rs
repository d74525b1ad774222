//! REST history is fetched after the fact: the market's listing then describes it as it is now
//! (typically settled, its touch and last price at 0 or 1). The converted listing must show
//! the market as it traded at the start of the data, or the scanner drops it as not active
//! and near-resolved and a history backtest never quotes.

mod support;

use kalshi_core::BookSide;
use kalshi_core::events::Event;
use kalshi_core::market_data::{MarketResult, MarketStatus};
use kalshi_replay::backtest::{BacktestConfig, run_backtest};
use kalshi_replay::loaders::history::{
    HistoryCandle, HistoryTrade, MarketHistory, Ohlc, history_to_events,
};
use kalshi_replay::metrics::DataFidelity;
use kalshi_replay::progress::NoProgress;
use support::{START_NS, contracts, engine_config, listing, price_cents};

fn flat(cents: i64) -> Ohlc {
    Ohlc {
        open: price_cents(cents),
        high: price_cents(cents),
        low: price_cents(cents),
        close: price_cents(cents),
    }
}

/// Thirty minutes of a 42/52 market with trades on both sides, fetched after it settled YES.
fn settled_history() -> MarketHistory {
    let start_s = START_NS / 1_000_000_000;
    let mut candles = Vec::new();
    let mut trades = Vec::new();
    for minute in 0..30 {
        let end_s = start_s + 60 * (minute + 1);
        candles.push(HistoryCandle {
            end_period_ts_s: end_s,
            yes_bid: Some(flat(42)),
            yes_ask: Some(flat(52)),
            volume: contracts(40),
        });
        for (k, (taker, cents)) in [(BookSide::Ask, 43), (BookSide::Bid, 51)]
            .into_iter()
            .enumerate()
        {
            trades.push(HistoryTrade {
                trade_id: format!("s{minute}-{k}"),
                yes_price: price_cents(cents),
                count: contracts(20),
                taker_side: taker,
                created_ts_ns: (end_s - 40 + 20 * i64::try_from(k).unwrap()) * 1_000_000_000,
            });
        }
    }
    let mut info = listing();
    info.status = MarketStatus::Finalized;
    info.yes_bid = Some(price_cents(99));
    info.yes_ask = Some(price_cents(100));
    info.last_price = Some(price_cents(99));
    info.result = Some(MarketResult::Yes);
    MarketHistory {
        info,
        trades,
        candles,
    }
}

#[test]
fn the_listing_shows_the_market_as_it_traded_not_as_fetched() {
    let events = history_to_events(&settled_history(), contracts(50));
    let Event::MarketListing(listings) = &events[0].event else {
        panic!("listing first")
    };
    let info = &listings[0];
    assert_eq!(info.status, MarketStatus::Active);
    assert_eq!(
        info.yes_bid,
        Some(price_cents(42)),
        "the first candle's bid"
    );
    assert_eq!(
        info.yes_ask,
        Some(price_cents(52)),
        "the first candle's ask"
    );
    assert_eq!(info.yes_bid_size, Some(contracts(50)));
    assert_eq!(info.last_price, Some(price_cents(43)), "the first trade");
    assert_eq!(info.result, None);
}

#[test]
fn a_backtest_of_a_settled_market_history_quotes() {
    let events = history_to_events(&settled_history(), contracts(50));
    let mut config = BacktestConfig::new(engine_config());
    config.fidelity = Some(DataFidelity::TradesAndCandles);
    let outcome = run_backtest(&events, &config, &NoProgress).unwrap();
    assert!(outcome.metrics.orders > 0, "the scanner kept the market");
    assert!(outcome.metrics.fills > 0);
}
