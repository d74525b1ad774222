//! Log output: human-readable lines or one JSON object per line, always on stderr (stdout is
//! kept for command output such as tables, JSON reports and summaries).
//!
//! The level filter comes from `RUST_LOG` when set (e.g. `RUST_LOG=kalshi_io=debug`), else
//! `info`. Secrets never reach the logs: io types redact keys in `Debug`, and nothing here
//! formats requests.

use std::io::IsTerminal as _;

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// `2026-11-01T00:00:00Z  INFO target: message key=value`.
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Installs the global subscriber. Call once, before anything logs.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if let Err(error) = installed {
        eprintln!("logging could not be initialised: {error}");
    }
}
