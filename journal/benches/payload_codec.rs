//! Record payload codec: bincode (what the journal writes) against rkyv, on the record that
//! dominates a journal, `JournalRecord::Input` of a book-delta envelope.
//!
//! rkyv needs its own derives on every type it encodes, and the journaled core types carry
//! serde derives only, so the rkyv side runs on a mirror of that record (same fields, same
//! integer widths, same enum shape). The mirror is encoded with bincode too, and its bincode
//! rate next to the real record's shows how faithful the mirror is.
//!
//! - `payload_decode/bincode_real`: `bincode` decode of the real `JournalRecord` payloads (what
//!   `RecordReader` does per record);
//! - `payload_decode/bincode_mirror`: the same for the mirror's bincode payloads;
//! - `payload_decode/rkyv_mirror_owned`: `rkyv::from_bytes` (validate, then build the owned
//!   value, as replay needs an owned `Envelope`) from an aligned buffer;
//! - `payload_decode/rkyv_mirror_unaligned_owned`: the same from the payload as the reader
//!   holds it (a byte slice inside a column), copied into an aligned buffer first;
//! - `payload_decode/rkyv_mirror_access`: `rkyv::access` (validation only, zero copy) and one
//!   field read: the floor, usable only by code that reads archived values in place;
//! - `payload_encode/*`: encoding each way.
//!
//! Run: `cargo bench -p kalshi-journal --bench payload_codec`. Payload sizes are printed once.
#![allow(clippy::disallowed_methods)] // a benchmark measures wall time; the journal itself does not

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::BookDelta;
use kalshi_core::{BookSide, Price, SignedCount};
use kalshi_journal::JournalRecord;
use kalshi_journal::record::payload_config;

const RECORDS: usize = 10_000;
const START_TS_NS: i64 = 1_782_873_105_308_000_000;
const TICKER: &str = "KXBTCD-26JUL0317-T60499.99";

/// Mirror of `JournalRecord` (the variants before `Input` stand in by shape only).
#[derive(
    Debug,
    PartialEq,
    serde::Serialize,
    serde::Deserialize,
    rkyv::Archive,
    rkyv::Serialize,
    rkyv::Deserialize,
)]
enum MirrorRecord {
    RunStarted(String),
    Input(MirrorEnvelope),
    RunEnded { reason: String },
}

/// Mirror of `Envelope`.
#[derive(
    Debug,
    PartialEq,
    serde::Serialize,
    serde::Deserialize,
    rkyv::Archive,
    rkyv::Serialize,
    rkyv::Deserialize,
)]
struct MirrorEnvelope {
    seq: u64,
    ts_ns: i64,
    event: MirrorEvent,
}

/// Mirror of `Event` (book delta at the position the real enum has it does not matter to
/// either codec beyond the variant tag's width, one byte in both).
#[derive(
    Debug,
    PartialEq,
    serde::Serialize,
    serde::Deserialize,
    rkyv::Archive,
    rkyv::Serialize,
    rkyv::Deserialize,
)]
enum MirrorEvent {
    Heartbeat,
    BookDelta(MirrorDelta),
}

/// Mirror of `BookDelta`: prices and counts are `i64` in both encodings, as `Price` and
/// `SignedCount` are in bincode.
#[derive(
    Debug,
    PartialEq,
    serde::Serialize,
    serde::Deserialize,
    rkyv::Archive,
    rkyv::Serialize,
    rkyv::Deserialize,
)]
struct MirrorDelta {
    ticker: String,
    side: MirrorSide,
    price_micros: i64,
    delta_centi: i64,
    clock: Option<u64>,
    client_order_id: Option<String>,
}

#[derive(
    Debug,
    PartialEq,
    serde::Serialize,
    serde::Deserialize,
    rkyv::Archive,
    rkyv::Serialize,
    rkyv::Deserialize,
)]
enum MirrorSide {
    Bid,
    Ask,
}

fn side(seq: u64) -> bool {
    seq % 2 == 0
}

fn price_cents(seq: u64) -> i64 {
    40 + (seq % 20) as i64
}

fn delta_centi(seq: u64) -> i64 {
    if seq % 3 == 0 { -137 } else { 250 }
}

fn real(seq: u64) -> JournalRecord {
    JournalRecord::Input(Envelope {
        seq,
        ts_ns: START_TS_NS + seq as i64 * 1_000,
        event: Event::BookDelta(BookDelta {
            ticker: TICKER.to_string(),
            side: if side(seq) {
                BookSide::Bid
            } else {
                BookSide::Ask
            },
            price: Price::from_cents(price_cents(seq)).expect("cent price"),
            delta: SignedCount::from_centi(delta_centi(seq)),
            clock: Some(seq),
            client_order_id: None,
        }),
    })
}

fn mirror(seq: u64) -> MirrorRecord {
    MirrorRecord::Input(MirrorEnvelope {
        seq,
        ts_ns: START_TS_NS + seq as i64 * 1_000,
        event: MirrorEvent::BookDelta(MirrorDelta {
            ticker: TICKER.to_string(),
            side: if side(seq) {
                MirrorSide::Bid
            } else {
                MirrorSide::Ask
            },
            price_micros: price_cents(seq) * 10_000,
            delta_centi: delta_centi(seq),
            clock: Some(seq),
            client_order_id: None,
        }),
    })
}

fn bincode_bytes<T: serde::Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, payload_config()).expect("bincode encodes")
}

fn rkyv_bytes(value: &MirrorRecord) -> rkyv::util::AlignedVec {
    rkyv::to_bytes::<rkyv::rancor::Error>(value).expect("rkyv encodes")
}

fn bench(c: &mut Criterion) {
    let seqs: Vec<u64> = (1..=RECORDS as u64).collect();
    let reals: Vec<JournalRecord> = seqs.iter().map(|seq| real(*seq)).collect();
    let mirrors: Vec<MirrorRecord> = seqs.iter().map(|seq| mirror(*seq)).collect();
    let real_payloads: Vec<Vec<u8>> = reals.iter().map(bincode_bytes).collect();
    let mirror_payloads: Vec<Vec<u8>> = mirrors.iter().map(bincode_bytes).collect();
    let rkyv_payloads: Vec<rkyv::util::AlignedVec> = mirrors.iter().map(rkyv_bytes).collect();
    // Unaligned copies: each payload one byte into its buffer, as a column slice may be.
    let unaligned: Vec<Vec<u8>> = rkyv_payloads
        .iter()
        .map(|bytes| std::iter::once(0).chain(bytes.iter().copied()).collect())
        .collect();

    // The mirror must round-trip both ways before its figures mean anything.
    for (index, seq) in seqs.iter().enumerate() {
        let (decoded, _): (MirrorRecord, usize) =
            bincode::serde::decode_from_slice(&mirror_payloads[index], payload_config())
                .expect("bincode decodes");
        assert_eq!(decoded, mirror(*seq));
        let decoded = rkyv::from_bytes::<MirrorRecord, rkyv::rancor::Error>(&rkyv_payloads[index])
            .expect("rkyv decodes");
        assert_eq!(decoded, mirror(*seq));
    }
    let mean =
        |sizes: &mut dyn Iterator<Item = usize>| sizes.sum::<usize>() as f64 / RECORDS as f64;
    println!(
        "payload bytes per record: bincode real {:.1}, bincode mirror {:.1}, rkyv mirror {:.1}",
        mean(&mut real_payloads.iter().map(Vec::len)),
        mean(&mut mirror_payloads.iter().map(Vec::len)),
        mean(&mut rkyv_payloads.iter().map(|bytes| bytes.len())),
    );

    let mut group = c.benchmark_group("payload_decode");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("bincode_real", |b| {
        b.iter(|| {
            for payload in &real_payloads {
                let (record, _): (JournalRecord, usize) =
                    bincode::serde::decode_from_slice(payload, payload_config()).expect("decodes");
                black_box(record);
            }
        });
    });
    group.bench_function("bincode_mirror", |b| {
        b.iter(|| {
            for payload in &mirror_payloads {
                let (record, _): (MirrorRecord, usize) =
                    bincode::serde::decode_from_slice(payload, payload_config()).expect("decodes");
                black_box(record);
            }
        });
    });
    group.bench_function("rkyv_mirror_owned", |b| {
        b.iter(|| {
            for payload in &rkyv_payloads {
                black_box(
                    rkyv::from_bytes::<MirrorRecord, rkyv::rancor::Error>(payload)
                        .expect("decodes"),
                );
            }
        });
    });
    group.bench_function("rkyv_mirror_unaligned_owned", |b| {
        let mut aligned = rkyv::util::AlignedVec::<16>::new();
        b.iter(|| {
            for payload in &unaligned {
                aligned.clear();
                aligned.extend_from_slice(&payload[1..]);
                black_box(
                    rkyv::from_bytes::<MirrorRecord, rkyv::rancor::Error>(&aligned)
                        .expect("decodes"),
                );
            }
        });
    });
    group.bench_function("rkyv_mirror_access", |b| {
        b.iter(|| {
            for payload in &rkyv_payloads {
                let archived = rkyv::access::<ArchivedMirrorRecord, rkyv::rancor::Error>(payload)
                    .expect("valid");
                if let ArchivedMirrorRecord::Input(envelope) = archived {
                    black_box(envelope.seq.to_native());
                }
            }
        });
    });
    group.finish();

    let mut group = c.benchmark_group("payload_encode");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("bincode_real", |b| {
        b.iter(|| {
            for record in &reals {
                black_box(bincode_bytes(record));
            }
        });
    });
    group.bench_function("bincode_mirror", |b| {
        b.iter(|| {
            for record in &mirrors {
                black_box(bincode_bytes(record));
            }
        });
    });
    group.bench_function("rkyv_mirror", |b| {
        b.iter(|| {
            for record in &mirrors {
                black_box(rkyv_bytes(record));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
