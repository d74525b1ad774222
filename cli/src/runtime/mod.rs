//! The live runtime: the sequencer of DESIGN.md §1 and everything around it.
//!
//! - [`sequencer`] — the single writer: stamp, journal, `Engine::process`, journal outputs,
//!   hand commands to exec;
//! - the three phases of a run: [`startup`] (subscribe, snapshots, exec, reconcile; the entry
//!   is [`startup::run`]), [`running`] (the event loop merging every input channel, one
//!   `handle` per input) and [`shutdown`] (drain, cancel, the closing check, seal, summary,
//!   exit code);
//! - [`exec_task`] — the order workers;
//! - [`market_data`] — REST listing, snapshots, reconciliation, and the background reader;
//! - [`universe_load`] — what a run reads before trading: listing with fees, universe, books;
//! - [`fees`] — the fee directory: every listed market's fee parameters and scheduled changes;
//! - [`timers`] — ticks, daily resets, rescans, deadlines;
//! - [`signals`] — Ctrl-C and SIGTERM: stop, exit now with a confirmed count, exit at once;
//! - [`lag_guard`] — the staleness guard: no decision on inputs older than the bound;
//! - [`drift`] — the drift monitor's queue-position reads;
//! - [`status`] — the status line;
//! - [`control`] — the operator's control channel (`kalshi-bot ctl`);
//! - [`metrics`] — the Prometheus endpoint (`--metrics-addr`);
//! - [`alerts`] — the alert hook (`--on-alert`);
//! - [`model_feed`] — an external model's probabilities from a followed file;
//! - [`target`] — which exchange, and the safety checks before any traffic;
//! - [`local_exchange`] — the in-process simulator of `--sim`;
//! - [`resume`] — restoring the risk state of the previous run;
//! - [`clock`] — the wall clock (the only one; the engine never reads it).

pub mod alerts;
pub mod clock;
pub mod control;
pub mod drift;
pub mod exec_task;
pub mod fees;
pub mod lag_guard;
pub mod local_exchange;
pub mod market_data;
pub mod metrics;
pub mod model_feed;
pub mod model_line;
pub mod order_group;
pub mod per_market_reads;
pub mod resume;
pub mod risk_file;
pub mod run_options;
pub mod running;
pub mod sequencer;
pub mod shutdown;
pub mod signals;
pub mod startup;
pub mod status;
pub mod target;
pub mod timers;
pub mod trade_history;
pub mod universe_load;
