//! The local exchange's network face: Kalshi's REST API under `/trade-api/v2` and its
//! WebSocket API at `/trade-api/ws/v2`, on loopback, with Kalshi's authentication, token
//! bucket rate limits and optional fault injection.
//!
//! [`spawn`] starts the server on a tokio runtime and returns a [`SimHandle`]. The
//! [`Exchange`] lives behind one mutex; every call that changes it drains its events and
//! broadcasts them to the WebSocket sessions *while still holding the lock*, so a snapshot
//! taken under the lock and the deltas that follow it are consistent.
//!
//! Two clock modes: [`ClockMode::Real`] advances the exchange to wall-clock time on a tick
//! (synthetic flow runs on its own); [`ClockMode::Virtual`] leaves time still until the
//! caller moves it with [`SimHandle::advance_virtual_clock`] or [`SimHandle::set_time`], which
//! makes a run reproducible byte for byte.

mod auth;
mod convert;
pub mod detached;
mod error;
mod limits;
mod middleware;
mod query;
mod rest;
mod state;
mod ws;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kalshi_core::Money;
use kalshi_wire::auth::{DEFAULT_TIMESTAMP_TOLERANCE_MS, KeyKind};
use kalshi_wire::ratelimit::UsageTier;
use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::exchange::{Exchange, ExchangeConfig, ExchangeError};
use crate::faults::{FaultConfig, FaultConfigError};
use crate::keys::{KeyError, derived_key_id, load_or_create_dev_key};

pub use state::SimStats;

/// REST path prefix.
pub const REST_PREFIX: &str = "/trade-api/v2";
/// WebSocket path.
pub const WS_PATH: &str = "/trade-api/ws/v2";

/// Most virtual time one exchange call of [`SimHandle::set_time`] covers, ns. With the
/// flow `run-strategy --sim` configures (about 8 actions per market per second), one second
/// of 2,000 markets queues some 16,000 actions' events (a few tens of MB) before they are
/// published and dropped; a 600 s warm-up in one call queued all of them at once.
const ADVANCE_SLICE_NS: i64 = crate::exchange::NS_PER_S;

/// How the exchange's time moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// Wall-clock time; a background task advances the exchange every `tick_ms`.
    Real {
        /// Advance period, ms.
        tick_ms: u64,
    },
    /// Time moves only when the handle says so.
    Virtual,
}

/// Everything [`spawn`] needs.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Seed of the catalog, the synthetic flow, ids and fault decisions.
    pub seed: u64,
    /// The exchange itself (catalog size, flow, precision, start time).
    pub exchange: ExchangeConfig,
    /// Clock mode. In real mode the exchange start time is replaced by the current time.
    pub clock: ClockMode,
    /// Directory holding the development key pair (created on first use).
    pub key_dir: PathBuf,
    /// Algorithm of a newly created development key.
    pub key_kind: KeyKind,
    /// Extra SPKI public keys to accept; each becomes its own user, with a derived key id.
    pub extra_public_keys: Vec<String>,
    /// Largest accepted distance between `KALSHI-ACCESS-TIMESTAMP` and wall-clock time, ms;
    /// `None` accepts any timestamp.
    pub timestamp_tolerance_ms: Option<u64>,
    /// Rate-limit tier every user gets.
    pub tier: UsageTier,
    /// Whether rate limits are enforced.
    pub rate_limits_enabled: bool,
    /// Interval of the server's WebSocket Ping frames, ms.
    pub ws_ping_interval_ms: u64,
    /// Cash each API user starts with.
    pub starting_balance: Money,
    /// Fault injection (all off by default).
    pub faults: FaultConfig,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            port: 0,
            seed: 7,
            exchange: ExchangeConfig::default(),
            clock: ClockMode::Real { tick_ms: 50 },
            key_dir: PathBuf::from(".kalshi-sim"),
            key_kind: KeyKind::Ed25519,
            extra_public_keys: Vec::new(),
            timestamp_tolerance_ms: Some(DEFAULT_TIMESTAMP_TOLERANCE_MS),
            tier: UsageTier::Basic,
            rate_limits_enabled: true,
            ws_ping_interval_ms: 10_000,
            // $100,000.
            starting_balance: Money::from_micros(100_000 * 1_000_000),
            faults: FaultConfig::default(),
        }
    }
}

/// Why the simulator could not start or a handle call failed.
#[derive(Debug, Error)]
pub enum SimError {
    /// Loading or creating keys failed.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The exchange refused its configuration or a request.
    #[error("exchange: {0}")]
    Exchange(#[from] ExchangeError),
    /// The fault configuration is invalid.
    #[error(transparent)]
    Faults(#[from] FaultConfigError),
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The virtual clock was moved in real-clock mode, or backwards.
    #[error("clock: {details}")]
    Clock {
        /// What was wrong.
        details: String,
    },
}

/// A running simulator.
#[derive(Debug)]
pub struct SimHandle {
    /// REST base URL, e.g. `http://127.0.0.1:8080/trade-api/v2`.
    pub base_url: String,
    /// WebSocket URL, e.g. `ws://127.0.0.1:8080/trade-api/ws/v2`.
    pub ws_url: String,
    /// Listening address.
    pub addr: SocketAddr,
    /// Key id of the development key.
    pub key_id: String,
    /// Path of the development private key (PKCS#8 PEM, mode 0600).
    pub private_key_path: PathBuf,
    state: Arc<state::ServerState>,
    shutdown_tx: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl SimHandle {
    /// Stops accepting connections, closes WebSocket sessions and waits for the tasks.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }

    /// Moves virtual time forward by `by_ns` (running lifecycle and synthetic flow up to it).
    pub fn advance_virtual_clock(&self, by_ns: i64) -> Result<(), SimError> {
        if by_ns < 0 {
            return Err(SimError::Clock {
                details: format!("cannot move time backwards by {by_ns} ns"),
            });
        }
        let now = self.state.with_exchange(|exchange, _| exchange.now_ns());
        self.set_time(now.saturating_add(by_ns))
    }

    /// Moves virtual time to `now_ns` (Unix ns; must not be earlier than the current time).
    pub fn set_time(&self, now_ns: i64) -> Result<(), SimError> {
        if !matches!(self.state.clock, ClockMode::Virtual) {
            return Err(SimError::Clock {
                details: "the simulator runs on the real clock".to_string(),
            });
        }
        let mut reached = self.state.with_exchange(|_, current| current);
        if now_ns < reached {
            return Err(SimError::Clock {
                details: format!("{now_ns} ns is before the current time {reached} ns"),
            });
        }
        // A long jump (the warm-up of `run-strategy --sim`) is cut into slices, each published
        // on its own, so the events of one slice are freed before the next is simulated. The
        // exchange reaches the same state with the same events either way.
        loop {
            let target = reached.saturating_add(ADVANCE_SLICE_NS).min(now_ns);
            self.state
                .with_exchange(|exchange, _| exchange.advance_to(target));
            reached = target;
            if reached >= now_ns {
                return Ok(());
            }
        }
    }

    /// The exchange's current time, Unix ns.
    pub fn now_ns(&self) -> i64 {
        self.state.with_exchange(|exchange, _| exchange.now_ns())
    }

    /// Runs `f` on the exchange (for tests and tools: seeding books, pausing markets, …);
    /// the events it causes are published to WebSocket sessions. `f` also gets the time
    /// to pass to exchange calls.
    pub fn with_exchange<R>(&self, f: impl FnOnce(&mut Exchange, i64) -> R) -> R {
        self.state.with_exchange(f)
    }

    /// Accepts another SPKI public key as a new user; returns its (derived) key id.
    pub fn register_public_key(&self, public_key_pem: &str) -> Result<String, SimError> {
        let key_id = derived_key_id(public_key_pem)?;
        self.state.register_key(&key_id, public_key_pem)?;
        Ok(key_id)
    }

    /// Counters: orders, trades, WebSocket messages, REST requests.
    pub fn stats(&self) -> SimStats {
        self.state.stats.snapshot()
    }
}

/// Starts the simulator: loads or creates the development key, builds the exchange, binds
/// 127.0.0.1:`port` and serves until [`SimHandle::shutdown`].
pub async fn spawn(mut config: SimConfig) -> Result<SimHandle, SimError> {
    config.faults.validate()?;
    if let ClockMode::Real { .. } = config.clock {
        config.exchange.start_ns = state::wall_clock_ns();
    }
    let dev_key = load_or_create_dev_key(&config.key_dir, config.key_kind)?;
    let exchange = Exchange::new(config.exchange.clone(), config.seed)?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let state = Arc::new(state::ServerState::new(
        &config,
        exchange,
        shutdown_rx.clone(),
    ));
    state.register_key(&dev_key.key_id, &dev_key.public_key_pem)?;
    for pem in &config.extra_public_keys {
        let key_id = derived_key_id(pem)?;
        state.register_key(&key_id, pem)?;
    }

    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;

    let router = rest::router(Arc::clone(&state));
    let mut serve_shutdown = shutdown_rx.clone();
    let server = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = serve_shutdown.wait_for(|stop| *stop).await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "simulator server stopped");
        }
    });
    let mut tasks = vec![server];
    if let ClockMode::Real { tick_ms } = config.clock {
        tasks.push(tokio::spawn(drive_real_clock(
            Arc::clone(&state),
            tick_ms.max(1),
            shutdown_rx,
        )));
    }
    Ok(SimHandle {
        base_url: format!("http://{addr}{REST_PREFIX}"),
        ws_url: format!("ws://{addr}{WS_PATH}"),
        addr,
        key_id: dev_key.key_id,
        private_key_path: dev_key.private_key_path,
        state,
        shutdown_tx,
        tasks,
    })
}

/// Advances the exchange to wall-clock time every `tick_ms` until shutdown.
async fn drive_real_clock(
    state: Arc<state::ServerState>,
    tick_ms: u64,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(Duration::from_millis(tick_ms));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {
                state.with_exchange(|exchange, now_ns| exchange.advance_to(now_ns));
            }
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}
