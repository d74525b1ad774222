//! Cost of one signed request (`auth::sign_request`: build the message, sign, base64) with
//! an Ed25519 key and with an RSA-2048 key (RSASSA-PSS, SHA-256, fresh random 32-byte salt;
//! signed through AWS-LC, as every two-prime key of 2048..=8192 bits is). Keys are generated
//! once, outside the timed loop.
//!
//! The peer is `openssl speed` (`rsa2048` sign/s and `ed25519` sign/s), which
//! `scripts/bench.sh` runs in the same session and compares against these figures.
//!
//! Run: `cargo bench -p kalshi-io --bench signing`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use kalshi_io::auth::{ApiCredentials, SigningKey, sign_request};

const PATH: &str = "/trade-api/v2/portfolio/events/orders";
const TIMESTAMP_MS: i64 = 1_782_873_105_308;

fn bench_signing(c: &mut Criterion) {
    let mut rng = rand::rngs::OsRng;
    let ed25519 = ApiCredentials::new(
        "bench-ed25519",
        SigningKey::from_ed25519(ed25519_dalek::SigningKey::generate(&mut rng)),
    )
    .expect("ed25519 credentials");
    let rsa_key = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("RSA-2048 key generation");
    let rsa = ApiCredentials::new(
        "bench-rsa",
        SigningKey::from_rsa(rsa_key).expect("2048-bit key accepted"),
    )
    .expect("rsa credentials");

    let mut group = c.benchmark_group("signing");
    group.bench_function("ed25519_sign_request", |b| {
        b.iter(|| sign_request(&ed25519, black_box(TIMESTAMP_MS), "POST", black_box(PATH)));
    });
    group.bench_function("rsa_pss_2048_sign_request", |b| {
        b.iter(|| sign_request(&rsa, black_box(TIMESTAMP_MS), "POST", black_box(PATH)));
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .sample_size(30)
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_signing
}
criterion_main!(benches);
