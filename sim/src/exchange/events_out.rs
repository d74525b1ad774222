//! What the exchange emits, in order, for the WebSocket layer to turn into channel messages:
//! book deltas (with the per-market `clock`), public trades, private fills, order updates and
//! position updates, market lifecycle changes, order group changes and ticker updates.
//!
//! Every event carries `ts_ns` (matching-engine time). Events are serializable so a run's
//! stream can be compared byte for byte.

use kalshi_core::market_data::{LifecycleKind, MarketResult, PriceRange};
use kalshi_core::side::{BookSide, OutcomeSide};
use kalshi_core::{Count, Money, Price, SignedCount};
use serde::Serialize;

use super::account::{FillRecord, UserId};
use super::order::Order;

/// One emitted event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExchangeEvent {
    /// A change of resting size at one level (`orderbook_delta`).
    BookDelta(BookDeltaEvent),
    /// A public trade (`trade`).
    Trade(TradeEvent),
    /// A fill of one order, for its owner (`fill`).
    Fill(FillEvent),
    /// An order changed (`user_order`).
    OrderUpdate(OrderUpdateEvent),
    /// A position changed (`market_position`).
    Position(PositionEvent),
    /// A market lifecycle change (`market_lifecycle_v2`).
    Lifecycle(LifecycleEvent),
    /// An order group changed (`order_group_updates`).
    OrderGroup(OrderGroupEvent),
    /// Top of book, last trade, volume or open interest changed (`ticker`).
    Ticker(TickerEvent),
}

impl ExchangeEvent {
    /// Matching-engine time of the event, Unix ns.
    pub fn ts_ns(&self) -> i64 {
        match self {
            ExchangeEvent::BookDelta(e) => e.ts_ns,
            ExchangeEvent::Trade(e) => e.ts_ns,
            ExchangeEvent::Fill(e) => e.fill.ts_ns,
            ExchangeEvent::OrderUpdate(e) => e.order.last_update_ns,
            ExchangeEvent::Position(e) => e.ts_ns,
            ExchangeEvent::Lifecycle(e) => e.ts_ns,
            ExchangeEvent::OrderGroup(e) => e.ts_ns,
            ExchangeEvent::Ticker(e) => e.ts_ns,
        }
    }
}

/// A change of resting size at one price level, in both representations: the one-YES-book
/// view (`side` + `yes_price`) and the wire view (`wire_side` + `wire_price`, NO-side levels
/// in NO terms as Kalshi sends them by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookDeltaEvent {
    /// Market ticker.
    pub ticker: String,
    /// Per-market exchange clock; several deltas of one action share it.
    pub clock: u64,
    /// `Bid` = a YES-bid level; `Ask` = a YES-ask level (a NO bid on the wire).
    pub side: BookSide,
    /// YES price of the level.
    pub yes_price: Price,
    /// Wire side: `yes` for YES bids, `no` for NO bids.
    pub wire_side: OutcomeSide,
    /// Wire price: the YES price for `yes`, the NO price (`1 − yes_price`) for `no`.
    pub wire_price: Price,
    /// Signed size change.
    pub delta: SignedCount,
    /// Owner of the order that caused the change.
    pub user: UserId,
    /// Owner's subaccount.
    pub subaccount: u32,
    /// That order's client order id (sent only to its owner).
    pub client_order_id: Option<String>,
    /// Time, Unix ns.
    pub ts_ns: i64,
}

/// A public trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TradeEvent {
    /// Exchange trade id, a UUID drawn from the exchange's seeded generator.
    pub trade_id: String,
    /// Market ticker.
    pub ticker: String,
    /// Execution YES price.
    pub yes_price: Price,
    /// Execution NO price (`1 − yes_price`).
    pub no_price: Price,
    /// Contracts traded.
    pub count: Count,
    /// Outcome the taker became long.
    pub taker_outcome_side: OutcomeSide,
    /// The taker's side of the YES book.
    pub taker_book_side: BookSide,
    /// Time, Unix ns.
    pub ts_ns: i64,
}

/// A fill of one order, for its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FillEvent {
    /// The fill as stored.
    pub fill: FillRecord,
}

/// An order's new state and why it changed (`last_update_reason` inside).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderUpdateEvent {
    /// The order after the change.
    pub order: Order,
}

/// A position's new state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PositionEvent {
    /// Owner.
    pub user: UserId,
    /// Owner's subaccount.
    pub subaccount: u32,
    /// Market ticker.
    pub ticker: String,
    /// Signed position: + YES, − NO.
    pub position: SignedCount,
    /// Cost of the current position.
    pub position_cost: Money,
    /// Realized P&L.
    pub realized_pnl: Money,
    /// Fees paid in the market.
    pub fees_paid: Money,
    /// Contracts traded in the market.
    pub volume: Count,
    /// Time, Unix ns.
    pub ts_ns: i64,
}

/// A market lifecycle change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LifecycleEvent {
    /// Market ticker.
    pub ticker: String,
    /// What happened.
    pub kind: LifecycleKind,
    /// Open time, Unix ns (created).
    pub open_ns: Option<i64>,
    /// Close time, Unix ns (created, close date updated).
    pub close_ns: Option<i64>,
    /// Determination time, Unix ns (determined).
    pub determination_ns: Option<i64>,
    /// Result (determined).
    pub result: Option<MarketResult>,
    /// YES settlement value (determined).
    pub settlement_value: Option<Price>,
    /// Settlement time, Unix ns (settled).
    pub settled_ns: Option<i64>,
    /// Pause flag (activated / deactivated).
    pub is_deactivated: Option<bool>,
    /// Tick grid name (created, price level structure updated).
    pub price_level_structure: Option<String>,
    /// Tick grid (created, price level structure updated).
    pub price_ranges: Vec<PriceRange>,
    /// Event ticker (created).
    pub event_ticker: Option<String>,
    /// Title (created).
    pub title: Option<String>,
    /// Time, Unix ns.
    pub ts_ns: i64,
}

impl LifecycleEvent {
    pub(crate) fn bare(ticker: &str, kind: LifecycleKind, ts_ns: i64) -> LifecycleEvent {
        LifecycleEvent {
            ticker: ticker.to_string(),
            kind,
            open_ns: None,
            close_ns: None,
            determination_ns: None,
            result: None,
            settlement_value: None,
            settled_ns: None,
            is_deactivated: None,
            price_level_structure: None,
            price_ranges: Vec::new(),
            event_ticker: None,
            title: None,
            ts_ns,
        }
    }
}

/// What happened to an order group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderGroupChange {
    /// Created with its contracts limit.
    Created,
    /// Triggered: its orders were cancelled and new ones are refused.
    Triggered,
    /// Reset: window cleared, orders allowed again.
    Reset,
    /// Deleted; its resting orders were cancelled first.
    Deleted,
    /// Contracts limit changed.
    LimitUpdated,
}

/// An order group change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderGroupEvent {
    /// Owner.
    pub user: UserId,
    /// Owner's subaccount.
    pub subaccount: u32,
    /// Group id.
    pub order_group_id: String,
    /// What happened.
    pub change: OrderGroupChange,
    /// Limit (created, limit updated).
    pub contracts_limit: Option<Count>,
    /// Time, Unix ns.
    pub ts_ns: i64,
}

/// Market summary after an action changed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TickerEvent {
    /// Market ticker.
    pub ticker: String,
    /// Last trade YES price.
    pub last_price: Option<Price>,
    /// Best YES bid and size.
    pub yes_bid: Option<(Price, Count)>,
    /// Best YES ask and size.
    pub yes_ask: Option<(Price, Count)>,
    /// Size of the last trade.
    pub last_trade_size: Count,
    /// Contracts traded, all time.
    pub volume: Count,
    /// Contracts outstanding.
    pub open_interest: Count,
    /// Time, Unix ns.
    pub ts_ns: i64,
}
