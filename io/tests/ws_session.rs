//! The WebSocket session state machine on a real captured Kalshi stream, and on the same
//! stream with frames removed to force gaps.

use kalshi_core::events::{BookInvalidation, Event};
use kalshi_io::data_ws::{Channel, Session};
use kalshi_io::wire::ws::{
    UpdateAction, WsCommand, WsCommandBody, WsServerMessage, decode_ws_frame,
};

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/ws/jfreun123-kalshi-market-maker/ws_session_demo_2026-07-01.jsonl"
);

fn frames() -> Vec<WsServerMessage> {
    std::fs::read_to_string(CAPTURE)
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| decode_ws_frame(line).unwrap())
        .collect()
}

fn markets() -> Vec<String> {
    [
        "KXBTCD-26JUL0317-T60499.99",
        "KXBTCD-26JUL0317-T60999.99",
        "KXNEXTTEAMNBA-26LJAM-CLE",
        "KXNEXTTEAMNBA-26LJAM-GSW",
        "KXNEXTTEAMNBA-26LJAM-MIA",
    ]
    .map(str::to_string)
    .to_vec()
}

fn session() -> Session {
    let mut session = Session::new(&[Channel::OrderbookDelta, Channel::Fill], &markets(), false);
    let commands = session.on_connected();
    assert_eq!(commands.len(), 2);
    session
}

fn invalidated(events: &[Event]) -> Vec<(String, BookInvalidation)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::BookInvalidated { ticker, reason } => Some((ticker.clone(), *reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_real_stream_flows_without_gaps_even_with_ok_acks_inside_the_sequence() {
    let mut session = session();
    let mut snapshots = 0;
    let mut deltas = 0;
    let mut fills = 0;
    for frame in frames() {
        let step = session.on_frame(&frame);
        assert!(step.commands.is_empty(), "no resync on a contiguous stream");
        assert_eq!(step.dropped, 0);
        for event in step.events {
            match event {
                Event::BookSnapshot(_) => snapshots += 1,
                Event::BookDelta(_) => deltas += 1,
                Event::OwnFill(_) => fills += 1,
                other => panic!("unexpected event {other:?}"),
            }
        }
    }
    assert_eq!((snapshots, deltas, fills), (5, 2885, 2));
    assert_eq!(session.last_seq(1), Some(2894));
    for market in markets() {
        assert!(session.is_book_valid(&market));
    }
}

#[test]
fn a_gap_invalidates_every_book_of_the_sid_at_once_and_requests_snapshots() {
    let mut session = session();
    let frames = frames();
    // Play until every book is valid, then skip one sequenced delta.
    let first_delta_after_books = frames
        .iter()
        .position(|frame| {
            matches!(frame, WsServerMessage::OrderbookDelta(_)) && frame.seq().unwrap() > 20
        })
        .unwrap();
    for frame in &frames[..first_delta_after_books] {
        session.on_frame(frame);
    }
    for market in markets() {
        assert!(session.is_book_valid(&market));
    }
    let after_gap = &frames[first_delta_after_books + 1];
    let step = session.on_frame(after_gap);
    let invalid = invalidated(&step.events);
    assert_eq!(invalid.len(), 5, "one event per market of the sid");
    assert!(
        invalid
            .iter()
            .all(|(_, reason)| *reason == BookInvalidation::SequenceGap)
    );
    assert_eq!(step.commands.len(), 1);
    match &step.commands[0].body {
        WsCommandBody::UpdateSubscription(params) => {
            assert_eq!(params.action, UpdateAction::GetSnapshot);
            assert_eq!(params.sids.as_deref(), Some(&[1][..]));
            assert_eq!(params.market_tickers.as_ref().unwrap().len(), 5);
        }
        other => panic!("expected get_snapshot, got {other:?}"),
    }
    assert!(
        !step
            .events
            .iter()
            .any(|event| matches!(event, Event::BookDelta(_)))
    );
    // Deltas keep being dropped until snapshots arrive, and no second resync is requested.
    let next = session.on_frame(&frames[first_delta_after_books + 2]);
    assert!(next.events.is_empty() && next.commands.is_empty());
    assert_eq!(next.dropped, 1);
}

fn frame(text: &str) -> WsServerMessage {
    decode_ws_frame(text).unwrap()
}

#[test]
fn after_resync_only_deltas_newer_than_the_snapshot_clock_apply() {
    let mut session = Session::new(&[Channel::OrderbookDelta], &["M-1".to_string()], false);
    session.on_connected();
    session.on_frame(&frame(
        r#"{"type":"subscribed","id":1,"msg":{"channel":"orderbook_delta","sid":7}}"#,
    ));
    let snapshot = r#"{"type":"orderbook_snapshot","sid":7,"seq":1,"msg":{"market_ticker":"M-1","clock":100,
        "yes_dollars_fp":[["0.4000","10.00"]],"no_dollars_fp":[["0.5500","5.00"]]}}"#;
    assert!(matches!(
        session.on_frame(&frame(snapshot)).events[..],
        [Event::BookSnapshot(_)]
    ));
    // seq 2 missing → gap on seq 3.
    let gap = session.on_frame(&frame(
        r#"{"type":"orderbook_delta","sid":7,"seq":3,"msg":{"market_ticker":"M-1","clock":104,"price_dollars":"0.4000","delta_fp":"-1.00","side":"yes"}}"#,
    ));
    assert_eq!(
        invalidated(&gap.events),
        vec![("M-1".to_string(), BookInvalidation::SequenceGap)]
    );
    assert_eq!(gap.commands.len(), 1);
    // The fresh snapshot (clock 110) revalidates; an in-flight delta at clock 108 is dropped,
    // one at 111 applies.
    let resync = session.on_frame(&frame(
        r#"{"type":"orderbook_snapshot","sid":7,"seq":4,"msg":{"market_ticker":"M-1","clock":110,"yes_dollars_fp":[["0.4000","9.00"]]}}"#,
    ));
    assert!(matches!(resync.events[..], [Event::BookSnapshot(ref s)] if s.clock == Some(110)));
    let stale = session.on_frame(&frame(
        r#"{"type":"orderbook_delta","sid":7,"seq":5,"msg":{"market_ticker":"M-1","clock":108,"price_dollars":"0.4000","delta_fp":"2.00","side":"yes"}}"#,
    ));
    assert!(stale.events.is_empty());
    assert_eq!(stale.dropped, 1);
    let fresh = session.on_frame(&frame(
        r#"{"type":"orderbook_delta","sid":7,"seq":6,"msg":{"market_ticker":"M-1","clock":111,"price_dollars":"0.4000","delta_fp":"2.00","side":"yes"}}"#,
    ));
    assert!(matches!(fresh.events[..], [Event::BookDelta(ref d)] if d.clock == Some(111)));
    // A replayed (duplicate) seq is dropped.
    let duplicate = session.on_frame(&frame(
        r#"{"type":"orderbook_delta","sid":7,"seq":6,"msg":{"market_ticker":"M-1","clock":111,"price_dollars":"0.4000","delta_fp":"2.00","side":"yes"}}"#,
    ));
    assert!(duplicate.events.is_empty());
}

#[test]
fn reconnect_invalidates_books_and_resubscribes_everything_with_all_markets() {
    let mut session = session();
    for frame in frames().iter().take(40) {
        session.on_frame(frame);
    }
    let generation = session.generation();
    let events = session.on_disconnected();
    let invalid = invalidated(&events);
    assert_eq!(invalid.len(), 5);
    assert!(
        invalid
            .iter()
            .all(|(_, reason)| *reason == BookInvalidation::Reconnect)
    );
    let commands = session.on_connected();
    assert_eq!(session.generation(), generation + 1);
    assert_eq!(commands.len(), 2);
    let subscribe_book = commands
        .iter()
        .find_map(|command| match &command.body {
            WsCommandBody::Subscribe(params) if params.channels == ["orderbook_delta"] => {
                Some(params)
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(subscribe_book.market_tickers.as_ref().unwrap().len(), 5);
    // Old sids are forgotten: a frame of the old sid 1 no longer counts against a sequence.
    assert_eq!(session.last_seq(1), None);
}

#[test]
fn terminal_subscription_errors_resubscribe_the_channel() {
    let mut session = Session::new(&[Channel::OrderbookDelta], &["M-1".to_string()], false);
    session.on_connected();
    session.on_frame(&frame(
        r#"{"type":"subscribed","id":1,"msg":{"channel":"orderbook_delta","sid":3}}"#,
    ));
    session.on_frame(&frame(
        r#"{"type":"orderbook_snapshot","sid":3,"seq":1,"msg":{"market_ticker":"M-1","yes_dollars_fp":[["0.4000","1.00"]]}}"#,
    ));
    let step = session.on_frame(&frame(
        r#"{"type":"error","sid":3,"msg":{"code":25,"msg":"Subscription buffer overflow"}}"#,
    ));
    assert_eq!(
        invalidated(&step.events),
        vec![("M-1".to_string(), BookInvalidation::SequenceGap)]
    );
    assert!(matches!(
        step.commands[..],
        [WsCommand { body: WsCommandBody::Subscribe(ref params), .. }] if params.channels == ["orderbook_delta"]
    ));
    // Other codes (e.g. 8, unknown channel) do not resubscribe.
    let other = session.on_frame(&frame(
        r#"{"type":"error","id":9,"msg":{"code":8,"msg":"Unknown channel"}}"#,
    ));
    assert!(other.commands.is_empty());
}

#[test]
fn markets_are_added_and_removed_without_reconnecting() {
    let mut session = Session::new(&[Channel::OrderbookDelta, Channel::Fill], &[], false);
    let commands = session.on_connected();
    assert_eq!(
        commands.len(),
        1,
        "the orderbook channel waits for a market list"
    );
    let first = session.add_markets(&["A".to_string()]);
    assert!(matches!(
        first[..],
        [WsCommand {
            body: WsCommandBody::Subscribe(_),
            ..
        }]
    ));
    session.on_frame(&frame(
        r#"{"type":"subscribed","id":2,"msg":{"channel":"orderbook_delta","sid":5}}"#,
    ));
    let more = session.add_markets(&["A".to_string(), "B".to_string()]);
    match &more[..] {
        [
            WsCommand {
                body: WsCommandBody::UpdateSubscription(params),
                ..
            },
        ] => {
            assert_eq!(params.action, UpdateAction::AddMarkets);
            assert_eq!(
                params.market_tickers.as_deref(),
                Some(&["B".to_string()][..])
            );
        }
        other => panic!("{other:?}"),
    }
    let removed = session.remove_markets(&["A".to_string(), "Z".to_string()]);
    match &removed[..] {
        [
            WsCommand {
                body: WsCommandBody::UpdateSubscription(params),
                ..
            },
        ] => {
            assert_eq!(params.action, UpdateAction::DeleteMarkets);
            assert_eq!(
                params.market_tickers.as_deref(),
                Some(&["A".to_string()][..])
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(session.markets().collect::<Vec<_>>(), vec!["B"]);
}

#[test]
fn markets_changed_before_the_first_subscribe_is_answered_are_caught_up_on_its_answer() {
    let mut session = Session::new(&[Channel::OrderbookDelta, Channel::Trade], &[], false);
    let opening = session.on_connected();
    assert_eq!(opening.len(), 1, "the trade channel only: {opening:?}");
    let first = session.add_markets(&["A".to_string(), "C".to_string()]);
    assert_eq!(first.len(), 1, "the first orderbook subscribe: {first:?}");
    // Before either subscribe is answered: one market more, one less. There is no sid to
    // update yet, so nothing goes out now.
    assert!(session.add_markets(&["B".to_string()]).is_empty());
    assert!(session.remove_markets(&["C".to_string()]).is_empty());

    let update_of = |commands: &[WsCommand]| -> Vec<(UpdateAction, u64, Vec<String>)> {
        commands
            .iter()
            .map(|command| match &command.body {
                WsCommandBody::UpdateSubscription(params) => (
                    params.action,
                    params.sids.as_ref().map_or(0, |sids| sids[0]),
                    params.market_tickers.clone().unwrap_or_default(),
                ),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    // The trade subscribe went out before any market was added: A and B are added to it on
    // its answer (C came and went meanwhile).
    let trade = session.on_frame(&frame(
        r#"{"type":"subscribed","id":1,"msg":{"channel":"trade","sid":7}}"#,
    ));
    assert_eq!(
        update_of(&trade.commands),
        vec![(
            UpdateAction::AddMarkets,
            7,
            vec!["A".to_string(), "B".to_string()]
        )]
    );
    // The orderbook subscribe named A and C: B is added, C deleted.
    let book = session.on_frame(&frame(
        r#"{"type":"subscribed","id":2,"msg":{"channel":"orderbook_delta","sid":5}}"#,
    ));
    assert_eq!(
        update_of(&book.commands),
        vec![
            (UpdateAction::AddMarkets, 5, vec!["B".to_string()]),
            (UpdateAction::DeleteMarkets, 5, vec!["C".to_string()]),
        ]
    );
    // An answer with nothing to catch up sends nothing, and later changes update the sid.
    let more = session.add_markets(&["D".to_string()]);
    assert_eq!(
        update_of(&more),
        vec![
            (UpdateAction::AddMarkets, 5, vec!["D".to_string()]),
            (UpdateAction::AddMarkets, 7, vec!["D".to_string()]),
        ]
    );
}
