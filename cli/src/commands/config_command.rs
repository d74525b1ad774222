//! `kalshi-bot config keys` lists every settable key — the configuration file's (for
//! `--config` and `--set`) and the backtest fill model's (for `backtest --set/--sweep fill.…`) —
//! with its type, default and meaning; `kalshi-bot config init` writes the commented example
//! configuration for the chosen environment.
//!
//! The file keys are read from `config/example.toml` itself (compiled in), so the list can
//! never disagree with the documented file; a test loads every listed default through
//! `--set` so it cannot disagree with the code either.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::exit_code::{EXIT_OK, Refusal};

/// The documented example configuration.
const EXAMPLE_TOML: &str = include_str!("../../../config/example.toml");

/// `config` options.
#[derive(Debug, Args)]
pub struct ConfigCommandArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ConfigAction,
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// List every settable key with its type, default and meaning.
    Keys {
        /// Print one JSON document on stdout instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Write the commented configuration file (every field at its default) for an
    /// environment.
    Init {
        /// The file to write.
        #[arg(long, value_name = "FILE", default_value = "kalshi-bot.toml")]
        out: PathBuf,
        /// The environment the file is for: `sim` (the local exchange), `demo` or
        /// `production` (sets the key's declared environment).
        #[arg(long, value_name = "ENV", default_value = "sim", value_parser = ["sim", "demo", "production"])]
        environment: String,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
}

/// One settable key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyDoc {
    /// Full dotted name, as `--set` takes it (`engine.risk.daily_loss_stop`).
    pub key: String,
    /// `string`, `integer`, `float`, `boolean`, `array` or `dollars/contracts` (a decimal
    /// string).
    pub kind: &'static str,
    /// The default as TOML, or `unset`.
    pub default: String,
    /// What it does.
    pub meaning: String,
}

/// Runs `config`.
pub fn run(args: ConfigCommandArgs) -> anyhow::Result<i32> {
    match args.action {
        ConfigAction::Keys { json } => {
            let mut keys = file_keys(EXAMPLE_TOML);
            keys.extend(fill_keys()?);
            if json {
                println!("{}", serde_json::to_string_pretty(&keys)?);
            } else {
                print_keys(&keys);
            }
            Ok(EXIT_OK)
        }
        ConfigAction::Init {
            out,
            environment,
            force,
        } => {
            if out.exists() && !force {
                return Err(Refusal::new(format!(
                    "{} exists; pass --force to replace it",
                    out.display()
                ))
                .into());
            }
            let text = init_text(&environment);
            let mut file = std::fs::File::create(&out)
                .with_context(|| format!("creating {}", out.display()))?;
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "wrote {} ({environment}); use it with --config {}",
                out.display(),
                out.display()
            );
            Ok(EXIT_OK)
        }
    }
}

/// The example file, with the credentials' declared environment set for `environment`.
fn init_text(environment: &str) -> String {
    let header = format!(
        "# Written by `kalshi-bot config init --environment {environment}`.\n\
         # Every field is at its default; delete what you do not change.\n"
    );
    let body = match environment {
        "demo" | "production" => EXAMPLE_TOML.replacen(
            "# key_environment = \"demo\"",
            &format!("key_environment = \"{environment}\""),
            1,
        ),
        _ => EXAMPLE_TOML.to_string(),
    };
    format!("{header}{body}")
}

/// The keys of a documented TOML file: each `key = value` line (or commented-out
/// `# key = value` line, an optional field that is unset by default) in its `[section]`,
/// with the comment block right above it as the meaning.
pub fn file_keys(text: &str) -> Vec<KeyDoc> {
    let mut keys = Vec::new();
    let mut section = String::new();
    let mut comment: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            comment.clear();
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            comment.clear();
            continue;
        }
        if let Some(text) = line.strip_prefix('#') {
            let text = text.trim();
            if let Some((key, value)) = assignment(text) {
                if !section.is_empty() {
                    keys.push(KeyDoc {
                        key: format!("{section}.{key}"),
                        kind: kind_of(value),
                        default: "unset".to_string(),
                        meaning: meaning(&comment, Some(value)),
                    });
                }
                comment.clear();
            } else {
                comment.push(text.to_string());
            }
            continue;
        }
        if let Some((key, value)) = assignment(line) {
            keys.push(KeyDoc {
                key: if section.is_empty() {
                    key.to_string()
                } else {
                    format!("{section}.{key}")
                },
                kind: kind_of(value),
                default: value.to_string(),
                meaning: meaning(&comment, None),
            });
        }
        comment.clear();
    }
    keys
}

/// `key = value` with a bare lower-case key.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(" = ")?;
    let key = key.trim();
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    bare.then_some((key, value.trim()))
}

fn kind_of(value: &str) -> &'static str {
    if value.starts_with('"') {
        let inner = value.trim_matches('"');
        if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit() || c == '.') {
            "dollars/contracts"
        } else {
            "string"
        }
    } else if value == "true" || value == "false" {
        "boolean"
    } else if value.starts_with('[') {
        "array"
    } else if value.contains('.') {
        "float"
    } else {
        "integer"
    }
}

fn meaning(comment: &[String], example: Option<&str>) -> String {
    let mut text = comment.join(" ");
    if let Some(example) = example {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&format!("(unset by default; e.g. {example})"));
    }
    text
}

/// The backtest fill model's keys (`backtest --set fill.KEY=V`, `--sweep fill.KEY=…`),
/// defaults from the code.
fn fill_keys() -> anyhow::Result<Vec<KeyDoc>> {
    let defaults = serde_json::to_value(kalshi_replay::fill_sim::FillModelConfig::default())
        .context("the fill model's defaults")?;
    let serde_json::Value::Object(fields) = defaults else {
        anyhow::bail!("the fill model's defaults are not an object");
    };
    let mut keys = Vec::new();
    for (name, value) in fields {
        let meaning = fill_meaning(&name)
            .ok_or_else(|| anyhow::anyhow!("fill.{name} has no description in `config keys`"))?;
        keys.push(KeyDoc {
            key: format!("fill.{name}"),
            kind: match &value {
                serde_json::Value::String(_) => "string",
                serde_json::Value::Bool(_) => "boolean",
                _ => "integer",
            },
            default: value.to_string(),
            meaning: format!("{meaning} (backtest fill model; `backtest --set` / `--sweep`)"),
        });
    }
    Ok(keys)
}

fn fill_meaning(name: &str) -> Option<&'static str> {
    Some(match name {
        "entry_latency_ns" => {
            "Delay from a place, amend or lookup to its arrival at the simulated book, ns \
             (--latency-ms sets both latencies)."
        }
        "cancel_latency_ns" => "Delay from a cancel or decrease to its effect, ns.",
        "cancel_position" => {
            "Where other traders' cancels sit relative to our resting order: \"back\" (behind \
             us: our queue position does not improve), \"front\" or \"pro_rata\"."
        }
        "fee_rounding" => {
            "Fee rounding: \"balance2026\" (trade fee to $0.0001, balance rounding, per-order \
             rebates) or \"classic\" (each fill rounded up to the cent)."
        }
        "queue_position" => {
            "Where our order joins its price level: \"back\" (behind the visible size, \
             price-time priority) or \"front\" (nothing ahead: optimistic)."
        }
        "fee_target_precision_micros" => {
            "Balance precision of 2026 fee rounding, micro-dollars: 10000 or 100."
        }
        _ => return None,
    })
}

fn print_keys(keys: &[KeyDoc]) {
    let width = keys.iter().map(|k| k.key.len()).max().unwrap_or(0);
    for key in keys {
        println!(
            "{:<width$}  {:<17}  default {}",
            key.key, key.kind, key.default
        );
        if !key.meaning.is_empty() {
            println!("{:<width$}  {}", "", key.meaning);
        }
    }
    println!(
        "{} keys. File keys go in --config FILE or --set KEY=VALUE; fill.* keys in \
         backtest --set or --sweep (which also take the engine.* and tuning.* keys).",
        keys.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{EngineProfile, load};

    #[test]
    fn every_documented_key_loads_at_its_documented_default() {
        let keys = file_keys(EXAMPLE_TOML);
        assert!(keys.len() > 80, "only {} keys found", keys.len());
        for key in keys.iter().filter(|key| key.default != "unset") {
            let set = format!("{}={}", key.key, key.default);
            load(None, std::slice::from_ref(&set), EngineProfile::Exchange)
                .unwrap_or_else(|error| panic!("--set {set}: {error}"));
        }
        let names: Vec<&str> = keys.iter().map(|key| key.key.as_str()).collect();
        for expected in [
            "engine.quoted_markets_max",
            "engine.strategy.rungs_per_side",
            "tuning.live_filters",
            "runtime.stale_after_ms",
            "credentials.key_environment",
        ] {
            assert!(names.contains(&expected), "{expected} missing");
        }
        let unset = keys
            .iter()
            .find(|key| key.key == "runtime.api_base")
            .unwrap();
        assert_eq!(unset.default, "unset");
        assert!(unset.meaning.contains("e.g."), "{}", unset.meaning);
        let rungs = keys
            .iter()
            .find(|key| key.key == "engine.strategy.rungs_per_side")
            .unwrap();
        assert_eq!(rungs.kind, "integer");
        assert_eq!(rungs.default, "3");
        assert!(
            rungs.meaning.contains("rungs per side"),
            "{}",
            rungs.meaning
        );
    }

    /// Every leaf of `value` as a dotted path under `prefix`.
    fn leaf_paths(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(fields) => {
                for (name, field) in fields {
                    leaf_paths(&format!("{prefix}.{name}"), field, out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }

    #[test]
    fn every_engine_and_tuning_field_is_listed() {
        let listed: std::collections::BTreeSet<String> = file_keys(EXAMPLE_TOML)
            .into_iter()
            .map(|key| key.key)
            .collect();
        let mut fields = Vec::new();
        let engine = EngineProfile::Exchange.defaults();
        leaf_paths(
            "engine",
            &serde_json::to_value(&engine).unwrap(),
            &mut fields,
        );
        let tuning = kalshi_core::tuning::Tuning::default();
        leaf_paths(
            "tuning",
            &serde_json::to_value(&tuning).unwrap(),
            &mut fields,
        );
        // Set by the runtime for each run, not by configuration.
        let per_run = ["engine.run_id"];
        let missing: Vec<&String> = fields
            .iter()
            .filter(|field| !per_run.contains(&field.as_str()))
            .filter(|field| {
                // A table-valued key (e.g. a map) is listed by its own name.
                !listed.contains(*field)
                    && !listed
                        .iter()
                        .any(|key| field.starts_with(&format!("{key}.")))
            })
            .collect();
        assert!(missing.is_empty(), "not in `config keys`: {missing:?}");
    }

    #[test]
    fn an_unknown_key_is_refused_by_the_loader_the_list_is_checked_against() {
        let error = load(
            None,
            &["engine.strategy.rungs_per_sidee=2".to_string()],
            EngineProfile::Exchange,
        )
        .unwrap_err();
        assert!(error.to_string().contains("rungs_per_sidee"), "{error}");
    }

    #[test]
    fn every_fill_key_is_described() {
        let keys = fill_keys().unwrap();
        assert_eq!(keys.len(), 6, "{keys:?}");
        assert!(keys.iter().all(|key| key.key.starts_with("fill.")));
    }

    #[test]
    fn init_declares_the_key_environment() {
        let demo = init_text("demo");
        assert!(demo.contains("\nkey_environment = \"demo\""));
        let file: toml::Table = toml::from_str(&demo).unwrap();
        assert_eq!(
            file["credentials"]["key_environment"].as_str(),
            Some("demo")
        );
        assert!(!init_text("sim").contains("\nkey_environment ="));
    }
}
