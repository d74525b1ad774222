//! Wire payloads → `kalshi_core::market_data` types, independent of dialect.
//!
//! Each function prefers the 2026 fixed-point fields and falls back to the 2025 integer-cent
//! ones, converts books to the one-YES-book convention, and fails with a [`NormalizeError`]
//! naming the field and the market. They only allocate the output's own strings and vectors.

mod account;
mod book;
mod error;
mod fields;
mod lifecycle;
mod market;
mod trade;

pub use account::{
    order_snapshot, order_snapshot_from_ws, own_fill, own_fill_from_ws, position, position_from_ws,
};
pub use book::{book_delta, book_from_rest, book_from_ws};
pub use error::NormalizeError;
pub use lifecycle::lifecycle_change;
pub use market::{
    event_fee_params, event_fee_params_over, fee_params, market_info, market_result, price_ranges,
};
pub use trade::{public_trade, public_trade_from_ws, taker_side};

use kalshi_core::market_data::{
    BookDelta, BookSnapshot, LifecycleChange, OrderSnapshot, OwnFill, PositionSnapshot, PublicTrade,
};

use crate::wire::ws::WsServerMessage;

/// A WebSocket data message in normalized form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NormalizedWs {
    /// Full book (replaces the market's book).
    Snapshot(BookSnapshot),
    /// One level changed.
    Delta(BookDelta),
    /// Public trade.
    Trade(PublicTrade),
    /// One of our fills.
    Fill(OwnFill),
    /// One of our orders.
    Order(OrderSnapshot),
    /// Our position in a market.
    Position(PositionSnapshot),
    /// Market lifecycle change.
    Lifecycle(LifecycleChange),
}

/// Normalizes a decoded WS frame. Control frames (acks, errors), ticker, event lifecycle,
/// order-group and unknown frames have no normalized form and give `Ok(None)`.
/// `use_yes_price` must match the orderbook subscription's flag.
pub fn normalize_ws(
    message: &WsServerMessage,
    use_yes_price: bool,
) -> Result<Option<NormalizedWs>, NormalizeError> {
    Ok(Some(match message {
        WsServerMessage::OrderbookSnapshot(f) => {
            NormalizedWs::Snapshot(book_from_ws(&f.msg, use_yes_price)?)
        }
        WsServerMessage::OrderbookDelta(f) => {
            NormalizedWs::Delta(book_delta(&f.msg, use_yes_price)?)
        }
        WsServerMessage::Trade(f) => NormalizedWs::Trade(public_trade_from_ws(&f.msg)?),
        WsServerMessage::Fill(f) => NormalizedWs::Fill(own_fill_from_ws(&f.msg)?),
        WsServerMessage::UserOrder(f) => NormalizedWs::Order(order_snapshot_from_ws(&f.msg)?),
        WsServerMessage::MarketPosition(f) => NormalizedWs::Position(position_from_ws(&f.msg)?),
        WsServerMessage::MarketLifecycle(f) => NormalizedWs::Lifecycle(lifecycle_change(&f.msg)?),
        WsServerMessage::Subscribed(_)
        | WsServerMessage::Unsubscribed(_)
        | WsServerMessage::Ok(_)
        | WsServerMessage::Error(_)
        | WsServerMessage::Ticker(_)
        | WsServerMessage::EventLifecycle(_)
        | WsServerMessage::OrderGroupUpdate(_)
        | WsServerMessage::Unknown { .. } => return Ok(None),
    }))
}
