//! The periodic status line and the end-of-run figures: markets quoted, open orders, fills,
//! P&L and write-budget headroom, all read from the engine's own state; and the WebSocket's
//! health (reconnects, sequence gaps, resets, undecodable frames, abandoned markets) summed
//! over every socket of the run.

use std::collections::BTreeSet;

use kalshi_core::engine::Engine;
use kalshi_core::pnl::PnlBreakdown;
use kalshi_core::risk::RiskState;
use kalshi_io::data_ws::WsStats;

use super::sequencer::Sequencer;

/// A snapshot of the run's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusFigures {
    /// Markets in the quoted universe.
    pub universe: usize,
    /// Markets where we have an order that may rest.
    pub markets_quoted: usize,
    /// Our orders that may rest.
    pub open_orders: usize,
    /// Fills applied.
    pub fills: u64,
    /// P&L by the one definition ([`PnlBreakdown::of_engine`]): realized net of fees, fees,
    /// unrealized at the engine's marks, total.
    pub pnl: PnlBreakdown,
    /// Markets with a non-zero position.
    pub positions: usize,
    /// What the risk gate lets through now: everything, only reductions, or only cancels.
    pub risk_state: RiskState,
    /// Why quoting is held while risk is otherwise active, if it is.
    pub quoting_hold: Option<QuotingHold>,
    /// A paper run: its orders and fills are simulated, nothing reaches the exchange.
    pub paper: bool,
}

/// A stop on quoting that is not a risk state: it lifts by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotingHold {
    /// The fill-burst breaker is tripped: every quote was cancelled, quoting resumes once the
    /// cooldown has passed and the window's fills are below the threshold.
    FillBurst,
    /// The market-data feed reconnected: no new order until the books and orders are
    /// reconciled.
    AwaitingReconciliation,
    /// The inputs are older than `runtime.stale_after_ms`: every quote is withdrawn until
    /// the runtime catches up.
    StaleData,
}

impl QuotingHold {
    /// The hold as the status line names it.
    pub fn as_str(self) -> &'static str {
        match self {
            QuotingHold::FillBurst => "fill_burst",
            QuotingHold::AwaitingReconciliation => "awaiting_reconciliation",
            QuotingHold::StaleData => "stale_data",
        }
    }

    /// The hold of `engine` right now, if any (the fill-burst breaker first, then stale data).
    pub fn of(engine: &Engine) -> Option<QuotingHold> {
        if engine.fill_burst_tripped() {
            Some(QuotingHold::FillBurst)
        } else if engine.data_stale() {
            Some(QuotingHold::StaleData)
        } else if engine.awaiting_reconciliation() {
            Some(QuotingHold::AwaitingReconciliation)
        } else {
            None
        }
    }
}

/// Reads the figures from the engine and the sequencer's counters.
pub fn figures(sequencer: &Sequencer) -> StatusFigures {
    let engine = sequencer.engine();
    let mut markets = BTreeSet::new();
    let mut open_orders = 0;
    for record in engine.orders().live_orders() {
        if record.managed && record.status.may_rest() {
            open_orders += 1;
            markets.insert(record.ticker.as_str());
        }
    }
    let positions = engine
        .orders()
        .positions()
        .iter()
        .filter(|(_, position)| position.position.centi() != 0)
        .count();
    StatusFigures {
        universe: sequencer.quoted().len(),
        markets_quoted: markets.len(),
        open_orders,
        fills: sequencer.counters().fills,
        pnl: PnlBreakdown::of_engine(engine),
        positions,
        risk_state: engine.risk_state(),
        quoting_hold: QuotingHold::of(engine),
        paper: sequencer.is_paper(),
    }
}

/// One status line.
pub fn status_line(
    figures: &StatusFigures,
    write_tokens_10s: u64,
    write_budget_10s: u64,
) -> String {
    let headroom = write_tokens_10s
        .saturating_mul(100)
        .checked_div(write_budget_10s)
        .map_or(100, |used| 100u64.saturating_sub(used));
    format!(
        "risk={} hold={} universe={} quoting={} open_orders={} fills={} pnl_realized={} \
         pnl_unrealized={} fees={} pnl_total={} positions={} write_headroom={}% ({}/{} tokens in 10s)",
        figures.risk_state.as_str(),
        figures.quoting_hold.map_or("none", QuotingHold::as_str),
        figures.universe,
        figures.markets_quoted,
        figures.open_orders,
        figures.fills,
        figures.pnl.realized_net.dollars(),
        figures.pnl.unrealized.dollars(),
        figures.pnl.fees.dollars(),
        figures.pnl.total.dollars(),
        figures.positions,
        headroom,
        write_tokens_10s,
        write_budget_10s
    )
}

/// The status line's figures as JSON (`kalshi-bot ctl status`): money as exact micro-dollars
/// and as the line's dollar text.
pub fn status_json(
    figures: &StatusFigures,
    write_tokens_10s: u64,
    write_budget_10s: u64,
) -> serde_json::Value {
    let money = |amount: kalshi_core::fixed::Money| {
        serde_json::json!({
            "micros": amount.micros(),
            "dollars": amount.dollars().to_string(),
        })
    };
    serde_json::json!({
        "paper": figures.paper,
        "risk": figures.risk_state.as_str(),
        "hold": figures.quoting_hold.map_or("none", QuotingHold::as_str),
        "universe": figures.universe,
        "quoting": figures.markets_quoted,
        "open_orders": figures.open_orders,
        "fills": figures.fills,
        "pnl_realized": money(figures.pnl.realized_net),
        "pnl_unrealized": money(figures.pnl.unrealized),
        "fees": money(figures.pnl.fees),
        "pnl_total": money(figures.pnl.total),
        "positions": figures.positions,
        "write_tokens_10s": write_tokens_10s,
        "write_budget_10s": write_budget_10s,
        "line": status_line(figures, write_tokens_10s, write_budget_10s),
    })
}

/// WebSocket health over the whole run. `WsHandle::stats` counts per socket; this adds up the
/// sockets that came before (each one's last sample).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WsHealth {
    finished: WsStats,
    current: WsStats,
}

impl WsHealth {
    /// Takes a new sample of the current socket's counters.
    pub fn observe(&mut self, sample: WsStats) {
        if sample.generation > self.current.generation {
            let done = std::mem::take(&mut self.current);
            self.finished.decode_failures += done.decode_failures;
            self.finished.unknown_frames += done.unknown_frames;
            self.finished.sequence_gaps += done.sequence_gaps;
            self.finished.sequence_resets += done.sequence_resets;
        }
        if sample.generation >= self.current.generation {
            self.current = sample;
        }
    }

    /// Reconnects so far (sockets after the first).
    pub fn reconnects(&self) -> u64 {
        self.current.generation.saturating_sub(1)
    }

    /// Forward sequence gaps (each one resyncs the books of its subscription).
    pub fn gaps(&self) -> u64 {
        self.finished.sequence_gaps + self.current.sequence_gaps
    }

    /// Sequence resets (numbering restarted or wrapped; each resyncs).
    pub fn resets(&self) -> u64 {
        self.finished.sequence_resets + self.current.sequence_resets
    }

    /// Frames that could not be decoded (each resyncs every book).
    pub fn undecodable(&self) -> u64 {
        self.finished.decode_failures + self.current.decode_failures
    }

    /// Markets given up on after repeated failed resyncs (current socket).
    pub fn abandoned(&self) -> usize {
        self.current.abandoned_markets.len()
    }

    /// The status-line fragment, e.g. `ws: reconnects=1 gaps=2 resets=0 undecodable=0
    /// abandoned=0`.
    pub fn line(&self) -> String {
        format!(
            "ws: reconnects={} gaps={} resets={} undecodable={} abandoned={}",
            self.reconnects(),
            self.gaps(),
            self.resets(),
            self.undecodable(),
            self.abandoned()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kalshi_core::fixed::Money;

    #[test]
    fn websocket_health_adds_up_every_socket_of_the_run() {
        let mut health = WsHealth::default();
        assert_eq!(
            health.line(),
            "ws: reconnects=0 gaps=0 resets=0 undecodable=0 abandoned=0"
        );
        let sample = |generation, gaps, resets, decode_failures, abandoned: &[&str]| WsStats {
            generation,
            decode_failures,
            unknown_frames: 0,
            sequence_gaps: gaps,
            sequence_resets: resets,
            abandoned_markets: abandoned.iter().map(|m| m.to_string()).collect(),
        };
        health.observe(sample(1, 1, 0, 0, &[]));
        health.observe(sample(1, 3, 1, 2, &["A"]));
        // A new socket starts its own counters; the old socket's last sample is kept.
        health.observe(sample(2, 1, 0, 0, &[]));
        assert_eq!(health.reconnects(), 1);
        assert_eq!(health.gaps(), 4);
        assert_eq!(health.resets(), 1);
        assert_eq!(health.undecodable(), 2);
        assert_eq!(health.abandoned(), 0);
        // A late sample of an older socket changes nothing.
        health.observe(sample(1, 9, 9, 9, &["B"]));
        assert_eq!(
            health.line(),
            "ws: reconnects=1 gaps=4 resets=1 undecodable=2 abandoned=0"
        );
    }

    #[test]
    fn headroom_is_the_unspent_share_of_the_budget() {
        let figures = StatusFigures {
            universe: 3,
            markets_quoted: 2,
            open_orders: 12,
            fills: 4,
            pnl: PnlBreakdown {
                realized_net: Money::from_micros(1_250_000),
                fees: Money::from_micros(70_000),
                unrealized: Money::from_micros(-300_000),
                total: Money::from_micros(950_000),
            },
            positions: 1,
            risk_state: RiskState::Active,
            quoting_hold: None,
            paper: false,
        };
        let line = status_line(&figures, 250, 1000);
        assert!(line.contains("risk=ACTIVE hold=none"), "{line}");
        assert!(line.contains("write_headroom=75%"), "{line}");
        assert!(line.contains("open_orders=12"), "{line}");
        assert!(line.contains("quoting=2"), "{line}");
        assert!(
            line.contains(
                "pnl_realized=$1.25 pnl_unrealized=-$0.30 fees=$0.07 pnl_total=$0.95 positions=1"
            ),
            "{line}"
        );
        assert!(status_line(&figures, 5000, 1000).contains("write_headroom=0%"));
        assert!(status_line(&figures, 0, 0).contains("write_headroom=100%"));
        let held = StatusFigures {
            quoting_hold: Some(QuotingHold::FillBurst),
            ..figures
        };
        assert!(status_line(&held, 0, 0).contains("risk=ACTIVE hold=fill_burst"));
        assert_eq!(status_json(&figures, 0, 0)["paper"], false);
        let paper = StatusFigures {
            paper: true,
            ..figures
        };
        let json = status_json(&paper, 0, 0);
        assert_eq!(json["paper"], true, "{json}");
        assert_eq!(json["pnl_total"]["micros"], 950_000, "{json}");
    }

    #[test]
    fn a_reconnect_shows_as_a_hold_until_reconciled() {
        use kalshi_core::events::{Envelope, Event};
        let mut engine = Engine::new();
        assert_eq!(QuotingHold::of(&engine), None);
        let step = |engine: &mut Engine, seq: u64, event: Event| {
            engine.process(&Envelope {
                seq,
                ts_ns: 1_000,
                event,
            });
        };
        step(&mut engine, 1, Event::FeedReconnected);
        assert_eq!(
            QuotingHold::of(&engine),
            Some(QuotingHold::AwaitingReconciliation)
        );
        step(
            &mut engine,
            2,
            Event::Reconciled {
                orders: Vec::new(),
                positions: Vec::new(),
            },
        );
        assert_eq!(QuotingHold::of(&engine), None);
    }
}
