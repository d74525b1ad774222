//! Options shared by `run-strategy`, `record` and `scan-markets`: which exchange, the config
//! file and `--set` overrides, and the local exchange's knobs — plus the checks that turn them
//! into a safe, validated run before any network traffic.

use std::path::PathBuf;

use clap::Args;

use crate::config::{self, EngineProfile, LoadedConfig};
use crate::credentials::{self, ConfiguredKey};
use crate::exit_code::Refusal;
use crate::runtime::target::{Target, TargetRequest, resolve_target};

/// Which exchange to talk to.
#[derive(Debug, Clone, Default, Args)]
pub struct ExchangeArgs {
    /// The local exchange: started in-process with its development key, or the one at
    /// --api-base/--ws-url (e.g. from `kalshi-bot sim-exchange`).
    #[arg(long)]
    pub sim: bool,
    /// Kalshi's demo exchange; needs a demo key (KALSHI_API_KEY_ID and
    /// KALSHI_PRIVATE_KEY_PATH or KALSHI_PRIVATE_KEY_PEM).
    #[arg(long)]
    pub demo: bool,
    /// Kalshi production: real money. Needs --i-understand-risk and a production key.
    #[arg(long)]
    pub live: bool,
    /// Confirms --live.
    #[arg(long)]
    pub i_understand_risk: bool,
    /// REST base URL override (e.g. http://127.0.0.1:8080/trade-api/v2).
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// WebSocket URL override (e.g. ws://127.0.0.1:8080/trade-api/ws/v2).
    #[arg(long, value_name = "URL")]
    pub ws_url: Option<String>,
}

/// The configuration file and overrides.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// TOML configuration file (see config/example.toml); every field is optional.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Overrides one field, e.g. --set engine.risk.daily_loss_stop=50 (repeatable; applied
    /// after the file, before the dedicated flags).
    #[arg(long = "set", value_name = "SECTION.FIELD=VALUE")]
    pub set: Vec<String>,
}

/// Knobs of the local exchange (with --sim).
#[derive(Debug, Clone, Default, Args)]
pub struct SimArgs {
    /// Seed of the local exchange's catalog and synthetic flow.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Markets the local exchange generates.
    #[arg(long, value_name = "N")]
    pub sim_markets: Option<usize>,
    /// Seconds of synthetic trading simulated before connecting.
    #[arg(long, value_name = "SECONDS")]
    pub sim_warmup: Option<u64>,
    /// Directory of the local exchange's development key (created on first use).
    #[arg(long, value_name = "DIR")]
    pub sim_key_dir: Option<PathBuf>,
    /// Fault injection file for the local exchange (TOML or JSON).
    #[arg(long = "faults", alias = "sim-faults", value_name = "FILE")]
    pub sim_faults: Option<PathBuf>,
}

impl SimArgs {
    /// Applies the flags over the file's `[sim]` section.
    pub fn apply(&self, loaded: &mut LoadedConfig) {
        if let Some(seed) = self.seed {
            loaded.sim.seed = seed;
        }
        if let Some(markets) = self.sim_markets {
            loaded.sim.markets = markets;
        }
        if let Some(warmup) = self.sim_warmup {
            loaded.sim.warmup_s = warmup;
        }
        if let Some(dir) = &self.sim_key_dir {
            loaded.sim.key_dir = dir.clone();
        }
        if let Some(file) = &self.sim_faults {
            loaded.sim.faults_file = Some(file.clone());
        }
    }
}

/// A checked run: configuration, target and key.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The layered configuration (flags not yet applied beyond the URLs).
    pub loaded: LoadedConfig,
    /// The checked target.
    pub target: Target,
    /// The configured key (none for the local exchange, which uses its development key).
    pub key: Option<ConfiguredKey>,
}

/// Loads the configuration and checks the target and the key's declared environment.
/// `read_only` runs (recording) may use `--live` without `--i-understand-risk`: no order can
/// be sent. Every problem is a [`Refusal`].
pub fn prepare(
    exchange: &ExchangeArgs,
    config_args: &ConfigArgs,
    read_only: bool,
) -> anyhow::Result<Prepared> {
    let profile = if exchange.sim {
        EngineProfile::LocalExchange
    } else {
        EngineProfile::Exchange
    };
    let loaded = config::load(config_args.config.as_deref(), &config_args.set, profile)
        .map_err(|error| Refusal::new(error.to_string()))?;
    let request = TargetRequest {
        sim: exchange.sim,
        demo: exchange.demo,
        live: exchange.live,
        i_understand_risk: exchange.i_understand_risk || read_only,
        api_base: exchange
            .api_base
            .clone()
            .or_else(|| loaded.runtime.api_base.clone()),
        ws_url: exchange
            .ws_url
            .clone()
            .or_else(|| loaded.runtime.ws_url.clone()),
    };
    let (key, declared) = if exchange.sim {
        (None, None)
    } else {
        let key = credentials::resolve(&loaded.credentials, credentials::process_env)
            .map_err(|error| Refusal::new(error.to_string()))?;
        let declared =
            credentials::declared_environment(&loaded.credentials, credentials::process_env)
                .map_err(|error| Refusal::new(error.to_string()))?;
        (key, declared)
    };
    let target = resolve_target(&request, declared)?;
    Ok(Prepared {
        loaded,
        target,
        key,
    })
}

/// The run directory and the journal root it lives in: `--journal-dir DIR` names the run
/// directory itself (its parent becomes the root searched for the previous run); otherwise
/// the run writes `<runtime.journal_dir>/<run_id>/`.
pub fn apply_journal_dir(
    loaded: &mut LoadedConfig,
    journal_dir: Option<&PathBuf>,
) -> Option<PathBuf> {
    let dir = journal_dir?;
    if let Some(parent) = dir.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        loaded.runtime.journal_dir = parent.to_path_buf();
    } else {
        loaded.runtime.journal_dir = PathBuf::from(".");
    }
    Some(dir.clone())
}

/// A multi-threaded tokio runtime for a command.
pub fn tokio_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context as _;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
