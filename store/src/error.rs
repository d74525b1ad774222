//! Errors of object-storage reads and uploads.

use std::path::PathBuf;

use thiserror::Error;

/// What went wrong reading or writing a journal in a bucket.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The text is not an `s3://bucket[/prefix]` URL.
    #[error("`{url}` is not an s3://bucket/prefix URL: {reason}")]
    BadUrl {
        /// The text given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The client could not be configured (missing region, bad endpoint …).
    #[error("cannot configure an S3 client for bucket `{bucket}`: {reason}")]
    Client {
        /// Bucket name.
        bucket: String,
        /// The library's explanation.
        reason: String,
    },
    /// No `manifest.json` under the URL.
    #[error("no journal at {url}: {key} does not exist")]
    NoManifest {
        /// The run URL.
        url: String,
        /// The manifest's key.
        key: String,
    },
    /// The manifest names a segment the bucket does not hold: the upload stopped part way.
    #[error("torn upload at {url}: the manifest names {segment}, which the bucket lacks")]
    TornUpload {
        /// The run URL.
        url: String,
        /// The missing segment's file name.
        segment: String,
    },
    /// The manifest lists a segment that was never sealed: only sealed runs are read remotely.
    #[error(
        "the journal at {url} lists {segment} as a write-ahead-log segment; the WAL stays \
         local: seal the run (`kalshi-bot journal seal`) and upload it again"
    )]
    Unsealed {
        /// The run URL.
        url: String,
        /// The WAL segment's file name.
        segment: String,
    },
    /// The manifest is of a run that was not finished (a mid-run upload).
    #[error("the journal at {url} is not finished: its manifest is of a run still being written")]
    Unfinished {
        /// The run URL.
        url: String,
    },
    /// The bucket's copy of a segment differs from what the manifest records.
    #[error("{url}: {segment} in the bucket does not match the manifest: {reason}")]
    Mismatch {
        /// The run URL.
        url: String,
        /// The segment's file name.
        segment: String,
        /// Size or digest difference.
        reason: String,
    },
    /// The manifest in the bucket is not a valid manifest.
    #[error("{url}: manifest.json is not a valid manifest: {reason}")]
    BadManifest {
        /// The run URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A request to the store failed.
    #[error("{op} {key}: {reason}")]
    Request {
        /// `GET`, `PUT` …
        op: &'static str,
        /// The object key.
        key: String,
        /// The library's explanation.
        reason: String,
    },
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether this is a torn upload (a segment the manifest names is missing).
    pub fn is_torn_upload(&self) -> bool {
        matches!(self, StoreError::TornUpload { .. })
    }
}
