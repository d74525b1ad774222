//! The lifecycle of every order, the desired-vs-working diff, reconciliation and the working
//! position per market.
//!
//! Lifecycle: `Intent → Pending (sent) → Resting → PartiallyFilled → Filled`, or `Cancelled` /
//! `Rejected`; a request whose outcome is lost becomes `Unknown` and is resolved by a
//! `LookupOrder` before anything else is sent for it. A lookup that finds nothing turns a lost
//! create back into an `Intent`, which the next diff re-sends under the **same** client id if it
//! is still wanted (or drops otherwise).
//!
//! Counting: the exchange's `remaining_count` (acks, snapshots) is authoritative; fills only
//! ever lower it (`remaining ≤ count − filled`). `filled` is the larger of two tallies kept
//! apart — the sum of the fills seen and the highest fill count the exchange reported on an
//! ack or snapshot — so a fill and an ack that both report the same execution, in either
//! order, count it once. Fills are deduplicated by `fill_id` before they touch the position.
//!
//! Coalescing: an order with a request in flight is never sent another one; the diff simply
//! runs again against the latest desired quotes once the answer arrives, so the latest desired
//! quote wins.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::client_order_id::ClientOrderId;
use crate::commands::{AmendOrder, CancelOrder, Command, DecreaseOrder, PlaceOrder, TimeInForce};
use crate::events::{CancelAck, OrderAck, OrderRejected, RequestKind};
use crate::exposure_totals::{Contribution, ExposureTotals};
use crate::fixed::{Count, Money, Price, SignedCount};
use crate::market_data::{ExchangeOrderStatus, OrderSnapshot, OwnFill, PositionSnapshot};
use crate::positions::PositionLedger;
use crate::record_store::RecordStore;
use crate::risk::{ScopeExposure, price_paid};
use crate::side::BookSide;
use crate::ticker_map::TickerMap;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Decided but not (or no longer) sent: a create to retry under the same id.
    Intent,
    /// Sent, not yet acknowledged.
    Pending,
    /// Resting with nothing filled.
    Resting,
    /// Resting after some fills.
    PartiallyFilled,
    /// Fully filled (terminal).
    Filled,
    /// Cancelled, possibly after fills (terminal).
    Cancelled,
    /// Refused by the exchange (terminal).
    Rejected,
    /// The outcome of a request is unknown until a lookup answers.
    Unknown,
}

impl OrderStatus {
    /// True for Filled, Cancelled and Rejected.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled | OrderStatus::Cancelled | OrderStatus::Rejected
        )
    }

    /// True when the order may rest on the book (or might, for Pending and Unknown).
    pub const fn may_rest(self) -> bool {
        matches!(
            self,
            OrderStatus::Pending
                | OrderStatus::Resting
                | OrderStatus::PartiallyFilled
                | OrderStatus::Unknown
        )
    }
}

/// A request sent for an order and not yet answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InFlight {
    /// A create.
    Place,
    /// An amend to a new price and total count.
    Amend {
        /// New price.
        price: Price,
        /// New total count.
        total_count: Count,
    },
    /// A decrease to a remaining count.
    Decrease {
        /// Remaining count asked for.
        reduce_to: Count,
    },
    /// A cancel.
    Cancel,
    /// A lookup after an unknown outcome.
    Lookup,
}

/// Everything known about one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// Our client id (`None` for an order placed outside this system without one).
    pub client_order_id: Option<ClientOrderId>,
    /// Exchange order id once known.
    pub order_id: Option<String>,
    /// Market ticker.
    pub ticker: String,
    /// Side.
    pub side: BookSide,
    /// Limit YES price.
    pub price: Price,
    /// Total count ordered (after amends).
    pub count: Count,
    /// Contracts filled: the larger of `filled_by_fills` and `filled_reported`.
    pub filled: Count,
    /// Sum of the fills seen for this order.
    pub filled_by_fills: Count,
    /// Highest fill count the exchange reported on an ack or order snapshot.
    pub filled_reported: Count,
    /// Contracts still resting (or that would rest once acknowledged).
    pub remaining: Count,
    /// Lifecycle status.
    pub status: OrderStatus,
    /// Request in flight.
    pub in_flight: Option<InFlight>,
    /// Cancel as soon as the exchange order id is known.
    pub cancel_requested: bool,
    /// Time in force.
    pub time_in_force: TimeInForce,
    /// Reduce-only flag.
    pub reduce_only: bool,
    /// Whether this system manages it (our id prefix); others only count toward exposure.
    pub managed: bool,
    /// When its current price/size was decided, Unix ns.
    pub quoted_ts_ns: i64,
    /// The full request, kept to retry a lost create under the same id.
    pub request: Option<PlaceOrder>,
}

impl OrderRecord {
    fn derived_live_status(&self) -> OrderStatus {
        if self.remaining.is_zero() {
            if self.filled >= self.count && !self.count.is_zero() {
                OrderStatus::Filled
            } else {
                OrderStatus::Cancelled
            }
        } else if self.filled.is_zero() {
            OrderStatus::Resting
        } else {
            OrderStatus::PartiallyFilled
        }
    }

    fn record_fill(&mut self, count: Count) {
        self.filled_by_fills = self.filled_by_fills + count;
        self.filled = self.filled_by_fills.max(self.filled_reported);
        let ceiling = self.count.saturating_sub(self.filled);
        self.remaining = self.remaining.min(ceiling);
    }

    /// Takes a cumulative fill count reported by the exchange (ack or order snapshot).
    fn note_reported_fill(&mut self, reported: Count) {
        self.filled_reported = self.filled_reported.max(reported);
        self.filled = self.filled_by_fills.max(self.filled_reported);
    }

    /// True when it is one of our resting GTC quotes (what the diff manages).
    fn is_quote(&self) -> bool {
        self.managed
            && self.time_in_force == TimeInForce::GoodTillCanceled
            && !self.status.is_terminal()
    }
}

/// What caused a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionCause {
    /// A request was sent.
    Sent,
    /// The exchange acknowledged a request.
    Acked,
    /// The exchange refused a request.
    Rejected,
    /// A request's outcome was lost.
    OutcomeUnknown,
    /// An order snapshot (stream or lookup).
    Snapshot,
    /// A lookup found nothing.
    LookupFoundNothing,
    /// A cancel was acknowledged.
    CancelAcked,
    /// A fill.
    Fill,
    /// Reconciliation adopted an order the engine did not know.
    ReconcileAdopted,
    /// Reconciliation did not find an order the engine thought live.
    ReconcileMissing,
    /// A retry intent was no longer wanted.
    Dropped,
}

/// One status change, journaled as a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTransition {
    /// Record key (client id, or `order:<id>` for foreign orders).
    pub key: String,
    /// Market ticker.
    pub ticker: String,
    /// Previous status (`None` for a new record).
    pub from: Option<OrderStatus>,
    /// New status.
    pub to: OrderStatus,
    /// Why.
    pub cause: TransitionCause,
}

impl fmt::Display for OrderTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from = self
            .from
            .map_or_else(|| "new".to_string(), |status| format!("{status:?}"));
        write!(
            f,
            "ORDER {} {} {}->{:?} ({:?})",
            self.key, self.ticker, from, self.to, self.cause
        )
    }
}

/// A fill as applied to the books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillApplied {
    /// Exchange fill id.
    pub fill_id: String,
    /// Market ticker.
    pub ticker: String,
    /// Side.
    pub side: BookSide,
    /// Execution YES price.
    pub yes_price: Price,
    /// Contracts.
    pub count: Count,
    /// Fee charged.
    pub fee: Money,
    /// Realized P&L before fees.
    pub realized: Money,
    /// Position afterwards.
    pub position_after: SignedCount,
}

impl fmt::Display for FillApplied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FILL_APPLIED {} {} {} {}@{} fee={} realized={} position={}",
            self.fill_id,
            self.ticker,
            self.side.as_str(),
            self.count,
            self.yes_price,
            self.fee,
            self.realized,
            self.position_after
        )
    }
}

/// What an event did to the order books: status changes, and follow-up requests that need
/// no risk approval (cancels, lookups).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// Status changes.
    pub transitions: Vec<OrderTransition>,
    /// Requests to send.
    pub commands: Vec<Command>,
}

/// Counts from one reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReconcileSummary {
    /// Orders of ours the engine did not know, now managed.
    pub adopted: u32,
    /// Foreign orders now counted toward exposure.
    pub foreign: u32,
    /// Orders the engine thought live that the exchange no longer has.
    pub missing: u32,
    /// Positions adopted.
    pub positions: u32,
}

/// A quote the strategy wants resting: a post-only GTC order at `price` for `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredQuote {
    /// Side.
    pub side: BookSide,
    /// YES price.
    pub price: Price,
    /// Contracts.
    pub count: Count,
}

/// A new create the diff wants, before risk approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceSpec {
    /// The quote.
    pub quote: DesiredQuote,
    /// The client id to reuse when this retries a lost create.
    pub retry_of: Option<ClientOrderId>,
}

/// The minimal requests that move working orders toward the desired quotes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffPlan {
    /// Orders to cancel.
    pub cancels: Vec<CancelOrder>,
    /// Orders to shrink in place (keeps queue priority).
    pub decreases: Vec<DecreaseOrder>,
    /// Orders to top up at the same price (needs risk approval).
    pub amends: Vec<AmendOrder>,
    /// New orders (need risk approval).
    pub places: Vec<PlaceSpec>,
    /// Status changes made while planning (dropped retry intents).
    pub transitions: Vec<OrderTransition>,
}

/// How many terminal (filled, cancelled, rejected) records stay reachable by client id and
/// exchange order id after they end, for late fills, acks and snapshots. Past this bound the
/// record retired longest ago is dropped; a late event for it is then treated like one for an
/// order the books never knew (a fill still moves the position).
pub const TERMINAL_ARCHIVE_MAX: usize = 10_000;

/// Which records are live (not terminal), per market, and the order terminal ones retired in.
/// Kept in step with the records by [`set_status`] and [`OrderManager::insert_record`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RecordIndex {
    /// Keys of every live record, in key order.
    live: BTreeSet<String>,
    /// Keys of the live records of each market, in key order.
    live_by_ticker: TickerMap<BTreeSet<String>>,
    /// Keys of terminal records by retirement number, oldest first.
    retired: BTreeMap<u64, String>,
    /// Retirement number of each terminal record.
    retired_seq: TickerMap<u64>,
    /// Next retirement number.
    next_seq: u64,
}

impl RecordIndex {
    /// Files `key` (a record of `ticker`) as live or retired according to `status`.
    fn track(&mut self, key: &str, ticker: &str, status: OrderStatus) {
        if status.is_terminal() {
            if self.live.remove(key) {
                self.remove_live_in(key, ticker);
            }
            if self.retired_seq.get(key).is_none() {
                self.retired_seq.insert(key, self.next_seq);
                self.retired.insert(self.next_seq, key.to_string());
                self.next_seq += 1;
            }
        } else {
            if let Some(seq) = self.retired_seq.remove(key) {
                self.retired.remove(&seq);
            }
            if !self.live.contains(key) {
                self.live.insert(key.to_string());
                self.live_by_ticker
                    .get_or_insert_with(ticker, BTreeSet::new)
                    .insert(key.to_string());
            }
        }
    }

    /// Drops every trace of `key` (a record of `ticker`).
    fn forget(&mut self, key: &str, ticker: &str) {
        if self.live.remove(key) {
            self.remove_live_in(key, ticker);
        }
        if let Some(seq) = self.retired_seq.remove(key) {
            self.retired.remove(&seq);
        }
    }

    fn remove_live_in(&mut self, key: &str, ticker: &str) {
        if let Some(keys) = self.live_by_ticker.get_mut(ticker) {
            keys.remove(key);
            if keys.is_empty() {
                self.live_by_ticker.remove(ticker);
            }
        }
    }

    /// Keys of the live records of `ticker`, in key order.
    fn live_in(&self, ticker: &str) -> impl Iterator<Item = &String> {
        self.live_by_ticker.get(ticker).into_iter().flatten()
    }
}

/// Sets the status of `record` (filed under `key`) and keeps `index` in step. Every status
/// change goes through here (or [`OrderManager::insert_record`] for a new record).
fn set_status(
    index: &mut RecordIndex,
    record: &mut OrderRecord,
    key: &str,
    to: OrderStatus,
) -> OrderStatus {
    let from = record.status;
    record.status = to;
    index.track(key, &record.ticker, to);
    from
}

/// The order books of the engine.
///
/// Records are kept in one map by key; an index lists the live (non-terminal) ones per market
/// so that exposure, the diff and requoting never look at finished orders. Terminal records
/// stay reachable until [`TERMINAL_ARCHIVE_MAX`] newer ones have ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderManager {
    orders: RecordStore<OrderRecord>,
    by_order_id: TickerMap<String>,
    seen_fills: BTreeSet<String>,
    positions: PositionLedger,
    index: RecordIndex,
    totals: ExposureTotals,
    archive_max: usize,
}

impl Default for OrderManager {
    fn default() -> OrderManager {
        OrderManager::with_archive_max(TERMINAL_ARCHIVE_MAX)
    }
}

impl OrderManager {
    /// Empty books keeping up to [`TERMINAL_ARCHIVE_MAX`] terminal records.
    pub fn new() -> OrderManager {
        OrderManager::default()
    }

    /// Empty books keeping up to `archive_max` terminal records (at least one).
    pub fn with_archive_max(archive_max: usize) -> OrderManager {
        OrderManager {
            orders: RecordStore::default(),
            by_order_id: TickerMap::new(),
            seen_fills: BTreeSet::new(),
            positions: PositionLedger::default(),
            index: RecordIndex::default(),
            totals: ExposureTotals::default(),
            archive_max: archive_max.max(1),
        }
    }

    /// Live (non-terminal) records, in key order.
    pub fn live_orders(&self) -> impl Iterator<Item = &OrderRecord> {
        self.index
            .live
            .iter()
            .filter_map(|key| self.orders.get(key))
    }

    /// Live records of `ticker` with their keys, in key order.
    fn live_records_in<'a>(
        &'a self,
        ticker: &str,
    ) -> impl Iterator<Item = (&'a String, &'a OrderRecord)> + 'a {
        let keys = self.index.live_by_ticker.get(ticker);
        keys.into_iter()
            .flatten()
            .filter_map(|key| self.orders.get(key).map(|record| (key, record)))
    }

    /// Stores `record` under `key` (new, or replacing the record there) and indexes it.
    fn insert_record(&mut self, key: String, record: OrderRecord) {
        if let Some(previous) = self.orders.get(&key)
            && previous.ticker != record.ticker
        {
            self.index.forget(&key, &previous.ticker);
        }
        self.index.track(&key, &record.ticker, record.status);
        self.orders.insert(&key, record);
        self.refresh(&key);
    }

    /// Brings the exposure totals in line with record `key` after it changed (or vanished).
    fn refresh(&mut self, key: &str) {
        let next = self
            .orders
            .get(key)
            .filter(|record| record.status.may_rest())
            .map(|record| {
                (
                    record.ticker.as_str(),
                    record.side,
                    record.remaining,
                    Money::notional(price_paid(record.side, record.price), record.remaining),
                )
            });
        match next {
            Some((ticker, side, remaining, notional)) => {
                if self
                    .totals
                    .contributes(key, ticker, side, remaining, notional)
                {
                    return;
                }
                let contribution = Contribution {
                    ticker: ticker.to_string(),
                    side,
                    remaining,
                    notional,
                };
                self.totals.set_contribution(key, Some(contribution));
            }
            None => self.totals.set_contribution(key, None),
        }
    }

    /// Applies `change` to the position of `ticker` and carries the difference into the
    /// exposure totals.
    fn change_position<R>(
        &mut self,
        ticker: &str,
        change: impl FnOnce(&mut PositionLedger) -> R,
    ) -> R {
        let before = self.positions.get(ticker);
        let result = change(&mut self.positions);
        let after = self.positions.get(ticker);
        self.totals.position_changed(
            ticker,
            (before.position, before.cost),
            (after.position, after.cost),
        );
        result
    }

    /// The event market `ticker` is filed under, if any.
    pub fn event_of(&self, ticker: &str) -> Option<&str> {
        self.totals.event_of(ticker)
    }

    /// Files market `ticker` under `event` for the per-event exposure totals (a market moved
    /// to another event leaves the old one).
    pub fn assign_event(&mut self, ticker: &str, event: &str) {
        if self.totals.event_of(ticker) == Some(event) {
            return;
        }
        let position = self.positions.get(ticker).position;
        self.totals.assign_event(ticker, event, position);
    }

    /// Drops the terminal records retired longest ago beyond the archive bound.
    fn evict_archived(&mut self) {
        while self.index.retired.len() > self.archive_max {
            let Some((_, key)) = self.index.retired.pop_first() else {
                break;
            };
            self.index.retired_seq.remove(&key);
            if let Some(record) = self.orders.remove(&key)
                && let Some(order_id) = record.order_id
                && self.by_order_id.get(&order_id) == Some(&key)
            {
                self.by_order_id.remove(&order_id);
            }
        }
    }

    /// Positions by market.
    pub fn positions(&self) -> &PositionLedger {
        &self.positions
    }

    /// Every record still held (live ones and the bounded archive of terminal ones), in key
    /// order.
    pub fn orders(&self) -> impl Iterator<Item = &OrderRecord> {
        self.orders.values()
    }

    /// The record for a client id.
    pub fn get(&self, client_order_id: &ClientOrderId) -> Option<&OrderRecord> {
        self.orders.get(client_order_id.as_str())
    }

    /// Records a create as sent (new record, or a retry of an `Intent`).
    pub fn record_place_sent(&mut self, order: &PlaceOrder, ts_ns: i64) -> OrderTransition {
        let key = order.client_order_id.as_str().to_string();
        let from = self.orders.get(&key).map(|record| record.status);
        let record = OrderRecord {
            client_order_id: Some(order.client_order_id.clone()),
            order_id: None,
            ticker: order.ticker.clone(),
            side: order.side,
            price: order.price,
            count: order.count,
            filled: Count::ZERO,
            filled_by_fills: Count::ZERO,
            filled_reported: Count::ZERO,
            remaining: order.count,
            status: OrderStatus::Pending,
            in_flight: Some(InFlight::Place),
            cancel_requested: false,
            time_in_force: order.time_in_force,
            reduce_only: order.reduce_only,
            managed: true,
            quoted_ts_ns: ts_ns,
            request: Some(order.clone()),
        };
        self.insert_record(key.clone(), record);
        OrderTransition {
            key,
            ticker: order.ticker.clone(),
            from,
            to: OrderStatus::Pending,
            cause: TransitionCause::Sent,
        }
    }

    /// Marks a request other than a create as sent.
    pub fn record_sent(
        &mut self,
        client_order_id: &ClientOrderId,
        in_flight: InFlight,
        ts_ns: i64,
    ) {
        if let Some(record) = self.orders.get_mut(client_order_id.as_str()) {
            record.in_flight = Some(in_flight);
            if matches!(in_flight, InFlight::Amend { .. }) {
                record.quoted_ts_ns = ts_ns;
            }
        }
    }

    fn transition(
        index: &mut RecordIndex,
        record: &mut OrderRecord,
        key: &str,
        to: OrderStatus,
        cause: TransitionCause,
    ) -> Option<OrderTransition> {
        let from = set_status(index, record, key, to);
        (from != to).then(|| OrderTransition {
            key: key.to_string(),
            ticker: record.ticker.clone(),
            from: Some(from),
            to,
            cause,
        })
    }

    fn cancel_command(record: &OrderRecord) -> Option<Command> {
        let client_order_id = record.client_order_id.clone()?;
        Some(Command::Cancel(CancelOrder {
            client_order_id,
            order_id: record.order_id.clone(),
            ticker: record.ticker.clone(),
        }))
    }

    /// The exchange accepted a create, amend or decrease.
    pub fn on_ack(&mut self, ack: &OrderAck) -> Effects {
        let mut effects = Effects::default();
        let key = ack.client_order_id.as_str().to_string();
        let Some(record) = self.orders.get_mut(&key) else {
            return effects;
        };
        if record.order_id.is_none() {
            record.order_id = Some(ack.order_id.clone());
            self.by_order_id.insert(&ack.order_id, key.clone());
        }
        match (ack.request, record.in_flight) {
            (RequestKind::Amend, Some(InFlight::Amend { price, total_count })) => {
                record.price = price;
                record.count = total_count;
            }
            (RequestKind::Decrease, Some(InFlight::Decrease { reduce_to })) => {
                record.count = record.filled + reduce_to;
            }
            _ => {}
        }
        record.in_flight = None;
        record.note_reported_fill(ack.fill_count);
        record.remaining = ack
            .remaining_count
            .min(record.count.saturating_sub(record.filled));
        let status = record.derived_live_status();
        effects.transitions.extend(Self::transition(
            &mut self.index,
            record,
            &key,
            status,
            TransitionCause::Acked,
        ));
        if record.cancel_requested && !record.status.is_terminal() {
            record.in_flight = Some(InFlight::Cancel);
            effects.commands.extend(Self::cancel_command(record));
        }
        self.refresh(&key);
        self.evict_archived();
        effects
    }

    /// The exchange refused a request.
    pub fn on_rejected(&mut self, rejected: &OrderRejected) -> Effects {
        let mut effects = Effects::default();
        let key = rejected.client_order_id.as_str().to_string();
        let Some(record) = self.orders.get_mut(&key) else {
            return effects;
        };
        record.in_flight = None;
        match rejected.request {
            RequestKind::Place => {
                record.remaining = Count::ZERO;
                effects.transitions.extend(Self::transition(
                    &mut self.index,
                    record,
                    &key,
                    OrderStatus::Rejected,
                    TransitionCause::Rejected,
                ));
            }
            RequestKind::Cancel => {
                // Usually the order is already gone; ask rather than guess.
                record.in_flight = Some(InFlight::Lookup);
                effects.transitions.extend(Self::transition(
                    &mut self.index,
                    record,
                    &key,
                    OrderStatus::Unknown,
                    TransitionCause::Rejected,
                ));
                effects.commands.push(Command::LookupOrder {
                    client_order_id: rejected.client_order_id.clone(),
                    ticker: record.ticker.clone(),
                });
            }
            RequestKind::Amend | RequestKind::Decrease => {}
        }
        self.refresh(&key);
        self.evict_archived();
        effects
    }

    /// A request's outcome was lost: mark Unknown and look the order up before anything else.
    pub fn on_unknown(&mut self, client_order_id: &ClientOrderId) -> Effects {
        let mut effects = Effects::default();
        let key = client_order_id.as_str().to_string();
        let Some(record) = self.orders.get_mut(&key) else {
            return effects;
        };
        record.in_flight = Some(InFlight::Lookup);
        effects.transitions.extend(Self::transition(
            &mut self.index,
            record,
            &key,
            OrderStatus::Unknown,
            TransitionCause::OutcomeUnknown,
        ));
        effects.commands.push(Command::LookupOrder {
            client_order_id: client_order_id.clone(),
            ticker: record.ticker.clone(),
        });
        self.refresh(&key);
        effects
    }

    /// A lookup found nothing: a lost create becomes an Intent to retry; anything else is gone.
    pub fn on_not_found(&mut self, client_order_id: &ClientOrderId) -> Effects {
        let mut effects = Effects::default();
        let key = client_order_id.as_str().to_string();
        let Some(record) = self.orders.get_mut(&key) else {
            return effects;
        };
        record.in_flight = None;
        let never_acked = record.order_id.is_none();
        let to = if never_acked
            && record.filled.is_zero()
            && !record.cancel_requested
            && record.request.is_some()
        {
            OrderStatus::Intent
        } else {
            record.remaining = Count::ZERO;
            OrderStatus::Cancelled
        };
        effects.transitions.extend(Self::transition(
            &mut self.index,
            record,
            &key,
            to,
            TransitionCause::LookupFoundNothing,
        ));
        self.refresh(&key);
        self.evict_archived();
        effects
    }

    /// A cancel was acknowledged.
    pub fn on_cancel_ack(&mut self, ack: &CancelAck) -> Effects {
        let mut effects = Effects::default();
        let key = ack.client_order_id.as_str().to_string();
        let Some(record) = self.orders.get_mut(&key) else {
            return effects;
        };
        record.in_flight = None;
        record.remaining = Count::ZERO;
        if record.order_id.is_none() {
            record.order_id = Some(ack.order_id.clone());
            self.by_order_id.insert(&ack.order_id, key.clone());
        }
        effects.transitions.extend(Self::transition(
            &mut self.index,
            record,
            &key,
            OrderStatus::Cancelled,
            TransitionCause::CancelAcked,
        ));
        self.refresh(&key);
        self.evict_archived();
        effects
    }

    fn key_for(&self, client_order_id: Option<&str>, order_id: &str) -> Option<String> {
        if let Some(id) = client_order_id
            && self.orders.contains_key(id)
        {
            return Some(id.to_string());
        }
        self.by_order_id.get(order_id).cloned()
    }

    /// The exchange's view of one order (stream or lookup). Unknown orders of ours are
    /// adopted; foreign resting orders are tracked for exposure only.
    pub fn on_snapshot(&mut self, snapshot: &OrderSnapshot, cause: TransitionCause) -> Effects {
        let effects = self.apply_snapshot(snapshot, cause);
        if let Some(key) = self.key_for(snapshot.client_order_id.as_deref(), &snapshot.order_id) {
            self.refresh(&key);
        }
        effects
    }

    fn apply_snapshot(&mut self, snapshot: &OrderSnapshot, cause: TransitionCause) -> Effects {
        let mut effects = Effects::default();
        let key = match self.key_for(snapshot.client_order_id.as_deref(), &snapshot.order_id) {
            Some(key) => key,
            None => {
                if snapshot.status != ExchangeOrderStatus::Resting {
                    return effects;
                }
                let (key, client_order_id) = foreign_or_ours(snapshot);
                let managed = client_order_id.as_ref().is_some_and(ClientOrderId::is_ours);
                let record = OrderRecord {
                    client_order_id,
                    order_id: Some(snapshot.order_id.clone()),
                    ticker: snapshot.ticker.clone(),
                    side: snapshot.side,
                    price: snapshot.yes_price,
                    count: snapshot
                        .initial_count
                        .unwrap_or(snapshot.fill_count + snapshot.remaining_count),
                    filled: snapshot.fill_count,
                    filled_by_fills: Count::ZERO,
                    filled_reported: snapshot.fill_count,
                    remaining: snapshot.remaining_count,
                    status: OrderStatus::Resting,
                    in_flight: None,
                    cancel_requested: false,
                    time_in_force: TimeInForce::GoodTillCanceled,
                    reduce_only: false,
                    managed,
                    quoted_ts_ns: snapshot.ts_ns,
                    request: None,
                };
                let status = record.derived_live_status();
                let record = OrderRecord { status, ..record };
                self.by_order_id.insert(&snapshot.order_id, key.clone());
                effects.transitions.push(OrderTransition {
                    key: key.clone(),
                    ticker: snapshot.ticker.clone(),
                    from: None,
                    to: status,
                    cause: TransitionCause::ReconcileAdopted,
                });
                self.insert_record(key, record);
                self.evict_archived();
                return effects;
            }
        };
        let Some(record) = self.orders.get_mut(&key) else {
            return effects;
        };
        if record.order_id.is_none() {
            record.order_id = Some(snapshot.order_id.clone());
            self.by_order_id.insert(&snapshot.order_id, key.clone());
        }
        if matches!(
            record.in_flight,
            Some(InFlight::Lookup) | Some(InFlight::Place)
        ) {
            record.in_flight = None;
        }
        record.note_reported_fill(snapshot.fill_count);
        let to = match snapshot.status {
            ExchangeOrderStatus::Resting => {
                record.price = snapshot.yes_price;
                record.remaining = snapshot.remaining_count;
                record.count = record.count.max(record.filled + record.remaining);
                record.derived_live_status()
            }
            ExchangeOrderStatus::Canceled => {
                record.remaining = Count::ZERO;
                OrderStatus::Cancelled
            }
            ExchangeOrderStatus::Executed => {
                record.remaining = Count::ZERO;
                record.count = record.filled;
                OrderStatus::Filled
            }
            ExchangeOrderStatus::Unknown => return effects,
        };
        effects
            .transitions
            .extend(Self::transition(&mut self.index, record, &key, to, cause));
        if record.cancel_requested && !record.status.is_terminal() && record.in_flight.is_none() {
            record.in_flight = Some(InFlight::Cancel);
            effects.commands.extend(Self::cancel_command(record));
        }
        self.evict_archived();
        effects
    }

    /// Applies one of our fills. Returns `None` for a fill already seen.
    pub fn on_fill(&mut self, fill: &OwnFill) -> Option<(FillApplied, Effects)> {
        if !self.seen_fills.insert(fill.fill_id.clone()) {
            return None;
        }
        let mut effects = Effects::default();
        let realized = self.change_position(&fill.ticker, |positions| {
            let realized = positions.apply_fill(
                &fill.ticker,
                fill.side,
                fill.yes_price,
                fill.count,
                fill.fee,
            );
            if let Some(post_position) = fill.post_position {
                positions.correct_position(&fill.ticker, post_position);
            }
            realized
        });
        let key = self.key_for(fill.client_order_id.as_deref(), &fill.order_id);
        if let Some(key) = &key
            && let Some(record) = self.orders.get_mut(key)
        {
            record.record_fill(fill.count);
            if !matches!(
                record.status,
                OrderStatus::Pending | OrderStatus::Unknown | OrderStatus::Intent
            ) || record.remaining.is_zero()
            {
                let status = record.derived_live_status();
                effects.transitions.extend(Self::transition(
                    &mut self.index,
                    record,
                    key,
                    status,
                    TransitionCause::Fill,
                ));
            }
        }
        if let Some(key) = &key {
            self.refresh(key);
        }
        let applied = FillApplied {
            fill_id: fill.fill_id.clone(),
            ticker: fill.ticker.clone(),
            side: fill.side,
            yes_price: fill.yes_price,
            count: fill.count,
            fee: fill.fee,
            realized,
            position_after: self.positions.get(&fill.ticker).position,
        };
        self.evict_archived();
        Some((applied, effects))
    }

    /// Startup/reconnect reconciliation: adopt the exchange's orders and positions; orders the
    /// engine thought resting that the exchange no longer lists are marked cancelled. Creates
    /// still in flight are left to their own answer.
    pub fn reconcile(
        &mut self,
        orders: &[OrderSnapshot],
        positions: &[PositionSnapshot],
    ) -> (ReconcileSummary, Effects) {
        let mut summary = ReconcileSummary::default();
        let mut effects = Effects::default();
        let mut listed: BTreeSet<String> = BTreeSet::new();
        for snapshot in orders {
            let known = self.key_for(snapshot.client_order_id.as_deref(), &snapshot.order_id);
            let mut step = self.on_snapshot(snapshot, TransitionCause::Snapshot);
            if known.is_none() {
                for transition in &step.transitions {
                    if self
                        .orders
                        .get(&transition.key)
                        .is_some_and(|record| record.managed)
                    {
                        summary.adopted += 1;
                    } else {
                        summary.foreign += 1;
                    }
                }
            }
            if let Some(key) = self.key_for(snapshot.client_order_id.as_deref(), &snapshot.order_id)
            {
                listed.insert(key);
            }
            effects.transitions.append(&mut step.transitions);
            effects.commands.append(&mut step.commands);
        }
        let live_keys: Vec<String> = self.index.live.iter().cloned().collect();
        for key in &live_keys {
            let Some(record) = self.orders.get_mut(key) else {
                continue;
            };
            let live = matches!(
                record.status,
                OrderStatus::Resting | OrderStatus::PartiallyFilled | OrderStatus::Unknown
            );
            if live && !listed.contains(key) && record.in_flight != Some(InFlight::Place) {
                record.remaining = Count::ZERO;
                record.in_flight = None;
                summary.missing += 1;
                effects.transitions.extend(Self::transition(
                    &mut self.index,
                    record,
                    key,
                    OrderStatus::Cancelled,
                    TransitionCause::ReconcileMissing,
                ));
                self.refresh(key);
            }
        }
        let reported: BTreeSet<&str> = positions
            .iter()
            .map(|position| position.ticker.as_str())
            .collect();
        let stale: Vec<String> = self
            .positions
            .iter()
            .filter(|(ticker, position)| {
                position.position.centi() != 0 && !reported.contains(ticker)
            })
            .map(|(ticker, _)| ticker.to_string())
            .collect();
        for ticker in stale {
            self.change_position(&ticker, |ledger| {
                ledger.correct_position(&ticker, SignedCount::ZERO);
            });
        }
        for position in positions {
            self.change_position(&position.ticker, |ledger| ledger.adopt_snapshot(position));
            summary.positions += 1;
        }
        self.evict_archived();
        (summary, effects)
    }

    /// Cancels every live managed order in `ticker` (or everywhere when `None`). Orders not yet
    /// acknowledged are cancelled as soon as their id is known.
    pub fn cancel_orders(&mut self, ticker: Option<&str>) -> Vec<Command> {
        let mut commands = Vec::new();
        let keys: Vec<String> = match ticker {
            Some(ticker) => self.index.live_in(ticker).cloned().collect(),
            None => self.index.live.iter().cloned().collect(),
        };
        for key in &keys {
            let Some(record) = self.orders.get_mut(key) else {
                continue;
            };
            if !record.managed
                || record.status.is_terminal()
                || ticker.is_some_and(|t| t != record.ticker)
            {
                continue;
            }
            if record.status == OrderStatus::Intent {
                set_status(&mut self.index, record, key, OrderStatus::Cancelled);
                record.remaining = Count::ZERO;
                self.refresh(key);
                continue;
            }
            record.cancel_requested = true;
            let sendable = record.order_id.is_some()
                && matches!(
                    record.status,
                    OrderStatus::Resting | OrderStatus::PartiallyFilled
                )
                && !matches!(
                    record.in_flight,
                    Some(InFlight::Cancel) | Some(InFlight::Lookup)
                );
            if sendable {
                record.in_flight = Some(InFlight::Cancel);
                commands.extend(Self::cancel_command(record));
            }
        }
        self.evict_archived();
        commands
    }

    /// The managed quotes (GTC) working in `ticker`.
    pub fn working_quotes<'a>(
        &'a self,
        ticker: &'a str,
    ) -> impl Iterator<Item = &'a OrderRecord> + 'a {
        self.live_records_in(ticker)
            .map(|(_, record)| record)
            .filter(|record| record.is_quote())
    }

    /// The requests that move the working quotes of `ticker` toward `desired`.
    pub fn diff(&mut self, ticker: &str, desired: &[DesiredQuote]) -> DiffPlan {
        let mut plan = DiffPlan::default();
        // The market's live quotes, looked up once, in key order; each may match a desired
        // quote unless a cancel is already requested, and is flagged once one has taken it.
        let mut quotes: Vec<(&str, &OrderRecord, bool)> = self
            .live_records_in(ticker)
            .filter(|(_, record)| record.ticker == ticker && record.is_quote())
            .map(|(key, record)| (key.as_str(), record, false))
            .collect();
        for quote in desired {
            let candidate = quotes.iter_mut().find(|(_, record, taken)| {
                !*taken
                    && !record.cancel_requested
                    && record.side == quote.side
                    && record.price == quote.price
            });
            let Some((_, record, taken)) = candidate else {
                plan.places.push(PlaceSpec {
                    quote: *quote,
                    retry_of: None,
                });
                continue;
            };
            *taken = true;
            let record: &OrderRecord = record;
            if record.status == OrderStatus::Intent {
                let retry_of = record.client_order_id.clone();
                plan.places.push(PlaceSpec {
                    quote: *quote,
                    retry_of,
                });
                continue;
            }
            let steady = record.in_flight.is_none()
                && matches!(
                    record.status,
                    OrderStatus::Resting | OrderStatus::PartiallyFilled
                );
            let (Some(client_order_id), Some(order_id), true) =
                (&record.client_order_id, &record.order_id, steady)
            else {
                continue;
            };
            if record.remaining > quote.count {
                plan.decreases.push(DecreaseOrder {
                    client_order_id: client_order_id.clone(),
                    order_id: order_id.clone(),
                    ticker: ticker.to_string(),
                    reduce_to: quote.count,
                });
            } else if record.remaining.centi() * 2 < quote.count.centi() {
                plan.amends.push(AmendOrder {
                    client_order_id: client_order_id.clone(),
                    order_id: order_id.clone(),
                    ticker: ticker.to_string(),
                    side: record.side,
                    price: record.price,
                    total_count: record.filled + quote.count,
                    remaining_count: quote.count,
                });
            }
        }
        // Quotes no desired quote took: dropped (a retry intent) or cancelled. Usually none,
        // and then nothing is allocated.
        let unmatched: Vec<String> = quotes
            .iter()
            .filter(|(_, _, taken)| !taken)
            .map(|(key, _, _)| (*key).to_string())
            .collect();
        for key in &unmatched {
            let Some(record) = self.orders.get_mut(key) else {
                continue;
            };
            if record.status == OrderStatus::Intent {
                record.remaining = Count::ZERO;
                plan.transitions.extend(Self::transition(
                    &mut self.index,
                    record,
                    key,
                    OrderStatus::Cancelled,
                    TransitionCause::Dropped,
                ));
                self.refresh(key);
                continue;
            }
            let sendable = record.in_flight.is_none()
                && record.order_id.is_some()
                && matches!(
                    record.status,
                    OrderStatus::Resting | OrderStatus::PartiallyFilled
                );
            if sendable && let Some(Command::Cancel(cancel)) = Self::cancel_command(record) {
                plan.cancels.push(cancel);
            }
        }
        self.evict_archived();
        plan
    }

    /// Position plus resting orders in `ticker`, leaving out the record `excluding`; and the
    /// number of open orders there. O(1) from the running totals.
    pub fn market_exposure(
        &self,
        ticker: &str,
        excluding: Option<&ClientOrderId>,
    ) -> (ScopeExposure, u32) {
        let market = self.totals.market(ticker);
        let mut exposure = ScopeExposure {
            position: self.positions.get(ticker).position,
            resting_bid: market.resting_bid,
            resting_ask: market.resting_ask,
        };
        let mut open = market.open;
        if let Some(excluded) = self.excluded(excluding)
            && excluded.ticker == ticker
        {
            remove_resting(&mut exposure, excluded.side, excluded.remaining);
            open = open.saturating_sub(1);
        }
        debug_assert_eq!(
            (exposure, open),
            self.market_exposure_walk(ticker, excluding)
        );
        (exposure, open)
    }

    /// Position plus resting orders over every market filed under `event` (see
    /// [`OrderManager::assign_event`]), leaving out `excluding`; `None` for an event no market
    /// was filed under. O(1) from the running totals.
    pub fn event_exposure(
        &self,
        event: &str,
        excluding: Option<&ClientOrderId>,
    ) -> Option<ScopeExposure> {
        let mut exposure = self.totals.event(event)?;
        if let Some(excluded) = self.excluded(excluding)
            && self.totals.event_of(&excluded.ticker) == Some(event)
        {
            remove_resting(&mut exposure, excluded.side, excluded.remaining);
        }
        Some(exposure)
    }

    /// Money at risk over the account: the cost of every position plus the price paid by every
    /// order that may rest, leaving out `excluding`. O(1) from the running totals.
    pub fn account_exposure(&self, excluding: Option<&ClientOrderId>) -> Money {
        let mut total = self.totals.account();
        if let Some(excluded) = self.excluded(excluding) {
            total = total - excluded.notional;
        }
        debug_assert_eq!(total, self.account_exposure_walk(excluding));
        total
    }

    /// The contribution of the record `excluding` names, if it may rest.
    fn excluded(&self, excluding: Option<&ClientOrderId>) -> Option<&Contribution> {
        excluding.and_then(|id| self.totals.contribution(id.as_str()))
    }

    /// [`OrderManager::market_exposure`] by walking the live records (the reference the
    /// running totals are checked against).
    fn market_exposure_walk(
        &self,
        ticker: &str,
        excluding: Option<&ClientOrderId>,
    ) -> (ScopeExposure, u32) {
        let mut exposure = ScopeExposure {
            position: self.positions.get(ticker).position,
            ..ScopeExposure::default()
        };
        let mut open: u32 = 0;
        for (key, record) in self.live_records_in(ticker) {
            if record.ticker != ticker
                || !record.status.may_rest()
                || excluding.is_some_and(|id| id.as_str() == key)
            {
                continue;
            }
            open += 1;
            match record.side {
                BookSide::Bid => exposure.resting_bid = exposure.resting_bid + record.remaining,
                BookSide::Ask => exposure.resting_ask = exposure.resting_ask + record.remaining,
            }
        }
        (exposure, open)
    }

    /// [`OrderManager::account_exposure`] by walking every position and live record.
    fn account_exposure_walk(&self, excluding: Option<&ClientOrderId>) -> Money {
        let mut total = Money::ZERO;
        for (_, position) in self.positions.iter() {
            total = total + position.cost;
        }
        for (key, record) in self
            .index
            .live
            .iter()
            .filter_map(|key| self.orders.get(key).map(|record| (key, record)))
        {
            if record.status.may_rest() && excluding.is_none_or(|id| id.as_str() != key) {
                total = total
                    + Money::notional(price_paid(record.side, record.price), record.remaining);
            }
        }
        total
    }

    /// Marks the live quote records of `ticker` as freshly quoted (their age restarts).
    pub fn mark_quoted(&mut self, ticker: &str, ts_ns: i64) {
        for key in self.index.live_in(ticker) {
            if let Some(record) = self.orders.get_mut(key)
                && record.is_quote()
            {
                record.quoted_ts_ns = ts_ns;
            }
        }
    }
}

fn remove_resting(exposure: &mut ScopeExposure, side: BookSide, count: Count) {
    match side {
        BookSide::Bid => exposure.resting_bid = exposure.resting_bid.saturating_sub(count),
        BookSide::Ask => exposure.resting_ask = exposure.resting_ask.saturating_sub(count),
    }
}

fn foreign_or_ours(snapshot: &OrderSnapshot) -> (String, Option<ClientOrderId>) {
    match snapshot
        .client_order_id
        .as_deref()
        .map(ClientOrderId::parse)
    {
        Some(Ok(id)) => (id.as_str().to_string(), Some(id)),
        _ => (format!("order:{}", snapshot.order_id), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SelfTradePrevention;

    fn id(text: &str) -> ClientOrderId {
        ClientOrderId::parse(text).unwrap()
    }
    fn price(text: &str) -> Price {
        Price::parse(text).unwrap()
    }
    fn count(contracts: i64) -> Count {
        Count::from_contracts(contracts).unwrap()
    }
    fn place(client: &str, side: BookSide, price_text: &str, contracts: i64) -> PlaceOrder {
        PlaceOrder {
            client_order_id: id(client),
            ticker: "M".to_string(),
            side,
            price: price(price_text),
            count: count(contracts),
            time_in_force: TimeInForce::GoodTillCanceled,
            post_only: true,
            reduce_only: false,
            self_trade_prevention: SelfTradePrevention::TakerAtCross,
            cancel_order_on_pause: true,
            expiration_ts_s: None,
            order_group_id: None,
        }
    }
    fn ack(client: &str, order_id: &str, filled: i64, remaining: i64) -> OrderAck {
        OrderAck {
            client_order_id: id(client),
            order_id: order_id.to_string(),
            request: RequestKind::Place,
            fill_count: count(filled),
            remaining_count: count(remaining),
        }
    }
    fn fill(fill_id: &str, client: &str, order_id: &str, contracts: i64) -> OwnFill {
        OwnFill {
            fill_id: fill_id.to_string(),
            order_id: order_id.to_string(),
            client_order_id: Some(client.to_string()),
            ticker: "M".to_string(),
            side: BookSide::Bid,
            yes_price: price("0.40"),
            count: count(contracts),
            is_taker: false,
            fee: Money::ZERO,
            post_position: None,
            ts_ns: 0,
        }
    }

    #[test]
    fn lifecycle_pending_resting_partial_filled() {
        let mut manager = OrderManager::new();
        manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
        assert_eq!(
            manager.get(&id("kb-r-1")).unwrap().status,
            OrderStatus::Pending
        );
        manager.on_ack(&ack("kb-r-1", "o1", 0, 10));
        assert_eq!(
            manager.get(&id("kb-r-1")).unwrap().status,
            OrderStatus::Resting
        );
        manager.on_fill(&fill("f1", "kb-r-1", "o1", 4)).unwrap();
        let record = manager.get(&id("kb-r-1")).unwrap();
        assert_eq!(
            (record.status, record.remaining),
            (OrderStatus::PartiallyFilled, count(6))
        );
        manager.on_fill(&fill("f2", "kb-r-1", "o1", 6)).unwrap();
        assert_eq!(
            manager.get(&id("kb-r-1")).unwrap().status,
            OrderStatus::Filled
        );
        assert_eq!(
            manager.positions().get("M").position,
            SignedCount::from_centi(1_000)
        );
    }

    #[test]
    fn ack_reporting_fills_before_the_fill_messages_counts_them_once() {
        let mut manager = OrderManager::new();
        manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
        // The create response reports 4 immediate fills before the WS fill arrives.
        manager.on_ack(&ack("kb-r-1", "o1", 4, 6));
        manager.on_fill(&fill("f1", "kb-r-1", "o1", 4)).unwrap();
        let record = manager.get(&id("kb-r-1")).unwrap();
        assert_eq!(
            (record.filled, record.remaining, record.status),
            (count(4), count(6), OrderStatus::PartiallyFilled)
        );
        // A later fill beyond what the ack reported adds on top.
        manager.on_fill(&fill("f2", "kb-r-1", "o1", 6)).unwrap();
        let record = manager.get(&id("kb-r-1")).unwrap();
        assert_eq!(
            (record.filled, record.remaining, record.status),
            (count(10), count(0), OrderStatus::Filled)
        );
    }

    #[test]
    fn duplicate_fills_and_ack_after_fill_count_once() {
        let mut manager = OrderManager::new();
        manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
        manager.on_fill(&fill("f1", "kb-r-1", "o1", 4)).unwrap();
        assert!(manager.on_fill(&fill("f1", "kb-r-1", "o1", 4)).is_none());
        // The ack reports the same 4 immediate fills.
        manager.on_ack(&ack("kb-r-1", "o1", 4, 6));
        let record = manager.get(&id("kb-r-1")).unwrap();
        assert_eq!(
            (record.filled, record.remaining, record.status),
            (count(4), count(6), OrderStatus::PartiallyFilled)
        );
        assert_eq!(
            manager.positions().get("M").position,
            SignedCount::from_centi(400)
        );
    }

    #[test]
    fn unknown_outcome_looks_up_then_retries_with_the_same_id() {
        let mut manager = OrderManager::new();
        manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
        let effects = manager.on_unknown(&id("kb-r-1"));
        assert_eq!(
            effects.commands,
            vec![Command::LookupOrder {
                client_order_id: id("kb-r-1"),
                ticker: "M".to_string()
            }]
        );
        // While the lookup is out, the diff sends nothing for that rung.
        let desired = [DesiredQuote {
            side: BookSide::Bid,
            price: price("0.40"),
            count: count(10),
        }];
        let plan = manager.diff("M", &desired);
        assert!(plan.places.is_empty() && plan.cancels.is_empty());
        manager.on_not_found(&id("kb-r-1"));
        let plan = manager.diff("M", &desired);
        assert_eq!(plan.places.len(), 1);
        assert_eq!(plan.places[0].retry_of, Some(id("kb-r-1")));
        // No longer wanted: the intent is dropped, nothing is sent.
        let plan = manager.diff("M", &[]);
        assert!(plan.places.is_empty() && plan.cancels.is_empty());
        assert_eq!(
            manager.get(&id("kb-r-1")).unwrap().status,
            OrderStatus::Cancelled
        );
    }

    #[test]
    fn diff_keeps_matching_quotes_shrinks_in_place_and_replaces_moved_ones() {
        let mut manager = OrderManager::new();
        manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
        manager.record_place_sent(&place("kb-r-2", BookSide::Bid, "0.39", 10), 0);
        manager.on_ack(&ack("kb-r-1", "o1", 0, 10));
        manager.on_ack(&ack("kb-r-2", "o2", 0, 10));
        let desired = [
            DesiredQuote {
                side: BookSide::Bid,
                price: price("0.40"),
                count: count(6),
            },
            DesiredQuote {
                side: BookSide::Bid,
                price: price("0.38"),
                count: count(10),
            },
        ];
        let plan = manager.diff("M", &desired);
        assert_eq!(plan.decreases.len(), 1);
        assert_eq!(plan.decreases[0].reduce_to, count(6));
        assert_eq!(plan.cancels.len(), 1);
        assert_eq!(plan.cancels[0].client_order_id, id("kb-r-2"));
        assert_eq!(plan.places.len(), 1);
        assert_eq!(plan.places[0].quote.price, price("0.38"));
        assert!(plan.amends.is_empty());
    }

    #[test]
    fn cancel_before_ack_is_sent_once_the_id_is_known() {
        let mut manager = OrderManager::new();
        manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
        assert!(manager.cancel_orders(Some("M")).is_empty());
        let effects = manager.on_ack(&ack("kb-r-1", "o1", 0, 10));
        assert_eq!(effects.commands.len(), 1);
        assert!(
            matches!(&effects.commands[0], Command::Cancel(cancel) if cancel.order_id.as_deref() == Some("o1"))
        );
    }

    fn cancel_ack(client: &str, order_id: &str) -> CancelAck {
        CancelAck {
            client_order_id: id(client),
            order_id: order_id.to_string(),
            reduced_by: Count::ZERO,
        }
    }

    #[test]
    fn terminal_records_beyond_the_archive_bound_are_dropped_oldest_first() {
        let mut manager = OrderManager::with_archive_max(2);
        for n in 1..=3 {
            let client = format!("kb-r-{n}");
            manager.record_place_sent(&place(&client, BookSide::Bid, "0.40", 10), 0);
            manager.on_ack(&ack(&client, &format!("o{n}"), 0, 10));
            manager.on_cancel_ack(&cancel_ack(&client, &format!("o{n}")));
        }
        manager.record_place_sent(&place("kb-r-4", BookSide::Bid, "0.41", 5), 0);
        assert!(manager.get(&id("kb-r-1")).is_none());
        assert_eq!(
            manager.get(&id("kb-r-2")).unwrap().status,
            OrderStatus::Cancelled
        );
        assert_eq!(manager.orders().count(), 3);
        assert_eq!(manager.live_orders().count(), 1);
        // A late fill for an archived order still finds its record through the order id.
        let mut late = fill("f9", "kb-r-3", "o3", 2);
        late.client_order_id = None;
        manager.on_fill(&late).unwrap();
        assert_eq!(manager.get(&id("kb-r-3")).unwrap().filled, count(2));
        // Only the live order counts toward exposure.
        let (exposure, open) = manager.market_exposure("M", None);
        assert_eq!((exposure.resting_bid, open), (count(5), 1));
        assert_eq!(
            manager.account_exposure(None),
            Money::from_micros(2_050_000) + manager.positions().get("M").cost
        );
    }

    #[test]
    fn a_cancelled_order_reported_resting_again_counts_as_live() {
        let mut manager = OrderManager::new();
        manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
        manager.on_ack(&ack("kb-r-1", "o1", 0, 10));
        manager.on_cancel_ack(&cancel_ack("kb-r-1", "o1"));
        assert_eq!(manager.working_quotes("M").count(), 0);
        assert_eq!(manager.market_exposure("M", None).1, 0);
        let snapshot = OrderSnapshot {
            order_id: "o1".to_string(),
            client_order_id: Some("kb-r-1".to_string()),
            ticker: "M".to_string(),
            side: BookSide::Bid,
            yes_price: price("0.40"),
            status: ExchangeOrderStatus::Resting,
            fill_count: Count::ZERO,
            remaining_count: count(7),
            initial_count: None,
            last_update_reason: None,
            ts_ns: 0,
        };
        manager.on_snapshot(&snapshot, TransitionCause::Snapshot);
        assert_eq!(manager.working_quotes("M").count(), 1);
        let (exposure, open) = manager.market_exposure("M", None);
        assert_eq!((exposure.resting_bid, open), (count(7), 1));
        assert_eq!(
            manager.account_exposure(None),
            Money::from_micros(2_800_000)
        );
        // Excluding the order leaves nothing.
        assert_eq!(manager.market_exposure("M", Some(&id("kb-r-1"))).1, 0);
        assert_eq!(manager.account_exposure(Some(&id("kb-r-1"))), Money::ZERO);
        // Cancelling everything retires it again.
        let commands = manager.cancel_orders(None);
        assert_eq!(commands.len(), 1);
        manager.on_cancel_ack(&cancel_ack("kb-r-1", "o1"));
        assert_eq!(manager.live_orders().count(), 0);
    }

    #[test]
    fn reconcile_adopts_ours_tracks_foreign_and_cancels_missing() {
        let mut manager = OrderManager::new();
        manager.record_place_sent(&place("kb-r-1", BookSide::Bid, "0.40", 10), 0);
        manager.on_ack(&ack("kb-r-1", "o1", 0, 10));
        let snapshot = |order_id: &str, client: Option<&str>| OrderSnapshot {
            order_id: order_id.to_string(),
            client_order_id: client.map(str::to_string),
            ticker: "M".to_string(),
            side: BookSide::Ask,
            yes_price: price("0.60"),
            status: ExchangeOrderStatus::Resting,
            fill_count: Count::ZERO,
            remaining_count: count(5),
            initial_count: None,
            last_update_reason: None,
            ts_ns: 0,
        };
        let positions = [PositionSnapshot {
            ticker: "M".to_string(),
            position: SignedCount::from_centi(-300),
            cost: Money::from_micros(1_200_000),
            realized_pnl: Money::ZERO,
            fees_paid: Money::ZERO,
        }];
        let (summary, _) = manager.reconcile(
            &[
                snapshot("o7", Some("kb-old-3")),
                snapshot("o8", Some("manual-1")),
            ],
            &positions,
        );
        assert_eq!(
            summary,
            ReconcileSummary {
                adopted: 1,
                foreign: 1,
                missing: 1,
                positions: 1
            }
        );
        assert_eq!(
            manager.get(&id("kb-r-1")).unwrap().status,
            OrderStatus::Cancelled
        );
        assert!(manager.get(&id("kb-old-3")).unwrap().managed);
        assert!(!manager.get(&id("manual-1")).unwrap().managed);
        let (exposure, open) = manager.market_exposure("M", None);
        assert_eq!((exposure.resting_ask, open), (count(10), 2));
        assert_eq!(exposure.position, SignedCount::from_centi(-300));
        // Only the adopted order of ours is cancelled; the foreign one is left alone.
        let cancels = manager.cancel_orders(None);
        assert_eq!(cancels.len(), 1);
        assert_eq!(cancels[0].client_order_id(), Some(&id("kb-old-3")));
    }

    mod running_totals {
        use proptest::prelude::*;

        use super::*;

        const TICKERS: [&str; 3] = ["A-1", "A-2", "B-1"];

        /// One thing that can happen to the books.
        #[derive(Debug, Clone)]
        enum Step {
            Place {
                order: u8,
                market: u8,
                bid: bool,
                cents: i64,
                contracts: i64,
            },
            Ack {
                order: u8,
                filled: i64,
                remaining: i64,
            },
            Fill {
                order: u8,
                fill: u16,
                contracts: i64,
                post_position: Option<i64>,
            },
            CancelAll {
                market: Option<u8>,
            },
            CancelAck {
                order: u8,
            },
            Unknown {
                order: u8,
            },
            NotFound {
                order: u8,
            },
            Rejected {
                order: u8,
            },
            Snapshot {
                order: u8,
                status: u8,
                remaining: i64,
                cents: i64,
            },
            Diff {
                market: u8,
                cents: i64,
                contracts: i64,
            },
            Reconcile {
                keep: Vec<u8>,
                position: i64,
            },
            /// Market "A-2" moves to the other event.
            MoveEvent,
        }

        fn step() -> impl Strategy<Value = Step> {
            let order = 0u8..6;
            prop_oneof![
                (order.clone(), 0u8..3, any::<bool>(), 1i64..99, 1i64..20).prop_map(
                    |(order, market, bid, cents, contracts)| Step::Place {
                        order,
                        market,
                        bid,
                        cents,
                        contracts
                    }
                ),
                (order.clone(), 0i64..5, 0i64..20).prop_map(|(order, filled, remaining)| {
                    Step::Ack {
                        order,
                        filled,
                        remaining,
                    }
                }),
                (
                    order.clone(),
                    0u16..40,
                    1i64..10,
                    proptest::option::of(-30i64..30)
                )
                    .prop_map(|(order, fill, contracts, post_position)| {
                        Step::Fill {
                            order,
                            fill,
                            contracts,
                            post_position,
                        }
                    }),
                proptest::option::of(0u8..3).prop_map(|market| Step::CancelAll { market }),
                order.clone().prop_map(|order| Step::CancelAck { order }),
                order.clone().prop_map(|order| Step::Unknown { order }),
                order.clone().prop_map(|order| Step::NotFound { order }),
                order.clone().prop_map(|order| Step::Rejected { order }),
                (order, 0u8..4, 0i64..20, 1i64..99).prop_map(
                    |(order, status, remaining, cents)| Step::Snapshot {
                        order,
                        status,
                        remaining,
                        cents,
                    }
                ),
                (0u8..3, 1i64..99, 1i64..20).prop_map(|(market, cents, contracts)| {
                    Step::Diff {
                        market,
                        cents,
                        contracts,
                    }
                }),
                (proptest::collection::vec(0u8..6, 0..4), -20i64..20)
                    .prop_map(|(keep, position)| Step::Reconcile { keep, position }),
                Just(Step::MoveEvent),
            ]
        }

        fn client(order: u8) -> String {
            format!("kb-p-{order}")
        }

        fn cents(value: i64) -> Price {
            Price::from_cents(value).unwrap()
        }

        /// Every ticker's event; market 1 ("A-2") can move between events.
        fn events(moved: bool) -> [&'static str; 3] {
            if moved {
                ["A", "B", "B"]
            } else {
                ["A", "A", "B"]
            }
        }

        fn apply(manager: &mut OrderManager, step: &Step, moved: &mut bool, tickers: &mut [u8; 6]) {
            match step {
                Step::Place {
                    order,
                    market,
                    bid,
                    cents: c,
                    contracts,
                } => {
                    tickers[usize::from(*order)] = *market;
                    let mut request = place(
                        &client(*order),
                        if *bid { BookSide::Bid } else { BookSide::Ask },
                        "0.50",
                        *contracts,
                    );
                    request.ticker = TICKERS[usize::from(*market)].to_string();
                    request.price = cents(*c);
                    manager.record_place_sent(&request, 0);
                }
                Step::Ack {
                    order,
                    filled,
                    remaining,
                } => {
                    manager.on_ack(&ack(
                        &client(*order),
                        &format!("ex-{order}"),
                        *filled,
                        *remaining,
                    ));
                }
                Step::Fill {
                    order,
                    fill: fill_number,
                    contracts,
                    post_position,
                } => {
                    let mut applied = fill(
                        &format!("f-{fill_number}"),
                        &client(*order),
                        &format!("ex-{order}"),
                        *contracts,
                    );
                    applied.ticker = TICKERS[usize::from(tickers[usize::from(*order)])].to_string();
                    applied.post_position = post_position.map(|p| SignedCount::from_centi(p * 100));
                    manager.on_fill(&applied);
                }
                Step::CancelAll { market } => {
                    manager.cancel_orders(market.map(|m| TICKERS[usize::from(m)]));
                }
                Step::CancelAck { order } => {
                    manager.on_cancel_ack(&CancelAck {
                        client_order_id: id(&client(*order)),
                        order_id: format!("ex-{order}"),
                        reduced_by: count(1),
                    });
                }
                Step::Unknown { order } => {
                    manager.on_unknown(&id(&client(*order)));
                }
                Step::NotFound { order } => {
                    manager.on_not_found(&id(&client(*order)));
                }
                Step::Rejected { order } => {
                    manager.on_rejected(&OrderRejected {
                        client_order_id: id(&client(*order)),
                        request: RequestKind::Place,
                        code: "invalid_order".to_string(),
                        message: String::new(),
                    });
                }
                Step::Snapshot {
                    order,
                    status,
                    remaining,
                    cents: c,
                } => {
                    manager.on_snapshot(
                        &snapshot_of(*order, *status, *remaining, *c, tickers),
                        TransitionCause::Snapshot,
                    );
                }
                Step::Diff {
                    market,
                    cents: c,
                    contracts,
                } => {
                    let quote = DesiredQuote {
                        side: BookSide::Bid,
                        price: cents(*c),
                        count: count(*contracts),
                    };
                    manager.diff(TICKERS[usize::from(*market)], &[quote]);
                }
                Step::Reconcile { keep, position } => {
                    let orders: Vec<OrderSnapshot> = keep
                        .iter()
                        .map(|order| snapshot_of(*order, 0, 3, 40, tickers))
                        .collect();
                    let positions = vec![PositionSnapshot {
                        ticker: TICKERS[0].to_string(),
                        position: SignedCount::from_centi(position * 100),
                        cost: Money::from_micros(position.abs() * 400_000),
                        realized_pnl: Money::ZERO,
                        fees_paid: Money::ZERO,
                    }];
                    manager.reconcile(&orders, &positions);
                }
                Step::MoveEvent => {
                    *moved = !*moved;
                    manager.assign_event(TICKERS[1], events(*moved)[1]);
                }
            }
        }

        fn snapshot_of(
            order: u8,
            status: u8,
            remaining: i64,
            c: i64,
            tickers: &[u8; 6],
        ) -> OrderSnapshot {
            OrderSnapshot {
                order_id: format!("ex-{order}"),
                client_order_id: Some(client(order)),
                ticker: TICKERS[usize::from(tickers[usize::from(order)])].to_string(),
                side: BookSide::Ask,
                yes_price: cents(c),
                status: match status {
                    0 => ExchangeOrderStatus::Resting,
                    1 => ExchangeOrderStatus::Canceled,
                    2 => ExchangeOrderStatus::Executed,
                    _ => ExchangeOrderStatus::Unknown,
                },
                fill_count: Count::ZERO,
                remaining_count: count(remaining),
                initial_count: None,
                last_update_reason: None,
                ts_ns: 0,
            }
        }

        /// The totals agree with walking the records, for every scope and every exclusion.
        fn check(manager: &OrderManager, moved: bool) -> Result<(), TestCaseError> {
            let mut exclusions: Vec<Option<ClientOrderId>> = vec![None];
            exclusions.extend((0u8..6).map(|order| Some(id(&client(order)))));
            for excluding in &exclusions {
                let excluding = excluding.as_ref();
                prop_assert_eq!(
                    manager.account_exposure(excluding),
                    manager.account_exposure_walk(excluding)
                );
                for event in ["A", "B"] {
                    let mut walked = ScopeExposure::default();
                    for (ticker, _) in TICKERS
                        .iter()
                        .zip(events(moved))
                        .filter(|(_, of)| *of == event)
                    {
                        let (market, open) = manager.market_exposure(ticker, excluding);
                        prop_assert_eq!(
                            (market, open),
                            manager.market_exposure_walk(ticker, excluding)
                        );
                        walked.position = walked.position + market.position;
                        walked.resting_bid = walked.resting_bid + market.resting_bid;
                        walked.resting_ask = walked.resting_ask + market.resting_ask;
                    }
                    prop_assert_eq!(manager.event_exposure(event, excluding), Some(walked));
                }
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn running_totals_equal_a_full_walk_after_any_sequence(
                steps in proptest::collection::vec(step(), 1..60),
                file_first in any::<bool>(),
            ) {
                let mut manager = OrderManager::with_archive_max(4);
                let mut moved = false;
                let mut tickers = [0u8; 6];
                // Markets may be filed under their events before or after orders exist.
                if file_first {
                    for (ticker, event) in TICKERS.iter().zip(events(false)) {
                        manager.assign_event(ticker, event);
                    }
                }
                for (number, step) in steps.iter().enumerate() {
                    apply(&mut manager, step, &mut moved, &mut tickers);
                    if !file_first && number == steps.len() / 2 {
                        for (ticker, event) in TICKERS.iter().zip(events(moved)) {
                            manager.assign_event(ticker, event);
                        }
                    }
                    if file_first || number >= steps.len() / 2 {
                        check(&manager, moved)?;
                    }
                }
            }
        }
    }
}
