//! Reading typed records back in seq order, with the memory bound of [`JournalReader`]
//! (one arrow batch of a sealed segment or one WAL frame at a time), on the calling thread or with the
//! storage checks on a read-ahead thread ([`RecordReader::open_read_ahead`]).

use std::path::Path;

use crate::complete::check_run_started;
use crate::error::Result as JournalResult;
use crate::manifest::Manifest;
use crate::read_ahead::ReadAheadReader;
use crate::reader::{ChainedEntry, JournalReader, ReadOptions};
use crate::record::{
    EncodedOutput, JournalRecord, RECORD_FORMAT_VERSION, RecordError, SequencedRecord,
};
use crate::wal::TornTail;

/// Streams a run directory's [`SequencedRecord`]s in seq order. After an error the reader
/// stays finished. Opening fails with [`RecordError::RecordFormat`] when the run's manifest
/// names a record format other than this build's [`RECORD_FORMAT_VERSION`], and with
/// [`crate::JournalError::Corrupt`] when the directory is incomplete (a segment file or the
/// WAL segment being written is missing, or the first record is not `run.started`; see
/// [`crate::complete`]): an incomplete journal never reads as a run with nothing in it.
pub struct RecordReader {
    inner: Entries,
    /// The first entry, read (and checked to be the run header) when opening.
    first: Option<ChainedEntry>,
    failed: bool,
}

/// Where a [`RecordReader`]'s checked entries come from.
enum Entries {
    /// Read and checked on the calling thread.
    Direct(JournalReader),
    /// Read and checked on a worker thread.
    ReadAhead(ReadAheadReader),
}

impl Entries {
    fn next_chained(&mut self) -> JournalResult<Option<ChainedEntry>> {
        match self {
            Self::Direct(reader) => reader.next_chained(),
            Self::ReadAhead(reader) => reader.next_chained(),
        }
    }

    fn manifest(&self) -> &Manifest {
        match self {
            Self::Direct(reader) => reader.manifest(),
            Self::ReadAhead(reader) => reader.manifest(),
        }
    }

    fn torn_tail(&self) -> Option<&TornTail> {
        match self {
            Self::Direct(reader) => reader.torn_tail(),
            Self::ReadAhead(reader) => reader.torn_tail(),
        }
    }
}

impl RecordReader {
    /// Opens `dir` with the default (fully verifying) read options, reading on the calling
    /// thread.
    pub fn open(dir: &Path) -> Result<Self, RecordError> {
        Self::open_with(dir, ReadOptions::default())
    }

    /// Opens `dir` with explicit read options, reading on the calling thread.
    pub fn open_with(dir: &Path, options: ReadOptions) -> Result<Self, RecordError> {
        Self::checked(dir, Entries::Direct(JournalReader::open(dir, options)?))
    }

    /// Opens `dir` with the default read options and the file IO, CRCs, hash chain and
    /// digests on a read-ahead thread ([`ReadAheadReader`]); this thread only decodes
    /// records. Same records, same errors at the same point of the stream.
    pub fn open_read_ahead(dir: &Path) -> Result<Self, RecordError> {
        Self::open_read_ahead_with(dir, ReadOptions::default())
    }

    /// [`Self::open_read_ahead`] with explicit read options.
    pub fn open_read_ahead_with(dir: &Path, options: ReadOptions) -> Result<Self, RecordError> {
        Self::checked(
            dir,
            Entries::ReadAhead(ReadAheadReader::open(dir, options)?),
        )
    }

    fn checked(dir: &Path, mut inner: Entries) -> Result<Self, RecordError> {
        let found = inner.manifest().record_format;
        if found != RECORD_FORMAT_VERSION {
            return Err(RecordError::RecordFormat {
                found,
                supported: RECORD_FORMAT_VERSION,
            });
        }
        let first = inner.next_chained()?;
        check_run_started(dir, first.as_ref().map(|chained| &chained.entry))?;
        Ok(Self {
            inner,
            first,
            failed: false,
        })
    }

    /// The next checked entry: the one read when opening, then the stream.
    fn next_chained(&mut self) -> JournalResult<Option<ChainedEntry>> {
        match self.first.take() {
            Some(first) => Ok(Some(first)),
            None => self.inner.next_chained(),
        }
    }

    /// The next record with outputs left encoded: every output record comes back as an
    /// [`EncodedOutput`] (its payload not decoded, for comparison by bytes), everything else
    /// decoded and checked as [`Self::next_record`] does.
    pub fn next_lazy(&mut self) -> Result<Option<LazyRecord>, RecordError> {
        if self.failed {
            return Ok(None);
        }
        let result = match self.next_chained() {
            Ok(Some(chained)) => match EncodedOutput::read(&chained.entry) {
                Some(header) => Ok(Some(LazyRecord::Output(EncodedOutput::with_header(
                    chained.entry,
                    header,
                )))),
                None => JournalRecord::from_entry(&chained.entry)
                    .map(|record| Some(LazyRecord::Decoded(record))),
            },
            Ok(None) => Ok(None),
            Err(error) => Err(error.into()),
        };
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    /// The next record; `Ok(None)` at the end of the journal.
    pub fn next_record(&mut self) -> Result<Option<SequencedRecord>, RecordError> {
        if self.failed {
            return Ok(None);
        }
        let result = match self.next_chained() {
            Ok(Some(chained)) => JournalRecord::from_entry(&chained.entry).map(Some),
            Ok(None) => Ok(None),
            Err(error) => Err(error.into()),
        };
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    /// The torn tail that ended the stream, if any.
    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.inner.torn_tail()
    }

    /// The run's manifest.
    pub fn manifest(&self) -> &Manifest {
        self.inner.manifest()
    }
}

/// One record from [`RecordReader::next_lazy`].
#[derive(Debug, Clone, PartialEq)]
pub enum LazyRecord {
    /// A decoded record (anything but an output).
    Decoded(SequencedRecord),
    /// An output record, still encoded.
    Output(EncodedOutput),
}

impl Iterator for RecordReader {
    type Item = Result<SequencedRecord, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

/// Reads every record of `dir` into memory: for tests and small runs only; streaming callers
/// use [`RecordReader`].
pub fn read_all_records(dir: &Path) -> Result<Vec<SequencedRecord>, RecordError> {
    RecordReader::open(dir)?.collect()
}
