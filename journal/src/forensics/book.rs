//! Rebuilding order books from the journal's inputs, as they stood at any seq.
//!
//! Books go through core's [`OrderBook`], sized for each market's tick grid as listings and
//! lifecycle changes announce it (one cent until then), exactly as the engine's market state
//! does: snapshots replace, deltas change one level, invalidations mark the book invalid.
//! Unlike the engine, a book is kept for every market that appears, quoted or not.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use kalshi_core::book::{InvalidReason, OrderBook, finest_tick_unit_micros};
use kalshi_core::events::{BookInvalidation, Event};
use kalshi_core::market_data::{BookLevel, LifecycleKind, PriceRange};
use kalshi_core::side::BookSide;

use super::ForensicsError;
use crate::record::{JournalRecord, SequencedRecord};
use crate::typed_reader::RecordReader;

/// One market's book as reconstructed.
#[derive(Debug, Clone)]
struct TrackedBook {
    book: OrderBook,
    price_ranges: Vec<PriceRange>,
    last_update_seq: Option<u64>,
    updates_applied: u64,
    errors: u64,
    last_error: Option<String>,
}

impl TrackedBook {
    fn new(price_ranges: &[PriceRange]) -> Self {
        Self {
            book: OrderBook::for_price_ranges(price_ranges),
            price_ranges: price_ranges.to_vec(),
            last_update_seq: None,
            updates_applied: 0,
            errors: 0,
            last_error: None,
        }
    }

    fn regrid(&mut self, price_ranges: &[PriceRange]) {
        if price_ranges == self.price_ranges.as_slice() {
            return;
        }
        self.price_ranges = price_ranges.to_vec();
        if self
            .book
            .regrid(finest_tick_unit_micros(price_ranges))
            .is_err()
        {
            self.book = OrderBook::for_price_ranges(price_ranges);
        }
    }

    fn record_result<T, E: std::fmt::Display>(&mut self, seq: u64, result: Result<T, E>) {
        self.last_update_seq = Some(seq);
        match result {
            Ok(_) => self.updates_applied += 1,
            Err(error) => {
                self.errors += 1;
                self.last_error = Some(error.to_string());
            }
        }
    }
}

/// Replays book-relevant inputs into per-market books.
#[derive(Debug, Clone, Default)]
pub struct BookReplayer {
    books: BTreeMap<String, TrackedBook>,
}

impl BookReplayer {
    /// No books yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one record (only inputs change books).
    pub fn apply(&mut self, record: &SequencedRecord) {
        if let JournalRecord::Input(envelope) = &record.record {
            self.apply_event(record.seq, &envelope.event);
        }
    }

    /// Applies one input event journaled at `seq`.
    pub fn apply_event(&mut self, seq: u64, event: &Event) {
        match event {
            Event::MarketListing(markets) => {
                for market in markets {
                    match self.books.get_mut(&market.ticker) {
                        Some(tracked) => tracked.regrid(&market.price_ranges),
                        None => {
                            self.books.insert(
                                market.ticker.clone(),
                                TrackedBook::new(&market.price_ranges),
                            );
                        }
                    }
                }
            }
            Event::Lifecycle(change)
                if change.kind == LifecycleKind::PriceLevelStructureUpdated
                    && !change.price_ranges.is_empty() =>
            {
                self.tracked(&change.ticker).regrid(&change.price_ranges);
            }
            Event::BookSnapshot(snapshot) => {
                let tracked = self.tracked(&snapshot.ticker);
                let result = tracked.book.apply_snapshot(snapshot);
                tracked.record_result(seq, result);
            }
            Event::BookDelta(delta) => {
                let tracked = self.tracked(&delta.ticker);
                let result = tracked.book.apply_delta(delta);
                tracked.record_result(seq, result);
            }
            Event::BookInvalidated { ticker, reason } => {
                let tracked = self.tracked(ticker);
                tracked.book.mark_invalid(match reason {
                    BookInvalidation::SequenceGap | BookInvalidation::Reconnect => {
                        InvalidReason::SequenceGap
                    }
                    BookInvalidation::Stale => InvalidReason::Stale,
                });
                tracked.last_update_seq = Some(seq);
            }
            _ => {}
        }
    }

    fn tracked(&mut self, ticker: &str) -> &mut TrackedBook {
        self.books
            .entry(ticker.to_owned())
            .or_insert_with(|| TrackedBook::new(&[]))
    }

    /// The core book of `market`, if it has appeared.
    pub fn book(&self, market: &str) -> Option<&OrderBook> {
        self.books.get(market).map(|tracked| &tracked.book)
    }

    /// Markets seen so far, in ticker order.
    pub fn markets(&self) -> impl Iterator<Item = &str> {
        self.books.keys().map(String::as_str)
    }

    /// The view of `market`'s book, labelled as of `at_seq`.
    pub fn view(&self, market: &str, at_seq: Option<u64>) -> Option<BookView> {
        let tracked = self.books.get(market)?;
        let book = &tracked.book;
        Some(BookView {
            market: market.to_owned(),
            at_seq,
            last_update_seq: tracked.last_update_seq,
            tick_unit_micros: book.tick_unit_micros(),
            valid: book.is_valid(),
            invalid_reasons: book
                .invalid_reasons()
                .iter()
                .map(|reason| reason.as_str().to_owned())
                .collect(),
            clock: book.clock(),
            best_bid: book.best_bid(),
            best_ask: book.best_ask(),
            spread_micros: book.spread_micros(),
            mid_micros: book.mid_micros(),
            bids: book.levels(BookSide::Bid).collect(),
            asks: book.levels(BookSide::Ask).collect(),
            updates_applied: tracked.updates_applied,
            errors: tracked.errors,
            last_error: tracked.last_error.clone(),
        })
    }

    /// The best levels of `market`'s book.
    pub fn top(&self, market: &str) -> Option<BookTop> {
        let book = self.book(market)?;
        Some(BookTop {
            best_bid: book.best_bid(),
            best_ask: book.best_ask(),
            valid: book.is_valid(),
            invalid_reasons: book.invalid_reasons().to_string(),
        })
    }
}

/// A reconstructed book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookView {
    /// Market ticker.
    pub market: String,
    /// The seq the book was reconstructed at (`None`: end of the journal).
    pub at_seq: Option<u64>,
    /// Seq of the last input that changed this book.
    pub last_update_seq: Option<u64>,
    /// Slot width of the book, micro-dollars.
    pub tick_unit_micros: i64,
    /// Whether the book is trustworthy.
    pub valid: bool,
    /// Why not, when invalid (`no_snapshot`, `sequence_gap`, `crossed`, …).
    pub invalid_reasons: Vec<String>,
    /// Exchange clock of the newest change applied.
    pub clock: Option<u64>,
    /// Best YES bid.
    pub best_bid: Option<BookLevel>,
    /// Best YES ask.
    pub best_ask: Option<BookLevel>,
    /// Ask minus bid, micro-dollars.
    pub spread_micros: Option<i64>,
    /// Mid price, micro-dollars.
    pub mid_micros: Option<i64>,
    /// YES bids, best first.
    pub bids: Vec<BookLevel>,
    /// YES asks, best first.
    pub asks: Vec<BookLevel>,
    /// Snapshots and deltas applied without error.
    pub updates_applied: u64,
    /// Snapshots and deltas the book refused.
    pub errors: u64,
    /// The last refusal.
    pub last_error: Option<String>,
}

impl BookView {
    /// A readable ladder: header, then asks (highest first) above bids (highest first).
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "{} at seq {} (last update {}): {}\n",
            self.market,
            self.at_seq
                .map_or_else(|| "end".to_owned(), |seq| seq.to_string()),
            self.last_update_seq
                .map_or_else(|| "-".to_owned(), |seq| seq.to_string()),
            if self.valid {
                "valid".to_owned()
            } else {
                format!("INVALID ({})", self.invalid_reasons.join(","))
            }
        );
        for level in self.asks.iter().rev() {
            out.push_str(&format!(
                "  ask {:>8}  {:>10}\n",
                level.price.to_string(),
                level.size.to_string()
            ));
        }
        out.push_str("  --------------------------\n");
        for level in &self.bids {
            out.push_str(&format!(
                "  bid {:>8}  {:>10}\n",
                level.price.to_string(),
                level.size.to_string()
            ));
        }
        if let Some(error) = &self.last_error {
            out.push_str(&format!(
                "  {} update(s) refused; last: {error}\n",
                self.errors
            ));
        }
        out
    }
}

/// The touch of a book at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookTop {
    /// Best YES bid.
    pub best_bid: Option<BookLevel>,
    /// Best YES ask.
    pub best_ask: Option<BookLevel>,
    /// Whether the book was trustworthy.
    pub valid: bool,
    /// Why not (comma-separated), empty when valid.
    pub invalid_reasons: String,
}

/// Replays `run_dir` up to and including `at_seq` (the whole journal when `None`).
fn replay_until(run_dir: &Path, at_seq: Option<u64>) -> Result<BookReplayer, ForensicsError> {
    let mut reader = RecordReader::open(run_dir)?;
    let mut replayer = BookReplayer::new();
    while let Some(record) = reader.next_record()? {
        if at_seq.is_some_and(|at| record.seq > at) {
            break;
        }
        replayer.apply(&record);
    }
    Ok(replayer)
}

/// `market`'s book as it stood after the input at `at_seq` (or at the end of the journal).
pub fn reconstruct_book(
    run_dir: &Path,
    market: &str,
    at_seq: Option<u64>,
) -> Result<BookView, ForensicsError> {
    replay_until(run_dir, at_seq)?
        .view(market, at_seq)
        .ok_or_else(|| ForensicsError::MarketNotFound {
            market: market.to_owned(),
            at_seq,
        })
}

/// Every market's book as it stood at `at_seq`, in ticker order.
pub fn reconstruct_books(
    run_dir: &Path,
    at_seq: Option<u64>,
) -> Result<Vec<BookView>, ForensicsError> {
    let replayer = replay_until(run_dir, at_seq)?;
    Ok(replayer
        .markets()
        .filter_map(|market| replayer.view(market, at_seq))
        .collect())
}
