//! The WebSocket endpoint: an authenticated handshake, then one session per connection.

mod channels;
mod commands;
mod session;

pub(crate) use session::{Outgoing, Session};

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};

use super::auth::authenticate;
use super::error::ApiError;
use super::state::ServerState;

/// `GET /trade-api/ws/v2`: checks the three auth headers (signed over `GET` and the path)
/// before upgrading; a failure is a 401 with an error body.
pub(crate) async fn upgrade(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    uri: Uri,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let user = match authenticate(&state, &headers, "GET", uri.path()) {
        Ok(user) => user,
        Err(failure) => return ApiError::unauthorized(failure.details()).into_response(),
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let connection = state.ws_connections.fetch_add(1, Ordering::Relaxed);
    upgrade.on_upgrade(move |socket| session::run(state, user, connection, socket))
}
