//! Replay-verify: rebuild the engine from a journal, feed it the journaled inputs in seq
//! order, and compare every output with the journaled one byte for byte.
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
use kalshi_core::decision::Decision;
use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::{Envelope, Event};
use kalshi_journal::{EncodedOutput, JournalRecord, OutputRef};

use crate::error::ReplayError;
use crate::progress::{PROGRESS_EVERY, Progress, ProgressSink};
use crate::record::{
    OutputDigest, OutputKind, RecordSource, ReplayRecord, VerifyItem, encode_command,
    encode_decision, encode_output,
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

struct Step {
    input_seq: u64,
    actual: Output,
    journaled_commands: Vec<Journaled>,
    journaled_decisions: Vec<Journaled>,
}

struct Verifier {
    engine: Engine,
    digest: OutputDigest,
    report: VerifyReport,
    scratch: Vec<u8>,
}

impl Verifier {
    /// Compares one finished step; `tail` allows journaled outputs to be a strict prefix.
    fn finish(&mut self, step: Step, tail: bool) -> Result<(), ReplayError> {
        let mut missing = 0u64;
        let commands: Vec<OutputRef<'_>> = step
            .actual
            .commands
            .iter()
            .map(OutputRef::Command)
            .collect();
        let decisions: Vec<OutputRef<'_>> = step
            .actual
            .decisions
            .iter()
            .map(OutputRef::Decision)
            .collect();
        let lists = [
            (OutputKind::Command, &step.journaled_commands, commands),
            (OutputKind::Decision, &step.journaled_decisions, decisions),
        ];
        for (kind, journaled, actual) in lists {
            for position in 0..journaled.len().max(actual.len()) {
                let index = u32::try_from(position).unwrap_or(u32::MAX);
                let same = match (journaled.get(position), actual.get(position)) {
                    (Some(expected), Some(got)) => {
                        expected.matches(step.input_seq, index, *got, &mut self.scratch)?
                    }
                    _ => false,
                };
                if same {
                    self.digest.update(step.input_seq, kind, &self.scratch);
                    self.report.outputs_matched += 1;
                    continue;
                }
                if tail && position >= journaled.len() {
                    missing += 1;
                    continue;
                }
                self.report.divergence = Some(Divergence {
                    input_seq: step.input_seq,
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
                input_seq: step.input_seq,
                missing_outputs: missing,
            });
        }
        Ok(())
    }

    fn run(&mut self, envelope: &Envelope) -> Step {
        let actual = self.engine.process(envelope);
        self.report.inputs_replayed += 1;
        Step {
            input_seq: envelope.seq,
            actual,
            journaled_commands: Vec::new(),
            journaled_decisions: Vec::new(),
        }
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
    Other(ReplayRecord),
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
        VerifyItem::Record(ReplayRecord::OutputCommand {
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
        VerifyItem::Record(ReplayRecord::OutputDecision {
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
        engine: Engine::new(),
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
    };
    let mut run_config = None;
    let mut step: Option<Step> = None;
    while let Some(item) = source.next_verify_item()? {
        verifier.report.records_read += 1;
        let record = match classify(item)? {
            Item::Other(record) => record,
            Item::Output(output) => {
                match step
                    .as_mut()
                    .filter(|step| step.input_seq == output.input_seq)
                {
                    Some(step) => match output.kind {
                        OutputKind::Command => step.journaled_commands.push(output.journaled),
                        OutputKind::Decision => step.journaled_decisions.push(output.journaled),
                    },
                    None => {
                        verifier.report.divergence = Some(Divergence {
                            input_seq: output.input_seq,
                            kind: output.kind,
                            index: output.index,
                            expected: Some(output.journaled.to_json()?),
                            actual: None,
                        });
                        break;
                    }
                }
                continue;
            }
        };
        match record {
            ReplayRecord::RunStarted { config } => run_config = Some(config),
            ReplayRecord::Input(envelope) => {
                if let Some(done) = step.take() {
                    verifier.finish(done, false)?;
                }
                if verifier.report.divergence.is_some() {
                    break;
                }
                if verifier.report.inputs_replayed == 0
                    && !matches!(envelope.event, Event::Config(_))
                    && let Some(config) = run_config.take()
                {
                    verifier.engine.process(&Envelope {
                        seq: 0,
                        ts_ns: envelope.ts_ns,
                        event: Event::Config(config),
                    });
                }
                step = Some(verifier.run(&envelope));
                if verifier.report.inputs_replayed % PROGRESS_EVERY == 0 {
                    progress.update(Progress {
                        stage: "verify",
                        done: verifier.report.inputs_replayed,
                        total: 0,
                    });
                }
            }
            ReplayRecord::OutputCommand { .. } | ReplayRecord::OutputDecision { .. } => {}
            ReplayRecord::RunEnded { .. } => {
                verifier.report.run_ended = true;
                if let Some(done) = step.take() {
                    verifier.finish(done, false)?;
                }
                if verifier.report.divergence.is_some() {
                    break;
                }
            }
        }
    }
    if let Some(done) = step.take()
        && verifier.report.divergence.is_none()
    {
        let tail = !verifier.report.run_ended;
        verifier.finish(done, tail)?;
    }
    verifier.report.output_digest = verifier.digest.hex();
    progress.update(Progress {
        stage: "verify",
        done: verifier.report.inputs_replayed,
        total: verifier.report.inputs_replayed,
    });
    Ok(verifier.report)
}
