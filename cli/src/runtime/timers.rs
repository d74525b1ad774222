//! Inputs the runtime itself produces — timers, rescans, results of background REST reads,
//! shutdown requests — and the tasks that produce the periodic ones. Timer events are journaled
//! like any other input; the engine never reads a clock.

use std::time::Duration;

use kalshi_core::events::{Event, TimerKind};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::clock::{next_utc_midnight_ns, now_ns};

/// Why the run is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The run lasted the `--duration` it was given.
    DurationElapsed,
    /// Ctrl-C or SIGTERM.
    Signal,
    /// The WebSocket task ended for good (e.g. the key was refused).
    FeedLost,
}

impl StopReason {
    /// The journal's `RunEnded` reason.
    pub const fn as_str(self) -> &'static str {
        match self {
            StopReason::DurationElapsed => "duration_elapsed",
            StopReason::Signal => "signal",
            StopReason::FeedLost => "feed_lost",
        }
    }
}

/// One runtime-produced input.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A timer fired at `fired_ts_ns`.
    Timer {
        /// When it fired, Unix ns.
        fired_ts_ns: i64,
        /// Which timer.
        kind: TimerKind,
    },
    /// Time for a listing rescan.
    RescanDue,
    /// Events read over REST in the background.
    Events {
        /// When the read finished, Unix ns.
        recv_ts_ns: i64,
        /// The events, in order.
        events: Vec<Event>,
    },
    /// The account as read by the reconciler for request `ticket` (the missed fills, then an
    /// `Event::Reconciled`); stepped only when no newer reconnect made it stale.
    Reconciliation {
        /// Which request it answers.
        ticket: u64,
        /// When the read finished, Unix ns.
        recv_ts_ns: i64,
        /// The fills read (oldest first), then the `Reconciled` event.
        events: Vec<Event>,
    },
    /// Stop the run.
    Stop(StopReason),
    /// Lines read from the model file ([`super::model_feed`]), checked and journaled by the
    /// event loop.
    Model {
        /// When they were read, Unix ns.
        recv_ts_ns: i64,
        /// The lines, in file order.
        lines: Vec<super::model_line::ReadLine>,
    },
}

/// Sends `Timer{Tick}` every `interval`. Ticks are dropped (not queued) while the sequencer
/// is behind: a late tick carries no information a newer one does not.
pub fn spawn_ticks(interval: Duration, inputs: mpsc::Sender<Input>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let input = Input::Timer {
                fired_ts_ns: now_ns(),
                kind: TimerKind::Tick,
            };
            match inputs.try_send(input) {
                Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
                Err(mpsc::error::TrySendError::Closed(_)) => return,
            }
        }
    })
}

/// Sends `Timer{DailyReset}` at every UTC midnight (never dropped).
pub fn spawn_daily_reset(inputs: mpsc::Sender<Input>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let midnight_ns = next_utc_midnight_ns(now_ns());
            // Sleep until the wall clock has really passed midnight (a sleep may end early
            // on a coarse clock), so one day never gets two resets.
            loop {
                let left_ns = midnight_ns.saturating_sub(now_ns());
                if left_ns <= 0 {
                    break;
                }
                let left = u64::try_from(left_ns).unwrap_or(0);
                tokio::time::sleep(Duration::from_nanos(left)).await;
            }
            let input = Input::Timer {
                fired_ts_ns: now_ns(),
                kind: TimerKind::DailyReset,
            };
            if inputs.send(input).await.is_err() {
                return;
            }
        }
    })
}

/// Asks for a rescan every `interval` (skipped while one is still queued).
pub fn spawn_rescans(interval: Duration, inputs: mpsc::Sender<Input>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            match inputs.try_send(Input::RescanDue) {
                Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
                Err(mpsc::error::TrySendError::Closed(_)) => return,
            }
        }
    })
}

/// Sends `Stop(DurationElapsed)` after `duration`.
pub fn spawn_deadline(duration: Duration, inputs: mpsc::Sender<Input>) -> JoinHandle<()> {
    tokio::spawn(async move {
        tokio::time::sleep(duration).await;
        let _ = inputs.send(Input::Stop(StopReason::DurationElapsed)).await;
    })
}

/// Seconds as a `Duration` of at least one millisecond.
pub fn seconds(value: u64) -> Duration {
    Duration::from_secs(value).max(Duration::from_millis(1))
}
