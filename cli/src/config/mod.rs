//! The configuration file (TOML) and command-line overrides, turned into the engine's
//! [`EngineConfig`] plus the runtime's own settings.
//!
//! Layering, lowest first:
//! 1. built-in defaults for the chosen profile (the local exchange gets scanner thresholds that
//!    fit its young synthetic markets, see [`EngineProfile`]);
//! 2. the file given with `--config` (every section and field is optional);
//! 3. `--set section.field=value` overrides, in the order given;
//! 4. the dedicated flags of each command (`--markets`, `--journal`, `--api-base` …),
//!    applied by the command after [`load`].
//!
//! Every error names the file and the field: a misspelt key is refused (`unknown field
//! engine.strategy.rungs_per_sidee`), a value of the wrong type names the key and the line, and
//! an out-of-range engine value is reported by [`EngineConfig::validate`] with its dotted path.
//! Secrets never live here: the file may name a key *file* and a key id, never key material.

use std::fmt;
use std::path::{Path, PathBuf};

use kalshi_core::config::EngineConfig;
use kalshi_core::fixed::Count;
use toml::{Table, Value};

mod settings;
mod toml_paths;

pub use settings::{CredentialSettings, DriftConfig, RuntimeSettings, SimSettings};

use toml_paths::{deep_merge, get_path, has_path, leaf_paths, parse_override_value, set_path};

/// The sections a file may contain.
const SECTIONS: [&str; 6] = ["engine", "tuning", "runtime", "sim", "credentials", "drift"];

/// Why a configuration could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigFileError {
    /// The file could not be read.
    Read {
        /// The path that was given.
        path: PathBuf,
        /// The I/O error text.
        reason: String,
    },
    /// The file is not valid TOML, or a section has a field of the wrong type or an unknown
    /// field (the message names it and its line).
    Syntax {
        /// Where the text came from (a file path, or `--set`).
        origin: String,
        /// The parser's message.
        reason: String,
    },
    /// A key the configuration does not have.
    UnknownField {
        /// Where the text came from.
        origin: String,
        /// Dotted path of the key.
        field: String,
    },
    /// A `--set` argument that is not `section.field=value`.
    BadOverride {
        /// The argument as given.
        argument: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An engine value out of range.
    Invalid {
        /// Dotted path of the field.
        field: String,
        /// What was wrong.
        reason: String,
    },
}

impl fmt::Display for ConfigFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigFileError::Read { path, reason } => {
                write!(f, "cannot read config file {}: {reason}", path.display())
            }
            ConfigFileError::Syntax { origin, reason } => write!(f, "{origin}: {reason}"),
            ConfigFileError::UnknownField { origin, field } => write!(
                f,
                "{origin}: unknown field `{field}` (see config/example.toml for every field)"
            ),
            ConfigFileError::BadOverride { argument, reason } => {
                write!(f, "--set {argument:?}: {reason}")
            }
            ConfigFileError::Invalid { field, reason } => {
                write!(f, "config field `{field}`: {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigFileError {}

/// Which defaults the engine section starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineProfile {
    /// Real Kalshi (production or demo): the engine's own defaults.
    Exchange,
    /// The local exchange: its markets are minutes old, so the 24 h volume and open-interest
    /// minimums start at zero.
    LocalExchange,
}

impl EngineProfile {
    /// The engine defaults of this profile.
    pub fn defaults(self) -> EngineConfig {
        let mut config = EngineConfig::default();
        if self == EngineProfile::LocalExchange {
            config.scanner.volume_24h_min = Count::ZERO;
            config.scanner.open_interest_min = Count::ZERO;
        }
        config
    }
}

/// Everything [`load`] produced.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedConfig {
    /// The engine configuration (run id still the default; the runtime sets it).
    pub engine: EngineConfig,
    /// Engine settings journaled as their own input after the configuration (`[tuning]`).
    pub tuning: kalshi_core::tuning::Tuning,
    /// Runtime settings.
    pub runtime: RuntimeSettings,
    /// Local exchange settings.
    pub sim: SimSettings,
    /// Credential locations.
    pub credentials: CredentialSettings,
    /// Drift monitor settings (`[drift]`): queue-position reads and the shadow fill model.
    pub drift: DriftConfig,
    /// The file read, if any.
    pub source: Option<PathBuf>,
}

/// Loads `path` (when given) over the profile's defaults and applies `overrides`
/// (`section.field=value`, value in TOML syntax; bare words are taken as strings).
pub fn load(
    path: Option<&Path>,
    overrides: &[String],
    profile: EngineProfile,
) -> Result<LoadedConfig, ConfigFileError> {
    let (mut table, origin) = match path {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| ConfigFileError::Read {
                path: path.to_path_buf(),
                reason: error.to_string(),
            })?;
            let origin = path.display().to_string();
            let table: Table = toml::from_str(&text).map_err(|error| ConfigFileError::Syntax {
                origin: origin.clone(),
                reason: error.to_string(),
            })?;
            (table, origin)
        }
        None => (Table::new(), "defaults".to_string()),
    };
    for argument in overrides {
        apply_override(&mut table, argument)?;
    }
    let origin = if overrides.is_empty() {
        origin
    } else {
        format!("{origin} (with --set overrides)")
    };
    from_table(table, &origin, profile, path.map(Path::to_path_buf))
}

/// Parses configuration text.
#[cfg(test)]
fn parse(text: &str, profile: EngineProfile) -> Result<LoadedConfig, ConfigFileError> {
    let table: Table = toml::from_str(text).map_err(|error| ConfigFileError::Syntax {
        origin: "config".to_string(),
        reason: error.to_string(),
    })?;
    from_table(table, "config", profile, None)
}

fn from_table(
    mut table: Table,
    origin: &str,
    profile: EngineProfile,
    source: Option<PathBuf>,
) -> Result<LoadedConfig, ConfigFileError> {
    if let Some(unknown) = table.keys().find(|key| !SECTIONS.contains(&key.as_str())) {
        return Err(ConfigFileError::UnknownField {
            origin: origin.to_string(),
            field: unknown.clone(),
        });
    }
    let engine_table = take_section(&mut table, "engine", origin)?;
    let engine = engine_from_table(engine_table, origin, profile)?;
    let tuning: kalshi_core::tuning::Tuning = section(&mut table, "tuning", origin)?;
    tuning.validate().map_err(|error| out_of_range(error, ""))?;
    let runtime: RuntimeSettings = section(&mut table, "runtime", origin)?;
    let sim: SimSettings = section(&mut table, "sim", origin)?;
    let credentials: CredentialSettings = section(&mut table, "credentials", origin)?;
    let drift: DriftConfig = section(&mut table, "drift", origin)?;
    check_runtime(&runtime)?;
    check_drift(&drift)?;
    check_sim(&sim)?;
    Ok(LoadedConfig {
        engine,
        tuning,
        runtime,
        sim,
        credentials,
        drift,
        source,
    })
}

fn check_drift(drift: &DriftConfig) -> Result<(), ConfigFileError> {
    if drift.read_budget_reserve_percent > 100 {
        return Err(invalid(
            "drift.read_budget_reserve_percent",
            "expected 0..=100",
        ));
    }
    if drift.fill_tolerance_ms < 0 {
        return Err(invalid("drift.fill_tolerance_ms", "expected at least 0"));
    }
    drift
        .fill
        .validate()
        .map_err(|error| invalid("drift.fill", &error.to_string()))
}

fn take_section(table: &mut Table, name: &str, origin: &str) -> Result<Table, ConfigFileError> {
    match table.remove(name) {
        None => Ok(Table::new()),
        Some(Value::Table(section)) => Ok(section),
        Some(other) => Err(ConfigFileError::Syntax {
            origin: origin.to_string(),
            reason: format!(
                "`{name}` must be a table ([{name}]), found {}",
                other.type_str()
            ),
        }),
    }
}

fn section<T: serde::de::DeserializeOwned>(
    table: &mut Table,
    name: &str,
    origin: &str,
) -> Result<T, ConfigFileError> {
    let section = take_section(table, name, origin)?;
    Value::Table(section.clone())
        .try_into()
        .map_err(|error: toml::de::Error| {
            type_error::<T>(&Table::new(), &section, name, origin, error.message())
        })
}

/// Names the field behind a deserialization error: each field the user wrote is tried alone
/// over `base`, and the first one that fails on its own is reported.
fn type_error<T: serde::de::DeserializeOwned>(
    base: &Table,
    user: &Table,
    section: &str,
    origin: &str,
    message: &str,
) -> ConfigFileError {
    let mut paths = Vec::new();
    leaf_paths("", &Value::Table(user.clone()), &mut paths);
    for path in paths {
        let Some(value) = get_path(user, &path) else {
            continue;
        };
        let mut alone = base.clone();
        set_path(&mut alone, &path, value.clone());
        if Value::Table(alone).try_into::<T>().is_err() {
            return ConfigFileError::Syntax {
                origin: origin.to_string(),
                reason: format!("field `{section}.{path}`: {message}"),
            };
        }
    }
    ConfigFileError::Syntax {
        origin: origin.to_string(),
        reason: format!("in [{section}]: {message}"),
    }
}

/// Merges the user's `[engine]` table over the profile defaults and checks that every key the
/// user wrote is a real field.
fn engine_from_table(
    user: Table,
    origin: &str,
    profile: EngineProfile,
) -> Result<EngineConfig, ConfigFileError> {
    let defaults =
        toml::Value::try_from(profile.defaults()).map_err(|error| ConfigFileError::Syntax {
            origin: "built-in defaults".to_string(),
            reason: error.to_string(),
        })?;
    let Value::Table(mut merged) = defaults else {
        return Err(ConfigFileError::Syntax {
            origin: "built-in defaults".to_string(),
            reason: "the engine defaults are not a table".to_string(),
        });
    };
    let base = merged.clone();
    deep_merge(&mut merged, user.clone());
    let engine: EngineConfig =
        Value::Table(merged)
            .try_into()
            .map_err(|error: toml::de::Error| {
                type_error::<EngineConfig>(&base, &user, "engine", origin, error.message())
            })?;
    let parsed = toml::Value::try_from(&engine).map_err(|error| ConfigFileError::Syntax {
        origin: origin.to_string(),
        reason: format!("in [engine]: {error}"),
    })?;
    let mut paths = Vec::new();
    leaf_paths("", &Value::Table(user), &mut paths);
    for path in paths {
        if !has_path(&parsed, &path) {
            return Err(ConfigFileError::UnknownField {
                origin: origin.to_string(),
                field: format!("engine.{path}"),
            });
        }
    }
    Ok(engine)
}

/// A core range error as a config-file error naming the field as `<prefix><path>`.
fn out_of_range(error: kalshi_core::config::ConfigError, prefix: &str) -> ConfigFileError {
    let kalshi_core::config::ConfigError::OutOfRange {
        field,
        value,
        expected,
    } = error;
    ConfigFileError::Invalid {
        field: format!("{prefix}{field}"),
        reason: format!("{value} is out of range; {expected}"),
    }
}

/// Checks the engine configuration; the error names the field as `engine.<path>`.
pub fn validate_engine(engine: &EngineConfig) -> Result<(), ConfigFileError> {
    engine
        .validate()
        .map_err(|error| out_of_range(error, "engine."))?;
    if engine.quoted_markets_max == 0 {
        return Err(ConfigFileError::Invalid {
            field: "engine.quoted_markets_max".to_string(),
            reason: "0 is out of range; expected at least 1".to_string(),
        });
    }
    Ok(())
}

fn invalid(field: &str, reason: &str) -> ConfigFileError {
    ConfigFileError::Invalid {
        field: field.to_string(),
        reason: reason.to_string(),
    }
}

fn check_runtime(runtime: &RuntimeSettings) -> Result<(), ConfigFileError> {
    if runtime.tick_interval_ms == 0 {
        return Err(invalid("runtime.tick_interval_ms", "expected at least 1"));
    }
    if runtime.status_interval_s == 0 {
        return Err(invalid("runtime.status_interval_s", "expected at least 1"));
    }
    if runtime.rescan_interval_s == 0 {
        return Err(invalid("runtime.rescan_interval_s", "expected at least 1"));
    }
    if !(1..=100).contains(&runtime.rate_limit_margin_percent) {
        return Err(invalid(
            "runtime.rate_limit_margin_percent",
            "expected 1..=100",
        ));
    }
    if runtime.exec_workers == 0 {
        return Err(invalid("runtime.exec_workers", "expected at least 1"));
    }
    if runtime.exec_queue_capacity == 0 {
        return Err(invalid(
            "runtime.exec_queue_capacity",
            "expected at least 1",
        ));
    }
    if runtime.recent_trades_per_market > 1000 {
        return Err(invalid(
            "runtime.recent_trades_per_market",
            "expected at most 1000 (one page)",
        ));
    }
    Ok(())
}

fn check_sim(sim: &SimSettings) -> Result<(), ConfigFileError> {
    if sim.markets == 0 {
        return Err(invalid("sim.markets", "expected at least 1"));
    }
    let rates = [
        ("sim.noise_orders_per_hour", sim.noise_orders_per_hour),
        ("sim.noise_cancels_per_hour", sim.noise_cancels_per_hour),
        ("sim.informed_checks_per_hour", sim.informed_checks_per_hour),
        ("sim.informed_edge", sim.informed_edge),
        (
            "sim.drift_sigma_per_sqrt_hour",
            sim.drift_sigma_per_sqrt_hour,
        ),
        ("sim.jumps_per_hour", sim.jumps_per_hour),
        ("sim.noise_offset_max", sim.noise_offset_max),
    ];
    for (field, value) in rates {
        if !value.is_finite() || value < 0.0 {
            return Err(invalid(field, "expected a finite number, zero or more"));
        }
    }
    Ok(())
}

/// Applies one `section.field=value` override to the raw table.
fn apply_override(table: &mut Table, argument: &str) -> Result<(), ConfigFileError> {
    let bad = |reason: &str| ConfigFileError::BadOverride {
        argument: argument.to_string(),
        reason: reason.to_string(),
    };
    let (path, value_text) = argument
        .split_once('=')
        .ok_or_else(|| bad("expected section.field=value"))?;
    let keys: Vec<&str> = path.trim().split('.').map(str::trim).collect();
    if keys.len() < 2 || keys.iter().any(|key| key.is_empty()) {
        return Err(bad(
            "expected a dotted path such as engine.risk.daily_loss_stop",
        ));
    }
    if !SECTIONS.contains(&keys[0]) {
        return Err(bad(
            "the path must start with engine, runtime, sim or credentials",
        ));
    }
    let value = parse_override_value(value_text.trim());
    let mut current = table;
    for key in &keys[..keys.len() - 1] {
        let entry = current
            .entry((*key).to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        current = match entry {
            Value::Table(inner) => inner,
            _ => return Err(bad(&format!("`{key}` is a value, not a section"))),
        };
    }
    current.insert(keys[keys.len() - 1].to_string(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use kalshi_core::Money;

    use super::*;

    #[test]
    fn an_empty_file_gives_the_profile_defaults() {
        let loaded = parse("", EngineProfile::Exchange).unwrap();
        assert_eq!(loaded.engine, EngineConfig::default());
        assert_eq!(loaded.tuning, kalshi_core::tuning::Tuning::default());
        assert_eq!(loaded.runtime, RuntimeSettings::default());
        let local = parse("", EngineProfile::LocalExchange).unwrap();
        assert_eq!(local.engine.scanner.volume_24h_min, Count::ZERO);
        assert_eq!(local.engine.scanner.open_interest_min, Count::ZERO);
    }

    #[test]
    fn file_values_override_defaults_and_keep_the_rest() {
        let loaded = parse(
            "[engine.strategy]\nrungs_per_side = 2\n[engine.risk]\ndaily_loss_stop = \"40\"\n\
             daily_loss_reducing = \"20.5\"\n[runtime]\ntick_interval_ms = 100\n",
            EngineProfile::Exchange,
        )
        .unwrap();
        assert_eq!(loaded.engine.strategy.rungs_per_side, 2);
        assert_eq!(loaded.engine.strategy.rung_spacing_ticks, 1);
        assert_eq!(
            loaded.engine.risk.daily_loss_stop,
            Money::from_micros(40_000_000)
        );
        assert_eq!(
            loaded.engine.risk.daily_loss_reducing,
            Money::from_micros(20_500_000)
        );
        assert_eq!(loaded.runtime.tick_interval_ms, 100);
        assert_eq!(loaded.runtime.status_interval_s, 5);
    }

    #[test]
    fn misspelt_fields_are_named() {
        let error = parse(
            "[engine.strategy]\nrungs_per_sidee = 2\n",
            EngineProfile::Exchange,
        )
        .unwrap_err();
        assert_eq!(
            error,
            ConfigFileError::UnknownField {
                origin: "config".to_string(),
                field: "engine.strategy.rungs_per_sidee".to_string()
            }
        );
        let error = parse("[runtime]\ntick_ms = 5\n", EngineProfile::Exchange).unwrap_err();
        assert!(error.to_string().contains("tick_ms"), "{error}");
        let error = parse("[runtme]\n", EngineProfile::Exchange).unwrap_err();
        assert!(
            error.to_string().contains("unknown field `runtme`"),
            "{error}"
        );
    }

    #[test]
    fn wrong_types_name_the_field() {
        let error = parse(
            "[engine.strategy]\nrungs_per_side = \"three\"\n",
            EngineProfile::Exchange,
        )
        .unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("field `engine.strategy.rungs_per_side`"),
            "{text}"
        );
        let error = parse(
            "[engine.risk]\ndaily_loss_stop = \"lots\"\n",
            EngineProfile::Exchange,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("engine.risk.daily_loss_stop"),
            "{error}"
        );
        let error = parse("[sim]\nmarkets = -3\n", EngineProfile::Exchange).unwrap_err();
        assert!(error.to_string().contains("field `sim.markets`"), "{error}");
    }

    #[test]
    fn overrides_apply_in_order_with_toml_values() {
        let mut table = Table::new();
        apply_override(&mut table, "engine.strategy.rungs_per_side=2").unwrap();
        apply_override(&mut table, "engine.orders.order_group_id=grp-1").unwrap();
        apply_override(&mut table, "runtime.capture_raw_frames=true").unwrap();
        apply_override(&mut table, "engine.strategy.rungs_per_side=3").unwrap();
        let loaded = from_table(table, "test", EngineProfile::Exchange, None).unwrap();
        assert_eq!(loaded.engine.strategy.rungs_per_side, 3);
        assert_eq!(
            loaded.engine.orders.order_group_id.as_deref(),
            Some("grp-1")
        );
        assert!(loaded.runtime.capture_raw_frames);
        let mut table = Table::new();
        assert!(matches!(
            apply_override(&mut table, "rungs=2"),
            Err(ConfigFileError::BadOverride { .. })
        ));
        assert!(matches!(
            apply_override(&mut table, "strategy.rungs_per_side=2"),
            Err(ConfigFileError::BadOverride { .. })
        ));
    }

    #[test]
    fn out_of_range_values_name_the_engine_field() {
        let loaded = parse(
            "[engine.strategy]\nrungs_per_side = 4\n",
            EngineProfile::Exchange,
        )
        .unwrap();
        let error = validate_engine(&loaded.engine).unwrap_err();
        assert!(
            error.to_string().contains("engine.strategy.rungs_per_side"),
            "{error}"
        );
        let error = parse("[runtime]\nexec_workers = 0\n", EngineProfile::Exchange).unwrap_err();
        assert!(
            error.to_string().contains("runtime.exec_workers"),
            "{error}"
        );
    }

    #[test]
    fn fair_value_blend_settings_are_range_checked_by_key() {
        let loaded = parse(
            "[tuning]\nfair_flow_weight_ppm = 250000\nfair_max_shift_ppm = 5000\n",
            EngineProfile::Exchange,
        )
        .unwrap();
        assert_eq!(loaded.tuning.fair_flow_weight_ppm, 250_000);
        assert_eq!(loaded.tuning.fair_max_shift_ppm, 5_000);
        for (text, key) in [
            (
                "[tuning]\nfair_imbalance_weight_ppm = -1\n",
                "tuning.fair_imbalance_weight_ppm",
            ),
            (
                "[tuning]\nfair_trend_weight_ppm = 1000001\n",
                "tuning.fair_trend_weight_ppm",
            ),
            (
                "[tuning]\nfair_max_shift_ppm = 200000\n",
                "tuning.fair_max_shift_ppm",
            ),
        ] {
            let error = parse(text, EngineProfile::Exchange).unwrap_err();
            assert!(error.to_string().contains(key), "{error}");
        }
    }

    #[test]
    fn the_example_file_documents_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/example.toml");
        let loaded = load(Some(&path), &[], EngineProfile::Exchange).unwrap();
        assert_eq!(loaded.engine, EngineConfig::default());
        assert_eq!(loaded.tuning, kalshi_core::tuning::Tuning::default());
        assert_eq!(loaded.runtime, RuntimeSettings::default());
        assert_eq!(loaded.sim, SimSettings::default());
        assert_eq!(loaded.credentials, CredentialSettings::default());
        assert_eq!(loaded.drift, DriftConfig::default());
    }
}
