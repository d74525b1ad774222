//! WS frame → normalized event cost per message over the real captured session, against a
//! bare `serde_json::from_str::<serde_json::Value>` of the same frames in the same run.
//!
//! Two streams: every frame of the session (deltas, the 5 book snapshots, acks, fills), and
//! the orderbook deltas alone (the hot path). Each timed iteration runs the whole stream;
//! criterion's throughput is the frame count, so its per-element estimate is ns/message.
//!
//! Run: `cargo bench -p kalshi-io --bench ws_normalize`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kalshi_io::normalize::normalize_ws;
use kalshi_io::wire::decode_ws_frame;

const SESSION: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/ws/jfreun123-kalshi-market-maker/ws_session_demo_2026-07-01.jsonl"
);

fn bench_ws_normalize(c: &mut Criterion) {
    let text = std::fs::read_to_string(SESSION).expect("read the captured WS session");
    let frames: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let deltas: Vec<&str> = frames
        .iter()
        .copied()
        .filter(|f| f.contains("\"type\":\"orderbook_delta\""))
        .collect();
    // Every frame must decode and normalize, or the figures would time error paths.
    for frame in &frames {
        let message = decode_ws_frame(frame).expect("captured frame decodes");
        normalize_ws(&message, false).expect("captured frame normalizes");
    }

    for (name, set) in [("all_frames", &frames), ("deltas", &deltas)] {
        let mut group = c.benchmark_group(format!("ws_normalize_{name}"));
        group.throughput(Throughput::Elements(set.len() as u64));
        group.bench_function("decode_normalize", |b| {
            b.iter(|| {
                for frame in set.iter() {
                    let message = decode_ws_frame(black_box(frame));
                    if let Ok(message) = message {
                        black_box(normalize_ws(&message, false).ok());
                    }
                }
            });
        });
        group.bench_function("peer_serde_json_value", |b| {
            b.iter(|| {
                for frame in set.iter() {
                    black_box(serde_json::from_str::<serde_json::Value>(black_box(frame)).ok());
                }
            });
        });
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(4))
        .sample_size(40)
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_ws_normalize
}
criterion_main!(benches);
