//! No secret reaches a log line or an error message. Every tracing event at TRACE level
//! (including the dependencies' `log` records) is captured while the io clients run their
//! flows against the local exchange — signed reads and writes with lost responses, a 429
//! storm, a WebSocket that is killed and reconnects, a refused handshake, a refused signed
//! read — and the Display and Debug text of every error is added. The text must not contain
//! any 16-character window of a private key's PEM body, nor of any request signature that
//! was sent (learned from the relay and the TCP tap in front of the exchange). The only
//! filter applied is the io crate's `LOG_DIRECTIVE_HIDE_HANDSHAKE` (tungstenite logs the
//! signed handshake request at TRACE).

mod io_support;

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use io_support::*;
use kalshi_io::auth::{ApiCredentials, KeyKind, generate_dev_keypair};
use kalshi_io::backoff::BackoffPolicy;
use kalshi_io::data_rest::queries::MarketsQuery;
use kalshi_io::data_rest::{RestClient, RestConfig};
use kalshi_io::data_ws::{Channel, LOG_DIRECTIVE_HIDE_HANDSHAKE, WsConfig, spawn_ws};
use kalshi_io::env::Endpoints;
use kalshi_io::exec::{ExecConfig, Executor, WriteOutcome};
use kalshi_io::ratelimit::{RateLimiter, UsageTier};
use kalshi_sim::faults::{LostResponseMode, StormWindow};

/// Length of the fragments searched for.
const WINDOW: usize = 16;

/// A `MakeWriter` appending to a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// Every `WINDOW`-character window of each secret.
fn windows(secrets: &[String]) -> HashSet<String> {
    let mut set = HashSet::new();
    for secret in secrets {
        let chars: Vec<char> = secret.chars().collect();
        for window in chars.windows(WINDOW) {
            set.insert(window.iter().collect());
        }
    }
    set
}

/// The windows of `fragments` that occur in `text`.
fn leaks(text: &str, fragments: &HashSet<String>) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    for window in chars.windows(WINDOW) {
        let candidate: String = window.iter().collect();
        if fragments.contains(&candidate) {
            found.push(candidate);
        }
    }
    found
}

/// The base64 body of a PEM file (header and footer lines removed, joined).
fn pem_body(path: &std::path::Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_fragment_or_signature_in_logs_or_errors() {
    let capture = Capture::default();
    // Everything at TRACE, with the one directive the io crate requires of applications
    // (tungstenite logs the signed handshake request at TRACE).
    let filter = tracing_subscriber::EnvFilter::new("trace")
        .add_directive(LOG_DIRECTIVE_HIDE_HANDSHAKE.parse().unwrap());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(capture.clone())
        .try_init()
        .expect("the only subscriber of this test binary");
    let mut errors: Vec<String> = Vec::new();
    let mut note = |text: String| errors.push(text);

    let mut config = busy_config(3, 9);
    config.rate_limits_enabled = true;
    config.tier = UsageTier::Premier;
    config.faults.rest.lost_response_probability = 0.5;
    config.faults.rest.lost_response_mode = LostResponseMode::GatewayTimeout;
    config.faults.rest.storm_429_windows = vec![StormWindow {
        start_ms: 0,
        duration_ms: 300,
    }];
    config.faults.ws.disconnect_after_messages = Some(25);
    let rig = Rig::start(config).await;
    let tickers = rig.active_tickers();
    let relay = Relay::start(&format!("http://{}", rig.handle.addr)).await;
    let tap = TcpTap::start(rig.handle.addr).await;
    let endpoints = Endpoints::custom(&relay.base_url, &tap.ws_url).unwrap();
    let limiter = Arc::new(RateLimiter::for_tier(UsageTier::Premier));
    let rest = RestClient::new(
        RestConfig::new(endpoints.clone()),
        Some(Arc::clone(&rig.credentials)),
        Some(limiter),
    )
    .unwrap();
    note(format!("{:?}", rig.credentials));

    // Reads during the 429 storm.
    if let Err(error) = rest.get_markets(&MarketsQuery::default(), None).await {
        note(format!("{error} {error:?}"));
    }
    let stormed = rest.get_orders(&Default::default(), None).await.map(|_| ());
    if let Err(error) = stormed {
        note(format!("{error} {error:?}"));
    }
    tokio::time::sleep(Duration::from_millis(350)).await;

    // Writes with lost responses, each unknown outcome resolved.
    let exec = Executor::new(rest.clone(), ExecConfig::default()).unwrap();
    for n in 0..30 {
        let order = bid(
            &format!("secret-{n:02}"),
            &tickers[n % tickers.len()],
            "0.02",
        );
        let outcome = exec.place(&order).await;
        note(format!("{outcome:?}"));
        if let WriteOutcome::Unknown { .. } = outcome {
            match exec
                .resolve_unknown(order.client_order_id.as_str(), &order.ticker)
                .await
            {
                Ok(resolution) => note(format!("{resolution:?}")),
                Err(error) => note(format!("{error} {error:?}")),
            }
        }
    }

    // A socket that the exchange keeps killing.
    let mut ws_config = WsConfig::new(endpoints.clone(), tickers.clone());
    ws_config.channels = vec![Channel::OrderbookDelta, Channel::Fill, Channel::UserOrders];
    ws_config.reconnect_backoff = BackoffPolicy {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(100),
        max_retries: u32::MAX,
    };
    let (ws, mut events) = spawn_ws(ws_config.clone(), Arc::clone(&rig.credentials));
    let started = Instant::now();
    let mut generation = 0;
    while generation < 3 && started.elapsed() < Duration::from_secs(10) {
        rig.handle.advance_virtual_clock(3_000_000_000).unwrap();
        while let Ok(event) = events.try_recv() {
            generation = generation.max(event.generation);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(generation >= 3, "the socket was reopened twice");
    if let Err(error) = ws.shutdown().await {
        note(format!("{error} {error:?}"));
    }

    // Credentials the exchange does not know: WebSocket and REST refusals.
    let dir = tempfile::tempdir().unwrap();
    let stranger = generate_dev_keypair(KeyKind::Ed25519, dir.path()).unwrap();
    let wrong = Arc::new(
        ApiCredentials::from_pem_file(rig.handle.key_id.clone(), &stranger.private_key_path)
            .unwrap(),
    );
    let (refused, _events) = spawn_ws(ws_config, Arc::clone(&wrong));
    let ended = refused.join().await;
    assert!(ended.is_err());
    if let Err(error) = ended {
        note(format!("{error} {error:?}"));
    }
    let wrong_rest = RestClient::new(RestConfig::new(endpoints), Some(wrong), None).unwrap();
    let refused_read = wrong_rest.get_balance(None).await;
    assert!(refused_read.is_err());
    if let Err(error) = refused_read {
        note(format!("{error} {error:?}"));
    }
    rig.handle.with_exchange(|_, _| ());

    // What must never show up.
    let mut signatures: Vec<String> = relay
        .seen()
        .into_iter()
        .filter_map(|request| request.signature)
        .collect();
    signatures.extend(tap.signatures());
    assert!(
        signatures.len() > 40,
        "signatures were learned: {}",
        signatures.len()
    );
    let mut secrets = vec![
        pem_body(&rig.handle.private_key_path),
        pem_body(&stranger.private_key_path),
    ];
    secrets.extend(signatures);
    let fragments = windows(&secrets);

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("WebSocket connection lost") && log.contains("TRACE"),
        "the capture saw the run at TRACE level ({} bytes)",
        log.len()
    );
    // The search itself finds a planted fragment.
    let planted = format!("x {} y", &secrets[0][8..8 + WINDOW]);
    assert_eq!(leaks(&planted, &fragments).len(), 1);

    let log_leaks = leaks(&log, &fragments);
    for line in log
        .lines()
        .filter(|line| !leaks(line, &fragments).is_empty())
        .take(5)
    {
        eprintln!("LEAK LINE: {}", &line[..line.len().min(600)]);
    }
    assert!(
        log_leaks.is_empty(),
        "secret fragments in the logs: {log_leaks:?}"
    );
    let error_text = errors.join("\n");
    let error_leaks = leaks(&error_text, &fragments);
    assert!(
        error_leaks.is_empty(),
        "secret fragments in error messages: {error_leaks:?}"
    );
    eprintln!(
        "searched {} log bytes and {} error texts for {} fragments",
        log.len(),
        errors.len(),
        fragments.len()
    );
    rig.shutdown().await;
}
