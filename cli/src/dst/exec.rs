//! The deterministic stand-in for the exec workers: each command is applied to the local
//! exchange's matching engine directly, with seeded faults, and its outcome becomes engine
//! events through the same functions the real executor uses (`placed_event`,
//! `modified_event`, `canceled_event`) and the same outcome classes (`WriteOutcome`).
//!
//! Faults on writes: 429 and 5xx/408 *before* the matching engine sees the request (no
//! effect; 429 is a certain refusal, 5xx/408 an unknown outcome), and a lost answer *after*
//! the exchange applied it (unknown outcome). Lookups can fail (no events; the order stays
//! unknown), as when `resolve_unknown` errors. A cancel without an exchange order id is
//! looked up by client id first, as the executor does.

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::{
    AmendOrder, CancelOrder, Command, DecreaseOrder, PlaceOrder, TimeInForce as CoreTif,
};
use kalshi_core::config::SelfTradePrevention as CoreStp;
use kalshi_core::events::{Event, RequestKind};
use kalshi_io::exec::events::canceled_event;
use kalshi_io::exec::{Canceled, Modified, Placed, WriteOutcome, modified_event, placed_event};
use kalshi_io::normalize;
use kalshi_sim::exchange::{
    AmendOrder as SimAmend, CreateOrderV2, Decrease, ExchangeError, ExpirationChange,
    SelfTradePrevention, TimeInForce, UserId,
};
use kalshi_sim::server::detached::DetachedExchange;

use super::rng::DstRng;
use super::stats::FaultCounts;

/// Per-million chances of each exec fault, per write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecFaultRates {
    /// 429 before the matching engine.
    pub rate_limited_ppm: u64,
    /// 5xx before the matching engine.
    pub server_error_ppm: u64,
    /// 408 before the matching engine.
    pub timeout_ppm: u64,
    /// Applied, answer lost.
    pub lost_response_ppm: u64,
    /// A lookup fails.
    pub lookup_failed_ppm: u64,
}

impl ExecFaultRates {
    /// No faults (quiescent phases).
    pub const NONE: ExecFaultRates = ExecFaultRates {
        rate_limited_ppm: 0,
        server_error_ppm: 0,
        timeout_ppm: 0,
        lost_response_ppm: 0,
        lookup_failed_ppm: 0,
    };
}

/// What happens to one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteFault {
    None,
    RateLimited,
    ServerError,
    Timeout,
    LostResponse,
}

/// What executing one command produced.
#[derive(Debug, Default)]
pub struct ExecResult {
    /// Engine events, in order.
    pub events: Vec<Event>,
    /// The command was a lookup that settled an unknown outcome (found or not found).
    pub resolved_unknown: bool,
}

/// The exec stand-in of one run.
#[derive(Debug)]
pub struct ExecStandIn {
    user: UserId,
    rng: DstRng,
}

impl ExecStandIn {
    /// Executes for `user`, drawing faults from `rng`.
    pub fn new(user: UserId, rng: DstRng) -> ExecStandIn {
        ExecStandIn { user, rng }
    }

    /// Executes one command at the exchange's current time.
    pub fn execute(
        &mut self,
        exchange: &DetachedExchange,
        command: &Command,
        rates: ExecFaultRates,
        counts: &mut FaultCounts,
    ) -> ExecResult {
        match command {
            Command::Place(order) => {
                let fault = self.write_fault(rates, counts);
                let outcome = self.place(exchange, order, fault);
                ExecResult {
                    events: vec![placed_event(&order.client_order_id, outcome)],
                    resolved_unknown: false,
                }
            }
            Command::Amend(amend) => {
                let fault = self.write_fault(rates, counts);
                let outcome = self.amend(exchange, amend, fault);
                ExecResult {
                    events: vec![modified_event(
                        &amend.client_order_id,
                        RequestKind::Amend,
                        outcome,
                    )],
                    resolved_unknown: false,
                }
            }
            Command::Decrease(decrease) => {
                let fault = self.write_fault(rates, counts);
                let outcome = self.decrease(exchange, decrease, fault);
                ExecResult {
                    events: vec![modified_event(
                        &decrease.client_order_id,
                        RequestKind::Decrease,
                        outcome,
                    )],
                    resolved_unknown: false,
                }
            }
            Command::Cancel(cancel) => ExecResult {
                events: self.cancel(exchange, cancel, rates, counts),
                resolved_unknown: false,
            },
            Command::CancelAll => {
                let user = self.user;
                let _ = exchange.with_exchange(|ex, now| ex.cancel_all(user, None, now));
                ExecResult::default()
            }
            Command::LookupOrder {
                client_order_id,
                ticker,
            } => {
                if self.rng.chance(rates.lookup_failed_ppm) {
                    counts.lookup_failed += 1;
                    return ExecResult::default();
                }
                match self.lookup(exchange, client_order_id, ticker) {
                    Some(event) => ExecResult {
                        events: vec![event],
                        resolved_unknown: true,
                    },
                    None => ExecResult::default(),
                }
            }
        }
    }

    fn write_fault(&mut self, rates: ExecFaultRates, counts: &mut FaultCounts) -> WriteFault {
        let roll = self.rng.below(1_000_000);
        let mut bound = rates.rate_limited_ppm;
        if roll < bound {
            counts.exec_rate_limited += 1;
            return WriteFault::RateLimited;
        }
        bound += rates.server_error_ppm;
        if roll < bound {
            counts.exec_server_error += 1;
            return WriteFault::ServerError;
        }
        bound += rates.timeout_ppm;
        if roll < bound {
            counts.exec_timeout += 1;
            return WriteFault::Timeout;
        }
        bound += rates.lost_response_ppm;
        if roll < bound {
            counts.exec_lost_response += 1;
            return WriteFault::LostResponse;
        }
        WriteFault::None
    }

    /// The outcome of a write whose fault struck before the matching engine, if it did.
    fn refused_before<T>(fault: WriteFault) -> Option<WriteOutcome<T>> {
        match fault {
            WriteFault::RateLimited => Some(WriteOutcome::RateLimited),
            WriteFault::ServerError => Some(WriteOutcome::Unknown {
                reason: "server_error: HTTP 503".to_string(),
            }),
            WriteFault::Timeout => Some(WriteOutcome::Unknown {
                reason: "request_timeout: HTTP 408".to_string(),
            }),
            WriteFault::None | WriteFault::LostResponse => None,
        }
    }

    /// The outcome of an applied write, unless its answer was lost.
    fn answered<T>(fault: WriteFault, outcome: Result<T, ExchangeError>) -> WriteOutcome<T> {
        if fault == WriteFault::LostResponse {
            return WriteOutcome::Unknown {
                reason: "connection_lost: answer not read".to_string(),
            };
        }
        match outcome {
            Ok(value) => WriteOutcome::Accepted(value),
            Err(error) if error.http_status() >= 500 => WriteOutcome::Unknown {
                reason: format!("server_error: HTTP {}", error.http_status()),
            },
            Err(error) => WriteOutcome::Rejected {
                status: error.http_status(),
                code: error.code().to_string(),
                message: error.message().to_string(),
            },
        }
    }

    fn place(
        &mut self,
        exchange: &DetachedExchange,
        order: &PlaceOrder,
        fault: WriteFault,
    ) -> WriteOutcome<Placed> {
        if let Some(outcome) = Self::refused_before(fault) {
            return outcome;
        }
        let request = CreateOrderV2 {
            ticker: order.ticker.clone(),
            side: order.side,
            count: order.count,
            price: order.price,
            time_in_force: match order.time_in_force {
                CoreTif::GoodTillCanceled => TimeInForce::GoodTillCanceled,
                CoreTif::ImmediateOrCancel => TimeInForce::ImmediateOrCancel,
                CoreTif::FillOrKill => TimeInForce::FillOrKill,
            },
            self_trade_prevention: match order.self_trade_prevention {
                CoreStp::TakerAtCross => SelfTradePrevention::TakerAtCross,
                CoreStp::Maker => SelfTradePrevention::Maker,
            },
            client_order_id: Some(order.client_order_id.as_str().to_string()),
            expiration_time_s: order.expiration_ts_s,
            post_only: order.post_only,
            reduce_only: order.reduce_only,
            cancel_order_on_pause: order.cancel_order_on_pause,
            subaccount: 0,
            order_group_id: order.order_group_id.clone(),
        };
        let user = self.user;
        let outcome = exchange.with_exchange(|ex, now| ex.place_v2(user, request, now));
        Self::answered(
            fault,
            outcome.map(|placed| Placed {
                order_id: placed.order.order_id.clone(),
                client_order_id: placed.order.client_order_id.clone(),
                fill_count: placed.fill_count,
                remaining_count: placed.remaining_count,
            }),
        )
    }

    fn amend(
        &mut self,
        exchange: &DetachedExchange,
        amend: &AmendOrder,
        fault: WriteFault,
    ) -> WriteOutcome<Modified> {
        if let Some(outcome) = Self::refused_before(fault) {
            return outcome;
        }
        let request = SimAmend {
            order_id: amend.order_id.clone(),
            ticker: amend.ticker.clone(),
            side: amend.side,
            price: amend.price,
            count: amend.total_count,
            client_order_id: Some(amend.client_order_id.as_str().to_string()),
            updated_client_order_id: None,
            expiration: ExpirationChange::Keep,
            subaccount: 0,
        };
        let user = self.user;
        let outcome = exchange.with_exchange(|ex, now| ex.amend(user, request, now));
        Self::answered(
            fault,
            outcome.map(|amended| Modified {
                order_id: amended.order.order_id.clone(),
                client_order_id: amended.order.client_order_id.clone(),
                fill_count: Some(amended.fill_count),
                remaining_count: Some(amended.remaining_count),
            }),
        )
    }

    fn decrease(
        &mut self,
        exchange: &DetachedExchange,
        decrease: &DecreaseOrder,
        fault: WriteFault,
    ) -> WriteOutcome<Modified> {
        if let Some(outcome) = Self::refused_before(fault) {
            return outcome;
        }
        let user = self.user;
        let outcome = exchange.with_exchange(|ex, now| {
            ex.decrease(
                user,
                None,
                &decrease.order_id,
                Decrease::To(decrease.reduce_to),
                now,
            )
        });
        Self::answered(
            fault,
            outcome.map(|decreased| Modified {
                order_id: decreased.order.order_id.clone(),
                client_order_id: decreased.order.client_order_id.clone(),
                fill_count: None,
                remaining_count: Some(decreased.order.remaining_count),
            }),
        )
    }

    fn cancel(
        &mut self,
        exchange: &DetachedExchange,
        cancel: &CancelOrder,
        rates: ExecFaultRates,
        counts: &mut FaultCounts,
    ) -> Vec<Event> {
        let order_id = match &cancel.order_id {
            Some(order_id) => order_id.clone(),
            None => match self.find(exchange, &cancel.client_order_id, &cancel.ticker) {
                Some(Some(snapshot)) => snapshot.order_id,
                Some(None) => {
                    return vec![Event::OrderNotFound {
                        client_order_id: cancel.client_order_id.clone(),
                    }];
                }
                None => {
                    return vec![Event::OrderUnknown {
                        client_order_id: cancel.client_order_id.clone(),
                        request: RequestKind::Cancel,
                    }];
                }
            },
        };
        let fault = self.write_fault(rates, counts);
        let outcome = match Self::refused_before(fault) {
            Some(outcome) => outcome,
            None => {
                let user = self.user;
                let applied =
                    exchange.with_exchange(|ex, now| ex.cancel(user, None, &order_id, now));
                Self::answered(fault, applied)
            }
        };
        let outcome = outcome.map(|canceled| Canceled {
            order_id: canceled.order.order_id.clone(),
            client_order_id: canceled.order.client_order_id.clone(),
            reduced_by: canceled.reduced_by,
        });
        vec![canceled_event(&cancel.client_order_id, outcome)]
    }

    /// `LookupOrder`: the snapshot when found, `OrderNotFound` when not; `None` when the read
    /// failed.
    fn lookup(
        &mut self,
        exchange: &DetachedExchange,
        client_order_id: &ClientOrderId,
        ticker: &str,
    ) -> Option<Event> {
        match self.find(exchange, client_order_id, ticker)? {
            Some(snapshot) => Some(Event::OrderSnapshot(snapshot)),
            None => Some(Event::OrderNotFound {
                client_order_id: client_order_id.clone(),
            }),
        }
    }

    /// `resolve_unknown`: the newest order of `ticker` carrying `client_order_id`, read as
    /// the REST endpoint serializes it and normalized as the executor does. `None` when the
    /// read or the normalization failed.
    #[allow(clippy::option_option)]
    fn find(
        &mut self,
        exchange: &DetachedExchange,
        client_order_id: &ClientOrderId,
        ticker: &str,
    ) -> Option<Option<kalshi_core::market_data::OrderSnapshot>> {
        let orders = exchange.wire_orders(self.user, Some(ticker), false).ok()?;
        match orders
            .iter()
            .find(|order| order.client_order_id.as_deref() == Some(client_order_id.as_str()))
        {
            Some(order) => normalize::order_snapshot(order).ok().map(Some),
            None => Some(None),
        }
    }
}
