//! Commands: what the engine asks io/exec to send to the exchange.
//!
//! Orders that open or change exposure (`Place`, `Amend`) carry a [`RiskApproved`] payload,
//! which only the risk gate can construct, so an unchecked intent cannot become a request.
//! Requests that only remove exposure (`Cancel`, `Decrease`, `CancelAll`) and lookups need no
//! approval: cancels are always allowed, even when halted.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::client_order_id::ClientOrderId;
use crate::fixed::{Count, Price};
use crate::side::BookSide;
use crate::vocab::config::SelfTradePrevention;

/// An intent the risk gate approved. Only the risk gate ([`crate::risk`]) constructs one: the
/// constructor is crate-private, and `clippy.toml` refuses it in every other module.
///
/// `Deserialize` exists so the journal can read back recorded commands; it does not open a
/// path from a fresh intent to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RiskApproved<T>(T);

impl<T> RiskApproved<T> {
    /// Wraps an intent that passed the risk gate; called by `crate::risk` only.
    pub(crate) fn approve(intent: T) -> RiskApproved<T> {
        RiskApproved(intent)
    }

    /// The approved intent.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for RiskApproved<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// How long an order may live (V2 `time_in_force`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Rests until cancelled (or until `expiration_ts_s`).
    GoodTillCanceled,
    /// Fills what crosses now, cancels the rest.
    ImmediateOrCancel,
    /// Fills completely now or not at all.
    FillOrKill,
}

impl TimeInForce {
    /// Wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeInForce::GoodTillCanceled => "good_till_canceled",
            TimeInForce::ImmediateOrCancel => "immediate_or_cancel",
            TimeInForce::FillOrKill => "fill_or_kill",
        }
    }
}

/// A new order (V2 create-order body, in the one-YES-book language).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrder {
    /// Deterministic client order id; a retry reuses it.
    pub client_order_id: ClientOrderId,
    /// Market ticker.
    pub ticker: String,
    /// `Bid` = buy YES, `Ask` = sell YES (buy NO).
    pub side: BookSide,
    /// Limit price, always the YES price, on the market's tick grid.
    pub price: Price,
    /// Contracts to buy (bid) or sell (ask).
    pub count: Count,
    /// How long the order may rest (quotes are good-till-cancelled).
    pub time_in_force: TimeInForce,
    /// Refused by the exchange if it would take liquidity (maker-only).
    pub post_only: bool,
    /// Never increase the position (Kalshi accepts it only with IOC).
    pub reduce_only: bool,
    /// What the exchange does when the order would trade against one of ours.
    pub self_trade_prevention: SelfTradePrevention,
    /// Cancel when trading pauses.
    pub cancel_order_on_pause: bool,
    /// Expiry, Unix seconds (GTC only).
    pub expiration_ts_s: Option<i64>,
    /// Order group to attach to.
    pub order_group_id: Option<String>,
}

/// A change of price and/or total size of a resting order (loses queue priority).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmendOrder {
    /// Client id of the order being amended.
    pub client_order_id: ClientOrderId,
    /// Exchange order id.
    pub order_id: String,
    /// Market ticker.
    pub ticker: String,
    /// Side (must match the order).
    pub side: BookSide,
    /// New YES limit price.
    pub price: Price,
    /// New **total** count: already filled plus desired remaining.
    pub total_count: Count,
    /// The remaining count this amend asks for (`total_count − filled`), for the risk checks.
    pub remaining_count: Count,
}

/// A reduction of a resting order's remaining size (keeps queue priority).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecreaseOrder {
    /// Client id of the order.
    pub client_order_id: ClientOrderId,
    /// Exchange order id.
    pub order_id: String,
    /// Market ticker.
    pub ticker: String,
    /// Remaining count after the decrease.
    pub reduce_to: Count,
}

/// A cancel of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOrder {
    /// Client id of the order.
    pub client_order_id: ClientOrderId,
    /// Exchange order id when known (io looks it up by client id otherwise).
    pub order_id: Option<String>,
    /// Market ticker (used for shard routing).
    pub ticker: String,
}

/// One request for io/exec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Create an order.
    Place(RiskApproved<PlaceOrder>),
    /// Cancel an order.
    Cancel(CancelOrder),
    /// Amend price and/or total count.
    Amend(RiskApproved<AmendOrder>),
    /// Decrease the remaining count.
    Decrease(DecreaseOrder),
    /// Cancel every resting order of the account (`DELETE /portfolio/events/orders`).
    CancelAll,
    /// Look an order up by client id to resolve an unknown outcome before any retry.
    LookupOrder {
        /// Client id to look up.
        client_order_id: ClientOrderId,
        /// Market ticker to narrow the lookup.
        ticker: String,
    },
}

impl Command {
    /// The client order id the command concerns, if any.
    pub fn client_order_id(&self) -> Option<&ClientOrderId> {
        match self {
            Command::Place(order) => Some(&order.client_order_id),
            Command::Cancel(cancel) => Some(&cancel.client_order_id),
            Command::Amend(amend) => Some(&amend.client_order_id),
            Command::Decrease(decrease) => Some(&decrease.client_order_id),
            Command::CancelAll => None,
            Command::LookupOrder {
                client_order_id, ..
            } => Some(client_order_id),
        }
    }

    /// One readable line for transcripts.
    pub fn transcript_line(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Place(order) => {
                write!(
                    f,
                    "PLACE {} {} {} {}@{} {}",
                    order.client_order_id,
                    order.ticker,
                    order.side.as_str(),
                    order.count,
                    order.price,
                    order.time_in_force.as_str()
                )?;
                if order.post_only {
                    f.write_str(" post_only")?;
                }
                if order.reduce_only {
                    f.write_str(" reduce_only")?;
                }
                Ok(())
            }
            Command::Cancel(cancel) => {
                write!(f, "CANCEL {} {}", cancel.client_order_id, cancel.ticker)
            }
            Command::Amend(amend) => write!(
                f,
                "AMEND {} {} {} total={}@{}",
                amend.client_order_id,
                amend.ticker,
                amend.side.as_str(),
                amend.total_count,
                amend.price
            ),
            Command::Decrease(decrease) => {
                write!(
                    f,
                    "DECREASE {} {} to={}",
                    decrease.client_order_id, decrease.ticker, decrease.reduce_to
                )
            }
            Command::CancelAll => f.write_str("CANCEL_ALL"),
            Command::LookupOrder {
                client_order_id,
                ticker,
            } => write!(f, "LOOKUP {client_order_id} {ticker}"),
        }
    }
}
