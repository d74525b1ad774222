//! The in-process local exchange of `--sim`.
//!
//! It runs on a virtual clock that the runtime drives to wall-clock time: it starts
//! `warmup_s` in the past, is advanced to now at once (so the synthetic traders have built
//! books and a tape before we connect), then follows the wall clock every 50 ms. From then
//! on it behaves like the real-clock simulator.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use kalshi_io::auth::KeyKind;
use kalshi_sim::faults::FaultConfig;
use kalshi_sim::{ClockMode, SimConfig, SimHandle};
use tokio::task::JoinHandle;

use super::clock::{NS_PER_S, now_ns};
use crate::config::SimSettings;

/// How often the exchange's clock is moved to wall-clock time.
const CLOCK_STEP: Duration = Duration::from_millis(50);

/// A running in-process exchange.
pub struct LocalExchange {
    handle: Arc<SimHandle>,
    clock: JoinHandle<()>,
}

/// The simulator configuration for `settings`, starting `warmup_s` before `now_ns`.
pub fn sim_config(settings: &SimSettings, now_ns: i64) -> anyhow::Result<SimConfig> {
    let mut config = SimConfig {
        port: 0,
        seed: settings.seed,
        clock: ClockMode::Virtual,
        key_dir: settings.key_dir.clone(),
        key_kind: KeyKind::Ed25519,
        tier: settings.tier.into(),
        rate_limits_enabled: settings.rate_limits_enabled,
        ..SimConfig::default()
    };
    let warmup_ns = i64::try_from(settings.warmup_s)
        .unwrap_or(0)
        .saturating_mul(NS_PER_S);
    config.exchange.start_ns = now_ns.saturating_sub(warmup_ns);
    let catalog = &mut config.exchange.catalog;
    catalog.market_count = settings.markets;
    catalog.event_count = (settings.markets / 5).clamp(1, catalog.event_count.max(1));
    catalog.quiet_share_ppm = settings.quiet_share_ppm;
    let flow = &mut config.exchange.flow;
    flow.noise_orders_per_hour = settings.noise_orders_per_hour;
    flow.noise_cancels_per_hour = settings.noise_cancels_per_hour;
    flow.informed_checks_per_hour = settings.informed_checks_per_hour;
    flow.informed_edge = settings.informed_edge;
    flow.drift_sigma_per_sqrt_hour = settings.drift_sigma_per_sqrt_hour;
    flow.jumps_per_hour = settings.jumps_per_hour;
    flow.noise_offset_max = settings.noise_offset_max;
    if let Some(path) = &settings.faults_file {
        config.faults = FaultConfig::from_file(path)
            .with_context(|| format!("sim.faults_file {}", path.display()))?;
    }
    Ok(config)
}

impl LocalExchange {
    /// Starts the exchange on a free loopback port and runs the warm-up.
    pub async fn start(settings: &SimSettings) -> anyhow::Result<LocalExchange> {
        let exchange = LocalExchange::start_config(sim_config(settings, now_ns())?).await?;
        tracing::info!(
            base_url = %exchange.handle.base_url,
            markets = settings.markets,
            seed = settings.seed,
            warmup_s = settings.warmup_s,
            "local exchange running"
        );
        Ok(exchange)
    }

    /// Starts the exchange of `config` (a [`sim_config`], adjusted), runs its warm-up from
    /// `config.exchange.start_ns` to now, then drives its clock to wall-clock time.
    pub async fn start_config(config: SimConfig) -> anyhow::Result<LocalExchange> {
        let handle = kalshi_sim::spawn(config)
            .await
            .context("starting the local exchange")?;
        handle
            .set_time(now_ns())
            .context("running the local exchange's warm-up")?;
        let handle = Arc::new(handle);
        let driven = Arc::clone(&handle);
        let clock = tokio::spawn(async move {
            let mut interval = tokio::time::interval(CLOCK_STEP);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let target = now_ns().max(driven.now_ns());
                if let Err(error) = driven.set_time(target) {
                    tracing::warn!(%error, "local exchange clock");
                }
            }
        });
        Ok(LocalExchange { handle, clock })
    }

    /// The running server (address, statistics).
    pub fn handle(&self) -> &SimHandle {
        &self.handle
    }

    /// REST base URL.
    pub fn base_url(&self) -> &str {
        &self.handle.base_url
    }

    /// WebSocket URL.
    pub fn ws_url(&self) -> &str {
        &self.handle.ws_url
    }

    /// The development key id.
    pub fn key_id(&self) -> &str {
        &self.handle.key_id
    }

    /// The development private key file.
    pub fn private_key_path(&self) -> &std::path::Path {
        &self.handle.private_key_path
    }

    /// Stops the clock and the server.
    pub async fn stop(self) {
        self.clock.abort();
        let _ = self.clock.await;
        match Arc::try_unwrap(self.handle) {
            Ok(handle) => handle.shutdown().await,
            Err(_) => tracing::warn!("local exchange still referenced; left running until exit"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exchange_starts_warmup_seconds_in_the_past() {
        let settings = SimSettings {
            markets: 12,
            warmup_s: 60,
            ..SimSettings::default()
        };
        let config = sim_config(&settings, 1_000 * NS_PER_S).unwrap();
        assert_eq!(config.exchange.start_ns, 940 * NS_PER_S);
        assert_eq!(config.clock, ClockMode::Virtual);
        assert_eq!(config.exchange.catalog.market_count, 12);
        assert_eq!(config.exchange.catalog.event_count, 2);
        assert_eq!(config.port, 0);
        let missing = SimSettings {
            faults_file: Some(std::path::PathBuf::from("/nonexistent/faults.toml")),
            ..SimSettings::default()
        };
        let error = sim_config(&missing, 0).unwrap_err();
        assert!(
            format!("{error:#}").contains("sim.faults_file"),
            "{error:#}"
        );
    }
}
