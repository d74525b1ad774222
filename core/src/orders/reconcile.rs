//! Reconciliation at startup and after a reconnect: the exchange's list of our orders and
//! positions replaces what the books believed.

use std::collections::BTreeSet;

use super::{Effects, InFlight, OrderManager, OrderStatus, TransitionCause};
use crate::fixed::{Count, SignedCount};
use crate::market_data::{OrderSnapshot, PositionSnapshot};
pub use crate::vocab::orders::ReconcileSummary;

impl OrderManager {
    /// Startup/reconnect reconciliation: adopt the exchange's orders and positions; orders the
    /// engine thought resting that the exchange no longer lists are marked cancelled. Creates
    /// still in flight are left to their own answer.
    pub fn reconcile(
        &mut self,
        orders: &[OrderSnapshot],
        positions: &[PositionSnapshot],
    ) -> (ReconcileSummary, Effects) {
        let mut summary = ReconcileSummary::default();
        let mut effects = Effects::default();
        let mut listed: BTreeSet<String> = BTreeSet::new();
        for snapshot in orders {
            let known = self.key_for(snapshot.client_order_id.as_deref(), &snapshot.order_id);
            let mut step = self.on_snapshot(snapshot, TransitionCause::Snapshot);
            if known.is_none() {
                for transition in &step.transitions {
                    if self
                        .orders
                        .get(&transition.key)
                        .is_some_and(|record| record.managed)
                    {
                        summary.adopted += 1;
                    } else {
                        summary.foreign += 1;
                    }
                }
            }
            if let Some(key) = self.key_for(snapshot.client_order_id.as_deref(), &snapshot.order_id)
            {
                listed.insert(key);
            }
            effects.transitions.append(&mut step.transitions);
            effects.commands.append(&mut step.commands);
        }
        let live_keys: Vec<String> = self.index.live.iter().cloned().collect();
        for key in &live_keys {
            let Some(record) = self.orders.get_mut(key) else {
                continue;
            };
            let live = matches!(
                record.status,
                OrderStatus::Resting | OrderStatus::PartiallyFilled | OrderStatus::Unknown
            );
            if live && !listed.contains(key) && record.in_flight != Some(InFlight::Place) {
                record.remaining = Count::ZERO;
                record.in_flight = None;
                summary.missing += 1;
                effects.transitions.extend(Self::transition(
                    &mut self.index,
                    record,
                    key,
                    OrderStatus::Cancelled,
                    TransitionCause::ReconcileMissing,
                ));
                self.refresh(key);
            }
        }
        let reported: BTreeSet<&str> = positions
            .iter()
            .map(|position| position.ticker.as_str())
            .collect();
        let stale: Vec<String> = self
            .positions
            .iter()
            .filter(|(ticker, position)| {
                position.position.centi() != 0 && !reported.contains(ticker)
            })
            .map(|(ticker, _)| ticker.to_string())
            .collect();
        for ticker in stale {
            self.change_position(&ticker, |ledger| {
                ledger.correct_position(&ticker, SignedCount::ZERO);
            });
        }
        for position in positions {
            self.change_position(&position.ticker, |ledger| ledger.adopt_snapshot(position));
            summary.positions += 1;
        }
        self.evict_archived();
        (summary, effects)
    }
}
