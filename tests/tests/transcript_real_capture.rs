//! Snapshot tests of the engine's readable event → decision transcript over real captured
//! Kalshi WebSocket streams from `fixtures/ws/`. Any change in behaviour shows up as a
//! reviewed diff of the `.snap` files (`cargo insta review`).
//!
//! The exchange side is played by a minimal echo: every place is acknowledged resting, every
//! cancel is acknowledged. Market metadata the captures do not carry (status, close time, fee
//! type, volume) is filled in with fixed values so the scanner keeps the captured markets.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use kalshi_core::Count;
use kalshi_core::client_order_id::RunId;
use kalshi_core::commands::Command;
use kalshi_core::config::EngineConfig;
use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::{CancelAck, Envelope, Event, OrderAck, RequestKind};
use kalshi_core::market_data::{BookLevel, BookSnapshot, MarketInfo};
use kalshi_e2e::markets;
use kalshi_io::normalize::{NormalizedWs, normalize_ws};
use kalshi_io::wire::ws::decode_ws_frame;

/// Far beyond any capture: markets never enter the wind-down window.
const CLOSE_TIME_NS: i64 = 4_000_000_000_000_000_000;
/// Transcript lines kept in a snapshot; the summary covers the whole stream.
const TRANSCRIPT_LINES_MAX: usize = 400;

fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(relative)
}

/// A listing as `GET /markets` would give it: quotes from the market's first captured book.
fn listing(ticker: &str, first_book: Option<&BookSnapshot>) -> MarketInfo {
    let best = |levels: &[BookLevel], highest: bool| {
        let prices = levels.iter().filter(|l| !l.size.is_zero());
        if highest {
            prices.max_by_key(|l| l.price).copied()
        } else {
            prices.min_by_key(|l| l.price).copied()
        }
    };
    let bid = first_book.and_then(|book| best(&book.bids, true));
    let ask = first_book.and_then(|book| best(&book.asks, false));
    MarketInfo {
        close_time_ns: Some(CLOSE_TIME_NS),
        yes_bid: bid.map(|l| l.price),
        yes_bid_size: bid.map(|l| l.size),
        yes_ask: ask.map(|l| l.price),
        yes_ask_size: ask.map(|l| l.size),
        ..markets::listing(ticker)
    }
}

/// Drives an engine over a stream of normalized frames and records what it did.
struct Transcript {
    engine: Engine,
    seq: u64,
    ts_ns: i64,
    lines: Vec<String>,
    command_counts: BTreeMap<&'static str, usize>,
    decision_count: usize,
    events_fed: usize,
}

impl Transcript {
    fn new(first_books: &BTreeMap<String, BookSnapshot>, start_ts_ns: i64) -> Transcript {
        let mut config = EngineConfig {
            run_id: RunId::parse("capture").expect("static run id"),
            ..EngineConfig::default()
        };
        config.scanner.volume_24h_min = Count::ZERO;
        config.scanner.open_interest_min = Count::ZERO;
        let mut transcript = Transcript {
            engine: Engine::new(),
            seq: 0,
            ts_ns: start_ts_ns,
            lines: Vec::new(),
            command_counts: BTreeMap::new(),
            decision_count: 0,
            events_fed: 0,
        };
        transcript.feed(Event::Config(Box::new(config)), start_ts_ns);
        let listings = first_books
            .iter()
            .map(|(ticker, book)| listing(ticker, Some(book)))
            .collect();
        transcript.feed(Event::MarketListing(listings), start_ts_ns);
        transcript.feed(
            Event::Reconciled {
                orders: Vec::new(),
                positions: Vec::new(),
            },
            start_ts_ns,
        );
        transcript
    }

    fn feed(&mut self, event: Event, ts_ns: i64) {
        self.seq += 1;
        // Time never moves backwards inside the engine, whatever the capture says.
        self.ts_ns = self.ts_ns.max(ts_ns);
        let envelope = Envelope {
            seq: self.seq,
            ts_ns: self.ts_ns,
            event,
        };
        self.events_fed += 1;
        let output = self.engine.process(&envelope);
        if !output.commands.is_empty() || !output.decisions.is_empty() {
            self.lines.push(envelope.transcript_line());
            for command in &output.commands {
                self.lines
                    .push(format!("  > {}", command.transcript_line()));
            }
            for decision in &output.decisions {
                self.lines
                    .push(format!("  = {}", decision.transcript_line()));
            }
        }
        self.decision_count += output.decisions.len();
        self.echo_exchange(&output);
    }

    fn echo_exchange(&mut self, output: &Output) {
        for command in &output.commands {
            let (name, reply) = match command {
                Command::Place(order) => (
                    "place",
                    Some(Event::OrderAck(OrderAck {
                        client_order_id: order.client_order_id.clone(),
                        order_id: format!("ex-{}", order.client_order_id),
                        request: RequestKind::Place,
                        fill_count: Count::ZERO,
                        remaining_count: order.count,
                    })),
                ),
                Command::Cancel(cancel) => (
                    "cancel",
                    Some(Event::CancelAck(CancelAck {
                        client_order_id: cancel.client_order_id.clone(),
                        order_id: format!("ex-{}", cancel.client_order_id),
                        reduced_by: Count::ZERO,
                    })),
                ),
                Command::Amend(_) => ("amend", None),
                Command::Decrease(_) => ("decrease", None),
                Command::CancelAll => ("cancel_all", None),
                Command::LookupOrder { .. } => ("lookup", None),
            };
            *self.command_counts.entry(name).or_default() += 1;
            if let Some(event) = reply {
                let ts_ns = self.ts_ns;
                self.feed(event, ts_ns);
            }
        }
    }

    fn render(&self, source: &str, frames: usize, normalized: usize) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "source: {source}");
        let _ = writeln!(text, "frames: {frames}, normalized events: {normalized}");
        let _ = writeln!(
            text,
            "engine inputs: {}, decisions: {}",
            self.events_fed, self.decision_count
        );
        let _ = writeln!(text, "commands: {:?}", self.command_counts);
        let _ = writeln!(text, "risk state at end: {:?}", self.engine.risk_state());
        let _ = writeln!(
            text,
            "transcript (first {TRANSCRIPT_LINES_MAX} lines of {}):",
            self.lines.len()
        );
        for line in self.lines.iter().take(TRANSCRIPT_LINES_MAX) {
            let _ = writeln!(text, "{line}");
        }
        text
    }
}

/// One captured frame: its text and the best timestamp the capture gives for it (ns).
struct Frame {
    text: String,
    ts_ns: i64,
}

fn normalized_event(frame: &Frame) -> Option<Event> {
    let message = decode_ws_frame(&frame.text).expect("every captured frame decodes");
    let normalized = normalize_ws(&message, false).expect("every captured frame normalizes")?;
    Some(match normalized {
        NormalizedWs::Snapshot(snapshot) => Event::BookSnapshot(snapshot),
        NormalizedWs::Delta(delta) => Event::BookDelta(delta),
        NormalizedWs::Trade(trade) => Event::PublicTrade(trade),
        NormalizedWs::Fill(fill) => Event::OwnFill(fill),
        NormalizedWs::Order(order) => Event::OrderSnapshot(order),
        NormalizedWs::Position(position) => Event::PositionSnapshot(position),
        NormalizedWs::Lifecycle(change) => Event::Lifecycle(change),
    })
}

fn run_capture(source: &str, frames: &[Frame]) -> String {
    let events: Vec<(Event, i64)> = frames
        .iter()
        .filter_map(|frame| normalized_event(frame).map(|event| (event, frame.ts_ns)))
        .collect();
    let mut first_books = BTreeMap::new();
    for (event, _) in &events {
        if let Event::BookSnapshot(snapshot) = event {
            first_books
                .entry(snapshot.ticker.clone())
                .or_insert_with(|| snapshot.clone());
        }
    }
    assert!(
        !first_books.is_empty(),
        "{source}: capture has no book snapshot"
    );
    let start_ts_ns = frames.first().map_or(0, |f| f.ts_ns);
    let mut transcript = Transcript::new(&first_books, start_ts_ns);
    for (event, ts_ns) in &events {
        transcript.feed(event.clone(), *ts_ns);
    }
    assert!(
        transcript.command_counts.get("place").copied().unwrap_or(0) > 0,
        "{source}: the maker ladder should quote at least one captured market"
    );
    transcript.render(source, frames.len(), events.len())
}

/// Frames of a plain JSONL capture; time from `msg.ts_ms` when present, else the previous.
fn plain_jsonl_frames(relative: &str) -> Vec<Frame> {
    let text = std::fs::read_to_string(fixture(relative)).expect("fixture readable");
    let mut last_ts_ns = 0;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("valid JSON line");
            if let Some(ts_ms) = value["msg"]["ts_ms"].as_i64() {
                last_ts_ns = ts_ms * 1_000_000;
            }
            Frame {
                text: line.to_string(),
                ts_ns: last_ts_ns,
            }
        })
        .collect()
}

/// Frames of a `{recv_ts_ns, raw}` capture.
fn recorded_frames(relative: &str) -> Vec<Frame> {
    let text = std::fs::read_to_string(fixture(relative)).expect("fixture readable");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("valid JSON line");
            Frame {
                text: value["raw"].as_str().expect("raw frame text").to_string(),
                ts_ns: value["recv_ts_ns"].as_i64().expect("receive time"),
            }
        })
        .collect()
}

#[test]
fn demo_session_2026_07_transcript() {
    let source = "ws/jfreun123-kalshi-market-maker/ws_session_demo_2026-07-01.jsonl";
    let frames = plain_jsonl_frames(source);
    insta::assert_snapshot!(run_capture(source, &frames));
}

#[test]
fn prod_frames_2026_04_transcript() {
    let source = "ws/shreyasshivashankar-bot_btc_1hr_kalshi/ws_frames_prod_2026-04-18.jsonl";
    let frames = recorded_frames(source);
    insta::assert_snapshot!(run_capture(source, &frames));
}

#[test]
fn replaying_a_capture_twice_gives_the_same_transcript() {
    let source = "ws/shreyasshivashankar-bot_btc_1hr_kalshi/ws_frames_prod_2026-04-18.jsonl";
    let frames = recorded_frames(source);
    assert_eq!(run_capture(source, &frames), run_capture(source, &frames));
}
