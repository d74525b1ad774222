//! Alerts a run raises from its steps: HALTs, fill-burst trips and feed outages.

use kalshi_core::decision::Decision;
use kalshi_core::events::Event;
use kalshi_core::risk::RiskState;

use super::Sequencer;

impl Sequencer {
    /// From now on HALTs, fill-burst trips and feed outages raise alerts through `alerter`;
    /// a feed outage (a lost socket awaiting reconciliation, or stale inputs) only once it has
    /// lasted `outage_alert_after` (0: at once).
    pub fn set_alerter(
        &mut self,
        alerter: crate::runtime::alerts::Alerter,
        outage_alert_after: std::time::Duration,
    ) {
        self.alerter = Some(alerter);
        self.outages = crate::runtime::alerts::OutageWatch::new(outage_alert_after);
    }

    /// Raises a feed-outage alert when [`crate::runtime::alerts::OutageWatch`] says one is due.
    pub(super) fn alert_input(&mut self, event: &Event, seq: u64, ts_ns: i64) {
        let Some(alerter) = &self.alerter else {
            return;
        };
        if let Some((reason, lasted_ns)) = self.outages.observe(event, ts_ns) {
            alerter.raise(
                crate::runtime::alerts::AlertKind::FeedOutage,
                reason,
                ts_ns,
                serde_json::json!({
                    "seq": seq,
                    "lasted_ms": lasted_ns / 1_000_000,
                    "input": event.to_string(),
                }),
            );
        }
    }

    /// Raises the alerts a decision calls for (HALT, fill-burst trip).
    pub(super) fn alert_decision(&self, decision: &Decision, ts_ns: i64) {
        let Some(alerter) = &self.alerter else {
            return;
        };
        match decision {
            Decision::RiskState(record) if record.state == RiskState::Halted => {
                let reason = serde_json::to_value(record.reason)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("{:?}", record.reason));
                alerter.raise(
                    crate::runtime::alerts::AlertKind::Halt,
                    reason,
                    ts_ns,
                    serde_json::json!({
                        "state": record.state.as_str(),
                        "day_realized_net_micros": record.day_realized_net.micros(),
                    }),
                );
            }
            Decision::FillBurst(record)
                if record.state == kalshi_core::fill_burst::FillBurstState::Tripped =>
            {
                alerter.raise(
                    crate::runtime::alerts::AlertKind::FillBurst,
                    "fill_burst",
                    ts_ns,
                    serde_json::json!({
                        "window_contracts": record.window_contracts.to_string(),
                        "threshold": record.threshold.to_string(),
                        "window_ms": record.window_ms,
                        "cooldown_until_ts_ns": record.cooldown_until_ts_ns,
                    }),
                );
            }
            _ => {}
        }
    }
}
