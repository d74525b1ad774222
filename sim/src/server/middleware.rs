//! The gate every REST request passes: authentication (where Kalshi requires it), the
//! per-user token buckets, and the REST faults (429 storms, 5xx, 408, lost responses, stale
//! portfolio views).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kalshi_wire::ratelimit::{bucket_of, cost_of};

use super::REST_PREFIX;
use super::auth::{authenticate, has_auth_headers};
use super::error::{ApiError, too_many_requests};
use super::state::{CachedView, Principal, ServerState, Stats, lock};
use crate::exchange::UserId;
use crate::faults::{LostResponseMode, RestFaultBefore};

/// Largest request body read to count batch items, bytes (the body limit of every request).
const BATCH_BODY_BYTES_MAX: usize = super::limits::REQUEST_BODY_BYTES_MAX;

/// Stamps every answer with the exchange's `Date` when its clock is skewed
/// ([`crate::faults::RestFaults::clock_skew_ms`]); otherwise hyper's own header stands.
pub(crate) async fn exchange_date(
    State(state): State<Arc<ServerState>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if state.faults.rest.clock_skew_ms != 0 {
        let ms = u64::try_from(state.exchange_clock_ms()).unwrap_or(0);
        let date = httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_millis(ms));
        if let Ok(value) = axum::http::HeaderValue::from_str(&date) {
            response
                .headers_mut()
                .insert(axum::http::header::DATE, value);
        }
    }
    response
}

/// The authenticated user of a request (inserted by [`rest_gate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AuthUser(pub(crate) UserId);

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<AuthUser, ApiError> {
        parts.extensions.get::<AuthUser>().copied().ok_or_else(|| {
            ApiError::unauthorized("this endpoint requires authentication".to_string())
        })
    }
}

/// Paths (after the prefix) that need the auth headers.
fn requires_auth(relative: &str) -> bool {
    relative.starts_with("/portfolio") || relative == "/account/limits"
}

/// Requests that create orders (their responses can be "lost" by the fault injector).
fn creates_orders(method: &Method, relative: &str) -> bool {
    method == Method::POST
        && matches!(
            relative,
            "/portfolio/events/orders"
                | "/portfolio/orders"
                | "/portfolio/events/orders/batched"
                | "/portfolio/orders/batched"
        )
}

/// Counts `orders` in a batch body; the body is handed back untouched.
async fn batch_len(request: Request) -> Result<(Request, usize), Response> {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, BATCH_BODY_BYTES_MAX).await.map_err(|_| {
        ApiError::for_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is unreadable or over {BATCH_BODY_BYTES_MAX} bytes"),
        )
        .into_response()
    })?;
    let len = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("orders").and_then(|o| o.as_array()).map(Vec::len))
        .unwrap_or(1);
    Ok((Request::from_parts(parts, Body::from(bytes)), len))
}

/// The REST gate (an axum `from_fn_with_state` middleware).
pub(crate) async fn rest_gate(
    State(state): State<Arc<ServerState>>,
    mut request: Request,
    next: Next,
) -> Response {
    Stats::add(&state.stats.rest_requests, 1);
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let relative = path.strip_prefix(REST_PREFIX).unwrap_or(&path).to_string();

    let principal = if requires_auth(&relative) {
        match authenticate(&state, request.headers(), method.as_str(), &path) {
            Ok(user) => Principal::User(user),
            Err(failure) => return ApiError::unauthorized(failure.details()).into_response(),
        }
    } else if has_auth_headers(request.headers()) {
        // Public data ignores bad credentials but bills good ones to their owner.
        authenticate(&state, request.headers(), method.as_str(), &path)
            .map_or(Principal::Anonymous, Principal::User)
    } else {
        Principal::Anonymous
    };
    if let Principal::User(user) = principal {
        request.extensions_mut().insert(AuthUser(user));
    }

    let elapsed_ms = state.elapsed_ns() / 1_000_000;
    if state.faults.in_429_storm(elapsed_ms) {
        Stats::add(&state.stats.rate_limited, 1);
        return too_many_requests();
    }
    let (request, items) = if relative.ends_with("/batched") {
        match batch_len(request).await {
            Ok(pair) => pair,
            Err(response) => return response,
        }
    } else {
        (request, 1)
    };
    let kind = bucket_of(method.as_str(), &path);
    let cost = cost_of(method.as_str(), &path, items);
    if !state.take_tokens(principal, kind, cost) {
        Stats::add(&state.stats.rate_limited, 1);
        return too_many_requests();
    }

    let before = lock(&state.rest_faults).before(method.as_str(), &relative);
    match before {
        RestFaultBefore::None => {}
        RestFaultBefore::ServerError(status) => {
            return ApiError::injected(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            )
            .into_response();
        }
        RestFaultBefore::RequestTimeout => {
            return ApiError::injected(StatusCode::REQUEST_TIMEOUT).into_response();
        }
    }

    let lag_ms = state.faults.rest.portfolio_read_lag_ms;
    if lag_ms > 0 && method == Method::GET && relative.starts_with("/portfolio") {
        if let Principal::User(user) = principal {
            return lagged_read(&state, user, lag_ms, request, next).await;
        }
    }

    let creates = creates_orders(&method, &relative);
    let response = next.run(request).await;
    if creates && response.status().is_success() {
        let lost = lock(&state.rest_faults).lose_response();
        match lost {
            None => {}
            Some(LostResponseMode::GatewayTimeout) => {
                return ApiError::injected(StatusCode::GATEWAY_TIMEOUT).into_response();
            }
            Some(LostResponseMode::DropConnection) => return dropped_connection(),
        }
    }
    response
}

/// Serves a portfolio GET from a view at most `lag_ms` old (computing a fresh one when the
/// cached view is older), so reads shortly after a write can miss it.
async fn lagged_read(
    state: &ServerState,
    user: UserId,
    lag_ms: u64,
    request: Request,
    next: Next,
) -> Response {
    let key = (user, request.uri().to_string());
    let cached = lock(&state.read_lag_cache).get(&key).cloned();
    if let Some(view) = cached {
        if view.computed_at.elapsed() < Duration::from_millis(lag_ms) {
            return json_bytes(view.status, view.body);
        }
    }
    let response = next.run(request).await;
    let status = response.status();
    let Ok(body) = to_bytes(response.into_body(), usize::MAX).await else {
        return ApiError::injected(StatusCode::INTERNAL_SERVER_ERROR).into_response();
    };
    let view = CachedView {
        computed_at: std::time::Instant::now(),
        status,
        body: body.clone(),
    };
    lock(&state.read_lag_cache).insert(key, view);
    json_bytes(status, body)
}

fn json_bytes(status: StatusCode, body: Bytes) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// A response whose body fails before any byte is written: the server closes the
/// connection and the client never sees a status line.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("response lost"))
    });
    Response::new(Body::from_stream(failing))
}
