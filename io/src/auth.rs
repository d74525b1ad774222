//! Kalshi API request authentication (signing for the client, verification for the simulator).
//!
//! Kalshi authenticates REST calls and the WebSocket handshake with three headers:
//! the API key id, a millisecond Unix timestamp, and a signature over
//! `timestamp_ms + UPPERCASE_METHOD + path_without_query`. RSA keys sign with
//! RSASSA-PSS (SHA-256, MGF1-SHA-256, salt length 32); Ed25519 keys sign deterministically.
//!
//! Key material handling rules enforced here:
//! - Private keys are read from a file (refused when group/other-accessible, see
//!   [`SigningKey::from_pem_file`]) or from PEM text that the caller obtained from an
//!   environment variable or a secret store ([`SigningKey::from_pem`]). Key material must
//!   never be accepted on the command line (it would show in `ps` and shell history); the
//!   CLI is responsible for only accepting a key *path* or an environment variable *name*.
//! - No `Debug`/`Display` output and no error message contains key material or signatures.

mod dev;
mod error;
mod keys;
mod pss_any_salt;
mod rsa_signer;
mod sign;
mod verify;

pub use dev::{DevKeypair, generate_dev_keypair};
pub use error::AuthError;
pub use keys::{KeyKind, SigningKey, VerifyingKey};
pub use sign::{
    ApiCredentials, AuthHeaders, parse_timestamp_header, sign_request, signing_message,
};
pub use verify::{DEFAULT_TIMESTAMP_TOLERANCE_MS, check_timestamp_skew};

/// Header carrying the API key id.
pub const HEADER_ACCESS_KEY: &str = "KALSHI-ACCESS-KEY";
/// Header carrying the request timestamp in Unix milliseconds (decimal).
pub const HEADER_ACCESS_TIMESTAMP: &str = "KALSHI-ACCESS-TIMESTAMP";
/// Header carrying the standard-base64 (padded) signature.
pub const HEADER_ACCESS_SIGNATURE: &str = "KALSHI-ACCESS-SIGNATURE";
