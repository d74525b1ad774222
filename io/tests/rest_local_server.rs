//! RestClient and Executor against a small in-test HTTP server on a real loopback socket:
//! redirects are not followed, 429 string bodies are understood, reads retry and writes never
//! do, every write outcome is classified, signatures cover the full path without the query,
//! and lookups by client order id follow the cursor.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::{PlaceOrder, TimeInForce};
use kalshi_core::config::SelfTradePrevention;
use kalshi_core::fixed::{Count, Price};
use kalshi_core::side::BookSide;
use kalshi_io::auth::{ApiCredentials, KeyKind, SigningKey, VerifyingKey, generate_dev_keypair};
use kalshi_io::backoff::BackoffPolicy;
use kalshi_io::data_rest::queries::MarketsQuery;
use kalshi_io::data_rest::{RestClient, RestConfig};
use kalshi_io::env::Endpoints;
use kalshi_io::error::{RestError, TransientKind};
use kalshi_io::exec::{ExecConfig, Executor, Resolution, WriteOutcome};
use kalshi_io::ratelimit::{RateLimiter, UsageTier};

#[derive(Default)]
struct Hits {
    markets: AtomicUsize,
    status: AtomicUsize,
    orders_posted: AtomicUsize,
    elsewhere: AtomicUsize,
    bad_signatures: AtomicUsize,
}

#[derive(Clone)]
struct ServerState {
    hits: Arc<Hits>,
    verifying_key: Arc<VerifyingKey>,
    redirect_to: String,
}

fn json(status: StatusCode, body: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn signature_ok(state: &ServerState, headers: &HeaderMap, method: &str, uri: &Uri) -> bool {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let ok = state
        .verifying_key
        .verify(
            header("kalshi-access-timestamp"),
            method,
            uri.path(),
            header("kalshi-access-signature"),
        )
        .is_ok();
    if !ok {
        state.hits.bad_signatures.fetch_add(1, Ordering::SeqCst);
    }
    ok
}

async fn markets(State(state): State<ServerState>) -> Response {
    let hit = state.hits.markets.fetch_add(1, Ordering::SeqCst);
    if hit < 2 {
        json(
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"error":"too many requests"}"#,
        )
    } else {
        json(
            StatusCode::OK,
            r#"{"markets":[{"ticker":"M-1","event_ticker":"E","status":"active"}],"cursor":""}"#,
        )
    }
}

async fn exchange_status(State(state): State<ServerState>) -> Response {
    state.hits.status.fetch_add(1, Ordering::SeqCst);
    (StatusCode::SERVICE_UNAVAILABLE, "<html>maintenance</html>").into_response()
}

async fn balance(State(state): State<ServerState>) -> Response {
    (
        StatusCode::TEMPORARY_REDIRECT,
        [("location", state.redirect_to.clone())],
        "",
    )
        .into_response()
}

async fn elsewhere(State(state): State<ServerState>) -> Response {
    state.hits.elsewhere.fetch_add(1, Ordering::SeqCst);
    json(StatusCode::OK, r#"{"balance":1}"#)
}

fn order_json(order_id: &str, client_order_id: &str) -> String {
    format!(
        r#"{{"order_id":"{order_id}","client_order_id":"{client_order_id}","ticker":"M-1","book_side":"bid",
        "outcome_side":"yes","status":"resting","yes_price_dollars":"0.3500","no_price_dollars":"0.6500",
        "fill_count_fp":"0.00","remaining_count_fp":"10.00","initial_count_fp":"10.00",
        "created_time":"2026-10-27T14:00:00.000Z"}}"#
    )
}

async fn list_orders(
    State(state): State<ServerState>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if !signature_ok(&state, &headers, "GET", &uri) {
        return json(
            StatusCode::UNAUTHORIZED,
            r#"{"error":{"code":"authentication_error","message":"bad signature"}}"#,
        );
    }
    let cursor = query
        .iter()
        .find(|(k, _)| k == "cursor")
        .map(|(_, v)| v.as_str());
    match cursor {
        None => json(
            StatusCode::OK,
            &format!(
                r#"{{"orders":[{}],"cursor":"page-2"}}"#,
                order_json("o-1", "c-1")
            ),
        ),
        Some("page-2") => json(
            StatusCode::OK,
            &format!(r#"{{"orders":[{}],"cursor":""}}"#, order_json("o-2", "c-2")),
        ),
        Some(_) => json(
            StatusCode::BAD_REQUEST,
            r#"{"error":{"code":"invalid_cursor","message":"bad cursor"}}"#,
        ),
    }
}

async fn create_order(
    State(state): State<ServerState>,
    headers: HeaderMap,
    uri: Uri,
    body: String,
) -> Response {
    state.hits.orders_posted.fetch_add(1, Ordering::SeqCst);
    if !signature_ok(&state, &headers, "POST", &uri) {
        return json(
            StatusCode::UNAUTHORIZED,
            r#"{"error":{"code":"authentication_error","message":"bad signature"}}"#,
        );
    }
    let request: serde_json::Value = serde_json::from_str(&body).unwrap();
    match request["ticker"].as_str().unwrap() {
        "RATE" => json(
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"error":"too many requests"}"#,
        ),
        "FAIL" => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error":{"code":"internal","message":"oops"}}"#,
        ),
        "GATEWAY" => (StatusCode::REQUEST_TIMEOUT, "").into_response(),
        "BAD" => json(
            StatusCode::BAD_REQUEST,
            r#"{"error":{"code":"invalid_order","message":"invalid order","details":"price off grid"}}"#,
        ),
        "SLOW" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            json(StatusCode::CREATED, "{}")
        }
        "GARBLED" => json(StatusCode::CREATED, r#"{"unexpected":true}"#),
        _ => {
            assert_eq!(request["side"], "bid");
            assert_eq!(request["price"], "0.3500");
            assert_eq!(request["count"], "10.00");
            assert_eq!(request["time_in_force"], "good_till_canceled");
            json(
                StatusCode::CREATED,
                &format!(
                    r#"{{"order_id":"o-9","client_order_id":{},"fill_count":"0.00","remaining_count":"10.00","ts_ms":1}}"#,
                    request["client_order_id"]
                ),
            )
        }
    }
}

struct Fixture {
    hits: Arc<Hits>,
    rest: RestClient,
    _keys: tempfile::TempDir,
}

async fn start() -> Fixture {
    let keys = tempfile::tempdir().unwrap();
    let pair = generate_dev_keypair(KeyKind::Ed25519, keys.path()).unwrap();
    let credentials = ApiCredentials::new(
        pair.key_id.clone(),
        SigningKey::from_pem_file(&pair.private_key_path).unwrap(),
    )
    .unwrap();
    let verifying_key = VerifyingKey::from_public_key_pem(&pair.public_key_pem).unwrap();

    let hits = Arc::new(Hits::default());
    let other_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_addr = other_listener.local_addr().unwrap();
    let state = ServerState {
        hits: hits.clone(),
        verifying_key: Arc::new(verifying_key),
        redirect_to: format!("http://{other_addr}/trade-api/v2/portfolio/balance"),
    };
    let other = Router::new().fallback(elsewhere).with_state(state.clone());
    tokio::spawn(async move { axum::serve(other_listener, other).await.unwrap() });

    let router = Router::new()
        .route("/trade-api/v2/markets", get(markets))
        .route("/trade-api/v2/exchange/status", get(exchange_status))
        .route("/trade-api/v2/portfolio/balance", get(balance))
        .route("/trade-api/v2/portfolio/orders", get(list_orders))
        .route("/trade-api/v2/portfolio/events/orders", post(create_order))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let endpoints = Endpoints::custom(
        &format!("http://{addr}/trade-api/v2"),
        &format!("ws://{addr}/trade-api/ws/v2"),
    )
    .unwrap();
    let mut config = RestConfig::new(endpoints);
    config.request_timeout = Duration::from_millis(700);
    config.read_backoff = BackoffPolicy {
        base: Duration::from_millis(5),
        cap: Duration::from_millis(20),
        max_retries: 3,
    };
    let limiter = Arc::new(RateLimiter::new(UsageTier::Prime.limits(), 90));
    let rest = RestClient::new(config, Some(Arc::new(credentials)), Some(limiter)).unwrap();
    Fixture {
        hits,
        rest,
        _keys: keys,
    }
}

fn order(ticker: &str) -> PlaceOrder {
    PlaceOrder {
        client_order_id: ClientOrderId::parse("kb-test-1").unwrap(),
        ticker: ticker.to_string(),
        side: BookSide::Bid,
        price: Price::parse("0.35").unwrap(),
        count: Count::from_contracts(10).unwrap(),
        time_in_force: TimeInForce::GoodTillCanceled,
        post_only: true,
        reduce_only: false,
        self_trade_prevention: SelfTradePrevention::TakerAtCross,
        cancel_order_on_pause: false,
        expiration_ts_s: None,
        order_group_id: None,
    }
}

#[tokio::test]
async fn reads_retry_429_with_the_string_body_and_then_succeed() {
    let fixture = start().await;
    let page = fixture
        .rest
        .get_markets(&MarketsQuery::default(), None)
        .await
        .unwrap();
    assert_eq!(page.markets.len(), 1);
    assert_eq!(fixture.hits.markets.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn persistent_5xx_on_a_read_gives_up_after_the_retry_budget() {
    let fixture = start().await;
    let error = fixture.rest.get_exchange_status().await.unwrap_err();
    assert!(matches!(
        error,
        RestError::Transient { kind: TransientKind::Server, status: Some(503), ref detail, .. } if detail == "<html>maintenance</html>"
    ));
    assert_eq!(
        fixture.hits.status.load(Ordering::SeqCst),
        4,
        "1 attempt + 3 retries"
    );
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let fixture = start().await;
    let error = fixture.rest.get_balance(None).await.unwrap_err();
    match error {
        RestError::Redirect {
            status, location, ..
        } => {
            assert_eq!(status, 307);
            assert!(location.ends_with("/trade-api/v2/portfolio/balance"));
        }
        other => panic!("expected a redirect error, got {other:?}"),
    }
    assert_eq!(fixture.hits.elsewhere.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn writes_are_sent_once_and_every_outcome_is_classified() {
    let fixture = start().await;
    let executor = Executor::new(fixture.rest.clone(), ExecConfig::default()).unwrap();

    let accepted = executor.place(&order("M-1")).await;
    match accepted {
        WriteOutcome::Accepted(placed) => {
            assert_eq!(placed.order_id, "o-9");
            assert_eq!(placed.client_order_id.as_deref(), Some("kb-test-1"));
            assert_eq!(placed.remaining_count, Count::from_contracts(10).unwrap());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        executor.place(&order("RATE")).await,
        WriteOutcome::RateLimited
    );
    assert!(matches!(
        executor.place(&order("FAIL")).await,
        WriteOutcome::Unknown { .. }
    ));
    assert!(matches!(
        executor.place(&order("GATEWAY")).await,
        WriteOutcome::Unknown { .. }
    ));
    assert!(
        matches!(executor.place(&order("SLOW")).await, WriteOutcome::Unknown { ref reason } if reason.starts_with("timeout"))
    );
    assert!(matches!(
        executor.place(&order("GARBLED")).await,
        WriteOutcome::Unknown { .. }
    ));
    assert_eq!(
        executor.place(&order("BAD")).await,
        WriteOutcome::Rejected {
            status: 400,
            code: "invalid_order".to_string(),
            message: "invalid order (price off grid)".to_string()
        }
    );
    assert_eq!(
        fixture.hits.orders_posted.load(Ordering::SeqCst),
        7,
        "one request per write, no retries"
    );
    assert_eq!(fixture.hits.bad_signatures.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn unknown_outcomes_resolve_by_client_order_id_across_pages() {
    let fixture = start().await;
    let executor = Executor::new(fixture.rest.clone(), ExecConfig::default()).unwrap();
    match executor.resolve_unknown("c-2", "M-1").await.unwrap() {
        Resolution::Found(snapshot) => {
            assert_eq!(snapshot.order_id, "o-2");
            assert_eq!(snapshot.client_order_id.as_deref(), Some("c-2"));
        }
        Resolution::NotFound => panic!("order on page 2 not found"),
    }
    assert_eq!(
        executor.resolve_unknown("never-sent", "M-1").await.unwrap(),
        Resolution::NotFound
    );
    assert_eq!(
        fixture.hits.bad_signatures.load(Ordering::SeqCst),
        0,
        "signed path includes the prefix, excludes the query"
    );
}

#[tokio::test]
async fn executor_refuses_a_client_without_limiter_or_credentials() {
    let endpoints =
        Endpoints::custom("http://127.0.0.1:9/trade-api/v2", "ws://127.0.0.1:9/x").unwrap();
    let bare = RestClient::new(RestConfig::new(endpoints), None, None).unwrap();
    assert!(Executor::new(bare, ExecConfig::default()).is_err());
}
