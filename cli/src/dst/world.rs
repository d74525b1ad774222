//! One simulated world: the real sequencer (engine + journal) wired to the local exchange's
//! matching engine on a virtual clock, through the real market-data path (exchange → the
//! server's own WebSocket session → seeded feed faults → `kalshi_io::data_ws::Session` →
//! normalized events) and a deterministic exec stand-in with seeded faults.
//!
//! A step moves virtual time a seeded amount (the exchange's synthetic traders act), then, in
//! this order: delivers the WebSocket commands the bot sent last step (subscriptions,
//! `get_snapshot`), maybe drops the connection, executes the commands the sequencer handed to
//! exec, delivers the frames in flight (with faults), delivers exec answers that are due,
//! fires the timer tick, delivers a REST reconciliation that is due, follows universe changes,
//! and finally checks every invariant. Nothing reads a wall clock and nothing iterates a hash
//! map, so a seed reproduces the run byte for byte.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, bail};
use kalshi_core::client_order_id::RunId;
use kalshi_core::commands::Command;
use kalshi_core::config::EngineConfig;
use kalshi_core::engine::Engine;
use kalshi_core::events::{ControlCommand, Event, TimerKind};
use kalshi_core::fixed::{Count, Money};
use kalshi_io::data_ws::{Channel, Session};
use kalshi_io::normalize;
use kalshi_io::time::format_rfc3339_micros;
use kalshi_io::wire::portfolio::Fill as WireFill;
use kalshi_io::wire::ws::decode_ws_frame;
use kalshi_journal::{RunInfo, RunStarted, TypedJournalWriter, WalConfig};
use kalshi_sim::SimConfig;
use kalshi_sim::exchange::queries::FillsQuery;
use kalshi_sim::exchange::{FillRecord, UserId};
use kalshi_sim::server::detached::{DetachedExchange, DetachedWsConnection};

use super::exec::{ExecFaultRates, ExecStandIn};
use super::feed_faults::{FeedFaultRates, FeedFaults};
use super::invariants::{self, Ledger};
use super::rng::DstRng;
use super::stats::{FaultCounts, RunStats};
use crate::runtime::exec_task::lookup_retry_delay;
use crate::runtime::market_data::{fill_events, fills_min_ts_s, reconciliation_fill};
use crate::runtime::sequencer::{CommandSink, NoCommands, Sequencer, local_refusal};

/// Virtual start of every run: 2026-11-01T00:00:00Z.
pub const START_NS: i64 = 1_793_491_200_000_000_000;
/// Nanoseconds per millisecond.
use kalshi_core::time::NS_PER_MS;
/// Interval of the runtime's timer tick (its default `tick_interval_ms`).
const TICK_NS: i64 = 250 * NS_PER_MS;
/// Rounds a quiescent phase may take before it counts as not settling.
const QUIESCE_ROUNDS_MAX: usize = 500;

/// RNG streams, one per concern.
const STREAM_TIME: u64 = 1;
const STREAM_FEED: u64 = 2;
const STREAM_EXEC: u64 = 3;
const STREAM_SINK: u64 = 4;
const STREAM_WORLD: u64 = 5;

/// A finished run: its figures, and the exchange with the bot's account, for the end-of-run
/// checks.
pub type Finished = (RunStats, DetachedExchange, UserId, Money);

/// How one run is set up.
#[derive(Debug, Clone)]
pub struct DstConfig {
    /// The seed of everything: catalog, synthetic flow, faults, timing.
    pub seed: u64,
    /// Steps to run.
    pub steps: u64,
    /// Markets in the catalog.
    pub markets: usize,
    /// Synthetic warm-up before the bot connects, ns.
    pub warmup_ns: i64,
    /// Least and most virtual time one step advances, ms.
    pub step_ms: (i64, i64),
    /// Steps between quiescent checkpoints (positions compared with the exchange).
    pub checkpoint_every: u64,
    /// Feed faults.
    pub feed: FeedFaultRates,
    /// Exec faults.
    pub exec: ExecFaultRates,
    /// Chance per step that the WebSocket connection is lost, per million.
    pub reconnect_ppm: u64,
    /// Chance per command that the exec queue is full, per million.
    pub queue_full_ppm: u64,
    /// Whether a full queue may refuse lookups too (the sequencer holds and re-submits them;
    /// off by default, on in the lookup-retry test of `tests.rs`).
    pub refuse_lookups: bool,
    /// Cash the bot's account starts with.
    pub starting_cash: Money,
    /// The engine's configuration (its risk limits are what the exposure invariant checks).
    pub engine: EngineConfig,
}

impl DstConfig {
    /// The bounded default for `seed`: `steps` steps with every fault on.
    pub fn with_faults(seed: u64, steps: u64) -> DstConfig {
        let mut engine = EngineConfig {
            run_id: RunId::parse(&format!("dst-{seed}")).unwrap_or_default(),
            quoted_markets_max: 6,
            ..EngineConfig::default()
        };
        engine.scanner.volume_24h_min = Count::ZERO;
        engine.scanner.open_interest_min = Count::ZERO;
        engine.scanner.require_recent_trades = false;
        engine.risk.order_contracts_max = contracts(20);
        engine.risk.market_position_max = contracts(40);
        engine.risk.event_position_max = contracts(90);
        engine.risk.account_exposure_max = Money::from_micros(120_000_000);
        engine.risk.order_rate_per_second = 20;
        engine.risk.order_rate_burst = 40;
        DstConfig {
            seed,
            steps,
            markets: 8,
            warmup_ns: 120_000 * NS_PER_MS,
            step_ms: (10, 120),
            checkpoint_every: 400,
            feed: FeedFaultRates {
                drop_ppm: 4_000,
                duplicate_ppm: 4_000,
                reorder_ppm: 6_000,
                garble_ppm: 1_000,
            },
            exec: ExecFaultRates {
                rate_limited_ppm: 30_000,
                server_error_ppm: 20_000,
                timeout_ppm: 15_000,
                lost_response_ppm: 25_000,
                // Off by default: see the finding test in `tests.rs`.
                lookup_failed_ppm: 0,
            },
            reconnect_ppm: 2_000,
            queue_full_ppm: 10_000,
            refuse_lookups: false,
            starting_cash: Money::from_micros(1_000_000_000),
            engine,
        }
    }
}

fn contracts(n: i64) -> Count {
    Count::from_contracts(n).unwrap_or(Count::ZERO)
}

/// What the sink shares with the world: the exec queue and the journaled place ids.
#[derive(Debug)]
struct SinkShared {
    queue: VecDeque<Command>,
    /// Client ids of place commands the sequencer handed over since the world last looked
    /// (it journals a command durably before handing it over).
    new_place_ids: Vec<String>,
    rng: DstRng,
    queue_full_ppm: u64,
    /// Whether lookups (which have no local refusal event) may be refused too.
    refuse_lookups: bool,
    refused: u64,
}

/// The exec queue as the sequencer sees it; full at seeded points.
struct DstSink(Arc<Mutex<SinkShared>>);

impl CommandSink for DstSink {
    fn submit(&mut self, command: Command) -> Result<(), Command> {
        let mut shared = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Command::Place(order) = &command {
            shared
                .new_place_ids
                .push(order.client_order_id.as_str().to_string());
        }
        // A refused lookup has no local outcome; the sequencer holds it and hands it over
        // again. Refuse lookups only when asked to.
        let refusable = shared.refuse_lookups || local_refusal(&command).is_some();
        let ppm = shared.queue_full_ppm;
        if refusable && shared.rng.chance(ppm) {
            shared.refused += 1;
            return Err(command);
        }
        shared.queue.push_back(command);
        Ok(())
    }
}

/// Exec answers waiting to be delivered.
#[derive(Debug)]
struct PendingReport {
    due_step: u64,
    events: Vec<Event>,
}

/// A lookup whose read failed, asked again when due, as the exec worker's background retry
/// does.
#[derive(Debug)]
struct LookupRetry {
    due_ns: i64,
    /// The attempt it will be (2, 3, …).
    attempt: u32,
    command: Command,
}

/// The whole simulated system.
pub struct World {
    config: DstConfig,
    step: u64,
    now_ns: i64,
    next_tick_ns: i64,
    time_rng: DstRng,
    world_rng: DstRng,
    exchange: DetachedExchange,
    user: UserId,
    conn: DetachedWsConnection,
    session: Session,
    feed_faults: FeedFaults,
    /// Frames on their way to the bot.
    in_flight: Vec<String>,
    /// WebSocket commands on their way to the exchange.
    outbound: Vec<String>,
    sequencer: Sequencer,
    sink: Arc<Mutex<SinkShared>>,
    exec: ExecStandIn,
    reports: VecDeque<PendingReport>,
    /// Failed lookups waiting for their next attempt.
    lookup_retries: Vec<LookupRetry>,
    /// The first frame of the current socket has not arrived yet (a reconnect is pending).
    awaiting_new_socket: bool,
    /// Step at which a requested REST reconciliation is read and delivered.
    reconcile_due: Option<u64>,
    /// Virtual time the first outage not yet reconciled began (the runtime's
    /// `outage_since_ns`): the reconciliation reads fills from a little before it.
    outage_since_ns: Option<i64>,
    /// Client ids of every place command journaled so far.
    journaled_place_ids: BTreeSet<String>,
    faults: FaultCounts,
    stats: RunStats,
    ledger: Ledger,
}

impl World {
    /// Builds the exchange, warms it up, starts the journal and runs the runtime's startup
    /// order: config, exchange status, listing, WebSocket subscription and its first frames,
    /// then the REST reconciliation that lets the engine trade.
    pub fn start(config: DstConfig, dir: &Path) -> anyhow::Result<World> {
        let seed = config.seed;
        let mut sim = SimConfig {
            seed,
            ..SimConfig::default()
        };
        sim.exchange.start_ns = START_NS;
        sim.exchange.catalog.market_count = config.markets;
        sim.exchange.catalog.event_count = (config.markets / 3).max(1);
        // No market closes or opens during a run: settlement payouts would move cash with no
        // fill behind them.
        sim.exchange.catalog.closing_share_ppm = 0;
        sim.exchange.catalog.late_open_share_ppm = 0;
        sim.exchange.flow.noise_orders_per_hour = 7_200.0;
        sim.exchange.flow.noise_cancels_per_hour = 6_000.0;
        sim.exchange.flow.informed_checks_per_hour = 3_600.0;
        sim.exchange.flow.informed_edge = 0.015;
        sim.exchange.flow.drift_sigma_per_sqrt_hour = 6.0;
        sim.exchange.flow.jumps_per_hour = 1.0;
        sim.exchange.flow.noise_offset_max = 0.03;
        let exchange = DetachedExchange::new(&sim).context("building the exchange")?;
        let user = exchange
            .add_user("dst-bot", config.starting_cash)
            .context("adding the bot's account")?;
        let mut now_ns = START_NS + config.warmup_ns;
        exchange
            .set_time(now_ns)
            .context("warming the exchange up")?;

        let run_id = config.engine.run_id.to_string();
        let mut journal = TypedJournalWriter::create(
            dir,
            RunInfo {
                run_id: run_id.clone(),
                build_id: "dst".to_string(),
                config_hash: "0".to_string(),
                seed,
                environment: "sim".to_string(),
                created_ts_ns: now_ns,
            },
            WalConfig::default(),
        )
        .context("creating the journal")?;
        journal
            .append_run_started(RunStarted {
                run_id,
                build_id: "dst".to_string(),
                config: config.engine.clone(),
                environment: "sim".to_string(),
                seed,
                started_ts_ns: now_ns,
            })
            .context("journaling the run header")?;
        let mut sequencer = Sequencer::new(Engine::new(), journal, Box::new(NoCommands), false);
        sequencer.step(now_ns, Event::Config(Box::new(config.engine.clone())), None)?;
        if !sequencer.config_accepted() {
            bail!("seed {seed}: the engine refused the simulation's configuration");
        }
        sequencer.step(
            now_ns,
            Event::ExchangeStatus {
                trading_active: true,
            },
            None,
        )?;
        let mut markets = Vec::new();
        for wire in exchange.wire_open_markets()? {
            markets.push(normalize::market_info(&wire).context("normalizing a listed market")?);
        }
        sequencer.step(now_ns, Event::MarketListing(markets), None)?;
        let quoted = sequencer.take_universe_change().added;
        if quoted.is_empty() {
            bail!("seed {seed}: the scanner chose no market to quote");
        }

        let session = Session::new(
            &[
                Channel::OrderbookDelta,
                Channel::Trade,
                Channel::MarketLifecycleV2,
                Channel::Fill,
                Channel::UserOrders,
                Channel::MarketPositions,
            ],
            &quoted,
            false,
        );
        let conn = exchange.connect(user)?;
        let sink = Arc::new(Mutex::new(SinkShared {
            queue: VecDeque::new(),
            new_place_ids: Vec::new(),
            rng: DstRng::new(seed, STREAM_SINK),
            queue_full_ppm: config.queue_full_ppm,
            refuse_lookups: config.refuse_lookups,
            refused: 0,
        }));
        let starting_cash = config.starting_cash;
        let mut world = World {
            step: 0,
            next_tick_ns: now_ns + TICK_NS,
            time_rng: DstRng::new(seed, STREAM_TIME),
            world_rng: DstRng::new(seed, STREAM_WORLD),
            feed_faults: FeedFaults::new(DstRng::new(seed, STREAM_FEED)),
            exec: ExecStandIn::new(user, DstRng::new(seed, STREAM_EXEC)),
            in_flight: Vec::new(),
            outbound: Vec::new(),
            reports: VecDeque::new(),
            lookup_retries: Vec::new(),
            awaiting_new_socket: false,
            reconcile_due: None,
            outage_since_ns: None,
            journaled_place_ids: BTreeSet::new(),
            faults: FaultCounts::default(),
            stats: RunStats {
                seed,
                ..RunStats::default()
            },
            ledger: Ledger::new(starting_cash),
            config,
            now_ns,
            exchange,
            user,
            conn,
            session,
            sequencer,
            sink: Arc::clone(&sink),
        };
        let commands = world.session.on_connected();
        world.send_ws_commands(commands)?;
        for command in std::mem::take(&mut world.outbound) {
            world.conn.send_text(&command);
        }
        // Startup waits for the socket to deliver before reconciling.
        let frames = world.conn.poll();
        world.feed_faults.apply(
            frames,
            FeedFaultRates::NONE,
            &mut world.faults,
            &mut world.in_flight,
        );
        world.deliver_frames()?;
        now_ns = world.now_ns;
        world.sequencer.set_sink(Box::new(DstSink(sink)));
        world.deliver_reconciliation(now_ns)?;
        world.after_step()?;
        Ok(world)
    }

    /// Runs every configured step, the checkpoints, and the shutdown; returns the figures
    /// and the sealed journal's digest.
    pub fn run(mut self) -> anyhow::Result<Finished> {
        for _ in 0..self.config.steps {
            self.step_once()?;
            if self.step % self.config.checkpoint_every == 0 {
                self.checkpoint()?;
            }
        }
        self.checkpoint()?;
        self.sequencer
            .step(self.now_ns, Event::Control(ControlCommand::Shutdown), None)?;
        self.after_step()?;
        self.quiesce()?;
        self.observe()?;
        invariants::check_step(&self.view())?;
        invariants::check_no_resting_after_shutdown(&self.view())?;
        let counters = self.sequencer.counters().clone();
        let sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        self.faults.queue_full = sink.refused;
        drop(sink);
        let mut stats = self.stats.clone();
        stats.steps = self.step;
        stats.inputs = counters.inputs;
        stats.places = counters.places;
        stats.cancels = counters.cancels;
        stats.modifies = counters.modifies;
        stats.fills = counters.fills;
        stats.faults = self.faults;
        stats.exchange_orders = self.ledger.exchange_orders_seen();
        stats.gaps = self.ledger.gaps();
        stats.undecodable = self.ledger.undecodable();
        let manifest = self.sequencer.finish(self.now_ns, "dst_complete")?;
        stats.digest = manifest.last_chain_hash().to_hex();
        Ok((stats, self.exchange, self.user, self.ledger.starting_cash))
    }

    /// One step with faults on (see the module documentation).
    fn step_once(&mut self) -> anyhow::Result<()> {
        self.step += 1;
        let (low, high) = self.config.step_ms;
        self.now_ns += self.time_rng.between(low, high) * NS_PER_MS;
        self.exchange.set_time(self.now_ns)?;

        for command in std::mem::take(&mut self.outbound) {
            self.conn.send_text(&command);
        }
        if self.world_rng.chance(self.config.reconnect_ppm) {
            self.reconnect()?;
        }
        self.execute_queued(self.config.exec, false)?;
        let frames = self.conn.poll();
        let rates = self.config.feed;
        self.feed_faults
            .apply(frames, rates, &mut self.faults, &mut self.in_flight);
        self.deliver_frames()?;
        self.deliver_reports(false)?;
        if self.now_ns >= self.next_tick_ns {
            self.next_tick_ns = self.now_ns + TICK_NS;
            self.sequencer.step(
                self.now_ns,
                Event::Timer {
                    kind: TimerKind::Tick,
                },
                None,
            )?;
        }
        if self.reconcile_due.is_some_and(|due| due <= self.step) {
            self.reconcile_due = None;
            self.deliver_reconciliation(self.now_ns)?;
        }
        self.after_step()?;
        self.observe()?;
        invariants::check_step(&self.view())
    }

    /// Takes in the newly journaled place ids, then the orders the exchange created since.
    fn observe(&mut self) -> anyhow::Result<()> {
        {
            let mut shared = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
            self.journaled_place_ids
                .extend(shared.new_place_ids.drain(..));
        }
        self.ledger
            .observe_new_orders(&self.exchange, self.user, &self.journaled_place_ids)
    }

    /// Lets everything in flight land with faults off and time still, then compares the
    /// engine's positions with the exchange's.
    fn checkpoint(&mut self) -> anyhow::Result<()> {
        self.quiesce()?;
        self.observe()?;
        invariants::check_step(&self.view())?;
        invariants::check_quiescent(&self.view())?;
        self.stats.checkpoints += 1;
        Ok(())
    }

    /// Delivers everything in flight, executes everything queued and answers every
    /// outstanding request, with faults off and virtual time still, until nothing moves.
    fn quiesce(&mut self) -> anyhow::Result<()> {
        for _ in 0..QUIESCE_ROUNDS_MAX {
            let mut moved = false;
            for command in std::mem::take(&mut self.outbound) {
                self.conn.send_text(&command);
                moved = true;
            }
            moved |= self.execute_queued(ExecFaultRates::NONE, true)?;
            let frames = self.conn.poll();
            moved |= !frames.is_empty();
            self.feed_faults.apply(
                frames,
                FeedFaultRates::NONE,
                &mut self.faults,
                &mut self.in_flight,
            );
            self.feed_faults.release(&mut self.in_flight);
            moved |= !self.in_flight.is_empty();
            self.deliver_frames()?;
            moved |= self.deliver_reports(true)?;
            // Lookups the queue refused are handed over again after the next input.
            moved |= self.sequencer.held_lookups() > 0;
            if self.reconcile_due.take().is_some() {
                self.deliver_reconciliation(self.now_ns)?;
                moved = true;
            }
            self.after_step()?;
            if !moved {
                return Ok(());
            }
        }
        bail!(
            "seed {} step {}: the system did not settle within {QUIESCE_ROUNDS_MAX} rounds \
             with faults off",
            self.config.seed,
            self.step
        )
    }

    /// The socket is lost: books invalidated, frames in flight gone, a new socket
    /// subscribed; the first frame of the new socket asks for a REST reconciliation.
    fn reconnect(&mut self) -> anyhow::Result<()> {
        self.faults.reconnect += 1;
        self.outage_since_ns.get_or_insert(self.now_ns);
        self.in_flight.clear();
        self.outbound.clear();
        self.feed_faults.forget();
        for event in self.session.on_disconnected() {
            self.sequencer.step(self.now_ns, event, None)?;
        }
        self.conn = self.exchange.connect(self.user)?;
        let commands = self.session.on_connected();
        self.send_ws_commands(commands)?;
        self.awaiting_new_socket = true;
        Ok(())
    }

    /// Executes every queued command and every failed lookup whose retry is due (all of them
    /// in a quiescent phase); returns whether there was any. Answers are due 0–2 steps later
    /// (in order: one queue, as one exec worker per market keeps them), or at once in a
    /// quiescent phase.
    fn execute_queued(&mut self, rates: ExecFaultRates, now: bool) -> anyhow::Result<bool> {
        let commands: Vec<Command> = {
            let mut shared = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
            shared.queue.drain(..).collect()
        };
        let mut any = !commands.is_empty();
        for command in commands {
            self.execute_one(command, 1, rates, now);
        }
        let (due, waiting): (Vec<LookupRetry>, Vec<LookupRetry>) =
            std::mem::take(&mut self.lookup_retries)
                .into_iter()
                .partition(|retry| now || retry.due_ns <= self.now_ns);
        self.lookup_retries = waiting;
        any |= !due.is_empty();
        for retry in due {
            self.execute_one(retry.command, retry.attempt, rates, now);
        }
        Ok(any)
    }

    /// Executes `command` (its `attempt`th try) and queues its answer; a lookup that got no
    /// answer is tried again after `lookup_retry_delay`, as the exec worker does.
    fn execute_one(&mut self, command: Command, attempt: u32, rates: ExecFaultRates, now: bool) {
        let result = self
            .exec
            .execute(&self.exchange, &command, rates, &mut self.faults);
        if result.resolved_unknown {
            self.stats.unknowns_resolved += 1;
        }
        if matches!(command, Command::LookupOrder { .. }) && result.events.is_empty() {
            let next = attempt.saturating_add(1);
            let delay_ns = i64::try_from(lookup_retry_delay(next).as_nanos()).unwrap_or(i64::MAX);
            self.lookup_retries.push(LookupRetry {
                due_ns: self.now_ns.saturating_add(delay_ns),
                attempt: next,
                command,
            });
            return;
        }
        let delay = if now { 0 } else { self.world_rng.below(3) };
        let last_due = self.reports.back().map_or(0, |report| report.due_step);
        self.reports.push_back(PendingReport {
            due_step: (self.step + delay).max(last_due),
            events: result.events,
        });
    }

    /// Delivers exec answers that are due (all of them when `all`); returns whether any.
    fn deliver_reports(&mut self, all: bool) -> anyhow::Result<bool> {
        let mut any = false;
        while let Some(report) = self.reports.front() {
            if !all && report.due_step > self.step {
                break;
            }
            let Some(report) = self.reports.pop_front() else {
                break;
            };
            any = true;
            for event in report.events {
                self.sequencer.step(self.now_ns, event, None)?;
            }
        }
        Ok(any)
    }

    /// Hands the frames in flight to the bot's WebSocket session, as the io task does:
    /// decode, sequence check, normalize, step every event; send what the session asks.
    fn deliver_frames(&mut self) -> anyhow::Result<()> {
        for text in std::mem::take(&mut self.in_flight) {
            if self.awaiting_new_socket {
                self.awaiting_new_socket = false;
                // The runtime's reaction to the first frame of a new socket while trading.
                self.reconcile_due = Some(self.step + 1 + self.world_rng.below(3));
            }
            let step = match decode_ws_frame(&text) {
                Ok(message) => self.session.on_frame(&message),
                Err(_) => self.session.on_undecodable(),
            };
            for event in step.events {
                self.sequencer.step(self.now_ns, event, None)?;
            }
            self.send_ws_commands(step.commands)?;
        }
        let stats = self.session.stats();
        self.ledger
            .note_ws_stats(stats.generation, stats.sequence_gaps, stats.decode_failures);
        Ok(())
    }

    fn send_ws_commands(
        &mut self,
        commands: Vec<kalshi_io::wire::ws::WsCommand>,
    ) -> anyhow::Result<()> {
        for command in commands {
            self.outbound
                .push(serde_json::to_string(&command).context("serializing a WS command")?);
        }
        Ok(())
    }

    /// What the runtime does after every input: local refusals, journal commit, universe
    /// changes turned into subscription updates.
    fn after_step(&mut self) -> anyhow::Result<()> {
        self.sequencer.drain_local(self.now_ns)?;
        self.sequencer.flush_if_due(self.now_ns)?;
        let change = self.sequencer.take_universe_change();
        if !change.removed.is_empty() {
            let commands = self.session.remove_markets(&change.removed);
            self.send_ws_commands(commands)?;
        }
        if !change.added.is_empty() {
            let commands = self.session.add_markets(&change.added);
            self.send_ws_commands(commands)?;
        }
        Ok(())
    }

    /// Reads the account as the runtime's reconciler does and steps the answer: after an
    /// outage, the fills since a little before it began (`reconcile_after_outage`), then
    /// `Reconciled`.
    fn deliver_reconciliation(&mut self, now_ns: i64) -> anyhow::Result<()> {
        let mut events = match self.outage_since_ns.take() {
            Some(since_ns) => self.fills_since(fills_min_ts_s(since_ns))?,
            None => Vec::new(),
        };
        events.push(self.reconciliation()?);
        for event in events {
            self.sequencer.step(now_ns, event, None)?;
        }
        self.stats.reconciliations += 1;
        Ok(())
    }

    /// The account's fills at or after `min_ts_s` (every page, as `GET /portfolio/fills`
    /// serves them), normalized and ordered as the runtime's reconciliation does.
    fn fills_since(&self, min_ts_s: i64) -> anyhow::Result<Vec<Event>> {
        let records = self.exchange.read(|exchange| {
            let mut query = FillsQuery {
                min_ts: Some(min_ts_s),
                limit: Some(1000),
                ..FillsQuery::default()
            };
            let mut records = Vec::new();
            loop {
                let page = exchange.fills(self.user, &query)?;
                records.extend(page.items);
                if page.cursor.is_empty() {
                    return Ok::<_, kalshi_sim::ExchangeError>(records);
                }
                query.cursor = Some(page.cursor);
            }
        })?;
        let mut fills = Vec::with_capacity(records.len());
        for record in &records {
            fills.push(reconciliation_fill(&wire_fill(record))?);
        }
        Ok(fill_events(fills))
    }

    /// `Reconciled` from the exchange's resting orders and positions, read as the REST
    /// endpoints serialize them and normalized as `market_data::reconcile` does.
    fn reconciliation(&self) -> anyhow::Result<Event> {
        let mut orders = Vec::new();
        for wire in self.exchange.wire_orders(self.user, None, true)? {
            orders.push(normalize::order_snapshot(&wire).context("normalizing a resting order")?);
        }
        let mut positions = Vec::new();
        for wire in self.exchange.wire_positions(self.user)? {
            positions.push(normalize::position(&wire).context("normalizing a position")?);
        }
        Ok(Event::Reconciled { orders, positions })
    }

    fn view(&self) -> invariants::View<'_> {
        invariants::View {
            seed: self.config.seed,
            step: self.step,
            limits: &self.config.engine.risk,
            exchange: &self.exchange,
            user: self.user,
            engine: self.sequencer.engine(),
            ledger: &self.ledger,
        }
    }
}

/// One fill as the exchange's `GET /portfolio/fills` handler serializes it: the id under both
/// names (it is the `trade_id` the `fill` channel carries), no client order id, the V2 and
/// legacy side fields, dollar strings and both timestamps.
fn wire_fill(record: &FillRecord) -> WireFill {
    WireFill {
        fill_id: Some(record.fill_id.clone()),
        trade_id: Some(record.fill_id.clone()),
        order_id: record.order_id.clone(),
        ticker: Some(record.ticker.clone()),
        market_ticker: Some(record.ticker.clone()),
        book_side: Some(record.side),
        outcome_side: Some(record.side.outcome()),
        side: Some(record.side.outcome()),
        action: Some("buy".to_string()),
        count_fp: Some(record.count),
        yes_price_dollars: Some(record.yes_price),
        no_price_dollars: Some(record.yes_price.complement()),
        is_taker: Some(record.is_taker),
        fee_cost: Some(record.fee_cost),
        created_time: Some(format_rfc3339_micros(record.ts_ns)),
        ts: Some(record.ts_ns.div_euclid(1_000_000_000)),
        subaccount_number: Some(record.subaccount),
        exchange_index: Some(0),
        ..WireFill::default()
    }
}
