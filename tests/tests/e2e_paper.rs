//! Paper trading end to end: `run-strategy --paper` against a local exchange owned by the test.
//!
//! The exchange's request log (a recording proxy in front of its REST port) must show reads
//! only; the exchange must hold no order of the bot's; the engine must place orders and get
//! simulated fills; the journal must replay identical; and `backtest` over that journal with
//! the same configuration and fill model must reproduce every fill (ids, prices, counts,
//! times). The refusals of `--paper` with options that only concern real orders, and the
//! acceptance of `--live --paper` without `--i-understand-risk`, are checked too.

mod reliability_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::events::Event;
use kalshi_journal::typed_reader::read_all_records;
use kalshi_journal::{JournalRecord, SequencedRecord};
use reliability_support::{
    RecordingProxy, TestExchange, kalshi_bot, spawn_bot_via, wait_with_limit,
};

/// The engine settings both the paper run and its backtest use (the backtest reads only the
/// `[engine]` section, over the local exchange's engine defaults for a `paper-sim` journal, as
/// the `--sim` paper run had them).
const CONFIG: &str = "[engine]\nquoted_markets_max = 12\n";

/// The `--demo` paper run's settings: the local exchange's markets are minutes old, so the
/// activity minimums (zero by default only with `--sim`) are zero here.
const DEMO_CONFIG: &str = "[engine]\nquoted_markets_max = 12\n\n[engine.scanner]\n\
                           volume_24h_min = \"0\"\nopen_interest_min = \"0\"\n";

/// Fill-model flags given to both the paper run and the backtest.
const FILL_MODEL: [&str; 4] = ["--latency-ms", "40", "--cancel-position", "front"];

/// One of our fills as journaled: (input time, fill id, order id, ticker, side, price, count,
/// taker, fee, fill time).
type FillRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
    String,
    i64,
);

fn fills(records: &[SequencedRecord]) -> Vec<FillRow> {
    records
        .iter()
        .filter_map(|record| match &record.record {
            JournalRecord::Input(envelope) => match &envelope.event {
                Event::OwnFill(fill) => Some((
                    envelope.ts_ns,
                    fill.fill_id.clone(),
                    fill.order_id.clone(),
                    fill.ticker.clone(),
                    fill.side.as_str().to_string(),
                    fill.yes_price.to_string(),
                    fill.count.to_string(),
                    fill.is_taker,
                    fill.fee.to_string(),
                    fill.ts_ns,
                )),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn places(records: &[SequencedRecord]) -> usize {
    records
        .iter()
        .filter(|record| {
            matches!(
                &record.record,
                JournalRecord::OutputCommand {
                    command: EngineCommand::Place(_),
                    ..
                }
            )
        })
        .count()
}

/// `kalshi-bot ctl status` of the run in `run_dir`, asked until it answers (the control
/// socket opens once the run has started; at most 60 s).
fn paper_run_status(run_dir: &Path) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if run_dir.join("ctl.sock").exists() {
            let output = Command::new(kalshi_bot())
                .arg("ctl")
                .arg("--journal")
                .arg(run_dir)
                .arg("status")
                .output()
                .unwrap();
            if output.status.success() {
                return serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
                    panic!(
                        "ctl status printed no JSON ({error}): {}",
                        String::from_utf8_lossy(&output.stdout)
                    )
                });
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the paper run's control socket never answered"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn run_bin(args: &[&str], cwd: &Path) -> (Option<i32>, String, String) {
    let output = Command::new(kalshi_bot())
        .current_dir(cwd)
        .args(args)
        .env_remove("KALSHI_API_KEY_ID")
        .env_remove("KALSHI_PRIVATE_KEY_PATH")
        .env_remove("KALSHI_PRIVATE_KEY_PEM")
        .env_remove("KALSHI_KEY_ENVIRONMENT")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_paper_run_sends_no_write_fills_replays_identical_and_backtests_to_the_same_fills() {
    let dir = tempfile::tempdir().unwrap();
    let exchange = TestExchange::start(31, &dir.path().join("keys"));
    let proxy = RecordingProxy::start(&exchange);
    let config = dir.path().join("paper.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let config_arg = config.to_str().unwrap();
    let run_dir = dir.path().join("paper-run");
    let child = spawn_bot_via(
        &exchange,
        &proxy.base_url,
        &run_dir,
        &[
            &["--paper", "--duration", "25s", "--config", config_arg][..],
            &FILL_MODEL[..],
        ]
        .concat(),
    );
    // While it runs, the operator's `ctl status` says it is a paper run.
    let status = paper_run_status(&run_dir);
    assert_eq!(status["status"]["paper"], true, "{status}");
    let output = wait_with_limit(child, Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("PAPER run "), "{stdout}");
    assert!(stdout.contains("no order left the process"), "{stdout}");
    assert!(
        stderr.contains("PAPER risk="),
        "the status line says PAPER: {stderr}"
    );

    // The exchange's request log: reads only, and none of the account.
    let requests = proxy.requests();
    assert!(
        !requests.is_empty(),
        "the paper run read market data over REST"
    );
    let writes: Vec<String> = requests
        .iter()
        .filter(|request| request.method != "GET" || request.path().contains("/portfolio"))
        .map(|request| format!("{} {}", request.method, request.target))
        .collect();
    assert!(
        writes.is_empty(),
        "a paper run sent requests beyond market-data reads: {writes:?}"
    );
    assert_eq!(
        exchange.handle().stats().orders,
        0,
        "the exchange accepted orders"
    );
    assert!(
        exchange.resting_orders(exchange.bot_user()).is_empty(),
        "the bot has orders on the exchange"
    );

    // The journal: a paper run that placed orders and got simulated fills.
    let records = read_all_records(&run_dir).unwrap();
    let paper_fills = fills(&records);
    let paper_places = places(&records);
    assert!(paper_places > 0, "the paper run placed no order\n{stdout}");
    assert!(
        !paper_fills.is_empty(),
        "the paper run got no fill in 25 s\n{stdout}"
    );
    assert!(
        paper_fills
            .iter()
            .all(|fill| fill.1.starts_with("sim-f-") && fill.2.starts_with("sim-o-")),
        "fills come from the in-process simulator: {paper_fills:?}"
    );
    eprintln!(
        "paper run: {paper_places} orders placed, {} fills, {} REST requests (all reads)",
        paper_fills.len(),
        requests.len()
    );
    let started = records.iter().find_map(|record| match &record.record {
        JournalRecord::RunStarted(started) => Some(started.environment.clone()),
        _ => None,
    });
    assert_eq!(started.as_deref(), Some("paper-sim"));

    // The journal replays identical.
    let run_arg = run_dir.to_str().unwrap();
    let (code, replay_out, replay_err) =
        run_bin(&["replay", "--journal", run_arg, "--verify"], dir.path());
    assert_eq!(code, Some(0), "{replay_out}\n{replay_err}");
    assert!(replay_out.contains("identical"), "{replay_out}");

    // A backtest over the journal with the same configuration reproduces the fills.
    let report = dir.path().join("backtest");
    let (code, bt_out, bt_err) = run_bin(
        &[
            &[
                "backtest",
                "--journal",
                run_arg,
                "--config",
                config_arg,
                "--report",
                report.to_str().unwrap(),
            ][..],
            &FILL_MODEL[..],
        ]
        .concat(),
        dir.path(),
    );
    assert_eq!(code, Some(0), "{bt_out}\n{bt_err}");
    assert!(bt_err.contains("paper run journal"), "{bt_err}");
    let backtest = read_all_records(&report.join("journal")).unwrap();
    assert_eq!(
        fills(&backtest),
        paper_fills,
        "the backtest's fills differ from the paper run's"
    );
    assert_eq!(places(&backtest), paper_places, "orders placed differ");
}

#[test]
fn a_demo_paper_run_with_a_key_only_reads() {
    let dir = tempfile::tempdir().unwrap();
    let exchange = TestExchange::start(32, &dir.path().join("keys"));
    let proxy = RecordingProxy::start(&exchange);
    let key = kalshi_sim::keys::load_or_create_dev_key(
        &exchange.key_dir,
        kalshi_io::auth::KeyKind::Ed25519,
    )
    .unwrap();
    let config = dir.path().join("paper.toml");
    std::fs::write(&config, DEMO_CONFIG).unwrap();
    let run_dir = dir.path().join("demo-paper");
    let output = Command::new(kalshi_bot())
        .current_dir(dir.path())
        .args([
            "run-strategy",
            "--strategy",
            "maker_ladder",
            "--demo",
            "--paper",
        ])
        .args([
            "--api-base",
            &proxy.base_url,
            "--ws-url",
            &exchange.handle().ws_url,
        ])
        .args(["--duration", "8s", "--config", config.to_str().unwrap()])
        .arg("--journal-dir")
        .arg(&run_dir)
        .env("KALSHI_API_KEY_ID", &key.key_id)
        .env("KALSHI_PRIVATE_KEY_PATH", &key.private_key_path)
        .env_remove("KALSHI_PRIVATE_KEY_PEM")
        .env_remove("KALSHI_KEY_ENVIRONMENT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("PAPER run "), "{stdout}");
    let requests = proxy.requests();
    assert!(!requests.is_empty());
    let beyond_reads: Vec<String> = requests
        .iter()
        .filter(|request| request.method != "GET" || request.path().contains("/portfolio"))
        .map(|request| format!("{} {}", request.method, request.target))
        .collect();
    assert!(beyond_reads.is_empty(), "{beyond_reads:?}");
    assert_eq!(exchange.handle().stats().orders, 0);
    let records = read_all_records(&run_dir).unwrap();
    assert!(
        places(&records) > 0,
        "the demo paper run placed no order\n{stdout}"
    );
    let environment = records.iter().find_map(|record| match &record.record {
        JournalRecord::RunStarted(started) => Some(started.environment.clone()),
        _ => None,
    });
    assert_eq!(environment.as_deref(), Some("paper-demo"));
}

#[test]
fn paper_flags_are_checked_before_any_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let base = ["run-strategy", "--strategy", "maker_ladder"];

    // `--live --paper` needs no --i-understand-risk: it gets as far as the missing key.
    let (code, _, stderr) = run_bin(&[&base[..], &["--live", "--paper"]].concat(), dir.path());
    assert_ne!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("--i-understand-risk"), "{stderr}");
    assert!(stderr.contains("needs an API key"), "{stderr}");

    // Options that only concern real orders are refused with --paper.
    for (extra, named) in [
        (&["--resume-from", "somewhere"][..], "--resume-from"),
        (&["--fresh-risk-state"][..], "--fresh-risk-state"),
        (&["--i-understand-risk"][..], "--i-understand-risk"),
    ] {
        let (code, _, stderr) = run_bin(
            &[&base[..], &["--sim", "--paper"], extra].concat(),
            dir.path(),
        );
        assert_ne!(code, Some(0), "{stderr}");
        assert!(
            stderr.contains(&format!("--paper does not take {named}")),
            "{stderr}"
        );
    }

    // The fill-model flags only exist on paper.
    let (code, _, stderr) = run_bin(
        &[&base[..], &["--sim", "--latency-ms", "10"]].concat(),
        dir.path(),
    );
    assert_ne!(code, Some(0), "{stderr}");
    assert!(stderr.contains("--paper"), "{stderr}");
}
