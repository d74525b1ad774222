//! The server's side of request authentication on its own: a development key pair written
//! to disk, loaded back as a `PrivateKey`, signed over `signing_message` with Ed25519 (the
//! way a client signs), and verified from the three header values, including the refusals.

use kalshi_wire::auth::{
    AuthError, AuthHeaders, KeyKind, PrivateKey, VerifyingKey, check_timestamp_skew,
    generate_dev_keypair, signing_message,
};

const TS_MS: i64 = 1_703_123_456_789;
const PATH: &str = "/trade-api/v2/portfolio/orders?limit=5";

fn signed_headers(key: &PrivateKey, key_id: &str, method: &str, path: &str) -> AuthHeaders {
    let PrivateKey::Ed25519(key) = key else {
        panic!("development keys in this test are Ed25519");
    };
    let message = signing_message(TS_MS, method, path).unwrap();
    let signature = ed25519_dalek::Signer::sign(key.as_ref(), message.as_bytes());
    AuthHeaders::from_signature(key_id, TS_MS, &signature.to_bytes())
}

#[test]
fn a_dev_key_loaded_back_verifies_its_own_signatures_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let pair = generate_dev_keypair(KeyKind::Ed25519, dir.path()).unwrap();
    let private = PrivateKey::from_pem_file(&pair.private_key_path).unwrap();
    assert_eq!(private.kind(), KeyKind::Ed25519);
    let from_private = private.verifying_key();
    let from_public = VerifyingKey::from_public_key_pem(&pair.public_key_pem).unwrap();
    assert_eq!(from_private.derived_key_id().unwrap(), pair.key_id);
    assert_eq!(from_public.derived_key_id().unwrap(), pair.key_id);

    let headers = signed_headers(&private, &pair.key_id, "get", PATH);
    assert_eq!(headers.timestamp_ms(), TS_MS.to_string());
    // The query is not signed; the method is compared uppercased.
    from_public
        .verify_headers(&headers, "GET", "/trade-api/v2/portfolio/orders")
        .unwrap();
    // Received header values parse back to the same headers.
    let received = AuthHeaders::from_header_values(
        headers.key_id(),
        headers.timestamp_ms(),
        headers.signature_b64(),
    )
    .unwrap();
    assert_eq!(received, headers);

    assert!(matches!(
        from_public.verify_headers(&headers, "POST", PATH),
        Err(AuthError::SignatureMismatch)
    ));
    assert!(matches!(
        from_public.verify_headers(&headers, "GET", "/trade-api/v2/portfolio/balance"),
        Err(AuthError::SignatureMismatch)
    ));
    let other = generate_dev_keypair(KeyKind::Ed25519, dir.path()).unwrap();
    let other = VerifyingKey::from_public_key_pem(&other.public_key_pem).unwrap();
    assert!(matches!(
        other.verify_headers(&headers, "GET", PATH),
        Err(AuthError::SignatureMismatch)
    ));
}

#[test]
fn timestamps_outside_the_window_are_refused() {
    check_timestamp_skew(TS_MS, TS_MS + 30_000, 30_000).unwrap();
    check_timestamp_skew(TS_MS, TS_MS - 30_000, 30_000).unwrap();
    assert!(matches!(
        check_timestamp_skew(TS_MS, TS_MS + 30_001, 30_000),
        Err(AuthError::TimestampSkew {
            skew_ms: 30_001,
            ..
        })
    ));
}

#[test]
fn group_readable_private_key_files_are_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let pair = generate_dev_keypair(KeyKind::Ed25519, dir.path()).unwrap();
    std::fs::set_permissions(
        &pair.private_key_path,
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    assert!(matches!(
        PrivateKey::from_pem_file(&pair.private_key_path),
        Err(AuthError::KeyFilePermissions { mode: 0o640, .. })
    ));
}
