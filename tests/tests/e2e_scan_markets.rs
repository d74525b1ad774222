//! `kalshi-bot scan-markets --json` against a loopback server that serves real captured
//! `GET /markets` pages (fixtures/rest/epunzal2-kalshi_dashboard, March 2025) and follows the
//! captured cursor from page 1 to page 2. Checks that every page of the chain is read, that
//! only markets passing the filters are ranked (judged from the raw captured fields, not from
//! our own scanner), and that the time filters use `--as-of`. The server also answers the fee
//! directory (`GET /events`, `GET /series`, `GET /series/fee_changes`) for the captured
//! markets' events, so every listed market has fee parameters; a series whose fee type cannot
//! be priced drops its markets as `fee_unknown`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use kalshi_e2e::binary::kalshi_bot;

use serde_json::Value;

/// 2025-03-22T06:00:00Z, the capture day.
const AS_OF: &str = "2025-03-22T06:00:00Z";
const AS_OF_S: i64 = 1_742_623_200;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/rest/epunzal2-kalshi_dashboard")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The fee directory of the captured markets: their events (series = the ticker's first part)
/// and one series each with `fee_type`.
fn fee_directory(pages: [&str; 2], fee_type: &str) -> (String, String) {
    let mut events = std::collections::BTreeSet::new();
    for page in pages {
        let page: Value = serde_json::from_str(page).unwrap();
        for market in page["markets"].as_array().unwrap() {
            events.insert(market["event_ticker"].as_str().unwrap().to_string());
        }
    }
    let series: std::collections::BTreeSet<String> = events
        .iter()
        .map(|event| event.split('-').next().unwrap().to_string())
        .collect();
    let events_json = serde_json::json!({
        "cursor": "",
        "events": events.iter().map(|event| serde_json::json!({
            "event_ticker": event,
            "series_ticker": event.split('-').next().unwrap(),
        })).collect::<Vec<_>>(),
    });
    let series_json = serde_json::json!({
        "series": series.iter().map(|ticker| serde_json::json!({
            "ticker": ticker,
            "fee_type": fee_type,
            "fee_multiplier": 1,
        })).collect::<Vec<_>>(),
    });
    (events_json.to_string(), series_json.to_string())
}

/// The targets of `GET /markets` requests among `requests`.
fn market_requests(requests: &[String]) -> Vec<String> {
    requests
        .iter()
        .filter(|target| target.starts_with("/trade-api/v2/markets"))
        .cloned()
        .collect()
}

/// Serves page 1 for a request without a cursor, page 2 for page 1's cursor, the fee directory
/// (series of `fee_type`), 404 otherwise. Returns the base URL and the request targets it saw.
fn serve_pages(
    page1: String,
    page2: String,
    cursor: String,
    fee_type: &str,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let (events, series) = fee_directory([&page1, &page2], fee_type);
    let fee_changes = r#"{"series_fee_change_arr": []}"#.to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/trade-api/v2", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut content_length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; content_length];
            let _ = reader.read_exact(&mut body);
            let target = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            log.lock().unwrap().push(target.clone());
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let page_cursor = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("cursor="))
                .map(percent_decode);
            let body = match (path, page_cursor.as_deref()) {
                ("/trade-api/v2/markets", None) => Some(&page1),
                ("/trade-api/v2/markets", Some(given)) if given == cursor => Some(&page2),
                ("/trade-api/v2/events", None) => Some(&events),
                ("/trade-api/v2/series", None) => Some(&series),
                ("/trade-api/v2/series/fee_changes", None) => Some(&fee_changes),
                _ => None,
            };
            let response = match body {
                Some(body) => format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                ),
                None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    .to_string(),
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (base, seen)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                index += 3;
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn cents(market: &Value, field: &str) -> i64 {
    market[field].as_i64().unwrap_or(0)
}

fn close_s(market: &Value) -> i64 {
    let text = market["close_time"].as_str().unwrap();
    kalshi_io::time::parse_rfc3339_ns(text).unwrap() / 1_000_000_000
}

/// The filters of the run below, applied to a raw integer-cent market object.
fn passes(market: &Value, volume_min: i64) -> bool {
    let (bid, ask, last) = (
        cents(market, "yes_bid"),
        cents(market, "yes_ask"),
        cents(market, "last_price"),
    );
    let near_resolved = |price: i64| price <= 3 || price >= 97;
    market["status"] == "active"
        && cents(market, "volume_24h") >= volume_min
        && cents(market, "open_interest") >= 100
        && bid > 0
        && ask > 0
        && bid < ask
        && ask - bid <= 10
        && close_s(market) - AS_OF_S >= 3600
        && !near_resolved(bid)
        && !near_resolved(ask)
        && !near_resolved(last)
}

fn scan(series: &str, as_of: &str, extra: &[&str]) -> (Value, Vec<String>, Vec<Value>) {
    let dir = fixture_dir();
    let p1_path = dir.join(format!("rest_markets_{series}_p1of2_2025-03-22.json"));
    let p2_path = dir.join(format!("rest_markets_{series}_p2of2_2025-03-22.json"));
    let page1 = std::fs::read_to_string(&p1_path).unwrap();
    let page2 = std::fs::read_to_string(&p2_path).unwrap();
    let p1 = read_json(&p1_path);
    let p2 = read_json(&p2_path);
    let cursor = p1["cursor"].as_str().unwrap().to_string();
    assert!(!cursor.is_empty());
    assert_eq!(p2["cursor"], "");
    let (base, seen) = serve_pages(page1, page2, cursor, "quadratic_with_maker_fees");
    let mut args = vec![
        "scan-markets",
        "--json",
        "--top",
        "1000",
        "--as-of",
        as_of,
        "--status",
        "all",
        "--api-base",
        &base,
        // The capture has no trade tape: listings only (no trade reads).
        "--set",
        "engine.scanner.require_recent_trades=false",
    ];
    args.extend_from_slice(extra);
    let output = Command::new(kalshi_bot())
        .args(&args)
        .env_remove("KALSHI_API_KEY_ID")
        .env_remove("KALSHI_PRIVATE_KEY_PATH")
        .env_remove("KALSHI_PRIVATE_KEY_PEM")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "scan-markets failed: {stderr}");
    assert!(
        stderr.contains("page 2 read"),
        "progress goes to stderr: {stderr}"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut raw: Vec<Value> = p1["markets"].as_array().unwrap().clone();
    raw.extend(p2["markets"].as_array().unwrap().iter().cloned());
    let seen = seen.lock().unwrap().clone();
    (report, seen, raw)
}

#[test]
fn ranks_exactly_the_markets_that_pass_across_both_pages() {
    for series in ["KXNETFLIXRANKMOVIE", "KXNETFLIXRANKSHOW"] {
        let (report, requests, raw) = scan(series, AS_OF, &["--min-volume-24h", "100"]);
        let requests = market_requests(&requests);
        assert_eq!(
            requests.len(),
            2,
            "{series}: one request per page: {requests:?}"
        );
        assert!(requests[0].contains("limit=1000"), "{requests:?}");
        assert!(requests[1].contains("cursor="), "{requests:?}");
        assert_eq!(report["pages"], 2);
        assert_eq!(report["markets"].as_u64().unwrap() as usize, raw.len());
        assert_eq!(
            report["passed"].as_u64().unwrap() + report["dropped"].as_u64().unwrap(),
            raw.len() as u64
        );
        assert_eq!(
            report["as_of_ns"].as_i64().unwrap(),
            AS_OF_S * 1_000_000_000
        );
        let ranked: Vec<&str> = report["ranked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["ticker"].as_str().unwrap())
            .collect();
        let mut expected: Vec<&str> = raw
            .iter()
            .filter(|market| passes(market, 100))
            .map(|market| market["ticker"].as_str().unwrap())
            .collect();
        let mut got = ranked.clone();
        expected.sort_unstable();
        got.sort_unstable();
        assert_eq!(
            got, expected,
            "{series}: ranked set differs from the raw filter"
        );
        for row in report["ranked"].as_array().unwrap() {
            assert_eq!(row["reasons"][0], "passed", "{row}");
        }
        // Page 2 holds only finalized markets: each one was considered and dropped.
        let page2_count = raw.iter().filter(|m| m["status"] == "finalized").count();
        assert!(page2_count >= 41);
        assert!(
            report["dropped_by_reason"]["not_active"].as_u64().unwrap() as usize >= page2_count,
            "{}",
            report["dropped_by_reason"]
        );
    }
}

#[test]
fn filters_and_as_of_change_the_ranking() {
    let (loose, _, raw) = scan("KXNETFLIXRANKMOVIE", AS_OF, &["--min-volume-24h", "0"]);
    let (strict, _, _) = scan("KXNETFLIXRANKMOVIE", AS_OF, &["--min-volume-24h", "5000"]);
    let count = |report: &Value| report["ranked"].as_array().unwrap().len();
    let expected_loose = raw.iter().filter(|m| passes(m, 0)).count();
    let expected_strict = raw.iter().filter(|m| passes(m, 5000)).count();
    assert_eq!(count(&loose), expected_loose);
    assert_eq!(count(&strict), expected_strict);
    assert!(
        expected_strict < expected_loose,
        "the fixture should separate the two"
    );
    for row in strict["ranked"].as_array().unwrap() {
        let volume: f64 = row["volume_24h"].as_str().unwrap().parse().unwrap();
        assert!(volume >= 5000.0, "{row}");
    }
    // A week later every market in the capture has closed: nothing passes.
    let (later, _, _) = scan(
        "KXNETFLIXRANKMOVIE",
        "1743292800",
        &["--min-volume-24h", "0"],
    );
    assert_eq!(count(&later), 0);
    assert!(
        later["dropped_by_reason"]["closing_soon"]
            .as_u64()
            .unwrap_or(0)
            > 0
            || later["dropped_by_reason"]["near_resolved_time"]
                .as_u64()
                .unwrap_or(0)
                > 0
    );
}

/// Serves the KXNETFLIXRANKMOVIE capture with series of `fee_type`; returns the base URL.
fn serve_movie_pages(fee_type: &str) -> String {
    let dir = fixture_dir();
    let p1_path = dir.join("rest_markets_KXNETFLIXRANKMOVIE_p1of2_2025-03-22.json");
    let p2_path = dir.join("rest_markets_KXNETFLIXRANKMOVIE_p2of2_2025-03-22.json");
    let p1 = read_json(&p1_path);
    serve_pages(
        std::fs::read_to_string(&p1_path).unwrap(),
        std::fs::read_to_string(&p2_path).unwrap(),
        p1["cursor"].as_str().unwrap().to_string(),
        fee_type,
    )
    .0
}

#[test]
fn the_table_is_the_default_output() {
    let base = serve_movie_pages("quadratic_with_maker_fees");
    let output = Command::new(kalshi_bot())
        .args([
            "scan-markets",
            "--top",
            "2",
            "--as-of",
            AS_OF,
            "--api-base",
            &base,
        ])
        .args(["--min-volume-24h", "0"])
        .args(["--set", "engine.scanner.require_recent_trades=false"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].contains("TICKER") && lines[0].contains("REASONS"),
        "{stdout}"
    );
    assert_eq!(lines.len(), 1 + 2 + 1, "{stdout}");
    assert!(
        lines[1].trim_start().starts_with("1  KXNETFLIXRANKMOVIE-"),
        "{stdout}"
    );
    assert!(
        lines[2].trim_start().starts_with("2  KXNETFLIXRANKMOVIE-"),
        "{stdout}"
    );
    assert!(lines[3].starts_with("141 markets from 2 pages"), "{stdout}");
}

#[test]
fn markets_whose_fees_cannot_be_priced_are_dropped_as_fee_unknown() {
    // `flat` fees follow a table this build does not have: never priced with a guess.
    let base = serve_movie_pages("flat");
    let output = Command::new(kalshi_bot())
        .args([
            "scan-markets",
            "--json",
            "--as-of",
            AS_OF,
            "--api-base",
            &base,
        ])
        .args(["--min-volume-24h", "0"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["passed"], 0, "{report}");
    let text = report.to_string();
    assert!(text.contains("fee_unknown"), "{text}");
}

#[test]
fn scans_the_in_process_local_exchange() {
    let dir = std::env::temp_dir().join(format!("kalshi-scan-sim-{}", std::process::id()));
    let output = Command::new(kalshi_bot())
        .args([
            "scan-markets",
            "--sim",
            "--json",
            "--top",
            "5",
            "--sim-markets",
            "12",
        ])
        .args(["--sim-warmup", "120", "--sim-key-dir"])
        .arg(dir.join("keys"))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["markets"], 12);
    assert_eq!(report["pages"], 1);
    let ranked = report["ranked"].as_array().unwrap();
    assert!(!ranked.is_empty() && ranked.len() <= 5, "{report}");
    assert_eq!(
        report["passed"].as_u64().unwrap() + report["dropped"].as_u64().unwrap(),
        12
    );
}
