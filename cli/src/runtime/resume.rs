//! Carrying the risk state across restarts: the state kept in the journal root's risk-state
//! file ([`super::risk_file`]) — or, when there is none yet, the last `Decision::RiskState`
//! of the newest run that journaled one — is replayed into the new engine as
//! `Event::RiskStateRestored`, so a HALT (or a day's losses) survives a restart, a crash and
//! a refused start.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use kalshi_core::decision::Decision;
use kalshi_core::events::{Event, TimerKind};
use kalshi_core::fixed::Money;
use kalshi_core::risk::{RiskState, RiskStateReason, RiskStateRecord};
use kalshi_journal::typed_reader::RecordReader;
use kalshi_journal::{JournalRecord, Manifest};

use super::clock::{next_utc_midnight_ns, now_ns};
use super::risk_file::RiskStateFile;
use super::sequencer::Sequencer;

/// Where to take the previous risk state from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeFrom {
    /// The newest run of the same environment in the journal root.
    Newest,
    /// A specific run directory.
    Dir(PathBuf),
    /// Start with a fresh risk state.
    Fresh,
}

/// A restored risk state and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousRisk {
    /// The risk-state file or run directory read.
    pub source: PathBuf,
    /// The last risk state it journaled.
    pub record: RiskStateRecord,
    /// When it was journaled, Unix ns.
    pub ts_ns: i64,
}

/// The run directories under `root` whose manifest names `environment`, other than
/// `exclude`, newest first. Directories without a readable manifest are skipped.
pub fn runs_newest_first(root: &Path, environment: &str, exclude: Option<&Path>) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut runs: Vec<(i64, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let dir = entry.path();
        if exclude.is_some_and(|excluded| excluded == dir) || !dir.is_dir() {
            continue;
        }
        let Ok(manifest) = Manifest::load(&dir) else {
            continue;
        };
        if manifest.run.environment != environment {
            continue;
        }
        runs.push((manifest.run.created_ts_ns, dir));
    }
    runs.sort_by(|a, b| b.cmp(a));
    runs.into_iter().map(|(_, dir)| dir).collect()
}

/// The last risk state journaled in `dir` (`None` when the run never recorded one).
pub fn last_risk_state(dir: &Path) -> anyhow::Result<Option<PreviousRisk>> {
    let reader = RecordReader::open(dir)
        .with_context(|| format!("opening the previous run's journal {}", dir.display()))?;
    let mut last = None;
    for record in reader {
        let record = record
            .with_context(|| format!("reading the previous run's journal {}", dir.display()))?;
        if let JournalRecord::OutputDecision {
            decision: Decision::RiskState(state),
            ..
        } = record.record
        {
            last = Some(PreviousRisk {
                source: dir.to_path_buf(),
                record: state,
                ts_ns: record.ts_ns,
            });
        }
    }
    Ok(last)
}

/// Finds the risk state to restore for a new run in `root` (`exclude` is the new run's own
/// directory): the environment's risk-state file; without one, the newest run that journaled
/// a risk state (runs that never did, such as refused starts, are passed over). A file or a
/// journal that cannot be read is an error: silently dropping a HALT would be worse than
/// refusing to start.
pub fn previous_risk(
    from: &ResumeFrom,
    root: &Path,
    environment: &str,
    exclude: Option<&Path>,
) -> anyhow::Result<Option<PreviousRisk>> {
    let refuse = "cannot restore the risk state; pass --fresh-risk-state to start without it";
    match from {
        ResumeFrom::Fresh => Ok(None),
        ResumeFrom::Dir(dir) => last_risk_state(dir).context(refuse),
        ResumeFrom::Newest => {
            let file = RiskStateFile::for_environment(root, environment);
            if let Some(stored) = file.load().context(refuse)? {
                return Ok(Some(PreviousRisk {
                    source: file.path().to_path_buf(),
                    record: stored.record,
                    ts_ns: stored.ts_ns,
                }));
            }
            for dir in runs_newest_first(root, environment, exclude) {
                if let Some(previous) = last_risk_state(&dir).context(refuse)? {
                    return Ok(Some(previous));
                }
            }
            Ok(None)
        }
    }
}

/// Restores the previous risk state into the engine ([`previous_risk`]), or — with
/// `--fresh-risk-state` over a state that would have held trading — journals the operator's
/// clearing; then keeps the state in the environment's risk-state file from here on.
pub fn restore_risk_state(
    sequencer: &mut Sequencer,
    resume: &ResumeFrom,
    journal_root: &Path,
    environment: &str,
    journal_dir: &Path,
) -> anyhow::Result<()> {
    let previous = previous_risk(resume, journal_root, environment, Some(journal_dir))?;
    if let Some(previous) = previous {
        tracing::info!(
            from = %previous.source.display(),
            state = previous.record.state.as_str(),
            "restoring the previous run's risk state"
        );
        let now = now_ns();
        sequencer.step(now, Event::RiskStateRestored(previous.record), None)?;
        if next_utc_midnight_ns(previous.ts_ns) <= now {
            sequencer.step(
                now,
                Event::Timer {
                    kind: TimerKind::DailyReset,
                },
                None,
            )?;
        }
    } else if *resume == ResumeFrom::Fresh {
        let overridden = match previous_risk(
            &ResumeFrom::Newest,
            journal_root,
            environment,
            Some(journal_dir),
        ) {
            Ok(Some(previous)) if previous.record.state != RiskState::Active => Some(format!(
                "{} from {}",
                previous.record.state.as_str(),
                previous.source.display()
            )),
            Ok(_) => None,
            Err(error) => Some(format!("an unreadable state ({error:#})")),
        };
        if let Some(overridden) = overridden {
            tracing::warn!(%overridden, "--fresh-risk-state: the operator clears the previous risk state");
            sequencer.step(
                now_ns(),
                Event::RiskStateRestored(RiskStateRecord {
                    state: RiskState::Active,
                    reason: RiskStateReason::OperatorCleared,
                    day_realized_net: Money::ZERO,
                }),
                None,
            )?;
        }
    }
    sequencer.keep_risk_state_in(
        RiskStateFile::for_environment(journal_root, environment),
        now_ns(),
    )
}

#[cfg(test)]
mod tests {
    use kalshi_core::engine::Output;
    use kalshi_core::events::{Envelope, Event};
    use kalshi_core::fixed::Money;
    use kalshi_core::risk::{RiskState, RiskStateReason};
    use kalshi_journal::{RunInfo, RunStarted, TypedJournalWriter, WalConfig};

    use super::*;

    fn write_run(root: &Path, name: &str, environment: &str, created_ts_ns: i64, state: RiskState) {
        let dir = root.join(name);
        let mut journal = TypedJournalWriter::create(
            &dir,
            RunInfo {
                run_id: name.to_string(),
                build_id: "test".to_string(),
                config_hash: "0".to_string(),
                seed: 0,
                environment: environment.to_string(),
                created_ts_ns,
            },
            WalConfig::default(),
        )
        .unwrap();
        journal
            .append_run_started(RunStarted {
                run_id: name.to_string(),
                build_id: "test".to_string(),
                config: Default::default(),
                environment: environment.to_string(),
                seed: 0,
                started_ts_ns: created_ts_ns,
            })
            .unwrap();
        let envelope = Envelope {
            seq: journal.next_seq(),
            ts_ns: created_ts_ns + 5,
            event: Event::Control(kalshi_core::events::ControlCommand::Halt),
        };
        journal.append_input(&envelope).unwrap();
        let output = Output {
            commands: Vec::new(),
            decisions: vec![Decision::RiskState(RiskStateRecord {
                state,
                reason: RiskStateReason::OperatorHalt,
                day_realized_net: Money::from_micros(-5_000_000),
            })],
        };
        journal
            .append_outputs(envelope.seq, envelope.ts_ns, &output)
            .unwrap();
        journal.finish_and_seal().unwrap();
    }

    #[test]
    fn a_halt_is_restored_from_the_newest_run_of_the_same_environment() {
        let root = tempfile::tempdir().unwrap();
        write_run(root.path(), "old", "sim", 100, RiskState::Active);
        write_run(root.path(), "new", "sim", 200, RiskState::Halted);
        write_run(root.path(), "live", "live", 300, RiskState::Active);
        let restored = previous_risk(&ResumeFrom::Newest, root.path(), "sim", None)
            .unwrap()
            .unwrap();
        assert_eq!(restored.record.state, RiskState::Halted);
        assert_eq!(
            restored.record.day_realized_net,
            Money::from_micros(-5_000_000)
        );
        assert_eq!(restored.source, root.path().join("new"));
        assert_eq!(restored.ts_ns, 205);
        // The new run's own directory is never its own predecessor.
        let other = previous_risk(
            &ResumeFrom::Newest,
            root.path(),
            "sim",
            Some(&root.path().join("new")),
        )
        .unwrap()
        .unwrap();
        assert_eq!(other.record.state, RiskState::Active);
        let live = previous_risk(&ResumeFrom::Newest, root.path(), "live", None)
            .unwrap()
            .unwrap();
        assert_eq!(live.record.state, RiskState::Active);
        assert!(
            previous_risk(&ResumeFrom::Newest, root.path(), "demo", None)
                .unwrap()
                .is_none()
        );
        assert!(
            previous_risk(&ResumeFrom::Fresh, root.path(), "sim", None)
                .unwrap()
                .is_none()
        );
        let explicit = previous_risk(
            &ResumeFrom::Dir(root.path().join("old")),
            root.path(),
            "sim",
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(explicit.record.state, RiskState::Active);
    }

    #[test]
    fn the_risk_state_file_wins_and_runs_without_a_risk_state_are_passed_over() {
        let root = tempfile::tempdir().unwrap();
        write_run(root.path(), "halted", "sim", 100, RiskState::Halted);
        // A newer start that was refused before it journaled any risk state.
        let refused = root.path().join("refused");
        let mut journal = TypedJournalWriter::create(
            &refused,
            RunInfo {
                run_id: "refused".to_string(),
                build_id: "test".to_string(),
                config_hash: "0".to_string(),
                seed: 0,
                environment: "sim".to_string(),
                created_ts_ns: 200,
            },
            WalConfig::default(),
        )
        .unwrap();
        journal
            .append_run_started(RunStarted {
                run_id: "refused".to_string(),
                build_id: "test".to_string(),
                config: Default::default(),
                environment: "sim".to_string(),
                seed: 0,
                started_ts_ns: 200,
            })
            .unwrap();
        journal.append_run_ended(201, "resume_failed").unwrap();
        journal.finish_and_seal().unwrap();
        let restored = previous_risk(&ResumeFrom::Newest, root.path(), "sim", None)
            .unwrap()
            .unwrap();
        assert_eq!(restored.record.state, RiskState::Halted);
        assert_eq!(restored.source, root.path().join("halted"));

        // Once the file exists it is the source, whatever the journals say.
        let file = RiskStateFile::for_environment(root.path(), "sim");
        let active = RiskStateRecord {
            state: RiskState::Active,
            reason: RiskStateReason::OperatorCleared,
            day_realized_net: Money::ZERO,
        };
        file.store(active, 300).unwrap();
        let restored = previous_risk(&ResumeFrom::Newest, root.path(), "sim", None)
            .unwrap()
            .unwrap();
        assert_eq!(restored.record, active);
        assert_eq!(restored.ts_ns, 300);
        assert_eq!(restored.source, file.path());
        // A damaged file refuses.
        std::fs::write(file.path(), b"not json").unwrap();
        let error = previous_risk(&ResumeFrom::Newest, root.path(), "sim", None).unwrap_err();
        assert!(
            format!("{error:#}").contains("--fresh-risk-state"),
            "{error:#}"
        );
    }

    #[test]
    fn an_unreadable_previous_run_refuses_instead_of_forgetting_a_halt() {
        let root = tempfile::tempdir().unwrap();
        let error = previous_risk(
            &ResumeFrom::Dir(root.path().join("missing")),
            root.path(),
            "sim",
            None,
        )
        .unwrap_err();
        assert!(
            format!("{error:#}").contains("--fresh-risk-state"),
            "{error:#}"
        );
    }
}
