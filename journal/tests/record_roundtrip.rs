//! Every record kind survives the WAL and sealed Parquet unchanged, with the index columns
//! SQL users query.

mod typed_support;

use kalshi_core::decision::{Decision, Ignored};
use kalshi_core::engine::Output;
use kalshi_core::risk::RiskState;
use kalshi_core::strategy::WithdrawReason;
use kalshi_core::{BookSide, SignedCount};
use kalshi_journal::record::{JournalRecord, SequencedRecord};
use kalshi_journal::typed_reader::read_all_records;
use kalshi_journal::{
    JournalReader, ReadOptions, TypedJournalWriter, VerifyOutcome, WalConfig, verify_run,
};
use typed_support::*;

fn hand_made_decisions() -> Vec<Decision> {
    vec![
        Decision::Withdraw {
            ticker: TICKER.into(),
            reason: WithdrawReason::BookInvalid,
        },
        Decision::PositionDrift {
            ticker: TICKER.into(),
            ours: SignedCount::from_centi(500),
            exchange: SignedCount::from_centi(400),
        },
        Decision::ResumeRefused {
            state: RiskState::Halted,
        },
        Decision::Ignored(Ignored::UnknownMarket {
            ticker: "NOPE".into(),
        }),
    ]
}

/// Writes an engine run plus hand-made records of every kind the engine did not produce.
fn write_everything(dir: &std::path::Path, config: WalConfig) -> Vec<SequencedRecord> {
    let mut recorder = Recorder::create_with(dir, config);
    for event in every_event() {
        let envelope = recorder.input(event);
        let output = Output {
            commands: Vec::new(),
            decisions: Vec::new(),
        };
        recorder.outputs(&envelope, &output);
    }
    let cause = recorder.input(kalshi_core::events::Event::Timer {
        kind: kalshi_core::events::TimerKind::Tick,
    });
    recorder.outputs(
        &cause,
        &Output {
            commands: every_command(),
            decisions: hand_made_decisions(),
        },
    );
    for frame in raw_frames(recorder.ts_ns + 5) {
        recorder.raw(frame);
    }
    recorder.end("shutdown");
    let written = recorder.written;
    recorder.writer.close().unwrap();
    written
}

fn kinds(records: &[SequencedRecord]) -> std::collections::BTreeSet<String> {
    records.iter().map(|r| r.record.kind()).collect()
}

#[test]
fn every_record_kind_round_trips_through_wal_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    // Small segments so the run spans several WAL files and several sealed files.
    let config = WalConfig {
        segment_bytes_max: 4_096,
        ..WalConfig::default()
    };
    let written = write_everything(dir.path(), config.clone());
    let kinds = kinds(&written);
    for kind in [
        "run.started",
        "run.ended",
        "raw.ws",
        "raw.rest",
        "output.place",
        "output.cancel",
        "output.amend",
        "output.decrease",
        "output.cancel_all",
        "output.lookup_order",
        "output.decision.withdraw",
        "output.decision.position_drift",
        "output.decision.resume_refused",
        "output.decision.ignored",
        "input.config",
        "input.market_listing",
        "input.book_snapshot",
        "input.book_delta",
        "input.book_invalidated",
        "input.public_trade",
        "input.own_fill",
        "input.order_ack",
        "input.order_rejected",
        "input.order_unknown",
        "input.order_snapshot",
        "input.order_not_found",
        "input.cancel_ack",
        "input.position_snapshot",
        "input.lifecycle",
        "input.model_probability",
        "input.reconciled",
        "input.timer",
        "input.control",
        "input.exchange_status",
        "input.risk_state_restored",
    ] {
        assert!(kinds.contains(kind), "fixture lacks {kind}");
    }

    // From the WAL.
    assert_eq!(read_all_records(dir.path()).unwrap(), written);

    // From sealed Parquet.
    let (writer, _) = TypedJournalWriter::open(dir.path(), config).unwrap();
    let manifest = writer.finish_and_seal().unwrap();
    assert!(manifest.segments.len() > 1, "expected several segments");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|f| !f
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".log")),
        "every WAL segment is sealed"
    );
    assert_eq!(read_all_records(dir.path()).unwrap(), written);
    assert!(matches!(
        verify_run(dir.path()),
        VerifyOutcome::Clean { .. }
    ));
}

#[test]
fn engine_records_round_trip_and_seqs_are_dense() {
    let dir = tempfile::tempdir().unwrap();
    let run = engine_run(dir.path());
    let kinds = kinds(&run.written);
    for kind in [
        "output.decision.config_accepted",
        "output.decision.universe_selected",
        "output.decision.quote",
        "output.decision.ev_gate",
        "output.decision.risk",
        "output.decision.order",
        "output.decision.fill",
    ] {
        assert!(kinds.contains(kind), "engine run lacks {kind}");
    }
    let read = read_all_records(dir.path()).unwrap();
    assert_eq!(read, run.written);
    let seqs: Vec<u64> = read.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=read.len() as u64).collect::<Vec<_>>());

    let (writer, _) = TypedJournalWriter::open(dir.path(), WalConfig::default()).unwrap();
    writer.finish_and_seal().unwrap();
    assert_eq!(read_all_records(dir.path()).unwrap(), run.written);
}

#[test]
fn index_columns_describe_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let run = engine_run(dir.path());
    let (writer, _) = TypedJournalWriter::open(dir.path(), WalConfig::default()).unwrap();
    writer.finish_and_seal().unwrap();
    let entries: Vec<_> = JournalReader::open(dir.path(), ReadOptions::default())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();

    let place = entries
        .iter()
        .find(|e| {
            e.kind == "output.place"
                && e.client_order_id.as_deref() == Some(run.filled.client_order_id.as_str())
        })
        .unwrap();
    let risk = entries
        .iter()
        .find(|e| e.kind == "output.decision.risk" && e.client_order_id == place.client_order_id)
        .unwrap();
    assert!(
        risk.seq < place.seq,
        "the risk verdict precedes the request"
    );
    assert_eq!(place.market.as_deref(), Some(TICKER));
    assert_eq!(place.side.as_deref(), Some("bid"));
    assert_eq!(place.price_micros, Some(run.filled.price.micros()));
    assert_eq!(place.count_centi, Some(run.filled.count.centi()));

    let fill = entries.iter().find(|e| e.kind == "input.own_fill").unwrap();
    assert_eq!(fill.order_id.as_deref(), Some(run.filled_order_id.as_str()));
    assert_eq!(fill.side.as_deref(), Some(BookSide::Bid.as_str()));

    let delta = entries
        .iter()
        .find(|e| e.kind == "input.book_delta")
        .unwrap();
    assert_eq!(
        (delta.side.as_deref(), delta.price_micros, delta.count_centi),
        (Some("ask"), Some(500_000), Some(-2_000))
    );

    // Every output row points back at an input through its payload.
    for entry in &entries {
        let record = JournalRecord::from_entry(entry).unwrap().record;
        if let JournalRecord::OutputCommand { input_seq, .. }
        | JournalRecord::OutputDecision { input_seq, .. } = record
        {
            let input = entries.iter().find(|e| e.seq == input_seq).unwrap();
            assert!(input.kind.starts_with("input."), "{}", input.kind);
            assert!(input_seq < entry.seq);
        }
    }
}

#[test]
fn commands_are_durable_when_append_outputs_returns() {
    let dir = tempfile::tempdir().unwrap();
    let mut recorder = Recorder::create(dir.path());
    let input = recorder.input(kalshi_core::events::Event::Timer {
        kind: kalshi_core::events::TimerKind::Tick,
    });
    assert!(recorder.writer.inner().durable_seq() < Some(input.seq));
    recorder.outputs(
        &input,
        &Output {
            commands: vec![place_command("kb-t1-1", TICKER, BookSide::Bid, "0.40", 1)],
            decisions: hand_made_decisions(),
        },
    );
    let last = recorder.written.last().unwrap().seq;
    assert_eq!(recorder.writer.inner().durable_seq(), Some(last));
    // A crash now (drop without close) loses nothing that was sent.
    let written = recorder.written.clone();
    drop(recorder);
    assert_eq!(read_all_records(dir.path()).unwrap(), written);
}
