//! `kalshi-bot sim-exchange`: runs the local exchange until Ctrl-C or `--duration`, prints
//! how to connect to it, then a summary of what happened (with `--json`, one JSON line for
//! each). It warms up like the in-process exchange of `--sim` (`--warmup` seconds of synthetic
//! trading before it serves, with the `[sim]` defaults' flow), so its books and tapes are not
//! empty and the default scanner finds markets to quote.

use std::path::PathBuf;
use std::time::Duration;

use crate::duration_flag::parse_duration;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use kalshi_io::auth::KeyKind;
use kalshi_io::ratelimit::UsageTier;
use kalshi_sim::faults::FaultConfig;

use crate::config::SimSettings;
use crate::runtime::clock::now_ns;
use crate::runtime::local_exchange::{LocalExchange, sim_config};

/// Rate-limit tier names accepted on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TierArg {
    /// 200 read / 100 write tokens per second.
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

impl From<TierArg> for UsageTier {
    fn from(tier: TierArg) -> UsageTier {
        match tier {
            TierArg::Basic => UsageTier::Basic,
            TierArg::Advanced => UsageTier::Advanced,
            TierArg::Premier => UsageTier::Premier,
            TierArg::Paragon => UsageTier::Paragon,
            TierArg::Prime => UsageTier::Prime,
        }
    }
}

/// Key algorithms for a newly created development key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyKindArg {
    /// Ed25519 (fast; default).
    Ed25519,
    /// RSA 2048, signing with RSA-PSS.
    Rsa,
}

/// Options of `sim-exchange`.
#[derive(Debug, Args)]
pub struct SimExchangeArgs {
    /// TCP port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Number of markets to generate.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub markets: usize,
    /// Seed of the catalog, the synthetic flow and fault decisions.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Synthetic trading simulated before the server accepts connections, so books and
    /// tapes are not empty (as `--sim` runs do: `[sim] warmup_s`), seconds.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    pub warmup: u64,
    /// Share of the open markets that are quiet (a book and stale volume, no recent trade,
    /// no flow), parts per million.
    #[arg(long, default_value_t = 0, value_name = "PPM")]
    pub quiet_share_ppm: u32,
    /// Fault configuration file (TOML, or JSON with a .json extension).
    #[arg(long, value_name = "FILE")]
    pub faults: Option<PathBuf>,
    /// Rate-limit tier of every user.
    #[arg(long, value_enum, default_value_t = TierArg::Basic)]
    pub tier: TierArg,
    /// Stop after this long (e.g. 20s, 5m, 1h, 500ms); runs until Ctrl-C when omitted.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Directory of the development key pair (created on first use).
    #[arg(long, default_value = ".kalshi-sim")]
    pub key_dir: PathBuf,
    /// Algorithm of a newly created development key.
    #[arg(long, value_enum, default_value_t = KeyKindArg::Ed25519)]
    pub key_kind: KeyKindArg,
    /// Largest accepted clock skew of signed requests, ms.
    #[arg(long, default_value_t = 30_000)]
    pub timestamp_tolerance_ms: u64,
    /// Print JSON lines on stdout instead of the banner: one when ready (`"event":
    /// "ready"`, with `port`, `base_url`, `ws_url`, `key_id`, `key_path`), flushed at once, and
    /// one when stopped (`"event": "stopped"`, with the summary's counts).
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: SimExchangeArgs) -> anyhow::Result<()> {
    if args.markets == 0 {
        bail!("--markets must be at least 1");
    }
    let faults = match &args.faults {
        Some(path) => FaultConfig::from_file(path)?,
        None => FaultConfig::default(),
    };
    // The catalog and flow of `--sim` (its `[sim]` defaults), so a scan or a run against
    // this server sees what a run against the in-process exchange sees.
    let settings = SimSettings {
        markets: args.markets,
        seed: args.seed,
        warmup_s: args.warmup,
        key_dir: args.key_dir.clone(),
        quiet_share_ppm: args.quiet_share_ppm,
        ..SimSettings::default()
    };
    let mut config = sim_config(&settings, now_ns())?;
    config.port = args.port;
    config.key_kind = match args.key_kind {
        KeyKindArg::Ed25519 => KeyKind::Ed25519,
        KeyKindArg::Rsa => KeyKind::Rsa,
    };
    config.timestamp_tolerance_ms = Some(args.timestamp_tolerance_ms);
    config.tier = args.tier.into();
    config.faults = faults;
    if let Some(duration) = args.duration {
        let duration_ns = i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX);
        config.exchange.catalog.run_duration_ns =
            config.exchange.catalog.run_duration_ns.max(duration_ns);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        if args.warmup > 0 {
            crate::logging::note(&format!(
                "simulating {} s of trading on {} markets before serving (--warmup 0 skips it) …",
                args.warmup, args.markets
            ));
        }
        let exchange = LocalExchange::start_config(config).await?;
        let handle = exchange.handle();
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "event": "ready",
                    "port": handle.addr.port(),
                    "base_url": handle.base_url,
                    "ws_url": handle.ws_url,
                    "key_id": handle.key_id,
                    "key_path": handle.private_key_path.display().to_string(),
                    "markets": args.markets,
                    "seed": args.seed,
                    "tier": format!("{:?}", args.tier).to_ascii_lowercase(),
                })
            );
        } else {
            println!("kalshi-sim listening");
            println!("  base url : {}", handle.base_url);
            println!("  ws url   : {}", handle.ws_url);
            println!("  key id   : {}", handle.key_id);
            println!("  key path : {}", handle.private_key_path.display());
            println!(
                "  markets  : {}   seed: {}   tier: {:?}",
                args.markets, args.seed, args.tier
            );
        }
        std::io::Write::flush(&mut std::io::stdout()).context("writing to stdout")?;
        match args.duration {
            Some(duration) => {
                tokio::select! {
                    _ = tokio::time::sleep(duration) => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            None => {
                tokio::signal::ctrl_c()
                    .await
                    .context("waiting for Ctrl-C")?;
            }
        }
        let stats = handle.stats();
        exchange.stop().await;
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "event": "stopped",
                    "api_orders": stats.orders,
                    "trades": stats.trades,
                    "websocket_messages": stats.ws_messages,
                    "rest_requests": stats.rest_requests,
                    "rate_limited": stats.rate_limited,
                })
            );
            return anyhow::Ok(());
        }
        println!("summary");
        println!("  api orders          : {}", stats.orders);
        println!("  trades              : {}", stats.trades);
        println!("  websocket messages  : {}", stats.ws_messages);
        println!("  rest requests       : {}", stats.rest_requests);
        println!("  rate limited (429)  : {}", stats.rate_limited);
        anyhow::Ok(())
    })
}
