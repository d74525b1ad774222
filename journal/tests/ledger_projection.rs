//! The SQLite ledger as a projection of the journal: idempotent rebuilds, live application
//! equal to a rebuild, fill deduplication, and P&L checked against a hand computation.

mod typed_support;

use kalshi_core::engine::Output;
use kalshi_core::events::{Event, OrderAck, RequestKind};
use kalshi_core::market_data::{LifecycleChange, LifecycleKind, MarketResult, PublicTrade};
use kalshi_core::{BookSide, Count, Money, Price};
use kalshi_journal::typed_reader::read_all_records;
use kalshi_journal::{Ledger, TypedJournalWriter, WalConfig};
use rusqlite::params;
use typed_support::*;

#[test]
fn rebuilding_twice_gives_identical_tables() {
    let dir = tempfile::tempdir().unwrap();
    engine_run(dir.path());
    let first_summary = Ledger::rebuild(dir.path()).unwrap();
    let first = Ledger::open(&Ledger::path_in(dir.path()))
        .unwrap()
        .dump()
        .unwrap();
    let second_summary = Ledger::rebuild(dir.path()).unwrap();
    let second = Ledger::open(&Ledger::path_in(dir.path()))
        .unwrap()
        .dump()
        .unwrap();
    assert_eq!(first_summary, second_summary);
    assert_eq!(first, second);
    assert!(first.iter().any(|row| row.starts_with("decisions:")));
    assert!(first.iter().any(|row| row.starts_with("orders:")));
    assert_eq!(first_summary.runs, 1);
    assert!(first_summary.decisions > 0 && first_summary.commands > 0);
}

#[test]
fn live_application_equals_a_rebuild_and_reapplying_is_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let run = engine_run(dir.path());
    let live_path = dir.path().join("live.sqlite");
    let mut live = Ledger::open(&live_path).unwrap();
    for record in &run.written {
        assert!(live.apply(record).unwrap());
    }
    // Records at or below the last applied seq are skipped.
    assert!(!live.apply(&run.written[3]).unwrap());
    assert_eq!(live.apply_all(&run.written).unwrap(), 0);

    let rebuilt_path = dir.path().join("rebuilt.sqlite");
    Ledger::rebuild_into(dir.path(), &rebuilt_path).unwrap();
    let rebuilt = Ledger::open(&rebuilt_path).unwrap();
    assert_eq!(live.dump().unwrap(), rebuilt.dump().unwrap());
    assert_eq!(live.summary().unwrap(), rebuilt.summary().unwrap());
}

#[test]
fn engine_run_orders_and_duplicate_fill() {
    let dir = tempfile::tempdir().unwrap();
    let run = engine_run(dir.path());
    let summary = Ledger::rebuild(dir.path()).unwrap();
    assert_eq!(summary.fills, 1);
    assert_eq!(summary.duplicate_fills, 1);
    let placed: std::collections::BTreeSet<String> = run
        .written
        .iter()
        .filter_map(|r| match &r.record {
            kalshi_journal::JournalRecord::OutputCommand {
                command: kalshi_core::commands::Command::Place(order),
                ..
            } => Some(order.client_order_id.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(summary.orders, placed.len() as u64);
    let ledger = Ledger::open(&Ledger::path_in(dir.path())).unwrap();
    let conn = ledger.connection();
    let (status, filled, remaining, order_id): (String, i64, i64, String) = conn
        .query_row(
            "SELECT status, filled_centi, remaining_centi, order_id FROM orders
             WHERE client_order_id = ?1",
            params![run.filled.client_order_id.as_str()],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .unwrap();
    assert_eq!(status, "filled");
    assert_eq!(filled, run.filled.count.centi());
    assert_eq!(remaining, 0);
    assert_eq!(order_id, run.filled_order_id);
    let resting: i64 = conn
        .query_row(
            "SELECT count(*) FROM orders WHERE status = 'resting'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    // The ladder was acked (one rung then filled); later places were never acked.
    assert_eq!(resting, run.places.len() as i64 - 1);
    let pending: i64 = conn
        .query_row(
            "SELECT count(*) FROM orders WHERE status = 'pending'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(pending, (placed.len() - run.places.len()) as i64);
    let position: i64 = conn
        .query_row(
            "SELECT position_centi FROM positions WHERE ticker = ?1",
            params![TICKER],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(
        position,
        run.filled.count.centi(),
        "the duplicate fill counts once"
    );
    // EV-gate decisions carry their signals and gate results as columns.
    let (fair_ppm, ev, min_edge, passed): (i64, i64, i64, bool) = conn
        .query_row(
            "SELECT fair_ppm, ev_micros, min_edge_micros, passed FROM decisions
             WHERE kind = 'ev_gate' AND passed = 1 ORDER BY seq LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .unwrap();
    assert!(fair_ppm > 0 && passed && ev >= min_edge);
}

fn ack(client_order_id: &str, order_id: &str, contracts: i64) -> Event {
    Event::OrderAck(OrderAck {
        client_order_id: coid(client_order_id),
        order_id: order_id.into(),
        request: RequestKind::Place,
        fill_count: Count::ZERO,
        remaining_count: count(contracts),
    })
}

fn trade(at: &str) -> Event {
    Event::PublicTrade(PublicTrade {
        trade_id: format!("t-{at}"),
        ticker: TICKER.into(),
        yes_price: price(at),
        count: count(1),
        taker_side: BookSide::Bid,
        ts_ns: 0,
    })
}

type PnlRow = (i64, i64, i64, Option<i64>, Option<String>, i64, i64);

fn pnl_row(ledger: &Ledger) -> PnlRow {
    ledger
        .connection()
        .query_row(
            "SELECT position_centi, realized_net_micros, fees_micros, mark_price_micros,
                    mark_source, unrealized_micros, total_micros
             FROM pnl WHERE ticker = ?1",
            params![TICKER],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                ))
            },
        )
        .unwrap()
}

/// Buy 10 YES at 0.40 (fee 0.07), sell 4 at 0.55 (fee 0.03), a trade at 0.50, then a book
/// (mid 0.45), the market is determined YES and trades at 0.30; the same fill arrives twice.
/// Checks the rows after the trade (a live ledger) and at the end (a rebuild).
#[test]
fn pnl_matches_a_hand_computed_example() {
    let dir = tempfile::tempdir().unwrap();
    let mut recorder = Recorder::create(dir.path());
    let journal_step = |recorder: &mut Recorder, event: Event, output: Output| {
        let envelope = recorder.input(event);
        recorder.outputs(&envelope, &output);
    };
    let buy = place_command("kb-t1-1", TICKER, BookSide::Bid, "0.40", 10);
    let sell = place_command("kb-t1-2", TICKER, BookSide::Ask, "0.55", 4);
    let (
        kalshi_core::commands::Command::Place(buy_order),
        kalshi_core::commands::Command::Place(sell_order),
    ) = (buy.clone(), sell.clone())
    else {
        panic!("place commands");
    };
    journal_step(
        &mut recorder,
        Event::MarketListing(vec![listing()]),
        Output::default(),
    );
    journal_step(
        &mut recorder,
        trade("0.45"),
        Output {
            commands: vec![buy, sell],
            decisions: vec![],
        },
    );
    journal_step(&mut recorder, ack("kb-t1-1", "ex-1", 10), Output::default());
    journal_step(&mut recorder, ack("kb-t1-2", "ex-2", 4), Output::default());
    let mut buy_fill = fill("f-1", &buy_order, "ex-1", 10);
    buy_fill.fee = Money::from_micros(70_000);
    let mut sell_fill = fill("f-2", &sell_order, "ex-2", 4);
    sell_fill.fee = Money::from_micros(30_000);
    journal_step(
        &mut recorder,
        Event::OwnFill(buy_fill.clone()),
        Output::default(),
    );
    journal_step(&mut recorder, Event::OwnFill(sell_fill), Output::default());
    journal_step(&mut recorder, Event::OwnFill(buy_fill), Output::default());
    journal_step(&mut recorder, trade("0.50"), Output::default());
    let marked_seq = recorder.writer.next_seq() - 1;
    journal_step(
        &mut recorder,
        Event::BookSnapshot(snapshot(TICKER)),
        Output::default(),
    );
    journal_step(
        &mut recorder,
        Event::Lifecycle(LifecycleChange {
            ticker: TICKER.into(),
            kind: LifecycleKind::Determined,
            close_time_ns: None,
            result: Some(MarketResult::Yes),
            settlement_value: Some(Price::ONE),
            price_ranges: vec![],
        }),
        Output::default(),
    );
    journal_step(&mut recorder, trade("0.30"), Output::default());
    recorder.end("shutdown");
    let written = recorder.written.clone();
    recorder.writer.close().unwrap();

    // Hand computation (micro-dollars), by the one definition (kalshi_core::pnl):
    //   buy 10 @ 0.40: cost 4.00, fees 0.07
    //   sell 4 @ 0.55 = buy 4 NO @ 0.45, closing 4 YES:
    //     released cost 4.00 × 4/10 = 1.60; realized 4 × 0.55 − 1.60 = 0.60 before fees
    //     realized net = 0.60 − 0.10 fees = 0.50; position 6 YES, cost 2.40
    //   no valid book, last trade 0.50: value 3.00, unrealized 0.60, total 1.10
    //   a book with mid 0.45 is the mark now: value 2.70, unrealized 0.30, total 0.80;
    //   determined YES: each contract pays 1.00, value 6.00, unrealized 3.60, total 4.10;
    //   a later trade at 0.30 does not move a settled mark.
    let mut live = Ledger::open(&dir.path().join("live.sqlite")).unwrap();
    for record in written.iter().filter(|r| r.seq <= marked_seq) {
        live.apply(record).unwrap();
    }
    assert_eq!(
        pnl_row(&live),
        (
            600,
            500_000,
            100_000,
            Some(500_000),
            Some("last_trade".to_string()),
            600_000,
            1_100_000
        )
    );

    let summary = Ledger::rebuild(dir.path()).unwrap();
    let ledger = Ledger::open(&Ledger::path_in(dir.path())).unwrap();
    assert_eq!(
        pnl_row(&ledger),
        (
            600,
            500_000,
            100_000,
            Some(1_000_000),
            Some("settlement".to_string()),
            3_600_000,
            4_100_000
        )
    );
    assert_eq!(summary.fills, 2);
    assert_eq!(summary.duplicate_fills, 1);
    assert_eq!(summary.realized_net_micros, 500_000);
    assert_eq!(summary.fees_micros, 100_000);
    assert_eq!(summary.unrealized_micros, 3_600_000);
    assert_eq!(summary.total_micros, 4_100_000);
    assert_eq!(summary.unmarked_markets, 0);

    // A ledger opened over records it did not apply refuses to extend them.
    let mut reopened = Ledger::open(&dir.path().join("live.sqlite")).unwrap();
    let next = written.iter().find(|r| r.seq > marked_seq).unwrap();
    assert!(matches!(
        reopened.apply(next),
        Err(kalshi_journal::LedgerError::ResumeNeedsRebuild { .. })
    ));

    let conn = ledger.connection();
    let (position, cost): (i64, i64) = conn
        .query_row(
            "SELECT position_centi, cost_micros FROM positions WHERE ticker = ?1",
            params![TICKER],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!((position, cost), (600, 2_400_000));
    let fill_cash: Vec<(String, i64, i64)> = conn
        .prepare("SELECT fill_id, realized_micros, cash_delta_micros FROM fills ORDER BY seq")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        fill_cash,
        vec![
            ("f-1".to_string(), 0, -4_070_000),
            ("f-2".to_string(), 600_000, 2_170_000)
        ]
    );
    let statuses: Vec<(String, String, i64)> = conn
        .prepare("SELECT order_key, status, filled_centi FROM orders ORDER BY order_key")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        statuses,
        vec![
            ("kb-t1-1".to_string(), "filled".to_string(), 1_000),
            ("kb-t1-2".to_string(), "filled".to_string(), 400)
        ]
    );

    // The same answer from sealed Parquet.
    let (writer, _) = TypedJournalWriter::open(dir.path(), WalConfig::default()).unwrap();
    writer.finish_and_seal().unwrap();
    assert_eq!(read_all_records(dir.path()).unwrap(), written);
    let resealed = Ledger::rebuild(dir.path()).unwrap();
    assert_eq!(resealed, summary);
}

#[test]
fn ledger_with_another_schema_version_is_refused_until_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    engine_run(dir.path());
    let path = Ledger::path_in(dir.path());
    Ledger::rebuild(dir.path()).unwrap();
    {
        let ledger = Ledger::open(&path).unwrap();
        ledger
            .connection()
            .execute(
                "UPDATE meta SET value = 999 WHERE key = 'schema_version'",
                [],
            )
            .unwrap();
    }
    assert!(matches!(
        Ledger::open(&path),
        Err(kalshi_journal::LedgerError::SchemaMismatch {
            found: Some(999),
            ..
        })
    ));
    Ledger::rebuild(dir.path()).unwrap();
    assert!(Ledger::open(&path).is_ok());
}
