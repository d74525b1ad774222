//! RSA request signatures (signed through AWS-LC) are RSASSA-PSS / SHA-256 with a salt of
//! exactly 32 bytes, as Kalshi requires: they pass the crate's own lenient verifier and an
//! independent strict check that accepts salt length 32 and refuses 31 and 33.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kalshi_io::auth::{ApiCredentials, KeyKind, sign_request, signing_message};
use rand::SeedableRng as _;
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use rsa::signature::Verifier as _;
use sha2::Sha256;

const KEY_ID: &str = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c";
const TS_MS: i64 = 1_782_873_105_308;
const REQUESTS: [(&str, &str); 4] = [
    ("POST", "/trade-api/v2/portfolio/events/orders"),
    (
        "GET",
        "/trade-api/v2/portfolio/orders?limit=5&status=resting",
    ),
    ("DELETE", "/trade-api/v2/portfolio/events/orders/3b23c0de"),
    ("GET", "/trade-api/ws/v2"),
];

/// One RSA-2048 key (e = 65537), generated once per test binary.
fn rsa_key() -> &'static rsa::RsaPrivateKey {
    static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x0072_7361_5f70_7373);
        rsa::RsaPrivateKey::new(&mut rng, 2048).expect("generate RSA-2048 key")
    })
}

/// Whether `signature` verifies over `message` as RSASSA-PSS-SHA256 with exactly `salt_len`.
fn verifies_with_salt_len(message: &str, signature: &[u8], salt_len: usize) -> bool {
    let verifier =
        rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len(rsa_key().to_public_key(), salt_len);
    let Ok(signature) = rsa::pss::Signature::try_from(signature) else {
        return false;
    };
    verifier.verify(message.as_bytes(), &signature).is_ok()
}

fn check_signatures_of(creds: &ApiCredentials) {
    assert_eq!(creds.key().kind(), KeyKind::Rsa);
    let verifying = creds.key().verifying_key();
    assert_eq!(
        verifying.to_public_key_pem().unwrap(),
        rsa_key()
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap(),
        "the public half of the loaded key is the original public key"
    );
    let mut distinct = BTreeSet::new();
    for round in 0..4 {
        for (method, path) in REQUESTS {
            let timestamp_ms = TS_MS + round;
            let headers = sign_request(creds, timestamp_ms, method, path).unwrap();
            let signature = STANDARD.decode(headers.signature_b64()).unwrap();
            assert_eq!(signature.len(), 256, "one modulus length for RSA-2048");
            distinct.insert(signature.clone());

            verifying
                .verify_headers(&headers, method, path)
                .unwrap_or_else(|e| panic!("{method} {path}: crate verifier refused: {e}"));

            let message = signing_message(timestamp_ms, method, path).unwrap();
            assert!(
                verifies_with_salt_len(&message, &signature, 32),
                "{method} {path}: not PSS-SHA256 with salt length 32"
            );
            for wrong_salt_len in [0, 20, 31, 33, 64] {
                assert!(
                    !verifies_with_salt_len(&message, &signature, wrong_salt_len),
                    "{method} {path}: strict check also accepted salt length {wrong_salt_len}"
                );
            }
            let other = signing_message(timestamp_ms + 1, method, path).unwrap();
            assert!(
                !verifies_with_salt_len(&other, &signature, 32),
                "{method} {path}: signature also verifies another timestamp"
            );
        }
    }
    assert_eq!(
        distinct.len(),
        4 * REQUESTS.len(),
        "every signature has a fresh random salt"
    );
}

#[test]
fn pkcs1_key_signs_pss_sha256_with_salt_32() {
    let pem = rsa_key().to_pkcs1_pem(LineEnding::LF).unwrap();
    check_signatures_of(&ApiCredentials::from_pem(KEY_ID, &pem).unwrap());
}

#[test]
fn pkcs8_key_signs_pss_sha256_with_salt_32() {
    let pem = rsa_key().to_pkcs8_pem(LineEnding::LF).unwrap();
    check_signatures_of(&ApiCredentials::from_pem(KEY_ID, &pem).unwrap());
}

#[test]
fn same_message_twice_gives_two_valid_signatures() {
    let pem = rsa_key().to_pkcs8_pem(LineEnding::LF).unwrap();
    let creds = ApiCredentials::from_pem(KEY_ID, &pem).unwrap();
    let (method, path) = REQUESTS[0];
    let first = sign_request(&creds, TS_MS, method, path).unwrap();
    let second = sign_request(&creds, TS_MS, method, path).unwrap();
    assert_ne!(first.signature_b64(), second.signature_b64());
    let message = signing_message(TS_MS, method, path).unwrap();
    for headers in [first, second] {
        let signature = STANDARD.decode(headers.signature_b64()).unwrap();
        assert!(verifies_with_salt_len(&message, &signature, 32));
    }
}
