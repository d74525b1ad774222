//! RSASSA-PSS signing (SHA-256, MGF1-SHA-256, salt length 32) for RSA keys.
//!
//! Keys are parsed and checked with the `rsa` crate; signing goes through `aws-lc-rs`
//! (AWS-LC), whose constant-time assembly Montgomery arithmetic (AVX-512 IFMA on CPUs that
//! have it) is several times faster than the pure-Rust big integers. AWS-LC frees its copy of
//! the key with the memory wiped. It accepts two-prime keys of 2048..=8192 bits with any
//! valid public exponent; any other key the `rsa` crate accepts (multi-prime keys, moduli
//! above 8192 bits) keeps signing with the `rsa` crate's blinded PSS signer, so no key that
//! loaded before is refused now.

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
    /// AWS-LC's key pair (PKCS#1 DER handed over once at construction).
    AwsLc {
        key_pair: aws_lc_rs::signature::RsaKeyPair,
        rng: aws_lc_rs::rand::SystemRandom,
    },
    /// The `rsa` crate's blinded signer, for keys AWS-LC refuses.
    Portable(Box<rsa::pss::BlindedSigningKey<Sha256>>),
}

/// An RSA private key ready to sign Kalshi requests, with its public half.
pub(crate) struct RsaSigner {
    public: RsaPublicKey,
    backend: Backend,
}

impl RsaSigner {
    /// Takes over `key`, handing it to AWS-LC when AWS-LC accepts it.
    pub(crate) fn new(key: RsaPrivateKey) -> RsaSigner {
        let public = key.to_public_key();
        let backend = match aws_lc_key_pair(&key) {
            Ok(key_pair) => Backend::AwsLc {
                key_pair,
                rng: aws_lc_rs::rand::SystemRandom::new(),
            },
            Err(reason) => {
                tracing::debug!(
                    reason = %reason,
                    "RSA key not accepted by the fast signer; signing with the portable one"
                );
                Backend::Portable(Box::new(rsa::pss::BlindedSigningKey::new(key)))
            }
        };
        RsaSigner { public, backend }
    }

    /// The public key.
    pub(crate) fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// Whether signing goes through AWS-LC (false: the portable fallback).
    #[cfg(test)]
    fn uses_aws_lc(&self) -> bool {
        matches!(self.backend, Backend::AwsLc { .. })
    }

    /// RSASSA-PSS signature of `message` (SHA-256, MGF1-SHA-256, a fresh random 32-byte
    /// salt: from AWS-LC's OS-seeded generator, or from the operating system for the
    /// portable signer). The output is as long as the modulus.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, RsaSignFailed> {
        match &self.backend {
            Backend::AwsLc { key_pair, rng } => {
                let mut signature = vec![0u8; key_pair.public_modulus_len()];
                key_pair
                    .sign(
                        &aws_lc_rs::signature::RSA_PSS_SHA256,
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

/// Converts `key` to PKCS#1 DER (wiped when dropped) and lets AWS-LC parse and check it.
/// The error is AWS-LC's reason name (such as `TooLarge`), which holds no key material.
fn aws_lc_key_pair(key: &RsaPrivateKey) -> Result<aws_lc_rs::signature::RsaKeyPair, String> {
    let der = key
        .to_pkcs1_der()
        .map_err(|_| "PKCS#1 DER encoding failed".to_owned())?;
    aws_lc_rs::signature::RsaKeyPair::from_der(der.as_bytes())
        .map_err(|rejected| rejected.to_string())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;
    use rsa::signature::Verifier as _;
    use rsa::traits::{PrivateKeyParts as _, PublicKeyParts as _};

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

    /// A 2048- or 2049-bit key with three primes of 683 bits each (taken from two generated
    /// 1366-bit keys), e = 65537: valid for the `rsa` crate, refused by AWS-LC.
    fn three_prime_key() -> RsaPrivateKey {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut primes = Vec::new();
        for _ in 0..2 {
            let half_size = RsaPrivateKey::new(&mut rng, 1366).expect("generate RSA-1366 key");
            primes.extend_from_slice(half_size.primes());
        }
        primes.truncate(3);
        let key = RsaPrivateKey::from_primes(primes, rsa::BigUint::from(65_537u32))
            .expect("three-prime key");
        key.validate().expect("three-prime key is consistent");
        key
    }

    #[test]
    fn standard_exponent_key_signs_through_aws_lc() {
        let signer = RsaSigner::new(key_with_exponent(65_537));
        assert!(
            signer.uses_aws_lc(),
            "a 2048-bit e=65537 key goes to AWS-LC"
        );
        let signature = signer.sign(MESSAGE).unwrap();
        assert_eq!(signature.len(), 256);
        assert!(verifies_with_salt_32(&signer, &signature));
    }

    #[test]
    fn small_exponent_key_signs_through_aws_lc() {
        // ring refused public exponents below 65537; AWS-LC takes e = 3.
        let signer = RsaSigner::new(key_with_exponent(3));
        assert!(signer.uses_aws_lc(), "a 2048-bit e=3 key goes to AWS-LC");
        let signature = signer.sign(MESSAGE).unwrap();
        assert!(verifies_with_salt_32(&signer, &signature));
    }

    #[test]
    fn salts_are_fresh_per_signature() {
        let signer = RsaSigner::new(key_with_exponent(65_537));
        let first = signer.sign(MESSAGE).unwrap();
        let second = signer.sign(MESSAGE).unwrap();
        assert_ne!(
            first, second,
            "PSS with a random salt never repeats a signature"
        );
        assert!(verifies_with_salt_32(&signer, &second));
    }

    #[test]
    fn key_aws_lc_refuses_still_signs_with_the_portable_signer() {
        let key = three_prime_key();
        let bits = key.n().bits();
        assert!((2048..=2049).contains(&bits), "modulus of {bits} bits");
        let signer = RsaSigner::new(key);
        assert!(!signer.uses_aws_lc(), "AWS-LC parses only two-prime keys");
        let signature = signer.sign(MESSAGE).unwrap();
        assert!(verifies_with_salt_32(&signer, &signature));
    }
}
