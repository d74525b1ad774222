//! Kalshi request authentication as the server checks it, and the parts the client shares.
//!
//! Kalshi authenticates REST calls and the WebSocket handshake with three headers: the API
//! key id, a millisecond Unix timestamp, and a signature over
//! `timestamp_ms + UPPERCASE_METHOD + path_without_query`. RSA keys sign with RSASSA-PSS
//! (SHA-256, MGF1-SHA-256, salt length 32); Ed25519 keys sign deterministically.
//!
//! Here: the signed message ([`signing_message`]), the header values ([`AuthHeaders`]),
//! key parsing ([`PrivateKey`], [`VerifyingKey`]), signature verification
//! ([`VerifyingKey::verify`]) and the timestamp window ([`check_timestamp_skew`]), and the
//! development key pairs the local exchange issues ([`generate_dev_keypair`]). Signing is
//! the client's: `kalshi_io::auth::sign_request`.
//!
//! No `Debug`/`Display` output and no error message contains key material or signatures.

mod dev;
mod error;
mod keys;
mod message;
mod pss_any_salt;
mod verify;

pub use dev::{DevKeypair, generate_dev_keypair};
pub use error::AuthError;
pub use keys::{KeyKind, MIN_RSA_BITS, PrivateKey, VerifyingKey};
pub use message::{AuthHeaders, parse_timestamp_header, signing_message};
pub use verify::{DEFAULT_TIMESTAMP_TOLERANCE_MS, check_timestamp_skew};

/// Header carrying the API key id.
pub const HEADER_ACCESS_KEY: &str = "KALSHI-ACCESS-KEY";
/// Header carrying the request timestamp in Unix milliseconds (decimal).
pub const HEADER_ACCESS_TIMESTAMP: &str = "KALSHI-ACCESS-TIMESTAMP";
/// Header carrying the standard-base64 (padded) signature.
pub const HEADER_ACCESS_SIGNATURE: &str = "KALSHI-ACCESS-SIGNATURE";
