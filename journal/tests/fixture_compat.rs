//! A journal written by an earlier build still reads, verifies and decodes to the same bytes.
//!
//! `tests/fixtures/sealed-run-v1` (see its README.md) is a real engine run written by the
//! writer of the build before sealed segments were trusted by their digest and read
//! column-wise: three sealed Parquet segments and a WAL tail.

use std::path::{Path, PathBuf};

use kalshi_journal::{
    JournalReader, ReadOptions, RecordReader, VerifyOutcome, verify_run, verify_run_paranoid,
};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sealed-run-v1")
}

#[test]
fn the_fixture_verifies_clean_in_both_modes_with_the_same_head() {
    let trusting = verify_run(&fixture());
    assert_eq!(trusting, verify_run_paranoid(&fixture()));
    match trusting {
        VerifyOutcome::Clean {
            entries, torn_tail, ..
        } => {
            assert!(entries > 0);
            assert_eq!(torn_tail, None);
        }
        other => panic!("expected clean, got {other:?}"),
    }
}

#[test]
fn the_fixture_has_sealed_segments_and_a_wal_tail() {
    let dir = fixture();
    let manifest = kalshi_journal::Manifest::load(&dir).unwrap();
    let sealed = manifest
        .segments
        .iter()
        .filter(|segment| segment.state == kalshi_journal::SegmentState::Sealed)
        .count();
    assert!(sealed >= 2, "{sealed} sealed segments");
    let tail = kalshi_journal::layout::wal_file_name(manifest.next_index());
    assert!(dir.join(tail).exists());
}

#[test]
fn every_record_decodes_and_re_encodes_to_the_bytes_on_disk_in_both_modes() {
    let entries: Vec<_> = JournalReader::open(&fixture(), ReadOptions::paranoid())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for options in [ReadOptions::default(), ReadOptions::paranoid()] {
        let records: Vec<_> = RecordReader::open_with(&fixture(), options)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(records.len(), entries.len());
        for (record, entry) in records.iter().zip(&entries) {
            let again = record.record.to_entry(record.seq, record.ts_ns).unwrap();
            assert_eq!(&again, entry, "seq {}", record.seq);
        }
    }
}
