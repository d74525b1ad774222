//! Orders: the stored order record, its enums, and the request/outcome structs of the order
//! endpoints (V2 and legacy). Plain Rust; the server maps them to and from the wire.

use kalshi_core::side::{BookSide, LegacyAction, OutcomeSide};
use kalshi_core::{Count, Money, Price};
use serde::Serialize;

use super::account::UserId;
pub use super::account::outcome_price;

/// Dense index of an order inside the exchange.
pub(crate) type OrderIdx = u32;

/// How long an order may live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Fill completely at once or do nothing.
    FillOrKill,
    /// Rest until filled, cancelled, expired or the market closes.
    GoodTillCanceled,
    /// Fill what crosses now, cancel the rest.
    ImmediateOrCancel,
}

impl TimeInForce {
    /// Parses the wire spelling.
    pub fn from_wire(text: &str) -> Option<TimeInForce> {
        match text {
            "fill_or_kill" => Some(TimeInForce::FillOrKill),
            "good_till_canceled" => Some(TimeInForce::GoodTillCanceled),
            "immediate_or_cancel" => Some(TimeInForce::ImmediateOrCancel),
            _ => None,
        }
    }

    /// Wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeInForce::FillOrKill => "fill_or_kill",
            TimeInForce::GoodTillCanceled => "good_till_canceled",
            TimeInForce::ImmediateOrCancel => "immediate_or_cancel",
        }
    }
}

/// What happens when an incoming order would match a resting order of the same user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SelfTradePrevention {
    /// Cancel the incoming order's remainder, keeping fills already made.
    TakerAtCross,
    /// Cancel the resting order and keep matching.
    Maker,
}

impl SelfTradePrevention {
    /// Parses the wire spelling.
    pub fn from_wire(text: &str) -> Option<SelfTradePrevention> {
        match text {
            "taker_at_cross" => Some(SelfTradePrevention::TakerAtCross),
            "maker" => Some(SelfTradePrevention::Maker),
            _ => None,
        }
    }

    /// Wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            SelfTradePrevention::TakerAtCross => "taker_at_cross",
            SelfTradePrevention::Maker => "maker",
        }
    }
}

/// Order status as Kalshi reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// On the book (possibly partially filled).
    Resting,
    /// Cancelled (possibly after partial fills), including IOC/FOK remainders.
    Canceled,
    /// Fully filled.
    Executed,
}

impl OrderStatus {
    /// Wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Resting => "resting",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Executed => "executed",
        }
    }
}

/// Why an order last changed (`last_update_reason` of `user_order`; exactly Kalshi's enum).
///
/// Changes Kalshi's enum has no value for — creation, an IOC/FOK remainder being dropped, an
/// order group trigger or deletion — leave the reason `None` on the order update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UpdateReason {
    /// Remaining size reduced by the owner (also a cancel, which is a decrease to zero).
    Decrease,
    /// Price or size amended.
    Amend,
    /// The owner could no longer collateralize the order when it was hit.
    MarginCancel,
    /// Self-trade prevention cancelled it.
    SelfTradeCancel,
    /// Its expiration time passed.
    ExpiryCancel,
    /// The market closed.
    CloseCancel,
    /// A pause (or reactivation after one) cancelled it.
    HaltCancel,
    /// It traded.
    Trade,
    /// Post-only and would have crossed.
    PostOnlyCrossCancel,
    /// Reduce-only capped it at placement.
    ReduceOnlyCancel,
    /// Settlement bounds cancelled it (scalar markets; not produced by this simulator).
    SettlementBoundsCancel,
}

impl UpdateReason {
    /// Wire spelling (`"Trade"`, `"PostOnlyCrossCancel"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            UpdateReason::Decrease => "Decrease",
            UpdateReason::Amend => "Amend",
            UpdateReason::MarginCancel => "MarginCancel",
            UpdateReason::SelfTradeCancel => "SelfTradeCancel",
            UpdateReason::ExpiryCancel => "ExpiryCancel",
            UpdateReason::CloseCancel => "CloseCancel",
            UpdateReason::HaltCancel => "HaltCancel",
            UpdateReason::Trade => "Trade",
            UpdateReason::PostOnlyCrossCancel => "PostOnlyCrossCancel",
            UpdateReason::ReduceOnlyCancel => "ReduceOnlyCancel",
            UpdateReason::SettlementBoundsCancel => "SettlementBoundsCancel",
        }
    }
}

/// The direction an order was entered with on the legacy endpoint, kept for the deprecated
/// `side`/`action` fields of the Order object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LegacyDirection {
    /// `side` (`yes`/`no`).
    pub side: OutcomeSide,
    /// `action` (`buy`/`sell`).
    pub action: LegacyAction,
}

/// One order as the exchange stores and reports it (the `Order` object, and the body of a
/// `user_order` update).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// Exchange order id (UUID text).
    pub order_id: String,
    /// The user who placed the order.
    pub user: UserId,
    /// Owner's subaccount number.
    pub subaccount: u32,
    /// Client order id, if one was given.
    pub client_order_id: Option<String>,
    /// The market the order trades.
    pub ticker: String,
    /// Side of the YES book (bid = buy YES, ask = sell YES ≡ buy NO).
    pub side: BookSide,
    /// Limit price in YES terms.
    pub yes_price: Price,
    /// Legacy direction when entered via the legacy endpoint.
    pub legacy: Option<LegacyDirection>,
    /// How long the order may rest (GTC, IOC or FOK).
    pub time_in_force: TimeInForce,
    /// Resting, canceled (possibly after partial fills) or fully executed.
    pub status: OrderStatus,
    /// Size ordered (after any amend: filled + remaining + cancelled).
    pub initial_count: Count,
    /// Contracts filled.
    pub fill_count: Count,
    /// Contracts still resting.
    pub remaining_count: Count,
    /// Cost of taker fills, on this order's outcome leg.
    pub taker_fill_cost: Money,
    /// Cost of maker fills, on this order's outcome leg.
    pub maker_fill_cost: Money,
    /// Fees on taker fills.
    pub taker_fees: Money,
    /// Fees on maker fills.
    pub maker_fees: Money,
    /// Expiry, Unix ns.
    pub expiration_ns: Option<i64>,
    /// Post-only flag.
    pub post_only: bool,
    /// Reduce-only flag.
    pub reduce_only: bool,
    /// Self-trade prevention mode.
    pub self_trade_prevention: SelfTradePrevention,
    /// Order group, if any.
    pub order_group_id: Option<String>,
    /// Cancel when a trading pause starts.
    pub cancel_order_on_pause: bool,
    /// Creation time, Unix ns.
    pub created_ns: i64,
    /// Last change, Unix ns.
    pub last_update_ns: i64,
    /// Why it last changed.
    pub last_update_reason: Option<UpdateReason>,
    /// Per-order fee rounding accumulator (§9.3), micro-dollars.
    #[serde(skip)]
    pub(crate) rounding_accumulator: kalshi_core::fees::RoundingAccumulator,
    /// Contracts of the remaining size collateralized as new exposure (reservation rule).
    #[serde(skip)]
    pub(crate) reserved_open_count: Count,
    /// Cash reserved for this order right now.
    #[serde(skip)]
    pub(crate) reserved: Money,
    /// Dense market index.
    #[serde(skip)]
    pub(crate) market: u32,
}

impl Order {
    /// The outcome the order makes its owner long.
    pub fn outcome_side(&self) -> OutcomeSide {
        self.side.outcome()
    }

    /// The NO-leg price (1 − YES price).
    pub fn no_price(&self) -> Price {
        self.yes_price.complement()
    }

    /// Contracts cancelled so far (`initial − filled − remaining`).
    pub fn cancelled_count(&self) -> Count {
        self.initial_count
            .checked_sub(self.fill_count)
            .and_then(|rest| rest.checked_sub(self.remaining_count))
            .unwrap_or(Count::ZERO)
    }

    /// True while the order rests on the book.
    pub fn is_resting(&self) -> bool {
        self.status == OrderStatus::Resting
    }

    /// The deprecated `side`/`action` pair to report: as entered on the legacy endpoint, or
    /// for V2 orders buy YES (bids) / buy NO (asks).
    pub fn legacy_direction(&self) -> LegacyDirection {
        self.legacy.unwrap_or(match self.side {
            BookSide::Bid => LegacyDirection {
                side: OutcomeSide::Yes,
                action: LegacyAction::Buy,
            },
            BookSide::Ask => LegacyDirection {
                side: OutcomeSide::No,
                action: LegacyAction::Buy,
            },
        })
    }

    /// The price paid per contract on the order's own leg: YES price for bids, NO price for asks.
    pub fn outcome_price(&self) -> Price {
        outcome_price(self.side, self.yes_price)
    }
}

/// `POST /portfolio/events/orders` (V2 create), parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOrderV2 {
    /// The market to trade.
    pub ticker: String,
    /// bid = buy YES, ask = sell YES.
    pub side: BookSide,
    /// Contracts to buy (bid) or sell (ask).
    pub count: Count,
    /// YES limit price.
    pub price: Price,
    /// How long the order may rest (GTC, IOC or FOK).
    pub time_in_force: TimeInForce,
    /// Self-trade prevention (required in V2).
    pub self_trade_prevention: SelfTradePrevention,
    /// The caller's own id; refused while another resting order of the user has it.
    pub client_order_id: Option<String>,
    /// Expiry, Unix seconds (only with good_till_canceled).
    pub expiration_time_s: Option<i64>,
    /// Maker only.
    pub post_only: bool,
    /// Only reduce the position (immediate_or_cancel only).
    pub reduce_only: bool,
    /// Cancel on a trading pause.
    pub cancel_order_on_pause: bool,
    /// Subaccount number (0 = primary).
    pub subaccount: u32,
    /// The order group whose matched-contract limit this order counts toward.
    pub order_group_id: Option<String>,
}

impl CreateOrderV2 {
    /// A good-till-cancelled limit order with default flags.
    pub fn limit(ticker: &str, side: BookSide, price: Price, count: Count) -> CreateOrderV2 {
        CreateOrderV2 {
            ticker: ticker.to_string(),
            side,
            count,
            price,
            time_in_force: TimeInForce::GoodTillCanceled,
            self_trade_prevention: SelfTradePrevention::TakerAtCross,
            client_order_id: None,
            expiration_time_s: None,
            post_only: false,
            reduce_only: false,
            cancel_order_on_pause: false,
            subaccount: 0,
            order_group_id: None,
        }
    }
}

/// `POST /portfolio/orders` (legacy create), parsed but not yet validated: the exchange
/// enforces the "exactly one price" and "count or count_fp" rules itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateOrderLegacy {
    /// The market to trade.
    pub ticker: String,
    /// `yes` / `no`.
    pub side: Option<OutcomeSide>,
    /// `buy` / `sell`.
    pub action: Option<LegacyAction>,
    /// Whole contracts.
    pub count: Option<i64>,
    /// Fixed-point contracts.
    pub count_fp: Option<Count>,
    /// YES price in cents.
    pub yes_price: Option<i64>,
    /// NO price in cents.
    pub no_price: Option<i64>,
    /// YES price in dollars.
    pub yes_price_dollars: Option<Price>,
    /// NO price in dollars.
    pub no_price_dollars: Option<Price>,
    /// The caller's own id; refused while another resting order of the user has it.
    pub client_order_id: Option<String>,
    /// Expiry, Unix seconds.
    pub expiration_ts_s: Option<i64>,
    /// Time in force; omitted = good_till_canceled.
    pub time_in_force: Option<TimeInForce>,
    /// Cost cap in cents; implies fill_or_kill.
    pub buy_max_cost_cents: Option<i64>,
    /// Maker only.
    pub post_only: bool,
    /// Only reduce the position.
    pub reduce_only: bool,
    /// Deprecated; only 0 is accepted (= reduce only).
    pub sell_position_floor: Option<i64>,
    /// Self-trade prevention; omitted = taker_at_cross.
    pub self_trade_prevention: Option<SelfTradePrevention>,
    /// The order group whose matched-contract limit this order counts toward.
    pub order_group_id: Option<String>,
    /// Cancel on a trading pause.
    pub cancel_order_on_pause: bool,
    /// Subaccount number.
    pub subaccount: u32,
}

/// The result of a successful create (V2 response fields plus the full order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaceOutcome {
    /// The order after placement (status `canceled` when post-only crossed, IOC/FOK left a
    /// remainder, reduce-only capped it to nothing, or self-trade prevention stopped it).
    pub order: Order,
    /// Contracts filled at placement.
    pub fill_count: Count,
    /// Contracts resting after placement.
    pub remaining_count: Count,
    /// YES-price VWAP of the placement fills (`None` when nothing filled).
    pub average_fill_price: Option<Price>,
    /// Average fee per contract of those fills.
    pub average_fee_paid: Option<Money>,
    /// Matching-engine time, Unix ns.
    pub ts_ns: i64,
}

/// How an amend treats the expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpirationChange {
    /// Keep the current expiry.
    Keep,
    /// Remove it (becomes plain good-till-cancelled).
    Remove,
    /// Set it to this Unix second (must be in the future).
    Set(i64),
}

/// `POST …/orders/{id}/amend` (V2 and legacy, after price mapping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmendOrder {
    /// Order to amend.
    pub order_id: String,
    /// Must match the order's market.
    pub ticker: String,
    /// Must match the order's side.
    pub side: BookSide,
    /// New YES price.
    pub price: Price,
    /// New TOTAL size: already filled + desired remaining.
    pub count: Count,
    /// If given, must match the order's current client order id.
    pub client_order_id: Option<String>,
    /// Renames the order's client order id.
    pub updated_client_order_id: Option<String>,
    /// Expiry change.
    pub expiration: ExpirationChange,
    /// Subaccount the order belongs to.
    pub subaccount: u32,
}

/// Result of an amend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AmendOutcome {
    /// The order before the amend.
    pub old_order: Order,
    /// The order after the amend (and any fills it caused).
    pub order: Order,
    /// Contracts filled by the amend itself.
    pub fill_count: Count,
    /// Contracts resting afterwards.
    pub remaining_count: Count,
    /// YES-price VWAP of the amend's fills.
    pub average_fill_price: Option<Price>,
    /// Average fee per contract of those fills.
    pub average_fee_paid: Option<Money>,
    /// Matching-engine time, Unix ns.
    pub ts_ns: i64,
}

/// `POST …/orders/{id}/decrease`: exactly one of the two sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decrease {
    /// Remove this many contracts from the remaining size (clamped at the remaining size).
    By(Count),
    /// Leave this many contracts remaining (must not exceed the remaining size).
    To(Count),
}

/// Result of a cancel or decrease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CancelOutcome {
    /// The order afterwards.
    pub order: Order,
    /// Contracts removed by this call (`"0.00"` when it was no longer resting).
    pub reduced_by: Count,
    /// Matching-engine time, Unix ns.
    pub ts_ns: i64,
}
