//! Shared helpers for the tests that run kalshi-io against the local exchange (kalshi-sim)
//! over real loopback sockets: starting a simulator, building the io clients, reading the
//! exchange's own books, and a recording HTTP relay that notes every request the exchange
//! receives (time, method, path, client order id, status).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kalshi_core::book::OrderBook;
use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::{PlaceOrder, TimeInForce};
use kalshi_core::config::SelfTradePrevention;
use kalshi_core::market_data::MarketStatus;
use kalshi_core::side::BookSide;
use kalshi_core::{Count, Price};
use kalshi_io::auth::ApiCredentials;
use kalshi_io::data_rest::{RestClient, RestConfig};
use kalshi_io::env::Endpoints;
use kalshi_io::ratelimit::RateLimiter;
use kalshi_sim::catalog::CatalogConfig;
use kalshi_sim::flow::FlowConfig;
use kalshi_sim::{ClockMode, SimConfig, SimHandle};

/// A running simulator with its key directory (kept alive for the test).
pub struct Rig {
    pub handle: SimHandle,
    pub credentials: Arc<ApiCredentials>,
    pub endpoints: Endpoints,
    _dir: tempfile::TempDir,
}

impl Rig {
    /// Starts a simulator with `config` (its key directory is replaced by a fresh one).
    pub async fn start(mut config: SimConfig) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        config.key_dir = dir.path().to_path_buf();
        let handle = kalshi_sim::spawn(config).await.unwrap();
        let credentials = Arc::new(
            ApiCredentials::from_pem_file(handle.key_id.clone(), &handle.private_key_path).unwrap(),
        );
        let endpoints = Endpoints::custom(&handle.base_url, &handle.ws_url).unwrap();
        Rig {
            handle,
            credentials,
            endpoints,
            _dir: dir,
        }
    }

    /// A REST client for this exchange (signed, with `limiter` if given).
    pub fn rest(&self, limiter: Option<Arc<RateLimiter>>) -> RestClient {
        RestClient::new(
            RestConfig::new(self.endpoints.clone()),
            Some(Arc::clone(&self.credentials)),
            limiter,
        )
        .unwrap()
    }

    /// Tickers of every active market, in creation order.
    pub fn active_tickers(&self) -> Vec<String> {
        self.handle.with_exchange(|exchange, _| {
            exchange
                .market_tickers()
                .into_iter()
                .filter(|ticker| exchange.market_status(ticker) == Ok(MarketStatus::Active))
                .collect()
        })
    }

    /// An empty book on the market's own tick grid.
    pub fn empty_book(&self, ticker: &str) -> OrderBook {
        self.handle.with_exchange(|exchange, _| {
            OrderBook::for_price_ranges(&exchange.market(ticker).unwrap().spec.price_ranges)
        })
    }

    /// The exchange's own book of `ticker`, in the client's one-YES-book shape.
    pub fn exchange_book(&self, ticker: &str) -> Ladders {
        self.handle.with_exchange(|exchange, _| {
            let view = exchange.orderbook(ticker, 0).unwrap();
            Ladders {
                bids: view.yes.iter().copied().collect(),
                asks: view
                    .no
                    .iter()
                    .map(|&(no_price, size)| (no_price.complement(), size))
                    .collect(),
            }
        })
    }

    /// Stops the simulator.
    pub async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}

/// Both sides of a book as price → size maps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ladders {
    pub bids: BTreeMap<Price, Count>,
    pub asks: BTreeMap<Price, Count>,
}

impl Ladders {
    /// The levels held by a client book.
    pub fn of(book: &OrderBook) -> Ladders {
        let side = |side| {
            book.levels(side)
                .map(|level| (level.price, level.size))
                .collect()
        };
        Ladders {
            bids: side(BookSide::Bid),
            asks: side(BookSide::Ask),
        }
    }
}

/// A virtual-clock simulator config without synthetic flow or rate limits.
pub fn quiet_config(markets: usize) -> SimConfig {
    let mut config = SimConfig {
        clock: ClockMode::Virtual,
        rate_limits_enabled: false,
        ..SimConfig::default()
    };
    config.exchange.catalog = CatalogConfig {
        market_count: markets,
        event_count: markets.clamp(1, 40),
        late_open_share_ppm: 0,
        closing_share_ppm: 0,
        ..CatalogConfig::default()
    };
    config.exchange.flow = FlowConfig {
        enabled: false,
        ..FlowConfig::default()
    };
    config
}

/// A virtual-clock simulator config with busy synthetic flow on `markets` markets.
pub fn busy_config(markets: usize, seed: u64) -> SimConfig {
    let mut config = quiet_config(markets);
    config.seed = seed;
    config.exchange.flow = FlowConfig::default();
    config.exchange.flow.noise_orders_per_hour = 3_600.0;
    config.exchange.flow.noise_cancels_per_hour = 2_400.0;
    config.exchange.flow.informed_checks_per_hour = 1_200.0;
    config
}

/// A one-contract GTC bid at `price` with a deterministic client order id.
pub fn bid(client_order_id: &str, ticker: &str, price: &str) -> PlaceOrder {
    PlaceOrder {
        client_order_id: ClientOrderId::parse(client_order_id).unwrap(),
        ticker: ticker.to_string(),
        side: BookSide::Bid,
        price: Price::parse(price).unwrap(),
        count: Count::from_contracts(1).unwrap(),
        time_in_force: TimeInForce::GoodTillCanceled,
        post_only: false,
        reduce_only: false,
        self_trade_prevention: SelfTradePrevention::TakerAtCross,
        cancel_order_on_pause: false,
        expiration_ts_s: None,
        order_group_id: None,
    }
}

/// How many orders with each client order id the exchange holds for the API user (the
/// development key's user), across every status.
pub async fn exchange_orders_by_client_id(rig: &Rig) -> BTreeMap<String, usize> {
    let rest = rig.rest(None);
    let query = kalshi_io::data_rest::queries::OrdersQuery {
        limit: Some(1000),
        ..Default::default()
    };
    let orders = rest
        .collect_all::<kalshi_io::wire::portfolio::OrdersPage>(
            "/portfolio/orders",
            kalshi_io::data_rest::AuthMode::Signed,
            query.to_pairs(),
            |_, _| {},
        )
        .await
        .unwrap();
    let mut counts = BTreeMap::new();
    for order in orders {
        *counts
            .entry(order.client_order_id.unwrap_or_default())
            .or_insert(0) += 1;
    }
    counts
}

/// Polls `condition` every 10 ms until it holds or `limit` passes; returns whether it held.
pub async fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if condition() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One request as the relay saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Arrival, relative to the relay's start.
    pub at: Duration,
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// `client_order_id` of a JSON body, when present.
    pub client_order_id: Option<String>,
    /// Status the exchange answered.
    pub status: u16,
    /// The `KALSHI-ACCESS-SIGNATURE` header value, when signed.
    pub signature: Option<String>,
}

/// A transparent HTTP relay in front of the exchange that records every request.
pub struct Relay {
    /// REST base URL to give the client (`http://127.0.0.1:PORT/trade-api/v2`).
    pub base_url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct RelayState {
    upstream: String,
    http: reqwest::Client,
    started: Instant,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn relay(
    State(state): State<RelayState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = state.started.elapsed();
    let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let method_text = method.as_str().to_string();
    let mut request = state.http.request(
        reqwest::Method::from_bytes(method_text.as_bytes()).unwrap(),
        format!("{}{path_and_query}", state.upstream),
    );
    for (name, value) in &headers {
        let name = name.as_str();
        if name.starts_with("kalshi-") || name == "content-type" {
            request = request.header(name, value.as_bytes());
        }
    }
    let client_order_id = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|value| value["client_order_id"].as_str().map(str::to_string));
    let signature = headers
        .get("kalshi-access-signature")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let answer = request.body(body.to_vec()).send().await;
    let (status, bytes) = match answer {
        Ok(answer) => {
            let status = answer.status().as_u16();
            (status, answer.bytes().await.unwrap_or_default().to_vec())
        }
        Err(_) => (502, Vec::new()),
    };
    state.seen.lock().unwrap().push(Seen {
        at,
        method: method_text,
        path: uri.path().to_string(),
        client_order_id,
        status,
        signature,
    });
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        bytes,
    )
        .into_response()
}

impl Relay {
    /// Starts a relay on a free loopback port forwarding to the exchange at `origin`
    /// (`http://127.0.0.1:PORT`).
    pub async fn start(origin: &str) -> Relay {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = RelayState {
            upstream: origin.to_string(),
            http: reqwest::Client::new(),
            started: Instant::now(),
            seen: Arc::clone(&seen),
        };
        let router = axum::Router::new().fallback(relay).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Relay {
            base_url: format!("http://{addr}/trade-api/v2"),
            seen,
            task,
        }
    }

    /// Everything recorded so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        let mut seen = self.seen.lock().unwrap().clone();
        seen.sort_by_key(|s| s.at);
        seen
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A TCP tap in front of the exchange's WebSocket port: counts connections and keeps the
/// text of every HTTP upgrade request (to learn the signatures that were sent).
pub struct TcpTap {
    /// WebSocket URL through the tap.
    pub ws_url: String,
    pub connections: Arc<std::sync::atomic::AtomicUsize>,
    pub handshakes: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl TcpTap {
    /// Starts a tap forwarding to `upstream`.
    pub async fn start(upstream: std::net::SocketAddr) -> TcpTap {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let handshakes = Arc::new(Mutex::new(Vec::new()));
        let (count, seen) = (Arc::clone(&connections), Arc::clone(&handshakes));
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let seen = Arc::clone(&seen);
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut chunk = [0_u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match client.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&chunk[..n]),
                        }
                    }
                    seen.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&head).into_owned());
                    if server.write_all(&head).await.is_err() {
                        return;
                    }
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        TcpTap {
            ws_url: format!("ws://{addr}/trade-api/ws/v2"),
            connections,
            handshakes,
            task,
        }
    }

    /// Connections accepted so far.
    pub fn connection_count(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The `KALSHI-ACCESS-SIGNATURE` values of every handshake seen.
    pub fn signatures(&self) -> Vec<String> {
        self.handshakes
            .lock()
            .unwrap()
            .iter()
            .flat_map(|head| head.lines().map(str::to_string).collect::<Vec<_>>())
            .filter_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("kalshi-access-signature")
                    .then(|| value.trim().to_string())
            })
            .collect()
    }
}

impl Drop for TcpTap {
    fn drop(&mut self) {
        self.task.abort();
    }
}
