//! The drift monitor's place in the sequencer: it is fed every input and command exactly as
//! journaled, in journal order ([`kalshi_replay::drift`]).

use kalshi_core::commands::Command;

use super::Sequencer;

impl Sequencer {
    /// From now on every input and command also feeds `monitor` (see
    /// [`kalshi_replay::drift`]); it sees exactly what the journal holds, in journal order.
    pub fn set_drift_monitor(&mut self, monitor: kalshi_replay::drift::DriftMonitor) {
        self.drift = Some(monitor);
    }

    /// The drift figures so far (`None` without a monitor).
    pub fn drift_report(&self) -> Option<kalshi_replay::drift::DriftReport> {
        self.drift.as_ref().map(|monitor| monitor.report())
    }

    /// Markets where the drift monitor knows resting orders of ours, for its queue reads.
    pub fn drift_markets(&self) -> Vec<String> {
        self.drift
            .as_ref()
            .map(kalshi_replay::drift::DriftMonitor::resting_tickers)
            .unwrap_or_default()
    }

    /// Runs the shadow's actions due by the last input's time (at the end of the run, so its final figures
    /// are the ones `kalshi-bot drift --journal` computes).
    pub fn settle_drift(&mut self) {
        let ts_ns = self.stepper.last_ts_ns();
        if let Some(monitor) = self.drift.as_mut()
            && let Err(error) = monitor.run_due(ts_ns)
        {
            tracing::warn!(error = %error, "drift monitor stopped");
            self.drift = None;
        }
    }

    /// Feeds the drift monitor one step; a monitor that fails is dropped with a warning (it
    /// never stops a run).
    pub(super) fn observe_drift(
        &mut self,
        envelope: &kalshi_core::events::Envelope,
        commands: &[Command],
    ) {
        let Some(monitor) = self.drift.as_mut() else {
            return;
        };
        let result = monitor.on_input(envelope);
        for command in commands {
            monitor.on_command(command);
        }
        if let Err(error) = result {
            tracing::warn!(error = %error, "drift monitor stopped");
            self.drift = None;
        }
    }
}
