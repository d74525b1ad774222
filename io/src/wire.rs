//! The Kalshi wire types, defined in `kalshi-wire` (shared with the local exchange) and
//! re-exported here under their long-standing `kalshi_io::wire` paths.

pub use kalshi_wire::{
    candlestick, error, event, exchange, market, numbers, order_group, order_legacy, order_v2,
    orderbook, portfolio, trade, ws, ws_msg,
};

pub use kalshi_wire::error::{ApiErrorBody, ApiErrorDetail, ApiErrorPayload, WireError};
pub use kalshi_wire::ws::{
    WS_FRAME_BYTES_MAX_DEFAULT, WsCommand, WsServerMessage, decode_ws_frame,
    decode_ws_frame_with_limit,
};
