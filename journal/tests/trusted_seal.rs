//! Reading sealed segments on the strength of their file digest: what the default (trusting)
//! read still catches, what `--paranoid` adds, and that the WAL tail is checked frame by frame.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use kalshi_journal::{
    JournalEntry, JournalReader, JournalWriter, Manifest, ParquetSegmentWriter, ReadOptions,
    VerifyOutcome, verify_run, verify_run_paranoid,
};

/// Segments 0 and 1 sealed (entries 1..=10, 11..=20), segment 2 the WAL tail (21..=25).
fn sealed_run() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = JournalWriter::create(dir.path(), run_info(), config()).unwrap();
    for seq in 1..=25 {
        writer.append_durable(&entry(seq)).unwrap();
        if seq % 10 == 0 {
            writer.rotate().unwrap();
        }
    }
    writer.close().unwrap();
    let (mut writer, _) = JournalWriter::open(dir.path(), config()).unwrap();
    assert_eq!(writer.seal_closed_segments().unwrap().len(), 2);
    writer.close().unwrap();
    dir
}

fn both_modes(dir: &Path) -> [(&'static str, VerifyOutcome); 2] {
    [
        ("trusting", verify_run(dir)),
        ("paranoid", verify_run_paranoid(dir)),
    ]
}

fn read_with(dir: &Path, options: ReadOptions) -> kalshi_journal::Result<Vec<JournalEntry>> {
    JournalReader::open(dir, options)?.collect()
}

/// Rewrites sealed segment `index` from `rows` (with their stored chain hashes) as the sealer
/// would, and records the new file's digest and size in the manifest, as an attacker who can
/// also edit the manifest would.
fn rewrite_segment(dir: &Path, index: usize, rows: Vec<(JournalEntry, kalshi_journal::ChainHash)>) {
    let mut manifest = Manifest::load(dir).unwrap();
    let record = manifest.segments[index].clone();
    let path = dir.join(&record.file);
    let mut writer =
        ParquetSegmentWriter::create(&path, record.index, record.prev_chain_hash).unwrap();
    for (entry, hash) in rows {
        writer.push(entry, hash).unwrap();
    }
    writer.finish().unwrap().sync_all().unwrap();
    manifest.segments[index].sha256 = kalshi_journal::fsio::file_sha256(&path).unwrap();
    manifest.segments[index].size_bytes = fs::metadata(&path).unwrap().len();
    manifest.store(dir).unwrap();
}

/// The rows of sealed segment `index` with their stored chain hashes.
fn segment_rows(dir: &Path, index: usize) -> Vec<(JournalEntry, kalshi_journal::ChainHash)> {
    let manifest = Manifest::load(dir).unwrap();
    let record = &manifest.segments[index];
    let mut reader = JournalReader::open(dir, ReadOptions::paranoid()).unwrap();
    std::iter::from_fn(|| reader.next_chained().unwrap())
        .filter(|row| {
            record
                .first_seq
                .zip(record.last_seq)
                .is_some_and(|(first, last)| (first..=last).contains(&row.entry.seq))
        })
        .map(|row| (row.entry, row.chain_hash))
        .collect()
}

#[test]
fn trusting_and_paranoid_reads_return_the_same_entries_and_head() {
    let dir = sealed_run();
    let expected: Vec<JournalEntry> = (1..=25).map(entry).collect();
    assert_eq!(
        read_with(dir.path(), ReadOptions::default()).unwrap(),
        expected
    );
    assert_eq!(
        read_with(dir.path(), ReadOptions::paranoid()).unwrap(),
        expected
    );
    let [(_, trusting), (_, paranoid)] = both_modes(dir.path());
    assert_eq!(trusting, paranoid);
    match trusting {
        VerifyOutcome::Clean {
            entries, last_seq, ..
        } => {
            assert_eq!(entries, 25);
            assert_eq!(last_seq, Some(25));
        }
        other => panic!("expected clean, got {other:?}"),
    }
}

#[test]
fn a_flipped_byte_in_a_sealed_segment_fails_its_digest_in_both_modes() {
    let dir = sealed_run();
    let path = parquet_path(dir.path(), 0);
    let original = fs::read(&path).unwrap();
    for position in [8, original.len() / 2, original.len() - 20] {
        let mut bytes = original.clone();
        bytes[position] ^= 0x01;
        fs::write(&path, &bytes).unwrap();
        for (mode, outcome) in both_modes(dir.path()) {
            match outcome {
                VerifyOutcome::Corrupt { at, reason } => {
                    assert!(at.file.ends_with("seg-00000000.parquet"), "{mode}");
                    assert!(reason.contains("digest"), "{mode}: {reason}");
                }
                other => panic!("{mode}, byte {position}: {other:?}"),
            }
        }
    }
}

#[test]
fn swapped_sealed_files_are_caught_in_both_modes() {
    let dir = sealed_run();
    let (first, second) = (parquet_path(dir.path(), 0), parquet_path(dir.path(), 1));
    let (first_bytes, second_bytes) = (fs::read(&first).unwrap(), fs::read(&second).unwrap());
    fs::write(&first, &second_bytes).unwrap();
    fs::write(&second, &first_bytes).unwrap();
    for (mode, outcome) in both_modes(dir.path()) {
        match outcome {
            VerifyOutcome::Corrupt { at, reason } => {
                assert!(at.file.ends_with("seg-00000000.parquet"), "{mode}");
                assert!(reason.contains("digest"), "{mode}: {reason}");
            }
            other => panic!("{mode}: {other:?}"),
        }
    }
    // With the manifest's digests and sizes swapped too, the digests match; the files still
    // say which segment they are and which hash they continue from.
    let mut manifest = Manifest::load(dir.path()).unwrap();
    let (a, b) = (manifest.segments[0].clone(), manifest.segments[1].clone());
    manifest.segments[0].sha256 = b.sha256;
    manifest.segments[0].size_bytes = b.size_bytes;
    manifest.segments[1].sha256 = a.sha256;
    manifest.segments[1].size_bytes = a.size_bytes;
    manifest.store(dir.path()).unwrap();
    for (mode, outcome) in both_modes(dir.path()) {
        match outcome {
            VerifyOutcome::Corrupt { at, reason } => {
                assert!(at.file.ends_with("seg-00000000.parquet"), "{mode}");
                assert!(reason.contains("segment 1"), "{mode}: {reason}");
            }
            other => panic!("{mode}: {other:?}"),
        }
    }
}

#[test]
fn a_segment_that_does_not_continue_the_chain_is_caught_at_its_first_row() {
    // Segment 1 rewritten with a changed first row (stored hashes kept) and its digest
    // recorded: the file is what the manifest names, but its first link does not follow from
    // segment 0's last hash. The trusting read re-hashes a segment's first row, so it sees it.
    let dir = sealed_run();
    let mut rows = segment_rows(dir.path(), 1);
    assert_eq!(rows[0].0.seq, 11);
    rows[0].0.payload.push(7);
    rewrite_segment(dir.path(), 1, rows);
    for (mode, outcome) in both_modes(dir.path()) {
        match outcome {
            VerifyOutcome::Corrupt { at, reason } => {
                assert!(at.file.ends_with("seg-00000001.parquet"), "{mode}");
                assert_eq!(at.bad_seq, Some(11), "{mode}");
                assert_eq!(at.last_good_seq, Some(10), "{mode}");
                assert!(reason.contains("chain"), "{mode}: {reason}");
            }
            other => panic!("{mode}: {other:?}"),
        }
    }
}

#[test]
fn a_changed_row_inside_a_segment_is_caught_by_paranoid_only_when_the_digest_was_rewritten() {
    // The trust boundary: a mid-segment row changed together with the manifest's digest keeps
    // the stored links, so only the per-row re-hash of --paranoid sees it.
    let dir = sealed_run();
    let mut rows = segment_rows(dir.path(), 0);
    assert_eq!(rows[5].0.seq, 6);
    rows[5].0.ts_ns += 1;
    rewrite_segment(dir.path(), 0, rows);
    match verify_run_paranoid(dir.path()) {
        VerifyOutcome::Corrupt { at, reason } => {
            assert_eq!(at.bad_seq, Some(6));
            assert!(reason.contains("chain"), "{reason}");
        }
        other => panic!("paranoid: {other:?}"),
    }
    assert_eq!(verify_run(dir.path()).exit_code(), 0);
}

#[test]
fn the_wal_tail_is_checked_frame_by_frame_in_both_modes() {
    // A frame of the WAL tail whose body changed and whose CRC was recomputed: only its chain
    // link can tell, and the trusting read still checks it.
    let dir = sealed_run();
    let tail: Vec<JournalEntry> = (21..=25).map(entry).collect();
    let offsets = frame_offsets(&tail);
    let path = wal_path(dir.path(), 2);
    let mut bytes = fs::read(&path).unwrap();
    let start = usize::try_from(offsets[2]).unwrap();
    let end = usize::try_from(offsets[3]).unwrap();
    bytes[end - 1] ^= 0x40;
    let len_le: [u8; 4] = bytes[start + 4..start + 8].try_into().unwrap();
    let crc = crc32c::crc32c_append(
        crc32c::crc32c_append(crc32c::crc32c(&len_le), &bytes[start + 12..start + 44]),
        &bytes[start + 44..end],
    );
    bytes[start + 8..start + 12].copy_from_slice(&crc.to_le_bytes());
    fs::write(&path, &bytes).unwrap();
    for (mode, outcome) in both_modes(dir.path()) {
        match outcome {
            VerifyOutcome::Corrupt { at, reason } => {
                assert!(at.file.ends_with("wal-00000002.log"), "{mode}");
                assert_eq!(at.bad_seq, Some(23), "{mode}: {reason}");
            }
            other => panic!("{mode}: {other:?}"),
        }
    }
}
