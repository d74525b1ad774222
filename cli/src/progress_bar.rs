//! A [`ProgressSink`] for long replays, backtests and sweeps: a bar redrawn in place on stderr
//! when stderr is a terminal, otherwise one plain line at most every few seconds (so logs of
//! scripted runs stay short), and always a last line at the end. With `--log-format json`
//! each of those lines is a JSON event (`fields.message = "progress"`, with `stage`, `done`,
//! `total`, `percent`, `elapsed_ms`) and no bar is drawn.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kalshi_replay::progress::{Progress, ProgressSink};

/// Width of the bar in characters.
const BAR_WIDTH_CHARS: usize = 30;
/// Least time between two plain progress lines.
const LINE_INTERVAL: Duration = Duration::from_secs(5);
/// Least time between two redraws of the bar.
const REDRAW_INTERVAL: Duration = Duration::from_millis(100);

struct State {
    last_draw: Option<Instant>,
    drew_bar: bool,
}

/// Draws progress on stderr. Shared by sweep threads, hence the lock.
pub struct ProgressBar {
    terminal: bool,
    json: bool,
    started: Instant,
    state: Mutex<State>,
}

impl ProgressBar {
    /// A bar on stderr (plain lines when stderr is not a terminal).
    pub fn stderr() -> ProgressBar {
        let json = crate::logging::is_json();
        ProgressBar {
            terminal: std::io::stderr().is_terminal() && !json,
            json,
            started: Instant::now(),
            state: Mutex::new(State {
                last_draw: None,
                drew_bar: false,
            }),
        }
    }

    /// Ends the bar's line so later output starts on a fresh one.
    pub fn finish(&self) {
        if let Ok(mut state) = self.state.lock()
            && state.drew_bar
        {
            eprintln!();
            state.drew_bar = false;
        }
    }
}

/// `stage done/total (pct%)`, or `stage done` when the total is unknown.
fn describe(progress: &Progress) -> String {
    if progress.total == 0 {
        format!("{} {}", progress.stage, progress.done)
    } else {
        format!(
            "{} {}/{} ({}%)",
            progress.stage,
            progress.done,
            progress.total,
            percent(progress)
        )
    }
}

fn percent(progress: &Progress) -> u64 {
    if progress.total == 0 {
        0
    } else {
        (u128::from(progress.done.min(progress.total)) * 100 / u128::from(progress.total)) as u64
    }
}

/// The bar itself: `[#####.....]`.
fn bar(progress: &Progress) -> String {
    let filled = if progress.total == 0 {
        0
    } else {
        (u128::from(progress.done.min(progress.total)) * BAR_WIDTH_CHARS as u128
            / u128::from(progress.total)) as usize
    };
    format!(
        "[{}{}]",
        "#".repeat(filled),
        ".".repeat(BAR_WIDTH_CHARS - filled)
    )
}

impl ProgressSink for ProgressBar {
    fn update(&self, progress: Progress) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let now = Instant::now();
        let last = progress.total != 0 && progress.done >= progress.total;
        let interval = if self.terminal {
            REDRAW_INTERVAL
        } else {
            LINE_INTERVAL
        };
        let due = state
            .last_draw
            .is_none_or(|drawn| now.duration_since(drawn) >= interval);
        if !due && !last {
            return;
        }
        state.last_draw = Some(now);
        let elapsed_s = now.duration_since(self.started).as_secs_f64();
        let mut stderr = std::io::stderr().lock();
        if self.json {
            let fields = serde_json::json!({
                "stage": progress.stage,
                "done": progress.done,
                "total": progress.total,
                "percent": percent(&progress),
                "elapsed_ms": u64::try_from(now.duration_since(self.started).as_millis())
                    .unwrap_or(u64::MAX),
            });
            let _ = writeln!(
                stderr,
                "{}",
                crate::logging::json_line(crate::logging::Level::Info, "progress", fields)
            );
        } else if self.terminal {
            let _ = write!(
                stderr,
                "\r{} {}  {elapsed_s:.1}s\x1b[K",
                bar(&progress),
                describe(&progress)
            );
            state.drew_bar = true;
        } else {
            let _ = writeln!(stderr, "progress: {}  {elapsed_s:.1}s", describe(&progress));
        }
        let _ = stderr.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_in_proportion_and_never_overflows() {
        let at = |done, total| Progress {
            stage: "backtest",
            done,
            total,
        };
        assert_eq!(bar(&at(0, 10)), format!("[{}]", ".".repeat(30)));
        assert_eq!(
            bar(&at(5, 10)),
            format!("[{}{}]", "#".repeat(15), ".".repeat(15))
        );
        assert_eq!(bar(&at(12, 10)), format!("[{}]", "#".repeat(30)));
        assert_eq!(describe(&at(5, 10)), "backtest 5/10 (50%)");
        assert_eq!(describe(&at(7, 0)), "backtest 7");
    }
}
