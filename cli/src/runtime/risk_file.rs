//! The account's risk state, kept durably beside the journals so that no crash, refused start
//! or unreadable journal can make a run forget a HALT.
//!
//! `<journal root>/risk-state-<environment>.json` holds the state in force, today's realized
//! P&L after fees, the run that wrote it and when. A trading run rewrites it (temporary file,
//! fsync, rename, directory fsync) on every risk-state change and every fill, before the step's
//! commands leave the process. A new run restores from it; a refused or killed start never
//! writes it, so it never counts as "the newest run". When the file is missing (journals
//! written before it existed) the newest readable run's journal is used instead; a file or a
//! journal that cannot be read refuses the start until an operator passes
//! `--fresh-risk-state`, which the new run journals as an explicit clearing.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use kalshi_core::risk::RiskStateRecord;
use serde::{Deserialize, Serialize};

/// Version of the file's layout.
pub const RISK_FILE_FORMAT: u32 = 1;

/// What the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRiskState {
    /// [`RISK_FILE_FORMAT`].
    pub format: u32,
    /// The state, why it last changed, and today's realized P&L after fees.
    pub record: RiskStateRecord,
    /// When it was written (the engine's time of the step), Unix ns.
    pub ts_ns: i64,
}

/// The risk-state file of one environment (one account). See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskStateFile {
    path: PathBuf,
}

impl RiskStateFile {
    /// The file of `environment` under the journal root.
    pub fn for_environment(journal_root: &Path, environment: &str) -> RiskStateFile {
        RiskStateFile {
            path: journal_root.join(format!("risk-state-{environment}.json")),
        }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored state; `None` when no file exists. A file that exists but cannot be read or
    /// parsed is an error: refusing is safer than forgetting a HALT.
    pub fn load(&self) -> anyhow::Result<Option<StoredRiskState>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(error).with_context(|| {
                    format!("reading the risk-state file {}", self.path.display())
                });
            }
        };
        let stored: StoredRiskState = serde_json::from_str(&text)
            .with_context(|| format!("parsing the risk-state file {}", self.path.display()))?;
        if stored.format != RISK_FILE_FORMAT {
            anyhow::bail!(
                "the risk-state file {} has format {}, this build reads {RISK_FILE_FORMAT}",
                self.path.display(),
                stored.format
            );
        }
        Ok(Some(stored))
    }

    /// Replaces the file durably: a temporary file is written and fsynced, renamed over the
    /// old one, and the directory fsynced.
    pub fn store(&self, record: RiskStateRecord, ts_ns: i64) -> anyhow::Result<()> {
        let stored = StoredRiskState {
            format: RISK_FILE_FORMAT,
            record,
            ts_ns,
        };
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let temporary = self.path.with_extension("json.tmp");
        let body = serde_json::to_vec_pretty(&stored).context("encoding the risk state")?;
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(&body)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            std::fs::rename(&temporary, &self.path)?;
            std::fs::File::open(dir)?.sync_all()
        };
        write().with_context(|| format!("writing the risk-state file {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use kalshi_core::fixed::Money;
    use kalshi_core::risk::{RiskState, RiskStateReason};

    use super::*;

    #[test]
    fn a_stored_state_reads_back_and_a_damaged_file_refuses() {
        let root = tempfile::tempdir().unwrap();
        let file = RiskStateFile::for_environment(root.path(), "sim");
        assert_eq!(file.load().unwrap(), None);
        let record = RiskStateRecord {
            state: RiskState::Halted,
            reason: RiskStateReason::DailyLossStop,
            day_realized_net: Money::from_micros(-25_000_000),
        };
        file.store(record, 42).unwrap();
        let stored = file.load().unwrap().unwrap();
        assert_eq!(stored.record, record);
        assert_eq!(stored.ts_ns, 42);
        assert_eq!(
            file.path(),
            root.path().join("risk-state-sim.json").as_path()
        );
        // Another environment has its own file.
        assert_eq!(
            RiskStateFile::for_environment(root.path(), "live")
                .load()
                .unwrap(),
            None
        );
        std::fs::write(file.path(), b"{\"format\": 1, \"rec").unwrap();
        let error = file.load().unwrap_err();
        assert!(
            format!("{error:#}").contains("risk-state-sim.json"),
            "{error:#}"
        );
    }
}
