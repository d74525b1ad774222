//! The journal's disk misbehaving under a running bot.
//!
//! - Slow: every commit takes 1.5 s, past the 1 s staleness bound, so the bot falls behind its
//!   inputs. It must notice, withdraw every quote and place nothing while its inputs are stale,
//!   honour `--duration` and its shutdown, and keep its memory bounded (every queue between
//!   the socket and the engine is bounded).
//! - Full: journaling fails mid-run. The bot cancels every order of ours without journaling,
//!   reads the account afresh, prints how many of ours still rest, and exits 3 if any do and
//!   0 if none, with the failure on its own `error:` line.

mod reliability_support;

use std::time::{Duration, Instant};

use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::decision::Decision;
use kalshi_core::events::Event;
use kalshi_journal::JournalRecord;
use kalshi_journal::typed_reader::read_all_records;
use reliability_support::{TestExchange, spawn_bot, wait_with_limit};

use std::process::Child;

/// The run's `--duration`.
const DURATION_S: u64 = 20;
/// Longest allowed from start to exit: the duration, startup, a shutdown whose every commit
/// is slow, and the closing checks.
const EXIT_LIMIT: Duration = Duration::from_secs(DURATION_S + 75);
/// Peak resident memory allowed to the bot (the local exchange runs in the test process).
const RSS_PEAK_KB_MAX: u64 = 400 * 1024;

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn a_slow_journal_disk_holds_quoting_while_stale_and_the_run_still_ends_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let exchange = TestExchange::start(41, &dir.path().join("keys"));
    let run_dir = dir.path().join("journal").join("run-slow-disk");
    std::fs::create_dir_all(run_dir.parent().unwrap()).unwrap();
    let started = Instant::now();
    let child = spawn_bot(
        &exchange,
        &run_dir,
        &[
            "--seed",
            "41",
            "--duration",
            &format!("{DURATION_S}s"),
            "--set",
            "runtime.journal_commit_delay_ms=1500",
            "--set",
            "runtime.stale_after_ms=1000",
            "--set",
            "runtime.shutdown_timeout_s=10",
            "--set",
            "engine.risk.fill_burst_contracts_max=100000",
        ],
    );
    let pid = child.id();
    // Sample the peak while the bot runs (VmHWM is gone once it has exited).
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        while let Some(sample) = peak_rss_kb(pid) {
            peak = peak.max(sample);
            std::thread::sleep(Duration::from_millis(200));
        }
        peak
    });
    let output = wait_with_limit(child, EXIT_LIMIT);
    let elapsed = started.elapsed();
    let peak_kb = sampler.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        matches!(output.status.code(), Some(0) | Some(3)),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("stopped (duration_elapsed)"), "{stdout}");

    let records = read_all_records(&run_dir).unwrap();
    // Walk the journal in order: the verdicts, and every place made while stale.
    let mut stale = false;
    let mut stale_verdicts = 0;
    let mut lag_ms_max = 0;
    let mut places_total = 0;
    let mut places_while_stale = 0;
    let mut withdrawn_while_stale = 0;
    for record in &records {
        match &record.record {
            JournalRecord::Input(envelope) => {
                if let Event::FeedLag {
                    lag_ms,
                    stale: verdict,
                } = envelope.event
                {
                    stale = verdict;
                    if verdict {
                        stale_verdicts += 1;
                        assert!(lag_ms > 1000, "stale at {lag_ms} ms, inside the bound");
                    }
                    lag_ms_max = lag_ms_max.max(lag_ms);
                }
            }
            JournalRecord::OutputCommand {
                command: EngineCommand::Place(_),
                ..
            } => {
                places_total += 1;
                if stale {
                    places_while_stale += 1;
                }
            }
            JournalRecord::OutputDecision {
                decision: Decision::Withdraw { .. },
                ..
            } if stale => withdrawn_while_stale += 1,
            _ => {}
        }
    }
    assert!(
        stale_verdicts > 0,
        "a 1.5 s commit never made the inputs stale\n{stderr}"
    );
    assert_eq!(
        places_while_stale, 0,
        "orders placed while the inputs were stale"
    );
    assert!(
        peak_kb > 0 && peak_kb < RSS_PEAK_KB_MAX,
        "peak RSS {peak_kb} kB"
    );
    assert!(
        stderr.contains("hold=stale_data") || stderr.contains("inputs are stale"),
        "the log never said the inputs were stale"
    );
    eprintln!(
        "overload: exit {:?} after {:.1}s (duration {DURATION_S}s); {stale_verdicts} stale \
         episode(s), largest journaled lag {lag_ms_max} ms; {places_total} places, \
         {places_while_stale} while stale, {withdrawn_while_stale} withdrawals while stale; \
         peak RSS {} MB",
        output.status.code(),
        elapsed.as_secs_f64(),
        peak_kb / 1024
    );
}

/// Waits until at least `count` orders of `exchange`'s bot user rest (or 60 s pass).
fn wait_for_resting(exchange: &TestExchange, count: usize, child: &mut Child) -> usize {
    let user = exchange.bot_user();
    let started = Instant::now();
    loop {
        let resting = exchange.resting_orders(user).len();
        if resting >= count || started.elapsed() > Duration::from_secs(60) {
            return resting;
        }
        if child.try_wait().unwrap().is_some() {
            return resting;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_full_journal_disk_cancels_everything_and_exits_by_the_fresh_account_read() {
    let dir = tempfile::tempdir().unwrap();
    let exchange = TestExchange::start(43, &dir.path().join("keys"));
    let user = exchange.bot_user();
    let run_dir = dir.path().join("journal").join("run-disk-full");
    std::fs::create_dir_all(run_dir.parent().unwrap()).unwrap();
    let mut child = spawn_bot(
        &exchange,
        &run_dir,
        &[
            "--seed",
            "43",
            "--duration",
            "60s",
            "--set",
            "runtime.journal_disk_full_after_commits=250",
            "--set",
            "engine.risk.fill_burst_contracts_max=100000",
        ],
    );
    let resting_before = wait_for_resting(&exchange, 4, &mut child);
    let output = wait_with_limit(child, Duration::from_secs(90));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: the run failed") && stderr.contains("no space left on device"),
        "{stderr}"
    );
    let printed: usize = stderr
        .lines()
        .find_map(|line| {
            line.split_once(" order(s) of ours still rest")
                .and_then(|(head, _)| head.rsplit(' ').next()?.parse().ok())
        })
        .unwrap_or_else(|| panic!("no resting count printed:\n{stderr}"));
    let left = exchange.resting_orders(user).len();
    assert_eq!(
        printed, left,
        "printed {printed}, the exchange holds {left}"
    );
    assert_eq!(
        output.status.code(),
        Some(if printed > 0 { 3 } else { 0 }),
        "{stderr}"
    );
    eprintln!(
        "disk full: {resting_before} of ours resting before; after the emergency cancel \
         {printed} printed, {left} on the exchange; exit {:?}",
        output.status.code()
    );
}

#[test]
fn a_seal_that_fails_is_reported_and_the_code_follows_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let exchange = TestExchange::start(44, &dir.path().join("keys"));
    let user = exchange.bot_user();
    let run_dir = dir.path().join("journal").join("run-seal-fails");
    std::fs::create_dir_all(run_dir.parent().unwrap()).unwrap();
    let mut child = spawn_bot(
        &exchange,
        &run_dir,
        &[
            "--seed",
            "44",
            "--set",
            "engine.risk.fill_burst_contracts_max=100000",
        ],
    );
    let resting_before = wait_for_resting(&exchange, 2, &mut child);
    // Where the seal writes its first segment before renaming it, a directory: the seal
    // cannot create the file.
    std::fs::create_dir_all(run_dir.join("seg-00000000.parquet.tmp")).unwrap();
    reliability_support::signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stderr.contains("could not be sealed"),
        "the seal failure was not reported:\n{stderr}"
    );
    let left = exchange.resting_orders(user).len();
    assert_eq!(left, 0, "{stdout}");
    assert!(stdout.contains("resting orders  : 0 of ours"), "{stdout}");
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    eprintln!(
        "failed seal: {resting_before} resting before the signal, 0 after; reported on stderr; \
         exit {:?}",
        output.status.code()
    );
}
