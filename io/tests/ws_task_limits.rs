//! The WebSocket task against a scripted server on a loopback socket: a snapshot larger than
//! the old 1 MiB limit is decoded with the default configuration; a frame over the configured
//! limit, or one that is not JSON at all, invalidates the books and sends `get_snapshot` right
//! away (without waiting for a later frame to reveal a gap), and is counted in the task's
//! published stats.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use kalshi_core::events::{BookInvalidation, Event};
use kalshi_io::auth::{ApiCredentials, KeyKind, SigningKey, generate_dev_keypair};
use kalshi_io::data_ws::{Channel, IoEvent, WsConfig, WsHandle, spawn_ws};
use kalshi_io::env::Endpoints;
use kalshi_io::wire::ws::{UpdateAction, WsCommand, WsCommandBody};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

const MARKET: &str = "KXBIG-26";
const WAIT: Duration = Duration::from_secs(10);

type ServerSocket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

struct Rig {
    handle: WsHandle,
    events: mpsc::Receiver<IoEvent>,
    server: ServerSocket,
    _keys: tempfile::TempDir,
}

async fn start(configure: impl FnOnce(&mut WsConfig)) -> Rig {
    let keys = tempfile::tempdir().unwrap();
    let pair = generate_dev_keypair(KeyKind::Ed25519, keys.path()).unwrap();
    let credentials = Arc::new(
        ApiCredentials::new(
            pair.key_id.clone(),
            SigningKey::from_pem_file(&pair.private_key_path).unwrap(),
        )
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let endpoints = Endpoints::custom(
        &format!("http://{addr}/trade-api/v2"),
        &format!("ws://{addr}/trade-api/ws/v2"),
    )
    .unwrap();
    let mut config = WsConfig::new(endpoints, vec![MARKET.to_string()]);
    config.channels = vec![Channel::OrderbookDelta];
    configure(&mut config);
    let (handle, events) = spawn_ws(config, credentials);
    let (stream, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    let mut server = tokio_tungstenite::accept_async(stream).await.unwrap();
    let subscribe = next_command(&mut server).await;
    assert!(matches!(subscribe.body, WsCommandBody::Subscribe(_)));
    send(
        &mut server,
        format!(
            r#"{{"type":"subscribed","id":{},"msg":{{"channel":"orderbook_delta","sid":1}}}}"#,
            subscribe.id
        ),
    )
    .await;
    Rig {
        handle,
        events,
        server,
        _keys: keys,
    }
}

async fn send(server: &mut ServerSocket, text: String) {
    server.send(Message::text(text)).await.unwrap();
}

async fn next_command(server: &mut ServerSocket) -> WsCommand {
    loop {
        let message = tokio::time::timeout(WAIT, server.next())
            .await
            .expect("a command within the wait")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

async fn next_event(events: &mut mpsc::Receiver<IoEvent>) -> Event {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("an event within the wait")
        .unwrap()
        .event
}

/// A snapshot frame of about `bytes` bytes: one real level plus an ignored padding field.
fn snapshot_frame(seq: u64, bytes: usize) -> String {
    let padding = "x".repeat(bytes);
    format!(
        r#"{{"type":"orderbook_snapshot","sid":1,"seq":{seq},"msg":{{"market_ticker":"{MARKET}","yes_dollars_fp":[["0.4000","10.00"]],"padding":"{padding}"}}}}"#
    )
}

async fn expect_immediate_resync(rig: &mut Rig) {
    assert_eq!(
        next_event(&mut rig.events).await,
        Event::BookInvalidated {
            ticker: MARKET.to_string(),
            reason: BookInvalidation::SequenceGap,
        }
    );
    let command = next_command(&mut rig.server).await;
    assert!(
        matches!(&command.body, WsCommandBody::UpdateSubscription(params)
            if params.action == UpdateAction::GetSnapshot
                && params.market_tickers == Some(vec![MARKET.to_string()])),
        "{command:?}"
    );
}

#[tokio::test]
async fn a_two_megabyte_snapshot_is_decoded_with_the_default_limit() {
    let mut rig = start(|_| {}).await;
    send(&mut rig.server, snapshot_frame(1, 2 << 20)).await;
    match next_event(&mut rig.events).await {
        Event::BookSnapshot(snapshot) => assert_eq!(snapshot.ticker, MARKET),
        other => panic!("expected the snapshot, got {other:?}"),
    }
    assert_eq!(rig.handle.stats().decode_failures, 0);
    rig.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_undecodable_frame_resyncs_at_once_and_is_counted() {
    let mut rig = start(|_| {}).await;
    send(&mut rig.server, snapshot_frame(1, 10)).await;
    assert!(matches!(
        next_event(&mut rig.events).await,
        Event::BookSnapshot(_)
    ));
    // A truncated frame: nothing else follows, so only an immediate resync helps.
    send(
        &mut rig.server,
        r#"{"type":"orderbook_delta","sid":1,"seq":2,"msg":{"market_ti"#.to_string(),
    )
    .await;
    expect_immediate_resync(&mut rig).await;
    send(
        &mut rig.server,
        r#"{"type":"brand_new","sid":1,"seq":2}"#.to_string(),
    )
    .await;
    send(&mut rig.server, snapshot_frame(3, 10)).await;
    assert!(matches!(
        next_event(&mut rig.events).await,
        Event::BookSnapshot(_)
    ));
    let stats = rig.handle.stats();
    assert_eq!((stats.decode_failures, stats.unknown_frames), (1, 1));
    assert_eq!(stats.generation, 1);
    rig.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_frame_over_the_configured_limit_resyncs_and_repeated_failures_abandon_the_market() {
    let mut rig = start(|config| {
        config.frame_bytes_max = 64 << 10;
        config.resync_attempts_max = 2;
    })
    .await;
    send(&mut rig.server, snapshot_frame(1, 10)).await;
    assert!(matches!(
        next_event(&mut rig.events).await,
        Event::BookSnapshot(_)
    ));
    // The answer to every get_snapshot is too large: the first refusal resyncs, the second
    // counts one failed resync, the third gives up (limit 2) without asking again.
    send(&mut rig.server, snapshot_frame(2, 100 << 10)).await;
    expect_immediate_resync(&mut rig).await;
    send(&mut rig.server, snapshot_frame(3, 100 << 10)).await;
    let again = next_command(&mut rig.server).await;
    assert!(
        matches!(&again.body, WsCommandBody::UpdateSubscription(params)
        if params.action == UpdateAction::GetSnapshot)
    );
    send(&mut rig.server, snapshot_frame(4, 100 << 10)).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while rig.handle.stats().abandoned_markets.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "market never abandoned"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stats = rig.handle.stats();
    assert_eq!(stats.abandoned_markets, vec![MARKET.to_string()]);
    assert_eq!(stats.decode_failures, 3);
    // No further get_snapshot is sent for the abandoned market.
    let quiet = tokio::time::timeout(Duration::from_millis(300), rig.server.next()).await;
    assert!(
        quiet.is_err(),
        "unexpected frame after abandoning: {quiet:?}"
    );
    rig.handle.shutdown().await.unwrap();
}
