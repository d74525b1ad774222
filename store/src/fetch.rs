//! Copying a run from a bucket into a local cache directory.
//!
//! The manifest is read first; every segment it names must be sealed and present in the bucket
//! with the size and SHA-256 the manifest records. A segment already in the cache with the
//! right size and digest is not downloaded again. The manifest is written last, so an
//! interrupted fetch never leaves a cache that reads as a complete run; files the manifest does
//! not name are removed from the cache folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kalshi_journal::layout::MANIFEST_FILE;
use kalshi_journal::{Manifest, SegmentState};
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::location::S3Location;

/// What a fetch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchReport {
    /// The local run directory.
    pub dir: PathBuf,
    /// Segments downloaded.
    pub downloaded: usize,
    /// Segments already in the cache with the right digest.
    pub cached: usize,
    /// Bytes downloaded (segments and manifest).
    pub bytes: u64,
}

/// The cache folder of a run location under `cache_root`: `cache_root/BUCKET/PREFIX`.
pub fn cache_dir(cache_root: &Path, location: &S3Location) -> PathBuf {
    let mut dir = cache_root.join(&location.bucket);
    for part in location.prefix.split('/').filter(|part| !part.is_empty()) {
        dir.push(part);
    }
    dir
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Fetches the run at `location` (the folder holding its `manifest.json`) into
/// `cache_root/BUCKET/PREFIX` and returns that directory.
pub async fn fetch_run(
    store: &dyn ObjectStore,
    location: &S3Location,
    cache_root: &Path,
) -> Result<FetchReport, StoreError> {
    let url = location.to_string();
    let manifest_key = location.key(MANIFEST_FILE);
    let manifest_bytes = match get(store, &manifest_key).await? {
        Some(bytes) => bytes,
        None => {
            return Err(StoreError::NoManifest {
                url,
                key: manifest_key,
            });
        }
    };
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|error| StoreError::BadManifest {
            url: url.clone(),
            reason: error.to_string(),
        })?;
    manifest
        .validate(Path::new(&manifest_key))
        .map_err(|error| StoreError::BadManifest {
            url: url.clone(),
            reason: error.to_string(),
        })?;
    if let Some(segment) = manifest
        .segments
        .iter()
        .find(|segment| segment.state == SegmentState::Wal)
    {
        return Err(StoreError::Unsealed {
            url,
            segment: segment.file.clone(),
        });
    }
    if manifest.finished == Some(false) {
        return Err(StoreError::Unfinished { url });
    }
    let dir = cache_dir(cache_root, location);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|error| StoreError::io(&dir, error))?;
    let mut report = FetchReport {
        dir: dir.clone(),
        downloaded: 0,
        cached: 0,
        bytes: manifest_bytes.len() as u64,
    };
    let named: BTreeSet<String> = manifest
        .segments
        .iter()
        .map(|segment| segment.file.clone())
        .chain([MANIFEST_FILE.to_string()])
        .collect();
    remove_unnamed(&dir, &named).await?;
    for segment in &manifest.segments {
        let path = dir.join(&segment.file);
        if let Ok(local) = tokio::fs::read(&path).await
            && local.len() as u64 == segment.size_bytes
            && sha256_hex(&local) == segment.sha256
        {
            report.cached += 1;
            continue;
        }
        let key = location.key(&segment.file);
        let Some(bytes) = get(store, &key).await? else {
            return Err(StoreError::TornUpload {
                url,
                segment: segment.file.clone(),
            });
        };
        if bytes.len() as u64 != segment.size_bytes {
            return Err(StoreError::Mismatch {
                url,
                segment: segment.file.clone(),
                reason: format!(
                    "{} bytes, the manifest records {}",
                    bytes.len(),
                    segment.size_bytes
                ),
            });
        }
        let digest = sha256_hex(&bytes);
        if digest != segment.sha256 {
            return Err(StoreError::Mismatch {
                url,
                segment: segment.file.clone(),
                reason: format!("SHA-256 {digest}, the manifest records {}", segment.sha256),
            });
        }
        write_replace(&path, &bytes).await?;
        report.downloaded += 1;
        report.bytes += bytes.len() as u64;
    }
    write_replace(&dir.join(MANIFEST_FILE), &manifest_bytes).await?;
    Ok(report)
}

/// GET `key`: `None` when it does not exist.
async fn get(store: &dyn ObjectStore, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let request_error = |error: object_store::Error| StoreError::Request {
        op: "GET",
        key: key.to_string(),
        reason: error.to_string(),
    };
    match store.get(&ObjectPath::from(key)).await {
        Ok(result) => Ok(Some(result.bytes().await.map_err(request_error)?.to_vec())),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(error) => Err(request_error(error)),
    }
}

/// Removes regular files of `dir` that `named` does not list (a previous fetch of another
/// version of the run), so the journal reader sees exactly the manifest's files.
async fn remove_unnamed(dir: &Path, named: &BTreeSet<String>) -> Result<(), StoreError> {
    let mut entries = tokio::fs::read_dir(dir)
        .await
        .map_err(|error| StoreError::io(dir, error))?;
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|error| StoreError::io(dir, error))?
    {
        let path = entry.path();
        let keep = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| named.contains(name));
        let is_file = entry
            .file_type()
            .await
            .map_err(|error| StoreError::io(&path, error))?
            .is_file();
        if is_file && !keep {
            tokio::fs::remove_file(&path)
                .await
                .map_err(|error| StoreError::io(&path, error))?;
        }
    }
    Ok(())
}

/// Writes `bytes` to a temporary name beside `path`, then renames it over `path`.
async fn write_replace(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    tokio::fs::write(&tmp, bytes)
        .await
        .map_err(|error| StoreError::io(&tmp, error))?;
    tokio::fs::rename(&tmp, path)
        .await
        .map_err(|error| StoreError::io(path, error))
}
