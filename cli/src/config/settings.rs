//! The runtime's own sections of the configuration file — `[runtime]`, `[sim]`, `[drift]`,
//! `[credentials]` — with their defaults. The engine's sections are core's `EngineConfig` and
//! `Tuning`; checking every value's range is `super`'s job.

use std::path::PathBuf;

use kalshi_io::exec::OrderDialect;
use kalshi_io::ratelimit::UsageTier;
use serde::Deserialize;

/// Rate-limit tier names used in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TierSetting {
    /// 200 read / 100 write tokens per second.
    #[default]
    Basic,
    /// 300 / 300.
    Advanced,
    /// 1000 / 1000.
    Premier,
    /// 2000 / 2000.
    Paragon,
    /// 4000 / 4000.
    Prime,
}

impl From<TierSetting> for UsageTier {
    fn from(tier: TierSetting) -> UsageTier {
        match tier {
            TierSetting::Basic => UsageTier::Basic,
            TierSetting::Advanced => UsageTier::Advanced,
            TierSetting::Premier => UsageTier::Premier,
            TierSetting::Paragon => UsageTier::Paragon,
            TierSetting::Prime => UsageTier::Prime,
        }
    }
}

/// Order endpoint dialect names used in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialectSetting {
    /// `/portfolio/events/orders` (current).
    #[default]
    V2,
    /// `/portfolio/orders` (deprecated by Kalshi).
    Legacy,
}

impl From<DialectSetting> for OrderDialect {
    fn from(dialect: DialectSetting) -> OrderDialect {
        match dialect {
            DialectSetting::V2 => OrderDialect::V2,
            DialectSetting::Legacy => OrderDialect::Legacy,
        }
    }
}

/// `[runtime]`: how the live runtime runs (not journaled as engine config; none of it can
/// change a decision).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeSettings {
    /// Root of the journal; each run writes `<journal_dir>/<run_id>/`. Default `journal`.
    pub journal_dir: PathBuf,
    /// Period of `Timer{Tick}` events, ms. Default 250.
    pub tick_interval_ms: u64,
    /// Period of the status line, s. Default 5.
    pub status_interval_s: u64,
    /// Period of the market rescans (`GET /markets` sweep → `MarketListing`), s. Default 300.
    pub rescan_interval_s: u64,
    /// Levels per side of REST orderbook snapshots; 0 = all. Default 0.
    pub orderbook_depth: u32,
    /// Recent public trades fetched per market when it enters the universe. Default 100.
    pub recent_trades_per_market: u32,
    /// Journal raw WebSocket frames beside the normalized events. Default false.
    pub capture_raw_frames: bool,
    /// How long shutdown waits for the engine's cancels to be acknowledged, s. Default 15.
    pub shutdown_timeout_s: u64,
    /// How long startup waits for the first WebSocket event before refusing to trade, s.
    /// Default 15.
    pub ws_ready_timeout_s: u64,
    /// A socket with no frame for this long is reconnected, s. Default 30.
    pub ws_dead_after_s: u64,
    /// Rate-limit tier of the account (refined by `GET /account/limits` when
    /// `sync_account_limits`). Default `basic`.
    pub rate_limit_tier: TierSetting,
    /// Share of each published budget the client uses, percent (1..=100). Default 90.
    pub rate_limit_margin_percent: u8,
    /// Read `GET /account/limits` at startup and adopt its budgets. Default true.
    pub sync_account_limits: bool,
    /// Order endpoints. Default `v2`.
    pub order_dialect: DialectSetting,
    /// Parallel order workers (each market is always served by the same one). Default 4.
    pub exec_workers: usize,
    /// Capacity of each worker's queue; a full queue refuses the command locally. Default 1024.
    pub exec_queue_capacity: usize,
    /// Shut down with `DELETE /portfolio/events/orders` (every resting order of the account,
    /// including ones this system did not place) instead of per-order cancels. Default false.
    pub shutdown_cancel_all: bool,
    /// REST base URL override (e.g. a local exchange started with `sim-exchange`).
    pub api_base: Option<String>,
    /// WebSocket URL override.
    pub ws_url: Option<String>,
    /// Inputs older than this when the engine is about to act on them (from their arrival to
    /// now) withdraw every quote until the runtime catches up to half of it, ms; 0 turns the
    /// guard off. Default 2000.
    pub stale_after_ms: u64,
    /// A pause after every journal commit, ms: a slow disk on purpose, for overload tests.
    /// Default 0.
    pub journal_commit_delay_ms: u64,
    /// Journaling fails as on a full disk after this many commits: for the tests of what a
    /// run does when its journal cannot be written. Unset = never.
    pub journal_disk_full_after_commits: Option<u64>,
}

impl Default for RuntimeSettings {
    fn default() -> RuntimeSettings {
        RuntimeSettings {
            journal_dir: PathBuf::from("journal"),
            tick_interval_ms: 250,
            status_interval_s: 5,
            rescan_interval_s: 300,
            orderbook_depth: 0,
            recent_trades_per_market: 100,
            capture_raw_frames: false,
            shutdown_timeout_s: 15,
            ws_ready_timeout_s: 15,
            ws_dead_after_s: 30,
            rate_limit_tier: TierSetting::Basic,
            rate_limit_margin_percent: 90,
            sync_account_limits: true,
            order_dialect: DialectSetting::V2,
            exec_workers: 4,
            exec_queue_capacity: 1024,
            shutdown_cancel_all: false,
            api_base: None,
            ws_url: None,
            stale_after_ms: 2_000,
            journal_commit_delay_ms: 0,
            journal_disk_full_after_commits: None,
        }
    }
}

/// `[drift]`: the drift monitor of trading runs — the fill model its shadow runs and the
/// queue-position reads (not engine config; none of it changes a decision).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriftConfig {
    /// Period of the queue-position reads of markets where we rest orders, s; 0 = no reads.
    /// Default 5.
    pub queue_read_interval_s: u64,
    /// A queue-position read is skipped when less than this share of the read budget is
    /// available, percent (0..=100). Default 50.
    pub read_budget_reserve_percent: u8,
    /// Largest time between a shadow fill and the real fill it matches, ms. Default 1000.
    pub fill_tolerance_ms: i64,
    /// When our orders reach the shadow: `acked` (at the exchange's acks) or `commanded` (at
    /// the engine's commands plus the fill model's latencies). Default `acked`.
    pub shadow_timing: kalshi_replay::drift::ShadowTiming,
    /// The shadow's fill model (`[drift.fill]`, the `fill.*` keys of `backtest`; the fee
    /// precision follows the engine's).
    pub fill: kalshi_replay::fill_sim::FillModelConfig,
}

impl Default for DriftConfig {
    fn default() -> DriftConfig {
        DriftConfig {
            queue_read_interval_s: 5,
            read_budget_reserve_percent: 50,
            fill_tolerance_ms: kalshi_replay::drift::DEFAULT_FILL_TOLERANCE_MS,
            shadow_timing: kalshi_replay::drift::ShadowTiming::Acked,
            fill: kalshi_replay::fill_sim::FillModelConfig::default(),
        }
    }
}

/// `[sim]`: the in-process local exchange of `--sim`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimSettings {
    /// Markets generated. Default 16.
    pub markets: usize,
    /// Seed of the catalog and the synthetic flow. Default 7.
    pub seed: u64,
    /// Synthetic trading simulated before the run starts, so books and tapes are not empty, s.
    /// Default 600.
    pub warmup_s: u64,
    /// Directory of the development key pair (created on first use). Default `.kalshi-sim`.
    pub key_dir: PathBuf,
    /// Rate-limit tier the exchange enforces. Default `basic`.
    pub tier: TierSetting,
    /// Whether the exchange enforces rate limits. Default true.
    pub rate_limits_enabled: bool,
    /// Resting orders placed by noise traders, per market per hour. Default 14400.
    pub noise_orders_per_hour: f64,
    /// Cancels by noise traders, per market per hour. Default 12000.
    pub noise_cancels_per_hour: f64,
    /// Mispricing checks by informed traders, per market per hour. Default 3600.
    pub informed_checks_per_hour: f64,
    /// Edge (probability points) an informed trader needs before taking. Default 0.015.
    pub informed_edge: f64,
    /// Random-walk volatility of the hidden probability, log-odds per √hour. Default 6 (a
    /// fast market, so a short run sees quotes traded through).
    pub drift_sigma_per_sqrt_hour: f64,
    /// Jumps of the hidden probability per market per hour. Default 1.
    pub jumps_per_hour: f64,
    /// Furthest a noise order rests from the hidden probability (probability points).
    /// Default 0.03.
    pub noise_offset_max: f64,
    /// Fault injection file of the local exchange (TOML or JSON: dropped, duplicated or
    /// reordered WebSocket messages, disconnects, lost REST responses, 429 storms …). Unset =
    /// no faults.
    pub faults_file: Option<PathBuf>,
    /// Share of the open markets that are quiet, ppm: a normal book and a stale 24 h volume,
    /// but no trade within the last two hours and no synthetic flow (markets the
    /// recently-active filter drops). Default 0.
    pub quiet_share_ppm: u32,
}

impl Default for SimSettings {
    fn default() -> SimSettings {
        SimSettings {
            markets: 16,
            seed: 7,
            warmup_s: 600,
            key_dir: PathBuf::from(".kalshi-sim"),
            tier: TierSetting::Basic,
            rate_limits_enabled: true,
            noise_orders_per_hour: 14_400.0,
            noise_cancels_per_hour: 12_000.0,
            informed_checks_per_hour: 3_600.0,
            informed_edge: 0.015,
            drift_sigma_per_sqrt_hour: 6.0,
            jumps_per_hour: 1.0,
            noise_offset_max: 0.03,
            faults_file: None,
            quiet_share_ppm: 0,
        }
    }
}

/// `[credentials]`: where the API key is (never the key itself). The environment variables
/// `KALSHI_API_KEY_ID`, `KALSHI_PRIVATE_KEY_PATH`, `KALSHI_PRIVATE_KEY_PEM` and
/// `KALSHI_KEY_ENVIRONMENT` take precedence.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CredentialSettings {
    /// The API key id sent in `KALSHI-ACCESS-KEY` (an identifier, not a secret).
    pub api_key_id: Option<String>,
    /// PEM private-key file (mode 0600; looser permissions are refused).
    pub private_key_path: Option<PathBuf>,
    /// The environment the key was issued for (`demo` or `production`); a key declared for
    /// one is refused for the other.
    pub key_environment: Option<String>,
}
