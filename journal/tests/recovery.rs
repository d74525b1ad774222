//! Crash recovery of the WAL: torn tails, mid-file corruption, durability.

mod common;

use std::fs;

use common::*;
use kalshi_journal::{
    JournalEntry, JournalError, JournalWriter, VerifyOutcome, WalConfig, verify_run,
};

/// Writes entries 1..=n into segment 0 and returns the directory and the entries.
fn single_segment(n: u64) -> (tempfile::TempDir, Vec<JournalEntry>) {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = JournalWriter::create(dir.path(), run_info(), config()).unwrap();
    let entries: Vec<JournalEntry> = (1..=n).map(entry).collect();
    for e in &entries {
        writer.append_durable(e).unwrap();
    }
    writer.close().unwrap();
    (dir, entries)
}

#[test]
fn truncation_at_every_offset_of_the_last_records_recovers_complete_ones() {
    let (dir, entries) = single_segment(12);
    let offsets = frame_offsets(&entries);
    let wal = fs::read(wal_path(dir.path(), 0)).unwrap();
    assert_eq!(wal.len() as u64, *offsets.last().unwrap());
    let first_cut = offsets[entries.len() - 4];
    for cut in first_cut..wal.len() as u64 {
        let copy = copy_dir(dir.path());
        let path = wal_path(copy.path(), 0);
        fs::write(&path, &wal[..cut as usize]).unwrap();
        let complete = offsets.iter().filter(|o| **o <= cut).count() - 1;

        // A read-only reader sees exactly the complete records and reports the tail.
        let read = read_all(copy.path()).unwrap();
        assert_eq!(read, entries[..complete], "reader, cut {cut}");

        let (mut writer, report) = JournalWriter::open(copy.path(), config()).unwrap();
        assert_eq!(report.last_seq, Some(complete as u64), "cut {cut}");
        let at_boundary = offsets.contains(&cut);
        assert_eq!(report.torn_tail.is_none(), at_boundary, "cut {cut}");
        if let Some(torn) = &report.torn_tail {
            assert_eq!(torn.offset, offsets[complete]);
            assert_eq!(torn.bytes_dropped, cut - offsets[complete]);
            assert_eq!(torn.last_good_seq, Some(complete as u64));
        }
        assert_eq!(fs::metadata(&path).unwrap().len(), offsets[complete]);

        // Appending continues after the recovered prefix.
        writer.append_durable(&entry(100)).unwrap();
        writer.close().unwrap();
        let mut expected = entries[..complete].to_vec();
        expected.push(entry(100));
        assert_eq!(
            read_all(copy.path()).unwrap(),
            expected,
            "after append, cut {cut}"
        );
        assert!(matches!(
            verify_run(copy.path()),
            VerifyOutcome::Clean { .. }
        ));
    }
}

#[test]
fn garbage_after_the_last_frame_is_a_torn_tail() {
    let (dir, entries) = single_segment(5);
    for garbage in [vec![0u8; 4096], vec![0xa5; 7], b"KJfr\xff\xff".to_vec()] {
        let copy = copy_dir(dir.path());
        let path = wal_path(copy.path(), 0);
        let mut bytes = fs::read(&path).unwrap();
        bytes.extend_from_slice(&garbage);
        fs::write(&path, &bytes).unwrap();
        match verify_run(copy.path()) {
            VerifyOutcome::Clean {
                entries: n,
                torn_tail,
                ..
            } => {
                assert_eq!(n, 5);
                assert_eq!(torn_tail.unwrap().bytes_dropped, garbage.len() as u64);
            }
            other => panic!("expected clean with torn tail, got {other:?}"),
        }
        let (_writer, report) = JournalWriter::open(copy.path(), config()).unwrap();
        assert_eq!(report.last_seq, Some(5));
        assert_eq!(read_all(copy.path()).unwrap(), entries);
    }
}

fn flip(path: &std::path::Path, byte: u64, bit: u32) {
    let mut bytes = fs::read(path).unwrap();
    bytes[byte as usize] ^= 1 << bit;
    fs::write(path, &bytes).unwrap();
}

#[test]
fn flipping_any_bit_before_the_last_record_is_refused() {
    let (dir, entries) = single_segment(6);
    let offsets = frame_offsets(&entries);
    let last_frame = offsets[entries.len() - 1];
    for byte in 0..last_frame {
        // Every bit of the header and the first frame, one rotating bit elsewhere.
        let bits: Vec<u32> = if byte < offsets[1] {
            (0..8).collect()
        } else {
            vec![(byte % 8) as u32]
        };
        for bit in bits {
            let copy = copy_dir(dir.path());
            flip(&wal_path(copy.path(), 0), byte, bit);
            match JournalWriter::open(copy.path(), config()) {
                Err(JournalError::Corrupt { at, .. }) => {
                    assert!(at.file.ends_with("wal-00000000.log"));
                    let frame = offsets.iter().rposition(|o| *o <= byte).unwrap_or(0);
                    if byte >= 52 {
                        assert_eq!(at.offset, Some(offsets[frame]), "byte {byte} bit {bit}");
                        let good = (frame > 0).then_some(frame as u64);
                        assert_eq!(at.last_good_seq, good, "byte {byte} bit {bit}");
                    }
                }
                Err(other) => panic!("byte {byte} bit {bit}: unexpected error {other}"),
                Ok(_) => panic!("byte {byte} bit {bit}: corruption accepted"),
            }
            assert_eq!(
                verify_run(copy.path()).exit_code(),
                1,
                "byte {byte} bit {bit}"
            );
            assert!(read_all(copy.path()).is_err());
        }
    }
}

#[test]
fn damage_in_a_closed_segment_is_refused_even_at_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = JournalWriter::create(dir.path(), run_info(), config()).unwrap();
    for seq in 1..=4 {
        writer.append_durable(&entry(seq)).unwrap();
    }
    writer.rotate().unwrap();
    for seq in 5..=6 {
        writer.append_durable(&entry(seq)).unwrap();
    }
    writer.close().unwrap();
    let len = fs::metadata(wal_path(dir.path(), 0)).unwrap().len();

    for byte in [0, 51, 52, len / 2, len - 1] {
        let copy = copy_dir(dir.path());
        flip(&wal_path(copy.path(), 0), byte, 3);
        assert!(
            matches!(
                JournalWriter::open(copy.path(), config()),
                Err(JournalError::Corrupt { .. })
            ),
            "byte {byte}"
        );
        assert_eq!(verify_run(copy.path()).exit_code(), 1);
    }
    // Truncating a closed segment is corruption too, not a torn tail.
    let copy = copy_dir(dir.path());
    let path = wal_path(copy.path(), 0);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    assert!(matches!(
        JournalWriter::open(copy.path(), config()),
        Err(JournalError::Corrupt { .. })
    ));
    // A missing middle segment is refused.
    let copy = copy_dir(dir.path());
    fs::remove_file(wal_path(copy.path(), 0)).unwrap();
    assert!(JournalWriter::open(copy.path(), config()).is_err());
    assert_eq!(verify_run(copy.path()).exit_code(), 1);
}

#[test]
fn chain_catches_a_changed_body_byte_even_with_a_fixed_crc() {
    let (dir, entries) = single_segment(4);
    let offsets = frame_offsets(&entries);
    for frame in 0..entries.len() {
        let body_start = offsets[frame] + 44;
        for byte in body_start..offsets[frame + 1] {
            let copy = copy_dir(dir.path());
            let path = wal_path(copy.path(), 0);
            let mut bytes = fs::read(&path).unwrap();
            bytes[byte as usize] ^= 0x01;
            // Recompute the frame CRC so only the hash chain can notice.
            let start = offsets[frame] as usize;
            let end = offsets[frame + 1] as usize;
            let mut crc = crc32c::crc32c(&bytes[start + 4..start + 8]);
            crc = crc32c::crc32c_append(crc, &bytes[start + 12..end]);
            bytes[start + 8..start + 12].copy_from_slice(&crc.to_le_bytes());
            fs::write(&path, &bytes).unwrap();
            match verify_run(copy.path()) {
                VerifyOutcome::Corrupt { at, reason } => {
                    assert_eq!(at.offset, Some(offsets[frame]), "byte {byte}: {reason}");
                }
                other => panic!("byte {byte}: not detected: {other:?}"),
            }
            assert!(JournalWriter::open(copy.path(), config()).is_err());
        }
    }
}

#[test]
fn durable_append_survives_a_crash_and_buffered_entries_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let config = WalConfig {
        group_commit_entries_max: 1_000,
        group_commit_interval_ns: i64::MAX,
        ..WalConfig::default()
    };
    let mut writer = JournalWriter::create(dir.path(), run_info(), config.clone()).unwrap();
    writer.append(&entry(1), 0).unwrap();
    writer.append(&entry(2), 0).unwrap();
    writer.append_durable(&entry(3)).unwrap();
    writer.append(&entry(4), 0).unwrap();
    assert_eq!(writer.durable_seq(), Some(3));

    // A snapshot of the directory now is what a crash would leave behind.
    let crashed = copy_dir(dir.path());
    let (_reopened, report) = JournalWriter::open(crashed.path(), config).unwrap();
    assert_eq!(report.last_seq, Some(3));
    assert_eq!(
        read_all(crashed.path()).unwrap(),
        vec![entry(1), entry(2), entry(3)]
    );
    drop(writer);
}

#[test]
fn rotation_by_size_and_reopen_continue_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let config = WalConfig {
        segment_bytes_max: 600,
        ..config()
    };
    let mut writer = JournalWriter::create(dir.path(), run_info(), config.clone()).unwrap();
    for seq in 1..=30 {
        writer.append(&entry(seq), seq as i64).unwrap();
    }
    let head = writer.head_hash();
    assert!(writer.active_segment_index() >= 3);
    writer.close().unwrap();
    for index in 0..3 {
        assert!(fs::metadata(wal_path(dir.path(), index)).unwrap().len() <= 600);
    }

    let (mut writer, report) = JournalWriter::open(dir.path(), config).unwrap();
    assert_eq!(report.head_hash, head);
    assert!(report.torn_tail.is_none());
    assert!(matches!(
        writer.append(&entry(30), 0),
        Err(JournalError::SeqNotIncreasing { .. })
    ));
    writer.append_durable(&entry(31)).unwrap();
    writer.close().unwrap();
    let expected: Vec<JournalEntry> = (1..=31).map(entry).collect();
    assert_eq!(read_all(dir.path()).unwrap(), expected);
    match verify_run(dir.path()) {
        VerifyOutcome::Clean {
            entries, last_seq, ..
        } => {
            assert_eq!(entries, 31);
            assert_eq!(last_seq, Some(31));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn crash_between_rotation_and_manifest_update_is_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = JournalWriter::create(dir.path(), run_info(), config()).unwrap();
    let before = fs::read(dir.path().join("manifest.json")).unwrap();
    writer.append_durable(&entry(1)).unwrap();
    writer.rotate().unwrap();
    writer.append_durable(&entry(2)).unwrap();
    writer.close().unwrap();
    // Roll the manifest back to before the rotation was recorded.
    fs::write(dir.path().join("manifest.json"), before).unwrap();
    assert_eq!(read_all(dir.path()).unwrap(), vec![entry(1), entry(2)]);
    let (writer, report) = JournalWriter::open(dir.path(), config()).unwrap();
    assert!(report.manifest_updated);
    assert_eq!(writer.manifest().segments.len(), 1);
    assert_eq!(verify_run(dir.path()).exit_code(), 0);
}

#[test]
fn missing_manifest_cannot_be_opened() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(verify_run(dir.path()).exit_code(), 2);
    assert!(JournalWriter::open(dir.path(), config()).is_err());
    assert_eq!(verify_run(&dir.path().join("nope")).exit_code(), 2);
}
