//! What a run is asked to do, already checked by its command: trade (for real or on paper)
//! or record, where, with which settings; and the names a run is filed under (its run id
//! and configuration hash).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use kalshi_core::client_order_id::RunId;
use kalshi_core::config::EngineConfig;
use sha2::{Digest as _, Sha256};

use super::resume::ResumeFrom;
use super::target::Target;
use crate::config::{RuntimeSettings, SimSettings};
use crate::credentials::ConfiguredKey;

/// The journal environment of a paper run starts with this (`paper-sim`, `paper-demo`,
/// `paper-live`), so a backtest can tell a paper journal.
pub const PAPER_ENVIRONMENT_PREFIX: &str = "paper-";

/// Which markets a recording follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketSelection {
    /// These tickers.
    Tickers(Vec<String>),
    /// The scanner's best N at startup.
    Top(usize),
}

/// What the run is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// Trade with the engine's strategy.
    Trade {
        /// Exit non-zero when positions remain at the end.
        require_flat: bool,
        /// Exit non-zero when the run placed no order.
        require_orders: bool,
        /// Where the previous risk state comes from (ignored on paper: a paper run neither
        /// restores nor keeps a risk state).
        resume: ResumeFrom,
        /// Paper trading with this fill model: orders go to the in-process fill simulator,
        /// never to the exchange (`None`: real orders).
        paper: Option<kalshi_replay::fill_sim::FillModelConfig>,
    },
    /// Journal market data only; no order is ever sent.
    Record {
        /// Which markets.
        markets: MarketSelection,
    },
}

/// Everything a run needs, already checked by the command.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Trade or record.
    pub purpose: Purpose,
    /// Where to connect.
    pub target: Target,
    /// The configured key (`None` for the in-process local exchange, which has its own).
    pub key: Option<ConfiguredKey>,
    /// The effective engine configuration (the run id is assigned here).
    pub engine: EngineConfig,
    /// Engine settings journaled as their own input right after the configuration.
    pub tuning: kalshi_core::tuning::Tuning,
    /// Runtime settings.
    pub runtime: RuntimeSettings,
    /// Local exchange settings.
    pub sim: SimSettings,
    /// The drift monitor (trading runs).
    pub drift: crate::config::DriftConfig,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// The run directory (default `<runtime.journal_dir>/<run_id>`).
    pub journal_dir: Option<PathBuf>,
    /// Model input, metrics and alerts (trading runs).
    pub outside: OutsideOptions,
    /// Told the run directory once the journal is created (the journal upload watches it).
    pub journal_dir_announce: Option<std::sync::mpsc::Sender<PathBuf>>,
}

/// What a trading run exchanges with programs beside it: a model file it follows, a metrics
/// endpoint it serves, an alert command it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutsideOptions {
    /// The model file followed for `ModelProbability` inputs (`--model-file`).
    pub model_file: Option<PathBuf>,
    /// Where `/metrics` is served (`--metrics-addr`, loopback only).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The alert command (`--on-alert`).
    pub on_alert: Option<String>,
    /// A feed outage alerts once it has lasted this long, s (`--alert-outage-after`).
    pub alert_outage_after_s: u64,
    /// The end-of-run summary as one JSON document on stdout (`--json`).
    pub json_summary: bool,
}

impl RunOptions {
    pub(crate) fn is_trading(&self) -> bool {
        matches!(self.purpose, Purpose::Trade { .. })
    }

    /// The fill model of a paper run (`None`: recording, or trading with real orders).
    pub(crate) fn paper(&self) -> Option<&kalshi_replay::fill_sim::FillModelConfig> {
        match &self.purpose {
            Purpose::Trade { paper, .. } => paper.as_ref(),
            Purpose::Record { .. } => None,
        }
    }

    /// Whether orders reach the exchange (trading, not on paper).
    pub(crate) fn sends_orders(&self) -> bool {
        self.is_trading() && self.paper().is_none()
    }

    pub(crate) fn environment(&self) -> String {
        let base = self.target.kind.journal_name();
        if self.paper().is_some() {
            format!("{PAPER_ENVIRONMENT_PREFIX}{base}")
        } else if self.is_trading() {
            base.to_string()
        } else {
            format!("record-{base}")
        }
    }
}

/// A run id: UTC start time, environment and six digits of the start nanoseconds, e.g.
/// `20261101T120000Z-sim-456789` (letters, digits and `-` only; at most 40 characters, the
/// limit that keeps client order ids within Kalshi's 64).
pub fn make_run_id(started_ns: i64, environment: &str) -> anyhow::Result<RunId> {
    let stamp: String = kalshi_io::time::format_rfc3339_seconds(started_ns)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let suffix = started_ns.rem_euclid(1_000_000);
    let name: String = environment
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    RunId::parse(&format!("{stamp}-{name}-{suffix:06}")).context("building the run id")
}

/// Hex SHA-256 of the configuration's JSON form (the manifest's `config_hash`).
pub fn config_hash(config: &EngineConfig) -> anyhow::Result<String> {
    let bytes = serde_json::to_vec(config).context("encoding the configuration")?;
    let digest = Sha256::digest(&bytes);
    Ok(digest.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::super::clock::NS_PER_S;
    use super::*;

    #[test]
    fn run_ids_are_valid_client_order_id_stems() {
        let id = make_run_id(1_793_491_200 * NS_PER_S + 123_456_789, "record-sim").unwrap();
        assert_eq!(id.as_str(), "20261101T000000Z-record-sim-456789");
        let live = make_run_id(1_793_491_200 * NS_PER_S, "record-live").unwrap();
        assert!(live.as_str().len() <= kalshi_core::client_order_id::RUN_ID_LEN_MAX);
        assert!(id.as_str().len() <= kalshi_core::client_order_id::RUN_ID_LEN_MAX);
    }

    #[test]
    fn the_config_hash_changes_with_the_config() {
        let base = EngineConfig::default();
        let mut other = EngineConfig::default();
        other.strategy.rungs_per_side = 2;
        let a = config_hash(&base).unwrap();
        assert_eq!(a.len(), 64);
        assert_eq!(a, config_hash(&base).unwrap());
        assert_ne!(a, config_hash(&other).unwrap());
    }
}
