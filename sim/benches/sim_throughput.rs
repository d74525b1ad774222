//! Loopback throughput of the local exchange: orders matched per second through the REST
//! API (a resting ask and a crossing IOC bid per match, both signed with Ed25519), and
//! WebSocket messages per second (book deltas and ticker updates delivered to a client).
//!
//! Run: `cargo bench -p kalshi-sim --bench sim_throughput`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::{SinkExt as _, StreamExt as _};
use kalshi_core::market_data::PriceRange;
use kalshi_core::side::BookSide;
use kalshi_core::{Count, Money, Price};
use kalshi_sim::catalog::CatalogConfig;
use kalshi_sim::exchange::{CreateOrderV2, EventSpec, FeeType, MarketSpec, NS_PER_S, SeriesSpec};
use kalshi_sim::flow::FlowConfig;
use kalshi_sim::{ClockMode, SimConfig, SimHandle};
use kalshi_wire::auth::{AuthHeaders, PrivateKey, signing_message};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const TICKER: &str = "KXBENCH-26NOV30-T50";

fn p(text: &str) -> Price {
    Price::parse(text).expect("price literal")
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

async fn start(dir: &std::path::Path) -> SimHandle {
    let mut config = SimConfig {
        clock: ClockMode::Virtual,
        key_dir: dir.to_path_buf(),
        rate_limits_enabled: false,
        starting_balance: Money::from_micros(1_000_000_000 * 1_000_000),
        ..SimConfig::default()
    };
    config.exchange.catalog = CatalogConfig {
        market_count: 0,
        ..CatalogConfig::default()
    };
    config.exchange.flow = FlowConfig {
        enabled: false,
        ..FlowConfig::default()
    };
    let handle = kalshi_sim::spawn(config).await.expect("simulator starts");
    handle.with_exchange(|exchange, now_ns| {
        exchange
            .add_series(SeriesSpec {
                ticker: "KXBENCH".into(),
                title: "Bench".into(),
                category: "Bench".into(),
                frequency: "daily".into(),
                fee_type: FeeType::Quadratic,
                fee_multiplier_ppm: 1_000_000,
            })
            .expect("series");
        exchange
            .add_event(EventSpec {
                ticker: "KXBENCH-26NOV30".into(),
                series_ticker: "KXBENCH".into(),
                title: "Bench".into(),
                sub_title: String::new(),
                mutually_exclusive: false,
                fee_type_override: None,
                fee_multiplier_override_ppm: None,
            })
            .expect("event");
        exchange
            .add_market(
                MarketSpec {
                    ticker: TICKER.into(),
                    event_ticker: "KXBENCH-26NOV30".into(),
                    title: "Bench".into(),
                    yes_sub_title: "Yes".into(),
                    no_sub_title: "No".into(),
                    created_ns: now_ns - NS_PER_S,
                    open_ns: now_ns - NS_PER_S,
                    close_ns: now_ns + 3600 * NS_PER_S,
                    determination_delay_ns: 60 * NS_PER_S,
                    settlement_timer_s: 300,
                    price_level_structure: "linear_cent".into(),
                    price_ranges: vec![PriceRange {
                        start: p("0"),
                        end: p("1"),
                        step: p("0.01"),
                    }],
                    fractional_trading: false,
                    can_close_early: false,
                    strike_type: "greater".into(),
                    floor_strike: None,
                    cap_strike: None,
                    forced_result: None,
                },
                now_ns,
            )
            .expect("market");
    });
    handle
}

/// The development key (Ed25519) and its id: the bench signs like a client would, without
/// the io client (the local exchange does not depend on it).
struct Creds {
    key_id: String,
    key: ed25519_dalek::SigningKey,
}

impl Creds {
    fn load(handle: &SimHandle) -> Creds {
        match PrivateKey::from_pem_file(&handle.private_key_path).expect("dev key") {
            PrivateKey::Ed25519(key) => Creds {
                key_id: handle.key_id.clone(),
                key: *key,
            },
            PrivateKey::Rsa(_) => panic!("the bench expects the default Ed25519 dev key"),
        }
    }
}

fn sign_request(creds: &Creds, timestamp_ms: i64, method: &str, path: &str) -> Option<AuthHeaders> {
    let message = signing_message(timestamp_ms, method, path).ok()?;
    let signature = ed25519_dalek::Signer::sign(&creds.key, message.as_bytes());
    Some(AuthHeaders::from_signature(
        &creds.key_id,
        timestamp_ms,
        &signature.to_bytes(),
    ))
}

async fn signed_post(
    http: &reqwest::Client,
    creds: &Creds,
    origin: &str,
    body: &serde_json::Value,
) {
    let path = "/trade-api/v2/portfolio/events/orders";
    let headers = sign_request(creds, now_ms(), "POST", path).expect("sign");
    let mut request = http.post(format!("{origin}{path}")).json(body);
    for (name, value) in headers.header_pairs() {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("request");
    assert_eq!(response.status().as_u16(), 201);
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let handle = runtime.block_on(start(dir.path()));
    let origin = format!("http://{}", handle.addr);
    let creds = Creds::load(&handle);
    let http = reqwest::Client::new();

    let mut group = c.benchmark_group("sim_loopback");
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(1));
    let maker = serde_json::json!({"ticker": TICKER, "side": "ask", "price": "0.50", "count": "1",
        "time_in_force": "good_till_canceled", "self_trade_prevention_type": "maker"});
    let taker = serde_json::json!({"ticker": TICKER, "side": "bid", "price": "0.50", "count": "1",
        "time_in_force": "immediate_or_cancel", "self_trade_prevention_type": "maker"});
    // Self-trade prevention `maker` lets one user cross its own resting order: the resting
    // order is cancelled, so a second user provides the liquidity instead.
    let other = handle.with_exchange(|exchange, _| {
        exchange
            .add_user("bench-maker", Money::from_micros(1_000_000_000_000_000))
            .expect("user")
    });
    group.bench_function("orders_matched_over_http", |b| {
        b.iter(|| {
            handle.with_exchange(|exchange, now_ns| {
                let rest = CreateOrderV2::limit(
                    TICKER,
                    BookSide::Ask,
                    p("0.50"),
                    Count::from_contracts(1).expect("count"),
                );
                exchange.place_v2(other, rest, now_ns).expect("maker order");
            });
            runtime.block_on(signed_post(&http, &creds, &origin, &taker));
        });
    });
    group.bench_function("order_placements_over_http", |b| {
        b.iter(|| runtime.block_on(signed_post(&http, &creds, &origin, &maker)));
    });

    // WebSocket: each iteration rests and cancels one order → 2 deltas + 2 tickers.
    let mut ws = runtime.block_on(async {
        let mut request = handle
            .ws_url
            .as_str()
            .into_client_request()
            .expect("ws request");
        let headers = sign_request(&creds, now_ms(), "GET", "/trade-api/ws/v2").expect("sign");
        for (name, value) in headers.header_pairs() {
            request
                .headers_mut()
                .insert(name, value.parse().expect("header"));
        }
        let (mut ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("ws connect");
        let subscribe = serde_json::json!({"id": 1, "cmd": "subscribe",
            "params": {"channels": ["orderbook_delta", "ticker"], "market_tickers": [TICKER]}});
        ws.send(Message::Text(subscribe.to_string().into()))
            .await
            .expect("send");
        // subscribed ×2 + snapshot.
        for _ in 0..3 {
            ws.next().await.expect("frame").expect("frame ok");
        }
        ws
    });
    group.throughput(Throughput::Elements(4));
    group.bench_function("ws_messages_delivered", |b| {
        b.iter(|| {
            let ws = &mut ws;
            let handle = &handle;
            runtime.block_on(async move {
                handle.with_exchange(|exchange, now_ns| {
                    let rest = CreateOrderV2::limit(
                        TICKER,
                        BookSide::Bid,
                        p("0.10"),
                        Count::from_contracts(1).expect("count"),
                    );
                    let placed = exchange.place_v2(other, rest, now_ns).expect("order");
                    exchange
                        .cancel(other, None, &placed.order.order_id, now_ns)
                        .expect("cancel");
                });
                let mut received = 0;
                while received < 4 {
                    match ws.next().await {
                        Some(Ok(Message::Text(_))) => received += 1,
                        Some(Ok(_)) => {}
                        other => panic!("websocket ended: {other:?}"),
                    }
                }
            });
        });
    });
    group.finish();
    runtime.block_on(handle.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
