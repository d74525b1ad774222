//! Verifying a run directory end to end: complete ([`crate::complete`]) and intact.

use std::path::Path;

use crate::chain::ChainHash;
use crate::complete::check_run_started;
use crate::error::{JournalError, Location};
use crate::manifest::Manifest;
use crate::reader::{JournalReader, ReadOptions};
use crate::wal::TornTail;

/// The verdict on a run directory. The CLI maps these to exit codes 0, 1 and 2
/// ([`VerifyOutcome::exit_code`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// Every file is there, the run header comes first, and every digest, CRC, sequence
    /// number and chain link checks out.
    Clean {
        /// Entries in the journal.
        entries: u64,
        /// Seq of the last entry.
        last_seq: Option<u64>,
        /// Chain hash of the last entry.
        head_hash: ChainHash,
        /// Bytes at the end of the last WAL segment that a writer's recovery would drop
        /// (left by a crash; not corruption).
        torn_tail: Option<TornTail>,
    },
    /// Something does not check out.
    Corrupt {
        /// The file, and when known the offset, last good seq and bad seq.
        at: Location,
        /// What is wrong.
        reason: String,
    },
    /// The directory could not be read as a journal at all.
    CannotOpen(String),
}

impl VerifyOutcome {
    /// 0 for clean, 1 for corrupt, 2 for cannot open.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Clean { .. } => 0,
            Self::Corrupt { .. } => 1,
            Self::CannotOpen(_) => 2,
        }
    }
}

/// Verifies `dir`: that it is complete (every segment file the manifest and the run's state
/// call for is there, and the first entry is `run.started`; see [`crate::complete`]), the
/// manifest, every sealed file's digest and rows, every WAL frame's CRC, every closed WAL
/// segment's digest, sequence order and the hash chain across all segments. Read-only. Reads on the calling thread: the checks are all the work here, so a
/// read-ahead thread would only add a hand-off.
///
/// A sealed segment whose file digest matches the manifest is not re-hashed row by row (its chain
/// is checked where it meets its neighbours; see [`crate::reader`]); [`verify_run_paranoid`]
/// re-hashes every link.
pub fn verify_run(dir: &Path) -> VerifyOutcome {
    verify_run_with(dir, ReadOptions::default())
}

/// [`verify_run`] with every chain link of every segment recomputed (`--paranoid`).
pub fn verify_run_paranoid(dir: &Path) -> VerifyOutcome {
    verify_run_with(dir, ReadOptions::paranoid())
}

fn verify_run_with(dir: &Path, options: ReadOptions) -> VerifyOutcome {
    let manifest_path = Manifest::path(dir);
    let mut reader = match JournalReader::open(dir, options) {
        Ok(reader) => reader,
        Err(JournalError::Manifest { path, reason }) if path == manifest_path => {
            return VerifyOutcome::Corrupt {
                at: Location::file(&path),
                reason,
            };
        }
        Err(error) => return classify(error),
    };
    let first = match reader.next_chained() {
        Ok(first) => first,
        Err(error) => return classify(error),
    };
    if let Err(error) = check_run_started(dir, first.as_ref().map(|chained| &chained.entry)) {
        return classify(error);
    }
    loop {
        match reader.next_chained() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(error) => return classify(error),
        }
    }
    VerifyOutcome::Clean {
        entries: reader.entries_read(),
        last_seq: reader.last_seq(),
        head_hash: reader.head_hash(),
        torn_tail: reader.torn_tail().cloned(),
    }
}

fn classify(error: JournalError) -> VerifyOutcome {
    match error {
        JournalError::Corrupt { at, reason } => VerifyOutcome::Corrupt { at, reason },
        JournalError::Parquet { path, source } => VerifyOutcome::Corrupt {
            at: Location::file(&path),
            reason: format!("unreadable Parquet: {source}"),
        },
        JournalError::Manifest { path, reason } => VerifyOutcome::Corrupt {
            at: Location::file(&path),
            reason,
        },
        other => VerifyOutcome::CannotOpen(other.to_string()),
    }
}
