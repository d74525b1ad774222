//! WebSocket channel message bodies (`msg` objects), in both dialects.

use kalshi_core::fixed::{Count, Money, Price, SignedCount};
use kalshi_core::side::{BookSide, OutcomeSide};
use serde::{Deserialize, Serialize};

use super::market::WirePriceRange;
use super::numbers::{WireTime, opt};
use super::orderbook::{CentsLevel, PriceLevel};

/// `orderbook_snapshot`: a full book (bids only); a side with no orders is absent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OrderbookSnapshotMsg {
    /// Ticker of the market whose book this is.
    pub market_ticker: String,
    /// Market UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_id: Option<String>,
    /// Exchange per-market clock of the newest change included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<u64>,
    /// YES bids (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_dollars_fp: Option<Vec<PriceLevel>>,
    /// NO bids at NO prices, or YES prices with `use_yes_price` (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_dollars_fp: Option<Vec<PriceLevel>>,
    /// Legacy YES bids in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes: Option<Vec<CentsLevel>>,
    /// Legacy NO bids in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no: Option<Vec<CentsLevel>>,
    /// Dual-era dollar twin of `yes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_dollars: Option<Vec<PriceLevel>>,
    /// Dual-era dollar twin of `no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_dollars: Option<Vec<PriceLevel>>,
}

/// `orderbook_delta`: a change of resting size at one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderbookDeltaMsg {
    /// Ticker of the market whose book changed.
    pub market_ticker: String,
    /// Market UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_id: Option<String>,
    /// Exchange per-market clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<u64>,
    /// Which bid ladder changed (`yes` or `no`).
    pub side: OutcomeSide,
    /// Level price (2026).
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub price_dollars: Option<Price>,
    /// Signed size change (2026; may be fractional).
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub delta_fp: Option<SignedCount>,
    /// Legacy level price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    /// Legacy whole-contract change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<i64>,
    /// Present when our own order caused the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Our subaccount, with `client_order_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
    /// Deprecated time (RFC 3339 text on deltas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<WireTime>,
    /// Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
}

/// `ticker`: top of book and volume for one market (sent on change).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TickerMsg {
    /// Ticker of the market these figures describe.
    pub market_ticker: String,
    /// Market UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_id: Option<String>,
    /// Last trade price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub price_dollars: Option<Price>,
    /// Best YES bid.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_bid_dollars: Option<Price>,
    /// Best YES ask.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_ask_dollars: Option<Price>,
    /// Size at the best YES bid.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_bid_size_fp: Option<Count>,
    /// Size at the best YES ask.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_ask_size_fp: Option<Count>,
    /// Size of the last trade.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_trade_size_fp: Option<Count>,
    /// Contracts traded.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_fp: Option<Count>,
    /// Open interest.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub open_interest_fp: Option<Count>,
    /// Legacy last price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    /// Legacy best YES bid in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_bid: Option<i64>,
    /// Legacy best YES ask in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_ask: Option<i64>,
    /// Legacy whole-contract volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<i64>,
    /// Legacy whole-contract open interest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_interest: Option<i64>,
    /// Whole-dollar volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dollar_volume: Option<i64>,
    /// Whole-dollar open interest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dollar_open_interest: Option<i64>,
    /// Deprecated Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<WireTime>,
    /// Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
    /// Deprecated RFC 3339 time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// `trade`: one public trade.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TradeMsg {
    /// Exchange trade id.
    #[serde(default)]
    pub trade_id: String,
    /// Ticker of the market traded.
    pub market_ticker: String,
    /// YES price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_price_dollars: Option<Price>,
    /// NO price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub no_price_dollars: Option<Price>,
    /// Contracts.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub count_fp: Option<Count>,
    /// Legacy YES price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_price: Option<i64>,
    /// Legacy NO price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_price: Option<i64>,
    /// Legacy whole contracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Taker's side of the YES book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_book_side: Option<BookSide>,
    /// Outcome the taker became long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_outcome_side: Option<OutcomeSide>,
    /// Deprecated duplicate of `taker_outcome_side`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_side: Option<OutcomeSide>,
    /// Off-book block trade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_block_trade: Option<bool>,
    /// Deprecated Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<WireTime>,
    /// Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
}

/// `fill`: one of our executions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FillMsg {
    /// Fill id.
    #[serde(default)]
    pub trade_id: String,
    /// Our order.
    #[serde(default)]
    pub order_id: String,
    /// Our client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Ticker of the market the fill happened in.
    pub market_ticker: String,
    /// Shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
    /// Whether we took liquidity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_taker: Option<bool>,
    /// Our side of the YES book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_side: Option<BookSide>,
    /// Outcome we bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_side: Option<OutcomeSide>,
    /// Deprecated side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<OutcomeSide>,
    /// Deprecated outcome bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchased_side: Option<OutcomeSide>,
    /// Deprecated action (`buy`, `sell`, `sell_partial`, …, or empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// YES execution price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_price_dollars: Option<Price>,
    /// Legacy YES price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_price: Option<i64>,
    /// Legacy NO price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_price: Option<i64>,
    /// Contracts.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub count_fp: Option<Count>,
    /// Legacy whole contracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Fee charged.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub fee_cost: Option<Money>,
    /// Our signed position after the fill.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub post_position_fp: Option<SignedCount>,
    /// Legacy whole-contract position after the fill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_position: Option<i64>,
    /// Subaccount the fill belongs to (0 = primary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
    /// Deprecated Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<WireTime>,
    /// Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
}

/// `market_position`: our position in one market.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MarketPositionMsg {
    /// Owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Ticker of the market the position is in.
    pub market_ticker: String,
    /// Signed position.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub position_fp: Option<SignedCount>,
    /// Cost of the position.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub position_cost_dollars: Option<Money>,
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
    /// Fees attributable to the open position.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub position_fee_cost_dollars: Option<Money>,
    /// Contracts traded.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_fp: Option<Count>,
    /// Legacy whole-contract position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// Legacy cost in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_cost: Option<i64>,
    /// Legacy realized P&L in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realized_pnl: Option<i64>,
    /// Legacy fees in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_paid: Option<i64>,
    /// Subaccount holding the position (0 = primary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount: Option<u32>,
}

/// `user_order`: the current state of one of our orders.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UserOrderMsg {
    /// Exchange order id.
    pub order_id: String,
    /// Owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Market ticker.
    pub ticker: String,
    /// Shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
    /// `resting`, `canceled`, `executed` or `unknown`.
    #[serde(default)]
    pub status: String,
    /// Side of the YES book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_side: Option<BookSide>,
    /// Outcome bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_side: Option<OutcomeSide>,
    /// Deprecated side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<OutcomeSide>,
    /// Deprecated side flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_yes: Option<bool>,
    /// YES limit price.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub yes_price_dollars: Option<Price>,
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
    /// Taker fees.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub taker_fees_dollars: Option<Money>,
    /// Maker fees.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub maker_fees_dollars: Option<Money>,
    /// Our id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Order group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_group_id: Option<String>,
    /// Self-trade prevention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_trade_prevention_type: Option<String>,
    /// Creation, Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_ts_ms: Option<i64>,
    /// Last change, Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_ts_ms: Option<i64>,
    /// Expiry, Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_ts_ms: Option<i64>,
    /// Deprecated RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// Deprecated RFC 3339 last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<String>,
    /// Deprecated RFC 3339 expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<String>,
    /// Why it last changed (`Trade`, `PostOnlyCrossCancel`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_reason: Option<String>,
    /// Subaccount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount_number: Option<u32>,
}

/// Extra fields of a `created` lifecycle message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LifecycleMetadata {
    /// Market name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The question the market asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// YES label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_sub_title: Option<String>,
    /// NO label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_sub_title: Option<String>,
    /// Rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_primary: Option<String>,
    /// More rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_secondary: Option<String>,
    /// Whether it may close early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_close_early: Option<bool>,
    /// Parent event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ticker: Option<String>,
    /// Expected expiry, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_expiration_ts: Option<i64>,
    /// How the strike is evaluated: `greater`, `less`, `between`, `custom`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strike_type: Option<String>,
}

/// `market_lifecycle_v2`: a market state change.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MarketLifecycleMsg {
    /// Ticker of the market that changed state.
    pub market_ticker: String,
    /// `created`, `activated`, `deactivated`, `close_date_updated`, `determined`, `settled`, `price_level_structure_updated`, `metadata_updated`.
    #[serde(default)]
    pub event_type: String,
    /// Shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
    /// Opening, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_ts: Option<i64>,
    /// Closing, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_ts: Option<i64>,
    /// Determination, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub determination_ts: Option<i64>,
    /// Settlement, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_ts: Option<i64>,
    /// Result once determined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// YES settlement value once determined.
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub settlement_value: Option<Price>,
    /// Pause flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deactivated: Option<bool>,
    /// Details of a new market.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_metadata: Option<LifecycleMetadata>,
    /// New tick-grid family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_level_structure: Option<String>,
    /// New tick grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_ranges: Option<Vec<WirePriceRange>>,
}

/// `event_lifecycle`: a new event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EventLifecycleMsg {
    /// Ticker of the new event.
    pub event_ticker: String,
    /// Shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_index: Option<i32>,
    /// Human title of the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Short subtitle under the title (often a date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// `MECNET`, `DIRECNET` or empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collateral_return_type: Option<String>,
    /// Ticker of the event's series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_ticker: Option<String>,
    /// Strike date, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strike_date: Option<i64>,
    /// Free-text period the strike covers, when the event has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strike_period: Option<String>,
}

/// `order_group_updates`: a change to one of our order groups.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OrderGroupUpdateMsg {
    /// `created`, `triggered`, `reset`, `deleted`, `limit_updated`.
    #[serde(default)]
    pub event_type: String,
    /// Group id.
    pub order_group_id: String,
    /// The limit (created / limit_updated).
    #[serde(
        default,
        deserialize_with = "opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub contracts_limit_fp: Option<Count>,
    /// Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<i64>,
}

/// `subscribed` acknowledgement body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SubscribedMsg {
    /// Name of the channel now subscribed (`orderbook_delta`, `trade`, `fill`, …).
    pub channel: String,
    /// Its subscription id.
    pub sid: u64,
}

/// `ok` acknowledgement body of `update_subscription`: the market list after the update.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OkMarketsMsg {
    /// Markets now in the subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_tickers: Option<Vec<String>>,
    /// Market ids now in the subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ids: Option<Vec<String>>,
}

/// One entry of the `list_subscriptions` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SubscriptionInfo {
    /// Name of the subscribed channel (`orderbook_delta`, `trade`, `fill`, …).
    pub channel: String,
    /// Its subscription id.
    pub sid: u64,
}

/// `error` frame body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WsErrorMsg {
    /// Kalshi WS error code (e.g. 8 unknown channel, 10 and 25 terminal).
    pub code: u32,
    /// Human text.
    #[serde(default)]
    pub msg: String,
    /// Market concerned, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<String>,
    /// Markets concerned, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_tickers: Option<Vec<String>>,
}
