//! Completeness: whether a run directory still holds everything its manifest and its writer
//! put there, so that a journal which lost files never reads as a short or empty run.
//!
//! # What a run directory holds over its life
//!
//! - **Created** ([`crate::JournalWriter::create`]): the manifest (no segments, not finished),
//!   then `wal-00000000.log`; the typed writer's first record is `run.started`.
//! - **Mid-run**: closed segments are listed in the manifest (as WAL, or sealed once
//!   [`crate::JournalWriter::seal_closed_segments`] ran); the segment being written is the one
//!   `wal-N.log` past them. Rotation creates the next WAL file *before* the manifest lists the
//!   closed one, so a crash there leaves an unlisted closed WAL file followed by the new one.
//! - **Sealing** ([`crate::seal`]): a crash after the rename leaves `seg-N.parquet` unlisted
//!   beside its intact `wal-N.log`; a crash after the manifest update leaves `wal-N.log` beside a
//!   sealed `seg-N.parquet`.
//! - **Finished** ([`crate::JournalWriter::finish_and_seal`]): the manifest lists the last
//!   segment and records `finished` in one atomic replace; then every WAL segment is sealed and
//!   removed. A finished run has no WAL file, or (crash while sealing) only listed ones.
//!   Reopening a finished run creates a new WAL segment first and then clears `finished`.
//!
//! # The rules
//!
//! A run directory is complete when:
//!
//! 1. every segment the manifest lists as sealed has its `seg-N.parquet`;
//! 2. every `seg-N.parquet` the manifest does not list as sealed lies beside its `wal-N.log`
//!    (an interrupted seal); without it, the manifest has lost a sealed segment;
//! 3. the WAL files from the first unsealed segment on are numbered without a gap, and every
//!    segment the manifest lists as a closed WAL segment has its `wal-N.log`;
//! 4. a run that is not finished has the WAL segment being written: a `wal-N.log` past the
//!    listed segments. A manifest written before the `finished` field existed counts as
//!    finished when it lists at least one segment and all of them are sealed (the only state
//!    such a writer left without a WAL file);
//! 5. the first entry is the `run.started` record (the typed writer's run header); a journal
//!    with no entries has none, so an empty journal is incomplete.
//!
//! Rules 1–4 look only at the manifest and the file names ([`check_segment_files`],
//! [`check_active_wal`]) and are applied by [`crate::JournalReader::open`], so every reader
//! (and [`crate::verify_run`], replay and risk restore on top of it) refuses an incomplete
//! directory. Rule 5 needs the first entry: [`check_run_started`] is applied by
//! [`crate::verify_run`] and [`crate::RecordReader`] on the stream they read anyway.
//! Writer recovery applies rules 1–3, and rule 4 once any segment was closed (a crash inside
//! `create` leaves a manifest with no segments and no WAL file, which recovery repairs).
//! [`crate::check_complete`] (in `reader.rs`, as it reads the first entry) applies all five
//! on its own.
//!
//! The manifest is not authenticated: these rules catch lost files and an emptied segment
//! list, not a manifest rewritten to describe a shorter run consistently.

use std::path::Path;

use crate::entry::JournalEntry;
use crate::error::{JournalError, Location, Result};
use crate::layout::{RunListing, parquet_file_name, wal_file_name};
use crate::manifest::{Manifest, SegmentState};

/// Index kind of the run header record (see [`crate::record`]).
pub const RUN_STARTED_KIND: &str = "run.started";

/// Rules 1–3: the segment files the manifest lists are present, an unlisted Parquet file is
/// an interrupted seal, and the WAL files have no gap. Returns the index of the first segment
/// that is not sealed.
pub fn check_segment_files(dir: &Path, manifest: &Manifest, listing: &RunListing) -> Result<u64> {
    let mut first_unsealed = 0u64;
    for record in &manifest.segments {
        if record.state == SegmentState::Sealed {
            if !listing.parquet.contains_key(&record.index) {
                return Err(JournalError::corrupt(
                    Location::file(&dir.join(&record.file)),
                    "sealed segment listed in the manifest is missing",
                ));
            }
            first_unsealed = record.index + 1;
        }
    }
    for (index, path) in &listing.parquet {
        let listed_sealed = manifest
            .segment(*index)
            .is_some_and(|record| record.state == SegmentState::Sealed);
        if !listed_sealed && !listing.wal.contains_key(index) {
            return Err(JournalError::corrupt(
                Location::file(path),
                format!(
                    "sealed segment {} is not listed in the manifest and its WAL segment {} is \
                     gone: the manifest has lost this segment",
                    parquet_file_name(*index),
                    wal_file_name(*index)
                ),
            ));
        }
    }
    for (expected, (index, path)) in (first_unsealed..).zip(listing.wal.range(first_unsealed..)) {
        if *index != expected {
            return Err(JournalError::corrupt(
                Location::file(path),
                format!(
                    "WAL segment {} is missing before this one",
                    wal_file_name(expected)
                ),
            ));
        }
    }
    if let Some(missing) = manifest
        .segments
        .iter()
        .find(|s| s.state == SegmentState::Wal && !listing.wal.contains_key(&s.index))
    {
        return Err(JournalError::corrupt(
            Location::file(&dir.join(&missing.file)),
            "closed WAL segment listed in the manifest is missing",
        ));
    }
    Ok(first_unsealed)
}

/// Rule 4: a run that is not finished has the WAL segment being written.
pub fn check_active_wal(dir: &Path, manifest: &Manifest, listing: &RunListing) -> Result<()> {
    let next = manifest.next_index();
    if listing.wal.range(next..).next().is_some() {
        return Ok(());
    }
    let finished = match manifest.finished {
        Some(finished) => finished,
        None => {
            !manifest.segments.is_empty()
                && manifest
                    .segments
                    .iter()
                    .all(|s| s.state == SegmentState::Sealed)
        }
    };
    if finished {
        return Ok(());
    }
    Err(JournalError::corrupt(
        Location::file(&dir.join(wal_file_name(next))),
        format!(
            "the WAL segment being written is missing: the run is not finished and no WAL \
             segment follows the {} segment(s) the manifest lists",
            manifest.segments.len()
        ),
    ))
}

/// Rule 5: `first`, the journal's first entry, is the `run.started` record.
pub fn check_run_started(dir: &Path, first: Option<&JournalEntry>) -> Result<()> {
    match first {
        Some(entry) if entry.kind == RUN_STARTED_KIND => Ok(()),
        Some(entry) => Err(JournalError::corrupt(
            Location::file(dir).seq(entry.seq),
            format!(
                "no run.started record: the first entry is {:?}, not the run header",
                entry.kind
            ),
        )),
        None => Err(JournalError::corrupt(
            Location::file(&Manifest::path(dir)),
            "no run.started record: the journal holds no entries",
        )),
    }
}

/// Rules 1–4 on a loaded manifest and listing, as the readers apply them.
pub(crate) fn check_files(dir: &Path, manifest: &Manifest, listing: &RunListing) -> Result<u64> {
    let first_unsealed = check_segment_files(dir, manifest, listing)?;
    check_active_wal(dir, manifest, listing)?;
    Ok(first_unsealed)
}
