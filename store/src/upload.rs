//! Uploading a run's sealed segments and manifest while the run goes on.
//!
//! Two tasks, neither of which the trading loop waits for: a watcher reads the run's
//! `manifest.json` every [`UploadConfig::poll_interval`] and queues each newly sealed segment
//! in a bounded queue (when the queue is full it logs that the upload is falling behind and
//! tries again at the next poll); an uploader takes the queue in order and PUTs each file,
//! retrying with exponential backoff. The manifest is queued after its segments, and only once
//! the run is finished with every segment sealed; it is uploaded only when every segment it
//! names is already in the bucket, so a reader never finds a manifest whose segments are not
//! there (unless an upload is interrupted mid-way, which [`crate::fetch`] reports as torn).
//! The write-ahead log is never uploaded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kalshi_journal::layout::MANIFEST_FILE;
use kalshi_journal::{Manifest, SegmentState};
pub use object_store::ObjectStore;
use object_store::PutPayload;
use object_store::path::Path as ObjectPath;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::location::{S3Location, run_prefix};

/// Upload settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadConfig {
    /// How often the watcher reads the manifest.
    pub poll_interval: Duration,
    /// Most files queued for upload at once.
    pub queue_max: usize,
    /// Attempts per file before it goes back to the watcher (which queues it again).
    pub attempts_max: u32,
    /// Wait after the first failed attempt; doubled after each further one.
    pub backoff_initial: Duration,
    /// Longest wait between attempts.
    pub backoff_max: Duration,
}

impl Default for UploadConfig {
    fn default() -> UploadConfig {
        UploadConfig {
            poll_interval: Duration::from_millis(500),
            queue_max: 64,
            attempts_max: 6,
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(10),
        }
    }
}

/// Where the run directory comes from.
#[derive(Debug)]
pub enum RunDirSource {
    /// Known before the run starts.
    Known(PathBuf),
    /// Announced once the run has created it (the run id is chosen at startup).
    Announced(Receiver<PathBuf>),
}

/// What the upload achieved by the time it was finished.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadReport {
    /// Where the run went (`s3://bucket/prefix/date=…/run=…`), once known.
    pub run_url: Option<String>,
    /// Files uploaded, in upload order (segments, then `manifest.json`).
    pub uploaded: Vec<String>,
    /// Sealed files (or the final manifest) not in the bucket when the wait ended.
    pub pending: Vec<String>,
    /// Whether the manifest of the finished run is in the bucket.
    pub manifest_uploaded: bool,
    /// Last error of each file whose upload failed at least once.
    pub failures: BTreeMap<String, String>,
    /// Polls at which the queue was full.
    pub queue_full_polls: u64,
}

#[derive(Debug, Default)]
struct State {
    run: Option<S3Location>,
    /// Sealed segment files seen in the manifest.
    sealed: BTreeSet<String>,
    queued: BTreeSet<String>,
    uploaded: BTreeSet<String>,
    uploaded_order: Vec<String>,
    /// Bytes of the manifest last queued or uploaded.
    manifest_queued: Option<Vec<u8>>,
    manifest_uploaded: Option<Vec<u8>>,
    /// Whether the run's manifest says it is finished with every segment sealed.
    finished: bool,
    failures: BTreeMap<String, String>,
    queue_full_polls: u64,
}

enum Job {
    Segment { file: String, path: PathBuf },
    Manifest { bytes: Vec<u8>, needs: Vec<String> },
}

/// A running upload.
#[derive(Debug)]
pub struct UploadHandle {
    stop: watch::Sender<bool>,
    watcher: JoinHandle<()>,
    uploader: JoinHandle<()>,
    state: Arc<Mutex<State>>,
}

/// Starts uploading the run in `run_dir` under `base` (its folder is
/// `base/date=…/run=RUN_ID`, [`run_prefix`]). Must be called inside a tokio runtime.
pub fn spawn_uploader(
    store: Arc<dyn ObjectStore>,
    base: S3Location,
    run_dir: RunDirSource,
    config: UploadConfig,
) -> UploadHandle {
    let state = Arc::new(Mutex::new(State::default()));
    let (stop, stop_rx) = watch::channel(false);
    let (jobs, jobs_rx) = mpsc::channel(config.queue_max.max(1));
    let watcher = tokio::spawn(watch_run(
        base,
        run_dir,
        config.clone(),
        Arc::clone(&state),
        jobs,
        stop_rx,
    ));
    let uploader = tokio::spawn(upload_jobs(store, config, Arc::clone(&state), jobs_rx));
    UploadHandle {
        stop,
        watcher,
        uploader,
        state,
    }
}

impl UploadHandle {
    /// Asks the watcher for one last look at the run (call it after the run sealed its
    /// journal), waits up to `wait` for the queue to drain, and reports what is left.
    pub async fn finish(self, wait: Duration) -> UploadReport {
        let _ = self.stop.send(true);
        let UploadHandle {
            watcher,
            uploader,
            state,
            ..
        } = self;
        let watcher_abort = watcher.abort_handle();
        let uploader_abort = uploader.abort_handle();
        let drained = tokio::time::timeout(wait, async {
            let _ = watcher.await;
            let _ = uploader.await;
        })
        .await;
        if drained.is_err() {
            watcher_abort.abort();
            uploader_abort.abort();
        }
        let state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let manifest_uploaded = state.finished
            && state.manifest_uploaded.is_some()
            && state.manifest_uploaded == state.manifest_queued;
        if state.run.is_none() {
            // The run never created its journal: nothing was there to upload.
            return UploadReport::default();
        }
        let mut pending: Vec<String> = state
            .sealed
            .iter()
            .filter(|file| !state.uploaded.contains(*file))
            .cloned()
            .collect();
        if !manifest_uploaded {
            pending.push(MANIFEST_FILE.to_string());
        }
        UploadReport {
            run_url: state.run.as_ref().map(ToString::to_string),
            uploaded: state.uploaded_order.clone(),
            pending,
            manifest_uploaded,
            failures: state.failures.clone(),
            queue_full_polls: state.queue_full_polls,
        }
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn watch_run(
    base: S3Location,
    source: RunDirSource,
    config: UploadConfig,
    state: Arc<Mutex<State>>,
    jobs: mpsc::Sender<Job>,
    mut stop: watch::Receiver<bool>,
) {
    let mut dir: Option<PathBuf> = None;
    let mut behind = false;
    loop {
        let stopping = *stop.borrow();
        if dir.is_none() {
            dir = match &source {
                RunDirSource::Known(path) => Some(path.clone()),
                RunDirSource::Announced(receiver) => receiver.try_recv().ok(),
            };
        }
        if let Some(dir) = &dir {
            for job in scan(&base, dir, &state).await {
                let name = job_name(&job);
                if stopping {
                    // The run is over: wait for room rather than leave files behind.
                    if jobs.send(job).await.is_err() {
                        return;
                    }
                } else {
                    match jobs.try_send(job) {
                        Ok(()) => {}
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            unqueue(&state, &name);
                            lock(&state).queue_full_polls += 1;
                            if !behind {
                                tracing::warn!(
                                    queue_max = config.queue_max,
                                    "journal upload is falling behind: the queue is full"
                                );
                                behind = true;
                            }
                            break;
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => return,
                    }
                }
            }
        }
        if stopping {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(config.poll_interval) => {}
            _ = stop.changed() => {}
        }
        if behind && jobs.capacity() == jobs.max_capacity() {
            tracing::info!("journal upload caught up");
            behind = false;
        }
    }
}

fn job_name(job: &Job) -> String {
    match job {
        Job::Segment { file, .. } => file.clone(),
        Job::Manifest { .. } => MANIFEST_FILE.to_string(),
    }
}

fn unqueue(state: &Mutex<State>, name: &str) {
    let mut state = lock(state);
    if name == MANIFEST_FILE {
        state.manifest_queued = state.manifest_uploaded.clone();
    } else {
        state.queued.remove(name);
    }
}

/// Reads the manifest and returns the jobs it calls for (marking them queued).
async fn scan(base: &S3Location, dir: &std::path::Path, state: &Mutex<State>) -> Vec<Job> {
    let Ok(bytes) = tokio::fs::read(dir.join(MANIFEST_FILE)).await else {
        return Vec::new();
    };
    let Ok(manifest) = serde_json::from_slice::<Manifest>(&bytes) else {
        // Replaced atomically, so a parse failure is not a half-written file: skip this poll.
        return Vec::new();
    };
    let mut state = lock(state);
    if state.run.is_none() {
        let run = base.join(&run_prefix(
            &manifest.run.run_id,
            manifest.run.created_ts_ns,
        ));
        tracing::info!(run = %run, "journal upload target");
        state.run = Some(run);
    }
    let mut jobs = Vec::new();
    for segment in &manifest.segments {
        if segment.state != SegmentState::Sealed {
            continue;
        }
        state.sealed.insert(segment.file.clone());
        if !state.uploaded.contains(&segment.file) && state.queued.insert(segment.file.clone()) {
            jobs.push(Job::Segment {
                file: segment.file.clone(),
                path: dir.join(&segment.file),
            });
        }
    }
    let all_sealed = !manifest.segments.is_empty()
        && manifest
            .segments
            .iter()
            .all(|segment| segment.state == SegmentState::Sealed);
    let finished = all_sealed && manifest.finished != Some(false);
    state.finished = finished;
    if finished && state.manifest_queued.as_deref() != Some(bytes.as_slice()) {
        state.manifest_queued = Some(bytes.clone());
        jobs.push(Job::Manifest {
            bytes,
            needs: manifest
                .segments
                .iter()
                .map(|segment| segment.file.clone())
                .collect(),
        });
    }
    jobs
}

async fn upload_jobs(
    store: Arc<dyn ObjectStore>,
    config: UploadConfig,
    state: Arc<Mutex<State>>,
    mut jobs: mpsc::Receiver<Job>,
) {
    while let Some(job) = jobs.recv().await {
        let Some(run) = lock(&state).run.clone() else {
            continue;
        };
        match job {
            Job::Segment { file, path } => {
                let bytes = match tokio::fs::read(&path).await {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        let mut state = lock(&state);
                        state.failures.insert(file.clone(), error.to_string());
                        state.queued.remove(&file);
                        continue;
                    }
                };
                let ok =
                    put_with_retry(&*store, &config, &state, &run.key(&file), &file, bytes).await;
                let mut state = lock(&state);
                state.queued.remove(&file);
                if ok {
                    state.uploaded.insert(file.clone());
                    state.uploaded_order.push(file);
                }
            }
            Job::Manifest { bytes, needs } => {
                let ready = {
                    let state = lock(&state);
                    needs.iter().all(|file| state.uploaded.contains(file))
                };
                if !ready {
                    // A segment failed; the watcher queues the manifest again after it.
                    let mut state = lock(&state);
                    state.manifest_queued = state.manifest_uploaded.clone();
                    continue;
                }
                let key = run.key(MANIFEST_FILE);
                let ok =
                    put_with_retry(&*store, &config, &state, &key, MANIFEST_FILE, bytes.clone())
                        .await;
                let mut state = lock(&state);
                if ok {
                    state.manifest_uploaded = Some(bytes);
                    state.uploaded_order.push(MANIFEST_FILE.to_string());
                } else {
                    state.manifest_queued = state.manifest_uploaded.clone();
                }
            }
        }
    }
}

/// PUTs `bytes` at `key`, retrying with exponential backoff; whether it got there.
async fn put_with_retry(
    store: &dyn ObjectStore,
    config: &UploadConfig,
    state: &Mutex<State>,
    key: &str,
    file: &str,
    bytes: Vec<u8>,
) -> bool {
    let payload = PutPayload::from(bytes);
    let path = ObjectPath::from(key);
    let mut delay = config.backoff_initial;
    for attempt in 1..=config.attempts_max.max(1) {
        match store.put(&path, payload.clone()).await {
            Ok(_) => {
                tracing::info!(file, key, attempt, "uploaded");
                return true;
            }
            Err(error) => {
                tracing::warn!(file, key, attempt, %error, "upload failed; retrying");
                lock(state)
                    .failures
                    .insert(file.to_string(), error.to_string());
                if attempt < config.attempts_max {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(config.backoff_max);
                }
            }
        }
    }
    false
}
