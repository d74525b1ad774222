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
//!   all run; the account check at the end is the simulator's (`shutdown/paper.rs`).

use kalshi_core::events::Event;
use kalshi_replay::fill_sim::{FillModelConfig, FillSimulator};

use super::super::sequencer::Sequencer;

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
