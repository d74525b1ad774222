//! The shutdown phase, in the order that keeps the account safe:
//!
//! 1. the exec workers switch to shutdown mode (cancels first, new writes dropped);
//! 2. a paper run's engine cancels inside the simulator; a run with real orders tells the
//!    engine to shut down and processes outcomes until none of ours may rest (or
//!    `runtime.shutdown_timeout_s`), then keeps reading for [`SETTLE_PERIOD`] so late fills are
//!    journaled, and the closing check reads the account and cancels what is left
//!    ([`account`]);
//! 3. the background tasks, the control channel, the metrics endpoint and the socket stop;
//!    outcomes still queued are journaled;
//! 4. the journal is sealed and verified and the summary printed ([`finish`], [`summary`]);
//!    the alert hook hears of the end;
//! 5. the exit code says how the run ended (orders left, positions under `--require-flat`,
//!    the feed lost, HALTED, no order under `--require-orders`).
//!
//! A run whose loop failed goes through [`after_failure`] instead: every order of ours is
//! cancelled without journaling and the journal is left for recovery.

mod account;
mod finish;
mod paper;
mod summary;

pub use account::{AccountCheck, closing_check, confirm_account, emergency_stop};
pub use summary::{RunSummary, why_no_orders};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kalshi_core::risk::RiskState;
use kalshi_io::exec::Executor;
use tokio::sync::mpsc;

use super::alerts::{AlertKind, Alerter};
use super::clock::now_ns;
use super::exec_task::{ExecPool, ExecReport};
use super::model_line::ModelCounters;
use super::run_options::{Purpose, RunOptions};
use super::running::EventLoop;
use super::running::start::Running;
use super::sequencer::{NoCommands, Sequencer};
use super::status::figures;
use super::timers::{StopReason, seconds};
use crate::exit_code::{EXIT_FAILURE, EXIT_HALTED, EXIT_OK, EXIT_POSITIONS_LEFT, TradingRunEnd};

/// How long shutdown keeps reading after the last cancel is acknowledged, so fills and order
/// updates already in flight are journaled.
const SETTLE_PERIOD: Duration = Duration::from_secs(1);

/// What the run's health was, read before the socket closes.
struct Health {
    /// The WebSocket's line (`ws: reconnects=… gaps=…`).
    websocket: String,
    /// Times the inputs became stale.
    stale_episodes: u64,
    /// Model lines accepted and refused (runs that follow a model file).
    model: Option<ModelCounters>,
}

/// What the sealed run came to, for the exit code.
struct Ended {
    halted: bool,
    /// A trading run that placed no order.
    no_orders: bool,
    /// The name of the halt's reason, when HALTED.
    halt_reason: Option<String>,
}

/// Runs the shutdown phase of a run the loop ended with `stop`; returns the exit code.
pub async fn run(
    options: &RunOptions,
    running: Running,
    stop: StopReason,
    journal_dir: &Path,
    alerter: Option<&Alerter>,
) -> anyhow::Result<i32> {
    let Running {
        mut event_loop,
        tasks,
        control,
        metrics,
        pool,
        executor,
    } = running;
    tracing::info!(reason = stop.as_str(), "stopping");
    if let Some(pool) = &pool {
        pool.begin_shutdown();
    }
    let account = cancel_and_check(options, &mut event_loop, executor.as_ref()).await?;
    tasks.stop().await;
    if let Some(control) = control {
        control.stop();
    }
    if let Some(metrics) = metrics {
        metrics.stop();
    }
    let health = Health {
        websocket: event_loop.ws_health().line(),
        stale_episodes: event_loop.stale_episodes(),
        model: options
            .outside
            .model_file
            .is_some()
            .then(|| event_loop.model_counters().clone()),
    };
    if let Err(error) = event_loop.ws.shutdown().await {
        tracing::warn!(%error, "WebSocket task ended with an error");
    }
    // Outcomes still queued are journaled before the end.
    if let Some(pool) = pool {
        let reports = event_loop.exec_reports.as_mut();
        journal_late_outcomes(&mut event_loop.sequencer, pool, reports).await?;
    }
    let ended = seal_and_summarize(
        options,
        event_loop.sequencer,
        stop,
        account.as_ref(),
        health,
        journal_dir,
        alerter,
    );
    Ok(exit_code(options, stop, account.as_ref(), &ended))
}

/// Cancels every order of ours (inside the simulator for a paper run; at the exchange for a
/// run with real orders, then the settle period and the closing check). Returns the account
/// at the end (`None`: never traded for real, or it could not be read).
async fn cancel_and_check(
    options: &RunOptions,
    event_loop: &mut EventLoop,
    executor: Option<&Executor>,
) -> anyhow::Result<Option<AccountCheck>> {
    let runtime = &options.runtime;
    let mut account: Option<AccountCheck> = None;
    if options.paper().is_some() {
        account = Some(paper::shut_down_paper(&mut event_loop.sequencer)?);
    }
    if let Some(executor) = executor {
        let timeout = seconds(runtime.shutdown_timeout_s);
        match event_loop.shut_down_engine(timeout).await {
            Ok(true) => tracing::info!("every order of ours is cancelled or done"),
            Ok(false) => tracing::warn!(
                open = event_loop.sequencer.open_orders(),
                "some orders were not confirmed cancelled in time; using the backstop"
            ),
            Err(error) => tracing::error!(error = %format!("{error:#}"), "shutdown step failed"),
        }
        if let Err(error) = event_loop.settle(SETTLE_PERIOD).await {
            tracing::error!(error = %format!("{error:#}"), "processing late updates failed");
        }
        let held_lookups = event_loop.sequencer.held_lookups();
        if held_lookups > 0 {
            tracing::warn!(
                held_lookups,
                "order lookups the exec queue never took; the closing check reads the account"
            );
        }
        event_loop.sequencer.set_sink(Box::new(NoCommands));
        account = closing_check(
            executor,
            &mut event_loop.sequencer,
            runtime.shutdown_cancel_all,
        )
        .await?;
    }
    Ok(account)
}

/// Closes the exec pool (its workers finish what is queued) and journals every outcome still
/// in `reports`.
async fn journal_late_outcomes(
    sequencer: &mut Sequencer,
    pool: Arc<ExecPool>,
    reports: Option<&mut mpsc::Receiver<ExecReport>>,
) -> anyhow::Result<()> {
    sequencer.set_sink(Box::new(NoCommands));
    if let Ok(pool) = Arc::try_unwrap(pool) {
        pool.close().await;
    }
    if let Some(reports) = reports {
        while let Ok(report) = reports.try_recv() {
            for event in report.events {
                sequencer.step(report.recv_ts_ns, event, None)?;
            }
        }
    }
    Ok(())
}

/// Seals and verifies the journal (after the drift report is written), prints the summary
/// and tells the alert hook the run ended.
fn seal_and_summarize(
    options: &RunOptions,
    mut sequencer: Sequencer,
    stop: StopReason,
    account: Option<&AccountCheck>,
    health: Health,
    journal_dir: &Path,
    alerter: Option<&Alerter>,
) -> Ended {
    let final_figures = figures(&sequencer);
    let halt_reason = finish::halt_reason_name(sequencer.engine());
    let counters = sequencer.counters().clone();
    let no_orders = options.is_trading() && counters.places == 0;
    let no_orders_why = no_orders.then(|| why_no_orders(&sequencer, &final_figures));
    let run_id = options.engine.run_id.to_string();
    sequencer.settle_drift();
    let drift = sequencer.drift_report();
    if let Some(report) = &drift {
        super::drift::write_report(journal_dir, report);
    }
    let journal_entries = finish::seal_and_verify(sequencer, journal_dir, stop.as_str());
    let summary = RunSummary {
        run_id: &run_id,
        journal_dir,
        stop: stop.as_str(),
        counters: &counters,
        figures: &final_figures,
        account,
        journal_entries,
        websocket: Some(health.websocket),
        stale_episodes: health.stale_episodes,
        model: health.model,
    };
    finish::print_summary(options, &summary, no_orders_why.as_deref(), drift.as_ref());
    if let Some(alerter) = alerter {
        alerter.raise(
            AlertKind::RunEnd,
            stop.as_str(),
            now_ns(),
            serde_json::json!({
                "inputs": counters.inputs,
                "orders_placed": counters.places,
                "fills": counters.fills,
                "risk": final_figures.risk_state.as_str(),
                "pnl_total_micros": final_figures.pnl.total.micros(),
                "resting_ours": account.map(|check| check.resting_ours.len()),
            }),
        );
    }
    Ended {
        halted: final_figures.risk_state == RiskState::Halted,
        no_orders,
        halt_reason,
    }
}

/// The process exit code of a run that ended with `stop` (always 0 for a recording), and why
/// when it is not 0.
fn exit_code(
    options: &RunOptions,
    stop: StopReason,
    account: Option<&AccountCheck>,
    ended: &Ended,
) -> i32 {
    let Purpose::Trade {
        require_flat,
        require_orders,
        ..
    } = options.purpose
    else {
        return EXIT_OK;
    };
    let end = TradingRunEnd {
        resting_ours: account.map(|check| check.resting_ours.len()),
        open_positions: account.map_or(0, |check| check.positions.len()),
        require_flat,
        feed_lost: stop == StopReason::FeedLost,
        halted: ended.halted,
        no_orders_required: require_orders && ended.no_orders,
    };
    let code = end.exit_code();
    if code == EXIT_POSITIONS_LEFT {
        crate::logging::error(&format!(
            "positions remain in {} market(s) at the end and --require-flat was given (see \
             `positions` above); no order of ours rests",
            end.open_positions
        ));
    } else if code == EXIT_HALTED {
        crate::logging::error(&format!(
            "the run ended HALTED by the risk gate ({}); nothing of ours rests",
            ended
                .halt_reason
                .as_deref()
                .unwrap_or("see the journal's risk decisions")
        ));
    } else if end.no_orders_required && code == EXIT_FAILURE && !end.feed_lost {
        crate::logging::error("the run placed no order (--require-orders); see `no orders` above");
    }
    code
}

/// Ends a run whose loop failed with `error`: the tasks beside it stop, the alert hook hears
/// of it, every order of ours is cancelled without journaling (the journal is left for
/// recovery on its next open). Returns the exit code of the emergency stop.
pub async fn after_failure(
    options: &RunOptions,
    running: Running,
    error: anyhow::Error,
    journal_dir: &Path,
    alerter: Option<&Alerter>,
) -> i32 {
    tracing::error!(error = %format!("{error:#}"), "the run failed; cancelling our orders without journaling");
    running.tasks.stop().await;
    if let Some(control) = running.control {
        control.stop();
    }
    if let Some(metrics) = running.metrics {
        metrics.stop();
    }
    if let Some(alerter) = alerter {
        alerter.raise(
            AlertKind::RunEnd,
            "failed",
            now_ns(),
            serde_json::json!({ "error": format!("{error:#}") }),
        );
    }
    let code = match &running.executor {
        Some(executor) => emergency_stop(executor, options.runtime.shutdown_cancel_all).await,
        None => EXIT_OK,
    };
    crate::logging::error(&format!(
        "the run failed: {error:#}\nthe journal in {} was not sealed; it \
         recovers on its next open (`kalshi-bot journal seal`)",
        journal_dir.display()
    ));
    code
}
