//! Private and public key types, PEM parsing and permission-checked key file loading.

use std::fmt;
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rsa::pkcs1::{DecodeRsaPrivateKey as _, DecodeRsaPublicKey as _};
use rsa::pkcs8::der::zeroize::Zeroizing;
// ed25519-dalek and rsa share pkcs8 0.10, so these traits serve both key types.
use rsa::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePublicKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest as _, Sha256};

use super::AuthError;

/// Smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest key file accepted, in bytes (a 4096-bit RSA PEM is about 3.3 KiB).
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Which signature algorithm a key uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA, signing with RSASSA-PSS / SHA-256 / MGF1-SHA-256 / salt length 32.
    Rsa,
    /// Ed25519 (RFC 8032).
    Ed25519,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Rsa => "RSA",
            KeyKind::Ed25519 => "Ed25519",
        })
    }
}

/// A parsed private key (RSA or Ed25519): what a PEM file holds, before anyone signs with it.
///
/// The client wraps it in `kalshi_io::auth::SigningKey` to sign; the local exchange only
/// needs its public half ([`PrivateKey::verifying_key`]). `Debug` shows only the key kind;
/// there is deliberately no `Display`. Both key types wipe themselves when dropped, and so
/// does every intermediate copy made while loading (file bytes, PEM text).
pub enum PrivateKey {
    /// An RSA key of at least [`MIN_RSA_BITS`] bits.
    Rsa(Box<RsaPrivateKey>),
    /// An Ed25519 key.
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kind", &self.kind())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

const PRIVATE_LABELS: &str = "`RSA PRIVATE KEY` (PKCS#1) or `PRIVATE KEY` (unencrypted PKCS#8)";
const PUBLIC_LABELS: &str = "`PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1)";

impl PrivateKey {
    /// Parses a private key from PEM text: RSA PKCS#1 (`BEGIN RSA PRIVATE KEY`), or PKCS#8
    /// (`BEGIN PRIVATE KEY`) holding RSA or Ed25519. RSA keys under [`MIN_RSA_BITS`] are
    /// refused.
    ///
    /// Intended for a value the caller read from an environment variable or secret store;
    /// never pass key material taken from command-line arguments. Surrounding whitespace,
    /// CRLF line endings and literal `\n` escapes (common in single-line env values) are
    /// accepted. Errors never echo the text.
    pub fn from_pem(pem_text: &str) -> Result<Self, AuthError> {
        let normalized = normalize_pem(pem_text);
        let (label, block) = pem_block(&normalized)?;
        match label {
            "RSA PRIVATE KEY" => {
                let key =
                    RsaPrivateKey::from_pkcs1_pem(block).map_err(|_| AuthError::MalformedKey {
                        label: "RSA PRIVATE KEY",
                        format: "PKCS#1 RSA private key",
                    })?;
                Self::from_rsa(key)
            }
            "PRIVATE KEY" => {
                if let Ok(key) = RsaPrivateKey::from_pkcs8_pem(block) {
                    return Self::from_rsa(key);
                }
                let key = ed25519_dalek::SigningKey::from_pkcs8_pem(block).map_err(|_| {
                    AuthError::MalformedKey {
                        label: "PRIVATE KEY",
                        format: "PKCS#8 RSA or Ed25519 private key",
                    }
                })?;
                Ok(PrivateKey::Ed25519(Box::new(key)))
            }
            other => Err(AuthError::UnsupportedKeyFormat {
                found: describe_label(other),
                expected: PRIVATE_LABELS,
            }),
        }
    }

    /// Loads a private key from a PEM file, refusing unsafe files.
    ///
    /// Refused: files whose mode grants any access to group or others (`mode & 0o077 != 0`;
    /// fix with `chmod 600 <file>`), non-regular files, and a symlink whose target is owned
    /// by a uid other than this process's effective uid. Only the final path component is
    /// checked for being a symlink. Permissions and contents are taken from the same open
    /// file handle, so the file cannot be swapped between the check and the read.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let bytes = read_private_key_file(path.as_ref())?;
        let text = std::str::from_utf8(&bytes).map_err(|_| AuthError::NoPemBlock)?;
        Self::from_pem(text)
    }

    /// Wraps an RSA private key, refusing one under [`MIN_RSA_BITS`].
    pub fn from_rsa(key: RsaPrivateKey) -> Result<Self, AuthError> {
        let bits = key.n().bits();
        if bits < MIN_RSA_BITS {
            return Err(AuthError::WeakRsaKey {
                bits,
                min_bits: MIN_RSA_BITS,
            });
        }
        Ok(PrivateKey::Rsa(Box::new(key)))
    }

    /// The algorithm of this key.
    pub fn kind(&self) -> KeyKind {
        match self {
            PrivateKey::Rsa(_) => KeyKind::Rsa,
            PrivateKey::Ed25519(_) => KeyKind::Ed25519,
        }
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        match self {
            PrivateKey::Rsa(key) => VerifyingKey::from_rsa_unchecked(key.to_public_key()),
            PrivateKey::Ed25519(key) => VerifyingKey::from_ed25519(key.verifying_key()),
        }
    }
}

#[derive(Clone)]
pub(crate) enum VerifyingKeyInner {
    Rsa {
        standard: Box<rsa::pss::VerifyingKey<Sha256>>,
        key: Box<RsaPublicKey>,
    },
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// A public key used to verify Kalshi request signatures (the simulator's side).
#[derive(Clone)]
pub struct VerifyingKey {
    pub(crate) inner: VerifyingKeyInner,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// Parses a public key from PEM: SPKI (`BEGIN PUBLIC KEY`, RSA or Ed25519) or
    /// PKCS#1 (`BEGIN RSA PUBLIC KEY`).
    pub fn from_public_key_pem(pem_text: &str) -> Result<Self, AuthError> {
        let normalized = normalize_pem(pem_text);
        let (label, block) = pem_block(&normalized)?;
        match label {
            "PUBLIC KEY" => {
                if let Ok(key) = RsaPublicKey::from_public_key_pem(block) {
                    return Self::from_rsa(key);
                }
                let key =
                    ed25519_dalek::VerifyingKey::from_public_key_pem(block).map_err(|_| {
                        AuthError::MalformedKey {
                            label: "PUBLIC KEY",
                            format: "SPKI RSA or Ed25519 public key",
                        }
                    })?;
                Ok(Self::from_ed25519(key))
            }
            "RSA PUBLIC KEY" => {
                let key =
                    RsaPublicKey::from_pkcs1_pem(block).map_err(|_| AuthError::MalformedKey {
                        label: "RSA PUBLIC KEY",
                        format: "PKCS#1 RSA public key",
                    })?;
                Self::from_rsa(key)
            }
            other => Err(AuthError::UnsupportedKeyFormat {
                found: describe_label(other),
                expected: PUBLIC_LABELS,
            }),
        }
    }

    /// Wraps an RSA public key (at least 2048 bits).
    pub fn from_rsa(key: RsaPublicKey) -> Result<Self, AuthError> {
        let bits = key.n().bits();
        if bits < MIN_RSA_BITS {
            return Err(AuthError::WeakRsaKey {
                bits,
                min_bits: MIN_RSA_BITS,
            });
        }
        Ok(Self::from_rsa_unchecked(key))
    }

    pub(crate) fn from_rsa_unchecked(key: RsaPublicKey) -> Self {
        Self {
            inner: VerifyingKeyInner::Rsa {
                standard: Box::new(rsa::pss::VerifyingKey::new(key.clone())),
                key: Box::new(key),
            },
        }
    }

    /// Wraps an Ed25519 public key.
    pub fn from_ed25519(key: ed25519_dalek::VerifyingKey) -> Self {
        Self {
            inner: VerifyingKeyInner::Ed25519(key),
        }
    }

    /// The algorithm of this key.
    pub fn kind(&self) -> KeyKind {
        match &self.inner {
            VerifyingKeyInner::Rsa { .. } => KeyKind::Rsa,
            VerifyingKeyInner::Ed25519(_) => KeyKind::Ed25519,
        }
    }

    /// DER encoding of the SubjectPublicKeyInfo.
    pub fn to_public_key_der(&self) -> Result<Vec<u8>, AuthError> {
        let doc = match &self.inner {
            VerifyingKeyInner::Rsa { key, .. } => key.to_public_key_der(),
            VerifyingKeyInner::Ed25519(key) => key.to_public_key_der(),
        }
        .map_err(|_| AuthError::KeyGeneration {
            kind: self.kind(),
            stage: "public key encoding",
        })?;
        Ok(doc.as_bytes().to_vec())
    }

    /// SPKI PEM (`BEGIN PUBLIC KEY`), as uploaded to Kalshi.
    pub fn to_public_key_pem(&self) -> Result<String, AuthError> {
        match &self.inner {
            VerifyingKeyInner::Rsa { key, .. } => key.to_public_key_pem(LineEnding::LF),
            VerifyingKeyInner::Ed25519(key) => key.to_public_key_pem(LineEnding::LF),
        }
        .map_err(|_| AuthError::KeyGeneration {
            kind: self.kind(),
            stage: "public key PEM encoding",
        })
    }

    /// A deterministic UUID-formatted id derived from the SHA-256 of the SPKI DER.
    ///
    /// Shaped like an RFC 9562 version-8 UUID (lowercase, 8-4-4-4-12); used as the key id
    /// of simulator development keys. Real Kalshi key ids are assigned by Kalshi.
    pub fn derived_key_id(&self) -> Result<String, AuthError> {
        let digest = Sha256::digest(self.to_public_key_der()?);
        let mut b = [0u8; 16];
        b.copy_from_slice(&digest[..16]);
        b[6] = (b[6] & 0x0f) | 0x80;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
        Ok(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ))
    }
}

/// Rewrites PEM text into a clean LF-separated form with trimmed lines.
///
/// A single-line value with literal `\n` escapes is split on them. The output never exceeds
/// the input length plus one, so the buffer is not reallocated (no unzeroized copies).
fn normalize_pem(text: &str) -> Zeroizing<String> {
    let trimmed = text.trim();
    let mut out = Zeroizing::new(String::with_capacity(trimmed.len() + 1));
    let escaped = !trimmed.contains('\n') && trimmed.contains("\\n");
    let mut push_line = |line: &str| {
        let line = line.trim();
        if !line.is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    };
    if escaped {
        trimmed.split("\\n").for_each(&mut push_line);
    } else {
        trimmed.lines().for_each(&mut push_line);
    }
    out
}

/// Finds the first PEM block; returns its label and the block text (BEGIN through END line).
fn pem_block(text: &str) -> Result<(&str, &str), AuthError> {
    const BEGIN: &str = "-----BEGIN ";
    const END: &str = "-----END ";
    const DASHES: &str = "-----";
    let start = text.find(BEGIN).ok_or(AuthError::NoPemBlock)?;
    let after_begin = &text[start + BEGIN.len()..];
    let label_len = after_begin.find(DASHES).ok_or(AuthError::NoPemBlock)?;
    let label = &after_begin[..label_len];
    if label.contains('\n') {
        return Err(AuthError::NoPemBlock);
    }
    let end_rel = text[start..].find(END).ok_or(AuthError::NoPemBlock)?;
    let end_label_start = start + end_rel + END.len();
    let end_dashes = text[end_label_start..]
        .find(DASHES)
        .ok_or(AuthError::NoPemBlock)?;
    let block_end = end_label_start + end_dashes + DASHES.len();
    Ok((label, &text[start..block_end]))
}

/// Returns the label if it looks like a PEM label (so it cannot carry key material).
fn describe_label(label: &str) -> String {
    let plausible = !label.is_empty()
        && label.len() <= 40
        && label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'-');
    if plausible {
        label.to_owned()
    } else {
        "<unrecognized label>".to_owned()
    }
}

/// Opens, permission-checks and reads a private key file.
fn read_private_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, AuthError> {
    let read_err = |source| AuthError::KeyFileRead {
        path: path.to_path_buf(),
        source,
    };
    let link_meta = fs::symlink_metadata(path).map_err(read_err)?;
    let file = File::open(path).map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(AuthError::KeyFileNotRegular {
            path: path.to_path_buf(),
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(AuthError::KeyFilePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    if link_meta.file_type().is_symlink() {
        let process_uid = current_uid()?;
        if meta.uid() != process_uid {
            return Err(AuthError::KeyFileOwner {
                path: path.to_path_buf(),
                owner_uid: meta.uid(),
                process_uid,
            });
        }
    }
    if meta.len() > MAX_KEY_FILE_BYTES {
        return Err(AuthError::KeyFileTooLarge {
            path: path.to_path_buf(),
            size_bytes: meta.len(),
            max_bytes: MAX_KEY_FILE_BYTES,
        });
    }
    // Capacity covers the whole (size-limited) file, so reading never reallocates and
    // leaves no unzeroized copy behind.
    let capacity = usize::try_from(MAX_KEY_FILE_BYTES + 1).unwrap_or(usize::MAX);
    let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(read_err)?;
    if buf.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(AuthError::KeyFileTooLarge {
            path: path.to_path_buf(),
            size_bytes: buf.len() as u64,
            max_bytes: MAX_KEY_FILE_BYTES,
        });
    }
    Ok(buf)
}

/// Effective uid of this process, without `libc`.
///
/// `/proc/self` is owned by the process's effective uid; where `/proc` is unavailable, a
/// freshly created temporary file's owner is used instead.
fn current_uid() -> Result<u32, AuthError> {
    if let Ok(meta) = fs::metadata("/proc/self") {
        return Ok(meta.uid());
    }
    static PROBES_MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let probe_number = PROBES_MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let probe = std::env::temp_dir().join(format!(
        ".kalshi-auth-uid-probe-{}-{probe_number}",
        std::process::id()
    ));
    let file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|source| AuthError::ProcessUid { source })?;
    let uid = file.metadata().map(|m| m.uid());
    drop(file);
    // Best effort: a leftover empty probe file is harmless.
    let _ = fs::remove_file(&probe);
    uid.map_err(|source| AuthError::ProcessUid { source })
}
