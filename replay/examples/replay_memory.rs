//! Peak memory and speed of replay-verify over a large journal.
//!
//! `cargo run -p kalshi-replay --release --example replay_memory -- write <dir> [events]`
//! journals a run the way the live sequencer does (config, reconciliation, listing, then the
//! synthetic L2 stream of `common/synthetic_l2.rs`; every input through `Engine::process`,
//! inputs and outputs appended with `TypedJournalWriter`, group-committed by count and size,
//! commands durably; default 10,000,000 events).
//!
//! `cargo run -p kalshi-replay --release --example replay_memory -- seal <dir>` seals every
//! WAL segment of that journal to Parquet, as a live run's shutdown does
//! (`finish_and_seal`), and prints the time taken.
//!
//! `cargo run -p kalshi-replay --release --example replay_memory -- verify <dir> [--paranoid]` streams
//! the journal back through `verify` (a fresh engine, every output compared) and prints one
//! JSON line with the time taken and the process's peak resident set (`VmHWM` from
//! `/proc/self/status`), which is what the 256 MB bar is about. The two modes run as separate
//! processes so the writer's memory does not count against the replay.
#![allow(clippy::disallowed_methods)] // a benchmark measures wall time; replay itself does not

#[path = "common/synthetic_l2.rs"]
mod synthetic_l2;

use std::path::Path;
use std::time::Instant;

use kalshi_core::Count;
use kalshi_core::client_order_id::RunId;
use kalshi_core::config::EngineConfig;
use kalshi_core::engine::Engine;
use kalshi_core::events::Event;
use kalshi_journal::{RunInfo, RunStarted, TypedJournalWriter, WalConfig};
use kalshi_replay::journal_source::JournalSource;
use kalshi_replay::progress::NoProgress;
use kalshi_replay::verify::verify;
use synthetic_l2::{START_TS_NS, SyntheticL2, listing};

fn fail(what: &str, error: impl std::fmt::Display) -> ! {
    eprintln!("{what}: {error}");
    std::process::exit(1);
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn write(dir: &Path, event_count: usize) {
    let mut config = EngineConfig {
        run_id: RunId::parse("mem").unwrap_or_default(),
        ..EngineConfig::default()
    };
    config.scanner.volume_24h_min = Count::ZERO;
    config.scanner.open_interest_min = Count::ZERO;
    let run = RunInfo {
        run_id: "replay-memory".to_string(),
        build_id: "bench".to_string(),
        config_hash: "0".repeat(64),
        seed: 0,
        environment: "bench".to_string(),
        created_ts_ns: START_TS_NS,
    };
    let start = Instant::now();
    // Group commit by count and size only: the stream's data time advances 10 ms per event,
    // which would trip the default 2 ms commit interval on every append.
    let wal = WalConfig {
        group_commit_interval_ns: i64::MAX,
        ..WalConfig::default()
    };
    let mut writer =
        TypedJournalWriter::create(dir, run, wal).unwrap_or_else(|e| fail("create journal", e));
    writer
        .append_run_started(RunStarted {
            run_id: "replay-memory".to_string(),
            build_id: "bench".to_string(),
            config: config.clone(),
            environment: "bench".to_string(),
            seed: 0,
            started_ts_ns: START_TS_NS,
        })
        .unwrap_or_else(|e| fail("append run start", e));
    let mut engine = Engine::new();
    let preamble = [
        Event::Config(Box::new(config)),
        Event::Reconciled {
            orders: Vec::new(),
            positions: Vec::new(),
        },
        Event::MarketListing(vec![listing()]),
    ];
    let inputs = preamble
        .into_iter()
        .map(|event| (START_TS_NS, event))
        .chain(
            SyntheticL2::new(1)
                .take(event_count)
                .map(|envelope| (envelope.ts_ns, envelope.event)),
        );
    let mut outputs = 0u64;
    let mut last_ts_ns = START_TS_NS;
    for (ts_ns, event) in inputs {
        let envelope = writer.stamp(ts_ns, event);
        writer
            .append_input(&envelope)
            .unwrap_or_else(|e| fail("append input", e));
        let output = engine.process(&envelope);
        outputs += (output.commands.len() + output.decisions.len()) as u64;
        writer
            .append_outputs(envelope.seq, envelope.ts_ns, &output)
            .unwrap_or_else(|e| fail("append outputs", e));
        last_ts_ns = ts_ns;
    }
    writer
        .append_run_ended(last_ts_ns, "benchmark complete")
        .unwrap_or_else(|e| fail("append run end", e));
    writer.close().unwrap_or_else(|e| fail("close journal", e));
    let report = serde_json::json!({
        "mode": "write",
        "events": event_count,
        "outputs": outputs,
        "write_s": start.elapsed().as_secs_f64(),
        "peak_rss_kb": peak_rss_kb(),
    });
    println!("{report}");
}

fn seal(dir: &Path) {
    let start = Instant::now();
    let (writer, _) =
        TypedJournalWriter::open(dir, WalConfig::default()).unwrap_or_else(|e| fail("open", e));
    let manifest = writer
        .finish_and_seal()
        .unwrap_or_else(|e| fail("seal journal", e));
    let report = serde_json::json!({
        "mode": "seal",
        "sealed_segments": manifest.segments.len(),
        "seal_s": start.elapsed().as_secs_f64(),
    });
    println!("{report}");
}

fn verify_run(dir: &Path, paranoid: bool) {
    let start = Instant::now();
    let opened = if paranoid {
        JournalSource::open_paranoid(dir)
    } else {
        JournalSource::open(dir)
    };
    let mut source = opened.unwrap_or_else(|e| fail("open journal", e));
    let report = verify(&mut source, &NoProgress).unwrap_or_else(|e| fail("verify", e));
    let verify_s = start.elapsed().as_secs_f64();
    let json = serde_json::json!({
        "mode": if paranoid { "verify --paranoid" } else { "verify" },
        "records_read": report.records_read,
        "inputs_replayed": report.inputs_replayed,
        "outputs_matched": report.outputs_matched,
        "is_match": report.is_match(),
        "run_ended": report.run_ended,
        "verify_s": verify_s,
        "inputs_per_s": report.inputs_replayed as f64 / verify_s,
        "records_per_s": report.records_read as f64 / verify_s,
        "peak_rss_kb": peak_rss_kb(),
    });
    println!("{json}");
    if !report.is_match() {
        std::process::exit(2);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["write", dir] => write(Path::new(dir), 10_000_000),
        ["write", dir, count] => match count.parse() {
            Ok(count) => write(Path::new(dir), count),
            Err(e) => fail("event count", e),
        },
        ["seal", dir] => seal(Path::new(dir)),
        ["verify", dir] => verify_run(Path::new(dir), false),
        ["verify", dir, "--paranoid"] => verify_run(Path::new(dir), true),
        _ => fail(
            "usage",
            "replay_memory write <dir> [events] | replay_memory seal <dir> | replay_memory verify <dir> [--paranoid]",
        ),
    }
}
