//! Signing and verification: exact signed message, round trips for every key format,
//! rejection of tampered requests, and RSA-PSS salt-length leniency.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::Signer as _;
use kalshi_io::auth::{
    ApiCredentials, AuthError, AuthHeaders, KeyKind, SigningKey, VerifyingKey,
    check_timestamp_skew, parse_timestamp_header, sign_request, signing_message,
};
use proptest::prelude::*;
use rand::SeedableRng as _;
use rsa::pkcs1::{EncodeRsaPrivateKey as _, EncodeRsaPublicKey as _};
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _, Verifier as _};
use sha2::Sha256;

const TS_MS: i64 = 1_703_123_456_789;
const ORDERS_WITH_QUERY: &str = "/trade-api/v2/portfolio/orders?limit=5&status=resting";
const ORDERS_PATH: &str = "/trade-api/v2/portfolio/orders";
const WS_PATH: &str = "/trade-api/ws/v2";

/// Two RSA-2048 keys, generated once per test binary (slow in debug builds).
fn rsa_keys() -> &'static (rsa::RsaPrivateKey, rsa::RsaPrivateKey) {
    static KEYS: OnceLock<(rsa::RsaPrivateKey, rsa::RsaPrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x6b61_6c73_6869);
        let a = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("generate RSA key a");
        let b = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("generate RSA key b");
        (a, b)
    })
}

fn ed25519_key(seed: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
}

fn ed25519_pem(seed: u8) -> String {
    ed25519_key(seed)
        .to_pkcs8_pem(LineEnding::LF)
        .expect("encode ed25519")
        .to_string()
}

fn rsa_pkcs1_pem(key: &rsa::RsaPrivateKey) -> String {
    key.to_pkcs1_pem(LineEnding::LF)
        .expect("encode pkcs1")
        .to_string()
}

fn rsa_pkcs8_pem(key: &rsa::RsaPrivateKey) -> String {
    key.to_pkcs8_pem(LineEnding::LF)
        .expect("encode pkcs8")
        .to_string()
}

fn creds(pem: &str) -> ApiCredentials {
    ApiCredentials::from_pem("a952bcbe-ec3b-4b5b-b8f9-11dae589608c", pem).expect("load key")
}

#[test]
fn signed_message_is_timestamp_method_and_path_without_query() {
    assert_eq!(
        signing_message(TS_MS, "GET", ORDERS_WITH_QUERY).unwrap(),
        "1703123456789GET/trade-api/v2/portfolio/orders"
    );
    assert_eq!(
        signing_message(TS_MS, "get", WS_PATH).unwrap(),
        "1703123456789GET/trade-api/ws/v2"
    );
    assert_eq!(
        signing_message(
            TS_MS,
            "delete",
            "/trade-api/v2/portfolio/events/orders/3b23?x=1?y=2"
        )
        .unwrap(),
        "1703123456789DELETE/trade-api/v2/portfolio/events/orders/3b23"
    );
}

#[test]
fn ed25519_signature_is_over_the_exact_kalshi_string() {
    let key = ed25519_key(7);
    let creds = creds(&ed25519_pem(7));
    let headers = sign_request(&creds, TS_MS, "GET", ORDERS_WITH_QUERY).unwrap();
    let expected = key.sign(b"1703123456789GET/trade-api/v2/portfolio/orders");
    assert_eq!(
        headers.signature_b64(),
        STANDARD.encode(expected.to_bytes())
    );
    assert_eq!(headers.timestamp_ms(), "1703123456789");
    assert_eq!(headers.key_id(), "a952bcbe-ec3b-4b5b-b8f9-11dae589608c");
    // Lowercase method signs the same bytes.
    let lower = sign_request(&creds, TS_MS, "get", ORDERS_WITH_QUERY).unwrap();
    assert_eq!(lower, headers);

    let ws = sign_request(&creds, TS_MS, "GET", WS_PATH).unwrap();
    let expected_ws = key.sign(b"1703123456789GET/trade-api/ws/v2");
    assert_eq!(ws.signature_b64(), STANDARD.encode(expected_ws.to_bytes()));
}

#[test]
fn header_pairs_use_kalshi_names_and_padded_base64() {
    let creds = creds(&ed25519_pem(7));
    let headers = sign_request(
        &creds,
        TS_MS,
        "POST",
        "/trade-api/v2/portfolio/events/orders",
    )
    .unwrap();
    let pairs = headers.header_pairs();
    assert_eq!(
        pairs[0],
        ("KALSHI-ACCESS-KEY", "a952bcbe-ec3b-4b5b-b8f9-11dae589608c")
    );
    assert_eq!(pairs[1], ("KALSHI-ACCESS-TIMESTAMP", "1703123456789"));
    assert_eq!(pairs[2].0, "KALSHI-ACCESS-SIGNATURE");
    // 64 signature bytes -> 88 base64 chars ending in "==".
    assert_eq!(pairs[2].1.len(), 88);
    assert!(pairs[2].1.ends_with("=="));
}

#[test]
fn rsa_signature_uses_pss_sha256_salt_32() {
    let (key, _) = rsa_keys();
    let creds = creds(&rsa_pkcs1_pem(key));
    assert_eq!(creds.key().kind(), KeyKind::Rsa);
    let headers = sign_request(&creds, TS_MS, "GET", ORDERS_WITH_QUERY).unwrap();
    let sig_bytes = STANDARD.decode(headers.signature_b64()).unwrap();
    assert_eq!(sig_bytes.len(), 256);
    // The rsa crate's standard verifier only accepts salt length == 32 (digest length).
    let strict = rsa::pss::VerifyingKey::<Sha256>::new(key.to_public_key());
    let sig = rsa::pss::Signature::try_from(sig_bytes.as_slice()).unwrap();
    strict
        .verify(b"1703123456789GET/trade-api/v2/portfolio/orders", &sig)
        .expect("salt-32 PSS verification of the exact Kalshi string");
    // Randomized: two signatures of the same request differ.
    let again = sign_request(&creds, TS_MS, "GET", ORDERS_WITH_QUERY).unwrap();
    assert_ne!(again.signature_b64(), headers.signature_b64());
}

/// Signs and verifies, then checks that changing each signed input breaks verification.
fn assert_round_trip_and_tamper_detection(signing_pem: &str, public: &VerifyingKey) {
    let creds = creds(signing_pem);
    for (method, path) in [
        ("GET", ORDERS_WITH_QUERY),
        ("GET", WS_PATH),
        ("POST", ORDERS_PATH),
    ] {
        let headers = sign_request(&creds, TS_MS, method, path).unwrap();
        let sig = headers.signature_b64();
        let ts = headers.timestamp_ms();
        public.verify(ts, method, path, sig).expect("round trip");
        public
            .verify_headers(&headers, &method.to_lowercase(), path)
            .expect("round trip, lowercase method");
        // The query string is not signed.
        public
            .verify(ts, method, &format!("{path}?other=1"), sig)
            .expect("query ignored");

        let other_method = if method == "GET" { "POST" } else { "GET" };
        assert!(matches!(
            public.verify(ts, other_method, path, sig),
            Err(AuthError::SignatureMismatch)
        ));
        assert!(matches!(
            public.verify(ts, method, "/trade-api/v2/portfolio/fills", sig),
            Err(AuthError::SignatureMismatch)
        ));
        assert!(matches!(
            public.verify("1703123456790", method, path, sig),
            Err(AuthError::SignatureMismatch)
        ));
    }
}

#[test]
fn ed25519_round_trip_and_tampering() {
    let public = SigningKey::from_pem(&ed25519_pem(7))
        .unwrap()
        .verifying_key();
    assert_eq!(public.kind(), KeyKind::Ed25519);
    assert_round_trip_and_tamper_detection(&ed25519_pem(7), &public);
    // Also via SPKI PEM.
    let spki = ed25519_key(7)
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let parsed = VerifyingKey::from_public_key_pem(&spki).unwrap();
    assert_round_trip_and_tamper_detection(&ed25519_pem(7), &parsed);
}

#[test]
fn rsa_pkcs1_round_trip_and_tampering() {
    let (key, _) = rsa_keys();
    let public_pkcs1 = key.to_public_key().to_pkcs1_pem(LineEnding::LF).unwrap();
    let public = VerifyingKey::from_public_key_pem(&public_pkcs1).unwrap();
    assert_eq!(public.kind(), KeyKind::Rsa);
    assert_round_trip_and_tamper_detection(&rsa_pkcs1_pem(key), &public);
}

#[test]
fn rsa_pkcs8_round_trip_and_tampering() {
    let (key, _) = rsa_keys();
    let spki = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let public = VerifyingKey::from_public_key_pem(&spki).unwrap();
    assert_round_trip_and_tamper_detection(&rsa_pkcs8_pem(key), &public);
}

#[test]
fn verification_with_the_wrong_key_fails() {
    let (key_a, key_b) = rsa_keys();
    let headers = sign_request(&creds(&rsa_pkcs8_pem(key_a)), TS_MS, "GET", WS_PATH).unwrap();
    let wrong_rsa = SigningKey::from_pem(&rsa_pkcs8_pem(key_b))
        .unwrap()
        .verifying_key();
    assert!(matches!(
        wrong_rsa.verify_headers(&headers, "GET", WS_PATH),
        Err(AuthError::SignatureMismatch)
    ));
    let ed = SigningKey::from_pem(&ed25519_pem(8))
        .unwrap()
        .verifying_key();
    assert!(matches!(
        ed.verify_headers(&headers, "GET", WS_PATH),
        Err(AuthError::SignatureMismatch)
    ));

    let ed_headers = sign_request(&creds(&ed25519_pem(7)), TS_MS, "GET", WS_PATH).unwrap();
    assert!(matches!(
        ed.verify_headers(&ed_headers, "GET", WS_PATH),
        Err(AuthError::SignatureMismatch)
    ));
    assert!(matches!(
        wrong_rsa.verify_headers(&ed_headers, "GET", WS_PATH),
        Err(AuthError::SignatureMismatch)
    ));
}

#[test]
fn rsa_pss_any_salt_length_is_accepted_by_the_verifier() {
    let (key, other) = rsa_keys();
    let public = VerifyingKey::from_rsa(key.to_public_key()).unwrap();
    let message = "1703123456789GET/trade-api/ws/v2";
    let mut rng = rand::rngs::StdRng::seed_from_u64(99);
    // 222 = 256 - 32 - 2, the largest salt a 2048-bit key can hold.
    for salt_len in [0usize, 1, 20, 32, 64, 222] {
        let signer =
            rsa::pss::BlindedSigningKey::<Sha256>::new_with_salt_len(key.clone(), salt_len);
        let sig = STANDARD.encode(signer.sign_with_rng(&mut rng, message.as_bytes()).to_vec());
        public
            .verify("1703123456789", "GET", WS_PATH, &sig)
            .unwrap_or_else(|e| panic!("salt {salt_len}: {e}"));
        assert!(
            matches!(
                public.verify("1703123456789", "GET", ORDERS_PATH, &sig),
                Err(AuthError::SignatureMismatch)
            ),
            "salt {salt_len} signature must not verify another path"
        );
        // A well-formed PSS signature from a different key is rejected too.
        let foreign =
            rsa::pss::BlindedSigningKey::<Sha256>::new_with_salt_len(other.clone(), salt_len);
        let foreign_sig =
            STANDARD.encode(foreign.sign_with_rng(&mut rng, message.as_bytes()).to_vec());
        assert!(matches!(
            public.verify("1703123456789", "GET", WS_PATH, &foreign_sig),
            Err(AuthError::SignatureMismatch)
        ));
    }
}

#[test]
fn malformed_signatures_are_typed_errors() {
    let public = SigningKey::from_pem(&ed25519_pem(7))
        .unwrap()
        .verifying_key();
    let (rsa_key, _) = rsa_keys();
    let rsa_public = VerifyingKey::from_rsa(rsa_key.to_public_key()).unwrap();
    for key in [&public, &rsa_public] {
        assert!(matches!(
            key.verify("1703123456789", "GET", WS_PATH, "not base64!"),
            Err(AuthError::BadSignatureEncoding)
        ));
        // Unpadded base64 is not what Kalshi sends.
        assert!(matches!(
            key.verify("1703123456789", "GET", WS_PATH, "AAAA AA"),
            Err(AuthError::BadSignatureEncoding)
        ));
        assert!(matches!(
            key.verify("1703123456789", "GET", WS_PATH, "AAAA"),
            Err(AuthError::SignatureMismatch)
        ));
        assert!(matches!(
            key.verify(
                "1703123456789",
                "GET",
                WS_PATH,
                &STANDARD.encode([0xffu8; 256])
            ),
            Err(AuthError::SignatureMismatch)
        ));
        assert!(matches!(
            key.verify("17031234567x9", "GET", WS_PATH, "AAAA"),
            Err(AuthError::InvalidTimestampHeader)
        ));
        assert!(matches!(
            key.verify("-1", "GET", WS_PATH, "AAAA"),
            Err(AuthError::InvalidTimestampHeader)
        ));
    }
}

#[test]
fn invalid_request_inputs_are_rejected_before_signing() {
    let creds = creds(&ed25519_pem(7));
    assert!(matches!(
        sign_request(&creds, TS_MS, "", WS_PATH),
        Err(AuthError::InvalidMethod)
    ));
    assert!(matches!(
        sign_request(&creds, TS_MS, "G ET", WS_PATH),
        Err(AuthError::InvalidMethod)
    ));
    assert!(matches!(
        sign_request(
            &creds,
            TS_MS,
            "GET",
            "https://example.invalid/trade-api/v2/markets"
        ),
        Err(AuthError::InvalidPath { .. })
    ));
    assert!(matches!(
        sign_request(&creds, TS_MS, "GET", "/trade-api/v2/a b"),
        Err(AuthError::InvalidPath { .. })
    ));
    assert!(matches!(
        sign_request(&creds, -1, "GET", WS_PATH),
        Err(AuthError::NegativeTimestamp { timestamp_ms: -1 })
    ));
    let key = SigningKey::from_pem(&ed25519_pem(7)).unwrap();
    assert!(matches!(
        ApiCredentials::new("", key),
        Err(AuthError::InvalidKeyId)
    ));
    let key = SigningKey::from_pem(&ed25519_pem(7)).unwrap();
    assert!(matches!(
        ApiCredentials::new("id with space", key),
        Err(AuthError::InvalidKeyId)
    ));
}

#[test]
fn received_header_values_parse_and_verify() {
    let creds = creds(&ed25519_pem(7));
    let sent = sign_request(&creds, TS_MS, "GET", WS_PATH).unwrap();
    let received =
        AuthHeaders::from_header_values(sent.key_id(), sent.timestamp_ms(), sent.signature_b64())
            .unwrap();
    assert_eq!(received, sent);
    creds
        .key()
        .verifying_key()
        .verify_headers(&received, "GET", WS_PATH)
        .unwrap();
    assert!(matches!(
        AuthHeaders::from_header_values("k", "12a", sent.signature_b64()),
        Err(AuthError::InvalidTimestampHeader)
    ));
    assert!(matches!(
        AuthHeaders::from_header_values("k", "12", "%%%"),
        Err(AuthError::BadSignatureEncoding)
    ));
    assert!(matches!(
        AuthHeaders::from_header_values("", "12", sent.signature_b64()),
        Err(AuthError::InvalidKeyId)
    ));
}

#[test]
fn timestamp_skew_and_header_parsing() {
    assert_eq!(parse_timestamp_header("1703123456789").unwrap(), TS_MS);
    assert!(parse_timestamp_header("").is_err());
    assert!(parse_timestamp_header("+1").is_err());
    assert!(parse_timestamp_header("99999999999999999999").is_err());
    check_timestamp_skew(TS_MS, TS_MS + 30_000, 30_000).unwrap();
    check_timestamp_skew(TS_MS, TS_MS - 30_000, 30_000).unwrap();
    match check_timestamp_skew(TS_MS, TS_MS + 30_001, 30_000) {
        Err(AuthError::TimestampSkew {
            skew_ms,
            tolerance_ms,
            ..
        }) => {
            assert_eq!(skew_ms, 30_001);
            assert_eq!(tolerance_ms, 30_000);
        }
        other => panic!("expected skew error, got {other:?}"),
    }
    assert!(check_timestamp_skew(TS_MS + 30_001, TS_MS, 30_000).is_err());
    // No overflow at the extremes.
    assert!(check_timestamp_skew(i64::MIN, i64::MAX, u64::MAX).is_ok());
    assert!(check_timestamp_skew(i64::MIN, i64::MAX, 0).is_err());
}

#[test]
fn derived_key_id_is_uuid_shaped_and_deterministic() {
    let a = SigningKey::from_pem(&ed25519_pem(7))
        .unwrap()
        .verifying_key();
    let id = a.derived_key_id().unwrap();
    assert_eq!(id, a.derived_key_id().unwrap());
    let parts: Vec<&str> = id.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(
        id.bytes()
            .all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(&parts[2][..1], "8");
    let b = SigningKey::from_pem(&ed25519_pem(8))
        .unwrap()
        .verifying_key();
    assert_ne!(id, b.derived_key_id().unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ed25519_round_trips_for_any_path_and_query(
        ts in 0i64..=4_102_444_800_000,
        method in "(GET|POST|PUT|DELETE|get|post)",
        path in "/[a-zA-Z0-9/_%.~-]{0,60}",
        query in proptest::option::of("[a-z0-9=&%]{0,20}"),
    ) {
        let creds = creds(&ed25519_pem(7));
        let full = match &query { Some(q) => format!("{path}?{q}"), None => path.clone() };
        let headers = sign_request(&creds, ts, &method, &full).unwrap();
        let public = creds.key().verifying_key();
        prop_assert!(public.verify_headers(&headers, &method, &path).is_ok());
        let expected = format!("{ts}{}{path}", method.to_uppercase());
        prop_assert_eq!(signing_message(ts, &method, &full).unwrap(), expected.clone());
        let direct = ed25519_key(7).sign(expected.as_bytes());
        prop_assert_eq!(headers.signature_b64(), STANDARD.encode(direct.to_bytes()));
        let changed = format!("{path}x");
        prop_assert!(public.verify_headers(&headers, &method, &changed).is_err());
    }
}
