//! The journal writer: buffered appends with group commit, durable appends, segment
//! rotation by size, and sealing of closed segments.
//!
//! There must be one writer per run directory (the sequencer); the crate does not lock the
//! directory. Dropping a writer without [`JournalWriter::close`] behaves like a crash:
//! entries not yet committed are lost, everything committed survives.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::chain::ChainHash;
use crate::entry::JournalEntry;
use crate::error::{JournalError, Result};
use crate::fsio::{remove_if_exists, sync_dir};
use crate::layout::wal_file_name;
use crate::manifest::{Manifest, RunInfo, SegmentRecord, SegmentState};
use crate::recovery::{ActiveSegment, RecoveryReport, recover};
use crate::seal::seal_segment;
use crate::wal::{
    FRAME_BODY_LEN_MAX_BYTES, FRAME_HEADER_LEN_BYTES, SEGMENT_HEADER_LEN_BYTES, encode_frame,
};

/// Limits for segment size and group commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalConfig {
    /// A segment is closed and a new one started before it would grow past this size
    /// (a segment always takes at least one entry, however large).
    pub segment_bytes_max: u64,
    /// Commit once this many entries are buffered.
    pub group_commit_entries_max: usize,
    /// Commit once this many frame bytes are buffered.
    pub group_commit_bytes_max: usize,
    /// Commit once the oldest buffered entry has waited this long (by the caller's clock).
    pub group_commit_interval_ns: i64,
}

impl Default for WalConfig {
    fn default() -> Self {
        Self {
            segment_bytes_max: 64 << 20,
            group_commit_entries_max: 512,
            group_commit_bytes_max: 1 << 20,
            group_commit_interval_ns: 2_000_000,
        }
    }
}

impl WalConfig {
    /// Checks that every limit is usable.
    pub fn validate(&self) -> Result<()> {
        let fail = |reason: &str| {
            Err(JournalError::InvalidConfig {
                reason: reason.to_owned(),
            })
        };
        if self.segment_bytes_max < SEGMENT_HEADER_LEN_BYTES + FRAME_HEADER_LEN_BYTES {
            return fail("segment_bytes_max is smaller than a segment header and one frame");
        }
        if self.group_commit_entries_max == 0 {
            return fail("group_commit_entries_max must be at least 1");
        }
        if self.group_commit_bytes_max == 0 {
            return fail("group_commit_bytes_max must be at least 1");
        }
        if self.group_commit_interval_ns < 0 {
            return fail("group_commit_interval_ns must not be negative");
        }
        Ok(())
    }
}

/// Appends entries to a run directory. See the module documentation.
pub struct JournalWriter {
    dir: PathBuf,
    config: WalConfig,
    manifest: Manifest,
    active: ActiveSegment,
    /// Encoded frames not yet written.
    pending: Vec<u8>,
    pending_entries: usize,
    pending_since_ns: Option<i64>,
    head_hash: ChainHash,
    last_seq: Option<u64>,
    durable_seq: Option<u64>,
    body: Vec<u8>,
    poisoned: Option<String>,
    #[cfg(test)]
    fail_next_sync: bool,
}

impl JournalWriter {
    /// Creates a new journal in `dir` (created if missing). Fails with
    /// [`JournalError::AlreadyExists`] if `dir` already holds a manifest.
    pub fn create(dir: &Path, run: RunInfo, config: WalConfig) -> Result<Self> {
        config.validate()?;
        std::fs::create_dir_all(dir).map_err(|e| JournalError::io(dir, e))?;
        if Manifest::path(dir).exists() || dir.join(wal_file_name(0)).exists() {
            return Err(JournalError::AlreadyExists {
                path: dir.to_path_buf(),
            });
        }
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
        let manifest = Manifest::new(run);
        manifest.store(dir)?;
        let active = ActiveSegment::create(dir, 0, manifest.genesis_hash)?;
        Ok(Self::assemble(dir, config, manifest, active, None))
    }

    /// Opens an existing journal, running recovery (see [`crate::recovery`]).
    pub fn open(dir: &Path, config: WalConfig) -> Result<(Self, RecoveryReport)> {
        config.validate()?;
        let (manifest, active, report) = recover(dir)?;
        let writer = Self::assemble(dir, config, manifest, active, report.last_seq);
        Ok((writer, report))
    }

    fn assemble(
        dir: &Path,
        config: WalConfig,
        manifest: Manifest,
        active: ActiveSegment,
        last_seq: Option<u64>,
    ) -> Self {
        Self {
            dir: dir.to_path_buf(),
            config,
            head_hash: active.last_hash,
            manifest,
            active,
            pending: Vec::new(),
            pending_entries: 0,
            pending_since_ns: None,
            last_seq,
            durable_seq: last_seq,
            body: Vec::new(),
            poisoned: None,
            #[cfg(test)]
            fail_next_sync: false,
        }
    }

    /// Buffers `entry`; commits (write + fdatasync) when the buffered entry count, byte size
    /// or age — measured against `now_ns`, the caller's clock — reaches its limit.
    pub fn append(&mut self, entry: &JournalEntry, now_ns: i64) -> Result<()> {
        self.buffer(entry)?;
        let since_ns = *self.pending_since_ns.get_or_insert(now_ns);
        if self.pending_entries >= self.config.group_commit_entries_max
            || self.pending.len() >= self.config.group_commit_bytes_max
            || now_ns.saturating_sub(since_ns) >= self.config.group_commit_interval_ns
        {
            self.commit()?;
        }
        Ok(())
    }

    /// Appends `entry` and returns only once it (and everything before it) is on disk.
    /// Use it for commands that must be journaled before they leave the process.
    pub fn append_durable(&mut self, entry: &JournalEntry) -> Result<()> {
        self.buffer(entry)?;
        self.commit()
    }

    /// Commits the buffered entries if the oldest has waited at least the group-commit
    /// interval by `now_ns`. Returns whether a commit happened.
    pub fn flush_if_due(&mut self, now_ns: i64) -> Result<bool> {
        self.check_poison()?;
        let due = self.pending_since_ns.is_some_and(|since_ns| {
            now_ns.saturating_sub(since_ns) >= self.config.group_commit_interval_ns
        });
        if due {
            self.commit()?;
        }
        Ok(due)
    }

    /// Writes and fdatasyncs all buffered entries. A failure poisons the writer.
    pub fn commit(&mut self) -> Result<()> {
        self.check_poison()?;
        if self.pending.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.active.file.write_all(&self.pending) {
            return Err(self.poison(JournalError::io(&self.active.path, e)));
        }
        if let Err(e) = self.sync_active() {
            return Err(self.poison(JournalError::io(&self.active.path, e)));
        }
        sha2::Digest::update(&mut self.active.digest, &self.pending);
        self.active.len_bytes += self.pending.len() as u64;
        self.pending.clear();
        self.pending_entries = 0;
        self.pending_since_ns = None;
        self.durable_seq = self.last_seq;
        Ok(())
    }

    fn sync_active(&mut self) -> std::io::Result<()> {
        #[cfg(test)]
        if std::mem::take(&mut self.fail_next_sync) {
            return Err(std::io::Error::other("injected fsync failure"));
        }
        self.active.file.sync_data()
    }

    /// Commits, closes the active segment (recording it in the manifest) and starts a new
    /// one. Does nothing if the active segment holds no entries.
    pub fn rotate(&mut self) -> Result<()> {
        self.commit()?;
        if self.active.entries == 0 {
            return Ok(());
        }
        let record = self.active.closed_record();
        let next = match ActiveSegment::create(&self.dir, self.active.index + 1, self.head_hash) {
            Ok(next) => next,
            Err(e) => return Err(self.poison(e)),
        };
        self.active = next;
        self.manifest.segments.push(record);
        if let Err(e) = self.manifest.store(&self.dir) {
            return Err(self.poison(e));
        }
        Ok(())
    }

    /// Seals every closed WAL segment to Parquet, oldest first, and removes each WAL file
    /// once the manifest records its seal. Returns the new manifest records.
    pub fn seal_closed_segments(&mut self) -> Result<Vec<SegmentRecord>> {
        self.check_poison()?;
        let mut sealed = Vec::new();
        while let Some(position) = self
            .manifest
            .segments
            .iter()
            .position(|s| s.state == SegmentState::Wal)
        {
            let record = self.manifest.segments[position].clone();
            let seq_before = self.manifest.segments[..position]
                .iter()
                .rev()
                .find_map(|s| s.last_seq);
            let sealed_record = seal_segment(&self.dir, &record, seq_before)?;
            self.manifest.segments[position] = sealed_record.clone();
            if let Err(e) = self.manifest.store(&self.dir) {
                return Err(self.poison(e));
            }
            remove_if_exists(&self.dir.join(&record.file))?;
            sync_dir(&self.dir)?;
            sealed.push(sealed_record);
        }
        Ok(sealed)
    }

    /// Commits, closes the active segment and seals every closed segment, leaving a run
    /// directory of Parquet files and the manifest. One manifest replace lists the last
    /// segment and marks the run finished, before any WAL file is removed (see
    /// [`crate::complete`]). Reopening continues in a new segment.
    pub fn finish_and_seal(mut self) -> Result<Manifest> {
        self.commit()?;
        let active_has_entries = self.active.entries > 0;
        if active_has_entries {
            let record = self.active.closed_record();
            self.manifest.segments.push(record);
        }
        self.manifest.finished = Some(true);
        if let Err(e) = self.manifest.store(&self.dir) {
            return Err(self.poison(e));
        }
        if !active_has_entries {
            remove_if_exists(&self.active.path)?;
            sync_dir(&self.dir)?;
        }
        self.seal_closed_segments()?;
        Ok(self.manifest)
    }

    /// Commits buffered entries and closes the writer.
    pub fn close(mut self) -> Result<()> {
        self.commit()
    }

    fn buffer(&mut self, entry: &JournalEntry) -> Result<()> {
        self.check_poison()?;
        if entry.seq > i64::MAX as u64 {
            return Err(JournalError::SeqOutOfRange { seq: entry.seq });
        }
        if let Some(last_seq) = self.last_seq {
            if entry.seq <= last_seq {
                return Err(JournalError::SeqNotIncreasing {
                    seq: entry.seq,
                    last_seq,
                });
            }
        }
        let len_bytes = entry.encoded_len();
        if len_bytes > u64::from(FRAME_BODY_LEN_MAX_BYTES) {
            return Err(JournalError::EntryTooLarge {
                seq: entry.seq,
                len_bytes,
                max_bytes: u64::from(FRAME_BODY_LEN_MAX_BYTES),
            });
        }
        self.body.clear();
        entry.encode_into(&mut self.body)?;
        let frame_len_bytes = FRAME_HEADER_LEN_BYTES + self.body.len() as u64;
        let segment_len_bytes = self.active.len_bytes + self.pending.len() as u64;
        if self.active.entries > 0
            && segment_len_bytes + frame_len_bytes > self.config.segment_bytes_max
        {
            self.rotate()?;
        }
        let hash = self.head_hash.next(&self.body);
        encode_frame(&mut self.pending, &self.body, &hash)?;
        self.head_hash = hash;
        self.last_seq = Some(entry.seq);
        self.pending_entries += 1;
        self.active.entries += 1;
        self.active.first_seq.get_or_insert(entry.seq);
        self.active.last_seq = Some(entry.seq);
        self.active.last_hash = hash;
        Ok(())
    }

    fn check_poison(&self) -> Result<()> {
        match &self.poisoned {
            Some(cause) => Err(JournalError::Poisoned {
                cause: cause.clone(),
            }),
            None => Ok(()),
        }
    }

    fn poison(&mut self, error: JournalError) -> JournalError {
        self.poisoned = Some(error.to_string());
        error
    }

    /// Last seq appended (buffered or committed).
    pub fn last_seq(&self) -> Option<u64> {
        self.last_seq
    }

    /// Last seq known to be on disk.
    pub fn durable_seq(&self) -> Option<u64> {
        self.durable_seq
    }

    /// Chain hash of the last appended entry.
    pub fn head_hash(&self) -> ChainHash {
        self.head_hash
    }

    /// Entries buffered and not yet committed.
    pub fn pending_entries(&self) -> usize {
        self.pending_entries
    }

    /// Whether an earlier failure has poisoned the writer.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.is_some()
    }

    /// The manifest as last stored.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The run directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Index of the active WAL segment.
    pub fn active_segment_index(&self) -> u64 {
        self.active.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> RunInfo {
        RunInfo {
            run_id: "r".into(),
            build_id: "b".into(),
            config_hash: "c".into(),
            seed: 1,
            environment: "sim".into(),
            created_ts_ns: 0,
        }
    }

    fn entry(seq: u64) -> JournalEntry {
        JournalEntry {
            seq,
            kind: "k".into(),
            ..JournalEntry::default()
        }
    }

    #[test]
    fn failed_fsync_poisons_for_good_and_reopen_recovers_committed() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = JournalWriter::create(dir.path(), run(), WalConfig::default()).unwrap();
        writer.append_durable(&entry(1)).unwrap();
        writer.fail_next_sync = true;
        assert!(matches!(
            writer.append_durable(&entry(2)),
            Err(JournalError::Io { .. })
        ));
        assert!(writer.is_poisoned());
        assert!(matches!(
            writer.append(&entry(3), 0),
            Err(JournalError::Poisoned { .. })
        ));
        assert!(matches!(
            writer.commit(),
            Err(JournalError::Poisoned { .. })
        ));
        assert!(matches!(
            writer.flush_if_due(i64::MAX),
            Err(JournalError::Poisoned { .. })
        ));
        assert!(matches!(
            writer.rotate(),
            Err(JournalError::Poisoned { .. })
        ));
        drop(writer);
        // The write reached the page cache before the injected failure, so entry 2 is there.
        let (writer, report) = JournalWriter::open(dir.path(), WalConfig::default()).unwrap();
        assert_eq!(report.last_seq, Some(2));
        assert!(!writer.is_poisoned());
    }

    #[test]
    fn group_commit_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let config = WalConfig {
            group_commit_entries_max: 3,
            group_commit_interval_ns: 100,
            ..WalConfig::default()
        };
        let mut writer = JournalWriter::create(dir.path(), run(), config).unwrap();
        writer.append(&entry(1), 0).unwrap();
        writer.append(&entry(2), 10).unwrap();
        assert_eq!(writer.pending_entries(), 2);
        assert_eq!(writer.durable_seq(), None);
        writer.append(&entry(3), 20).unwrap();
        assert_eq!(writer.pending_entries(), 0);
        assert_eq!(writer.durable_seq(), Some(3));

        writer.append(&entry(4), 1_000).unwrap();
        assert!(!writer.flush_if_due(1_099).unwrap());
        assert!(writer.flush_if_due(1_100).unwrap());
        assert_eq!(writer.durable_seq(), Some(4));

        writer.append(&entry(5), 2_000).unwrap();
        writer.append(&entry(6), 2_100).unwrap();
        assert_eq!(writer.durable_seq(), Some(6), "age bound checked on append");
    }

    #[test]
    fn rejects_bad_seq_without_poisoning() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = JournalWriter::create(dir.path(), run(), WalConfig::default()).unwrap();
        writer.append(&entry(5), 0).unwrap();
        assert!(matches!(
            writer.append(&entry(5), 0),
            Err(JournalError::SeqNotIncreasing {
                seq: 5,
                last_seq: 5
            })
        ));
        assert!(matches!(
            writer.append(&entry(u64::MAX), 0),
            Err(JournalError::SeqOutOfRange { .. })
        ));
        writer.append(&entry(6), 0).unwrap();
        assert!(!writer.is_poisoned());
        assert!(matches!(
            JournalWriter::create(dir.path(), run(), WalConfig::default()),
            Err(JournalError::AlreadyExists { .. })
        ));
    }
}
