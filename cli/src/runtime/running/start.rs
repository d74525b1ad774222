//! Starting the running phase: the background tasks that feed the loop (the REST reader,
//! ticks, the daily reset, fee changes, rescans, the deadline, the model file, the drift
//! monitor's queue reads and the reconciler), the loop itself, and the operator's control
//! channel and metrics endpoint beside it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kalshi_core::events::Event;
use kalshi_io::data_rest::RestClient;
use kalshi_io::data_ws::{IoEvent, WsHandle};
use kalshi_io::exec::Executor;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::super::control::{ControlServer, SOCKET_FILE};
use super::super::drift;
use super::super::exec_task::{ExecPool, ExecReport};
use super::super::fees::spawn_fee_changes;
use super::super::market_data::{
    FeedRequest, FeedSettings, RECONCILE_RETRY_INTERVAL, ReconcileRequest, reconcile_after_outage,
    spawn_feed, spawn_reconciler,
};
use super::super::metrics::MetricsServer;
use super::super::model_feed::spawn_follow;
use super::super::run_options::RunOptions;
use super::super::sequencer::Sequencer;
use super::super::signals::SignalWatch;
use super::super::timers::{
    Input, seconds, spawn_daily_reset, spawn_deadline, spawn_rescans, spawn_ticks,
};
use super::super::universe_load::activity_reads;
use super::EventLoop;

/// Capacity of the runtime-input channel (timers, REST results, stop requests).
const INPUT_CHANNEL_CAPACITY: usize = 1024;
/// Capacity of the REST reader's request channel (rescans and new markets' trade reads; a
/// full channel skips the request).
const FEED_REQUEST_CAPACITY: usize = 16;

/// The live market feed startup subscribed.
pub struct Feed {
    /// Fee changes the listing announced, to be stepped at their times.
    pub fee_changes: Vec<(i64, Event)>,
    /// The WebSocket task.
    pub ws: WsHandle,
    /// Its events.
    pub ws_events: mpsc::Receiver<IoEvent>,
    /// The socket generation whose first event startup stepped (0: no markets).
    pub ws_generation: u64,
}

/// The exec side of a run that sends orders.
pub struct Exec {
    /// The order workers.
    pub pool: Arc<ExecPool>,
    /// The executor they share (the shutdown's backstop and closing check use it too).
    pub executor: Executor,
    /// Their outcomes.
    pub reports: mpsc::Receiver<ExecReport>,
}

/// Background tasks to stop at the end.
#[derive(Default)]
pub struct Tasks(Vec<JoinHandle<()>>);

impl Tasks {
    /// Keeps `task` to stop at the end.
    pub fn push(&mut self, task: JoinHandle<()>) {
        self.0.push(task);
    }

    /// Aborts every task and waits for each to end.
    pub async fn stop(self) {
        for task in self.0 {
            task.abort();
            let _ = task.await;
        }
    }
}

/// What the running phase needs from the run around it.
#[derive(Clone, Copy)]
pub struct RunContext<'a> {
    /// The run's options.
    pub options: &'a RunOptions,
    /// The REST client (reads).
    pub rest: &'a RestClient,
    /// Ctrl-C and SIGTERM.
    pub signals: &'a SignalWatch,
    /// Write tokens the account may spend in 10 s, for the status line's headroom.
    pub write_budget_10s: u64,
    /// The run's journal directory (the control socket lives there).
    pub journal_dir: &'a Path,
}

/// The running phase's parts: the loop and everything that runs beside it.
pub struct Running {
    /// The loop, with the sequencer inside.
    pub event_loop: EventLoop,
    /// Background tasks feeding it.
    pub tasks: Tasks,
    /// The operator's control channel (trading runs).
    pub control: Option<ControlServer>,
    /// The metrics endpoint (trading runs with `--metrics-addr`).
    pub metrics: Option<MetricsServer>,
    /// The order workers (runs that send orders).
    pub pool: Option<Arc<ExecPool>>,
    /// The executor (runs that send orders).
    pub executor: Option<Executor>,
}

/// Starts the background tasks and assembles the loop over `sequencer`, `feed` and `exec`.
pub async fn start(
    context: RunContext<'_>,
    sequencer: Sequencer,
    feed: Feed,
    exec: Option<Exec>,
) -> Running {
    let options = context.options;
    let runtime = &options.runtime;
    let trading = options.is_trading();
    let (inputs_tx, inputs_rx) = mpsc::channel::<Input>(INPUT_CHANNEL_CAPACITY);
    let (feed_tx, feed_rx) = mpsc::channel(FEED_REQUEST_CAPACITY);
    let mut tasks = Tasks::default();
    spawn_inputs(
        options,
        context.rest,
        feed.fee_changes,
        feed_rx,
        &inputs_tx,
        &mut tasks,
    );
    let drift_reads = options
        .sends_orders()
        .then(|| drift::start_reads(&options.drift, context.rest, &inputs_tx))
        .flatten();
    let drift_markets = drift_reads.map(|(task, markets)| {
        tasks.push(task);
        markets
    });
    let reconciler_inputs = inputs_tx.clone();
    drop(inputs_tx);
    let (pool, executor, reports) = match exec {
        Some(exec) => (Some(exec.pool), Some(exec.executor), Some(exec.reports)),
        None => (None, None, None),
    };
    let mut event_loop = EventLoop::new(
        sequencer,
        feed.ws_events,
        feed.ws,
        reports,
        inputs_rx,
        feed_tx,
        trading,
        seconds(runtime.status_interval_s),
        pool.as_ref()
            .map(|pool| (pool.usage(), context.write_budget_10s)),
        context.signals.counter(),
        runtime.stale_after_ms,
    );
    event_loop.set_ws_generation(feed.ws_generation);
    if let Some(markets) = drift_markets {
        event_loop.set_drift_markets(markets);
    }
    event_loop.set_model_age_max_ns(options.engine.signals.model_age_max_ns);
    if options.sends_orders() {
        let wanted = start_reconciler(context.rest, &reconciler_inputs, &mut tasks);
        event_loop.set_reconciler(wanted);
    }
    drop(reconciler_inputs);
    let control = if trading {
        start_control(context.journal_dir, &mut event_loop)
    } else {
        None
    };
    let metrics = start_metrics(options, &mut event_loop).await;
    Running {
        event_loop,
        tasks,
        control,
        metrics,
        pool,
        executor,
    }
}

/// Starts the tasks whose inputs feed the loop: the REST reader, ticks, the daily reset, fee
/// changes, and (as configured) rescans, the deadline and the model file.
fn spawn_inputs(
    options: &RunOptions,
    rest: &RestClient,
    fee_changes: Vec<(i64, Event)>,
    feed_requests: mpsc::Receiver<FeedRequest>,
    inputs: &mpsc::Sender<Input>,
    tasks: &mut Tasks,
) {
    let runtime = &options.runtime;
    let trading = options.is_trading();
    tasks.push(spawn_feed(
        rest.clone(),
        FeedSettings {
            recent_trades: runtime.recent_trades_per_market,
            activity: activity_reads(options),
        },
        feed_requests,
        inputs.clone(),
    ));
    tasks.push(spawn_ticks(
        Duration::from_millis(runtime.tick_interval_ms),
        inputs.clone(),
    ));
    tasks.push(spawn_daily_reset(inputs.clone()));
    tasks.push(spawn_fee_changes(fee_changes, inputs.clone()));
    if trading {
        tasks.push(spawn_rescans(
            seconds(runtime.rescan_interval_s),
            inputs.clone(),
        ));
    }
    if let Some(duration) = options.duration {
        tasks.push(spawn_deadline(duration, inputs.clone()));
    }
    if trading && let Some(model_file) = &options.outside.model_file {
        tracing::info!(file = %model_file.display(), "following the model file");
        tasks.push(spawn_follow(model_file.clone(), inputs.clone()));
    }
}

/// Starts the reconciler that reads the account over REST after a lost socket; returns where
/// its tickets go.
fn start_reconciler(
    rest: &RestClient,
    inputs: &mpsc::Sender<Input>,
    tasks: &mut Tasks,
) -> watch::Sender<ReconcileRequest> {
    let (wanted_tx, wanted_rx) = watch::channel(ReconcileRequest::default());
    let reader = rest.clone();
    tasks.push(spawn_reconciler(
        move |fills_min_ts_s| {
            let reader = reader.clone();
            async move { reconcile_after_outage(&reader, fills_min_ts_s).await }
        },
        RECONCILE_RETRY_INTERVAL,
        wanted_rx,
        inputs.clone(),
    ));
    wanted_tx
}

/// Opens the operator's control channel in the run directory and connects it to the loop; a
/// channel that cannot be opened is logged and the run goes on without it.
fn start_control(journal_dir: &Path, event_loop: &mut EventLoop) -> Option<ControlServer> {
    match ControlServer::start(journal_dir) {
        Ok((server, requests)) => {
            event_loop.set_control(requests);
            tracing::info!(
                socket = %journal_dir.join(SOCKET_FILE).display(),
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

/// Starts the metrics endpoint of a trading run with `--metrics-addr`; one that cannot listen
/// is logged and the run goes on without it.
async fn start_metrics(options: &RunOptions, event_loop: &mut EventLoop) -> Option<MetricsServer> {
    let addr = options
        .outside
        .metrics_addr
        .filter(|_| options.is_trading())?;
    match MetricsServer::start(addr).await {
        Ok((server, scrapes)) => {
            tracing::info!(addr = %server.local_addr, "metrics endpoint listening (GET /metrics)");
            event_loop.set_metrics(scrapes);
            Some(server)
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "metrics endpoint unavailable");
            None
        }
    }
}
