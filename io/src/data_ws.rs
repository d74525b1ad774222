//! The market-data and account WebSocket: one authenticated connection multiplexing every
//! channel, with sequence tracking, book resync, dead-socket detection and reconnects.
//!
//! [`spawn_ws`] starts a task that owns the socket and returns a [`WsHandle`] (add/remove
//! markets at runtime, shut down) and a bounded receiver of [`IoEvent`]s. Per-connection
//! logic lives in the pure [`session::Session`]; this module does the IO:
//! - handshake with the three `KALSHI-ACCESS-*` headers signed over `GET` + the WS path,
//!   re-signed with a fresh timestamp on every attempt;
//! - a 401/403 on connect ends the task with [`WsError::Unauthorized`] (no reconnect loop);
//! - no frame (data, ping or pong) for `dead_after` ⇒ the socket is declared dead;
//! - no frame on the orderbook subscription for `dead_after` (while the socket lives) ⇒ a
//!   liveness probe asks for fresh snapshots, which reveals a silent subscription
//!   ([`Session::probe_books`]);
//! - reconnects use capped exponential backoff with full jitter and resubscribe everything;
//! - each socket gets a generation number; frames are only ever read from the current socket,
//!   and events carry the generation they came from;
//! - pings are answered by tungstenite while reading; pending pongs are flushed at once;
//! - frames above [`WsConfig::frame_bytes_max`] are refused before parsing; a frame that
//!   cannot be decoded resyncs the books at once ([`Session::on_undecodable`]);
//! - per-connection counters (decode failures, unknown frames, gaps, resets, abandoned
//!   markets) are published through [`WsHandle::stats`].

pub mod session;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use kalshi_core::events::Event;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::auth::{ApiCredentials, sign_request};
use crate::backoff::{Backoff, BackoffPolicy};
use crate::env::Endpoints;
use crate::error::WsError;
use crate::wire::ws::{WsCommand, decode_ws_frame_with_limit};

pub use session::{
    Channel, RESYNC_ATTEMPTS_MAX_DEFAULT, ResyncAbandoned, SEQ_REORDER_WINDOW_DEFAULT, Session,
    Step, WsStats,
};

/// Default largest frame the task decodes (16 MiB): snapshots of deep books with fractional
/// sizes can be far larger than a typical frame, and refusing a real snapshot would only
/// trigger another resync.
pub const WS_TASK_FRAME_BYTES_MAX_DEFAULT: usize = 16 << 20;

/// A log filter directive every application logging at TRACE must add: tungstenite logs the
/// whole handshake request at TRACE under this target, and that request carries the
/// `KALSHI-ACCESS-SIGNATURE` header. Capping the target at INFO keeps the signature out of
/// the logs without adding the library's DEBUG chatter to an INFO-level run
/// (e.g. `EnvFilter::add_directive(LOG_DIRECTIVE_HIDE_HANDSHAKE.parse()?)`).
pub const LOG_DIRECTIVE_HIDE_HANDSHAKE: &str = "tungstenite::handshake::client=info";

/// One normalized event from the socket.
#[derive(Debug, Clone, PartialEq)]
pub struct IoEvent {
    /// Receive time of the frame, Unix ns.
    pub recv_ts_ns: i64,
    /// Connection generation the frame came from (1 for the first socket).
    pub generation: u64,
    /// The frame turned into the engine's input (a book change, a trade, a fill, …).
    pub event: Event,
    /// The frame text, when raw capture is enabled (frames producing several events repeat
    /// it on the first only).
    pub raw_frame: Option<String>,
}

/// Settings of the WebSocket task.
#[derive(Debug, Clone)]
pub struct WsConfig {
    /// Where to connect (`ws_url`).
    pub endpoints: Endpoints,
    /// Channels to subscribe.
    pub channels: Vec<Channel>,
    /// Initial markets for the book, trade and ticker channels.
    pub markets: Vec<String>,
    /// Declare the socket dead after this long without any frame.
    pub dead_after: Duration,
    /// Handshake timeout.
    pub connect_timeout: Duration,
    /// Reconnect spacing (retries are unbounded; `max_retries` is ignored).
    pub reconnect_backoff: BackoffPolicy,
    /// Capacity of the event channel (backpressure: the socket is not read while it is full).
    pub event_capacity: usize,
    /// Attach the raw frame text to events.
    pub capture_raw: bool,
    /// Ask for NO-side book levels in YES prices.
    pub use_yes_price: bool,
    /// Largest frame decoded; larger ones are refused unparsed and count as undecodable.
    pub frame_bytes_max: usize,
    /// A seq at most this far below the last one is a duplicate; further is a reset.
    pub seq_reorder_window: u64,
    /// Failed resyncs in a row after which a market is abandoned (kept invalid).
    pub resync_attempts_max: u32,
}

impl WsConfig {
    /// Defaults: all channels, 30 s dead-socket timeout, 10 s handshake timeout, reconnect
    /// backoff 250 ms doubling to 30 s, 4096 buffered events, no raw capture, 16 MiB frames,
    /// reorder window 64, abandon a market after 3 failed resyncs in a row.
    pub fn new(endpoints: Endpoints, markets: Vec<String>) -> WsConfig {
        WsConfig {
            endpoints,
            channels: vec![
                Channel::OrderbookDelta,
                Channel::Trade,
                Channel::MarketLifecycleV2,
                Channel::Fill,
                Channel::UserOrders,
                Channel::MarketPositions,
            ],
            markets,
            dead_after: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            reconnect_backoff: BackoffPolicy {
                base: Duration::from_millis(250),
                cap: Duration::from_secs(30),
                max_retries: u32::MAX,
            },
            event_capacity: 4096,
            capture_raw: false,
            use_yes_price: false,
            frame_bytes_max: WS_TASK_FRAME_BYTES_MAX_DEFAULT,
            seq_reorder_window: SEQ_REORDER_WINDOW_DEFAULT,
            resync_attempts_max: RESYNC_ATTEMPTS_MAX_DEFAULT,
        }
    }
}

/// What the owner wants of the running task: the markets to be subscribed, and whether to
/// stop. It travels in a `watch` channel, so it is one value however often it changes: a
/// task that is slow to read it sees only the latest wish, and no queue grows with the run.
#[derive(Debug, Clone, Default)]
struct Wanted {
    markets: BTreeSet<String>,
    shutdown: bool,
}

/// What the task must do after the owner's wish changed.
enum ControlStep {
    /// Send these subscription changes.
    Resubscribe(Vec<WsCommand>),
    /// Close the socket and end.
    Shutdown,
}

/// Brings `session`'s markets in line with the latest wish (or reports a shutdown, also when
/// the handle is gone).
fn take_wish(control: &mut watch::Receiver<Wanted>, session: &mut Session) -> ControlStep {
    let wanted = control.borrow_and_update().clone();
    if wanted.shutdown {
        return ControlStep::Shutdown;
    }
    let current: BTreeSet<String> = session.markets().map(str::to_string).collect();
    let gone: Vec<String> = current.difference(&wanted.markets).cloned().collect();
    let new: Vec<String> = wanted.markets.difference(&current).cloned().collect();
    let mut commands = session.remove_markets(&gone);
    commands.extend(session.add_markets(&new));
    ControlStep::Resubscribe(commands)
}

/// Handle to the WebSocket task.
#[derive(Debug)]
pub struct WsHandle {
    control: watch::Sender<Wanted>,
    stats: watch::Receiver<WsStats>,
    task: JoinHandle<Result<(), WsError>>,
}

impl WsHandle {
    /// Subscribes more markets without reconnecting.
    pub fn add_markets(&self, tickers: Vec<String>) {
        self.control
            .send_modify(|wanted| wanted.markets.extend(tickers));
    }

    /// Unsubscribes markets without reconnecting.
    pub fn remove_markets(&self, tickers: Vec<String>) {
        self.control.send_modify(|wanted| {
            for ticker in &tickers {
                wanted.markets.remove(ticker);
            }
        });
    }

    /// Closes the socket and waits for the task. Returns the task's terminal error, if any.
    pub async fn shutdown(self) -> Result<(), WsError> {
        self.control.send_modify(|wanted| wanted.shutdown = true);
        self.join().await
    }

    /// Waits for the task to end (it only ends on shutdown or a terminal error).
    pub async fn join(self) -> Result<(), WsError> {
        match self.task.await {
            Ok(result) => result,
            Err(error) => Err(WsError::InvalidRequest {
                reason: format!("WebSocket task failed: {error}"),
            }),
        }
    }

    /// The counters of the current connection (decode failures, unknown frames, gaps,
    /// resets) and the markets abandoned after repeated failed resyncs.
    pub fn stats(&self) -> WsStats {
        self.stats.borrow().clone()
    }

    /// Whether the task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

/// Starts the WebSocket task.
pub fn spawn_ws(
    config: WsConfig,
    credentials: Arc<ApiCredentials>,
) -> (WsHandle, mpsc::Receiver<IoEvent>) {
    let (events_tx, events_rx) = mpsc::channel(config.event_capacity.max(1));
    let (control_tx, control_rx) = watch::channel(Wanted {
        markets: config.markets.iter().cloned().collect(),
        shutdown: false,
    });
    let (stats_tx, stats_rx) = watch::channel(WsStats::default());
    let task = tokio::spawn(run(config, credentials, events_tx, control_rx, stats_tx));
    (
        WsHandle {
            control: control_tx,
            stats: stats_rx,
            task,
        },
        events_rx,
    )
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why one connection ended.
enum Ended {
    /// Reconnect.
    Lost(String),
    /// Stop the task cleanly.
    Shutdown,
}

fn now_ns() -> i64 {
    crate::clock::wall_clock_now().as_ns()
}

async fn run(
    config: WsConfig,
    credentials: Arc<ApiCredentials>,
    events: mpsc::Sender<IoEvent>,
    mut control: watch::Receiver<Wanted>,
    stats: watch::Sender<WsStats>,
) -> Result<(), WsError> {
    let mut session = Session::new(&config.channels, &config.markets, config.use_yes_price)
        .with_seq_reorder_window(config.seq_reorder_window)
        .with_resync_attempts_max(config.resync_attempts_max);
    let mut backoff = Backoff::new(config.reconnect_backoff);
    loop {
        let socket = match connect(&config, &credentials).await {
            Ok(socket) => socket,
            Err(ConnectError::Terminal(error)) => return Err(error),
            Err(ConnectError::Retry(reason)) => {
                let delay = backoff.next_delay_unbounded(&mut rand::thread_rng());
                tracing::warn!(%reason, delay_ms = delay.as_millis() as u64, "WebSocket connect failed; retrying");
                tokio::select! {
                    () = tokio::time::sleep(delay) => continue,
                    changed = control.changed() => {
                        if changed.is_err() {
                            return Ok(());
                        }
                        match take_wish(&mut control, &mut session) {
                            ControlStep::Shutdown => return Ok(()),
                            // Not connected: the session subscribes its markets on connect.
                            ControlStep::Resubscribe(_) => continue,
                        }
                    }
                }
            }
        };
        backoff.reset();
        let ended = serve(socket, &config, &mut session, &events, &mut control, &stats).await?;
        let generation = session.generation();
        for event in session.on_disconnected() {
            deliver(&events, generation, event, None).await?;
        }
        match ended {
            Ended::Shutdown => return Ok(()),
            Ended::Lost(reason) => {
                tracing::warn!(%reason, generation, "WebSocket connection lost; reconnecting");
                let delay = backoff.next_delay_unbounded(&mut rand::thread_rng());
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Opens and authenticates one socket and closes it again: whether the WebSocket host is
/// reachable and takes the key (a startup check; the feed itself uses [`spawn_ws`]).
pub async fn probe_connect(
    endpoints: &Endpoints,
    credentials: &ApiCredentials,
) -> Result<(), WsError> {
    let config = WsConfig::new(endpoints.clone(), Vec::new());
    match connect(&config, credentials).await {
        Ok(mut socket) => {
            // The answer to the close does not matter: the handshake already succeeded.
            let _ = socket.close(None).await;
            Ok(())
        }
        Err(ConnectError::Terminal(error)) => Err(error),
        Err(ConnectError::Retry(reason)) => Err(WsError::Unreachable { reason }),
    }
}

enum ConnectError {
    Terminal(WsError),
    Retry(String),
}

/// Opens and authenticates one socket (fresh signature).
async fn connect(config: &WsConfig, credentials: &ApiCredentials) -> Result<Socket, ConnectError> {
    let url = config.endpoints.ws_url();
    let mut request = url.into_client_request().map_err(|error| {
        ConnectError::Terminal(WsError::InvalidRequest {
            reason: error.to_string(),
        })
    })?;
    let timestamp_ms = now_ns() / 1_000_000;
    let headers = sign_request(credentials, timestamp_ms, "GET", config.endpoints.ws_path())
        .map_err(|error| ConnectError::Terminal(WsError::Signing(error)))?;
    for (name, value) in headers.header_pairs() {
        let value = HeaderValue::from_str(value).map_err(|_| {
            ConnectError::Terminal(WsError::InvalidRequest {
                reason: format!("header {name} is not a valid header value"),
            })
        })?;
        request.headers_mut().insert(name, value);
    }
    // tungstenite's own limits sit above ours so an oversized frame reaches the decoder (a
    // typed refusal and a resync) instead of killing the socket.
    let socket_bytes_max = config.frame_bytes_max.saturating_mul(2).max(64 << 20);
    let socket_config = WebSocketConfig::default()
        .max_message_size(Some(socket_bytes_max))
        .max_frame_size(Some(socket_bytes_max));
    let attempt = tokio::time::timeout(
        config.connect_timeout,
        tokio_tungstenite::connect_async_with_config(request, Some(socket_config), false),
    )
    .await;
    match attempt {
        Err(_) => Err(ConnectError::Retry("handshake timed out".to_string())),
        Ok(Ok((socket, _response))) => Ok(socket),
        Ok(Err(tungstenite::Error::Http(response))) => {
            let status = response.status().as_u16();
            if status == 401 || status == 403 {
                Err(ConnectError::Terminal(WsError::Unauthorized { status }))
            } else {
                Err(ConnectError::Retry(format!(
                    "handshake refused with HTTP {status}"
                )))
            }
        }
        Ok(Err(error)) => Err(ConnectError::Retry(error.to_string())),
    }
}

async fn deliver(
    events: &mpsc::Sender<IoEvent>,
    generation: u64,
    event: Event,
    raw_frame: Option<String>,
) -> Result<(), WsError> {
    events
        .send(IoEvent {
            recv_ts_ns: now_ns(),
            generation,
            event,
            raw_frame,
        })
        .await
        .map_err(|_| WsError::ReceiverDropped)
}

async fn send_commands(socket: &mut Socket, commands: Vec<WsCommand>) -> Result<(), String> {
    for command in commands {
        let text = serde_json::to_string(&command).map_err(|error| error.to_string())?;
        socket
            .send(Message::text(text))
            .await
            .map_err(|error| error.to_string())?;
    }
    Ok(())
}

/// Publishes the session's counters when they changed.
fn publish_stats(stats: &watch::Sender<WsStats>, session: &Session) {
    let now = session.stats();
    stats.send_if_modified(|current| {
        if *current == now {
            false
        } else {
            *current = now;
            true
        }
    });
}

/// Runs one socket until it dies or shutdown is requested.
async fn serve(
    mut socket: Socket,
    config: &WsConfig,
    session: &mut Session,
    events: &mpsc::Sender<IoEvent>,
    control: &mut watch::Receiver<Wanted>,
    stats: &watch::Sender<WsStats>,
) -> Result<Ended, WsError> {
    let commands = session.on_connected();
    publish_stats(stats, session);
    let generation = session.generation();
    tracing::info!(generation, "WebSocket connected");
    if let Err(reason) = send_commands(&mut socket, commands).await {
        return Ok(Ended::Lost(reason));
    }
    let mut last_frame_at = tokio::time::Instant::now();
    let mut books_quiet_since = last_frame_at;
    loop {
        let dead_at = last_frame_at + config.dead_after;
        let probe_at = books_quiet_since + config.dead_after;
        tokio::select! {
            () = tokio::time::sleep_until(dead_at) => {
                return Ok(Ended::Lost(format!("no frame for {:?}", config.dead_after)));
            }
            () = tokio::time::sleep_until(probe_at) => {
                books_quiet_since = tokio::time::Instant::now();
                let commands = session.probe_books();
                if !commands.is_empty() {
                    tracing::debug!(generation, "orderbook subscription quiet; probing with fresh snapshots");
                }
                if let Err(reason) = send_commands(&mut socket, commands).await {
                    return Ok(Ended::Lost(reason));
                }
            }
            frame = socket.next() => {
                let recv_ts_ns = now_ns();
                last_frame_at = tokio::time::Instant::now();
                let message = match frame {
                    None => return Ok(Ended::Lost("socket closed".to_string())),
                    Some(Err(error)) => return Ok(Ended::Lost(error.to_string())),
                    Some(Ok(message)) => message,
                };
                let text = match message {
                    Message::Text(text) => text.to_string(),
                    Message::Ping(_) => {
                        // tungstenite queued the pong while reading; push it out now.
                        if let Err(error) = socket.flush().await {
                            return Ok(Ended::Lost(error.to_string()));
                        }
                        continue;
                    }
                    Message::Close(_) => return Ok(Ended::Lost("server closed the socket".to_string())),
                    Message::Pong(_) | Message::Binary(_) | Message::Frame(_) => continue,
                };
                let step = match decode_ws_frame_with_limit(&text, config.frame_bytes_max) {
                    Ok(decoded) => {
                        if decoded
                            .sid()
                            .is_some_and(|sid| session.channel_of(sid) == Some(Channel::OrderbookDelta))
                        {
                            books_quiet_since = last_frame_at;
                        }
                        session.on_frame(&decoded)
                    }
                    Err(error) => {
                        tracing::warn!(%error, generation, "undecodable WebSocket frame; resyncing books");
                        session.on_undecodable()
                    }
                };
                publish_stats(stats, session);
                let mut raw = config.capture_raw.then_some(text);
                for event in step.events {
                    events
                        .send(IoEvent { recv_ts_ns, generation, event, raw_frame: raw.take() })
                        .await
                        .map_err(|_| WsError::ReceiverDropped)?;
                }
                if let Err(reason) = send_commands(&mut socket, step.commands).await {
                    return Ok(Ended::Lost(reason));
                }
            }
            changed = control.changed() => {
                let step = if changed.is_err() {
                    ControlStep::Shutdown
                } else {
                    take_wish(control, session)
                };
                let commands = match step {
                    ControlStep::Resubscribe(commands) => commands,
                    ControlStep::Shutdown => {
                        let _ = socket.close(None).await;
                        return Ok(Ended::Shutdown);
                    }
                };
                if let Err(reason) = send_commands(&mut socket, commands).await {
                    return Ok(Ended::Lost(reason));
                }
            }
        }
    }
}
