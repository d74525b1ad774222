//! Recovery when a writer opens an existing run directory.
//!
//! First, refuse a directory that lost files (rules 1–4 of [`crate::complete`]; rule 4 only
//! once a segment was closed) before changing anything in it. Then, in order: remove `*.tmp`
//! leftovers; for every segment the manifest lists as sealed whose WAL file is still there (a
//! crash between the manifest update and the WAL removal), check the Parquet digest and remove
//! the WAL file; remove Parquet files the manifest does not list as sealed (a crash before the
//! manifest update — their WAL is still present); scan every remaining WAL segment, strictly
//! except for the last one, which may end in a torn tail that is reported and truncated away;
//! add closed segments the manifest does not list yet (a crash between rotation and the
//! manifest update); once a WAL segment is being written, clear the manifest's `finished`
//! mark; and refuse, with the file, offset and last good seq, anything else.
use std::fs::File;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::chain::ChainHash;
use crate::complete::{check_active_wal, check_segment_files};
use crate::error::{JournalError, Location, Result};
use crate::fsio::{file_sha256, remove_if_exists, sync_dir};
use crate::layout::{list_run_dir, wal_file_name};
use crate::manifest::{Manifest, SegmentRecord, SegmentState};
use crate::wal::{
    ScanMode, SegmentHeader, SegmentScanner, SegmentSummary, TornTail, create_segment,
    open_for_append, truncate_segment,
};

/// What recovery found and did when a run directory was opened for writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Unsealed WAL segments read back (sealed segments are not re-read).
    pub wal_segments_scanned: usize,
    /// Valid entries found in WAL segments (sealed segments are not re-read).
    pub wal_entries: u64,
    /// Last seq in the journal after recovery.
    pub last_seq: Option<u64>,
    /// Chain hash of the last entry (the genesis hash for an empty journal).
    pub head_hash: ChainHash,
    /// The torn tail that was dropped, if any.
    pub torn_tail: Option<TornTail>,
    /// Leftover files removed: temporary files, Parquet files not recorded as sealed, WAL
    /// files whose seal was already recorded.
    pub removed_files: Vec<PathBuf>,
    /// Whether the manifest was rewritten (closed segments it did not list yet, or the
    /// `finished` mark of a finished run cleared).
    pub manifest_updated: bool,
}

/// The WAL segment being appended to.
pub(crate) struct ActiveSegment {
    pub index: u64,
    pub path: PathBuf,
    pub file: File,
    /// Bytes durably written (header plus committed frames).
    pub len_bytes: u64,
    /// Entries appended, including uncommitted ones.
    pub entries: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub prev_hash: ChainHash,
    pub last_hash: ChainHash,
    /// SHA-256 over the committed bytes.
    pub digest: Sha256,
}

impl ActiveSegment {
    /// Creates segment `index` continuing the chain from `prev_hash`.
    pub fn create(dir: &Path, index: u64, prev_hash: ChainHash) -> Result<Self> {
        let path = dir.join(wal_file_name(index));
        let header = SegmentHeader { index, prev_hash };
        let file = create_segment(&path, &header)?;
        let mut digest = Sha256::new();
        digest.update(header.to_bytes());
        Ok(Self {
            index,
            path,
            file,
            len_bytes: crate::wal::SEGMENT_HEADER_LEN_BYTES,
            entries: 0,
            first_seq: None,
            last_seq: None,
            prev_hash,
            last_hash: prev_hash,
            digest,
        })
    }

    fn resume(summary: SegmentSummary) -> Result<Self> {
        let Some(digest) = summary.digest else {
            return Err(JournalError::corrupt(
                Location::file(&summary.path),
                "segment was scanned without its digest, so it cannot be resumed",
            ));
        };
        let file = open_for_append(&summary.path)?;
        Ok(Self {
            index: summary.index,
            path: summary.path,
            file,
            len_bytes: summary.valid_len_bytes,
            entries: summary.entries,
            first_seq: summary.first_seq,
            last_seq: summary.last_seq,
            prev_hash: summary.prev_hash,
            last_hash: summary.last_hash,
            digest,
        })
    }

    /// The manifest record of this segment once closed (all entries must be committed).
    pub fn closed_record(&self) -> SegmentRecord {
        SegmentRecord {
            index: self.index,
            state: SegmentState::Wal,
            file: wal_file_name(self.index),
            entries: self.entries,
            first_seq: self.first_seq,
            last_seq: self.last_seq,
            size_bytes: self.len_bytes,
            sha256: crate::chain::hex_encode(&self.digest.clone().finalize()),
            prev_chain_hash: self.prev_hash,
            last_chain_hash: self.last_hash,
        }
    }
}

fn record_from_summary(summary: &SegmentSummary) -> SegmentRecord {
    SegmentRecord {
        index: summary.index,
        state: SegmentState::Wal,
        file: wal_file_name(summary.index),
        entries: summary.entries,
        first_seq: summary.first_seq,
        last_seq: summary.last_seq,
        size_bytes: summary.valid_len_bytes,
        // A scan without the digest yields an empty digest, which matches no record.
        sha256: summary.sha256_hex().unwrap_or_default(),
        prev_chain_hash: summary.prev_hash,
        last_chain_hash: summary.last_hash,
    }
}

/// Compares a scanned closed WAL segment with its manifest record.
pub(crate) fn check_closed_wal(record: &SegmentRecord, summary: &SegmentSummary) -> Result<()> {
    let scanned = record_from_summary(summary);
    if scanned != *record {
        return Err(JournalError::corrupt(
            Location::file(&summary.path).after(summary.last_seq),
            "closed WAL segment differs from its manifest record (digest, size, seq range or chain)",
        ));
    }
    Ok(())
}

/// Runs recovery on `dir`, returning the manifest, the segment to append to and a report.
pub(crate) fn recover(dir: &Path) -> Result<(Manifest, ActiveSegment, RecoveryReport)> {
    let mut manifest = Manifest::load(dir)?;
    let listing = list_run_dir(dir)?;
    // Refuse a directory that lost files before touching anything in it. A manifest with no
    // segments and no WAL file is what a crash inside `create` leaves; the writer starts over.
    let first_unsealed = check_segment_files(dir, &manifest, &listing)?;
    if !manifest.segments.is_empty() {
        check_active_wal(dir, &manifest, &listing)?;
    }
    let mut removed_files = Vec::new();
    let mut manifest_updated = false;

    for tmp in &listing.tmp {
        if remove_if_exists(tmp)? {
            removed_files.push(tmp.clone());
        }
    }

    let sealed: Vec<SegmentRecord> = manifest
        .segments
        .iter()
        .filter(|s| s.state == SegmentState::Sealed)
        .cloned()
        .collect();
    for record in &sealed {
        let path = dir.join(&record.file);
        if let Some(wal_path) = listing.wal.get(&record.index) {
            if file_sha256(&path)? != record.sha256 {
                return Err(JournalError::corrupt(
                    Location::file(&path).after(record.last_seq),
                    "sealed segment's digest differs from the manifest",
                ));
            }
            if remove_if_exists(wal_path)? {
                removed_files.push(wal_path.clone());
            }
        }
    }
    // Each of these lies beside its WAL segment (checked above): an interrupted seal.
    for (index, path) in &listing.parquet {
        let recorded_sealed = manifest
            .segment(*index)
            .is_some_and(|r| r.state == SegmentState::Sealed);
        if !recorded_sealed && remove_if_exists(path)? {
            removed_files.push(path.clone());
        }
    }

    let wal: Vec<(u64, PathBuf)> = listing
        .wal
        .into_iter()
        .filter(|(index, _)| *index >= first_unsealed)
        .collect();

    let mut head_hash = sealed
        .last()
        .map_or(manifest.genesis_hash, |s| s.last_chain_hash);
    let mut last_seq = sealed.iter().rev().find_map(|s| s.last_seq);
    let mut wal_entries = 0u64;
    let mut torn_tail = None;
    let mut active = None;
    let last_index = wal.last().map(|(index, _)| *index);
    for (index, path) in &wal {
        let listed = manifest.segment(*index).cloned();
        let is_tail = Some(*index) == last_index && listed.is_none();
        let mode = if is_tail {
            ScanMode::AllowTornTail
        } else {
            ScanMode::Strict
        };
        let summary = SegmentScanner::open(path, *index, head_hash, last_seq, mode)?.finish()?;
        wal_entries += summary.entries;
        head_hash = summary.last_hash;
        last_seq = summary.last_seq.or(last_seq);
        match listed {
            Some(record) => check_closed_wal(&record, &summary)?,
            None if !is_tail => {
                manifest.segments.push(record_from_summary(&summary));
                manifest_updated = true;
            }
            None => {
                if let Some(torn) = &summary.torn_tail {
                    truncate_segment(path, summary.valid_len_bytes)?;
                    torn_tail = Some(torn.clone());
                }
                active = Some(ActiveSegment::resume(summary)?);
            }
        }
    }

    let active = match active {
        Some(active) => active,
        None => ActiveSegment::create(dir, manifest.next_index(), head_hash)?,
    };
    // Only now that a WAL segment is being written again may the manifest say so.
    if manifest.finished != Some(false) {
        manifest.finished = Some(false);
        manifest_updated = true;
    }
    if manifest_updated {
        manifest.store(dir)?;
    }
    if !removed_files.is_empty() {
        sync_dir(dir)?;
    }
    let report = RecoveryReport {
        wal_segments_scanned: wal.len(),
        wal_entries,
        last_seq,
        head_hash,
        torn_tail,
        removed_files,
        manifest_updated,
    };
    Ok((manifest, active, report))
}
