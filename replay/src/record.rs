//! The records replay consumes and produces, and the one output encoding used everywhere.
//!
//! [`ReplayRecord`] mirrors what a run journals: the run's start (with its configuration),
//! every input envelope, every output (command or decision) and the run's end. Replay reads
//! them through [`RecordSource`], so a journal reader, an in-memory vector or a backtest's
//! own output all feed the same drivers; adapting the journal's typed record reader is a thin
//! `impl RecordSource`.
//!
//! Outputs are compared and hashed in one canonical encoding, [`encode_command`] /
//! [`encode_decision`] (serde JSON of the core types, whose field order is fixed by their
//! definitions), so "byte for byte" means the same bytes whichever side produced them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use kalshi_core::commands::Command;
use kalshi_core::config::EngineConfig;
use kalshi_core::decision::Decision;
use kalshi_core::events::Envelope;

use crate::error::ReplayError;

/// One journaled record as replay sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReplayRecord {
    /// A run began with this effective configuration.
    RunStarted {
        /// The configuration the engine ran with.
        config: Box<EngineConfig>,
    },
    /// One input, in processing order.
    Input(Envelope),
    /// A command the engine emitted for input `input_seq`.
    OutputCommand {
        /// Seq of the input that produced it.
        input_seq: u64,
        /// Position in the step's command list.
        index: u32,
        /// The command.
        command: Command,
    },
    /// A decision the engine recorded for input `input_seq`.
    OutputDecision {
        /// Seq of the input that produced it.
        input_seq: u64,
        /// Position in the step's decision list.
        index: u32,
        /// The decision.
        decision: Decision,
    },
    /// The run ended cleanly.
    RunEnded {
        /// Why (`end_of_input`, `shutdown`, …).
        reason: String,
    },
}

/// Anything that yields journal records in sequence order.
pub trait RecordSource {
    /// The next record, or `None` at the end.
    fn next_record(&mut self) -> Result<Option<ReplayRecord>, ReplayError>;
}

/// A source over records held in memory.
#[derive(Debug, Clone)]
pub struct VecSource {
    records: std::vec::IntoIter<ReplayRecord>,
}

impl VecSource {
    /// A source yielding `records` in order.
    pub fn new(records: Vec<ReplayRecord>) -> VecSource {
        VecSource {
            records: records.into_iter(),
        }
    }
}

impl RecordSource for VecSource {
    fn next_record(&mut self) -> Result<Option<ReplayRecord>, ReplayError> {
        Ok(self.records.next())
    }
}

/// Canonical bytes of one command.
pub fn encode_command(command: &Command) -> Result<Vec<u8>, ReplayError> {
    serde_json::to_vec(command).map_err(|source| ReplayError::Encode {
        what: "command",
        source,
    })
}

/// Canonical bytes of one decision.
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
/// byte (`C` or `D`), the encoding's length (u64 LE) and the encoding.
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
