//! Backtest determinism, its journal verifying exactly, divergence and crash-tail handling in
//! verify, and the journal round trip.

mod support;

use kalshi_core::commands::Command;
use kalshi_journal::{JournalRecord, RunInfo};
use kalshi_replay::backtest::{BacktestConfig, BacktestOutcome, run_backtest};
use kalshi_replay::journal_source::{JournalSource, write_journal};
use kalshi_replay::metrics::DataFidelity;
use kalshi_replay::progress::NoProgress;
use kalshi_replay::record::VecSource;
use kalshi_replay::verify::verify;
use support::{engine_config, listing, market_data};

fn backtest(config: &BacktestConfig) -> BacktestOutcome {
    run_backtest(&market_data(900, 7), config, &NoProgress).unwrap()
}

fn config() -> BacktestConfig {
    let mut config = BacktestConfig::new(engine_config());
    config.listings = vec![listing()];
    config
}

#[test]
fn the_same_backtest_twice_gives_identical_metrics_and_digest() {
    let first = backtest(&config());
    let second = backtest(&config());
    assert!(first.metrics.orders > 0, "the strategy quoted");
    assert!(first.metrics.fills > 0, "the data filled some quotes");
    assert_eq!(first.metrics.fidelity, DataFidelity::FullL2);
    assert_eq!(
        serde_json::to_string(&first.metrics).unwrap(),
        serde_json::to_string(&second.metrics).unwrap()
    );
    assert_eq!(first.output_digest, second.output_digest);
    assert_eq!(first.records, second.records);
}

#[test]
fn metrics_add_up() {
    let outcome = backtest(&config());
    let m = &outcome.metrics;
    assert_eq!(m.net_pnl, m.gross_pnl - m.fees);
    assert!(m.fees.micros() > 0);
    assert!(m.filled_contracts <= m.placed_contracts);
    assert_eq!(
        m.maker_share_ppm, 1_000_000,
        "post-only quotes only ever fill as maker"
    );
    assert!(m.time_quoted_ppm > 0 && m.time_quoted_ppm <= 1_000_000);
    assert!(m.markouts_1m_count > 0 && m.markouts_5m_count <= m.markouts_1m_count);
    assert_eq!(m.markets.len(), 1);
    assert_eq!(m.markets[0].net_pnl, m.net_pnl);
    assert!(m.max_drawdown.micros() >= 0);
}

#[test]
fn a_different_config_is_a_different_run() {
    let base = backtest(&config());
    let mut wider = config();
    wider.engine.strategy.fair_offset_ticks = 3;
    let other = backtest(&wider);
    assert_ne!(base.output_digest, other.output_digest);
}

#[test]
fn a_backtest_journal_verifies_with_the_same_digest() {
    let outcome = backtest(&config());
    let report = verify(&mut VecSource::new(outcome.records.clone()), &NoProgress).unwrap();
    assert!(report.is_match(), "{:?}", report.divergence);
    assert!(report.run_ended);
    assert_eq!(report.outputs_matched, outcome.outputs);
    assert_eq!(report.output_digest, outcome.output_digest);
    assert_eq!(report.unjournaled_tail, None);
}

#[test]
fn verify_names_the_first_divergent_seq() {
    let mut records = backtest(&config()).records;
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
    // Replace the journaled place with a cancel-all: the replayed place no longer matches.
    if let JournalRecord::OutputCommand { command, .. } = &mut records[position] {
        *command = Command::CancelAll;
    }
    let report = verify(&mut VecSource::new(records), &NoProgress).unwrap();
    let divergence = report.divergence.unwrap();
    assert_eq!(divergence.input_seq, input_seq);
    assert_eq!(divergence.expected.as_deref(), Some("\"CancelAll\""));
    assert!(divergence.actual.unwrap().contains("\"Place\""));
}

#[test]
fn a_journal_cut_mid_step_verifies_with_an_unjournaled_tail() {
    let records = backtest(&config()).records;
    // Cut inside the last step that has at least three outputs, dropping RunEnded.
    let last_input = records
        .iter()
        .enumerate()
        .filter(|(position, record)| {
            matches!(record, JournalRecord::Input(_))
                && records[position + 1..]
                    .iter()
                    .take_while(|r| !matches!(r, JournalRecord::Input(_)))
                    .count()
                    >= 3
        })
        .map(|(position, _)| position)
        .next_back()
        .unwrap();
    let cut: Vec<_> = records[..last_input + 2].to_vec();
    let report = verify(&mut VecSource::new(cut.clone()), &NoProgress).unwrap();
    assert!(report.is_match(), "{:?}", report.divergence);
    assert!(!report.run_ended);
    let tail = report.unjournaled_tail.unwrap();
    assert!(tail.missing_outputs >= 1);

    // The same gap followed by RunEnded is a divergence.
    let mut ended = cut;
    ended.push(JournalRecord::RunEnded {
        reason: "end_of_input".to_string(),
    });
    let report = verify(&mut VecSource::new(ended), &NoProgress).unwrap();
    assert!(report.divergence.is_some());
}

#[test]
fn an_output_of_no_input_being_stepped_is_the_divergence() {
    let records = backtest(&config()).records;
    // The first output after the third input, re-labelled as produced by an input the
    // journal never held.
    let third_input = records
        .iter()
        .enumerate()
        .filter(|(_, record)| matches!(record, JournalRecord::Input(_)))
        .map(|(position, _)| position)
        .nth(2)
        .unwrap();
    let mut altered = records[..third_input + 2].to_vec();
    let (orphan_seq, orphan_index) = match altered.last_mut().unwrap() {
        JournalRecord::OutputDecision {
            input_seq, index, ..
        }
        | JournalRecord::OutputCommand {
            input_seq, index, ..
        } => {
            *input_seq += 1_000_000;
            (*input_seq, *index)
        }
        other => panic!("the third input has no output: {other:?}"),
    };
    let report = verify(&mut VecSource::new(altered), &NoProgress).unwrap();
    let divergence = report.divergence.clone().unwrap();
    assert_eq!(
        (divergence.input_seq, divergence.index),
        (orphan_seq, orphan_index)
    );
    assert!(divergence.expected.is_some());
    assert_eq!(divergence.actual, None);
    // The third input was replayed, but its outputs were never compared.
    assert_eq!(report.inputs_replayed, 3);
    let outputs_before: u64 = records[..third_input]
        .iter()
        .filter(|record| {
            matches!(
                record,
                JournalRecord::OutputDecision { .. } | JournalRecord::OutputCommand { .. }
            )
        })
        .count()
        .try_into()
        .unwrap();
    assert_eq!(report.outputs_matched, outputs_before);
}

#[test]
fn a_backtest_written_as_a_journal_reads_back_and_verifies() {
    let outcome = backtest(&config());
    let dir = tempfile::tempdir().unwrap();
    let run = RunInfo {
        run_id: "bt1".to_string(),
        build_id: "test".to_string(),
        config_hash: String::new(),
        seed: 0,
        environment: "backtest".to_string(),
        created_ts_ns: support::START_NS,
    };
    write_journal(dir.path(), run, &outcome.records).unwrap();
    let mut source = JournalSource::open(dir.path()).unwrap();
    let report = verify(&mut source, &NoProgress).unwrap();
    assert!(report.is_match(), "{:?}", report.divergence);
    assert_eq!(report.output_digest, outcome.output_digest);
    assert_eq!(report.outputs_matched, outcome.outputs);
}
