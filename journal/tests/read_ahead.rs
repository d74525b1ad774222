//! The read-ahead reader delivers what the single-threaded reader delivers: the same
//! entries in the same order across batch boundaries and segments, the same torn tail, and
//! on damage the entries before it followed by the same error.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use kalshi_journal::read_ahead::READ_AHEAD_BATCH_ENTRIES;
use kalshi_journal::{
    ChainedEntry, JournalError, JournalReader, JournalWriter, ReadAheadReader, ReadOptions,
    WalConfig,
};

/// Every entry then the end (or error) of a stream, from either reader.
fn drain(
    mut next: impl FnMut() -> kalshi_journal::Result<Option<ChainedEntry>>,
) -> (Vec<ChainedEntry>, Option<JournalError>) {
    let mut entries = Vec::new();
    loop {
        match next() {
            Ok(Some(chained)) => entries.push(chained),
            Ok(None) => return (entries, None),
            Err(error) => return (entries, Some(error)),
        }
    }
}

fn both(dir: &Path) -> [(Vec<ChainedEntry>, Option<JournalError>); 2] {
    let mut direct = JournalReader::open(dir, ReadOptions::default()).unwrap();
    let mut ahead = ReadAheadReader::open(dir, ReadOptions::default()).unwrap();
    [
        drain(|| direct.next_chained()),
        drain(|| ahead.next_chained()),
    ]
}

/// Entries over two and a half batches, rotated over several small WAL segments.
fn multi_segment_run(n: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let wal = WalConfig {
        segment_bytes_max: 16 << 10,
        group_commit_entries_max: 64,
        ..WalConfig::default()
    };
    let mut writer = JournalWriter::create(dir.path(), run_info(), wal).unwrap();
    for seq in 1..=n {
        writer.append(&entry(seq), 0).unwrap();
    }
    writer.close().unwrap();
    dir
}

#[test]
fn same_entries_counters_and_torn_tail_as_the_single_threaded_reader() {
    let n = (READ_AHEAD_BATCH_ENTRIES as u64) * 5 / 2;
    let dir = multi_segment_run(n);
    assert!(wal_path(dir.path(), 2).exists(), "the run spans segments");
    // A torn tail on the last segment.
    let last = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .max()
        .unwrap();
    let mut bytes = fs::read(&last).unwrap();
    bytes.extend_from_slice(b"KJfr\x10\0\0\0partial");
    fs::write(&last, &bytes).unwrap();

    let [(direct, direct_end), (ahead, ahead_end)] = both(dir.path());
    assert!(direct_end.is_none() && ahead_end.is_none());
    assert_eq!(direct.len() as u64, n);
    assert_eq!(ahead, direct);

    let mut reader = ReadAheadReader::open(dir.path(), ReadOptions::default()).unwrap();
    while reader.next_chained().unwrap().is_some() {}
    assert_eq!(reader.entries_read(), n);
    assert_eq!(reader.last_seq(), Some(n));
    assert_eq!(reader.head_hash(), direct.last().unwrap().chain_hash);
    let torn = reader.torn_tail().expect("torn tail reported");
    assert_eq!(torn.file, last);
    assert_eq!(torn.last_good_seq, Some(n));
    assert_eq!(reader.next_chained().unwrap(), None);
}

#[test]
fn damage_mid_stream_delivers_the_entries_before_it_then_the_same_error() {
    let n = (READ_AHEAD_BATCH_ENTRIES as u64) * 2;
    let dir = tempfile::tempdir().unwrap();
    let wal = WalConfig {
        group_commit_entries_max: 256,
        ..WalConfig::default()
    };
    let mut writer = JournalWriter::create(dir.path(), run_info(), wal).unwrap();
    let entries: Vec<_> = (1..=n).map(entry).collect();
    for e in &entries {
        writer.append(e, 0).unwrap();
    }
    writer.close().unwrap();
    let offsets = frame_offsets(&entries);
    // Damage a body byte of the frame of seq 700, past the first batch boundary.
    let bad = 699usize;
    let path = wal_path(dir.path(), 0);
    let mut bytes = fs::read(&path).unwrap();
    bytes[offsets[bad] as usize + 50] ^= 0x20;
    fs::write(&path, &bytes).unwrap();

    let [(direct, direct_end), (ahead, ahead_end)] = both(dir.path());
    assert_eq!(direct.len(), bad);
    assert_eq!(ahead, direct);
    let (Some(JournalError::Corrupt { at, reason }), Some(JournalError::Corrupt { at: at2, .. })) =
        (direct_end, ahead_end)
    else {
        panic!("both readers must report corruption");
    };
    assert_eq!(at, at2, "{reason}");
    assert_eq!(at.offset, Some(offsets[bad]));
    assert_eq!(at.last_good_seq, Some(bad as u64));

    // After the error the reader stays finished.
    let mut reader = ReadAheadReader::open(dir.path(), ReadOptions::default()).unwrap();
    while let Ok(Some(_)) = reader.next_chained() {}
    assert_eq!(reader.next_chained().unwrap(), None);
    assert_eq!(reader.last_seq(), Some(bad as u64));
}

#[test]
fn dropping_the_reader_early_stops_its_worker() {
    let dir = multi_segment_run((READ_AHEAD_BATCH_ENTRIES as u64) * 12);
    let mut reader = ReadAheadReader::open(dir.path(), ReadOptions::default()).unwrap();
    assert_eq!(reader.next_chained().unwrap().unwrap().entry.seq, 1);
    // Drop joins the worker, which is blocked on the bounded channel; this must return.
    drop(reader);
}
