//! What is known about one order: its status, the request in flight for it, and the counting
//! rules that keep `filled` and `remaining` consistent whichever report arrives first.

use serde::{Deserialize, Serialize};

use crate::client_order_id::ClientOrderId;
use crate::commands::{PlaceOrder, TimeInForce};
use crate::fixed::{Count, Price};
use crate::side::BookSide;
pub use crate::vocab::orders::OrderStatus;

/// A request sent for an order and not yet answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InFlight {
    /// A create.
    Place,
    /// An amend to a new price and total count.
    Amend {
        /// YES price asked for.
        price: Price,
        /// Total count asked for, filled contracts included.
        total_count: Count,
    },
    /// A decrease to a remaining count.
    Decrease {
        /// Remaining count asked for.
        reduce_to: Count,
    },
    /// A cancel of the remaining count.
    Cancel,
    /// A lookup after an unknown outcome.
    Lookup,
}

/// Everything known about one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// Our client id (`None` for an order placed outside this system without one).
    pub client_order_id: Option<ClientOrderId>,
    /// Exchange order id once known.
    pub order_id: Option<String>,
    /// Ticker of the market it rests in.
    pub ticker: String,
    /// Bid buys YES; ask sells YES (buys NO).
    pub side: BookSide,
    /// Limit YES price.
    pub price: Price,
    /// Total count ordered (after amends).
    pub count: Count,
    /// Contracts filled: the larger of `filled_by_fills` and `filled_reported`.
    pub filled: Count,
    /// Sum of the fills seen for this order.
    pub filled_by_fills: Count,
    /// Highest fill count the exchange reported on an ack or order snapshot.
    pub filled_reported: Count,
    /// Contracts still resting (or that would rest once acknowledged).
    pub remaining: Count,
    /// Where it is in its life; every change also refiles it in the live index.
    pub status: OrderStatus,
    /// The request sent for it and not yet answered; no other is sent meanwhile.
    pub in_flight: Option<InFlight>,
    /// Cancel as soon as the exchange order id is known.
    pub cancel_requested: bool,
    /// How long it may rest; only good-till-cancelled orders are quotes the diff manages.
    pub time_in_force: TimeInForce,
    /// The exchange refuses any part that would grow the position.
    pub reduce_only: bool,
    /// Whether this system manages it (our id prefix); others only count toward exposure.
    pub managed: bool,
    /// When its current price/size was decided, Unix ns.
    pub quoted_ts_ns: i64,
    /// The full request, kept to retry a lost create under the same id.
    pub request: Option<PlaceOrder>,
}

impl OrderRecord {
    /// The status its counts imply once the exchange has it: filled, cancelled (nothing left,
    /// not all filled), resting or partially filled.
    pub(super) fn derived_live_status(&self) -> OrderStatus {
        if self.remaining.is_zero() {
            if self.filled >= self.count && !self.count.is_zero() {
                OrderStatus::Filled
            } else {
                OrderStatus::Cancelled
            }
        } else if self.filled.is_zero() {
            OrderStatus::Resting
        } else {
            OrderStatus::PartiallyFilled
        }
    }

    /// Counts one fill of `count` contracts: the fill tally grows and `remaining` shrinks to
    /// what is left unfilled.
    pub(super) fn record_fill(&mut self, count: Count) {
        self.filled_by_fills = self.filled_by_fills + count;
        self.filled = self.filled_by_fills.max(self.filled_reported);
        let ceiling = self.count.saturating_sub(self.filled);
        self.remaining = self.remaining.min(ceiling);
    }

    /// Takes a cumulative fill count reported by the exchange (ack or order snapshot).
    pub(super) fn note_reported_fill(&mut self, reported: Count) {
        self.filled_reported = self.filled_reported.max(reported);
        self.filled = self.filled_by_fills.max(self.filled_reported);
    }

    /// True when it is one of our resting GTC quotes (what the diff manages).
    pub(super) fn is_quote(&self) -> bool {
        self.managed
            && self.time_in_force == TimeInForce::GoodTillCanceled
            && !self.status.is_terminal()
    }
}
