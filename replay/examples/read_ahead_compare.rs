//! Replay-verify with and without the read-ahead thread, on the same journal and build.
//!
//! `cargo run -p kalshi-replay --release --example read_ahead_compare -- <dir> [rounds]`
//! over a journal written by `replay_memory write`. Each round times, for both
//! `JournalSource::open_read_ahead` and `JournalSource::open` (single-threaded): draining the
//! source (the decode-only rate) and the full `verify`. Prints one JSON line per round and a
//! last line with the medians, including verify ÷ decode for each mode.
#![allow(clippy::disallowed_methods)] // a benchmark measures wall time; replay itself does not

use std::path::Path;
use std::time::Instant;

use kalshi_replay::error::ReplayError;
use kalshi_replay::journal_source::JournalSource;
use kalshi_replay::progress::NoProgress;
use kalshi_replay::record::RecordSource;
use kalshi_replay::verify::verify;

fn fail(what: &str, error: impl std::fmt::Display) -> ! {
    eprintln!("{what}: {error}");
    std::process::exit(1);
}

/// Seconds to drain a source, and seconds and inputs of a full verify.
fn time_mode(open: &dyn Fn() -> Result<JournalSource, ReplayError>) -> (f64, f64, u64) {
    let start = Instant::now();
    let mut source = open().unwrap_or_else(|e| fail("open", e));
    while source
        .next_record()
        .unwrap_or_else(|e| fail("source", e))
        .is_some()
    {}
    let decode_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut source = open().unwrap_or_else(|e| fail("open", e));
    let report = verify(&mut source, &NoProgress).unwrap_or_else(|e| fail("verify", e));
    let verify_s = start.elapsed().as_secs_f64();
    if !report.is_match() {
        fail("verify", "journal does not replay");
    }
    (decode_s, verify_s, report.inputs_replayed)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        fail("usage", "read_ahead_compare <journal dir> [rounds]");
    };
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(3);
    let dir = Path::new(dir);
    let read_ahead = || JournalSource::open_read_ahead(dir);
    let single = || JournalSource::open(dir);
    let mut columns: [Vec<f64>; 6] = Default::default();
    for round in 0..rounds {
        let (single_decode_s, single_verify_s, inputs) = time_mode(&single);
        let (ahead_decode_s, ahead_verify_s, _) = time_mode(&read_ahead);
        let row = [
            inputs as f64 / single_verify_s,
            single_decode_s / single_verify_s,
            inputs as f64 / ahead_verify_s,
            ahead_decode_s / ahead_verify_s,
            single_verify_s,
            ahead_verify_s,
        ];
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
        println!(
            "{}",
            serde_json::json!({
                "round": round,
                "inputs": inputs,
                "single_verify_inputs_per_s": row[0],
                "single_verify_over_decode": row[1],
                "read_ahead_verify_inputs_per_s": row[2],
                "read_ahead_verify_over_decode": row[3],
                "single_verify_s": row[4],
                "read_ahead_verify_s": row[5],
            })
        );
    }
    let [a, b, c, d, e, f] = &mut columns;
    println!(
        "{}",
        serde_json::json!({
            "median_single_verify_inputs_per_s": median(a),
            "median_single_verify_over_decode": median(b),
            "median_read_ahead_verify_inputs_per_s": median(c),
            "median_read_ahead_verify_over_decode": median(d),
            "median_single_verify_s": median(e),
            "median_read_ahead_verify_s": median(f),
        })
    );
}
