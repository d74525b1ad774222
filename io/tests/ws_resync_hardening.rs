//! The WebSocket session under a misbehaving server: a sequence that restarts (or wraps) is
//! a reset that resyncs the books instead of a silent drop of every later frame; an
//! undecodable frame resyncs at once and is counted; a market whose snapshot never arrives
//! is abandoned after a few resyncs instead of looping forever.

use kalshi_core::events::{BookInvalidation, Event};
use kalshi_io::data_ws::{
    Channel, RESYNC_ATTEMPTS_MAX_DEFAULT, ResyncAbandoned, SEQ_REORDER_WINDOW_DEFAULT, Session,
    Step,
};
use kalshi_io::wire::ws::{UpdateAction, WsCommandBody, WsServerMessage, decode_ws_frame};

const A: &str = "KXA-26";
const B: &str = "KXB-26";

fn frame(text: &str) -> WsServerMessage {
    decode_ws_frame(text).unwrap()
}

/// A session following A and B (and fills), with the orderbook on sid 1 and fills on sid 2.
fn session_with(session: Session) -> Session {
    let mut session = session;
    session.on_connected();
    session.on_frame(&frame(
        r#"{"type":"subscribed","id":1,"msg":{"channel":"orderbook_delta","sid":1}}"#,
    ));
    session.on_frame(&frame(
        r#"{"type":"subscribed","id":2,"msg":{"channel":"fill","sid":2}}"#,
    ));
    session
}

fn new_session() -> Session {
    Session::new(
        &[Channel::OrderbookDelta, Channel::Fill],
        &[A.to_string(), B.to_string()],
        false,
    )
}

fn snapshot(seq: u64, ticker: &str) -> WsServerMessage {
    frame(&format!(
        r#"{{"type":"orderbook_snapshot","sid":1,"seq":{seq},"msg":{{"market_ticker":"{ticker}","yes_dollars_fp":[["0.4000","10.00"]],"no_dollars_fp":[["0.5000","3.00"]]}}}}"#
    ))
}

fn delta(seq: u64, ticker: &str) -> WsServerMessage {
    frame(&format!(
        r#"{{"type":"orderbook_delta","sid":1,"seq":{seq},"msg":{{"market_ticker":"{ticker}","side":"yes","price_dollars":"0.4000","delta_fp":"1.00"}}}}"#
    ))
}

fn fill(seq: u64) -> WsServerMessage {
    frame(&format!(
        r#"{{"type":"fill","sid":2,"seq":{seq},"msg":{{"trade_id":"t{seq}","order_id":"o1","market_ticker":"{A}","is_taker":true,"side":"yes","action":"buy","yes_price_dollars":"0.4000","count_fp":"1.00","ts":1782873105}}}}"#
    ))
}

fn deltas(step: &Step) -> usize {
    step.events
        .iter()
        .filter(|event| matches!(event, Event::BookDelta(_)))
        .count()
}

fn invalidated(step: &Step) -> Vec<String> {
    step.events
        .iter()
        .filter_map(|event| match event {
            Event::BookInvalidated {
                ticker,
                reason: BookInvalidation::SequenceGap,
            } => Some(ticker.clone()),
            _ => None,
        })
        .collect()
}

/// The markets of every `get_snapshot` in the step.
fn snapshot_requests(step: &Step) -> Vec<Vec<String>> {
    step.commands
        .iter()
        .filter_map(|command| match &command.body {
            WsCommandBody::UpdateSubscription(params)
                if params.action == UpdateAction::GetSnapshot =>
            {
                Some(params.market_tickers.clone().unwrap_or_default())
            }
            _ => None,
        })
        .collect()
}

/// Both books valid, sid 1 at `last_seq` after deltas.
fn flowing_session(session: Session, last_seq: u64) -> Session {
    let mut session = session_with(session);
    session.on_frame(&snapshot(1, A));
    session.on_frame(&snapshot(2, B));
    for seq in 3..=last_seq {
        assert_eq!(deltas(&session.on_frame(&delta(seq, A))), 1, "seq {seq}");
    }
    assert!(session.is_book_valid(A) && session.is_book_valid(B));
    session
}

#[test]
fn a_restarted_sequence_resyncs_every_book_instead_of_dropping_every_later_frame() {
    let mut session = flowing_session(new_session(), 200);
    // The server restarts numbering on the live subscription: seq 5 after 200.
    let reset = session.on_frame(&delta(5, A));
    assert_eq!(invalidated(&reset), vec![A.to_string(), B.to_string()]);
    assert_eq!(
        snapshot_requests(&reset),
        vec![vec![A.to_string(), B.to_string()]]
    );
    assert_eq!(deltas(&reset), 0, "the revealing frame is not applied");
    assert_eq!(
        session.last_seq(1),
        Some(5),
        "the sid continues from the new seq"
    );
    assert!(!session.is_book_valid(A) && !session.is_book_valid(B));
    // The new numbering is followed: the answers to get_snapshot rebuild the books and
    // later deltas apply again.
    assert_eq!(
        session.on_frame(&delta(6, A)).dropped,
        1,
        "book A still invalid"
    );
    session.on_frame(&snapshot(7, A));
    session.on_frame(&snapshot(8, B));
    assert!(session.is_book_valid(A) && session.is_book_valid(B));
    assert_eq!(deltas(&session.on_frame(&delta(9, A))), 1);
    assert_eq!(session.stats().sequence_resets, 1);
}

#[test]
fn a_seq_one_snapshot_after_a_higher_seq_is_a_reset_even_inside_the_window() {
    let mut session = flowing_session(new_session(), 10);
    let restart = session.on_frame(&snapshot(1, A));
    assert_eq!(invalidated(&restart), vec![A.to_string(), B.to_string()]);
    assert_eq!(snapshot_requests(&restart).len(), 1);
    assert!(
        restart
            .events
            .iter()
            .all(|e| !matches!(e, Event::BookSnapshot(_))),
        "the revealing snapshot is not trusted"
    );
    assert_eq!(session.last_seq(1), Some(1));
    assert!(!session.is_book_valid(A));
    // Seq 2 now continues the new numbering.
    assert_eq!(session.on_frame(&snapshot(2, A)).events.len(), 1);
    assert!(session.is_book_valid(A));
}

#[test]
fn true_duplicates_inside_the_window_are_still_dropped_quietly() {
    let mut session = flowing_session(new_session(), 100);
    for seq in [100, 99, 50, 100 - SEQ_REORDER_WINDOW_DEFAULT] {
        let step = session.on_frame(&delta(seq, A));
        assert_eq!(step.dropped, 1, "seq {seq}");
        assert!(
            step.events.is_empty() && step.commands.is_empty(),
            "seq {seq}"
        );
    }
    assert_eq!(session.last_seq(1), Some(100));
    assert!(session.is_book_valid(A) && session.is_book_valid(B));
    assert_eq!(session.stats().sequence_resets, 0);
    // A snapshot repeated within the window that is not seq 1 is a plain duplicate.
    let mut session = flowing_session(new_session(), 30);
    let repeated = session.on_frame(&snapshot(2, B));
    assert_eq!(repeated.dropped, 1);
    assert!(repeated.events.is_empty() && repeated.commands.is_empty());
    assert!(session.is_book_valid(A) && session.is_book_valid(B));
}

#[test]
fn the_reorder_window_is_configurable() {
    let mut session = flowing_session(new_session().with_seq_reorder_window(4), 20);
    assert_eq!(
        session.on_frame(&delta(16, A)).dropped,
        1,
        "4 back: duplicate"
    );
    let reset = session.on_frame(&delta(15, A));
    assert_eq!(invalidated(&reset).len(), 2, "5 back: reset");
    assert_eq!(snapshot_requests(&reset).len(), 1);
}

#[test]
fn a_wrap_after_u64_max_resyncs_instead_of_silencing_the_sid() {
    let mut session = flowing_session(new_session(), 3);
    let jump = session.on_frame(&delta(u64::MAX, A));
    assert_eq!(snapshot_requests(&jump).len(), 1, "forward gap");
    // Frames after the wrap are followed, and the books come back once snapshots arrive.
    let wrapped = session.on_frame(&delta(0, A));
    assert_eq!(snapshot_requests(&wrapped).len(), 1, "reset asks again");
    session.on_frame(&snapshot(1, A));
    session.on_frame(&snapshot(2, B));
    assert!(session.is_book_valid(A) && session.is_book_valid(B));
    assert_eq!(deltas(&session.on_frame(&delta(3, A))), 1);
}

#[test]
fn a_reset_on_the_fill_channel_still_delivers_the_fill() {
    let mut session = session_with(new_session());
    for seq in 1..=100 {
        session.on_frame(&fill(seq));
    }
    let restarted = session.on_frame(&fill(1));
    assert!(
        matches!(restarted.events[..], [Event::OwnFill(_)]),
        "a fill after a restart is new, not a duplicate: {restarted:?}"
    );
    assert_eq!(session.last_seq(2), Some(1));
    assert_eq!(session.stats().sequence_resets, 1);
}

#[test]
fn an_undecodable_frame_resyncs_every_book_at_once_and_is_counted() {
    let mut session = flowing_session(new_session(), 5);
    let step = session.on_undecodable();
    assert_eq!(invalidated(&step), vec![A.to_string(), B.to_string()]);
    assert_eq!(
        snapshot_requests(&step),
        vec![vec![A.to_string(), B.to_string()]]
    );
    assert!(!session.is_book_valid(A) && !session.is_book_valid(B));
    session.on_frame(&frame(r#"{"type":"brand_new","sid":1,"seq":6}"#));
    session.on_frame(&frame(r#"{"type":"heartbeat_v9"}"#));
    let stats = session.stats();
    assert_eq!((stats.decode_failures, stats.unknown_frames), (1, 2));
    assert_eq!(stats.generation, 1);
    // Counters are per connection.
    session.on_disconnected();
    session.on_connected();
    let stats = session.stats();
    assert_eq!((stats.decode_failures, stats.unknown_frames), (0, 0));
    assert_eq!(stats.generation, 2);
}

#[test]
fn an_undecodable_frame_without_a_book_subscription_is_only_counted() {
    let mut session = Session::new(&[Channel::Fill], &[], false);
    session.on_connected();
    let step = session.on_undecodable();
    assert_eq!(step, Step::default());
    assert_eq!(session.stats().decode_failures, 1);
}

#[test]
fn a_market_whose_snapshot_never_arrives_is_abandoned_after_three_resyncs() {
    assert_eq!(RESYNC_ATTEMPTS_MAX_DEFAULT, 3);
    let mut session = flowing_session(new_session(), 3);
    // Each round: a resync asks for A and B; A's snapshot arrives, B's is undecodable
    // (e.g. always too large), which starts the next round.
    let mut step = session.on_undecodable();
    let mut seq = 4;
    for round in 1..=3 {
        assert_eq!(
            snapshot_requests(&step),
            vec![vec![A.to_string(), B.to_string()]],
            "round {round}"
        );
        assert!(step.abandoned.is_empty(), "round {round}");
        session.on_frame(&snapshot(seq, A));
        seq += 1;
        assert!(session.is_book_valid(A), "round {round}");
        step = session.on_undecodable();
    }
    assert_eq!(
        step.abandoned,
        vec![ResyncAbandoned {
            ticker: B.to_string(),
            failed_resyncs: 3,
        }]
    );
    assert!(step.abandoned[0].to_string().contains(B));
    assert_eq!(
        snapshot_requests(&step),
        vec![vec![A.to_string()]],
        "B is no longer asked for"
    );
    assert!(!session.is_book_valid(B));
    assert_eq!(session.stats().abandoned_markets, vec![B.to_string()]);
    // Later resyncs and liveness probes leave B out; A keeps recovering.
    session.on_frame(&snapshot(seq, A));
    let gap = session.on_frame(&delta(seq + 5, A));
    assert_eq!(snapshot_requests(&gap), vec![vec![A.to_string()]]);
    session.on_frame(&snapshot(seq + 6, A));
    let probe = session.probe_books();
    assert_eq!(probe.len(), 1);
    assert!(matches!(&probe[0].body,
        WsCommandBody::UpdateSubscription(params) if params.market_tickers == Some(vec![A.to_string()])));
    // The abandonment survives a reconnect; a snapshot of B that does arrive revives it.
    session.on_disconnected();
    session.on_connected();
    session.on_frame(&frame(
        r#"{"type":"subscribed","id":1,"msg":{"channel":"orderbook_delta","sid":1}}"#,
    ));
    assert_eq!(session.stats().abandoned_markets, vec![B.to_string()]);
    session.on_frame(&snapshot(1, B));
    assert!(session.is_book_valid(B));
    assert!(session.stats().abandoned_markets.is_empty());
}

#[test]
fn a_snapshot_arriving_between_resyncs_resets_the_failure_count() {
    let mut session = flowing_session(new_session().with_resync_attempts_max(2), 3);
    let mut seq = 4;
    // Ten rounds where both snapshots arrive after a gap: nothing is ever abandoned.
    for _ in 0..10 {
        let step = session.on_undecodable();
        assert!(step.abandoned.is_empty());
        session.on_frame(&snapshot(seq, A));
        session.on_frame(&snapshot(seq + 1, B));
        seq += 2;
    }
    // B's snapshot lost once, then arriving: still not abandoned with a limit of 2.
    session.on_undecodable();
    session.on_frame(&snapshot(seq, A));
    let step = session.on_undecodable();
    assert!(step.abandoned.is_empty());
    session.on_frame(&snapshot(seq + 1, A));
    session.on_frame(&snapshot(seq + 2, B));
    assert!(session.is_book_valid(B));
    assert!(session.stats().abandoned_markets.is_empty());
}
