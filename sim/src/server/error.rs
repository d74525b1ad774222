//! REST error answers in Kalshi's shape: `{"error":{"code","message","details"}}`, and the
//! 429 body `{"error":"too many requests"}` (no `Retry-After`).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kalshi_wire::{ApiErrorBody, ApiErrorDetail};

use crate::exchange::ExchangeError;

/// A refused REST request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: &'static str,
    pub(crate) details: Option<String>,
}

impl ApiError {
    /// 400 `invalid_parameters` naming what was wrong.
    pub(crate) fn bad_request(details: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_parameters",
            message: "invalid parameters",
            details: Some(details.into()),
        }
    }

    /// 400 `invalid_order` naming what was wrong.
    pub(crate) fn invalid_order(details: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_order",
            message: "invalid order",
            details: Some(details.into()),
        }
    }

    /// 401 `authentication_error`.
    pub(crate) fn unauthorized(details: String) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "authentication_error",
            message: "authentication error",
            details: Some(details),
        }
    }

    /// 404 for an unknown path.
    pub(crate) fn not_found(details: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: "not found",
            details: Some(details.into()),
        }
    }

    /// The Kalshi-shaped answer for a refusal made outside the handlers (axum's and the
    /// limit layer's): 405, 413, 414, 431, a rejected extractor's 400, and so on. The code
    /// is the status's name in snake case; `details` says what was refused.
    pub(crate) fn for_status(status: StatusCode, details: impl Into<String>) -> ApiError {
        let (code, message) = match status {
            StatusCode::BAD_REQUEST => ("invalid_parameters", "invalid parameters"),
            StatusCode::NOT_FOUND => ("not_found", "not found"),
            StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "method not allowed"),
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "payload too large"),
            StatusCode::URI_TOO_LONG => ("uri_too_long", "uri too long"),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
                "request_header_fields_too_large",
                "request header fields too large",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported_media_type", "unsupported media type")
            }
            StatusCode::UNAUTHORIZED => ("authentication_error", "authentication error"),
            StatusCode::FORBIDDEN => ("forbidden", "forbidden"),
            s if s.is_server_error() => ("internal_server_error", "internal server error"),
            _ => ("request_error", "request error"),
        };
        let details = details.into();
        ApiError {
            status,
            code,
            message,
            details: (!details.is_empty()).then_some(details),
        }
    }

    /// An injected server-side failure (500, 503, 504) or 408.
    pub(crate) fn injected(status: StatusCode) -> ApiError {
        let (code, message) = match status {
            StatusCode::REQUEST_TIMEOUT => ("request_timeout", "request timeout"),
            StatusCode::SERVICE_UNAVAILABLE => ("service_unavailable", "service unavailable"),
            StatusCode::GATEWAY_TIMEOUT => ("gateway_timeout", "gateway timeout"),
            _ => ("internal_server_error", "internal server error"),
        };
        ApiError {
            status,
            code,
            message,
            details: None,
        }
    }

    /// The inner error object (batch items carry it).
    pub(crate) fn detail(&self) -> ApiErrorDetail {
        ApiErrorDetail {
            code: self.code.to_string(),
            message: self.message.to_string(),
            details: self.details.clone(),
            service: None,
        }
    }
}

impl From<ExchangeError> for ApiError {
    fn from(error: ExchangeError) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            code: error.code(),
            message: error.message(),
            details: Some(error.details()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody {
            error: kalshi_wire::ApiErrorPayload::Detail(self.detail()),
        };
        (self.status, Json(body)).into_response()
    }
}

/// The exact 429 answer: `{"error":"too many requests"}`, no `Retry-After`.
pub(crate) fn too_many_requests() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        Json(ApiErrorBody::too_many_requests()),
    )
        .into_response()
}
