//! Shared server state: the exchange behind its mutex, the event broadcast, keys, rate-limit
//! buckets, fault sources, the read-lag cache and counters.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::StatusCode;
use kalshi_core::Money;
use kalshi_wire::ratelimit::{BucketKind, TierLimits, TokenBucket, UsageTier};
use tokio::sync::{broadcast, watch};

use super::{ClockMode, SimConfig};
use crate::events_out::ExchangeEvent;
use crate::exchange::{Exchange, UserId};
use crate::faults::{FaultConfig, RestFaultSource};
use crate::keys::{KeyError, KeyRegistry, RegisteredKey};

/// Batches the WebSocket broadcast holds before a slow session is told it fell behind
/// (error 25). The broadcast keeps every batch until the slowest session has read it or it
/// is overwritten, so this bounds the memory one stalled session can pin: at the 50 ms clock
/// step plus REST activity, 1,024 batches are about half a minute of backlog; a batch of
/// 2,000 busy markets in one 50 ms step is around a megabyte. (Batches are published only
/// while some session listens; the warm-up's are dropped at once when none does.)
const EVENT_BROADCAST_CAPACITY: usize = 1 << 10;

/// Wall-clock time, Unix ns (0 if the system clock is before 1970).
pub(crate) fn wall_clock_ns() -> i64 {
    crate::clock::Clock::Real.now_ns()
}

/// Locks a mutex, recovering the data if a panicking holder poisoned it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The events of one exchange call, in emission order.
#[derive(Debug)]
pub(crate) struct EventBatch {
    /// Publication number, 1, 2, … (a subscription started after batch `n` skips batches `≤ n`).
    pub(crate) seq: u64,
    /// Exchange time after the call, Unix ns.
    pub(crate) ts_ns: i64,
    /// The events.
    pub(crate) events: Vec<ExchangeEvent>,
}

/// Who a request is billed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Principal {
    /// An authenticated user.
    User(UserId),
    /// Unauthenticated public requests share one budget.
    Anonymous,
}

/// Counters reported by [`super::SimHandle::stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SimStats {
    /// Orders accepted through the REST API (creates, including batch items).
    pub orders: u64,
    /// Trades on the tape (API users and synthetic flow).
    pub trades: u64,
    /// WebSocket frames sent (data, acks, errors).
    pub ws_messages: u64,
    /// REST requests answered.
    pub rest_requests: u64,
    /// REST requests refused with 429.
    pub rate_limited: u64,
}

/// Atomic counters.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) orders: AtomicU64,
    pub(crate) trades: AtomicU64,
    pub(crate) ws_messages: AtomicU64,
    pub(crate) rest_requests: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
}

impl Stats {
    pub(crate) fn snapshot(&self) -> SimStats {
        SimStats {
            orders: self.orders.load(Ordering::Relaxed),
            trades: self.trades.load(Ordering::Relaxed),
            ws_messages: self.ws_messages.load(Ordering::Relaxed),
            rest_requests: self.rest_requests.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// A cached portfolio answer (read-after-write lag fault).
#[derive(Debug, Clone)]
pub(crate) struct CachedView {
    pub(crate) computed_at: Instant,
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

/// Settings the request path reads.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) seed: u64,
    pub(crate) timestamp_tolerance_ms: Option<u64>,
    pub(crate) tier: UsageTier,
    pub(crate) limits: TierLimits,
    pub(crate) rate_limits_enabled: bool,
    pub(crate) ws_ping_interval_ms: u64,
    pub(crate) starting_balance: Money,
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct ServerState {
    exchange: Mutex<Exchange>,
    events: broadcast::Sender<Arc<EventBatch>>,
    /// Number of the last published batch (written only under the exchange lock).
    published: AtomicU64,
    keys: RwLock<KeyRegistry>,
    pub(crate) clock: ClockMode,
    pub(crate) settings: Settings,
    pub(crate) faults: FaultConfig,
    pub(crate) rest_faults: Mutex<RestFaultSource>,
    buckets: Mutex<BTreeMap<Principal, [TokenBucket; 2]>>,
    pub(crate) read_lag_cache: Mutex<BTreeMap<(UserId, String), CachedView>>,
    pub(crate) started: Instant,
    pub(crate) stats: Stats,
    pub(crate) ws_connections: AtomicU64,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl ServerState {
    pub(crate) fn new(
        config: &SimConfig,
        exchange: Exchange,
        shutdown: watch::Receiver<bool>,
    ) -> ServerState {
        let (events, _) = broadcast::channel(EVENT_BROADCAST_CAPACITY);
        ServerState {
            exchange: Mutex::new(exchange),
            events,
            published: AtomicU64::new(0),
            keys: RwLock::new(KeyRegistry::new()),
            clock: config.clock,
            settings: Settings {
                seed: config.seed,
                timestamp_tolerance_ms: config.timestamp_tolerance_ms,
                tier: config.tier,
                limits: config.tier.limits(),
                rate_limits_enabled: config.rate_limits_enabled,
                ws_ping_interval_ms: config.ws_ping_interval_ms.max(1),
                starting_balance: config.starting_balance,
            },
            faults: config.faults.clone(),
            rest_faults: Mutex::new(RestFaultSource::new(&config.faults, config.seed)),
            buckets: Mutex::new(BTreeMap::new()),
            read_lag_cache: Mutex::new(BTreeMap::new()),
            started: Instant::now(),
            stats: Stats::default(),
            ws_connections: AtomicU64::new(0),
            shutdown,
        }
    }

    /// Runs `f` on the exchange with the time to use for requests (wall clock in real mode,
    /// the exchange's own time in virtual mode), then publishes the events it caused. The
    /// publication happens under the lock, so event order equals exchange order.
    pub(crate) fn with_exchange<R>(&self, f: impl FnOnce(&mut Exchange, i64) -> R) -> R {
        let mut exchange = lock(&self.exchange);
        let now_ns = match self.clock {
            ClockMode::Real { .. } => wall_clock_ns().max(exchange.now_ns()),
            ClockMode::Virtual => exchange.now_ns(),
        };
        let result = f(&mut exchange, now_ns);
        let events = exchange.drain_events();
        if !events.is_empty() {
            let trades = events
                .iter()
                .filter(|e| matches!(e, ExchangeEvent::Trade(_)))
                .count();
            Stats::add(
                &self.stats.trades,
                u64::try_from(trades).unwrap_or(u64::MAX),
            );
            let seq = self.published.load(Ordering::Relaxed) + 1;
            self.published.store(seq, Ordering::Relaxed);
            // No receiver is not an error: nobody is subscribed.
            let _ = self.events.send(Arc::new(EventBatch {
                seq,
                ts_ns: exchange.now_ns(),
                events,
            }));
        }
        result
    }

    /// A receiver of every event batch published from now on. Taken under the exchange lock
    /// so nothing published before is missed or seen twice.
    pub(crate) fn subscribe_events(&self) -> broadcast::Receiver<Arc<EventBatch>> {
        let _exchange = lock(&self.exchange);
        self.events.subscribe()
    }

    /// Runs a read-only `f` on the exchange together with the number of the last published
    /// batch: whatever `f` observes includes exactly the batches up to that number.
    pub(crate) fn read_at_batch<R>(&self, f: impl FnOnce(&Exchange) -> R) -> (R, u64) {
        let exchange = lock(&self.exchange);
        (f(&exchange), self.published.load(Ordering::Relaxed))
    }

    /// Registers `public_key_pem` under `key_id` as a new user with the starting balance.
    pub(crate) fn register_key(
        &self,
        key_id: &str,
        public_key_pem: &str,
    ) -> Result<UserId, super::SimError> {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if keys.get(key_id).is_some() {
            return Err(KeyError::DuplicateKeyId {
                key_id: key_id.to_string(),
            }
            .into());
        }
        let balance = self.settings.starting_balance;
        let user = self
            .with_exchange(|exchange, _| exchange.add_user(&format!("user-{key_id}"), balance))?;
        keys.register(key_id, public_key_pem, user)?;
        Ok(user)
    }

    /// The key registered under `key_id`.
    pub(crate) fn key(&self, key_id: &str) -> Option<RegisteredKey> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key_id)
            .cloned()
    }

    /// The exchange's wall clock, Unix ms: the machine's, plus the fault injector's skew.
    pub(crate) fn exchange_clock_ms(&self) -> i64 {
        wall_clock_ns() / 1_000_000 + self.faults.rest.clock_skew_ms
    }

    /// Monotonic ns since the server started (rate limits, fault windows).
    pub(crate) fn elapsed_ns(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Takes `cost` tokens from the principal's `kind` bucket; false when it holds too few.
    pub(crate) fn take_tokens(&self, principal: Principal, kind: BucketKind, cost: u32) -> bool {
        if !self.settings.rate_limits_enabled {
            return true;
        }
        let now_ns = self.elapsed_ns();
        let limits = self.settings.limits;
        let mut buckets = lock(&self.buckets);
        let pair = buckets.entry(principal).or_insert_with(|| {
            [
                TokenBucket::new(limits.read, now_ns),
                TokenBucket::new(limits.write, now_ns),
            ]
        });
        let bucket = match kind {
            BucketKind::Read => &mut pair[0],
            BucketKind::Write => &mut pair[1],
        };
        bucket.try_take(cost, now_ns)
    }
}
