//! The run's Prometheus exposition, built from the loop's counters between batches.

use super::super::status::StatusFigures;
use super::*;

impl EventLoop {
    /// The Prometheus text of the run right now ([`super::metrics`]).
    pub fn metrics_text(&mut self) -> String {
        let figures = figures(&self.sequencer);
        let (tokens, budget) = self.write_tokens();
        let mut m = Exposition::default();
        self.run_counters(&mut m);
        self.labelled_counters(&mut m);
        figure_gauges(&mut m, &figures);
        m.single(
            "write_tokens_10s",
            "gauge",
            "Write tokens spent in the last 10 s.",
            tokens,
        );
        m.single(
            "write_budget_10s",
            "gauge",
            "Write tokens the budget allows per 10 s.",
            budget,
        );
        m.single(
            "input_lag_ms_max",
            "gauge",
            "Oldest input age seen since the last status line, ms.",
            self.lag.peek_lag_ms_max(),
        );
        self.latency_histograms(&mut m);
        m.finish()
    }

    /// The run's counters: inputs, commands, fills, alerts.
    fn run_counters(&self, m: &mut Exposition) {
        let counters = self.sequencer.counters().clone();
        for (name, help, value) in [
            (
                "inputs_total",
                "Inputs journaled and processed.",
                counters.inputs,
            ),
            (
                "orders_placed_total",
                "Place commands sent.",
                counters.places,
            ),
            (
                "orders_post_only_total",
                "Post-only place commands sent.",
                counters.post_only_places,
            ),
            ("cancels_total", "Cancel commands sent.", counters.cancels),
            (
                "amends_total",
                "Amend and decrease commands sent.",
                counters.modifies,
            ),
            ("lookups_total", "Order lookups sent.", counters.lookups),
            (
                "refused_locally_total",
                "Commands refused locally (exec queue).",
                counters.refused_locally,
            ),
            (
                "rejections_total",
                "Exchange rejections.",
                counters.rejections,
            ),
            ("fills_total", "Fills applied.", counters.fills),
            (
                "stale_episodes_total",
                "Times the inputs went stale.",
                self.lag.stale_episodes(),
            ),
            (
                "model_accepted_total",
                "Model values journaled.",
                self.model_counters.accepted,
            ),
        ] {
            m.single(name, "counter", help, value);
        }
        let (alerts_raised, alerts_dropped) = self.sequencer.alert_counts();
        m.single(
            "alerts_raised_total",
            "counter",
            "Alerts queued for the hook.",
            alerts_raised,
        );
        m.single(
            "alerts_dropped_total",
            "counter",
            "Alerts dropped because the hook was busy.",
            alerts_dropped,
        );
        m.single(
            "filled_contracts_total",
            "counter",
            "Contracts filled.",
            counters.filled,
        );
    }

    /// Counters by label (model refusals, operator controls) and the WebSocket's.
    fn labelled_counters(&mut self, m: &mut Exposition) {
        m.family(
            "model_refused_total",
            "counter",
            "Model lines refused, by reason.",
        );
        for reason in [
            Refusal::Malformed,
            Refusal::OutOfRange,
            Refusal::UnknownTicker,
            Refusal::Stale,
            Refusal::Future,
        ] {
            let count = self
                .model_counters
                .refused
                .get(&reason)
                .copied()
                .unwrap_or(0);
            m.sample("model_refused_total", &[("reason", reason.as_str())], count);
        }
        m.family(
            "operator_controls_total",
            "counter",
            "Operator controls journaled, by command.",
        );
        for command in ["halt", "resume", "kill", "set"] {
            let count = self.operator_controls.get(command).copied().unwrap_or(0);
            m.sample("operator_controls_total", &[("command", command)], count);
        }
        let ws = self.ws_health().clone();
        for (name, help, value) in [
            (
                "ws_reconnects_total",
                "WebSocket reconnects.",
                ws.reconnects(),
            ),
            ("ws_gaps_total", "WebSocket sequence gaps.", ws.gaps()),
            ("ws_resets_total", "WebSocket book resets.", ws.resets()),
            (
                "ws_undecodable_total",
                "WebSocket frames that did not decode.",
                ws.undecodable(),
            ),
        ] {
            m.single(name, "counter", help, value);
        }
    }

    /// The latency histograms, and the drift monitor's figures when it runs.
    fn latency_histograms(&self, m: &mut Exposition) {
        m.histogram(
            "input_age_seconds",
            "Age of an input when the engine takes it up: arrival to decision.",
            &self.input_age,
        );
        m.histogram(
            "decision_to_request_seconds",
            "A command's wait from the step that decided it (journal committed) to its request \
             leaving: the exec worker's queue and the rate limiter.",
            &self.decision_to_request,
        );
        m.histogram(
            "request_to_ack_seconds",
            "A request's round trip: sent to the exchange's answer (ack, rejection or error) read.",
            &self.request_to_answer,
        );
        m.histogram(
            "step_seconds",
            "Time of one sequencer step: journal the input, process it, journal the outputs.",
            self.sequencer.step_time(),
        );
        if let Some(drift) = self.sequencer.drift_report() {
            drift_metrics(m, &drift);
        }
    }
}

/// The engine's state as gauges: universe, orders, positions, P&L, risk state, quoting hold.
fn figure_gauges(m: &mut Exposition, figures: &StatusFigures) {
    for (name, help, value) in [
        (
            "universe_markets",
            "Markets in the quoted universe.",
            figures.universe,
        ),
        (
            "quoting_markets",
            "Markets with an order of ours that may rest.",
            figures.markets_quoted,
        ),
        (
            "open_orders",
            "Orders of ours that may rest.",
            figures.open_orders,
        ),
        (
            "positions",
            "Markets with a non-zero position.",
            figures.positions,
        ),
    ] {
        m.single(name, "gauge", help, value);
    }
    for (name, help, money) in [
        (
            "pnl_realized_net_micros",
            "Realized P&L net of fees, micro-dollars.",
            figures.pnl.realized_net,
        ),
        (
            "pnl_unrealized_micros",
            "Unrealized P&L at the engine's marks, micro-dollars.",
            figures.pnl.unrealized,
        ),
        ("fees_micros", "Fees paid, micro-dollars.", figures.pnl.fees),
        (
            "pnl_total_micros",
            "Total P&L, micro-dollars.",
            figures.pnl.total,
        ),
    ] {
        m.single(name, "gauge", help, money.micros());
    }
    m.family("risk_state", "gauge", "1 for the risk state in force.");
    for state in [RiskState::Active, RiskState::Reducing, RiskState::Halted] {
        let value = u8::from(figures.risk_state == state);
        m.sample("risk_state", &[("state", state.as_str())], value);
    }
    m.family(
        "quoting_hold",
        "gauge",
        "1 for the hold on quoting in force (none: 0 everywhere).",
    );
    for hold in [
        QuotingHold::FillBurst,
        QuotingHold::AwaitingReconciliation,
        QuotingHold::StaleData,
    ] {
        let value = u8::from(figures.quoting_hold == Some(hold));
        m.sample("quoting_hold", &[("hold", hold.as_str())], value);
    }
}

/// The drift monitor's figures (`kalshi_bot_drift_*`); ratios in ppm, -1 while undefined.
fn drift_metrics(m: &mut Exposition, drift: &kalshi_replay::drift::DriftReport) {
    for (name, help, value) in [
        (
            "drift_fill_precision_ppm",
            "Shadow fills matched by a real fill / shadow fills, ppm (-1: no shadow fill yet).",
            drift.precision_ppm.unwrap_or(-1),
        ),
        (
            "drift_fill_recall_ppm",
            "Real fills the shadow also produced / real fills, ppm (-1: no real fill yet).",
            drift.recall_ppm.unwrap_or(-1),
        ),
        (
            "drift_fill_time_error_p50_ms",
            "Median |shadow first fill - real first fill| of an order, ms (-1: none yet).",
            drift.fill_time_abs_error_p50_ms.unwrap_or(-1),
        ),
        (
            "drift_queue_error_p50_centi",
            "Median |modelled - exchange| queue ahead, centi-contracts.",
            drift.queue_abs_error_p50.centi(),
        ),
        (
            "drift_queue_error_p90_centi",
            "90th percentile |modelled - exchange| queue ahead, centi-contracts.",
            drift.queue_abs_error_p90.centi(),
        ),
    ] {
        m.single(name, "gauge", help, value);
    }
    m.single(
        "drift_queue_reads_total",
        "counter",
        "Queue-position rows compared with the shadow.",
        drift.queue_samples,
    );
}
