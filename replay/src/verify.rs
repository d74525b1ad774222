//! Replay-verify: rebuild the engine from a journal, feed it the journaled inputs in seq
//! order, and compare every output with the journaled one byte for byte.
//!
//! Each input is stepped through the one [`Stepper`] (as a live run and a backtest step theirs)
//! once its journaled outputs are read, into a comparing sink ([`Comparer`]) that holds them
//! and compares the step's outputs with them when the step ends.
//!
//! Outputs are compared in the canonical encoding of [`crate::record`] (the journal's payload
//! encoding, the same for both sides), commands and decisions each in their journaled order: a
//! replayed output is encoded once and compared with the journaled bytes, which are never
//! decoded unless they differ (to show the divergence). The report carries
//! the number of records and inputs replayed, a SHA-256 digest of the replayed output stream
//! and, on mismatch, the first divergent input seq with the expected and actual outputs.
//!
//! # Configuration
//!
//! A run's configuration reaches the engine as its first input (`Event::Config`). When a
//! journal starts with `RunStarted { config }` but its first input is not a `Config`, the
//! engine is primed with that configuration first; the outputs of that priming are not
//! compared (they were never journaled).
//!
//! # Crash-recovered journals
//!
//! A run that crashed may end mid-step: the write-ahead log keeps every complete frame, so
//! the last input may be followed by only some of its outputs, or none. When a journal has no
//! `RunEnded`, the outputs of its **last** input need only be a prefix of what the engine
//! produces; the rest is reported as an unjournaled tail, not a divergence. Everywhere else
//! (and after `RunEnded`) a missing or extra output is a divergence.

use serde::{Deserialize, Serialize};

use kalshi_core::commands::Command;
use kalshi_core::config::EngineConfig;
use kalshi_core::decision::Decision;
use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::{Envelope, Event};
use kalshi_journal::stepper::step_index;
use kalshi_journal::{
    EncodedOutput, JournalRecord, OutputRef, RecordRef, StepSink, Stepper, Unjournaled,
};

use crate::error::ReplayError;
use crate::progress::{PROGRESS_EVERY, Progress, ProgressSink};
use crate::record::{
    OutputDigest, OutputKind, RecordSource, VerifyItem, encode_command, encode_decision,
    encode_output,
};

/// The first output that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    /// Seq of the input whose outputs differ.
    pub input_seq: u64,
    /// Command or decision.
    pub kind: OutputKind,
    /// Position in the step's command or decision list.
    pub index: u32,
    /// The journaled output (canonical JSON), `None` when the journal has none here.
    pub expected: Option<String>,
    /// The replayed output (canonical JSON), `None` when the engine produced none here.
    pub actual: Option<String>,
}

/// Outputs the engine produced for the last input of a journal without `RunEnded` that the
/// journal does not hold (the run stopped mid-step).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnjournaledTail {
    /// Seq of the last input.
    pub input_seq: u64,
    /// Outputs produced but not journaled.
    pub missing_outputs: u64,
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Records read from the source.
    pub records_read: u64,
    /// Inputs fed to the engine.
    pub inputs_replayed: u64,
    /// Outputs compared equal.
    pub outputs_matched: u64,
    /// SHA-256 of the replayed output stream up to the end or the divergence.
    pub output_digest: String,
    /// Whether the journal ended with `RunEnded`.
    pub run_ended: bool,
    /// The first mismatch, if any.
    pub divergence: Option<Divergence>,
    /// The last step's outputs missing from a journal that ends mid-step.
    pub unjournaled_tail: Option<UnjournaledTail>,
}

impl VerifyReport {
    /// True when every journaled output was reproduced.
    pub fn is_match(&self) -> bool {
        self.divergence.is_none()
    }
}

/// One journaled output of the current step.
enum Journaled {
    /// Still encoded, straight from a journal.
    Encoded(EncodedOutput),
    /// Decoded by the source; kept with its encoding.
    Command(Vec<u8>, Command),
    /// Decoded by the source; kept with its encoding.
    Decision(Vec<u8>, Decision),
}

impl Journaled {
    /// Whether `actual` (at `index` of input `input_seq`) is this output; `scratch` ends up
    /// holding the encoding of `actual`.
    fn matches(
        &self,
        input_seq: u64,
        index: u32,
        actual: OutputRef<'_>,
        scratch: &mut Vec<u8>,
    ) -> Result<bool, ReplayError> {
        match self {
            Journaled::Encoded(encoded)
                if encoded.input_seq() == input_seq && encoded.index() == index =>
            {
                Ok(encoded.matches(actual, scratch)?)
            }
            Journaled::Encoded(_) => Ok(false),
            Journaled::Command(bytes, _) | Journaled::Decision(bytes, _) => {
                scratch.clear();
                encode_output(input_seq, index, actual, scratch)?;
                Ok(scratch == bytes)
            }
        }
    }

    /// Readable JSON of the journaled output.
    fn to_json(&self) -> Result<String, ReplayError> {
        let bytes = match self {
            Journaled::Encoded(encoded) => match encoded.decode()?.record {
                JournalRecord::OutputCommand { command, .. } => encode_command(&command)?,
                JournalRecord::OutputDecision { decision, .. } => encode_decision(&decision)?,
                other => format!("{other:?}").into_bytes(),
            },
            Journaled::Command(_, command) => encode_command(command)?,
            Journaled::Decision(_, decision) => encode_decision(decision)?,
        };
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

fn actual_json(actual: OutputRef<'_>) -> Result<String, ReplayError> {
    let bytes = match actual {
        OutputRef::Command(command) => encode_command(command)?,
        OutputRef::Decision(decision) => encode_decision(decision)?,
    };
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The comparing [`StepSink`]: holds the journaled outputs of the input being stepped and,
/// when the step ends, compares the engine's outputs with them (commands, then decisions,
/// each in list order), hashing every output that matches.
struct Comparer {
    digest: OutputDigest,
    report: VerifyReport,
    scratch: Vec<u8>,
    journaled_commands: Vec<Journaled>,
    journaled_decisions: Vec<Journaled>,
    /// Whether the journaled outputs may be a strict prefix (the last step of a journal that
    /// ends mid-step).
    tail: bool,
    /// Compare the step's outputs (false for a step whose comparison never comes).
    compare: bool,
}

impl StepSink for Comparer {
    type Error = ReplayError;

    /// Verify steps journaled inputs, which carry their seqs.
    fn next_seq(&mut self) -> u64 {
        0
    }

    fn record(&mut self, _ts_ns: i64, _record: RecordRef<'_>) -> Result<(), ReplayError> {
        Ok(())
    }

    fn end_step(&mut self, input: &Envelope, output: &Output) -> Result<(), ReplayError> {
        self.report.inputs_replayed += 1;
        if !self.compare {
            return Ok(());
        }
        let journaled_commands = std::mem::take(&mut self.journaled_commands);
        let journaled_decisions = std::mem::take(&mut self.journaled_decisions);
        self.finish(input.seq, output, &journaled_commands, &journaled_decisions)
    }
}

impl Comparer {
    /// Compares one step's outputs with the journaled ones.
    fn finish(
        &mut self,
        input_seq: u64,
        actual: &Output,
        journaled_commands: &[Journaled],
        journaled_decisions: &[Journaled],
    ) -> Result<(), ReplayError> {
        let mut missing = 0u64;
        let commands: Vec<OutputRef<'_>> = actual.commands.iter().map(OutputRef::Command).collect();
        let decisions: Vec<OutputRef<'_>> =
            actual.decisions.iter().map(OutputRef::Decision).collect();
        let lists = [
            (OutputKind::Command, journaled_commands, commands),
            (OutputKind::Decision, journaled_decisions, decisions),
        ];
        for (kind, journaled, actual) in lists {
            for position in 0..journaled.len().max(actual.len()) {
                let index = step_index(position);
                let same = match (journaled.get(position), actual.get(position)) {
                    (Some(expected), Some(got)) => {
                        expected.matches(input_seq, index, *got, &mut self.scratch)?
                    }
                    _ => false,
                };
                if same {
                    self.digest.update(input_seq, kind, &self.scratch);
                    self.report.outputs_matched += 1;
                    continue;
                }
                if self.tail && position >= journaled.len() {
                    missing += 1;
                    continue;
                }
                self.report.divergence = Some(Divergence {
                    input_seq,
                    kind,
                    index,
                    expected: journaled
                        .get(position)
                        .map(Journaled::to_json)
                        .transpose()?,
                    actual: actual.get(position).copied().map(actual_json).transpose()?,
                });
                return Ok(());
            }
        }
        if missing > 0 {
            self.report.unjournaled_tail = Some(UnjournaledTail {
                input_seq,
                missing_outputs: missing,
            });
        }
        Ok(())
    }
}

/// An input read and not yet stepped: its journaled outputs are still being read.
struct Pending {
    input: Envelope,
    /// The run's configuration to prime the engine with first (the first input of a journal
    /// whose first input is not a `Config`).
    prime: Option<Box<EngineConfig>>,
}

/// The verification in progress: the stepper and its comparing sink.
struct Verifier<'p> {
    stepper: Stepper,
    comparer: Comparer,
    progress: &'p dyn ProgressSink,
}

impl Verifier<'_> {
    /// Steps `pending` and compares its outputs with the journaled ones collected so far
    /// (`tail`: they may be a strict prefix; `compare` false: the step is only run).
    fn step(&mut self, pending: Pending, tail: bool, compare: bool) -> Result<(), ReplayError> {
        if let Some(config) = pending.prime {
            // Never journaled, so nothing to compare.
            let priming = Envelope {
                seq: 0,
                ts_ns: pending.input.ts_ns,
                event: Event::Config(config),
            };
            match self.stepper.step_stamped(&mut Unjournaled, priming) {
                Ok(_) => {}
                Err(never) => match never {},
            }
        }
        self.comparer.tail = tail;
        self.comparer.compare = compare;
        self.stepper
            .step_stamped(&mut self.comparer, pending.input)?;
        self.comparer.journaled_commands.clear();
        self.comparer.journaled_decisions.clear();
        if self.comparer.report.inputs_replayed % PROGRESS_EVERY == 0 {
            self.progress.update(Progress {
                stage: "verify",
                done: self.comparer.report.inputs_replayed,
                total: 0,
            });
        }
        Ok(())
    }
}

/// A journaled output with the input seq and index the journal gave it.
struct JournaledOutput {
    input_seq: u64,
    index: u32,
    kind: OutputKind,
    journaled: Journaled,
}

/// A record read for verification, outputs set apart.
enum Item {
    Output(JournaledOutput),
    Other(JournalRecord),
}

fn classify(item: VerifyItem) -> Result<Item, ReplayError> {
    let output = match item {
        VerifyItem::EncodedOutput(encoded) => JournaledOutput {
            input_seq: encoded.input_seq(),
            index: encoded.index(),
            kind: if encoded.is_command() {
                OutputKind::Command
            } else {
                OutputKind::Decision
            },
            journaled: Journaled::Encoded(encoded),
        },
        VerifyItem::Record(JournalRecord::OutputCommand {
            input_seq,
            index,
            command,
        }) => {
            let mut bytes = Vec::new();
            encode_output(input_seq, index, OutputRef::Command(&command), &mut bytes)?;
            JournaledOutput {
                input_seq,
                index,
                kind: OutputKind::Command,
                journaled: Journaled::Command(bytes, command),
            }
        }
        VerifyItem::Record(JournalRecord::OutputDecision {
            input_seq,
            index,
            decision,
        }) => {
            let mut bytes = Vec::new();
            encode_output(input_seq, index, OutputRef::Decision(&decision), &mut bytes)?;
            JournaledOutput {
                input_seq,
                index,
                kind: OutputKind::Decision,
                journaled: Journaled::Decision(bytes, decision),
            }
        }
        VerifyItem::Record(other) => return Ok(Item::Other(other)),
    };
    Ok(Item::Output(output))
}

/// Verifies the journal read from `source`. Stops at the first divergence.
pub fn verify(
    source: &mut dyn RecordSource,
    progress: &dyn ProgressSink,
) -> Result<VerifyReport, ReplayError> {
    let mut verifier = Verifier {
        stepper: Stepper::new(Engine::new()),
        comparer: Comparer {
            digest: OutputDigest::new(),
            report: VerifyReport {
                records_read: 0,
                inputs_replayed: 0,
                outputs_matched: 0,
                output_digest: String::new(),
                run_ended: false,
                divergence: None,
                unjournaled_tail: None,
            },
            scratch: Vec::new(),
            journaled_commands: Vec::new(),
            journaled_decisions: Vec::new(),
            tail: false,
            compare: true,
        },
        progress,
    };
    let mut run_config = None;
    let mut pending: Option<Pending> = None;
    while let Some(item) = source.next_verify_item()? {
        verifier.comparer.report.records_read += 1;
        let record = match classify(item)? {
            Item::Other(record) => record,
            Item::Output(output) => {
                if pending
                    .as_ref()
                    .is_some_and(|pending| pending.input.seq == output.input_seq)
                {
                    let comparer = &mut verifier.comparer;
                    match output.kind {
                        OutputKind::Command => comparer.journaled_commands.push(output.journaled),
                        OutputKind::Decision => comparer.journaled_decisions.push(output.journaled),
                    }
                    continue;
                }
                // An output of no input being stepped: the input before it is replayed, and
                // the output is the divergence.
                if let Some(open) = pending.take() {
                    verifier.step(open, false, false)?;
                }
                verifier.comparer.report.divergence = Some(Divergence {
                    input_seq: output.input_seq,
                    kind: output.kind,
                    index: output.index,
                    expected: Some(output.journaled.to_json()?),
                    actual: None,
                });
                break;
            }
        };
        match record {
            JournalRecord::RunStarted(started) => run_config = Some(Box::new(started.config)),
            JournalRecord::Input(envelope) => {
                if let Some(done) = pending.take() {
                    verifier.step(done, false, true)?;
                }
                if verifier.comparer.report.divergence.is_some() {
                    break;
                }
                let prime = if verifier.comparer.report.inputs_replayed == 0
                    && !matches!(envelope.event, Event::Config(_))
                {
                    run_config.take()
                } else {
                    None
                };
                pending = Some(Pending {
                    input: envelope,
                    prime,
                });
            }
            JournalRecord::OutputCommand { .. }
            | JournalRecord::OutputDecision { .. }
            | JournalRecord::RawFrame(_) => {}
            JournalRecord::RunEnded { .. } => {
                verifier.comparer.report.run_ended = true;
                if let Some(done) = pending.take() {
                    verifier.step(done, false, true)?;
                }
                if verifier.comparer.report.divergence.is_some() {
                    break;
                }
            }
        }
    }
    if let Some(done) = pending.take()
        && verifier.comparer.report.divergence.is_none()
    {
        let tail = !verifier.comparer.report.run_ended;
        verifier.step(done, tail, true)?;
    }
    let mut report = verifier.comparer.report;
    report.output_digest = verifier.comparer.digest.hex();
    progress.update(Progress {
        stage: "verify",
        done: report.inputs_replayed,
        total: report.inputs_replayed,
    });
    Ok(report)
}
