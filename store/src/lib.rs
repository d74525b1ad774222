//! Journals on S3-compatible object storage.
//!
//! - [`location`]: `s3://bucket/prefix` URLs and the layout of runs in a bucket.
//! - [`fetch`]: a run in a bucket copied into a local cache directory, every segment checked
//!   against the manifest's size and SHA-256, so the journal crate's readers open it as usual.
//! - [`upload`]: a background task that uploads each sealed segment and then the manifest of a
//!   run as they appear on disk, with retries and backoff, never touching the writer.
//!
//! Endpoint, region and credentials come from the usual `AWS_*` environment variables
//! (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
//! `AWS_ALLOW_HTTP=true` for a plain-http endpoint); secrets are never logged.

pub mod error;
pub mod fetch;
pub mod location;
pub mod upload;

pub use error::StoreError;
pub use fetch::{FetchReport, fetch_run};
pub use location::{S3Location, is_s3_url, run_prefix};
pub use upload::{UploadConfig, UploadHandle, UploadReport, spawn_uploader};

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;

/// An object store client for `location`'s bucket, configured from the `AWS_*` environment.
pub fn open_bucket(location: &S3Location) -> Result<Arc<dyn ObjectStore>, StoreError> {
    let store = AmazonS3Builder::from_env()
        .with_bucket_name(&location.bucket)
        .build()
        .map_err(|source| StoreError::Client {
            bucket: location.bucket.clone(),
            reason: source.to_string(),
        })?;
    Ok(Arc::new(store))
}
