//! Crash-restart: the bot is killed with SIGKILL at seeded points after it started placing
//! orders, then restarted on the same exchange and account with a fresh run directory beside
//! the old ones. Every killed run's journal must recover, every restarted run must reconcile
//! before its first order, no order of ours may be left resting after the final SIGTERM, and
//! the restarted engine's positions must equal the exchange's (no fill counted twice or lost).

mod reliability_support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kalshi_core::engine::Engine;
use kalshi_core::fixed::SignedCount;
use kalshi_journal::JournalRecord;
use kalshi_journal::typed_reader::read_all_records;
use reliability_support::{
    TestExchange, first_place_seq, first_reconciled_seq, journal_verify, signal, soak_seeds,
    spawn_bot, wait_for_journal, wait_with_limit,
};

/// Base seed of the exchange and of the kill points (`KALSHI_SOAK_SEEDS` adds more).
const SEED: u64 = 11;

/// Kill delays after the run's first journaled place, ms, drawn from the seed.
fn kill_delays_ms(seed: u64, count: usize) -> Vec<u64> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % 1_500
        })
        .collect()
}

const BOT_ARGS: [&str; 8] = [
    "--seed",
    "11",
    "--set",
    "runtime.rescan_interval_s=5",
    // The synthetic flow fills our quotes fast enough to trip the fill-burst breaker
    // (which withdraws every quote for a minute); this test is about something else.
    "--set",
    "engine.risk.fill_burst_contracts_max=100000",
    "--set",
    "engine.risk.order_rate_burst=20",
];

#[test]
fn killed_runs_recover_and_the_restart_leaves_no_orphans_and_no_double_counted_fills() {
    for seed in soak_seeds(SEED) {
        crash_and_restart(seed);
    }
}

fn crash_and_restart(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("journal");
    std::fs::create_dir_all(&root).unwrap();
    let exchange = TestExchange::start(seed, &dir.path().join("keys"));
    let user = exchange.bot_user();

    let mut orphans_left_by_kills = 0;
    for (index, delay_ms) in kill_delays_ms(seed, 2).into_iter().enumerate() {
        let run_dir = root.join(format!("run-killed-{index}"));
        let child = spawn_bot(&exchange, &run_dir, &BOT_ARGS);
        wait_for_journal(&run_dir, Duration::from_secs(60), "a place", |records| {
            first_place_seq(records).is_some()
        });
        std::thread::sleep(Duration::from_millis(delay_ms));
        signal(&child, "-KILL");
        let output = wait_with_limit(child, Duration::from_secs(10));
        assert_eq!(output.status.code(), None, "the bot was killed by a signal");

        // The killed run's journal recovers: verify accepts it (a torn tail is allowed) and
        // it still reconciled before its first order.
        let (code, text) = journal_verify(&run_dir);
        assert_eq!(code, Some(0), "journal verify of a killed run: {text}");
        let records = read_all_records(&run_dir).unwrap();
        assert!(first_reconciled_seq(&records) < first_place_seq(&records));
        orphans_left_by_kills += exchange.resting_orders(user).len();
    }
    assert!(
        orphans_left_by_kills > 0,
        "no kill left a resting order behind; the restart had nothing to clean up"
    );

    // The restart: same exchange, same journal root (so the risk state is restored from the
    // newest killed run), runs a few seconds and is stopped the way a service manager would.
    let run_dir = root.join("run-restarted");
    let child = spawn_bot(&exchange, &run_dir, &BOT_ARGS);
    wait_for_journal(&run_dir, Duration::from_secs(60), "a place", |records| {
        first_place_seq(records).is_some()
    });
    std::thread::sleep(Duration::from_secs(2));
    let signalled = Instant::now();
    signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stop_s = signalled.elapsed().as_secs_f64();
    assert!(stdout.contains("resting orders  : 0 of ours"), "{stdout}");

    // Zero orphans: nothing of ours rests on the exchange, neither this run's orders nor the
    // ones the killed runs left behind.
    let resting = exchange.resting_orders(user);
    assert!(resting.is_empty(), "orders left resting: {resting:?}");

    let (code, text) = journal_verify(&run_dir);
    assert_eq!(code, Some(0), "{text}");
    let records = read_all_records(&run_dir).unwrap();
    let reconciled = first_reconciled_seq(&records).expect("the restart reconciled");
    let first_place = first_place_seq(&records).expect("the restart placed orders");
    assert!(
        reconciled < first_place,
        "place at seq {first_place} before reconciliation at seq {reconciled}"
    );

    // Zero double-counted fills: the restarted engine (rebuilt from its journaled inputs, as
    // replay does) holds exactly the exchange's positions.
    let mut engine = Engine::new();
    for record in &records {
        if let JournalRecord::Input(envelope) = &record.record {
            engine.process(envelope);
        }
    }
    let exchange_positions: BTreeMap<String, SignedCount> =
        exchange.positions(user).into_iter().collect();
    let engine_positions: BTreeMap<String, SignedCount> = engine
        .orders()
        .positions()
        .iter()
        .filter(|(_, position)| position.position != SignedCount::ZERO)
        .map(|(ticker, position)| (ticker.to_string(), position.position))
        .collect();
    assert_eq!(engine_positions, exchange_positions);
    eprintln!(
        "crash-restart: {orphans_left_by_kills} orders left resting by kills, \
         {} positions reconciled, final stop {stop_s:.2}s",
        exchange_positions.len()
    );
}
