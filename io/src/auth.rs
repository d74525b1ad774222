//! Kalshi API request authentication, the client's side: credentials and signing.
//!
//! Kalshi authenticates REST calls and the WebSocket handshake with three headers:
//! the API key id, a millisecond Unix timestamp, and a signature over
//! `timestamp_ms + UPPERCASE_METHOD + path_without_query`. RSA keys sign with
//! RSASSA-PSS (SHA-256, MGF1-SHA-256, salt length 32); Ed25519 keys sign deterministically.
//!
//! What both sides share (the signed message, the headers, key parsing, verification, the
//! timestamp window, development key pairs) is defined in `kalshi_wire::auth` and
//! re-exported here; signing ([`SigningKey`], [`ApiCredentials`], [`sign_request`]) is
//! the client's and lives only here.
//!
//! Key material handling rules enforced here:
//! - Private keys are read from a file (refused when group/other-accessible, see
//!   [`SigningKey::from_pem_file`]) or from PEM text that the caller obtained from an
//!   environment variable or a secret store ([`SigningKey::from_pem`]). Key material must
//!   never be accepted on the command line (it would show in `ps` and shell history); the
//!   CLI is responsible for only accepting a key *path* or an environment variable *name*.
//! - No `Debug`/`Display` output and no error message contains key material or signatures.

mod keys;
mod rsa_signer;
mod sign;

pub use kalshi_wire::auth::{
    AuthError, AuthHeaders, DEFAULT_TIMESTAMP_TOLERANCE_MS, DevKeypair, HEADER_ACCESS_KEY,
    HEADER_ACCESS_SIGNATURE, HEADER_ACCESS_TIMESTAMP, KeyKind, PrivateKey, VerifyingKey,
    check_timestamp_skew, generate_dev_keypair, parse_timestamp_header, signing_message,
};
pub use keys::SigningKey;
pub use sign::{ApiCredentials, sign_request};
