//! Where replay-verify spends its time: the same journal read at each layer of the stack.
//!
//! `cargo run -p kalshi-replay --release --example replay_split -- <dir>` over a journal
//! written by `replay_memory write` (and possibly sealed by `replay_memory seal`). Each pass re-reads the whole journal (page cache warm
//! after the first) and times one layer more than the pass before:
//!
//! 1. `read`: the segment files' bytes (sealed Parquet and WAL), 1 MiB at a time (file IO
//!    alone);
//! 2. `frames`: CRC32C and one SHA-256 over every frame of the first WAL file in memory, the
//!    per-frame work the WAL scanner adds to IO (its chain link and its segment digest each
//!    hash the frame once); zero for a fully sealed journal;
//! 3. `entries`: `JournalReader` (IO, CRC, chain and segment digest, entry decode);
//! 4. `records`: `RecordReader` (plus the bincode record decode and the index check);
//! 5. `source`: `JournalSource` (what `verify` reads, the decode-only rate);
//! 6. `engine`: `JournalSource` with every input through a fresh `Engine`, outputs dropped;
//! 7. `verify`: the full `verify` (engine plus every output compared and hashed).
//!
//! Prints one JSON line with each pass's seconds and per-record nanoseconds.
#![allow(clippy::disallowed_methods)] // a benchmark measures wall time; replay itself does not

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use kalshi_core::engine::Engine;
use kalshi_core::events::{Envelope, Event};
use kalshi_journal::wal::FRAME_HEADER_LEN_BYTES;
use kalshi_journal::{ChainHash, JournalReader, JournalRecord, ReadOptions, RecordReader};
use kalshi_replay::journal_source::JournalSource;
use kalshi_replay::progress::NoProgress;
use kalshi_replay::record::RecordSource;
use kalshi_replay::verify::verify;

fn fail(what: &str, error: impl std::fmt::Display) -> ! {
    eprintln!("{what}: {error}");
    std::process::exit(1);
}

/// The journal's segment files with extension `ext` (`log` for WAL, `parquet` for sealed).
fn segment_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| fail("list journal", e))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

fn read_pass(files: &[PathBuf]) -> u64 {
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    for path in files {
        let mut file = std::fs::File::open(path).unwrap_or_else(|e| fail("open WAL", e));
        loop {
            let read = file
                .read(&mut buffer)
                .unwrap_or_else(|e| fail("read WAL", e));
            if read == 0 {
                break;
            }
            total += read as u64;
        }
    }
    total
}

/// CRC32C and one SHA-256 per frame over the frames of the first WAL file, in memory.
/// Returns (frames, crc seconds, sha seconds).
fn frame_pass(files: &[PathBuf]) -> (u64, f64, f64) {
    let Some(first) = files.first() else {
        return (0, 0.0, 0.0);
    };
    let bytes = std::fs::read(first).unwrap_or_else(|e| fail("read WAL", e));
    let header = usize::try_from(FRAME_HEADER_LEN_BYTES).unwrap_or(44);
    let mut frames: Vec<&[u8]> = Vec::new();
    let mut offset = 52;
    while offset + header <= bytes.len() {
        let len = u32::from_le_bytes([
            bytes[offset + 4],
            bytes[offset + 5],
            bytes[offset + 6],
            bytes[offset + 7],
        ]) as usize;
        let end = offset + header + len;
        if end > bytes.len() {
            break;
        }
        frames.push(&bytes[offset + header..end]);
        offset = end;
    }
    let start = Instant::now();
    let mut crc = 0u32;
    for body in &frames {
        crc ^= crc32c::crc32c(body);
    }
    let crc_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut link = ChainHash::genesis("split");
    for body in &frames {
        link = link.next(body);
    }
    let sha_s = start.elapsed().as_secs_f64();
    std::hint::black_box((crc, link));
    (frames.len() as u64, crc_s, sha_s)
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        fail("usage", "replay_split <journal dir>");
    };
    let dir = Path::new(&dir);
    let wal = segment_files(dir, "log");
    let mut files = segment_files(dir, "parquet");
    let sealed_files = files.len();
    files.extend(wal.iter().cloned());
    read_pass(&files);

    let start = Instant::now();
    let bytes = read_pass(&files);
    let read_s = start.elapsed().as_secs_f64();

    let (frames, crc_s, sha_s) = frame_pass(&wal);

    let start = Instant::now();
    let mut entries = 0u64;
    let reader =
        JournalReader::open(dir, ReadOptions::default()).unwrap_or_else(|e| fail("open", e));
    for entry in reader {
        entry.unwrap_or_else(|e| fail("entry", e));
        entries += 1;
    }
    let entries_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let reader = RecordReader::open(dir).unwrap_or_else(|e| fail("open", e));
    for record in reader {
        record.unwrap_or_else(|e| fail("record", e));
    }
    let records_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut source = JournalSource::open(dir).unwrap_or_else(|e| fail("open", e));
    while source
        .next_record()
        .unwrap_or_else(|e| fail("source", e))
        .is_some()
    {}
    let source_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut source = JournalSource::open(dir).unwrap_or_else(|e| fail("open", e));
    let mut engine = Engine::new();
    let mut primed = false;
    let mut run_config = None;
    let mut inputs = 0u64;
    while let Some(record) = source.next_record().unwrap_or_else(|e| fail("source", e)) {
        match record {
            JournalRecord::RunStarted(started) => run_config = Some(Box::new(started.config)),
            JournalRecord::Input(envelope) => {
                if !primed
                    && !matches!(envelope.event, Event::Config(_))
                    && let Some(config) = run_config.take()
                {
                    engine.process(&Envelope {
                        seq: 0,
                        ts_ns: envelope.ts_ns,
                        event: Event::Config(config),
                    });
                }
                primed = true;
                std::hint::black_box(engine.process(&envelope));
                inputs += 1;
            }
            _ => {}
        }
    }
    let engine_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut source = JournalSource::open(dir).unwrap_or_else(|e| fail("open", e));
    let report = verify(&mut source, &NoProgress).unwrap_or_else(|e| fail("verify", e));
    let verify_s = start.elapsed().as_secs_f64();
    if !report.is_match() {
        fail("verify", "journal does not replay");
    }

    let per_record_ns = |seconds: f64| seconds * 1e9 / entries.max(1) as f64;
    let per_frame_ns = |seconds: f64| seconds * 1e9 / frames.max(1) as f64;
    let json = serde_json::json!({
        "records": entries,
        "inputs": inputs,
        "sealed_segments": sealed_files,
        "wal_segments": wal.len(),
        "segment_bytes": bytes,
        "read_s": read_s,
        "read_ns_per_record": per_record_ns(read_s),
        "crc32c_ns_per_frame": per_frame_ns(crc_s),
        "sha256_ns_per_frame": per_frame_ns(sha_s),
        "entries_s": entries_s,
        "entries_ns_per_record": per_record_ns(entries_s),
        "records_s": records_s,
        "records_ns_per_record": per_record_ns(records_s),
        "source_s": source_s,
        "source_records_per_s": entries as f64 / source_s,
        "engine_s": engine_s,
        "engine_inputs_per_s": inputs as f64 / engine_s,
        "verify_s": verify_s,
        "verify_inputs_per_s": report.inputs_replayed as f64 / verify_s,
        "verify_over_decode": source_s / verify_s,
    });
    println!("{json}");
}
