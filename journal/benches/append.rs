//! Journal write and read costs, each against a peer measured in the same run.
//!
//! Every entry is a real typed record: `JournalRecord::Input` of a book-delta envelope
//! (~170-byte frame), built outside the timed loops.
//!
//! - `journal_append/buffered`: `JournalWriter::append` with group-commit limits set out of
//!   reach, so the timed loop is encode + CRC32C + SHA-256 chain + buffer; the commits
//!   happen between timed chunks of 8,192 entries. Peer `journal_append/peer_encode_only`:
//!   `JournalEntry::encode_into` of the same entries (what the frame adds over the encoding).
//! - `journal_append/default_config`: `append` with the default `WalConfig` (commit every
//!   512 entries / 1 MiB / 2 ms of caller time), fdatasyncs included: sustained entries/s.
//! - `journal_group_commit/commit_512`: one `commit()` of 512 buffered entries (write +
//!   fdatasync). Peer `journal_group_commit/peer_write_fdatasync_512`: `write_all` +
//!   `sync_data` of the same number of bytes on a plain file in the same directory.
//!   fdatasync latency on a virtual disk drifts over a minute, and criterion measures the two
//!   one after the other, so a paired pass follows: [`PAIRED_ROUNDS`] rounds alternating one
//!   commit and one raw write + fdatasync, each timed alone; medians and their ratio go to
//!   `target/criterion/journal_group_commit/paired.json` (what BENCHMARKS.md compares).
//! - `journal_read/record_reader_wal`: `RecordReader` over a closed WAL of 50,000 records
//!   (CRC, chain hash, entry decode, record decode). Peer
//!   `journal_read/peer_decode_in_memory`: `JournalEntry::decode` + `JournalRecord::from_entry`
//!   of the same bodies already in memory.
//!
//! - `journal_seal/seal_50k`: `seal_closed_segments` of one closed WAL segment of 50,000
//!   records (read + verify, Parquet write, fsync, rename, manifest). Peer
//!   `journal_seal/peer_copy_fsync`: copying the same WAL file to a new file and fsyncing it,
//!   the I/O floor of rewriting those bytes.
//!
//! Run: `cargo bench -p kalshi-journal --bench append`.
#![allow(clippy::disallowed_methods)] // a benchmark measures wall time; the journal itself does not

use std::fs::File;
use std::hint::black_box;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::BookDelta;
use kalshi_core::{BookSide, Price, SignedCount};
use kalshi_journal::wal::FRAME_HEADER_LEN_BYTES;
use kalshi_journal::{
    JournalEntry, JournalRecord, JournalWriter, RecordReader, RunInfo, RunStarted, WalConfig,
};

const CHUNK_ENTRIES: u64 = 8_192;
const COMMIT_ENTRIES: usize = 512;
const READ_RECORDS: u64 = 50_000;
const START_TS_NS: i64 = 1_782_873_105_308_000_000;

fn run_info() -> RunInfo {
    RunInfo {
        run_id: "bench".to_string(),
        build_id: "bench".to_string(),
        config_hash: "0".repeat(64),
        seed: 0,
        environment: "bench".to_string(),
        created_ts_ns: START_TS_NS,
    }
}

/// The typed entry of a book-delta input with sequence number `seq`.
fn delta_entry(seq: u64) -> JournalEntry {
    let ts_ns = START_TS_NS + seq as i64 * 1_000;
    let envelope = Envelope {
        seq,
        ts_ns,
        event: Event::BookDelta(BookDelta {
            ticker: "KXBTCD-26JUL0317-T60499.99".to_string(),
            side: if seq % 2 == 0 {
                BookSide::Bid
            } else {
                BookSide::Ask
            },
            price: Price::from_cents(40 + (seq % 20) as i64).expect("cent price"),
            delta: SignedCount::from_centi(if seq % 3 == 0 { -137 } else { 250 }),
            clock: None,
            client_order_id: None,
        }),
    };
    JournalRecord::Input(envelope)
        .to_entry(seq, ts_ns)
        .expect("record encodes")
}

fn unreachable_commit_config() -> WalConfig {
    WalConfig {
        segment_bytes_max: 1 << 30,
        group_commit_entries_max: usize::MAX,
        group_commit_bytes_max: usize::MAX,
        group_commit_interval_ns: i64::MAX,
    }
}

fn new_writer(root: &Path, name: &str, config: WalConfig) -> JournalWriter {
    JournalWriter::create(&root.join(name), run_info(), config).expect("create journal")
}

fn bench_append(c: &mut Criterion) {
    let root = tempfile::tempdir().expect("temp dir");
    let mut runs = 0u64;
    let mut group = c.benchmark_group("journal_append");
    group.throughput(Throughput::Elements(1));
    group.bench_function("buffered", |b| {
        b.iter_custom(|iters| {
            runs += 1;
            let mut writer = new_writer(
                root.path(),
                &format!("buf-{runs}"),
                unreachable_commit_config(),
            );
            let mut elapsed = Duration::ZERO;
            let mut next_seq = 1u64;
            let mut left = iters;
            while left > 0 {
                let n = left.min(CHUNK_ENTRIES);
                let chunk: Vec<JournalEntry> = (next_seq..next_seq + n).map(delta_entry).collect();
                next_seq += n;
                left -= n;
                let start = Instant::now();
                for entry in &chunk {
                    writer
                        .append(black_box(entry), entry.ts_ns)
                        .expect("append");
                }
                elapsed += start.elapsed();
                writer.commit().expect("commit");
            }
            writer.close().expect("close");
            let _ = std::fs::remove_dir_all(root.path().join(format!("buf-{runs}")));
            elapsed
        });
    });
    group.bench_function("peer_encode_only", |b| {
        b.iter_custom(|iters| {
            let mut out = Vec::with_capacity(1 << 20);
            let mut elapsed = Duration::ZERO;
            let mut next_seq = 1u64;
            let mut left = iters;
            while left > 0 {
                let n = left.min(CHUNK_ENTRIES);
                let chunk: Vec<JournalEntry> = (next_seq..next_seq + n).map(delta_entry).collect();
                next_seq += n;
                left -= n;
                out.clear();
                let start = Instant::now();
                for entry in &chunk {
                    black_box(entry).encode_into(&mut out).expect("encode");
                }
                elapsed += start.elapsed();
                black_box(&out);
            }
            elapsed
        });
    });
    group.bench_function("default_config", |b| {
        b.iter_custom(|iters| {
            runs += 1;
            let mut writer = new_writer(root.path(), &format!("def-{runs}"), WalConfig::default());
            let mut elapsed = Duration::ZERO;
            let mut next_seq = 1u64;
            let mut left = iters;
            while left > 0 {
                let n = left.min(CHUNK_ENTRIES);
                let chunk: Vec<JournalEntry> = (next_seq..next_seq + n).map(delta_entry).collect();
                next_seq += n;
                left -= n;
                let start = Instant::now();
                for entry in &chunk {
                    // Caller time: 1 µs per entry, as a busy feed would stamp them.
                    writer
                        .append(black_box(entry), entry.ts_ns)
                        .expect("append");
                }
                elapsed += start.elapsed();
            }
            let start = Instant::now();
            writer.close().expect("close");
            elapsed += start.elapsed();
            let _ = std::fs::remove_dir_all(root.path().join(format!("def-{runs}")));
            elapsed
        });
    });
    group.finish();

    let mut group = c.benchmark_group("journal_group_commit");
    let frame_bytes: u64 = (1..=COMMIT_ENTRIES as u64)
        .map(|seq| delta_entry(seq).encoded_len() + FRAME_HEADER_LEN_BYTES)
        .sum();
    group.throughput(Throughput::Bytes(frame_bytes));
    group.bench_function("commit_512", |b| {
        runs += 1;
        let name = format!("gc-{runs}");
        let mut writer = new_writer(root.path(), &name, unreachable_commit_config());
        let mut next_seq = 1u64;
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                for seq in next_seq..next_seq + COMMIT_ENTRIES as u64 {
                    let entry = delta_entry(seq);
                    writer.append(&entry, entry.ts_ns).expect("append");
                }
                next_seq += COMMIT_ENTRIES as u64;
                let start = Instant::now();
                writer.commit().expect("commit");
                elapsed += start.elapsed();
            }
            elapsed
        });
    });
    group.bench_function("peer_write_fdatasync_512", |b| {
        let mut file = File::create(root.path().join("raw.bin")).expect("create raw file");
        let bytes = vec![0x5au8; frame_bytes as usize];
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                file.write_all(black_box(&bytes)).expect("write");
                file.sync_data().expect("fdatasync");
                elapsed += start.elapsed();
            }
            elapsed
        });
    });
    group.finish();

    // A closed WAL of the run header (seq 0) and READ_RECORDS records, written once.
    let read_dir = root.path().join("read");
    let mut writer =
        JournalWriter::create(&read_dir, run_info(), WalConfig::default()).expect("create journal");
    let header = JournalRecord::RunStarted(Box::new(RunStarted {
        run_id: "bench".to_string(),
        build_id: "bench".to_string(),
        config: Default::default(),
        environment: "bench".to_string(),
        seed: 0,
        started_ts_ns: START_TS_NS,
    }))
    .to_entry(0, START_TS_NS)
    .expect("encode header");
    writer.append(&header, START_TS_NS).expect("append header");
    let mut bodies = Vec::with_capacity(READ_RECORDS as usize);
    for seq in 1..=READ_RECORDS {
        let entry = delta_entry(seq);
        writer.append(&entry, entry.ts_ns).expect("append");
        bodies.push(entry.encode().expect("encode"));
    }
    writer.close().expect("close");

    let mut group = c.benchmark_group("journal_read");
    group.throughput(Throughput::Elements(READ_RECORDS));
    group.sample_size(10);
    group.bench_function("record_reader_wal", |b| {
        b.iter(|| {
            let mut reader = RecordReader::open(&read_dir).expect("open reader");
            let mut count = 0u64;
            while let Some(record) = reader.next_record().expect("read") {
                black_box(&record);
                count += 1;
            }
            assert_eq!(count, READ_RECORDS + 1);
        });
    });
    group.bench_function("peer_decode_in_memory", |b| {
        b.iter(|| {
            for body in &bodies {
                let entry = JournalEntry::decode(black_box(body)).expect("decode entry");
                black_box(JournalRecord::from_entry(&entry).expect("decode record"));
            }
        });
    });
    group.finish();

    let mut group = c.benchmark_group("journal_seal");
    group.throughput(Throughput::Elements(READ_RECORDS));
    group.sample_size(10);
    group.bench_function("seal_50k", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                runs += 1;
                let name = format!("seal-{runs}");
                let mut writer = new_writer(root.path(), &name, unreachable_commit_config());
                for seq in 1..=READ_RECORDS {
                    let entry = delta_entry(seq);
                    writer.append(&entry, entry.ts_ns).expect("append");
                }
                writer.rotate().expect("rotate");
                let start = Instant::now();
                let sealed = writer.seal_closed_segments().expect("seal");
                elapsed += start.elapsed();
                assert_eq!(sealed.len(), 1);
                writer.close().expect("close");
                let _ = std::fs::remove_dir_all(root.path().join(&name));
            }
            elapsed
        });
    });
    group.bench_function("peer_copy_fsync", |b| {
        let wal = std::fs::read_dir(&read_dir)
            .expect("list read dir")
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|path| path.extension().is_some_and(|ext| ext == "log"))
            .expect("a WAL segment");
        let target = root.path().join("copy.bin");
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                std::fs::copy(&wal, &target).expect("copy");
                File::open(&target)
                    .and_then(|file| file.sync_all())
                    .expect("fsync");
                elapsed += start.elapsed();
            }
            elapsed
        });
    });
    group.finish();
}

/// Rounds of the paired group-commit pass.
const PAIRED_ROUNDS: usize = 400;
const PAIRED_OUT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../target/criterion/journal_group_commit/paired.json"
);

fn median_ns(samples: &mut [u128]) -> u128 {
    samples.sort_unstable();
    samples.get(samples.len() / 2).copied().unwrap_or(0)
}

/// One commit of 512 entries and one raw write + fdatasync of as many bytes, alternately,
/// each timed alone, so both see the same disk.
fn paired_group_commit() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut writer = new_writer(root.path(), "paired", unreachable_commit_config());
    let frame_bytes: u64 = (1..=COMMIT_ENTRIES as u64)
        .map(|seq| delta_entry(seq).encoded_len() + FRAME_HEADER_LEN_BYTES)
        .sum();
    let mut raw = File::create(root.path().join("paired-raw.bin")).expect("create raw file");
    let bytes = vec![0x5au8; frame_bytes as usize];
    let mut ours_ns = Vec::with_capacity(PAIRED_ROUNDS);
    let mut peer_ns = Vec::with_capacity(PAIRED_ROUNDS);
    let mut next_seq = 1u64;
    for round in 0..PAIRED_ROUNDS {
        for seq in next_seq..next_seq + COMMIT_ENTRIES as u64 {
            let entry = delta_entry(seq);
            writer.append(&entry, entry.ts_ns).expect("append");
        }
        next_seq += COMMIT_ENTRIES as u64;
        let mut time_ours = || {
            let start = Instant::now();
            writer.commit().expect("commit");
            ours_ns.push(start.elapsed().as_nanos());
        };
        let mut time_peer = || {
            let start = Instant::now();
            raw.write_all(black_box(&bytes)).expect("write");
            raw.sync_data().expect("fdatasync");
            peer_ns.push(start.elapsed().as_nanos());
        };
        // Alternate which goes first, so neither always follows the other's flush.
        if round % 2 == 0 {
            time_ours();
            time_peer();
        } else {
            time_peer();
            time_ours();
        }
    }
    let ours = median_ns(&mut ours_ns);
    let peer = median_ns(&mut peer_ns);
    let report = serde_json::json!({
        "rounds": PAIRED_ROUNDS,
        "entries_per_commit": COMMIT_ENTRIES,
        "bytes_per_commit": frame_bytes,
        "ours_median_ns": ours,
        "peer_median_ns": peer,
        "ratio": ours as f64 / peer.max(1) as f64,
    });
    let path = Path::new(PAIRED_OUT);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create the criterion output directory");
    }
    std::fs::write(path, serde_json::to_string_pretty(&report).expect("json"))
        .expect("write the paired report");
    println!("group commit, paired: {report}");
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .sample_size(20)
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_append
}

fn main() {
    benches();
    // `cargo bench -- <filter>` runs the paired pass only when the filter leaves it in.
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    if filter.is_none_or(|filter| "journal_group_commit/paired".contains(filter.as_str())) {
        paired_group_commit();
    }
    Criterion::default().configure_from_args().final_summary();
}
