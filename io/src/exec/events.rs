//! Every command outcome becomes the journaled events here, in one place: the executor
//! ([`super::Executor::execute`]), the shutdown batches, the runtime's local refusals and the
//! deterministic simulation's exchange all map through these functions, so an outcome means
//! the same to the engine whichever way it arrived.
//!
//! - an accepted create, amend or decrease → `OrderAck`; an accepted cancel → `CancelAck`;
//! - refused by the exchange, the rate limit or locally → `OrderRejected` (`code` the
//!   exchange's, else `http_<status>`, `rate_limited` or `not_sent`): certainly no effect;
//! - unknown (timeout, lost answer) → `OrderUnknown`: the engine looks the order up;
//! - a lookup → `OrderSnapshot` or `OrderNotFound`; a failed lookup → nothing (still unknown).

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::{CancelOrder, Command};
use kalshi_core::events::{CancelAck, Event, OrderAck, OrderRejected, RequestKind};

use super::{BatchItem, Canceled, Modified, Placed, Resolution, WriteOutcome};
use crate::error::RestError;

/// The event for a create's outcome.
pub fn placed_event(client_order_id: &ClientOrderId, outcome: WriteOutcome<Placed>) -> Event {
    match outcome {
        WriteOutcome::Accepted(placed) => Event::OrderAck(OrderAck {
            client_order_id: client_order_id.clone(),
            order_id: placed.order_id,
            request: RequestKind::Place,
            fill_count: placed.fill_count,
            remaining_count: placed.remaining_count,
        }),
        other => non_accepted_event(client_order_id, RequestKind::Place, other),
    }
}

/// The event for an amend's or decrease's outcome. Fields the exchange did not report are
/// zero in the ack; the `user_orders` stream carries the full state.
pub fn modified_event(
    client_order_id: &ClientOrderId,
    request: RequestKind,
    outcome: WriteOutcome<Modified>,
) -> Event {
    match outcome {
        WriteOutcome::Accepted(modified) => Event::OrderAck(OrderAck {
            client_order_id: client_order_id.clone(),
            order_id: modified.order_id,
            request,
            fill_count: modified.fill_count.unwrap_or_default(),
            remaining_count: modified.remaining_count.unwrap_or_default(),
        }),
        other => non_accepted_event(client_order_id, request, other),
    }
}

/// The event for a single cancel's outcome.
pub fn canceled_event(client_order_id: &ClientOrderId, outcome: WriteOutcome<Canceled>) -> Event {
    match outcome {
        WriteOutcome::Accepted(canceled) => Event::CancelAck(CancelAck {
            client_order_id: client_order_id.clone(),
            order_id: canceled.order_id,
            reduced_by: canceled.reduced_by,
        }),
        other => non_accepted_event(client_order_id, RequestKind::Cancel, other),
    }
}

/// The events for a lookup's answer: what the exchange has, or that it has nothing; none when
/// the read failed (the outcome stays unknown and the caller may ask again).
pub fn lookup_events(
    client_order_id: &ClientOrderId,
    answer: Result<Resolution, RestError>,
) -> Vec<Event> {
    match answer {
        Ok(Resolution::Found(snapshot)) => vec![Event::OrderSnapshot(snapshot)],
        Ok(Resolution::NotFound) => vec![Event::OrderNotFound {
            client_order_id: client_order_id.clone(),
        }],
        Err(error) => {
            tracing::warn!(%error, "order lookup failed; the outcome stays unknown");
            Vec::new()
        }
    }
}

/// What the lookup before a cancel without an exchange id decided.
#[derive(Debug, Clone, PartialEq)]
pub enum CancelTarget {
    /// Cancel the order with this exchange id.
    Send(String),
    /// Nothing to send: the cancel's outcome is already known (the order does not exist, or
    /// the read failed and the outcome is unknown).
    Answered(Event),
}

/// The lookup before a cancel without an exchange id, turned into what to do next.
pub fn cancel_lookup(cancel: &CancelOrder, answer: Result<Resolution, RestError>) -> CancelTarget {
    match answer {
        Ok(Resolution::Found(snapshot)) => CancelTarget::Send(snapshot.order_id),
        Ok(Resolution::NotFound) => CancelTarget::Answered(Event::OrderNotFound {
            client_order_id: cancel.client_order_id.clone(),
        }),
        Err(error) => {
            tracing::warn!(%error, "lookup before cancel failed");
            CancelTarget::Answered(Event::OrderUnknown {
                client_order_id: cancel.client_order_id.clone(),
                request: RequestKind::Cancel,
            })
        }
    }
}

/// The events of a cancel-all's outcome: none either way (the engine learns of each order's
/// end from the order stream); a failure is logged.
pub fn cancel_all_events(outcome: WriteOutcome<()>) -> Vec<Event> {
    if !matches!(outcome, WriteOutcome::Accepted(())) {
        tracing::warn!(outcome = outcome.kind_name(), "cancel-all did not succeed");
    }
    Vec::new()
}

/// The event for any outcome other than `Accepted`.
fn non_accepted_event<T>(
    client_order_id: &ClientOrderId,
    request: RequestKind,
    outcome: WriteOutcome<T>,
) -> Event {
    let rejected = |code: String, message: String| {
        Event::OrderRejected(OrderRejected {
            client_order_id: client_order_id.clone(),
            request,
            code,
            message,
        })
    };
    match outcome {
        WriteOutcome::Rejected {
            status,
            code,
            message,
        } => rejected(rejection_code(status, code), message),
        WriteOutcome::RateLimited => {
            rejected("rate_limited".to_string(), "too many requests".to_string())
        }
        WriteOutcome::NotSent { reason } => rejected("not_sent".to_string(), reason),
        WriteOutcome::Unknown { reason } => {
            tracing::warn!(%client_order_id, ?request, %reason, "write outcome unknown");
            Event::OrderUnknown {
                client_order_id: client_order_id.clone(),
                request,
            }
        }
        WriteOutcome::Accepted(_) => Event::OrderUnknown {
            client_order_id: client_order_id.clone(),
            request,
        },
    }
}

/// The exchange's error code, or `http_<status>` when it gave none.
fn rejection_code(status: u16, code: String) -> String {
    if code.is_empty() {
        format!("http_{status}")
    } else {
        code
    }
}

/// The events for a batch cancel's outcome, one per requested cancel. Items are answered in
/// request order; an accepted item naming another order id is matched by that id, and a
/// requested cancel the answer does not cover is `OrderUnknown` (the engine looks it up).
pub fn batch_cancel_events(
    cancels: &[CancelOrder],
    outcome: WriteOutcome<Vec<BatchItem<Canceled>>>,
) -> Vec<Event> {
    let unknown = |cancel: &CancelOrder| Event::OrderUnknown {
        client_order_id: cancel.client_order_id.clone(),
        request: RequestKind::Cancel,
    };
    let rejected = |cancel: &CancelOrder, code: &str, message: &str| {
        Event::OrderRejected(OrderRejected {
            client_order_id: cancel.client_order_id.clone(),
            request: RequestKind::Cancel,
            code: code.to_string(),
            message: message.to_string(),
        })
    };
    match outcome {
        WriteOutcome::Accepted(items) => batch_items_events(cancels, items),
        WriteOutcome::RateLimited => cancels
            .iter()
            .map(|cancel| rejected(cancel, "rate_limited", "too many requests"))
            .collect(),
        WriteOutcome::NotSent { reason } => cancels
            .iter()
            .map(|cancel| rejected(cancel, "not_sent", &reason))
            .collect(),
        WriteOutcome::Rejected {
            status,
            code,
            message,
        } => {
            let code = rejection_code(status, code);
            cancels
                .iter()
                .map(|cancel| rejected(cancel, &code, &message))
                .collect()
        }
        WriteOutcome::Unknown { reason } => {
            tracing::warn!(%reason, orders = cancels.len(), "batch cancel outcome unknown");
            cancels.iter().map(unknown).collect()
        }
    }
}

/// [`batch_cancel_events`] of an accepted batch: each item answers one cancel.
fn batch_items_events(cancels: &[CancelOrder], items: Vec<BatchItem<Canceled>>) -> Vec<Event> {
    let mut answered = vec![false; cancels.len()];
    let mut events = Vec::with_capacity(cancels.len());
    for (position, item) in items.into_iter().enumerate() {
        match item {
            BatchItem::Accepted(canceled) => {
                let index = cancels
                    .iter()
                    .position(|cancel| {
                        cancel.order_id.as_deref() == Some(canceled.order_id.as_str())
                    })
                    .filter(|index| !answered[*index])
                    .or_else(|| (position < cancels.len()).then_some(position));
                let Some(index) = index.filter(|index| !answered[*index]) else {
                    continue;
                };
                answered[index] = true;
                events.push(Event::CancelAck(CancelAck {
                    client_order_id: cancels[index].client_order_id.clone(),
                    order_id: canceled.order_id,
                    reduced_by: canceled.reduced_by,
                }));
            }
            BatchItem::Rejected { code, message } => {
                if position < cancels.len() && !answered[position] {
                    answered[position] = true;
                    events.push(Event::OrderRejected(OrderRejected {
                        client_order_id: cancels[position].client_order_id.clone(),
                        request: RequestKind::Cancel,
                        code,
                        message,
                    }));
                }
            }
        }
    }
    for (cancel, done) in cancels.iter().zip(&answered) {
        if !done {
            events.push(Event::OrderUnknown {
                client_order_id: cancel.client_order_id.clone(),
                request: RequestKind::Cancel,
            });
        }
    }
    events
}

/// A `not_sent` rejection of `command` explained by `message` (the request never left the
/// process). Lookups and cancel-all have no per-order outcome and get none.
pub fn not_sent_refusal(command: &Command, message: &str) -> Option<Event> {
    let (client_order_id, request) = match command {
        Command::Place(order) => (order.client_order_id.clone(), RequestKind::Place),
        Command::Amend(amend) => (amend.client_order_id.clone(), RequestKind::Amend),
        Command::Decrease(decrease) => (decrease.client_order_id.clone(), RequestKind::Decrease),
        Command::Cancel(cancel) => (cancel.client_order_id.clone(), RequestKind::Cancel),
        Command::CancelAll | Command::LookupOrder { .. } => return None,
    };
    Some(Event::OrderRejected(OrderRejected {
        client_order_id,
        request,
        code: "not_sent".to_string(),
        message: message.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cancel(n: u32) -> CancelOrder {
        CancelOrder {
            client_order_id: ClientOrderId::parse(&format!("kb-r-{n}")).unwrap(),
            order_id: Some(format!("order-{n}")),
            ticker: "M".to_string(),
        }
    }

    fn canceled(n: u32) -> BatchItem<Canceled> {
        BatchItem::Accepted(Canceled {
            order_id: format!("order-{n}"),
            client_order_id: None,
            reduced_by: kalshi_core::fixed::Count::from_contracts(5).unwrap(),
        })
    }

    #[test]
    fn every_cancel_of_a_batch_gets_exactly_one_outcome() {
        let cancels = [cancel(1), cancel(2), cancel(3)];
        // Item 2 refused, item 3 missing from the answer, and the accepted items in another
        // order than asked: matched by order id, the missing one is unknown.
        let answer = WriteOutcome::Accepted(vec![
            canceled(1),
            BatchItem::Rejected {
                code: "not_found".to_string(),
                message: "gone".to_string(),
            },
        ]);
        let events = batch_cancel_events(&cancels, answer);
        assert_eq!(events.len(), 3);
        assert!(
            matches!(&events[0], Event::CancelAck(ack) if ack.client_order_id.as_str() == "kb-r-1")
        );
        assert!(matches!(&events[1], Event::OrderRejected(r)
            if r.client_order_id.as_str() == "kb-r-2" && r.code == "not_found" && r.request == RequestKind::Cancel));
        assert!(
            matches!(&events[2], Event::OrderUnknown { client_order_id, request: RequestKind::Cancel }
            if client_order_id.as_str() == "kb-r-3")
        );

        let swapped = batch_cancel_events(
            &cancels[..2],
            WriteOutcome::Accepted(vec![canceled(2), canceled(1)]),
        );
        let acked: Vec<&str> = swapped
            .iter()
            .map(|event| match event {
                Event::CancelAck(ack) => ack.client_order_id.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(acked, vec!["kb-r-2", "kb-r-1"]);

        // A 429 on the whole batch: each cancel is refused as rate-limited (no resend here;
        // the engine re-decides), never silently dropped.
        let limited = batch_cancel_events(&cancels, WriteOutcome::RateLimited);
        assert_eq!(limited.len(), 3);
        assert!(
            limited
                .iter()
                .all(|event| matches!(event, Event::OrderRejected(r) if r.code == "rate_limited"))
        );
        let unknown = batch_cancel_events(
            &cancels,
            WriteOutcome::Unknown {
                reason: "timeout".to_string(),
            },
        );
        assert!(
            unknown
                .iter()
                .all(|event| matches!(event, Event::OrderUnknown { .. }))
        );
    }

    #[test]
    fn single_outcomes_map_to_one_event_each() {
        let id = ClientOrderId::parse("kb-r-9").unwrap();
        let refused = canceled_event(
            &id,
            WriteOutcome::Rejected {
                status: 404,
                code: String::new(),
                message: "gone".to_string(),
            },
        );
        assert!(
            matches!(&refused, Event::OrderRejected(r) if r.code == "http_404" && r.request == RequestKind::Cancel)
        );
        let lost = placed_event(
            &id,
            WriteOutcome::Unknown {
                reason: "timeout".to_string(),
            },
        );
        assert!(matches!(
            lost,
            Event::OrderUnknown {
                request: RequestKind::Place,
                ..
            }
        ));
        assert_eq!(
            lookup_events(&id, Ok(Resolution::NotFound)),
            vec![Event::OrderNotFound {
                client_order_id: id.clone()
            }]
        );
        let failed = RestError::InvalidRequest {
            endpoint: "GET /portfolio/orders".to_string(),
            reason: "x".to_string(),
        };
        assert!(lookup_events(&id, Err(failed)).is_empty());
        assert!(cancel_all_events(WriteOutcome::RateLimited).is_empty());
    }

    #[test]
    fn only_per_order_commands_have_a_local_refusal() {
        let refusal = not_sent_refusal(&Command::Cancel(cancel(4)), "queue full");
        assert!(matches!(refusal, Some(Event::OrderRejected(r))
            if r.code == "not_sent" && r.message == "queue full" && r.request == RequestKind::Cancel));
        assert_eq!(not_sent_refusal(&Command::CancelAll, "queue full"), None);
    }
}
