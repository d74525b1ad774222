//! Sealing: turning a closed WAL segment into a Parquet file.
//!
//! Protocol (each step durable before the next):
//! 1. read the closed WAL segment, verifying CRCs, the hash chain and its manifest record,
//!    and write `seg-N.parquet.tmp` (row group by row group), then fsync it;
//! 2. rename it to `seg-N.parquet` and fsync the directory;
//! 3. the writer records the seal (file, digest, size) in the manifest (atomic replace);
//! 4. the writer removes `wal-N.log` and fsyncs the directory.
//!
//! We remove the WAL segment rather than keep a "sealed" mark beside it: the Parquet file
//! carries every field and the chain hash, so the WAL copy would only double the disk use.
//! A crash after step 1 leaves a `.tmp` file nobody reads; after step 2 a Parquet file the
//! manifest does not list, which readers ignore and recovery removes (the WAL is intact);
//! after step 3 a WAL file whose seal is recorded, which readers skip and recovery removes
//! once the Parquet digest checks out. No step loses an entry, and no reader opens a Parquet
//! file the manifest does not list with a matching digest.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{
    ByteArray, ByteArrayType, DataType, FixedLenByteArray, FixedLenByteArrayType, Int64Type,
};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedFileWriter, SerializedRowGroupWriter};
use parquet::format::KeyValue;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;

use crate::chain::ChainHash;
use crate::entry::JournalEntry;
use crate::error::{JournalError, Location, Result};
use crate::fsio::{file_sha256, parent_dir, remove_if_exists, sync_dir, tmp_path};
use crate::layout::parquet_file_name;
use crate::manifest::{SegmentRecord, SegmentState};
use crate::recovery::check_closed_wal;
use crate::wal::{ScanMode, SegmentScanner};

/// Parquet schema of a sealed segment.
pub const PARQUET_SCHEMA: &str = "
message journal_entry {
  REQUIRED INT64 seq;
  REQUIRED INT64 ts_ns;
  REQUIRED BYTE_ARRAY kind (UTF8);
  OPTIONAL BYTE_ARRAY market (UTF8);
  OPTIONAL BYTE_ARRAY side (UTF8);
  OPTIONAL INT64 price_micros;
  OPTIONAL INT64 count_centi;
  OPTIONAL BYTE_ARRAY order_id (UTF8);
  OPTIONAL BYTE_ARRAY client_order_id (UTF8);
  REQUIRED BYTE_ARRAY payload;
  REQUIRED FIXED_LEN_BYTE_ARRAY (32) chain_hash;
}
";

/// Column names in schema order.
pub const COLUMN_NAMES: [&str; 11] = [
    "seq",
    "ts_ns",
    "kind",
    "market",
    "side",
    "price_micros",
    "count_centi",
    "order_id",
    "client_order_id",
    "payload",
    "chain_hash",
];

/// Key-value metadata key: entry-encoding version the chain hashes commit to.
pub const META_ENCODING: &str = "kalshi.journal.entry_encoding";
/// Key-value metadata key: segment number.
pub const META_SEGMENT_INDEX: &str = "kalshi.journal.segment_index";
/// Key-value metadata key: chain hash the segment's first row links to (hex).
pub const META_PREV_CHAIN_HASH: &str = "kalshi.journal.prev_chain_hash";

/// Default cap on rows per row group (a reader holds one row group in memory).
pub const ROW_GROUP_ROWS_MAX: usize = 65_536;
/// Cap on encoded bytes per row group.
pub const ROW_GROUP_BYTES_MAX: u64 = 64 << 20;

/// Writes journal rows to a Parquet file with the low-level column writers, one row group at
/// a time, so memory stays bounded by the row-group caps.
pub struct ParquetSegmentWriter {
    path: PathBuf,
    writer: SerializedFileWriter<BufWriter<File>>,
    rows: Vec<(JournalEntry, ChainHash)>,
    rows_bytes: u64,
    row_group_rows_max: usize,
}

impl ParquetSegmentWriter {
    /// Creates (or truncates) `path` for segment `index` whose first row links to
    /// `prev_chain_hash`.
    pub fn create(path: &Path, index: u64, prev_chain_hash: ChainHash) -> Result<Self> {
        let pq = |e| JournalError::parquet(path, e);
        let schema = Arc::new(parse_message_type(PARQUET_SCHEMA).map_err(pq)?);
        let metadata = vec![
            KeyValue::new(META_ENCODING.to_owned(), "1".to_owned()),
            KeyValue::new(META_SEGMENT_INDEX.to_owned(), index.to_string()),
            KeyValue::new(META_PREV_CHAIN_HASH.to_owned(), prev_chain_hash.to_hex()),
        ];
        let properties = WriterProperties::builder()
            .set_created_by("kalshi-journal".to_owned())
            .set_compression(Compression::SNAPPY)
            .set_key_value_metadata(Some(metadata))
            .set_column_dictionary_enabled(ColumnPath::from("payload"), false)
            .set_column_dictionary_enabled(ColumnPath::from("chain_hash"), false)
            .build();
        let file = File::create(path).map_err(|e| JournalError::io(path, e))?;
        let writer = SerializedFileWriter::new(BufWriter::new(file), schema, Arc::new(properties))
            .map_err(pq)?;
        Ok(Self {
            path: path.to_path_buf(),
            writer,
            rows: Vec::new(),
            rows_bytes: 0,
            row_group_rows_max: ROW_GROUP_ROWS_MAX,
        })
    }

    /// Caps rows per row group (at least 1); mainly for tests of multi-group files.
    pub fn with_row_group_rows_max(mut self, rows: usize) -> Self {
        self.row_group_rows_max = rows.max(1);
        self
    }

    /// Adds one row. Rows must come in seq order; the caller supplies the chain hash.
    pub fn push(&mut self, entry: JournalEntry, chain_hash: ChainHash) -> Result<()> {
        if entry.seq > i64::MAX as u64 {
            return Err(JournalError::SeqOutOfRange { seq: entry.seq });
        }
        self.rows_bytes += entry.encoded_len();
        self.rows.push((entry, chain_hash));
        if self.rows.len() >= self.row_group_rows_max || self.rows_bytes >= ROW_GROUP_BYTES_MAX {
            self.flush_row_group()?;
        }
        Ok(())
    }

    fn flush_row_group(&mut self) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        self.rows_bytes = 0;
        let path = self.path.clone();
        let pq = |e| JournalError::parquet(&path, e);
        let mut group = self.writer.next_row_group().map_err(pq)?;
        let entries = || rows.iter().map(|(entry, _)| entry);

        let seq: Vec<i64> = entries().map(|e| e.seq as i64).collect();
        write_column::<Int64Type>(&mut group, &seq, None).map_err(pq)?;
        let ts: Vec<i64> = entries().map(|e| e.ts_ns).collect();
        write_column::<Int64Type>(&mut group, &ts, None).map_err(pq)?;
        let kind: Vec<ByteArray> = entries().map(|e| text(&e.kind)).collect();
        write_column::<ByteArrayType>(&mut group, &kind, None).map_err(pq)?;
        write_optional_text(&mut group, entries().map(|e| e.market.as_deref())).map_err(pq)?;
        write_optional_text(&mut group, entries().map(|e| e.side.as_deref())).map_err(pq)?;
        write_optional_i64(&mut group, entries().map(|e| e.price_micros)).map_err(pq)?;
        write_optional_i64(&mut group, entries().map(|e| e.count_centi)).map_err(pq)?;
        write_optional_text(&mut group, entries().map(|e| e.order_id.as_deref())).map_err(pq)?;
        write_optional_text(&mut group, entries().map(|e| e.client_order_id.as_deref()))
            .map_err(pq)?;
        let payload: Vec<ByteArray> = entries()
            .map(|e| ByteArray::from(e.payload.clone()))
            .collect();
        write_column::<ByteArrayType>(&mut group, &payload, None).map_err(pq)?;
        let hashes: Vec<FixedLenByteArray> = rows
            .iter()
            .map(|(_, hash)| FixedLenByteArray::from(hash.0.to_vec()))
            .collect();
        write_column::<FixedLenByteArrayType>(&mut group, &hashes, None).map_err(pq)?;
        group.close().map_err(pq)?;
        Ok(())
    }

    /// Writes the last row group and the footer; returns the file, not yet fsynced.
    pub fn finish(mut self) -> Result<File> {
        self.flush_row_group()?;
        let path = self.path;
        let buffered = self
            .writer
            .into_inner()
            .map_err(|e| JournalError::parquet(&path, e))?;
        buffered
            .into_inner()
            .map_err(|e| JournalError::io(&path, e.into_error()))
    }
}

fn text(value: &str) -> ByteArray {
    ByteArray::from(value.as_bytes().to_vec())
}

fn write_column<T: DataType>(
    group: &mut SerializedRowGroupWriter<'_, BufWriter<File>>,
    values: &[T::T],
    def_levels: Option<&[i16]>,
) -> parquet::errors::Result<()> {
    let mut column = group.next_column()?.ok_or_else(|| {
        parquet::errors::ParquetError::General("schema has fewer columns than rows".into())
    })?;
    column.typed::<T>().write_batch(values, def_levels, None)?;
    column.close()
}

fn write_optional_text<'a>(
    group: &mut SerializedRowGroupWriter<'_, BufWriter<File>>,
    values: impl Iterator<Item = Option<&'a str>>,
) -> parquet::errors::Result<()> {
    let mut present = Vec::new();
    let mut levels = Vec::new();
    for value in values {
        levels.push(i16::from(value.is_some()));
        present.extend(value.map(text));
    }
    write_column::<ByteArrayType>(group, &present, Some(&levels))
}

fn write_optional_i64(
    group: &mut SerializedRowGroupWriter<'_, BufWriter<File>>,
    values: impl Iterator<Item = Option<i64>>,
) -> parquet::errors::Result<()> {
    let mut present = Vec::new();
    let mut levels = Vec::new();
    for value in values {
        levels.push(i16::from(value.is_some()));
        present.extend(value);
    }
    write_column::<Int64Type>(group, &present, Some(&levels))
}

/// Seals the closed WAL segment `record` (steps 1 and 2 of the protocol) and returns its
/// sealed manifest record; the caller updates the manifest and removes the WAL file.
/// `seq_before` is the last seq of the segments before it.
pub fn seal_segment(
    dir: &Path,
    record: &SegmentRecord,
    seq_before: Option<u64>,
) -> Result<SegmentRecord> {
    let final_path = dir.join(parquet_file_name(record.index));
    let tmp = tmp_path(&final_path);
    let written = write_sealed(dir, record, seq_before, &tmp);
    let file = match written {
        Ok(file) => file,
        Err(e) => {
            // Best effort: a leftover temporary file is removed on the next open anyway.
            remove_if_exists(&tmp).ok();
            return Err(e);
        }
    };
    drop(file);
    std::fs::rename(&tmp, &final_path).map_err(|e| JournalError::io(&final_path, e))?;
    sync_dir(parent_dir(&final_path))?;
    let size_bytes = std::fs::metadata(&final_path)
        .map_err(|e| JournalError::io(&final_path, e))?
        .len();
    Ok(SegmentRecord {
        state: SegmentState::Sealed,
        file: parquet_file_name(record.index),
        size_bytes,
        sha256: file_sha256(&final_path)?,
        ..record.clone()
    })
}

fn write_sealed(
    dir: &Path,
    record: &SegmentRecord,
    seq_before: Option<u64>,
    tmp: &Path,
) -> Result<File> {
    if record.state != SegmentState::Wal {
        return Err(JournalError::corrupt(
            Location::file(&dir.join(&record.file)),
            "only closed WAL segments can be sealed",
        ));
    }
    let wal_path = dir.join(&record.file);
    let mut scanner = SegmentScanner::open(
        &wal_path,
        record.index,
        record.prev_chain_hash,
        seq_before,
        ScanMode::Strict,
    )?;
    let mut writer = ParquetSegmentWriter::create(tmp, record.index, record.prev_chain_hash)?;
    while let Some(frame) = scanner.next_frame()? {
        writer.push(frame.entry, frame.chain_hash)?;
    }
    check_closed_wal(record, &scanner.finish()?)?;
    let file = writer.finish()?;
    file.sync_all().map_err(|e| JournalError::io(tmp, e))?;
    Ok(file)
}
