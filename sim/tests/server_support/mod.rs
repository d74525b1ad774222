//! Shared helpers for the server tests: a simulator on loopback with a virtual clock, a
//! signing HTTP client and a WebSocket client built from reqwest / tokio-tungstenite, and a
//! signer of their own over `kalshi_wire::auth` (the local exchange does not depend on the io
//! client, so its signatures are checked against an independent signer).

#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt as _, StreamExt as _};
use kalshi_core::market_data::PriceRange;
use kalshi_core::side::BookSide;
use kalshi_core::{Count, Money, Price};
use kalshi_sim::catalog::CatalogConfig;
use kalshi_sim::exchange::{
    CreateOrderV2, EventSpec, FeeType, MarketSpec, NS_PER_S, SeriesSpec, UserId,
};
use kalshi_sim::flow::FlowConfig;
use kalshi_sim::{ClockMode, SimConfig, SimHandle};
use kalshi_wire::auth::{AuthError, AuthHeaders, PrivateKey, signing_message};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The hand-made test market.
pub const TICKER: &str = "KXTEST-26NOV30-T50";

pub fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

pub fn count(contracts: i64) -> Count {
    Count::from_contracts(contracts).unwrap()
}

pub fn money(text: &str) -> Money {
    Money::parse(text).unwrap()
}

/// A config with a virtual clock, keys in `key_dir`, and nothing generated.
pub fn quiet_config(key_dir: &std::path::Path) -> SimConfig {
    let mut config = SimConfig {
        clock: ClockMode::Virtual,
        key_dir: key_dir.to_path_buf(),
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
    config
}

/// A config with a virtual clock, `markets` generated markets, busy synthetic flow, and no
/// rate limits (the tests poll REST faster than the Basic tier allows).
pub fn flow_config(key_dir: &std::path::Path, markets: usize, seed: u64) -> SimConfig {
    let mut config = SimConfig {
        clock: ClockMode::Virtual,
        key_dir: key_dir.to_path_buf(),
        seed,
        rate_limits_enabled: false,
        ..SimConfig::default()
    };
    config.exchange.catalog.market_count = markets;
    config.exchange.catalog.event_count = markets.clamp(1, 2);
    config.exchange.flow.noise_orders_per_hour = 3_600.0;
    config.exchange.flow.noise_cancels_per_hour = 2_400.0;
    config.exchange.flow.informed_checks_per_hour = 1_200.0;
    config
}

/// Adds the test market (linear cent grid, `fee_type`) to a running simulator.
pub fn add_test_market(handle: &SimHandle, fee_type: FeeType) {
    handle.with_exchange(|exchange, now_ns| {
        exchange
            .add_series(SeriesSpec {
                ticker: "KXTEST".into(),
                title: "Test".into(),
                category: "Test".into(),
                frequency: "daily".into(),
                fee_type,
                fee_multiplier_ppm: 1_000_000,
            })
            .unwrap();
        exchange
            .add_event(EventSpec {
                ticker: "KXTEST-26NOV30".into(),
                series_ticker: "KXTEST".into(),
                title: "Test event".into(),
                sub_title: String::new(),
                mutually_exclusive: false,
                fee_type_override: None,
                fee_multiplier_override_ppm: None,
            })
            .unwrap();
        exchange
            .add_market(
                MarketSpec {
                    ticker: TICKER.into(),
                    event_ticker: "KXTEST-26NOV30".into(),
                    title: "Test market".into(),
                    yes_sub_title: "Yes".into(),
                    no_sub_title: "No".into(),
                    created_ns: now_ns - NS_PER_S,
                    open_ns: now_ns - NS_PER_S,
                    close_ns: now_ns + 3600 * NS_PER_S,
                    determination_delay_ns: 60 * NS_PER_S,
                    settlement_timer_s: 300,
                    price_level_structure: "linear_cent".into(),
                    price_ranges: vec![PriceRange {
                        start: price("0"),
                        end: price("1"),
                        step: price("0.01"),
                    }],
                    fractional_trading: false,
                    can_close_early: false,
                    strike_type: "greater".into(),
                    floor_strike: Some(50),
                    cap_strike: None,
                    forced_result: None,
                },
                now_ns,
            )
            .unwrap();
    });
}

/// Adds a user with $10,000 directly on the exchange.
pub fn add_user(handle: &SimHandle, name: &str) -> UserId {
    handle.with_exchange(|exchange, _| exchange.add_user(name, money("10000")).unwrap())
}

/// Rests a GTC order for `user` directly on the exchange.
pub fn rest(handle: &SimHandle, user: UserId, side: BookSide, yes_price: &str, contracts: i64) {
    handle.with_exchange(|exchange, now_ns| {
        exchange
            .place_v2(
                user,
                CreateOrderV2::limit(TICKER, side, price(yes_price), count(contracts)),
                now_ns,
            )
            .unwrap();
    });
}

/// An HTTP response: status, headers, body text.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text))
    }
}

/// An API key id and its private key, as the tests sign with them.
pub struct TestCredentials {
    key_id: String,
    key: PrivateKey,
}

impl TestCredentials {
    /// Loads the key from a permission-checked PEM file.
    pub fn from_pem_file(
        key_id: impl Into<String>,
        path: impl AsRef<std::path::Path>,
    ) -> Result<TestCredentials, AuthError> {
        Ok(TestCredentials {
            key_id: key_id.into(),
            key: PrivateKey::from_pem_file(path)?,
        })
    }
}

/// Signs one request the way Kalshi specifies: Ed25519 over the message, or RSASSA-PSS
/// (SHA-256, MGF1-SHA-256, salt 32) for RSA keys.
pub fn sign_request(
    creds: &TestCredentials,
    timestamp_ms: i64,
    method: &str,
    path: &str,
) -> Result<AuthHeaders, AuthError> {
    let message = signing_message(timestamp_ms, method, path)?;
    let signature = match &creds.key {
        PrivateKey::Ed25519(key) => ed25519_dalek::Signer::sign(key.as_ref(), message.as_bytes())
            .to_bytes()
            .to_vec(),
        PrivateKey::Rsa(key) => {
            use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};
            rsa::pss::BlindedSigningKey::<sha2::Sha256>::new(key.as_ref().clone())
                .sign_with_rng(&mut rand::rngs::OsRng, message.as_bytes())
                .to_vec()
        }
    };
    Ok(AuthHeaders::from_signature(
        &creds.key_id,
        timestamp_ms,
        &signature,
    ))
}

/// A client signing every request with the simulator's development key.
pub struct Client {
    pub http: reqwest::Client,
    pub origin: String,
    pub ws_url: String,
    pub creds: TestCredentials,
}

pub fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

impl Client {
    pub fn new(handle: &SimHandle) -> Client {
        Client {
            http: reqwest::Client::new(),
            origin: format!("http://{}", handle.addr),
            ws_url: handle.ws_url.clone(),
            creds: TestCredentials::from_pem_file(handle.key_id.clone(), &handle.private_key_path)
                .unwrap(),
        }
    }

    /// Sends `method` to `/trade-api/v2{path}` with a body, signed unless `signed` is false.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        signed: bool,
    ) -> Result<Reply, reqwest::Error> {
        let full = format!("/trade-api/v2{path}");
        let mut request = self.http.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{full}", self.origin),
        );
        if signed {
            let headers = sign_request(&self.creds, now_ms(), method, &full).unwrap();
            for (name, value) in headers.header_pairs() {
                request = request.header(name, value);
            }
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await?;
        Ok(Reply {
            status,
            headers,
            text,
        })
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request("GET", path, None, true).await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.request("POST", path, Some(body), true).await.unwrap()
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.request("DELETE", path, None, true).await.unwrap()
    }

    /// Opens an authenticated WebSocket.
    pub async fn ws(&self) -> Ws {
        let mut request = self.ws_url.as_str().into_client_request().unwrap();
        let headers = sign_request(&self.creds, now_ms(), "GET", "/trade-api/ws/v2").unwrap();
        for (name, value) in headers.header_pairs() {
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        let (stream, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        Ws { stream, next_id: 1 }
    }
}

/// A WebSocket client that reads JSON frames.
pub struct Ws {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub next_id: u64,
}

impl Ws {
    /// Sends `{"id": next, "cmd": cmd, "params": params}`; returns the id.
    pub async fn command(&mut self, cmd: &str, params: Option<Value>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut frame = serde_json::json!({ "id": id, "cmd": cmd });
        if let Some(params) = params {
            frame["params"] = params;
        }
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await
            .unwrap();
        id
    }

    /// The next text frame (raw), or `None` after `timeout` of silence or on close.
    pub async fn next_text(&mut self, timeout: Duration) -> Option<String> {
        loop {
            match tokio::time::timeout(timeout, self.stream.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => return Some(text.to_string()),
                Ok(Some(Ok(Message::Close(_)))) | Ok(Some(Err(_))) | Ok(None) | Err(_) => {
                    return None;
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Reads frames until one satisfies `done` (included); panics after 10 s of silence.
    pub async fn until(&mut self, mut done: impl FnMut(&Value) -> bool) -> Vec<(String, Value)> {
        let mut frames = Vec::new();
        loop {
            let text = self
                .next_text(Duration::from_secs(10))
                .await
                .expect("WebSocket went silent");
            let value: Value = serde_json::from_str(&text).unwrap();
            let finished = done(&value);
            frames.push((text, value));
            if finished {
                return frames;
            }
        }
    }

    /// Sends `list_subscriptions` and reads until its reply: every event published before
    /// the call is delivered before the reply.
    pub async fn sync(&mut self) -> Vec<(String, Value)> {
        let id = self.command("list_subscriptions", None).await;
        let mut frames = self.until(|v| v["type"] == "ok" && v["id"] == id).await;
        frames.pop();
        frames
    }
}

/// Parses a wire decimal in a JSON value.
pub fn dec_price(value: &Value) -> Price {
    Price::parse(value.as_str().unwrap()).unwrap()
}

pub fn dec_money(value: &Value) -> Money {
    Money::parse(value.as_str().unwrap()).unwrap()
}

pub fn dec_count(value: &Value) -> Count {
    Count::parse(value.as_str().unwrap()).unwrap()
}
