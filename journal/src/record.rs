//! The typed journal record: the one enum a run writes, and its mapping onto
//! [`JournalEntry`] (payload encoding plus the queryable index columns).
//!
//! # Payload encoding
//!
//! The payload is the record encoded with bincode 2 through serde, with one fixed
//! configuration ([`payload_config`]: little-endian, variable-length integers, at most
//! [`PAYLOAD_LEN_MAX_BYTES`] on decode). The fixed-point types serialize as raw integers in
//! binary formats, so no text parsing sits on the replay path. Decoding rejects trailing bytes
//! and checks that the entry's index columns are exactly those the payload implies, so a
//! Parquet column can never silently disagree with the record it describes.
//!
//! # One record per command and per decision
//!
//! An engine step's [`Output`](kalshi_core::engine::Output) is journaled as one
//! [`JournalRecord::OutputCommand`] per command and one [`JournalRecord::OutputDecision`] per
//! decision, each with its own seq and its position (`index`) inside the step, so SQL over the
//! Parquet columns sees one row per request and per decision.
//!
//! # Index kinds
//!
//! | record | `kind` |
//! |---|---|
//! | run start / end | `run.started`, `run.ended` |
//! | input | `input.<event>`: `input.config`, `input.book_snapshot`, `input.book_delta`, `input.own_fill`, `input.order_ack`, … |
//! | command | `output.place`, `output.cancel`, `output.amend`, `output.decrease`, `output.cancel_all`, `output.lookup_order` |
//! | decision | `output.decision.<name>`: `ev_gate`, `risk`, `quote`, `order`, `fill`, `withdraw`, … |
//! | raw frame | `raw.ws`, `raw.rest` |
//!
//! `market`, `side` (`bid`/`ask`), `price_micros`, `count_centi`, `order_id` and
//! `client_order_id` are filled whenever the record names them; see [`JournalRecord::index`].

use serde::{Deserialize, Serialize};

use kalshi_core::commands::Command;
use kalshi_core::config::EngineConfig;
use kalshi_core::decision::Decision;
use kalshi_core::events::Envelope;

use crate::entry::JournalEntry;
use crate::error::JournalError;
use crate::record_index::{IndexView, command_index, decision_index, input_index};
pub use crate::record_index::{RecordIndex, command_name, decision_name, event_name};

/// Version of the record payload encoding this build writes and reads: the [`JournalRecord`]
/// enum and every core type inside it, as bincode lays them out. Bump it whenever a change to
/// those types changes the bytes; it is stored in the manifest
/// ([`Manifest::record_format`](crate::manifest::Manifest::record_format)) and checked by
/// [`RecordReader`](crate::typed_reader::RecordReader) before any payload is decoded.
///
/// History: 1 — first release; 2 — `EngineConfig` gained the fill-burst limits and the
/// order-group contracts limit, which changes the bytes of every `Config` input.
pub const RECORD_FORMAT_VERSION: u32 = 2;

/// Largest payload the decoder accepts (the WAL frame limit is the same order of magnitude).
pub const PAYLOAD_LEN_MAX_BYTES: usize = 64 << 20;

/// The fixed bincode configuration of record payloads.
pub fn payload_config() -> bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<PAYLOAD_LEN_MAX_BYTES>,
> {
    bincode::config::standard()
        .with_little_endian()
        .with_variable_int_encoding()
        .with_limit::<PAYLOAD_LEN_MAX_BYTES>()
}

/// Why a record could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The storage layer failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The journal's records use an encoding this build does not read.
    #[error("journal written with record format {found}, this build reads {supported}")]
    RecordFormat {
        /// Record format stored in the journal's manifest.
        found: u32,
        /// [`RECORD_FORMAT_VERSION`] of this build.
        supported: u32,
    },
    /// A record could not be encoded.
    #[error("cannot encode record {kind}: {reason}")]
    Encode {
        /// Index kind of the record.
        kind: String,
        /// The encoder's message.
        reason: String,
    },
    /// An entry's payload is not a valid record.
    #[error("entry seq {seq} (kind {kind:?}): payload is not a valid record: {reason}")]
    Decode {
        /// Seq of the entry.
        seq: u64,
        /// The entry's kind column.
        kind: String,
        /// What was wrong.
        reason: String,
    },
    /// An entry's index columns differ from what its payload implies.
    #[error(
        "entry seq {seq}: index column {column} is {found:?} but the payload implies {expected:?}"
    )]
    IndexMismatch {
        /// Seq of the entry.
        seq: u64,
        /// Name of the disagreeing column.
        column: &'static str,
        /// What the payload implies.
        expected: String,
        /// What the entry holds.
        found: String,
    },
    /// An input envelope's seq differs from the entry seq it was journaled under.
    #[error("entry seq {seq} holds an input envelope stamped seq {envelope_seq}")]
    EnvelopeSeqMismatch {
        /// Seq of the entry.
        seq: u64,
        /// Seq inside the envelope.
        envelope_seq: u64,
    },
}

/// Where a raw frame came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RawSource {
    /// A WebSocket message.
    Ws,
    /// A REST response body.
    Rest {
        /// HTTP method.
        method: String,
        /// Request path (without host; never with credentials).
        path: String,
        /// HTTP status code.
        status: u16,
    },
}

/// A wire frame as received, kept beside the normalized events so a normalizer change can be
/// re-tested against what the exchange really sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawFrame {
    /// Where it came from.
    pub source: RawSource,
    /// Receive time, Unix ns.
    pub recv_ts_ns: i64,
    /// The bytes as received.
    pub body: Vec<u8>,
}

/// The run header: who produced the run and with which effective configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStarted {
    /// Run id.
    pub run_id: String,
    /// Build that produced the run.
    pub build_id: String,
    /// The effective engine configuration (also fed to the engine as `Event::Config`).
    pub config: EngineConfig,
    /// `"live"`, `"demo"`, `"sim"`, `"backtest"` …
    pub environment: String,
    /// Seed of any simulated randomness.
    pub seed: u64,
    /// Start time, Unix ns, read by the caller.
    pub started_ts_ns: i64,
}

/// Everything a run journals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum JournalRecord {
    /// The run header (boxed: the configuration is large).
    RunStarted(Box<RunStarted>),
    /// An event the engine processed, in processing order.
    Input(Envelope),
    /// One command the engine produced for input `input_seq`.
    OutputCommand {
        /// Seq of the input that produced it.
        input_seq: u64,
        /// Position in the step's command list.
        index: u32,
        /// The command.
        command: Command,
    },
    /// One decision the engine recorded for input `input_seq`.
    OutputDecision {
        /// Seq of the input that produced it.
        input_seq: u64,
        /// Position in the step's decision list.
        index: u32,
        /// The decision.
        decision: Decision,
    },
    /// A raw wire frame.
    RawFrame(RawFrame),
    /// The run ended.
    RunEnded {
        /// Why (`"shutdown"`, `"killed"`, `"end_of_input"` …).
        reason: String,
    },
}

/// A record with the seq and time it was journaled under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequencedRecord {
    /// Sequence number it was journaled under (an input's is its envelope's).
    pub seq: u64,
    /// Journal time, Unix ns.
    pub ts_ns: i64,
    /// The record.
    pub record: JournalRecord,
}

/// One engine output, borrowed (for encoding without a clone).
#[derive(Debug, Clone, Copy)]
pub enum OutputRef<'a> {
    /// A command.
    Command(&'a Command),
    /// A decision.
    Decision(&'a Decision),
}

impl<'a> OutputRef<'a> {
    fn index_view(self) -> IndexView<'a> {
        match self {
            OutputRef::Command(command) => command_index(command),
            OutputRef::Decision(decision) => decision_index(decision),
        }
    }
}

/// A [`JournalRecord`] borrowed: what a sink is handed without a clone. Its serde form
/// (variant order and fields) is the record's, so bincode writes the same bytes (a unit test
/// holds them equal); [`RecordRef::to_record`] makes the owned record.
#[derive(Debug, Clone, Copy, Serialize)]
pub enum RecordRef<'a> {
    /// The run header.
    RunStarted(&'a RunStarted),
    /// An input the engine processed.
    Input(&'a Envelope),
    /// One command the engine produced for input `input_seq`.
    OutputCommand {
        /// Seq of the input that produced it.
        input_seq: u64,
        /// Position in the step's command list.
        index: u32,
        /// The command.
        command: &'a Command,
    },
    /// One decision the engine recorded for input `input_seq`.
    OutputDecision {
        /// Seq of the input that produced it.
        input_seq: u64,
        /// Position in the step's decision list.
        index: u32,
        /// The decision.
        decision: &'a Decision,
    },
    /// A raw wire frame.
    RawFrame(&'a RawFrame),
    /// The run ended.
    RunEnded {
        /// Why the run ended.
        reason: &'a str,
    },
}

impl<'a> RecordRef<'a> {
    /// The output record of `output`, produced for input `input_seq` at position `index` of
    /// its step's list.
    pub fn output(input_seq: u64, index: u32, output: OutputRef<'a>) -> RecordRef<'a> {
        match output {
            OutputRef::Command(command) => RecordRef::OutputCommand {
                input_seq,
                index,
                command,
            },
            OutputRef::Decision(decision) => RecordRef::OutputDecision {
                input_seq,
                index,
                decision,
            },
        }
    }

    /// The owned record (clones the contents).
    pub fn to_record(self) -> JournalRecord {
        match self {
            RecordRef::RunStarted(started) => JournalRecord::RunStarted(Box::new(started.clone())),
            RecordRef::Input(envelope) => JournalRecord::Input(envelope.clone()),
            RecordRef::OutputCommand {
                input_seq,
                index,
                command,
            } => JournalRecord::OutputCommand {
                input_seq,
                index,
                command: command.clone(),
            },
            RecordRef::OutputDecision {
                input_seq,
                index,
                decision,
            } => JournalRecord::OutputDecision {
                input_seq,
                index,
                decision: decision.clone(),
            },
            RecordRef::RawFrame(frame) => JournalRecord::RawFrame(frame.clone()),
            RecordRef::RunEnded { reason } => JournalRecord::RunEnded {
                reason: reason.to_string(),
            },
        }
    }
}

fn encode_ref_into(record: &RecordRef<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    bincode::serde::encode_into_std_write(record, out, payload_config())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Appends to `out` the payload of the record `OutputCommand` / `OutputDecision { input_seq,
/// index, .. }` holding `output`: the bytes [`JournalRecord::encode_payload`] produces for it,
/// without cloning the output.
pub fn encode_output_payload(
    input_seq: u64,
    index: u32,
    output: OutputRef<'_>,
    out: &mut Vec<u8>,
) -> Result<(), RecordError> {
    let record = RecordRef::output(input_seq, index, output);
    encode_ref_into(&record, out).map_err(|reason| RecordError::Encode {
        kind: output.index_view().kind_string(),
        reason,
    })
}

/// The journal entry of `JournalRecord::Input(envelope)` (under the envelope's seq and
/// time), without cloning the envelope.
pub(crate) fn input_entry(envelope: &Envelope) -> Result<JournalEntry, RecordError> {
    let index = input_index(&envelope.event);
    let mut payload = Vec::new();
    encode_ref_into(&RecordRef::Input(envelope), &mut payload).map_err(|reason| {
        RecordError::Encode {
            kind: index.kind_string(),
            reason,
        }
    })?;
    Ok(entry_with(envelope.seq, envelope.ts_ns, index, payload))
}

/// The journal entry of the output record `input_seq`/`index`/`output` at `seq`/`ts_ns`,
/// without cloning the output.
pub(crate) fn output_entry(
    seq: u64,
    ts_ns: i64,
    input_seq: u64,
    index: u32,
    output: OutputRef<'_>,
) -> Result<JournalEntry, RecordError> {
    let mut payload = Vec::new();
    encode_output_payload(input_seq, index, output, &mut payload)?;
    Ok(entry_with(seq, ts_ns, output.index_view(), payload))
}

fn entry_with(seq: u64, ts_ns: i64, index: IndexView<'_>, payload: Vec<u8>) -> JournalEntry {
    let index = index.to_owned_index();
    JournalEntry {
        seq,
        ts_ns,
        kind: index.kind,
        market: index.market,
        side: index.side,
        price_micros: index.price_micros,
        count_centi: index.count_centi,
        order_id: index.order_id,
        client_order_id: index.client_order_id,
        payload,
    }
}

/// A journaled output record read back without decoding its payload: for callers that
/// compare outputs by their encoded bytes ([`EncodedOutput::matches`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedOutput {
    entry: JournalEntry,
    input_seq: u64,
    index: u32,
    is_command: bool,
}

impl EncodedOutput {
    /// Wraps an output entry, reading the header of its payload (variant, input seq,
    /// index); `None` when the entry is not an output record whose payload starts like one
    /// of its `kind` (a full decode then reports what is wrong).
    pub(crate) fn read(entry: &JournalEntry) -> Option<OutputHeader> {
        let is_command = if entry.kind.starts_with("output.decision.") {
            false
        } else if entry.kind.starts_with("output.") {
            true
        } else {
            return None;
        };
        let variant = if is_command {
            OUTPUT_COMMAND_VARIANT
        } else {
            OUTPUT_DECISION_VARIANT
        };
        let header: Result<((u32, u64, u32), usize), _> =
            bincode::decode_from_slice(&entry.payload, payload_config());
        match header {
            Ok(((found, input_seq, index), _)) if found == variant => Some(OutputHeader {
                input_seq,
                index,
                is_command,
            }),
            _ => None,
        }
    }

    /// The output record `entry` with the header [`Self::read`] found in it.
    pub(crate) fn with_header(entry: JournalEntry, header: OutputHeader) -> Self {
        Self {
            entry,
            input_seq: header.input_seq,
            index: header.index,
            is_command: header.is_command,
        }
    }

    /// Seq of the input that produced the output.
    pub fn input_seq(&self) -> u64 {
        self.input_seq
    }

    /// Position in the step's command or decision list.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// True for a command, false for a decision.
    pub fn is_command(&self) -> bool {
        self.is_command
    }

    /// The stored payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.entry.payload
    }

    /// The entry as stored.
    pub fn entry(&self) -> &JournalEntry {
        &self.entry
    }

    /// Whether `output` at this record's input seq and index encodes to exactly the stored
    /// payload (`scratch` is overwritten with that encoding). When it does, the entry's index
    /// columns are checked against it as a full decode would.
    pub fn matches(
        &self,
        output: OutputRef<'_>,
        scratch: &mut Vec<u8>,
    ) -> Result<bool, RecordError> {
        if matches!(output, OutputRef::Command(_)) != self.is_command {
            return Ok(false);
        }
        scratch.clear();
        encode_output_payload(self.input_seq, self.index, output, scratch)?;
        if scratch.as_slice() != self.entry.payload.as_slice() {
            return Ok(false);
        }
        check_index(&self.entry, &output.index_view())?;
        Ok(true)
    }

    /// Decodes the payload as [`JournalRecord::from_entry`] does.
    pub fn decode(&self) -> Result<SequencedRecord, RecordError> {
        JournalRecord::from_entry(&self.entry)
    }
}

/// The start of an output record's payload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutputHeader {
    input_seq: u64,
    index: u32,
    is_command: bool,
}

/// Variant indices of the output records in the payload encoding.
const OUTPUT_COMMAND_VARIANT: u32 = 2;
const OUTPUT_DECISION_VARIANT: u32 = 3;

impl JournalRecord {
    /// The record borrowed (see [`RecordRef`]).
    pub fn borrowed(&self) -> RecordRef<'_> {
        match self {
            JournalRecord::RunStarted(started) => RecordRef::RunStarted(started),
            JournalRecord::Input(envelope) => RecordRef::Input(envelope),
            JournalRecord::OutputCommand {
                input_seq,
                index,
                command,
            } => RecordRef::OutputCommand {
                input_seq: *input_seq,
                index: *index,
                command,
            },
            JournalRecord::OutputDecision {
                input_seq,
                index,
                decision,
            } => RecordRef::OutputDecision {
                input_seq: *input_seq,
                index: *index,
                decision,
            },
            JournalRecord::RawFrame(frame) => RecordRef::RawFrame(frame),
            JournalRecord::RunEnded { reason } => RecordRef::RunEnded { reason },
        }
    }

    /// The index columns this record is stored with.
    pub fn index(&self) -> RecordIndex {
        self.index_view().to_owned_index()
    }

    fn index_view(&self) -> IndexView<'_> {
        match self {
            JournalRecord::RunStarted(_) => IndexView::kind("run.started", ""),
            JournalRecord::RunEnded { .. } => IndexView::kind("run.ended", ""),
            JournalRecord::Input(envelope) => input_index(&envelope.event),
            JournalRecord::OutputCommand { command, .. } => command_index(command),
            JournalRecord::OutputDecision { decision, .. } => decision_index(decision),
            JournalRecord::RawFrame(frame) => match frame.source {
                RawSource::Ws => IndexView::kind("raw.ws", ""),
                RawSource::Rest { .. } => IndexView::kind("raw.rest", ""),
            },
        }
    }

    /// The index kind name (see the module documentation).
    pub fn kind(&self) -> String {
        self.index_view().kind_string()
    }

    /// The payload bytes.
    pub fn encode_payload(&self) -> Result<Vec<u8>, RecordError> {
        bincode::serde::encode_to_vec(self, payload_config()).map_err(|e| RecordError::Encode {
            kind: self.kind(),
            reason: e.to_string(),
        })
    }

    /// The journal entry for this record at `seq` / `ts_ns`. An input must be journaled under
    /// its envelope's seq.
    pub fn to_entry(&self, seq: u64, ts_ns: i64) -> Result<JournalEntry, RecordError> {
        if let JournalRecord::Input(envelope) = self {
            if envelope.seq != seq {
                return Err(RecordError::EnvelopeSeqMismatch {
                    seq,
                    envelope_seq: envelope.seq,
                });
            }
        }
        let index = self.index();
        Ok(JournalEntry {
            seq,
            ts_ns,
            kind: index.kind,
            market: index.market,
            side: index.side,
            price_micros: index.price_micros,
            count_centi: index.count_centi,
            order_id: index.order_id,
            client_order_id: index.client_order_id,
            payload: self.encode_payload()?,
        })
    }

    /// Decodes an entry's payload and checks its index columns against it.
    pub fn from_entry(entry: &JournalEntry) -> Result<SequencedRecord, RecordError> {
        let decode_error = |reason: String| RecordError::Decode {
            seq: entry.seq,
            kind: entry.kind.clone(),
            reason,
        };
        let (record, read): (JournalRecord, usize) =
            bincode::serde::decode_from_slice(&entry.payload, payload_config())
                .map_err(|e| decode_error(e.to_string()))?;
        if read != entry.payload.len() {
            return Err(decode_error(format!(
                "{} trailing bytes after the record",
                entry.payload.len() - read
            )));
        }
        if let JournalRecord::Input(envelope) = &record {
            if envelope.seq != entry.seq {
                return Err(RecordError::EnvelopeSeqMismatch {
                    seq: entry.seq,
                    envelope_seq: envelope.seq,
                });
            }
        }
        check_index(entry, &record.index_view())?;
        Ok(SequencedRecord {
            seq: entry.seq,
            ts_ns: entry.ts_ns,
            record,
        })
    }
}

fn check_index(entry: &JournalEntry, expected: &IndexView<'_>) -> Result<(), RecordError> {
    fn show<T: std::fmt::Debug>(value: &T) -> String {
        format!("{value:?}")
    }
    let mismatch = |column: &'static str, expected: String, found: String| {
        Err(RecordError::IndexMismatch {
            seq: entry.seq,
            column,
            expected,
            found,
        })
    };
    if !expected.kind_is(&entry.kind) {
        return mismatch("kind", expected.kind_string(), entry.kind.clone());
    }
    if entry.market.as_deref() != expected.market {
        return mismatch("market", show(&expected.market), show(&entry.market));
    }
    if entry.side.as_deref() != expected.side {
        return mismatch("side", show(&expected.side), show(&entry.side));
    }
    if entry.price_micros != expected.price_micros {
        return mismatch(
            "price_micros",
            show(&expected.price_micros),
            show(&entry.price_micros),
        );
    }
    if entry.count_centi != expected.count_centi {
        return mismatch(
            "count_centi",
            show(&expected.count_centi),
            show(&entry.count_centi),
        );
    }
    if entry.order_id.as_deref() != expected.order_id {
        return mismatch("order_id", show(&expected.order_id), show(&entry.order_id));
    }
    if entry.client_order_id.as_deref() != expected.client_order_id {
        return mismatch(
            "client_order_id",
            show(&expected.client_order_id),
            show(&entry.client_order_id),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use kalshi_core::events::Event;

    use super::*;

    #[test]
    fn payload_decoding_rejects_trailing_bytes_and_garbage() {
        let record = JournalRecord::RunEnded {
            reason: "shutdown".into(),
        };
        let mut entry = record.to_entry(3, 10).unwrap();
        assert_eq!(JournalRecord::from_entry(&entry).unwrap().record, record);
        entry.payload.push(0);
        assert!(matches!(
            JournalRecord::from_entry(&entry),
            Err(RecordError::Decode { seq: 3, .. })
        ));
        entry.payload = vec![0xff; 4];
        assert!(JournalRecord::from_entry(&entry).is_err());
    }

    #[test]
    fn index_columns_must_match_the_payload() {
        let record = JournalRecord::RunEnded {
            reason: "shutdown".into(),
        };
        let mut entry = record.to_entry(3, 10).unwrap();
        entry.kind = "run.started".into();
        assert!(matches!(
            JournalRecord::from_entry(&entry),
            Err(RecordError::IndexMismatch { column: "kind", .. })
        ));
        let mut entry = record.to_entry(3, 10).unwrap();
        entry.market = Some("M".into());
        assert!(matches!(
            JournalRecord::from_entry(&entry),
            Err(RecordError::IndexMismatch {
                column: "market",
                ..
            })
        ));
    }

    #[test]
    fn a_borrowed_record_encodes_to_the_owned_records_bytes() {
        let records = [
            JournalRecord::Input(Envelope {
                seq: 5,
                ts_ns: 1,
                event: Event::Timer {
                    kind: kalshi_core::events::TimerKind::Tick,
                },
            }),
            JournalRecord::OutputCommand {
                input_seq: 5,
                index: 1,
                command: Command::CancelAll,
            },
            JournalRecord::RawFrame(RawFrame {
                source: RawSource::Ws,
                recv_ts_ns: 9,
                body: b"{}".to_vec(),
            }),
            JournalRecord::RunEnded {
                reason: "shutdown".into(),
            },
        ];
        for record in records {
            let mut borrowed = Vec::new();
            encode_ref_into(&record.borrowed(), &mut borrowed).unwrap();
            assert_eq!(borrowed, record.encode_payload().unwrap(), "{record:?}");
            assert_eq!(record.borrowed().to_record(), record);
        }
    }

    #[test]
    fn inputs_must_be_journaled_under_their_envelope_seq() {
        let record = JournalRecord::Input(Envelope {
            seq: 5,
            ts_ns: 1,
            event: Event::Timer {
                kind: kalshi_core::events::TimerKind::Tick,
            },
        });
        assert!(matches!(
            record.to_entry(6, 1),
            Err(RecordError::EnvelopeSeqMismatch {
                seq: 6,
                envelope_seq: 5
            })
        ));
        assert_eq!(record.to_entry(5, 1).unwrap().kind, "input.timer");
    }
}
