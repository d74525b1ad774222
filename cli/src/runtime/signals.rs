//! Ctrl-C and SIGTERM, watched from the first moment of a run.
//!
//! - The first signal asks the run to stop: during startup it ends the run before any order
//!   is sent (with a message and the journal sealed); while running, the engine cancels its
//!   orders, the journal is sealed and the closing check reads the account.
//! - The second means "exit now": no more cancels, but one fresh read of the account (at most
//!   [`CONFIRM_TIMEOUT`]) counts the orders of ours still resting; the count is printed and
//!   the process exits 3 if any rest or the read fails, 0 if none rest. The write-ahead log
//!   recovers on the journal's next open.
//! - A third exits at once with 3 (nothing confirmed).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use kalshi_io::exec::Executor;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::shutdown::confirm_account;
use crate::exit_code::{EXIT_OK, EXIT_RESTING_ORDERS_LEFT};

/// How long the second signal's account read may take before the exit assumes the worst.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(5);

/// The signal watcher of a run. See the module documentation.
pub struct SignalWatch {
    seen: watch::Receiver<u32>,
    account: Arc<OnceLock<Executor>>,
    task: JoinHandle<()>,
}

impl SignalWatch {
    /// Starts watching.
    pub fn spawn() -> SignalWatch {
        let (seen_tx, seen) = watch::channel(0u32);
        let account: Arc<OnceLock<Executor>> = Arc::new(OnceLock::new());
        let task = tokio::spawn(watch_signals(seen_tx, Arc::clone(&account)));
        SignalWatch {
            seen,
            account,
            task,
        }
    }

    /// The number of signals seen so far, as a channel the event loop can wait on.
    pub fn counter(&self) -> watch::Receiver<u32> {
        self.seen.clone()
    }

    /// From now on a second signal reads the account through `executor` before exiting
    /// (call once orders may be sent).
    pub fn confirm_with(&self, executor: Executor) {
        let _ = self.account.set(executor);
    }

    /// Waits until a stop is asked for.
    pub async fn stopped(&self) {
        let mut seen = self.seen.clone();
        let _ = seen.wait_for(|count| *count > 0).await;
    }
}

impl Drop for SignalWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn watch_signals(seen: watch::Sender<u32>, account: Arc<OnceLock<Executor>>) {
    let mut count = 0u32;
    loop {
        if !next_signal().await {
            return;
        }
        count += 1;
        seen.send_replace(count);
        match count {
            1 => crate::logging::warn(
                "stopping: cancelling our orders and sealing the journal \
                 (signal again to exit at once)",
            ),
            2 => {
                let account = account.get().cloned();
                tokio::spawn(exit_now(account));
            }
            _ => {
                crate::logging::warn(
                    "exiting without confirming the account: treat orders of ours as still \
                     resting",
                );
                std::process::exit(EXIT_RESTING_ORDERS_LEFT);
            }
        }
    }
}

/// The second signal: one fresh read of the account, the count printed, then exit.
async fn exit_now(account: Option<Executor>) {
    let Some(executor) = account else {
        crate::logging::warn(
            "exiting at once: this run sent no order; the journal recovers on its next open",
        );
        std::process::exit(EXIT_OK);
    };
    crate::logging::warn("exiting at once: reading the account for orders of ours still resting");
    let code = match tokio::time::timeout(CONFIRM_TIMEOUT, confirm_account(&executor)).await {
        Ok(Ok(check)) => {
            let resting = check.resting_ours.len();
            crate::logging::warn(&format!(
                "{resting} order(s) of ours still rest on the exchange; {} position(s) open; \
                 the journal recovers on its next open",
                check.positions.len()
            ));
            if resting > 0 {
                EXIT_RESTING_ORDERS_LEFT
            } else {
                EXIT_OK
            }
        }
        Ok(Err(error)) => {
            crate::logging::warn(&format!(
                "could not read the account ({error:#}): treat orders of ours as still resting"
            ));
            EXIT_RESTING_ORDERS_LEFT
        }
        Err(_) => {
            crate::logging::warn(&format!(
                "the account read took over {} s: treat orders of ours as still resting",
                CONFIRM_TIMEOUT.as_secs()
            ));
            EXIT_RESTING_ORDERS_LEFT
        }
    };
    std::process::exit(code);
}

/// Waits for Ctrl-C or SIGTERM; false when signals cannot be watched.
async fn next_signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut terminate) = signal(SignalKind::terminate()) else {
            return tokio::signal::ctrl_c().await.is_ok();
        };
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.is_ok(),
            received = terminate.recv() => received.is_some(),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}
