//! What stops our orders besides fills and our own cancels, as the local exchange models it:
//! order groups (the matched-contracts kill switch), trading pauses and market close.
//!
//! - **Order groups.** A group counts the contracts its orders match (as maker or taker) over
//!   a rolling [`ORDER_GROUP_WINDOW_NS`] window. When the total exceeds the group's limit the
//!   group triggers: every resting order of it is cancelled (an `OrderSnapshot`, status
//!   canceled, no update reason, as Kalshi's `user_order` reports it) and places naming it are
//!   refused with `order_group_triggered` until [`FillSimulator::reset_order_group`]. An
//!   arriving order that triggers its own group stops taking and does not rest. A place naming
//!   a group the simulator was not told about joins a group without a limit, which never
//!   triggers on its own.
//! - **Trading pauses.** `ExchangeStatus { trading_active: false }` starts a pause: orders
//!   placed with `cancel_order_on_pause` are cancelled (`HaltCancel`), places and amends are
//!   refused with `trading_paused`; cancels and decreases still work. A market `deactivated`
//!   by its lifecycle refuses places and amends with `market_not_active` and keeps its resting
//!   orders; when it is `activated` again every resting order of it is cancelled
//!   (`HaltCancel`), as on Kalshi.
//! - **Market close.** At the close time of the market's listing (or of a later
//!   `close_date_updated`), every resting order of it is cancelled (`CloseCancel`) and places
//!   are refused with `market_not_active`. Kalshi sends no message at the scheduled close, so
//!   the close is time-driven: [`FillSimulator::next_close_due_ns`] says when the next one is
//!   due. A listing whose status is past trading, or a `determined`/`settled` lifecycle
//!   change, closes the market at once. A close time moved past now re-opens a closed market
//!   whose result is not known yet.

use std::collections::VecDeque;

use kalshi_core::Count;
use kalshi_core::events::Event;
use kalshi_core::market_data::{
    ExchangeOrderStatus, LifecycleChange, LifecycleKind, MarketInfo, MarketStatus,
};

use super::{FillSimulator, SimEvent, market_entry, snapshot_of};

/// The rolling window an order group counts matched contracts over, ns (Kalshi's 15 s).
pub const ORDER_GROUP_WINDOW_NS: i64 = 15_000_000_000;

/// `last_update_reason` of an order cancelled because its market closed.
pub const CLOSE_CANCEL: &str = "CloseCancel";
/// `last_update_reason` of an order cancelled by a trading pause or a market's re-activation.
pub const HALT_CANCEL: &str = "HaltCancel";

/// One order group's state in the simulator.
#[derive(Debug, Clone, Default)]
pub(super) struct SimGroup {
    /// Matched contracts above which the group triggers; `None` never triggers on its own.
    limit: Option<Count>,
    triggered: bool,
    /// Matched contracts inside the window, oldest first: (time ns, count).
    window: VecDeque<(i64, Count)>,
    window_total: Count,
}

impl SimGroup {
    fn evict(&mut self, now_ns: i64) {
        while let Some(&(ts_ns, count)) = self.window.front() {
            if ts_ns > now_ns.saturating_sub(ORDER_GROUP_WINDOW_NS) {
                break;
            }
            self.window.pop_front();
            self.window_total = self.window_total.saturating_sub(count);
        }
    }

    /// Records matched contracts; true when the window total now exceeds the limit.
    fn record_match(&mut self, now_ns: i64, count: Count) -> bool {
        self.evict(now_ns);
        self.window.push_back((now_ns, count));
        self.window_total = self.window_total + count;
        self.limit.is_some_and(|limit| self.window_total > limit)
    }
}

/// An order group as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderGroupState {
    /// Matched contracts above which the group triggers (`None`: no limit known).
    pub contracts_limit: Option<Count>,
    /// True once triggered and until reset.
    pub triggered: bool,
    /// Contracts matched inside the window as of the simulator's latest time.
    pub window_matched: Count,
}

/// Why the exchange refuses a place or amend in a market right now, as (code, message).
pub(super) type Refusal = (&'static str, &'static str);

impl FillSimulator {
    /// Declares an order group with its matched-contracts limit (as creating it on the
    /// exchange does), or changes the limit of a known one; a group whose window already
    /// exceeds the new limit triggers at once, cancelling its resting orders.
    pub fn create_order_group(
        &mut self,
        ts_ns: i64,
        order_group_id: &str,
        contracts_limit: Option<Count>,
    ) -> Vec<SimEvent> {
        self.note_time(ts_ns);
        let group = self.groups.entry(order_group_id.to_string()).or_default();
        group.limit = contracts_limit;
        group.evict(self.now_ns);
        let exceeded =
            !group.triggered && contracts_limit.is_some_and(|limit| group.window_total > limit);
        let mut events = Vec::new();
        if exceeded {
            self.trigger_group(order_group_id, None, &mut events);
        }
        self.stamp(events)
    }

    /// Triggers a group by hand: its resting orders are cancelled and new ones refused until
    /// it is reset. An unknown group is created triggered.
    pub fn trigger_order_group(&mut self, ts_ns: i64, order_group_id: &str) -> Vec<SimEvent> {
        self.note_time(ts_ns);
        self.groups.entry(order_group_id.to_string()).or_default();
        let mut events = Vec::new();
        self.trigger_group(order_group_id, None, &mut events);
        self.stamp(events)
    }

    /// Clears a group's window and lifts its trigger; false when the group is unknown.
    pub fn reset_order_group(&mut self, order_group_id: &str) -> bool {
        match self.groups.get_mut(order_group_id) {
            Some(group) => {
                group.window.clear();
                group.window_total = Count::ZERO;
                group.triggered = false;
                true
            }
            None => false,
        }
    }

    /// A group's state, when the simulator knows it.
    pub fn order_group(&self, order_group_id: &str) -> Option<OrderGroupState> {
        let mut group = self.groups.get(order_group_id)?.clone();
        group.evict(self.now_ns);
        Some(OrderGroupState {
            contracts_limit: group.limit,
            triggered: group.triggered,
            window_matched: group.window_total,
        })
    }

    /// False while a trading pause (`ExchangeStatus { trading_active: false }`) is in force.
    pub fn trading_active(&self) -> bool {
        !self.trading_paused
    }

    /// True when the simulator has closed `ticker` (its close time passed, or the data said
    /// it closed).
    pub fn market_closed(&self, ticker: &str) -> bool {
        self.markets.get(ticker).is_some_and(|market| market.closed)
    }

    /// When the next market closes, Unix ns: the earliest close time, among markets not
    /// closed yet, that the listings and lifecycle changes gave.
    pub fn next_close_due_ns(&self) -> Option<i64> {
        self.close_schedule.first().map(|(close_ns, _)| *close_ns)
    }

    /// Closes every market whose close time is at or before `until_ns`, earliest first, and
    /// returns the cancellations of their resting orders (each at its market's close time, or
    /// at the simulator's latest time if that is later).
    pub fn run_closes_until(&mut self, until_ns: i64) -> Vec<SimEvent> {
        let mut out = Vec::new();
        while self
            .close_schedule
            .first()
            .is_some_and(|(close_ns, _)| *close_ns <= until_ns)
        {
            let Some((close_ns, ticker)) = self.close_schedule.pop_first() else {
                break;
            };
            self.note_time(close_ns);
            let mut events = Vec::new();
            self.close_market(&ticker, false, &mut events);
            out.extend(self.stamp(events));
        }
        out
    }

    /// Moves the simulator's time forward (never back).
    pub(super) fn note_time(&mut self, ts_ns: i64) {
        self.now_ns = self.now_ns.max(ts_ns);
    }

    /// Events of the simulator's latest time.
    pub(super) fn stamp(&self, events: Vec<Event>) -> Vec<SimEvent> {
        let ts_ns = self.now_ns;
        events
            .into_iter()
            .map(|event| SimEvent { ts_ns, event })
            .collect()
    }

    /// Why a place or amend in `ticker` is refused now, if it is.
    pub(super) fn refusal(&self, ticker: &str) -> Option<Refusal> {
        if self.trading_paused {
            return Some(("trading_paused", "trading paused"));
        }
        let market = self.markets.get(ticker)?;
        (market.closed || market.deactivated).then_some(("market_not_active", "market not active"))
    }

    /// True when the group named `order_group_id` is triggered.
    pub(super) fn group_triggered(&self, order_group_id: Option<&str>) -> bool {
        order_group_id
            .and_then(|id| self.groups.get(id))
            .is_some_and(|group| group.triggered)
    }

    /// Makes sure a group named by a place exists (without a limit when it is new).
    pub(super) fn ensure_group(&mut self, order_group_id: &str) {
        if !self.groups.contains_key(order_group_id) {
            self.groups
                .insert(order_group_id.to_string(), SimGroup::default());
        }
    }

    /// Adds `count` contracts matched by an order of group `group_id` to the group's window
    /// and triggers the group when that takes it over its limit. `arriving` names an order
    /// still arriving whose own taking fills these are: it is not a resting member yet, so the
    /// trigger does not cancel it (it simply does not rest).
    pub(super) fn record_group_fill(
        &mut self,
        ts_ns: i64,
        group_id: &str,
        count: Count,
        arriving: Option<&str>,
        events: &mut Vec<Event>,
    ) {
        let Some(group) = self.groups.get_mut(group_id) else {
            return;
        };
        if group.record_match(ts_ns, count) && !group.triggered {
            self.trigger_group(group_id, arriving, events);
        }
    }

    /// Triggers a group: cancels its resting orders (but `except`) and marks it triggered.
    fn trigger_group(
        &mut self,
        order_group_id: &str,
        except: Option<&str>,
        events: &mut Vec<Event>,
    ) {
        if let Some(group) = self.groups.get_mut(order_group_id) {
            group.triggered = true;
        }
        let members: Vec<String> = self
            .live
            .iter()
            .filter(|(key, order)| {
                order.order_group_id.as_deref() == Some(order_group_id)
                    && except != Some(key.as_str())
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in members {
            self.cancel_unsolicited(&key, None, events);
        }
    }

    /// The exchange cancelled the live order `key` on its own (`user_order`: canceled).
    fn cancel_unsolicited(&mut self, key: &str, reason: Option<&str>, events: &mut Vec<Event>) {
        let Some(order) = self.live.get(key) else {
            return;
        };
        let mut snapshot = snapshot_of(order, ExchangeOrderStatus::Canceled, self.now_ns);
        snapshot.last_update_reason = reason.map(str::to_string);
        events.push(Event::OrderSnapshot(snapshot.clone()));
        self.retire_with(key, snapshot);
    }

    /// Cancels every resting order of `ticker` with `reason`, in client-id order.
    fn cancel_market_orders(&mut self, ticker: &str, reason: &str, events: &mut Vec<Event>) {
        let mut keys: Vec<String> = self
            .markets
            .get(ticker)
            .map(|market| market.resting.clone())
            .unwrap_or_default();
        keys.sort_unstable();
        for key in keys {
            self.cancel_unsolicited(&key, Some(reason), events);
        }
    }

    /// Closes a market now: resting orders cancelled, places refused from here on.
    fn close_market(&mut self, ticker: &str, determined: bool, events: &mut Vec<Event>) {
        let market = market_entry(&mut self.markets, ticker);
        market.determined |= determined;
        if market.closed {
            return;
        }
        market.closed = true;
        if let Some(close_ns) = market.close_time_ns {
            self.close_schedule.remove(&(close_ns, ticker.to_string()));
        }
        self.cancel_market_orders(ticker, CLOSE_CANCEL, events);
    }

    /// Sets a market's close time: schedules its close, or re-opens it when it closed and the
    /// new time is later than now (a result not yet known).
    fn set_close_time(&mut self, ticker: &str, close_ns: i64) {
        let now_ns = self.now_ns;
        let market = market_entry(&mut self.markets, ticker);
        if market.close_time_ns == Some(close_ns) {
            // Every listing repeats it: nothing changes.
            return;
        }
        if let Some(old_ns) = market.close_time_ns.replace(close_ns) {
            self.close_schedule.remove(&(old_ns, ticker.to_string()));
        }
        if market.closed && !market.determined && close_ns > now_ns {
            market.closed = false;
        }
        if !market.closed {
            self.close_schedule.insert((close_ns, ticker.to_string()));
        }
    }

    /// A trading pause starts or ends.
    pub(super) fn on_exchange_status(&mut self, trading_active: bool, events: &mut Vec<Event>) {
        if trading_active {
            self.trading_paused = false;
            return;
        }
        if self.trading_paused {
            return;
        }
        self.trading_paused = true;
        let keys: Vec<String> = self
            .live
            .iter()
            .filter(|(_, order)| order.cancel_order_on_pause)
            .map(|(key, _)| key.clone())
            .collect();
        for key in keys {
            self.cancel_unsolicited(&key, Some(HALT_CANCEL), events);
        }
    }

    /// A listing's status and close time.
    pub(super) fn on_listing(&mut self, info: &MarketInfo, events: &mut Vec<Event>) {
        if let Some(close_ns) = info.close_time_ns {
            self.set_close_time(&info.ticker, close_ns);
        }
        match info.status {
            MarketStatus::Active => self.reactivate(&info.ticker, events),
            MarketStatus::Inactive => {
                market_entry(&mut self.markets, &info.ticker).deactivated = true;
            }
            MarketStatus::Closed => self.close_market(&info.ticker, false, events),
            MarketStatus::Determined
            | MarketStatus::Disputed
            | MarketStatus::Amended
            | MarketStatus::Finalized => self.close_market(&info.ticker, true, events),
            MarketStatus::Initialized => {}
        }
    }

    /// A market lifecycle change.
    pub(super) fn on_lifecycle(&mut self, change: &LifecycleChange, events: &mut Vec<Event>) {
        match change.kind {
            LifecycleKind::Created | LifecycleKind::CloseDateUpdated => {
                if let Some(close_ns) = change.close_time_ns {
                    self.set_close_time(&change.ticker, close_ns);
                }
            }
            LifecycleKind::Deactivated => {
                market_entry(&mut self.markets, &change.ticker).deactivated = true;
            }
            LifecycleKind::Activated => self.reactivate(&change.ticker, events),
            LifecycleKind::Determined | LifecycleKind::Settled => {
                self.close_market(&change.ticker, true, events);
            }
            LifecycleKind::PriceLevelStructureUpdated | LifecycleKind::MetadataUpdated => {}
        }
    }

    /// A deactivated market trades again: its resting orders are cancelled.
    fn reactivate(&mut self, ticker: &str, events: &mut Vec<Event>) {
        let Some(market) = self.markets.get_mut(ticker) else {
            return;
        };
        if market.deactivated {
            market.deactivated = false;
            self.cancel_market_orders(ticker, HALT_CANCEL, events);
        }
    }
}
