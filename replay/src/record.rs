//! The records replay consumes and produces, and the one output encoding used everywhere.
//!
//! Replay reads and writes the journal's own record type, [`JournalRecord`]: the run's start
//! (with its configuration), every input envelope, every output (command or decision) and the
//! run's end. Replay reads them through [`RecordSource`], so a journal reader, an in-memory
//! vector or a backtest's own output all feed the same drivers; adapting the journal's typed
//! record reader is a thin `impl RecordSource`.
//!
//! Outputs are compared and hashed in one canonical encoding, [`encode_output`]: the journal's
//! own payload encoding of the output record (`OutputCommand` / `OutputDecision` with its
//! input seq and index), so "byte for byte" means the same bytes whichever side produced them,
//! and a journaled output is compared without being decoded. [`encode_command`] /
//! [`encode_decision`] (serde JSON) are for showing an output to a person.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use kalshi_core::commands::Command;
use kalshi_core::decision::Decision;
use kalshi_journal::{EncodedOutput, JournalRecord, OutputRef, RecordRef, encode_output_payload};

use crate::error::ReplayError;

/// A record as `verify` reads it: outputs may arrive still encoded.
#[derive(Debug, Clone, PartialEq)]
pub enum VerifyItem {
    /// A decoded record.
    Record(JournalRecord),
    /// A journaled output, still in its payload encoding.
    EncodedOutput(EncodedOutput),
}

/// Anything that yields journal records in sequence order.
pub trait RecordSource {
    /// The next record, or `None` at the end.
    fn next_record(&mut self) -> Result<Option<JournalRecord>, ReplayError>;

    /// The next record for `verify`, which compares outputs by their encoding: a source that
    /// holds outputs encoded may hand them over undecoded. The default decodes everything.
    fn next_verify_item(&mut self) -> Result<Option<VerifyItem>, ReplayError> {
        Ok(self.next_record()?.map(VerifyItem::Record))
    }
}

/// A source over records held in memory.
#[derive(Debug, Clone)]
pub struct VecSource {
    records: std::vec::IntoIter<JournalRecord>,
}

impl VecSource {
    /// A source yielding `records` in order.
    pub fn new(records: Vec<JournalRecord>) -> VecSource {
        VecSource {
            records: records.into_iter(),
        }
    }
}

impl RecordSource for VecSource {
    fn next_record(&mut self) -> Result<Option<JournalRecord>, ReplayError> {
        Ok(self.records.next())
    }
}

/// Appends to `out` the canonical encoding of `output`, produced for input `input_seq` at
/// position `index` of its step's list: the journal payload of that output record.
pub fn encode_output(
    input_seq: u64,
    index: u32,
    output: OutputRef<'_>,
    out: &mut Vec<u8>,
) -> Result<(), ReplayError> {
    Ok(encode_output_payload(input_seq, index, output, out)?)
}

/// Readable JSON of one command (for divergence reports).
pub fn encode_command(command: &Command) -> Result<Vec<u8>, ReplayError> {
    serde_json::to_vec(command).map_err(|source| ReplayError::Encode {
        what: "command",
        source,
    })
}

/// Readable JSON of one decision (for divergence reports).
pub fn encode_decision(decision: &Decision) -> Result<Vec<u8>, ReplayError> {
    serde_json::to_vec(decision).map_err(|source| ReplayError::Encode {
        what: "decision",
        source,
    })
}

/// Which kind of output a hashed item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// A command.
    Command,
    /// A decision.
    Decision,
}

/// SHA-256 over an output stream: for each output in order, the input seq (u64 LE), a kind
/// byte (`C` or `D`), the encoding's length (u64 LE) and the encoding ([`encode_output`]).
#[derive(Clone, Default)]
pub struct OutputDigest {
    hasher: Sha256,
    outputs: u64,
}

impl OutputDigest {
    /// An empty digest.
    pub fn new() -> OutputDigest {
        OutputDigest::default()
    }

    /// Adds one encoded output produced for input `seq`.
    pub fn update(&mut self, seq: u64, kind: OutputKind, encoded: &[u8]) {
        self.hasher.update(seq.to_le_bytes());
        self.hasher.update(match kind {
            OutputKind::Command => b"C",
            OutputKind::Decision => b"D",
        });
        self.hasher.update((encoded.len() as u64).to_le_bytes());
        self.hasher.update(encoded);
        self.outputs += 1;
    }

    /// Outputs hashed so far.
    pub fn outputs(&self) -> u64 {
        self.outputs
    }

    /// Lower-case hex of the digest so far.
    pub fn hex(&self) -> String {
        let bytes = self.hasher.clone().finalize();
        let mut text = String::with_capacity(64);
        for byte in bytes {
            text.push_str(&format!("{byte:02x}"));
        }
        text
    }
}

impl std::fmt::Debug for OutputDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputDigest")
            .field("outputs", &self.outputs)
            .field("hex", &self.hex())
            .finish()
    }
}

/// Receives a backtest's (or import's) records in journal order, as they are produced, borrowed (a sink
/// that keeps them clones what it keeps).
pub trait RecordSink {
    /// Takes the next record.
    fn record(&mut self, record: RecordRef<'_>) -> Result<(), ReplayError>;
}

impl RecordSink for Vec<JournalRecord> {
    fn record(&mut self, record: RecordRef<'_>) -> Result<(), ReplayError> {
        self.push(record.to_record());
        Ok(())
    }
}

/// A sink that drops every record: the summary (metrics, series, digest) is still computed.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscardRecords;

impl RecordSink for DiscardRecords {
    fn record(&mut self, _record: RecordRef<'_>) -> Result<(), ReplayError> {
        Ok(())
    }
}
