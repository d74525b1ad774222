//! The running phase: every input source feeds the one sequencer, in arrival order.
//!
//! Sources, each a bounded channel: WebSocket events, exec outcomes, and the runtime's own
//! inputs (timers, rescans, background REST reads, stop requests). After each input the
//! sequencer's local refusals are drained, the journal's group commit is given a chance, and
//! — while running — universe changes become WebSocket (un)subscriptions and snapshot reads.
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

use std::sync::Arc;
use std::time::Duration;

use kalshi_core::events::{BookInvalidation, ControlCommand, Event};
use kalshi_io::data_ws::{IoEvent, WsHandle};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};

use super::clock::now_ns;
use super::exec_task::{ExecReport, WriteUsage};
use super::market_data::{FeedRequest, ReconcileRequest, fills_min_ts_s};
use super::sequencer::Sequencer;
use super::status::{WsHealth, figures, status_line};
use super::timers::{Input, StopReason};

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
}

/// What arrived next.
enum Next {
    Ws(IoEvent),
    WsClosed,
    Exec(ExecReport),
    Input(Input),
    InputsClosed,
    Status,
    DrainTimeout,
}

async fn recv_exec(reports: &mut Option<mpsc::Receiver<ExecReport>>) -> Option<ExecReport> {
    match reports {
        Some(reports) => reports.recv().await,
        None => std::future::pending().await,
    }
}

impl EventLoop {
    /// Assembles the loop.
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
            ws_closed: false,
            ws_generation: 0,
            ws_health: WsHealth::default(),
            reconcile_wanted: None,
            outage_epoch: 0,
            outage_open: false,
            reconciled_epoch: 0,
            outage_since_ns: None,
        }
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

    async fn next(
        &mut self,
        status: &mut tokio::time::Interval,
        drain_until: Option<Instant>,
    ) -> Next {
        let drain_deadline = async {
            match drain_until {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        let ws_closed = self.ws_closed;
        tokio::select! {
            biased;
            input = self.inputs.recv() => input.map_or(Next::InputsClosed, Next::Input),
            report = recv_exec(&mut self.exec_reports) => report.map_or(Next::InputsClosed, Next::Exec),
            event = self.ws_events.recv(), if !ws_closed => event.map_or(Next::WsClosed, Next::Ws),
            _ = status.tick() => Next::Status,
            () = drain_deadline => Next::DrainTimeout,
        }
    }

    fn print_status(&mut self) {
        let figures = figures(&self.sequencer);
        let (tokens, budget) = match &self.write_usage {
            Some((usage, budget)) => (usage.spent_within(Duration::from_secs(10)), *budget),
            None => (0, 0),
        };
        let ws = self.ws_health().line();
        tracing::info!(
            target: "kalshi_bot::status",
            "{} {ws}",
            status_line(&figures, tokens, budget)
        );
    }

    /// Steps one WebSocket event. When trading, a lost or replaced socket first journals
    /// `FeedReconnected` (see the module documentation); the first event of a new socket asks
    /// for a fresh REST reconciliation: fills and order updates sent while the socket was down
    /// are not replayed by the exchange.
    fn step_ws(&mut self, event: IoEvent) -> anyhow::Result<()> {
        let new_socket = event.generation > self.ws_generation && self.ws_generation > 0;
        let lost = matches!(
            &event.event,
            Event::BookInvalidated {
                reason: BookInvalidation::Reconnect,
                ..
            }
        );
        if lost {
            self.ws_health.observe(self.ws.stats());
        }
        if self.reconcile_wanted.is_some() && (lost || new_socket) && !self.outage_open {
            tracing::warn!(
                generation = event.generation,
                "WebSocket connection lost; new orders held until the account is reconciled"
            );
            self.sequencer
                .step(event.recv_ts_ns, Event::FeedReconnected, None)?;
            self.outage_open = true;
            self.outage_epoch += 1;
            self.outage_since_ns.get_or_insert(event.recv_ts_ns);
        }
        if event.generation > self.ws_generation {
            self.ws_generation = event.generation;
            if new_socket && let Some(wanted) = &self.reconcile_wanted {
                tracing::warn!(
                    generation = event.generation,
                    ticket = self.outage_epoch,
                    "WebSocket reconnected; reconciling over REST"
                );
                self.outage_open = false;
                wanted.send_replace(ReconcileRequest {
                    ticket: self.outage_epoch,
                    fills_min_ts_s: self.outage_since_ns.map(fills_min_ts_s),
                });
            }
        }
        self.sequencer
            .step(event.recv_ts_ns, event.event, event.raw_frame)?;
        Ok(())
    }

    /// Steps a reconciliation read for `ticket` (missed fills, then `Reconciled`) if it
    /// answers the latest outage; an older one could predate it and is dropped.
    fn step_reconciliation(
        &mut self,
        ticket: u64,
        recv_ts_ns: i64,
        events: Vec<Event>,
    ) -> anyhow::Result<()> {
        if ticket != self.outage_epoch || self.outage_open || ticket <= self.reconciled_epoch {
            tracing::debug!(
                ticket,
                latest = self.outage_epoch,
                "stale reconciliation dropped"
            );
            return Ok(());
        }
        self.reconciled_epoch = ticket;
        self.outage_since_ns = None;
        tracing::info!(
            ticket,
            fills_read = events.len().saturating_sub(1),
            "reconciled after reconnect; new orders allowed again"
        );
        self.step_all(recv_ts_ns, events)
    }

    /// Notes the socket generation startup already consumed.
    pub fn set_ws_generation(&mut self, generation: u64) {
        self.ws_generation = generation;
    }

    /// Steps `events` received at `recv_ts_ns`.
    fn step_all(&mut self, recv_ts_ns: i64, events: Vec<Event>) -> anyhow::Result<()> {
        for event in events {
            self.sequencer.step(recv_ts_ns, event, None)?;
        }
        Ok(())
    }

    fn after_step(&mut self, running: bool) -> anyhow::Result<()> {
        let now = now_ns();
        self.sequencer.drain_local(now)?;
        self.sequencer.flush_if_due(now)?;
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

    /// Runs until a stop is requested (signal, `--duration`) or the feed is lost.
    pub async fn run_until_stop(&mut self) -> anyhow::Result<StopReason> {
        let mut status = tokio::time::interval(self.status_interval);
        status.set_missed_tick_behavior(MissedTickBehavior::Skip);
        status.tick().await;
        loop {
            let stop = match self.next(&mut status, None).await {
                Next::Ws(event) => {
                    self.step_ws(event)?;
                    None
                }
                Next::WsClosed => {
                    self.ws_closed = true;
                    tracing::error!("the WebSocket task ended; stopping");
                    Some(StopReason::FeedLost)
                }
                Next::Exec(report) => {
                    self.step_all(report.recv_ts_ns, report.events)?;
                    None
                }
                Next::Input(Input::Timer { fired_ts_ns, kind }) => {
                    self.sequencer
                        .step(fired_ts_ns, Event::Timer { kind }, None)?;
                    None
                }
                Next::Input(Input::Events { recv_ts_ns, events }) => {
                    self.step_all(recv_ts_ns, events)?;
                    None
                }
                Next::Input(Input::RescanDue) => {
                    if self.follow_universe {
                        let known = self.known_markets();
                        if self.feed.try_send(FeedRequest::Rescan { known }).is_err() {
                            tracing::debug!("rescan skipped: the REST reader is busy");
                        }
                    }
                    None
                }
                Next::Input(Input::Reconciliation {
                    ticket,
                    recv_ts_ns,
                    events,
                }) => {
                    self.step_reconciliation(ticket, recv_ts_ns, events)?;
                    None
                }
                Next::Input(Input::Stop(reason)) => Some(reason),
                Next::InputsClosed => Some(StopReason::FeedLost),
                Next::Status => {
                    self.print_status();
                    None
                }
                Next::DrainTimeout => None,
            };
            self.after_step(true)?;
            if let Some(reason) = stop {
                return Ok(reason);
            }
        }
    }

    /// Tells the engine to shut down (it cancels its orders) and processes outcomes until no
    /// order of ours may rest or `timeout` passes. Returns whether the engine got there.
    pub async fn shut_down_engine(&mut self, timeout: Duration) -> anyhow::Result<bool> {
        self.sequencer
            .step(now_ns(), Event::Control(ControlCommand::Shutdown), None)?;
        self.after_step(false)?;
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
        let mut status = tokio::time::interval(self.status_interval);
        status.set_missed_tick_behavior(MissedTickBehavior::Skip);
        status.tick().await;
        while !until_flat || self.sequencer.open_orders() > 0 {
            match self.next(&mut status, Some(deadline)).await {
                Next::Ws(event) => self.step_ws(event)?,
                Next::WsClosed => self.ws_closed = true,
                Next::Exec(report) => self.step_all(report.recv_ts_ns, report.events)?,
                Next::Input(Input::Timer { fired_ts_ns, kind }) => {
                    self.sequencer
                        .step(fired_ts_ns, Event::Timer { kind }, None)?;
                }
                Next::Input(Input::Events { recv_ts_ns, events }) => {
                    self.step_all(recv_ts_ns, events)?;
                }
                Next::Input(Input::Reconciliation {
                    ticket,
                    recv_ts_ns,
                    events,
                }) => self.step_reconciliation(ticket, recv_ts_ns, events)?,
                Next::Input(Input::RescanDue | Input::Stop(_)) => {}
                Next::InputsClosed | Next::DrainTimeout => break,
                Next::Status => self.print_status(),
            }
            self.after_step(false)?;
        }
        Ok(())
    }
}
