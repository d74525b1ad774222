//! The end of a paper run (`run-strategy --paper`, see `startup/paper.rs`): the engine
//! cancels its orders inside the fill simulator, whose pending actions all run; the closing
//! account check is the simulator's, and the summary is marked PAPER.

use kalshi_core::events::{ControlCommand, Event};
use kalshi_core::market_data::{ExchangeOrderStatus, OrderSnapshot, PositionSnapshot};
use kalshi_replay::fill_sim::FillModelConfig;

use super::super::clock::now_ns;
use super::super::sequencer::Sequencer;
use super::account::AccountCheck;

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
