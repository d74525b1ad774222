//! A run directory that lost files is corrupt, never a short or empty run: the rules of
//! `kalshi_journal::complete`, through `verify_run`, the typed reader, `check_complete` and
//! writer recovery, on real runs written with the typed writer — and the crash states the
//! writer and sealing leave stay clean.

mod common;
mod typed_support;

use std::fs;
use std::path::Path;

use common::{copy_dir, parquet_path, wal_path};
use kalshi_core::events::Event;
use kalshi_journal::{
    JournalError, JournalWriter, Location, Manifest, RecordReader, TypedJournalWriter,
    VerifyOutcome, WalConfig, check_complete, verify_run,
};
use typed_support::*;

/// The corruption `verify_run` reports, or a panic naming what it said instead.
fn corrupt(dir: &Path) -> (Location, String) {
    match verify_run(dir) {
        VerifyOutcome::Corrupt { at, reason } => (at, reason),
        other => panic!("expected corrupt, got {other:?}"),
    }
}

fn clean_entries(dir: &Path) -> u64 {
    match verify_run(dir) {
        VerifyOutcome::Clean { entries, .. } => entries,
        other => panic!("expected clean, got {other:?}"),
    }
}

/// Every reader refuses `dir` with a corruption error naming `file` and saying `what`.
fn every_reader_refuses(dir: &Path, file: &str, what: &str) {
    let (at, reason) = corrupt(dir);
    assert!(at.file.ends_with(file), "{at}: {reason}");
    assert!(reason.contains(what), "{reason}");
    assert_eq!(verify_run(dir).exit_code(), 1);
    match check_complete(dir) {
        Err(JournalError::Corrupt { at, reason }) => {
            assert!(at.file.ends_with(file), "{at}: {reason}");
            assert!(reason.contains(what), "{reason}");
        }
        other => panic!("check_complete: {other:?}"),
    }
    match RecordReader::open(dir) {
        Ok(_) => panic!("the typed reader opened an incomplete journal"),
        Err(error) => assert!(error.to_string().contains(what), "{error}"),
    }
    assert!(RecordReader::open_read_ahead(dir).is_err());
}

fn rewrite_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = Manifest::path(dir);
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    edit(&mut manifest);
    fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
}

/// A real engine run, sealed by reopening it and finishing.
fn sealed_run(dir: &Path) -> usize {
    let run = engine_run(dir);
    let (writer, _) = JournalWriter::open(dir, WalConfig::default()).unwrap();
    writer.finish_and_seal().unwrap();
    run.written.len()
}

/// A run with small segments: several closed WAL segments and the one being written.
fn multi_segment_run(dir: &Path) -> u64 {
    let mut recorder = Recorder::create_with(
        dir,
        WalConfig {
            segment_bytes_max: 2_048,
            group_commit_entries_max: 1,
            ..WalConfig::default()
        },
    );
    for clock in 0..60 {
        recorder.input(Event::BookDelta(delta(
            TICKER,
            kalshi_core::BookSide::Bid,
            "0.40",
            100,
            clock,
        )));
    }
    let active = recorder.writer.inner().active_segment_index();
    assert!(active >= 2, "the run should span several segments");
    recorder.writer.close().unwrap();
    active
}

#[test]
fn a_killed_run_is_clean_with_its_wal_and_corrupt_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = engine_run(dir.path());
    assert_eq!(clean_entries(dir.path()), run.written.len() as u64);
    check_complete(dir.path()).unwrap();
    assert!(RecordReader::open(dir.path()).is_ok());

    fs::remove_file(wal_path(dir.path(), 0)).unwrap();
    every_reader_refuses(
        dir.path(),
        "wal-00000000.log",
        "WAL segment being written is missing",
    );
}

#[test]
fn a_lost_wal_segment_of_a_longer_run_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let active = multi_segment_run(dir.path());
    assert_eq!(clean_entries(dir.path()), 61);

    let lost_active = copy_dir(dir.path());
    fs::remove_file(wal_path(lost_active.path(), active)).unwrap();
    every_reader_refuses(
        lost_active.path(),
        &format!("wal-{active:08}.log"),
        "WAL segment being written is missing",
    );

    let lost_closed = copy_dir(dir.path());
    fs::remove_file(wal_path(lost_closed.path(), 1)).unwrap();
    every_reader_refuses(
        lost_closed.path(),
        "wal-00000002.log",
        "WAL segment wal-00000001.log is missing before this one",
    );
}

#[test]
fn an_emptied_segment_list_names_the_unlisted_parquet_file() {
    let dir = tempfile::tempdir().unwrap();
    let written = sealed_run(dir.path());
    assert_eq!(clean_entries(dir.path()), written as u64);
    assert!(!wal_path(dir.path(), 0).exists());

    rewrite_manifest(dir.path(), |manifest| {
        manifest["segments"] = serde_json::json!([]);
    });
    every_reader_refuses(
        dir.path(),
        "seg-00000000.parquet",
        "is not listed in the manifest",
    );
    // Writer recovery refuses too, and leaves the sealed file where it is.
    assert!(matches!(
        JournalWriter::open(dir.path(), WalConfig::default()),
        Err(JournalError::Corrupt { .. })
    ));
    assert!(parquet_path(dir.path(), 0).exists());
}

#[test]
fn a_missing_listed_parquet_file_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    sealed_run(dir.path());
    fs::remove_file(parquet_path(dir.path(), 0)).unwrap();
    every_reader_refuses(
        dir.path(),
        "seg-00000000.parquet",
        "sealed segment listed in the manifest is missing",
    );
}

#[test]
fn a_journal_without_its_run_header_is_corrupt() {
    // Created, then nothing written: the manifest and an empty WAL segment.
    let empty = tempfile::tempdir().unwrap();
    TypedJournalWriter::create(empty.path(), run_info(), WalConfig::default())
        .unwrap()
        .close()
        .unwrap();
    every_reader_refuses(
        empty.path(),
        "manifest.json",
        "no run.started record: the journal holds no entries",
    );

    // The same, finished and sealed: still nothing in it.
    let (writer, _) = JournalWriter::open(empty.path(), WalConfig::default()).unwrap();
    writer.finish_and_seal().unwrap();
    every_reader_refuses(empty.path(), "manifest.json", "no run.started record");

    // Records, but no header first.
    let headless = tempfile::tempdir().unwrap();
    let mut writer =
        TypedJournalWriter::create(headless.path(), run_info(), WalConfig::default()).unwrap();
    let envelope = writer.stamp(5, Event::BookSnapshot(snapshot(TICKER)));
    writer.append_input(&envelope).unwrap();
    writer.close().unwrap();
    let (at, reason) = corrupt(headless.path());
    assert_eq!(at.bad_seq, Some(1));
    assert!(reason.contains("no run.started record"), "{reason}");
    assert!(reason.contains("input.book_snapshot"), "{reason}");
    assert!(RecordReader::open(headless.path()).is_err());
}

#[test]
fn a_torn_tail_stays_clean() {
    let dir = tempfile::tempdir().unwrap();
    let run = engine_run(dir.path());
    let wal = wal_path(dir.path(), 0);
    let mut bytes = fs::read(&wal).unwrap();
    bytes.extend_from_slice(&[0x17; 11]);
    fs::write(&wal, bytes).unwrap();
    match verify_run(dir.path()) {
        VerifyOutcome::Clean {
            entries, torn_tail, ..
        } => {
            assert_eq!(entries, run.written.len() as u64);
            assert_eq!(torn_tail.unwrap().bytes_dropped, 11);
        }
        other => panic!("expected clean, got {other:?}"),
    }
    check_complete(dir.path()).unwrap();
}

#[test]
fn the_crash_states_of_rotation_sealing_and_finishing_stay_clean() {
    // Segment 0 closed and listed, segment 1 being written (empty).
    let base = tempfile::tempdir().unwrap();
    let mut recorder = Recorder::create(base.path());
    recorder.input(Event::BookSnapshot(snapshot(TICKER)));
    recorder.writer.inner_mut().rotate().unwrap();
    recorder.writer.close().unwrap();
    assert_eq!(clean_entries(base.path()), 2);

    // Segment 0 sealed mid-run: the manifest lists it sealed, its WAL file is gone.
    let sealed = copy_dir(base.path());
    let (mut writer, _) = JournalWriter::open(sealed.path(), WalConfig::default()).unwrap();
    writer.seal_closed_segments().unwrap();
    drop(writer);
    assert!(!wal_path(sealed.path(), 0).exists());
    assert_eq!(clean_entries(sealed.path()), 2);

    // A crash after the Parquet rename, before the manifest update.
    let renamed = copy_dir(base.path());
    fs::copy(
        parquet_path(sealed.path(), 0),
        parquet_path(renamed.path(), 0),
    )
    .unwrap();
    assert_eq!(clean_entries(renamed.path()), 2);

    // A crash after the manifest update, before the WAL removal.
    let recorded = copy_dir(sealed.path());
    fs::copy(wal_path(base.path(), 0), wal_path(recorded.path(), 0)).unwrap();
    assert_eq!(clean_entries(recorded.path()), 2);

    // A crash inside finish_and_seal: the manifest marks the run finished, the empty segment
    // being written is removed, nothing is sealed yet.
    let finishing = copy_dir(base.path());
    rewrite_manifest(finishing.path(), |manifest| {
        manifest["finished"] = serde_json::json!(true);
    });
    fs::remove_file(wal_path(finishing.path(), 1)).unwrap();
    assert_eq!(clean_entries(finishing.path()), 2);
    // Recovery picks it up: a new segment is written and the mark is cleared.
    let (writer, report) = JournalWriter::open(finishing.path(), WalConfig::default()).unwrap();
    assert!(report.manifest_updated);
    assert_eq!(writer.manifest().finished, Some(false));
    drop(writer);
    assert!(wal_path(finishing.path(), 1).exists());
    assert_eq!(clean_entries(finishing.path()), 2);

    // Each recovers, and the result verifies.
    for dir in [&renamed, &recorded] {
        let (writer, _) = JournalWriter::open(dir.path(), WalConfig::default()).unwrap();
        writer.finish_and_seal().unwrap();
        assert_eq!(clean_entries(dir.path()), 2);
    }
}

#[test]
fn a_reopened_finished_run_needs_its_new_wal_segment() {
    let dir = tempfile::tempdir().unwrap();
    let written = sealed_run(dir.path()) as u64;
    assert_eq!(Manifest::load(dir.path()).unwrap().finished, Some(true));
    let (writer, _) = JournalWriter::open(dir.path(), WalConfig::default()).unwrap();
    let active = writer.active_segment_index();
    writer.close().unwrap();
    assert_eq!(Manifest::load(dir.path()).unwrap().finished, Some(false));
    assert_eq!(clean_entries(dir.path()), written);
    fs::remove_file(wal_path(dir.path(), active)).unwrap();
    every_reader_refuses(
        dir.path(),
        &format!("wal-{active:08}.log"),
        "WAL segment being written is missing",
    );
}

#[test]
fn a_manifest_from_before_the_finished_mark_is_judged_by_its_segments() {
    // A finished run: every listed segment sealed, no WAL file.
    let sealed = tempfile::tempdir().unwrap();
    let written = sealed_run(sealed.path()) as u64;
    rewrite_manifest(sealed.path(), |manifest| {
        manifest.as_object_mut().unwrap().remove("finished");
    });
    assert_eq!(Manifest::load(sealed.path()).unwrap().finished, None);
    assert_eq!(clean_entries(sealed.path()), written);

    // A killed run whose WAL segment being written was deleted.
    let killed = tempfile::tempdir().unwrap();
    let active = multi_segment_run(killed.path());
    rewrite_manifest(killed.path(), |manifest| {
        manifest.as_object_mut().unwrap().remove("finished");
    });
    assert_eq!(clean_entries(killed.path()), 61);
    fs::remove_file(wal_path(killed.path(), active)).unwrap();
    every_reader_refuses(
        killed.path(),
        &format!("wal-{active:08}.log"),
        "WAL segment being written is missing",
    );
}
