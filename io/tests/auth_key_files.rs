//! Key loading: file permission and ownership checks, PEM format handling, and
//! development key generation.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use kalshi_io::auth::{
    ApiCredentials, AuthError, KeyKind, SigningKey, VerifyingKey, generate_dev_keypair,
    sign_request,
};
use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};

fn ed25519_pem(seed: u8) -> String {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
        .to_pkcs8_pem(LineEnding::LF)
        .expect("encode ed25519")
        .to_string()
}

/// Writes `contents` to `dir/name` created with `mode`, then forces exactly `mode`
/// (the process umask could otherwise narrow it).
fn write_key(dir: &Path, name: &str, contents: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .expect("create key file");
    file.write_all(contents.as_bytes()).expect("write key");
    drop(file);
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
    path
}

#[test]
fn loose_permissions_are_refused_with_the_file_name_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o660, 0o666] {
        let path = write_key(
            dir.path(),
            &format!("key-{mode:o}.pem"),
            &ed25519_pem(1),
            mode,
        );
        let err = SigningKey::from_pem_file(&path).expect_err("loose mode must be refused");
        match &err {
            AuthError::KeyFilePermissions { path: p, mode: m } => {
                assert_eq!(p, &path);
                assert_eq!(*m, mode);
            }
            other => panic!("mode {mode:o}: unexpected error {other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(
            msg.contains(&format!("chmod 600 {}", path.display())),
            "{msg}"
        );
        // The credentials constructor goes through the same check.
        assert!(matches!(
            ApiCredentials::from_pem_file("id", &path),
            Err(AuthError::KeyFilePermissions { .. })
        ));
    }
}

#[test]
fn owner_only_permissions_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [0o600, 0o400] {
        let path = write_key(
            dir.path(),
            &format!("key-{mode:o}.pem"),
            &ed25519_pem(2),
            mode,
        );
        let key = SigningKey::from_pem_file(&path).expect("owner-only key loads");
        assert_eq!(key.kind(), KeyKind::Ed25519);
        let expected = SigningKey::from_pem(&ed25519_pem(2))
            .unwrap()
            .verifying_key();
        assert_eq!(
            key.verifying_key().derived_key_id().unwrap(),
            expected.derived_key_id().unwrap()
        );
    }
}

#[test]
fn non_regular_and_missing_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("a-directory");
    fs::create_dir(&sub).unwrap();
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o700)).unwrap();
    assert!(matches!(
        SigningKey::from_pem_file(&sub),
        Err(AuthError::KeyFileNotRegular { .. })
    ));
    let missing = dir.path().join("missing.pem");
    match SigningKey::from_pem_file(&missing) {
        Err(err @ AuthError::KeyFileRead { .. }) => {
            assert!(err.to_string().contains("missing.pem"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn symlink_to_own_file_is_accepted_and_permissions_follow_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = write_key(dir.path(), "target.pem", &ed25519_pem(3), 0o600);
    let link = dir.path().join("link.pem");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    SigningKey::from_pem_file(&link).expect("symlink to own 0600 file");

    fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        SigningKey::from_pem_file(&link),
        Err(AuthError::KeyFilePermissions { .. })
    ));
}

#[test]
fn symlink_to_file_owned_by_another_uid_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = write_key(dir.path(), "foreign.pem", &ed25519_pem(4), 0o600);
    let my_uid = fs::metadata(&target).unwrap().uid();
    let other_uid = if my_uid == 0 { 4242 } else { 0 };
    if let Err(e) = std::os::unix::fs::chown(&target, Some(other_uid), None) {
        // Changing ownership needs privileges this environment may not have.
        eprintln!("skipping: cannot chown test file ({e}); run as root to exercise this");
        return;
    }
    let link = dir.path().join("link.pem");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    match SigningKey::from_pem_file(&link) {
        Err(
            err @ AuthError::KeyFileOwner {
                owner_uid,
                process_uid,
                ..
            },
        ) => {
            assert_eq!(owner_uid, other_uid);
            assert_eq!(process_uid, my_uid);
            assert!(err.to_string().contains("link.pem"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn pem_from_environment_style_values() {
    let pem = ed25519_pem(5);
    // Single line with literal "\n" escapes, as often found in .env files.
    let escaped = pem.trim_end().replace('\n', "\\n");
    assert!(!escaped.contains('\n'));
    SigningKey::from_pem(&escaped).expect("escaped newlines");
    // CRLF line endings and surrounding whitespace.
    let crlf = format!("  \r\n{}\r\n  ", pem.replace('\n', "\r\n"));
    SigningKey::from_pem(&crlf).expect("CRLF and whitespace");
    // Leading non-PEM text (e.g. openssl "Bag Attributes").
    SigningKey::from_pem(&format!("Bag Attributes\n    localKeyID: 01\n{pem}"))
        .expect("leading text");
}

#[test]
fn unsupported_and_malformed_pem_are_typed_errors() {
    assert!(matches!(
        SigningKey::from_pem(""),
        Err(AuthError::NoPemBlock)
    ));
    assert!(matches!(
        SigningKey::from_pem("MC4CAQAwBQYDK2VwBCIEIAUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUF"),
        Err(AuthError::NoPemBlock)
    ));
    let body = ed25519_pem(6);
    for label in [
        "EC PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "PUBLIC KEY",
    ] {
        let relabeled = body.replace("PRIVATE KEY", label);
        match SigningKey::from_pem(&relabeled) {
            Err(err @ AuthError::UnsupportedKeyFormat { .. }) => {
                let msg = err.to_string();
                assert!(msg.contains(&format!("`{label}`")), "{msg}");
            }
            other => panic!("{label}: unexpected {other:?}"),
        }
    }
    // An implausible label is not echoed.
    let weird = body.replace("PRIVATE KEY", "abcdefghijklmnop");
    match SigningKey::from_pem(&weird) {
        Err(err @ AuthError::UnsupportedKeyFormat { .. }) => {
            assert!(!err.to_string().contains("abcdefghijklmnop"));
        }
        other => panic!("unexpected {other:?}"),
    }
    // Ed25519 PKCS#8 body under the PKCS#1 RSA label.
    let mislabeled = body.replace("PRIVATE KEY", "RSA PRIVATE KEY");
    assert!(matches!(
        SigningKey::from_pem(&mislabeled),
        Err(AuthError::MalformedKey { .. })
    ));
    // Corrupted body.
    let mut lines: Vec<String> = body.lines().map(str::to_owned).collect();
    lines[1] = lines[1].replace(|c: char| c.is_ascii_alphanumeric(), "A");
    lines[1].truncate(8);
    assert!(matches!(
        SigningKey::from_pem(&lines.join("\n")),
        Err(AuthError::MalformedKey { .. })
    ));
    // A private key is not a public key.
    assert!(matches!(
        VerifyingKey::from_public_key_pem(&body),
        Err(AuthError::UnsupportedKeyFormat { .. })
    ));
}

#[test]
fn short_rsa_keys_are_refused() {
    let mut rng = rand::rngs::OsRng;
    let key = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap();
    let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    assert!(matches!(
        SigningKey::from_pem(&pem),
        Err(AuthError::WeakRsaKey {
            bits: 1024,
            min_bits: 2048
        })
    ));
    assert!(matches!(
        VerifyingKey::from_rsa(key.to_public_key()),
        Err(AuthError::WeakRsaKey { .. })
    ));
}

fn check_dev_keypair(kind: KeyKind) {
    let dir = tempfile::tempdir().unwrap();
    let pair = generate_dev_keypair(kind, dir.path()).expect("generate");
    let meta = fs::symlink_metadata(&pair.private_key_path).unwrap();
    assert!(meta.is_file());
    assert_eq!(meta.mode() & 0o7777, 0o600);
    let pem = fs::read_to_string(&pair.private_key_path).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    // No temporary file left behind.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);

    let creds = ApiCredentials::from_pem_file(&pair.key_id, &pair.private_key_path)
        .expect("load generated key through the permission check");
    assert_eq!(creds.key().kind(), kind);
    let public = VerifyingKey::from_public_key_pem(&pair.public_key_pem).unwrap();
    assert_eq!(public.derived_key_id().unwrap(), pair.key_id);
    let headers = sign_request(&creds, 1_703_123_456_789, "GET", "/trade-api/ws/v2").unwrap();
    public
        .verify_headers(&headers, "GET", "/trade-api/ws/v2")
        .unwrap();

    // A second key in the same directory gets a different id and file.
    let second = generate_dev_keypair(kind, dir.path()).unwrap();
    assert_ne!(second.key_id, pair.key_id);
    assert_ne!(second.private_key_path, pair.private_key_path);
}

#[test]
fn dev_keypair_ed25519_is_private_and_usable() {
    check_dev_keypair(KeyKind::Ed25519);
}

#[test]
fn dev_keypair_rsa_is_private_and_usable() {
    check_dev_keypair(KeyKind::Rsa);
}

#[test]
fn dev_keypair_into_missing_dir_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    assert!(matches!(
        generate_dev_keypair(KeyKind::Ed25519, &missing),
        Err(AuthError::KeyFileWrite { .. })
    ));
}
