//! A lost or replaced socket (see the module documentation of [`super`]): the WebSocket's
//! events are stepped here, `FeedReconnected` journaled ahead of the new socket's first
//! event, and the reconciliation that answers the latest outage stepped.

use super::*;

impl EventLoop {
    /// Steps one WebSocket event. When trading, a lost or replaced socket first journals
    /// `FeedReconnected` (see the module documentation); the first event of a new socket asks
    /// for a fresh REST reconciliation: fills and order updates sent while the socket was down
    /// are not replayed by the exchange.
    pub(super) fn step_ws(&mut self, event: IoEvent) -> anyhow::Result<()> {
        self.guard_lag(event.recv_ts_ns)?;
        let new_socket = event.generation > self.ws_generation && self.ws_generation > 0;
        let lost = matches!(
            &event.event,
            Event::BookInvalidated {
                reason: BookInvalidation::Reconnect,
                ..
            }
        );
        if lost {
            self.ws_health.observe(self.ws.stats());
        }
        if self.reconcile_wanted.is_some() && (lost || new_socket) && !self.outage_open {
            tracing::warn!(
                generation = event.generation,
                "WebSocket connection lost; new orders held until the account is reconciled"
            );
            self.sequencer
                .step_batched(event.recv_ts_ns, Event::FeedReconnected, None)?;
            self.outage_open = true;
            self.outage_epoch += 1;
            self.outage_since_ns.get_or_insert(event.recv_ts_ns);
        }
        if event.generation > self.ws_generation {
            self.ws_generation = event.generation;
            if new_socket && let Some(wanted) = &self.reconcile_wanted {
                tracing::warn!(
                    generation = event.generation,
                    ticket = self.outage_epoch,
                    "WebSocket reconnected; reconciling over REST"
                );
                self.outage_open = false;
                wanted.send_replace(ReconcileRequest {
                    ticket: self.outage_epoch,
                    fills_min_ts_s: self.outage_since_ns.map(fills_min_ts_s),
                });
            }
        }
        self.sequencer
            .step_batched(event.recv_ts_ns, event.event, event.raw_frame)?;
        Ok(())
    }

    /// Steps a reconciliation read for `ticket` (missed fills, then `Reconciled`) if it
    /// answers the latest outage; an older one could predate it and is dropped.
    pub(super) fn step_reconciliation(
        &mut self,
        ticket: u64,
        recv_ts_ns: i64,
        events: Vec<Event>,
    ) -> anyhow::Result<()> {
        if ticket != self.outage_epoch || self.outage_open || ticket <= self.reconciled_epoch {
            tracing::debug!(
                ticket,
                latest = self.outage_epoch,
                "stale reconciliation dropped"
            );
            return Ok(());
        }
        self.reconciled_epoch = ticket;
        self.outage_since_ns = None;
        tracing::info!(
            ticket,
            fills_read = events.len().saturating_sub(1),
            "reconciled after reconnect; new orders allowed again"
        );
        self.step_all(recv_ts_ns, events)
    }
}
