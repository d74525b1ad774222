//! Portfolio reads: orders, fills, positions, balance, settlements, queue positions.

use kalshi_core::fixed::{Count, Money, Price, SignedCount};
use kalshi_core::side::{BookSide, OutcomeSide};
use serde::{Deserialize, Serialize};

use super::numbers::opt;

/// One order (`Order`), as `GET /portfolio/orders` and the legacy write endpoints return it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Order {
    /// Exchange order id.
    pub order_id: String,
    /// Owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Our id (`""` when none was given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Market ticker.
    #[serde(default)]
    pub ticker: String,
    /// Side of the YES book (canonical).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_side: Option<BookSide>,
    /// Outcome the order buys (canonical).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_side: Option<OutcomeSide>,
    /// Legacy side (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<OutcomeSide>,
    /// Legacy action `buy` / `sell` (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// `limit` (or the retired `market`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    /// `resting`, `canceled`, `executed`.
    #[serde(default)]
    pub status: String,
    /// Limit price, YES leg.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_price_dollars: Option<Price>,
    /// Limit price, NO leg.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub no_price_dollars: Option<Price>,
    /// Legacy YES limit in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_price: Option<i64>,
    /// Legacy NO limit in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_price: Option<i64>,
    /// Contracts filled.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub fill_count_fp: Option<Count>,
    /// Contracts resting.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub remaining_count_fp: Option<Count>,
    /// Contracts ordered.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub initial_count_fp: Option<Count>,
    /// Legacy whole-contract fill count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_count: Option<i64>,
    /// Legacy whole-contract remaining count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_count: Option<i64>,
    /// Legacy whole-contract initial count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_count: Option<i64>,
    /// Cost of taker fills.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub taker_fill_cost_dollars: Option<Money>,
    /// Cost of maker fills.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub maker_fill_cost_dollars: Option<Money>,
    /// Taker fees paid.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub taker_fees_dollars: Option<Money>,
    /// Maker fees paid.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub maker_fees_dollars: Option<Money>,
    /// Legacy taker fill cost in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_fill_cost: Option<i64>,
    /// Legacy maker fill cost in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker_fill_cost: Option<i64>,
    /// Legacy taker fees in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_fees: Option<i64>,
    /// Legacy maker fees in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker_fees: Option<i64>,
    /// RFC 3339 expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<String>,
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// RFC 3339 last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<String>,
    /// Why it last changed, when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_reason: Option<String>,
    /// `taker_at_cross` or `maker`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_trade_prevention_type: Option<String>,
    /// Order group, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_group_id: Option<String>,
    /// Cancel when trading pauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_order_on_pause: Option<bool>,
    /// Subaccount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount_number: Option<u32>,
    /// Exchange shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
    /// Legacy, always 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_position: Option<i64>,
}

/// `GET /portfolio/orders`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OrdersPage {
    /// Orders of this page; follow `cursor` for more.
    #[serde(default)]
    pub orders: Vec<Order>,
    /// Cursor of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// `{"order": Order}`: `GET /portfolio/orders/{id}`, legacy create and decrease.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OrderResponse {
    /// The order as the exchange now holds it.
    pub order: Order,
}

/// One of our fills (`Fill`), either dialect.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Fill {
    /// Unique fill id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_id: Option<String>,
    /// Legacy name of the fill id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_id: Option<String>,
    /// Our order.
    #[serde(default)]
    pub order_id: String,
    /// Our client order id (older payloads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Market ticker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticker: Option<String>,
    /// Market ticker (legacy duplicate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<String>,
    /// Our side of the YES book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_side: Option<BookSide>,
    /// Outcome we bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_side: Option<OutcomeSide>,
    /// Legacy side (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<OutcomeSide>,
    /// Legacy action (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Contracts filled.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub count_fp: Option<Count>,
    /// Legacy whole-contract count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// YES execution price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_price_dollars: Option<Price>,
    /// NO execution price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub no_price_dollars: Option<Price>,
    /// January 2026 spelling of the YES price string.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_price_fixed: Option<Price>,
    /// January 2026 spelling of the NO price string.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub no_price_fixed: Option<Price>,
    /// Legacy YES price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_price: Option<i64>,
    /// Legacy NO price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_price: Option<i64>,
    /// Whether we took liquidity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_taker: Option<bool>,
    /// Fee charged on this fill.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub fee_cost: Option<Money>,
    /// RFC 3339 fill time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// Legacy Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    /// Subaccount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount_number: Option<u32>,
    /// Exchange shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// `GET /portfolio/fills`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FillsPage {
    /// Fills of this page; follow `cursor` for more.
    #[serde(default)]
    pub fills: Vec<Fill>,
    /// Cursor of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Our position in one market (`MarketPosition`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MarketPosition {
    /// Market ticker.
    pub ticker: String,
    /// Signed position: + YES, − NO.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub position_fp: Option<SignedCount>,
    /// Legacy whole-contract position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// Notional traded.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_traded_dollars: Option<Money>,
    /// Cost of the current position.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub market_exposure_dollars: Option<Money>,
    /// Realized profit and loss.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub realized_pnl_dollars: Option<Money>,
    /// Fees paid.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub fees_paid_dollars: Option<Money>,
    /// Legacy, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_traded: Option<i64>,
    /// Legacy, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_exposure: Option<i64>,
    /// Legacy, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realized_pnl: Option<i64>,
    /// Legacy, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_paid: Option<i64>,
    /// Legacy count of resting orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resting_orders_count: Option<i64>,
    /// RFC 3339 last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_ts: Option<String>,
    /// Exchange shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// Our exposure in one event (`EventPosition`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EventPosition {
    /// Ticker of the event these figures sum over.
    pub event_ticker: String,
    /// Total cost.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_cost_dollars: Option<Money>,
    /// Contracts bought.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_cost_shares_fp: Option<Count>,
    /// Exposure.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_exposure_dollars: Option<Money>,
    /// Realized profit and loss.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub realized_pnl_dollars: Option<Money>,
    /// Fees paid.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub fees_paid_dollars: Option<Money>,
    /// Legacy, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<i64>,
    /// Legacy whole contracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost_shares: Option<i64>,
    /// Legacy, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_exposure: Option<i64>,
    /// Legacy, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realized_pnl: Option<i64>,
    /// Legacy, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_paid: Option<i64>,
}

/// `GET /portfolio/positions`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PositionsPage {
    /// Per-market positions.
    #[serde(default)]
    pub market_positions: Vec<MarketPosition>,
    /// Per-event exposure.
    #[serde(default)]
    pub event_positions: Vec<EventPosition>,
    /// Cursor of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Balance held on one exchange shard.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BalanceBreakdown {
    /// Shard id.
    #[serde(default)]
    pub exchange_index: i32,
    /// Balance in dollars.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub balance: Option<Money>,
}

/// `GET /portfolio/balance`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Balance {
    /// Available cash in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<i64>,
    /// Available cash in dollars.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub balance_dollars: Option<Money>,
    /// Value of positions in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portfolio_value: Option<i64>,
    /// Unix seconds of the last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_ts: Option<i64>,
    /// Per-shard balances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_breakdown: Option<Vec<BalanceBreakdown>>,
}

/// One settled market (`Settlement`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Settlement {
    /// Market ticker.
    pub ticker: String,
    /// Ticker of the market's event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ticker: Option<String>,
    /// `yes`, `no` or `scalar`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_result: Option<String>,
    /// YES contracts held at settlement.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_count_fp: Option<Count>,
    /// NO contracts held at settlement.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub no_count_fp: Option<Count>,
    /// Cost of the YES contracts.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_total_cost_dollars: Option<Money>,
    /// Cost of the NO contracts.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub no_total_cost_dollars: Option<Money>,
    /// Legacy whole contracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_count: Option<i64>,
    /// Legacy whole contracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_count: Option<i64>,
    /// Legacy, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_total_cost: Option<i64>,
    /// Legacy, cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_total_cost: Option<i64>,
    /// Payout in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue: Option<i64>,
    /// Payout per YES contract in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
    /// Fees.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub fee_cost: Option<Money>,
    /// RFC 3339 settlement time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_time: Option<String>,
    /// Exchange shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
}

/// `GET /portfolio/settlements`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SettlementsPage {
    /// Settlements of this page; follow `cursor` for more.
    #[serde(default)]
    pub settlements: Vec<Settlement>,
    /// Cursor of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// `GET /portfolio/orders/{id}/queue_position`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueuePositionResponse {
    /// Contracts ahead of the order at its price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub queue_position_fp: Option<Count>,
    /// Legacy whole-contract form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_position: Option<i64>,
}

/// One entry of `GET /portfolio/orders/queue_positions`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueuePosition {
    /// The order.
    pub order_id: String,
    /// Its market.
    #[serde(default)]
    pub market_ticker: String,
    /// Contracts ahead of it.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub queue_position_fp: Option<Count>,
    /// Legacy whole-contract form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_position: Option<i64>,
}

/// `GET /portfolio/orders/queue_positions`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueuePositionsResponse {
    /// One per resting order.
    #[serde(default)]
    pub queue_positions: Vec<QueuePosition>,
}
