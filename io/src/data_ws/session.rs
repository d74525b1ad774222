//! The pure state of one WebSocket connection: which channels are subscribed under which
//! `sid`, the last `seq` per sid, which books are trustworthy, and the commands to send.
//!
//! No IO here: the connection task feeds decoded frames in and sends out what comes back,
//! which makes gap handling, resync and resubscription testable frame by frame.
//!
//! Rules:
//! - Any frame carrying a `seq` for a sid advances it — including `ok` acks, which real
//!   captures show consuming a slot of the orderbook sid's sequence.
//! - A frame whose `seq` is not newer than the last one, by at most the reorder window
//!   ([`SEQ_REORDER_WINDOW_DEFAULT`] = 64, see [`Session::with_seq_reorder_window`]), is a
//!   duplicate and is dropped.
//! - A larger regression (`last - seq` above the window), or an `orderbook_snapshot` with
//!   `seq` 1 after a higher seq, means the server restarted the numbering (or wrapped after
//!   `u64::MAX`). It is a reset: the sid continues from the new seq, and on the orderbook sid
//!   it is handled like a forward gap (every book invalidated, snapshots requested). The frame
//!   that revealed the reset is not applied to a book (it may be a stale duplicate); frames
//!   of other channels are delivered.
//! - On the first gap in the orderbook sid, every book of that subscription is marked invalid
//!   at once (one `BookInvalidated` per market) and a `get_snapshot` is requested for them.
//!   Deltas for an invalid book are dropped; after the fresh snapshot, deltas whose `clock` is
//!   not newer than the snapshot's are dropped too.
//! - A frame that cannot be decoded ([`Session::on_undecodable`]) may have been a delta:
//!   every book of the orderbook sid is invalidated at once and snapshots are requested,
//!   without waiting for the next frame to show the gap. Undecodable and unknown frames are
//!   counted per connection ([`Session::stats`]).
//! - A market whose requested snapshot fails to arrive before the next resync, for
//!   [`RESYNC_ATTEMPTS_MAX_DEFAULT`] resyncs in a row (e.g. its snapshot is always too large
//!   to decode), is abandoned: it stays invalid, is no longer asked for, and a
//!   [`ResyncAbandoned`] is reported in [`Step::abandoned`] and logged. Any snapshot of it that
//!   does arrive later (e.g. after a reconnect) revives it; removing and re-adding the market
//!   resets it.
//! - Markets added or removed while a market-scoped subscribe is unanswered (no sid to update
//!   yet) are added to or deleted from the subscription as soon as its answer arrives, so a
//!   market wished for early is never left unsubscribed until a reconnect.
//! - A snapshot of a market not in the session's list is dropped (counted in `dropped`), so
//!   it never makes a book look trustworthy.
//! - Error codes 10 (channel error) and 25 (buffer overflow) end a subscription: its books are
//!   invalidated and the channel is subscribed again.
//! - A subscription can go silent while the socket stays alive (pings keep coming). When the
//!   orderbook sid has been quiet for a while the connection task calls
//!   [`Session::probe_books`], which asks for fresh snapshots. A probe snapshot of a valid
//!   book whose `clock` is newer than the newest change the book has seen proves that changes
//!   were never delivered: every book is invalidated (`Stale`) and the orderbook channel is
//!   unsubscribed and subscribed again. Frames of the retired sid are dropped. A quiet market
//!   answers with its current clock and nothing happens.

mod channel;
mod pending;

use std::collections::{BTreeMap, BTreeSet};

use kalshi_core::events::{BookInvalidation, Event};

pub use channel::Channel;
use pending::{PendingSubscribe, PendingSubscribes};

use crate::normalize::{self, NormalizedWs};
use crate::wire::ws::{UpdateAction, WsCommand, WsServerMessage};

/// Error code: channel error; the subscription is gone.
pub const WS_ERROR_CHANNEL: u32 = 10;
/// Error code: subscription buffer overflow; the subscription is gone.
pub const WS_ERROR_BUFFER_OVERFLOW: u32 = 25;

/// Default reorder window: a seq at most this far below the last one is a duplicate.
pub const SEQ_REORDER_WINDOW_DEFAULT: u64 = 64;

/// Default number of failed resyncs in a row after which a market is abandoned.
pub const RESYNC_ATTEMPTS_MAX_DEFAULT: u32 = 3;
/// Subscribe requests of one connection kept awaiting their answer: the oldest request beyond
/// 64 is forgotten, so a connection whose answers never come does not grow the map (its answer
/// still names its channel, but the markets changed meanwhile are not caught up).
pub const PENDING_SUBSCRIBES_MAX: usize = 64;
/// Retired orderbook sids remembered on one connection (their late frames are dropped): the 64
/// most recent. Sids grow on a connection, so the oldest retired one goes first.
pub const RETIRED_SIDS_MAX: usize = 64;

/// A market whose book could not be resynced: it stays invalid and is no longer asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "market {ticker}: {failed_resyncs} resyncs in a row failed to deliver a snapshot; giving up (book stays invalid)"
)]
pub struct ResyncAbandoned {
    /// The market.
    pub ticker: String,
    /// Resyncs in a row that produced no snapshot.
    pub failed_resyncs: u32,
}

/// Counters of one connection (reset on every new socket) and the abandoned markets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WsStats {
    /// The connection generation the counters belong to.
    pub generation: u64,
    /// Frames that could not be decoded.
    pub decode_failures: u64,
    /// Frames of a type this client does not know.
    pub unknown_frames: u64,
    /// Forward sequence gaps, any channel.
    pub sequence_gaps: u64,
    /// Sequence resets (numbering restarted or wrapped), any channel.
    pub sequence_resets: u64,
    /// Markets given up on after repeated failed resyncs, sorted.
    pub abandoned_markets: Vec<String>,
}

/// One subscription's state.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SidState {
    channel: Channel,
    last_seq: Option<u64>,
}

/// One book's trust state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct BookState {
    /// A snapshot arrived and no gap has happened since.
    valid: bool,
    /// The `clock` of the last snapshot.
    snapshot_clock: Option<u64>,
    /// The newest `clock` applied (snapshot or delta).
    last_clock: Option<u64>,
    /// A `get_snapshot` was sent and no snapshot has arrived since.
    awaiting_snapshot: bool,
    /// Resyncs in a row whose snapshot never arrived.
    failed_resyncs: u32,
    /// Given up on: no more snapshot requests until a snapshot arrives anyway.
    abandoned: bool,
}

/// What handling one frame produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Step {
    /// Events for the engine, in order.
    pub events: Vec<Event>,
    /// Commands to send on the socket, in order.
    pub commands: Vec<WsCommand>,
    /// Frames dropped as duplicates, stale deltas, deltas for invalid books or snapshots of
    /// markets not in the session's list.
    pub dropped: usize,
    /// Markets given up on while handling this frame.
    pub abandoned: Vec<ResyncAbandoned>,
}

/// The state of one logical connection across reconnects.
#[derive(Debug, Clone)]
pub struct Session {
    channels: BTreeSet<Channel>,
    markets: BTreeSet<String>,
    use_yes_price: bool,
    generation: u64,
    next_command_id: u64,
    /// Subscribe requests awaiting their answer, by command id (at most
    /// [`PENDING_SUBSCRIBES_MAX`]).
    pending: PendingSubscribes,
    /// Live subscriptions by sid: at most one per channel in `channels`.
    sids: BTreeMap<u64, SidState>,
    /// Book state per market: at most one per market subscribed, forgotten with it in
    /// [`Session::remove_markets`].
    books: BTreeMap<String, BookState>,
    /// Markets whose next snapshot answers a liveness probe (at most the markets subscribed;
    /// replaced by each probe).
    probed: BTreeSet<String>,
    /// Sids given up on this connection; their frames are dropped (at most
    /// [`RETIRED_SIDS_MAX`], the most recent).
    retired: BTreeSet<u64>,
    seq_reorder_window: u64,
    resync_attempts_max: u32,
    /// Counters of the current connection (`abandoned_markets` is filled in by `stats`).
    stats: WsStats,
    /// Markets given up on (mirrors `BookState::abandoned`; at most the markets subscribed,
    /// forgotten with them).
    abandoned: BTreeSet<String>,
}

impl Session {
    /// A session that will subscribe `channels`, scoping book/trade/ticker to `markets`.
    pub fn new(channels: &[Channel], markets: &[String], use_yes_price: bool) -> Session {
        Session {
            channels: channels.iter().copied().collect(),
            markets: markets.iter().cloned().collect(),
            use_yes_price,
            generation: 0,
            next_command_id: 1,
            pending: PendingSubscribes::default(),
            sids: BTreeMap::new(),
            books: BTreeMap::new(),
            probed: BTreeSet::new(),
            retired: BTreeSet::new(),
            seq_reorder_window: SEQ_REORDER_WINDOW_DEFAULT,
            resync_attempts_max: RESYNC_ATTEMPTS_MAX_DEFAULT,
            stats: WsStats::default(),
            abandoned: BTreeSet::new(),
        }
    }

    /// Sets the reorder window: a seq at most `window` below the last one is a duplicate,
    /// further below is a reset (see the module docs).
    pub fn with_seq_reorder_window(mut self, window: u64) -> Session {
        self.seq_reorder_window = window;
        self
    }

    /// Sets how many resyncs in a row may fail before a market is abandoned (at least 1).
    pub fn with_resync_attempts_max(mut self, attempts: u32) -> Session {
        self.resync_attempts_max = attempts.max(1);
        self
    }

    /// The counters of the current connection and the abandoned markets.
    pub fn stats(&self) -> WsStats {
        let mut stats = self.stats.clone();
        stats.generation = self.generation;
        stats.abandoned_markets = self.abandoned.iter().cloned().collect();
        stats
    }

    /// The connection generation (incremented on every new socket).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The markets currently wanted.
    pub fn markets(&self) -> impl Iterator<Item = &str> {
        self.markets.iter().map(String::as_str)
    }

    /// Whether a book is currently trustworthy.
    pub fn is_book_valid(&self, ticker: &str) -> bool {
        self.books.get(ticker).is_some_and(|book| book.valid)
    }

    /// The channel subscribed under `sid` on this connection, if any.
    pub fn channel_of(&self, sid: u64) -> Option<Channel> {
        self.sids.get(&sid).map(|state| state.channel)
    }

    /// The last sequence number seen on a sid.
    pub fn last_seq(&self, sid: u64) -> Option<u64> {
        self.sids.get(&sid).and_then(|state| state.last_seq)
    }

    fn command_id(&mut self) -> u64 {
        let id = self.next_command_id;
        self.next_command_id += 1;
        id
    }

    fn subscribe_command(&mut self, channel: Channel) -> Option<WsCommand> {
        if channel == Channel::OrderbookDelta && self.markets.is_empty() {
            // The orderbook channel needs a market list; subscribe once markets are added.
            return None;
        }
        let id = self.command_id();
        let markets: Vec<&str> = if channel.is_market_scoped() {
            self.markets.iter().map(String::as_str).collect()
        } else {
            Vec::new()
        };
        let mut command = WsCommand::subscribe(id, &[channel.as_str()], &markets);
        self.pending.insert(
            id,
            PendingSubscribe {
                channel,
                markets: markets.iter().map(|ticker| ticker.to_string()).collect(),
            },
        );
        if channel == Channel::OrderbookDelta && self.use_yes_price {
            if let crate::wire::ws::WsCommandBody::Subscribe(params) = &mut command.body {
                params.use_yes_price = Some(true);
            }
        }
        Some(command)
    }

    /// A new socket is open: bump the generation, forget per-connection state and return the
    /// subscribe commands for every channel.
    pub fn on_connected(&mut self) -> Vec<WsCommand> {
        self.generation += 1;
        self.next_command_id = 1;
        self.pending.clear();
        self.sids.clear();
        self.probed.clear();
        self.retired.clear();
        self.stats = WsStats::default();
        // Requests of the old socket will never be answered; the new subscription sends
        // fresh snapshots. Abandoned markets stay abandoned until one of them arrives.
        for book in self.books.values_mut() {
            book.awaiting_snapshot = false;
            book.failed_resyncs = 0;
        }
        let channels: Vec<Channel> = self.channels.iter().copied().collect();
        channels
            .into_iter()
            .filter_map(|channel| self.subscribe_command(channel))
            .collect()
    }

    /// The socket is gone: every valid book becomes invalid (one event per market).
    pub fn on_disconnected(&mut self) -> Vec<Event> {
        self.pending.clear();
        self.sids.clear();
        self.probed.clear();
        self.invalidate_books(None, BookInvalidation::Reconnect)
    }

    /// Marks books invalid (all, or only `tickers`) and returns one event per book that was
    /// valid.
    fn invalidate_books(
        &mut self,
        tickers: Option<&[String]>,
        reason: BookInvalidation,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        for (ticker, book) in &mut self.books {
            if tickers.is_some_and(|only| !only.contains(ticker)) {
                continue;
            }
            if book.valid {
                book.valid = false;
                events.push(Event::BookInvalidated {
                    ticker: ticker.clone(),
                    reason,
                });
            }
        }
        events
    }

    fn sid_of(&self, channel: Channel) -> Option<u64> {
        self.sids
            .iter()
            .find(|(_, state)| state.channel == channel)
            .map(|(sid, _)| *sid)
    }

    /// Adds markets at runtime (`update_subscription add_markets` on market-scoped
    /// subscriptions, or a first orderbook subscribe). Their books start invalid until the
    /// exchange's snapshot arrives.
    pub fn add_markets(&mut self, tickers: &[String]) -> Vec<WsCommand> {
        let new: Vec<String> = tickers
            .iter()
            .filter(|ticker| !self.markets.contains(*ticker))
            .cloned()
            .collect();
        if new.is_empty() {
            return Vec::new();
        }
        let had_none = self.markets.is_empty();
        self.markets.extend(new.iter().cloned());
        let mut commands = Vec::new();
        let scoped: Vec<Channel> = self
            .channels
            .iter()
            .copied()
            .filter(|channel| channel.is_market_scoped())
            .collect();
        for channel in scoped {
            match self.sid_of(channel) {
                Some(sid) => {
                    commands.push(self.update_command(sid, UpdateAction::AddMarkets, &new));
                }
                // A subscribe still unanswered is brought up to date when its answer comes
                // (`on_frame`, `subscribed`).
                None => {
                    let already_pending = self.pending.has_channel(channel);
                    if channel == Channel::OrderbookDelta && had_none && !already_pending {
                        commands.extend(self.subscribe_command(channel));
                    }
                }
            }
        }
        commands
    }

    /// Removes markets at runtime (`update_subscription delete_markets`); their book state is
    /// forgotten.
    pub fn remove_markets(&mut self, tickers: &[String]) -> Vec<WsCommand> {
        let gone: Vec<String> = tickers
            .iter()
            .filter(|ticker| self.markets.remove(*ticker))
            .cloned()
            .collect();
        for ticker in &gone {
            self.books.remove(ticker);
            self.abandoned.remove(ticker);
        }
        if gone.is_empty() {
            return Vec::new();
        }
        let mut commands = Vec::new();
        let scoped: Vec<(u64, Channel)> = self
            .sids
            .iter()
            .filter(|(_, state)| state.channel.is_market_scoped())
            .map(|(sid, state)| (*sid, state.channel))
            .collect();
        for (sid, _) in scoped {
            commands.push(self.update_command(sid, UpdateAction::DeleteMarkets, &gone));
        }
        commands
    }

    /// Handles one decoded frame.
    pub fn on_frame(&mut self, message: &WsServerMessage) -> Step {
        let mut step = Step::default();
        if matches!(message, WsServerMessage::Unknown { .. }) {
            self.stats.unknown_frames += 1;
        }
        match message {
            WsServerMessage::Subscribed(frame) => {
                // The channel named in the reply wins over our id bookkeeping.
                let pending = frame.id.and_then(|id| self.pending.take(id));
                let channel =
                    Channel::from_wire(&frame.msg.channel).or(pending.as_ref().map(|p| p.channel));
                if let Some(channel) = channel {
                    self.sids.insert(
                        frame.msg.sid,
                        SidState {
                            channel,
                            last_seq: None,
                        },
                    );
                }
                if let Some(request) = pending.filter(|request| {
                    Some(request.channel) == channel && request.channel.is_market_scoped()
                }) {
                    self.catch_up_subscription(frame.msg.sid, &request, &mut step);
                }
                return step;
            }
            WsServerMessage::Unsubscribed(frame) => {
                if let Some(sid) = frame.sid {
                    self.sids.remove(&sid);
                }
                return step;
            }
            WsServerMessage::Error(frame) => {
                self.on_error(
                    frame.id,
                    frame.sid,
                    frame.msg.code,
                    &frame.msg.msg,
                    &mut step,
                );
                return step;
            }
            _ => {}
        }

        if message.sid().is_some_and(|sid| self.retired.contains(&sid)) {
            step.dropped += 1;
            return step;
        }

        // Sequence check for anything carrying (sid, seq).
        if let (Some(sid), Some(seq)) = (message.sid(), message.seq()) {
            if let Some(state) = self.sids.get_mut(&sid) {
                let mut gap = false;
                let mut reset = false;
                match state.last_seq {
                    Some(last) if seq <= last => {
                        let restarted_snapshot = seq == 1
                            && last > 1
                            && matches!(message, WsServerMessage::OrderbookSnapshot(_));
                        if last - seq <= self.seq_reorder_window && !restarted_snapshot {
                            step.dropped += 1;
                            return step;
                        }
                        tracing::warn!(
                            sid,
                            last,
                            got = seq,
                            channel = state.channel.as_str(),
                            "sequence reset (numbering restarted or wrapped)"
                        );
                        reset = true;
                    }
                    Some(last) if Some(seq) != last.checked_add(1) => {
                        tracing::warn!(
                            sid,
                            last,
                            got = seq,
                            channel = state.channel.as_str(),
                            "sequence gap"
                        );
                        gap = true;
                    }
                    _ => {}
                }
                state.last_seq = Some(seq);
                let is_books = state.channel == Channel::OrderbookDelta;
                self.stats.sequence_gaps += u64::from(gap);
                self.stats.sequence_resets += u64::from(reset);
                if (gap || reset) && is_books {
                    self.resync_sid(sid, &mut step);
                }
                if reset && is_books {
                    step.dropped += 1;
                    return step;
                }
            }
        }

        let normalized = match normalize::normalize_ws(message, self.use_yes_price) {
            Ok(normalized) => normalized,
            Err(error) => {
                tracing::warn!(%error, frame = message.type_name(), "cannot normalize frame");
                // A book that misses a delta is wrong: resync that market.
                if let WsServerMessage::OrderbookDelta(frame) = message {
                    let ticker = frame.msg.market_ticker.clone();
                    self.resync_markets(
                        &[ticker],
                        frame.sid,
                        BookInvalidation::SequenceGap,
                        &mut step,
                    );
                }
                return step;
            }
        };
        let Some(normalized) = normalized else {
            return step;
        };
        match normalized {
            NormalizedWs::Snapshot(snapshot) => {
                if !self.markets.contains(&snapshot.ticker) {
                    // A market we do not follow (a snapshot still in flight after
                    // `remove_markets`, or a server mistake) must not get a trusted book.
                    step.dropped += 1;
                    return step;
                }
                let answers_probe = self.probed.remove(&snapshot.ticker);
                let book = self.books.entry(snapshot.ticker.clone()).or_default();
                let newer_than_seen = match (book.last_clock, snapshot.clock) {
                    (Some(seen), Some(now)) => now > seen,
                    _ => false,
                };
                let missed_changes = answers_probe && book.valid && newer_than_seen;
                if book.abandoned {
                    tracing::info!(ticker = %snapshot.ticker, "snapshot of an abandoned market arrived; book is trusted again");
                }
                book.valid = true;
                book.awaiting_snapshot = false;
                book.failed_resyncs = 0;
                book.abandoned = false;
                self.abandoned.remove(&snapshot.ticker);
                book.snapshot_clock = snapshot.clock;
                book.last_clock = snapshot.clock;
                let ticker = snapshot.ticker.clone();
                step.events.push(Event::BookSnapshot(snapshot));
                if missed_changes {
                    tracing::warn!(
                        %ticker,
                        "orderbook subscription went silent (changes never delivered); resubscribing"
                    );
                    self.restart_book_subscription(message.sid(), &mut step);
                }
            }
            NormalizedWs::Delta(delta) => {
                let book = self.books.get(&delta.ticker).copied().unwrap_or_default();
                let stale = matches!((book.snapshot_clock, delta.clock), (Some(snapshot), Some(clock)) if clock <= snapshot);
                if !book.valid || stale {
                    step.dropped += 1;
                } else {
                    if let (Some(state), Some(clock)) =
                        (self.books.get_mut(&delta.ticker), delta.clock)
                    {
                        state.last_clock =
                            Some(state.last_clock.map_or(clock, |seen| seen.max(clock)));
                    }
                    step.events.push(Event::BookDelta(delta));
                }
            }
            NormalizedWs::Trade(trade) => step.events.push(Event::PublicTrade(trade)),
            NormalizedWs::Fill(fill) => step.events.push(Event::OwnFill(fill)),
            NormalizedWs::Order(order) => step.events.push(Event::OrderSnapshot(order)),
            NormalizedWs::Position(position) => step.events.push(Event::PositionSnapshot(position)),
            NormalizedWs::Lifecycle(change) => step.events.push(Event::Lifecycle(change)),
        }
        step
    }

    /// A liveness probe of the orderbook subscription (call when it has been quiet for a
    /// while): asks for a fresh snapshot of every market. See the module docs for how the
    /// answers are judged. Empty when there is no orderbook subscription yet.
    pub fn probe_books(&mut self) -> Vec<WsCommand> {
        let Some(sid) = self.sid_of(Channel::OrderbookDelta) else {
            return Vec::new();
        };
        let wanted: BTreeSet<String> = self
            .markets
            .iter()
            .filter(|ticker| !self.books.get(*ticker).is_some_and(|book| book.abandoned))
            .cloned()
            .collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        let command = self.update_command(sid, UpdateAction::GetSnapshot, &wanted);
        self.probed = wanted;
        vec![command]
    }

    /// A frame on this connection could not be decoded. It is counted, and since it may have
    /// been a delta, every book of the orderbook sid is invalidated and snapshots are
    /// requested now (see the module docs).
    pub fn on_undecodable(&mut self) -> Step {
        let mut step = Step::default();
        self.stats.decode_failures += 1;
        if let Some(sid) = self.sid_of(Channel::OrderbookDelta) {
            self.resync_sid(sid, &mut step);
        }
        step
    }

    /// Gives up on the orderbook subscription `sid`: every book becomes invalid (`Stale`),
    /// the sid is unsubscribed and retired, and the channel is subscribed again.
    fn restart_book_subscription(&mut self, sid: Option<u64>, step: &mut Step) {
        step.events
            .extend(self.invalidate_books(None, BookInvalidation::Stale));
        self.probed.clear();
        if let Some(sid) = sid {
            self.sids.remove(&sid);
            self.retired.insert(sid);
            while self.retired.len() > RETIRED_SIDS_MAX {
                self.retired.pop_first();
            }
            let id = self.command_id();
            step.commands.push(WsCommand::unsubscribe(id, &[sid]));
        }
        step.commands
            .extend(self.subscribe_command(Channel::OrderbookDelta));
    }

    /// Invalidates every book of an orderbook sid and asks for fresh snapshots.
    fn resync_sid(&mut self, sid: u64, step: &mut Step) {
        let markets: Vec<String> = self.markets.iter().cloned().collect();
        self.resync_markets(&markets, Some(sid), BookInvalidation::SequenceGap, step);
    }

    fn resync_markets(
        &mut self,
        markets: &[String],
        sid: Option<u64>,
        reason: BookInvalidation,
        step: &mut Step,
    ) {
        for ticker in markets {
            self.books.entry(ticker.clone()).or_default();
        }
        step.events
            .extend(self.invalidate_books(Some(markets), reason));
        let Some(sid) = sid.or_else(|| self.sid_of(Channel::OrderbookDelta)) else {
            return;
        };
        let mut wanted: Vec<&str> = Vec::new();
        for ticker in markets {
            let Some(book) = self.books.get_mut(ticker) else {
                continue;
            };
            if book.abandoned {
                continue;
            }
            if book.awaiting_snapshot {
                book.failed_resyncs = book.failed_resyncs.saturating_add(1);
                if book.failed_resyncs >= self.resync_attempts_max {
                    book.abandoned = true;
                    book.awaiting_snapshot = false;
                    let abandoned = ResyncAbandoned {
                        ticker: ticker.clone(),
                        failed_resyncs: book.failed_resyncs,
                    };
                    tracing::error!(error = %abandoned, ticker = %ticker, "orderbook resync abandoned");
                    step.abandoned.push(abandoned);
                    self.abandoned.insert(ticker.clone());
                    continue;
                }
            }
            book.awaiting_snapshot = true;
            wanted.push(ticker.as_str());
        }
        if wanted.is_empty() {
            return;
        }
        let id = self.command_id();
        step.commands.push(WsCommand::update_subscription(
            id,
            sid,
            UpdateAction::GetSnapshot,
            &wanted,
        ));
    }

    /// The subscription `sid` was answered for `request`: the markets added or removed since
    /// it went out are added to or deleted from it now.
    fn catch_up_subscription(&mut self, sid: u64, request: &PendingSubscribe, step: &mut Step) {
        let (missing, extra) = request.differences(&self.markets);
        for (action, tickers) in [
            (UpdateAction::AddMarkets, missing),
            (UpdateAction::DeleteMarkets, extra),
        ] {
            if !tickers.is_empty() {
                step.commands
                    .push(self.update_command(sid, action, &tickers));
            }
        }
    }

    /// An `update_subscription` of `sid` for `tickers`, under the next command id.
    fn update_command<'t>(
        &mut self,
        sid: u64,
        action: UpdateAction,
        tickers: impl IntoIterator<Item = &'t String>,
    ) -> WsCommand {
        let id = self.command_id();
        let refs: Vec<&str> = tickers.into_iter().map(String::as_str).collect();
        WsCommand::update_subscription(id, sid, action, &refs)
    }

    fn on_error(
        &mut self,
        id: Option<u64>,
        sid: Option<u64>,
        code: u32,
        text: &str,
        step: &mut Step,
    ) {
        let failed_subscribe = id
            .and_then(|id| self.pending.take(id))
            .map(|request| request.channel);
        tracing::warn!(code, message = text, ?sid, "WebSocket error frame");
        if code != WS_ERROR_CHANNEL && code != WS_ERROR_BUFFER_OVERFLOW {
            return;
        }
        let channel = sid
            .and_then(|sid| self.sids.remove(&sid))
            .map(|state| state.channel)
            .or(failed_subscribe);
        let channels: Vec<Channel> = match channel {
            Some(channel) => vec![channel],
            // Unknown subscription: resubscribe everything that has no live sid.
            None => self
                .channels
                .iter()
                .copied()
                .filter(|channel| {
                    self.sid_of(*channel).is_none() && !self.pending.has_channel(*channel)
                })
                .collect(),
        };
        for channel in channels {
            if channel == Channel::OrderbookDelta {
                step.events
                    .extend(self.invalidate_books(None, BookInvalidation::SequenceGap));
            }
            step.commands.extend(self.subscribe_command(channel));
        }
    }
}
