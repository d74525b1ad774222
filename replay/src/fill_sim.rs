//! Simulated execution: the exchange a backtest trades against.
//!
//! The simulator keeps the visible book of every market from the data, turns the engine's
//! commands into the events a live exchange would send back (`OrderAck`, `OrderRejected`,
//! `OwnFill`, `CancelAck`, `OrderSnapshot`, `OrderNotFound`), and decides fills of our
//! hypothetical resting orders with a queue model. Everything is deterministic: order ids are
//! `sim-o-<n>` and fill ids `sim-f-<n>` in creation order, and simultaneous actions run in
//! submission order.
//!
//! # The fill model
//!
//! - **Latency.** A place, amend or lookup reaches the book `entry_latency_ns` after the
//!   command; a cancel, decrease or cancel-all `cancel_latency_ns` after. Until then the book
//!   does not know about it: a trade at our price during the entry latency does not fill us,
//!   and a fill can land before a cancel takes effect.
//! - **Arrival.** A post-only order that would cross the visible book at arrival is rejected
//!   (`post_only_cross`). Other crossing orders take the visible opposite levels, best first,
//!   as a taker (taker fee); IOC remainders are cancelled, FOK orders that cannot fill
//!   completely are cancelled whole, GTC remainders rest. A resting order joins the back of
//!   its level: `queue_ahead` = the visible size there on arrival (`queue_position = back`,
//!   the default; `front` assumes nothing ahead).
//! - **Trades at our price.** A trade against our side at our price first consumes the
//!   visible queue ahead of us; only the excess fills us (100 ahead: 99 traded → no fill,
//!   101 traded → 1 filled). Several of our orders at one level share the volume in arrival
//!   order.
//! - **Trades through our price.** A trade whose taker is on the other side at a price
//!   strictly beyond ours (a sell-taker trade below our bid, a buy-taker trade above our ask)
//!   means our level was exhausted: we fill at our price for `min(remaining, traded size)`,
//!   orders with better prices first. Trades whose taker is on our own side never fill us.
//! - **Amends.** An amend that keeps the price and does not add contracts keeps the order's
//!   place in the queue; any other amend rejoins the level at the back.
//! - **Cancels by others.** A decrease at our level that is not explained by trades already
//!   seen there moves us up according to [`CancelPosition`].
//! - A crossed visible book without a trade does not fill us: fills come from the tape only.
//! - **Fees.** Exact, via `kalshi_core::fees`: maker fees on resting fills, taker fees on
//!   crossing arrivals, either classic per-fill cent rounding or the 2026 trade fee with
//!   balance rounding and per-order rebates ([`FeeRounding`]).
//! - **Fills before acknowledgements.** When an arrival takes liquidity, its fills are
//!   reported before its `OrderAck` (whose `fill_count` already includes them).
//! - **Order groups, trading pauses, market close.** Modelled as the local exchange does
//!   (rules in `fill_sim/halts.rs`): a group over its matched-contracts limit cancels its
//!   resting orders and refuses new ones until reset; a pause cancels the orders placed with
//!   `cancel_order_on_pause` and refuses places and amends; at its close time a market's
//!   resting orders are cancelled (`OrderSnapshot`s with Kalshi's update reasons).
//! - **Finished orders.** The last [`FINISHED_SNAPSHOTS_MAX`] finished orders answer lookups
//!   with their final state; older ones keep only their client id, so a reused id is still
//!   refused however long the run, while memory grows by an id, not an order, per order.

mod arrival;
mod changes;
mod halts;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::{
    AmendOrder, CancelOrder, Command, DecreaseOrder, PlaceOrder, TimeInForce,
};
use kalshi_core::ev_gate::fallback_fee_schedule;
use kalshi_core::events::{CancelAck, Event, OrderAck, OrderRejected, RequestKind};
use kalshi_core::fees::{FeeSchedule, FillTerms, Liquidity, RoundingAccumulator, TargetPrecision};
use kalshi_core::market_data::{
    BookDelta, ExchangeOrderStatus, FeeParams, OrderSnapshot, OwnFill, PublicTrade,
};
use kalshi_core::ticker_map::TickerMap;
use kalshi_core::{BookSide, Count, Money, Price, SignedCount};

use crate::error::ReplayError;
pub use crate::fill_model::{FeeRounding, FillModelConfig, QueuePosition};
pub use crate::sim_book::CancelPosition;
use crate::sim_book::{VisibleBook, queue_after_cancels};
pub use halts::{CLOSE_CANCEL, HALT_CANCEL, ORDER_GROUP_WINDOW_NS, OrderGroupState};

/// An event the simulated exchange produced, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct SimEvent {
    /// When it happened, Unix ns.
    pub ts_ns: i64,
    /// What the exchange reports.
    pub event: Event,
}

/// One of our resting orders, as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveOrder {
    /// Exchange order id.
    pub order_id: String,
    /// Our client id.
    pub client_order_id: ClientOrderId,
    /// The market it rests in.
    pub ticker: String,
    /// `Bid` buys YES, `Ask` sells YES.
    pub side: BookSide,
    /// Limit YES price.
    pub price: Price,
    /// Contracts still resting.
    pub remaining: Count,
    /// Contracts filled so far.
    pub filled: Count,
    /// Visible contracts ahead of us at our level.
    pub queue_ahead: Count,
    post_only: bool,
    priority: u64,
    rounding: RoundingAccumulator,
    #[serde(default)]
    order_group_id: Option<String>,
    #[serde(default)]
    cancel_order_on_pause: bool,
}

#[derive(Debug, Clone)]
enum Action {
    Place(PlaceOrder),
    Cancel(CancelOrder),
    Amend(AmendOrder),
    Decrease(DecreaseOrder),
    CancelAll,
    Lookup { client_order_id: ClientOrderId },
}

#[derive(Debug, Clone, Default)]
struct SimMarket {
    book: VisibleBook,
    fee: Option<FeeParams>,
    position: SignedCount,
    last_trade: Option<Price>,
    /// When the market closes, Unix ns, as the data last said.
    close_time_ns: Option<i64>,
    /// Past its close: resting orders were cancelled, places are refused.
    closed: bool,
    /// Its result is known: a later close time does not re-open it.
    determined: bool,
    /// Paused by its lifecycle (`deactivated`): places and amends are refused.
    deactivated: bool,
    /// Client ids of our orders resting here.
    resting: Vec<String>,
    /// Listed in the simulator's changed markets.
    changed: bool,
}

/// The simulated market `ticker`, created empty on first sight (no key copy when it exists).
fn market_entry<'a>(
    markets: &'a mut BTreeMap<String, SimMarket>,
    ticker: &str,
) -> &'a mut SimMarket {
    if !markets.contains_key(ticker) {
        markets.insert(ticker.to_string(), SimMarket::default());
    }
    markets
        .get_mut(ticker)
        .unwrap_or_else(|| unreachable!("inserted just above"))
}

/// How many finished orders keep their full final state for lookups (the engine itself
/// forgets finished orders after `kalshi_core::orders::TERMINAL_ARCHIVE_MAX`).
pub const FINISHED_SNAPSHOTS_MAX: usize = 10_000;

/// The simulated exchange. See the module documentation for the rules.
#[derive(Debug, Clone)]
pub struct FillSimulator {
    config: FillModelConfig,
    precision: TargetPrecision,
    markets: BTreeMap<String, SimMarket>,
    live: BTreeMap<String, LiveOrder>,
    /// Final state of the most recently finished orders, by client id.
    done: TickerMap<OrderSnapshot>,
    /// Client ids in `done`, oldest first.
    done_order: VecDeque<String>,
    /// Client ids of finished orders whose final state was dropped.
    done_ids: TickerMap<()>,
    pending: BTreeMap<(i64, u64), Action>,
    next_action: u64,
    next_order: u64,
    next_fill: u64,
    next_priority: u64,
    /// Order groups by id.
    groups: BTreeMap<String, halts::SimGroup>,
    /// A trading pause is in force.
    trading_paused: bool,
    /// Close times of markets not closed yet: (close ns, ticker).
    close_schedule: BTreeSet<(i64, String)>,
    /// The latest time the simulator has seen, Unix ns.
    now_ns: i64,
    /// Markets changed since the last `clear_changed` (first `changed_len` entries valid).
    changed: Vec<String>,
    changed_len: usize,
}

impl FillSimulator {
    /// A simulator with no markets and no orders.
    pub fn new(config: FillModelConfig) -> Result<FillSimulator, ReplayError> {
        config.validate()?;
        let precision =
            TargetPrecision::from_micros(config.fee_target_precision_micros).map_err(|error| {
                ReplayError::InvalidConfig {
                    field: "fee_target_precision_micros",
                    reason: error.to_string(),
                }
            })?;
        Ok(FillSimulator {
            config,
            precision,
            markets: BTreeMap::new(),
            live: BTreeMap::new(),
            done: TickerMap::new(),
            done_order: VecDeque::new(),
            done_ids: TickerMap::new(),
            pending: BTreeMap::new(),
            next_action: 0,
            next_order: 0,
            next_fill: 0,
            next_priority: 0,
            groups: BTreeMap::new(),
            trading_paused: false,
            close_schedule: BTreeSet::new(),
            now_ns: i64::MIN,
            changed: Vec::new(),
            changed_len: 0,
        })
    }

    /// The settings in force.
    pub fn config(&self) -> &FillModelConfig {
        &self.config
    }

    /// Accepts a command sent at `ts_ns`; it takes effect after the configured latency.
    pub fn submit(&mut self, ts_ns: i64, command: &Command) {
        let entry_ns = ts_ns.saturating_add(self.config.entry_latency_ns);
        let cancel_ns = ts_ns.saturating_add(self.config.cancel_latency_ns);
        let (due_ns, action) = match command {
            Command::Place(order) => {
                self.place(ts_ns, (**order).clone());
                return;
            }
            Command::Amend(amend) => (entry_ns, Action::Amend((**amend).clone())),
            Command::Cancel(cancel) => (cancel_ns, Action::Cancel(cancel.clone())),
            Command::Decrease(decrease) => (cancel_ns, Action::Decrease(decrease.clone())),
            Command::CancelAll => (cancel_ns, Action::CancelAll),
            Command::LookupOrder {
                client_order_id, ..
            } => (
                entry_ns,
                Action::Lookup {
                    client_order_id: client_order_id.clone(),
                },
            ),
        };
        self.pending.insert((due_ns, self.next_action), action);
        self.next_action += 1;
    }

    /// Sends a new order at `ts_ns` (what `submit` does with a `Place` command); it reaches the
    /// book after the entry latency. The simulator is the exchange: it takes any order.
    pub fn place(&mut self, ts_ns: i64, order: PlaceOrder) {
        let due_ns = ts_ns.saturating_add(self.config.entry_latency_ns);
        self.pending
            .insert((due_ns, self.next_action), Action::Place(order));
        self.next_action += 1;
    }

    /// Sends an amend at `ts_ns` (what `submit` does with an `Amend` command); it reaches the
    /// book after the entry latency.
    pub fn amend(&mut self, ts_ns: i64, amend: AmendOrder) {
        let due_ns = ts_ns.saturating_add(self.config.entry_latency_ns);
        self.pending
            .insert((due_ns, self.next_action), Action::Amend(amend));
        self.next_action += 1;
    }

    /// When the earliest pending action takes effect.
    pub fn next_due_ns(&self) -> Option<i64> {
        self.pending.keys().next().map(|(due_ns, _)| *due_ns)
    }

    /// Applies the earliest pending action and returns what the exchange reports.
    pub fn run_next_action(&mut self) -> Result<Vec<SimEvent>, ReplayError> {
        let Some(((ts_ns, _), action)) = self.pending.pop_first() else {
            return Ok(Vec::new());
        };
        // Closes due by the time the action arrives happen first, as on the exchange.
        let mut out = self.run_closes_until(ts_ns);
        self.note_time(ts_ns);
        let mut events = Vec::new();
        match action {
            Action::Place(order) => self.arrive_place(ts_ns, order, &mut events)?,
            Action::Cancel(cancel) => {
                self.arrive_cancel(ts_ns, &cancel.client_order_id, &mut events)
            }
            Action::Amend(amend) => self.arrive_amend(&amend, &mut events),
            Action::Decrease(decrease) => self.arrive_decrease(ts_ns, &decrease, &mut events),
            Action::CancelAll => {
                let keys: Vec<ClientOrderId> = self
                    .live
                    .values()
                    .map(|order| order.client_order_id.clone())
                    .collect();
                for key in keys {
                    self.arrive_cancel(ts_ns, &key, &mut events);
                }
            }
            Action::Lookup { client_order_id } => {
                self.arrive_lookup(ts_ns, &client_order_id, &mut events)
            }
        }
        out.extend(events.into_iter().map(|event| SimEvent { ts_ns, event }));
        Ok(out)
    }

    /// Applies one market-data event at `ts_ns` and returns what it caused: fills, and the
    /// cancellations of closes, pauses and group triggers (closes due by `ts_ns` first).
    pub fn on_market_event(
        &mut self,
        ts_ns: i64,
        event: &Event,
    ) -> Result<Vec<SimEvent>, ReplayError> {
        let mut out = self.run_closes_until(ts_ns);
        self.note_time(ts_ns);
        let mut events = Vec::new();
        match event {
            Event::MarketListing(listings) => {
                for info in listings {
                    let market = market_entry(&mut self.markets, &info.ticker);
                    if info.fee.is_some() {
                        market.fee = info.fee.clone();
                    }
                    self.on_listing(info, &mut events);
                }
            }
            Event::Lifecycle(change) => self.on_lifecycle(change, &mut events),
            Event::ExchangeStatus { trading_active } => {
                self.on_exchange_status(*trading_active, &mut events);
            }
            Event::BookSnapshot(snapshot) => {
                let market = market_entry(&mut self.markets, &snapshot.ticker);
                market.book.apply_snapshot(snapshot);
                for key in &market.resting {
                    if let Some(order) = self.live.get_mut(key) {
                        order.queue_ahead = order
                            .queue_ahead
                            .min(market.book.size_at(order.side, order.price));
                    }
                }
                self.note_changed(&snapshot.ticker);
            }
            Event::BookDelta(delta) => {
                let market = market_entry(&mut self.markets, &delta.ticker);
                if let Some(decrease) = market.book.apply_delta(delta) {
                    let size_now = market.book.size_at(delta.side, delta.price);
                    for key in &market.resting {
                        let Some(order) = self.live.get_mut(key) else {
                            continue;
                        };
                        if order.side == delta.side && order.price == delta.price {
                            order.queue_ahead = queue_after_cancels(
                                order.queue_ahead,
                                decrease,
                                self.config.cancel_position,
                            )
                            .min(size_now);
                        }
                    }
                }
                self.note_changed(&delta.ticker);
            }
            Event::PublicTrade(trade) => self.on_trade(ts_ns, trade, &mut events)?,
            _ => {}
        }
        out.extend(events.into_iter().map(|event| SimEvent { ts_ns, event }));
        // A listing or lifecycle change may have moved a close time to now or before.
        out.extend(self.run_closes_until(ts_ns));
        Ok(out)
    }

    /// A book delta the feed tagged as caused by a real order of ours, for a shadow whose
    /// book leaves our orders out: the delta is not applied, but a decrease uses up the
    /// traded size noted at its level (it was our order's share of the trade).
    pub fn on_own_delta(&mut self, delta: &BookDelta) {
        if delta.delta.centi() >= 0 {
            return;
        }
        if let Some(market) = self.markets.get_mut(&delta.ticker) {
            market
                .book
                .forget_traded(delta.side, delta.price, delta.delta.abs());
        }
        self.note_changed(&delta.ticker);
    }

    fn on_trade(
        &mut self,
        ts_ns: i64,
        trade: &PublicTrade,
        events: &mut Vec<Event>,
    ) -> Result<(), ReplayError> {
        let hit = opposite(trade.taker_side);
        let market = market_entry(&mut self.markets, &trade.ticker);
        market.last_trade = Some(trade.yes_price);
        market.book.note_trade(hit, trade.yes_price, trade.count);
        let through = |price: Price| match hit {
            BookSide::Bid => price > trade.yes_price,
            BookSide::Ask => price < trade.yes_price,
        };
        let mut candidates: Vec<(i64, u64, String)> = market
            .resting
            .iter()
            .filter_map(|key| self.live.get(key).map(|order| (key, order)))
            .filter(|(_, order)| order.side == hit)
            .filter(|(_, order)| order.price == trade.yes_price || through(order.price))
            .map(|(key, order)| {
                let rank = match hit {
                    BookSide::Bid => -order.price.micros(),
                    BookSide::Ask => order.price.micros(),
                };
                (rank, order.priority, key.clone())
            })
            .collect();
        candidates.sort();
        self.note_changed(&trade.ticker);
        let mut volume = trade.count;
        let mut visible_consumed = Count::ZERO;
        for (_, _, key) in candidates {
            let Some(order) = self.live.get_mut(&key) else {
                continue;
            };
            let fill = if through(order.price) {
                order.queue_ahead = Count::ZERO;
                volume.min(order.remaining)
            } else {
                let gap = order.queue_ahead.saturating_sub(visible_consumed);
                let taken = volume.min(gap);
                visible_consumed = visible_consumed + taken;
                volume = volume.saturating_sub(taken);
                order.queue_ahead = order.queue_ahead.saturating_sub(visible_consumed);
                volume.min(order.remaining)
            };
            volume = volume.saturating_sub(fill);
            if !fill.is_zero() {
                let price = order.price;
                self.fill(ts_ns, &key, price, fill, Liquidity::Maker, events)?;
            }
        }
        Ok(())
    }

    /// Records one fill of the live order `key`.
    fn fill(
        &mut self,
        ts_ns: i64,
        key: &str,
        price: Price,
        count: Count,
        liquidity: Liquidity,
        events: &mut Vec<Event>,
    ) -> Result<(), ReplayError> {
        let Some(order) = self.live.get_mut(key) else {
            return Ok(());
        };
        let market = market_entry(&mut self.markets, &order.ticker);
        let schedule = fee_schedule(market.fee.as_ref(), &order.ticker)?;
        let fee = match self.config.fee_rounding {
            FeeRounding::Classic => schedule.classic_fee(liquidity, price, count),
            FeeRounding::Balance2026 => order
                .rounding
                .charge_fill(
                    &schedule,
                    self.precision,
                    &FillTerms {
                        side: order.side,
                        yes_price: price,
                        count,
                        liquidity,
                    },
                )
                .map(|charge| charge.net_fee),
        }
        .map_err(|source| ReplayError::Fee {
            ticker: order.ticker.clone(),
            source,
        })?;
        order.remaining = order.remaining.saturating_sub(count);
        order.filled = order.filled + count;
        market.position = match order.side {
            BookSide::Bid => market.position + count.signed(),
            BookSide::Ask => market.position - count.signed(),
        };
        self.next_fill += 1;
        events.push(Event::OwnFill(OwnFill {
            fill_id: format!("sim-f-{}", self.next_fill),
            order_id: order.order_id.clone(),
            client_order_id: Some(order.client_order_id.to_string()),
            ticker: order.ticker.clone(),
            side: order.side,
            yes_price: price,
            count,
            is_taker: liquidity == Liquidity::Taker,
            fee,
            post_position: Some(market.position),
            ts_ns,
        }));
        let group_id = order.order_group_id.clone();
        if order.remaining.is_zero() {
            self.retire(key, ExchangeOrderStatus::Executed, ts_ns);
        }
        if let Some(group_id) = group_id {
            // An arriving order's own taking fills do not cancel it: it is not resting yet.
            let arriving = (liquidity == Liquidity::Taker).then_some(key);
            self.record_group_fill(ts_ns, &group_id, count, arriving, events);
        }
        Ok(())
    }

    fn retire(&mut self, key: &str, status: ExchangeOrderStatus, ts_ns: i64) {
        if let Some(order) = self.live.get(key) {
            let snapshot = snapshot_of(order, status, ts_ns);
            self.retire_with(key, snapshot);
        }
    }

    /// Moves the live order `key` to the finished orders with its final state `snapshot`.
    fn retire_with(&mut self, key: &str, snapshot: OrderSnapshot) {
        if self.remove_live(key).is_some() {
            if self.done.insert(key, snapshot).is_none() {
                self.done_order.push_back(key.to_string());
            }
            while self.done_order.len() > FINISHED_SNAPSHOTS_MAX {
                let Some(oldest) = self.done_order.pop_front() else {
                    break;
                };
                self.done.remove(&oldest);
                self.done_ids.insert(&oldest, ());
            }
        }
    }

    /// Our resting orders, by client id.
    pub fn live_orders(&self) -> impl Iterator<Item = &LiveOrder> {
        self.live.values()
    }

    /// A resting order by client id.
    pub fn live_order(&self, client_order_id: &str) -> Option<&LiveOrder> {
        self.live.get(client_order_id)
    }

    /// Visible best bid and ask of a market.
    pub fn best_bid_ask(&self, ticker: &str) -> (Option<Price>, Option<Price>) {
        self.markets.get(ticker).map_or((None, None), |market| {
            (market.book.best_bid(), market.book.best_ask())
        })
    }

    /// The mark of a market: visible mid, else the last trade price.
    pub fn mark_micros(&self, ticker: &str) -> Option<i64> {
        let market = self.markets.get(ticker)?;
        market
            .book
            .mid_micros()
            .or_else(|| market.last_trade.map(Price::micros))
    }

    /// Our simulated position in a market.
    pub fn position(&self, ticker: &str) -> SignedCount {
        self.markets
            .get(ticker)
            .map_or(SignedCount::ZERO, |market| market.position)
    }

    /// Markets the simulator has seen, by ticker.
    pub fn tickers(&self) -> impl Iterator<Item = &str> {
        self.markets.keys().map(String::as_str)
    }
}

/// The queue ahead of an order joining a level that shows `visible` contracts.
fn joining_queue(position: QueuePosition, visible: Count) -> Count {
    match position {
        QueuePosition::Back => visible,
        QueuePosition::Front => Count::ZERO,
    }
}

fn opposite(side: BookSide) -> BookSide {
    match side {
        BookSide::Bid => BookSide::Ask,
        BookSide::Ask => BookSide::Bid,
    }
}

fn not_found(client_order_id: &ClientOrderId, request: RequestKind) -> Event {
    Event::OrderRejected(OrderRejected {
        client_order_id: client_order_id.clone(),
        request,
        code: "order_not_found".to_string(),
        message: "no resting order with this client id".to_string(),
    })
}

fn snapshot_of(order: &LiveOrder, status: ExchangeOrderStatus, ts_ns: i64) -> OrderSnapshot {
    OrderSnapshot {
        order_id: order.order_id.clone(),
        client_order_id: Some(order.client_order_id.to_string()),
        ticker: order.ticker.clone(),
        side: order.side,
        yes_price: order.price,
        status,
        fill_count: order.filled,
        remaining_count: if status == ExchangeOrderStatus::Resting {
            order.remaining
        } else {
            Count::ZERO
        },
        initial_count: Some(order.filled + order.remaining),
        last_update_reason: None,
        ts_ns,
    }
}

/// The schedule for a market: its listed parameters, or the conservative fallback (standard
/// multiplier with maker fees) when the data carried none.
fn fee_schedule(params: Option<&FeeParams>, ticker: &str) -> Result<FeeSchedule, ReplayError> {
    match params {
        Some(params) => FeeSchedule::from_params(params).map_err(|source| ReplayError::Fee {
            ticker: ticker.to_string(),
            source,
        }),
        None => fallback_fee_schedule().ok_or_else(|| ReplayError::InvalidConfig {
            field: "fee",
            reason: "no fallback fee schedule".to_string(),
        }),
    }
}

/// Money paid or received for `count` at `price` on `side`: negative for buys.
pub fn cash_flow(side: BookSide, price: Price, count: Count) -> Money {
    let notional = Money::notional(price, count);
    match side {
        BookSide::Bid => -notional,
        BookSide::Ask => notional,
    }
}
