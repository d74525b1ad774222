//! The bridge to the journal crate: reading a run directory as a [`RecordSource`], and writing
//! a backtest's records as a run directory (so a backtest is replayable like a live run).

use std::path::Path;

use kalshi_core::engine::Output;
use kalshi_journal::{
    JournalRecord, Manifest, RecordReader, RunInfo, RunStarted, TornTail, TypedJournalWriter,
    WalConfig,
};

use crate::error::ReplayError;
use crate::record::{RecordSource, ReplayRecord};

/// A journal run directory read as replay records (raw wire frames are skipped).
pub struct JournalSource {
    reader: RecordReader,
}

impl JournalSource {
    /// Opens `dir` (verifying chain and digests as the journal reader does by default).
    pub fn open(dir: &Path) -> Result<JournalSource, ReplayError> {
        Ok(JournalSource {
            reader: RecordReader::open(dir)?,
        })
    }

    /// The torn WAL tail the reader dropped, if the run ended in a crash.
    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.reader.torn_tail()
    }
}

impl RecordSource for JournalSource {
    fn next_record(&mut self) -> Result<Option<ReplayRecord>, ReplayError> {
        loop {
            let Some(sequenced) = self.reader.next_record()? else {
                return Ok(None);
            };
            let record = match sequenced.record {
                JournalRecord::RunStarted(started) => ReplayRecord::RunStarted {
                    config: Box::new(started.config),
                },
                JournalRecord::Input(envelope) => ReplayRecord::Input(envelope),
                JournalRecord::OutputCommand {
                    input_seq,
                    index,
                    command,
                } => ReplayRecord::OutputCommand {
                    input_seq,
                    index,
                    command,
                },
                JournalRecord::OutputDecision {
                    input_seq,
                    index,
                    decision,
                } => ReplayRecord::OutputDecision {
                    input_seq,
                    index,
                    decision,
                },
                JournalRecord::RunEnded { reason } => ReplayRecord::RunEnded { reason },
                JournalRecord::RawFrame(_) => continue,
            };
            return Ok(Some(record));
        }
    }
}

/// Writes `records` (as produced by a backtest) as a new journal in `dir` and seals it.
/// Input envelopes keep their seqs, which must be increasing and leave room for the outputs
/// between them (a backtest numbers records consecutively, so they do).
pub fn write_journal(
    dir: &Path,
    run: RunInfo,
    records: &[ReplayRecord],
) -> Result<Manifest, ReplayError> {
    let started_ts_ns = run.created_ts_ns;
    let mut writer = TypedJournalWriter::create(dir, run.clone(), WalConfig::default())?;
    let mut step: Option<(u64, i64, Output)> = None;
    let mut last_ts_ns = started_ts_ns;
    let flush = |writer: &mut TypedJournalWriter,
                 step: &mut Option<(u64, i64, Output)>|
     -> Result<(), ReplayError> {
        if let Some((input_seq, ts_ns, output)) = step.take() {
            writer.append_outputs(input_seq, ts_ns, &output)?;
        }
        Ok(())
    };
    for record in records {
        match record {
            ReplayRecord::RunStarted { config } => {
                writer.append_run_started(RunStarted {
                    run_id: run.run_id.clone(),
                    build_id: run.build_id.clone(),
                    config: (**config).clone(),
                    environment: run.environment.clone(),
                    seed: run.seed,
                    started_ts_ns,
                })?;
            }
            ReplayRecord::Input(envelope) => {
                flush(&mut writer, &mut step)?;
                writer.append_input(envelope)?;
                last_ts_ns = envelope.ts_ns;
                step = Some((envelope.seq, envelope.ts_ns, Output::default()));
            }
            ReplayRecord::OutputCommand { command, .. } => {
                if let Some((_, _, output)) = step.as_mut() {
                    output.commands.push(command.clone());
                }
            }
            ReplayRecord::OutputDecision { decision, .. } => {
                if let Some((_, _, output)) = step.as_mut() {
                    output.decisions.push(decision.clone());
                }
            }
            ReplayRecord::RunEnded { reason } => {
                flush(&mut writer, &mut step)?;
                writer.append_run_ended(last_ts_ns, reason.clone())?;
            }
        }
    }
    flush(&mut writer, &mut step)?;
    Ok(writer.finish_and_seal()?)
}
