//! Why the exchange refused a request, with the HTTP status and Kalshi-style error code the
//! server layer puts on the wire (`{"error":{"code","message","details"}}`).

use kalshi_core::Count;
use kalshi_core::market_data::MarketStatus;
use thiserror::Error;

/// Details text Kalshi returns when a legacy create carries zero or several prices.
pub const LEGACY_PRICE_RULE_DETAILS: &str =
    "exactly one of yes_price, no_price, yes_price_dollars, or no_price_dollars should be provided";

/// A refused exchange request. Every variant names what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExchangeError {
    /// The order request is malformed or breaks an order rule (tick grid, TIF combination, …).
    #[error("invalid order: {details}")]
    InvalidOrder {
        /// What was wrong, in words a client can act on.
        details: String,
    },
    /// A non-order request parameter is invalid (filters, limits, cursors, …).
    #[error("invalid parameters: {details}")]
    InvalidParameters {
        /// What was wrong.
        details: String,
    },
    /// No market with this ticker.
    #[error("market {ticker:?} not found")]
    MarketNotFound {
        /// The ticker asked for.
        ticker: String,
    },
    /// No event with this ticker.
    #[error("event {ticker:?} not found")]
    EventNotFound {
        /// The ticker asked for.
        ticker: String,
    },
    /// No series with this ticker.
    #[error("series {ticker:?} not found")]
    SeriesNotFound {
        /// The ticker asked for.
        ticker: String,
    },
    /// The market is not accepting orders in its current status.
    #[error("market {ticker:?} is {status:?}, not open for trading")]
    MarketNotActive {
        /// The market.
        ticker: String,
        /// Its status.
        status: MarketStatus,
    },
    /// The exchange is in a trading pause: place/amend refused, cancels allowed.
    #[error("trading is paused")]
    TradingPaused,
    /// The exchange is paused entirely: nothing is allowed.
    #[error("the exchange is paused")]
    ExchangePaused,
    /// Not enough available cash to collateralize the order.
    #[error(
        "insufficient balance: order needs {required_micros} micro-dollars, {available_micros} available"
    )]
    InsufficientBalance {
        /// Collateral the order needs, micro-dollars.
        required_micros: i64,
        /// Cash not already reserved, micro-dollars.
        available_micros: i64,
    },
    /// No order with this id belongs to the caller.
    #[error("order {order_id:?} not found")]
    OrderNotFound {
        /// The id asked for.
        order_id: String,
    },
    /// The order exists but is no longer resting, so it cannot be amended or decreased.
    #[error("order {order_id:?} is not resting")]
    OrderNotResting {
        /// The order.
        order_id: String,
    },
    /// Another open order of this account already uses the client order id.
    #[error("client_order_id {client_order_id:?} is already used by an open order")]
    DuplicateClientOrderId {
        /// The duplicated id.
        client_order_id: String,
    },
    /// No order group with this id belongs to the caller.
    #[error("order group {order_group_id:?} not found")]
    OrderGroupNotFound {
        /// The id asked for.
        order_group_id: String,
    },
    /// The order group is triggered; new orders in it are refused until it is reset.
    #[error("order group {order_group_id:?} is triggered")]
    OrderGroupTriggered {
        /// The group.
        order_group_id: String,
    },
    /// The caller is not a known user.
    #[error("user {user:?} not found")]
    UserNotFound {
        /// The user index asked for.
        user: u32,
    },
    /// The caller has no such subaccount.
    #[error("subaccount {subaccount} not found")]
    SubaccountNotFound {
        /// The subaccount number asked for.
        subaccount: u32,
    },
    /// The account has too many resting orders.
    #[error("too many resting orders: limit is {limit}")]
    TooManyOrders {
        /// The per-user limit.
        limit: usize,
    },
    /// A count is zero or finer than the market allows.
    #[error("invalid count {count}: {details}")]
    InvalidCount {
        /// The count sent.
        count: Count,
        /// Why it is invalid.
        details: String,
    },
}

impl ExchangeError {
    /// Kalshi-style snake-case error code (`invalid_order`, `duplicate_client_order_id`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ExchangeError::InvalidOrder { .. } | ExchangeError::InvalidCount { .. } => {
                "invalid_order"
            }
            ExchangeError::InvalidParameters { .. } => "invalid_parameters",
            ExchangeError::MarketNotFound { .. } => "market_not_found",
            ExchangeError::EventNotFound { .. } => "event_not_found",
            ExchangeError::SeriesNotFound { .. } => "series_not_found",
            ExchangeError::MarketNotActive { .. } => "market_not_active",
            ExchangeError::TradingPaused => "trading_paused",
            ExchangeError::ExchangePaused => "exchange_paused",
            ExchangeError::InsufficientBalance { .. } => "insufficient_balance",
            ExchangeError::OrderNotFound { .. } => "order_not_found",
            ExchangeError::OrderNotResting { .. } => "order_not_resting",
            ExchangeError::DuplicateClientOrderId { .. } => "duplicate_client_order_id",
            ExchangeError::OrderGroupNotFound { .. } => "order_group_not_found",
            ExchangeError::OrderGroupTriggered { .. } => "order_group_triggered",
            ExchangeError::UserNotFound { .. } => "authentication_error",
            ExchangeError::SubaccountNotFound { .. } => "subaccount_not_found",
            ExchangeError::TooManyOrders { .. } => "too_many_orders",
        }
    }

    /// Short human message (`message` on the wire); the `Display` text is the `details`.
    pub fn message(&self) -> &'static str {
        match self {
            ExchangeError::InvalidOrder { .. } | ExchangeError::InvalidCount { .. } => {
                "invalid order"
            }
            ExchangeError::InvalidParameters { .. } => "invalid parameters",
            ExchangeError::MarketNotFound { .. } => "market not found",
            ExchangeError::EventNotFound { .. } => "event not found",
            ExchangeError::SeriesNotFound { .. } => "series not found",
            ExchangeError::MarketNotActive { .. } => "market not active",
            ExchangeError::TradingPaused => "trading paused",
            ExchangeError::ExchangePaused => "exchange paused",
            ExchangeError::InsufficientBalance { .. } => "insufficient balance",
            ExchangeError::OrderNotFound { .. } => "order not found",
            ExchangeError::OrderNotResting { .. } => "order not resting",
            ExchangeError::DuplicateClientOrderId { .. } => "duplicate client order id",
            ExchangeError::OrderGroupNotFound { .. } => "order group not found",
            ExchangeError::OrderGroupTriggered { .. } => "order group triggered",
            ExchangeError::UserNotFound { .. } => "authentication error",
            ExchangeError::SubaccountNotFound { .. } => "subaccount not found",
            ExchangeError::TooManyOrders { .. } => "too many orders",
        }
    }

    /// The `details` text: for the legacy price rule exactly Kalshi's sentence.
    pub fn details(&self) -> String {
        match self {
            ExchangeError::InvalidOrder { details } => details.clone(),
            other => other.to_string(),
        }
    }

    /// HTTP status the REST layer answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            ExchangeError::MarketNotFound { .. }
            | ExchangeError::EventNotFound { .. }
            | ExchangeError::SeriesNotFound { .. }
            | ExchangeError::OrderNotFound { .. }
            | ExchangeError::OrderGroupNotFound { .. }
            | ExchangeError::SubaccountNotFound { .. } => 404,
            ExchangeError::DuplicateClientOrderId { .. } => 409,
            ExchangeError::UserNotFound { .. } => 401,
            ExchangeError::ExchangePaused => 503,
            _ => 400,
        }
    }

    pub(crate) fn invalid_order(details: impl Into<String>) -> ExchangeError {
        ExchangeError::InvalidOrder {
            details: details.into(),
        }
    }

    pub(crate) fn invalid_parameters(details: impl Into<String>) -> ExchangeError {
        ExchangeError::InvalidParameters {
            details: details.into(),
        }
    }
}
