//! Error type for authentication. No variant carries key material, PEM text or signatures.

use std::path::PathBuf;

/// Errors from loading keys, signing requests and verifying signatures.
///
/// Messages name files, PEM labels and formats, never key bytes, PEM bodies or signatures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The key file can be read, written or executed by group or others.
    #[error(
        "key file {} is accessible by group or others (mode {mode:04o}); \
         restrict it with `chmod 600 {}`",
        .path.display(),
        .path.display()
    )]
    KeyFilePermissions {
        /// Path as given by the caller.
        path: PathBuf,
        /// Permission bits of the file (`st_mode & 0o7777`).
        mode: u32,
    },
    /// The key path is a symlink whose target belongs to another user.
    #[error(
        "key file {} is a symlink to a file owned by uid {owner_uid}, but this process runs \
         as uid {process_uid}; point to a key file you own",
        .path.display()
    )]
    KeyFileOwner {
        /// Path as given by the caller.
        path: PathBuf,
        /// Owner uid of the symlink target.
        owner_uid: u32,
        /// Effective uid of this process.
        process_uid: u32,
    },
    /// The key path does not refer to a regular file.
    #[error("key file {} is not a regular file", .path.display())]
    KeyFileNotRegular {
        /// Path as given by the caller.
        path: PathBuf,
    },
    /// The key file is implausibly large for a PEM key.
    #[error("key file {} is {size_bytes} bytes, larger than the {max_bytes}-byte limit for a PEM key", .path.display())]
    KeyFileTooLarge {
        /// Path as given by the caller.
        path: PathBuf,
        /// Size of the file.
        size_bytes: u64,
        /// Maximum accepted size.
        max_bytes: u64,
    },
    /// The key file could not be opened or read.
    #[error("cannot read key file {}: {source}", .path.display())]
    KeyFileRead {
        /// Path as given by the caller.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },
    /// A key file could not be written (development key generation).
    #[error("cannot write key file {}: {source}", .path.display())]
    KeyFileWrite {
        /// Path being written.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },
    /// The uid of the current process could not be determined.
    #[error("cannot determine the uid of this process: {source}")]
    ProcessUid {
        /// Underlying I/O error.
        source: std::io::Error,
    },
    /// The text contains no `-----BEGIN ...-----` / `-----END ...-----` PEM block.
    #[error("no PEM block found; expected a line like `-----BEGIN PRIVATE KEY-----`")]
    NoPemBlock,
    /// A PEM block with an unsupported label was found.
    #[error("unsupported key format: found PEM label `{found}`; expected {expected}")]
    UnsupportedKeyFormat {
        /// The label of the PEM header line (e.g. `EC PRIVATE KEY`), or a placeholder when
        /// the header line is not a plausible label.
        found: String,
        /// The labels accepted in this context.
        expected: &'static str,
    },
    /// The PEM block has a supported label but its contents do not decode as a key.
    #[error("malformed key: PEM block `{label}` does not contain a valid {format}")]
    MalformedKey {
        /// The PEM label that was found.
        label: &'static str,
        /// The key structure that was expected.
        format: &'static str,
    },
    /// The RSA key is shorter than the accepted minimum.
    #[error("RSA key has {bits} bits; at least {min_bits} bits are required")]
    WeakRsaKey {
        /// Modulus size of the key.
        bits: usize,
        /// Minimum accepted modulus size.
        min_bits: usize,
    },
    /// The API key id is empty or contains characters that cannot go in an HTTP header.
    #[error("invalid API key id: it must be non-empty printable ASCII without spaces")]
    InvalidKeyId,
    /// The HTTP method is empty or not made of ASCII letters.
    #[error("invalid HTTP method: expected ASCII letters such as GET or POST")]
    InvalidMethod,
    /// The request path is not an absolute path (e.g. a full URL or contains whitespace).
    #[error("invalid request path `{path}`: expected an absolute path such as /trade-api/v2/...")]
    InvalidPath {
        /// The path as given.
        path: String,
    },
    /// A timestamp to sign is negative.
    #[error("invalid timestamp {timestamp_ms} ms: must be a non-negative Unix time")]
    NegativeTimestamp {
        /// The timestamp as given.
        timestamp_ms: i64,
    },
    /// The timestamp header is not a plain decimal number of milliseconds.
    #[error(
        "invalid {} header: expected decimal Unix milliseconds",
        crate::auth::HEADER_ACCESS_TIMESTAMP
    )]
    InvalidTimestampHeader,
    /// The signature header is not valid standard base64 with padding.
    #[error(
        "invalid {} header: not standard base64 with padding",
        crate::auth::HEADER_ACCESS_SIGNATURE
    )]
    BadSignatureEncoding,
    /// The signature does not match the message and key.
    #[error("signature does not match the request and key")]
    SignatureMismatch,
    /// The timestamp header is too far from the server's clock.
    #[error(
        "request timestamp {header_ts_ms} ms is {skew_ms} ms away from server time \
         {server_now_ms} ms (tolerance {tolerance_ms} ms)"
    )]
    TimestampSkew {
        /// Timestamp from the request header.
        header_ts_ms: i64,
        /// Server clock at verification.
        server_now_ms: i64,
        /// Absolute difference between the two.
        skew_ms: u64,
        /// Accepted absolute difference.
        tolerance_ms: u64,
    },
    /// The signing primitive failed (not expected with a valid key).
    #[error("signing failed for the {kind} key")]
    Signing {
        /// Kind of key used.
        kind: super::KeyKind,
    },
    /// Key generation or encoding failed (development keys).
    #[error("cannot generate {kind} development key: {stage} failed")]
    KeyGeneration {
        /// Kind of key being generated.
        kind: super::KeyKind,
        /// Which step failed.
        stage: &'static str,
    },
}
