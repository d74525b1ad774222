//! Shutdown: a SIGTERM while dozens of our quotes rest leaves none of them on the exchange,
//! within five seconds of the signal, confirmed both by the exchange's own order table and by
//! the bot's closing REST read; the process itself has exited within five seconds too.

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

fn stop_with_resting_quotes(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let exchange = TestExchange::start(seed, &dir.path().join("keys"));
    let user = exchange.bot_user();
    let run_dir = dir.path().join("journal").join("run-wide");
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
