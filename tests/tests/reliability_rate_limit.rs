//! A 429 storm on the exchange while the bot quotes: no write is ever sent twice by the
//! executor (every request on the wire maps to its own journaled command), and every cancel
//! the storm refused is decided again by the engine and lands once the storm is over.
//!
//! The bot's REST traffic passes through a recording proxy (the exchange's request log); the
//! exchange answers every request with 429 during two 3-second windows.

mod reliability_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::events::{Event, RequestKind};
use kalshi_journal::typed_reader::read_all_records;
use kalshi_sim::exchange::order::OrderStatus;
use kalshi_sim::faults::{FaultConfig, StormWindow};
use reliability_support::{
    RecordedRequest, RecordingProxy, TestExchange, commands, inputs, signal, soak_seeds,
    spawn_bot_via, wait_with_limit,
};

/// The 429 storms, ms after the exchange started.
const STORMS: [StormWindow; 2] = [
    StormWindow {
        start_ms: 15_000,
        duration_ms: 3_000,
    },
    StormWindow {
        start_ms: 27_000,
        duration_ms: 3_000,
    },
];
/// How long after the last storm every refused cancel must have landed (generous: on a loaded
/// 2-core CI host the bot's startup, and so its view of the storms, can lag by seconds).
const LANDED_WITHIN: Duration = Duration::from_secs(25);

#[test]
fn a_429_storm_retries_no_write_and_every_refused_cancel_lands_afterwards() {
    for seed in soak_seeds(41) {
        storm(seed);
    }
}

/// Which order a write request concerns: `(kind, key)` where key is the client order id of a
/// create and the exchange order id otherwise; a batch cancel gives one entry per order.
fn writes_on_the_wire(requests: &[RecordedRequest]) -> Vec<(&'static str, String)> {
    let mut writes = Vec::new();
    for request in requests {
        let path = request.path();
        let Some(relative) = path.split("/portfolio/events/orders").nth(1) else {
            continue;
        };
        let segments: Vec<&str> = relative.split('/').filter(|s| !s.is_empty()).collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("POST", []) => writes.push((
                "create",
                request.json()["client_order_id"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )),
            ("DELETE", ["batched"]) => {
                for item in request.json()["orders"].as_array().into_iter().flatten() {
                    writes.push((
                        "cancel",
                        item["order_id"].as_str().unwrap_or("").to_string(),
                    ));
                }
            }
            ("DELETE", []) => writes.push(("cancel_all", String::new())),
            ("DELETE", [order_id]) => writes.push(("cancel", order_id.to_string())),
            ("POST", [order_id, "amend"]) => writes.push(("amend", order_id.to_string())),
            ("POST", [order_id, "decrease"]) => writes.push(("decrease", order_id.to_string())),
            _ => {}
        }
    }
    writes
}

fn storm(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut faults = FaultConfig::default();
    faults.rest.storm_429_windows = STORMS.to_vec();
    let exchange_started = Instant::now();
    let exchange = TestExchange::start_with_faults(seed, &dir.path().join("keys"), faults);
    let proxy = RecordingProxy::start(&exchange);
    let user = exchange.bot_user();
    let run_dir = dir.path().join("journal").join("run-storm");
    std::fs::create_dir_all(run_dir.parent().unwrap()).unwrap();
    let child = spawn_bot_via(
        &exchange,
        &proxy.base_url,
        &run_dir,
        &[
            "--seed",
            "41",
            "--markets",
            "8",
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

    let storms_over = Duration::from_millis(STORMS[1].start_ms + STORMS[1].duration_ms);
    let check_at = storms_over + LANDED_WITHIN;
    std::thread::sleep(check_at.saturating_sub(exchange_started.elapsed()));
    // Before the stop (whose own cancels would hide the question): the exchange's orders now.
    let orders_at_check = exchange.orders(user, None);
    let records_at_check = read_all_records(&run_dir).unwrap();
    // The wire up to the stop (the shutdown backstop, if it runs, is not an engine command).
    let requests = proxy.requests();
    signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let records = read_all_records(&run_dir).unwrap();
    let all_orders = exchange.orders(user, None);
    let client_id_of: BTreeMap<&str, &str> = all_orders
        .iter()
        .filter_map(|order| Some((order.order_id.as_str(), order.client_order_id.as_deref()?)))
        .collect();

    // What the engine decided, per client order id.
    let mut decided: BTreeMap<(&'static str, String), usize> = BTreeMap::new();
    for (_, command) in commands(&records) {
        let key = match command {
            EngineCommand::Place(order) => ("create", order.client_order_id.to_string()),
            EngineCommand::Cancel(cancel) => ("cancel", cancel.client_order_id.to_string()),
            EngineCommand::Amend(amend) => ("amend", amend.client_order_id.to_string()),
            EngineCommand::Decrease(decrease) => ("decrease", decrease.client_order_id.to_string()),
            EngineCommand::CancelAll => ("cancel_all", String::new()),
            EngineCommand::LookupOrder { .. } => continue,
        };
        *decided.entry(key).or_default() += 1;
    }
    // What went out on the wire, per client order id.
    let mut sent: BTreeMap<(&'static str, String), usize> = BTreeMap::new();
    for (kind, key) in writes_on_the_wire(&requests) {
        let client_order_id = match kind {
            "create" | "cancel_all" => key,
            _ => client_id_of
                .get(key.as_str())
                .map(|id| id.to_string())
                .unwrap_or_else(|| panic!("{kind} of an order the exchange never had: {key}")),
        };
        *sent.entry((kind, client_order_id)).or_default() += 1;
    }
    let mut write_requests = 0;
    for (key, times) in &sent {
        write_requests += times;
        let allowed = decided.get(key).copied().unwrap_or(0);
        assert!(
            *times <= allowed,
            "{key:?} went out {times} times but the engine decided it {allowed} times"
        );
    }
    for ((kind, client_order_id), times) in &sent {
        if *kind == "create" {
            assert_eq!(*times, 1, "create {client_order_id} sent {times} times");
        }
    }

    // The storm did refuse writes, cancels among them.
    let refused: Vec<(u64, RequestKind, String)> = inputs(&records)
        .filter_map(|(seq, event)| match event {
            Event::OrderRejected(rejected) if rejected.code == "rate_limited" => {
                Some((seq, rejected.request, rejected.client_order_id.to_string()))
            }
            _ => None,
        })
        .collect();
    let refused_places = refused
        .iter()
        .filter(|(_, kind, _)| *kind == RequestKind::Place)
        .count();
    let refused_cancels: BTreeSet<&str> = refused
        .iter()
        .filter(|(seq, kind, _)| {
            *kind == RequestKind::Cancel
                && records_at_check.last().is_some_and(|last| *seq <= last.seq)
        })
        .map(|(_, _, id)| id.as_str())
        .collect();
    assert!(!refused.is_empty(), "no write was refused by the storm");
    assert!(
        !refused_cancels.is_empty(),
        "no cancel was refused by the storm ({refused_places} places were)"
    );

    // Every cancel the storm refused was decided again (or the order was found gone) and, by
    // the check after the storms, none of those orders still rested on the exchange.
    let resting_at_check: BTreeSet<&str> = orders_at_check
        .iter()
        .filter(|order| order.status == OrderStatus::Resting)
        .filter_map(|order| order.client_order_id.as_deref())
        .collect();
    // An order the engine took back into its ladder after the refusal (amended or decreased
    // it) rests by a later decision, not because the refused cancel was lost.
    let taken_back = |id: &str| {
        let refused_at = refused
            .iter()
            .filter(|(_, kind, refused_id)| *kind == RequestKind::Cancel && refused_id == id)
            .map(|(seq, _, _)| *seq)
            .min()
            .unwrap_or(u64::MAX);
        records_at_check.iter().any(|record| match &record.record {
            kalshi_journal::JournalRecord::OutputCommand { command, .. }
                if record.seq > refused_at =>
            {
                match command {
                    kalshi_core::commands::Command::Amend(amend) => {
                        amend.client_order_id.as_str() == id
                    }
                    kalshi_core::commands::Command::Decrease(decrease) => {
                        decrease.client_order_id.as_str() == id
                    }
                    _ => false,
                }
            }
            _ => false,
        })
    };
    let still_resting: Vec<&&str> = refused_cancels
        .iter()
        .filter(|id| resting_at_check.contains(**id) && !taken_back(id))
        .collect();
    if let Some(first) = still_resting.first() {
        let history: Vec<String> = records_at_check
            .iter()
            .filter_map(|record| match &record.record {
                kalshi_journal::JournalRecord::Input(envelope) => Some((
                    record.seq,
                    envelope.ts_ns,
                    format!("input {}", envelope.event),
                )),
                kalshi_journal::JournalRecord::OutputCommand { command, .. } => {
                    Some((record.seq, 0, format!("command {command}")))
                }
                _ => None,
            })
            .filter(|(_, _, text)| text.contains(**first))
            .map(|(seq, ts_ns, text)| format!("{seq} {ts_ns} {text}"))
            .collect();
        panic!(
            "{} orders whose cancel the storm refused still rested {LANDED_WITHIN:?} after it: \
             {still_resting:?}; journal of the first:\n{}",
            still_resting.len(),
            history.join("\n")
        );
    }
    let cancels_redecided = refused_cancels
        .iter()
        .filter(|id| {
            decided
                .get(&("cancel", id.to_string()))
                .copied()
                .unwrap_or(0)
                > 1
        })
        .count();
    assert!(stdout.contains("resting orders  : 0 of ours"), "{stdout}");
    let rate_limited_at_exchange = exchange.handle().stats().rate_limited;
    eprintln!(
        "429 storm (seed {seed}): {} requests, {write_requests} writes on the wire, none sent \
         twice; {rate_limited_at_exchange} answered 429; refused: {refused_places} places, {} \
         cancels ({cancels_redecided} decided again by the engine, 0 still resting {:.0}s after \
         the storms)",
        requests.len(),
        refused_cancels.len(),
        LANDED_WITHIN.as_secs_f64()
    );
}
