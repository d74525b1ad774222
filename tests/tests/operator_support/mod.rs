//! Helpers of the operator tests (`e2e_operator`, `e2e_model_file`): the journaled commands
//! and operator inputs, `kalshi-bot ctl` and raw control-socket requests, a strict Prometheus
//! text reader for `/metrics`, the run summary's figures and `replay --verify`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead as _, Write as _};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::events::Event;
use kalshi_journal::{JournalRecord, SequencedRecord};

use crate::reliability_support::{inputs, kalshi_bot};

/// Journaled commands with the seq of the input that produced them.
pub fn commands(records: &[SequencedRecord]) -> Vec<(u64, &EngineCommand)> {
    records
        .iter()
        .filter_map(|record| match &record.record {
            JournalRecord::OutputCommand {
                command, input_seq, ..
            } => Some((*input_seq, command)),
            _ => None,
        })
        .collect()
}

/// Runs `kalshi-bot ctl --journal RUN_DIR ARGS…`; returns the exit code and the answer.
pub fn ctl(run_dir: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let output = Command::new(kalshi_bot())
        .arg("ctl")
        .arg("--journal")
        .arg(run_dir)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let answer = serde_json::from_str(stdout.trim()).unwrap_or_else(|error| {
        panic!(
            "ctl {args:?} printed no JSON ({error}): {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), answer)
}

/// Sends one raw request line to the control socket and returns the answer.
pub fn raw_request(run_dir: &Path, line: &str) -> serde_json::Value {
    let mut stream = std::os::unix::net::UnixStream::connect(run_dir.join("ctl.sock")).unwrap();
    stream.write_all(line.as_bytes()).unwrap();
    stream.write_all(b"\n").unwrap();
    let mut answer = String::new();
    std::io::BufReader::new(stream)
        .read_line(&mut answer)
        .unwrap();
    serde_json::from_str(&answer).unwrap()
}

pub fn wait_until(limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET /metrics` over plain HTTP/1.1; the body.
pub fn scrape(port: u16) -> String {
    use std::io::Read as _;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    body.to_string()
}

/// A strict reader of the Prometheus text format (0.0.4): every family declares its HELP
/// and TYPE before its samples, names and labels are well formed, values are numbers,
/// histogram buckets are cumulative and end with `+Inf` equal to `_count`. Returns every
/// sample as `name{labels}` → value.
pub fn parse_prometheus(text: &str) -> BTreeMap<String, f64> {
    fn valid_name(name: &str) -> bool {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut helped: Vec<String> = Vec::new();
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, _) = rest.split_once(' ').unwrap();
            assert!(valid_name(name), "{line}");
            helped.push(name.to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(valid_name(name), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                types.insert(name.to_string(), kind.to_string()).is_none(),
                "{line}"
            );
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.is_empty(),
            "stray line {line:?}"
        );
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        let name = series.split('{').next().unwrap();
        assert!(valid_name(name), "{line}");
        if let Some(labels) = series.strip_prefix(name).filter(|rest| !rest.is_empty()) {
            let inner = labels
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix('}'))
                .unwrap_or_else(|| panic!("bad labels in {line:?}"));
            for pair in inner.split(',') {
                let (key, quoted) = pair.split_once('=').unwrap();
                assert!(valid_name(key), "{line}");
                assert!(
                    quoted.len() >= 2 && quoted.starts_with('"') && quoted.ends_with('"'),
                    "{line}"
                );
            }
        }
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|base| types.get(*base).is_some_and(|kind| kind == "histogram"))
            })
            .unwrap_or(name);
        assert!(types.contains_key(family), "sample before its TYPE: {line}");
        assert!(
            helped.iter().any(|helped| helped == family),
            "no HELP: {line}"
        );
        assert!(
            samples.insert(series.to_string(), value).is_none(),
            "duplicate {line}"
        );
    }
    for (family, kind) in &types {
        if kind != "histogram" {
            continue;
        }
        let mut last = 0.0;
        let mut inf = None;
        for (series, value) in &samples {
            if let Some(labels) = series.strip_prefix(&format!("{family}_bucket")) {
                if labels.contains("+Inf") {
                    inf = Some(*value);
                }
                let _ = labels;
            }
        }
        for (series, value) in samples.range(format!("{family}_bucket")..) {
            if !series.starts_with(&format!("{family}_bucket")) {
                break;
            }
            if !series.contains("+Inf") {
                last = f64::max(last, *value);
            }
        }
        let count = samples[&format!("{family}_count")];
        assert_eq!(inf, Some(count), "{family}: +Inf bucket is not the count");
        assert!(last <= count, "{family}: buckets above the count");
    }
    samples
}

/// The number after `label` on the summary line that starts with it.
pub fn summary_figure(stdout: &str, label: &str) -> u64 {
    let line = stdout
        .lines()
        .find(|line| line.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{stdout}"));
    line.split(':')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

pub fn operator_inputs(
    records: &[SequencedRecord],
) -> Vec<(u64, kalshi_core::events::OperatorControl)> {
    inputs(records)
        .filter_map(|(seq, event)| match event {
            Event::Operator(control) => Some((seq, *control)),
            _ => None,
        })
        .collect()
}

pub fn replay_identical(run_dir: &Path) {
    let replay = Command::new(kalshi_bot())
        .args(["replay", "--journal"])
        .arg(run_dir)
        .arg("--verify")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&replay.stdout);
    assert_eq!(replay.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("identical"), "{stdout}");
}
