//! An external model's probability lines: their format, the checks against the engine, and
//! reading a whole file (`backtest --model FILE`). Following a file while a run trades is
//! [`super::model_feed`]'s job.
//!
//! One value per line, CSV `ts,ticker,probability` or a JSON object
//! `{"ts": …, "ticker": "…", "probability": …}`. `ts` is Unix seconds (decimals allowed) or
//! RFC 3339; `probability` is the YES probability as a decimal in 0..=1 (rounded to parts per
//! million). Blank lines, `#` comments and a `ts,ticker,probability` header are skipped.

use std::collections::BTreeMap;
use std::path::Path;

use kalshi_core::time::NS_PER_S;

/// A value stamped this far after the bot's clock is refused.
pub const FUTURE_TOLERANCE_NS: i64 = 5_000_000_000;
const PPM: u32 = 1_000_000;

/// One parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelLine {
    /// When the model produced the value, Unix ns.
    pub ts_ns: i64,
    /// Market ticker.
    pub ticker: String,
    /// YES probability, parts per million.
    pub probability_ppm: u32,
}

/// Why a line was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Refusal {
    /// Not a line of either format.
    Malformed,
    /// The probability is outside 0..=1.
    OutOfRange,
    /// The ticker is not a market the engine knows.
    UnknownTicker,
    /// Older than the engine's model age bound (`engine.signals.model_age_max_ns`).
    Stale,
    /// Stamped over [`FUTURE_TOLERANCE_NS`] after the bot's clock.
    Future,
}

impl Refusal {
    /// Snake-case name, as counted in the summary.
    pub const fn as_str(self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed",
            Refusal::OutOfRange => "out_of_range",
            Refusal::UnknownTicker => "unknown_ticker",
            Refusal::Stale => "stale",
            Refusal::Future => "future",
        }
    }
}

/// A parsed line, or why it was refused, with the line's number in the file (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadLine {
    /// Line number in the file.
    pub line_no: u64,
    /// The value, or the refusal and its detail.
    pub parsed: Result<ModelLine, (Refusal, String)>,
}

/// Accepted and refused model lines of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelCounters {
    /// Values journaled.
    pub accepted: u64,
    /// Lines refused, by reason.
    pub refused: BTreeMap<Refusal, u64>,
}

impl ModelCounters {
    /// Lines refused in all.
    pub fn refused_total(&self) -> u64 {
        self.refused.values().sum()
    }

    /// `accepted=N refused=M (reason=k …)`.
    pub fn line(&self) -> String {
        let mut text = format!(
            "{} accepted, {} refused",
            self.accepted,
            self.refused_total()
        );
        if !self.refused.is_empty() {
            let reasons: Vec<String> = self
                .refused
                .iter()
                .map(|(reason, count)| format!("{}={count}", reason.as_str()))
                .collect();
            text.push_str(&format!(" ({})", reasons.join(" ")));
        }
        text
    }
}

/// Parses one line; `Ok(None)` for a line to skip (blank, comment, header).
pub fn parse_line(line: &str) -> Result<Option<ModelLine>, (Refusal, String)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let (ts, ticker, probability) = if line.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|error| (Refusal::Malformed, format!("not JSON: {error}")))?;
        let field = |name: &str| -> Result<String, (Refusal, String)> {
            match value.get(name) {
                Some(serde_json::Value::String(text)) => Ok(text.clone()),
                Some(serde_json::Value::Number(number)) => Ok(number.to_string()),
                _ => Err((Refusal::Malformed, format!("no `{name}` field"))),
            }
        };
        (field("ts")?, field("ticker")?, field("probability")?)
    } else {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [ts, ticker, probability] = fields[..] else {
            return Err((
                Refusal::Malformed,
                format!("{} fields, expected ts,ticker,probability", fields.len()),
            ));
        };
        if ts.eq_ignore_ascii_case("ts") {
            return Ok(None);
        }
        (ts.to_string(), ticker.to_string(), probability.to_string())
    };
    if ticker.is_empty()
        || !ticker
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err((Refusal::Malformed, format!("bad ticker {ticker:?}")));
    }
    let ts_ns = parse_ts_ns(&ts).ok_or_else(|| (Refusal::Malformed, format!("bad ts {ts:?}")))?;
    let probability_ppm = parse_probability_ppm(&probability)?;
    Ok(Some(ModelLine {
        ts_ns,
        ticker,
        probability_ppm,
    }))
}

/// Unix seconds (decimals allowed, down to ns) or RFC 3339.
fn parse_ts_ns(text: &str) -> Option<i64> {
    if text.contains('T') {
        return kalshi_io::time::parse_rfc3339_ns(text).ok();
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 9
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let seconds: i64 = whole.parse().ok()?;
    let mut nanos: i64 = 0;
    for (place, digit) in fraction.bytes().enumerate() {
        let weight = 10_i64.pow(8 - u32::try_from(place).ok()?);
        nanos += i64::from(digit - b'0') * weight;
    }
    seconds.checked_mul(NS_PER_S)?.checked_add(nanos)
}

/// A decimal probability to parts per million, rounded half up; refused outside 0..=1.
fn parse_probability_ppm(text: &str) -> Result<u32, (Refusal, String)> {
    let malformed = || (Refusal::Malformed, format!("bad probability {text:?}"));
    let out_of_range = || {
        (
            Refusal::OutOfRange,
            format!("probability {text} is outside 0..=1"),
        )
    };
    if let Some(rest) = text.strip_prefix('-') {
        return if rest.bytes().any(|b| b.is_ascii_digit()) {
            Err(out_of_range())
        } else {
            Err(malformed())
        };
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 9
    {
        return Err(malformed());
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| malformed())?
    };
    if whole > 1 || (whole == 1 && fraction.bytes().any(|digit| digit != b'0')) {
        return Err(out_of_range());
    }
    let mut micros: u64 = 0;
    for (place, digit) in fraction.bytes().take(6).enumerate() {
        micros += u64::from(digit - b'0') * 10_u64.pow(5 - u32::try_from(place).unwrap_or(5));
    }
    if fraction
        .as_bytes()
        .get(6)
        .is_some_and(|digit| *digit >= b'5')
    {
        micros += 1;
    }
    let ppm = whole * u64::from(PPM) + micros;
    if ppm > u64::from(PPM) {
        return Err(out_of_range());
    }
    u32::try_from(ppm).map_err(|_| out_of_range())
}

/// The checks that need the engine and the clock: the ticker is a market the engine knows,
/// the value is no older than `age_max_ns` and not from the future, at `now_ns`.
pub fn check_line(
    line: &ModelLine,
    known: impl Fn(&str) -> bool,
    age_max_ns: i64,
    now_ns: i64,
) -> Result<(), (Refusal, String)> {
    if !known(&line.ticker) {
        return Err((
            Refusal::UnknownTicker,
            format!("{} is not a market of this run", line.ticker),
        ));
    }
    if now_ns.saturating_sub(line.ts_ns) > age_max_ns {
        return Err((
            Refusal::Stale,
            format!(
                "{} s old, over the bound of {} s",
                now_ns.saturating_sub(line.ts_ns) / NS_PER_S,
                age_max_ns / NS_PER_S
            ),
        ));
    }
    if line.ts_ns.saturating_sub(now_ns) > FUTURE_TOLERANCE_NS {
        return Err((
            Refusal::Future,
            format!(
                "{} s ahead of the clock",
                line.ts_ns.saturating_sub(now_ns) / NS_PER_S
            ),
        ));
    }
    Ok(())
}

/// Reads every line of `path` (for a backtest).
pub fn read_file(path: &Path) -> anyhow::Result<Vec<ReadLine>> {
    use anyhow::Context as _;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the model file {}", path.display()))?;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1);
        match parse_line(line) {
            Ok(Some(parsed)) => lines.push(ReadLine {
                line_no,
                parsed: Ok(parsed),
            }),
            Ok(None) => {}
            Err(refusal) => lines.push(ReadLine {
                line_no,
                parsed: Err(refusal),
            }),
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> ModelLine {
        parse_line(line).unwrap().unwrap()
    }

    fn refused(line: &str) -> Refusal {
        parse_line(line).unwrap_err().0
    }

    #[test]
    fn both_formats_parse_exactly() {
        let csv = ok("1765000000.25,KX-A,0.9");
        assert_eq!(csv.ts_ns, 1_765_000_000_250_000_000);
        assert_eq!(csv.ticker, "KX-A");
        assert_eq!(csv.probability_ppm, 900_000);
        let json = ok(r#"{"ts": 1765000000, "ticker": "KX-A", "probability": 0.123456}"#);
        assert_eq!(json.ts_ns, 1_765_000_000 * NS_PER_S);
        assert_eq!(json.probability_ppm, 123_456);
        let rfc = ok("2025-12-06T05:46:40Z,KX-A,1");
        assert_eq!(rfc.ts_ns, 1_765_000_000 * NS_PER_S);
        assert_eq!(rfc.probability_ppm, PPM);
        assert_eq!(ok("1,KX-A,.0000005").probability_ppm, 1);
        assert_eq!(ok("1,KX-A,0.8999999999").probability_ppm, 900_000);
        assert_eq!(ok("1,KX-A,0").probability_ppm, 0);
    }

    #[test]
    fn skipped_and_refused_lines() {
        assert_eq!(parse_line("").unwrap(), None);
        assert_eq!(parse_line("# comment").unwrap(), None);
        assert_eq!(parse_line("ts,ticker,probability").unwrap(), None);
        assert_eq!(refused("1,KX-A,1.5"), Refusal::OutOfRange);
        assert_eq!(refused("1,KX-A,-0.1"), Refusal::OutOfRange);
        assert_eq!(refused("1,KX-A,1.0000001"), Refusal::OutOfRange);
        assert_eq!(refused("1,KX-A,abc"), Refusal::Malformed);
        assert_eq!(refused("1,KX-A,0.5,extra"), Refusal::Malformed);
        assert_eq!(refused("soon,KX-A,0.5"), Refusal::Malformed);
        assert_eq!(refused("1,KX A,0.5"), Refusal::Malformed);
        assert_eq!(
            refused("{\"ts\": 1, \"ticker\": \"KX\"}"),
            Refusal::Malformed
        );
        assert_eq!(refused("{not json"), Refusal::Malformed);
        assert_eq!(refused("1,KX-A,NaN"), Refusal::Malformed);
    }

    #[test]
    fn the_engine_checks_refuse_unknown_stale_and_future_values() {
        let line = ok("100,KX-A,0.5");
        let now = 110 * NS_PER_S;
        let known = |ticker: &str| ticker == "KX-A";
        assert_eq!(check_line(&line, known, 60 * NS_PER_S, now), Ok(()));
        assert_eq!(
            check_line(&line, |_| false, 60 * NS_PER_S, now)
                .unwrap_err()
                .0,
            Refusal::UnknownTicker
        );
        assert_eq!(
            check_line(&line, known, 5 * NS_PER_S, now).unwrap_err().0,
            Refusal::Stale
        );
        assert_eq!(
            check_line(&line, known, 60 * NS_PER_S, 90 * NS_PER_S)
                .unwrap_err()
                .0,
            Refusal::Future
        );
    }
}
