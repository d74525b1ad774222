//! The backtest driver: market data through an `Engine`, with [`FillSimulator`] standing in
//! for the exchange.
//!
//! The driver keeps the market-data events of its input (listings, books, trades, lifecycle,
//! model probabilities, exchange status, timers, operator controls) and drops everything the
//! live exchange said about our own account (acks, fills, order and position snapshots,
//! reconciliation) and the live configuration: those are replaced by the simulator's events
//! and the backtest's configuration. It then writes its own journal ([`ReplayRecord`]s):
//! `RunStarted`, every input it fed the engine (a `Config`, an empty `Reconciled`, any injected
//! listings, the market data and the simulated exchange events, each with a fresh seq), every
//! output, and `RunEnded` — so a backtest is replayable like a live run, and
//! `verify::verify` reproduces its outputs exactly.
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

use serde::{Deserialize, Serialize};

use kalshi_core::config::EngineConfig;
use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::{Envelope, Event, TimerKind};
use kalshi_core::market_data::MarketInfo;

use crate::error::ReplayError;
use crate::fill_sim::{FillModelConfig, FillSimulator};
use crate::metrics::{DataFidelity, Metrics, MetricsCollector, Series};
use crate::progress::{PROGRESS_EVERY, Progress, ProgressSink};
use crate::record::{OutputDigest, OutputKind, ReplayRecord, encode_command, encode_decision};

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
        }
    }
}

/// What a backtest produced.
#[derive(Debug, Clone)]
pub struct BacktestOutcome {
    /// The backtest's own journal.
    pub records: Vec<ReplayRecord>,
    /// Summary metrics.
    pub metrics: Metrics,
    /// Chart series.
    pub series: Series,
    /// SHA-256 of the output stream (the same digest `verify` computes).
    pub output_digest: String,
    /// Outputs (commands and decisions) produced.
    pub outputs: u64,
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
        | Event::ExchangeStatus { .. } => true,
        Event::Config(_)
        | Event::OwnFill(_)
        | Event::OrderAck(_)
        | Event::OrderRejected(_)
        | Event::OrderUnknown { .. }
        | Event::OrderSnapshot(_)
        | Event::OrderNotFound { .. }
        | Event::CancelAck(_)
        | Event::PositionSnapshot(_)
        | Event::Reconciled { .. }
        | Event::RiskStateRestored(_) => false,
    }
}

/// The fidelity the data supports, judged from its events.
pub fn infer_fidelity(inputs: &[Envelope]) -> DataFidelity {
    if inputs
        .iter()
        .any(|envelope| matches!(envelope.event, Event::BookDelta(_)))
    {
        DataFidelity::FullL2
    } else if inputs
        .iter()
        .any(|envelope| matches!(envelope.event, Event::BookSnapshot(_)))
    {
        DataFidelity::Snapshots
    } else {
        DataFidelity::TradesOnly
    }
}

struct Runner {
    engine: Engine,
    sim: FillSimulator,
    collector: MetricsCollector,
    records: Vec<ReplayRecord>,
    digest: OutputDigest,
    seq: u64,
}

impl Runner {
    fn emit(&mut self, ts_ns: i64, event: Event) -> Result<(), ReplayError> {
        self.seq += 1;
        let input_seq = self.seq;
        let envelope = Envelope {
            seq: input_seq,
            ts_ns,
            event,
        };
        self.collector.on_input(&envelope.event);
        if let Event::OwnFill(fill) = &envelope.event {
            self.collector.on_fill(fill);
        }
        let Output {
            commands,
            decisions,
        } = self.engine.process(&envelope);
        self.records.push(ReplayRecord::Input(envelope));
        // Journal order of a step: decisions, then commands (as the live writer does); the
        // digest hashes commands, then decisions, as `verify` does.
        let mut encoded_commands = Vec::with_capacity(commands.len());
        for command in &commands {
            encoded_commands.push(encode_command(command)?);
        }
        for encoded in &encoded_commands {
            self.digest.update(input_seq, OutputKind::Command, encoded);
        }
        for (index, decision) in decisions.into_iter().enumerate() {
            self.seq += 1;
            self.digest.update(
                input_seq,
                OutputKind::Decision,
                &encode_decision(&decision)?,
            );
            self.records.push(ReplayRecord::OutputDecision {
                input_seq,
                index: index_u32(index),
                decision,
            });
        }
        for (index, command) in commands.into_iter().enumerate() {
            self.seq += 1;
            self.collector.on_command(&command);
            self.sim.submit(ts_ns, &command);
            self.records.push(ReplayRecord::OutputCommand {
                input_seq,
                index: index_u32(index),
                command,
            });
        }
        Ok(())
    }

    /// Runs simulated actions and synthesized timers due at or before `until_ns`.
    fn run_until(
        &mut self,
        until_ns: i64,
        next_timer_ns: &mut Option<(i64, i64)>,
    ) -> Result<(), ReplayError> {
        loop {
            let action_due = self.sim.next_due_ns().filter(|due| *due <= until_ns);
            let timer_due = next_timer_ns
                .map(|(due, _)| due)
                .filter(|due| *due <= until_ns);
            match (action_due, timer_due) {
                (Some(action), timer) if timer.is_none_or(|timer| action <= timer) => {
                    self.collector.advance(action);
                    for event in self.sim.run_next_action()? {
                        self.emit(event.ts_ns, event.event)?;
                    }
                    self.collector.observe_live(action, &self.sim, None);
                }
                (_, Some(timer)) => {
                    self.collector.advance(timer);
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

fn index_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Runs one backtest over `inputs` (in journal order). See the module documentation.
pub fn run_backtest(
    inputs: &[Envelope],
    config: &BacktestConfig,
    progress: &dyn ProgressSink,
) -> Result<BacktestOutcome, ReplayError> {
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
    let kept: Vec<&Envelope> = inputs
        .iter()
        .filter(|envelope| is_market_data(&envelope.event))
        .collect();
    let fidelity = config.fidelity.unwrap_or_else(|| infer_fidelity(inputs));
    let mut runner = Runner {
        engine: Engine::new(),
        sim: FillSimulator::new(config.fill_model.clone())?,
        collector: MetricsCollector::new(),
        records: vec![ReplayRecord::RunStarted {
            config: Box::new(config.engine.clone()),
        }],
        digest: OutputDigest::new(),
        seq: 1,
    };
    let start_ns = kept.first().map_or(0, |envelope| envelope.ts_ns);
    let mut clock_ns = start_ns;
    runner.collector.advance(start_ns);
    runner.emit(start_ns, Event::Config(Box::new(config.engine.clone())))?;
    runner.emit(
        start_ns,
        Event::Reconciled {
            orders: Vec::new(),
            positions: Vec::new(),
        },
    )?;
    if !config.listings.is_empty() {
        let listing = Event::MarketListing(config.listings.clone());
        runner.sim.on_market_event(start_ns, &listing)?;
        runner.emit(start_ns, listing)?;
    }
    let mut next_timer_ns = config
        .timer_tick_ns
        .map(|interval| (start_ns.saturating_add(interval), interval));
    let total = kept.len() as u64;
    for (done, envelope) in kept.into_iter().enumerate() {
        clock_ns = clock_ns.max(envelope.ts_ns);
        runner.run_until(clock_ns, &mut next_timer_ns)?;
        runner.collector.advance(clock_ns);
        let fills = runner.sim.on_market_event(clock_ns, &envelope.event)?;
        runner.emit(clock_ns, envelope.event.clone())?;
        for fill in fills {
            runner.emit(fill.ts_ns, fill.event)?;
        }
        runner
            .collector
            .observe_live(clock_ns, &runner.sim, envelope.event.ticker());
        let done = done as u64 + 1;
        if done % PROGRESS_EVERY == 0 {
            progress.update(Progress {
                stage: "backtest",
                done,
                total,
            });
        }
    }
    let mut no_timer = None;
    runner.run_until(i64::MAX, &mut no_timer)?;
    runner.records.push(ReplayRecord::RunEnded {
        reason: "end_of_input".to_string(),
    });
    progress.update(Progress {
        stage: "backtest",
        done: total,
        total,
    });
    let Runner {
        collector,
        records,
        digest,
        ..
    } = runner;
    let (metrics, series) = collector.finish(fidelity);
    Ok(BacktestOutcome {
        records,
        metrics,
        series,
        output_digest: digest.hex(),
        outputs: digest.outputs(),
    })
}
