//! How exchange answers move a record through its states: sent, acknowledged, refused, lost
//! and looked up, cancelled, or reported by an order snapshot; and the cancels the engine
//! asks for. Every change is returned as an [`OrderTransition`] to journal.

use super::index::{RecordIndex, set_status};
use super::{InFlight, OrderManager, OrderRecord, OrderStatus};
use crate::client_order_id::ClientOrderId;
use crate::commands::{CancelOrder, Command, PlaceOrder, TimeInForce};
use crate::events::{CancelAck, OrderAck, OrderRejected, RequestKind};
use crate::fixed::Count;
use crate::market_data::{ExchangeOrderStatus, OrderSnapshot};
pub use crate::vocab::orders::{OrderTransition, TransitionCause};

/// What an event did to the order books: status changes, and follow-up requests that need
/// no risk approval (cancels, lookups).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// Status changes to journal, in the order they were made.
    pub transitions: Vec<OrderTransition>,
    /// Follow-up requests to send (cancels, lookups); they need no risk approval.
    pub commands: Vec<Command>,
}

impl OrderManager {
    /// Records a create as sent (new record, or a retry of an `Intent`).
    pub fn record_place_sent(&mut self, order: &PlaceOrder, ts_ns: i64) -> OrderTransition {
        let key = order.client_order_id.as_str().to_string();
        let from = self.orders.get(&key).map(|record| record.status);
        let record = OrderRecord {
            client_order_id: Some(order.client_order_id.clone()),
            order_id: None,
            ticker: order.ticker.clone(),
            side: order.side,
            price: order.price,
            count: order.count,
            filled: Count::ZERO,
            filled_by_fills: Count::ZERO,
            filled_reported: Count::ZERO,
            remaining: order.count,
            status: OrderStatus::Pending,
            in_flight: Some(InFlight::Place),
            cancel_requested: false,
            time_in_force: order.time_in_force,
            reduce_only: order.reduce_only,
            managed: true,
            quoted_ts_ns: ts_ns,
            request: Some(order.clone()),
        };
        self.insert_record(key.clone(), record);
        OrderTransition {
            key,
            ticker: order.ticker.clone(),
            from,
            to: OrderStatus::Pending,
            cause: TransitionCause::Sent,
        }
    }

    /// Marks a request other than a create as sent.
    pub fn record_sent(
        &mut self,
        client_order_id: &ClientOrderId,
        in_flight: InFlight,
        ts_ns: i64,
    ) {
        if let Some(record) = self.orders.get_mut(client_order_id.as_str()) {
            record.in_flight = Some(in_flight);
            if matches!(in_flight, InFlight::Amend { .. }) {
                record.quoted_ts_ns = ts_ns;
            }
        }
    }

    /// Moves `record` (filed under `key`) to `to`; the change to journal, if it was one.
    pub(super) fn transition(
        index: &mut RecordIndex,
        record: &mut OrderRecord,
        key: &str,
        to: OrderStatus,
        cause: TransitionCause,
    ) -> Option<OrderTransition> {
        let from = set_status(index, record, key, to);
        (from != to).then(|| OrderTransition {
            key: key.to_string(),
            ticker: record.ticker.clone(),
            from: Some(from),
            to,
            cause,
        })
    }

    /// The cancel request for `record` (`None` for an order without a client id of ours).
    pub(super) fn cancel_command(record: &OrderRecord) -> Option<Command> {
        let client_order_id = record.client_order_id.clone()?;
        Some(Command::Cancel(CancelOrder {
            client_order_id,
            order_id: record.order_id.clone(),
            ticker: record.ticker.clone(),
        }))
    }

    /// The exchange accepted a create, amend or decrease.
    pub fn on_ack(&mut self, ack: &OrderAck) -> Effects {
        let mut effects = Effects::default();
        let key = ack.client_order_id.as_str().to_string();
        let Some(record) = self.orders.get_mut(&key) else {
            return effects;
        };
        if record.order_id.is_none() {
            record.order_id = Some(ack.order_id.clone());
            self.by_order_id.insert(&ack.order_id, key.clone());
        }
        match (ack.request, record.in_flight) {
            (RequestKind::Amend, Some(InFlight::Amend { price, total_count })) => {
                record.price = price;
                record.count = total_count;
            }
            (RequestKind::Decrease, Some(InFlight::Decrease { reduce_to })) => {
                record.count = record.filled + reduce_to;
            }
            _ => {}
        }
        record.in_flight = None;
        record.note_reported_fill(ack.fill_count);
        record.remaining = ack
            .remaining_count
            .min(record.count.saturating_sub(record.filled));
        let status = record.derived_live_status();
        effects.transitions.extend(Self::transition(
            &mut self.index,
            record,
            &key,
            status,
            TransitionCause::Acked,
        ));
        if record.cancel_requested && !record.status.is_terminal() {
            record.in_flight = Some(InFlight::Cancel);
            effects.commands.extend(Self::cancel_command(record));
        }
        self.refresh(&key);
        self.evict_archived();
        effects
    }

    /// The exchange refused a request.
    pub fn on_rejected(&mut self, rejected: &OrderRejected) -> Effects {
        let mut effects = Effects::default();
        let key = rejected.client_order_id.as_str().to_string();
        let Some(record) = self.orders.get_mut(&key) else {
            return effects;
        };
        record.in_flight = None;
        match rejected.request {
            RequestKind::Place => {
                record.remaining = Count::ZERO;
                effects.transitions.extend(Self::transition(
                    &mut self.index,
                    record,
                    &key,
                    OrderStatus::Rejected,
                    TransitionCause::Rejected,
                ));
            }
            RequestKind::Cancel => {
                // Usually the order is already gone; ask rather than guess.
                record.in_flight = Some(InFlight::Lookup);
                effects.transitions.extend(Self::transition(
                    &mut self.index,
                    record,
                    &key,
                    OrderStatus::Unknown,
                    TransitionCause::Rejected,
                ));
                effects.commands.push(Command::LookupOrder {
                    client_order_id: rejected.client_order_id.clone(),
                    ticker: record.ticker.clone(),
                });
            }
            RequestKind::Amend | RequestKind::Decrease => {}
        }
        self.refresh(&key);
        self.evict_archived();
        effects
    }

    /// A request's outcome was lost: mark Unknown and look the order up before anything else.
    pub fn on_unknown(&mut self, client_order_id: &ClientOrderId) -> Effects {
        let mut effects = Effects::default();
        let key = client_order_id.as_str().to_string();
        let Some(record) = self.orders.get_mut(&key) else {
            return effects;
        };
        record.in_flight = Some(InFlight::Lookup);
        effects.transitions.extend(Self::transition(
            &mut self.index,
            record,
            &key,
            OrderStatus::Unknown,
            TransitionCause::OutcomeUnknown,
        ));
        effects.commands.push(Command::LookupOrder {
            client_order_id: client_order_id.clone(),
            ticker: record.ticker.clone(),
        });
        self.refresh(&key);
        effects
    }

    /// A lookup found nothing: a lost create becomes an Intent to retry; anything else is gone.
    pub fn on_not_found(&mut self, client_order_id: &ClientOrderId) -> Effects {
        let mut effects = Effects::default();
        let key = client_order_id.as_str().to_string();
        let Some(record) = self.orders.get_mut(&key) else {
            return effects;
        };
        record.in_flight = None;
        let never_acked = record.order_id.is_none();
        let to = if never_acked
            && record.filled.is_zero()
            && !record.cancel_requested
            && record.request.is_some()
        {
            OrderStatus::Intent
        } else {
            record.remaining = Count::ZERO;
            OrderStatus::Cancelled
        };
        effects.transitions.extend(Self::transition(
            &mut self.index,
            record,
            &key,
            to,
            TransitionCause::LookupFoundNothing,
        ));
        self.refresh(&key);
        self.evict_archived();
        effects
    }

    /// A cancel was acknowledged.
    pub fn on_cancel_ack(&mut self, ack: &CancelAck) -> Effects {
        let mut effects = Effects::default();
        let key = ack.client_order_id.as_str().to_string();
        let Some(record) = self.orders.get_mut(&key) else {
            return effects;
        };
        record.in_flight = None;
        record.remaining = Count::ZERO;
        if record.order_id.is_none() {
            record.order_id = Some(ack.order_id.clone());
            self.by_order_id.insert(&ack.order_id, key.clone());
        }
        effects.transitions.extend(Self::transition(
            &mut self.index,
            record,
            &key,
            OrderStatus::Cancelled,
            TransitionCause::CancelAcked,
        ));
        self.refresh(&key);
        self.evict_archived();
        effects
    }

    /// The exchange's view of one order (stream or lookup). Unknown orders of ours are
    /// adopted; foreign resting orders are tracked for exposure only.
    pub fn on_snapshot(&mut self, snapshot: &OrderSnapshot, cause: TransitionCause) -> Effects {
        let effects = self.apply_snapshot(snapshot, cause);
        if let Some(key) = self.key_for(snapshot.client_order_id.as_deref(), &snapshot.order_id) {
            self.refresh(&key);
        }
        effects
    }

    /// [`OrderManager::on_snapshot`] before the exposure totals are brought in line.
    fn apply_snapshot(&mut self, snapshot: &OrderSnapshot, cause: TransitionCause) -> Effects {
        let mut effects = Effects::default();
        let key = match self.key_for(snapshot.client_order_id.as_deref(), &snapshot.order_id) {
            Some(key) => key,
            None => {
                if snapshot.status != ExchangeOrderStatus::Resting {
                    return effects;
                }
                let (key, client_order_id) = foreign_or_ours(snapshot);
                let managed = client_order_id.as_ref().is_some_and(ClientOrderId::is_ours);
                let record = OrderRecord {
                    client_order_id,
                    order_id: Some(snapshot.order_id.clone()),
                    ticker: snapshot.ticker.clone(),
                    side: snapshot.side,
                    price: snapshot.yes_price,
                    count: snapshot
                        .initial_count
                        .unwrap_or(snapshot.fill_count + snapshot.remaining_count),
                    filled: snapshot.fill_count,
                    filled_by_fills: Count::ZERO,
                    filled_reported: snapshot.fill_count,
                    remaining: snapshot.remaining_count,
                    status: OrderStatus::Resting,
                    in_flight: None,
                    cancel_requested: false,
                    time_in_force: TimeInForce::GoodTillCanceled,
                    reduce_only: false,
                    managed,
                    quoted_ts_ns: snapshot.ts_ns,
                    request: None,
                };
                let status = record.derived_live_status();
                let record = OrderRecord { status, ..record };
                self.by_order_id.insert(&snapshot.order_id, key.clone());
                effects.transitions.push(OrderTransition {
                    key: key.clone(),
                    ticker: snapshot.ticker.clone(),
                    from: None,
                    to: status,
                    cause: TransitionCause::ReconcileAdopted,
                });
                self.insert_record(key, record);
                self.evict_archived();
                return effects;
            }
        };
        let Some(record) = self.orders.get_mut(&key) else {
            return effects;
        };
        if record.order_id.is_none() {
            record.order_id = Some(snapshot.order_id.clone());
            self.by_order_id.insert(&snapshot.order_id, key.clone());
        }
        if matches!(
            record.in_flight,
            Some(InFlight::Lookup) | Some(InFlight::Place)
        ) {
            record.in_flight = None;
        }
        record.note_reported_fill(snapshot.fill_count);
        let to = match snapshot.status {
            ExchangeOrderStatus::Resting => {
                record.price = snapshot.yes_price;
                record.remaining = snapshot.remaining_count;
                record.count = record.count.max(record.filled + record.remaining);
                record.derived_live_status()
            }
            ExchangeOrderStatus::Canceled => {
                record.remaining = Count::ZERO;
                OrderStatus::Cancelled
            }
            ExchangeOrderStatus::Executed => {
                record.remaining = Count::ZERO;
                record.count = record.filled;
                OrderStatus::Filled
            }
            ExchangeOrderStatus::Unknown => return effects,
        };
        effects
            .transitions
            .extend(Self::transition(&mut self.index, record, &key, to, cause));
        if record.cancel_requested && !record.status.is_terminal() && record.in_flight.is_none() {
            record.in_flight = Some(InFlight::Cancel);
            effects.commands.extend(Self::cancel_command(record));
        }
        self.evict_archived();
        effects
    }

    /// Cancels every live managed order in `ticker` (or everywhere when `None`). Orders not yet
    /// acknowledged are cancelled as soon as their id is known.
    pub fn cancel_orders(&mut self, ticker: Option<&str>) -> Vec<Command> {
        let mut commands = Vec::new();
        let keys: Vec<String> = match ticker {
            Some(ticker) => self.index.live_in(ticker).cloned().collect(),
            None => self.index.live.iter().cloned().collect(),
        };
        for key in &keys {
            let Some(record) = self.orders.get_mut(key) else {
                continue;
            };
            if !record.managed
                || record.status.is_terminal()
                || ticker.is_some_and(|t| t != record.ticker)
            {
                continue;
            }
            if record.status == OrderStatus::Intent {
                set_status(&mut self.index, record, key, OrderStatus::Cancelled);
                record.remaining = Count::ZERO;
                self.refresh(key);
                continue;
            }
            record.cancel_requested = true;
            let sendable = record.order_id.is_some()
                && matches!(
                    record.status,
                    OrderStatus::Resting | OrderStatus::PartiallyFilled
                )
                && !matches!(
                    record.in_flight,
                    Some(InFlight::Cancel) | Some(InFlight::Lookup)
                );
            if sendable {
                record.in_flight = Some(InFlight::Cancel);
                commands.extend(Self::cancel_command(record));
            }
        }
        self.evict_archived();
        commands
    }
}

/// The key and client id of an order the books did not know: its client id when it parses
/// as one, else `order:<exchange id>`.
fn foreign_or_ours(snapshot: &OrderSnapshot) -> (String, Option<ClientOrderId>) {
    match snapshot
        .client_order_id
        .as_deref()
        .map(ClientOrderId::parse)
    {
        Some(Ok(id)) => (id.as_str().to_string(), Some(id)),
        _ => (format!("order:{}", snapshot.order_id), None),
    }
}
