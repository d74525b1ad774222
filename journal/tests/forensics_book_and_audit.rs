//! Forensics: books reconstructed at a seq equal books built directly, and an order's audit
//! trail runs decision → command → ack → fill in seq order.

mod typed_support;

use kalshi_core::book::OrderBook;
use kalshi_core::events::Event;
use kalshi_core::market_data::{BookLevel, LifecycleChange, LifecycleKind, PriceRange};
use kalshi_core::side::BookSide;
use kalshi_journal::forensics::{
    AuditStage, ForensicsError, audit_order, reconstruct_book, reconstruct_books,
};
use kalshi_journal::{JournalRecord, TypedJournalWriter, WalConfig};
use typed_support::*;

/// Journals a listing on a 1-cent grid, a snapshot, deltas, a grid change to 0.5 cents, more
/// deltas and an invalidation; returns the seq of every input and the events.
fn book_journal(dir: &std::path::Path) -> Vec<(u64, Event)> {
    let mut recorder = Recorder::create(dir);
    let half_cent = vec![PriceRange {
        start: kalshi_core::Price::ZERO,
        end: kalshi_core::Price::ONE,
        step: price("0.005"),
    }];
    let events = vec![
        Event::MarketListing(vec![listing()]),
        Event::BookSnapshot(snapshot(TICKER)),
        Event::BookDelta(delta(TICKER, BookSide::Bid, "0.41", 700, 2)),
        Event::BookDelta(delta(TICKER, BookSide::Ask, "0.50", -4_000, 3)),
        Event::BookSnapshot(snapshot("OTHER-1")),
        Event::BookDelta(delta(TICKER, BookSide::Bid, "0.40", -10_000, 4)),
        Event::Lifecycle(LifecycleChange {
            ticker: TICKER.into(),
            kind: LifecycleKind::PriceLevelStructureUpdated,
            close_time_ns: None,
            result: None,
            settlement_value: None,
            price_ranges: half_cent,
        }),
        Event::BookDelta(delta(TICKER, BookSide::Ask, "0.485", 300, 5)),
        // Stale: its clock is not newer than the snapshot's.
        Event::BookDelta(delta(TICKER, BookSide::Ask, "0.49", 300, 1)),
        Event::BookInvalidated {
            ticker: TICKER.into(),
            reason: kalshi_core::events::BookInvalidation::Stale,
        },
    ];
    let mut out = Vec::new();
    for event in events {
        let envelope = recorder.input(event.clone());
        out.push((envelope.seq, event));
    }
    recorder.end("end_of_input");
    recorder.writer.close().unwrap();
    out
}

/// The book of `TICKER` built by applying the events directly to core's book.
fn direct_book(events: &[(u64, Event)], at_seq: u64) -> OrderBook {
    let mut book = OrderBook::for_price_ranges(&listing().price_ranges);
    for (seq, event) in events {
        if *seq > at_seq {
            break;
        }
        match event {
            Event::BookSnapshot(snapshot) if snapshot.ticker == TICKER => {
                book.apply_snapshot(snapshot).unwrap();
            }
            Event::BookDelta(delta) if delta.ticker == TICKER => {
                book.apply_delta(delta).unwrap();
            }
            Event::Lifecycle(change) => {
                book.regrid(kalshi_core::book::finest_tick_unit_micros(
                    &change.price_ranges,
                ))
                .unwrap();
            }
            Event::BookInvalidated { .. } => {
                book.mark_invalid(kalshi_core::book::InvalidReason::Stale);
            }
            _ => {}
        }
    }
    book
}

fn levels(book: &OrderBook, side: BookSide) -> Vec<BookLevel> {
    book.levels(side).collect()
}

#[test]
fn reconstructed_book_equals_the_book_built_directly_at_every_seq() {
    let dir = tempfile::tempdir().unwrap();
    let events = book_journal(dir.path());
    for (seq, _) in &events {
        let view = reconstruct_book(dir.path(), TICKER, Some(*seq)).unwrap();
        let direct = direct_book(&events, *seq);
        assert_eq!(
            view.bids,
            levels(&direct, BookSide::Bid),
            "bids at seq {seq}"
        );
        assert_eq!(
            view.asks,
            levels(&direct, BookSide::Ask),
            "asks at seq {seq}"
        );
        assert_eq!(view.valid, direct.is_valid(), "validity at seq {seq}");
        assert_eq!(view.tick_unit_micros, direct.tick_unit_micros());
        assert_eq!(view.at_seq, Some(*seq));
    }
    let (snapshot_seq, _) = events[1];
    let before = reconstruct_book(dir.path(), TICKER, Some(snapshot_seq - 1)).unwrap();
    assert!(!before.valid);
    assert_eq!(before.invalid_reasons, vec!["no_snapshot".to_string()]);

    let (delta_seq, _) = events[3];
    let view = reconstruct_book(dir.path(), TICKER, Some(delta_seq)).unwrap();
    assert_eq!(view.best_bid.unwrap().price, price("0.41"));
    assert_eq!(view.best_ask.unwrap().size, count(60));
    assert_eq!(view.last_update_seq, Some(delta_seq));

    let end = reconstruct_book(dir.path(), TICKER, None).unwrap();
    assert_eq!(end.tick_unit_micros, 5_000);
    assert_eq!(end.best_ask.unwrap().price, price("0.485"));
    assert!(!end.valid && end.invalid_reasons.contains(&"stale".to_string()));
    assert!(end.render_text().contains("INVALID (stale)"));

    // Every market, in ticker order.
    let all = reconstruct_books(dir.path(), None).unwrap();
    let markets: Vec<&str> = all.iter().map(|v| v.market.as_str()).collect();
    assert_eq!(markets, vec![TICKER, "OTHER-1"]);

    assert!(matches!(
        reconstruct_book(dir.path(), "OTHER-1", Some(delta_seq)),
        Err(ForensicsError::MarketNotFound { .. })
    ));
}

#[test]
fn reconstruction_reads_sealed_segments_too() {
    let dir = tempfile::tempdir().unwrap();
    let events = book_journal(dir.path());
    let (seq, _) = events[5];
    let from_wal = reconstruct_book(dir.path(), TICKER, Some(seq)).unwrap();
    let (writer, _) = TypedJournalWriter::open(dir.path(), WalConfig::default()).unwrap();
    writer.finish_and_seal().unwrap();
    assert_eq!(
        reconstruct_book(dir.path(), TICKER, Some(seq)).unwrap(),
        from_wal
    );
}

#[test]
fn audit_trail_runs_decision_command_ack_fill_in_seq_order() {
    let dir = tempfile::tempdir().unwrap();
    let run = engine_run(dir.path());
    let id = run.filled.client_order_id.to_string();
    let trail = audit_order(dir.path(), &id).unwrap();
    assert_eq!(trail.market.as_deref(), Some(TICKER));
    assert_eq!(trail.order_ids, vec![run.filled_order_id.clone()]);

    let seqs: Vec<u64> = trail.entries.iter().map(|e| e.seq).collect();
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(seqs, sorted, "entries are in strictly increasing seq order");

    let position = |kind: &str| {
        trail
            .entries
            .iter()
            .position(|e| e.kind == kind)
            .unwrap_or_else(|| panic!("trail lacks {kind}:\n{}", trail.render_text()))
    };
    let cause = position("input.book_snapshot");
    let quote = position("output.decision.quote");
    let ev = position("output.decision.ev_gate");
    let risk = position("output.decision.risk");
    let place = position("output.place");
    let ack = position("input.order_ack");
    let fill = position("input.own_fill");
    let applied = position("output.decision.fill");
    assert_eq!(cause, 0);
    assert_eq!(trail.entries[cause].stage, AuditStage::Cause);
    assert_eq!(trail.entries[cause].seq, run.snapshot_seq);
    assert!(cause < ev && ev < risk && risk < place);
    assert!(cause < quote && quote < place);
    assert!(place < ack && ack < fill && fill < applied);
    assert_eq!(trail.entries[place].stage, AuditStage::Command);
    assert_eq!(trail.entries[ack].stage, AuditStage::Exchange);

    // Only this order's EV evaluation and risk verdict are in the trail.
    for entry in &trail.entries {
        match &entry.record {
            JournalRecord::OutputDecision {
                decision: kalshi_core::decision::Decision::Ev(ev),
                ..
            } => {
                assert_eq!(
                    (ev.inputs.side, ev.inputs.price, ev.inputs.count),
                    (run.filled.side, run.filled.price, run.filled.count)
                );
            }
            JournalRecord::OutputDecision {
                decision: kalshi_core::decision::Decision::Risk(risk),
                ..
            } => assert_eq!(risk.client_order_id, run.filled.client_order_id),
            _ => {}
        }
    }
    // The duplicate fill is journaled, so it is in the trail too.
    assert_eq!(
        trail
            .entries
            .iter()
            .filter(|e| e.kind == "input.own_fill")
            .count(),
        2
    );

    let at = trail.at_decision.as_ref().unwrap();
    assert_eq!(at.input_seq, run.snapshot_seq);
    let top = at.book.as_ref().unwrap();
    assert!(top.valid);
    assert_eq!(top.best_bid.unwrap().price, price("0.40"));
    assert_eq!(top.best_ask.unwrap().price, price("0.50"));

    let text = trail.render_text();
    assert!(text.contains(&format!("order {id} in {TICKER}")));
    assert!(text.contains("bid 0.4000 x 100.00 / ask 0.5000 x 100.00"));
    let json = serde_json::to_value(&trail).unwrap();
    assert_eq!(json["entries"][0]["stage"], "cause");
}

#[test]
fn auditing_an_unknown_order_says_so() {
    let dir = tempfile::tempdir().unwrap();
    engine_run(dir.path());
    assert!(matches!(
        audit_order(dir.path(), "kb-nobody-1"),
        Err(ForensicsError::OrderNotFound { .. })
    ));
}
