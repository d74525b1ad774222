//! Turns a captured Kalshi WebSocket stream (a file under `fixtures/ws/`) into a journal of
//! market-data inputs that `kalshi-bot backtest --journal DIR` reads, so the real captures can
//! be backtested and swept from the command line.
//!
//! ```text
//! cargo run -p kalshi-bot --example capture_journal -- CAPTURE.jsonl OUT_DIR
//! ```
//!
//! Two capture layouts are read: one frame per line (time from `msg.ts_ms`, else the previous
//! frame's), or `{"recv_ts_ns": …, "raw": "<frame>"}` per line. Frames that are not book
//! snapshots, deltas or public trades are skipped. The captures carry no listings, so each
//! market gets one (ahead of its data) built from its first book: active, far from close,
//! 1-cent grid, quadratic fees with maker fees, and volume and open interest high enough for
//! the scanner — the same stand-in the capture backtest test uses.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context as _, bail};

use kalshi_core::config::EngineConfig;
use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{BookSnapshot, FeeParams, MarketInfo, MarketStatus, PriceRange};
use kalshi_core::{Count, Price};
use kalshi_io::normalize::{NormalizedWs, normalize_ws};
use kalshi_io::wire::ws::decode_ws_frame;
use kalshi_journal::{JournalRecord, RunInfo};
use kalshi_replay::journal_source::{run_header, write_journal};

/// Close time of the stand-in listings: far beyond any capture.
const CLOSE_TIME_NS: i64 = 4_000_000_000_000_000_000;

/// One frame's text and time.
struct Frame {
    text: String,
    ts_ns: i64,
}

fn frames(text: &str) -> anyhow::Result<Vec<Frame>> {
    let mut last_ts_ns = 0;
    let mut out = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("line {}", number + 1))?;
        if let (Some(raw), Some(ts_ns)) = (value["raw"].as_str(), value["recv_ts_ns"].as_i64()) {
            out.push(Frame {
                text: raw.to_string(),
                ts_ns,
            });
            continue;
        }
        if let Some(ts_ms) = value["msg"]["ts_ms"].as_i64() {
            last_ts_ns = ts_ms * 1_000_000;
        }
        out.push(Frame {
            text: line.to_string(),
            ts_ns: last_ts_ns,
        });
    }
    Ok(out)
}

fn listing(snapshot: &BookSnapshot) -> anyhow::Result<MarketInfo> {
    let contracts = |n: i64| Count::from_contracts(n).context("static count");
    let bid = snapshot.bids.iter().max_by_key(|level| level.price);
    let ask = snapshot.asks.iter().min_by_key(|level| level.price);
    Ok(MarketInfo {
        ticker: snapshot.ticker.clone(),
        event_ticker: snapshot
            .ticker
            .rsplit_once('-')
            .map_or(snapshot.ticker.as_str(), |(event, _)| event)
            .to_string(),
        title: String::new(),
        status: MarketStatus::Active,
        open_time_ns: Some(0),
        close_time_ns: Some(CLOSE_TIME_NS),
        yes_bid: bid.map(|level| level.price),
        yes_bid_size: bid.map(|level| level.size),
        yes_ask: ask.map(|level| level.price),
        yes_ask_size: ask.map(|level| level.size),
        last_price: None,
        volume: contracts(100_000)?,
        volume_24h: contracts(10_000)?,
        open_interest: contracts(10_000)?,
        price_ranges: vec![PriceRange {
            start: Price::ZERO,
            end: Price::ONE,
            step: Price::parse("0.01").context("static price")?,
        }],
        fee: Some(FeeParams {
            fee_type: "quadratic_with_maker_fees".to_string(),
            multiplier_ppm: 1_000_000,
        }),
        fractional_trading: true,
        result: None,
        settlement_value: None,
    })
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(capture), Some(out)) = (args.next(), args.next()) else {
        bail!("usage: capture_journal CAPTURE.jsonl OUT_DIR");
    };
    let out = PathBuf::from(out);
    let text = std::fs::read_to_string(&capture).with_context(|| format!("reading {capture}"))?;
    let mut events: Vec<(i64, Event)> = Vec::new();
    for frame in frames(&text)? {
        let Ok(message) = decode_ws_frame(&frame.text) else {
            continue;
        };
        let event = match normalize_ws(&message, false) {
            Ok(Some(NormalizedWs::Snapshot(snapshot))) => Event::BookSnapshot(snapshot),
            Ok(Some(NormalizedWs::Delta(delta))) => Event::BookDelta(delta),
            Ok(Some(NormalizedWs::Trade(trade))) => Event::PublicTrade(trade),
            _ => continue,
        };
        events.push((frame.ts_ns, event));
    }
    // Frames before the first timestamped one take its time.
    let Some(first_ts_ns) = events.iter().map(|(ts, _)| *ts).find(|ts| *ts != 0) else {
        bail!("{capture}: no timestamped book or trade frame");
    };
    let mut first_books: BTreeMap<String, MarketInfo> = BTreeMap::new();
    for (_, event) in &events {
        if let Event::BookSnapshot(snapshot) = event
            && !first_books.contains_key(&snapshot.ticker)
        {
            first_books.insert(snapshot.ticker.clone(), listing(snapshot)?);
        }
    }
    let mut records = vec![JournalRecord::RunStarted(Box::new(run_header(
        EngineConfig::default(),
    )))];
    let mut seq = 1;
    let mut push = |ts_ns: i64, event: Event, records: &mut Vec<JournalRecord>| {
        seq += 1;
        records.push(JournalRecord::Input(Envelope { seq, ts_ns, event }));
    };
    push(
        first_ts_ns,
        Event::MarketListing(first_books.into_values().collect()),
        &mut records,
    );
    let mut last_ts_ns = first_ts_ns;
    for (ts_ns, event) in events {
        // Time never runs backwards in a journal.
        last_ts_ns = last_ts_ns.max(ts_ns);
        push(last_ts_ns, event, &mut records);
    }
    let inputs = records.len() - 1;
    records.push(JournalRecord::RunEnded {
        reason: "capture import".to_string(),
    });
    let run = RunInfo {
        run_id: "capture".to_string(),
        build_id: concat!("kalshi-bot ", env!("CARGO_PKG_VERSION")).to_string(),
        config_hash: String::new(),
        seed: 0,
        environment: "import".to_string(),
        created_ts_ns: first_ts_ns,
    };
    write_journal(&out, run, &records)
        .with_context(|| format!("writing the journal {}", out.display()))?;
    println!("{inputs} input(s) from {capture} into {}", out.display());
    Ok(())
}
