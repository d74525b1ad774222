//! The running phase: every input source feeds the one sequencer, in arrival order, and
//! every input goes through one `EventLoop::handle` (while running and while draining at
//! shutdown). [`start`] starts the tasks that feed it.
//!
//! Sources, each a bounded channel: WebSocket events, exec outcomes, and the runtime's own
//! inputs (timers, rescans, background REST reads, stop requests), plus the signal counter.
//! Inputs are taken in batches: the first is waited for, then whatever else is already queued
//! (up to [`BATCH_INPUTS_MAX`]) is stepped without waiting, and the batch ends with one
//! journal commit before its commands are handed to exec ([`Sequencer::end_batch`]). Idle, a
//! batch is one input; behind, one fdatasync serves many steps, so a slow disk costs commit
//! throughput instead of letting the backlog grow. After each batch the sequencer's local
//! refusals are drained, the journal's group commit is given a chance, and — while running —
//! universe changes become WebSocket (un)subscriptions and snapshot reads. The status line
//! and the shutdown deadlines are checked after every batch, so a flood of inputs can delay
//! neither.
//!
//! Before each input the staleness guard ([`LagGuard`]) compares its arrival time with now;
//! past `runtime.stale_after_ms` it journals `Event::FeedLag { stale: true }` ahead of the
//! input and the engine withdraws every quote until inputs are fresh again.
//!
//! A lost or replaced socket (trading runs): the moment the runtime learns of it — the first
//! book invalidated for `Reconnect`, or the first event of a newer socket, whichever comes
//! first — `Event::FeedReconnected` is journaled as an input, before anything of the new
//! socket. The engine then holds new orders (cancels still flow) until the next `Reconciled`.
//! Once the new socket delivers, the reconciler is asked for a REST read of the account under
//! a fresh ticket; it retries until it succeeds, and only the answer to the latest ticket is
//! stepped (an older read could predate the outage). The read includes the account's fills
//! since a little before the first unreconciled outage began: fills the socket never
//! delivered reach the journal as `OwnFill`s (ones the engine has are dropped by fill id)
//! in the same batch, before the `Reconciled`.

mod metrics_text;
mod operator;
mod reconnect;
pub mod start;

use std::sync::Arc;
use std::time::Duration;

use kalshi_core::decision::Decision;
use kalshi_core::events::{BookInvalidation, ControlCommand, Event, OperatorControl, OperatorSet};
use kalshi_io::data_ws::{IoEvent, WsHandle};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::clock::now_ns;
use super::control::{ControlRequest, CtlAnswer, CtlCommand, parse_setting};
use super::exec_task::{ExecReport, WriteUsage};
use super::lag_guard::LagGuard;
use super::market_data::{FeedRequest, ReconcileRequest, fills_min_ts_s};
use super::metrics::{Exposition, Histogram, ScrapeRequest};
use super::model_line::{ModelCounters, ReadLine, Refusal, check_line, parse_line};
use super::sequencer::Sequencer;
use super::status::{QuotingHold, WsHealth, figures, status_json, status_line};
use super::timers::{Input, StopReason};
use kalshi_core::risk::RiskState;

/// Most inputs stepped in one batch before its commands are committed and sent.
pub const BATCH_INPUTS_MAX: usize = 256;

/// The running runtime's moving parts.
pub struct EventLoop {
    /// The single writer.
    pub sequencer: Sequencer,
    /// WebSocket events.
    pub ws_events: mpsc::Receiver<IoEvent>,
    /// The WebSocket task.
    pub ws: WsHandle,
    /// Exec outcomes (`None` for runs that never send orders).
    pub exec_reports: Option<mpsc::Receiver<ExecReport>>,
    /// Runtime inputs.
    pub inputs: mpsc::Receiver<Input>,
    /// Requests to the background REST reader.
    pub feed: mpsc::Sender<FeedRequest>,
    /// Whether universe changes alter the subscriptions (trading) or not (recording a fixed
    /// set of markets).
    pub follow_universe: bool,
    /// Period of the status line.
    pub status_interval: Duration,
    /// Write-token usage and the 10-second budget, for the status line.
    pub write_usage: Option<(Arc<WriteUsage>, u64)>,
    /// Signals seen so far (Ctrl-C, SIGTERM).
    signals: watch::Receiver<u32>,
    /// Signals the loop has acted on: one that arrives while a batch is being handled is
    /// still seen at the next wait.
    signals_handled: u32,
    lag: LagGuard,
    ws_closed: bool,
    ws_generation: u64,
    ws_health: WsHealth,
    /// Where reconciliation tickets go (trading runs).
    reconcile_wanted: Option<watch::Sender<ReconcileRequest>>,
    /// Outages journaled so far; the ticket of the reconciliation that may end the latest.
    outage_epoch: u64,
    /// `FeedReconnected` is journaled and the new socket has not delivered yet.
    outage_open: bool,
    /// The ticket whose answer was stepped last.
    reconciled_epoch: u64,
    /// When the first outage not yet reconciled was noticed, Unix ns.
    outage_since_ns: Option<i64>,
    /// Operator requests from the control channel ([`super::control`]).
    control: Option<mpsc::Receiver<ControlRequest>>,
    /// The model's age bound (`engine.signals.model_age_max_ns`).
    model_age_max_ns: i64,
    /// Model lines accepted and refused.
    model_counters: ModelCounters,
    /// Scrapes of the metrics endpoint ([`super::metrics`]).
    metrics: Option<mpsc::Receiver<ScrapeRequest>>,
    /// Operator controls journaled, by command.
    operator_controls: std::collections::BTreeMap<&'static str, u64>,
    /// Age of each input when the engine takes it up (arrival → decision).
    input_age: Histogram,
    /// Commands handed to exec → their request sent ([`ExecReport::latency`]).
    decision_to_request: Histogram,
    /// Requests sent → the exchange's answer read.
    request_to_answer: Histogram,
    /// Markets the drift monitor's queue reads cover (trading runs with reads on).
    drift_markets: Option<watch::Sender<Vec<String>>>,
}

/// What arrived next.
enum Next {
    Ws(IoEvent),
    WsClosed,
    Exec(ExecReport),
    Input(Input),
    InputsClosed,
    Signal,
    Status,
    Deadline,
    Control(ControlRequest),
    Scrape(ScrapeRequest),
}

/// Which phase is handling inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Trading or recording: a stop request ends the phase.
    Running,
    /// Shutting down: outcomes and feed events are processed until a deadline.
    Draining,
}

/// What handling one input means for the phase.
enum Flow {
    Continue,
    Stop(StopReason),
    EndDrain,
}

async fn recv_control<T>(requests: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match requests {
        Some(requests) => requests.recv().await,
        None => std::future::pending().await,
    }
}

async fn recv_exec(reports: &mut Option<mpsc::Receiver<ExecReport>>) -> Option<ExecReport> {
    match reports {
        Some(reports) => reports.recv().await,
        None => std::future::pending().await,
    }
}

impl EventLoop {
    /// Assembles the loop. `stale_after_ms` is the staleness guard's bound (0 = off).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sequencer: Sequencer,
        ws_events: mpsc::Receiver<IoEvent>,
        ws: WsHandle,
        exec_reports: Option<mpsc::Receiver<ExecReport>>,
        inputs: mpsc::Receiver<Input>,
        feed: mpsc::Sender<FeedRequest>,
        follow_universe: bool,
        status_interval: Duration,
        write_usage: Option<(Arc<WriteUsage>, u64)>,
        signals: watch::Receiver<u32>,
        stale_after_ms: u64,
    ) -> EventLoop {
        EventLoop {
            sequencer,
            ws_events,
            ws,
            exec_reports,
            inputs,
            feed,
            follow_universe,
            status_interval,
            write_usage,
            signals,
            signals_handled: 0,
            lag: LagGuard::new(stale_after_ms),
            ws_closed: false,
            ws_generation: 0,
            ws_health: WsHealth::default(),
            reconcile_wanted: None,
            outage_epoch: 0,
            outage_open: false,
            reconciled_epoch: 0,
            outage_since_ns: None,
            control: None,
            model_age_max_ns: i64::MAX,
            model_counters: ModelCounters::default(),
            metrics: None,
            operator_controls: std::collections::BTreeMap::new(),
            input_age: Histogram::default(),
            decision_to_request: Histogram::default(),
            request_to_answer: Histogram::default(),
            drift_markets: None,
        }
    }

    /// From now on the markets where we rest orders are published to `markets` after every
    /// batch, for the drift monitor's queue-position reads ([`super::drift`]).
    pub fn set_drift_markets(&mut self, markets: watch::Sender<Vec<String>>) {
        self.drift_markets = Some(markets);
    }

    /// Hands over the metrics endpoint's scrapes: the loop answers each between batches.
    pub fn set_metrics(&mut self, scrapes: mpsc::Receiver<ScrapeRequest>) {
        self.metrics = Some(scrapes);
    }

    /// Hands over the control channel's requests: from now on operators can steer the run.
    pub fn set_control(&mut self, requests: mpsc::Receiver<ControlRequest>) {
        self.control = Some(requests);
    }

    /// Hands over the reconciler's ticket channel: from now on a lost or replaced socket holds
    /// new orders until a fresh reconciliation (trading runs only).
    pub fn set_reconciler(&mut self, wanted: watch::Sender<ReconcileRequest>) {
        self.reconcile_wanted = Some(wanted);
    }

    /// WebSocket health over the run so far.
    pub fn ws_health(&mut self) -> &WsHealth {
        self.ws_health.observe(self.ws.stats());
        &self.ws_health
    }

    /// How many times the inputs became stale during the run.
    pub fn stale_episodes(&self) -> u64 {
        self.lag.stale_episodes()
    }

    /// Waits for the next input, the next status line or `deadline`, whichever comes first.
    async fn next(&mut self, status_at: Instant, deadline: Option<Instant>) -> Next {
        let deadline = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        let ws_closed = self.ws_closed;
        let signals_seen = self.signals_handled;
        tokio::select! {
            biased;
            changed = self.signals.wait_for(|seen| *seen > signals_seen) => {
                if changed.is_ok() { Next::Signal } else { std::future::pending().await }
            }
            Some(request) = recv_control(&mut self.control) => Next::Control(request),
            Some(scrape) = recv_control(&mut self.metrics) => Next::Scrape(scrape),
            input = self.inputs.recv() => input.map_or(Next::InputsClosed, Next::Input),
            report = recv_exec(&mut self.exec_reports) => report.map_or(Next::InputsClosed, Next::Exec),
            event = self.ws_events.recv(), if !ws_closed => event.map_or(Next::WsClosed, Next::Ws),
            () = tokio::time::sleep_until(status_at) => Next::Status,
            () = deadline => Next::Deadline,
        }
    }

    /// The next input already queued, without waiting (same priority as [`Self::next`]).
    fn try_next(&mut self) -> Option<Next> {
        if let Ok(input) = self.inputs.try_recv() {
            return Some(Next::Input(input));
        }
        if let Some(reports) = self.exec_reports.as_mut()
            && let Ok(report) = reports.try_recv()
        {
            return Some(Next::Exec(report));
        }
        if !self.ws_closed
            && let Ok(event) = self.ws_events.try_recv()
        {
            return Some(Next::Ws(event));
        }
        None
    }

    /// Write tokens spent in the last 10 s and the 10-second budget (zeros without exec).
    fn write_tokens(&self) -> (u64, u64) {
        match &self.write_usage {
            Some((usage, budget)) => (usage.spent_within(Duration::from_secs(10)), *budget),
            None => (0, 0),
        }
    }

    fn print_status(&mut self) {
        let figures = figures(&self.sequencer);
        let (tokens, budget) = self.write_tokens();
        let ws = self.ws_health().line();
        let lag_ms = self.lag.take_lag_ms_max();
        // A paper run's status line says so first: its orders and fills are simulated.
        let paper = if self.sequencer.is_paper() {
            "PAPER "
        } else {
            ""
        };
        let drift = self
            .sequencer
            .drift_report()
            .map(|report| format!(" {}", report.line()))
            .unwrap_or_default();
        tracing::info!(
            target: "kalshi_bot::status",
            "{paper}{} lag_ms_max={lag_ms} {ws}{drift}",
            status_line(&figures, tokens, budget)
        );
    }

    /// Runs the staleness guard on an input that arrived at `recv_ts_ns`, journaling the
    /// verdict's change ahead of it.
    fn guard_lag(&mut self, recv_ts_ns: i64) -> anyhow::Result<()> {
        let now = now_ns();
        let age_ns = u64::try_from(now.saturating_sub(recv_ts_ns)).unwrap_or(0);
        self.input_age.observe(Duration::from_nanos(age_ns));
        if let Some(verdict) = self.lag.observe(recv_ts_ns, now) {
            if self.lag.is_stale() {
                tracing::warn!(%verdict, "inputs are stale; every quote withdrawn until the runtime catches up");
            } else {
                tracing::info!(%verdict, "inputs are fresh again; quoting resumes");
            }
            self.sequencer.step_batched(recv_ts_ns, verdict, None)?;
        }
        Ok(())
    }

    /// Notes the socket generation startup already consumed.
    pub fn set_ws_generation(&mut self, generation: u64) {
        self.ws_generation = generation;
    }

    /// Steps `events` received at `recv_ts_ns` (one batch's worth).
    fn step_all(&mut self, recv_ts_ns: i64, events: Vec<Event>) -> anyhow::Result<()> {
        self.guard_lag(recv_ts_ns)?;
        for event in events {
            self.sequencer.step_batched(recv_ts_ns, event, None)?;
        }
        Ok(())
    }

    /// Handles one input of `phase`.
    fn handle(&mut self, next: Next, phase: Phase) -> anyhow::Result<Flow> {
        let running = phase == Phase::Running;
        match next {
            Next::Ws(event) => self.step_ws(event)?,
            Next::WsClosed => {
                self.ws_closed = true;
                if running {
                    tracing::error!("the WebSocket task ended; stopping");
                    return Ok(Flow::Stop(StopReason::FeedLost));
                }
            }
            Next::Exec(report) => {
                if let Some(latency) = report.latency {
                    self.decision_to_request
                        .observe(latency.decision_to_request);
                    self.request_to_answer.observe(latency.request_to_answer);
                }
                self.step_all(report.recv_ts_ns, report.events)?;
            }
            Next::Input(Input::Timer { fired_ts_ns, kind }) => {
                self.step_all(fired_ts_ns, vec![Event::Timer { kind }])?;
            }
            Next::Input(Input::Events { recv_ts_ns, events }) => {
                self.step_all(recv_ts_ns, events)?;
            }
            Next::Input(Input::RescanDue) => {
                if running && self.follow_universe {
                    let known = self.known_markets();
                    if self.feed.try_send(FeedRequest::Rescan { known }).is_err() {
                        tracing::debug!("rescan skipped: the REST reader is busy");
                    }
                }
            }
            Next::Input(Input::Reconciliation {
                ticket,
                recv_ts_ns,
                events,
            }) => self.step_reconciliation(ticket, recv_ts_ns, events)?,
            Next::Input(Input::Model { recv_ts_ns, lines }) => {
                if running {
                    self.step_model(recv_ts_ns, lines)?;
                }
            }
            Next::Input(Input::Stop(reason)) => {
                if running {
                    return Ok(Flow::Stop(reason));
                }
            }
            Next::Signal => {
                self.signals_handled = *self.signals.borrow();
                if running {
                    return Ok(Flow::Stop(StopReason::Signal));
                }
            }
            Next::InputsClosed => {
                return Ok(if running {
                    Flow::Stop(StopReason::FeedLost)
                } else {
                    Flow::EndDrain
                });
            }
            Next::Status => {}
            Next::Control(request) => self.on_control(request, running)?,
            Next::Scrape(answer) => {
                let _ = answer.send(self.metrics_text());
            }
            Next::Deadline => return Ok(Flow::EndDrain),
        }
        Ok(Flow::Continue)
    }

    /// Ends a batch: commits and sends its commands, drains local refusals, gives the group
    /// commit its chance and (while running) turns universe changes into subscriptions.
    fn after_batch(&mut self, running: bool) -> anyhow::Result<()> {
        let now = now_ns();
        self.sequencer.drain_local(now)?;
        self.sequencer.flush_if_due(now)?;
        if let Some(markets) = &self.drift_markets {
            let resting = self.sequencer.drift_markets();
            markets.send_if_modified(|current| {
                let changed = *current != resting;
                if changed {
                    *current = resting;
                }
                changed
            });
        }
        let change = self.sequencer.take_universe_change();
        if running && self.follow_universe {
            if !change.removed.is_empty() {
                tracing::info!(markets = ?change.removed, "unsubscribing");
                self.ws.remove_markets(change.removed);
            }
            if !change.added.is_empty() {
                tracing::info!(markets = ?change.added, "subscribing");
                self.ws.add_markets(change.added.clone());
                if self
                    .feed
                    .try_send(FeedRequest::RecentTrades(change.added))
                    .is_err()
                {
                    tracing::warn!("REST reader busy; recent trades of new markets skipped");
                }
            }
        }
        Ok(())
    }

    fn known_markets(&self) -> Vec<String> {
        self.sequencer
            .engine()
            .universe()
            .iter()
            .map(|(_, state)| state.ticker().to_string())
            .collect()
    }

    /// Takes one batch (see the module documentation) and handles it. Returns how the phase
    /// goes on; the status line is printed when due.
    async fn batch(
        &mut self,
        phase: Phase,
        status_at: &mut Instant,
        deadline: Option<Instant>,
    ) -> anyhow::Result<Flow> {
        let first = self.next(*status_at, deadline).await;
        let mut flow = self.handle(first, phase)?;
        let mut handled = 1;
        while matches!(flow, Flow::Continue) && handled < BATCH_INPUTS_MAX {
            let Some(next) = self.try_next() else {
                break;
            };
            flow = self.handle(next, phase)?;
            handled += 1;
        }
        self.after_batch(phase == Phase::Running)?;
        let now = Instant::now();
        if now >= *status_at {
            self.print_status();
            *status_at = now + self.status_interval;
        }
        if deadline.is_some_and(|deadline| now >= deadline) {
            return Ok(Flow::EndDrain);
        }
        Ok(flow)
    }

    /// Runs until a stop is requested (signal, `--duration`) or the feed is lost.
    pub async fn run_until_stop(&mut self) -> anyhow::Result<StopReason> {
        let mut status_at = Instant::now() + self.status_interval;
        loop {
            match self.batch(Phase::Running, &mut status_at, None).await? {
                Flow::Stop(reason) => return Ok(reason),
                Flow::Continue | Flow::EndDrain => {}
            }
        }
    }

    /// Tells the engine to shut down (it cancels its orders) and processes outcomes until no
    /// order of ours may rest or `timeout` passes. Returns whether the engine got there.
    pub async fn shut_down_engine(&mut self, timeout: Duration) -> anyhow::Result<bool> {
        self.sequencer
            .step(now_ns(), Event::Control(ControlCommand::Shutdown), None)?;
        self.after_batch(false)?;
        self.drain(timeout).await
    }

    /// Processes exec outcomes and feed events until no order of ours may rest or `timeout`
    /// passes.
    pub async fn drain(&mut self, timeout: Duration) -> anyhow::Result<bool> {
        self.process_until(timeout, true).await?;
        Ok(self.sequencer.open_orders() == 0)
    }

    /// Keeps processing every input for `period` (late fills and order updates still in
    /// flight when the last cancel was acknowledged reach the journal this way).
    pub async fn settle(&mut self, period: Duration) -> anyhow::Result<()> {
        self.process_until(period, false).await
    }

    async fn process_until(&mut self, timeout: Duration, until_flat: bool) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let mut status_at = Instant::now() + self.status_interval;
        while !until_flat || self.sequencer.open_orders() > 0 {
            if let Flow::EndDrain = self
                .batch(Phase::Draining, &mut status_at, Some(deadline))
                .await?
            {
                break;
            }
        }
        Ok(())
    }
}
