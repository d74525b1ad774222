//! Streaming a run back in seq order: sealed Parquet segments, then the WAL segments.
//!
//! Memory is bounded independently of the journal's length: a sealed segment is read one
//! row group at a time, a WAL segment one frame at a time. The reader only opens Parquet
//! files the manifest lists as sealed, and (by default) only after their SHA-256 matches the
//! manifest, so it never parses a half-written or foreign file. It never modifies the run
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

use parquet::column::reader::get_typed_column_reader;
use parquet::data_type::{ByteArray, ByteArrayType, DataType, FixedLenByteArrayType, Int64Type};
use parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};
use parquet::schema::types::ColumnDescPtr;

use crate::chain::ChainHash;
use crate::complete::{check_files, check_run_started};
use crate::entry::JournalEntry;
use crate::error::{JournalError, Location, Result};
use crate::fsio::file_sha256;
use crate::layout::list_run_dir;
use crate::manifest::{Manifest, SegmentRecord, SegmentState};
use crate::recovery::check_closed_wal;
use crate::seal::COLUMN_NAMES;
use crate::wal::{ScanMode, SegmentScanner, TornTail};

/// What the reader checks while streaming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Recompute every chain hash (`SHA-256(prev || encoding)`) and compare. WAL frames are
    /// always checked (the scanner needs it to tell torn tails from corruption); this switch
    /// governs sealed segments.
    pub verify_chain: bool,
    /// Check each sealed file's SHA-256 against the manifest before parsing it, and each
    /// closed WAL segment's digest after scanning it. With this off, a damaged Parquet file is
    /// handed to the Parquet library, which is not hardened against arbitrary input.
    pub verify_digests: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            verify_chain: true,
            verify_digests: true,
        }
    }
}

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
    Parquet(ParquetCursor),
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
        if self.options.verify_chain {
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
                if self.options.verify_digests && file_sha256(&path)? != record.sha256 {
                    return Err(JournalError::corrupt(
                        at(),
                        "sealed segment's digest differs from the manifest",
                    ));
                }
                Ok(Cursor::Parquet(ParquetCursor::open(path, record)?))
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

/// Reads one sealed Parquet segment a row group at a time.
struct ParquetCursor {
    path: PathBuf,
    record: SegmentRecord,
    reader: SerializedFileReader<File>,
    next_group: usize,
    rows: std::vec::IntoIter<(JournalEntry, ChainHash)>,
    rows_read: u64,
}

impl ParquetCursor {
    fn open(path: PathBuf, record: SegmentRecord) -> Result<Self> {
        let file = File::open(&path).map_err(|e| JournalError::io(&path, e))?;
        let reader =
            SerializedFileReader::new(file).map_err(|e| JournalError::parquet(&path, e))?;
        let columns = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .to_vec();
        check_schema(&path, &columns)?;
        Ok(Self {
            path,
            record,
            reader,
            next_group: 0,
            rows: Vec::new().into_iter(),
            rows_read: 0,
        })
    }

    fn next_row(&mut self) -> Result<Option<(JournalEntry, ChainHash)>> {
        loop {
            if let Some(row) = self.rows.next() {
                self.rows_read += 1;
                return Ok(Some(row));
            }
            if self.next_group >= self.reader.num_row_groups() {
                return Ok(None);
            }
            let group = self
                .reader
                .get_row_group(self.next_group)
                .map_err(|e| JournalError::parquet(&self.path, e))?;
            let rows = read_row_group(&self.path, group.as_ref())?;
            self.next_group += 1;
            self.rows = rows.into_iter();
        }
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

/// Reads column `index` of a row group: its non-null values and, if `optional`, the
/// definition levels (one per row).
fn read_column<T: DataType>(
    path: &Path,
    group: &dyn RowGroupReader,
    index: usize,
    rows: usize,
    optional: bool,
) -> Result<(Vec<T::T>, Vec<i16>)> {
    let pq = |e| JournalError::parquet(path, e);
    let mut reader = get_typed_column_reader::<T>(group.get_column_reader(index).map_err(pq)?);
    let mut values = Vec::with_capacity(rows);
    let mut levels = Vec::new();
    let mut read = 0usize;
    while read < rows {
        let def_levels = if optional { Some(&mut levels) } else { None };
        let (records, _, _) = reader
            .read_records(rows - read, def_levels, None, &mut values)
            .map_err(pq)?;
        if records == 0 {
            break;
        }
        read += records;
    }
    let present = if optional {
        levels.iter().filter(|level| **level == 1).count()
    } else {
        rows
    };
    if read != rows || values.len() != present || (optional && levels.len() != rows) {
        return Err(JournalError::corrupt(
            Location::file(path),
            format!(
                "column {} has the wrong number of values",
                COLUMN_NAMES[index]
            ),
        ));
    }
    Ok((values, levels))
}

/// Spreads an optional column's non-null values over the rows.
fn spread<V>(values: Vec<V>, levels: &[i16]) -> Vec<Option<V>> {
    let mut values = values.into_iter();
    levels
        .iter()
        .map(|level| if *level == 1 { values.next() } else { None })
        .collect()
}

fn utf8(path: &Path, column: usize, value: ByteArray) -> Result<String> {
    String::from_utf8(value.data().to_vec()).map_err(|_| {
        JournalError::corrupt(
            Location::file(path),
            format!("column {} holds invalid UTF-8", COLUMN_NAMES[column]),
        )
    })
}

fn optional_utf8(path: &Path, column: usize, value: Option<ByteArray>) -> Result<Option<String>> {
    value.map(|v| utf8(path, column, v)).transpose()
}

fn read_row_group(
    path: &Path,
    group: &dyn RowGroupReader,
) -> Result<Vec<(JournalEntry, ChainHash)>> {
    let rows = usize::try_from(group.metadata().num_rows()).map_err(|_| {
        JournalError::corrupt(Location::file(path), "negative row count in a row group")
    })?;
    let (seq, _) = read_column::<Int64Type>(path, group, 0, rows, false)?;
    let (ts, _) = read_column::<Int64Type>(path, group, 1, rows, false)?;
    let (kind, _) = read_column::<ByteArrayType>(path, group, 2, rows, false)?;
    let (market, market_levels) = read_column::<ByteArrayType>(path, group, 3, rows, true)?;
    let (side, side_levels) = read_column::<ByteArrayType>(path, group, 4, rows, true)?;
    let (price, price_levels) = read_column::<Int64Type>(path, group, 5, rows, true)?;
    let (count, count_levels) = read_column::<Int64Type>(path, group, 6, rows, true)?;
    let (order, order_levels) = read_column::<ByteArrayType>(path, group, 7, rows, true)?;
    let (client, client_levels) = read_column::<ByteArrayType>(path, group, 8, rows, true)?;
    let (payload, _) = read_column::<ByteArrayType>(path, group, 9, rows, false)?;
    let (hashes, _) = read_column::<FixedLenByteArrayType>(path, group, 10, rows, false)?;

    let mut market = spread(market, &market_levels).into_iter();
    let mut side = spread(side, &side_levels).into_iter();
    let mut price = spread(price, &price_levels).into_iter();
    let mut count = spread(count, &count_levels).into_iter();
    let mut order = spread(order, &order_levels).into_iter();
    let mut client = spread(client, &client_levels).into_iter();
    let mut out = Vec::with_capacity(rows);
    let columns = seq.into_iter().zip(ts).zip(kind).zip(payload).zip(hashes);
    for ((((seq, ts_ns), kind), payload), hash) in columns {
        let seq = u64::try_from(seq).map_err(|_| {
            JournalError::corrupt(Location::file(path), "negative seq in a sealed segment")
        })?;
        let at = || Location::file(path).seq(seq);
        let chain_hash = ChainHash::from_slice(hash.data())
            .ok_or_else(|| JournalError::corrupt(at(), "chain hash is not 32 bytes"))?;
        let entry = JournalEntry {
            seq,
            ts_ns,
            kind: utf8(path, 2, kind)?,
            market: optional_utf8(path, 3, market.next().flatten())?,
            side: optional_utf8(path, 4, side.next().flatten())?,
            price_micros: price.next().flatten(),
            count_centi: count.next().flatten(),
            order_id: optional_utf8(path, 7, order.next().flatten())?,
            client_order_id: optional_utf8(path, 8, client.next().flatten())?,
            payload: payload.data().to_vec(),
        };
        out.push((entry, chain_hash));
    }
    Ok(out)
}

/// Checks all the rules of [`crate::complete`] on `dir`: the manifest against the files,
/// and the first entry (read with full verification of its segment).
pub fn check_complete(dir: &Path) -> Result<()> {
    let mut reader = JournalReader::open(dir, ReadOptions::default())?;
    let first = reader.next_chained()?;
    check_run_started(dir, first.as_ref().map(|chained| &chained.entry))
}
