//! Carrying the risk state across restarts: the last `Decision::RiskState` a previous run
//! journaled is replayed into the new engine as `Event::RiskStateRestored`, so a HALT (or a
//! day's losses) survives a restart.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use kalshi_core::decision::Decision;
use kalshi_core::risk::RiskStateRecord;
use kalshi_journal::typed_reader::RecordReader;
use kalshi_journal::{JournalRecord, Manifest};

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
    /// The run directory read.
    pub dir: PathBuf,
    /// The last risk state it journaled.
    pub record: RiskStateRecord,
    /// When it was journaled, Unix ns.
    pub ts_ns: i64,
}

/// The newest run directory under `root` whose manifest names `environment`, other than
/// `exclude`. Directories without a readable manifest are skipped.
pub fn newest_run(root: &Path, environment: &str, exclude: Option<&Path>) -> Option<PathBuf> {
    let entries = std::fs::read_dir(root).ok()?;
    let mut best: Option<(i64, PathBuf)> = None;
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
        let created = manifest.run.created_ts_ns;
        if best.as_ref().is_none_or(|(best_ts, _)| created > *best_ts) {
            best = Some((created, dir));
        }
    }
    best.map(|(_, dir)| dir)
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
                dir: dir.to_path_buf(),
                record: state,
                ts_ns: record.ts_ns,
            });
        }
    }
    Ok(last)
}

/// Finds the risk state to restore for a new run in `root` (`exclude` is the new run's own
/// directory). A previous run that cannot be read is an error: silently dropping a HALT would
/// be worse than refusing to start.
pub fn previous_risk(
    from: &ResumeFrom,
    root: &Path,
    environment: &str,
    exclude: Option<&Path>,
) -> anyhow::Result<Option<PreviousRisk>> {
    let dir = match from {
        ResumeFrom::Fresh => return Ok(None),
        ResumeFrom::Dir(dir) => dir.clone(),
        ResumeFrom::Newest => match newest_run(root, environment, exclude) {
            Some(dir) => dir,
            None => return Ok(None),
        },
    };
    last_risk_state(&dir).with_context(|| {
        "cannot restore the risk state; pass --fresh-risk-state to start without it".to_string()
    })
}
