//! The peer comparison's stream survives its trip through the depth CSV: the multi-market
//! synthetic stream written by the examples' `DepthCsv` and read back by
//! `loaders::depth` (what `kalshi-bot import --depth` and `backtest_peers` run) carries the same
//! book changes and trades, in the same order, as the stream the generator produced.

#[path = "../examples/common/synthetic_l2.rs"]
mod synthetic_l2;

use kalshi_core::BookSide;
use kalshi_core::events::{Envelope, Event};
use kalshi_replay::loaders::depth::{depth_inputs, parse_depth_csv};
use synthetic_l2::{DepthCsv, MultiL2, START_TS_NS, ticker_of};

/// One book change or trade: (ts_ns, ticker, is_trade, side, price_micros, size_centi).
type Change = (i64, String, bool, BookSide, i64, i64);

/// The generator's events as changes against an empty book: a snapshot's levels are each a
/// change from nothing.
fn generated_changes(events: &[Envelope]) -> Vec<Change> {
    let mut changes = Vec::new();
    for envelope in events {
        let ts_ns = envelope.ts_ns;
        match &envelope.event {
            Event::BookSnapshot(snapshot) => {
                for (side, levels) in [
                    (BookSide::Bid, &snapshot.bids),
                    (BookSide::Ask, &snapshot.asks),
                ] {
                    for level in levels {
                        changes.push((
                            ts_ns,
                            snapshot.ticker.clone(),
                            false,
                            side,
                            level.price.micros(),
                            level.size.centi(),
                        ));
                    }
                }
            }
            Event::BookDelta(delta) if delta.delta.centi() != 0 => changes.push((
                ts_ns,
                delta.ticker.clone(),
                false,
                delta.side,
                delta.price.micros(),
                delta.delta.centi(),
            )),
            Event::PublicTrade(trade) => changes.push((
                ts_ns,
                trade.ticker.clone(),
                true,
                trade.taker_side,
                trade.yes_price.micros(),
                trade.count.centi(),
            )),
            _ => {}
        }
    }
    changes
}

/// The loader's inputs as changes; each market's opening snapshot must be empty.
fn loaded_changes(inputs: &[Envelope]) -> Vec<Change> {
    let mut changes = Vec::new();
    for envelope in inputs {
        let ts_ns = envelope.ts_ns;
        match &envelope.event {
            Event::BookSnapshot(snapshot) => {
                assert!(
                    snapshot.bids.is_empty() && snapshot.asks.is_empty(),
                    "the loader opened {} with a non-empty book",
                    snapshot.ticker
                );
            }
            Event::BookDelta(delta) => changes.push((
                ts_ns,
                delta.ticker.clone(),
                false,
                delta.side,
                delta.price.micros(),
                delta.delta.centi(),
            )),
            Event::PublicTrade(trade) => changes.push((
                ts_ns,
                trade.ticker.clone(),
                true,
                trade.taker_side,
                trade.yes_price.micros(),
                trade.count.centi(),
            )),
            other => panic!("unexpected input from the loader: {other:?}"),
        }
    }
    changes
}

fn round_trip(markets: usize, events: usize) {
    let generated: Vec<Envelope> = MultiL2::new(markets, 10_000_000).take(events).collect();
    assert_eq!(generated.len(), events);
    let mut csv = DepthCsv::new(Vec::new()).expect("header");
    for envelope in &generated {
        csv.write(envelope).expect("row");
    }
    let rows = csv.rows;
    let bytes = csv.finish().expect("flush");
    let text = String::from_utf8(bytes).expect("the CSV is UTF-8");
    assert_eq!(
        text.lines().count() as u64,
        rows + 1,
        "a header and one line per row"
    );

    let parsed = parse_depth_csv("synthetic.csv", &text).expect("the loader parses the CSV");
    let inputs = depth_inputs("synthetic.csv", parsed).expect("the loader accepts every row");
    let snapshots = inputs
        .iter()
        .filter(|envelope| matches!(envelope.event, Event::BookSnapshot(_)))
        .count();
    assert_eq!(snapshots, markets, "one opening snapshot per market");
    assert_eq!(
        inputs.first().map(|envelope| envelope.ts_ns),
        Some(START_TS_NS)
    );

    let expected = generated_changes(&generated);
    let loaded = loaded_changes(&inputs);
    assert_eq!(loaded.len(), expected.len());
    if let Some(index) = (0..expected.len()).find(|&index| expected[index] != loaded[index]) {
        panic!(
            "change {index} differs: generated {:?}, loaded {:?}",
            expected[index], loaded[index]
        );
    }
}

#[test]
fn one_market_round_trips_through_the_depth_csv() {
    round_trip(1, 20_000);
}

#[test]
fn fifty_markets_round_trip_through_the_depth_csv() {
    round_trip(50, 20_000);
    let tickers: std::collections::BTreeSet<String> = MultiL2::new(50, 10_000_000)
        .take(50)
        .filter_map(|envelope| envelope.event.ticker().map(str::to_string))
        .collect();
    assert_eq!(tickers.len(), 50, "the first round opens every market");
    assert!(tickers.contains(&ticker_of(0)) && tickers.contains(&ticker_of(49)));
}
