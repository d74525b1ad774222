//! Everything the engine knows about one market: listing metadata, the live book, a bounded
//! window of recent public trades, and counters.
//!
//! Time only arrives as arguments (`ts_ns`, `now_ns`); nothing here reads a clock.

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::book::{BookError, DeltaOutcome, OrderBook, finest_tick_unit_micros};
use crate::fixed::{Count, Price, SignedCount};
use crate::market_data::{
    BookDelta, BookSnapshot, FeeParams, LifecycleChange, LifecycleKind, MarketInfo, MarketStatus,
    PublicTrade,
};
use crate::side::BookSide;
use crate::signal_state::SignalState;
use crate::tick_grid::{TickGrid, TickGridError};
pub use crate::vocab::settings::MarketStateConfig;

/// One public trade as kept in the window (no strings: pushing never allocates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentTrade {
    /// Execution YES price.
    pub yes_price: Price,
    /// Contracts traded.
    pub count: Count,
    /// `Bid` = taker bought YES, `Ask` = taker sold YES.
    pub taker_side: BookSide,
    /// Trade time, Unix ns.
    pub ts_ns: i64,
}

/// Running volume sums of the trade tape (wrapping: only differences are read, and a window's
/// true totals fit in an `i64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct TradeSums {
    volume_centi: i64,
    signed_centi: i64,
}

impl TradeSums {
    fn of(trade: &RecentTrade) -> TradeSums {
        let volume_centi = trade.count.centi();
        TradeSums {
            volume_centi,
            signed_centi: match trade.taker_side {
                BookSide::Bid => volume_centi,
                BookSide::Ask => volume_centi.wrapping_neg(),
            },
        }
    }

    fn plus(self, other: TradeSums) -> TradeSums {
        TradeSums {
            volume_centi: self.volume_centi.wrapping_add(other.volume_centi),
            signed_centi: self.signed_centi.wrapping_add(other.signed_centi),
        }
    }

    fn minus(self, other: TradeSums) -> TradeSums {
        TradeSums {
            volume_centi: self.volume_centi.wrapping_sub(other.volume_centi),
            signed_centi: self.signed_centi.wrapping_sub(other.signed_centi),
        }
    }
}

/// Trade activity within a time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TradeWindowStats {
    /// Trades in the window.
    pub trade_count: u32,
    /// Contracts traded in the window.
    pub volume: Count,
    /// Taker-buy volume minus taker-sell volume.
    pub signed_volume: SignedCount,
    /// True when the window is fully covered: the tape was being recorded for the whole
    /// window and nothing inside it has been evicted. When false the counts are a lower bound.
    pub complete: bool,
}

/// Per-market counters, for reports and health checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MarketCounters {
    /// Snapshots applied successfully.
    pub snapshots: u64,
    /// Deltas that changed the live book.
    pub deltas_applied: u64,
    /// Deltas dropped because the snapshot already included them.
    pub deltas_stale: u64,
    /// Deltas dropped because there was no snapshot.
    pub deltas_without_snapshot: u64,
    /// Snapshots or deltas rejected with a [`BookError`].
    pub book_errors: u64,
    /// Public trades seen.
    pub trades: u64,
    /// Lifecycle changes seen.
    pub lifecycle_changes: u64,
    /// Listings applied.
    pub listings: u64,
}

/// The state of one market.
#[derive(Debug, Clone)]
pub struct MarketState {
    info: MarketInfo,
    tick_grid: Result<TickGrid, TickGridError>,
    book: OrderBook,
    signal_state: SignalState,
    trades: VecDeque<RecentTrade>,
    /// A hash of each kept trade's id ([`trade_id_hash`]), parallel to `trades`: a trade read
    /// again (REST history over what the socket delivered) is recognized without keeping
    /// strings on the tape.
    trade_ids: VecDeque<u64>,
    /// Neighbouring kept trades out of time order (an earlier trade after a later one). While
    /// zero the tape is sorted by time and windows are found by binary search.
    trade_inversions: usize,
    /// Running sums over every trade ever kept, one entry per kept trade (the sums up to and
    /// including it): a window's totals are the difference of two entries.
    trade_sums: VecDeque<TradeSums>,
    /// Sums over every trade ever kept, up to the newest.
    trade_sums_total: TradeSums,
    config: MarketStateConfig,
    trade_coverage_start_ns: Option<i64>,
    /// Set once a REST trade history joined the tape: from then on a socket trade already on
    /// the tape (read by the history while it was in flight) is not counted again. Markets
    /// that never got a history (every journal written before it) keep every trade.
    dedup_trades: bool,
    evicted_newest_ts_ns: Option<i64>,
    last_trade: Option<RecentTrade>,
    last_update_ts_ns: i64,
    counters: MarketCounters,
}

impl MarketState {
    /// A market known from a listing; the book waits for its first snapshot.
    pub fn new(info: MarketInfo, config: MarketStateConfig) -> MarketState {
        let book = OrderBook::for_price_ranges(&info.price_ranges);
        let tick_grid = TickGrid::for_market(&info.price_ranges, None);
        let trades_capacity = config.trades_max.min(4096);
        MarketState {
            info,
            tick_grid,
            book,
            signal_state: SignalState::new(config.mid_trend_tau_ns),
            trades: VecDeque::with_capacity(trades_capacity),
            trade_ids: VecDeque::with_capacity(trades_capacity),
            trade_inversions: 0,
            trade_sums: VecDeque::with_capacity(trades_capacity),
            trade_sums_total: TradeSums::default(),
            config,
            trade_coverage_start_ns: None,
            dedup_trades: false,
            evicted_newest_ts_ns: None,
            last_trade: None,
            last_update_ts_ns: 0,
            counters: MarketCounters {
                listings: 1,
                ..MarketCounters::default()
            },
        }
    }

    /// A market known only by ticker (e.g. from a `created` lifecycle event): status
    /// `initialized`, no quotes, one-cent grid until a listing arrives.
    pub fn from_ticker(ticker: &str, config: MarketStateConfig) -> MarketState {
        let info = MarketInfo {
            ticker: ticker.to_string(),
            event_ticker: String::new(),
            title: String::new(),
            status: MarketStatus::Initialized,
            open_time_ns: None,
            close_time_ns: None,
            yes_bid: None,
            yes_bid_size: None,
            yes_ask: None,
            yes_ask_size: None,
            last_price: None,
            volume: Count::ZERO,
            volume_24h: Count::ZERO,
            open_interest: Count::ZERO,
            price_ranges: Vec::new(),
            fee: None,
            fractional_trading: false,
            result: None,
            settlement_value: None,
        };
        let mut state = MarketState::new(info, config);
        state.counters.listings = 0;
        state
    }

    /// Market ticker.
    pub fn ticker(&self) -> &str {
        &self.info.ticker
    }

    /// The latest listing, with lifecycle changes applied on top.
    pub fn info(&self) -> &MarketInfo {
        &self.info
    }

    /// Trading status.
    pub fn status(&self) -> MarketStatus {
        self.info.status
    }

    /// The live book.
    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    /// The live book, for explicit validity changes (`SequenceGap`, `Stale`).
    pub fn book_mut(&mut self) -> &mut OrderBook {
        &mut self.book
    }

    /// The market's tick grid, or why its `price_ranges` could not form one (an empty list
    /// means the legacy one-cent grid). Never quote a market whose grid is an error.
    pub fn tick_grid(&self) -> Result<&TickGrid, &TickGridError> {
        self.tick_grid.as_ref()
    }

    /// Signal state (mid trend, model probability).
    pub fn signal_state(&self) -> &SignalState {
        &self.signal_state
    }

    /// Signal state, mutably (e.g. to set the model probability from its input event).
    pub fn signal_state_mut(&mut self) -> &mut SignalState {
        &mut self.signal_state
    }

    /// How many snapshots, deltas, trades and listings this market has seen.
    pub fn counters(&self) -> &MarketCounters {
        &self.counters
    }

    /// The most recent public trade.
    pub fn last_trade(&self) -> Option<RecentTrade> {
        self.last_trade
    }

    /// `ts_ns` of the last event applied to this market (0 before any).
    pub fn last_update_ts_ns(&self) -> i64 {
        self.last_update_ts_ns
    }

    /// Nanoseconds until close (negative once past it), when the close time is known.
    pub fn time_to_close_ns(&self, now_ns: i64) -> Option<i64> {
        self.info
            .close_time_ns
            .map(|close_ns| close_ns.saturating_sub(now_ns))
    }

    /// Applies a fresh listing: metadata, quotes from the listing, status, grid. A grid change
    /// re-lays the book out (or resets it when a level no longer fits).
    pub fn on_listing(&mut self, info: &MarketInfo, ts_ns: i64) {
        let grid_changed = info.price_ranges != self.info.price_ranges;
        self.info = info.clone();
        if grid_changed {
            self.regrid_book();
        }
        self.counters.listings += 1;
        self.touch(ts_ns);
    }

    /// Replaces the market's fee parameters (a scheduled fee change took effect).
    pub fn set_fee(&mut self, fee: FeeParams, ts_ns: i64) {
        self.info.fee = Some(fee);
        self.touch(ts_ns);
    }

    /// Applies a lifecycle change (status, close time, result, grid).
    pub fn on_lifecycle(&mut self, change: &LifecycleChange, ts_ns: i64) {
        match change.kind {
            LifecycleKind::Created => {
                if change.close_time_ns.is_some() {
                    self.info.close_time_ns = change.close_time_ns;
                }
            }
            LifecycleKind::Activated => self.info.status = MarketStatus::Active,
            LifecycleKind::Deactivated => self.info.status = MarketStatus::Inactive,
            LifecycleKind::CloseDateUpdated => {
                if change.close_time_ns.is_some() {
                    self.info.close_time_ns = change.close_time_ns;
                }
            }
            LifecycleKind::Determined => {
                self.info.status = MarketStatus::Determined;
                self.info.result = change.result.or(self.info.result);
                self.info.settlement_value = change.settlement_value.or(self.info.settlement_value);
            }
            LifecycleKind::Settled => self.info.status = MarketStatus::Finalized,
            LifecycleKind::PriceLevelStructureUpdated => {
                if !change.price_ranges.is_empty() && change.price_ranges != self.info.price_ranges
                {
                    self.info.price_ranges = change.price_ranges.clone();
                    self.regrid_book();
                }
            }
            LifecycleKind::MetadataUpdated => {}
        }
        self.counters.lifecycle_changes += 1;
        self.touch(ts_ns);
    }

    fn regrid_book(&mut self) {
        self.tick_grid = TickGrid::for_market(&self.info.price_ranges, None);
        let unit = finest_tick_unit_micros(&self.info.price_ranges);
        if self.book.regrid(unit).is_err() {
            self.book = OrderBook::for_price_ranges(&self.info.price_ranges);
        }
    }

    /// Replaces the book with a snapshot.
    pub fn on_snapshot(&mut self, snapshot: &BookSnapshot, ts_ns: i64) -> Result<(), BookError> {
        self.touch(ts_ns);
        match self.book.apply_snapshot(snapshot) {
            Ok(()) => {
                self.counters.snapshots += 1;
                self.observe_mid(ts_ns);
                Ok(())
            }
            Err(error) => {
                self.counters.book_errors += 1;
                Err(error)
            }
        }
    }

    /// Applies a book delta.
    pub fn on_delta(&mut self, delta: &BookDelta, ts_ns: i64) -> Result<DeltaOutcome, BookError> {
        self.touch(ts_ns);
        match self.book.apply_delta(delta) {
            Ok(outcome) => {
                match outcome {
                    DeltaOutcome::Applied => {
                        self.counters.deltas_applied += 1;
                        self.observe_mid(ts_ns);
                    }
                    DeltaOutcome::IgnoredStale => self.counters.deltas_stale += 1,
                    DeltaOutcome::IgnoredNoSnapshot => self.counters.deltas_without_snapshot += 1,
                }
                Ok(outcome)
            }
            Err(error) => {
                self.counters.book_errors += 1;
                Err(error)
            }
        }
    }

    /// Records a public trade. `received_ts_ns` stands in for the trade time when the payload
    /// carried none (`ts_ns == 0`). Evicts beyond the count and age bounds; never allocates
    /// once the window is full.
    ///
    /// Once a trade history joined the tape ([`MarketState::on_trade_history`]), a trade
    /// whose id is already on the tape is ignored (returns false).
    pub fn on_trade(&mut self, trade: &PublicTrade, received_ts_ns: i64) -> bool {
        let recent = recent_trade(trade, received_ts_ns);
        let id = trade_id_hash(&trade.trade_id);
        if self.dedup_trades && !trade.trade_id.is_empty() && self.has_trade(id, recent.ts_ns) {
            return false;
        }
        self.last_trade = Some(recent);
        self.info.last_price = Some(trade.yes_price);
        self.counters.trades += 1;
        self.touch(received_ts_ns);
        self.keep_trade(recent, id);
        true
    }

    /// Whether a trade with id hash `id` at `ts_ns` is on the tape. On a time-sorted tape only
    /// the trades at or after `ts_ns` (the tail) are looked at.
    fn has_trade(&self, id: u64, ts_ns: i64) -> bool {
        let kept = self.trades.iter().zip(self.trade_ids.iter()).rev();
        if self.trade_inversions == 0 {
            kept.take_while(|(trade, _)| trade.ts_ns >= ts_ns)
                .any(|(_, kept_id)| *kept_id == id)
        } else {
            self.trade_ids.iter().any(|kept_id| *kept_id == id)
        }
    }

    /// Adds trades read from the exchange's history (in any order, possibly overlapping the
    /// trades already kept): a trade whose id is already on the tape is skipped, the rest are
    /// merged in time order. Then declares the tape complete from `covered_from_ns` (see
    /// [`MarketState::set_trade_coverage_start`]). Returns how many trades were added.
    pub fn on_trade_history(
        &mut self,
        trades: &[PublicTrade],
        covered_from_ns: i64,
        received_ts_ns: i64,
    ) -> usize {
        let mut known: BTreeSet<u64> = self.trade_ids.iter().copied().collect();
        let mut added: Vec<(RecentTrade, u64)> = Vec::new();
        for trade in trades {
            let id = trade_id_hash(&trade.trade_id);
            // A trade without an id cannot be recognized: it is always new.
            if !trade.trade_id.is_empty() && !known.insert(id) {
                continue;
            }
            added.push((recent_trade(trade, received_ts_ns), id));
        }
        self.set_trade_coverage_start(covered_from_ns);
        self.dedup_trades = true;
        self.touch(received_ts_ns);
        if added.is_empty() {
            return 0;
        }
        let count = added.len();
        self.counters.trades += u64::try_from(count).unwrap_or(u64::MAX);
        if let Some(newest) = added
            .iter()
            .map(|(trade, _)| *trade)
            .max_by_key(|t| t.ts_ns)
            && self
                .last_trade
                .is_none_or(|last| newest.ts_ns >= last.ts_ns)
        {
            self.last_trade = Some(newest);
            self.info.last_price = Some(newest.yes_price);
        }
        let mut merged: Vec<(RecentTrade, u64)> = self
            .trades
            .drain(..)
            .zip(self.trade_ids.drain(..))
            .collect();
        merged.extend(added);
        // Stable: trades at the same time keep their arrival order.
        merged.sort_by_key(|(trade, _)| trade.ts_ns);
        self.trade_sums.clear();
        self.trade_sums_total = TradeSums::default();
        self.trade_inversions = 0;
        for (trade, id) in merged {
            self.keep_trade(trade, id);
        }
        count
    }

    /// Pushes one trade on the tape and evicts beyond the count and age bounds.
    fn keep_trade(&mut self, recent: RecentTrade, id: u64) {
        let ts_ns = recent.ts_ns;
        if self.config.trades_max == 0 {
            self.note_evicted(ts_ns);
            return;
        }
        while self.trades.len() >= self.config.trades_max {
            self.evict_front();
        }
        if self.trades.back().is_some_and(|back| back.ts_ns > ts_ns) {
            self.trade_inversions += 1;
        }
        self.trades.push_back(recent);
        self.trade_ids.push_back(id);
        self.trade_sums_total = self.trade_sums_total.plus(TradeSums::of(&recent));
        self.trade_sums.push_back(self.trade_sums_total);
        let newest_ns = if self.trade_inversions == 0 {
            ts_ns
        } else {
            self.trades
                .iter()
                .map(|kept| kept.ts_ns)
                .max()
                .unwrap_or(ts_ns)
        };
        let oldest_allowed_ns = newest_ns.saturating_sub(self.config.trade_age_max_ns);
        while self
            .trades
            .front()
            .is_some_and(|front| front.ts_ns < oldest_allowed_ns)
        {
            self.evict_front();
        }
    }

    fn evict_front(&mut self) {
        if let Some(evicted) = self.trades.pop_front() {
            self.trade_sums.pop_front();
            self.trade_ids.pop_front();
            if self
                .trades
                .front()
                .is_some_and(|next| evicted.ts_ns > next.ts_ns)
            {
                self.trade_inversions = self.trade_inversions.saturating_sub(1);
            }
            self.note_evicted(evicted.ts_ns);
        }
    }

    fn note_evicted(&mut self, ts_ns: i64) {
        self.evicted_newest_ts_ns = Some(
            self.evicted_newest_ts_ns
                .map_or(ts_ns, |newest| newest.max(ts_ns)),
        );
    }

    /// Declares that every public trade of this market from `ts_ns` on will be (or has been)
    /// fed to [`MarketState::on_trade`] — e.g. when the trade subscription started, or the
    /// start of a history backfill. Windows reaching before it are reported incomplete.
    pub fn set_trade_coverage_start(&mut self, ts_ns: i64) {
        self.trade_coverage_start_ns = Some(ts_ns);
    }

    /// Since when the tape is complete, when declared.
    pub fn trade_coverage_start_ns(&self) -> Option<i64> {
        self.trade_coverage_start_ns
    }

    /// Trades kept, oldest first.
    pub fn recent_trades(&self) -> impl Iterator<Item = &RecentTrade> {
        self.trades.iter()
    }

    /// On a time-sorted tape, the position of the first trade later than `ts_ns` (the tape's
    /// length when none is). Windows end near the newest trade, so the search gallops from
    /// the back and touches only the tail of the tape instead of bisecting all of it.
    fn trades_after_from_back(&self, ts_ns: i64) -> usize {
        let len = self.trades.len();
        let later = |position: usize| {
            self.trades
                .get(position)
                .is_some_and(|trade| trade.ts_ns > ts_ns)
        };
        // Invariant: every trade at or past `upper` is later than `ts_ns`.
        let mut upper = len;
        let mut step = 1;
        while upper > 0 {
            let probe = upper.saturating_sub(step);
            if !later(probe) {
                // The answer lies in `probe + 1 ..= upper`: bisect that bracket.
                let mut lower = probe + 1;
                while lower < upper {
                    let middle = lower + (upper - lower) / 2;
                    if later(middle) {
                        upper = middle;
                    } else {
                        lower = middle + 1;
                    }
                }
                return lower;
            }
            upper = probe;
            step *= 2;
        }
        0
    }

    /// Count and volume of trades with `now_ns − window_ns < ts_ns ≤ now_ns`.
    pub fn trades_in_window(&self, now_ns: i64, window_ns: i64) -> TradeWindowStats {
        let start_ns = now_ns.saturating_sub(window_ns);
        let mut stats = TradeWindowStats::default();
        let mut volume_centi: i64 = 0;
        let mut signed_centi: i64 = 0;
        if self.trade_inversions == 0 {
            // A time-sorted tape: the window is a contiguous run, found by binary search and
            // totalled from the running sums.
            let first = self.trades_after_from_back(start_ns);
            let end = self.trades_after_from_back(now_ns);
            if end > first
                && let (Some(first_trade), Some(first_sums), Some(last_sums)) = (
                    self.trades.get(first),
                    self.trade_sums.get(first),
                    self.trade_sums.get(end - 1),
                )
            {
                let before = first_sums.minus(TradeSums::of(first_trade));
                let window = last_sums.minus(before);
                stats.trade_count = u32::try_from(end - first).unwrap_or(u32::MAX);
                volume_centi = window.volume_centi;
                signed_centi = window.signed_centi;
            }
        } else {
            for trade in self
                .trades
                .iter()
                .filter(|trade| trade.ts_ns > start_ns && trade.ts_ns <= now_ns)
            {
                stats.trade_count = stats.trade_count.saturating_add(1);
                volume_centi = volume_centi.saturating_add(trade.count.centi());
                signed_centi = match trade.taker_side {
                    BookSide::Bid => signed_centi.saturating_add(trade.count.centi()),
                    BookSide::Ask => signed_centi.saturating_sub(trade.count.centi()),
                };
            }
        }
        stats.volume = Count::from_centi(volume_centi).unwrap_or(Count::ZERO);
        stats.signed_volume = SignedCount::from_centi(signed_centi);
        let covered = self
            .trade_coverage_start_ns
            .is_some_and(|coverage_ns| coverage_ns <= start_ns);
        let nothing_evicted_inside = self
            .evicted_newest_ts_ns
            .is_none_or(|evicted_ns| evicted_ns <= start_ns);
        stats.complete = covered && nothing_evicted_inside;
        stats
    }

    fn observe_mid(&mut self, ts_ns: i64) {
        if self.book.is_valid() {
            self.signal_state.observe_mid(self.book.mid_micros(), ts_ns);
        }
    }

    fn touch(&mut self, ts_ns: i64) {
        if ts_ns > self.last_update_ts_ns {
            self.last_update_ts_ns = ts_ns;
        }
    }
}

/// A public trade as kept on the tape; `received_ts_ns` stands in for a missing trade time.
fn recent_trade(trade: &PublicTrade, received_ts_ns: i64) -> RecentTrade {
    RecentTrade {
        yes_price: trade.yes_price,
        count: trade.count,
        taker_side: trade.taker_side,
        ts_ns: if trade.ts_ns != 0 {
            trade.ts_ns
        } else {
            received_ts_ns
        },
    }
}

/// 64-bit FNV-1a of a trade id: fixed, so the tape's duplicate check is the same in every
/// run and replay.
fn trade_id_hash(trade_id: &str) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    trade_id.bytes().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}
