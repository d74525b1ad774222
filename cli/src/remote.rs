//! Journals in S3-compatible object storage, for the commands.
//!
//! Every command that reads a journal accepts `s3://bucket/prefix/RUN` where it takes a run
//! directory: [`local_journal`] fetches the run into the cache (`KALSHI_BOT_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/kalshi-bot`, else `~/.cache/kalshi-bot`) and returns the cached directory,
//! which the usual readers then open. A torn upload (the manifest names a segment the bucket
//! lacks) exits with [`EXIT_TORN_UPLOAD`]. `record` and `run-strategy` take `--upload
//! s3://bucket/prefix` ([`UploadArgs`]).

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use kalshi_store::upload::{ObjectStore, RunDirSource};
use kalshi_store::{
    S3Location, StoreError, UploadConfig, UploadHandle, UploadReport, fetch_run, is_s3_url,
    open_bucket, spawn_uploader,
};

use crate::duration_flag::parse_duration;
use crate::exit_code::{EXIT_TORN_UPLOAD, Refusal};

/// The cache root for fetched runs.
fn cache_root() -> PathBuf {
    let from_env = |name: &str| {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = from_env("KALSHI_BOT_CACHE_DIR") {
        return dir;
    }
    if let Some(dir) = from_env("XDG_CACHE_HOME") {
        return dir.join("kalshi-bot");
    }
    if let Some(home) = from_env("HOME") {
        return home.join(".cache").join("kalshi-bot");
    }
    std::env::temp_dir().join("kalshi-bot-cache")
}

/// `path` itself, or for an `s3://` URL the local cache directory of the fetched run.
pub fn fetch_if_remote(path: &Path) -> Result<PathBuf, StoreError> {
    let Some(url) = path.to_str().filter(|text| is_s3_url(text)) else {
        return Ok(path.to_path_buf());
    };
    let location = S3Location::parse(url)?;
    let store = open_bucket(&location)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| StoreError::Io {
            path: PathBuf::from(url),
            source: error,
        })?;
    let report = runtime.block_on(fetch_run(&*store, &location, &cache_root()))?;
    crate::logging::note(&format!(
        "fetched {location} into {} ({} segment(s) downloaded, {} cached, {} bytes)",
        report.dir.display(),
        report.downloaded,
        report.cached,
        report.bytes
    ));
    Ok(report.dir)
}

/// [`fetch_if_remote`] for commands: a torn upload prints its error and exits with
/// [`EXIT_TORN_UPLOAD`]; other errors are returned.
pub fn local_journal(path: &Path) -> anyhow::Result<PathBuf> {
    match fetch_if_remote(path) {
        Ok(dir) => Ok(dir),
        Err(error) if error.is_torn_upload() => exit_torn(&error),
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

/// Prints a torn upload and exits with [`EXIT_TORN_UPLOAD`].
pub fn exit_torn(error: &StoreError) -> ! {
    crate::logging::error(&format!("{error}"));
    std::process::exit(EXIT_TORN_UPLOAD)
}

/// `--upload` options of `record` and `run-strategy`.
#[derive(Debug, Clone, Args)]
pub struct UploadArgs {
    /// Upload each sealed segment and the manifest to `s3://bucket/prefix` as they seal (the
    /// run goes to `prefix/date=YYYY-MM-DD/run=RUN_ID/`; the WAL stays local). Endpoint and
    /// credentials from the AWS_* environment variables.
    #[arg(long, value_name = "S3_URL")]
    pub upload: Option<String>,
    /// At the end of the run, wait at most this long for the upload to finish.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub upload_wait: Duration,
}

/// A configured upload, ready to start once the run begins.
pub struct PreparedUpload {
    store: std::sync::Arc<dyn ObjectStore>,
    base: S3Location,
    wait: Duration,
}

impl UploadArgs {
    /// Checks the URL and builds the client before the run starts (a bad URL or missing
    /// settings refuse the run).
    pub fn prepare(&self) -> anyhow::Result<Option<PreparedUpload>> {
        let Some(url) = &self.upload else {
            return Ok(None);
        };
        let base = S3Location::parse(url).map_err(|error| Refusal::new(error.to_string()))?;
        let store = open_bucket(&base).map_err(|error| Refusal::new(error.to_string()))?;
        Ok(Some(PreparedUpload {
            store,
            base,
            wait: self.upload_wait,
        }))
    }
}

/// A running upload and how long to wait for it at the end.
pub struct RunningUpload {
    handle: UploadHandle,
    wait: Duration,
}

impl PreparedUpload {
    /// Starts watching the run directory announced on `announced` (inside a tokio runtime).
    pub fn start(self, announced: Receiver<PathBuf>) -> RunningUpload {
        RunningUpload {
            handle: spawn_uploader(
                self.store,
                self.base,
                RunDirSource::Announced(announced),
                UploadConfig::default(),
            ),
            wait: self.wait,
        }
    }
}

impl RunningUpload {
    /// Waits (bounded) for the upload after the run sealed its journal, and prints the outcome.
    pub async fn finish(self) -> UploadReport {
        let report = self.handle.finish(self.wait).await;
        println!("{}", describe(&report, self.wait));
        report
    }
}

fn describe(report: &UploadReport, wait: Duration) -> String {
    let target = report.run_url.as_deref().unwrap_or("(no run directory)");
    let mut text = format!("upload: {} file(s) to {target}", report.uploaded.len());
    if report.pending.is_empty() {
        text.push_str("; complete");
    } else {
        text.push_str(&format!(
            "\nupload: not uploaded after waiting {} s: {}",
            wait.as_secs(),
            report.pending.join(", ")
        ));
        for (file, error) in &report.failures {
            text.push_str(&format!("\nupload: {file}: last error: {error}"));
        }
    }
    if report.queue_full_polls > 0 {
        text.push_str(&format!(
            "\nupload: the queue was full at {} poll(s)",
            report.queue_full_polls
        ));
    }
    text
}
