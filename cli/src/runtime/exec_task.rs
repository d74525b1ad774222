//! The exec task: a small pool of workers that send the engine's commands to the exchange
//! and report every outcome back to the sequencer as input events.
//!
//! - A market is always served by the same worker (chosen from its ticker), so a cancel can
//!   never overtake the create it cancels; markets are served in parallel across workers.
//! - Queues are bounded. A full queue is never waited on (the sequencer must not block on exec
//!   while exec waits on the sequencer): [`ExecPool::try_submit`] hands the command back and
//!   the sequencer journals a local refusal instead (see `sequencer.rs`).
//! - Outcomes (`OrderAck`, `OrderRejected`, `OrderUnknown`, `CancelAck`, `OrderSnapshot`,
//!   `OrderNotFound`) travel in an [`ExecReport`] stamped with the time the answer arrived.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kalshi_core::commands::Command;
use kalshi_core::events::Event;
use kalshi_io::exec::Executor;
use kalshi_io::ratelimit::cost_of;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::clock::now_ns;

/// The events one command produced, and when its answer arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecReport {
    /// When the answer arrived, Unix ns.
    pub recv_ts_ns: i64,
    /// The outcome as engine events (empty for a successful cancel-all or a failed lookup).
    pub events: Vec<Event>,
}

/// Write-bucket tokens spent recently, for the status line.
#[derive(Debug, Default)]
pub struct WriteUsage {
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
            while spent.len() > 100_000 {
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

/// Write-bucket tokens a command costs (lookups are reads and cost none here).
pub fn write_tokens(command: &Command) -> u32 {
    match command {
        Command::Place(_) => cost_of("POST", "/portfolio/events/orders", 0),
        Command::Amend(_) => cost_of("POST", "/portfolio/events/orders/id/amend", 0),
        Command::Decrease(_) => cost_of("POST", "/portfolio/events/orders/id/decrease", 0),
        Command::Cancel(_) => cost_of("DELETE", "/portfolio/events/orders/id", 0),
        Command::CancelAll => cost_of("DELETE", "/portfolio/events/orders", 0),
        Command::LookupOrder { .. } => 0,
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
    senders: Vec<mpsc::Sender<Command>>,
    workers: Vec<JoinHandle<()>>,
    usage: Arc<WriteUsage>,
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
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for index in 0..workers.max(1) {
            let (tx, rx) = mpsc::channel(capacity.max(1));
            senders.push(tx);
            handles.push(tokio::spawn(worker(
                index,
                executor.clone(),
                rx,
                reports.clone(),
                Arc::clone(&usage),
            )));
        }
        ExecPool {
            senders,
            workers: handles,
            usage,
        }
    }

    /// Queues a command on its market's worker without waiting; hands it back when the queue
    /// is full or the worker has stopped.
    pub fn try_submit(&self, command: Command) -> Result<(), Command> {
        let index = worker_for(ticker_of(&command), self.senders.len());
        let Some(sender) = self.senders.get(index) else {
            return Err(command);
        };
        sender.try_send(command).map_err(|error| match error {
            mpsc::error::TrySendError::Full(command)
            | mpsc::error::TrySendError::Closed(command) => command,
        })
    }

    /// Recent write-token usage.
    pub fn usage(&self) -> Arc<WriteUsage> {
        Arc::clone(&self.usage)
    }

    /// Stops accepting commands and waits for the workers to finish what is queued.
    pub async fn close(self) {
        drop(self.senders);
        for worker in self.workers {
            let _ = worker.await;
        }
    }
}

async fn worker(
    index: usize,
    executor: Executor,
    mut commands: mpsc::Receiver<Command>,
    reports: mpsc::Sender<ExecReport>,
    usage: Arc<WriteUsage>,
) {
    while let Some(command) = commands.recv().await {
        usage.record(write_tokens(&command));
        tracing::debug!(worker = index, command = %command, "sending");
        let events = executor.execute(&command).await;
        let report = ExecReport {
            recv_ts_ns: now_ns(),
            events,
        };
        if reports.send(report).await.is_err() {
            tracing::debug!(worker = index, "sequencer gone; exec worker stops");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn write_costs_follow_the_exchange_table() {
        assert_eq!(write_tokens(&Command::CancelAll), 2);
        assert_eq!(
            write_tokens(&Command::LookupOrder {
                client_order_id: kalshi_core::client_order_id::ClientOrderId::parse("kb-r-1")
                    .unwrap(),
                ticker: "M".to_string()
            }),
            0
        );
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
