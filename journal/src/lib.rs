//! The journal: an append-only, hash-chained record of everything a run saw and did.
//!
//! A run directory holds `manifest.json`, write-ahead-log segments (`wal-*.log`) and sealed
//! Parquet segments (`seg-*.parquet`); see [`layout`] for the names, [`wal`] for the frame
//! format and the torn-tail rule, [`recovery`] for what opening a run does, [`seal`] for the
//! crash-safe sealing protocol, [`reader`] for streaming a run back in sequence order,
//! [`complete`] for what a run directory must still hold, and [`verify`] for checking one. Entries are stored as opaque encoded records plus a few typed
//! fields ([`JournalEntry`]). What the runtime writes is the typed [`record::JournalRecord`]
//! (config, every input envelope, every command and decision) through
//! [`typed_writer::TypedJournalWriter`], one engine step at a time through the one
//! [`stepper::Stepper`] (live, backtest and verify alike); the SQLite [`ledger`] and the [`forensics`] views are
//! projections of those records.
//!
//! This crate reads no clock and no environment: every time it needs comes from the caller.

pub mod chain;
pub mod complete;
pub mod entry;
pub mod error;
pub mod forensics;
pub mod fsio;
pub mod layout;
pub mod ledger;
pub mod manifest;
pub mod read_ahead;
pub mod reader;
pub mod record;
mod record_index;
pub mod recovery;
pub mod seal;
pub mod stepper;
pub mod typed_reader;
pub mod typed_writer;
pub mod verify;
pub mod wal;
pub mod writer;

pub use chain::ChainHash;
pub use entry::JournalEntry;
pub use error::{DecodeError, JournalError, Location, Result};
pub use ledger::{Ledger, LedgerError, LedgerSummary};
pub use manifest::{Manifest, RunInfo, SegmentRecord, SegmentState};
pub use read_ahead::ReadAheadReader;
pub use reader::check_complete;
pub use reader::{ChainedEntry, JournalReader, ReadOptions};
pub use record::{
    EncodedOutput, JournalRecord, OutputRef, RECORD_FORMAT_VERSION, RawFrame, RawSource,
    RecordError, RecordRef, RunStarted, SequencedRecord, encode_output_payload,
};
pub use recovery::RecoveryReport;
pub use seal::ParquetSegmentWriter;
pub use stepper::{Step, StepSink, Stepper, Unjournaled};
pub use typed_reader::{LazyRecord, RecordReader};
pub use typed_writer::{OutputSeqs, TypedJournalWriter};
pub use verify::{VerifyOutcome, verify_run, verify_run_paranoid};
pub use wal::TornTail;
pub use writer::{JournalWriter, WalConfig};
