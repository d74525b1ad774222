//! `kalshi-bot doctor`: checks, before a run, everything a run needs from outside the
//! process — the configuration, the API key (where it comes from, its file's permissions,
//! whether it loads, the environment it was declared for), the REST and WebSocket hosts, the
//! clock against the exchange's, and what the exchange says of the account (balance, rate
//! limits). Each check prints pass, warn, fail or skip, and every failure says how to fix
//! it. Read-only: no order is sent, so `--live` needs no `--i-understand-risk`.
//!
//! Exit code: 0 when no check failed (warnings allowed), 1 when one did, 2 when the
//! arguments or the configuration file are refused.

use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use kalshi_io::auth::{ApiCredentials, DEFAULT_TIMESTAMP_TOLERANCE_MS};
use kalshi_io::data_rest::{RestClient, RestConfig};
use kalshi_io::env::{Endpoints, Environment, KeySource};
use kalshi_io::error::{AuthFailure, RestError};
use serde::Serialize;

use super::trading_args::{ConfigArgs, SimArgs, tokio_runtime};
use crate::config::{self, EngineProfile, LoadedConfig};
use crate::credentials::{self, ConfiguredKey};
use crate::exit_code::{EXIT_FAILURE, EXIT_OK, Refusal};
use crate::runtime::local_exchange::LocalExchange;
use crate::runtime::target::host_of;

/// Skew above which the clock check warns, ms: well inside any tolerance, but a sign the
/// clock is not synchronized.
const CLOCK_SKEW_WARN_MS: i64 = 2_000;

/// `doctor` options.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("venue").required(true).args(["sim", "demo", "live"])))]
pub struct DoctorArgs {
    /// Check against the local exchange: started in-process with its development key, or
    /// the one at --api-base/--ws-url.
    #[arg(long)]
    pub sim: bool,
    /// Check against Kalshi's demo exchange.
    #[arg(long)]
    pub demo: bool,
    /// Check against Kalshi production (read-only: no order is sent).
    #[arg(long)]
    pub live: bool,
    /// REST base URL override.
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// WebSocket URL override.
    #[arg(long, value_name = "URL")]
    pub ws_url: Option<String>,
    /// Print one JSON document on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Local exchange knobs (with --sim).
    #[command(flatten)]
    pub sim_args: SimArgs,
    /// Configuration file and overrides.
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Fine.
    Pass,
    /// Works, but worth a look.
    Warn,
    /// A run would fail or misbehave.
    Fail,
    /// Not run, because an earlier check failed.
    Skip,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "SKIP",
        }
    }
}

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Short name (`key_file`, `clock`, …).
    pub name: &'static str,
    /// Its verdict.
    pub verdict: Verdict,
    /// What was found.
    pub detail: String,
    /// What to do about a warning or failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Pass,
            detail: detail.into(),
            fix: None,
        }
    }

    fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn skip(name: &'static str, why: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Skip,
            detail: why.into(),
            fix: None,
        }
    }
}

/// The whole report (the `--json` document).
#[derive(Debug, Serialize)]
struct Report {
    /// `local exchange`, `demo` or `production`.
    target: &'static str,
    /// REST base URL checked.
    api_base: String,
    /// WebSocket URL checked.
    ws_url: String,
    /// Every check, in order.
    checks: Vec<Check>,
    /// Whether no check failed.
    ok: bool,
}

/// Runs the checks and prints them; the exit code says whether any failed.
pub fn run(args: DoctorArgs) -> anyhow::Result<i32> {
    let profile = if args.sim {
        EngineProfile::LocalExchange
    } else {
        EngineProfile::Exchange
    };
    let mut loaded = config::load(args.config.config.as_deref(), &args.config.set, profile)
        .map_err(|error| Refusal::new(error.to_string()))?;
    args.sim_args.apply(&mut loaded);
    let target = if args.sim {
        "local exchange"
    } else if args.demo {
        "demo"
    } else {
        "production"
    };
    let report = tokio_runtime()?.block_on(check_all(&args, &loaded, target))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(if report.ok { EXIT_OK } else { EXIT_FAILURE })
}

async fn check_all(
    args: &DoctorArgs,
    loaded: &LoadedConfig,
    target: &'static str,
) -> anyhow::Result<Report> {
    let mut checks = vec![Check::pass(
        "config",
        loaded.source.as_ref().map_or_else(
            || "no file; built-in defaults".to_string(),
            |path| format!("{} read", path.display()),
        ),
    )];
    let overrides = args.api_base.clone().or(loaded.runtime.api_base.clone());
    let ws_override = args.ws_url.clone().or(loaded.runtime.ws_url.clone());
    let local = if args.sim && overrides.is_none() {
        Some(
            LocalExchange::start(&loaded.sim)
                .await
                .context("starting the local exchange")?,
        )
    } else {
        None
    };
    let endpoints = match (&local, args.sim) {
        (Some(local), _) => Endpoints::custom(local.base_url(), local.ws_url())
            .context("the local exchange's URLs")?,
        (None, sim) => {
            let base = if args.demo || sim {
                Environment::Demo
            } else {
                Environment::Production
            };
            match base
                .endpoints()
                .with_overrides(overrides.as_deref(), ws_override.as_deref())
            {
                Ok(endpoints) => endpoints,
                Err(error) => return Err(Refusal::new(error.to_string()).into()),
            }
        }
    };
    let key = key_checks(args, loaded, local.as_ref(), &mut checks);
    network_checks(&endpoints, key.as_ref(), loaded, &mut checks).await;
    if let Some(local) = local {
        local.stop().await;
    }
    let ok = checks.iter().all(|check| check.verdict != Verdict::Fail);
    Ok(Report {
        target,
        api_base: endpoints.api_base().to_string(),
        ws_url: endpoints.ws_url().to_string(),
        checks,
        ok,
    })
}

/// The key checks; returns the loaded key when it loads.
fn key_checks(
    args: &DoctorArgs,
    loaded: &LoadedConfig,
    local: Option<&LocalExchange>,
    checks: &mut Vec<Check>,
) -> Option<std::sync::Arc<ApiCredentials>> {
    let configured = match credentials::resolve(&loaded.credentials, credentials::process_env) {
        Ok(configured) => configured,
        Err(error) => {
            checks.push(Check::fail(
                "key",
                error.to_string(),
                "set KALSHI_API_KEY_ID and KALSHI_PRIVATE_KEY_PATH, or both fields of \
                 [credentials] in the config file",
            ));
            return None;
        }
    };
    let configured = match (configured, local, args.sim) {
        (Some(key), _, _) => {
            checks.push(Check::pass(
                "key",
                format!(
                    "key id {} from the {}",
                    short_id(&key.source.key_id),
                    key.origin
                ),
            ));
            key
        }
        (None, Some(local), _) => {
            checks.push(Check::pass("key", "the local exchange's development key"));
            ConfiguredKey::from_file(local.key_id(), local.private_key_path())
        }
        (None, None, true) => {
            match kalshi_sim::keys::load_or_create_dev_key(
                &loaded.sim.key_dir,
                kalshi_io::auth::KeyKind::Ed25519,
            ) {
                Ok(dev) => {
                    checks.push(Check::pass(
                        "key",
                        format!(
                            "the local exchange's development key in {}",
                            loaded.sim.key_dir.display()
                        ),
                    ));
                    ConfiguredKey::from_file(dev.key_id, dev.private_key_path)
                }
                Err(error) => {
                    checks.push(Check::fail(
                        "key",
                        format!("local exchange key: {error}"),
                        "pass --sim-key-dir with the directory the local exchange was started with",
                    ));
                    return None;
                }
            }
        }
        (None, None, false) => {
            checks.push(Check::fail(
                "key",
                "no API key configured",
                "set KALSHI_API_KEY_ID and KALSHI_PRIVATE_KEY_PATH (or KALSHI_PRIVATE_KEY_PEM), \
                 or [credentials] in the config file",
            ));
            return None;
        }
    };
    if let KeySource::Path(path) = &configured.source.key {
        checks.push(key_file_check(path));
    }
    let credentials = match configured.load() {
        Ok(credentials) => {
            checks.push(Check::pass("key_loads", "the private key parses"));
            Some(credentials)
        }
        Err(error) => {
            checks.push(Check::fail(
                "key_loads",
                error.to_string(),
                "point KALSHI_PRIVATE_KEY_PATH at the PEM file Kalshi gave you, mode 0600",
            ));
            None
        }
    };
    checks.push(environment_check(args, loaded));
    credentials
}

/// The key file's existence and permissions.
fn key_file_check(path: &std::path::Path) -> Check {
    match std::fs::metadata(path) {
        Err(error) => Check::fail(
            "key_file",
            format!("{}: {error}", path.display()),
            "point KALSHI_PRIVATE_KEY_PATH (or credentials.private_key_path) at the key file",
        ),
        Ok(meta) => {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                Check::fail(
                    "key_file",
                    format!(
                        "{} has mode {mode:04o}: group or others can read the key",
                        path.display()
                    ),
                    format!("chmod 600 {}", path.display()),
                )
            } else {
                Check::pass("key_file", format!("{} (mode {mode:04o})", path.display()))
            }
        }
    }
}

/// The key's declared environment against the chosen one.
fn environment_check(args: &DoctorArgs, loaded: &LoadedConfig) -> Check {
    let declared =
        match credentials::declared_environment(&loaded.credentials, credentials::process_env) {
            Ok(declared) => declared,
            Err(error) => {
                return Check::fail(
                    "key_environment",
                    error.to_string(),
                    "set KALSHI_KEY_ENVIRONMENT to demo or production",
                );
            }
        };
    let chosen = if args.sim {
        return Check::pass(
            "key_environment",
            "local exchange: any registered key is accepted",
        );
    } else if args.demo {
        Environment::Demo
    } else {
        Environment::Production
    };
    match declared {
        None => Check::warn(
            "key_environment",
            "the key's environment is not declared",
            format!(
                "set KALSHI_KEY_ENVIRONMENT={} (or credentials.key_environment) so a key of \
                 the other environment is refused before any request",
                environment_name(chosen)
            ),
        ),
        Some(declared) if declared == chosen => Check::pass(
            "key_environment",
            format!("declared for {}", environment_name(declared)),
        ),
        Some(declared) => Check::fail(
            "key_environment",
            format!(
                "the key is declared for {} but {} was chosen",
                environment_name(declared),
                environment_name(chosen)
            ),
            format!(
                "use a {} key (Kalshi issues separate keys for demo and production), or \
                 choose --{}",
                environment_name(chosen),
                if declared == Environment::Demo {
                    "demo"
                } else {
                    "live"
                }
            ),
        ),
    }
}

/// REST, clock, signed reads and the WebSocket.
async fn network_checks(
    endpoints: &Endpoints,
    credentials: Option<&std::sync::Arc<ApiCredentials>>,
    loaded: &LoadedConfig,
    checks: &mut Vec<Check>,
) {
    let host = host_of(endpoints.api_base());
    let rest = match RestClient::new(
        RestConfig::new(endpoints.clone()),
        credentials.cloned(),
        None,
    ) {
        Ok(rest) => rest,
        Err(error) => {
            checks.push(Check::fail("rest", error.to_string(), "check --api-base"));
            return;
        }
    };
    let started = Instant::now();
    match rest.get_exchange_status().await {
        Ok(status) => {
            let elapsed_ms = started.elapsed().as_millis();
            let detail = format!(
                "{host} answers in {elapsed_ms} ms; exchange {}, trading {}",
                if status.exchange_active { "up" } else { "down" },
                if status.trading_active {
                    "open"
                } else {
                    "paused"
                }
            );
            checks.push(if status.trading_active {
                Check::pass("rest", detail)
            } else {
                Check::warn(
                    "rest",
                    detail,
                    "trading is paused: orders are refused until it reopens",
                )
            });
        }
        Err(error) => {
            checks.push(Check::fail(
                "rest",
                format!("{host}: {error}"),
                format!("check the network path to {host} (proxy, firewall, DNS) and --api-base"),
            ));
            for name in ["clock", "auth", "limits", "websocket"] {
                checks.push(Check::skip(name, format!("{host} is unreachable")));
            }
            return;
        }
    }
    let clock_failed = match rest.probe_clock().await {
        Ok(probe) => {
            let check = clock_check(probe.skew_ms(), probe.round_trip_ms());
            let failed = check.verdict == Verdict::Fail;
            checks.push(check);
            failed
        }
        Err(error) => {
            checks.push(Check::warn(
                "clock",
                format!("cannot read the exchange's clock: {error}"),
                "keep the clock synchronized (NTP)",
            ));
            false
        }
    };
    if credentials.is_none() {
        for name in ["auth", "limits", "websocket"] {
            checks.push(Check::skip(name, "no usable key"));
        }
        return;
    }
    match rest.get_balance(None).await {
        Ok(balance) => {
            let cash = balance
                .balance_dollars
                .map(|money| money.dollars().to_string())
                .or_else(|| balance.balance.map(|cents| format!("{cents} cents")))
                .unwrap_or_else(|| "not reported".to_string());
            checks.push(Check::pass(
                "auth",
                format!("the key is accepted at {host}; balance {cash}"),
            ));
        }
        Err(error) => {
            let rejected = matches!(
                &error,
                RestError::Auth {
                    failure: AuthFailure::Rejected { .. },
                    ..
                }
            );
            let fix = if clock_failed {
                "synchronize the clock first (see the clock check): signed requests carry it"
                    .to_string()
            } else if rejected {
                format!(
                    "{host} does not accept this key: a key of the other environment (demo \
                     and production keys differ), or a revoked key; create one for this \
                     environment"
                )
            } else {
                format!("check the network path to {host}")
            };
            checks.push(Check::fail("auth", error.to_string(), fix));
            checks.push(Check::skip("limits", "the key is not accepted"));
            checks.push(Check::skip("websocket", "the key is not accepted"));
            return;
        }
    }
    match rest.get_account_limits().await {
        Ok(limits) => {
            let tier = limits.usage_tier.clone();
            let configured = format!("{:?}", loaded.runtime.rate_limit_tier).to_lowercase();
            let rates = match (&limits.read, &limits.write) {
                (Some(read), Some(write)) => format!(
                    "read {} tokens/s, write {} tokens/s",
                    read.refill_rate, write.refill_rate
                ),
                _ => match (limits.read_limit, limits.write_limit) {
                    (Some(read), Some(write)) => {
                        format!("read {read}/s, write {write}/s")
                    }
                    _ => "no rates reported".to_string(),
                },
            };
            checks.push(Check::pass(
                "limits",
                format!("tier {tier} ({rates}); the bot is configured for {configured}"),
            ));
        }
        Err(error) => checks.push(Check::warn(
            "limits",
            error.to_string(),
            "the bot falls back to the configured tier's published limits",
        )),
    }
    let ws_host = host_of(endpoints.ws_url());
    let started = Instant::now();
    let credentials = credentials.map(|c| c.as_ref());
    match credentials {
        Some(credentials) => {
            match kalshi_io::data_ws::probe_connect(endpoints, credentials).await {
                Ok(()) => checks.push(Check::pass(
                    "websocket",
                    format!(
                        "{ws_host} accepts the signed handshake ({} ms)",
                        started.elapsed().as_millis()
                    ),
                )),
                Err(error) => checks.push(Check::fail(
                    "websocket",
                    format!("{}: {error}", endpoints.ws_url()),
                    format!(
                        "check the network path to {ws_host} (proxies must allow WebSocket \
                         upgrades) and --ws-url"
                    ),
                )),
            }
        }
        None => checks.push(Check::skip("websocket", "no usable key")),
    }
}

/// Judges a clock skew against the tolerance of signed requests.
fn clock_check(skew_ms: i64, round_trip_ms: i64) -> Check {
    let tolerance_ms = i64::try_from(DEFAULT_TIMESTAMP_TOLERANCE_MS).unwrap_or(i64::MAX);
    let detail = format!(
        "the exchange's clock is {} our clock by about {:.1} s (±1 s; round trip {round_trip_ms} ms)",
        if skew_ms >= 0 { "ahead of" } else { "behind" },
        skew_ms.unsigned_abs() as f64 / 1000.0
    );
    let fix = "synchronize the clock: enable NTP (e.g. `timedatectl set-ntp true`)";
    if skew_ms.abs() > tolerance_ms {
        Check::fail(
            "clock",
            format!(
                "{detail}: beyond the {} s a signed request may be off (Kalshi does not \
                 publish its own bound)",
                tolerance_ms / 1000
            ),
            fix,
        )
    } else if skew_ms.abs() > CLOCK_SKEW_WARN_MS {
        Check::warn("clock", detail, fix)
    } else {
        Check::pass("clock", detail)
    }
}

fn environment_name(environment: Environment) -> &'static str {
    match environment {
        Environment::Demo => "demo",
        Environment::Production => "production",
    }
}

/// The first characters of a key id: enough to tell keys apart in a report.
fn short_id(key_id: &str) -> String {
    let shown: String = key_id.chars().take(8).collect();
    if shown.len() < key_id.len() {
        format!("{shown}…")
    } else {
        shown
    }
}

fn print_table(report: &Report) {
    println!(
        "kalshi-bot doctor: {} ({}, {})",
        report.target, report.api_base, report.ws_url
    );
    for check in &report.checks {
        println!(
            "{:<4}  {:<15} {}",
            check.verdict.label(),
            check.name,
            check.detail
        );
        if let Some(fix) = &check.fix {
            println!("{:<4}  {:<15} fix: {fix}", "", "");
        }
    }
    let failed = report
        .checks
        .iter()
        .filter(|check| check.verdict == Verdict::Fail)
        .count();
    if failed == 0 {
        println!("all checks passed");
    } else {
        println!("{failed} check(s) failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_skew_passes_warns_then_fails() {
        assert_eq!(clock_check(400, 10).verdict, Verdict::Pass);
        assert_eq!(clock_check(-5_000, 10).verdict, Verdict::Warn);
        let far = clock_check(45_000, 10);
        assert_eq!(far.verdict, Verdict::Fail);
        assert!(far.detail.contains("ahead of"), "{}", far.detail);
        assert!(far.fix.unwrap().contains("NTP"));
    }

    #[test]
    fn key_ids_are_shortened() {
        assert_eq!(short_id("abcdefghijkl"), "abcdefgh…");
        assert_eq!(short_id("abc"), "abc");
    }
}
