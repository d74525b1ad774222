//! RSASSA-PSS signing (SHA-256, MGF1-SHA-256, salt length 32) for RSA keys.
//!
//! Keys are parsed and checked with the `rsa` crate; signing goes through `ring`, whose
//! constant-time assembly Montgomery arithmetic is several times faster than the pure-Rust
//! big integers. ring accepts only moduli of 2048..=4096 bits with a public exponent of at
//! least 65537; any other key the `rsa` crate accepts keeps signing with the `rsa` crate's
//! blinded PSS signer, so no key that loaded before is refused now.

use rsa::RsaPrivateKey;
use rsa::RsaPublicKey;
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};
use sha2::Sha256;

/// Why a signature could not be produced (carries no key material).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RsaSignFailed;

/// Which implementation holds the private key.
enum Backend {
    /// ring's key pair (PKCS#1 DER handed over once at construction).
    Ring {
        key_pair: ring::signature::RsaKeyPair,
        rng: ring::rand::SystemRandom,
    },
    /// The `rsa` crate's blinded signer, for keys ring refuses.
    Portable(rsa::pss::BlindedSigningKey<Sha256>),
}

/// An RSA private key ready to sign Kalshi requests, with its public half.
pub(crate) struct RsaSigner {
    public: RsaPublicKey,
    backend: Backend,
}

impl RsaSigner {
    /// Takes over `key`, handing it to ring when ring accepts it.
    pub(crate) fn new(key: RsaPrivateKey) -> RsaSigner {
        let public = key.to_public_key();
        let backend = match ring_key_pair(&key) {
            Ok(key_pair) => Backend::Ring {
                key_pair,
                rng: ring::rand::SystemRandom::new(),
            },
            Err(reason) => {
                tracing::debug!(
                    reason = %reason,
                    "RSA key not accepted by the fast signer; signing with the portable one"
                );
                Backend::Portable(rsa::pss::BlindedSigningKey::new(key))
            }
        };
        RsaSigner { public, backend }
    }

    /// The public key.
    pub(crate) fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// Whether signing goes through ring (false: the portable fallback).
    #[cfg(test)]
    fn uses_ring(&self) -> bool {
        matches!(self.backend, Backend::Ring { .. })
    }

    /// RSASSA-PSS signature of `message` (SHA-256, MGF1-SHA-256, a fresh 32-byte salt from
    /// the operating system's random source). The output is as long as the modulus.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, RsaSignFailed> {
        match &self.backend {
            Backend::Ring { key_pair, rng } => {
                let mut signature = vec![0u8; key_pair.public().modulus_len()];
                key_pair
                    .sign(
                        &ring::signature::RSA_PSS_SHA256,
                        rng,
                        message,
                        &mut signature,
                    )
                    .map_err(|_| RsaSignFailed)?;
                Ok(signature)
            }
            Backend::Portable(key) => key
                .try_sign_with_rng(&mut rand::rngs::OsRng, message)
                .map(|signature| signature.to_vec())
                .map_err(|_| RsaSignFailed),
        }
    }
}

/// Converts `key` to PKCS#1 DER (wiped when dropped) and lets ring parse and check it.
/// The error is ring's reason name (such as `InvalidComponent`), which holds no key material.
fn ring_key_pair(key: &RsaPrivateKey) -> Result<ring::signature::RsaKeyPair, String> {
    let der = key
        .to_pkcs1_der()
        .map_err(|_| "PKCS#1 DER encoding failed".to_owned())?;
    ring::signature::RsaKeyPair::from_der(der.as_bytes()).map_err(|rejected| rejected.to_string())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;
    use rsa::signature::Verifier as _;

    use super::*;

    const MESSAGE: &[u8] = b"1703123456789POST/trade-api/v2/portfolio/events/orders";

    fn key_with_exponent(exponent: u32) -> RsaPrivateKey {
        let mut rng = rand::rngs::StdRng::seed_from_u64(u64::from(exponent));
        RsaPrivateKey::new_with_exp(&mut rng, 2048, &rsa::BigUint::from(exponent))
            .expect("generate RSA-2048 key")
    }

    fn verifies_with_salt_32(signer: &RsaSigner, signature: &[u8]) -> bool {
        let verifier = rsa::pss::VerifyingKey::<Sha256>::new(signer.public_key().clone());
        let signature = rsa::pss::Signature::try_from(signature).expect("signature length");
        verifier.verify(MESSAGE, &signature).is_ok()
    }

    #[test]
    fn standard_exponent_key_signs_through_ring() {
        let signer = RsaSigner::new(key_with_exponent(65_537));
        assert!(signer.uses_ring(), "a 2048-bit e=65537 key goes to ring");
        let signature = signer.sign(MESSAGE).unwrap();
        assert_eq!(signature.len(), 256);
        assert!(verifies_with_salt_32(&signer, &signature));
    }

    #[test]
    fn key_ring_refuses_still_signs_with_the_portable_signer() {
        // ring requires a public exponent of at least 65537; the rsa crate accepts 3.
        let signer = RsaSigner::new(key_with_exponent(3));
        assert!(!signer.uses_ring(), "e=3 is refused by ring");
        let signature = signer.sign(MESSAGE).unwrap();
        assert!(verifies_with_salt_32(&signer, &signature));
    }
}
