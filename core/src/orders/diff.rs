//! The desired-vs-working diff: the fewest requests that move our working quotes in a market
//! toward the quotes the strategy wants resting. A working quote at a wanted side and price is
//! kept (shrunk in place, which keeps its queue priority, or topped up by an amend); a wanted
//! quote with no match is a new create (or the retry of a lost one); a working quote nothing
//! wants is cancelled.

use super::{OrderManager, OrderRecord, OrderStatus, OrderTransition, TransitionCause};
use crate::client_order_id::ClientOrderId;
use crate::commands::{AmendOrder, CancelOrder, Command, DecreaseOrder};
use crate::fixed::Count;
pub use crate::vocab::orders::DesiredQuote;

/// A new create the diff wants, before risk approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceSpec {
    /// The quote to place.
    pub quote: DesiredQuote,
    /// The client id to reuse when this retries a lost create.
    pub retry_of: Option<ClientOrderId>,
}

/// The minimal requests that move working orders toward the desired quotes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffPlan {
    /// Orders to cancel.
    pub cancels: Vec<CancelOrder>,
    /// Orders to shrink in place (keeps queue priority).
    pub decreases: Vec<DecreaseOrder>,
    /// Orders to top up at the same price (needs risk approval).
    pub amends: Vec<AmendOrder>,
    /// New orders (need risk approval).
    pub places: Vec<PlaceSpec>,
    /// Status changes made while planning (dropped retry intents).
    pub transitions: Vec<OrderTransition>,
}

impl OrderManager {
    /// The managed quotes (GTC) working in `ticker`.
    pub fn working_quotes<'a>(
        &'a self,
        ticker: &'a str,
    ) -> impl Iterator<Item = &'a OrderRecord> + 'a {
        self.live_records_in(ticker)
            .map(|(_, record)| record)
            .filter(|record| record.is_quote())
    }

    /// The requests that move the working quotes of `ticker` toward `desired`.
    pub fn diff(&mut self, ticker: &str, desired: &[DesiredQuote]) -> DiffPlan {
        let mut plan = DiffPlan::default();
        // The market's live quotes, looked up once, in key order; each may match a desired
        // quote unless a cancel is already requested, and is flagged once one has taken it.
        let mut quotes: Vec<(&str, &OrderRecord, bool)> = self
            .live_records_in(ticker)
            .filter(|(_, record)| record.ticker == ticker && record.is_quote())
            .map(|(key, record)| (key.as_str(), record, false))
            .collect();
        for quote in desired {
            let candidate = quotes.iter_mut().find(|(_, record, taken)| {
                !*taken
                    && !record.cancel_requested
                    && record.side == quote.side
                    && record.price == quote.price
            });
            let Some((_, record, taken)) = candidate else {
                plan.places.push(PlaceSpec {
                    quote: *quote,
                    retry_of: None,
                });
                continue;
            };
            *taken = true;
            let record: &OrderRecord = record;
            if record.status == OrderStatus::Intent {
                let retry_of = record.client_order_id.clone();
                plan.places.push(PlaceSpec {
                    quote: *quote,
                    retry_of,
                });
                continue;
            }
            let steady = record.in_flight.is_none()
                && matches!(
                    record.status,
                    OrderStatus::Resting | OrderStatus::PartiallyFilled
                );
            let (Some(client_order_id), Some(order_id), true) =
                (&record.client_order_id, &record.order_id, steady)
            else {
                continue;
            };
            if record.remaining > quote.count {
                plan.decreases.push(DecreaseOrder {
                    client_order_id: client_order_id.clone(),
                    order_id: order_id.clone(),
                    ticker: ticker.to_string(),
                    reduce_to: quote.count,
                });
            } else if record.remaining.centi() * 2 < quote.count.centi() {
                plan.amends.push(AmendOrder {
                    client_order_id: client_order_id.clone(),
                    order_id: order_id.clone(),
                    ticker: ticker.to_string(),
                    side: record.side,
                    price: record.price,
                    total_count: record.filled + quote.count,
                    remaining_count: quote.count,
                });
            }
        }
        // Quotes no desired quote took: dropped (a retry intent) or cancelled. Usually none,
        // and then nothing is allocated.
        let unmatched: Vec<String> = quotes
            .iter()
            .filter(|(_, _, taken)| !taken)
            .map(|(key, _, _)| (*key).to_string())
            .collect();
        for key in &unmatched {
            let Some(record) = self.orders.get_mut(key) else {
                continue;
            };
            if record.status == OrderStatus::Intent {
                record.remaining = Count::ZERO;
                plan.transitions.extend(Self::transition(
                    &mut self.index,
                    record,
                    key,
                    OrderStatus::Cancelled,
                    TransitionCause::Dropped,
                ));
                self.refresh(key);
                continue;
            }
            let sendable = record.in_flight.is_none()
                && record.order_id.is_some()
                && matches!(
                    record.status,
                    OrderStatus::Resting | OrderStatus::PartiallyFilled
                );
            if sendable && let Some(Command::Cancel(cancel)) = Self::cancel_command(record) {
                plan.cancels.push(cancel);
            }
        }
        self.evict_archived();
        plan
    }

    /// Marks the live quote records of `ticker` as freshly quoted (their age restarts).
    pub fn mark_quoted(&mut self, ticker: &str, ts_ns: i64) {
        for key in self.index.live_in(ticker) {
            if let Some(record) = self.orders.get_mut(key)
                && record.is_quote()
            {
                record.quoted_ts_ns = ts_ns;
            }
        }
    }
}
