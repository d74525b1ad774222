//! Paper trading (`run-strategy --paper`): the real market-data path drives the engine, and
//! every command goes to the backtest's fill simulator inside the process instead of the
//! exchange (see [`Sequencer::trade_on_paper`]).
//!
//! What differs from a trading run:
//! - only read endpoints are called (exchange status, markets, order books, trades) and the
//!   WebSocket subscribes to public channels only: no order group, no account limits, no
//!   reconciliation read, no cancel-all at the end — a read-only key is enough, and `--live`
//!   needs no `--i-understand-risk`;
//! - the engine starts flat: right after its configuration it gets an empty `Reconciled`,
//!   where a backtest puts it, and the configuration, tuning, reconciliation and exchange
//!   status are stamped with one start time, as a backtest stamps them;
//! - no risk state is restored or kept: a paper run never reads nor writes the risk-state
//!   file, so paper losses cannot HALT a real run and a real HALT does not stop paper runs;
//! - the journal's environment is `paper-<sim|demo|live>`, and a backtest over it keeps the
//!   staleness verdicts the engine saw (`FillSource::Paper`) so it reproduces the run's fills;
//! - at the end the engine cancels its orders inside the simulator, whose pending actions
//!   all run; the account check at the end is the simulator's.

use kalshi_core::events::{ControlCommand, Event};
use kalshi_core::market_data::{ExchangeOrderStatus, OrderSnapshot, PositionSnapshot};
use kalshi_replay::fill_sim::{FillModelConfig, FillSimulator};

use super::super::clock::now_ns;
use super::super::sequencer::Sequencer;
use super::super::shutdown::AccountCheck;

/// Makes `sequencer` trade on paper with the fill model `fill_model`.
pub(super) fn start_paper(
    sequencer: &mut Sequencer,
    fill_model: &FillModelConfig,
) -> anyhow::Result<()> {
    let sim = FillSimulator::new(fill_model.clone())?;
    tracing::info!(
        entry_latency_ms = fill_model.entry_latency_ns / 1_000_000,
        cancel_latency_ms = fill_model.cancel_latency_ns / 1_000_000,
        "PAPER trading: orders go to the in-process fill simulator, never to the exchange"
    );
    sequencer.trade_on_paper(sim);
    Ok(())
}

/// The empty reconciliation a paper run starts from (it holds nothing).
pub(super) fn flat_start() -> Event {
    Event::Reconciled {
        orders: Vec::new(),
        positions: Vec::new(),
    }
}

/// Shutdown of a paper run: the engine cancels its orders, the simulator runs every pending
/// action (the cancels take effect at their due times), and the simulator's book of our
/// orders and the engine's positions are read back as the closing account check.
pub(super) fn shut_down_paper(sequencer: &mut Sequencer) -> anyhow::Result<AccountCheck> {
    sequencer.step(now_ns(), Event::Control(ControlCommand::Shutdown), None)?;
    sequencer.run_paper_actions()?;
    sequencer.end_batch()?;
    Ok(paper_account(sequencer))
}

/// The simulated account: our orders still resting in the simulator, and the engine's
/// non-flat positions.
fn paper_account(sequencer: &Sequencer) -> AccountCheck {
    let resting_ours = sequencer
        .paper_exchange()
        .map(|sim| {
            sim.live_orders()
                .map(|order| OrderSnapshot {
                    order_id: order.order_id.clone(),
                    client_order_id: Some(order.client_order_id.to_string()),
                    ticker: order.ticker.clone(),
                    side: order.side,
                    yes_price: order.price,
                    status: ExchangeOrderStatus::Resting,
                    fill_count: order.filled,
                    remaining_count: order.remaining,
                    initial_count: None,
                    last_update_reason: None,
                    ts_ns: 0,
                })
                .collect()
        })
        .unwrap_or_default();
    let positions = sequencer
        .engine()
        .orders()
        .positions()
        .iter()
        .filter(|(_, position)| position.position.centi() != 0)
        .map(|(ticker, position)| PositionSnapshot {
            ticker: ticker.to_string(),
            position: position.position,
            cost: position.cost,
            realized_pnl: position.realized_pnl,
            fees_paid: position.fees_paid,
        })
        .collect();
    AccountCheck {
        resting_ours,
        resting_foreign: 0,
        positions,
    }
}

/// The run summary of a paper run: marked PAPER on its first line, with a line saying where
/// the fills came from.
pub(super) fn paper_summary(text: &str, fill_model: &FillModelConfig) -> String {
    let mut lines = text.lines();
    let mut out = String::new();
    if let Some(first) = lines.next() {
        out.push_str("PAPER ");
        out.push_str(first);
        out.push('\n');
    }
    out.push_str(&format!(
        "  paper           : no order left the process; fills simulated (latency {} ms \
         entry / {} ms cancel, the backtest's fill model)\n",
        fill_model.entry_latency_ns / 1_000_000,
        fill_model.cancel_latency_ns / 1_000_000
    ));
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_says_paper_on_its_first_line() {
        let text = paper_summary(
            "run r stopped (duration)\n  inputs          : 3\n",
            &FillModelConfig::default(),
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "PAPER run r stopped (duration)");
        assert!(lines[1].contains("no order left the process"), "{text}");
        assert!(lines[1].contains("50 ms entry"), "{text}");
        assert_eq!(lines[2], "  inputs          : 3");
    }
}
