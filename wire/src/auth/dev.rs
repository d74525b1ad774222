//! Development key pairs for the local exchange simulator.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use rsa::pkcs8::EncodePrivateKey as _;
use rsa::pkcs8::LineEnding;

use super::{AuthError, KeyKind, PrivateKey};

/// Modulus size of generated RSA development keys.
const DEV_RSA_BITS: usize = 2048;

/// A generated development key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevKeypair {
    /// Path of the PKCS#8 private key PEM file (mode 0600).
    pub private_key_path: PathBuf,
    /// SPKI public key PEM, for registering the key with the simulator.
    pub public_key_pem: String,
    /// Key id derived from the public key (see [`super::VerifyingKey::derived_key_id`]).
    pub key_id: String,
}

/// Generates a key pair and writes the private key to `dir` as PKCS#8 PEM.
///
/// Ed25519 is fast and the suggested default; RSA keys are 2048-bit (slow in debug builds).
/// The file `kalshi-dev-<key_id>.pem` is created with mode 0600 from the start (never
/// widened then narrowed), written to a temporary name, synced and renamed into place, so
/// readers never see a partial file.
pub fn generate_dev_keypair(kind: KeyKind, dir: &Path) -> Result<DevKeypair, AuthError> {
    let mut rng = rand::rngs::OsRng;
    let (private_pem, private_key) = match kind {
        KeyKind::Ed25519 => {
            let key = ed25519_dalek::SigningKey::generate(&mut rng);
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|_| AuthError::KeyGeneration {
                    kind,
                    stage: "PKCS#8 encoding",
                })?;
            (pem, PrivateKey::Ed25519(Box::new(key)))
        }
        KeyKind::Rsa => {
            let key = rsa::RsaPrivateKey::new(&mut rng, DEV_RSA_BITS).map_err(|_| {
                AuthError::KeyGeneration {
                    kind,
                    stage: "RSA key generation",
                }
            })?;
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|_| AuthError::KeyGeneration {
                    kind,
                    stage: "PKCS#8 encoding",
                })?;
            (pem, PrivateKey::from_rsa(key)?)
        }
    };
    let verifying_key = private_key.verifying_key();
    let key_id = verifying_key.derived_key_id()?;
    let public_key_pem = verifying_key.to_public_key_pem()?;

    let final_path = dir.join(format!("kalshi-dev-{key_id}.pem"));
    let tmp_path = dir.join(format!(".kalshi-dev-{key_id}.pem.tmp"));
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AuthError::KeyFileWrite { path, source }
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp_path)
        .map_err(write_err(&tmp_path))?;
    let written = file
        .write_all(private_pem.as_bytes())
        .and_then(|()| file.sync_all());
    drop(file);
    if let Err(source) = written.and_then(|()| fs::rename(&tmp_path, &final_path)) {
        // Best effort cleanup; the write error is what matters.
        let _ = fs::remove_file(&tmp_path);
        return Err(AuthError::KeyFileWrite {
            path: final_path,
            source,
        });
    }
    Ok(DevKeypair {
        private_key_path: final_path,
        public_key_pem,
        key_id,
    })
}
