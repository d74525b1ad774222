//! The backtest driver: market data through an `Engine`, with [`FillSimulator`] standing in
//! for the exchange.
//!
//! The driver keeps the market-data events of its input (listings, books, trades, lifecycle,
//! model probabilities, exchange status, timers, operator controls) and drops everything the
//! live exchange said about our own account (acks, fills, order and position snapshots,
//! reconciliation) and the live configuration: those are replaced by the simulator's events
//! and the backtest's configuration. It then writes its own journal ([`JournalRecord`]s):
//! `RunStarted`, every input it fed the engine (a `Config`, an empty `Reconciled`, any injected
//! listings, the market data and the simulated exchange events, each with a fresh seq), every
//! output, and `RunEnded` — so a backtest is replayable like a live run, and
//! `verify::verify` reproduces its outputs exactly.
//!
//! With [`FillSource::Recorded`] nothing is simulated: every input of a recorded run (its
//! configuration, reconciliations, acks and fills included) goes to the engine as journaled,
//! so the metrics' P&L is the recorded run's own.
//!
//! # Streaming
//!
//! [`run_backtest_streaming`] takes its inputs from any iterator, steps each through the one
//! [`Stepper`] (as a live run and `verify` do) and hands every record to a [`RecordSink`] as
//! it is produced (a vector, a journal writer, or [`DiscardRecords`] when
//! only the summary is wanted), so the driver itself holds one step at a time however long
//! the data is. [`run_backtest`] is the in-memory form: a slice in, every record out.
//!
//! # Time and order
//!
//! Time is the inputs' `ts_ns`, forced non-decreasing (an input older than the clock is
//! processed at the clock). Simulated exchange actions take effect at their due time. When an
//! action, a synthesized timer and a market event fall due at the same time, the action runs
//! first, then the timer, then the market event; actions due at the same time run in the order
//! their commands were sent. A market event is applied to the simulator (which may fill us)
//! before the engine sees it, and the fills follow it into the engine. After the last input,
//! the actions still pending run at their due times.
//!
//! Market closes are time-driven (Kalshi sends nothing at a scheduled close): a close falls
//! due at the close time the data's listings and lifecycle changes gave, runs before an
//! action or timer due at the same time, and only within the data's time (a close after the
//! last input does not run).
//!
//! # Order groups
//!
//! When the engine configuration asks for an order group (`orders.order_group_contracts_limit`
//! without `orders.order_group_id`), the backtest does what a live run does: it creates one
//! (id [`BACKTEST_ORDER_GROUP_ID`]) before journaling the configuration, so the journaled
//! configuration and every place carry its id, and the simulator applies its limit. A group
//! named in the configuration is modelled with the configured limit (none: it never
//! triggers).

use serde::{Deserialize, Serialize};

use kalshi_core::Count;
use kalshi_core::config::EngineConfig;
use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::{Envelope, Event, TimerKind};
use kalshi_core::market_data::MarketInfo;
use kalshi_core::tuning::Tuning;
use kalshi_journal::stepper::step_index;
use kalshi_journal::{JournalRecord, OutputRef, RecordRef, StepSink, Stepper};

use crate::error::ReplayError;
use crate::fill_sim::{FillModelConfig, FillSimulator};
use crate::journal_source::run_header;
use crate::metrics::{DataFidelity, Metrics, MetricsCollector, Series};
use crate::progress::{PROGRESS_EVERY, Progress, ProgressSink};
use crate::sim_loop::{self, SimHost};

pub use crate::record::{DiscardRecords, RecordSink};
use crate::record::{OutputDigest, OutputKind, encode_output};

/// The id of the order group a backtest creates when its configuration asks for one.
pub const BACKTEST_ORDER_GROUP_ID: &str = "sim-order-group-1";

/// The order group a simulated run trades in, if any: sets `orders.order_group_id` when the
/// configuration asks for a group without naming one (as a live run's startup does), and
/// returns the group's id and limit.
pub fn backtest_order_group(engine: &mut EngineConfig) -> Option<(String, Option<Count>)> {
    let limit = engine.orders.order_group_contracts_limit;
    if engine.orders.order_group_id.is_none() && limit.is_some() {
        engine.orders.order_group_id = Some(BACKTEST_ORDER_GROUP_ID.to_string());
    }
    engine.orders.order_group_id.clone().map(|id| (id, limit))
}

/// Everything a backtest run needs besides its input data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestConfig {
    /// The engine configuration under test.
    pub engine: EngineConfig,
    /// The fill model.
    pub fill_model: FillModelConfig,
    /// Listings fed to the engine before the data (for data that carries none).
    pub listings: Vec<MarketInfo>,
    /// Synthesize a `Timer { Tick }` every this many ns of data time (`None`: only the data's
    /// own timers).
    pub timer_tick_ns: Option<i64>,
    /// What the data can show; `None` infers it (deltas → full L2, snapshots → snapshots,
    /// else trades only).
    pub fidelity: Option<DataFidelity>,
    /// Engine settings sent as a `Tuning` input after the configuration, as a live run sends
    /// them; `None` sends none (the engine behaves as before those settings existed).
    #[serde(default)]
    pub tuning: Option<Tuning>,
    /// Where our orders' answers come from: the fill simulator (the default), or the
    /// recorded run's own exchange events.
    #[serde(default)]
    pub fills: FillSource,
}

/// Where a backtest's fills (and every other answer about our orders) come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillSource {
    /// The fill simulator answers the engine's commands; the input's account events and
    /// configuration are dropped (see the module documentation).
    #[default]
    Simulated,
    /// Every input of a recorded run is fed to the engine as it was journaled (its
    /// configuration, reconciliations, acks and fills included) and nothing is simulated, so
    /// the engine ends in the recorded run's state and the metrics' P&L is that run's P&L.
    /// Time quoted is not measured (no simulated resting orders); the backtest's own engine
    /// configuration only heads its journal, and no timers are synthesized.
    Recorded,
    /// A paper run's journal (`run-strategy --paper`): simulated like [`FillSource::Simulated`],
    /// also keeping the staleness verdicts (`FeedLag`) the paper run's engine saw, so a
    /// backtest with the paper run's configuration and fill model reproduces its fills.
    Paper,
}

impl FillSource {
    /// True for the inputs this source feeds the engine.
    fn keeps(self, event: &Event) -> bool {
        match self {
            FillSource::Simulated => is_market_data(event),
            FillSource::Recorded => true,
            FillSource::Paper => is_market_data(event) || matches!(event, Event::FeedLag { .. }),
        }
    }
}

impl BacktestConfig {
    /// A backtest of `engine` with the default fill model at the engine's fee precision.
    pub fn new(engine: EngineConfig) -> BacktestConfig {
        let fill_model = FillModelConfig {
            fee_target_precision_micros: engine.fee_target_precision_micros,
            ..FillModelConfig::default()
        };
        BacktestConfig {
            engine,
            fill_model,
            listings: Vec::new(),
            timer_tick_ns: None,
            fidelity: None,
            tuning: None,
            fills: FillSource::Simulated,
        }
    }
}

/// What a backtest produced.
#[derive(Debug, Clone)]
pub struct BacktestOutcome {
    /// The backtest's own journal (its `RunStarted` carries the configuration; the run's
    /// identity is the journal sink's, see [`crate::journal_source::JournalSink`]).
    pub records: Vec<JournalRecord>,
    /// Summary metrics.
    pub metrics: Metrics,
    /// Chart series.
    pub series: Series,
    /// SHA-256 of the output stream (the same digest `verify` computes).
    pub output_digest: String,
    /// Outputs (commands and decisions) produced.
    pub outputs: u64,
}

/// What a streaming backtest produced besides its records (which went to the sink).
#[derive(Debug, Clone)]
pub struct BacktestSummary {
    /// Summary metrics.
    pub metrics: Metrics,
    /// Chart series.
    pub series: Series,
    /// SHA-256 of the output stream (the same digest `verify` computes).
    pub output_digest: String,
    /// Outputs (commands and decisions) produced.
    pub outputs: u64,
    /// Records handed to the sink (run start and end, inputs, outputs).
    pub records: u64,
    /// Market-data events of the input fed to the engine.
    pub data_events: u64,
}

/// True for the events a backtest keeps from its input: market data and run controls, not
/// the live account's events or configuration.
pub fn is_market_data(event: &Event) -> bool {
    match event {
        Event::MarketListing(_)
        | Event::BookSnapshot(_)
        | Event::BookDelta(_)
        | Event::BookInvalidated { .. }
        | Event::PublicTrade(_)
        | Event::Lifecycle(_)
        | Event::ModelProbability { .. }
        | Event::Timer { .. }
        | Event::Control(_)
        | Event::Operator(_)
        | Event::OperatorSet(_)
        | Event::ExchangeStatus { .. }
        | Event::FeesChanged(_)
        | Event::TradeHistory(_) => true,
        Event::Config(_)
        | Event::Tuning(_)
        | Event::TuningSettings(_)
        | Event::OwnFill(_)
        | Event::OrderAck(_)
        | Event::OrderRejected(_)
        | Event::OrderUnknown { .. }
        | Event::OrderSnapshot(_)
        | Event::OrderNotFound { .. }
        | Event::CancelAck(_)
        | Event::PositionSnapshot(_)
        | Event::Reconciled { .. }
        | Event::RiskStateRestored(_)
        | Event::FeedReconnected
        | Event::FeedLag { .. }
        | Event::QueuePositions(_) => false,
    }
}

/// The fidelity the data supports, judged from its events.
pub fn infer_fidelity(inputs: &[Envelope]) -> DataFidelity {
    let mut seen = FidelitySeen::default();
    for envelope in inputs {
        seen.observe(&envelope.event);
    }
    seen.fidelity()
}

/// What the data has shown so far, for inferring its fidelity one event at a time.
#[derive(Debug, Clone, Copy, Default)]
struct FidelitySeen {
    deltas: bool,
    snapshots: bool,
}

impl FidelitySeen {
    fn observe(&mut self, event: &Event) {
        match event {
            Event::BookDelta(_) => self.deltas = true,
            Event::BookSnapshot(_) => self.snapshots = true,
            _ => {}
        }
    }

    fn fidelity(self) -> DataFidelity {
        if self.deltas {
            DataFidelity::FullL2
        } else if self.snapshots {
            DataFidelity::Snapshots
        } else {
            DataFidelity::TradesOnly
        }
    }
}

/// A backtest: the stepper and where its steps go.
struct Runner<'s> {
    stepper: Stepper,
    out: Simulated<'s>,
}

/// The backtest's [`StepSink`]: numbers the records as a journal would, feeds the metrics,
/// submits each command to the fill simulator when it is issued, hashes the outputs and hands
/// every record on to the caller's [`RecordSink`].
struct Simulated<'s> {
    /// Feeding a recorded run's own exchange events: nothing goes to the simulator.
    recorded: bool,
    sim: FillSimulator,
    collector: MetricsCollector,
    sink: &'s mut dyn RecordSink,
    records: u64,
    digest: OutputDigest,
    scratch: Vec<u8>,
    /// The seq of the last record (the run header is 1).
    seq: u64,
}

impl Simulated<'_> {
    /// Lets the metrics see the simulator after a change at `ts_ns` (`touched`: the market
    /// of the input just fed), then starts the next round of changed markets.
    fn observe_live(&mut self, ts_ns: i64, touched: Option<&str>) {
        self.collector.observe_live(ts_ns, &self.sim, touched);
        self.sim.clear_changed();
    }

    fn push(&mut self, record: RecordRef<'_>) -> Result<(), ReplayError> {
        self.records += 1;
        self.sink.record(record)
    }

    fn hash(
        &mut self,
        input_seq: u64,
        index: usize,
        output: OutputRef<'_>,
    ) -> Result<(), ReplayError> {
        self.scratch.clear();
        encode_output(input_seq, step_index(index), output, &mut self.scratch)?;
        let kind = match output {
            OutputRef::Command(_) => OutputKind::Command,
            OutputRef::Decision(_) => OutputKind::Decision,
        };
        self.digest.update(input_seq, kind, &self.scratch);
        Ok(())
    }
}

impl StepSink for Simulated<'_> {
    type Error = ReplayError;

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn record(&mut self, ts_ns: i64, record: RecordRef<'_>) -> Result<(), ReplayError> {
        match record {
            RecordRef::Input(envelope) => {
                self.collector.on_input(&envelope.event);
                if let Event::OwnFill(fill) = &envelope.event {
                    self.collector.on_fill(fill);
                }
            }
            RecordRef::OutputDecision { .. } => self.seq += 1,
            RecordRef::OutputCommand { command, .. } => {
                self.seq += 1;
                self.collector.on_command(command);
                if !self.recorded {
                    self.sim.submit(ts_ns, command);
                }
            }
            RecordRef::RunStarted(_) | RecordRef::RawFrame(_) | RecordRef::RunEnded { .. } => {}
        }
        self.push(record)
    }

    /// The digest hashes a step's commands, then its decisions, as `verify` does.
    fn end_step(&mut self, input: &Envelope, output: &Output) -> Result<(), ReplayError> {
        for (index, command) in output.commands.iter().enumerate() {
            self.hash(input.seq, index, OutputRef::Command(command))?;
        }
        for (index, decision) in output.decisions.iter().enumerate() {
            self.hash(input.seq, index, OutputRef::Decision(decision))?;
        }
        Ok(())
    }
}

impl Runner<'_> {
    fn emit(&mut self, ts_ns: i64, event: Event) -> Result<(), ReplayError> {
        self.stepper.step(&mut self.out, ts_ns, event)?;
        Ok(())
    }

    /// Runs simulated actions and synthesized timers due at or before `until_ns`, and market
    /// closes due at or before `closes_until_ns` (closes first at equal times).
    fn run_until(
        &mut self,
        until_ns: i64,
        closes_until_ns: i64,
        next_timer_ns: &mut Option<(i64, i64)>,
    ) -> Result<(), ReplayError> {
        loop {
            let action_due = self.out.sim.next_due_ns().filter(|due| *due <= until_ns);
            let timer_due = next_timer_ns
                .map(|(due, _)| due)
                .filter(|due| *due <= until_ns);
            let close_due = if self.out.recorded {
                None
            } else {
                self.out
                    .sim
                    .next_close_due_ns()
                    .filter(|due| *due <= until_ns.min(closes_until_ns))
            };
            if let Some(close) = close_due
                && action_due.is_none_or(|action| close <= action)
                && timer_due.is_none_or(|timer| close <= timer)
            {
                let cancelled = self.out.sim.run_closes_until(close);
                // A market closing with nothing of ours resting changes nothing to observe.
                if !cancelled.is_empty() {
                    self.out.collector.advance(close);
                    for event in cancelled {
                        self.emit(event.ts_ns, event.event)?;
                    }
                    self.out.observe_live(close, None);
                }
                continue;
            }
            match (action_due, timer_due) {
                (Some(action), timer) if timer.is_none_or(|timer| action <= timer) => {
                    self.out.collector.advance(action);
                    sim_loop::run_next_due(self, action)?;
                    self.out.observe_live(action, None);
                }
                (_, Some(timer)) => {
                    self.out.collector.advance(timer);
                    self.emit(
                        timer,
                        Event::Timer {
                            kind: TimerKind::Tick,
                        },
                    )?;
                    if let Some((due, interval)) = next_timer_ns.as_mut() {
                        *due = due.saturating_add(*interval);
                    }
                }
                _ => return Ok(()),
            }
        }
    }
}

impl SimHost for Runner<'_> {
    type Error = ReplayError;

    fn sim(&mut self) -> &mut FillSimulator {
        &mut self.out.sim
    }

    fn step(&mut self, ts_ns: i64, event: Event) -> Result<(), ReplayError> {
        self.emit(ts_ns, event)
    }
}

/// Runs one backtest over `inputs` (in journal order), holding every record in memory. See
/// the module documentation; [`run_backtest_streaming`] is the form whose memory does not
/// grow with the data.
pub fn run_backtest(
    inputs: &[Envelope],
    config: &BacktestConfig,
    progress: &dyn ProgressSink,
) -> Result<BacktestOutcome, ReplayError> {
    let kept: Vec<&Envelope> = inputs
        .iter()
        .filter(|envelope| config.fills.keeps(&envelope.event))
        .collect();
    let mut config = config.clone();
    if config.fidelity.is_none() {
        config.fidelity = Some(infer_fidelity(inputs));
    }
    let mut records = Vec::new();
    let summary =
        run_backtest_streaming(kept.into_iter().cloned(), &config, &mut records, progress)?;
    Ok(BacktestOutcome {
        records,
        metrics: summary.metrics,
        series: summary.series,
        output_digest: summary.output_digest,
        outputs: summary.outputs,
    })
}

/// Runs one backtest over `inputs` (in journal order; events that are not market data are
/// dropped), handing every record to `sink` as it is produced. Progress counts the
/// market-data events fed to the engine, against the iterator's length when it is exact.
pub fn run_backtest_streaming<I>(
    inputs: I,
    config: &BacktestConfig,
    sink: &mut dyn RecordSink,
    progress: &dyn ProgressSink,
) -> Result<BacktestSummary, ReplayError>
where
    I: IntoIterator<Item = Envelope>,
{
    if let Some(interval) = config.timer_tick_ns
        && interval <= 0
    {
        return Err(ReplayError::InvalidConfig {
            field: "timer_tick_ns",
            reason: format!("{interval} is not positive"),
        });
    }
    config
        .engine
        .validate()
        .map_err(|error| ReplayError::InvalidConfig {
            field: "engine",
            reason: error.to_string(),
        })?;
    let inputs = inputs.into_iter();
    let total = match inputs.size_hint() {
        (lower, Some(upper)) if lower == upper => lower as u64,
        _ => 0,
    };
    let recorded = config.fills == FillSource::Recorded;
    let mut kept = inputs.filter(|envelope| config.fills.keeps(&envelope.event));
    let mut fidelity = FidelitySeen::default();
    let mut runner = Runner {
        stepper: Stepper::new(Engine::new()),
        out: Simulated {
            recorded,
            sim: FillSimulator::new(config.fill_model.clone())?,
            collector: MetricsCollector::new(),
            sink,
            records: 0,
            digest: OutputDigest::new(),
            scratch: Vec::new(),
            seq: 1,
        },
    };
    let mut engine_config = config.engine.clone();
    let order_group = if recorded {
        None
    } else {
        backtest_order_group(&mut engine_config)
    };
    runner
        .out
        .push(RecordRef::RunStarted(&run_header(engine_config.clone())))?;
    let first = kept.next();
    let start_ns = first.as_ref().map_or(0, |envelope| envelope.ts_ns);
    let mut clock_ns = start_ns;
    runner.out.collector.advance(start_ns);
    if !recorded {
        runner.emit(start_ns, Event::Config(Box::new(engine_config)))?;
        if let Some(tuning) = &config.tuning {
            runner.emit(start_ns, Event::TuningSettings(tuning.settings()))?;
        }
        runner.emit(
            start_ns,
            Event::Reconciled {
                orders: Vec::new(),
                positions: Vec::new(),
            },
        )?;
    }
    if let Some((id, limit)) = &order_group {
        // Nothing rests yet, so creating the group cancels nothing; its events are fed all
        // the same.
        for event in runner.out.sim.create_order_group(start_ns, id, *limit) {
            runner.emit(event.ts_ns, event.event)?;
        }
    }
    if !config.listings.is_empty() {
        let listing = Event::MarketListing(config.listings.clone());
        // Nothing rests yet, so a listed market already past its close cancels nothing.
        let caused = runner.out.sim.on_market_event(start_ns, &listing)?;
        runner.emit(start_ns, listing)?;
        for event in caused {
            runner.emit(event.ts_ns, event.event)?;
        }
    }
    let mut next_timer_ns = config
        .timer_tick_ns
        .filter(|_| !recorded)
        .map(|interval| (start_ns.saturating_add(interval), interval));
    let mut done = 0u64;
    let mut ticker = String::new();
    for envelope in first.into_iter().chain(kept) {
        fidelity.observe(&envelope.event);
        clock_ns = clock_ns.max(envelope.ts_ns);
        runner.run_until(clock_ns, clock_ns, &mut next_timer_ns)?;
        runner.out.collector.advance(clock_ns);
        ticker.clear();
        let has_ticker = match envelope.event.ticker() {
            Some(name) => {
                ticker.push_str(name);
                true
            }
            None => false,
        };
        if recorded {
            runner.emit(clock_ns, envelope.event)?;
        } else {
            sim_loop::feed_input(&mut runner, clock_ns, envelope.event)?;
        }
        runner
            .out
            .observe_live(clock_ns, has_ticker.then_some(ticker.as_str()));
        done += 1;
        if done % PROGRESS_EVERY == 0 {
            progress.update(Progress {
                stage: "backtest",
                done,
                total,
            });
        }
    }
    let mut no_timer = None;
    runner.run_until(i64::MAX, clock_ns, &mut no_timer)?;
    runner.out.push(RecordRef::RunEnded {
        reason: "end_of_input",
    })?;
    progress.update(Progress {
        stage: "backtest",
        done,
        total: done,
    });
    let Runner {
        stepper,
        out:
            Simulated {
                collector,
                records,
                digest,
                ..
            },
    } = runner;
    let engine = stepper.into_engine();
    let (metrics, series) =
        collector.finish(config.fidelity.unwrap_or(fidelity.fidelity()), &engine);
    Ok(BacktestSummary {
        metrics,
        series,
        output_digest: digest.hex(),
        outputs: digest.outputs(),
        records,
        data_events: done,
    })
}
