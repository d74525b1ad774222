//! The run's journal and its first inputs: the journal is created in an empty directory with
//! its `RunStarted` record; the sequencer over it gets the drift monitor, the alert hook and
//! the commit settings; then the configuration, the tuning, the previous run's risk state (or
//! a paper run's flat start) and the exchange status are stepped, in that order.

use std::path::PathBuf;

use super::super::alerts::AlertWorker;
use super::*;

/// What the rest of the run needs to know about the journal just created.
pub(super) struct Opened {
    pub(super) journal_dir: PathBuf,
    pub(super) environment: String,
    /// The run's start, Unix ns (the run id's time).
    pub(super) started_ns: i64,
}

/// Names the run (setting `options.engine.run_id`), creates its journal in an empty directory
/// and writes the `RunStarted` header.
pub(super) fn open_journal(
    options: &mut RunOptions,
) -> anyhow::Result<(TypedJournalWriter, Opened)> {
    let started_ns = now_ns();
    let environment = options.environment();
    let run_id = make_run_id(started_ns, &environment)?;
    options.engine.run_id = run_id.clone();
    let journal_dir = options
        .journal_dir
        .clone()
        .unwrap_or_else(|| options.runtime.journal_dir.join(run_id.as_str()));
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
    let opened = Opened {
        journal_dir,
        environment,
        started_ns,
    };
    Ok((journal, opened))
}

/// The sequencer over `journal`: the drift monitor (runs with real orders), the alert hook
/// (trading runs with `--on-alert`; its worker is returned to be drained at the end) and the
/// journal's commit settings.
pub(super) fn start_sequencer(
    options: &RunOptions,
    journal: TypedJournalWriter,
) -> (Sequencer, Option<(Alerter, AlertWorker)>) {
    let runtime = &options.runtime;
    let mut sequencer = Sequencer::new(
        Engine::new(),
        journal,
        Box::new(NoCommands),
        runtime.capture_raw_frames,
    );
    // The drift monitor compares the fill model with an exchange's matching: a paper run has
    // no orders at the exchange to compare with.
    if options.sends_orders() {
        super::super::drift::start_monitor(
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
        .map(|command| Alerter::start(command, options.engine.run_id.to_string()));
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
    (sequencer, alerts)
}

/// Steps the first inputs: the configuration and the tuning (a refused configuration ends the
/// run), the previous run's risk state (trading) or a flat start (paper), and the exchange
/// status. Returns the sequencer, or ends the journal and the run on failure.
pub(super) fn first_inputs(
    options: &RunOptions,
    mut sequencer: Sequencer,
    opened: &Opened,
    trading_active: bool,
) -> anyhow::Result<Sequencer> {
    let started_ns = opened.started_ns;
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
            &options.runtime.journal_dir,
            &opened.environment,
            &opened.journal_dir,
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
    Ok(sequencer)
}
