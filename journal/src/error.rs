//! The crate's single error type.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in the journal a problem was found: the file, and when known the byte offset,
/// the last sequence number that was still good and the sequence number that was bad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file holding the damage.
    pub file: PathBuf,
    /// Byte offset of the first bad frame or field, when known.
    pub offset: Option<u64>,
    /// The last sequence number verified before the damage (`None` if nothing was good).
    pub last_good_seq: Option<u64>,
    /// The sequence number of the bad entry, when it could be read.
    pub bad_seq: Option<u64>,
}

impl Location {
    /// A location naming only a file.
    pub fn file(file: &Path) -> Self {
        Self {
            file: file.to_path_buf(),
            offset: None,
            last_good_seq: None,
            bad_seq: None,
        }
    }

    /// This location with a byte offset.
    pub fn at(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// This location with the last good sequence number.
    pub fn after(mut self, last_good_seq: Option<u64>) -> Self {
        self.last_good_seq = last_good_seq;
        self
    }

    /// This location with the sequence number of the bad entry.
    pub fn seq(mut self, bad_seq: u64) -> Self {
        self.bad_seq = Some(bad_seq);
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(offset) = self.offset {
            write!(f, " at byte {offset}")?;
        }
        if let Some(seq) = self.bad_seq {
            write!(f, ", entry seq {seq}")?;
        }
        match self.last_good_seq {
            Some(seq) => write!(f, " (last good seq {seq})"),
            None => Ok(()),
        }
    }
}

/// Every failure the journal reports.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// An operating-system I/O call failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory being accessed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// An earlier write or fsync failed; the writer refuses all further work. Reopen the run
    /// directory to recover what reached the disk.
    #[error("journal writer is poisoned by an earlier failure ({cause}); reopen the run directory")]
    Poisoned {
        /// Description of the failure that poisoned the writer.
        cause: String,
    },

    /// An appended entry did not have a sequence number above the previous one.
    #[error("entry seq {seq} is not greater than the last journaled seq {last_seq}")]
    SeqNotIncreasing {
        /// The rejected sequence number.
        seq: u64,
        /// The last sequence number already in the journal.
        last_seq: u64,
    },

    /// A sequence number above `i64::MAX` cannot be stored in the Parquet `seq` column.
    #[error("entry seq {seq} is above i64::MAX and cannot be journaled")]
    SeqOutOfRange {
        /// The rejected sequence number.
        seq: u64,
    },

    /// An entry's encoding exceeds the frame size limit.
    #[error("entry seq {seq} encodes to {len_bytes} bytes, over the frame limit of {max_bytes}")]
    EntryTooLarge {
        /// Sequence number of the entry.
        seq: u64,
        /// Its encoded size.
        len_bytes: u64,
        /// The limit.
        max_bytes: u64,
    },

    /// Damage that is not a torn tail: a bad checksum, hash or header, a missing segment, or a
    /// sealed file whose digest differs from the manifest.
    #[error("corrupt journal: {at}: {reason}")]
    Corrupt {
        /// Where the damage is.
        at: Location,
        /// What is wrong.
        reason: String,
    },

    /// The manifest is missing, unreadable or inconsistent.
    #[error("manifest {}: {reason}", path.display())]
    Manifest {
        /// Path of the manifest.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// `create` was called on a directory that already holds a journal.
    #[error("run directory {} already holds a journal", path.display())]
    AlreadyExists {
        /// The run directory.
        path: PathBuf,
    },

    /// A configuration value is unusable.
    #[error("invalid journal configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },

    /// The Parquet library failed while writing or reading a sealed segment.
    #[error("Parquet error on {}: {source}", path.display())]
    Parquet {
        /// The Parquet file.
        path: PathBuf,
        /// The underlying error.
        source: parquet::errors::ParquetError,
    },
}

impl JournalError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Builds a corruption error.
    pub fn corrupt(at: Location, reason: impl Into<String>) -> Self {
        Self::Corrupt {
            at,
            reason: reason.into(),
        }
    }

    /// Builds a manifest error.
    pub fn manifest(path: &Path, reason: impl Into<String>) -> Self {
        Self::Manifest {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    /// Wraps a Parquet error with the file it concerns.
    pub fn parquet(path: &Path, source: parquet::errors::ParquetError) -> Self {
        Self::Parquet {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = JournalError> = std::result::Result<T, E>;

/// Why an encoded entry could not be decoded; the caller adds the file and offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("undecodable entry: {what} at body byte {offset}")]
pub struct DecodeError {
    /// Byte offset inside the encoded entry.
    pub offset: usize,
    /// What was wrong there.
    pub what: &'static str,
}
