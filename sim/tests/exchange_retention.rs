//! Memory bounds of the exchange, by item count (not bytes, not time): after a long run of
//! the busy synthetic flow `run-strategy --sim` uses, each market keeps at most
//! `TRADES_PER_MARKET_MAX` trades and `CANDLE_MINUTES_MAX` minute candles, finished orders
//! of synthetic traders are recycled, and what clients observe within the bounds is
//! unchanged (24 h volume, paging the tape). Advancing in one call or in slices gives the
//! same event stream.

use kalshi_core::Count;
use kalshi_sim::catalog::CatalogConfig;
use kalshi_sim::exchange::queries::TradesQuery;
use kalshi_sim::exchange::{
    CANDLE_MINUTES_MAX, Exchange, ExchangeConfig, NS_PER_S, TRADES_PER_MARKET_MAX,
};
use kalshi_sim::flow::FlowConfig;

/// `markets` markets that stay open for the whole test, with the given flow rates per
/// market per hour (noise places, noise cancels, informed checks).
fn config(markets: usize, rates: (f64, f64, f64)) -> ExchangeConfig {
    ExchangeConfig {
        catalog: CatalogConfig {
            market_count: markets,
            event_count: markets.max(1),
            run_duration_ns: 30 * 3600 * NS_PER_S,
            closing_share_ppm: 0,
            late_open_share_ppm: 0,
            ..CatalogConfig::default()
        },
        flow: FlowConfig {
            noise_orders_per_hour: rates.0,
            noise_cancels_per_hour: rates.1,
            informed_checks_per_hour: rates.2,
            informed_edge: 0.015,
            drift_sigma_per_sqrt_hour: 6.0,
            jumps_per_hour: 1.0,
            noise_offset_max: 0.03,
            ..FlowConfig::default()
        },
        ..ExchangeConfig::default()
    }
}

/// The `run-strategy --sim` default flow (cli `[sim]` defaults).
const BUSY: (f64, f64, f64) = (14_400.0, 12_000.0, 3_600.0);

#[test]
fn busy_flow_keeps_bounded_trades_and_recycles_synthetic_orders() {
    let config = config(6, BUSY);
    let start = config.start_ns;
    let mut exchange = Exchange::new(config, 11).unwrap();
    let mut now = start;
    // 40 virtual minutes, drained every second like the server does.
    for _ in 0..(40 * 60) {
        now += NS_PER_S;
        exchange.advance_to(now);
        exchange.drain_events();
    }
    let counts = exchange.retained_counts();
    assert!(
        counts.trades_executed > TRADES_PER_MARKET_MAX as u64 * counts.markets as u64,
        "the run traded well past the bound: {counts:?}"
    );
    assert_eq!(counts.trades_max_per_market, TRADES_PER_MARKET_MAX);
    assert!(counts.trades_total <= TRADES_PER_MARKET_MAX * counts.markets);
    assert!((counts.trades_total as u64) < counts.trades_executed);
    assert!(counts.candles_max_per_market <= 41);
    // Only live orders (and the few finished in the last action) hold a slot; no API user
    // has history here.
    assert_eq!(counts.user_order_refs, 0);
    assert_eq!(counts.user_fills, 0);
    assert!(
        counts.order_slots - counts.free_order_slots <= counts.resting_orders + 64,
        "{counts:?}"
    );
    assert!(
        counts.indexed_orders <= counts.resting_orders + 64,
        "{counts:?}"
    );
    assert!(
        counts.order_slots < (counts.trades_executed as usize) / 4,
        "the order table is far smaller than the orders placed: {counts:?}"
    );
    assert!(
        counts.flow_order_ids <= 2 * counts.resting_orders + 256 * counts.markets,
        "{counts:?}"
    );
    assert_eq!(counts.pending_events, 0);

    // Within a day, 24 h volume is all the volume, though most trades were dropped.
    for ticker in exchange.market_tickers() {
        let view = exchange.market(&ticker).unwrap();
        assert!(view.volume > Count::ZERO);
        assert_eq!(view.volume_24h, view.volume, "{ticker}");
    }

    // The tape pages newest first through every kept trade of every market, no repeats.
    let mut seen = 0;
    let mut cursor: Option<String> = None;
    let mut last_ts = i64::MAX;
    loop {
        let page = exchange
            .trades(&TradesQuery {
                limit: Some(1000),
                cursor: cursor.clone(),
                ..TradesQuery::default()
            })
            .unwrap();
        for trade in &page.items {
            assert!(trade.ts_ns <= last_ts, "newest first");
            last_ts = trade.ts_ns;
        }
        seen += page.items.len();
        if page.cursor.is_empty() {
            break;
        }
        cursor = Some(page.cursor);
    }
    assert_eq!(seen, counts.trades_total);
}

#[test]
fn minute_candles_stop_at_one_day() {
    // Two quiet markets over 25 virtual hours: nearly every minute is touched.
    let config = config(2, (240.0, 200.0, 60.0));
    let start = config.start_ns;
    let mut exchange = Exchange::new(config, 5).unwrap();
    let mut now = start;
    for _ in 0..(25 * 60) {
        now += 60 * NS_PER_S;
        exchange.advance_to(now);
        exchange.drain_events();
    }
    let counts = exchange.retained_counts();
    assert!(counts.candles_max_per_market <= CANDLE_MINUTES_MAX);
    assert!(counts.candle_capacity_max_per_market <= CANDLE_MINUTES_MAX);
    assert!(
        counts.candles_max_per_market > CANDLE_MINUTES_MAX - 100,
        "the run reached the bound: {counts:?}"
    );
}

#[test]
fn one_long_advance_equals_many_short_ones() {
    let run = |slices: i64| {
        let config = config(8, BUSY);
        let start = config.start_ns;
        let mut exchange = Exchange::new(config, 3).unwrap();
        let total_ns = 120 * NS_PER_S;
        let mut stream = Vec::new();
        for k in 1..=slices {
            exchange.advance_to(start + total_ns * k / slices);
            for event in exchange.drain_events() {
                stream.extend(serde_json::to_vec(&event).unwrap());
                stream.push(b'\n');
            }
        }
        stream
    };
    let whole = run(1);
    assert!(
        whole.len() > 100_000,
        "a real stream ({} bytes)",
        whole.len()
    );
    assert!(whole == run(120), "slicing the advance changes nothing");
    assert!(whole == run(7), "uneven slices change nothing");
}
