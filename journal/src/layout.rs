//! File names inside a run directory, and listing them.
//!
//! ```text
//! run_dir/
//!   manifest.json              run identity and the segment list (atomically replaced)
//!   wal-00000000.log           write-ahead-log segments, numbered from 0
//!   seg-00000000.parquet       sealed segments (same number as the WAL they replaced)
//!   *.tmp                      in-progress writes; never read, removed on open
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{JournalError, Result};
use crate::fsio::TMP_SUFFIX;

/// Name of the manifest file.
pub const MANIFEST_FILE: &str = "manifest.json";

const WAL_PREFIX: &str = "wal-";
const WAL_SUFFIX: &str = ".log";
const PARQUET_PREFIX: &str = "seg-";
const PARQUET_SUFFIX: &str = ".parquet";

/// File name of WAL segment `index`.
pub fn wal_file_name(index: u64) -> String {
    format!("{WAL_PREFIX}{index:08}{WAL_SUFFIX}")
}

/// File name of sealed segment `index`.
pub fn parquet_file_name(index: u64) -> String {
    format!("{PARQUET_PREFIX}{index:08}{PARQUET_SUFFIX}")
}

fn parse_index(name: &str, prefix: &str, suffix: &str) -> Option<u64> {
    let digits = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let index: u64 = digits.parse().ok()?;
    // Only the canonical spelling counts, so two names never map to one index.
    (digits.len() >= 8 && format!("{index:08}") == digits).then_some(index)
}

/// What a run directory holds, by kind.
#[derive(Debug, Default)]
pub struct RunListing {
    /// WAL segments by index.
    pub wal: BTreeMap<u64, PathBuf>,
    /// Parquet segments by index (sealed or not; the manifest decides).
    pub parquet: BTreeMap<u64, PathBuf>,
    /// Leftover temporary files.
    pub tmp: Vec<PathBuf>,
}

/// Lists the journal files of `dir`; other files are ignored.
pub fn list_run_dir(dir: &Path) -> Result<RunListing> {
    let mut listing = RunListing::default();
    let entries = fs::read_dir(dir).map_err(|e| JournalError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| JournalError::io(dir, e))?;
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(TMP_SUFFIX) {
            listing.tmp.push(path);
        } else if let Some(index) = parse_index(name, WAL_PREFIX, WAL_SUFFIX) {
            listing.wal.insert(index, path);
        } else if let Some(index) = parse_index(name, PARQUET_PREFIX, PARQUET_SUFFIX) {
            listing.parquet.insert(index, path);
        }
    }
    listing.tmp.sort();
    Ok(listing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        assert_eq!(
            parse_index(&wal_file_name(12), WAL_PREFIX, WAL_SUFFIX),
            Some(12)
        );
        assert_eq!(
            parse_index(
                &parquet_file_name(123_456_789),
                PARQUET_PREFIX,
                PARQUET_SUFFIX
            ),
            Some(123_456_789)
        );
        assert_eq!(parse_index("wal-12.log", WAL_PREFIX, WAL_SUFFIX), None);
        assert_eq!(
            parse_index("wal-0000001x.log", WAL_PREFIX, WAL_SUFFIX),
            None
        );
        assert_eq!(
            parse_index("wal-+0000001.log", WAL_PREFIX, WAL_SUFFIX),
            None
        );
    }
}
