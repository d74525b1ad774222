//! Where a run talks to: the target's endpoints with the loaded key (starting the local
//! exchange in-process when asked), and the exec pool as the sequencer's command sink.

use super::*;

/// Write tokens the client may spend in 10 s under `limits`, at `margin_percent` of the
/// published budget (the status line's headroom is measured against it).
pub(super) fn write_budget_10s(limits: &TierLimits, margin_percent: u8) -> u64 {
    u64::from(limits.write.refill_per_s) * 10 * u64::from(margin_percent) / 100
}

/// Where the run talks to, with its credentials.
pub(super) struct Connection {
    pub(super) endpoints: Endpoints,
    pub(super) credentials: Arc<ApiCredentials>,
    pub(super) local: Option<LocalExchange>,
}

/// Loads keys (refusing on any problem) and starts the local exchange when needed.
pub(super) async fn connect(options: &RunOptions) -> anyhow::Result<Connection> {
    match (options.target.kind, &options.target.endpoints) {
        (TargetKind::LocalExchange, None) => {
            let local = LocalExchange::start(&options.sim).await?;
            let endpoints = Endpoints::custom(local.base_url(), local.ws_url())
                .context("the local exchange's URLs")?;
            let credentials = ConfiguredKey::from_file(local.key_id(), local.private_key_path())
                .load()
                .map_err(|error| Refusal::new(error.to_string()))?;
            Ok(Connection {
                endpoints,
                credentials,
                local: Some(local),
            })
        }
        (TargetKind::LocalExchange, Some(endpoints)) => {
            let key = match &options.key {
                Some(key) => key.clone(),
                None => {
                    let dev = kalshi_sim::keys::load_or_create_dev_key(
                        &options.sim.key_dir,
                        kalshi_io::auth::KeyKind::Ed25519,
                    )
                    .map_err(|error| Refusal::new(format!("local exchange key: {error}")))?;
                    ConfiguredKey::from_file(dev.key_id, dev.private_key_path)
                }
            };
            let credentials = key
                .load()
                .map_err(|error| Refusal::new(error.to_string()))?;
            Ok(Connection {
                endpoints: endpoints.clone(),
                credentials,
                local: None,
            })
        }
        (kind, endpoints) => {
            let key = options.key.as_ref().ok_or_else(|| {
                Refusal::new(format!(
                    "{} needs an API key: set KALSHI_API_KEY_ID and KALSHI_PRIVATE_KEY_PATH \
                     (or KALSHI_PRIVATE_KEY_PEM), or [credentials] in the config file",
                    if kind == TargetKind::Demo {
                        "--demo"
                    } else {
                        "--live"
                    }
                ))
            })?;
            let credentials = key
                .load()
                .map_err(|error| Refusal::new(error.to_string()))?;
            let endpoints = endpoints
                .clone()
                .ok_or_else(|| Refusal::new("no endpoints resolved"))?;
            Ok(Connection {
                endpoints,
                credentials,
                local: None,
            })
        }
    }
}

/// The `CommandSink` over the exec pool.
pub(super) struct PoolSink(pub(super) Arc<ExecPool>);

impl CommandSink for PoolSink {
    fn submit(
        &mut self,
        command: kalshi_core::commands::Command,
    ) -> Result<(), kalshi_core::commands::Command> {
        self.0.try_submit(command)
    }
}
