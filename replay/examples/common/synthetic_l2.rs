//! The seeded synthetic L2 stream shared by the replay examples: one market on the cent
//! grid with YES bids on 0.35–0.49 and asks on 0.51–0.65, one event every 10 ms (or at a
//! chosen spacing, [`SyntheticL2::with_spacing`]); 90 % size
//! changes on the four levels nearest the touch (emptying the best level moves the touch),
//! 10 % trades at the touch, each followed by the delta that removes the traded size.
//! Produced lazily, so ten million events never sit in memory at once.
//!
//! [`MultiL2`] interleaves several such markets (each its own seed and ticker; market 0 is
//! the one-market stream itself) into one time-ordered stream, and [`DepthCsv`] writes a
//! stream as the absolute-level CSV that `kalshi-bot import --depth` and the peers read.

use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{
    BookDelta, BookLevel, BookSnapshot, FeeParams, MarketInfo, MarketStatus, PriceRange,
    PublicTrade,
};
use kalshi_core::{BookSide, Count, Price, SignedCount};

/// The market's ticker.
#[allow(dead_code)] // not every example names the one-market ticker
pub const TICKER: &str = "KXBENCH-L2-M00";
const SLOT_COUNT: usize = 101;
const BID_SLOTS: std::ops::RangeInclusive<usize> = 35..=49;
const ASK_SLOTS: std::ops::RangeInclusive<usize> = 51..=65;
/// Data time of the first event.
pub const START_TS_NS: i64 = 1_800_000_000_000_000_000;
#[allow(dead_code)] // not every example uses the default spacing
const EVENT_SPACING_NS: i64 = 10_000_000;

/// Events in one market-day of L2 data for the busiest market we have captured: the
/// `KXNEXTTEAMNBA-26LJAM-GSW` book in `fixtures/ws/jfreun123-kalshi-market-maker` took 1,584
/// deltas in 315 s (18,090 an hour); 24 hours at that pace is 434,160 deltas, rounded up to
/// 450,000 to leave room for trades and snapshots.
#[allow(dead_code)] // used by the backtest example only
pub const MARKET_DAY_EVENTS: usize = 450_000;
/// Spacing that spreads [`MARKET_DAY_EVENTS`] over 24 hours of data time (192 ms).
#[allow(dead_code)] // used by the backtest example only
pub const MARKET_DAY_SPACING_NS: i64 = 86_400_000_000_000 / MARKET_DAY_EVENTS as i64;

/// SplitMix64: deterministic, dependency-free.
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

fn cent(slot: usize) -> Price {
    Price::from_cents(slot as i64).unwrap_or(Price::ZERO)
}

fn side_of(index: usize) -> BookSide {
    if index == 0 {
        BookSide::Bid
    } else {
        BookSide::Ask
    }
}

/// The stream: a snapshot, then deltas and trades; seqs start at `first_seq`.
pub struct SyntheticL2 {
    ticker: String,
    rng: SplitMix,
    sizes_centi: [[i64; SLOT_COUNT]; 2],
    next_seq: u64,
    ts_ns: i64,
    trades: u64,
    follow_up: Option<(usize, usize, i64)>,
    started: bool,
    spacing_ns: i64,
}

#[allow(dead_code)] // not every example builds the one-market stream
impl SyntheticL2 {
    /// A fresh stream (always the same one), one event every 10 ms.
    pub fn new(first_seq: u64) -> SyntheticL2 {
        Self::with_spacing(first_seq, EVENT_SPACING_NS)
    }

    /// The same stream with `spacing_ns` of data time between events.
    pub fn with_spacing(first_seq: u64, spacing_ns: i64) -> SyntheticL2 {
        Self::market(0, first_seq, START_TS_NS, spacing_ns)
    }

    /// Market `index` of a multi-market stream ([`ticker_of`] names it; its own seed, market
    /// 0 being the one-market stream): first event at `start_ts_ns`, then one every
    /// `spacing_ns`.
    pub fn market(index: usize, first_seq: u64, start_ts_ns: i64, spacing_ns: i64) -> SyntheticL2 {
        let mut rng = SplitMix(2026 + index as u64);
        let mut sizes_centi = [[0i64; SLOT_COUNT]; 2];
        for slot in BID_SLOTS {
            sizes_centi[0][slot] = (1 + rng.below(200) as i64) * 100;
        }
        for slot in ASK_SLOTS {
            sizes_centi[1][slot] = (1 + rng.below(200) as i64) * 100;
        }
        SyntheticL2 {
            ticker: ticker_of(index),
            rng,
            sizes_centi,
            next_seq: first_seq,
            ts_ns: start_ts_ns,
            trades: 0,
            follow_up: None,
            started: false,
            spacing_ns,
        }
    }

    fn envelope(&mut self, event: Event) -> Envelope {
        let seq = self.next_seq;
        self.next_seq += 1;
        Envelope {
            seq,
            ts_ns: self.ts_ns,
            event,
        }
    }

    fn levels(&self, side: usize) -> Vec<BookLevel> {
        (0..SLOT_COUNT)
            .filter(|&slot| self.sizes_centi[side][slot] > 0)
            .map(|slot| BookLevel {
                price: cent(slot),
                size: Count::from_centi(self.sizes_centi[side][slot]).unwrap_or(Count::ZERO),
            })
            .collect()
    }
}

impl Iterator for SyntheticL2 {
    type Item = Envelope;

    fn next(&mut self) -> Option<Envelope> {
        if !self.started {
            self.started = true;
            let snapshot = Event::BookSnapshot(BookSnapshot {
                ticker: self.ticker.clone(),
                bids: self.levels(0),
                asks: self.levels(1),
                clock: None,
            });
            return Some(self.envelope(snapshot));
        }
        self.ts_ns += self.spacing_ns;
        let (side, slot, change_centi) = if let Some(pending) = self.follow_up.take() {
            pending
        } else {
            let side = self.rng.below(2) as usize;
            let best = if side == 0 {
                BID_SLOTS.rev().find(|&s| self.sizes_centi[0][s] > 0)
            } else {
                ASK_SLOTS.clone().find(|&s| self.sizes_centi[1][s] > 0)
            };
            if self.rng.below(10) == 0
                && let Some(slot) = best
            {
                let size = self.sizes_centi[side][slot];
                let count_centi = ((1 + self.rng.below(10) as i64) * 100).min(size);
                self.trades += 1;
                self.follow_up = Some((side, slot, -count_centi));
                let trade = Event::PublicTrade(PublicTrade {
                    trade_id: format!("t{}", self.trades),
                    ticker: self.ticker.clone(),
                    yes_price: cent(slot),
                    count: Count::from_centi(count_centi).unwrap_or(Count::ZERO),
                    taker_side: side_of(1 - side),
                    ts_ns: self.ts_ns,
                });
                return Some(self.envelope(trade));
            }
            let offset = self.rng.below(4) as usize;
            let slot = if side == 0 {
                BID_SLOTS.end() - offset
            } else {
                ASK_SLOTS.start() + offset
            };
            let size = self.sizes_centi[side][slot];
            let change_centi = if self.rng.below(2) == 0 || size == 0 {
                (1 + self.rng.below(50) as i64) * 100
            } else if self.rng.below(4) == 0 {
                -size
            } else {
                -((1 + self.rng.below(size as u64) as i64).min(size))
            };
            (side, slot, change_centi)
        };
        self.sizes_centi[side][slot] += change_centi;
        let delta = Event::BookDelta(BookDelta {
            ticker: self.ticker.clone(),
            side: side_of(side),
            price: cent(slot),
            delta: SignedCount::from_centi(change_centi),
            clock: None,
            client_order_id: None,
        });
        Some(self.envelope(delta))
    }
}

/// The ticker of market `index` (market 0 is [`TICKER`]).
pub fn ticker_of(index: usize) -> String {
    format!("KXBENCH-L2-M{index:02}")
}

/// The market's listing (the stream carries none).
#[allow(dead_code)] // not every example runs the one-market stream
pub fn listing() -> MarketInfo {
    listing_of(0)
}

/// The listing of market `index`: market 0 is in event `KXBENCH-L2` (as it always was),
/// every other market is its own event, as the listings `backtest` assumes for imported
/// data are.
#[allow(dead_code)] // not every example runs several markets
pub fn listing_of(index: usize) -> MarketInfo {
    let contracts = |n: i64| Count::from_contracts(n).unwrap_or(Count::ZERO);
    let ticker = ticker_of(index);
    MarketInfo {
        event_ticker: if index == 0 {
            "KXBENCH-L2".to_string()
        } else {
            ticker.clone()
        },
        ticker,
        title: "synthetic L2 benchmark market".to_string(),
        status: MarketStatus::Active,
        open_time_ns: Some(0),
        close_time_ns: Some(START_TS_NS + 30 * 86_400 * 1_000_000_000),
        yes_bid: Some(cent(*BID_SLOTS.end())),
        yes_bid_size: Some(contracts(100)),
        yes_ask: Some(cent(*ASK_SLOTS.start())),
        yes_ask_size: Some(contracts(100)),
        last_price: Some(cent(50)),
        volume: contracts(50_000),
        volume_24h: contracts(10_000),
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

/// Several synthetic markets in one time-ordered stream: round robin, market `k`'s `n`-th
/// event at `START_TS_NS + n × spacing + k × spacing / markets`, so each market keeps the
/// one-market stream's pace and the whole stream carries `markets` times as many events.
/// Seqs are the whole stream's, from 1.
#[allow(dead_code)] // not every example runs several markets
pub struct MultiL2 {
    markets: Vec<SyntheticL2>,
    next_market: usize,
    next_seq: u64,
}

#[allow(dead_code)] // not every example runs several markets
impl MultiL2 {
    /// `markets` markets (at least one), each with an event every `spacing_ns`.
    pub fn new(markets: usize, spacing_ns: i64) -> MultiL2 {
        let markets = markets.max(1);
        let offset_ns = spacing_ns / markets as i64;
        MultiL2 {
            markets: (0..markets)
                .map(|index| {
                    SyntheticL2::market(
                        index,
                        1,
                        START_TS_NS + index as i64 * offset_ns,
                        spacing_ns,
                    )
                })
                .collect(),
            next_market: 0,
            next_seq: 1,
        }
    }
}

impl Iterator for MultiL2 {
    type Item = Envelope;

    fn next(&mut self) -> Option<Envelope> {
        let count = self.markets.len();
        let market = self.markets.get_mut(self.next_market)?;
        let mut envelope = market.next()?;
        self.next_market = (self.next_market + 1) % count;
        envelope.seq = self.next_seq;
        self.next_seq += 1;
        Some(envelope)
    }
}

/// Writes a stream as the L2 depth CSV of `kalshi-bot import --depth`
/// (`ts_ns,ticker,kind,side,price,size`): a snapshot becomes one `book` row per level, a
/// delta the `book` row of the level's new absolute size, a trade a `trade` row with the
/// taker's side. Prices in dollars, sizes in contracts, both exact decimals.
#[allow(dead_code)] // not every example writes the CSV
pub struct DepthCsv<W: std::io::Write> {
    out: W,
    /// Level sizes per ticker, side and cent slot, to turn deltas into absolute sizes.
    sizes_centi: std::collections::BTreeMap<String, [[i64; SLOT_COUNT]; 2]>,
    /// Rows written, header excluded.
    pub rows: u64,
}

#[allow(dead_code)] // not every example writes the CSV
impl<W: std::io::Write> DepthCsv<W> {
    /// Writes the header.
    pub fn new(mut out: W) -> std::io::Result<DepthCsv<W>> {
        writeln!(out, "ts_ns,ticker,kind,side,price,size")?;
        Ok(DepthCsv {
            out,
            sizes_centi: std::collections::BTreeMap::new(),
            rows: 0,
        })
    }

    fn row(
        &mut self,
        ts_ns: i64,
        ticker: &str,
        kind: &str,
        side: BookSide,
        price: Price,
        size_centi: i64,
    ) -> std::io::Result<()> {
        let side = match side {
            BookSide::Bid => "bid",
            BookSide::Ask => "ask",
        };
        let micros = price.micros();
        self.rows += 1;
        writeln!(
            self.out,
            "{ts_ns},{ticker},{kind},{side},{}.{:06},{}.{:02}",
            micros / 1_000_000,
            micros % 1_000_000,
            size_centi / 100,
            size_centi % 100
        )
    }

    fn level(&mut self, ticker: &str, side: BookSide, price: Price) -> Option<&mut i64> {
        let slot = usize::try_from(price.micros() / 10_000).ok()?;
        let sides = self
            .sizes_centi
            .entry(ticker.to_string())
            .or_insert([[0; SLOT_COUNT]; 2]);
        let index = match side {
            BookSide::Bid => 0,
            BookSide::Ask => 1,
        };
        sides[index].get_mut(slot)
    }

    /// Writes the rows of one event (events other than snapshots, deltas and trades write
    /// none).
    pub fn write(&mut self, envelope: &Envelope) -> std::io::Result<()> {
        let ts_ns = envelope.ts_ns;
        match &envelope.event {
            Event::BookSnapshot(snapshot) => {
                for (side, levels) in [
                    (BookSide::Bid, &snapshot.bids),
                    (BookSide::Ask, &snapshot.asks),
                ] {
                    for level in levels {
                        let size_centi = level.size.centi();
                        if let Some(slot) = self.level(&snapshot.ticker, side, level.price) {
                            *slot = size_centi;
                        }
                        self.row(
                            ts_ns,
                            &snapshot.ticker,
                            "book",
                            side,
                            level.price,
                            size_centi,
                        )?;
                    }
                }
            }
            Event::BookDelta(delta) => {
                let size_centi = match self.level(&delta.ticker, delta.side, delta.price) {
                    Some(slot) => {
                        *slot += delta.delta.centi();
                        *slot
                    }
                    None => delta.delta.centi(),
                };
                self.row(
                    ts_ns,
                    &delta.ticker,
                    "book",
                    delta.side,
                    delta.price,
                    size_centi,
                )?;
            }
            Event::PublicTrade(trade) => {
                self.row(
                    ts_ns,
                    &trade.ticker,
                    "trade",
                    trade.taker_side,
                    trade.yes_price,
                    trade.count.centi(),
                )?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Flushes and hands the writer back.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}
