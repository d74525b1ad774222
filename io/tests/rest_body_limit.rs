//! The REST client's response body cap, against an in-test HTTP server on loopback: a body
//! over `response_bytes_max` — announced by `Content-Length` or streamed without one — is
//! refused with a typed error naming the endpoint and the limit, without being read to the
//! end; a body exactly at the limit is read; an oversized error page is still classified by
//! its status.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kalshi_io::backoff::BackoffPolicy;
use kalshi_io::data_rest::{AuthMode, RestClient, RestConfig, RestRequest};
use kalshi_io::env::Endpoints;
use kalshi_io::error::{RestError, TransientKind};
use reqwest::Method;

const LIMIT_BYTES: usize = 1 << 20;
const CHUNK_BYTES: usize = 64 << 10;

/// Chunks of the endless stream the server actually produced.
#[derive(Clone, Default)]
struct Sent {
    chunks: Arc<AtomicUsize>,
}

async fn exact() -> Response {
    let body = format!("\"{}\"", "a".repeat(LIMIT_BYTES - 2));
    ([("content-type", "application/json")], body).into_response()
}

async fn announced() -> Response {
    (
        [("content-type", "application/json")],
        vec![b' '; LIMIT_BYTES + 1],
    )
        .into_response()
}

/// A chunked body (no `Content-Length`) that never ends.
async fn endless(State(sent): State<Sent>) -> Response {
    let stream = futures_util::stream::unfold(sent, |sent| async move {
        sent.chunks.fetch_add(1, Ordering::SeqCst);
        Some((
            Ok::<_, Infallible>(Bytes::from(vec![b' '; CHUNK_BYTES])),
            sent,
        ))
    });
    (
        [("content-type", "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn huge_error_page() -> Response {
    (
        StatusCode::BAD_GATEWAY,
        [("content-type", "text/html")],
        "<html>".repeat(LIMIT_BYTES),
    )
        .into_response()
}

async fn client() -> (RestClient, Sent) {
    let sent = Sent::default();
    let app = Router::new()
        .route("/trade-api/v2/exact", get(exact))
        .route("/trade-api/v2/announced", get(announced))
        .route("/trade-api/v2/endless", get(endless))
        .route("/trade-api/v2/error", get(huge_error_page))
        .with_state(sent.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let endpoints = Endpoints::custom(
        &format!("http://{addr}/trade-api/v2"),
        &format!("ws://{addr}/trade-api/ws/v2"),
    )
    .unwrap();
    let mut config = RestConfig::new(endpoints);
    config.response_bytes_max = LIMIT_BYTES;
    config.read_backoff = BackoffPolicy {
        max_retries: 0,
        ..BackoffPolicy::default()
    };
    (RestClient::new(config, None, None).unwrap(), sent)
}

fn get_request(path: &str) -> RestRequest {
    RestRequest::new(Method::GET, path, AuthMode::Public)
}

fn assert_too_large(error: &RestError, endpoint: &str) {
    match error {
        RestError::BodyTooLarge {
            endpoint: named,
            status,
            limit_bytes,
        } => {
            assert_eq!(named, endpoint);
            assert_eq!((*status, *limit_bytes), (200, LIMIT_BYTES));
        }
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains(endpoint), "{message}");
    assert!(message.contains(&LIMIT_BYTES.to_string()), "{message}");
    assert!(!error.is_transient(), "a broken server is not retried");
}

#[tokio::test]
async fn a_body_exactly_at_the_limit_is_read() {
    let (client, _) = client().await;
    let body: String = client.read_json(&get_request("/exact")).await.unwrap();
    assert_eq!(body.len(), LIMIT_BYTES - 2);
}

#[tokio::test]
async fn an_announced_oversized_body_is_refused_naming_endpoint_and_limit() {
    let (client, _) = client().await;
    let error = client
        .send_with_retries(&get_request("/announced"))
        .await
        .unwrap_err();
    assert_too_large(&error, "GET /announced");
}

#[tokio::test]
async fn an_endless_streamed_body_is_cut_off_at_the_limit() {
    let (client, sent) = client().await;
    let error = client
        .send_once(&get_request("/endless"))
        .await
        .unwrap_err();
    assert_too_large(&error, "GET /endless");
    // The client stopped reading shortly after the limit: the server could only push what
    // fits in the socket buffers beyond the chunks the client consumed.
    let chunks = sent.chunks.load(Ordering::SeqCst);
    assert!(
        chunks * CHUNK_BYTES < 16 * LIMIT_BYTES,
        "server produced {chunks} chunks"
    );
}

#[tokio::test]
async fn an_oversized_error_page_is_still_classified_by_its_status() {
    let (client, _) = client().await;
    let error = client.send_once(&get_request("/error")).await.unwrap_err();
    assert!(
        matches!(
            error,
            RestError::Transient {
                kind: TransientKind::Server,
                status: Some(502),
                ..
            }
        ),
        "{error:?}"
    );
}
