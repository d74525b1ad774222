//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use kalshi_journal::complete::RUN_STARTED_KIND;
use kalshi_journal::{JournalEntry, JournalReader, ReadOptions, RunInfo, WalConfig};

pub fn run_info() -> RunInfo {
    RunInfo {
        run_id: "run-test".into(),
        build_id: "build-1".into(),
        config_hash: "cfg".into(),
        seed: 42,
        environment: "sim".into(),
        created_ts_ns: 1_700_000_000_000_000_000,
    }
}

/// A deterministic entry whose optional fields vary with `seq`. Seq 1 carries the kind of
/// the run header (`run.started`), which a complete journal starts with.
pub fn entry(seq: u64) -> JournalEntry {
    JournalEntry {
        seq,
        ts_ns: 1_000 + seq as i64 * 10,
        kind: if seq == 1 {
            RUN_STARTED_KIND
        } else if seq % 3 == 0 {
            "place_order"
        } else {
            "book_delta"
        }
        .into(),
        market: (seq % 2 == 0).then(|| format!("KX-{}", seq % 5)),
        side: (seq % 3 == 0).then(|| "bid".to_string()),
        price_micros: (seq % 4 != 1).then_some(500_000 + seq as i64),
        count_centi: (seq % 5 != 2).then_some(-(seq as i64) * 100),
        order_id: (seq % 7 == 0).then(|| format!("ord-{seq}")),
        client_order_id: (seq % 3 == 0).then(|| format!("run-test-{seq}")),
        payload: (0..(seq % 40) as u8).map(|b| b.wrapping_mul(31)).collect(),
    }
}

/// Commits every entry immediately unless a test sets other limits.
pub fn config() -> WalConfig {
    WalConfig {
        group_commit_entries_max: 1,
        ..WalConfig::default()
    }
}

/// Reads every entry of a run with full verification.
pub fn read_all(dir: &Path) -> kalshi_journal::Result<Vec<JournalEntry>> {
    JournalReader::open(dir, ReadOptions::default())?.collect()
}

/// Copies the files (not subdirectories) of `from` into a fresh temporary directory.
pub fn copy_dir(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    for item in fs::read_dir(from).unwrap() {
        let path = item.unwrap().path();
        if path.is_file() {
            fs::copy(&path, to.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    to
}

pub fn wal_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("wal-{index:08}.log"))
}

pub fn parquet_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("seg-{index:08}.parquet"))
}

/// Byte offsets where each frame of a freshly written segment starts, plus the end.
pub fn frame_offsets(entries: &[JournalEntry]) -> Vec<u64> {
    let mut offsets = vec![52u64];
    for e in entries {
        let last = *offsets.last().unwrap();
        offsets.push(last + 44 + e.encoded_len());
    }
    offsets
}
