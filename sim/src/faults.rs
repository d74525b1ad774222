//! Fault injection for the local exchange: every knob is off by default.
//!
//! [`FaultConfig`] is plain serde data, loadable from a TOML or JSON file (`--faults FILE`).
//! Decisions are drawn from seeded ChaCha random sources, so a run with the same seed, the
//! same configuration and the same sequence of requests injects the same faults:
//! - REST: a 5xx answer before the request is processed, a 408, a *lost response* after an
//!   order-creating request was accepted (the order exists, but the client sees a dropped
//!   connection or a 504), 429 storm windows, a read-after-write lag on portfolio GETs, and
//!   an exchange clock skewed against the machine's.
//! - WebSocket, per data message: drop, duplicate, reorder (hold back until the next one),
//!   delay; per subscription: go silent after N messages; per connection: disconnect after N
//!   messages, or go half-open (stop pings and data, keep TCP open) after N messages.

use std::path::Path;

use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a fault configuration was refused.
#[derive(Debug, Error)]
pub enum FaultConfigError {
    /// The file could not be read.
    #[error("cannot read fault file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is neither valid TOML nor valid JSON for [`FaultConfig`].
    #[error("fault file {path} is not a valid fault configuration: {details}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's message.
        details: String,
    },
    /// A probability is outside `[0, 1]` (or not a number).
    #[error("fault probability {name} = {value} must be between 0 and 1")]
    Probability {
        /// The knob.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A knob that must be positive is zero.
    #[error("fault knob {name} must be positive")]
    NotPositive {
        /// The knob.
        name: &'static str,
    },
}

/// All fault knobs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Seed of the fault random sources; `None` uses the exchange seed.
    pub seed: Option<u64>,
    /// WebSocket faults.
    pub ws: WsFaults,
    /// REST faults.
    pub rest: RestFaults,
}

/// WebSocket fault knobs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WsFaults {
    /// Probability that a data message is not sent.
    pub drop_probability: f64,
    /// Probability that a data message is sent twice.
    pub duplicate_probability: f64,
    /// Probability that a data message is held back and sent after the next one.
    pub reorder_probability: f64,
    /// Probability that a data message is delayed by `delay_ms` (later messages wait too).
    pub delay_probability: f64,
    /// Delay applied to delayed messages, ms.
    pub delay_ms: u64,
    /// Probability that a new subscription goes silent (sends no more data) after
    /// `silent_after_messages` data messages.
    pub silent_subscription_probability: f64,
    /// Data messages a silent subscription still sends before going quiet.
    pub silent_after_messages: u64,
    /// Close the connection after this many data messages.
    pub disconnect_after_messages: Option<u64>,
    /// After this many data messages stop sending pings and data but keep the socket open.
    pub half_open_after_messages: Option<u64>,
}

/// How a lost response looks to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LostResponseMode {
    /// The connection is closed without an HTTP response.
    #[default]
    DropConnection,
    /// A 504 gateway timeout is returned.
    GatewayTimeout,
}

/// A window of time, relative to the exchange start, during which every request gets 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StormWindow {
    /// Start, ms after the server started.
    pub start_ms: u64,
    /// Length, ms.
    pub duration_ms: u64,
}

/// REST fault knobs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RestFaults {
    /// Probability that a request gets a 500 or 503 answer without being processed.
    pub error_5xx_probability: f64,
    /// Probability that a request gets a 408 answer without being processed.
    pub timeout_408_probability: f64,
    /// Probability that an order-creating request is processed but its response is lost.
    pub lost_response_probability: f64,
    /// What the client sees when a response is lost.
    pub lost_response_mode: LostResponseMode,
    /// Explicit 429 storm windows.
    pub storm_429_windows: Vec<StormWindow>,
    /// Periodic 429 storms: one every `storm_429_every_ms` ms …
    pub storm_429_every_ms: Option<u64>,
    /// … lasting this long, ms.
    pub storm_429_duration_ms: u64,
    /// Portfolio GET answers are served from a per-user view up to this old, ms (0 = off).
    pub portfolio_read_lag_ms: u64,
    /// Every `GET /portfolio/…` answers 503 without being processed, while market data and
    /// order writes work: the account side of the exchange down (a client cannot reconcile).
    pub portfolio_reads_down: bool,
    /// The exchange's clock reads this many ms ahead of the machine's (negative: behind):
    /// the `Date` header of every answer and the check of signed requests' timestamps use
    /// the skewed clock, as with a client whose clock drifted. 0 = off.
    pub clock_skew_ms: i64,
}

impl FaultConfig {
    /// Reads a configuration from a `.json` file, or TOML for any other extension.
    pub fn from_file(path: &Path) -> Result<FaultConfig, FaultConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| FaultConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        let config: FaultConfig = if is_json {
            serde_json::from_str(&text).map_err(|e| FaultConfigError::Parse {
                path: shown,
                details: e.to_string(),
            })?
        } else {
            toml::from_str(&text).map_err(|e| FaultConfigError::Parse {
                path: shown,
                details: e.to_string(),
            })?
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks every probability is in `[0, 1]` and periodic storms have a period.
    pub fn validate(&self) -> Result<(), FaultConfigError> {
        let probabilities = [
            ("ws.drop_probability", self.ws.drop_probability),
            ("ws.duplicate_probability", self.ws.duplicate_probability),
            ("ws.reorder_probability", self.ws.reorder_probability),
            ("ws.delay_probability", self.ws.delay_probability),
            (
                "ws.silent_subscription_probability",
                self.ws.silent_subscription_probability,
            ),
            (
                "rest.error_5xx_probability",
                self.rest.error_5xx_probability,
            ),
            (
                "rest.timeout_408_probability",
                self.rest.timeout_408_probability,
            ),
            (
                "rest.lost_response_probability",
                self.rest.lost_response_probability,
            ),
        ];
        for (name, value) in probabilities {
            if !(0.0..=1.0).contains(&value) {
                return Err(FaultConfigError::Probability { name, value });
            }
        }
        if self.rest.storm_429_every_ms == Some(0) {
            return Err(FaultConfigError::NotPositive {
                name: "rest.storm_429_every_ms",
            });
        }
        Ok(())
    }

    /// True when any WebSocket knob is on.
    pub fn ws_enabled(&self) -> bool {
        let ws = &self.ws;
        ws.drop_probability > 0.0
            || ws.duplicate_probability > 0.0
            || ws.reorder_probability > 0.0
            || ws.delay_probability > 0.0
            || ws.silent_subscription_probability > 0.0
            || ws.disconnect_after_messages.is_some()
            || ws.half_open_after_messages.is_some()
    }

    /// True when `elapsed_ms` after start falls in a 429 storm.
    pub fn in_429_storm(&self, elapsed_ms: u64) -> bool {
        let rest = &self.rest;
        let in_window = rest
            .storm_429_windows
            .iter()
            .any(|w| elapsed_ms >= w.start_ms && elapsed_ms - w.start_ms < w.duration_ms);
        let in_periodic = rest
            .storm_429_every_ms
            .is_some_and(|every| elapsed_ms % every < rest.storm_429_duration_ms);
        in_window || in_periodic
    }
}

/// A REST fault decided before the request is processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestFaultBefore {
    /// Process normally.
    None,
    /// Answer with this 5xx status, without processing.
    ServerError(u16),
    /// Answer 408, without processing.
    RequestTimeout,
}

/// Seeded REST fault decisions (one source for the whole server).
#[derive(Debug)]
pub struct RestFaultSource {
    config: RestFaults,
    rng: ChaCha8Rng,
}

/// Stream of the REST fault random source.
const REST_STREAM: u64 = 0xfa17;
/// Stream base of the per-connection WebSocket fault random sources.
const WS_STREAM_BASE: u64 = 0xfa17_0000;

impl RestFaultSource {
    /// A source for `config` seeded with `seed`.
    pub fn new(config: &FaultConfig, seed: u64) -> RestFaultSource {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed.unwrap_or(seed));
        rng.set_stream(REST_STREAM);
        RestFaultSource {
            config: config.rest.clone(),
            rng,
        }
    }

    /// Decides whether a request (`method`, `path` relative to the API root) fails before
    /// processing.
    pub fn before(&mut self, method: &str, path: &str) -> RestFaultBefore {
        let rest = &self.config;
        if rest.portfolio_reads_down && method == "GET" && path.starts_with("/portfolio/") {
            return RestFaultBefore::ServerError(503);
        }
        if rest.error_5xx_probability > 0.0 && self.rng.gen_bool(rest.error_5xx_probability) {
            let status = if self.rng.gen_bool(0.5) { 500 } else { 503 };
            return RestFaultBefore::ServerError(status);
        }
        if rest.timeout_408_probability > 0.0 && self.rng.gen_bool(rest.timeout_408_probability) {
            return RestFaultBefore::RequestTimeout;
        }
        RestFaultBefore::None
    }

    /// Decides whether the response of an accepted order-creating request is lost.
    pub fn lose_response(&mut self) -> Option<LostResponseMode> {
        let p = self.config.lost_response_probability;
        (p > 0.0 && self.rng.gen_bool(p)).then_some(self.config.lost_response_mode)
    }
}

/// What to do with one outgoing WebSocket data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsMessageFault {
    /// Send it.
    Send,
    /// Do not send it.
    Drop,
    /// Send it twice.
    Duplicate,
    /// Hold it back and send it after the next message.
    Reorder,
    /// Wait this many ms, then send it.
    Delay(u64),
}

/// What the connection as a whole should do after a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsConnectionFault {
    /// Carry on.
    None,
    /// Close the connection now.
    Disconnect,
    /// Stop all pings and data, keep the socket open.
    HalfOpen,
}

/// Seeded WebSocket fault decisions for one connection.
#[derive(Debug)]
pub struct WsFaultSource {
    config: WsFaults,
    rng: ChaCha8Rng,
    data_messages: u64,
}

impl WsFaultSource {
    /// A source for connection number `connection` (0, 1, … in accept order).
    pub fn new(config: &FaultConfig, seed: u64, connection: u64) -> WsFaultSource {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed.unwrap_or(seed));
        rng.set_stream(WS_STREAM_BASE.wrapping_add(connection));
        WsFaultSource {
            config: config.ws.clone(),
            rng,
            data_messages: 0,
        }
    }

    /// Decides the fate of the next data message.
    pub fn message(&mut self) -> WsMessageFault {
        self.data_messages += 1;
        let ws = &self.config;
        if ws.drop_probability > 0.0 && self.rng.gen_bool(ws.drop_probability) {
            return WsMessageFault::Drop;
        }
        if ws.duplicate_probability > 0.0 && self.rng.gen_bool(ws.duplicate_probability) {
            return WsMessageFault::Duplicate;
        }
        if ws.reorder_probability > 0.0 && self.rng.gen_bool(ws.reorder_probability) {
            return WsMessageFault::Reorder;
        }
        if ws.delay_probability > 0.0 && self.rng.gen_bool(ws.delay_probability) {
            return WsMessageFault::Delay(ws.delay_ms);
        }
        WsMessageFault::Send
    }

    /// What the connection does now that `message` was called for the latest data message.
    pub fn connection(&self) -> WsConnectionFault {
        if self
            .config
            .disconnect_after_messages
            .is_some_and(|n| self.data_messages >= n)
        {
            return WsConnectionFault::Disconnect;
        }
        if self
            .config
            .half_open_after_messages
            .is_some_and(|n| self.data_messages >= n)
        {
            return WsConnectionFault::HalfOpen;
        }
        WsConnectionFault::None
    }

    /// For a new subscription: after how many data messages it goes silent, if it does.
    pub fn silent_after(&mut self) -> Option<u64> {
        let p = self.config.silent_subscription_probability;
        (p > 0.0 && self.rng.gen_bool(p)).then_some(self.config.silent_after_messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portfolio_reads_down_fails_only_the_account_reads() {
        let mut config = FaultConfig::default();
        config.rest.portfolio_reads_down = true;
        let mut rest = RestFaultSource::new(&config, 7);
        assert_eq!(
            rest.before("GET", "/portfolio/orders"),
            RestFaultBefore::ServerError(503)
        );
        assert_eq!(rest.before("GET", "/markets"), RestFaultBefore::None);
        assert_eq!(
            rest.before("POST", "/portfolio/events/orders"),
            RestFaultBefore::None
        );
    }

    #[test]
    fn default_config_injects_nothing() {
        let config = FaultConfig::default();
        let mut rest = RestFaultSource::new(&config, 7);
        let mut ws = WsFaultSource::new(&config, 7, 0);
        for _ in 0..1000 {
            assert_eq!(rest.before("GET", "/markets"), RestFaultBefore::None);
            assert_eq!(rest.lose_response(), None);
            assert_eq!(ws.message(), WsMessageFault::Send);
            assert_eq!(ws.connection(), WsConnectionFault::None);
            assert_eq!(ws.silent_after(), None);
        }
        assert!(!config.in_429_storm(0));
        assert!(!config.ws_enabled());
    }

    #[test]
    fn toml_file_loads_and_bad_probability_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faults.toml");
        std::fs::write(
            &path,
            "[ws]\ndrop_probability = 0.25\ndisconnect_after_messages = 10\n[rest]\nstorm_429_every_ms = 1000\nstorm_429_duration_ms = 100\n",
        )
        .unwrap();
        let config = FaultConfig::from_file(&path).unwrap();
        assert_eq!(config.ws.drop_probability, 0.25);
        assert!(config.in_429_storm(2050));
        assert!(!config.in_429_storm(2150));

        std::fs::write(&path, "[rest]\nerror_5xx_probability = 1.5\n").unwrap();
        let err = FaultConfig::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("rest.error_5xx_probability"), "{err}");

        std::fs::write(&path, "[rest]\nno_such_knob = 1\n").unwrap();
        assert!(FaultConfig::from_file(&path).is_err());
    }

    #[test]
    fn same_seed_same_decisions_and_rates_are_plausible() {
        let mut config = FaultConfig::default();
        config.ws.drop_probability = 0.1;
        config.ws.duplicate_probability = 0.1;
        let decide = |connection| {
            let mut ws = WsFaultSource::new(&config, 42, connection);
            (0..2000).map(|_| ws.message()).collect::<Vec<_>>()
        };
        assert_eq!(decide(0), decide(0));
        assert_ne!(decide(0), decide(1));
        let drops = decide(0)
            .iter()
            .filter(|f| **f == WsMessageFault::Drop)
            .count();
        assert!(
            (100..300).contains(&drops),
            "{drops} drops of 2000 at p = 0.1"
        );
    }

    #[test]
    fn connection_faults_trigger_after_n_messages() {
        let mut config = FaultConfig::default();
        config.ws.half_open_after_messages = Some(3);
        let mut ws = WsFaultSource::new(&config, 1, 0);
        ws.message();
        ws.message();
        assert_eq!(ws.connection(), WsConnectionFault::None);
        ws.message();
        assert_eq!(ws.connection(), WsConnectionFault::HalfOpen);
    }
}
