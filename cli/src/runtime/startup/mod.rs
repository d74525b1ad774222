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
//! 7. the event loop runs until `--duration`, Ctrl-C or SIGTERM;
//! 8. (trading) the engine cancels its orders, a REST backstop cancels anything left, a REST
//!    read confirms what remains; the journal is sealed and a summary printed.
//!
//! Paper runs (`--paper`, see `paper.rs`) skip every step that touches the account (limits,
//! order group, risk state, private channels, reconciliation, backstop): they start flat and
//! their orders go to the in-process fill simulator.

mod connection;
mod finish;
mod interrupt;
mod paper;

pub use super::run_options::{
    MarketSelection, OutsideOptions, PAPER_ENVIRONMENT_PREFIX, Purpose, RunOptions, config_hash,
    make_run_id,
};
use connection::{Connection, PoolSink, Tasks, connect, write_budget_10s};
pub use interrupt::StoppedDuringStartup;
use interrupt::{startup_end_reason, unless_stopped};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use kalshi_core::engine::Engine;
use kalshi_core::events::Event;
use kalshi_core::risk::RiskState;
use kalshi_io::auth::ApiCredentials;
use kalshi_io::data_rest::{RestClient, RestConfig};
use kalshi_io::data_ws::{Channel, IoEvent, WsConfig, spawn_ws};
use kalshi_io::env::Endpoints;
use kalshi_io::exec::{ExecConfig, Executor};
use kalshi_io::ratelimit::{RateLimiter, TierLimits, UsageTier};
use kalshi_journal::{RunInfo, RunStarted, TypedJournalWriter, WalConfig};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::alerts::{AlertKind, Alerter};
use super::clock::now_ns;
use super::control::ControlServer;
use super::event_loop::EventLoop;
use super::exec_task::{ExecPool, ExecReport};
use super::fees::spawn_fee_changes;
use super::local_exchange::LocalExchange;
use super::market_data::{
    FeedSettings, RECONCILE_RETRY_INTERVAL, ReconcileRequest, reconcile, reconcile_after_outage,
    spawn_feed, spawn_reconciler,
};
use super::metrics::MetricsServer;
use super::model_feed::spawn_follow;
use super::order_group;
use super::resume::restore_risk_state;
use super::sequencer::{CommandSink, NoCommands, Sequencer};
use super::shutdown::{AccountCheck, RunSummary, closing_check, emergency_stop};
use super::signals::SignalWatch;
use super::status::figures;
use super::target::TargetKind;
use super::timers::{
    Input, StopReason, seconds, spawn_daily_reset, spawn_deadline, spawn_rescans, spawn_ticks,
};
use super::universe_load::{activity_reads, fetch_snapshots, load_universe};
use crate::credentials::ConfiguredKey;
use crate::exit_code::{
    EXIT_FAILURE, EXIT_HALTED, EXIT_OK, EXIT_RECONCILE_FAILED, Refusal, TradingRunEnd,
};

/// Capacity of the runtime-input channel (timers, REST results, stop requests).
const INPUT_CHANNEL_CAPACITY: usize = 1024;
/// Capacity of the exec-outcome channel.
const EXEC_REPORT_CAPACITY: usize = 4096;
/// How long shutdown keeps reading after the last cancel is acknowledged, so fills and order
/// updates already in flight are journaled.
const SETTLE_PERIOD: Duration = Duration::from_secs(1);
/// How long the end of a run waits for the alert hook to deliver what is queued.
const ALERT_DRAIN_TIMEOUT: Duration = Duration::from_secs(15);

/// Opens the operator's control channel in the run directory and connects it to the loop; a
/// channel that cannot be opened is logged and the run goes on without it.
fn start_control(journal_dir: &Path, event_loop: &mut EventLoop) -> Option<ControlServer> {
    match ControlServer::start(journal_dir) {
        Ok((server, requests)) => {
            event_loop.set_control(requests);
            tracing::info!(
                socket = %journal_dir.join(super::control::SOCKET_FILE).display(),
                "operator control listening (kalshi-bot ctl --journal <run dir>)"
            );
            Some(server)
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "operator control unavailable");
            None
        }
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

/// Opens the run's journal, steps the first inputs (config, restored risk state, exchange
/// status) and runs.
/// What the phases after the exchange checks share.
struct Started<'a> {
    connection: &'a Connection,
    rest: &'a RestClient,
    executor: &'a Executor,
    signals: &'a SignalWatch,
    /// Write tokens the account may spend in 10 s (of the budgets in force).
    write_budget_10s: u64,
}

async fn run_journaled(
    options: &mut RunOptions,
    started: &Started<'_>,
    trading_active: bool,
) -> anyhow::Result<i32> {
    let runtime = options.runtime.clone();
    // The journal and the first inputs.
    let started_ns = now_ns();
    let environment = options.environment();
    let run_id = make_run_id(started_ns, &environment)?;
    options.engine.run_id = run_id.clone();
    let journal_dir = options
        .journal_dir
        .clone()
        .unwrap_or_else(|| runtime.journal_dir.join(run_id.as_str()));
    if journal_dir.exists()
        && std::fs::read_dir(&journal_dir)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(true)
    {
        anyhow::bail!(
            "journal directory {} already exists and is not empty",
            journal_dir.display()
        );
    }
    let seed = match options.target.kind {
        TargetKind::LocalExchange => options.sim.seed,
        TargetKind::Demo | TargetKind::Production => 0,
    };
    let run_info = RunInfo {
        run_id: run_id.to_string(),
        build_id: concat!("kalshi-bot ", env!("CARGO_PKG_VERSION")).to_string(),
        config_hash: config_hash(&options.engine)?,
        seed,
        environment: environment.clone(),
        created_ts_ns: started_ns,
    };
    let mut journal = TypedJournalWriter::create(&journal_dir, run_info, WalConfig::default())
        .with_context(|| format!("creating the journal in {}", journal_dir.display()))?;
    journal
        .append_run_started(RunStarted {
            run_id: run_id.to_string(),
            build_id: concat!("kalshi-bot ", env!("CARGO_PKG_VERSION")).to_string(),
            config: options.engine.clone(),
            environment: environment.clone(),
            seed,
            started_ts_ns: started_ns,
        })
        .context("journaling the run header")?;
    tracing::info!(run_id = %run_id, journal = %journal_dir.display(), "run started");
    if let Some(announce) = &options.journal_dir_announce {
        // The receiver is gone only when the upload was dropped: nothing to tell.
        let _ = announce.send(journal_dir.clone());
    }
    let mut sequencer = Sequencer::new(
        Engine::new(),
        journal,
        Box::new(NoCommands),
        runtime.capture_raw_frames,
    );
    // The drift monitor compares the fill model with an exchange's matching: a paper run has
    // no orders at the exchange to compare with.
    if options.sends_orders() {
        super::drift::start_monitor(
            &options.drift,
            options.engine.fee_target_precision_micros,
            &mut sequencer,
        );
    }
    let alerts = options
        .outside
        .on_alert
        .clone()
        .filter(|_| options.is_trading())
        .map(|command| Alerter::start(command, run_id.to_string()));
    if let Some((alerter, _)) = &alerts {
        sequencer.set_alerter(
            alerter.clone(),
            Duration::from_secs(options.outside.alert_outage_after_s),
        );
    }
    sequencer.set_commit_delay(Duration::from_millis(runtime.journal_commit_delay_ms));
    if let Some(commits) = runtime.journal_disk_full_after_commits {
        sequencer.set_disk_full_after(commits);
    }
    // A paper run stamps its opening inputs with one time, as a backtest does.
    let paper = options.paper().cloned();
    let opening_ns = |ns: i64| if paper.is_some() { started_ns } else { ns };
    if let Some(fill_model) = &paper {
        paper::start_paper(&mut sequencer, fill_model)?;
    }
    sequencer.step(
        opening_ns(now_ns()),
        Event::Config(Box::new(options.engine.clone())),
        None,
    )?;
    if sequencer.config_accepted() {
        sequencer.step(
            opening_ns(now_ns()),
            Event::TuningSettings(options.tuning.settings()),
            None,
        )?;
    }
    if !sequencer.config_accepted() {
        let manifest = sequencer.finish(now_ns(), "config_rejected");
        anyhow::bail!(
            "the engine refused the configuration (see the journal); sealed: {}",
            manifest.is_ok()
        );
    }

    if paper.is_some() {
        sequencer.step(started_ns, paper::flat_start(), None)?;
    } else if let Purpose::Trade { resume, .. } = &options.purpose
        && let Err(error) = restore_risk_state(
            &mut sequencer,
            resume,
            &runtime.journal_dir,
            &environment,
            &journal_dir,
        )
    {
        let _ = sequencer.finish(now_ns(), "resume_failed");
        return Err(error);
    }
    sequencer.step(
        opening_ns(now_ns()),
        Event::ExchangeStatus { trading_active },
        None,
    )?;

    let (alerter, worker) = alerts.unzip();
    let result = run_with_journal(options, started, sequencer, &journal_dir, alerter).await;
    if let Some(worker) = worker {
        worker.finish(ALERT_DRAIN_TIMEOUT);
    }
    result
}

async fn run_with_journal(
    options: &RunOptions,
    started: &Started<'_>,
    mut sequencer: Sequencer,
    journal_dir: &Path,
    alerter: Option<Alerter>,
) -> anyhow::Result<i32> {
    let Started {
        connection,
        rest,
        executor: executor_for_orders,
        signals,
        write_budget_10s,
    } = *started;
    let runtime = &options.runtime;
    let trading = options.is_trading();
    let sends_orders = options.sends_orders();
    let (markets, fee_changes) =
        match unless_stopped(signals, load_universe(options, rest, &mut sequencer)).await {
            Ok(universe) => universe,
            Err(error) => {
                let _ = sequencer.finish(now_ns(), startup_end_reason(&error, "listing_failed"));
                return Err(error);
            }
        };
    tracing::info!(markets = ?markets, "subscribing");

    // The socket first, so nothing after the reconciliation read is missed.
    let mut ws_config = WsConfig::new(connection.endpoints.clone(), markets.clone());
    if !sends_orders {
        ws_config.channels = vec![
            Channel::OrderbookDelta,
            Channel::Trade,
            Channel::MarketLifecycleV2,
        ];
    }
    ws_config.capture_raw = runtime.capture_raw_frames;
    ws_config.dead_after = seconds(runtime.ws_dead_after_s);
    let (ws, mut ws_events) = spawn_ws(ws_config, Arc::clone(&connection.credentials));

    let snapshots = unless_stopped(
        signals,
        fetch_snapshots(
            rest,
            &markets,
            runtime,
            activity_reads(options).as_ref(),
            &mut sequencer,
        ),
    )
    .await;
    if let Err(error) = snapshots {
        let _ = ws.shutdown().await;
        let _ = sequencer.finish(now_ns(), startup_end_reason(&error, "snapshots_failed"));
        return Err(error);
    }
    let mut ws_generation = 0;
    if !markets.is_empty() {
        let first = unless_stopped(signals, async {
            Ok(tokio::time::timeout(seconds(runtime.ws_ready_timeout_s), ws_events.recv()).await)
        })
        .await;
        let first = match first {
            Ok(first) => first,
            Err(error) => {
                let _ = ws.shutdown().await;
                let _ = sequencer.finish(now_ns(), startup_end_reason(&error, "startup_failed"));
                return Err(error);
            }
        };
        match first {
            Ok(Some(IoEvent {
                recv_ts_ns,
                generation,
                event,
                raw_frame,
            })) => {
                ws_generation = generation;
                sequencer.step(recv_ts_ns, event, raw_frame)?;
            }
            Ok(None) | Err(_) => {
                let _ = ws.shutdown().await;
                let _ = sequencer.finish(now_ns(), "websocket_unavailable");
                anyhow::bail!(
                    "the WebSocket delivered nothing within {} s; refusing to trade without a live \
                     feed",
                    runtime.ws_ready_timeout_s
                );
            }
        }
    }

    let (inputs_tx, inputs_rx) = mpsc::channel::<Input>(INPUT_CHANNEL_CAPACITY);
    let mut tasks = Tasks::default();
    let (exec_tx, exec_rx) = mpsc::channel::<ExecReport>(EXEC_REPORT_CAPACITY);
    let mut pool = None;
    let mut executor = None;
    if sends_orders {
        let exec = executor_for_orders.clone();
        let exec_pool = Arc::new(ExecPool::spawn(
            exec.clone(),
            runtime.exec_workers,
            runtime.exec_queue_capacity,
            exec_tx,
        ));
        sequencer.set_sink(Box::new(PoolSink(Arc::clone(&exec_pool))));
        signals.confirm_with(exec.clone());
        match unless_stopped(signals, reconcile(rest)).await {
            Ok(event) => {
                sequencer.step(now_ns(), event, None)?;
            }
            Err(error) => {
                sequencer.set_sink(Box::new(NoCommands));
                let _ = ws.shutdown().await;
                if let Ok(pool) = Arc::try_unwrap(exec_pool) {
                    pool.close().await;
                }
                if error.is::<StoppedDuringStartup>() {
                    let _ = sequencer.finish(now_ns(), "signal_during_startup");
                    return Err(error);
                }
                tracing::error!(error = %format!("{error:#}"), "reconciliation failed; not trading");
                if let Some(alerter) = &alerter {
                    let detail = serde_json::json!({ "error": format!("{error:#}") });
                    alerter.raise(
                        AlertKind::ReconciliationFailure,
                        "startup",
                        now_ns(),
                        detail.clone(),
                    );
                    alerter.raise(AlertKind::RunEnd, "reconcile_failed", now_ns(), detail);
                }
                let manifest = sequencer.finish(now_ns(), "reconcile_failed")?;
                crate::logging::note(&format!(
                    "reconciliation failed: {error:#}\nnothing was traded; journal sealed in {} \
                     ({} segments)",
                    journal_dir.display(),
                    manifest.segments.len()
                ));
                return Ok(EXIT_RECONCILE_FAILED);
            }
        }
        pool = Some(exec_pool);
        executor = Some(exec);
    } else {
        drop(exec_tx);
    }
    sequencer.drain_local(now_ns())?;

    // The running phase.
    let (feed_tx, feed_rx) = mpsc::channel(16);
    tasks.push(spawn_feed(
        rest.clone(),
        FeedSettings {
            recent_trades: runtime.recent_trades_per_market,
            activity: activity_reads(options),
        },
        feed_rx,
        inputs_tx.clone(),
    ));
    tasks.push(spawn_ticks(
        Duration::from_millis(runtime.tick_interval_ms),
        inputs_tx.clone(),
    ));
    tasks.push(spawn_daily_reset(inputs_tx.clone()));
    tasks.push(spawn_fee_changes(fee_changes, inputs_tx.clone()));
    if trading {
        tasks.push(spawn_rescans(
            seconds(runtime.rescan_interval_s),
            inputs_tx.clone(),
        ));
    }
    if let Some(duration) = options.duration {
        tasks.push(spawn_deadline(duration, inputs_tx.clone()));
    }
    if trading && let Some(model_file) = &options.outside.model_file {
        tracing::info!(file = %model_file.display(), "following the model file");
        tasks.push(spawn_follow(model_file.clone(), inputs_tx.clone()));
    }
    let drift_reads = options
        .sends_orders()
        .then(|| super::drift::start_reads(&options.drift, rest, &inputs_tx))
        .flatten();
    let drift_markets = drift_reads.map(|(task, markets)| {
        tasks.push(task);
        markets
    });
    let reconciler_inputs = inputs_tx.clone();
    drop(inputs_tx);
    let mut event_loop = EventLoop::new(
        sequencer,
        ws_events,
        ws,
        sends_orders.then_some(exec_rx),
        inputs_rx,
        feed_tx,
        trading,
        seconds(runtime.status_interval_s),
        pool.as_ref().map(|pool| (pool.usage(), write_budget_10s)),
        signals.counter(),
        runtime.stale_after_ms,
    );
    event_loop.set_ws_generation(ws_generation);
    if let Some(markets) = drift_markets {
        event_loop.set_drift_markets(markets);
    }
    event_loop.set_model_age_max_ns(options.engine.signals.model_age_max_ns);
    if sends_orders {
        let (wanted_tx, wanted_rx) = watch::channel(ReconcileRequest::default());
        let reader = rest.clone();
        tasks.push(spawn_reconciler(
            move |fills_min_ts_s| {
                let reader = reader.clone();
                async move { reconcile_after_outage(&reader, fills_min_ts_s).await }
            },
            RECONCILE_RETRY_INTERVAL,
            wanted_rx,
            reconciler_inputs.clone(),
        ));
        event_loop.set_reconciler(wanted_tx);
    }
    drop(reconciler_inputs);
    let control = if trading {
        start_control(journal_dir, &mut event_loop)
    } else {
        None
    };
    let metrics = match options.outside.metrics_addr.filter(|_| trading) {
        Some(addr) => match MetricsServer::start(addr).await {
            Ok((server, scrapes)) => {
                tracing::info!(addr = %server.local_addr, "metrics endpoint listening (GET /metrics)");
                event_loop.set_metrics(scrapes);
                Some(server)
            }
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "metrics endpoint unavailable");
                None
            }
        },
        None => None,
    };
    let loop_result = event_loop.run_until_stop().await;
    let stop = match loop_result {
        Ok(stop) => stop,
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "the run failed; cancelling our orders without journaling");
            tasks.stop().await;
            if let Some(control) = control {
                control.stop();
            }
            if let Some(metrics) = metrics {
                metrics.stop();
            }
            if let Some(alerter) = &alerter {
                alerter.raise(
                    AlertKind::RunEnd,
                    "failed",
                    now_ns(),
                    serde_json::json!({ "error": format!("{error:#}") }),
                );
            }
            let code = match &executor {
                Some(executor) => emergency_stop(executor, runtime.shutdown_cancel_all).await,
                None => EXIT_OK,
            };
            crate::logging::error(&format!(
                "the run failed: {error:#}\nthe journal in {} was not sealed; it \
                 recovers on its next open (`kalshi-bot journal seal`)",
                journal_dir.display()
            ));
            return Ok(code);
        }
    };
    tracing::info!(reason = stop.as_str(), "stopping");
    if let Some(pool) = &pool {
        pool.begin_shutdown();
    }

    // Shutdown.
    let mut account: Option<AccountCheck> = None;
    if options.paper().is_some() {
        account = Some(paper::shut_down_paper(&mut event_loop.sequencer)?);
    }
    if let Some(executor) = &executor {
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
    tasks.stop().await;
    if let Some(control) = control {
        control.stop();
    }
    if let Some(metrics) = metrics {
        metrics.stop();
    }
    let websocket = event_loop.ws_health().line();
    let stale_episodes = event_loop.stale_episodes();
    let model = options
        .outside
        .model_file
        .is_some()
        .then(|| event_loop.model_counters().clone());
    if let Err(error) = event_loop.ws.shutdown().await {
        tracing::warn!(%error, "WebSocket task ended with an error");
    }
    // Outcomes still queued are journaled before the end.
    if let Some(pool) = pool {
        event_loop.sequencer.set_sink(Box::new(NoCommands));
        if let Ok(pool) = Arc::try_unwrap(pool) {
            pool.close().await;
        }
        if let Some(reports) = event_loop.exec_reports.as_mut() {
            while let Ok(report) = reports.try_recv() {
                for event in report.events {
                    event_loop.sequencer.step(report.recv_ts_ns, event, None)?;
                }
            }
        }
    }
    let final_figures = figures(&event_loop.sequencer);
    let halt_reason = finish::halt_reason_name(event_loop.sequencer.engine());
    let counters = event_loop.sequencer.counters().clone();
    let no_orders = trading && counters.places == 0;
    let no_orders_why =
        no_orders.then(|| super::shutdown::why_no_orders(&event_loop.sequencer, &final_figures));
    let run_id = options.engine.run_id.to_string();
    event_loop.sequencer.settle_drift();
    let drift = event_loop.sequencer.drift_report();
    if let Some(report) = &drift {
        super::drift::write_report(journal_dir, report);
    }
    let journal_entries = finish::seal_and_verify(event_loop.sequencer, journal_dir, stop.as_str());
    let summary = RunSummary {
        run_id: &run_id,
        journal_dir,
        stop: stop.as_str(),
        counters: &counters,
        figures: &final_figures,
        account: account.as_ref(),
        journal_entries,
        websocket: Some(websocket),
        stale_episodes,
        model,
    };
    finish::print_summary(options, &summary, no_orders_why.as_deref(), drift.as_ref());
    if let Some(alerter) = &alerter {
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
                "resting_ours": account.as_ref().map(|check| check.resting_ours.len()),
            }),
        );
    }

    if !trading {
        return Ok(EXIT_OK);
    }
    let require_flat = matches!(
        options.purpose,
        Purpose::Trade {
            require_flat: true,
            ..
        }
    );
    let require_orders = matches!(
        options.purpose,
        Purpose::Trade {
            require_orders: true,
            ..
        }
    );
    let end = TradingRunEnd {
        resting_ours: account.as_ref().map(|check| check.resting_ours.len()),
        open_positions: account.as_ref().map_or(0, |check| check.positions.len()),
        require_flat,
        feed_lost: stop == StopReason::FeedLost,
        halted: final_figures.risk_state == RiskState::Halted,
        no_orders_required: require_orders && no_orders,
    };
    let code = end.exit_code();
    if code == crate::exit_code::EXIT_POSITIONS_LEFT {
        crate::logging::error(&format!(
            "positions remain in {} market(s) at the end and --require-flat was given (see \
             `positions` above); no order of ours rests",
            end.open_positions
        ));
    } else if code == EXIT_HALTED {
        crate::logging::error(&format!(
            "the run ended HALTED by the risk gate ({}); nothing of ours rests",
            halt_reason
                .as_deref()
                .unwrap_or("see the journal's risk decisions")
        ));
    } else if end.no_orders_required && code == EXIT_FAILURE && !end.feed_lost {
        crate::logging::error("the run placed no order (--require-orders); see `no orders` above");
    }
    Ok(code)
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
