//! Log output: human-readable lines or one JSON object per line, always on stderr (stdout is
//! kept for command output such as tables, JSON reports and summaries).
//!
//! Colours only on a terminal and never with `NO_COLOR` set. The level filter comes from `RUST_LOG` when set (e.g. `RUST_LOG=kalshi_io=debug`), else
//! `info`. Secrets never reach the logs: io types redact keys in `Debug`, nothing here formats
//! requests, and the WebSocket library's handshake logger (which prints the upgrade request,
//! signature header included, at TRACE) is capped at INFO whatever `RUST_LOG` asks for.

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

/// The level filter: `RUST_LOG` (or `info`) with the handshake logger capped.
fn level_filter() -> EnvFilter {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match kalshi_io::data_ws::LOG_DIRECTIVE_HIDE_HANDSHAKE.parse() {
        Ok(directive) => filter.add_directive(directive),
        // A constant that always parses (tested below); refuse to log at all rather than risk
        // printing a signature if it ever stopped parsing.
        Err(_) => EnvFilter::new("off"),
    }
}

/// Whether log lines carry ANSI colours: only on a terminal, and never when `NO_COLOR` is set
/// to anything but the empty string (the no-color.org convention).
fn colors_wanted(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|value| value.is_empty())
}

/// Installs the global subscriber. Call once, before anything logs.
pub fn init(format: LogFormat) {
    let filter = level_filter();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colors_wanted(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        ))
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if let Err(error) = installed {
        eprintln!("logging could not be initialised: {error}");
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::filter::Directive;

    #[test]
    fn no_color_turns_colours_off_on_a_terminal() {
        use std::ffi::OsStr;
        assert!(super::colors_wanted(true, None));
        assert!(super::colors_wanted(true, Some(OsStr::new(""))));
        assert!(!super::colors_wanted(true, Some(OsStr::new("1"))));
        assert!(!super::colors_wanted(false, None));
    }

    #[test]
    fn handshake_directive_parses_and_caps_the_handshake_logger() {
        let directive: Directive = kalshi_io::data_ws::LOG_DIRECTIVE_HIDE_HANDSHAKE
            .parse()
            .expect("the handshake directive parses");
        let text = directive.to_string();
        assert!(text.starts_with("tungstenite::handshake::client"), "{text}");
        assert!(text.ends_with("=info"), "{text}");
    }
}
