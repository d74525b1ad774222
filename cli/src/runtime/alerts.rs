//! The alert hook (`run-strategy --on-alert CMD`): CMD runs through `sh -c` with one JSON
//! payload on its stdin for each HALT, fill-burst trip, feed outage, reconciliation failure
//! and the run's end.
//!
//! The event loop never waits for it: [`Alerter::raise`] queues the payload (a full queue
//! drops it, counted and logged) and one worker thread runs the commands in order, each
//! stopped after [`COMMAND_TIMEOUT`]. The command inherits no secret: its environment is
//! cleared down to `PATH` and `HOME`, and payloads carry figures, never keys or tokens.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Payloads waiting for the worker.
const QUEUE: usize = 64;
/// Longest a command may run before it is killed.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The risk state became HALTED.
    Halt,
    /// The fill-burst breaker tripped.
    FillBurst,
    /// The feed was lost or its inputs went stale.
    FeedOutage,
    /// A reconciliation with the exchange failed.
    ReconciliationFailure,
    /// The run ended.
    RunEnd,
}

/// Feed outages followed through the inputs: one begins with `FeedReconnected` or
/// `FeedLag { stale: true }` and ends with `Reconciled` or `FeedLag { stale: false }`; it is
/// due for one alert once it has lasted the threshold (checked at every input, timer ticks
/// included, so a silent feed is noticed too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutageWatch {
    alert_after_ns: i64,
    /// The outage in progress: when it began, its first cause, whether it was alerted.
    current: Option<(i64, &'static str, bool)>,
}

impl OutageWatch {
    /// Alerts an outage once it has lasted `alert_after` (zero: at once).
    pub fn new(alert_after: Duration) -> OutageWatch {
        OutageWatch {
            alert_after_ns: i64::try_from(alert_after.as_nanos()).unwrap_or(i64::MAX),
            current: None,
        }
    }

    /// Takes one input at `ts_ns`; returns the outage's cause and length when its alert is
    /// due now (once per outage).
    pub fn observe(
        &mut self,
        event: &kalshi_core::events::Event,
        ts_ns: i64,
    ) -> Option<(&'static str, i64)> {
        use kalshi_core::events::Event;
        match event {
            Event::FeedReconnected => {
                self.current.get_or_insert((ts_ns, "reconnect", false));
            }
            Event::FeedLag { stale: true, .. } => {
                self.current.get_or_insert((ts_ns, "stale_inputs", false));
            }
            Event::Reconciled { .. } | Event::FeedLag { stale: false, .. } => {
                self.current = None;
                return None;
            }
            _ => {}
        }
        let (since_ns, reason, alerted) = self.current.as_mut()?;
        let lasted_ns = ts_ns.saturating_sub(*since_ns);
        if *alerted || lasted_ns < self.alert_after_ns {
            return None;
        }
        *alerted = true;
        Some((*reason, lasted_ns))
    }
}

/// One payload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// What happened.
    pub kind: AlertKind,
    /// Why, in snake case (e.g. `daily_loss_stop`, `operator_halt`, `reconnect`).
    pub reason: String,
    /// The run.
    pub run_id: String,
    /// When, Unix ns.
    pub ts_ns: i64,
    /// Figures or details that go with it.
    pub detail: serde_json::Value,
}

/// The hook's sending side.
#[derive(Clone)]
pub struct Alerter {
    run_id: String,
    queue: SyncSender<Alert>,
    dropped: Arc<AtomicU64>,
    raised: Arc<AtomicU64>,
}

/// The worker thread; joined by [`AlertWorker::finish`].
pub struct AlertWorker {
    thread: JoinHandle<()>,
}

impl Alerter {
    /// Starts the worker running `command` for each alert of run `run_id`.
    pub fn start(command: String, run_id: String) -> (Alerter, AlertWorker) {
        let (queue, payloads) = sync_channel(QUEUE);
        let thread = std::thread::spawn(move || run_worker(&command, &payloads));
        (
            Alerter {
                run_id,
                queue,
                dropped: Arc::new(AtomicU64::new(0)),
                raised: Arc::new(AtomicU64::new(0)),
            },
            AlertWorker { thread },
        )
    }

    /// Queues an alert without waiting.
    pub fn raise(
        &self,
        kind: AlertKind,
        reason: impl Into<String>,
        ts_ns: i64,
        detail: serde_json::Value,
    ) {
        let alert = Alert {
            kind,
            reason: reason.into(),
            run_id: self.run_id.clone(),
            ts_ns,
            detail,
        };
        match self.queue.try_send(alert) {
            Ok(()) => {
                self.raised.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(alert) | TrySendError::Disconnected(alert)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(kind = ?alert.kind, "alert hook busy; alert dropped");
            }
        }
    }

    /// Alerts queued so far.
    pub fn raised(&self) -> u64 {
        self.raised.load(Ordering::Relaxed)
    }

    /// Alerts dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl AlertWorker {
    /// Waits (at most `timeout`) for the queued alerts to be delivered; every [`Alerter`]
    /// must be dropped first.
    pub fn finish(self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.thread.is_finished() {
            if Instant::now() >= deadline {
                tracing::warn!("alert hook still running at exit; not waiting for it");
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.thread.join();
    }
}

fn run_worker(command: &str, payloads: &Receiver<Alert>) {
    while let Ok(alert) = payloads.recv() {
        let payload = match serde_json::to_vec(&alert) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(%error, "alert payload could not be encoded");
                continue;
            }
        };
        if let Err(error) = run_once(command, &payload) {
            tracing::warn!(kind = ?alert.kind, error = %format!("{error:#}"), "alert hook failed");
        }
    }
}

/// Runs `command` once with `payload` on stdin; kills it after [`COMMAND_TIMEOUT`].
fn run_once(command: &str, payload: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .env_clear()
        .envs(
            ["PATH", "HOME"]
                .iter()
                .filter_map(|name| std::env::var_os(name).map(|value| (*name, value))),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the alert command")?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that ignores its stdin may close it early; that is its choice.
        let _ = stdin
            .write_all(payload)
            .and_then(|()| stdin.write_all(b"\n"));
    }
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("waiting for the alert command")? {
            if !status.success() {
                anyhow::bail!("the alert command exited with {status}");
            }
            return Ok(());
        }
        if started.elapsed() > COMMAND_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!(
                "the alert command ran over {} s and was killed",
                COMMAND_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_alerts_once_after_the_threshold_and_not_at_all_when_shorter() {
        use kalshi_core::events::{Event, TimerKind};
        const S: i64 = 1_000_000_000;
        let tick = Event::Timer {
            kind: TimerKind::Tick,
        };
        let mut watch = OutageWatch::new(Duration::from_secs(10));
        assert_eq!(watch.observe(&Event::FeedReconnected, 0), None);
        assert_eq!(watch.observe(&tick, 9 * S), None);
        assert_eq!(watch.observe(&tick, 10 * S), Some(("reconnect", 10 * S)));
        assert_eq!(watch.observe(&tick, 11 * S), None, "once per outage");
        let reconciled = Event::Reconciled {
            orders: Vec::new(),
            positions: Vec::new(),
        };
        assert_eq!(watch.observe(&reconciled, 12 * S), None);
        // A short one: over before the threshold, never alerted.
        assert_eq!(
            watch.observe(
                &Event::FeedLag {
                    lag_ms: 3000,
                    stale: true
                },
                20 * S
            ),
            None
        );
        assert_eq!(
            watch.observe(
                &Event::FeedLag {
                    lag_ms: 10,
                    stale: false
                },
                25 * S
            ),
            None
        );
        assert_eq!(watch.observe(&tick, 40 * S), None);
        // Threshold 0: at once.
        let mut eager = OutageWatch::new(Duration::ZERO);
        assert_eq!(
            eager.observe(&Event::FeedReconnected, 5),
            Some(("reconnect", 0))
        );
    }

    #[test]
    fn each_alert_runs_the_command_once_with_its_payload_on_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("alerts.jsonl");
        let command = format!("cat >> '{}'", out.display());
        let (alerter, worker) = Alerter::start(command, "run-x".to_string());
        alerter.raise(
            AlertKind::Halt,
            "daily_loss_stop",
            5,
            serde_json::json!({"day_realized_net_micros": -12}),
        );
        alerter.raise(
            AlertKind::RunEnd,
            "duration_elapsed",
            6,
            serde_json::json!({}),
        );
        assert_eq!(alerter.raised(), 2);
        drop(alerter);
        worker.finish(Duration::from_secs(20));
        let text = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["kind"], "halt");
        assert_eq!(lines[0]["reason"], "daily_loss_stop");
        assert_eq!(lines[0]["run_id"], "run-x");
        assert_eq!(lines[1]["kind"], "run_end");
    }

    #[test]
    fn the_command_sees_no_secret_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("env.txt");
        let command = format!("env > '{}'", out.display());
        assert!(std::env::var_os("PATH").is_some());
        run_once(&command, b"{}").unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(!text.contains("KALSHI"), "{text}");
        assert!(text.lines().any(|line| line.starts_with("PATH=")));
    }
}
