//! Loaders: CSV trades and top of book (ordering, typed errors), REST history conversion
//! (order, listing first, result last, settlement in a backtest) and journal filtering.

mod support;

use std::collections::BTreeSet;

use kalshi_core::BookSide;
use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{LifecycleKind, MarketResult};
use kalshi_journal::JournalRecord;
use kalshi_replay::backtest::{BacktestConfig, run_backtest};
use kalshi_replay::loaders::csv::{merge_streams, parse_top_of_book_csv, parse_trades_csv};
use kalshi_replay::loaders::history::{
    HistoryCandle, HistoryTrade, MarketHistory, Ohlc, history_to_events,
};
use kalshi_replay::loaders::journal_filter::{InputFilter, load_inputs};
use kalshi_replay::metrics::{DataFidelity, Valuation};
use kalshi_replay::progress::NoProgress;
use kalshi_replay::record::VecSource;
use support::{TICKER, contracts, engine_config, listing, price_cents};

#[test]
fn trades_csv_is_parsed_and_ordered_by_time() {
    let text = "ticker,ts_ns,yes_price,count,taker_side,trade_id\nM,20,0.45,3,yes,a\nM,10,0.4400,1.50,no,\n";
    let events = parse_trades_csv("t.csv", text).unwrap();
    let trades: Vec<_> = events
        .iter()
        .map(|e| match &e.event {
            Event::PublicTrade(t) => (
                e.seq,
                e.ts_ns,
                t.trade_id.clone(),
                t.yes_price,
                t.count,
                t.taker_side,
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        trades,
        vec![
            (
                1,
                10,
                "t.csv:3".to_string(),
                price_cents(44),
                kalshi_core::Count::parse("1.5").unwrap(),
                BookSide::Ask
            ),
            (
                2,
                20,
                "a".to_string(),
                price_cents(45),
                contracts(3),
                BookSide::Bid
            ),
        ]
    );
}

#[test]
fn csv_errors_name_the_file_line_and_field() {
    let missing = parse_trades_csv("t.csv", "ts_ns,ticker,yes_price,count\n").unwrap_err();
    assert_eq!(
        missing.to_string(),
        "t.csv: line 1: missing column `taker_side`"
    );
    let bad_price = parse_trades_csv(
        "t.csv",
        "ts_ns,ticker,yes_price,count,taker_side\n1,M,1.5,1,yes\n",
    )
    .unwrap_err();
    assert!(
        bad_price
            .to_string()
            .starts_with("t.csv: line 2: yes_price `1.5`"),
        "{bad_price}"
    );
    let bad_side = parse_trades_csv(
        "t.csv",
        "ts_ns,ticker,yes_price,count,taker_side\n1,M,0.5,1,up\n",
    )
    .unwrap_err();
    assert!(bad_side.to_string().contains("taker_side `up`"));
    let bad_ts = parse_top_of_book_csv(
        "b.csv",
        "ts_ns,ticker,bid_price,bid_size,ask_price,ask_size\nx,M,,,0.5,1\n",
    )
    .unwrap_err();
    assert!(bad_ts.to_string().contains("line 2: ts_ns `x`"));
}

#[test]
fn top_of_book_rows_become_one_level_snapshots_and_merge_with_trades() {
    let book = parse_top_of_book_csv(
        "b.csv",
        "ts_ns,ticker,bid_price,bid_size,ask_price,ask_size\n10,M,0.40,5,,\n",
    )
    .unwrap();
    let Event::BookSnapshot(snapshot) = &book[0].event else {
        panic!()
    };
    assert_eq!((snapshot.bids.len(), snapshot.asks.len()), (1, 0));
    let trades = parse_trades_csv(
        "t.csv",
        "ts_ns,ticker,yes_price,count,taker_side\n10,M,0.45,1,yes\n5,M,0.45,1,yes\n",
    )
    .unwrap();
    let merged = merge_streams(vec![book, trades]);
    let order: Vec<(u64, i64, bool)> = merged
        .iter()
        .map(|e| (e.seq, e.ts_ns, matches!(e.event, Event::BookSnapshot(_))))
        .collect();
    assert_eq!(order, vec![(1, 5, false), (2, 10, true), (3, 10, false)]);
}

fn history(result: Option<MarketResult>) -> MarketHistory {
    let ohlc = |cents| Ohlc {
        open: price_cents(cents),
        high: price_cents(cents),
        low: price_cents(cents),
        close: price_cents(cents),
    };
    let start_s = support::START_NS / 1_000_000_000;
    let mut candles = Vec::new();
    let mut trades = Vec::new();
    for minute in 0..30 {
        let end_s = start_s + 60 * (minute + 1);
        candles.push(HistoryCandle {
            end_period_ts_s: end_s,
            yes_bid: Some(ohlc(40)),
            yes_ask: Some(ohlc(50)),
            volume: contracts(10),
        });
        for k in 0..6 {
            let taker = if k % 2 == 0 {
                BookSide::Ask
            } else {
                BookSide::Bid
            };
            let cents = if taker == BookSide::Ask { 41 } else { 49 };
            trades.push(HistoryTrade {
                trade_id: format!("h{minute}-{k}"),
                yes_price: price_cents(cents),
                count: contracts(20),
                taker_side: taker,
                created_ts_ns: (end_s - 50 + 8 * k) * 1_000_000_000,
            });
        }
    }
    let mut info = listing();
    info.result = result;
    MarketHistory {
        info,
        trades,
        candles,
    }
}

#[test]
fn history_converts_to_listing_then_data_then_result() {
    let events = history_to_events(&history(Some(MarketResult::Yes)), contracts(50));
    assert!(matches!(&events[0].event, Event::MarketListing(l) if l[0].result.is_none()));
    assert!(
        events
            .windows(2)
            .all(|w| w[0].ts_ns <= w[1].ts_ns && w[0].seq + 1 == w[1].seq)
    );
    let Event::Lifecycle(change) = &events.last().unwrap().event else {
        panic!("result last")
    };
    assert_eq!(
        (change.kind, change.result),
        (LifecycleKind::Determined, Some(MarketResult::Yes))
    );
    assert_eq!(events.len(), 1 + 30 + 180 + 1);
}

#[test]
fn a_history_backtest_settles_at_the_result() {
    let events = history_to_events(&history(Some(MarketResult::No)), contracts(50));
    let mut config = BacktestConfig::new(engine_config());
    config.fidelity = Some(DataFidelity::TradesAndCandles);
    let outcome = run_backtest(&events, &config, &NoProgress).unwrap();
    let market = &outcome.metrics.markets[0];
    assert!(outcome.metrics.fills > 0);
    assert!(
        market.inventory_final.centi() != 0,
        "the run ends holding a position"
    );
    assert_eq!(market.valuation, Valuation::Settled);
    assert_eq!(market.final_mark, Some(kalshi_core::Price::ZERO));
    assert_eq!(outcome.metrics.fidelity, DataFidelity::TradesAndCandles);
}

#[test]
fn journal_inputs_filter_by_market_and_time() {
    let mut other = listing();
    other.ticker = "OTHER".to_string();
    let envelope = |seq, ts_ns, event| JournalRecord::Input(Envelope { seq, ts_ns, event });
    let records = vec![
        envelope(1, 5, Event::MarketListing(vec![listing(), other])),
        envelope(2, 10, support::market_data(1, 1).remove(0).event),
        envelope(
            3,
            20,
            Event::Timer {
                kind: kalshi_core::events::TimerKind::Tick,
            },
        ),
        envelope(4, 30, support::market_data(1, 1).remove(0).event),
    ];
    let filter = InputFilter {
        tickers: BTreeSet::from([TICKER.to_string()]),
        from_ns: Some(5),
        to_ns: Some(30),
    };
    let kept = load_inputs(&mut VecSource::new(records), &filter).unwrap();
    assert_eq!(
        kept.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let Event::MarketListing(listings) = &kept[0].event else {
        panic!()
    };
    assert_eq!(listings.len(), 1);
    let drop_all = InputFilter {
        tickers: BTreeSet::from(["NONE".to_string()]),
        ..InputFilter::default()
    };
    let kept = load_inputs(
        &mut VecSource::new(vec![envelope(
            1,
            1,
            support::market_data(1, 1).remove(0).event,
        )]),
        &drop_all,
    )
    .unwrap();
    assert!(kept.is_empty());
}
