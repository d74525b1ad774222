//! A WebSocket reconnect while our quotes rest: from the moment the bot learns the socket is
//! gone until the account is reconciled over REST, it places nothing — but its cancels still go
//! out — the exchange never holds more of our orders or contracts than the risk limits allow,
//! and quoting resumes after the reconciliation.
//!
//! The exchange closes every socket after a fixed number of data messages, so one run sees
//! several outages; every one of them is checked.

mod reliability_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::config::EngineConfig;
use kalshi_core::events::{BookInvalidation, Event};
use kalshi_journal::typed_reader::read_all_records;
use kalshi_sim::faults::FaultConfig;
use reliability_support::{
    TestExchange, commands, inputs, signal, soak_seeds, spawn_bot, wait_for_journal,
    wait_with_limit,
};

/// Data messages each socket carries before the exchange closes it.
const DISCONNECT_AFTER_MESSAGES: u64 = 1500;
/// Per-market open order limit given to the bot (3 rungs per side fill it exactly).
const OPEN_ORDERS_PER_MARKET_MAX: usize = 6;

#[test]
fn a_reconnect_holds_new_orders_until_reconciled_while_cancels_still_flow() {
    for seed in soak_seeds(31) {
        reconnect_during_open_quotes(seed);
    }
}

/// One outage as the journal shows it.
#[derive(Debug)]
struct Outage {
    /// Seq of the `FeedReconnected` input.
    held_at: u64,
    /// Seq of the next `Reconciled` input (`None`: the run ended first).
    reconciled_at: Option<u64>,
    /// Time from the hold to the reconciliation, ms.
    held_ms: Option<i64>,
    places: usize,
    cancels: usize,
}

fn outages(records: &[kalshi_journal::SequencedRecord]) -> Vec<Outage> {
    let inputs: Vec<(u64, &Event)> = inputs(records).collect();
    let commands = commands(records);
    let input_ts_ns: std::collections::BTreeMap<u64, i64> = records
        .iter()
        .filter_map(|record| match &record.record {
            kalshi_journal::JournalRecord::Input(envelope) => Some((record.seq, envelope.ts_ns)),
            _ => None,
        })
        .collect();
    let mut found = Vec::new();
    for (index, (held_at, event)) in inputs.iter().enumerate() {
        if !matches!(event, Event::FeedReconnected) {
            continue;
        }
        let reconciled_at = inputs[index + 1..]
            .iter()
            .find(|(_, event)| matches!(event, Event::Reconciled { .. }))
            .map(|(seq, _)| *seq);
        let end = reconciled_at.unwrap_or(u64::MAX);
        let inside = |seq: &u64| *seq > *held_at && *seq < end;
        found.push(Outage {
            held_at: *held_at,
            reconciled_at,
            held_ms: reconciled_at
                .map(|end| (input_ts_ns[&end] - input_ts_ns[held_at]) / 1_000_000),
            places: commands
                .iter()
                .filter(|(seq, command)| inside(seq) && matches!(command, EngineCommand::Place(_)))
                .count(),
            cancels: commands
                .iter()
                .filter(|(seq, command)| inside(seq) && matches!(command, EngineCommand::Cancel(_)))
                .count(),
        });
    }
    found
}

fn reconnect_during_open_quotes(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut faults = FaultConfig::default();
    faults.ws.disconnect_after_messages = Some(DISCONNECT_AFTER_MESSAGES);
    let exchange = Arc::new(TestExchange::start_with_faults(
        seed,
        &dir.path().join("keys"),
        faults,
    ));
    let user = exchange.bot_user();
    let limits = EngineConfig::default().risk;
    let run_dir = dir.path().join("journal").join("run-reconnect");
    std::fs::create_dir_all(run_dir.parent().unwrap()).unwrap();
    let open_orders_max =
        format!("engine.risk.open_orders_per_market_max={OPEN_ORDERS_PER_MARKET_MAX}");
    let child = spawn_bot(
        &exchange,
        &run_dir,
        &[
            "--seed",
            "31",
            "--markets",
            "8",
            "--set",
            "engine.strategy.rungs_per_side=3",
            // The synthetic flow fills our quotes fast enough to trip the fill-burst breaker
            // (which withdraws every quote for a minute); this test is about something else.
            "--set",
            "engine.risk.fill_burst_contracts_max=100000",
            "--set",
            &open_orders_max,
            "--set",
            "engine.risk.order_rate_per_second=9",
            "--set",
            "engine.risk.order_rate_burst=20",
        ],
    );

    // The exchange's side, sampled every 20 ms for the whole run: the most of our orders
    // resting in one market and the largest position.
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let exchange = Arc::clone(&exchange);
        let watching = Arc::clone(&watching);
        std::thread::spawn(move || {
            let mut most_resting = 0usize;
            let mut largest_position = 0i64;
            while watching.load(Ordering::SeqCst) {
                let mut per_market = std::collections::BTreeMap::<String, usize>::new();
                for (ticker, _) in exchange.resting_orders(user) {
                    *per_market.entry(ticker).or_default() += 1;
                }
                most_resting = most_resting.max(per_market.values().copied().max().unwrap_or(0));
                for (_, position) in exchange.positions(user) {
                    largest_position = largest_position.max(position.centi().abs());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            (most_resting, largest_position)
        })
    };

    // Run until an outage with quotes resting was reconciled and quoting resumed after it.
    let started = Instant::now();
    wait_for_journal(
        &run_dir,
        Duration::from_secs(120),
        "an outage with cancels, a reconciliation and places after it",
        |records| {
            let commands = commands(records);
            outages(records).iter().any(|outage| {
                outage.cancels > 0
                    && outage.reconciled_at.is_some_and(|reconciled| {
                        commands.iter().any(|(seq, command)| {
                            *seq > reconciled && matches!(command, EngineCommand::Place(_))
                        })
                    })
            })
        },
    );
    let ran_for = started.elapsed();
    signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(30));
    watching.store(false, Ordering::SeqCst);
    let (most_resting, largest_position_centi) = watcher.join().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let records = read_all_records(&run_dir).unwrap();
    let found = outages(&records);
    assert!(!found.is_empty(), "no outage was journaled");
    for outage in &found {
        assert_eq!(
            outage.places, 0,
            "{outage:?}: a place was journaled while orders were held"
        );
    }
    // Every outage before the last one was reconciled (the last may be cut by the stop).
    for outage in &found[..found.len() - 1] {
        assert!(
            outage.reconciled_at.is_some(),
            "{outage:?} never reconciled"
        );
    }
    // The runtime journals the outage the moment it learns of it: every book the reconnect
    // invalidated comes after a FeedReconnected that no Reconciled has ended yet.
    let mut held = false;
    for (_, event) in inputs(&records) {
        match event {
            Event::FeedReconnected => held = true,
            Event::Reconciled { .. } => held = false,
            Event::BookInvalidated {
                reason: BookInvalidation::Reconnect,
                ticker,
            } => assert!(
                held,
                "{ticker} invalidated by a reconnect outside an outage"
            ),
            _ => {}
        }
    }
    let windows_with_cancels = found.iter().filter(|outage| outage.cancels > 0).count();
    let cancels_in_windows: usize = found.iter().map(|outage| outage.cancels).sum();
    assert!(windows_with_cancels > 0, "no cancel went out while held");
    assert!(
        most_resting <= OPEN_ORDERS_PER_MARKET_MAX,
        "the exchange held {most_resting} of our orders in one market"
    );
    assert!(
        largest_position_centi <= limits.market_position_max.centi(),
        "position of {largest_position_centi} hundredths exceeds the limit"
    );
    assert!(stdout.contains("resting orders  : 0 of ours"), "{stdout}");
    let reconnects = stdout
        .lines()
        .find(|line| line.contains("websocket"))
        .unwrap_or("")
        .to_string();
    assert!(!reconnects.contains("reconnects=0"), "{reconnects}");
    let held_ms: Vec<String> = found
        .iter()
        .map(|outage| match outage.held_ms {
            Some(ms) => format!("{ms} ms"),
            None => format!("open at seq {} when stopped", outage.held_at),
        })
        .collect();
    eprintln!(
        "reconnect (seed {seed}): {} outages in {:.1}s ({}), held for [{}], \
         {windows_with_cancels} with cancels ({cancels_in_windows} cancels, 0 places while \
         held); most resting in one market {most_resting}, largest position {}",
        found.len(),
        ran_for.as_secs_f64(),
        reconnects.trim(),
        held_ms.join(", "),
        kalshi_core::fixed::SignedCount::from_centi(largest_position_centi)
    );
}
