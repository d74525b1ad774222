//! Shutdown: a SIGTERM while dozens of our quotes rest leaves none of them on the exchange,
//! within five seconds of the signal, confirmed both by the exchange's own order table and by
//! the bot's closing REST read; the process itself has exited within five seconds too. A
//! second SIGTERM right after the first exits at once, but only after a fresh read of the
//! account: it prints how many orders of ours still rest and exits 3 when any do.

mod reliability_support;

use std::time::{Duration, Instant};

use reliability_support::{TestExchange, signal, soak_seeds, spawn_bot, wait_with_limit};

/// Quotes that must rest before the signal.
const RESTING_BEFORE_SIGNAL_MIN: usize = 24;

/// Longest allowed time from the signal to an empty order table.
const CANCEL_DEADLINE: Duration = Duration::from_secs(5);
/// Longest allowed time from the signal to the end of the process.
const EXIT_DEADLINE: Duration = Duration::from_secs(5);

#[test]
fn sigterm_with_dozens_of_resting_quotes_cancels_them_all_within_five_seconds() {
    for seed in soak_seeds(21) {
        stop_with_resting_quotes(seed);
    }
}

/// A bot quoting a dozen markets against its own exchange, once at least
/// [`RESTING_BEFORE_SIGNAL_MIN`] of its quotes rest.
fn bot_with_resting_quotes(
    seed: u64,
    dir: &std::path::Path,
) -> (
    TestExchange,
    kalshi_sim::exchange::account::UserId,
    std::process::Child,
    usize,
) {
    let exchange = TestExchange::start(seed, &dir.join("keys"));
    let user = exchange.bot_user();
    let run_dir = dir.join("journal").join("run-wide");
    std::fs::create_dir_all(run_dir.parent().unwrap()).unwrap();
    let child = spawn_bot(
        &exchange,
        &run_dir,
        &[
            "--seed",
            "21",
            "--markets",
            "12",
            "--set",
            "engine.strategy.rungs_per_side=3",
            // The synthetic flow fills our quotes fast enough to trip the fill-burst breaker
            // (which withdraws every quote for a minute); this test is about something else.
            "--set",
            "engine.risk.fill_burst_contracts_max=100000",
            "--set",
            "engine.risk.order_rate_per_second=9",
            "--set",
            "engine.risk.order_rate_burst=20",
        ],
    );

    let started = Instant::now();
    let resting_before = loop {
        let resting = exchange.resting_orders(user).len();
        if resting >= RESTING_BEFORE_SIGNAL_MIN {
            break resting;
        }
        if started.elapsed() > Duration::from_secs(60) {
            signal(&child, "-KILL");
            let output = wait_with_limit(child, Duration::from_secs(10));
            let stderr = String::from_utf8_lossy(&output.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
            panic!(
                "only {resting} quotes resting after 60 s; the bot's last log lines:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (exchange, user, child, resting_before)
}

#[test]
fn a_second_sigterm_exits_at_once_with_the_resting_count_and_code_3() {
    // The first signal starts cancelling; the second, a moment later, must not wait for it.
    // Whatever the fresh read finds is printed, and the exit code follows it: 3 while any of
    // ours rest, 0 when none do. Nothing is cancelled or placed after the read, so the
    // exchange never holds more of ours than the printed count. Three tries at most to catch
    // orders still resting (the cancels race the read).
    let mut caught_resting = false;
    for attempt in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let (exchange, user, child, resting_before) =
            bot_with_resting_quotes(22 + attempt, dir.path());
        let signalled = Instant::now();
        signal(&child, "-TERM");
        signal(&child, "-TERM");
        let output = wait_with_limit(child, Duration::from_secs(30));
        let exited_after = signalled.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let printed: usize = stderr
            .lines()
            .find_map(|line| {
                line.split_once(" order(s) of ours still rest")
                    .and_then(|(count, _)| count.trim().parse().ok())
            })
            .unwrap_or_else(|| panic!("no resting count printed:\n{stderr}"));
        let expected = if printed > 0 { Some(3) } else { Some(0) };
        assert_eq!(output.status.code(), expected, "{stderr}");
        assert!(
            exited_after < Duration::from_secs(10),
            "a second signal took {exited_after:?} to exit"
        );
        let left = exchange.resting_orders(user).len();
        assert!(
            left <= printed,
            "{left} of ours rest after exit, more than the {printed} printed"
        );
        eprintln!(
            "double SIGTERM: {resting_before} resting before, {printed} printed as still \
             resting, exit {:?} after {:.3}s",
            output.status.code(),
            exited_after.as_secs_f64()
        );
        if printed > 0 {
            caught_resting = true;
            break;
        }
    }
    assert!(
        caught_resting,
        "three double-SIGTERM runs never caught an order of ours still resting"
    );
}

fn stop_with_resting_quotes(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let (exchange, user, child, resting_before) = bot_with_resting_quotes(seed, dir.path());

    let signalled = Instant::now();
    signal(&child, "-TERM");
    let cleared_after = loop {
        if exchange.resting_orders(user).is_empty() {
            break signalled.elapsed();
        }
        assert!(
            signalled.elapsed() < CANCEL_DEADLINE,
            "{} orders still resting {CANCEL_DEADLINE:?} after SIGTERM",
            exchange.resting_orders(user).len()
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let output = wait_with_limit(child, Duration::from_secs(30));
    let exited_after = signalled.elapsed();
    assert!(
        exited_after < EXIT_DEADLINE,
        "the process took {exited_after:?} to exit after SIGTERM"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("stopped (signal)"), "{stdout}");
    // The bot's own closing REST read agrees, and nothing was placed after the table emptied.
    assert!(stdout.contains("resting orders  : 0 of ours"), "{stdout}");
    assert!(exchange.resting_orders(user).is_empty());
    eprintln!(
        "shutdown: {resting_before} resting at SIGTERM, all cancelled after {:.3}s, exited after {:.3}s",
        cleared_after.as_secs_f64(),
        exited_after.as_secs_f64()
    );
}

#[test]
fn a_signal_during_startup_stops_the_run_with_a_message_before_any_order() {
    // An exchange that accepts connections and never answers: startup hangs on its first
    // request until the signal.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().take(4) {
            open.push(stream);
        }
        open
    });
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("journal").join("run-hung");
    std::fs::create_dir_all(run_dir.parent().unwrap()).unwrap();
    let mut command = std::process::Command::new(reliability_support::kalshi_bot());
    command
        .current_dir(dir.path())
        .args(["run-strategy", "--strategy", "maker_ladder", "--sim"])
        .args(["--api-base", &format!("http://{addr}/trade-api/v2")])
        .args(["--ws-url", &format!("ws://{addr}/trade-api/ws/v2")])
        .arg("--sim-key-dir")
        .arg(dir.path().join("keys"))
        .arg("--journal-dir")
        .arg(&run_dir);
    let child = reliability_support::spawn(&mut command);
    std::thread::sleep(Duration::from_secs(2));
    let signalled = Instant::now();
    signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("stopped by a signal during startup: no order was sent"),
        "{stderr}"
    );
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "took {:?} to stop",
        signalled.elapsed()
    );
    drop(held);
}
