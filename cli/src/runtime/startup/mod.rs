//! Starting and stopping a run, in the order that keeps the account safe:
//!
//! 1. keys are loaded and their file permissions checked (refused before any traffic);
//! 2. `GET /exchange/status`, then (trading) `GET /account/limits` for the rate budgets;
//! 3. the journal is created with its `RunStarted` record, and the effective configuration is
//!    the first input (`Config`), followed (trading) by the previous run's risk state;
//! 4. the exchange status, then the market listing (`MarketListing`): the engine's scanner
//!    picks the quoted universe;
//! 5. the WebSocket is subscribed (books, trades, lifecycle, and for trading fills, orders and
//!    positions), REST snapshots of the chosen markets are fed, and startup waits for the socket
//!    to deliver, so nothing that happens after the reconciliation read can be missed;
//! 6. (trading) resting orders and positions are read over REST (`Reconciled`) — if that
//!    fails the run ends without trading; then the engine starts quoting;
//! 7. the running phase ([`super::running`]) runs until `--duration`, Ctrl-C or SIGTERM;
//! 8. the shutdown phase ([`super::shutdown`]): (trading) the engine cancels its orders, a
//!    REST backstop cancels anything left, a REST read confirms what remains; the journal is
//!    sealed and a summary printed.
//!
//! Here: `run` and `run_connected` (keys, exchange status, limits, the order group),
//! `journal.rs` (steps 3–4's journal and first inputs), `feed.rs` (listing, socket,
//! snapshots), `exec.rs` (the exec pool and the reconciliation), and `run_with_journal`, which
//! hands over from one phase to the next.
//!
//! Paper runs (`--paper`, see `paper.rs`) skip every step that touches the account (limits,
//! order group, risk state, private channels, reconciliation, backstop): they start flat and
//! their orders go to the in-process fill simulator.

mod connection;
mod exec;
mod feed;
mod interrupt;
mod journal;
mod paper;

pub use super::run_options::{
    MarketSelection, OutsideOptions, PAPER_ENVIRONMENT_PREFIX, Purpose, RunOptions, config_hash,
    make_run_id,
};
use connection::{Connection, PoolSink, connect, write_budget_10s};
pub use interrupt::StoppedDuringStartup;
use interrupt::{startup_end_reason, unless_stopped};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use kalshi_core::engine::Engine;
use kalshi_core::events::Event;
use kalshi_io::auth::ApiCredentials;
use kalshi_io::data_rest::{RestClient, RestConfig};
use kalshi_io::data_ws::{Channel, IoEvent, WsConfig, spawn_ws};
use kalshi_io::env::Endpoints;
use kalshi_io::exec::{ExecConfig, Executor};
use kalshi_io::ratelimit::{RateLimiter, TierLimits, UsageTier};
use kalshi_journal::{RunInfo, RunStarted, TypedJournalWriter, WalConfig};
use tokio::sync::mpsc;

use super::alerts::{AlertKind, Alerter};
use super::clock::now_ns;
use super::exec_task::{ExecPool, ExecReport};
use super::local_exchange::LocalExchange;
use super::market_data::reconcile;
use super::order_group;
use super::resume::restore_risk_state;
use super::running::start::{Exec, Feed, RunContext};
use super::sequencer::{CommandSink, NoCommands, Sequencer};
use super::shutdown;
use super::signals::SignalWatch;
use super::target::TargetKind;
use super::timers::seconds;
use super::universe_load::{activity_reads, fetch_snapshots, load_universe};
use crate::credentials::ConfiguredKey;
use crate::exit_code::{EXIT_OK, EXIT_RECONCILE_FAILED, Refusal};

/// Capacity of the exec-outcome channel.
const EXEC_REPORT_CAPACITY: usize = 4096;
/// How long the end of a run waits for the alert hook to deliver what is queued.
const ALERT_DRAIN_TIMEOUT: Duration = Duration::from_secs(15);

/// A startup phase that cannot go on: the run ends with this journal reason and returns the
/// error; the phase already stopped what it had started.
struct Aborted {
    reason: &'static str,
    error: anyhow::Error,
}

impl Aborted {
    /// Seals the journal with the reason; the error to return.
    fn end(self, sequencer: Sequencer) -> anyhow::Error {
        let _ = sequencer.finish(now_ns(), self.reason);
        self.error
    }
}

/// Runs a trading or recording session; returns the process exit code. Ctrl-C and SIGTERM
/// are watched from the first moment ([`SignalWatch`]): during startup they end the run
/// before any order is sent, with a message and exit code 0.
pub async fn run(mut options: RunOptions) -> anyhow::Result<i32> {
    let signals = SignalWatch::spawn();
    let result = match unless_stopped(&signals, connect(&options)).await {
        Ok(connection) => {
            let result = run_connected(&mut options, &connection, &signals).await;
            if let Some(local) = connection.local {
                local.stop().await;
            }
            result
        }
        Err(error) => Err(error),
    };
    match result {
        Err(error) if error.is::<StoppedDuringStartup>() => {
            crate::logging::note("stopped by a signal during startup: no order was sent");
            Ok(EXIT_OK)
        }
        other => other,
    }
}

async fn run_connected(
    options: &mut RunOptions,
    connection: &Connection,
    signals: &SignalWatch,
) -> anyhow::Result<i32> {
    let runtime = options.runtime.clone();
    let tier: UsageTier = runtime.rate_limit_tier.into();
    let limiter = Arc::new(RateLimiter::new(
        tier.limits(),
        runtime.rate_limit_margin_percent,
    ));
    let rest = RestClient::new(
        RestConfig::new(connection.endpoints.clone()),
        Some(Arc::clone(&connection.credentials)),
        Some(Arc::clone(&limiter)),
    )
    .context("building the REST client")?;

    let status = unless_stopped(signals, async {
        rest.get_exchange_status()
            .await
            .context("GET /exchange/status")
    })
    .await?;
    tracing::info!(
        api_base = connection.endpoints.api_base(),
        exchange_active = status.exchange_active,
        trading_active = status.trading_active,
        "exchange status"
    );
    let sends_orders = options.sends_orders();
    // The budgets in force: the configured tier's, or the ones the account reports.
    let mut tier_limits = tier.limits();
    if sends_orders && runtime.sync_account_limits {
        match unless_stopped(signals, async { Ok(rest.sync_rate_limits().await) }).await? {
            Ok(limits) => {
                tracing::info!(?limits, "account limits");
                if let Some(adopted) = limits.tier_limits() {
                    tier_limits = adopted;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "GET /account/limits failed; using the configured tier")
            }
        }
    }
    let write_budget_10s = write_budget_10s(&tier_limits, runtime.rate_limit_margin_percent);

    // The exchange-side kill switch, before the configuration is journaled (its id is part of
    // the config and of every order); deleted again whatever way the run ends.
    let executor = Executor::new(
        rest.clone(),
        ExecConfig {
            dialect: runtime.order_dialect.into(),
            subaccount: None,
        },
    )
    .context("building the executor")?;
    let created_group = if sends_orders {
        unless_stopped(
            signals,
            order_group::create_for_run(&executor, &mut options.engine.orders),
        )
        .await?
    } else {
        None
    };
    let started = Started {
        connection,
        rest: &rest,
        executor: &executor,
        signals,
        write_budget_10s,
    };
    let result = run_journaled(options, &started, status.trading_active).await;
    if let Some(order_group_id) = &created_group {
        order_group::delete_after_run(&executor, order_group_id).await;
    }
    result
}

/// What the phases after the exchange checks share.
struct Started<'a> {
    connection: &'a Connection,
    rest: &'a RestClient,
    executor: &'a Executor,
    signals: &'a SignalWatch,
    /// Write tokens the account may spend in 10 s (of the budgets in force).
    write_budget_10s: u64,
}

/// Opens the run's journal, steps the first inputs (config, restored risk state, exchange
/// status) and runs; the alert hook is drained at the end.
async fn run_journaled(
    options: &mut RunOptions,
    started: &Started<'_>,
    trading_active: bool,
) -> anyhow::Result<i32> {
    let (journal, opened) = journal::open_journal(options)?;
    let (sequencer, alerts) = journal::start_sequencer(options, journal);
    let sequencer = journal::first_inputs(options, sequencer, &opened, trading_active)?;
    let (alerter, worker) = alerts.unzip();
    let result = run_with_journal(
        options,
        started,
        sequencer,
        &opened.journal_dir,
        alerter.as_ref(),
    )
    .await;
    if let Some(worker) = worker {
        worker.finish(ALERT_DRAIN_TIMEOUT);
    }
    result
}

/// The phases of a run with its journal open: startup's feed and exec, the running phase
/// until a stop, and the shutdown phase (or, when the loop failed, the emergency stop).
async fn run_with_journal(
    options: &RunOptions,
    started: &Started<'_>,
    mut sequencer: Sequencer,
    journal_dir: &Path,
    alerter: Option<&Alerter>,
) -> anyhow::Result<i32> {
    let feed = match feed::subscribe(options, started, &mut sequencer).await? {
        Ok(feed) => feed,
        Err(aborted) => return Err(aborted.end(sequencer)),
    };
    let exec = match exec::start(options, started, &mut sequencer).await? {
        Ok(exec) => exec,
        Err(failed) => return failed.end(sequencer, feed, journal_dir, alerter).await,
    };
    sequencer.drain_local(now_ns())?;

    let context = RunContext {
        options,
        rest: started.rest,
        signals: started.signals,
        write_budget_10s: started.write_budget_10s,
        journal_dir,
    };
    let mut running = super::running::start::start(context, sequencer, feed, exec).await;
    match running.event_loop.run_until_stop().await {
        Ok(stop) => shutdown::run(options, running, stop, journal_dir, alerter).await,
        Err(error) => {
            Ok(shutdown::after_failure(options, running, error, journal_dir, alerter).await)
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn the_write_headroom_budget_follows_the_tier_the_account_reports() {
        // Basic: 100 write tokens/s; an account that reports Premier has 1,000/s.
        assert_eq!(write_budget_10s(&UsageTier::Basic.limits(), 90), 900);
        assert_eq!(write_budget_10s(&UsageTier::Premier.limits(), 90), 9_000);
        assert_eq!(write_budget_10s(&UsageTier::Premier.limits(), 100), 10_000);
    }
}
