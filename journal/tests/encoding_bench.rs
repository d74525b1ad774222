//! Compares the hand-written entry codec with bincode 2 (serde). Run with
//! `cargo test -p kalshi-journal --release --test encoding_bench -- --ignored --nocapture`.

use std::hint::black_box;
use std::time::Instant;

use kalshi_journal::JournalEntry;
use serde::{Deserialize, Serialize};

/// The same fields as `JournalEntry`, derived for serde so bincode can encode them.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct SerdeEntry {
    seq: u64,
    ts_ns: i64,
    kind: String,
    market: Option<String>,
    side: Option<String>,
    price_micros: Option<i64>,
    count_centi: Option<i64>,
    order_id: Option<String>,
    client_order_id: Option<String>,
    payload: Vec<u8>,
}

fn sample(seq: u64) -> JournalEntry {
    JournalEntry {
        seq,
        ts_ns: 1_760_000_000_000_000_000 + seq as i64 * 1_000,
        kind: "place_order".into(),
        market: Some("KXBTCD-26MAR14-T97000".into()),
        side: Some("bid".into()),
        price_micros: Some(560_000),
        count_centi: Some(1_500),
        order_id: None,
        client_order_id: Some(format!("run42-{seq}")),
        payload: vec![0xab; 64],
    }
}

fn to_serde(e: &JournalEntry) -> SerdeEntry {
    SerdeEntry {
        seq: e.seq,
        ts_ns: e.ts_ns,
        kind: e.kind.clone(),
        market: e.market.clone(),
        side: e.side.clone(),
        price_micros: e.price_micros,
        count_centi: e.count_centi,
        order_id: e.order_id.clone(),
        client_order_id: e.client_order_id.clone(),
        payload: e.payload.clone(),
    }
}

#[test]
#[ignore = "benchmark; run explicitly in release mode"]
#[allow(clippy::disallowed_methods)] // a benchmark needs a clock; this is not library code
fn compare_codecs() {
    const N: u64 = 200_000;
    let entries: Vec<JournalEntry> = (0..N).map(sample).collect();
    let serde_entries: Vec<SerdeEntry> = entries.iter().map(to_serde).collect();
    let config = bincode::config::standard();

    let mut buf = Vec::with_capacity(512);
    let mut hand_bytes = 0usize;
    let start = Instant::now();
    for e in &entries {
        buf.clear();
        e.encode_into(&mut buf).unwrap();
        hand_bytes += buf.len();
        black_box(&buf);
    }
    let hand_encode = start.elapsed();

    let hand_encoded: Vec<Vec<u8>> = entries.iter().map(|e| e.encode().unwrap()).collect();
    let start = Instant::now();
    for b in &hand_encoded {
        black_box(JournalEntry::decode(b).unwrap());
    }
    let hand_decode = start.elapsed();

    let mut bin_bytes = 0usize;
    let mut out = vec![0u8; 512];
    let start = Instant::now();
    for e in &serde_entries {
        let n = bincode::serde::encode_into_slice(e, &mut out, config).unwrap();
        bin_bytes += n;
        black_box(&out[..n]);
    }
    let bin_encode = start.elapsed();

    let bin_encoded: Vec<Vec<u8>> = serde_entries
        .iter()
        .map(|e| bincode::serde::encode_to_vec(e, config).unwrap())
        .collect();
    let start = Instant::now();
    for b in &bin_encoded {
        let (e, _): (SerdeEntry, usize) = bincode::serde::decode_from_slice(b, config).unwrap();
        black_box(e);
    }
    let bin_decode = start.elapsed();

    let per = |d: std::time::Duration| d.as_nanos() as f64 / N as f64;
    println!(
        "hand-written: encode {:.1} ns, decode {:.1} ns, {:.1} bytes/entry",
        per(hand_encode),
        per(hand_decode),
        hand_bytes as f64 / N as f64
    );
    println!(
        "bincode 2 serde: encode {:.1} ns, decode {:.1} ns, {:.1} bytes/entry",
        per(bin_encode),
        per(bin_decode),
        bin_bytes as f64 / N as f64
    );
}
