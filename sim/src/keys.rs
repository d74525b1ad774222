//! API keys the local exchange accepts: the development key pair it creates on first use,
//! and the registry mapping key ids to public keys and exchange users.
//!
//! The development key lives in a directory (default `.kalshi-sim/` under the current
//! directory) as `kalshi-dev-<key id>.pem`, a PKCS#8 private key written with mode 0600. On
//! the next start the same file is loaded again, so a bot configured with that key id and
//! path keeps working across restarts. The key id is derived from the public key.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use kalshi_wire::auth::{AuthError, KeyKind, PrivateKey, VerifyingKey, generate_dev_keypair};
use thiserror::Error;

use crate::exchange::UserId;

/// File name prefix of development private keys.
const DEV_KEY_PREFIX: &str = "kalshi-dev-";
/// File name suffix of development private keys.
const DEV_KEY_SUFFIX: &str = ".pem";

/// Why a key could not be loaded, created or registered.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The key directory could not be created or listed.
    #[error("key directory {}: {source}", .path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Loading, generating or parsing a key failed (the message never holds key material).
    #[error("key {what}: {source}")]
    Auth {
        /// What was being done.
        what: &'static str,
        /// The underlying error.
        source: AuthError,
    },
    /// A public key with this id is already registered.
    #[error("key id {key_id} is already registered")]
    DuplicateKeyId {
        /// The id.
        key_id: String,
    },
}

/// The development key pair: what a client needs to sign requests to the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevKey {
    /// The API key id (`KALSHI-ACCESS-KEY`).
    pub key_id: String,
    /// Path of the PKCS#8 private key PEM file (mode 0600).
    pub private_key_path: PathBuf,
    /// The SPKI public key PEM.
    pub public_key_pem: String,
}

/// Loads the development key from `dir`, or creates one of `kind` there when none exists.
///
/// When several development keys are present, the one with the smallest file name is used,
/// so the choice is stable. The directory is created with mode 0700.
pub fn load_or_create_dev_key(dir: &Path, kind: KeyKind) -> Result<DevKey, KeyError> {
    let dir_err = |source| KeyError::Directory {
        path: dir.to_path_buf(),
        source,
    };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(dir_err)?;
    let mut existing: Vec<PathBuf> = Vec::new();
    for entry in fs::read_dir(dir).map_err(dir_err)? {
        let entry = entry.map_err(dir_err)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(DEV_KEY_PREFIX) && name.ends_with(DEV_KEY_SUFFIX) {
            existing.push(entry.path());
        }
    }
    existing.sort();
    if let Some(path) = existing.into_iter().next() {
        let private = PrivateKey::from_pem_file(&path).map_err(|source| KeyError::Auth {
            what: "load",
            source,
        })?;
        let verifying = private.verifying_key();
        let key_id = verifying
            .derived_key_id()
            .map_err(|source| KeyError::Auth {
                what: "derive id",
                source,
            })?;
        let public_key_pem = verifying
            .to_public_key_pem()
            .map_err(|source| KeyError::Auth {
                what: "encode public key",
                source,
            })?;
        return Ok(DevKey {
            key_id,
            private_key_path: path,
            public_key_pem,
        });
    }
    let pair = generate_dev_keypair(kind, dir).map_err(|source| KeyError::Auth {
        what: "generate",
        source,
    })?;
    Ok(DevKey {
        key_id: pair.key_id,
        private_key_path: pair.private_key_path,
        public_key_pem: pair.public_key_pem,
    })
}

/// One accepted key: its public half and the user it authenticates as.
#[derive(Debug, Clone)]
pub struct RegisteredKey {
    /// The public key signatures are checked against.
    pub verifying_key: VerifyingKey,
    /// The exchange user requests signed with it act as.
    pub user: UserId,
}

/// Key id → accepted public key.
#[derive(Debug, Clone, Default)]
pub struct KeyRegistry {
    keys: BTreeMap<String, RegisteredKey>,
}

impl KeyRegistry {
    /// An empty registry.
    pub fn new() -> KeyRegistry {
        KeyRegistry::default()
    }

    /// Accepts `public_key_pem` (SPKI) under `key_id` for `user`.
    pub fn register(
        &mut self,
        key_id: &str,
        public_key_pem: &str,
        user: UserId,
    ) -> Result<(), KeyError> {
        if self.keys.contains_key(key_id) {
            return Err(KeyError::DuplicateKeyId {
                key_id: key_id.to_string(),
            });
        }
        let verifying_key =
            VerifyingKey::from_public_key_pem(public_key_pem).map_err(|source| KeyError::Auth {
                what: "parse public key",
                source,
            })?;
        self.keys.insert(
            key_id.to_string(),
            RegisteredKey {
                verifying_key,
                user,
            },
        );
        Ok(())
    }

    /// The key registered under `key_id`.
    pub fn get(&self, key_id: &str) -> Option<&RegisteredKey> {
        self.keys.get(key_id)
    }

    /// Number of registered keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is registered.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The id a public key gets when registered without an explicit one (derived from its bytes).
pub fn derived_key_id(public_key_pem: &str) -> Result<String, KeyError> {
    VerifyingKey::from_public_key_pem(public_key_pem)
        .and_then(|key| key.derived_key_id())
        .map_err(|source| KeyError::Auth {
            what: "derive id",
            source,
        })
}
