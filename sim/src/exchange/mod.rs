//! The local exchange as a plain synchronous state machine.
//!
//! [`Exchange`] holds every market's book, every account, the API users' orders and fills,
//! each market's recent trades and candles, and the lifecycle schedule. What it keeps is
//! bounded: finished orders of synthetic traders are recycled, each market keeps its last
//! [`TRADES_PER_MARKET_MAX`] trades and [`CANDLE_MINUTES_MAX`] minute candles
//! ([`Exchange::retained_counts`] reports the counts). It never reads a clock: each mutating
//! call takes `now_ns` (Unix ns), first runs [`Exchange::advance_to`] up to that time
//! (lifecycle, expiries, synthetic flow), then applies the request. Everything it emits is
//! queued for [`Exchange::drain_events`]. The same seed and the same sequence of calls
//! produce the same event stream, byte for byte.
//!
//! Collateral rule (resting orders reserve cash): an order needs
//! `open × price_paid + fee_reserve(count)` of available cash, where `open` is the part of
//! its size that would open new exposure — its size minus whatever opposite position the
//! account holds that is not already claimed by its other resting orders on the same side —
//! and `fee_reserve` is the taker fee at $0.50 for the whole size rounded up to the balance
//! precision, plus one precision unit. A resting order keeps that much reserved (shrinking as
//! it fills or is decreased). If, when a resting order is hit, its owner can no longer pay
//! for the fill (the position it was meant to close went away), the order is cancelled with
//! `MarginCancel` and matching continues. Available balance = cash − reserved.

pub mod account;
mod book;
pub mod candles;
pub mod catalog;
pub mod error;
pub mod events_out;
mod fee_changes;
pub mod fees;
pub mod flow;
mod ids;
mod lifecycle;
pub mod market;
mod matching;
mod modify;
pub mod order;
pub mod order_group;
mod placement;
mod portfolio;
pub mod queries;
mod quiet;
mod users;

use std::collections::{BTreeMap, BTreeSet};

use kalshi_core::fees::{FeeSchedule, TargetPrecision};
use kalshi_core::market_data::{LifecycleKind, MarketStatus};
use kalshi_core::side::BookSide;
use kalshi_core::tick_grid::TickGrid;
use kalshi_core::{Count, Price, SignedCount};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use self::events_out::{
    BookDeltaEvent, ExchangeEvent, LifecycleEvent, OrderUpdateEvent, PositionEvent, TickerEvent,
};

pub use account::{AccountKey, BalanceView, FillRecord, Position, SettlementRecord, UserId};
pub use error::{ExchangeError, LEGACY_PRICE_RULE_DETAILS};
pub use market::{
    EventSpec, FeeType, MarketSpec, MarketView, SeriesFeeChangeSpec, SeriesFeeChangeView,
    SeriesSpec,
};
pub use order::{
    AmendOrder, AmendOutcome, CancelOutcome, CreateOrderLegacy, CreateOrderV2, Decrease,
    ExpirationChange, LegacyDirection, Order, OrderStatus, PlaceOutcome, SelfTradePrevention,
    TimeInForce, UpdateReason,
};
pub use order_group::OrderGroupView;

use account::{Account, User};
use catalog::{Catalog, CatalogConfig};
use flow::{FlowConfig, FlowState};
use ids::IdSource;
use lifecycle::LifecycleStep;
use market::Market;
use order::OrderIdx;
use order_group::OrderGroup;

/// Nanoseconds per second.
pub use kalshi_core::time::NS_PER_S;

/// Trades each market keeps for `GET /markets/trades` (newest first; older ones are
/// dropped). One full page at the endpoint's largest page size (1000): a client can always
/// read a market's last page of trades, and 2,000 busy markets hold about 110 MB of tape
/// (56 bytes a trade) instead of a tape that grows with every trade of a long run.
pub const TRADES_PER_MARKET_MAX: usize = 1000;

/// Minute candles each market keeps (older minutes are dropped): one day, which answers
/// every 1- and 60-minute candlestick request over the last 24 h, one 1440-minute candle,
/// and `volume_24h`. A minute candle is under 200 bytes, so a day of one market is about
/// 250 kB, and only minutes in which the market was touched are stored.
pub const CANDLE_MINUTES_MAX: usize = 1440;

/// Stream number for the result-determination random source.
const RESULT_STREAM: u64 = 0x5e7;
/// Exchange configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExchangeConfig {
    /// Generated series/events/markets.
    pub catalog: CatalogConfig,
    /// Synthetic order flow.
    pub flow: FlowConfig,
    /// Balance target precision in micro-dollars (§9.3): 10 000 = $0.01 (default), 100 =
    /// $0.0001 (direct members).
    pub balance_precision_micros: i64,
    /// Rolling window of order groups, ns (15 s).
    pub order_group_window_ns: i64,
    /// Most resting orders one user may have.
    pub resting_orders_per_user_max: usize,
    /// Exchange start time, Unix ns: the catalog is laid out from here.
    pub start_ns: i64,
}

impl Default for ExchangeConfig {
    fn default() -> ExchangeConfig {
        ExchangeConfig {
            catalog: CatalogConfig::default(),
            flow: FlowConfig::default(),
            balance_precision_micros: 10_000,
            order_group_window_ns: 15 * NS_PER_S,
            resting_orders_per_user_max: 200_000,
            // 2026-11-01T00:00:00Z
            start_ns: 1_793_491_200 * NS_PER_S,
        }
    }
}

/// One trade on the public tape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trade {
    /// UUID-shaped id drawn from the seeded id stream.
    pub trade_id: String,
    /// The market it traded in.
    pub ticker: String,
    /// Execution YES price.
    pub yes_price: Price,
    /// Contracts traded.
    pub count: Count,
    /// The taker's side of the YES book (`Bid` ⇒ `taker_outcome_side` yes).
    pub taker_side: BookSide,
    /// Time, Unix ns.
    pub ts_ns: i64,
}

impl Trade {
    /// Execution NO price.
    pub fn no_price(&self) -> Price {
        self.yes_price.complement()
    }
}

/// Items the exchange holds, by kind ([`Exchange::retained_counts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetainedCounts {
    /// Markets listed (each one is kept for the whole run).
    pub markets: usize,
    /// Order table slots (live orders, API users' finished orders, recyclable slots).
    pub order_slots: usize,
    /// Orders findable by id.
    pub indexed_orders: usize,
    /// Recyclable order slots.
    pub free_order_slots: usize,
    /// Most trades one market keeps.
    pub trades_max_per_market: usize,
    /// Trades kept over all markets.
    pub trades_total: usize,
    /// Most minute candles one market keeps.
    pub candles_max_per_market: usize,
    /// Most minute candles one market has room allocated for.
    pub candle_capacity_max_per_market: usize,
    /// Orders resting on the books.
    pub resting_orders: usize,
    /// Order references in users' histories.
    pub user_order_refs: usize,
    /// Fills in users' histories.
    pub user_fills: usize,
    /// Events emitted and not yet drained.
    pub pending_events: usize,
    /// Order ids the synthetic flow tracks for cancels.
    pub flow_order_ids: usize,
    /// Trades executed since start (not retained; for scale).
    pub trades_executed: u64,
}

/// The exchange.
#[derive(Debug)]
pub struct Exchange {
    config: ExchangeConfig,
    now_ns: i64,
    ids: IdSource,
    result_rng: ChaCha8Rng,
    series: Vec<SeriesSpec>,
    series_index: BTreeMap<String, u32>,
    series_fees: Vec<FeeSchedule>,
    /// Scheduled series fee changes: applied ones first, then pending ones by time.
    fee_changes: Vec<fee_changes::ScheduledFeeChange>,
    /// How many of `fee_changes` have been applied.
    fee_changes_applied: usize,
    precision: TargetPrecision,
    events: Vec<EventSpec>,
    event_index: BTreeMap<String, u32>,
    event_markets: Vec<Vec<u32>>,
    markets: Vec<Market>,
    market_index: BTreeMap<String, u32>,
    /// Order table. Slots of finished orders of synthetic traders (who keep no history) are
    /// recycled through `free_orders`, so the table holds at most the live orders plus the
    /// API users' history instead of every order ever placed.
    orders: Vec<Order>,
    order_index: BTreeMap<String, OrderIdx>,
    /// Recyclable order slots (finished orders of synthetic traders), reused newest first.
    free_orders: Vec<OrderIdx>,
    /// Finished synthetic orders of the current action, freed when the next action begins
    /// (so the action's own reads of them stay valid).
    retiring: Vec<OrderIdx>,
    users: Vec<User>,
    groups: Vec<OrderGroup>,
    group_index: BTreeMap<String, usize>,
    /// Number of trades executed so far (the next trade's tape position).
    trade_seq: u64,
    schedule: BTreeSet<(i64, u32, LifecycleStep)>,
    expiries: BTreeSet<(i64, OrderIdx)>,
    events_out: Vec<ExchangeEvent>,
    action: u64,
    touched: Vec<u32>,
    touched_action: Vec<u64>,
    trading_active: bool,
    exchange_active: bool,
    flow: Option<Box<FlowState>>,
}

impl Exchange {
    /// Builds an exchange: generates the catalog from `seed`, opens markets whose open time
    /// has passed, and sets up synthetic flow (its traders are users too).
    pub fn new(config: ExchangeConfig, seed: u64) -> Result<Exchange, ExchangeError> {
        let precision = TargetPrecision::from_micros(config.balance_precision_micros)
            .map_err(|e| ExchangeError::invalid_parameters(e.to_string()))?;
        if config.order_group_window_ns <= 0 {
            return Err(ExchangeError::invalid_parameters(
                "order group window must be positive",
            ));
        }
        let mut result_rng = ChaCha8Rng::seed_from_u64(seed);
        result_rng.set_stream(RESULT_STREAM);
        let start_ns = config.start_ns;
        let mut exchange = Exchange {
            now_ns: start_ns,
            ids: IdSource::new(seed),
            result_rng,
            series: Vec::new(),
            series_index: BTreeMap::new(),
            series_fees: Vec::new(),
            fee_changes: Vec::new(),
            fee_changes_applied: 0,
            precision,
            events: Vec::new(),
            event_index: BTreeMap::new(),
            event_markets: Vec::new(),
            markets: Vec::new(),
            market_index: BTreeMap::new(),
            orders: Vec::new(),
            order_index: BTreeMap::new(),
            free_orders: Vec::new(),
            retiring: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
            group_index: BTreeMap::new(),
            trade_seq: 0,
            schedule: BTreeSet::new(),
            expiries: BTreeSet::new(),
            events_out: Vec::new(),
            action: 0,
            touched: Vec::new(),
            touched_action: Vec::new(),
            trading_active: true,
            exchange_active: true,
            flow: None,
            config,
        };
        let catalog = Catalog::generate(&exchange.config.catalog, start_ns, seed)?;
        exchange.load_catalog(catalog)?;
        for change in exchange.config.catalog.fee_changes.clone() {
            exchange.schedule_series_fee_change(
                &change.series_ticker,
                start_ns.saturating_add(change.after_start_ns),
                change.fee_type,
                change.fee_multiplier_ppm,
            )?;
        }
        if exchange.config.flow.enabled {
            let flow = FlowState::new(&mut exchange, seed)?;
            exchange.flow = Some(Box::new(flow));
        }
        exchange.seed_quiet_markets(seed)?;
        Ok(exchange)
    }

    /// True for a quiet market (no synthetic flow).
    pub(crate) fn market_is_quiet(&self, index: u32) -> bool {
        self.markets.get(index as usize).is_some_and(|m| m.quiet)
    }

    fn load_catalog(&mut self, catalog: Catalog) -> Result<(), ExchangeError> {
        for series in catalog.series {
            self.add_series(series)?;
        }
        for event in catalog.events {
            self.add_event(event)?;
        }
        let now = self.now_ns;
        for market in catalog.markets {
            self.add_market(market, now)?;
        }
        Ok(())
    }

    /// The configuration in force.
    pub fn config(&self) -> &ExchangeConfig {
        &self.config
    }

    /// The exchange's current time (the latest `now_ns` it has seen), Unix ns.
    pub fn now_ns(&self) -> i64 {
        self.now_ns
    }

    /// Takes every event emitted since the last drain, oldest first. The caller should drain
    /// after each call; the queue is not bounded otherwise.
    pub fn drain_events(&mut self) -> Vec<ExchangeEvent> {
        std::mem::take(&mut self.events_out)
    }

    /// Adds a series.
    pub fn add_series(&mut self, series: SeriesSpec) -> Result<(), ExchangeError> {
        if self.series_index.contains_key(&series.ticker) {
            return Err(ExchangeError::invalid_parameters(format!(
                "series {:?} already exists",
                series.ticker
            )));
        }
        let schedule = fee_changes::checked_schedule(
            &format!("series {:?}", series.ticker),
            series.fee_type,
            series.fee_multiplier_ppm,
        )?;
        let index = index_u32(self.series.len())?;
        self.series_index.insert(series.ticker.clone(), index);
        self.series.push(series);
        self.series_fees.push(schedule);
        Ok(())
    }

    /// Adds an event of an existing series.
    pub fn add_event(&mut self, event: EventSpec) -> Result<(), ExchangeError> {
        if !self.series_index.contains_key(&event.series_ticker) {
            return Err(ExchangeError::SeriesNotFound {
                ticker: event.series_ticker.clone(),
            });
        }
        if self.event_index.contains_key(&event.ticker) {
            return Err(ExchangeError::invalid_parameters(format!(
                "event {:?} already exists",
                event.ticker
            )));
        }
        if let Some(multiplier_ppm) = event.fee_multiplier_override_ppm {
            let series = &self.series_fees[self.series_index[&event.series_ticker] as usize];
            fee_changes::checked_schedule(
                &format!("event {:?}", event.ticker),
                event.fee_type_override.unwrap_or(series.fee_type()),
                multiplier_ppm,
            )?;
        }
        let index = index_u32(self.events.len())?;
        self.event_index.insert(event.ticker.clone(), index);
        self.events.push(event);
        self.event_markets.push(Vec::new());
        Ok(())
    }

    /// Adds a market of an existing event, emitting a `created` lifecycle event. It opens at
    /// its open time (at once if that has passed) and follows its schedule from there.
    pub fn add_market(&mut self, spec: MarketSpec, now_ns: i64) -> Result<(), ExchangeError> {
        self.advance_to(now_ns);
        let event = *self.event_index.get(&spec.event_ticker).ok_or_else(|| {
            ExchangeError::EventNotFound {
                ticker: spec.event_ticker.clone(),
            }
        })?;
        let series_ticker = &self.events[event as usize].series_ticker;
        let series =
            *self
                .series_index
                .get(series_ticker)
                .ok_or_else(|| ExchangeError::SeriesNotFound {
                    ticker: series_ticker.clone(),
                })?;
        if self.market_index.contains_key(&spec.ticker) {
            return Err(ExchangeError::invalid_parameters(format!(
                "market {:?} already exists",
                spec.ticker
            )));
        }
        if spec.close_ns <= spec.open_ns {
            return Err(ExchangeError::invalid_parameters(format!(
                "market {:?} closes before it opens",
                spec.ticker
            )));
        }
        let grid = TickGrid::for_market(&spec.price_ranges, Some(&spec.price_level_structure))
            .map_err(|e| {
                ExchangeError::invalid_parameters(format!("market {:?}: {e}", spec.ticker))
            })?;
        let index = index_u32(self.markets.len())?;
        let mut created = LifecycleEvent::bare(&spec.ticker, LifecycleKind::Created, self.now_ns);
        created.open_ns = Some(spec.open_ns);
        created.close_ns = Some(spec.close_ns);
        created.price_level_structure = Some(spec.price_level_structure.clone());
        created.price_ranges = grid.ranges().to_vec();
        created.event_ticker = Some(spec.event_ticker.clone());
        created.title = Some(spec.title.clone());
        let fee = self.effective_fee(series, event);
        let mut market = Market::new(spec, series, event, fee, grid);
        market.spec.price_ranges = market.grid.ranges().to_vec();
        self.schedule
            .insert((market.spec.open_ns, index, LifecycleStep::Open));
        self.schedule
            .insert((market.spec.close_ns, index, LifecycleStep::Close));
        self.market_index.insert(market.spec.ticker.clone(), index);
        self.markets.push(market);
        self.touched_action.push(0);
        self.event_markets[event as usize].push(index);
        self.events_out.push(ExchangeEvent::Lifecycle(created));
        self.run_schedule_until(self.now_ns);
        Ok(())
    }

    // ----- internal helpers shared by the submodules -----

    fn user(&self, user: UserId) -> Result<&User, ExchangeError> {
        self.users
            .get(user.0 as usize)
            .ok_or(ExchangeError::UserNotFound { user: user.0 })
    }

    fn user_mut(&mut self, user: UserId) -> Result<&mut User, ExchangeError> {
        self.users
            .get_mut(user.0 as usize)
            .ok_or(ExchangeError::UserNotFound { user: user.0 })
    }

    fn account(&self, key: AccountKey) -> Result<&Account, ExchangeError> {
        self.user(key.user)?.subaccounts.get(&key.subaccount).ok_or(
            ExchangeError::SubaccountNotFound {
                subaccount: key.subaccount,
            },
        )
    }

    fn account_mut(&mut self, key: AccountKey) -> Result<&mut Account, ExchangeError> {
        self.user_mut(key.user)?
            .subaccounts
            .get_mut(&key.subaccount)
            .ok_or(ExchangeError::SubaccountNotFound {
                subaccount: key.subaccount,
            })
    }

    fn market_idx(&self, ticker: &str) -> Result<u32, ExchangeError> {
        self.market_index
            .get(ticker)
            .copied()
            .ok_or_else(|| ExchangeError::MarketNotFound {
                ticker: ticker.to_string(),
            })
    }

    fn position_of(&self, key: AccountKey, market: u32) -> SignedCount {
        self.account(key)
            .ok()
            .and_then(|a| a.positions.get(&market))
            .map_or(SignedCount::ZERO, |p| p.position)
    }

    /// The schedule a fill in `market` is charged with now (kept current by
    /// [`Exchange::apply_due_fee_changes`]).
    fn fee_schedule_of(&self, market: u32) -> &FeeSchedule {
        &self.markets[market as usize].fee
    }

    /// Starts a new action at `now_ns` (never moving time backwards); frees the slots of the
    /// synthetic orders the previous action finished.
    fn begin_action(&mut self, now_ns: i64) {
        self.now_ns = self.now_ns.max(now_ns);
        self.apply_due_fee_changes();
        self.action += 1;
        self.retire_finished();
    }

    /// Frees the slots queued in `retiring` whose orders are still finished.
    fn retire_finished(&mut self) {
        for idx in std::mem::take(&mut self.retiring) {
            let Some(order) = self.orders.get(idx as usize) else {
                continue;
            };
            if order.is_resting() || self.order_index.get(&order.order_id) != Some(&idx) {
                continue;
            }
            self.order_index.remove(&order.order_id);
            self.free_orders.push(idx);
        }
    }

    /// A slot for a new order: a recycled one if any, else a new one at the end.
    fn store_order(&mut self, order: Order) -> Result<OrderIdx, ExchangeError> {
        if let Some(idx) = self.free_orders.pop() {
            self.orders[idx as usize] = order;
            return Ok(idx);
        }
        let idx = u32::try_from(self.orders.len())
            .map_err(|_| ExchangeError::invalid_parameters("order table is full"))?;
        self.orders.push(order);
        Ok(idx)
    }

    /// Whether `user` keeps order and fill history (API users do, synthetic traders not).
    fn keeps_history(&self, user: UserId) -> bool {
        self.users
            .get(user.0 as usize)
            .is_none_or(|u| u.keeps_history)
    }

    /// How many items the exchange retains, per kind (for memory bounds and tests).
    pub fn retained_counts(&self) -> RetainedCounts {
        RetainedCounts {
            markets: self.markets.len(),
            order_slots: self.orders.len(),
            indexed_orders: self.order_index.len(),
            free_order_slots: self.free_orders.len(),
            trades_max_per_market: self
                .markets
                .iter()
                .map(|m| m.trades.len())
                .max()
                .unwrap_or(0),
            trades_total: self.markets.iter().map(|m| m.trades.len()).sum(),
            candle_capacity_max_per_market: self
                .markets
                .iter()
                .map(|m| m.candles.capacity())
                .max()
                .unwrap_or(0),
            candles_max_per_market: self
                .markets
                .iter()
                .map(|m| m.candles.len())
                .max()
                .unwrap_or(0),
            resting_orders: self
                .markets
                .iter()
                .map(|m| {
                    m.book
                        .bids
                        .values()
                        .chain(m.book.asks.values())
                        .map(|l| l.queue.len())
                        .sum::<usize>()
                })
                .sum(),
            user_order_refs: self.users.iter().map(|u| u.orders.len()).sum(),
            user_fills: self.users.iter().map(|u| u.fills.len()).sum(),
            pending_events: self.events_out.len(),
            flow_order_ids: self.flow.as_ref().map_or(0, |f| f.tracked_orders()),
            trades_executed: self.trade_seq,
        }
    }

    /// Marks a market as touched by the current action (for candles and ticker updates).
    fn touch(&mut self, market: u32) {
        let slot = &mut self.touched_action[market as usize];
        if *slot != self.action {
            *slot = self.action;
            self.touched.push(market);
        }
    }

    /// Finishes the current action: records candles and emits ticker updates.
    fn end_action(&mut self) {
        let touched = std::mem::take(&mut self.touched);
        for market in touched {
            self.record_candle(market, None);
            let m = &self.markets[market as usize];
            self.events_out.push(ExchangeEvent::Ticker(TickerEvent {
                ticker: m.spec.ticker.clone(),
                last_price: m.last_price,
                yes_bid: m.book.best_bid(),
                yes_ask: m.book.best_ask(),
                last_trade_size: m.last_trade_size,
                volume: m.volume,
                open_interest: m.open_interest,
                ts_ns: self.now_ns,
            }));
        }
    }

    fn record_candle(&mut self, market: u32, trade: Option<(Price, Count)>) {
        let now = self.now_ns;
        let m = &mut self.markets[market as usize];
        let bid = m.book.best_bid().map_or(Price::ZERO, |(p, _)| p);
        let ask = m.book.best_ask().map_or(Price::ONE, |(p, _)| p);
        candles::record(&mut m.candles, now, bid, ask, trade, m.open_interest);
    }

    /// The per-market clock for the current action (bumped once per action).
    fn market_clock(&mut self, market: u32) -> u64 {
        let action = self.action;
        let m = &mut self.markets[market as usize];
        if m.clock_action != action {
            m.clock_action = action;
            m.clock += 1;
        }
        m.clock
    }

    /// Emits a book delta for a change caused by `order`.
    fn emit_delta(&mut self, order: OrderIdx, price: Price, delta: SignedCount) {
        let (market, side, user, subaccount, client_order_id) = {
            let o = &self.orders[order as usize];
            (
                o.market,
                o.side,
                o.user,
                o.subaccount,
                o.client_order_id.clone(),
            )
        };
        let clock = self.market_clock(market);
        self.touch(market);
        let (wire_side, wire_price) = match side {
            BookSide::Bid => (kalshi_core::OutcomeSide::Yes, price),
            BookSide::Ask => (kalshi_core::OutcomeSide::No, price.complement()),
        };
        self.events_out
            .push(ExchangeEvent::BookDelta(BookDeltaEvent {
                ticker: self.markets[market as usize].spec.ticker.clone(),
                clock,
                side,
                yes_price: price,
                wire_side,
                wire_price,
                delta,
                user,
                subaccount,
                client_order_id,
                ts_ns: self.now_ns,
            }));
    }

    fn emit_order_update(&mut self, order: OrderIdx) {
        let snapshot = self.orders[order as usize].clone();
        if !snapshot.is_resting() && !self.keeps_history(snapshot.user) {
            self.retiring.push(order);
        }
        self.events_out
            .push(ExchangeEvent::OrderUpdate(OrderUpdateEvent {
                order: snapshot,
            }));
    }

    fn emit_position(&mut self, key: AccountKey, market: u32) {
        let now = self.now_ns;
        let ticker = self.markets[market as usize].spec.ticker.clone();
        let position = self
            .account(key)
            .ok()
            .and_then(|a| a.positions.get(&market))
            .cloned()
            .unwrap_or_default();
        self.events_out.push(ExchangeEvent::Position(PositionEvent {
            user: key.user,
            subaccount: key.subaccount,
            ticker,
            position: position.position,
            position_cost: position.cost,
            realized_pnl: position.realized_pnl,
            fees_paid: position.fees_paid,
            volume: position.volume,
            ts_ns: now,
        }));
    }

    /// Number of markets.
    pub(crate) fn market_count(&self) -> usize {
        self.markets.len()
    }

    /// True when the market at `index` accepts orders now.
    pub(crate) fn market_is_active(&self, index: u32) -> bool {
        self.trading_active
            && self.exchange_active
            && self
                .markets
                .get(index as usize)
                .is_some_and(|m| m.status == MarketStatus::Active)
    }

    /// The ticker of the market at `index`.
    pub(crate) fn market_ticker(&self, index: u32) -> Option<String> {
        self.markets
            .get(index as usize)
            .map(|m| m.spec.ticker.clone())
    }

    /// Best YES bid and best YES ask of the market at `index`.
    #[allow(clippy::type_complexity)]
    pub(crate) fn top_of_book(
        &self,
        index: u32,
    ) -> Option<(Option<(Price, Count)>, Option<(Price, Count)>)> {
        self.markets
            .get(index as usize)
            .map(|m| (m.book.best_bid(), m.book.best_ask()))
    }

    /// Snaps a probability to the market's tick grid in `direction`.
    pub(crate) fn snap_price(
        &self,
        index: u32,
        probability: f64,
        direction: kalshi_core::tick_grid::SnapDirection,
    ) -> Option<Price> {
        let market = self.markets.get(index as usize)?;
        if !probability.is_finite() {
            return None;
        }
        let micros = (probability * 1e6).round().clamp(0.0, 1e6) as i64;
        market
            .grid
            .snap(Price::from_micros(micros).ok()?, direction)
    }

    /// The owner of an order that is still resting.
    pub(crate) fn resting_order_owner(&self, order_id: &str) -> Option<UserId> {
        let idx = *self.order_index.get(order_id)?;
        let order = &self.orders[idx as usize];
        order.is_resting().then_some(order.user)
    }

    /// Status of a market (for the flow and the server).
    pub fn market_status(&self, ticker: &str) -> Result<MarketStatus, ExchangeError> {
        Ok(self.markets[self.market_idx(ticker)? as usize].status)
    }
}

/// Converts a collection length to a dense u32 index.
fn index_u32(len: usize) -> Result<u32, ExchangeError> {
    u32::try_from(len)
        .map_err(|_| ExchangeError::invalid_parameters("too many entries for a u32 index"))
}
