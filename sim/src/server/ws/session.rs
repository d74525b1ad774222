//! One WebSocket connection: reads commands, fans exchange events out to its
//! subscriptions, sends a Ping every interval, and applies the WebSocket faults.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use kalshi_wire::ws::WsServerMessage;
use tokio::sync::broadcast::error::RecvError;

use super::channels::Subscription;
use crate::exchange::UserId;
use crate::faults::{WsConnectionFault, WsFaultSource, WsMessageFault};
use crate::server::ClockMode;
use crate::server::state::{EventBatch, ServerState, Stats, wall_clock_ns};

/// Payload of the server's heartbeat Ping frames.
const PING_PAYLOAD: &[u8] = b"heartbeat";

/// A frame waiting to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outgoing {
    /// Acks and errors: never subject to faults.
    Control(String),
    /// Channel data: subject to faults.
    Data(String),
}

/// How a flush ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlushEnd {
    Open,
    Closed,
    HalfOpen,
}

/// State of one connection.
pub(crate) struct Session {
    pub(crate) state: Arc<ServerState>,
    pub(crate) user: UserId,
    pub(crate) user_id_text: String,
    pub(crate) subs: BTreeMap<u64, Subscription>,
    pub(crate) next_sid: u64,
    pub(crate) faults: Option<WsFaultSource>,
    pub(crate) out: Vec<Outgoing>,
    held: Option<String>,
}

impl Session {
    /// `sending_ts_ms` for a frame about something at `ts_ns` (exchange time): the event
    /// time in virtual mode (so runs are reproducible), the wall clock in real mode.
    pub(crate) fn sending_ts_ms(&self, ts_ns: i64) -> i64 {
        match self.state.clock {
            ClockMode::Virtual => ts_ns.div_euclid(1_000_000),
            ClockMode::Real { .. } => wall_clock_ns().div_euclid(1_000_000),
        }
    }

    /// The exchange's current time, ns.
    pub(crate) fn exchange_now_ns(&self) -> i64 {
        self.state.read_at_batch(|exchange| exchange.now_ns()).0
    }

    fn push(&mut self, msg: &WsServerMessage, data: bool) {
        match serde_json::to_string(msg) {
            Ok(text) => self.out.push(if data {
                Outgoing::Data(text)
            } else {
                Outgoing::Control(text)
            }),
            Err(error) => tracing::warn!(%error, "cannot serialize a WebSocket frame"),
        }
    }

    /// Queues an ack or error.
    pub(crate) fn control(&mut self, msg: &WsServerMessage) {
        self.push(msg, false);
    }

    /// Queues a channel message.
    pub(crate) fn data(&mut self, msg: &WsServerMessage) {
        self.push(msg, true);
    }

    /// A session without a socket or fault source (see `server::detached`).
    pub(crate) fn detached(state: Arc<ServerState>, user: UserId, user_id_text: String) -> Session {
        Session {
            state,
            user,
            user_id_text,
            subs: BTreeMap::new(),
            next_sid: 1,
            faults: None,
            out: Vec::new(),
            held: None,
        }
    }

    /// Fans one published batch out to the subscriptions (see `server::detached`).
    pub(crate) fn handle_batch(&mut self, batch: &EventBatch) {
        self.on_batch(batch);
    }

    /// Ends every subscription with error 25 (see `server::detached`).
    pub(crate) fn handle_overflow(&mut self) {
        self.overflow();
    }

    /// Takes the frames queued so far (see `server::detached`).
    pub(crate) fn take_out(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.out)
    }

    fn on_batch(&mut self, batch: &EventBatch) {
        let sending_ts_ms = self.sending_ts_ms(batch.ts_ns);
        let me = self.user;
        let mut produced = Vec::new();
        for event in &batch.events {
            for sub in self.subs.values_mut() {
                if batch.seq <= sub.start_batch {
                    continue;
                }
                if let Some(msg) = sub.on_event(event, me, &self.user_id_text, sending_ts_ms) {
                    produced.push(msg);
                }
            }
        }
        for msg in &produced {
            self.data(msg);
        }
    }

    /// The event stream fell too far behind: every subscription ends with error 25.
    fn overflow(&mut self) {
        let sids: Vec<u64> = self.subs.keys().copied().collect();
        for sid in sids {
            let msg =
                super::channels::error_frame(None, Some(sid), 25, "Subscription buffer overflow");
            self.control(&msg);
        }
        self.subs.clear();
    }

    async fn send_text(&self, socket: &mut WebSocket, text: String) -> bool {
        Stats::add(&self.state.stats.ws_messages, 1);
        socket.send(Message::Text(text.into())).await.is_ok()
    }

    /// Writes the queued frames, applying faults to data frames.
    async fn flush(&mut self, socket: &mut WebSocket) -> FlushEnd {
        let out = std::mem::take(&mut self.out);
        for frame in out {
            let text = match frame {
                Outgoing::Control(text) => {
                    if !self.send_text(socket, text).await {
                        return FlushEnd::Closed;
                    }
                    continue;
                }
                Outgoing::Data(text) => text,
            };
            let Some(faults) = self.faults.as_mut() else {
                if !self.send_text(socket, text).await {
                    return FlushEnd::Closed;
                }
                continue;
            };
            let decision = faults.message();
            let connection = faults.connection();
            let mut sends: Vec<String> = Vec::new();
            match decision {
                WsMessageFault::Send => sends.push(text),
                WsMessageFault::Drop => {}
                WsMessageFault::Duplicate => {
                    sends.push(text.clone());
                    sends.push(text);
                }
                WsMessageFault::Reorder => {
                    if let Some(older) = self.held.replace(text) {
                        sends.push(older);
                    }
                }
                WsMessageFault::Delay(delay_ms) => {
                    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                    sends.push(text);
                }
            }
            if decision != WsMessageFault::Reorder && !sends.is_empty() {
                if let Some(held) = self.held.take() {
                    sends.push(held);
                }
            }
            for text in sends {
                if !self.send_text(socket, text).await {
                    return FlushEnd::Closed;
                }
            }
            match connection {
                WsConnectionFault::None => {}
                WsConnectionFault::Disconnect => return FlushEnd::Closed,
                WsConnectionFault::HalfOpen => return FlushEnd::HalfOpen,
            }
        }
        FlushEnd::Open
    }
}

/// Serves one authenticated connection until it closes or the server shuts down.
pub(crate) async fn run(
    state: Arc<ServerState>,
    user: UserId,
    connection: u64,
    mut socket: WebSocket,
) {
    let user_id_text = state
        .read_at_batch(|exchange| {
            exchange
                .user_id_text(user)
                .map(str::to_string)
                .unwrap_or_default()
        })
        .0;
    let faults = state
        .faults
        .ws_enabled()
        .then(|| WsFaultSource::new(&state.faults, state.settings.seed, connection));
    let mut events = state.subscribe_events();
    let mut shutdown = state.shutdown.clone();
    let ping_every = Duration::from_millis(state.settings.ws_ping_interval_ms);
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut session = Session {
        state,
        user,
        user_id_text,
        subs: BTreeMap::new(),
        next_sid: 1,
        faults,
        out: Vec::new(),
        held: None,
    };
    loop {
        // Biased: event batches already published are handled before the next command, so a
        // command's reply follows every event published before the command was sent.
        let stopping = tokio::select! {
            biased;
            () = stopped(&mut shutdown) => true,
            batch = events.recv() => match batch {
                Ok(batch) => {
                    session.on_batch(&batch);
                    false
                }
                Err(RecvError::Lagged(_)) => {
                    session.overflow();
                    false
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(Message::Text(text))) => {
                    session.handle_text(text.as_str());
                    false
                }
                Some(Ok(Message::Binary(_))) => {
                    let msg = super::channels::error_frame(None, None, 1, "Unable to process message");
                    session.control(&msg);
                    false
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => false,
            },
            _ = ping.tick() => {
                if socket.send(Message::Ping(PING_PAYLOAD.to_vec().into())).await.is_err() {
                    return;
                }
                false
            }
        };
        if stopping {
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
        match session.flush(&mut socket).await {
            FlushEnd::Open => {}
            FlushEnd::Closed => return,
            FlushEnd::HalfOpen => {
                half_open(&mut socket, &mut shutdown).await;
                return;
            }
        }
    }
}

/// Resolves once the server is stopping (or its shutdown sender is gone).
async fn stopped(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Keeps the socket open without sending anything (no pings, no data) until the peer
/// closes it or the server stops.
async fn half_open(socket: &mut WebSocket, shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        let done = tokio::select! {
            () = stopped(shutdown) => true,
            incoming = socket.recv() => matches!(incoming, None | Some(Err(_)) | Some(Ok(Message::Close(_)))),
        };
        if done {
            return;
        }
    }
}
