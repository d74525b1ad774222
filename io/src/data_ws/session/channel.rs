//! The WebSocket channels this client subscribes to, by Kalshi's names.

/// WebSocket channels this client subscribes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    /// Books: snapshots and deltas (needs a market list).
    OrderbookDelta,
    /// Public trades.
    Trade,
    /// Top-of-book ticker.
    Ticker,
    /// Market lifecycle (all markets).
    MarketLifecycleV2,
    /// Our fills.
    Fill,
    /// Our order updates.
    UserOrders,
    /// Our positions.
    MarketPositions,
}

impl Channel {
    /// Kalshi's channel name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::OrderbookDelta => "orderbook_delta",
            Channel::Trade => "trade",
            Channel::Ticker => "ticker",
            Channel::MarketLifecycleV2 => "market_lifecycle_v2",
            Channel::Fill => "fill",
            Channel::UserOrders => "user_orders",
            Channel::MarketPositions => "market_positions",
        }
    }

    /// Parses a channel name.
    pub fn from_wire(name: &str) -> Option<Channel> {
        Some(match name {
            "orderbook_delta" => Channel::OrderbookDelta,
            "trade" => Channel::Trade,
            "ticker" => Channel::Ticker,
            "market_lifecycle_v2" => Channel::MarketLifecycleV2,
            "fill" => Channel::Fill,
            "user_orders" => Channel::UserOrders,
            "market_positions" => Channel::MarketPositions,
            _ => return None,
        })
    }

    /// Whether the subscription is scoped to our market list (the private channels and the
    /// lifecycle channel cover every market).
    pub const fn is_market_scoped(self) -> bool {
        matches!(
            self,
            Channel::OrderbookDelta | Channel::Trade | Channel::Ticker
        )
    }
}
