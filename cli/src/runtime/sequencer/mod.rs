//! The sequencer (DESIGN.md §1): the single writer that owns the engine and the journal.
//!
//! For every input, in the order it is handed over, it journals the raw frame (when captured)
//! and then steps the input through the one [`Stepper`] (`kalshi_journal::stepper`, the loop a
//! backtest and `replay --verify` step theirs through), whose sink here is the journal
//! ([`JournalSteps`]):
//! 1. stamp it with the next journal seq and a receive time (never earlier than the previous
//!    input's, so the engine's clock only moves forward);
//! 2. journal the input envelope;
//! 3. run `Engine::process`;
//! 4. journal every decision and command — the step is durable before this returns whenever it
//!    produced a command, so no request can leave before it is on disk;
//! 5. hand the commands to the exec task, in order.
//!
//! Journal order is processing order, so replaying the journal's inputs through a fresh engine
//! reproduces every journaled output. A command the exec queue cannot take is not waited for:
//! the sequencer journals a local refusal as the next input (a `not_sent` rejection), which the
//! engine handles like any exchange refusal — and which a replay reproduces exactly. A lookup
//! has no such outcome (it is a read with no per-order rejection); a refused lookup is held and
//! handed to exec again after every input until the queue takes it, so the order it asks about
//! is never left unknown. Its answer arrives as a journaled input like any other, so replay
//! is unaffected by when it was sent.
//!
//! Paper runs ([`Sequencer::trade_on_paper`]) hand no command to the sink: each goes to the
//! in-process fill simulator, sent at its step's time, and before every input the simulator's
//! due answers are stepped at their due times, then the input, then the fills it caused — the
//! rule of `kalshi_replay::sim_loop`, which the backtest driver follows too, so a backtest
//! over a paper journal steps the same answers at the same times.

mod alerting;
mod drift;
mod paper;

use std::collections::{BTreeSet, VecDeque};

use anyhow::Context as _;
use kalshi_core::commands::Command;
use kalshi_core::decision::{Decision, Ignored};
use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::Envelope;
use kalshi_core::events::Event;
use kalshi_core::fixed::Count;
use kalshi_core::risk::{RiskState, RiskStateReason};
use kalshi_journal::{
    Manifest, OutputRef, RawFrame, RawSource, RecordRef, Step, StepSink, Stepper,
    TypedJournalWriter,
};
use kalshi_replay::fill_sim::FillSimulator;

use super::risk_file::RiskStateFile;

/// Where commands go after they are journaled.
pub trait CommandSink: Send {
    /// Queues one command without waiting; hands it back when it cannot be queued.
    fn submit(&mut self, command: Command) -> Result<(), Command>;
}

/// A sink for runs that must never send anything (`record`): every command is handed back.
#[derive(Debug, Default)]
pub struct NoCommands;

impl CommandSink for NoCommands {
    fn submit(&mut self, command: Command) -> Result<(), Command> {
        Err(command)
    }
}

/// Markets that entered or left the quoted universe in one step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UniverseChange {
    /// Newly quoted markets (subscribe, fetch snapshots).
    pub added: Vec<String>,
    /// Markets no longer quoted (unsubscribe).
    pub removed: Vec<String>,
}

/// Counters for the status line and the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunCounters {
    /// Inputs processed.
    pub inputs: u64,
    /// Place commands sent to exec.
    pub places: u64,
    /// Post-only place commands among them.
    pub post_only_places: u64,
    /// Cancel commands.
    pub cancels: u64,
    /// Amend and decrease commands.
    pub modifies: u64,
    /// Lookups.
    pub lookups: u64,
    /// Commands refused locally (exec queue full or stopped).
    pub refused_locally: u64,
    /// Fills applied.
    pub fills: u64,
    /// Contracts filled.
    pub filled: Count,
    /// Exchange rejections seen.
    pub rejections: u64,
}

/// The single writer. See the module documentation.
pub struct Sequencer {
    /// The engine, stepped forward-only in time.
    stepper: Stepper,
    journal: TypedJournalWriter,
    sink: Box<dyn CommandSink>,
    counters: RunCounters,
    quoted: BTreeSet<String>,
    pending_change: UniverseChange,
    local_inputs: VecDeque<Event>,
    /// Lookups the exec queue refused, in refusal order, to be handed over again.
    held_lookups: VecDeque<Command>,
    config_accepted: bool,
    capture_raw: bool,
    /// Commands of a batch's steps, journaled but not yet durable nor handed over.
    batch_commands: Vec<Command>,
    /// Simulated slow disk: a pause after every journal commit (tests only; zero otherwise).
    commit_delay: std::time::Duration,
    /// Simulated full disk: commits the sequencer makes before journaling fails (tests only).
    commits_until_disk_full: Option<u64>,
    /// Where the risk state is kept durably (trading runs), and the reason of its last change.
    risk_file: Option<(RiskStateFile, RiskStateReason)>,
    /// The alert hook (`--on-alert`), told of HALTs, fill-burst trips and feed outages.
    alerter: Option<super::alerts::Alerter>,
    /// Feed outages followed through the inputs, for their alert.
    outages: super::alerts::OutageWatch,
    /// Time of each step (journal the input, process, journal the outputs).
    step_time: super::metrics::Histogram,
    /// Paper trading: the simulated exchange every command goes to instead of the sink
    /// (`None` while a paper step has it out, and for runs that are not paper runs).
    paper: Option<FillSimulator>,
    /// Whether this is a paper run (commands never reach the sink).
    paper_mode: bool,
    /// The drift monitor, fed every input and command as journaled (trading runs).
    drift: Option<kalshi_replay::drift::DriftMonitor>,
}

impl Sequencer {
    /// A sequencer over a fresh engine, a journal that already holds its `RunStarted`
    /// record, and a command sink.
    pub fn new(
        engine: Engine,
        journal: TypedJournalWriter,
        sink: Box<dyn CommandSink>,
        capture_raw: bool,
    ) -> Sequencer {
        Sequencer {
            stepper: Stepper::forward_only(engine),
            journal,
            sink,
            counters: RunCounters::default(),
            quoted: BTreeSet::new(),
            pending_change: UniverseChange::default(),
            local_inputs: VecDeque::new(),
            held_lookups: VecDeque::new(),
            config_accepted: false,
            capture_raw,
            batch_commands: Vec::new(),
            commit_delay: std::time::Duration::ZERO,
            commits_until_disk_full: None,
            risk_file: None,
            alerter: None,
            outages: super::alerts::OutageWatch::default(),
            step_time: super::metrics::Histogram::default(),
            paper: None,
            paper_mode: false,
            drift: None,
        }
    }

    /// Alerts raised and dropped so far (zeros without an alert hook).
    pub fn alert_counts(&self) -> (u64, u64) {
        self.alerter
            .as_ref()
            .map_or((0, 0), |alerter| (alerter.raised(), alerter.dropped()))
    }

    /// How long steps took so far.
    pub fn step_time(&self) -> &super::metrics::Histogram {
        &self.step_time
    }

    /// From now on every risk-state change and every fill rewrites `file` (before the step's
    /// commands are handed over); the state in force now is written at once, at `ts_ns`.
    pub fn keep_risk_state_in(&mut self, file: RiskStateFile, ts_ns: i64) -> anyhow::Result<()> {
        let reason = RiskStateReason::Restored;
        file.store(self.stepper.engine().risk_snapshot(reason), ts_ns)?;
        self.risk_file = Some((file, reason));
        Ok(())
    }

    /// Makes every journal commit take `delay` longer (a slow disk, for tests).
    pub fn set_commit_delay(&mut self, delay: std::time::Duration) {
        self.commit_delay = delay;
    }

    /// Makes journaling fail as on a full disk after `commits` more commits (tests only).
    pub fn set_disk_full_after(&mut self, commits: u64) {
        self.commits_until_disk_full = Some(commits);
    }

    /// Replaces the command sink (startup runs without exec until reconciliation is done).
    pub fn set_sink(&mut self, sink: Box<dyn CommandSink>) {
        self.sink = sink;
    }

    /// Processes one input received at `recv_ts_ns`; `raw` is the wire frame it came from.
    /// Returns the input's seq. The step's outputs are durable and its commands handed over
    /// before this returns. Locally refused commands queue follow-up inputs; drain them
    /// with [`Sequencer::drain_local`].
    pub fn step(
        &mut self,
        recv_ts_ns: i64,
        event: Event,
        raw: Option<String>,
    ) -> anyhow::Result<u64> {
        self.end_batch()?;
        let (seq, output) = self.process(recv_ts_ns, event, raw, true)?;
        self.dispatch(output.commands);
        Ok(seq)
    }

    /// Processes one input as part of a batch: journaled and applied like [`Sequencer::step`],
    /// but its commands wait, journaled and not yet handed over, until
    /// [`Sequencer::end_batch`] makes the whole batch durable with one commit. Under load this
    /// turns one fdatasync per quoting step into one per batch, so a slow disk lowers the
    /// throughput of commits, never the order of journal and requests.
    pub fn step_batched(
        &mut self,
        recv_ts_ns: i64,
        event: Event,
        raw: Option<String>,
    ) -> anyhow::Result<u64> {
        let (seq, output) = self.process(recv_ts_ns, event, raw, false)?;
        self.batch_commands.extend(output.commands);
        Ok(seq)
    }

    /// [`Sequencer::step_batched`] that also returns the step's decisions.
    pub fn step_batched_decisions(
        &mut self,
        recv_ts_ns: i64,
        event: Event,
    ) -> anyhow::Result<(u64, Vec<Decision>)> {
        let (seq, output) = self.process(recv_ts_ns, event, None, false)?;
        self.batch_commands.extend(output.commands);
        Ok((seq, output.decisions))
    }

    /// Ends a batch: commits the journal (when the batch produced commands) and hands the
    /// commands over in order. Does nothing when no batched step produced a command.
    pub fn end_batch(&mut self) -> anyhow::Result<()> {
        if self.batch_commands.is_empty() {
            return Ok(());
        }
        self.journal
            .commit()
            .context("committing the journal before sending")?;
        self.after_commit()?;
        let commands = std::mem::take(&mut self.batch_commands);
        self.dispatch(commands);
        Ok(())
    }

    /// Ends the open batch and makes everything journaled so far durable, whether or not it
    /// produced commands: an operator's answer names the seq of its control, so that record is
    /// on disk before the answer leaves.
    pub fn end_batch_durably(&mut self) -> anyhow::Result<()> {
        if !self.batch_commands.is_empty() {
            return self.end_batch();
        }
        self.journal
            .commit()
            .context("committing the journal before answering")?;
        self.after_commit()
    }

    fn process(
        &mut self,
        recv_ts_ns: i64,
        event: Event,
        raw: Option<String>,
        durable_commands: bool,
    ) -> anyhow::Result<(u64, Output)> {
        match self.paper.take() {
            Some(sim) => self.process_on_paper(sim, recv_ts_ns, event, raw, durable_commands),
            None => self.process_one(recv_ts_ns, event, raw, durable_commands),
        }
    }

    fn process_one(
        &mut self,
        recv_ts_ns: i64,
        event: Event,
        raw: Option<String>,
        durable_commands: bool,
    ) -> anyhow::Result<(u64, Output)> {
        let started = std::time::Instant::now();
        let ts_ns = self.stepper.stamp_time(recv_ts_ns);
        if let (true, Some(body)) = (self.capture_raw, raw) {
            self.journal
                .append_raw(RawFrame {
                    source: RawSource::Ws,
                    recv_ts_ns: ts_ns,
                    body: body.into_bytes(),
                })
                .context("journaling a raw frame")?;
        }
        let mut journal = JournalSteps {
            journal: &mut self.journal,
            durable_commands,
            committed: false,
        };
        let Step {
            input: envelope,
            output,
        } = self.stepper.step(&mut journal, ts_ns, event)?;
        if journal.committed {
            self.after_commit()?;
        }
        self.observe_drift(&envelope, &output.commands);
        self.counters.inputs += 1;
        if let Event::OrderRejected(_) = &envelope.event {
            self.counters.rejections += 1;
        }
        self.observe(&output, ts_ns)?;
        self.alert_input(&envelope.event, envelope.seq, ts_ns);
        self.step_time.observe(started.elapsed());
        Ok((envelope.seq, output))
    }

    /// The simulated slow or full disk (see [`Sequencer::set_commit_delay`],
    /// [`Sequencer::set_disk_full_after`]).
    fn after_commit(&mut self) -> anyhow::Result<()> {
        if !self.commit_delay.is_zero() {
            std::thread::sleep(self.commit_delay);
        }
        if let Some(left) = self.commits_until_disk_full.as_mut() {
            if *left == 0 {
                anyhow::bail!(
                    "journaling failed: no space left on device (simulated by \
                     runtime.journal_disk_full_after_commits)"
                );
            }
            *left -= 1;
        }
        Ok(())
    }

    /// Ends the open batch ([`Sequencer::end_batch`]), then processes the inputs queued by
    /// local refusals (each may queue more; the queue drains
    /// because a refusal produces no new command of the same kind for the same order), then
    /// hands held lookups to exec again (see [`Sequencer::resubmit_held_lookups`]).
    pub fn drain_local(&mut self, now_ns: i64) -> anyhow::Result<()> {
        self.end_batch()?;
        let mut rounds = 0usize;
        while let Some(event) = self.local_inputs.pop_front() {
            self.step(now_ns, event, None)?;
            rounds += 1;
            if rounds > 100_000 {
                anyhow::bail!("local refusals keep producing refused commands");
            }
        }
        self.resubmit_held_lookups();
        Ok(())
    }

    /// Hands every lookup the exec queue refused to it again, in refusal order; the ones it
    /// still refuses stay held for the next call. Lookups are reads, so asking again is safe;
    /// they were journaled when the engine issued them.
    pub fn resubmit_held_lookups(&mut self) {
        for _ in 0..self.held_lookups.len() {
            let Some(command) = self.held_lookups.pop_front() else {
                break;
            };
            if let Err(command) = self.sink.submit(command) {
                self.held_lookups.push_back(command);
            } else {
                tracing::debug!("a held order lookup was handed to exec");
            }
        }
    }

    /// Lookups refused by the exec queue and not yet handed over again.
    pub fn held_lookups(&self) -> usize {
        self.held_lookups.len()
    }

    /// Commits the journal's buffered records if the group-commit interval passed.
    pub fn flush_if_due(&mut self, now_ns: i64) -> anyhow::Result<()> {
        let committed = self
            .journal
            .flush_if_due(now_ns)
            .context("committing the journal")?;
        if committed {
            self.after_commit()?;
        }
        Ok(())
    }

    /// Takes the universe changes accumulated since the last call.
    pub fn take_universe_change(&mut self) -> UniverseChange {
        std::mem::take(&mut self.pending_change)
    }

    /// The markets currently quoted (per the engine's last `UniverseSelected`).
    pub fn quoted(&self) -> &BTreeSet<String> {
        &self.quoted
    }

    /// Whether the engine accepted the run's configuration.
    pub fn config_accepted(&self) -> bool {
        self.config_accepted
    }

    /// The engine (read-only: state for status lines and shutdown checks).
    pub fn engine(&self) -> &Engine {
        self.stepper.engine()
    }

    /// Counters so far.
    pub fn counters(&self) -> &RunCounters {
        &self.counters
    }

    /// Orders of ours the engine believes may rest on the exchange.
    pub fn open_orders(&self) -> usize {
        self.stepper
            .engine()
            .orders()
            .orders()
            .filter(|record| record.managed && record.status.may_rest())
            .count()
    }

    /// Appends `RunEnded`, commits, and seals the journal. Commands of an unfinished batch are
    /// committed but never handed over.
    pub fn finish(mut self, ts_ns: i64, reason: &str) -> anyhow::Result<Manifest> {
        self.batch_commands.clear();
        let ts_ns = ts_ns.max(self.stepper.last_ts_ns());
        self.journal
            .append_run_ended(ts_ns, reason)
            .context("journaling the end of the run")?;
        self.journal
            .finish_and_seal()
            .context("sealing the journal")
    }

    fn observe(&mut self, output: &Output, ts_ns: i64) -> anyhow::Result<()> {
        self.keep_risk_state(output, ts_ns)?;
        for decision in &output.decisions {
            self.alert_decision(decision, ts_ns);
            match decision {
                Decision::ConfigAccepted { run_id } => {
                    self.config_accepted = true;
                    tracing::info!(%run_id, "engine configured");
                }
                Decision::Ignored(Ignored::ConfigRejected { error }) => {
                    tracing::error!(%error, "engine refused the configuration");
                }
                Decision::UniverseSelected { listed, quoted, .. } => {
                    let next: BTreeSet<String> = quoted.iter().cloned().collect();
                    let added: Vec<String> = next.difference(&self.quoted).cloned().collect();
                    let removed: Vec<String> = self.quoted.difference(&next).cloned().collect();
                    tracing::info!(
                        listed,
                        quoted = quoted.len(),
                        added = added.len(),
                        removed = removed.len(),
                        "universe selected"
                    );
                    merge_change(&mut self.pending_change, added, removed);
                    self.quoted = next;
                }
                Decision::Fill(fill) => {
                    self.counters.fills += 1;
                    self.counters.filled = self.counters.filled + fill.count;
                    tracing::info!(
                        ticker = %fill.ticker,
                        side = fill.side.as_str(),
                        count = %fill.count,
                        price = %fill.yes_price,
                        fee = %fill.fee,
                        position = %fill.position_after,
                        "fill"
                    );
                }
                Decision::RiskState(record) => {
                    if record.state == RiskState::Active {
                        tracing::info!(state = record.state.as_str(), reason = ?record.reason, "risk state");
                    } else {
                        tracing::warn!(state = record.state.as_str(), reason = ?record.reason, "risk state");
                    }
                }
                Decision::FillBurst(record) => {
                    tracing::warn!(breaker = %record, "fill-burst breaker");
                }
                Decision::Reconciled(summary) => tracing::info!(
                    adopted = summary.adopted,
                    foreign = summary.foreign,
                    missing = summary.missing,
                    positions = summary.positions,
                    "reconciled with the exchange"
                ),
                Decision::PositionDrift {
                    ticker,
                    ours,
                    exchange,
                } => {
                    tracing::warn!(%ticker, %ours, %exchange, "position differs from the exchange")
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Rewrites the risk-state file when the step changed the risk state or applied a fill.
    fn keep_risk_state(&mut self, output: &Output, ts_ns: i64) -> anyhow::Result<()> {
        let Some((file, reason)) = self.risk_file.as_mut() else {
            return Ok(());
        };
        let mut changed = false;
        for decision in &output.decisions {
            match decision {
                Decision::RiskState(record) => {
                    *reason = record.reason;
                    changed = true;
                }
                Decision::Fill(_) => changed = true,
                _ => {}
            }
        }
        if changed {
            file.store(self.stepper.engine().risk_snapshot(*reason), ts_ns)?;
        }
        Ok(())
    }

    fn dispatch(&mut self, commands: Vec<Command>) {
        for command in commands {
            match &command {
                Command::Place(order) => {
                    self.counters.places += 1;
                    if order.post_only {
                        self.counters.post_only_places += 1;
                    }
                }
                Command::Cancel(_) | Command::CancelAll => self.counters.cancels += 1,
                Command::Amend(_) | Command::Decrease(_) => self.counters.modifies += 1,
                Command::LookupOrder { .. } => self.counters.lookups += 1,
            }
            if self.paper_mode {
                // Submitted to the simulated exchange when the engine issued it.
                continue;
            }
            if let Err(command) = self.sink.submit(command) {
                self.counters.refused_locally += 1;
                match local_refusal(&command) {
                    Some(event) => {
                        tracing::warn!(command = %command, "exec queue refused a command; journaling a local rejection");
                        self.local_inputs.push_back(event);
                    }
                    None if matches!(command, Command::LookupOrder { .. }) => {
                        if self.held_lookups.contains(&command) {
                            tracing::debug!(command = %command, "exec queue refused a lookup already held");
                        } else {
                            tracing::warn!(command = %command, "exec queue refused a lookup; holding it to hand over again");
                            self.held_lookups.push_back(command);
                        }
                    }
                    None => {
                        tracing::error!(command = %command, "exec queue refused a command that has no local outcome")
                    }
                }
            }
        }
    }
}

/// The live run's [`StepSink`]: the journal. Inputs and outputs are group-committed as they
/// come; a step that produced a command is committed before the step ends when
/// `durable_commands` (a single step), or by the batch's [`Sequencer::end_batch`] (a batched
/// step), so no command leaves the process before it is on disk.
struct JournalSteps<'a> {
    journal: &'a mut TypedJournalWriter,
    durable_commands: bool,
    /// Whether the step ended with a commit.
    committed: bool,
}

impl StepSink for JournalSteps<'_> {
    type Error = anyhow::Error;

    fn next_seq(&mut self) -> u64 {
        self.journal.next_seq()
    }

    fn record(&mut self, ts_ns: i64, record: RecordRef<'_>) -> anyhow::Result<()> {
        let (input_seq, index, output) = match record {
            RecordRef::Input(envelope) => {
                return self
                    .journal
                    .append_input(envelope)
                    .context("journaling an input");
            }
            RecordRef::OutputCommand {
                input_seq,
                index,
                command,
            } => (input_seq, index, OutputRef::Command(command)),
            RecordRef::OutputDecision {
                input_seq,
                index,
                decision,
            } => (input_seq, index, OutputRef::Decision(decision)),
            RecordRef::RunStarted(_) | RecordRef::RawFrame(_) | RecordRef::RunEnded { .. } => {
                anyhow::bail!("a step handed the journal a record that is no input or output")
            }
        };
        self.journal
            .append_output(input_seq, ts_ns, index, output, false)
            .context("journaling the engine's outputs")?;
        Ok(())
    }

    fn end_step(&mut self, _input: &Envelope, output: &Output) -> anyhow::Result<()> {
        if self.durable_commands && !output.commands.is_empty() {
            self.journal
                .commit()
                .context("journaling the engine's outputs")?;
            self.committed = true;
        }
        Ok(())
    }
}

fn merge_change(pending: &mut UniverseChange, added: Vec<String>, removed: Vec<String>) {
    for ticker in added {
        pending.removed.retain(|gone| *gone != ticker);
        if !pending.added.contains(&ticker) {
            pending.added.push(ticker);
        }
    }
    for ticker in removed {
        let was_pending_add = pending.added.contains(&ticker);
        pending.added.retain(|new| *new != ticker);
        if !was_pending_add && !pending.removed.contains(&ticker) {
            pending.removed.push(ticker);
        }
    }
}

/// The input that records a command the exec queue could not take: a `not_sent` rejection
/// (the request never left, so it certainly had no effect). Lookups and cancel-all have no
/// per-order outcome and get none (the sequencer holds refused lookups and hands them over
/// again instead).
pub fn local_refusal(command: &Command) -> Option<Event> {
    not_sent_refusal(
        command,
        "the exec queue was full; the request never left the process",
    )
}

pub use kalshi_io::exec::not_sent_refusal;

#[cfg(test)]
mod tests;
