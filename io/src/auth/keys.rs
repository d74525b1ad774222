//! The client's signing key: a parsed private key ready to sign (RSA through AWS-LC).

use std::fmt;
use std::path::Path;

use kalshi_wire::auth::{AuthError, KeyKind, MIN_RSA_BITS, PrivateKey, VerifyingKey};
use rsa::RsaPrivateKey;
use rsa::traits::PublicKeyParts as _;

use super::rsa_signer::RsaSigner;

pub(crate) enum SigningKeyInner {
    Rsa(Box<RsaSigner>),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// A private key used to sign Kalshi requests (RSA or Ed25519).
///
/// `Debug` shows only the key kind; there is deliberately no `Display`. Ed25519 keys and
/// every intermediate copy made while loading (file bytes, PEM text, DER) are wiped when
/// dropped. RSA keys sign through AWS-LC (`aws-lc-rs`), which wipes its copy of the key when
/// it is freed; RSA keys that AWS-LC refuses (see [`SigningKey::from_rsa`]) stay with the
/// `rsa` crate, which wipes them as well.
pub struct SigningKey {
    pub(crate) inner: SigningKeyInner,
    /// The public half, derived once when the key is loaded.
    verifying: VerifyingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kind", &self.kind())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl SigningKey {
    /// Parses a private key from PEM text: RSA PKCS#1 (`BEGIN RSA PRIVATE KEY`), or PKCS#8
    /// (`BEGIN PRIVATE KEY`) holding RSA or Ed25519 (see [`PrivateKey::from_pem`]).
    ///
    /// Intended for a value the caller read from an environment variable or secret store;
    /// never pass key material taken from command-line arguments. Errors never echo the text.
    pub fn from_pem(pem_text: &str) -> Result<Self, AuthError> {
        Self::from_private_key(PrivateKey::from_pem(pem_text)?)
    }

    /// Loads a private key from a PEM file, refusing unsafe files (group- or
    /// other-accessible, not regular, a symlink to another user's file; see
    /// [`PrivateKey::from_pem_file`]).
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, AuthError> {
        Self::from_private_key(PrivateKey::from_pem_file(path)?)
    }

    /// Wraps a parsed private key.
    pub fn from_private_key(key: PrivateKey) -> Result<Self, AuthError> {
        match key {
            PrivateKey::Rsa(key) => Self::from_rsa(*key),
            PrivateKey::Ed25519(key) => Ok(Self::from_ed25519(*key)),
        }
    }

    /// Wraps an RSA private key (at least 2048 bits).
    ///
    /// Two-prime keys of 2048 to 8192 bits (every key Kalshi or `openssl genpkey` produces)
    /// sign through AWS-LC; any other accepted key (multi-prime, or above 8192 bits) signs
    /// with the slower pure-Rust `rsa` signer. Both produce RSASSA-PSS / SHA-256 / salt 32.
    pub fn from_rsa(key: RsaPrivateKey) -> Result<Self, AuthError> {
        let bits = key.n().bits();
        if bits < MIN_RSA_BITS {
            return Err(AuthError::WeakRsaKey {
                bits,
                min_bits: MIN_RSA_BITS,
            });
        }
        let signer = RsaSigner::new(key);
        let verifying = VerifyingKey::from_rsa(signer.public_key().clone())?;
        Ok(Self {
            inner: SigningKeyInner::Rsa(Box::new(signer)),
            verifying,
        })
    }

    /// Wraps an Ed25519 private key.
    pub fn from_ed25519(key: ed25519_dalek::SigningKey) -> Self {
        let verifying = VerifyingKey::from_ed25519(key.verifying_key());
        Self {
            inner: SigningKeyInner::Ed25519(Box::new(key)),
            verifying,
        }
    }

    /// The algorithm of this key.
    pub fn kind(&self) -> KeyKind {
        match &self.inner {
            SigningKeyInner::Rsa(_) => KeyKind::Rsa,
            SigningKeyInner::Ed25519(_) => KeyKind::Ed25519,
        }
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.verifying.clone()
    }
}
