//! Replay-verify: rebuild the engine from a journal, feed it the journaled inputs in seq
//! order, and compare every output with the journaled one byte for byte.
//!
//! Outputs are compared in the canonical encoding of [`crate::record`] (the same encoding
//! for both sides), commands and decisions each in their journaled order. The report carries
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

use kalshi_core::engine::Engine;
use kalshi_core::events::{Envelope, Event};

use crate::error::ReplayError;
use crate::progress::{PROGRESS_EVERY, Progress, ProgressSink};
use crate::record::{
    OutputDigest, OutputKind, RecordSource, ReplayRecord, encode_command, encode_decision,
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

struct Step {
    input_seq: u64,
    actual_commands: Vec<Vec<u8>>,
    actual_decisions: Vec<Vec<u8>>,
    journaled_commands: Vec<Vec<u8>>,
    journaled_decisions: Vec<Vec<u8>>,
}

struct Verifier {
    engine: Engine,
    digest: OutputDigest,
    report: VerifyReport,
}

impl Verifier {
    /// Compares one finished step; `tail` allows journaled outputs to be a strict prefix.
    fn finish(&mut self, step: Step, tail: bool) {
        let mut missing = 0u64;
        let lists = [
            (
                OutputKind::Command,
                &step.journaled_commands,
                &step.actual_commands,
            ),
            (
                OutputKind::Decision,
                &step.journaled_decisions,
                &step.actual_decisions,
            ),
        ];
        for (kind, journaled, actual) in lists {
            for index in 0..journaled.len().max(actual.len()) {
                match (journaled.get(index), actual.get(index)) {
                    (Some(expected), Some(got)) if expected == got => {
                        self.digest.update(step.input_seq, kind, got);
                        self.report.outputs_matched += 1;
                    }
                    (None, Some(_)) if tail => missing += 1,
                    (expected, got) => {
                        self.report.divergence = Some(Divergence {
                            input_seq: step.input_seq,
                            kind,
                            index: u32::try_from(index).unwrap_or(u32::MAX),
                            expected: expected
                                .map(|bytes| String::from_utf8_lossy(bytes).into_owned()),
                            actual: got.map(|bytes| String::from_utf8_lossy(bytes).into_owned()),
                        });
                        return;
                    }
                }
            }
        }
        if missing > 0 {
            self.report.unjournaled_tail = Some(UnjournaledTail {
                input_seq: step.input_seq,
                missing_outputs: missing,
            });
        }
    }

    fn run(&mut self, envelope: &Envelope) -> Result<Step, ReplayError> {
        let output = self.engine.process(envelope);
        self.report.inputs_replayed += 1;
        Ok(Step {
            input_seq: envelope.seq,
            actual_commands: output
                .commands
                .iter()
                .map(encode_command)
                .collect::<Result<_, _>>()?,
            actual_decisions: output
                .decisions
                .iter()
                .map(encode_decision)
                .collect::<Result<_, _>>()?,
            journaled_commands: Vec::new(),
            journaled_decisions: Vec::new(),
        })
    }
}

fn unexpected_output(input_seq: u64, kind: OutputKind, index: u32, encoded: Vec<u8>) -> Divergence {
    Divergence {
        input_seq,
        kind,
        index,
        expected: Some(String::from_utf8_lossy(&encoded).into_owned()),
        actual: None,
    }
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
    };
    let mut run_config = None;
    let mut step: Option<Step> = None;
    while let Some(record) = source.next_record()? {
        verifier.report.records_read += 1;
        match record {
            ReplayRecord::RunStarted { config } => run_config = Some(config),
            ReplayRecord::Input(envelope) => {
                if let Some(done) = step.take() {
                    verifier.finish(done, false);
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
                step = Some(verifier.run(&envelope)?);
                if verifier.report.inputs_replayed % PROGRESS_EVERY == 0 {
                    progress.update(Progress {
                        stage: "verify",
                        done: verifier.report.inputs_replayed,
                        total: 0,
                    });
                }
            }
            ReplayRecord::OutputCommand {
                input_seq,
                index,
                command,
            } => {
                let encoded = encode_command(&command)?;
                match step.as_mut().filter(|step| step.input_seq == input_seq) {
                    Some(step) => step.journaled_commands.push(encoded),
                    None => {
                        verifier.report.divergence = Some(unexpected_output(
                            input_seq,
                            OutputKind::Command,
                            index,
                            encoded,
                        ));
                        break;
                    }
                }
            }
            ReplayRecord::OutputDecision {
                input_seq,
                index,
                decision,
            } => {
                let encoded = encode_decision(&decision)?;
                match step.as_mut().filter(|step| step.input_seq == input_seq) {
                    Some(step) => step.journaled_decisions.push(encoded),
                    None => {
                        verifier.report.divergence = Some(unexpected_output(
                            input_seq,
                            OutputKind::Decision,
                            index,
                            encoded,
                        ));
                        break;
                    }
                }
            }
            ReplayRecord::RunEnded { .. } => {
                verifier.report.run_ended = true;
                if let Some(done) = step.take() {
                    verifier.finish(done, false);
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
        verifier.finish(done, tail);
    }
    verifier.report.output_digest = verifier.digest.hex();
    progress.update(Progress {
        stage: "verify",
        done: verifier.report.inputs_replayed,
        total: verifier.report.inputs_replayed,
    });
    Ok(verifier.report)
}
