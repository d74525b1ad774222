//! Shared harness of the `reliability_*` tests: a local exchange in the test process that
//! outlives the bots it serves (so a bot can be killed and restarted against the same book and
//! account), the binary spawned against it, and journal readers.

#![allow(dead_code)]

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::decision::Decision;
use kalshi_core::events::Event;
use kalshi_core::fixed::SignedCount;
use kalshi_journal::typed_reader::read_all_records;
use kalshi_journal::{JournalRecord, SequencedRecord};
use kalshi_sim::exchange::account::UserId;
use kalshi_sim::faults::FaultConfig;
use kalshi_sim::{ClockMode, SimConfig, SimHandle};

/// The binary under test.
pub use kalshi_e2e::binary::kalshi_bot;

/// Markets the exchange lists.
pub const SIM_MARKETS: usize = 16;

/// Wall-clock Unix ns, read the way the binary reads it.
pub fn wall_ns() -> i64 {
    kalshi_io::clock::wall_clock_now().as_ns()
}

/// A local exchange owned by the test: virtual clock started ten minutes in the past (so the
/// synthetic traders have built books), then driven to the wall clock every 50 ms.
pub struct TestExchange {
    runtime: tokio::runtime::Runtime,
    handle: Arc<SimHandle>,
    /// Directory of the development key (pass as `--sim-key-dir`).
    pub key_dir: PathBuf,
}

impl TestExchange {
    /// Starts the exchange with lively synthetic flow.
    pub fn start(seed: u64, key_dir: &Path) -> TestExchange {
        TestExchange::start_with_faults(seed, key_dir, FaultConfig::default())
    }

    /// Starts the exchange with lively synthetic flow and the given fault knobs.
    pub fn start_with_faults(seed: u64, key_dir: &Path, faults: FaultConfig) -> TestExchange {
        TestExchange::start_with_config(seed, key_dir, faults, |_| {})
    }

    /// [`TestExchange::start_with_faults`] with `tweak` applied to the configuration last
    /// (e.g. scheduled fee changes; times relative to the exchange start, which is ten
    /// minutes before the wall clock).
    pub fn start_with_config(
        seed: u64,
        key_dir: &Path,
        faults: FaultConfig,
        tweak: impl FnOnce(&mut SimConfig),
    ) -> TestExchange {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = SimConfig {
            port: 0,
            seed,
            clock: ClockMode::Virtual,
            key_dir: key_dir.to_path_buf(),
            faults,
            ..SimConfig::default()
        };
        config.exchange.start_ns = wall_ns() - 600 * 1_000_000_000;
        config.exchange.catalog.market_count = SIM_MARKETS;
        config.exchange.catalog.event_count = SIM_MARKETS / 5;
        let flow = &mut config.exchange.flow;
        flow.noise_orders_per_hour = 14_400.0;
        flow.noise_cancels_per_hour = 12_000.0;
        flow.informed_checks_per_hour = 3_600.0;
        flow.drift_sigma_per_sqrt_hour = 6.0;
        flow.noise_offset_max = 0.03;
        tweak(&mut config);
        let handle = runtime.block_on(kalshi_sim::spawn(config)).unwrap();
        handle.set_time(wall_ns()).unwrap();
        let handle = Arc::new(handle);
        let driven = Arc::clone(&handle);
        runtime.spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_millis(50));
            loop {
                interval.tick().await;
                let target = wall_ns().max(driven.now_ns());
                let _ = driven.set_time(target);
            }
        });
        TestExchange {
            runtime,
            handle,
            key_dir: key_dir.to_path_buf(),
        }
    }

    /// The handle (REST/WS URLs, direct access to the exchange).
    pub fn handle(&self) -> &SimHandle {
        &self.handle
    }

    /// Arguments that point `run-strategy --sim` at this exchange.
    pub fn target_args(&self) -> Vec<String> {
        self.target_args_via(&self.handle.base_url)
    }

    /// Arguments that point `run-strategy --sim` at this exchange with REST through
    /// `api_base` (e.g. a [`RecordingProxy`]).
    pub fn target_args_via(&self, api_base: &str) -> Vec<String> {
        vec![
            "--sim".to_string(),
            "--api-base".to_string(),
            api_base.to_string(),
            "--ws-url".to_string(),
            self.handle.ws_url.clone(),
            "--sim-key-dir".to_string(),
            self.key_dir.display().to_string(),
        ]
    }

    /// The exchange user behind the development key.
    pub fn bot_user(&self) -> UserId {
        let name = format!("user-{}", self.handle.key_id);
        self.handle.with_exchange(|exchange, _| {
            (0..u32::MAX)
                .map(UserId)
                .map_while(|user| exchange.user_id_text(user).ok().map(|text| (user, text)))
                .find(|(_, text)| *text == name)
                .map(|(user, _)| user)
                .expect("the development key's user")
        })
    }

    /// The bot user's resting orders: (ticker, client order id).
    pub fn resting_orders(&self, user: UserId) -> Vec<(String, Option<String>)> {
        self.orders(
            user,
            Some(kalshi_sim::exchange::order::OrderStatus::Resting),
        )
        .into_iter()
        .map(|order| (order.ticker, order.client_order_id))
        .collect()
    }

    /// Every order of the bot user (`status` narrows it), newest first.
    pub fn orders(
        &self,
        user: UserId,
        status: Option<kalshi_sim::exchange::order::OrderStatus>,
    ) -> Vec<kalshi_sim::exchange::order::Order> {
        self.handle.with_exchange(|exchange, _| {
            let mut all = Vec::new();
            let mut cursor = None;
            loop {
                let page = exchange
                    .orders(
                        user,
                        &kalshi_sim::exchange::queries::OrdersQuery {
                            status,
                            limit: Some(1000),
                            cursor: cursor.take(),
                            ..Default::default()
                        },
                    )
                    .unwrap();
                all.extend(page.items.iter().cloned());
                if page.cursor.is_empty() {
                    break;
                }
                cursor = Some(page.cursor);
            }
            all
        })
    }

    /// The bot user's nonzero positions by ticker.
    pub fn positions(&self, user: UserId) -> Vec<(String, SignedCount)> {
        self.handle.with_exchange(|exchange, _| {
            let tickers = exchange.market_tickers();
            tickers
                .into_iter()
                .filter_map(|ticker| {
                    let position = exchange.position(user, 0, &ticker).ok()?.position;
                    (position != SignedCount::ZERO).then_some((ticker, position))
                })
                .collect()
        })
    }
}

/// Lively synthetic flow for the in-process local exchange (`--sim`), so a short run rests
/// orders behind others and gets filled.
pub const LIVELY_SIM: [&str; 14] = [
    "--sim-markets",
    "8",
    "--set",
    "sim.noise_orders_per_hour=14400",
    "--set",
    "sim.noise_cancels_per_hour=12000",
    "--set",
    "sim.informed_checks_per_hour=3600",
    "--set",
    "sim.drift_sigma_per_sqrt_hour=6",
    "--set",
    "sim.noise_offset_max=0.03",
    "--sim-warmup",
    "600",
];

/// Runs the binary with a hard time limit; returns its output.
pub fn run_with_limit(command: &mut Command, limit: Duration) -> Output {
    wait_with_limit(spawn(command), limit)
}

/// Starts the binary without any Kalshi credentials in its environment.
pub fn spawn(command: &mut Command) -> Child {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("KALSHI_API_KEY_ID")
        .env_remove("KALSHI_PRIVATE_KEY_PATH")
        .env_remove("KALSHI_PRIVATE_KEY_PEM")
        .env_remove("KALSHI_KEY_ENVIRONMENT")
        .spawn()
        .unwrap()
}

/// `run-strategy --strategy maker_ladder` against `exchange`, writing `run_dir`.
pub fn spawn_bot(exchange: &TestExchange, run_dir: &Path, extra: &[&str]) -> Child {
    spawn_bot_via(exchange, &exchange.handle.base_url, run_dir, extra)
}

/// [`spawn_bot`] with REST through `api_base`.
pub fn spawn_bot_via(
    exchange: &TestExchange,
    api_base: &str,
    run_dir: &Path,
    extra: &[&str],
) -> Child {
    let mut command = Command::new(kalshi_bot());
    command
        .current_dir(run_dir.parent().unwrap())
        .args(["run-strategy", "--strategy", "maker_ladder"])
        .args(exchange.target_args_via(api_base))
        .arg("--journal-dir")
        .arg(run_dir)
        .args(extra);
    spawn(&mut command)
}

/// Waits for the child with a hard time limit; returns its output.
pub fn wait_with_limit(mut child: Child, limit: Duration) -> Output {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        stdout.read_to_end(&mut text).unwrap();
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        stderr.read_to_end(&mut text).unwrap();
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            let _ = child.wait();
            let err = err_reader.join().unwrap();
            panic!(
                "kalshi-bot did not finish within {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// Sends `signal` (e.g. "-TERM", "-KILL") to the child.
pub fn signal(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill {signal} failed");
}

/// Polls the journal until `ready` holds for its records (readable with a torn tail).
pub fn wait_for_journal(
    run_dir: &Path,
    limit: Duration,
    what: &str,
    mut ready: impl FnMut(&[SequencedRecord]) -> bool,
) {
    let started = Instant::now();
    loop {
        if read_all_records(run_dir).is_ok_and(|records| ready(&records)) {
            return;
        }
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Journaled input events.
pub fn inputs(records: &[SequencedRecord]) -> impl Iterator<Item = (u64, &Event)> {
    records.iter().filter_map(|record| match &record.record {
        JournalRecord::Input(envelope) => Some((record.seq, &envelope.event)),
        _ => None,
    })
}

/// Journaled commands with their record seq.
pub fn commands(records: &[SequencedRecord]) -> Vec<(u64, &EngineCommand)> {
    records
        .iter()
        .filter_map(|record| match &record.record {
            JournalRecord::OutputCommand { command, .. } => Some((record.seq, command)),
            _ => None,
        })
        .collect()
}

/// Journaled decisions with the seq of the input that caused them.
pub fn decisions(records: &[SequencedRecord]) -> Vec<(u64, &Decision)> {
    records
        .iter()
        .filter_map(|record| match &record.record {
            JournalRecord::OutputDecision {
                decision,
                input_seq,
                ..
            } => Some((*input_seq, decision)),
            _ => None,
        })
        .collect()
}

/// Record seq of the first journaled place command.
pub fn first_place_seq(records: &[SequencedRecord]) -> Option<u64> {
    commands(records)
        .into_iter()
        .find(|(_, command)| matches!(command, EngineCommand::Place(_)))
        .map(|(seq, _)| seq)
}

/// Record seq of the first successful reconciliation.
pub fn first_reconciled_seq(records: &[SequencedRecord]) -> Option<u64> {
    inputs(records)
        .find(|(_, event)| matches!(event, Event::Reconciled { .. }))
        .map(|(seq, _)| seq)
}

/// `kalshi-bot journal verify DIR` exit code and output.
pub fn journal_verify(run_dir: &Path) -> (Option<i32>, String) {
    let output = Command::new(kalshi_bot())
        .args(["journal", "verify"])
        .arg(run_dir)
        .output()
        .unwrap();
    (
        output.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// Seeds a test runs: `base` alone, or `KALSHI_SOAK_SEEDS` consecutive seeds from `base` for
/// the long form (`scripts/soak.sh`).
pub fn soak_seeds(base: u64) -> Vec<u64> {
    let count = std::env::var("KALSHI_SOAK_SEEDS")
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    (base..base + count).collect()
}

/// One HTTP request that passed through a [`RecordingProxy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, `DELETE` …
    pub method: String,
    /// Path and query as sent.
    pub target: String,
    /// Request body as sent, raw bytes (empty when there was none).
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The path without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The body as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// A byte-for-byte TCP proxy in front of the exchange's REST port that records every HTTP/1.1
/// request the bot sends (method, target, body): the exchange's request log. Bodies are read
/// by `Content-Length` (the bot never sends chunked bodies).
pub struct RecordingProxy {
    /// REST base URL through the proxy.
    pub base_url: String,
    requests: Arc<std::sync::Mutex<Vec<RecordedRequest>>>,
}

impl RecordingProxy {
    /// Starts a proxy to `exchange`'s REST port.
    pub fn start(exchange: &TestExchange) -> RecordingProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy_addr = listener.local_addr().unwrap();
        let upstream = exchange.handle().addr;
        let base_url = exchange
            .handle()
            .base_url
            .replace(&upstream.to_string(), &proxy_addr.to_string());
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = std::net::TcpStream::connect(upstream) else {
                    continue;
                };
                let log = Arc::clone(&log);
                std::thread::spawn(move || relay(client, server, &log));
            }
        });
        RecordingProxy { base_url, requests }
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().unwrap().clone()
    }
}

/// Copies the answers back on a thread of their own and the requests forward here, recording
/// each complete request.
fn relay(
    mut client: std::net::TcpStream,
    mut server: std::net::TcpStream,
    log: &std::sync::Mutex<Vec<RecordedRequest>>,
) {
    use std::io::Write as _;
    let (Ok(mut server_reader), Ok(mut client_writer)) = (server.try_clone(), client.try_clone())
    else {
        return;
    };
    let answers = std::thread::spawn(move || {
        let _ = std::io::copy(&mut server_reader, &mut client_writer);
        let _ = client_writer.shutdown(std::net::Shutdown::Both);
    });
    let mut pending = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let read = match client.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if server.write_all(&chunk[..read]).is_err() {
            break;
        }
        pending.extend_from_slice(&chunk[..read]);
        while let Some((request, used)) = parse_request(&pending) {
            log.lock().unwrap().push(request);
            pending.drain(..used);
        }
    }
    let _ = server.shutdown(std::net::Shutdown::Both);
    let _ = answers.join();
}

/// One complete request at the start of `bytes`, and how many bytes it took.
fn parse_request(bytes: &[u8]) -> Option<(RecordedRequest, usize)> {
    let head_end = bytes.windows(4).position(|window| window == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&bytes[..head_end]);
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let body_len = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    if bytes.len() < head_end + body_len {
        return None;
    }
    Some((
        RecordedRequest {
            method,
            target,
            body: bytes[head_end..head_end + body_len].to_vec(),
        },
        head_end + body_len,
    ))
}
