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
use crate::fair_value::{FairValue, fair_value};
use crate::fees::Liquidity;
use crate::fill_burst::FillBurstBreaker;
use crate::fixed::{Count, Money, Price, SignedCount};
use crate::live_filter::fails_live_filters;
use crate::market_data::MarketStatus;
use crate::market_scanner::{scan_listings, scan_universe};
use crate::market_state::MarketStateConfig;
use crate::orders::{DesiredQuote, DiffPlan, Effects, InFlight, OrderManager, TransitionCause};
use crate::pnl::live_mark;
use crate::risk::{Risk, RiskState, RiskView, ScopeExposure};
use crate::side::BookSide;
use crate::strategy::maker_ladder::MakerLadder;
use crate::strategy::{
    ExitOrder, QuoteContext, QuotePlan, SideHeldReason, Strategy, WithdrawReason,
};
use crate::tuning::Tuning;
use crate::universe::{MarketIndex, Universe};

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
    config: Option<EngineConfig>,
    universe: Universe,
    quoted: BTreeSet<MarketIndex>,
    /// The scanner's drop list at the last selection, to report only changes.
    dropped: Vec<DroppedMarket>,
    event_markets: BTreeMap<String, BTreeSet<String>>,
    desired: BTreeMap<MarketIndex, Vec<DesiredQuote>>,
    fair_ppm: BTreeMap<MarketIndex, u32>,
    /// The last [`Decision::FairValue`] recorded per market, to record only changes.
    fair_records: BTreeMap<MarketIndex, FairValue>,
    orders: OrderManager,
    /// Marked P&L of each market where we hold a position (and that the universe knows),
    /// kept so a book change re-marks only its own market.
    marked_pnl: BTreeMap<MarketIndex, Money>,
    /// Sum of `marked_pnl`.
    marked_pnl_total: Money,
    risk: Risk,
    fill_burst: FillBurstBreaker,
    ev_gate: Option<EvGate>,
    strategy: Option<Box<dyn Strategy + Send>>,
    custom_strategy: bool,
    ids: Option<ClientOrderIdGenerator>,
    reconciled: bool,
    /// A feed reconnected and the reconciliation that follows has not landed: new orders and
    /// size-increasing amends are held, cancels and decreases flow.
    awaiting_reconciliation: bool,
    trading_active: bool,
    shutting_down: bool,
    /// Markets an operator's flatten is unwinding: no ladder there, only reduce-only exits at
    /// the opposite touch until the position is gone (cleared by resume, halt and kill).
    flattening: BTreeSet<MarketIndex>,
    /// The runtime reported inputs older than its staleness bound ([`Event::FeedLag`]):
    /// nothing is quoted until it reports them fresh again.
    data_stale: bool,
    /// Settings from the `Tuning` input ([`Tuning::before_tuning`] until one arrives).
    tuning: Tuning,
    /// Quoted markets whose live book fails the spread or near-resolved filter.
    live_failing: BTreeSet<MarketIndex>,
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
            config: None,
            universe: Universe::new(MarketStateConfig::default()),
            quoted: BTreeSet::new(),
            dropped: Vec::new(),
            event_markets: BTreeMap::new(),
            desired: BTreeMap::new(),
            fair_ppm: BTreeMap::new(),
            fair_records: BTreeMap::new(),
            orders: OrderManager::new(),
            marked_pnl: BTreeMap::new(),
            marked_pnl_total: Money::ZERO,
            risk: Risk::new(defaults.risk),
            fill_burst: FillBurstBreaker::new(),
            ev_gate: None,
            strategy: None,
            custom_strategy: false,
            ids: None,
            reconciled: false,
            awaiting_reconciliation: false,
            trading_active: true,
            shutting_down: false,
            flattening: BTreeSet::new(),
            data_stale: false,
            tuning: Tuning::before_tuning(),
            live_failing: BTreeSet::new(),
        }
    }

    /// An engine that runs `strategy` instead of the maker ladder.
    pub fn with_strategy(strategy: Box<dyn Strategy + Send>) -> Engine {
        Engine {
            strategy: Some(strategy),
            custom_strategy: true,
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

    /// The markets.
    pub fn universe(&self) -> &Universe {
        &self.universe
    }

    /// Applies one envelope.
    pub fn process(&mut self, envelope: &Envelope) -> Output {
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
                            self.desired.clear();
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

    fn on_config(&mut self, config: &EngineConfig, out: &mut Output) {
        if let Err(error) = config.validate() {
            out.decide(Decision::Ignored(Ignored::ConfigRejected {
                error: error.to_string(),
            }));
            return;
        }
        let same_run = self
            .config
            .as_ref()
            .is_some_and(|previous| previous.run_id == config.run_id);
        if !same_run {
            self.ids = Some(ClientOrderIdGenerator::new(config.run_id.clone()));
        }
        self.risk.set_limits(config.risk.clone());
        self.ev_gate = Some(EvGate::new(
            config.ev_gate.clone(),
            config.fee_target_precision_micros,
        ));
        if !self.custom_strategy {
            self.strategy = Some(Box::new(MakerLadder::new(config.strategy.clone())));
        }
        if self.universe.is_empty() {
            self.universe = Universe::new(config.market_state);
        }
        self.config = Some(config.clone());
        out.decide(Decision::ConfigAccepted {
            run_id: config.run_id.to_string(),
        });
    }

    /// An operator's live setting: the edge in either direction, a risk limit only when it
    /// tightens; applied settings requote every market at once.
    fn on_operator_set(&mut self, setting: LiveSetting, ts_ns: i64, out: &mut Output) {
        let refuse = |out: &mut Output, reason: String| {
            out.decide(Decision::OperatorSetting {
                setting,
                applied: false,
                reason,
            });
        };
        let Some(mut config) = self.config.clone() else {
            refuse(out, "no configuration yet".to_string());
            return;
        };
        let risk = &mut config.risk;
        let tightens = match setting {
            LiveSetting::MinEdgeMicros(edge) if edge < 0 => {
                refuse(out, format!("min_edge_micros {edge} is negative"));
                return;
            }
            LiveSetting::MinEdgeMicros(edge) => {
                config.ev_gate.min_edge_micros = edge;
                true
            }
            LiveSetting::OrderContractsMax(count) => tighten(&mut risk.order_contracts_max, count),
            LiveSetting::MarketPositionMax(count) => tighten(&mut risk.market_position_max, count),
            LiveSetting::EventPositionMax(count) => tighten(&mut risk.event_position_max, count),
            LiveSetting::AccountExposureMax(money) => {
                tighten(&mut risk.account_exposure_max, money)
            }
            LiveSetting::OpenOrdersPerMarketMax(max) => {
                tighten(&mut risk.open_orders_per_market_max, max)
            }
            LiveSetting::DailyLossStop(money) => tighten(&mut risk.daily_loss_stop, money),
            LiveSetting::DailyLossReducing(money) => tighten(&mut risk.daily_loss_reducing, money),
        };
        if !tightens {
            refuse(
                out,
                "a risk limit may only tighten while running".to_string(),
            );
            return;
        }
        if let Err(error) = config.validate() {
            refuse(out, error.to_string());
            return;
        }
        self.risk.set_limits(config.risk.clone());
        self.ev_gate = Some(EvGate::new(
            config.ev_gate.clone(),
            config.fee_target_precision_micros,
        ));
        self.config = Some(config);
        out.decide(Decision::OperatorSetting {
            setting,
            applied: true,
            reason: String::new(),
        });
        self.check_loss(out);
        self.requote_all(ts_ns, out);
    }

    fn on_control(&mut self, control: ControlCommand, ts_ns: i64, out: &mut Output) {
        match control {
            ControlCommand::KillSwitch => {
                self.flattening.clear();
                if let Some(record) = self.risk.kill() {
                    out.decide(Decision::RiskState(record));
                }
                // The exchange-wide cancel covers every order; per-order records wait for the
                // exchange's cancel reports.
                self.orders.cancel_orders(None);
                self.desired.clear();
                out.commands.push(Command::CancelAll);
            }
            ControlCommand::Halt => {
                self.flattening.clear();
                if let Some(record) = self.risk.halt() {
                    out.decide(Decision::RiskState(record));
                }
                self.requote_all(ts_ns, out);
                out.commands.extend(self.orders.cancel_orders(None));
            }
            ControlCommand::Resume => {
                match self.risk.resume(self.unrealized_pnl()) {
                    Ok(Some(record)) => {
                        self.flattening.clear();
                        out.decide(Decision::RiskState(record));
                    }
                    Ok(None) => self.flattening.clear(),
                    Err(state) => out.decide(Decision::ResumeRefused { state }),
                }
                self.requote_all(ts_ns, out);
            }
            ControlCommand::Shutdown => {
                self.shutting_down = true;
                self.requote_all(ts_ns, out);
                out.commands.extend(self.orders.cancel_orders(None));
            }
            ControlCommand::Flatten => self.flatten(ts_ns, out),
        }
    }

    /// Flatten (see [`ControlCommand::Flatten`]): REDUCING, every order of ours cancelled, and
    /// every market with a position marked for unwinding: from then on its requotes send
    /// reduce-only exits ([`Engine::unwind`]) instead of the ladder.
    fn flatten(&mut self, ts_ns: i64, out: &mut Output) {
        match self.risk.flatten() {
            Ok(Some(record)) => out.decide(Decision::RiskState(record)),
            Ok(None) => {}
            Err(state) => {
                out.decide(Decision::ResumeRefused { state });
                return;
            }
        }
        out.commands.extend(self.orders.cancel_orders(None));
        self.desired.clear();
        let held: Vec<String> = self
            .orders
            .positions()
            .iter()
            .filter(|(_, position)| position.position.centi() != 0)
            .map(|(ticker, _)| ticker.to_string())
            .collect();
        for ticker in held {
            if let Some(index) = self.universe.index_of(&ticker) {
                self.flattening.insert(index);
                self.unwind(index, &ticker, ts_ns, out);
            }
        }
    }

    /// One unwinding step of a flattened market: a reduce-only immediate-or-cancel exit at
    /// the opposite touch for the part of the position that no order of ours is already
    /// selling (or buying back), at most what the touch holds. Orders still resting (their
    /// cancels not yet confirmed) keep it waiting; each cancel or exit report re-runs it.
    fn unwind(&mut self, index: MarketIndex, ticker: &str, ts_ns: i64, out: &mut Output) {
        let (market, _) = self.orders.market_exposure(ticker, None);
        let position = market.position.centi();
        if position == 0 {
            self.flattening.remove(&index);
            return;
        }
        let Some(state) = self.universe.get(index) else {
            return;
        };
        let (side, touch, already) = if position > 0 {
            (
                BookSide::Ask,
                state.book().best_bid(),
                market.resting_ask.centi(),
            )
        } else {
            (
                BookSide::Bid,
                state.book().best_ask(),
                market.resting_bid.centi(),
            )
        };
        let Some(level) = touch else {
            return;
        };
        let wanted = (position.abs() - already).min(level.size.centi());
        let count_centi = if state.info().fractional_trading {
            wanted
        } else {
            wanted - wanted.rem_euclid(100)
        };
        let Ok(count) = Count::from_centi(count_centi) else {
            return;
        };
        if count.is_zero() {
            return;
        }
        self.send_exit(
            ticker,
            ExitOrder {
                side,
                price: level.price,
                count,
            },
            ts_ns,
            out,
        );
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
        let Some(config) = &self.config else { return };
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
        if selected != self.quoted || dropped != self.dropped {
            self.quoted = selected;
            self.dropped = dropped.clone();
            out.decide(Decision::UniverseSelected {
                listed: u32::try_from(self.universe.len()).unwrap_or(u32::MAX),
                quoted: names,
                dropped,
            });
        }
    }

    /// Marked P&L of every open position, from the running total.
    fn unrealized_pnl(&self) -> Money {
        debug_assert_eq!(self.marked_pnl_total, self.unrealized_pnl_walk());
        self.marked_pnl_total
    }

    /// The marked P&L of market `index`'s position: `None` when flat (or unknown); zero when
    /// held but with no mark (no valid book and no trade).
    fn marked_pnl_of(&self, index: MarketIndex) -> Option<Money> {
        let state = self.universe.get(index)?;
        let position = self.orders.positions().get(state.ticker());
        if position.position.centi() == 0 {
            return None;
        }
        Some(live_mark(state).map_or(Money::ZERO, |(mark, _)| position.unrealized_pnl(mark)))
    }

    /// Re-marks market `index` (O(1) in the number of markets); true when its marked P&L
    /// changed.
    fn remark(&mut self, index: MarketIndex) -> bool {
        let next = self.marked_pnl_of(index);
        let previous = self.marked_pnl.get(&index).copied();
        if next == previous {
            return false;
        }
        self.marked_pnl_total =
            self.marked_pnl_total - previous.unwrap_or(Money::ZERO) + next.unwrap_or(Money::ZERO);
        match next {
            Some(term) => self.marked_pnl.insert(index, term),
            None => self.marked_pnl.remove(&index),
        };
        previous.unwrap_or(Money::ZERO) != next.unwrap_or(Money::ZERO)
    }

    /// After a book (or trade) change in market `index`: when we hold a position there and its
    /// mark moved, the daily loss thresholds are applied in this same step.
    fn remark_after_book_change(&mut self, index: MarketIndex, out: &mut Output) {
        if self.marked_pnl.contains_key(&index) && self.remark(index) {
            self.check_loss(out);
        }
    }

    /// Re-marks every open position from scratch (positions adopted or listed wholesale).
    fn remark_all(&mut self) {
        self.marked_pnl.clear();
        self.marked_pnl_total = Money::ZERO;
        let held: Vec<MarketIndex> = self
            .orders
            .positions()
            .iter()
            .filter(|(_, position)| position.position.centi() != 0)
            .filter_map(|(ticker, _)| self.universe.index_of(ticker))
            .collect();
        for index in held {
            self.remark(index);
        }
    }

    /// [`Engine::unrealized_pnl`] by walking every position (the reference the running total
    /// is checked against).
    fn unrealized_pnl_walk(&self) -> Money {
        let mut total = Money::ZERO;
        for (ticker, position) in self.orders.positions().iter() {
            if position.position.centi() == 0 {
                continue;
            }
            let Some(state) = self.universe.by_ticker(ticker) else {
                continue;
            };
            if let Some((mark, _)) = live_mark(state) {
                total = total + position.unrealized_pnl(mark);
            }
        }
        total
    }

    fn check_loss(&mut self, out: &mut Output) {
        if let Some(record) = self.risk.check_loss(self.unrealized_pnl()) {
            out.decide(Decision::RiskState(record));
            if record.state == RiskState::Halted {
                self.desired.clear();
                out.commands.extend(self.orders.cancel_orders(None));
            }
        }
    }

    fn requote_ticker(&mut self, ticker: &str, ts_ns: i64, out: &mut Output) {
        if let Some(index) = self.universe.index_of(ticker) {
            self.requote(index, ts_ns, out);
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
            self.live_failing.clear();
        }
        out.decide(accepted);
        self.requote_all(ts_ns, out);
    }

    fn requote_all(&mut self, ts_ns: i64, out: &mut Output) {
        let mut markets: BTreeSet<MarketIndex> = self.quoted.clone();
        markets.extend(self.desired.keys().copied());
        for record in self.orders.live_orders() {
            if record.managed
                && !record.status.is_terminal()
                && let Some(index) = self.universe.index_of(&record.ticker)
            {
                markets.insert(index);
            }
        }
        for index in markets {
            self.requote(index, ts_ns, out);
        }
    }

    /// Why `index` may not be quoted right now, if it may not.
    fn blocked(&self, index: MarketIndex) -> Option<WithdrawReason> {
        let state = self.universe.get(index)?;
        if self.shutting_down || self.risk.state() == RiskState::Halted {
            return Some(WithdrawReason::Stopped);
        }
        if self.fill_burst.is_tripped() {
            return Some(WithdrawReason::FillBurst);
        }
        if self.data_stale {
            return Some(WithdrawReason::StaleData);
        }
        if self.live_failing.contains(&index) {
            return Some(WithdrawReason::LiveFilter);
        }
        if !self.quoted.contains(&index) {
            return Some(WithdrawReason::NotInUniverse);
        }
        if state.status() != MarketStatus::Active {
            return Some(WithdrawReason::NotTradable);
        }
        if !state.book().is_valid() {
            return Some(WithdrawReason::BookInvalid);
        }
        None
    }

    /// Re-judges the scanner's book filters on market `index`'s live book (when the tuning
    /// asks for it): a market that fails is withdrawn by [`Engine::blocked`] until it passes
    /// again with the hysteresis room.
    fn judge_live_filters(&mut self, index: MarketIndex) {
        if !self.tuning.live_filters {
            return;
        }
        let (Some(config), Some(state)) = (self.config.as_ref(), self.universe.get(index)) else {
            return;
        };
        let was_failing = self.live_failing.contains(&index);
        let failing = state.book().is_valid()
            && fails_live_filters(
                state,
                &config.scanner,
                was_failing,
                self.tuning.live_filter_hysteresis_ticks,
            );
        if failing != was_failing {
            if failing {
                self.live_failing.insert(index);
            } else {
                self.live_failing.remove(&index);
            }
        }
    }

    /// Brings one market's working quotes in line with what the strategy wants now.
    fn requote(&mut self, index: MarketIndex, ts_ns: i64, out: &mut Output) {
        if self.config.is_none() || !self.reconciled {
            return;
        }
        let Some(ticker) = self.universe.shared_ticker(index) else {
            return;
        };
        if self.flattening.contains(&index) {
            self.unwind(index, &ticker, ts_ns, out);
            return;
        }
        self.judge_live_filters(index);
        if let Some(reason) = self.blocked(index) {
            self.withdraw(index, &ticker, reason, out);
            return;
        }
        if !self.trading_active {
            // Place and amend are refused during a pause; resting orders stay (cancels would
            // still be allowed, but nothing here needs one).
            return;
        }
        let plan = self.plan(index, &ticker, ts_ns, out);
        match plan {
            None => {}
            Some(QuotePlan::Keep) => {}
            Some(QuotePlan::Quote { .. }) => {}
            Some(QuotePlan::Withdraw { reason, exits }) => {
                self.withdraw(index, &ticker, reason, out);
                if let Some(held) = self.places_held_reason() {
                    if !exits.is_empty() {
                        out.decide(Decision::PlacesHeld {
                            ticker: ticker.to_string(),
                            count: u32::try_from(exits.len()).unwrap_or(u32::MAX),
                            reason: held,
                        });
                    }
                    return;
                }
                for exit in exits {
                    self.send_exit(&ticker, exit, ts_ns, out);
                }
                return;
            }
        }
        let desired = self.desired.get(&index).map_or(&[][..], Vec::as_slice);
        let diff = self.orders.diff(&ticker, desired);
        self.apply_diff(&ticker, diff, ts_ns, out);
    }

    /// Runs the strategy for one market, gating new quotes through the EV gate.
    fn plan(
        &mut self,
        index: MarketIndex,
        ticker: &str,
        ts_ns: i64,
        out: &mut Output,
    ) -> Option<QuotePlan> {
        let config = self.config.as_ref()?;
        let state = self.universe.get(index)?;
        let grid = state.tick_grid().ok()?;
        let blend = self.tuning.blend();
        let Some(fair) = fair_value(state, ts_ns, &config.signals, &blend) else {
            return Some(QuotePlan::Withdraw {
                reason: WithdrawReason::NoTouch,
                exits: Vec::new(),
            });
        };
        let fair_ppm = fair.fair_ppm;
        let fair_source = fair.source;
        self.fair_ppm.insert(index, fair_ppm);
        let fees = fee_schedule_for(state.info().fee.as_ref());
        let ev_gate = self.ev_gate.as_ref()?;
        let book = state.book();
        let best_bid = book.best_bid().map(|level| level.price);
        let best_ask = book.best_ask().map(|level| level.price);
        let mut has_working_quotes = false;
        let mut working_quote_crosses = false;
        for record in self.orders.working_quotes(ticker) {
            has_working_quotes = true;
            working_quote_crosses |= match record.side {
                BookSide::Bid => best_ask.is_some_and(|ask| record.price >= ask),
                BookSide::Ask => best_bid.is_some_and(|bid| record.price <= bid),
            };
        }
        let position = self.orders.positions().get(ticker).position;
        let context = QuoteContext {
            market: index,
            ticker,
            ts_ns,
            book,
            grid,
            fair_ppm,
            fair_source,
            position,
            time_to_close_ns: state.time_to_close_ns(ts_ns),
            has_working_quotes,
            working_quote_crosses,
            fractional: state.info().fractional_trading,
            ev_gate,
            fees: fees.as_ref(),
        };
        let inventory_skew =
            inventory_skew_micros(position, config.strategy.inventory_skew_micros_per_contract);
        let strategy = self.strategy.as_mut()?;
        let plan = strategy.plan(&context);
        if let QuotePlan::Quote {
            reason,
            quotes,
            held,
        } = &plan
        {
            if !blend.is_off() && self.fair_records.get(&index) != Some(&fair) {
                self.fair_records.insert(index, fair);
                out.decide(Decision::FairValue {
                    ticker: ticker.to_string(),
                    value: fair,
                });
            }
            let mut passed = Vec::new();
            for quote in quotes {
                let inputs = EvInputs {
                    ticker: ticker.to_string(),
                    side: quote.side,
                    price: quote.price,
                    count: quote.count,
                    liquidity: Liquidity::Maker,
                    fair_ppm,
                    fair_source,
                    inventory_skew_micros: inventory_skew,
                };
                let decision = ev_gate.evaluate_maker(inputs, fees.as_ref());
                if decision.passed() {
                    passed.push(*quote);
                }
                out.decide(Decision::Ev(decision));
            }
            out.decide(Decision::Quote(QuoteDecision {
                ticker: ticker.to_string(),
                strategy: strategy.name().to_string(),
                reason: *reason,
                fair_ppm,
                fair_source,
                best_bid,
                best_ask,
                position,
                quotes: passed.clone(),
            }));
            for held in held {
                out.decide(Decision::SideHeld {
                    ticker: ticker.to_string(),
                    side: held.side,
                    position,
                    reason: held.reason,
                });
            }
            if let Some(reducing) = reducing_side(position)
                && quotes.iter().any(|quote| quote.side == reducing)
                && !passed.iter().any(|quote| quote.side == reducing)
            {
                out.decide(Decision::SideHeld {
                    ticker: ticker.to_string(),
                    side: reducing,
                    position,
                    reason: SideHeldReason::ReducingBelowMinEdge,
                });
            }
            self.desired.insert(index, passed);
        }
        Some(plan)
    }

    fn withdraw(
        &mut self,
        index: MarketIndex,
        ticker: &str,
        reason: WithdrawReason,
        out: &mut Output,
    ) {
        if let Some(strategy) = self.strategy.as_mut() {
            strategy.forget(index);
        }
        let had_desired = self
            .desired
            .remove(&index)
            .is_some_and(|quotes| !quotes.is_empty());
        // Every managed order of the market, exits included; orders not yet acknowledged are
        // cancelled as soon as the exchange names them.
        let cancels = self.orders.cancel_orders(Some(ticker));
        if had_desired || !cancels.is_empty() {
            out.decide(Decision::Withdraw {
                ticker: ticker.to_string(),
                reason,
            });
        }
        out.commands.extend(cancels);
    }

    /// Why new orders and size-increasing amends are held right now, if they are.
    fn places_held_reason(&self) -> Option<PlacesHeldReason> {
        self.awaiting_reconciliation
            .then_some(PlacesHeldReason::AwaitingReconciliation)
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
        self.ids.as_mut().map(ClientOrderIdGenerator::next_id)
    }

    fn risk_view(&self, ticker: &str, price: Price, excluding: Option<&ClientOrderId>) -> RiskView {
        let (market, open_orders_in_market) = self.orders.market_exposure(ticker, excluding);
        let state = self.universe.by_ticker(ticker);
        let event_ticker = state
            .map(|state| state.info().event_ticker.clone())
            .unwrap_or_default();
        let event = if event_ticker.is_empty() {
            None
        } else {
            self.orders.event_exposure(&event_ticker, excluding)
        }
        .unwrap_or(market);
        debug_assert_eq!(
            event,
            self.event_exposure_walk(&event_ticker, market, excluding)
        );
        let fair = self
            .universe
            .index_of(ticker)
            .and_then(|index| self.fair_ppm.get(&index))
            .and_then(|ppm| Price::from_micros(i64::from(*ppm)).ok());
        let price_on_grid = state
            .and_then(|state| state.tick_grid().ok())
            .is_some_and(|grid| grid.is_valid(price));
        RiskView {
            market,
            event,
            open_orders_in_market,
            account_exposure: self.orders.account_exposure(excluding),
            fair,
            price_on_grid,
        }
    }

    /// The event scope of [`Engine::risk_view`] summed market by market (the reference the
    /// order books' running totals are checked against).
    fn event_exposure_walk(
        &self,
        event_ticker: &str,
        market: ScopeExposure,
        excluding: Option<&ClientOrderId>,
    ) -> ScopeExposure {
        let mut event = ScopeExposure::default();
        match self.event_markets.get(event_ticker) {
            Some(tickers) if !event_ticker.is_empty() => {
                for sibling in tickers {
                    let (exposure, _) = self.orders.market_exposure(sibling, excluding);
                    event.position = event.position + exposure.position;
                    event.resting_bid = event.resting_bid + exposure.resting_bid;
                    event.resting_ask = event.resting_ask + exposure.resting_ask;
                }
                event
            }
            _ => market,
        }
    }

    fn apply_diff(&mut self, ticker: &str, diff: DiffPlan, ts_ns: i64, out: &mut Output) {
        out.decisions
            .extend(diff.transitions.into_iter().map(Decision::Order));
        for cancel in diff.cancels {
            self.orders
                .record_sent(&cancel.client_order_id, InFlight::Cancel, ts_ns);
            out.commands.push(Command::Cancel(cancel));
        }
        for decrease in diff.decreases {
            self.orders.record_sent(
                &decrease.client_order_id,
                InFlight::Decrease {
                    reduce_to: decrease.reduce_to,
                },
                ts_ns,
            );
            out.commands.push(Command::Decrease(decrease));
        }
        if let Some(reason) = self.places_held_reason() {
            // The diff's amends only ever top an order up, so they wait with the places.
            let held = diff.amends.len() + diff.places.len();
            if held > 0 {
                out.decide(Decision::PlacesHeld {
                    ticker: ticker.to_string(),
                    count: u32::try_from(held).unwrap_or(u32::MAX),
                    reason,
                });
            }
            return;
        }
        for amend in diff.amends {
            let view = self.risk_view(ticker, amend.price, Some(&amend.client_order_id));
            let mut decision = RiskDecision {
                client_order_id: amend.client_order_id.clone(),
                ticker: ticker.to_string(),
                request: RequestKind::Amend,
                side: amend.side,
                price: amend.price,
                count: amend.remaining_count,
                rejection: None,
            };
            match self.risk.check_amend(amend, &view, ts_ns) {
                Ok(approved) => {
                    self.orders.record_sent(
                        &approved.client_order_id,
                        InFlight::Amend {
                            price: approved.price,
                            total_count: approved.total_count,
                        },
                        ts_ns,
                    );
                    out.decide(Decision::Risk(decision));
                    out.commands.push(Command::Amend(approved));
                }
                Err(rejection) => {
                    decision.rejection = Some(rejection);
                    out.decide(Decision::Risk(decision));
                }
            }
        }
        let mut deferred: u32 = 0;
        for spec in diff.places {
            // With the order-rate budget spent, a new place would only be refused by risk and
            // burn a client id: leave it desired for a later step instead.
            if self.risk.rate_budget_available(ts_ns) < 1 {
                deferred += 1;
                continue;
            }
            let client_order_id = match spec.retry_of.clone() {
                Some(id) => id,
                None => match self.next_id() {
                    Some(id) => id,
                    None => return,
                },
            };
            let order = self.place_order(
                client_order_id,
                ticker,
                spec.quote.side,
                spec.quote.price,
                spec.quote.count,
                false,
            );
            self.submit(order, ts_ns, out);
        }
        if deferred > 0 {
            out.decide(Decision::PlacesDeferred {
                ticker: ticker.to_string(),
                count: deferred,
            });
        }
    }

    fn place_order(
        &self,
        client_order_id: ClientOrderId,
        ticker: &str,
        side: BookSide,
        price: Price,
        count: Count,
        exit: bool,
    ) -> PlaceOrder {
        let defaults = self
            .config
            .as_ref()
            .map(|config| config.orders.clone())
            .unwrap_or_default();
        PlaceOrder {
            client_order_id,
            ticker: ticker.to_string(),
            side,
            price,
            count,
            time_in_force: if exit {
                TimeInForce::ImmediateOrCancel
            } else {
                TimeInForce::GoodTillCanceled
            },
            post_only: !exit,
            reduce_only: exit,
            self_trade_prevention: defaults.self_trade_prevention,
            cancel_order_on_pause: defaults.cancel_order_on_pause && !exit,
            expiration_ts_s: None,
            order_group_id: defaults.order_group_id,
        }
    }

    fn submit(&mut self, order: PlaceOrder, ts_ns: i64, out: &mut Output) {
        let view = self.risk_view(&order.ticker, order.price, None);
        let mut decision = RiskDecision {
            client_order_id: order.client_order_id.clone(),
            ticker: order.ticker.clone(),
            request: RequestKind::Place,
            side: order.side,
            price: order.price,
            count: order.count,
            rejection: None,
        };
        match self.risk.check_place(order, &view, ts_ns) {
            Ok(approved) => {
                let transition = self.orders.record_place_sent(&approved, ts_ns);
                out.decide(Decision::Risk(decision));
                out.decide(Decision::Order(transition));
                out.commands.push(Command::Place(approved));
            }
            Err(rejection) => {
                decision.rejection = Some(rejection);
                out.decide(Decision::Risk(decision));
            }
        }
    }

    /// Sends a wind-down exit: recorded through the EV gate (as a taker) for the transcript,
    /// but not required to pass it, since it only reduces a position; risk still applies.
    fn send_exit(&mut self, ticker: &str, exit: ExitOrder, ts_ns: i64, out: &mut Output) {
        let Some(client_order_id) = self.next_id() else {
            return;
        };
        if let (Some(gate), Some(state)) = (self.ev_gate.as_ref(), self.universe.by_ticker(ticker))
        {
            let fair_ppm = self
                .config
                .as_ref()
                .and_then(|config| fair_value(state, ts_ns, &config.signals, &self.tuning.blend()))
                .map_or(0, |fair| fair.fair_ppm);
            let inputs = EvInputs {
                ticker: ticker.to_string(),
                side: exit.side,
                price: exit.price,
                count: exit.count,
                liquidity: Liquidity::Taker,
                fair_ppm,
                fair_source: FairSource::Book,
                inventory_skew_micros: inventory_skew_micros(
                    self.orders.positions().get(ticker).position,
                    self.config.as_ref().map_or(0, |config| {
                        config.strategy.inventory_skew_micros_per_contract
                    }),
                ),
            };
            let fees = fee_schedule_for(state.info().fee.as_ref());
            out.decide(Decision::Ev(gate.evaluate_taker(
                inputs,
                state.book(),
                fees.as_ref(),
            )));
        }
        let order = self.place_order(
            client_order_id,
            ticker,
            exit.side,
            exit.price,
            exit.count,
            true,
        );
        self.submit(order, ts_ns, out);
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

/// Sets `limit` to `value` when that is no looser; returns whether it was.
fn tighten<T: PartialOrd>(limit: &mut T, value: T) -> bool {
    if value <= *limit {
        *limit = value;
        true
    } else {
        false
    }
}
