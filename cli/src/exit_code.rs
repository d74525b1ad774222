//! Process exit codes of the trading commands, and the refusal error that maps to code 2.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success; for `run-strategy`, no resting order of ours was left on the exchange |
//! | 1 | an error (network, journal, configuration file …) |
//! | 2 | refused before any network traffic: unsafe or inconsistent settings |
//! | 3 | `run-strategy` ended but resting orders of ours remain (or could not be confirmed gone); also after a second signal, a failed run or a failed seal when a fresh read finds any |
//! | 4 | `run-strategy --require-flat` ended with open positions |
//! | 5 | startup reconciliation failed: the engine never traded |
//! | 6 | `run-strategy` ended HALTED by the risk gate (daily loss stop, kill switch, an operator's halt); nothing of ours rests |
//! | 7 | a journal read from object storage (`s3://…`) is a torn upload: its manifest names a segment the bucket lacks (every command that reads a journal) |
//!
//! Whichever way `run-strategy` ends — `--duration`, a signal, a second signal, a journal that
//! cannot be written (disk full), a seal that fails — the account is read afresh where the
//! network allows, the number of orders of ours still resting is printed, and the exit code
//! is 3 if any rest (or the read failed), 0 if none rest. The exit code speaks for the account:
//! a run that failed (e.g. disk full) or a journal that could not be sealed is reported on its
//! own `error:` line on stderr and in the summary, not through the code, so a supervisor sees
//! at once whether orders are left on the exchange.

use std::fmt;

/// Success.
pub const EXIT_OK: i32 = 0;
/// A failure (also: the live feed was lost during a run).
pub const EXIT_FAILURE: i32 = 1;
/// Settings refused before any network traffic.
pub const EXIT_REFUSED: i32 = 2;
/// Resting orders remain after shutdown.
pub const EXIT_RESTING_ORDERS_LEFT: i32 = 3;
/// Positions remain after shutdown and `--require-flat` was given.
pub const EXIT_POSITIONS_LEFT: i32 = 4;
/// Startup reconciliation failed; nothing was traded.
pub const EXIT_RECONCILE_FAILED: i32 = 5;
/// The run ended HALTED by the risk gate (daily loss stop, kill switch or an operator's halt):
/// nothing of ours rests, but the bot stopped trading before the end and needs a look.
pub const EXIT_HALTED: i32 = 6;
/// A journal in object storage is a torn upload (a segment its manifest names is missing).
pub const EXIT_TORN_UPLOAD: i32 = 7;

/// A refusal to start: the settings are unsafe or contradict each other. Raised before any
/// request leaves the process; exits with [`EXIT_REFUSED`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    message: String,
}

impl Refusal {
    /// A refusal with an explanation of what to change.
    pub fn new(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refusing to start: {}", self.message)
    }
}

impl std::error::Error for Refusal {}

/// Turns a command's result into the process outcome: `Ok(0)` returns normally, another code
/// exits with it, a [`Refusal`] prints its message and exits with [`EXIT_REFUSED`], and any
/// other error prints `error:` with its chain of causes on one line (one JSON line with
/// `--log-format json`) and exits with
/// [`EXIT_FAILURE`] (no backtrace dump, whatever `RUST_BACKTRACE` says).
pub fn finish(result: anyhow::Result<i32>) -> anyhow::Result<()> {
    match result {
        Ok(EXIT_OK) => Ok(()),
        Ok(code) => std::process::exit(code),
        Err(error) => match error.downcast_ref::<Refusal>() {
            Some(refusal) => {
                crate::logging::error(&refusal.to_string());
                std::process::exit(EXIT_REFUSED);
            }
            None => {
                crate::logging::error(&format!("{error:#}"));
                std::process::exit(EXIT_FAILURE);
            }
        },
    }
}

/// [`finish`] for commands whose success has no code of its own.
pub fn finish_unit(result: anyhow::Result<()>) -> anyhow::Result<()> {
    finish(result.map(|()| EXIT_OK))
}

/// How a trading run ended, as far as its exit code cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradingRunEnd {
    /// Orders of ours the closing read found resting (`None`: the account could not be read).
    pub resting_ours: Option<usize>,
    /// Positions the closing read found open.
    pub open_positions: usize,
    /// `--require-flat` was given.
    pub require_flat: bool,
    /// The live feed was lost for good.
    pub feed_lost: bool,
    /// The risk state at the end was HALTED.
    pub halted: bool,
    /// `--require-orders` was given and the run placed none.
    pub no_orders_required: bool,
}

impl TradingRunEnd {
    /// The exit code, first match wins: orders left resting or unconfirmed (3), positions
    /// under `--require-flat` (4), the feed lost (1), HALTED (6), no order under
    /// `--require-orders` (1), else 0.
    pub fn exit_code(self) -> i32 {
        match self.resting_ours {
            None => EXIT_RESTING_ORDERS_LEFT,
            Some(resting) if resting > 0 => EXIT_RESTING_ORDERS_LEFT,
            Some(_) if self.require_flat && self.open_positions > 0 => EXIT_POSITIONS_LEFT,
            Some(_) if self.feed_lost => EXIT_FAILURE,
            Some(_) if self.halted => EXIT_HALTED,
            Some(_) if self.no_orders_required => EXIT_FAILURE,
            Some(_) => EXIT_OK,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean() -> TradingRunEnd {
        TradingRunEnd {
            resting_ours: Some(0),
            open_positions: 0,
            require_flat: false,
            feed_lost: false,
            halted: false,
            no_orders_required: false,
        }
    }

    #[test]
    fn a_trading_run_exits_by_the_first_thing_that_needs_a_look() {
        assert_eq!(clean().exit_code(), EXIT_OK);
        let halted = TradingRunEnd {
            halted: true,
            ..clean()
        };
        assert_eq!(halted.exit_code(), EXIT_HALTED);
        // Orders left on the exchange outrank everything, an unread account included.
        for resting_ours in [None, Some(2)] {
            let run = TradingRunEnd {
                resting_ours,
                ..halted
            };
            assert_eq!(run.exit_code(), EXIT_RESTING_ORDERS_LEFT);
        }
        let not_flat = TradingRunEnd {
            open_positions: 1,
            require_flat: true,
            ..halted
        };
        assert_eq!(not_flat.exit_code(), EXIT_POSITIONS_LEFT);
        // Open positions matter only under --require-flat.
        let held = TradingRunEnd {
            open_positions: 1,
            ..clean()
        };
        assert_eq!(held.exit_code(), EXIT_OK);
        let lost = TradingRunEnd {
            feed_lost: true,
            ..halted
        };
        assert_eq!(lost.exit_code(), EXIT_FAILURE);
        let idle = TradingRunEnd {
            no_orders_required: true,
            ..clean()
        };
        assert_eq!(idle.exit_code(), EXIT_FAILURE);
        assert_eq!(
            TradingRunEnd {
                no_orders_required: true,
                ..halted
            }
            .exit_code(),
            EXIT_HALTED
        );
    }
}
