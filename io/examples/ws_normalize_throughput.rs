//! Measures WS frame → normalized event cost on a real captured session.
//!
//! `cargo run -p kalshi-io --release --example ws_normalize_throughput [path.jsonl]`
//! (default: the July 2026 demo session in `fixtures/`). Prints ns per message for decoding
//! alone and for decoding plus normalizing; the hot-path target is ≤ 1 µs per message.

use std::time::Instant;

use kalshi_io::normalize::normalize_ws;
use kalshi_io::wire::decode_ws_frame;

const ROUNDS: usize = 50;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/ws/jfreun123-kalshi-market-maker/ws_session_demo_2026-07-01.jsonl"
        )
        .to_string()
    });
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(1);
        }
    };
    let frames: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let deltas: Vec<&str> = frames
        .iter()
        .copied()
        .filter(|f| f.contains("\"type\":\"orderbook_delta\""))
        .collect();

    let measure = |label: &str, set: &[&str], normalize: bool| {
        let mut checksum = 0usize;
        let start = Instant::now();
        for _ in 0..ROUNDS {
            for frame in set {
                match decode_ws_frame(frame) {
                    Ok(message) if normalize => {
                        checksum +=
                            usize::from(matches!(normalize_ws(&message, false), Ok(Some(_))));
                    }
                    Ok(_) => checksum += 1,
                    Err(e) => {
                        eprintln!("decode failed: {e}");
                        std::process::exit(1);
                    }
                }
            }
        }
        let elapsed_ns = start.elapsed().as_nanos();
        let messages = (set.len() * ROUNDS) as u128;
        println!(
            "{label:<32} {:>7} ns/msg over {messages} msgs (checksum {checksum})",
            elapsed_ns / messages.max(1)
        );
    };
    measure("all frames: decode", &frames, false);
    measure("all frames: decode + normalize", &frames, true);
    measure("deltas: decode + normalize", &deltas, true);
}
