//! The engine: one pure, synchronous, deterministic step function.
//!
//! `Engine::process(&Envelope) -> Output` applies one event to the market state, the order
//! books and the risk gate, asks the strategy for quotes where something relevant changed, and
//! returns the commands to send and the decisions that explain them. No clock, no IO, no
//! randomness: the same envelopes in the same order give byte-identical outputs.
//!
//! Quoting needs all of: an accepted `Config`, a completed reconciliation (`Reconciled`), the
//! market in the quoted universe (scanner's best `quoted_markets_max` of the listings, plus
//! markets where we hold a position or orders), an active market status, a valid book,
//! exchange trading active, and a risk state that is not HALTED. When any of them stops
//! holding for a market, its quotes are cancelled in the same step.

mod configured;
mod markets;
mod marks;
mod operator;
mod quoting;
mod requote_key;
mod submit;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::book::InvalidReason;
use crate::client_order_id::{ClientOrderId, ClientOrderIdGenerator};
use crate::commands::{Command, PlaceOrder, TimeInForce};
use crate::config::EngineConfig;
use crate::decision::{
    Decision, DroppedMarket, Ignored, PlacesHeldReason, QuoteDecision, RiskDecision,
};
use crate::ev_gate::{EvGate, EvInputs, FairSource, fee_schedule_for, inventory_skew_micros};
use crate::events::{
    BookInvalidation, ControlCommand, Envelope, Event, LiveSetting, RequestKind, TimerKind,
};
use crate::fair_value::fair_value;
use crate::fees::Liquidity;
use crate::fill_burst::FillBurstBreaker;
use crate::fixed::{Count, Money, Price, SignedCount};
use crate::live_filter::fails_live_filters;
use crate::market_data::MarketStatus;
use crate::market_scanner::{scan_listings, scan_universe};
use crate::market_state::MarketStateConfig;
use crate::orders::{DiffPlan, Effects, InFlight, OrderManager, TransitionCause};
use crate::pnl::live_mark;
use crate::risk::{Risk, RiskState, RiskView, ScopeExposure};
use crate::side::BookSide;
use crate::strategy::maker_ladder::MakerLadder;
use crate::strategy::{
    ExitOrder, QuoteContext, QuotePlan, SideHeldReason, Strategy, WithdrawReason,
};
use crate::tuning::Tuning;
use crate::universe::{MarketIndex, Universe};
use configured::Configured;
use markets::MarketTable;

/// What one step produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// Requests for io/exec, in sending order.
    pub commands: Vec<Command>,
    /// Why.
    pub decisions: Vec<Decision>,
}

impl Output {
    fn decide(&mut self, decision: Decision) {
        self.decisions.push(decision);
    }

    fn absorb(&mut self, effects: Effects) {
        self.decisions
            .extend(effects.transitions.into_iter().map(Decision::Order));
        self.commands.extend(effects.commands);
    }
}

/// The trading engine.
pub struct Engine {
    /// Everything the first accepted [`Event::Config`] sets up (`None` before it).
    configured: Option<Configured>,
    universe: Universe,
    /// Per-market facts: quoted, desired quotes, fair value, marks, flatten, live filters.
    markets: MarketTable,
    /// The scanner's drop list at the last selection, to report only changes.
    dropped: Vec<DroppedMarket>,
    event_markets: BTreeMap<String, BTreeSet<String>>,
    orders: OrderManager,
    /// Sum of every market's `marked_pnl` (kept so a book change re-marks only its own
    /// market).
    marked_pnl_total: Money,
    risk: Risk,
    fill_burst: FillBurstBreaker,
    /// A strategy given to [`Engine::with_strategy`], waiting for the first configuration.
    custom_strategy_waiting: Option<Box<dyn Strategy + Send>>,
    reconciled: bool,
    /// A feed reconnected and the reconciliation that follows has not landed: new orders and
    /// size-increasing amends are held, cancels and decreases flow.
    awaiting_reconciliation: bool,
    trading_active: bool,
    shutting_down: bool,
    /// An operator's flatten is in force (until resume, halt or kill): every market that comes
    /// to hold a position is unwound (`MarketSlot::flattening`: no ladder there, only
    /// reduce-only exits at the opposite touch until the position is gone).
    flatten_active: bool,
    /// The runtime reported inputs older than its staleness bound ([`Event::FeedLag`]):
    /// nothing is quoted until it reports them fresh again.
    data_stale: bool,
    /// Settings from the `Tuning` input ([`Tuning::before_tuning`] until one arrives).
    tuning: Tuning,
    /// Bumped by every input the per-market quote keys do not cover (see `requote_key`).
    requote_epoch: u64,
    /// Requotes run in full (the skipped ones not counted).
    requotes_run: u64,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new()
    }
}

impl Engine {
    /// An engine that will run the maker ladder once configured.
    pub fn new() -> Engine {
        let defaults = EngineConfig::default();
        Engine {
            configured: None,
            universe: Universe::new(MarketStateConfig::default()),
            markets: MarketTable::default(),
            dropped: Vec::new(),
            event_markets: BTreeMap::new(),
            orders: OrderManager::new(),
            marked_pnl_total: Money::ZERO,
            risk: Risk::new(defaults.risk),
            fill_burst: FillBurstBreaker::new(),
            custom_strategy_waiting: None,
            reconciled: false,
            awaiting_reconciliation: false,
            trading_active: true,
            shutting_down: false,
            flatten_active: false,
            data_stale: false,
            tuning: Tuning::before_tuning(),
            requote_epoch: 0,
            requotes_run: 0,
        }
    }

    /// An engine that runs `strategy` instead of the maker ladder.
    pub fn with_strategy(strategy: Box<dyn Strategy + Send>) -> Engine {
        Engine {
            custom_strategy_waiting: Some(strategy),
            ..Engine::new()
        }
    }

    /// Whether an operator resume needs the daily-loss confirmation now
    /// ([`crate::risk::Risk::halt_needs_confirmation`]).
    pub fn resume_needs_confirmation(&self) -> bool {
        self.risk.halt_needs_confirmation()
    }

    /// The risk state in force.
    pub fn risk_state(&self) -> RiskState {
        self.risk.state()
    }

    /// Why the risk state is HALTED (`None` when it is not).
    pub fn halt_reason(&self) -> Option<crate::risk::RiskStateReason> {
        self.risk.halt_reason()
    }

    /// True from a [`Event::FeedReconnected`] until the next [`Event::Reconciled`]: new orders
    /// are held.
    pub fn awaiting_reconciliation(&self) -> bool {
        self.awaiting_reconciliation
    }

    /// The risk state in force with today's realized P&L, labelled with `reason`.
    pub fn risk_snapshot(
        &self,
        reason: crate::risk::RiskStateReason,
    ) -> crate::risk::RiskStateRecord {
        self.risk.snapshot(reason)
    }

    /// True while quoting is held because the inputs are older than the runtime's bound.
    pub fn data_stale(&self) -> bool {
        self.data_stale
    }

    /// True while the local fill-burst breaker stops quoting.
    pub fn fill_burst_tripped(&self) -> bool {
        self.fill_burst.is_tripped()
    }

    /// The order books.
    pub fn orders(&self) -> &OrderManager {
        &self.orders
    }

    /// The markets the last universe choice left out, with every filter each failed.
    pub fn dropped_markets(&self) -> &[DroppedMarket] {
        &self.dropped
    }

    /// The markets.
    pub fn universe(&self) -> &Universe {
        &self.universe
    }

    /// How many market requotes ran in full so far; a requote whose inputs equal those of the
    /// market's last requote that did nothing is skipped and not counted (for tests and
    /// benchmarks: outputs never depend on it).
    pub fn requotes_run(&self) -> u64 {
        self.requotes_run
    }

    /// Applies one envelope.
    pub fn process(&mut self, envelope: &Envelope) -> Output {
        // Book changes, trades and ticks are covered by the quote keys; anything else may
        // change what a requote reads outside them.
        let keyed = matches!(
            envelope.event,
            Event::BookSnapshot(_)
                | Event::BookDelta(_)
                | Event::PublicTrade(_)
                | Event::Timer {
                    kind: TimerKind::Tick
                }
                | Event::QueuePositions(_)
                | Event::PositionSnapshot(_)
        );
        if !keyed {
            self.bump_requote_epoch();
        }
        let out = self.apply(envelope);
        if !keyed {
            self.bump_requote_epoch();
        }
        out
    }

    /// Applies one envelope's event and requotes the markets it concerns.
    fn apply(&mut self, envelope: &Envelope) -> Output {
        let mut out = Output::default();
        let ts_ns = envelope.ts_ns;
        match &envelope.event {
            Event::Config(config) => self.on_config(config, &mut out),
            Event::MarketListing(listings) => {
                for info in listings {
                    self.universe.upsert_listing(info, ts_ns);
                    if !info.event_ticker.is_empty() {
                        self.file_under_event(&info.ticker, &info.event_ticker);
                    }
                }
                self.remark_all();
                self.select_universe(ts_ns, &mut out);
                self.requote_all(ts_ns, &mut out);
            }
            Event::BookSnapshot(snapshot) => {
                if let Some(index) = self.known_market(&snapshot.ticker, &mut out) {
                    if let Some(state) = self.universe.get_mut(index)
                        && let Err(error) = state.on_snapshot(snapshot, ts_ns)
                    {
                        self.requote_epoch = self.requote_epoch.wrapping_add(1);
                        out.decide(Decision::Ignored(Ignored::BookError {
                            ticker: snapshot.ticker.clone(),
                            error: error.to_string(),
                        }));
                    }
                    self.remark_after_book_change(index, &mut out);
                    self.requote(index, ts_ns, &mut out);
                }
            }
            Event::BookDelta(delta) => {
                if let Some(index) = self.known_market(&delta.ticker, &mut out) {
                    if let Some(state) = self.universe.get_mut(index)
                        && let Err(error) = state.on_delta(delta, ts_ns)
                    {
                        self.requote_epoch = self.requote_epoch.wrapping_add(1);
                        out.decide(Decision::Ignored(Ignored::BookError {
                            ticker: delta.ticker.clone(),
                            error: error.to_string(),
                        }));
                    }
                    self.remark_after_book_change(index, &mut out);
                    self.requote(index, ts_ns, &mut out);
                }
            }
            Event::BookInvalidated { ticker, reason } => {
                if let Some(index) = self.known_market(ticker, &mut out) {
                    if let Some(state) = self.universe.get_mut(index) {
                        let book_reason = match reason {
                            BookInvalidation::SequenceGap | BookInvalidation::Reconnect => {
                                InvalidReason::SequenceGap
                            }
                            BookInvalidation::Stale => InvalidReason::Stale,
                        };
                        state.book_mut().mark_invalid(book_reason);
                    }
                    self.remark_after_book_change(index, &mut out);
                    self.requote(index, ts_ns, &mut out);
                }
            }
            Event::PublicTrade(trade) => {
                if let Some(index) = self.universe.index_of(&trade.ticker) {
                    if let Some(state) = self.universe.get_mut(index) {
                        state.on_trade(trade, ts_ns);
                    }
                    // Without a valid book the last trade is the mark.
                    self.remark_after_book_change(index, &mut out);
                }
            }
            Event::OwnFill(fill) => {
                match self.orders.on_fill(fill) {
                    Some((applied, effects)) => {
                        self.risk.record_fill(applied.realized, applied.fee);
                        if let Some(index) = self.universe.index_of(&fill.ticker) {
                            self.remark(index);
                        }
                        let burst =
                            self.fill_burst
                                .record_fill(self.risk.limits(), ts_ns, applied.count);
                        out.decide(Decision::Fill(applied));
                        out.absorb(effects);
                        if let Some(record) = burst {
                            out.decide(Decision::FillBurst(record));
                            self.markets.clear_desired();
                            out.commands.extend(self.orders.cancel_orders(None));
                        }
                        self.check_loss(&mut out);
                    }
                    None => out.decide(Decision::Ignored(Ignored::DuplicateFill {
                        fill_id: fill.fill_id.clone(),
                    })),
                }
                self.requote_ticker(&fill.ticker, ts_ns, &mut out);
            }
            Event::OrderAck(ack) => {
                let effects = self.orders.on_ack(ack);
                self.after_order_event(&ack.client_order_id, effects, ts_ns, &mut out);
            }
            Event::OrderRejected(rejected) => {
                let effects = self.orders.on_rejected(rejected);
                self.after_order_event(&rejected.client_order_id, effects, ts_ns, &mut out);
            }
            Event::OrderUnknown {
                client_order_id, ..
            } => {
                let effects = self.orders.on_unknown(client_order_id);
                self.after_order_event(client_order_id, effects, ts_ns, &mut out);
            }
            Event::OrderNotFound { client_order_id } => {
                let effects = self.orders.on_not_found(client_order_id);
                self.after_order_event(client_order_id, effects, ts_ns, &mut out);
            }
            Event::CancelAck(ack) => {
                let effects = self.orders.on_cancel_ack(ack);
                self.after_order_event(&ack.client_order_id, effects, ts_ns, &mut out);
            }
            Event::OrderSnapshot(snapshot) => {
                let effects = self.orders.on_snapshot(snapshot, TransitionCause::Snapshot);
                out.absorb(effects);
                self.requote_ticker(&snapshot.ticker, ts_ns, &mut out);
            }
            Event::PositionSnapshot(snapshot) => {
                let ours = self.orders.positions().get(&snapshot.ticker).position;
                if ours != snapshot.position {
                    out.decide(Decision::PositionDrift {
                        ticker: snapshot.ticker.clone(),
                        ours,
                        exchange: snapshot.position,
                    });
                }
            }
            Event::Lifecycle(change) => {
                let index = self.universe.ensure_ticker(&change.ticker);
                if let Some(state) = self.universe.get_mut(index) {
                    state.on_lifecycle(change, ts_ns);
                }
                // The market may be new to the universe while we already hold it.
                if self.remark(index) {
                    self.check_loss(&mut out);
                }
                self.requote(index, ts_ns, &mut out);
            }
            Event::ModelProbability {
                ticker,
                probability_ppm,
            } => {
                if let Some(index) = self.known_market(ticker, &mut out) {
                    let accepted = self.universe.get_mut(index).is_some_and(|state| {
                        state
                            .signal_state_mut()
                            .set_model_probability(*probability_ppm, ts_ns)
                            .is_ok()
                    });
                    if accepted {
                        self.requote(index, ts_ns, &mut out);
                    } else {
                        out.decide(Decision::Ignored(Ignored::BadModelProbability {
                            ticker: ticker.clone(),
                            probability_ppm: *probability_ppm,
                        }));
                    }
                }
            }
            Event::Reconciled { orders, positions } => {
                let (summary, effects) = self.orders.reconcile(orders, positions);
                out.decide(Decision::Reconciled(summary));
                out.absorb(effects);
                self.remark_all();
                self.reconciled = true;
                self.awaiting_reconciliation = false;
                self.select_universe(ts_ns, &mut out);
                self.requote_all(ts_ns, &mut out);
            }
            Event::Timer { kind } => {
                match kind {
                    TimerKind::Tick => {
                        self.remark_all();
                        self.check_loss(&mut out);
                        if let Some(record) = self.fill_burst.on_tick(self.risk.limits(), ts_ns) {
                            self.bump_requote_epoch();
                            out.decide(Decision::FillBurst(record));
                        }
                    }
                    TimerKind::DailyReset => {
                        if let Some(record) = self.risk.daily_reset() {
                            out.decide(Decision::RiskState(record));
                        }
                    }
                }
                self.requote_all(ts_ns, &mut out);
            }
            Event::Control(control) => self.on_control(*control, ts_ns, &mut out),
            Event::OperatorSet(set) => self.on_operator_set(set.setting, ts_ns, &mut out),
            Event::Operator(control) => {
                if control.command == ControlCommand::Resume
                    && !control.confirm_daily_loss
                    && self.risk.halt_needs_confirmation()
                {
                    out.decide(Decision::ResumeRefused {
                        state: self.risk.state(),
                    });
                } else {
                    self.on_control(control.command, ts_ns, &mut out);
                }
            }
            Event::ExchangeStatus { trading_active } => {
                self.trading_active = *trading_active;
                self.requote_all(ts_ns, &mut out);
            }
            Event::RiskStateRestored(record) => {
                out.decide(Decision::RiskState(self.risk.restore(record)));
                self.requote_all(ts_ns, &mut out);
            }
            Event::FeedReconnected => {
                self.awaiting_reconciliation = true;
                out.decide(Decision::AwaitingReconciliation);
            }
            Event::Tuning(v1) => self.take_tuning(
                Tuning::from(v1),
                Decision::TuningAccepted(v1.clone()),
                ts_ns,
                &mut out,
            ),
            Event::TuningSettings(settings) => self.take_tuning(
                Tuning::from_settings(settings),
                Decision::TuningSettingsAccepted(settings.clone()),
                ts_ns,
                &mut out,
            ),
            Event::FeesChanged(fees) => {
                for change in fees {
                    if let Some(index) = self.known_market(&change.ticker, &mut out) {
                        if let Some(state) = self.universe.get_mut(index) {
                            state.set_fee(change.fee.clone(), ts_ns);
                        }
                        self.requote(index, ts_ns, &mut out);
                    }
                }
            }
            // Read for the drift monitor only: nothing the engine decides depends on it.
            Event::QueuePositions(_) => {}
            Event::TradeHistory(history) => {
                // Sent before the listing that chooses the universe, so the market may be new.
                let index = self.universe.ensure_ticker(&history.ticker);
                if let Some(state) = self.universe.get_mut(index) {
                    state.on_trade_history(&history.trades, history.covered_from_ns, ts_ns);
                }
                self.remark_after_book_change(index, &mut out);
            }
            Event::FeedLag { lag_ms, stale } => {
                if *stale != self.data_stale {
                    self.data_stale = *stale;
                    out.decide(Decision::FeedLag {
                        lag_ms: *lag_ms,
                        stale: *stale,
                    });
                    self.requote_all(ts_ns, &mut out);
                }
            }
        }
        out
    }

    fn known_market(&self, ticker: &str, out: &mut Output) -> Option<MarketIndex> {
        let index = self.universe.index_of(ticker);
        if index.is_none() {
            out.decide(Decision::Ignored(Ignored::UnknownMarket {
                ticker: ticker.to_string(),
            }));
        }
        index
    }

    fn after_order_event(
        &mut self,
        client_order_id: &ClientOrderId,
        effects: Effects,
        ts_ns: i64,
        out: &mut Output,
    ) {
        out.absorb(effects);
        if let Some(ticker) = self
            .orders
            .get(client_order_id)
            .map(|record| record.ticker.clone())
        {
            self.requote_ticker(&ticker, ts_ns, out);
        }
    }

    /// Picks the quoted universe: the scanner's best, plus every market where we hold a
    /// position or orders. With [`Tuning::recent_activity`] the scanner sees each market's
    /// live state (its trade tape and, when valid, its book); without it, the listings alone.
    fn select_universe(&mut self, ts_ns: i64, out: &mut Output) {
        let Some(config) = self
            .configured
            .as_ref()
            .map(|configured| &configured.config)
        else {
            return;
        };
        let mut keep: BTreeSet<String> = self
            .orders
            .positions()
            .iter()
            .filter(|(_, position)| position.position.centi() != 0)
            .map(|(ticker, _)| ticker.to_string())
            .collect();
        keep.extend(
            self.orders
                .live_orders()
                .filter(|record| record.status.may_rest())
                .map(|record| record.ticker.clone()),
        );
        let report = if self.tuning.recent_activity {
            scan_universe(&self.universe, &keep, &config.scanner, ts_ns)
        } else {
            let listings: Vec<_> = self
                .universe
                .iter()
                .map(|(_, state)| state.info().clone())
                .collect();
            scan_listings(&listings, &keep, &config.scanner, ts_ns)
        };
        let quoted_max = usize::try_from(config.quoted_markets_max).unwrap_or(usize::MAX);
        let mut selected = BTreeSet::new();
        let mut names = Vec::new();
        for row in &report.ranked {
            if names.len() >= quoted_max && !keep.contains(&row.ticker) {
                continue;
            }
            if let Some(index) = self.universe.index_of(&row.ticker) {
                selected.insert(index);
                names.push(row.ticker.clone());
            }
        }
        let dropped: Vec<DroppedMarket> = report
            .dropped
            .iter()
            .map(|row| DroppedMarket {
                ticker: row.ticker.clone(),
                reasons: row.reasons.clone(),
            })
            .collect();
        if selected != self.markets.quoted() || dropped != self.dropped {
            self.markets.set_quoted(&selected);
            self.dropped = dropped.clone();
            out.decide(Decision::UniverseSelected {
                listed: u32::try_from(self.universe.len()).unwrap_or(u32::MAX),
                quoted: names,
                dropped,
            });
        }
    }

    /// Takes validated tuning settings (announced by `accepted`), or refuses them all.
    fn take_tuning(&mut self, tuning: Tuning, accepted: Decision, ts_ns: i64, out: &mut Output) {
        if let Err(error) = tuning.validate() {
            out.decide(Decision::Ignored(Ignored::ConfigRejected {
                error: error.to_string(),
            }));
            return;
        }
        self.tuning = tuning;
        if !self.tuning.live_filters {
            for slot in self.markets.slots_mut() {
                slot.live_failing = false;
            }
        }
        out.decide(accepted);
        self.requote_all(ts_ns, out);
    }

    /// Files `ticker` under `event` for the per-event position limit (leaving the event it
    /// was listed under before, if it moved).
    fn file_under_event(&mut self, ticker: &str, event: &str) {
        if self.orders.event_of(ticker) == Some(event) {
            return;
        }
        if let Some(previous) = self.orders.event_of(ticker).map(str::to_string)
            && let Some(siblings) = self.event_markets.get_mut(&previous)
        {
            siblings.remove(ticker);
        }
        self.event_markets
            .entry(event.to_string())
            .or_default()
            .insert(ticker.to_string());
        self.orders.assign_event(ticker, event);
    }

    fn next_id(&mut self) -> Option<ClientOrderId> {
        self.configured
            .as_mut()
            .map(|configured| configured.ids.next_id())
    }
}

/// The side whose fills would reduce `position` (none when flat).
fn reducing_side(position: SignedCount) -> Option<BookSide> {
    match position.centi() {
        0 => None,
        centi if centi > 0 => Some(BookSide::Ask),
        _ => Some(BookSide::Bid),
    }
}
