//! Progress reporting: drivers call a sink; the CLI draws the bar.

/// How far a long-running job has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// What is running (`backtest`, `verify`, `sweep`).
    pub stage: &'static str,
    /// Units done.
    pub done: u64,
    /// Units in total (0 when unknown).
    pub total: u64,
}

/// Receives progress updates; shared across sweep threads, hence `Sync` and `&self`.
pub trait ProgressSink: Sync {
    /// Called every few thousand units and once at the end.
    fn update(&self, progress: Progress);
}

/// A sink that ignores every update.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn update(&self, _progress: Progress) {}
}

/// Units between two updates.
pub const PROGRESS_EVERY: u64 = 4_096;
