//! `manifest.json`: the run's identity and the list of closed segments.
//!
//! The manifest names every *closed* segment: closed WAL segments and sealed Parquet
//! segments, each with its sequence range, entry count, SHA-256 digest and the chain hashes
//! it starts from and ends at. The active WAL segment is not listed (it is still growing);
//! it is the highest-numbered `wal-*.log` in the directory. The manifest is only ever
//! replaced atomically, and it never names an entry that is not already durable on disk.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::chain::ChainHash;
use crate::error::{JournalError, Result};
use crate::fsio::atomic_write;
use crate::layout::{MANIFEST_FILE, parquet_file_name, wal_file_name};
use crate::record::RECORD_FORMAT_VERSION;

/// Version of the manifest and of the on-disk formats it describes.
pub const MANIFEST_FORMAT_VERSION: u32 = 1;

/// The record format of manifests that predate [`Manifest::record_format`].
fn first_record_format() -> u32 {
    1
}

/// Identity of a run, supplied by the caller when the journal is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Unique run id (also seeds the hash chain's genesis).
    pub run_id: String,
    /// Build that produced the run (e.g. a git describe string).
    pub build_id: String,
    /// Digest of the effective configuration.
    pub config_hash: String,
    /// Seed of any simulated randomness in the run.
    pub seed: u64,
    /// `"live"`, `"demo"`, `"sim"`, `"backtest"` …
    pub environment: String,
    /// Creation time in nanoseconds since the Unix epoch, read by the caller.
    pub created_ts_ns: i64,
}

/// Whether a closed segment is still a WAL file or has been sealed to Parquet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentState {
    /// A closed, immutable WAL segment.
    Wal,
    /// A sealed Parquet segment; its WAL segment has been (or is being) removed.
    Sealed,
}

/// One closed segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRecord {
    /// Segment number (WAL and Parquet files share it).
    pub index: u64,
    /// WAL or sealed.
    pub state: SegmentState,
    /// File name inside the run directory.
    pub file: String,
    /// Number of entries.
    pub entries: u64,
    /// Sequence number of the first entry (`None` for an empty segment).
    pub first_seq: Option<u64>,
    /// Sequence number of the last entry.
    pub last_seq: Option<u64>,
    /// File size in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the whole file, lower-case hex.
    pub sha256: String,
    /// Chain hash the segment's first entry links to.
    pub prev_chain_hash: ChainHash,
    /// Chain hash of the segment's last entry (equal to `prev_chain_hash` if empty).
    pub last_chain_hash: ChainHash,
}

impl SegmentRecord {
    /// The file name this record should carry for its index and state.
    pub fn expected_file(&self) -> String {
        match self.state {
            SegmentState::Wal => wal_file_name(self.index),
            SegmentState::Sealed => parquet_file_name(self.index),
        }
    }
}

/// The parsed `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_FORMAT_VERSION`].
    pub format_version: u32,
    /// Encoding of the typed record payloads ([`RECORD_FORMAT_VERSION`] of the build that
    /// created the run). Manifests written before the field existed hold format 1, the
    /// encoding of that time.
    #[serde(default = "first_record_format")]
    pub record_format: u32,
    /// Run identity.
    pub run: RunInfo,
    /// First link of the hash chain, derived from the run id.
    pub genesis_hash: ChainHash,
    /// Closed segments in index order: sealed ones first, then closed WAL ones.
    pub segments: Vec<SegmentRecord>,
    /// Whether the writer finished the run ([`crate::JournalWriter::finish_and_seal`]), so no
    /// WAL segment is being written; reopening the run clears it. `None` in manifests written
    /// before the field existed ([`crate::complete`] says how those are judged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<bool>,
}

impl Manifest {
    /// A manifest for a new, unfinished run with no closed segments.
    pub fn new(run: RunInfo) -> Self {
        let genesis_hash = ChainHash::genesis(&run.run_id);
        Self {
            format_version: MANIFEST_FORMAT_VERSION,
            record_format: RECORD_FORMAT_VERSION,
            run,
            genesis_hash,
            segments: Vec::new(),
            finished: Some(false),
        }
    }

    /// Path of the manifest inside `dir`.
    pub fn path(dir: &Path) -> std::path::PathBuf {
        dir.join(MANIFEST_FILE)
    }

    /// Reads and validates `dir/manifest.json`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = Self::path(dir);
        let text = std::fs::read(&path).map_err(|e| JournalError::io(&path, e))?;
        let manifest: Self = serde_json::from_slice(&text)
            .map_err(|e| JournalError::manifest(&path, format!("not valid manifest JSON: {e}")))?;
        manifest.validate(&path)?;
        Ok(manifest)
    }

    /// Atomically replaces `dir/manifest.json` with this manifest.
    pub fn store(&self, dir: &Path) -> Result<()> {
        let path = Self::path(dir);
        self.validate(&path)?;
        let mut text = serde_json::to_vec_pretty(self)
            .map_err(|e| JournalError::manifest(&path, format!("cannot serialize: {e}")))?;
        text.push(b'\n');
        atomic_write(&path, &text)
    }

    /// Checks the invariants every stored manifest satisfies.
    pub fn validate(&self, path: &Path) -> Result<()> {
        let fail = |reason: String| Err(JournalError::manifest(path, reason));
        if self.format_version != MANIFEST_FORMAT_VERSION {
            return fail(format!(
                "format version {} is not the supported version {MANIFEST_FORMAT_VERSION}",
                self.format_version
            ));
        }
        if self.genesis_hash != ChainHash::genesis(&self.run.run_id) {
            return fail("genesis hash does not match the run id".into());
        }
        let mut prev: Option<&SegmentRecord> = None;
        for segment in &self.segments {
            if segment.file != segment.expected_file() {
                return fail(format!(
                    "segment {} names file {:?}, expected {:?}",
                    segment.index,
                    segment.file,
                    segment.expected_file()
                ));
            }
            let seq_shape_ok = match (segment.first_seq, segment.last_seq) {
                (None, None) => segment.entries == 0,
                (Some(first), Some(last)) => {
                    first <= last && segment.entries >= 1 && segment.entries <= last - first + 1
                }
                _ => false,
            };
            if !seq_shape_ok {
                return fail(format!(
                    "segment {} has inconsistent seq range or entry count",
                    segment.index
                ));
            }
            if segment.entries == 0 && segment.prev_chain_hash != segment.last_chain_hash {
                return fail(format!(
                    "empty segment {} has differing chain hashes",
                    segment.index
                ));
            }
            match prev {
                None => {
                    if segment.index != 0 {
                        return fail(format!("first segment is {}, not 0", segment.index));
                    }
                    if segment.prev_chain_hash != self.genesis_hash {
                        return fail("segment 0 does not start from the genesis hash".into());
                    }
                }
                Some(before) => {
                    if segment.index != before.index + 1 {
                        return fail(format!(
                            "segment {} follows segment {}",
                            segment.index, before.index
                        ));
                    }
                    if before.state == SegmentState::Wal && segment.state == SegmentState::Sealed {
                        return fail(format!(
                            "sealed segment {} follows unsealed segment {}",
                            segment.index, before.index
                        ));
                    }
                    if segment.prev_chain_hash != before.last_chain_hash {
                        return fail(format!(
                            "segment {} does not chain to segment {}",
                            segment.index, before.index
                        ));
                    }
                    if let (Some(last), Some(first)) =
                        (last_seq_up_to(self, before), segment.first_seq)
                    {
                        if first <= last {
                            return fail(format!(
                                "segment {} starts at seq {first}, not after seq {last}",
                                segment.index
                            ));
                        }
                    }
                }
            }
            prev = Some(segment);
        }
        Ok(())
    }

    /// Chain hash at the end of the closed segments (the genesis hash if there are none).
    pub fn last_chain_hash(&self) -> ChainHash {
        self.segments
            .last()
            .map_or(self.genesis_hash, |s| s.last_chain_hash)
    }

    /// Last sequence number in the closed segments.
    pub fn last_seq(&self) -> Option<u64> {
        self.segments.iter().rev().find_map(|s| s.last_seq)
    }

    /// Index the next segment after the closed ones gets.
    pub fn next_index(&self) -> u64 {
        self.segments.last().map_or(0, |s| s.index + 1)
    }

    /// The record for segment `index`, if listed.
    pub fn segment(&self, index: u64) -> Option<&SegmentRecord> {
        self.segments.iter().find(|s| s.index == index)
    }
}

/// Last seq among the segments up to and including `upto` (skipping empty ones).
fn last_seq_up_to(manifest: &Manifest, upto: &SegmentRecord) -> Option<u64> {
    manifest
        .segments
        .iter()
        .take_while(|s| s.index <= upto.index)
        .filter_map(|s| s.last_seq)
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> RunInfo {
        RunInfo {
            run_id: "r1".into(),
            build_id: "b".into(),
            config_hash: "c".into(),
            seed: u64::MAX,
            environment: "sim".into(),
            created_ts_ns: 5,
        }
    }

    #[test]
    fn stores_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = Manifest::new(run());
        let genesis = manifest.genesis_hash;
        manifest.segments.push(SegmentRecord {
            index: 0,
            state: SegmentState::Sealed,
            file: parquet_file_name(0),
            entries: 2,
            first_seq: Some(1),
            last_seq: Some(2),
            size_bytes: 10,
            sha256: "00".into(),
            prev_chain_hash: genesis,
            last_chain_hash: genesis.next(b"x"),
        });
        manifest.store(dir.path()).unwrap();
        assert_eq!(Manifest::load(dir.path()).unwrap(), manifest);
        assert!(!dir.path().join("manifest.json.tmp").exists());
    }

    #[test]
    fn rejects_broken_chain_and_order() {
        let mut manifest = Manifest::new(run());
        let genesis = manifest.genesis_hash;
        let record = |index, state, prev: ChainHash| SegmentRecord {
            index,
            state,
            file: match state {
                SegmentState::Wal => wal_file_name(index),
                SegmentState::Sealed => parquet_file_name(index),
            },
            entries: 1,
            first_seq: Some(index + 1),
            last_seq: Some(index + 1),
            size_bytes: 1,
            sha256: String::new(),
            prev_chain_hash: prev,
            last_chain_hash: prev.next(b"e"),
        };
        manifest
            .segments
            .push(record(0, SegmentState::Wal, genesis));
        manifest
            .segments
            .push(record(1, SegmentState::Sealed, genesis.next(b"e")));
        assert!(manifest.validate(Path::new("m")).is_err());
        manifest.segments[1].state = SegmentState::Wal;
        manifest.segments[1].file = wal_file_name(1);
        assert!(manifest.validate(Path::new("m")).is_ok());
        manifest.segments[1].prev_chain_hash = genesis;
        assert!(manifest.validate(Path::new("m")).is_err());
    }
}
