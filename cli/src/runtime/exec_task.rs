//! The exec task: a small pool of workers that send the engine's commands to the exchange
//! and report every outcome back to the sequencer as input events.
//!
//! - A market is always served by the same worker (chosen from its ticker), so a cancel can
//!   never overtake the create it cancels; markets are served in parallel across workers.
//! - Queues are bounded. A full queue is never waited on (the sequencer must not block on exec
//!   while exec waits on the sequencer): [`ExecPool::try_submit`] hands the command back and
//!   the sequencer journals a local refusal instead (see `sequencer/mod.rs`).
//! - Outcomes (`OrderAck`, `OrderRejected`, `OrderUnknown`, `CancelAck`, `OrderSnapshot`,
//!   `OrderNotFound`) travel in an [`ExecReport`] stamped with the time the answer arrived.
//! - Writes are sent once, never retried here. A lookup (a read) whose answer could not be had
//!   is asked again in the background — every [`LOOKUP_RETRY_INTERVAL`] for its first
//!   [`LOOKUP_ATTEMPTS_MAX`] attempts, then every [`LOOKUP_SLOW_RETRY_INTERVAL`] for as long as
//!   the sequencer runs (see [`lookup_retry_delay`]) — so an order whose cancel was refused
//!   (e.g. by a 429) is not left in limbo: the engine re-decides once it learns the order's
//!   state.
//! - At shutdown ([`ExecPool::begin_shutdown`]) cancels come first: every worker takes all it
//!   has queued at once, reports each place, amend and decrease as `not_sent` without sending
//!   it, and sends the cancels of known orders in V2 batches.
//! - Turning an outcome into events is io's job ([`kalshi_io::exec::events`]), and so is what
//!   a command costs at the dialect's endpoints ([`Executor::write_cost`]); the workers only
//!   carry commands out and outcomes back.

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::Command;
use kalshi_core::events::Event;
use kalshi_io::exec::{Executor, not_sent_refusal};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::clock::now_ns;

/// Pause between attempts of a lookup whose read failed.
pub const LOOKUP_RETRY_INTERVAL: Duration = Duration::from_secs(1);
/// Attempts of one lookup at [`LOOKUP_RETRY_INTERVAL`] before it slows down.
pub const LOOKUP_ATTEMPTS_MAX: u32 = 60;
/// Pause between attempts of a lookup that failed [`LOOKUP_ATTEMPTS_MAX`] times: the
/// exchange is probably unreachable, so ask less often, but never stop asking.
pub const LOOKUP_SLOW_RETRY_INTERVAL: Duration = Duration::from_secs(30);

/// How long to wait before attempt `attempt` (2, 3, …) of a lookup whose earlier attempts
/// failed.
pub fn lookup_retry_delay(attempt: u32) -> Duration {
    if attempt <= LOOKUP_ATTEMPTS_MAX {
        LOOKUP_RETRY_INTERVAL
    } else {
        LOOKUP_SLOW_RETRY_INTERVAL
    }
}
/// The message of commands dropped at shutdown.
const DROPPED_AT_SHUTDOWN: &str = "shutting down: dropped before sending so cancels go first";

/// The events one command produced, and when its answer arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecReport {
    /// When the answer arrived, Unix ns.
    pub recv_ts_ns: i64,
    /// The outcome as engine events (empty for a successful cancel-all or a failed lookup).
    pub events: Vec<Event>,
    /// How long the command waited and travelled (one command served on its own; none for
    /// shutdown batches and background lookup retries).
    pub latency: Option<ExecLatency>,
}

/// One command's way out: from the sequencer handing it over (its step's journal commit
/// done) to the request leaving, and from there to the exchange's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecLatency {
    /// Handed over → request sent (time in the worker's queue and the rate limiter).
    pub decision_to_request: Duration,
    /// Request sent → answer read.
    pub request_to_answer: Duration,
}

/// A command in a worker's queue, with when it was handed over.
struct Queued {
    command: Command,
    queued_at: Instant,
}

/// Requests remembered by [`WriteUsage`]: 100,000, far more than any tier's write bucket
/// allows in the 10 s the status line looks back over; the oldest go first.
pub const WRITE_USAGE_ENTRIES_MAX: usize = 100_000;

/// Write-bucket tokens spent recently, for the status line.
#[derive(Debug, Default)]
pub struct WriteUsage {
    /// When each request went and its cost (at most [`WRITE_USAGE_ENTRIES_MAX`]).
    spent: Mutex<VecDeque<(Instant, u32)>>,
}

impl WriteUsage {
    /// Records a request's token cost now.
    pub fn record(&self, tokens: u32) {
        if tokens == 0 {
            return;
        }
        if let Ok(mut spent) = self.spent.lock() {
            spent.push_back((Instant::now(), tokens));
            while spent.len() > WRITE_USAGE_ENTRIES_MAX {
                spent.pop_front();
            }
        }
    }

    /// Tokens spent in the last `window`.
    pub fn spent_within(&self, window: Duration) -> u64 {
        let Ok(mut spent) = self.spent.lock() else {
            return 0;
        };
        let now = Instant::now();
        while spent
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > window)
        {
            spent.pop_front();
        }
        spent.iter().map(|(_, tokens)| u64::from(*tokens)).sum()
    }
}

/// The market a command concerns (`None` for cancel-all).
fn ticker_of(command: &Command) -> Option<&str> {
    match command {
        Command::Place(order) => Some(&order.ticker),
        Command::Amend(amend) => Some(&amend.ticker),
        Command::Decrease(decrease) => Some(&decrease.ticker),
        Command::Cancel(cancel) => Some(&cancel.ticker),
        Command::LookupOrder { ticker, .. } => Some(ticker),
        Command::CancelAll => None,
    }
}

/// Stable worker index for a ticker (FNV-1a over its bytes).
pub fn worker_for(ticker: Option<&str>, workers: usize) -> usize {
    let Some(ticker) = ticker else { return 0 };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in ticker.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    usize::try_from(hash % u64::try_from(workers.max(1)).unwrap_or(1)).unwrap_or(0)
}

/// The running workers.
pub struct ExecPool {
    senders: Vec<mpsc::Sender<Queued>>,
    workers: Vec<JoinHandle<()>>,
    usage: Arc<WriteUsage>,
    stopping: Arc<AtomicBool>,
    retrying: Arc<Mutex<BTreeSet<ClientOrderId>>>,
}

/// What one worker shares with its pool.
#[derive(Clone)]
struct WorkerContext {
    index: usize,
    executor: Executor,
    reports: mpsc::Sender<ExecReport>,
    usage: Arc<WriteUsage>,
    stopping: Arc<AtomicBool>,
    /// Orders whose lookup is being retried in the background: at most one retry task per
    /// order, so the tasks are bounded by the orders in doubt, not by how often the engine
    /// asks about them.
    retrying: Arc<Mutex<BTreeSet<ClientOrderId>>>,
}

impl ExecPool {
    /// Starts `workers` workers with queues of `capacity`, reporting to `reports`.
    pub fn spawn(
        executor: Executor,
        workers: usize,
        capacity: usize,
        reports: mpsc::Sender<ExecReport>,
    ) -> ExecPool {
        let usage = Arc::new(WriteUsage::default());
        let stopping = Arc::new(AtomicBool::new(false));
        let retrying = Arc::new(Mutex::new(BTreeSet::new()));
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for index in 0..workers.max(1) {
            let (tx, rx) = mpsc::channel(capacity.max(1));
            senders.push(tx);
            let context = WorkerContext {
                index,
                executor: executor.clone(),
                reports: reports.clone(),
                usage: Arc::clone(&usage),
                stopping: Arc::clone(&stopping),
                retrying: Arc::clone(&retrying),
            };
            handles.push(tokio::spawn(worker(context, rx)));
        }
        ExecPool {
            senders,
            workers: handles,
            usage,
            stopping,
            retrying,
        }
    }

    /// Switches every worker to shutdown mode: from now on queued places, amends and
    /// decreases are reported `not_sent` without being sent, and cancels go out in batches.
    pub fn begin_shutdown(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Queues a command on its market's worker without waiting; hands it back when the queue
    /// is full or the worker has stopped.
    pub fn try_submit(&self, command: Command) -> Result<(), Command> {
        let index = worker_for(ticker_of(&command), self.senders.len());
        let Some(sender) = self.senders.get(index) else {
            return Err(command);
        };
        let queued = Queued {
            command,
            queued_at: Instant::now(),
        };
        sender.try_send(queued).map_err(|error| match error {
            mpsc::error::TrySendError::Full(queued) | mpsc::error::TrySendError::Closed(queued) => {
                queued.command
            }
        })
    }

    /// Orders whose lookup is being retried in the background (one retry task each).
    pub fn lookups_in_retry(&self) -> usize {
        self.retrying.lock().map_or(0, |retrying| retrying.len())
    }

    /// Recent write-token usage.
    pub fn usage(&self) -> Arc<WriteUsage> {
        Arc::clone(&self.usage)
    }

    /// Stops accepting commands and waits for the workers to finish what is queued.
    pub async fn close(self) {
        let in_doubt = self.lookups_in_retry();
        if in_doubt > 0 {
            tracing::warn!(
                orders = in_doubt,
                "closing while the state of some orders is still unknown (their lookups kept \
                 failing); the closing check reads the account instead"
            );
        }
        drop(self.senders);
        for worker in self.workers {
            let _ = worker.await;
        }
    }
}

async fn worker(context: WorkerContext, mut commands: mpsc::Receiver<Queued>) {
    while let Some(queued) = commands.recv().await {
        let sent = if context.stopping.load(Ordering::SeqCst) {
            let mut pending = vec![queued.command];
            while let Ok(more) = commands.try_recv() {
                pending.push(more.command);
            }
            serve_shutdown(&context, pending).await
        } else {
            serve_one(&context, queued).await
        };
        if !sent {
            tracing::debug!(worker = context.index, "sequencer gone; exec worker stops");
            return;
        }
    }
}

/// Sends `events` to the sequencer; false when it is gone.
async fn report(context: &WorkerContext, events: Vec<Event>) -> bool {
    report_with(context, events, None).await
}

/// [`report`] with the command's latency.
async fn report_with(
    context: &WorkerContext,
    events: Vec<Event>,
    latency: Option<ExecLatency>,
) -> bool {
    let report = ExecReport {
        recv_ts_ns: now_ns(),
        events,
        latency,
    };
    context.reports.send(report).await.is_ok()
}

/// Sends one command and reports its outcome. A lookup whose read failed is retried in the
/// background (see [`retry_lookup`]).
async fn serve_one(context: &WorkerContext, queued: Queued) -> bool {
    let Queued { command, queued_at } = queued;
    context.usage.record(context.executor.write_cost(&command));
    tracing::debug!(worker = context.index, command = %command, "sending");
    let sent_at = Instant::now();
    let events = context.executor.execute(&command).await;
    let latency = ExecLatency {
        decision_to_request: sent_at.saturating_duration_since(queued_at),
        request_to_answer: sent_at.elapsed(),
    };
    if let Command::LookupOrder {
        client_order_id,
        ticker,
    } = &command
        && events.is_empty()
    {
        let first = context
            .retrying
            .lock()
            .map(|mut retrying| retrying.insert(client_order_id.clone()))
            .unwrap_or(false);
        if first {
            tokio::spawn(retry_lookup(
                context.clone(),
                client_order_id.clone(),
                ticker.clone(),
            ));
        } else {
            tracing::debug!(%client_order_id, "order lookup already being retried");
        }
        return true;
    }
    report_with(context, events, Some(latency)).await
}

/// Asks for a lookup again, paced by [`lookup_retry_delay`], until the read succeeds (a read
/// may be repeated safely; a write never is) or the sequencer is gone.
async fn retry_lookup(context: WorkerContext, client_order_id: ClientOrderId, ticker: String) {
    let command = Command::LookupOrder {
        client_order_id: client_order_id.clone(),
        ticker,
    };
    let mut attempt = 1u32;
    loop {
        attempt = attempt.saturating_add(1);
        if attempt == LOOKUP_ATTEMPTS_MAX + 1 {
            tracing::error!(
                %client_order_id,
                attempts = LOOKUP_ATTEMPTS_MAX,
                retry_s = LOOKUP_SLOW_RETRY_INTERVAL.as_secs(),
                "order lookup keeps failing; asking less often"
            );
        }
        tokio::time::sleep(lookup_retry_delay(attempt)).await;
        if context.reports.is_closed() {
            break;
        }
        tracing::debug!(%client_order_id, attempt, "retrying a failed order lookup");
        let events = context.executor.execute(&command).await;
        if !events.is_empty() {
            report(&context, events).await;
            break;
        }
    }
    if let Ok(mut retrying) = context.retrying.lock() {
        retrying.remove(&client_order_id);
    }
}

/// Shutdown mode: everything queued is handled at once — writes that add or change orders are
/// reported `not_sent` first, then cancels of known orders go out in batches, then the rest
/// (cancels still needing a lookup, lookups, cancel-all) one by one.
async fn serve_shutdown(context: &WorkerContext, pending: Vec<Command>) -> bool {
    let mut dropped = Vec::new();
    let mut batchable = Vec::new();
    let mut others = Vec::new();
    for command in pending {
        match command {
            Command::Place(_) | Command::Amend(_) | Command::Decrease(_) => {
                tracing::debug!(worker = context.index, command = %command, "dropped at shutdown");
                dropped.extend(not_sent_refusal(&command, DROPPED_AT_SHUTDOWN));
            }
            Command::Cancel(cancel) if cancel.order_id.is_some() => batchable.push(cancel),
            other => others.push(other),
        }
    }
    if !dropped.is_empty() && !report(context, dropped).await {
        return false;
    }
    if !batchable.is_empty() {
        tracing::debug!(
            worker = context.index,
            orders = batchable.len(),
            "cancelling in batches"
        );
        let usage = Arc::clone(&context.usage);
        let batches = context
            .executor
            .cancel_in_batches(&batchable, &mut |tokens| usage.record(tokens))
            .await;
        if !report(context, batches).await {
            return false;
        }
    }
    for command in others {
        let queued = Queued {
            command,
            queued_at: Instant::now(),
        };
        if !serve_one(context, queued).await {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    use kalshi_io::auth::{ApiCredentials, KeyKind, SigningKey, generate_dev_keypair};
    use kalshi_io::backoff::BackoffPolicy;
    use kalshi_io::data_rest::{RestClient, RestConfig};
    use kalshi_io::env::Endpoints;
    use kalshi_io::exec::{ExecConfig, OrderDialect};
    use kalshi_io::ratelimit::{RateLimiter, UsageTier};

    #[tokio::test]
    async fn an_order_asked_about_many_times_has_one_lookup_retry() {
        // Nothing listens on the port: every read fails, so each lookup goes to the retry.
        let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = unused.local_addr().unwrap();
        drop(unused);
        let keys = tempfile::tempdir().unwrap();
        let pair = generate_dev_keypair(KeyKind::Ed25519, keys.path()).unwrap();
        let credentials = ApiCredentials::new(
            pair.key_id.clone(),
            SigningKey::from_pem_file(&pair.private_key_path).unwrap(),
        )
        .unwrap();
        let endpoints = Endpoints::custom(
            &format!("http://{addr}/trade-api/v2"),
            &format!("ws://{addr}/trade-api/ws/v2"),
        )
        .unwrap();
        let mut config = RestConfig::new(endpoints);
        config.request_timeout = Duration::from_millis(200);
        config.read_backoff = BackoffPolicy {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
            max_retries: 0,
        };
        let limiter = Arc::new(RateLimiter::new(UsageTier::Prime.limits(), 90));
        let rest = RestClient::new(config, Some(Arc::new(credentials)), Some(limiter)).unwrap();
        let executor = Executor::new(
            rest,
            ExecConfig {
                dialect: OrderDialect::V2,
                subaccount: None,
            },
        )
        .unwrap();
        let (reports, _reports_rx) = mpsc::channel(64);
        let pool = ExecPool::spawn(executor, 2, 256, reports);
        let lookup = |id: &str| Command::LookupOrder {
            client_order_id: ClientOrderId::parse(id).unwrap(),
            ticker: "KXTEST-26NOV01-A".to_string(),
        };
        for _ in 0..50 {
            pool.try_submit(lookup("run1-o-1")).unwrap();
        }
        pool.try_submit(lookup("run1-o-2")).unwrap();
        let started = Instant::now();
        while pool.lookups_in_retry() < 2 && started.elapsed() < Duration::from_secs(20) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Let the worker get through every queued copy of the first lookup.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(pool.lookups_in_retry(), 2, "one retry per order in doubt");
    }

    #[test]
    fn a_market_always_maps_to_the_same_worker() {
        let first = worker_for(Some("KXTEST-26NOV01-A"), 4);
        for _ in 0..10 {
            assert_eq!(worker_for(Some("KXTEST-26NOV01-A"), 4), first);
        }
        assert!(first < 4);
        assert_eq!(worker_for(None, 4), 0);
        assert_eq!(worker_for(Some("X"), 1), 0);
        let spread: std::collections::BTreeSet<usize> = (0..50)
            .map(|n| worker_for(Some(&format!("M-{n}")), 4))
            .collect();
        assert_eq!(spread.len(), 4, "tickers should spread over every worker");
    }

    #[test]
    fn usage_forgets_old_spending() {
        let usage = WriteUsage::default();
        usage.record(10);
        usage.record(2);
        assert_eq!(usage.spent_within(Duration::from_secs(10)), 12);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(usage.spent_within(Duration::from_millis(1)), 0);
    }
}
