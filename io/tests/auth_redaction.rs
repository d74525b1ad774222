//! No `Debug`/`Display` output of credentials, keys, headers or errors contains any
//! 16-character fragment of a PEM body or of a signature.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kalshi_io::auth::{
    ApiCredentials, AuthError, AuthHeaders, KeyKind, SigningKey, VerifyingKey,
    check_timestamp_skew, generate_dev_keypair, parse_timestamp_header, sign_request,
};
use rand::SeedableRng as _;
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};

const WINDOW: usize = 16;
const WS_PATH: &str = "/trade-api/ws/v2";

fn rsa_key() -> &'static rsa::RsaPrivateKey {
    static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x7265_6461_6374);
        rsa::RsaPrivateKey::new(&mut rng, 2048).expect("generate RSA key")
    })
}

/// The PEM texts under test: RSA PKCS#1, RSA PKCS#8, Ed25519 PKCS#8.
fn pems() -> Vec<String> {
    vec![
        rsa_key().to_pkcs1_pem(LineEnding::LF).unwrap().to_string(),
        rsa_key().to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        ed25519_dalek::SigningKey::from_bytes(&[9; 32])
            .to_pkcs8_pem(LineEnding::LF)
            .unwrap()
            .to_string(),
    ]
}

/// The base64 body of a PEM text (header and footer lines removed, lines joined).
fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// Panics if `output` contains any `WINDOW`-character fragment of any secret.
///
/// Secrets are single-line (PEM bodies are joined), so this also catches fragments of
/// any one PEM line.
fn assert_no_leak(what: &str, output: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(secret.is_ascii() && secret.len() >= WINDOW);
        for start in 0..=secret.len() - WINDOW {
            let window = &secret[start..start + WINDOW];
            assert!(
                !output.contains(window),
                "{what} leaks secret fragment at offset {start}"
            );
        }
    }
}

fn assert_error_no_leak(what: &str, err: &AuthError, secrets: &[String]) {
    assert_no_leak(&format!("{what} (Display)"), &err.to_string(), secrets);
    assert_no_leak(&format!("{what} (Debug)"), &format!("{err:?}"), secrets);
    assert_no_leak(
        &format!("{what} (Debug, pretty)"),
        &format!("{err:#?}"),
        secrets,
    );
}

fn write_file(dir: &Path, name: &str, contents: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .unwrap();
    file.write_all(contents.as_bytes()).unwrap();
    drop(file);
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn the_leak_detector_detects_leaks() {
    let secret = pem_body(&pems()[2]);
    let leaked = format!("error near {}", &secret[10..10 + WINDOW]);
    let caught = std::panic::catch_unwind(|| {
        assert_no_leak("probe", &leaked, std::slice::from_ref(&secret));
    });
    assert!(caught.is_err(), "a 16-char fragment must be detected");
    assert_no_leak(
        "probe",
        &secret[10..10 + WINDOW - 1],
        std::slice::from_ref(&secret),
    );
}

#[test]
fn keys_credentials_and_headers_do_not_print_secrets() {
    for pem in pems() {
        let mut secrets = vec![pem_body(&pem)];
        let key = SigningKey::from_pem(&pem).unwrap();
        let key_debug = format!("{key:?} {key:#?}");
        assert!(key_debug.contains("[REDACTED]"));
        let public = key.verifying_key();
        let public_debug = format!("{public:?}");
        let creds = ApiCredentials::new("a952bcbe-ec3b-4b5b-b8f9-11dae589608c", key).unwrap();
        let creds_debug = format!("{creds:?} {creds:#?}");
        assert!(creds_debug.contains("[REDACTED]"));
        assert!(creds_debug.contains("a952bcbe-ec3b-4b5b-b8f9-11dae589608c"));

        let headers = sign_request(&creds, 1_703_123_456_789, "GET", WS_PATH).unwrap();
        secrets.push(headers.signature_b64().to_owned());
        let headers_debug = format!("{headers:?} {headers:#?}");
        assert!(headers_debug.contains("[REDACTED]"));
        assert!(headers_debug.contains("1703123456789"));

        for (what, output) in [
            ("SigningKey", &key_debug),
            ("VerifyingKey", &public_debug),
            ("ApiCredentials", &creds_debug),
            ("AuthHeaders", &headers_debug),
        ] {
            assert_no_leak(what, output, &secrets);
        }
    }
}

#[test]
fn parse_errors_do_not_echo_pem_text() {
    for pem in pems() {
        let body = pem_body(&pem);
        let secrets = vec![body.clone()];
        let mut errors: Vec<(&str, AuthError)> = Vec::new();
        errors.push(("no PEM block", SigningKey::from_pem(&body).unwrap_err()));
        errors.push((
            "unsupported label",
            SigningKey::from_pem(&pem.replace("PRIVATE KEY", "EC PRIVATE KEY")).unwrap_err(),
        ));
        errors.push((
            "implausible label",
            SigningKey::from_pem(&pem.replace("PRIVATE KEY", &body[..40])).unwrap_err(),
        ));
        let swapped = if pem.contains("RSA PRIVATE KEY") {
            pem.replace("RSA PRIVATE KEY", "PRIVATE KEY")
        } else {
            pem.replace("PRIVATE KEY", "RSA PRIVATE KEY")
        };
        errors.push(("malformed", SigningKey::from_pem(&swapped).unwrap_err()));
        let half = body.len() / 2 / 4 * 4;
        let (first, last) = (pem.lines().next().unwrap(), pem.lines().last().unwrap());
        let truncated = format!("{first}\n{}\n{last}\n", &body[..half]);
        errors.push(("truncated", SigningKey::from_pem(&truncated).unwrap_err()));
        errors.push((
            "private key as public key",
            VerifyingKey::from_public_key_pem(&pem).unwrap_err(),
        ));
        let key = SigningKey::from_pem(&pem).unwrap();
        errors.push((
            "key material as key id",
            ApiCredentials::new(pem.clone(), key).unwrap_err(),
        ));
        let key = SigningKey::from_pem(&pem).unwrap();
        errors.push((
            "body as key id",
            ApiCredentials::new(format!("{body} x"), key).unwrap_err(),
        ));
        let creds = ApiCredentials::from_pem("id", &pem).unwrap();
        errors.push((
            "key material as method",
            sign_request(&creds, 1, &body, WS_PATH).unwrap_err(),
        ));
        for (what, err) in &errors {
            assert_error_no_leak(what, err, &secrets);
        }
    }
}

#[test]
fn file_errors_do_not_echo_file_contents() {
    let dir = tempfile::tempdir().unwrap();
    for (i, pem) in pems().into_iter().enumerate() {
        let secrets = vec![pem_body(&pem)];
        let loose = write_file(dir.path(), &format!("loose-{i}.pem"), &pem, 0o644);
        let err = SigningKey::from_pem_file(&loose).unwrap_err();
        assert!(matches!(err, AuthError::KeyFilePermissions { .. }));
        assert_error_no_leak("permissions", &err, &secrets);

        let big = write_file(
            dir.path(),
            &format!("big-{i}.pem"),
            &format!("{pem}{}", " ".repeat(70_000)),
            0o600,
        );
        let err = SigningKey::from_pem_file(&big).unwrap_err();
        assert!(matches!(err, AuthError::KeyFileTooLarge { .. }), "{err:?}");
        assert_error_no_leak("too large", &err, &secrets);

        let corrupt = pem.replacen("-----BEGIN", "-----BEG1N", 1);
        let bad = write_file(dir.path(), &format!("bad-{i}.pem"), &corrupt, 0o600);
        let err = SigningKey::from_pem_file(&bad).unwrap_err();
        assert_error_no_leak("bad PEM in file", &err, &secrets);

        let foreign = write_file(dir.path(), &format!("foreign-{i}.pem"), &pem, 0o600);
        let my_uid = fs::metadata(&foreign).unwrap().uid();
        let other_uid = if my_uid == 0 { 4242 } else { 0 };
        if std::os::unix::fs::chown(&foreign, Some(other_uid), None).is_ok() {
            let link = dir.path().join(format!("link-{i}.pem"));
            std::os::unix::fs::symlink(&foreign, &link).unwrap();
            let err = SigningKey::from_pem_file(&link).unwrap_err();
            assert!(matches!(err, AuthError::KeyFileOwner { .. }), "{err:?}");
            assert_error_no_leak("owner", &err, &secrets);
        }
    }
    let err = SigningKey::from_pem_file(dir.path().join("missing.pem")).unwrap_err();
    assert!(matches!(err, AuthError::KeyFileRead { .. }));
    let err2 = SigningKey::from_pem_file(dir.path()).unwrap_err();
    assert!(matches!(err2, AuthError::KeyFileNotRegular { .. }));
    let err3 = generate_dev_keypair(KeyKind::Ed25519, &dir.path().join("nope")).unwrap_err();
    assert!(matches!(err3, AuthError::KeyFileWrite { .. }));
    let all: Vec<String> = pems().iter().map(|p| pem_body(p)).collect();
    for err in [err, err2, err3] {
        assert_error_no_leak("path error", &err, &all);
    }
}

#[test]
fn verification_errors_do_not_echo_signatures() {
    for pem in pems() {
        let creds = ApiCredentials::from_pem("id", &pem).unwrap();
        let public = creds.key().verifying_key();
        let headers = sign_request(&creds, 1_703_123_456_789, "GET", WS_PATH).unwrap();
        let sig = headers.signature_b64().to_owned();
        let secrets = vec![sig.clone(), pem_body(&pem)];
        let ts = headers.timestamp_ms();
        let mut errors = vec![
            public
                .verify(ts, "GET", "/trade-api/v2/x", &sig)
                .unwrap_err(),
            public
                .verify(ts, "GET", WS_PATH, &format!("{sig}!"))
                .unwrap_err(),
            public
                .verify(ts, "GET", WS_PATH, &sig[..sig.len() - 4])
                .unwrap_err(),
            public.verify(&sig, "GET", WS_PATH, &sig).unwrap_err(),
            public.verify(ts, &sig, WS_PATH, &sig).unwrap_err(),
            AuthHeaders::from_header_values(&format!("{sig} "), &sig, &sig).unwrap_err(),
            AuthHeaders::from_header_values("id", ts, &format!("{sig}%")).unwrap_err(),
            parse_timestamp_header(&sig).unwrap_err(),
            check_timestamp_skew(0, 1_703_123_456_789, 30_000).unwrap_err(),
            sign_request(&creds, -5, "GET", WS_PATH).unwrap_err(),
        ];
        let mut rng = rand::rngs::OsRng;
        let small = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap();
        errors.push(VerifyingKey::from_rsa(small.to_public_key()).unwrap_err());
        for err in &errors {
            assert_error_no_leak("verification", err, &secrets);
        }
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, AuthError::SignatureMismatch))
        );
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, AuthError::BadSignatureEncoding))
        );
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, AuthError::InvalidTimestampHeader))
        );
        assert!(errors.iter().any(|e| matches!(e, AuthError::InvalidKeyId)));
        assert!(errors.iter().any(|e| matches!(e, AuthError::InvalidMethod)));
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, AuthError::TimestampSkew { .. }))
        );
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, AuthError::NegativeTimestamp { .. }))
        );
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, AuthError::WeakRsaKey { .. }))
        );
    }
}

#[test]
fn dev_keypair_debug_does_not_print_the_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let pair = generate_dev_keypair(KeyKind::Ed25519, dir.path()).unwrap();
    let private = fs::read_to_string(&pair.private_key_path).unwrap();
    // Ed25519 PKCS#8 v2 also embeds the (public) key after the first 48 bytes, which the
    // public PEM legitimately shows; the first 64 base64 chars cover the private seed.
    let body = pem_body(&private);
    assert_no_leak("DevKeypair", &format!("{pair:?}"), &[body[..64].to_owned()]);
}
