//! `kalshi-bot`: the command line. Each subcommand lives in its own file under `commands/`.

mod commands;
mod config;
mod credentials;
#[cfg(test)]
mod dst;
mod duration_flag;
mod exit_code;
mod logging;
mod progress_bar;
mod remote;
mod runtime;

use clap::{Parser, Subcommand};

/// Kalshi market-making bot and its tools.
#[derive(Debug, Parser)]
#[command(name = "kalshi-bot", version, about)]
struct Cli {
    /// Format of every stderr line — logs (level from RUST_LOG, default info), notes, progress
    /// and the `error:` line; `json`: one JSON object per line.
    #[arg(long, global = true, value_enum, default_value_t = logging::LogFormat::Human)]
    log_format: logging::LogFormat,
    /// What to do.
    #[command(subcommand)]
    command: Commands,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Commands {
    /// Run a local Kalshi exchange (REST + WebSocket) with synthetic order flow.
    SimExchange(commands::sim_exchange::SimExchangeArgs),
    /// Trade a strategy on the local exchange (--sim), Kalshi demo (--demo) or production
    /// (--live --i-understand-risk), journaling every input and decision.
    RunStrategy(commands::run_strategy::RunStrategyArgs),
    /// Rank markets worth quoting from one GET /markets sweep (public data, no key needed).
    ScanMarkets(commands::scan_markets::ScanMarketsArgs),
    /// Journal market data only (no orders) for later backtests.
    Record(commands::record::RecordArgs),
    /// Verify or seal a run's journal.
    Journal(commands::journal::JournalArgs),
    /// Rebuild a run's SQLite ledger from its journal.
    Ledger(commands::ledger::LedgerArgs),
    /// Show order books rebuilt from a journal at any seq.
    Book(commands::book::BookArgs),
    /// Trace one order's causal chain through a journal.
    Audit(commands::audit::AuditArgs),
    /// Replay a journal: verify it reproduces bit for bit (--verify), or run its market data
    /// through another configuration with simulated execution (--config).
    Replay(commands::replay::ReplayArgs),
    /// Backtest markets over recorded journals or Kalshi's REST history with simulated
    /// execution; writes a journal, metrics and an HTML report.
    Backtest(commands::backtest::BacktestArgs),
    /// Turn trade or top-of-book files (CSV, Parquet) into a journal of market data.
    Import(commands::import::ImportArgs),
    /// Check everything a run needs before it starts: config, API key (file mode, declared
    /// environment), REST and WebSocket hosts, clock skew, balance and rate limits.
    Doctor(commands::doctor::DoctorArgs),
    /// Every settable key with its type, default and meaning (`config keys`), or a
    /// commented configuration file for an environment (`config init`).
    Config(commands::config_command::ConfigCommandArgs),
    /// Print a shell completion script: `kalshi-bot completions bash > /etc/bash_completion.d/kalshi-bot`
    /// (also zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Steer a running bot: status, halt, resume, kill (over its run directory's control
    /// socket; every command is journaled).
    Ctl(commands::ctl::CtlArgs),
    /// Combine the outputs of a sharded sweep (`backtest --sweep … --shard K/N`).
    Sweep(commands::sweep::SweepArgs),
    /// How far the fill model was from the exchange in a trading run: shadow fill precision
    /// and recall, time-to-fill and queue-position error, recomputed from its journal.
    Drift(commands::drift::DriftArgs),
}

fn main() -> anyhow::Result<()> {
    exit_quietly_when_stdout_closes();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => usage_error(error),
    };
    logging::init(cli.log_format);
    match cli.command {
        Commands::SimExchange(args) => exit_code::finish_unit(commands::sim_exchange::run(args)),
        Commands::RunStrategy(args) => exit_code::finish(commands::run_strategy::run(args)),
        Commands::ScanMarkets(args) => exit_code::finish(commands::scan_markets::run(args)),
        Commands::Record(args) => exit_code::finish(commands::record::run(args)),
        Commands::Journal(args) => exit_code::finish_unit(commands::journal::run(args)),
        Commands::Ledger(args) => exit_code::finish_unit(commands::ledger::run(args)),
        Commands::Book(args) => exit_code::finish_unit(commands::book::run(args)),
        Commands::Audit(args) => exit_code::finish_unit(commands::audit::run(args)),
        Commands::Replay(args) => exit_code::finish_unit(commands::replay::run(args)),
        Commands::Backtest(args) => exit_code::finish_unit(commands::backtest::run(args)),
        Commands::Import(args) => exit_code::finish_unit(commands::import::run(args)),
        Commands::Doctor(args) => exit_code::finish(commands::doctor::run(args)),
        Commands::Config(args) => exit_code::finish(commands::config_command::run(args)),
        Commands::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "kalshi-bot", &mut std::io::stdout());
            Ok(())
        }
        Commands::Ctl(args) => exit_code::finish(commands::ctl::run(args)),
        Commands::Sweep(args) => exit_code::finish_unit(commands::sweep::run(args)),
        Commands::Drift(args) => exit_code::finish_unit(commands::drift::run(args)),
    }
}

/// Bad arguments: clap's message and exit code 2, as one JSON line when the arguments ask for
/// `--log-format json` (help and `--version` print as usual).
fn usage_error(error: clap::Error) -> ! {
    let args: Vec<String> = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    if !error.use_stderr() || !logging::json_requested(&args) {
        error.exit();
    }
    let text = error.render().to_string();
    let message = text.trim().trim_start_matches("error: ");
    eprintln!(
        "{}",
        logging::json_line(logging::Level::Error, message, serde_json::Value::Null)
    );
    std::process::exit(error.exit_code());
}

/// A reader that stops early (`kalshi-bot config keys | head`) closes stdout, and the next
/// `println!` panics on the broken pipe. Exit quietly instead, with the status a shell gives
/// a command ended by SIGPIPE (128 + 13). Under `--log-format json` any other panic is
/// reported as one JSON line too.
fn exit_quietly_when_stdout_closes() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        if logging::is_json() {
            // A panic is a bug, but under `--log-format json` it is still one JSON line.
            let location = info
                .location()
                .map(|at| format!("{}:{}", at.file(), at.line()))
                .unwrap_or_default();
            eprintln!(
                "{}",
                logging::json_line(
                    logging::Level::Error,
                    &format!("panic: {message}"),
                    serde_json::json!({ "location": location }),
                )
            );
            return;
        }
        default_hook(info);
    }));
}
