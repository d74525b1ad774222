//! The streaming backtest gives the in-memory backtest's result whatever its sink, a journal
//! written as records are produced verifies, and verify over a journal (outputs compared
//! still encoded) names a divergence readably.

mod support;

use kalshi_core::commands::Command;
use kalshi_journal::{JournalRecord, RunInfo, WalConfig};
use kalshi_replay::backtest::{
    BacktestConfig, DiscardRecords, run_backtest, run_backtest_streaming,
};
use kalshi_replay::journal_source::{JournalSink, JournalSource, derived_wal, write_journal};
use kalshi_replay::metrics::DataFidelity;
use kalshi_replay::progress::NoProgress;
use kalshi_replay::record::VecSource;
use kalshi_replay::verify::verify;
use support::{engine_config, listing, market_data};

fn config() -> BacktestConfig {
    let mut config = BacktestConfig::new(engine_config());
    config.listings = vec![listing()];
    config
}

fn run_info(run_id: &str) -> RunInfo {
    RunInfo {
        run_id: run_id.to_string(),
        build_id: "test".to_string(),
        config_hash: String::new(),
        seed: 0,
        environment: "backtest".to_string(),
        created_ts_ns: support::START_NS,
    }
}

#[test]
fn streaming_gives_the_in_memory_result_whatever_the_sink() {
    let data = market_data(900, 7);
    let in_memory = run_backtest(&data, &config(), &NoProgress).unwrap();

    let mut records = Vec::new();
    let collected =
        run_backtest_streaming(data.iter().cloned(), &config(), &mut records, &NoProgress).unwrap();
    assert_eq!(records, in_memory.records);
    assert_eq!(collected.records, records.len() as u64);
    assert_eq!(collected.output_digest, in_memory.output_digest);
    assert_eq!(collected.outputs, in_memory.outputs);

    let discarded = run_backtest_streaming(
        data.iter().cloned(),
        &config(),
        &mut DiscardRecords,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(discarded.output_digest, in_memory.output_digest);
    assert_eq!(discarded.records, records.len() as u64);
    assert_eq!(discarded.metrics.fidelity, DataFidelity::FullL2);
    assert_eq!(
        serde_json::to_string(&discarded.metrics).unwrap(),
        serde_json::to_string(&in_memory.metrics).unwrap()
    );
    assert!(discarded.data_events > 0 && discarded.data_events <= data.len() as u64);
}

#[test]
fn a_journal_written_while_the_backtest_runs_verifies_with_its_digest() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = JournalSink::create(dir.path(), run_info("stream")).unwrap();
    let summary =
        run_backtest_streaming(market_data(900, 7), &config(), &mut sink, &NoProgress).unwrap();
    sink.finish_and_seal().unwrap();
    let report = verify(&mut JournalSource::open(dir.path()).unwrap(), &NoProgress).unwrap();
    assert!(report.is_match(), "{:?}", report.divergence);
    assert!(report.run_ended);
    assert_eq!(report.output_digest, summary.output_digest);
    assert_eq!(report.outputs_matched, summary.outputs);
    assert_eq!(report.records_read, summary.records);
}

#[test]
fn verify_over_a_journal_shows_the_divergent_output_as_json() {
    let mut records = run_backtest(&market_data(900, 7), &config(), &NoProgress)
        .unwrap()
        .records;
    let (position, input_seq) = records
        .iter()
        .enumerate()
        .find_map(|(position, record)| match record {
            JournalRecord::OutputCommand {
                input_seq,
                command: Command::Place(_),
                ..
            } => Some((position, *input_seq)),
            _ => None,
        })
        .unwrap();
    if let JournalRecord::OutputCommand { command, .. } = &mut records[position] {
        *command = Command::CancelAll;
    }
    let dir = tempfile::tempdir().unwrap();
    write_journal(dir.path(), run_info("tampered"), &records).unwrap();
    let from_journal = verify(&mut JournalSource::open(dir.path()).unwrap(), &NoProgress).unwrap();
    let from_memory = verify(&mut VecSource::new(records), &NoProgress).unwrap();
    let divergence = from_journal.divergence.clone().unwrap();
    assert_eq!(divergence.input_seq, input_seq);
    assert_eq!(divergence.expected.as_deref(), Some("\"CancelAll\""));
    assert!(divergence.actual.unwrap().contains("\"Place\""));
    assert_eq!(from_journal.divergence, from_memory.divergence);
    assert_eq!(from_journal.output_digest, from_memory.output_digest);
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn files_of(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn a_derived_journal_syncs_rarely_but_has_the_bytes_of_one_synced_after_every_record() {
    let records = run_backtest(&market_data(900, 7), &config(), &NoProgress)
        .unwrap()
        .records;
    let grouped = tempfile::tempdir().unwrap();
    write_journal(grouped.path(), run_info("derived"), &records).unwrap();
    let every_record = tempfile::tempdir().unwrap();
    let synced_each = WalConfig {
        group_commit_entries_max: 1,
        group_commit_interval_ns: 0,
        ..WalConfig::default()
    };
    let mut sink =
        JournalSink::create_with_wal(every_record.path(), run_info("derived"), synced_each)
            .unwrap();
    for record in &records {
        kalshi_replay::record::RecordSink::record(&mut sink, record.borrowed()).unwrap();
    }
    sink.finish_and_seal().unwrap();
    let (ours, reference) = (files_of(grouped.path()), files_of(every_record.path()));
    assert!(ours.len() >= 2, "{:?}", ours.keys().collect::<Vec<_>>());
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &ours {
        assert!(bytes == &reference[name], "{name} differs");
    }
    // Group commits by size only: a derived journal is synced when sealed, not per record.
    let wal = derived_wal();
    assert_eq!(wal.group_commit_interval_ns, i64::MAX);
    assert!(wal.group_commit_entries_max >= 1_000);
}
