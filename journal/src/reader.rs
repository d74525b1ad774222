//! Streaming a run back in seq order: sealed Parquet segments, then the WAL segments.
//!
//! Memory is bounded independently of the journal's length: a sealed segment is read
//! column-wise, one arrow `RecordBatch` of at most [`SEALED_BATCH_ROWS`] rows at a time, a WAL
//! segment one frame at a time. The reader only opens Parquet files the manifest lists as
//! sealed, and (by default) only after their SHA-256 matches the manifest, so it never parses
//! a half-written or foreign file.
//!
//! Trust: a sealed segment whose whole-file SHA-256 equals the manifest's is exactly the file
//! the sealer wrote after checking every CRC and chain link of its WAL segment, so by default
//! its rows' chain hashes are taken as stored instead of being recomputed one by one. The
//! chain is still checked where segments meet (the segment must start from the hash the
//! previous one ended at and end at the hash its manifest record names), so a swapped,
//! reordered or substituted segment is caught. [`ReadOptions::paranoid`] recomputes every
//! link anyway; WAL segments are always checked frame by frame. It never modifies the run
//! directory: a torn tail at the end of the last WAL segment simply ends the stream and is
//! reported by [`JournalReader::torn_tail`].
//!
//! Reading a run that a writer is appending to works for everything committed before the
//! reader reached it; a segment sealed and removed while the reader is between listing and
//! opening it surfaces as an I/O error, and a seal that lands between loading the manifest and
//! listing the directory as an incomplete directory ([`crate::complete`]); either read can be
//! retried.

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::{Array, BinaryArray, FixedSizeBinaryArray, Int64Array, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::errors::ParquetError;
use parquet::schema::types::ColumnDescPtr;

use crate::chain::ChainHash;
use crate::complete::{check_files, check_run_started};
use crate::entry::JournalEntry;
use crate::error::{JournalError, Location, Result};
use crate::fsio::read_sha256;
use crate::layout::list_run_dir;
use crate::manifest::{Manifest, SegmentRecord, SegmentState};
use crate::recovery::check_closed_wal;
use crate::seal::{COLUMN_NAMES, META_PREV_CHAIN_HASH, META_SEGMENT_INDEX};
use crate::wal::{ScanMode, SegmentScanner, TornTail};

/// What the reader checks while streaming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Recompute the chain hash (`SHA-256(prev || encoding)`) of every row of a sealed segment
    /// that is not trusted (see `trust_sealed_digests`) and compare. WAL frames are always
    /// checked (the scanner needs it to tell torn tails from corruption); this switch governs
    /// sealed segments.
    pub verify_chain: bool,
    /// Check each sealed file's SHA-256 against the manifest before parsing it, and each
    /// closed WAL segment's digest after scanning it. With this off, a damaged Parquet file is
    /// handed to the Parquet library, which is not hardened against arbitrary input.
    pub verify_digests: bool,
    /// Take the stored chain hashes of a sealed segment whose whole-file SHA-256 matched the
    /// manifest (so needs `verify_digests`) instead of recomputing them row by row; the links
    /// where segments meet are checked either way. Off in [`ReadOptions::paranoid`].
    pub trust_sealed_digests: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            verify_chain: true,
            verify_digests: true,
            trust_sealed_digests: true,
        }
    }
}

impl ReadOptions {
    /// Every check, every row: digests, and the chain re-hashed per row in sealed segments too
    /// (`--paranoid`).
    pub fn paranoid() -> Self {
        Self {
            trust_sealed_digests: false,
            ..Self::default()
        }
    }
}

/// Rows per arrow batch when reading a sealed segment (bounds the reader's memory together
/// with the segment's row-group caps).
pub const SEALED_BATCH_ROWS: usize = 8_192;

/// An entry with the chain hash that commits to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    /// The entry as it was written.
    pub entry: JournalEntry,
    /// Its chain hash.
    pub chain_hash: ChainHash,
}

enum Source {
    Sealed(SegmentRecord),
    Wal {
        index: u64,
        path: PathBuf,
        record: Option<SegmentRecord>,
        mode: ScanMode,
    },
}

enum Cursor {
    Parquet(Box<ParquetCursor>),
    Wal {
        scanner: Box<SegmentScanner>,
        record: Option<SegmentRecord>,
    },
}

/// Streams a run directory's entries in seq order. See the module documentation.
pub struct JournalReader {
    dir: PathBuf,
    manifest: Manifest,
    options: ReadOptions,
    plan: VecDeque<Source>,
    cursor: Option<Cursor>,
    head_hash: ChainHash,
    last_seq: Option<u64>,
    entries_read: u64,
    torn_tail: Option<TornTail>,
    failed: bool,
}

impl JournalReader {
    /// Opens `dir` for reading with `options`. Fails with [`JournalError::Corrupt`] when a
    /// segment file is missing (rules 1–4 of [`crate::complete`]). It does not look at what
    /// the entries are: the run header rule is the typed readers' and the verifier's.
    pub fn open(dir: &Path, options: ReadOptions) -> Result<Self> {
        let manifest = Manifest::load(dir)?;
        let listing = list_run_dir(dir)?;
        let first_unsealed = check_files(dir, &manifest, &listing)?;
        let mut plan: VecDeque<Source> = manifest
            .segments
            .iter()
            .filter(|record| record.state == SegmentState::Sealed)
            .cloned()
            .map(Source::Sealed)
            .collect();
        let wal: Vec<(u64, PathBuf)> = listing
            .wal
            .into_iter()
            .filter(|(index, _)| *index >= first_unsealed)
            .collect();
        let last_index = wal.last().map(|(index, _)| *index);
        for (index, path) in wal {
            let record = manifest.segment(index).cloned();
            let mode = if Some(index) == last_index && record.is_none() {
                ScanMode::AllowTornTail
            } else {
                ScanMode::Strict
            };
            plan.push_back(Source::Wal {
                index,
                path,
                record,
                mode,
            });
        }
        let head_hash = manifest.genesis_hash;
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
            options,
            plan,
            cursor: None,
            head_hash,
            last_seq: None,
            entries_read: 0,
            torn_tail: None,
            failed: false,
        })
    }

    /// The next entry with its chain hash; `Ok(None)` at the end of the journal. After an
    /// error the reader stays finished.
    pub fn next_chained(&mut self) -> Result<Option<ChainedEntry>> {
        if self.failed {
            return Ok(None);
        }
        let result = self.advance();
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    fn advance(&mut self) -> Result<Option<ChainedEntry>> {
        loop {
            if self.cursor.is_none() {
                match self.plan.pop_front() {
                    None => return Ok(None),
                    Some(source) => self.cursor = Some(self.open_source(source)?),
                }
            }
            let next = match self.cursor.as_mut() {
                Some(Cursor::Parquet(parquet)) => parquet.next_row()?,
                Some(Cursor::Wal { scanner, .. }) => scanner
                    .next_frame()?
                    .map(|frame| (frame.entry, frame.chain_hash)),
                None => None,
            };
            match next {
                Some((entry, chain_hash)) => {
                    self.accept_parquet_row(&entry, chain_hash)?;
                    self.head_hash = chain_hash;
                    self.last_seq = Some(entry.seq);
                    self.entries_read += 1;
                    return Ok(Some(ChainedEntry { entry, chain_hash }));
                }
                None => self.close_cursor()?,
            }
        }
    }

    /// Checks a Parquet row's seq and (optionally) chain hash; WAL frames are checked by the
    /// scanner.
    fn accept_parquet_row(&self, entry: &JournalEntry, chain_hash: ChainHash) -> Result<()> {
        let Some(Cursor::Parquet(parquet)) = &self.cursor else {
            return Ok(());
        };
        let at = || {
            Location::file(&parquet.path)
                .after(self.last_seq)
                .seq(entry.seq)
        };
        if self.last_seq.is_some_and(|last| entry.seq <= last) {
            return Err(JournalError::corrupt(
                at(),
                "sequence number not above the previous entry's",
            ));
        }
        // A trusted segment still has its first link re-hashed: that row must continue from the
        // hash the previous segment ended at.
        if parquet.rehash_chain || (self.options.verify_chain && parquet.rows_read == 1) {
            let expected = self.head_hash.next(&entry.encode()?);
            if expected != chain_hash {
                return Err(JournalError::corrupt(at(), "chain hash mismatch"));
            }
        }
        Ok(())
    }

    fn open_source(&mut self, source: Source) -> Result<Cursor> {
        match source {
            Source::Sealed(record) => {
                let path = self.dir.join(&record.file);
                let at = || Location::file(&path).after(self.last_seq);
                if record.prev_chain_hash != self.head_hash {
                    return Err(JournalError::corrupt(
                        at(),
                        "sealed segment does not continue the hash chain",
                    ));
                }
                let mut file = File::open(&path).map_err(|e| JournalError::io(&path, e))?;
                if self.options.verify_digests && read_sha256(&mut file, &path)? != record.sha256 {
                    return Err(JournalError::corrupt(
                        at(),
                        "sealed segment's digest differs from the manifest",
                    ));
                }
                // The digest matched (or digest checks are off): re-hash row by row unless the
                // matched digest is trusted.
                let trusted = self.options.verify_digests && self.options.trust_sealed_digests;
                Ok(Cursor::Parquet(Box::new(ParquetCursor::open(
                    path,
                    file,
                    record,
                    self.options.verify_chain,
                    trusted,
                )?)))
            }
            Source::Wal {
                index,
                path,
                record,
                mode,
            } => {
                let mut scanner =
                    SegmentScanner::open(&path, index, self.head_hash, self.last_seq, mode)?;
                // The file digest is only compared against a manifest record; without one (the
                // segment being written) or with digest checks off, each frame is hashed once,
                // for its chain link.
                if record.is_none() || !self.options.verify_digests {
                    scanner.skip_segment_digest();
                }
                Ok(Cursor::Wal {
                    scanner: Box::new(scanner),
                    record,
                })
            }
        }
    }

    fn close_cursor(&mut self) -> Result<()> {
        match self.cursor.take() {
            Some(Cursor::Parquet(parquet)) => {
                let record = &parquet.record;
                let at = || Location::file(&parquet.path).after(self.last_seq);
                if parquet.rows_read != record.entries
                    || self.head_hash != record.last_chain_hash
                    || (record.last_seq.is_some() && self.last_seq != record.last_seq)
                {
                    return Err(JournalError::corrupt(
                        at(),
                        "sealed segment's rows differ from its manifest record",
                    ));
                }
            }
            Some(Cursor::Wal { scanner, record }) => {
                let summary = scanner.finish()?;
                if let Some(record) = record {
                    if self.options.verify_digests {
                        check_closed_wal(&record, &summary)?;
                    }
                }
                if summary.torn_tail.is_some() {
                    self.torn_tail = summary.torn_tail;
                }
            }
            None => {}
        }
        Ok(())
    }

    /// The torn tail found at the end of the last WAL segment, once the stream has ended.
    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.torn_tail.as_ref()
    }

    /// Entries returned so far.
    pub fn entries_read(&self) -> u64 {
        self.entries_read
    }

    /// Seq of the last entry returned.
    pub fn last_seq(&self) -> Option<u64> {
        self.last_seq
    }

    /// Chain hash of the last entry returned (the genesis hash before the first).
    pub fn head_hash(&self) -> ChainHash {
        self.head_hash
    }

    /// The run's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

impl Iterator for JournalReader {
    type Item = Result<JournalEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_chained()
            .map(|chained| chained.map(|c| c.entry))
            .transpose()
    }
}

/// Reads one sealed Parquet segment column-wise, one arrow batch at a time.
struct ParquetCursor {
    path: PathBuf,
    record: SegmentRecord,
    /// Recompute each row's chain link (the segment is not trusted by its digest).
    rehash_chain: bool,
    batches: ParquetRecordBatchReader,
    batch: Option<SealedBatch>,
    rows_read: u64,
}

impl ParquetCursor {
    fn open(
        path: PathBuf,
        file: File,
        record: SegmentRecord,
        verify_chain: bool,
        trusted: bool,
    ) -> Result<Self> {
        let pq = |e| JournalError::parquet(&path, e);
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq)?;
        let metadata = builder.metadata().file_metadata();
        check_schema(&path, metadata.schema_descr().columns())?;
        let value = |key: &str| {
            metadata
                .key_value_metadata()
                .and_then(|pairs| pairs.iter().find(|pair| pair.key == key))
                .and_then(|pair| pair.value.as_deref())
        };
        let rehash_chain = match (value(META_SEGMENT_INDEX), value(META_PREV_CHAIN_HASH)) {
            (Some(index), Some(prev)) => {
                if index != record.index.to_string() || prev != record.prev_chain_hash.to_hex() {
                    return Err(JournalError::corrupt(
                        Location::file(&path),
                        format!(
                            "sealed file says it is segment {index} continuing from {prev}, the \
                             manifest lists it as segment {} continuing from {}",
                            record.index,
                            record.prev_chain_hash.to_hex()
                        ),
                    ));
                }
                verify_chain && !trusted
            }
            // A file that does not say where it sits in the chain is checked row by row.
            _ => verify_chain,
        };
        let batches = builder
            .with_batch_size(SEALED_BATCH_ROWS)
            .build()
            .map_err(pq)?;
        Ok(Self {
            path,
            record,
            rehash_chain,
            batches,
            batch: None,
            rows_read: 0,
        })
    }

    fn next_row(&mut self) -> Result<Option<(JournalEntry, ChainHash)>> {
        loop {
            if let Some(batch) = self.batch.as_mut() {
                if let Some(row) = batch.next_row(&self.path)? {
                    self.rows_read += 1;
                    return Ok(Some(row));
                }
                self.batch = None;
            }
            match self.batches.next() {
                None => return Ok(None),
                Some(Err(e)) => {
                    return Err(JournalError::parquet(&self.path, ParquetError::from(e)));
                }
                Some(Ok(batch)) => self.batch = Some(SealedBatch::new(&self.path, &batch)?),
            }
        }
    }
}

/// One arrow batch of a sealed segment, its columns typed, and the next row to hand out.
struct SealedBatch {
    seq: Int64Array,
    ts_ns: Int64Array,
    kind: StringArray,
    market: StringArray,
    side: StringArray,
    price_micros: Int64Array,
    count_centi: Int64Array,
    order_id: StringArray,
    client_order_id: StringArray,
    payload: BinaryArray,
    chain_hash: FixedSizeBinaryArray,
    next: usize,
}

/// Column `index` of `batch` as the arrow array type `A`; a corrupt-segment error when the
/// column is missing, of another type, or (for a required column) holds a null.
fn column<A: Array + Clone + 'static>(
    path: &Path,
    batch: &RecordBatch,
    index: usize,
    required: bool,
) -> Result<A> {
    let bad = |what: &str| {
        JournalError::corrupt(
            Location::file(path),
            format!("column {} {what}", COLUMN_NAMES[index]),
        )
    };
    let array = batch
        .columns()
        .get(index)
        .ok_or_else(|| bad("is missing"))?
        .as_any()
        .downcast_ref::<A>()
        .ok_or_else(|| bad("is not of the journal schema's type"))?
        .clone();
    if required && array.null_count() > 0 {
        return Err(bad("holds a null in a required column"));
    }
    Ok(array)
}

/// The value of an optional text column at `row`.
fn optional_text(column: &StringArray, row: usize) -> Option<String> {
    (!column.is_null(row)).then(|| column.value(row).to_owned())
}

/// The value of an optional integer column at `row`.
fn optional_i64(column: &Int64Array, row: usize) -> Option<i64> {
    (!column.is_null(row)).then(|| column.value(row))
}

impl SealedBatch {
    fn new(path: &Path, batch: &RecordBatch) -> Result<Self> {
        let sealed = Self {
            seq: column(path, batch, 0, true)?,
            ts_ns: column(path, batch, 1, true)?,
            kind: column(path, batch, 2, true)?,
            market: column(path, batch, 3, false)?,
            side: column(path, batch, 4, false)?,
            price_micros: column(path, batch, 5, false)?,
            count_centi: column(path, batch, 6, false)?,
            order_id: column(path, batch, 7, false)?,
            client_order_id: column(path, batch, 8, false)?,
            payload: column(path, batch, 9, true)?,
            chain_hash: column(path, batch, 10, true)?,
            next: 0,
        };
        Ok(sealed)
    }

    fn next_row(&mut self, path: &Path) -> Result<Option<(JournalEntry, ChainHash)>> {
        let row = self.next;
        if row >= self.seq.len() {
            return Ok(None);
        }
        self.next += 1;
        let seq = u64::try_from(self.seq.value(row)).map_err(|_| {
            JournalError::corrupt(Location::file(path), "negative seq in a sealed segment")
        })?;
        let chain_hash = ChainHash::from_slice(self.chain_hash.value(row)).ok_or_else(|| {
            JournalError::corrupt(Location::file(path).seq(seq), "chain hash is not 32 bytes")
        })?;
        let entry = JournalEntry {
            seq,
            ts_ns: self.ts_ns.value(row),
            kind: self.kind.value(row).to_owned(),
            market: optional_text(&self.market, row),
            side: optional_text(&self.side, row),
            price_micros: optional_i64(&self.price_micros, row),
            count_centi: optional_i64(&self.count_centi, row),
            order_id: optional_text(&self.order_id, row),
            client_order_id: optional_text(&self.client_order_id, row),
            payload: self.payload.value(row).to_vec(),
        };
        Ok(Some((entry, chain_hash)))
    }
}

fn check_schema(path: &Path, columns: &[ColumnDescPtr]) -> Result<()> {
    use parquet::basic::Type as Physical;
    let expected: [(Physical, i16); 11] = [
        (Physical::INT64, 0),
        (Physical::INT64, 0),
        (Physical::BYTE_ARRAY, 0),
        (Physical::BYTE_ARRAY, 1),
        (Physical::BYTE_ARRAY, 1),
        (Physical::INT64, 1),
        (Physical::INT64, 1),
        (Physical::BYTE_ARRAY, 1),
        (Physical::BYTE_ARRAY, 1),
        (Physical::BYTE_ARRAY, 0),
        (Physical::FIXED_LEN_BYTE_ARRAY, 0),
    ];
    let matches = columns.len() == expected.len()
        && columns.iter().zip(expected.iter().zip(COLUMN_NAMES)).all(
            |(column, ((physical, def_level), name))| {
                column.name() == name
                    && column.physical_type() == *physical
                    && column.max_def_level() == *def_level
                    && column.max_rep_level() == 0
            },
        );
    if matches {
        Ok(())
    } else {
        Err(JournalError::corrupt(
            Location::file(path),
            "Parquet schema is not the journal schema",
        ))
    }
}

/// Checks all the rules of [`crate::complete`] on `dir`: the manifest against the files,
/// and the first entry (read with full verification of its segment).
pub fn check_complete(dir: &Path) -> Result<()> {
    let mut reader = JournalReader::open(dir, ReadOptions::default())?;
    let first = reader.next_chained()?;
    check_run_started(dir, first.as_ref().map(|chained| &chained.entry))
}
