//! `OrderBook::apply_delta` cost per delta over the real captured WS session, against a
//! `BTreeMap<price, size>` book doing the same updates in the same run.
//!
//! The fixture is parsed once, outside the timed loop, with `serde_json::Value` (core cannot
//! depend on io). Each timed iteration applies the whole delta stream to books freshly loaded
//! from the session's snapshots (the reload is not timed); criterion's throughput is the
//! delta count, so its per-element estimate is ns/delta.
//!
//! Run: `cargo bench -p kalshi-core --bench book` (or `scripts/bench.sh`, which adds the
//! peer ratio and the target to BENCHMARKS.md).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kalshi_core::book::OrderBook;
use kalshi_core::market_data::{BookDelta, BookLevel, BookSnapshot};
use kalshi_core::side::BookSide;
use kalshi_core::{Count, Price, SignedCount};
use serde_json::Value;

const SESSION: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/ws/jfreun123-kalshi-market-maker/ws_session_demo_2026-07-01.jsonl"
);

/// The session as snapshots (one per market) and deltas tagged with their market's index.
struct Session {
    snapshots: Vec<BookSnapshot>,
    deltas: Vec<(usize, BookDelta)>,
}

fn text_field<'a>(msg: &'a Value, name: &str) -> &'a str {
    msg.get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("fixture message lacks string field {name}: {msg}"))
}

/// `[["0.0100","1406474.86"], …]` → levels; NO levels become YES asks at `1 − price`.
fn levels(msg: &Value, name: &str, complement: bool) -> Vec<BookLevel> {
    let Some(rows) = msg.get(name).and_then(Value::as_array) else {
        return Vec::new();
    };
    rows.iter()
        .map(|row| {
            let price = Price::parse(row[0].as_str().expect("price string")).expect("price");
            BookLevel {
                price: if complement {
                    price.complement()
                } else {
                    price
                },
                size: Count::parse(row[1].as_str().expect("size string")).expect("size"),
            }
        })
        .collect()
}

fn load_session() -> Session {
    let text = std::fs::read_to_string(SESSION).expect("read the captured WS session");
    let mut tickers: Vec<String> = Vec::new();
    let mut snapshots = Vec::new();
    let mut deltas = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let frame: Value = serde_json::from_str(line).expect("fixture line is JSON");
        let msg = &frame["msg"];
        match frame["type"].as_str() {
            Some("orderbook_snapshot") => {
                let ticker = text_field(msg, "market_ticker").to_string();
                tickers.push(ticker.clone());
                snapshots.push(BookSnapshot {
                    ticker,
                    bids: levels(msg, "yes_dollars_fp", false),
                    asks: levels(msg, "no_dollars_fp", true),
                    clock: None,
                });
            }
            Some("orderbook_delta") => {
                let ticker = text_field(msg, "market_ticker");
                let index = tickers
                    .iter()
                    .position(|known| known == ticker)
                    .expect("delta for a market with a snapshot");
                let price = Price::parse(text_field(msg, "price_dollars")).expect("price");
                let (side, price) = match text_field(msg, "side") {
                    "yes" => (BookSide::Bid, price),
                    _ => (BookSide::Ask, price.complement()),
                };
                deltas.push((
                    index,
                    BookDelta {
                        ticker: ticker.to_string(),
                        side,
                        price,
                        delta: SignedCount::parse(text_field(msg, "delta_fp")).expect("delta"),
                        clock: None,
                        client_order_id: None,
                    },
                ));
            }
            _ => {}
        }
    }
    Session { snapshots, deltas }
}

fn loaded_books(session: &Session) -> Vec<OrderBook> {
    session
        .snapshots
        .iter()
        .map(|snapshot| {
            let mut book = OrderBook::new(10_000).expect("cent grid");
            book.apply_snapshot(snapshot)
                .expect("fixture snapshot applies");
            book
        })
        .collect()
}

/// The peer: one ordered map per side, keyed by price micros, holding size in hundredths.
#[derive(Clone, Default)]
struct MapBook {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    crossed: bool,
}

impl MapBook {
    fn from_snapshot(snapshot: &BookSnapshot) -> MapBook {
        let side = |levels: &[BookLevel]| {
            levels
                .iter()
                .filter(|level| !level.size.is_zero())
                .map(|level| (level.price.micros(), level.size.centi()))
                .collect()
        };
        MapBook {
            bids: side(&snapshot.bids),
            asks: side(&snapshot.asks),
            crossed: false,
        }
    }

    /// The same work `apply_delta` does: update one level (refusing a negative result),
    /// drop it when empty, and check the touch for a cross.
    #[inline]
    fn apply(&mut self, delta: &BookDelta) -> Result<(), i64> {
        let ladder = match delta.side {
            BookSide::Bid => &mut self.bids,
            BookSide::Ask => &mut self.asks,
        };
        let price_micros = delta.price.micros();
        let size_centi = ladder.get(&price_micros).copied().unwrap_or(0);
        let new_size_centi = size_centi + delta.delta.centi();
        if new_size_centi < 0 {
            return Err(price_micros);
        }
        if new_size_centi == 0 {
            ladder.remove(&price_micros);
        } else {
            ladder.insert(price_micros, new_size_centi);
        }
        if let (Some((bid, _)), Some((ask, _))) =
            (self.bids.last_key_value(), self.asks.first_key_value())
            && bid >= ask
        {
            self.crossed = true;
        }
        Ok(())
    }
}

fn bench_book(c: &mut Criterion) {
    let session = load_session();
    let delta_count = session.deltas.len();
    // The stream must apply cleanly, or the numbers would time error paths.
    let mut check = loaded_books(&session);
    for (index, delta) in &session.deltas {
        check[*index]
            .apply_delta(delta)
            .expect("captured delta applies");
    }
    let map_books: Vec<MapBook> = session
        .snapshots
        .iter()
        .map(MapBook::from_snapshot)
        .collect();

    let mut group = c.benchmark_group("book");
    group.throughput(Throughput::Elements(delta_count as u64));
    group.bench_function("apply_delta", |b| {
        b.iter_batched_ref(
            || loaded_books(&session),
            |books| {
                for (index, delta) in &session.deltas {
                    let outcome = books[*index].apply_delta(black_box(delta));
                    black_box(&outcome);
                }
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("peer_btreemap", |b| {
        b.iter_batched_ref(
            || map_books.clone(),
            |books| {
                for (index, delta) in &session.deltas {
                    let outcome = books[*index].apply(black_box(delta));
                    black_box(&outcome);
                }
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .sample_size(50)
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_book
}
criterion_main!(benches);
