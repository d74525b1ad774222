//! The typed writer: the sequencer's API for journaling records.
//!
//! It owns seq allocation for everything except inputs (whose envelopes are stamped by the
//! sequencer with [`TypedJournalWriter::next_seq`], or by [`TypedJournalWriter::stamp`]), uses
//! each record's own time as the group-commit clock, and makes a step's commands durable before
//! [`TypedJournalWriter::append_outputs`] returns, so no request can leave the process before
//! it is on disk.

use std::path::Path;

use kalshi_core::engine::Output;
use kalshi_core::events::{Envelope, Event};

use crate::manifest::{Manifest, RunInfo};
use crate::record::{
    JournalRecord, OutputRef, RawFrame, RecordError, RunStarted, input_entry, output_entry,
};
use crate::recovery::RecoveryReport;
use crate::stepper::step_index;
use crate::writer::{JournalWriter, WalConfig};

/// Seqs given to one step's output records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutputSeqs {
    /// First seq used (`None` when the step produced nothing).
    pub first_seq: Option<u64>,
    /// Last seq used.
    pub last_seq: Option<u64>,
    /// Whether the step's records were made durable (true whenever it had commands).
    pub durable: bool,
}

/// Typed appends over a [`JournalWriter`]. See the module documentation.
pub struct TypedJournalWriter {
    inner: JournalWriter,
}

impl TypedJournalWriter {
    /// Creates a new journal in `dir`.
    pub fn create(dir: &Path, run: RunInfo, config: WalConfig) -> Result<Self, RecordError> {
        Ok(Self {
            inner: JournalWriter::create(dir, run, config)?,
        })
    }

    /// Opens an existing journal (running recovery).
    pub fn open(dir: &Path, config: WalConfig) -> Result<(Self, RecoveryReport), RecordError> {
        let (inner, report) = JournalWriter::open(dir, config)?;
        Ok((Self { inner }, report))
    }

    /// Wraps an already open writer.
    pub fn from_writer(inner: JournalWriter) -> Self {
        Self { inner }
    }

    /// The seq the next appended record will get (1 for an empty journal).
    pub fn next_seq(&self) -> u64 {
        self.inner.last_seq().map_or(1, |seq| seq.saturating_add(1))
    }

    /// Wraps `event` in an envelope stamped with the next seq and `ts_ns`.
    pub fn stamp(&self, ts_ns: i64, event: Event) -> Envelope {
        Envelope {
            seq: self.next_seq(),
            ts_ns,
            event,
        }
    }

    /// Appends the run header (durably: it is the first thing a reader needs).
    pub fn append_run_started(&mut self, started: RunStarted) -> Result<u64, RecordError> {
        let ts_ns = started.started_ts_ns;
        let seq = self.next_seq();
        let entry = JournalRecord::RunStarted(Box::new(started)).to_entry(seq, ts_ns)?;
        self.inner.append_durable(&entry)?;
        Ok(seq)
    }

    /// Appends one engine input under its envelope's seq (which must be above every seq
    /// already journaled). Group-committed.
    pub fn append_input(&mut self, envelope: &Envelope) -> Result<(), RecordError> {
        let entry = input_entry(envelope)?;
        self.inner.append(&entry, envelope.ts_ns)?;
        Ok(())
    }

    /// Appends what the engine produced for input `input_seq` (received at `input_ts_ns`):
    /// every decision, then every command, each as its own record stamped with the input's
    /// time. If there is any command, the last one is appended durably, so the whole step is
    /// on disk before this returns and before any request may be sent.
    pub fn append_outputs(
        &mut self,
        input_seq: u64,
        input_ts_ns: i64,
        output: &Output,
    ) -> Result<OutputSeqs, RecordError> {
        self.append_outputs_with(input_seq, input_ts_ns, output, true)
    }

    /// Like [`Self::append_outputs`], but never forces a commit: the records are
    /// group-committed like inputs. The caller must [`Self::commit`] before it lets any of
    /// the step's commands leave the process (the sequencer's batches do: many steps, one
    /// fdatasync, then the commands).
    pub fn append_outputs_buffered(
        &mut self,
        input_seq: u64,
        input_ts_ns: i64,
        output: &Output,
    ) -> Result<OutputSeqs, RecordError> {
        self.append_outputs_with(input_seq, input_ts_ns, output, false)
    }

    fn append_outputs_with(
        &mut self,
        input_seq: u64,
        input_ts_ns: i64,
        output: &Output,
        durable_commands: bool,
    ) -> Result<OutputSeqs, RecordError> {
        let mut seqs = OutputSeqs::default();
        let decisions = output
            .decisions
            .iter()
            .enumerate()
            .map(|(index, decision)| (index, OutputRef::Decision(decision)));
        let commands = output
            .commands
            .iter()
            .enumerate()
            .map(|(index, command)| (index, OutputRef::Command(command)));
        let total = output.decisions.len() + output.commands.len();
        let durable_from = if output.commands.is_empty() || !durable_commands {
            usize::MAX
        } else {
            total - 1
        };
        for (position, (index, record)) in decisions.chain(commands).enumerate() {
            let durable = position >= durable_from;
            let seq =
                self.append_output(input_seq, input_ts_ns, step_index(index), record, durable)?;
            seqs.durable |= durable;
            seqs.first_seq.get_or_insert(seq);
            seqs.last_seq = Some(seq);
        }
        Ok(seqs)
    }

    /// Appends one output record (`index` in its step's command or decision list, stamped
    /// with the input's time) under the next seq and returns that seq: durably when
    /// `durable`, else group-committed. [`Self::append_outputs`] is this for a whole step;
    /// a caller appending a step record by record must commit before any of its commands
    /// leaves the process.
    pub fn append_output(
        &mut self,
        input_seq: u64,
        input_ts_ns: i64,
        index: u32,
        output: OutputRef<'_>,
        durable: bool,
    ) -> Result<u64, RecordError> {
        let seq = self.next_seq();
        let entry = output_entry(seq, input_ts_ns, input_seq, index, output)?;
        if durable {
            self.inner.append_durable(&entry)?;
        } else {
            self.inner.append(&entry, input_ts_ns)?;
        }
        Ok(seq)
    }

    /// Appends a raw wire frame under the next seq, stamped with its receive time.
    pub fn append_raw(&mut self, frame: RawFrame) -> Result<u64, RecordError> {
        let seq = self.next_seq();
        let ts_ns = frame.recv_ts_ns;
        let entry = JournalRecord::RawFrame(frame).to_entry(seq, ts_ns)?;
        self.inner.append(&entry, ts_ns)?;
        Ok(seq)
    }

    /// Appends the end-of-run record durably.
    pub fn append_run_ended(
        &mut self,
        ts_ns: i64,
        reason: impl Into<String>,
    ) -> Result<u64, RecordError> {
        let seq = self.next_seq();
        let entry = JournalRecord::RunEnded {
            reason: reason.into(),
        }
        .to_entry(seq, ts_ns)?;
        self.inner.append_durable(&entry)?;
        Ok(seq)
    }

    /// Appends any record under the next seq (group-committed); returns its seq. Inputs
    /// must go through [`Self::append_input`].
    pub fn append_record(
        &mut self,
        ts_ns: i64,
        record: &JournalRecord,
    ) -> Result<u64, RecordError> {
        let seq = match record {
            JournalRecord::Input(envelope) => envelope.seq,
            _ => self.next_seq(),
        };
        let entry = record.to_entry(seq, ts_ns)?;
        self.inner.append(&entry, ts_ns)?;
        Ok(seq)
    }

    /// Commits buffered records if the group-commit interval has passed by `now_ns`.
    pub fn flush_if_due(&mut self, now_ns: i64) -> Result<bool, RecordError> {
        Ok(self.inner.flush_if_due(now_ns)?)
    }

    /// Commits every buffered record.
    pub fn commit(&mut self) -> Result<(), RecordError> {
        Ok(self.inner.commit()?)
    }

    /// Commits and closes.
    pub fn close(self) -> Result<(), RecordError> {
        Ok(self.inner.close()?)
    }

    /// Commits, closes the active segment and seals every segment to Parquet.
    pub fn finish_and_seal(self) -> Result<Manifest, RecordError> {
        Ok(self.inner.finish_and_seal()?)
    }

    /// The underlying writer (rotation, sealing, durability state).
    pub fn inner(&self) -> &JournalWriter {
        &self.inner
    }

    /// The underlying writer, mutably.
    pub fn inner_mut(&mut self) -> &mut JournalWriter {
        &mut self.inner
    }
}
