//! Small durable-filesystem helpers: directory fsync, atomic replace, file digests.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::chain::hex_encode;
use crate::error::{JournalError, Result};

/// Suffix of every temporary file; such files are never read and are removed on open.
pub const TMP_SUFFIX: &str = ".tmp";

/// Fsyncs a directory so that renames and file creations inside it are durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    let handle = File::open(dir).map_err(|e| JournalError::io(dir, e))?;
    handle.sync_all().map_err(|e| JournalError::io(dir, e))
}

/// Replaces `path` with `bytes` atomically: write `path.tmp`, fsync it, rename it over `path`,
/// fsync the directory. A crash leaves either the old or the new content, never a mix.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| JournalError::io(&tmp, e))?;
    file.write_all(bytes)
        .map_err(|e| JournalError::io(&tmp, e))?;
    file.sync_all().map_err(|e| JournalError::io(&tmp, e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| JournalError::io(path, e))?;
    sync_dir(parent_dir(path))
}

/// The temporary sibling of `path` (`name.tmp`).
pub fn tmp_path(path: &Path) -> std::path::PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(TMP_SUFFIX);
    path.with_file_name(name)
}

/// The directory containing `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// SHA-256 of a whole file, streamed in fixed-size chunks, as lower-case hex.
pub fn file_sha256(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(|e| JournalError::io(path, e))?;
    read_sha256(&mut file, path)
}

/// SHA-256 of everything left to read in `file` (opened from `path`), lower-case hex; one
/// streaming pass, 64 KiB at a time. Leaves the file at its end.
pub fn read_sha256(file: &mut File, path: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let read = file
            .read(&mut chunk)
            .map_err(|e| JournalError::io(path, e))?;
        if read == 0 {
            break;
        }
        hasher.update(&chunk[..read]);
    }
    Ok(hex_encode(&hasher.finalize()))
}

/// Removes a file and tolerates it being gone already.
pub fn remove_if_exists(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(JournalError::io(path, e)),
    }
}
