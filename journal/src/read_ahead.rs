//! Reading a run on a second thread: file IO, CRCs, the hash chain and segment digests run
//! ahead of the consumer, which only receives checked entries.
//!
//! A worker thread owns a [`JournalReader`] and hands its entries over in batches of
//! [`READ_AHEAD_BATCH_ENTRIES`] through a channel holding at most
//! [`READ_AHEAD_BATCHES_MAX`] batches, so the hand-off cost is shared by many entries and
//! memory stays bounded (a few batches beyond what the single-threaded reader holds).
//! Entries arrive in exactly the order, and with exactly the checks, of the single-threaded
//! reader: when the worker hits an error, the entries read before it are delivered first and
//! then the same error (same file, offset and last good seq). Dropping the reader stops the
//! worker and waits for it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::chain::ChainHash;
use crate::error::{JournalError, Result};
use crate::manifest::Manifest;
use crate::reader::{ChainedEntry, JournalReader, ReadOptions};
use crate::wal::TornTail;

/// Entries per batch handed from the worker to the consumer.
pub const READ_AHEAD_BATCH_ENTRIES: usize = 512;
/// Batches the channel holds before the worker waits for the consumer.
pub const READ_AHEAD_BATCHES_MAX: usize = 4;

/// How the worker's stream ended: cleanly (with the torn tail it found, if any) or with an
/// error.
type StreamEnd = Result<Option<TornTail>>;

/// One hand-off: entries in order, then possibly the end of the stream.
struct Batch {
    entries: Vec<ChainedEntry>,
    end: Option<StreamEnd>,
}

/// Streams a run directory's entries like [`JournalReader`], with reading and checking done
/// on a worker thread. See the module documentation.
pub struct ReadAheadReader {
    dir: PathBuf,
    manifest: Manifest,
    receiver: Option<Receiver<Batch>>,
    worker: Option<JoinHandle<()>>,
    pending: std::vec::IntoIter<ChainedEntry>,
    pending_end: Option<StreamEnd>,
    finished: bool,
    head_hash: ChainHash,
    last_seq: Option<u64>,
    entries_read: u64,
    torn_tail: Option<TornTail>,
}

impl ReadAheadReader {
    /// Opens `dir` with `options` (the checks of [`JournalReader::open`], which runs on the
    /// calling thread so opening errors surface here) and starts the worker.
    pub fn open(dir: &Path, options: ReadOptions) -> Result<Self> {
        let reader = JournalReader::open(dir, options)?;
        let manifest = reader.manifest().clone();
        let head_hash = reader.head_hash();
        let (sender, receiver) = sync_channel(READ_AHEAD_BATCHES_MAX);
        let worker = std::thread::Builder::new()
            .name("journal-read-ahead".to_owned())
            .spawn(move || read_batches(reader, &sender))
            .map_err(|e| JournalError::io(dir, e))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
            receiver: Some(receiver),
            worker: Some(worker),
            pending: Vec::new().into_iter(),
            pending_end: None,
            finished: false,
            head_hash,
            last_seq: None,
            entries_read: 0,
            torn_tail: None,
        })
    }

    /// The next entry with its chain hash; `Ok(None)` at the end of the journal. After an
    /// error the reader stays finished.
    pub fn next_chained(&mut self) -> Result<Option<ChainedEntry>> {
        loop {
            if let Some(chained) = self.pending.next() {
                self.head_hash = chained.chain_hash;
                self.last_seq = Some(chained.entry.seq);
                self.entries_read += 1;
                return Ok(Some(chained));
            }
            if let Some(end) = self.pending_end.take() {
                self.stop();
                return end.map(|torn_tail| {
                    self.torn_tail = torn_tail;
                    None
                });
            }
            if self.finished {
                return Ok(None);
            }
            let received = match self.receiver.as_ref() {
                Some(receiver) => receiver.recv().ok(),
                None => None,
            };
            match received {
                Some(batch) => {
                    self.pending = batch.entries.into_iter();
                    self.pending_end = batch.end;
                }
                None => {
                    self.stop();
                    return Err(JournalError::io(
                        &self.dir,
                        std::io::Error::other(
                            "the read-ahead thread stopped before the end of the journal",
                        ),
                    ));
                }
            }
        }
    }

    /// Marks the stream finished and releases the worker.
    fn stop(&mut self) {
        self.finished = true;
        self.receiver = None;
        if let Some(worker) = self.worker.take() {
            // The worker has sent its last batch or sees the closed channel on its next send;
            // a panic in it has already been reported as an early end of the stream.
            let _ = worker.join();
        }
    }

    /// The torn tail found at the end of the last WAL segment, once the stream has ended.
    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.torn_tail.as_ref()
    }

    /// Entries returned so far.
    pub fn entries_read(&self) -> u64 {
        self.entries_read
    }

    /// Seq of the last entry returned.
    pub fn last_seq(&self) -> Option<u64> {
        self.last_seq
    }

    /// Chain hash of the last entry returned (the genesis hash before the first).
    pub fn head_hash(&self) -> ChainHash {
        self.head_hash
    }

    /// The run's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

impl Drop for ReadAheadReader {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The worker: reads batches until the end of the stream, an error, or the consumer leaving.
fn read_batches(mut reader: JournalReader, sender: &SyncSender<Batch>) {
    loop {
        let mut entries = Vec::with_capacity(READ_AHEAD_BATCH_ENTRIES);
        let end = loop {
            match reader.next_chained() {
                Ok(Some(chained)) => {
                    entries.push(chained);
                    if entries.len() == READ_AHEAD_BATCH_ENTRIES {
                        break None;
                    }
                }
                Ok(None) => break Some(Ok(reader.torn_tail().cloned())),
                Err(error) => break Some(Err(error)),
            }
        };
        let last = end.is_some();
        if sender.send(Batch { entries, end }).is_err() || last {
            return;
        }
    }
}
