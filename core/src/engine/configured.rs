//! What a configuration sets up: the config itself, the EV gate built from it, the client
//! order id generator of its run and the strategy — one value, present once the first
//! [`Event::Config`](crate::events::Event::Config) is accepted.

use super::*;

/// The engine's configured state (see the module doc).
pub(super) struct Configured {
    /// The configuration in force (operator settings applied).
    pub(super) config: EngineConfig,
    /// The EV gate of `config.ev_gate`, rebuilt whenever the configuration changes.
    pub(super) ev_gate: EvGate,
    /// Client order ids of `config.run_id`; kept across a reconfiguration of the same run.
    pub(super) ids: ClientOrderIdGenerator,
    /// The maker ladder of `config.strategy`, or the caller's own strategy.
    pub(super) strategy: Box<dyn Strategy + Send>,
    /// Whether `strategy` came from [`Engine::with_strategy`] (never rebuilt from config).
    pub(super) custom_strategy: bool,
}

impl Engine {
    /// Accepts `config` (after validating it): limits, EV gate and strategy from it, client
    /// order ids of its run (kept when the run is the same), the universe's market settings
    /// on first use.
    pub(super) fn on_config(&mut self, config: &EngineConfig, out: &mut Output) {
        if let Err(error) = config.validate() {
            out.decide(Decision::Ignored(Ignored::ConfigRejected {
                error: error.to_string(),
            }));
            return;
        }
        let previous = self.configured.take();
        let ids = match previous.as_ref() {
            Some(previous) if previous.config.run_id == config.run_id => previous.ids.clone(),
            _ => ClientOrderIdGenerator::new(config.run_id.clone()),
        };
        self.risk.set_limits(config.risk.clone());
        let ev_gate = EvGate::new(config.ev_gate.clone(), config.fee_target_precision_micros);
        let (strategy, custom_strategy) = match previous {
            Some(previous) if previous.custom_strategy => (previous.strategy, true),
            Some(_) => (ladder(config), false),
            None => match self.custom_strategy_waiting.take() {
                Some(custom) => (custom, true),
                None => (ladder(config), false),
            },
        };
        if self.universe.is_empty() {
            self.universe = Universe::new(config.market_state);
        }
        self.configured = Some(Configured {
            config: config.clone(),
            ev_gate,
            ids,
            strategy,
            custom_strategy,
        });
        out.decide(Decision::ConfigAccepted {
            run_id: config.run_id.to_string(),
        });
    }

    /// The configuration in force (`None` before the first accepted one).
    pub(super) fn config(&self) -> Option<&EngineConfig> {
        self.configured
            .as_ref()
            .map(|configured| &configured.config)
    }

    /// Whether the strategy is the caller's own rather than the maker ladder.
    pub(super) fn has_custom_strategy(&self) -> bool {
        self.configured
            .as_ref()
            .map_or(self.custom_strategy_waiting.is_some(), |configured| {
                configured.custom_strategy
            })
    }

    /// The strategy in use, or the caller's waiting for the first configuration.
    pub(super) fn strategy_mut(&mut self) -> Option<&mut (dyn Strategy + Send + 'static)> {
        match self.configured.as_mut() {
            Some(configured) => Some(configured.strategy.as_mut()),
            None => self.custom_strategy_waiting.as_deref_mut(),
        }
    }
}

/// The maker ladder with `config`'s strategy settings.
fn ladder(config: &EngineConfig) -> Box<dyn Strategy + Send> {
    Box::new(MakerLadder::new(config.strategy.clone()))
}
