//! Round trips: whatever is written comes back in seq order, across sealed Parquet
//! segments and the WAL tail.

mod common;

use common::*;
use kalshi_journal::complete::RUN_STARTED_KIND;
use kalshi_journal::{JournalEntry, JournalWriter, VerifyOutcome, WalConfig, verify_run};
use proptest::prelude::*;

#[test]
fn reader_returns_sealed_then_wal_entries_in_seq_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = JournalWriter::create(dir.path(), run_info(), config()).unwrap();
    let mut expected = Vec::new();
    for seq in (3..=120).step_by(3) {
        let e = entry(seq);
        writer.append(&e, seq as i64).unwrap();
        expected.push(e);
        if seq % 54 == 0 {
            writer.seal_closed_segments().unwrap();
        }
        if seq % 27 == 0 {
            writer.rotate().unwrap();
        }
    }
    let manifest = writer.manifest().clone();
    writer.close().unwrap();
    assert!(
        manifest
            .segments
            .iter()
            .any(|s| s.state == kalshi_journal::SegmentState::Sealed)
    );
    assert!(
        manifest
            .segments
            .iter()
            .any(|s| s.state == kalshi_journal::SegmentState::Wal)
    );
    let read = read_all(dir.path()).unwrap();
    assert_eq!(read, expected);
    assert!(read.windows(2).all(|w| w[0].seq < w[1].seq));
}

fn text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-zA-Z0-9 é€-]{0,12}")
}

fn arb_entry() -> impl Strategy<Value = (u64, JournalEntry)> {
    (
        1u64..5,
        any::<i64>(),
        "[a-z_]{1,12}",
        (text(), text(), text(), text()),
        (any::<Option<i64>>(), any::<Option<i64>>()),
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(
            |(
                gap,
                ts_ns,
                kind,
                (market, side, order_id, client_order_id),
                (price, count),
                payload,
            )| {
                (
                    gap,
                    JournalEntry {
                        seq: 0,
                        ts_ns,
                        kind,
                        market,
                        side,
                        price_micros: price,
                        count_centi: count,
                        order_id,
                        client_order_id,
                        payload,
                    },
                )
            },
        )
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Append,
    Durable,
    Rotate,
    Seal,
    Reopen,
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => Just(Step::Append),
        2 => Just(Step::Durable),
        1 => Just(Step::Rotate),
        1 => Just(Step::Seal),
        1 => Just(Step::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_journals_round_trip(
        items in proptest::collection::vec((arb_entry(), arb_step()), 1..60),
        segment_bytes_max in 300u64..3_000,
        group_commit_entries_max in 1usize..8,
        finish in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let config = WalConfig {
            segment_bytes_max,
            group_commit_entries_max,
            ..WalConfig::default()
        };
        let mut writer = JournalWriter::create(dir.path(), run_info(), config.clone()).unwrap();
        let mut expected = Vec::new();
        let mut seq = 0u64;
        for (now_ns, ((gap, mut e), step)) in items.into_iter().enumerate() {
            seq += gap;
            e.seq = seq;
            if now_ns == 0 {
                // A complete journal starts with the run header.
                e.kind = RUN_STARTED_KIND.into();
            }
            match step {
                Step::Durable => writer.append_durable(&e).unwrap(),
                _ => writer.append(&e, now_ns as i64).unwrap(),
            }
            expected.push(e);
            match step {
                Step::Rotate => writer.rotate().unwrap(),
                Step::Seal => {
                    writer.seal_closed_segments().unwrap();
                }
                Step::Reopen => {
                    writer.close().unwrap();
                    let (reopened, report) = JournalWriter::open(dir.path(), config.clone()).unwrap();
                    prop_assert!(report.torn_tail.is_none());
                    prop_assert_eq!(report.last_seq, Some(seq));
                    writer = reopened;
                }
                Step::Append | Step::Durable => {}
            }
        }
        let head = writer.head_hash();
        if finish {
            writer.finish_and_seal().unwrap();
        } else {
            writer.close().unwrap();
        }
        prop_assert_eq!(read_all(dir.path()).unwrap(), expected.clone());
        match verify_run(dir.path()) {
            VerifyOutcome::Clean { entries, last_seq, head_hash, torn_tail } => {
                prop_assert_eq!(entries, expected.len() as u64);
                prop_assert_eq!(last_seq, Some(seq));
                prop_assert_eq!(head_hash, head);
                prop_assert!(torn_tail.is_none());
            }
            other => prop_assert!(false, "not clean: {:?}", other),
        }
    }
}
