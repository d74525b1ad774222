//! The bridge to the journal crate: reading a run directory as a [`RecordSource`], and writing
//! a backtest's records as a run directory, as they are produced ([`JournalSink`]) or from
//! memory ([`write_journal`]), so a backtest is replayable like a live run.

use std::path::Path;

use kalshi_core::engine::Output;
use kalshi_journal::{
    JournalRecord, LazyRecord, Manifest, ReadOptions, RecordReader, RunInfo, RunStarted,
    SequencedRecord, TornTail, TypedJournalWriter, WalConfig,
};

use crate::backtest::RecordSink;
use crate::error::ReplayError;
use crate::record::{RecordSource, ReplayRecord, VerifyItem};

/// A journal run directory read as replay records (raw wire frames are skipped).
pub struct JournalSource {
    reader: RecordReader,
}

impl JournalSource {
    /// Opens `dir` (verifying chain and digests as the journal reader does by default: a
    /// sealed segment whose file digest matches the manifest is not re-hashed row by row),
    /// reading and checking on the calling thread.
    pub fn open(dir: &Path) -> Result<JournalSource, ReplayError> {
        Ok(JournalSource {
            reader: RecordReader::open(dir)?,
        })
    }

    /// Opens `dir` like [`Self::open`] but re-hashes every chain link of sealed segments too
    /// (`replay --verify --paranoid`).
    pub fn open_paranoid(dir: &Path) -> Result<JournalSource, ReplayError> {
        Ok(JournalSource {
            reader: RecordReader::open_with(dir, ReadOptions::paranoid())?,
        })
    }

    /// Opens `dir` like [`Self::open`] with the file IO, CRCs, hash chain and digests on a
    /// read-ahead thread, so the replaying thread only decodes records and runs the engine
    /// (same records, same errors at the same point). It pays off only when a second core
    /// is free: on a loaded two-core host the hand-off costs more than it saves, which is why
    /// [`Self::open`] stays single-threaded.
    pub fn open_read_ahead(dir: &Path) -> Result<JournalSource, ReplayError> {
        Ok(JournalSource {
            reader: RecordReader::open_read_ahead(dir)?,
        })
    }

    /// The torn WAL tail the reader dropped, if the run ended in a crash.
    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.reader.torn_tail()
    }

    /// The run's manifest (its identity: run id, environment, seed).
    pub fn manifest(&self) -> &kalshi_journal::Manifest {
        self.reader.manifest()
    }
}

/// The replay form of a decoded journal record; `None` for a raw wire frame.
fn replay_record(sequenced: SequencedRecord) -> Option<ReplayRecord> {
    Some(match sequenced.record {
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
        JournalRecord::RawFrame(_) => return None,
    })
}

impl RecordSource for JournalSource {
    fn next_record(&mut self) -> Result<Option<ReplayRecord>, ReplayError> {
        while let Some(sequenced) = self.reader.next_record()? {
            if let Some(record) = replay_record(sequenced) {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// Outputs come back undecoded, for `verify` to compare by bytes.
    fn next_verify_item(&mut self) -> Result<Option<VerifyItem>, ReplayError> {
        while let Some(lazy) = self.reader.next_lazy()? {
            match lazy {
                LazyRecord::Output(encoded) => return Ok(Some(VerifyItem::EncodedOutput(encoded))),
                LazyRecord::Decoded(sequenced) => {
                    if let Some(record) = replay_record(sequenced) {
                        return Ok(Some(VerifyItem::Record(record)));
                    }
                }
            }
        }
        Ok(None)
    }
}

/// A [`RecordSink`] that journals a backtest's records as they are produced: a run directory
/// replayable like a live run. Input envelopes keep their seqs, which must be increasing and
/// leave room for the outputs between them (a backtest numbers records consecutively, so
/// they do); each step's outputs are appended once the next record shows the step is over.
pub struct JournalSink {
    writer: TypedJournalWriter,
    run: RunInfo,
    step: Option<(u64, i64, Output)>,
    last_ts_ns: i64,
}

impl JournalSink {
    /// Creates the journal in `dir` (which must not hold one).
    pub fn create(dir: &Path, run: RunInfo) -> Result<JournalSink, ReplayError> {
        let writer = TypedJournalWriter::create(dir, run.clone(), WalConfig::default())?;
        let last_ts_ns = run.created_ts_ns;
        Ok(JournalSink {
            writer,
            run,
            step: None,
            last_ts_ns,
        })
    }

    fn flush_step(&mut self) -> Result<(), ReplayError> {
        if let Some((input_seq, ts_ns, output)) = self.step.take() {
            self.writer.append_outputs(input_seq, ts_ns, &output)?;
        }
        Ok(())
    }

    /// Appends the last step's outputs, closes the active segment and seals the journal.
    pub fn finish_and_seal(mut self) -> Result<Manifest, ReplayError> {
        self.flush_step()?;
        Ok(self.writer.finish_and_seal()?)
    }
}

impl RecordSink for JournalSink {
    fn record(&mut self, record: ReplayRecord) -> Result<(), ReplayError> {
        match record {
            ReplayRecord::RunStarted { config } => {
                self.writer.append_run_started(RunStarted {
                    run_id: self.run.run_id.clone(),
                    build_id: self.run.build_id.clone(),
                    config: *config,
                    environment: self.run.environment.clone(),
                    seed: self.run.seed,
                    started_ts_ns: self.run.created_ts_ns,
                })?;
            }
            ReplayRecord::Input(envelope) => {
                self.flush_step()?;
                self.writer.append_input(&envelope)?;
                self.last_ts_ns = envelope.ts_ns;
                self.step = Some((envelope.seq, envelope.ts_ns, Output::default()));
            }
            ReplayRecord::OutputCommand { command, .. } => {
                if let Some((_, _, output)) = self.step.as_mut() {
                    output.commands.push(command);
                }
            }
            ReplayRecord::OutputDecision { decision, .. } => {
                if let Some((_, _, output)) = self.step.as_mut() {
                    output.decisions.push(decision);
                }
            }
            ReplayRecord::RunEnded { reason } => {
                self.flush_step()?;
                self.writer.append_run_ended(self.last_ts_ns, reason)?;
            }
        }
        Ok(())
    }
}

/// Writes `records` (as produced by a backtest) as a new journal in `dir` and seals it; see
/// [`JournalSink`] for the seq rules.
pub fn write_journal(
    dir: &Path,
    run: RunInfo,
    records: &[ReplayRecord],
) -> Result<Manifest, ReplayError> {
    let mut sink = JournalSink::create(dir, run)?;
    for record in records {
        sink.record(record.clone())?;
    }
    sink.finish_and_seal()
}
