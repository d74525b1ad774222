//! Orders at startup (runs that send them): the exec pool becomes the sequencer's command
//! sink, signals learn to confirm the account, and the account's resting orders and positions
//! are read (`Reconciled`) before the engine may quote. A failed read ends the run without
//! trading.

use super::*;

/// The reconciliation read failed: nothing may be traded.
pub(super) struct Unreconciled {
    error: anyhow::Error,
    pool: Arc<ExecPool>,
}

/// Starts the exec pool and reconciles (runs that send orders; `Ok(Ok(None))` for the rest).
pub(super) async fn start(
    options: &RunOptions,
    started: &Started<'_>,
    sequencer: &mut Sequencer,
) -> anyhow::Result<Result<Option<Exec>, Unreconciled>> {
    if !options.sends_orders() {
        return Ok(Ok(None));
    }
    let runtime = &options.runtime;
    let (exec_tx, exec_rx) = mpsc::channel::<ExecReport>(EXEC_REPORT_CAPACITY);
    let exec = started.executor.clone();
    let exec_pool = Arc::new(ExecPool::spawn(
        exec.clone(),
        runtime.exec_workers,
        runtime.exec_queue_capacity,
        exec_tx,
    ));
    sequencer.set_sink(Box::new(PoolSink(Arc::clone(&exec_pool))));
    started.signals.confirm_with(exec.clone());
    match unless_stopped(started.signals, reconcile(started.rest)).await {
        Ok(event) => {
            sequencer.step(now_ns(), event, None)?;
        }
        Err(error) => {
            sequencer.set_sink(Box::new(NoCommands));
            return Ok(Err(Unreconciled {
                error,
                pool: exec_pool,
            }));
        }
    }
    Ok(Ok(Some(Exec {
        pool: exec_pool,
        executor: exec,
        reports: exec_rx,
    })))
}

impl Unreconciled {
    /// Ends the run: the socket and the pool stop, and the journal is sealed; nothing was
    /// traded. Stopped by a signal, the error is returned; otherwise the alert hook hears of
    /// it and the exit code says so.
    pub(super) async fn end(
        self,
        sequencer: Sequencer,
        feed: Feed,
        journal_dir: &Path,
        alerter: Option<&Alerter>,
    ) -> anyhow::Result<i32> {
        let Unreconciled { error, pool } = self;
        let _ = feed.ws.shutdown().await;
        if let Ok(pool) = Arc::try_unwrap(pool) {
            pool.close().await;
        }
        if error.is::<StoppedDuringStartup>() {
            let _ = sequencer.finish(now_ns(), "signal_during_startup");
            return Err(error);
        }
        tracing::error!(error = %format!("{error:#}"), "reconciliation failed; not trading");
        if let Some(alerter) = alerter {
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
        Ok(EXIT_RECONCILE_FAILED)
    }
}
