//! `Engine::process` cost per event with 200 live, quoted markets, against
//! `OrderBook::apply_delta` alone on the same market-data stream (the ratio is what the
//! engine adds on top of keeping the books).
//!
//! Setup (untimed): config, reconciliation, a listing of 200 markets (10 per event, cent
//! grid, quadratic fees, `quoted_markets_max = 200` so every market is quoted — the worst
//! case), and a snapshot per market. The stream then comes from a seeded generator: 90 %
//! book deltas near the touch (sizes never go negative; emptying the best level moves the
//! touch and triggers requotes), 10 % public trades at the touch, and a `Timer { Tick }`
//! every 1,000 events, 1 ms of data time apart. Commands the engine emits are acknowledged
//! immediately by the harness (place/amend/decrease → `OrderAck`, cancel → `CancelAck`), so
//! quotes rest and get repriced like against a real exchange.
//!
//! Two figures:
//! - criterion `engine/process`: time per market event, including processing the acks it
//!   triggered, timed over whole batches (pre-generated outside the timer). The peer
//!   `engine/peer_apply_delta` applies the same market events to plain `OrderBook`s
//!   (trades and timers skipped, market index pre-resolved).
//! - a per-event latency pass after criterion: every `process` call (market events and
//!   acks alike) timed on its own with `Instant`, 200,000 market events after 20,000 of
//!   warm-up; p50/p90/p99/p99.9/max go to `target/criterion/engine/per_event_latency.json`
//!   together with the measured cost of the timer itself (which is included in each sample).
//!
//! Run: `cargo bench -p kalshi-core --bench engine`.
#![allow(clippy::disallowed_methods)] // a benchmark measures wall time; the engine itself does not

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use kalshi_core::book::OrderBook;
use kalshi_core::client_order_id::{ClientOrderId, RunId};
use kalshi_core::commands::Command;
use kalshi_core::config::EngineConfig;
use kalshi_core::engine::Engine;
use kalshi_core::events::{CancelAck, Envelope, Event, OrderAck, RequestKind, TimerKind};
use kalshi_core::market_data::{
    BookDelta, BookLevel, BookSnapshot, FeeParams, MarketInfo, MarketStatus, PriceRange,
    PublicTrade,
};
use kalshi_core::{BookSide, Count, Price, SignedCount};

const MARKET_COUNT: usize = 200;
const MARKETS_PER_EVENT: usize = 10;
/// Cent grid: slots 0..=100.
const SLOT_COUNT: usize = 101;
/// Bids live on 0.35 ..= 0.49, asks on 0.51 ..= 0.65, so the book never crosses.
const BID_SLOTS: std::ops::RangeInclusive<usize> = 35..=49;
const ASK_SLOTS: std::ops::RangeInclusive<usize> = 51..=65;
const TICK_EVERY_EVENTS: u64 = 1_000;
const EVENT_SPACING_NS: i64 = 1_000_000;
const START_TS_NS: i64 = 1_800_000_000_000_000_000;
const CLOSE_TS_NS: i64 = START_TS_NS + 30 * 86_400 * 1_000_000_000;
const LATENCY_WARMUP_EVENTS: usize = 20_000;
const LATENCY_MEASURED_EVENTS: usize = 200_000;
const LATENCY_OUT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../target/criterion/engine/per_event_latency.json"
);

fn ticker(index: usize) -> String {
    format!(
        "KXBENCH-E{:03}-M{:02}",
        index / MARKETS_PER_EVENT,
        index % MARKETS_PER_EVENT
    )
}

fn cent(slot: usize) -> Price {
    Price::from_cents(slot as i64).expect("slot within the cent grid")
}

fn contracts(n: i64) -> Count {
    Count::from_contracts(n).expect("small count")
}

/// A small deterministic generator (SplitMix64), so no randomness crate is needed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// One market event, with the market's index resolved for the peer.
struct MarketEvent {
    market: usize,
    event: Event,
}

/// The seeded market-data stream; keeps a shadow of every level so deltas stay valid.
struct Stream {
    rng: SplitMix,
    /// `[market][side][slot]` in hundredths of a contract; side 0 = bid, 1 = ask.
    sizes_centi: Vec<[[i64; SLOT_COUNT]; 2]>,
    tickers: Vec<String>,
    produced: u64,
    trades: u64,
}

impl Stream {
    fn new(seed: u64) -> Stream {
        let mut rng = SplitMix(seed);
        let mut sizes_centi = vec![[[0i64; SLOT_COUNT]; 2]; MARKET_COUNT];
        for book in &mut sizes_centi {
            for slot in BID_SLOTS {
                book[0][slot] = (1 + rng.below(200) as i64) * 100;
            }
            for slot in ASK_SLOTS {
                book[1][slot] = (1 + rng.below(200) as i64) * 100;
            }
        }
        Stream {
            rng,
            sizes_centi,
            tickers: (0..MARKET_COUNT).map(ticker).collect(),
            produced: 0,
            trades: 0,
        }
    }

    fn snapshot(&self, market: usize) -> BookSnapshot {
        let side = |side: usize| {
            (0..SLOT_COUNT)
                .filter(|&slot| self.sizes_centi[market][side][slot] > 0)
                .map(|slot| BookLevel {
                    price: cent(slot),
                    size: Count::from_centi(self.sizes_centi[market][side][slot])
                        .expect("positive size"),
                })
                .collect()
        };
        BookSnapshot {
            ticker: self.tickers[market].clone(),
            bids: side(0),
            asks: side(1),
            clock: None,
        }
    }

    fn best(&self, market: usize, side: usize) -> Option<usize> {
        let levels = &self.sizes_centi[market][side];
        if side == 0 {
            BID_SLOTS.rev().find(|&slot| levels[slot] > 0)
        } else {
            ASK_SLOTS.clone().find(|&slot| levels[slot] > 0)
        }
    }

    fn next_event(&mut self) -> Option<MarketEvent> {
        self.produced += 1;
        if self.produced % TICK_EVERY_EVENTS == 0 {
            return None;
        }
        let market = self.rng.below(MARKET_COUNT as u64) as usize;
        let side = self.rng.below(2) as usize;
        if self.rng.below(10) == 0
            && let Some(slot) = self.best(market, side)
        {
            self.trades += 1;
            let size = self.sizes_centi[market][side][slot];
            let count_centi = (1 + self.rng.below(10) as i64).min(size / 100).max(1) * 100;
            return Some(MarketEvent {
                market,
                event: Event::PublicTrade(PublicTrade {
                    trade_id: format!("t{}", self.trades),
                    ticker: self.tickers[market].clone(),
                    yes_price: cent(slot),
                    count: Count::from_centi(count_centi).expect("positive"),
                    // A taker selling hits the bid; a taker buying lifts the ask.
                    taker_side: if side == 0 {
                        BookSide::Ask
                    } else {
                        BookSide::Bid
                    },
                    ts_ns: 0,
                }),
            });
        }
        // Mostly near the touch: the 4 innermost levels of the side.
        let offset = self.rng.below(4) as usize;
        let slot = if side == 0 {
            BID_SLOTS.end() - offset
        } else {
            ASK_SLOTS.start() + offset
        };
        let size = self.sizes_centi[market][side][slot];
        let change_centi = if self.rng.below(2) == 0 || size == 0 {
            (1 + self.rng.below(50) as i64) * 100
        } else {
            // Remove part of the level, or all of it one time in four.
            if self.rng.below(4) == 0 {
                -size
            } else {
                -((1 + self.rng.below(size as u64) as i64).min(size))
            }
        };
        self.sizes_centi[market][side][slot] = size + change_centi;
        Some(MarketEvent {
            market,
            event: Event::BookDelta(BookDelta {
                ticker: self.tickers[market].clone(),
                side: if side == 0 {
                    BookSide::Bid
                } else {
                    BookSide::Ask
                },
                price: cent(slot),
                delta: SignedCount::from_centi(change_centi),
                clock: None,
                client_order_id: None,
            }),
        })
    }

    /// The next event for the engine: market data, or a timer tick.
    fn next_any(&mut self) -> MarketEvent {
        self.next_event().unwrap_or(MarketEvent {
            market: usize::MAX,
            event: Event::Timer {
                kind: TimerKind::Tick,
            },
        })
    }
}

fn listing(index: usize) -> MarketInfo {
    MarketInfo {
        ticker: ticker(index),
        event_ticker: format!("KXBENCH-E{:03}", index / MARKETS_PER_EVENT),
        title: format!("bench market {index}"),
        status: MarketStatus::Active,
        open_time_ns: Some(0),
        close_time_ns: Some(CLOSE_TS_NS),
        yes_bid: Some(cent(*BID_SLOTS.end())),
        yes_bid_size: Some(contracts(100)),
        yes_ask: Some(cent(*ASK_SLOTS.start())),
        yes_ask_size: Some(contracts(100)),
        last_price: Some(cent(50)),
        volume: contracts(50_000),
        volume_24h: contracts(10_000 + index as i64),
        open_interest: contracts(20_000),
        price_ranges: vec![PriceRange {
            start: Price::ZERO,
            end: Price::ONE,
            step: cent(1),
        }],
        fee: Some(FeeParams {
            fee_type: "quadratic".to_string(),
            multiplier_ppm: 1_000_000,
        }),
        fractional_trading: false,
        result: None,
        settlement_value: None,
    }
}

/// An engine with 200 listed, snapshotted, quoted markets, plus its acknowledging harness.
struct Harness {
    engine: Engine,
    seq: u64,
    ts_ns: i64,
    /// Remaining count per resting client order id, to size cancel acks.
    remaining: BTreeMap<ClientOrderId, Count>,
    commands: u64,
    acks: u64,
}

impl Harness {
    fn new(stream: &Stream) -> Harness {
        let mut config = EngineConfig {
            run_id: RunId::parse("bench").expect("run id"),
            quoted_markets_max: MARKET_COUNT as u32,
            ..EngineConfig::default()
        };
        config.scanner.volume_24h_min = Count::ZERO;
        config.scanner.open_interest_min = Count::ZERO;
        let mut harness = Harness {
            engine: Engine::new(),
            seq: 0,
            ts_ns: START_TS_NS,
            remaining: BTreeMap::new(),
            commands: 0,
            acks: 0,
        };
        let mut setup = vec![
            Event::Config(Box::new(config)),
            Event::Reconciled {
                orders: Vec::new(),
                positions: Vec::new(),
            },
            Event::MarketListing((0..MARKET_COUNT).map(listing).collect()),
        ];
        setup.extend((0..MARKET_COUNT).map(|m| Event::BookSnapshot(stream.snapshot(m))));
        for event in setup {
            let envelope = harness.envelope(event);
            let acks = harness.acks_for(&envelope);
            for ack in acks {
                harness.engine.process(&ack);
            }
        }
        harness
    }

    fn envelope(&mut self, event: Event) -> Envelope {
        self.seq += 1;
        self.ts_ns += EVENT_SPACING_NS;
        Envelope {
            seq: self.seq,
            ts_ns: self.ts_ns,
            event,
        }
    }

    /// Processes `envelope` and returns the acknowledgements of what it sent.
    fn acks_for(&mut self, envelope: &Envelope) -> Vec<Envelope> {
        let output = self.engine.process(envelope);
        self.commands += output.commands.len() as u64;
        self.ack_events(output.commands)
    }

    /// What the exchange would answer to `commands`, as the next envelopes.
    fn ack_events(&mut self, commands: Vec<Command>) -> Vec<Envelope> {
        let mut acks = Vec::with_capacity(commands.len());
        for command in commands {
            let event = match command {
                Command::Place(order) => {
                    self.remaining
                        .insert(order.client_order_id.clone(), order.count);
                    Event::OrderAck(OrderAck {
                        order_id: format!("ex-{}", order.client_order_id),
                        client_order_id: order.client_order_id.clone(),
                        request: RequestKind::Place,
                        fill_count: Count::ZERO,
                        remaining_count: order.count,
                    })
                }
                Command::Amend(amend) => {
                    self.remaining
                        .insert(amend.client_order_id.clone(), amend.remaining_count);
                    Event::OrderAck(OrderAck {
                        client_order_id: amend.client_order_id.clone(),
                        order_id: amend.order_id.clone(),
                        request: RequestKind::Amend,
                        fill_count: Count::ZERO,
                        remaining_count: amend.remaining_count,
                    })
                }
                Command::Decrease(decrease) => {
                    self.remaining
                        .insert(decrease.client_order_id.clone(), decrease.reduce_to);
                    Event::OrderAck(OrderAck {
                        client_order_id: decrease.client_order_id,
                        order_id: decrease.order_id,
                        request: RequestKind::Decrease,
                        fill_count: Count::ZERO,
                        remaining_count: decrease.reduce_to,
                    })
                }
                Command::Cancel(cancel) => Event::CancelAck(CancelAck {
                    reduced_by: self
                        .remaining
                        .remove(&cancel.client_order_id)
                        .unwrap_or(Count::ZERO),
                    order_id: cancel
                        .order_id
                        .unwrap_or_else(|| format!("ex-{}", cancel.client_order_id)),
                    client_order_id: cancel.client_order_id,
                }),
                Command::CancelAll | Command::LookupOrder { .. } => continue,
            };
            acks.push(self.envelope(event));
        }
        self.acks += acks.len() as u64;
        acks
    }
}

/// Criterion: time per market event, acks included; the batch is generated before timing.
fn engine_batch(harness: &mut Harness, stream: &mut Stream, market_events: u64) -> Duration {
    let batch: Vec<Envelope> = (0..market_events)
        .map(|_| {
            let event = stream.next_any().event;
            harness.envelope(event)
        })
        .collect();
    let start = Instant::now();
    for envelope in &batch {
        let acks = harness.acks_for(black_box(envelope));
        for ack in &acks {
            let output = harness.engine.process(ack);
            black_box(&output);
        }
    }
    start.elapsed()
}

fn peer_batch(books: &mut [OrderBook], stream: &mut Stream, market_events: u64) -> Duration {
    let batch: Vec<MarketEvent> = (0..market_events).map(|_| stream.next_any()).collect();
    let start = Instant::now();
    for item in &batch {
        if let Event::BookDelta(delta) = &item.event {
            let outcome = books[item.market].apply_delta(black_box(delta));
            black_box(&outcome);
        }
    }
    start.elapsed()
}

fn bench_engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    {
        let mut stream = Stream::new(7);
        let mut harness = Harness::new(&stream);
        group.bench_function("process", |b| {
            b.iter_custom(|iters| engine_batch(&mut harness, &mut stream, iters));
        });
    }
    {
        let mut stream = Stream::new(7);
        let mut books: Vec<OrderBook> = (0..MARKET_COUNT)
            .map(|m| {
                let mut book = OrderBook::new(10_000).expect("cent grid");
                book.apply_snapshot(&stream.snapshot(m))
                    .expect("generated snapshot applies");
                book
            })
            .collect();
        group.bench_function("peer_apply_delta", |b| {
            b.iter_custom(|iters| peer_batch(&mut books, &mut stream, iters));
        });
    }
    group.finish();
    latency_pass();
}

fn percentile(sorted: &[u64], fraction: f64) -> u64 {
    let rank = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Every `process` call timed on its own; writes the distribution as JSON.
fn latency_pass() {
    let mut stream = Stream::new(11);
    let mut harness = Harness::new(&stream);
    let mut samples_ns: Vec<u64> = Vec::with_capacity(LATENCY_MEASURED_EVENTS * 2);
    let mut market_events = 0usize;
    while market_events < LATENCY_WARMUP_EVENTS + LATENCY_MEASURED_EVENTS {
        let measuring = market_events >= LATENCY_WARMUP_EVENTS;
        let event = stream.next_any().event;
        let envelope = harness.envelope(event);
        let start = Instant::now();
        let output = harness.engine.process(black_box(&envelope));
        let elapsed_ns = start.elapsed().as_nanos() as u64;
        if measuring {
            samples_ns.push(elapsed_ns);
        }
        market_events += 1;
        // Acknowledge what was sent (outside the timer), then time each ack on its own.
        harness.commands += output.commands.len() as u64;
        let pending = harness.ack_events(output.commands);
        for ack in &pending {
            let start = Instant::now();
            let output = harness.engine.process(black_box(ack));
            let elapsed_ns = start.elapsed().as_nanos() as u64;
            black_box(&output);
            if measuring {
                samples_ns.push(elapsed_ns);
            }
        }
    }
    let mut timer_ns: Vec<u64> = (0..10_000)
        .map(|_| {
            let start = Instant::now();
            start.elapsed().as_nanos() as u64
        })
        .collect();
    timer_ns.sort_unstable();
    samples_ns.sort_unstable();
    let mean_ns = samples_ns.iter().sum::<u64>() as f64 / samples_ns.len() as f64;
    let report = serde_json::json!({
        "method": "each Engine::process call timed alone with std::time::Instant (market events and the acks they trigger); timer cost included in every sample",
        "market_events": LATENCY_MEASURED_EVENTS,
        "warmup_market_events": LATENCY_WARMUP_EVENTS,
        "samples": samples_ns.len(),
        "markets": MARKET_COUNT,
        "commands_total": harness.commands,
        "acks_total": harness.acks,
        "risk_state": format!("{:?}", harness.engine.risk_state()),
        "mean_ns": mean_ns,
        "p50_ns": percentile(&samples_ns, 0.50),
        "p90_ns": percentile(&samples_ns, 0.90),
        "p99_ns": percentile(&samples_ns, 0.99),
        "p999_ns": percentile(&samples_ns, 0.999),
        "max_ns": samples_ns.last().copied().unwrap_or(0),
        "timer_overhead_p50_ns": percentile(&timer_ns, 0.50),
    });
    let path = std::path::Path::new(LATENCY_OUT);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create the criterion output directory");
    }
    std::fs::write(path, serde_json::to_string_pretty(&report).expect("json"))
        .expect("write the latency report");
    println!("engine per-event latency: {report}");
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .sample_size(30)
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_engine
}
criterion_main!(benches);
