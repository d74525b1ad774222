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

/// The format chosen at [`init`], for the lines printed outside the subscriber.
static FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

/// Whether stderr carries JSON lines (`--log-format json`).
pub fn is_json() -> bool {
    FORMAT.get() == Some(&LogFormat::Json)
}

/// Severity of a line printed with [`note`], [`warn`] or [`error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Progress and information.
    Info,
    /// Something the reader should look at.
    Warn,
    /// A failure.
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// One stderr line in the shape of the subscriber's JSON lines: `timestamp`, `level`,
/// `fields` (`message` and `extra`'s entries) and `target`.
pub fn json_line(level: Level, message: &str, extra: serde_json::Value) -> String {
    let mut fields = serde_json::Map::new();
    fields.insert("message".to_string(), message.into());
    if let serde_json::Value::Object(extra) = extra {
        fields.extend(extra);
    }
    serde_json::json!({
        "timestamp": kalshi_io::clock::wall_clock_now().to_rfc3339_micros(),
        "level": level.as_str(),
        "fields": fields,
        "target": "kalshi_bot",
    })
    .to_string()
}

/// Prints `message` on stderr: as it stands, or as one JSON line with `--log-format json`.
/// Unlike `tracing` events these lines ignore `RUST_LOG`: they are the command's own output.
pub fn print(level: Level, message: &str) {
    if is_json() {
        eprintln!("{}", json_line(level, message, serde_json::Value::Null));
    } else {
        eprintln!("{message}");
    }
}

/// An informational line on stderr (see [`print`]).
pub fn note(message: &str) {
    print(Level::Info, message);
}

/// A warning line on stderr (see [`print`]).
pub fn warn(message: &str) {
    print(Level::Warn, message);
}

/// An `error: …` line on stderr; the JSON form drops the `error: ` prefix (its level says it).
pub fn error(message: &str) {
    if is_json() {
        eprintln!(
            "{}",
            json_line(Level::Error, message, serde_json::Value::Null)
        );
    } else {
        eprintln!("error: {message}");
    }
}

/// Whether a command line asks for `--log-format json` (read before the arguments parse, so
/// a usage error can be reported in the format asked for).
pub fn json_requested(args: &[String]) -> bool {
    args.iter().enumerate().any(|(at, arg)| {
        arg == "--log-format=json"
            || (arg == "--log-format" && args.get(at + 1).is_some_and(|next| next == "json"))
    })
}

/// Installs the global subscriber. Call once, before anything logs.
pub fn init(format: LogFormat) {
    let _ = FORMAT.set(format);
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
    fn json_lines_carry_the_level_the_message_and_extra_fields() {
        let line = super::json_line(
            super::Level::Warn,
            "disk \"full\"\nsecond line",
            serde_json::json!({"stage": "seal"}),
        );
        assert!(!line.contains('\n'), "{line}");
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["level"], "WARN");
        assert_eq!(value["fields"]["message"], "disk \"full\"\nsecond line");
        assert_eq!(value["fields"]["stage"], "seal");
        assert_eq!(value["target"], "kalshi_bot");
        assert!(value["timestamp"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn json_is_requested_either_way_the_flag_is_spelled() {
        let args = |line: &str| -> Vec<String> { line.split(' ').map(str::to_string).collect() };
        assert!(super::json_requested(&args(
            "kalshi-bot --log-format json x"
        )));
        assert!(super::json_requested(&args(
            "kalshi-bot x --log-format=json"
        )));
        assert!(!super::json_requested(&args(
            "kalshi-bot x --log-format human"
        )));
        assert!(!super::json_requested(&args("kalshi-bot x --log-format")));
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
