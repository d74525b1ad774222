//! End-to-end: `run-strategy` with `runtime.order_dialect = legacy` trades the local exchange
//! through the client's legacy mapping (`/portfolio/orders`), next to a V2 run on the same
//! seed.
//!
//! The local exchange behind `--sim` follows the wall clock, so two runs cannot be made
//! identical event for event (the deterministic whole-system simulation in `cli/src/dst`
//! drives the exchange on a virtual clock but stands in for the executor, so it never runs
//! the legacy mapping). What is compared is what does not depend on timing: the same
//! exchange (seed) lists the same markets; each run sends its writes only to its own
//! dialect's endpoints, every body fits Kalshi's request schema for that endpoint, every
//! write is accepted (or lost a race with a fill), every fill of ours is on its order's side
//! within its limits and as maker, and both journals replay identical.
//! The exact V2-vs-legacy comparison of outcomes and fills on one script is
//! `tests/tests/io_exec_legacy_dialect.rs`.

mod reliability_support;
#[path = "../../io/tests/spec_support/mod.rs"]
mod spec_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kalshi_core::Price;
use kalshi_core::commands::Command as EngineCommand;
use kalshi_core::events::{Event, OrderRejected, RequestKind};
use kalshi_core::side::BookSide;
use kalshi_journal::SequencedRecord;
use kalshi_journal::typed_reader::read_all_records;
use reliability_support::{
    RecordedRequest, RecordingProxy, TestExchange, commands, inputs, kalshi_bot, spawn_bot_via,
    wait_with_limit,
};
use serde_json::{Value, json};
use spec_support::{openapi, schema_violations};

const SEED: u64 = 31;

/// Rejections that are not the exchange refusing a body: a change that raced a fill (the
/// order was no longer resting), and writes dropped locally at shutdown (never sent).
const NOT_REFUSALS: [&str; 4] = [
    "order_not_resting",
    "order_not_found",
    "not_found",
    "not_sent",
];

/// One run: its journal and the requests the exchange received.
struct Run {
    records: Vec<SequencedRecord>,
    requests: Vec<RecordedRequest>,
    run_dir: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn run(dialect: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let exchange = TestExchange::start(SEED, &dir.path().join("keys"));
    let proxy = RecordingProxy::start(&exchange);
    let run_dir = dir.path().join(format!("run-{dialect}"));
    let child = spawn_bot_via(
        &exchange,
        &proxy.base_url,
        &run_dir,
        &[
            "--duration",
            "30s",
            "--set",
            &format!("runtime.order_dialect={dialect}"),
            "--set",
            "runtime.rescan_interval_s=5",
        ],
    );
    let output = wait_with_limit(child, Duration::from_secs(150));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{dialect} run\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("resting orders  : 0 of ours"), "{stdout}");
    Run {
        records: read_all_records(&run_dir).unwrap(),
        requests: proxy.requests(),
        run_dir,
        _dir: dir,
    }
}

/// The request schema of a write to `path`, by dialect: `None` for other requests.
fn request_schema(method: &str, path: &str) -> Option<Value> {
    let named = |name: &str| Some(json!({"$ref": format!("#/components/schemas/{name}")}));
    let relative = path.strip_prefix("/trade-api/v2")?;
    let last = relative.rsplit('/').next()?;
    match (method, relative) {
        ("POST", "/portfolio/orders") => named("CreateOrderRequest"),
        ("POST", "/portfolio/events/orders") => named("CreateOrderV2Request"),
        ("POST", "/portfolio/events/orders/batched") => named("BatchCreateOrdersV2Request"),
        ("DELETE", "/portfolio/events/orders/batched") => named("BatchCancelOrdersV2Request"),
        ("POST", p) if p.starts_with("/portfolio/orders/") && last == "amend" => {
            named("AmendOrderRequest")
        }
        ("POST", p) if p.starts_with("/portfolio/events/orders/") && last == "amend" => {
            named("AmendOrderV2Request")
        }
        ("POST", p) if p.starts_with("/portfolio/events/orders/") && last == "decrease" => {
            named("DecreaseOrderV2Request")
        }
        // 3.34 no longer names the legacy decrease body; its documented form (kalshi-api.md
        // §5.4), from the spec's own fixed-point schema.
        ("POST", p) if p.starts_with("/portfolio/orders/") && last == "decrease" => Some(json!({
            "type": "object",
            "properties": {
                "reduce_by": {"type": "integer", "minimum": 1},
                "reduce_by_fp": {"$ref": "#/components/schemas/FixedPointCount"},
                "reduce_to": {"type": "integer", "minimum": 0},
                "reduce_to_fp": {"$ref": "#/components/schemas/FixedPointCount"},
            }
        })),
        _ => None,
    }
}

/// What kind of order write a request is, in either dialect (`None` for anything else).
fn write_kind(request: &RecordedRequest) -> Option<(&'static str, &'static str)> {
    let path = request.path().strip_prefix("/trade-api/v2")?;
    let (dialect, rest) = if let Some(rest) = path.strip_prefix("/portfolio/events/orders") {
        ("v2", rest)
    } else if let Some(rest) = path.strip_prefix("/portfolio/orders") {
        ("legacy", rest)
    } else {
        return None;
    };
    let kind = match (request.method.as_str(), rest) {
        ("POST", "") => "create",
        ("POST", "/batched") => "batch_create",
        ("DELETE", "/batched") => "batch_cancel",
        ("DELETE", "") => "cancel_all",
        ("DELETE", _) => "cancel",
        ("POST", r) if r.ends_with("/amend") => "amend",
        ("POST", r) if r.ends_with("/decrease") => "decrease",
        _ => return None,
    };
    Some((dialect, kind))
}

/// A rejection that is not the exchange refusing a body (see [`NOT_REFUSALS`]), or a
/// decrease whose `reduce_to` a partial fill overtook on its way (both dialects send
/// `reduce_to`; the legacy one, cancelling one order per request where V2 batches, leaves
/// quotes up longer and meets it more often).
fn is_race_or_local(rejection: &OrderRejected) -> bool {
    NOT_REFUSALS.contains(&rejection.code.as_str())
        || (rejection.request == RequestKind::Decrease
            && rejection.code == "invalid_order"
            && rejection
                .message
                .contains("must not exceed the remaining count"))
}

/// Every journaled input and command that names `client_order_id`, in order.
fn history(records: &[SequencedRecord], client_order_id: &str) -> Vec<String> {
    records
        .iter()
        .map(|record| format!("{:?}", record.record))
        .filter(|text| text.contains(client_order_id))
        .collect()
}

/// Journaled acknowledgements by request kind, and the rejections that are not races.
fn acks(records: &[SequencedRecord]) -> (BTreeMap<&'static str, usize>, Vec<String>) {
    let mut accepted = BTreeMap::new();
    let mut rejected = Vec::new();
    for (_, event) in inputs(records) {
        match event {
            Event::OrderAck(ack) => {
                let kind = match ack.request {
                    RequestKind::Place => "place",
                    RequestKind::Amend => "amend",
                    RequestKind::Decrease => "decrease",
                    RequestKind::Cancel => "cancel",
                };
                *accepted.entry(kind).or_insert(0) += 1;
            }
            Event::CancelAck(_) => *accepted.entry("cancel").or_insert(0) += 1,
            Event::OrderRejected(rejection) if !is_race_or_local(rejection) => {
                rejected.push(format!(
                    "{rejection:?}\n  history: {:#?}",
                    history(records, rejection.client_order_id.as_str())
                ))
            }
            _ => {}
        }
    }
    (accepted, rejected)
}

/// Every fill of one of our orders is on the side the order was placed on, at a price no
/// worse than a limit the order had, and as maker when it was post-only: what a side, price
/// or flag mapping error would break. Returns how many fills were checked.
fn fills_match_their_orders(records: &[SequencedRecord], dialect: &str) -> usize {
    let mut limits: BTreeMap<String, (BookSide, bool, Vec<Price>)> = BTreeMap::new();
    for (_, command) in commands(records) {
        match command {
            EngineCommand::Place(order) => {
                limits.insert(
                    order.client_order_id.as_str().to_string(),
                    (order.side, order.post_only, vec![order.price]),
                );
            }
            EngineCommand::Amend(amend) => {
                if let Some((_, _, prices)) = limits.get_mut(amend.client_order_id.as_str()) {
                    prices.push(amend.price);
                }
            }
            _ => {}
        }
    }
    let mut checked = 0;
    for (_, event) in inputs(records) {
        let Event::OwnFill(fill) = event else {
            continue;
        };
        let Some((side, post_only, prices)) =
            fill.client_order_id.as_ref().and_then(|id| limits.get(id))
        else {
            continue;
        };
        assert_eq!(fill.side, *side, "{dialect}: {fill:?} against {prices:?}");
        let within = prices.iter().any(|limit| match side {
            BookSide::Bid => fill.yes_price <= *limit,
            BookSide::Ask => fill.yes_price >= *limit,
        });
        assert!(within, "{dialect}: {fill:?} outside its limits {prices:?}");
        assert!(
            !(*post_only && fill.is_taker),
            "{dialect}: a post-only order took liquidity: {fill:?}"
        );
        checked += 1;
    }
    checked
}

/// The tickers of the first market listing the run journaled, sorted.
fn first_listing(records: &[SequencedRecord]) -> Vec<String> {
    let mut tickers: Vec<String> = inputs(records)
        .find_map(|(_, event)| match event {
            Event::MarketListing(markets) => {
                Some(markets.iter().map(|m| m.ticker.clone()).collect())
            }
            _ => None,
        })
        .expect("a market listing");
    tickers.sort();
    tickers
}

fn replays_identical(run_dir: &Path) {
    let replay = Command::new(kalshi_bot())
        .args(["replay", "--journal"])
        .arg(run_dir)
        .arg("--verify")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&replay.stdout);
    assert_eq!(replay.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("identical"), "{stdout}");
}

#[test]
fn a_legacy_dialect_run_trades_through_the_legacy_mapping_like_a_v2_run() {
    let v2 = run("v2");
    let legacy = run("legacy");

    for (run, dialect) in [(&v2, "v2"), (&legacy, "legacy")] {
        // Every order write went to this run's dialect, and fits its request schema.
        let writes: Vec<(&RecordedRequest, (&str, &str))> = run
            .requests
            .iter()
            .filter_map(|request| write_kind(request).map(|kind| (request, kind)))
            .collect();
        assert!(!writes.is_empty(), "{dialect}: no order writes");
        for (request, (used, kind)) in &writes {
            // A V2 cancel-all is the one write both dialects share.
            assert!(
                *used == dialect || (*kind == "cancel_all" && *used == "v2"),
                "{dialect} run sent {} {}",
                request.method,
                request.target
            );
            if let Some(schema) = request_schema(&request.method, request.path()) {
                let body = request.json();
                let errors = schema_violations(openapi(), &schema, &body);
                assert!(
                    errors.is_empty(),
                    "{dialect}: {} {} body {body} violates the spec: {errors:?}",
                    request.method,
                    request.target
                );
            }
        }

        // Every command the engine sent was accepted (or lost a race with a fill); fills
        // arrived.
        let (accepted, rejected) = acks(&run.records);
        assert!(rejected.is_empty(), "{dialect}: {rejected:#?}");
        let sent = commands(&run.records);
        let places = sent
            .iter()
            .filter(|(_, command)| matches!(command, EngineCommand::Place(_)))
            .count();
        assert!(places >= 4, "{dialect}: {places} places");
        assert!(
            accepted.get("place").copied().unwrap_or(0) >= places / 2,
            "{dialect}: {accepted:?} for {places} places"
        );
        for (kind, command) in [
            ("amend", "Amend"),
            ("decrease", "Decrease"),
            ("cancel", "Cancel"),
        ] {
            let issued = sent
                .iter()
                .filter(|(_, c)| format!("{c:?}").starts_with(command))
                .count();
            if issued > 0 {
                assert!(
                    accepted.get(kind).copied().unwrap_or(0) >= 1,
                    "{dialect}: {issued} {kind}s issued, none accepted: {accepted:?}"
                );
            }
        }
        let fills = inputs(&run.records)
            .filter(|(_, event)| matches!(event, Event::OwnFill(_)))
            .count();
        // The legacy run must show fills to check; the V2 run is the reference (its quotes
        // come down faster, in batches, and may see none in a quiet half minute).
        let checked = fills_match_their_orders(&run.records, dialect);
        if dialect == "legacy" {
            assert!(checked >= 1, "legacy: no fill named one of our orders");
        }
        eprintln!(
            "{dialect}: {} writes, acks {accepted:?}, {fills} fills",
            writes.len()
        );
        replays_identical(&run.run_dir);
    }

    // The legacy run exercised creates and cancels through the legacy endpoints.
    let legacy_kinds: Vec<&str> = legacy
        .requests
        .iter()
        .filter_map(write_kind)
        .filter(|(dialect, _)| *dialect == "legacy")
        .map(|(_, kind)| kind)
        .collect();
    for kind in ["create", "cancel"] {
        assert!(
            legacy_kinds.contains(&kind),
            "no legacy {kind}: {legacy_kinds:?}"
        );
    }

    // The same exchange and seed: the same markets listed to choose from. (Which of them are
    // quoted, and in what order, follows books that move in real time.)
    assert_eq!(first_listing(&legacy.records), first_listing(&v2.records));
}
