//! Sealing to Parquet: crash safety, independent readability, tamper detection.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::*;
use kalshi_journal::{
    ChainHash, JournalEntry, JournalError, JournalReader, JournalWriter, Manifest,
    ParquetSegmentWriter, ReadOptions, SegmentState, VerifyOutcome, verify_run,
    verify_run_paranoid,
};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

/// Segments 0 and 1 closed (entries 1..=10, 11..=20), segment 2 active (21..=25).
fn three_segments() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = JournalWriter::create(dir.path(), run_info(), config()).unwrap();
    for seq in 1..=25 {
        writer.append_durable(&entry(seq)).unwrap();
        if seq % 10 == 0 {
            writer.rotate().unwrap();
        }
    }
    writer.close().unwrap();
    dir
}

fn all() -> Vec<JournalEntry> {
    (1..=25).map(entry).collect()
}

fn seal_all(dir: &Path) {
    let (mut writer, _) = JournalWriter::open(dir, config()).unwrap();
    let sealed = writer.seal_closed_segments().unwrap();
    assert_eq!(sealed.len(), 2);
    writer.close().unwrap();
}

fn assert_clean(dir: &Path, entries: u64) {
    match verify_run(dir) {
        VerifyOutcome::Clean { entries: n, .. } => assert_eq!(n, entries),
        other => panic!("expected clean, got {other:?}"),
    }
}

#[test]
fn sealing_keeps_every_entry_and_removes_the_wal() {
    let dir = three_segments();
    let head_before = JournalWriter::open(dir.path(), config())
        .unwrap()
        .0
        .head_hash();
    seal_all(dir.path());
    assert!(!wal_path(dir.path(), 0).exists());
    assert!(!wal_path(dir.path(), 1).exists());
    assert!(parquet_path(dir.path(), 0).exists());
    assert!(wal_path(dir.path(), 2).exists());
    let manifest = Manifest::load(dir.path()).unwrap();
    assert!(
        manifest
            .segments
            .iter()
            .all(|s| s.state == SegmentState::Sealed)
    );
    assert_eq!(read_all(dir.path()).unwrap(), all());
    match verify_run(dir.path()) {
        VerifyOutcome::Clean {
            entries,
            last_seq,
            head_hash,
            torn_tail,
        } => {
            assert_eq!((entries, last_seq, head_hash), (25, Some(25), head_before));
            assert!(torn_tail.is_none());
        }
        other => panic!("{other:?}"),
    }
    // The writer continues after sealing, and the chain stays intact.
    let (mut writer, _) = JournalWriter::open(dir.path(), config()).unwrap();
    writer.append_durable(&entry(26)).unwrap();
    let manifest = writer.finish_and_seal().unwrap();
    assert_eq!(manifest.segments.len(), 3);
    assert!(!wal_path(dir.path(), 2).exists());
    let mut expected = all();
    expected.push(entry(26));
    assert_eq!(read_all(dir.path()).unwrap(), expected);
    assert_clean(dir.path(), 26);
    // Reopening a fully sealed run starts a new segment.
    let (mut writer, report) = JournalWriter::open(dir.path(), config()).unwrap();
    assert_eq!(report.last_seq, Some(26));
    assert_eq!(writer.active_segment_index(), 3);
    writer.append_durable(&entry(27)).unwrap();
    writer.close().unwrap();
    assert_clean(dir.path(), 27);
}

#[test]
fn crash_with_a_temporary_parquet_file_loses_nothing() {
    let dir = three_segments();
    let tmp = dir.path().join("seg-00000000.parquet.tmp");
    fs::write(&tmp, b"PAR1 half written").unwrap();
    fs::write(dir.path().join("manifest.json.tmp"), b"{ half").unwrap();
    assert_eq!(read_all(dir.path()).unwrap(), all());
    assert_clean(dir.path(), 25);
    let (_writer, report) = JournalWriter::open(dir.path(), config()).unwrap();
    assert_eq!(report.removed_files.len(), 2);
    assert!(!tmp.exists());
    seal_all(dir.path());
    assert_eq!(read_all(dir.path()).unwrap(), all());
}

#[test]
fn crash_before_the_manifest_records_the_seal_loses_nothing() {
    let dir = three_segments();
    let manifest_before = fs::read(dir.path().join("manifest.json")).unwrap();
    let wal0 = fs::read(wal_path(dir.path(), 0)).unwrap();
    let wal1 = fs::read(wal_path(dir.path(), 1)).unwrap();
    seal_all(dir.path());
    // Roll back to "Parquet renamed into place, manifest not yet rewritten": the WAL files
    // are still there and the manifest does not list the Parquet files.
    fs::write(dir.path().join("manifest.json"), &manifest_before).unwrap();
    fs::write(wal_path(dir.path(), 0), &wal0).unwrap();
    fs::write(wal_path(dir.path(), 1), &wal1).unwrap();
    // Make one of them half-written: a reader must never open it.
    let pq = parquet_path(dir.path(), 1);
    let bytes = fs::read(&pq).unwrap();
    fs::write(&pq, &bytes[..bytes.len() / 2]).unwrap();

    assert_eq!(read_all(dir.path()).unwrap(), all());
    assert_clean(dir.path(), 25);
    let (writer, report) = JournalWriter::open(dir.path(), config()).unwrap();
    assert_eq!(report.removed_files.len(), 2);
    assert!(!pq.exists() && !parquet_path(dir.path(), 0).exists());
    drop(writer);
    seal_all(dir.path());
    assert_eq!(read_all(dir.path()).unwrap(), all());
    assert_clean(dir.path(), 25);
}

#[test]
fn crash_before_the_wal_is_removed_loses_nothing() {
    let dir = three_segments();
    let wal0 = fs::read(wal_path(dir.path(), 0)).unwrap();
    seal_all(dir.path());
    fs::write(wal_path(dir.path(), 0), &wal0).unwrap();
    // The reader uses the sealed copy and skips the stale WAL.
    assert_eq!(read_all(dir.path()).unwrap(), all());
    assert_clean(dir.path(), 25);
    let (_writer, report) = JournalWriter::open(dir.path(), config()).unwrap();
    assert_eq!(report.removed_files, vec![wal_path(dir.path(), 0)]);
    assert_eq!(read_all(dir.path()).unwrap(), all());
}

#[test]
fn stale_wal_is_kept_when_the_sealed_file_does_not_match() {
    let dir = three_segments();
    let wal0 = fs::read(wal_path(dir.path(), 0)).unwrap();
    seal_all(dir.path());
    fs::write(wal_path(dir.path(), 0), &wal0).unwrap();
    let pq = parquet_path(dir.path(), 0);
    let mut bytes = fs::read(&pq).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(&pq, &bytes).unwrap();
    assert!(matches!(
        JournalWriter::open(dir.path(), config()),
        Err(JournalError::Corrupt { .. })
    ));
    assert!(wal_path(dir.path(), 0).exists(), "WAL must not be removed");
}

fn field_map(row: &parquet::record::Row) -> BTreeMap<String, Field> {
    row.get_column_iter()
        .map(|(name, field)| (name.clone(), field.clone()))
        .collect()
}

fn opt_str(value: &Option<String>) -> Field {
    value.clone().map_or(Field::Null, Field::Str)
}

fn opt_long(value: Option<i64>) -> Field {
    value.map_or(Field::Null, Field::Long)
}

#[test]
fn parquet_is_readable_by_the_generic_row_reader() {
    let dir = three_segments();
    seal_all(dir.path());
    let reader = JournalReader::open(dir.path(), ReadOptions::default()).unwrap();
    let hashes: Vec<ChainHash> = {
        let mut reader = reader;
        std::iter::from_fn(|| reader.next_chained().unwrap())
            .map(|c| c.chain_hash)
            .collect()
    };
    let mut seen = 0usize;
    for index in 0..2 {
        let file = fs::File::open(parquet_path(dir.path(), index)).unwrap();
        let reader = SerializedFileReader::new(file).unwrap();
        let metadata = reader.metadata().file_metadata();
        let kv: BTreeMap<String, Option<String>> = metadata
            .key_value_metadata()
            .unwrap()
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect();
        assert_eq!(
            kv.get("kalshi.journal.segment_index"),
            Some(&Some(index.to_string()))
        );
        for row in reader.get_row_iter(None).unwrap() {
            let fields = field_map(&row.unwrap());
            let e = entry(seen as u64 + 1);
            assert_eq!(fields["seq"], Field::Long(e.seq as i64));
            assert_eq!(fields["ts_ns"], Field::Long(e.ts_ns));
            assert_eq!(fields["kind"], Field::Str(e.kind.clone()));
            assert_eq!(fields["market"], opt_str(&e.market));
            assert_eq!(fields["side"], opt_str(&e.side));
            assert_eq!(fields["price_micros"], opt_long(e.price_micros));
            assert_eq!(fields["count_centi"], opt_long(e.count_centi));
            assert_eq!(fields["order_id"], opt_str(&e.order_id));
            assert_eq!(fields["client_order_id"], opt_str(&e.client_order_id));
            assert_eq!(fields["payload"], Field::Bytes(e.payload.clone().into()));
            assert_eq!(
                fields["chain_hash"],
                Field::Bytes(hashes[seen].0.to_vec().into())
            );
            seen += 1;
        }
    }
    assert_eq!(seen, 20);
}

/// Rewrites sealed segment 0 with `tamper` applied to the entry with `seq`, keeping the
/// original chain hashes, and updates the manifest digest as an attacker would.
fn rewrite_sealed(dir: &Path, seq: u64, tamper: impl Fn(&mut JournalEntry)) {
    let mut manifest = Manifest::load(dir).unwrap();
    let record = manifest.segments[0].clone();
    let rows: Vec<_> = {
        let mut reader = JournalReader::open(dir, ReadOptions::default()).unwrap();
        std::iter::from_fn(|| reader.next_chained().unwrap())
            .take(record.entries as usize)
            .collect()
    };
    let path = parquet_path(dir, 0);
    let mut writer = ParquetSegmentWriter::create(&path, 0, record.prev_chain_hash)
        .unwrap()
        .with_row_group_rows_max(3);
    for mut row in rows {
        if row.entry.seq == seq {
            tamper(&mut row.entry);
        }
        writer.push(row.entry, row.chain_hash).unwrap();
    }
    writer.finish().unwrap().sync_all().unwrap();
    manifest.segments[0].sha256 = kalshi_journal::fsio::file_sha256(&path).unwrap();
    manifest.segments[0].size_bytes = fs::metadata(&path).unwrap().len();
    manifest.store(dir).unwrap();
}

#[test]
fn rewritten_parquet_with_the_same_rows_still_verifies() {
    // Control for the tamper tests: rewriting with multi-row-group files and no change is clean.
    let dir = three_segments();
    seal_all(dir.path());
    rewrite_sealed(dir.path(), 0, |_| {});
    assert_eq!(read_all(dir.path()).unwrap(), all());
    assert_clean(dir.path(), 25);
}

#[test]
fn hash_chain_catches_a_changed_parquet_value() {
    type Tamper = Box<dyn Fn(&mut JournalEntry)>;
    let tampers: Vec<(&str, Tamper)> = vec![
        ("payload byte", Box::new(|e| e.payload[0] ^= 1)),
        ("price", Box::new(|e| e.price_micros = Some(1))),
        ("market", Box::new(|e| e.market = None)),
        ("ts", Box::new(|e| e.ts_ns += 1)),
        ("kind", Box::new(|e| e.kind.push('x'))),
    ];
    // The manifest's digest is rewritten with the file, so only the per-row chain re-hash of
    // `--paranoid` (or of a read without digest checks) can see the change: by default a
    // segment whose digest matches the manifest is trusted between its boundary links.
    for (what, tamper) in tampers {
        let dir = three_segments();
        seal_all(dir.path());
        rewrite_sealed(dir.path(), 6, tamper);
        match verify_run_paranoid(dir.path()) {
            VerifyOutcome::Corrupt { at, reason } => {
                assert_eq!(at.bad_seq, Some(6), "{what}: {reason}");
                assert_eq!(at.last_good_seq, Some(5), "{what}");
                assert!(at.file.ends_with("seg-00000000.parquet"));
            }
            other => panic!("{what}: not detected: {other:?}"),
        }
        // Even with digest checks off, the chain catches it.
        let options = ReadOptions {
            verify_chain: true,
            verify_digests: false,
            trust_sealed_digests: true,
        };
        let result: Result<Vec<_>, _> = JournalReader::open(dir.path(), options).unwrap().collect();
        assert!(result.is_err(), "{what}");
    }
}

#[test]
fn changed_parquet_bytes_fail_the_digest() {
    let dir = three_segments();
    seal_all(dir.path());
    let pq = parquet_path(dir.path(), 1);
    let original = fs::read(&pq).unwrap();
    for position in [
        0,
        4,
        original.len() / 3,
        original.len() - 9,
        original.len() - 1,
    ] {
        let mut bytes = original.clone();
        bytes[position] ^= 0x10;
        fs::write(&pq, &bytes).unwrap();
        for (mode, outcome) in [
            ("trusting", verify_run(dir.path())),
            ("paranoid", verify_run_paranoid(dir.path())),
        ] {
            match outcome {
                VerifyOutcome::Corrupt { at, reason } => {
                    assert!(at.file.ends_with("seg-00000001.parquet"), "{mode}");
                    assert_eq!(at.last_good_seq, Some(10), "{mode}");
                    assert!(reason.contains("digest"), "{mode}: {reason}");
                }
                other => panic!("{mode}, byte {position}: {other:?}"),
            }
        }
    }
    fs::remove_file(&pq).unwrap();
    assert_eq!(verify_run(dir.path()).exit_code(), 1);
    assert!(JournalWriter::open(dir.path(), config()).is_err());
}

#[test]
fn large_segment_spans_several_row_groups() {
    let dir = tempfile::tempdir().unwrap();
    let config = kalshi_journal::WalConfig {
        group_commit_entries_max: 4_096,
        ..config()
    };
    let mut writer = JournalWriter::create(dir.path(), run_info(), config).unwrap();
    let n = 70_000u64;
    for seq in 1..=n {
        let e = JournalEntry {
            seq,
            ts_ns: seq as i64,
            kind: "t".into(),
            price_micros: (seq % 2 == 0).then_some(seq as i64),
            ..JournalEntry::default()
        };
        writer.append(&e, 0).unwrap();
    }
    writer.finish_and_seal().unwrap();
    let file = fs::File::open(parquet_path(dir.path(), 0)).unwrap();
    assert_eq!(SerializedFileReader::new(file).unwrap().num_row_groups(), 2);
    let mut expected_seq = 1;
    for e in JournalReader::open(dir.path(), ReadOptions::default()).unwrap() {
        let e = e.unwrap();
        assert_eq!(e.seq, expected_seq);
        assert_eq!(e.price_micros, (e.seq % 2 == 0).then_some(e.seq as i64));
        expected_seq += 1;
    }
    assert_eq!(expected_seq, n + 1);
}
