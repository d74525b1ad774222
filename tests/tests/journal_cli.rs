//! The journal, ledger, book and audit commands, run as the built binary: exit codes and
//! what they print.

use std::path::Path;
use std::process::{Command, Output};

use kalshi_e2e::binary::kalshi_bot;

use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::engine::Output as EngineOutput;
use kalshi_core::events::{Event, OrderAck, RequestKind};
use kalshi_core::market_data::{BookLevel, BookSnapshot, OwnFill};
use kalshi_core::{BookSide, Count, Money, Price};
use kalshi_journal::{RunInfo, RunStarted, TypedJournalWriter, WalConfig};

const TICKER: &str = "KXCLI-1";
const ORDER: &str = "kb-cli-1";

fn bot(args: &[&str]) -> Output {
    Command::new(kalshi_bot())
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn count(contracts: i64) -> Count {
    Count::from_contracts(contracts).unwrap()
}

fn place() -> EngineCommand {
    serde_json::from_value(serde_json::json!({
        "Place": {
            "client_order_id": ORDER, "ticker": TICKER, "side": "bid", "price": "0.41",
            "count": "5", "time_in_force": "good_till_canceled", "post_only": true,
            "reduce_only": false, "self_trade_prevention": "taker_at_cross",
            "cancel_order_on_pause": true, "expiration_ts_s": null, "order_group_id": null
        }
    }))
    .unwrap()
}

/// A small run: the run header, a snapshot that causes a place, the ack, a fill (twice), a
/// trade. Returns the seq of the snapshot.
fn write_run(dir: &Path, config: WalConfig) -> u64 {
    let run = RunInfo {
        run_id: "cli".into(),
        build_id: "test".into(),
        config_hash: "c".into(),
        seed: 1,
        environment: "sim".into(),
        created_ts_ns: 0,
    };
    let mut writer = TypedJournalWriter::create(dir, run, config).unwrap();
    writer
        .append_run_started(RunStarted {
            run_id: "cli".into(),
            build_id: "test".into(),
            config: Default::default(),
            environment: "sim".into(),
            seed: 1,
            started_ts_ns: 1_000,
        })
        .unwrap();
    let mut ts_ns = 1_000;
    let mut step = |writer: &mut TypedJournalWriter, event: Event, output: EngineOutput| {
        ts_ns += 1_000;
        let envelope = writer.stamp(ts_ns, event);
        writer.append_input(&envelope).unwrap();
        writer
            .append_outputs(envelope.seq, envelope.ts_ns, &output)
            .unwrap();
        envelope.seq
    };
    let snapshot_seq = step(
        &mut writer,
        Event::BookSnapshot(BookSnapshot {
            ticker: TICKER.into(),
            bids: vec![BookLevel {
                price: price("0.40"),
                size: count(20),
            }],
            asks: vec![BookLevel {
                price: price("0.45"),
                size: count(30),
            }],
            clock: Some(1),
        }),
        EngineOutput {
            commands: vec![place()],
            decisions: vec![],
        },
    );
    step(
        &mut writer,
        Event::OrderAck(OrderAck {
            client_order_id: kalshi_core::client_order_id::ClientOrderId::parse(ORDER).unwrap(),
            order_id: "ex-1".into(),
            request: RequestKind::Place,
            fill_count: Count::ZERO,
            remaining_count: count(5),
        }),
        EngineOutput::default(),
    );
    let fill = OwnFill {
        fill_id: "f-1".into(),
        order_id: "ex-1".into(),
        client_order_id: Some(ORDER.into()),
        ticker: TICKER.into(),
        side: BookSide::Bid,
        yes_price: price("0.41"),
        count: count(5),
        is_taker: false,
        fee: Money::from_micros(20_000),
        post_position: None,
        ts_ns: 0,
    };
    step(
        &mut writer,
        Event::OwnFill(fill.clone()),
        EngineOutput::default(),
    );
    step(&mut writer, Event::OwnFill(fill), EngineOutput::default());
    for clock in 2..40 {
        step(
            &mut writer,
            Event::BookDelta(kalshi_core::market_data::BookDelta {
                ticker: TICKER.into(),
                side: BookSide::Ask,
                price: price("0.45"),
                delta: kalshi_core::SignedCount::from_centi(-10),
                clock: Some(clock),
                client_order_id: None,
            }),
            EngineOutput::default(),
        );
    }
    writer.append_run_ended(ts_ns + 1, "end_of_input").unwrap();
    writer.close().unwrap();
    snapshot_seq
}

#[test]
fn verify_exits_0_on_a_clean_journal_before_and_after_sealing() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), WalConfig::default());
    let path = dir.path().to_str().unwrap();
    let output = bot(&["journal", "verify", path]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).starts_with("clean: 45 entries, last seq 45"),
        "{}",
        stdout(&output)
    );

    let sealed = bot(&["journal", "seal", path]);
    assert_eq!(sealed.status.code(), Some(0));
    assert!(
        stdout(&sealed).contains("seg-00000000.parquet Sealed entries=45"),
        "{}",
        stdout(&sealed)
    );
    let output = bot(&["journal", "verify", path]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn paranoid_verify_and_replay_agree_with_the_default_and_both_catch_a_changed_sealed_byte() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), WalConfig::default());
    let path = dir.path().to_str().unwrap();
    assert_eq!(bot(&["journal", "seal", path]).status.code(), Some(0));
    for args in [
        vec!["journal", "verify", path],
        vec!["journal", "verify", "--paranoid", path],
    ] {
        let output = bot(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stdout(&output)
        );
        assert!(
            stdout(&output).starts_with("clean: 45 entries"),
            "{}",
            stdout(&output)
        );
    }
    // This run's commands are hand-made, so its replay diverges; both modes say so alike.
    let trusting = bot(&["replay", "--journal", path, "--verify"]);
    let paranoid = bot(&["replay", "--journal", path, "--verify", "--paranoid"]);
    assert_eq!(trusting.status.code(), paranoid.status.code());
    assert_eq!(stdout(&trusting), stdout(&paranoid));
    assert!(
        stdout(&trusting).contains("records read"),
        "{}",
        stdout(&trusting)
    );

    let segment = dir.path().join("seg-00000000.parquet");
    let mut bytes = std::fs::read(&segment).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x08;
    std::fs::write(&segment, bytes).unwrap();
    for args in [
        vec!["journal", "verify", path],
        vec!["journal", "verify", "--paranoid", path],
    ] {
        let output = bot(&args);
        let text = stdout(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {text}");
        assert!(text.contains("digest"), "{args:?}: {text}");
    }
    for args in [
        vec!["replay", "--journal", path, "--verify"],
        vec!["replay", "--journal", path, "--verify", "--paranoid"],
    ] {
        let output = bot(&args);
        let text = stdout(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains("digest"), "{args:?}: {text}");
    }
}

#[test]
fn verify_exits_1_with_the_first_bad_seq_on_corruption() {
    let dir = tempfile::tempdir().unwrap();
    // Small segments: the damage lands in a closed segment, well before the tail.
    write_run(
        dir.path(),
        WalConfig {
            segment_bytes_max: 1_024,
            ..WalConfig::default()
        },
    );
    let wal = dir.path().join("wal-00000001.log");
    let mut bytes = std::fs::read(&wal).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&wal, bytes).unwrap();

    let output = bot(&["journal", "verify", dir.path().to_str().unwrap()]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.starts_with("corrupt: first bad seq "), "{text}");
    assert!(text.contains("wal-00000001.log"), "{text}");
}

#[test]
fn an_emptied_manifest_or_a_lost_wal_is_corrupt_for_verify_and_replay() {
    // A sealed run whose manifest no longer lists its segment.
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), WalConfig::default());
    let path = dir.path().to_str().unwrap();
    assert_eq!(bot(&["journal", "seal", path]).status.code(), Some(0));
    let manifest_path = dir.path().join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest["segments"] = serde_json::json!([]);
    std::fs::write(
        &manifest_path,
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();

    let output = bot(&["journal", "verify", path]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.starts_with("corrupt: "), "{text}");
    assert!(text.contains("seg-00000000.parquet"), "{text}");
    assert!(text.contains("not listed in the manifest"), "{text}");

    let replay = bot(&["replay", "--journal", path, "--verify"]);
    let text = stdout(&replay);
    assert_ne!(replay.status.code(), Some(0), "{text}");
    assert!(!text.contains("identical"), "{text}");
    assert!(text.contains("seg-00000000.parquet"), "{text}");

    // A killed (unsealed) run whose WAL was deleted.
    let killed = tempfile::tempdir().unwrap();
    write_run(killed.path(), WalConfig::default());
    std::fs::remove_file(killed.path().join("wal-00000000.log")).unwrap();
    let path = killed.path().to_str().unwrap();
    let output = bot(&["journal", "verify", path]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("wal-00000000.log"), "{text}");
    let replay = bot(&["replay", "--journal", path, "--verify"]);
    assert_ne!(replay.status.code(), Some(0), "{}", stdout(&replay));
    assert!(
        !stdout(&replay).contains("identical"),
        "{}",
        stdout(&replay)
    );
}

#[test]
fn verify_exits_2_when_the_directory_is_not_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-run");
    let output = bot(&["journal", "verify", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stdout(&output).starts_with("cannot open: "));
}

#[test]
fn ledger_book_and_audit_commands() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot_seq = write_run(dir.path(), WalConfig::default());
    let path = dir.path().to_str().unwrap();

    let ledger = bot(&["ledger", "rebuild", path, "--json"]);
    assert_eq!(ledger.status.code(), Some(0));
    let summary: serde_json::Value = serde_json::from_slice(&ledger.stdout).unwrap();
    assert_eq!(summary["fills"], 1);
    assert_eq!(summary["duplicate_fills"], 1);
    assert_eq!(summary["fees_micros"], 20_000);
    assert!(dir.path().join("ledger.sqlite").exists());

    let book = bot(&[
        "book",
        "--journal",
        path,
        "--market",
        TICKER,
        "--at-seq",
        &snapshot_seq.to_string(),
        "--json",
    ]);
    assert_eq!(book.status.code(), Some(0));
    let view: serde_json::Value = serde_json::from_slice(&book.stdout).unwrap();
    assert_eq!(view["best_ask"]["price"], "0.4500");
    assert_eq!(view["best_ask"]["size"], "30.00");
    let end = bot(&["book", "--journal", path, "--market", TICKER]);
    assert!(
        stdout(&end).contains("ask   0.4500       26.20"),
        "{}",
        stdout(&end)
    );

    let audit = bot(&["audit", "--journal", path, "--order", ORDER]);
    assert_eq!(audit.status.code(), Some(0));
    let text = stdout(&audit);
    let place = text.find("command   PLACE").unwrap();
    let ack = text.find("exchange  ACK").unwrap();
    let fill = text.find("exchange  FILL").unwrap();
    assert!(text.find("cause     SNAPSHOT").unwrap() < place && place < ack && ack < fill);

    let unknown = bot(&["audit", "--journal", path, "--order", "kb-nobody-9"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("kb-nobody-9"));
}
