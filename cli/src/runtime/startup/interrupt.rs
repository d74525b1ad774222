//! A signal during startup: each startup phase runs unless a stop was asked first, and the
//! journal's end reason says so.

use super::*;

/// A signal asked the run to stop before it started trading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoppedDuringStartup;

impl std::fmt::Display for StoppedDuringStartup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped by a signal during startup")
    }
}

impl std::error::Error for StoppedDuringStartup {}

/// Runs one startup phase unless a signal asks the run to stop first (then the phase is
/// dropped and [`StoppedDuringStartup`] returned).
pub(super) async fn unless_stopped<T>(
    signals: &SignalWatch,
    phase: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::select! {
        biased;
        () = signals.stopped() => Err(StoppedDuringStartup.into()),
        result = phase => result,
    }
}

/// The journal's `RunEnded` reason for a startup that ended with `error`.
pub(super) fn startup_end_reason(error: &anyhow::Error, otherwise: &'static str) -> &'static str {
    if error.is::<StoppedDuringStartup>() {
        "signal_during_startup"
    } else {
        otherwise
    }
}
