//! Decoding errors, and Kalshi's REST error bodies.
//!
//! Kalshi wraps errors as `{"error":{"code","message","details","service"}}`, except the 429
//! rate-limit answer, which is `{"error":"too many requests"}` — `error` is a string there.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a wire payload could not be decoded.
#[derive(Debug, Error)]
pub enum WireError {
    /// The frame is larger than the configured maximum; it was not parsed.
    #[error("frame of {size_bytes} bytes exceeds the {max_bytes}-byte limit")]
    FrameTooLarge {
        /// Size of the refused frame.
        size_bytes: usize,
        /// The configured limit.
        max_bytes: usize,
    },
    /// The text is not valid JSON or does not have the expected shape.
    #[error("malformed {what}: {source}")]
    Json {
        /// What was being decoded (`"ws frame"`, `"orderbook_delta msg"`, …).
        what: &'static str,
        /// The parser's error (position and reason; never the payload itself).
        #[source]
        source: serde_json::Error,
    },
    /// A WebSocket frame without the `msg` object its type requires.
    #[error("{type_name} frame has no msg")]
    MissingMsg {
        /// The frame's `type`.
        type_name: &'static str,
    },
}

impl WireError {
    /// Wraps a serde error with what was being decoded.
    pub fn json(what: &'static str, source: serde_json::Error) -> WireError {
        WireError::Json { what, source }
    }
}

/// The inner error object (`ErrorResponse` in the spec).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ApiErrorDetail {
    /// Snake-case error code, e.g. `invalid_order`, `market_not_found`.
    #[serde(default)]
    pub code: String,
    /// Short human text.
    #[serde(default)]
    pub message: String,
    /// Longer explanation, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Internal service name, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

/// The `error` value of an error body: an object normally, a bare string on 429.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ApiErrorPayload {
    /// `{"code","message",…}`.
    Detail(ApiErrorDetail),
    /// `"too many requests"`.
    Message(String),
}

/// A REST error body: `{"error": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// The error itself.
    pub error: ApiErrorPayload,
}

impl ApiErrorBody {
    /// An object-form error body.
    pub fn new(code: &str, message: &str, details: Option<&str>) -> ApiErrorBody {
        ApiErrorBody {
            error: ApiErrorPayload::Detail(ApiErrorDetail {
                code: code.to_string(),
                message: message.to_string(),
                details: details.map(str::to_string),
                service: None,
            }),
        }
    }

    /// The 429 body Kalshi sends: `{"error":"too many requests"}`.
    pub fn too_many_requests() -> ApiErrorBody {
        ApiErrorBody {
            error: ApiErrorPayload::Message("too many requests".to_string()),
        }
    }

    /// The error code, or the bare message when the error is a string.
    pub fn code(&self) -> &str {
        match &self.error {
            ApiErrorPayload::Detail(detail) => &detail.code,
            ApiErrorPayload::Message(message) => message,
        }
    }

    /// The human message.
    pub fn message(&self) -> &str {
        match &self.error {
            ApiErrorPayload::Detail(detail) => &detail.message,
            ApiErrorPayload::Message(message) => message,
        }
    }
}
