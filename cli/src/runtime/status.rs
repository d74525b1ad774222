//! The periodic status line and the end-of-run figures: markets quoted, open orders, fills,
//! P&L and write-budget headroom, all read from the engine's own state.

use std::collections::BTreeSet;

use kalshi_core::engine::Engine;
use kalshi_core::fixed::{Money, Price};
use kalshi_core::risk::RiskState;

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
    /// Realized P&L after fees.
    pub realized_net: Money,
    /// Fees paid.
    pub fees: Money,
    /// Open positions marked at the book mid (else the last trade).
    pub unrealized: Money,
    /// Markets with a non-zero position.
    pub positions: usize,
    /// Risk state.
    pub risk_state: RiskState,
}

/// Reads the figures from the engine and the sequencer's counters.
pub fn figures(sequencer: &Sequencer) -> StatusFigures {
    let engine = sequencer.engine();
    let mut markets = BTreeSet::new();
    let mut open_orders = 0;
    for record in engine.orders().orders() {
        if record.managed && record.status.may_rest() {
            open_orders += 1;
            markets.insert(record.ticker.as_str());
        }
    }
    let mut realized = Money::ZERO;
    let mut fees = Money::ZERO;
    let mut positions = 0;
    for (_, position) in engine.orders().positions().iter() {
        realized = realized + position.realized_pnl;
        fees = fees + position.fees_paid;
        if position.position.centi() != 0 {
            positions += 1;
        }
    }
    StatusFigures {
        universe: sequencer.quoted().len(),
        markets_quoted: markets.len(),
        open_orders,
        fills: sequencer.counters().fills,
        realized_net: realized - fees,
        fees,
        unrealized: unrealized(engine),
        positions,
        risk_state: engine.risk_state(),
    }
}

/// Open positions valued at the book mid (valid books only), else the last trade price.
pub fn unrealized(engine: &Engine) -> Money {
    let mut total = Money::ZERO;
    for (ticker, position) in engine.orders().positions().iter() {
        if position.position.centi() == 0 {
            continue;
        }
        let Some(state) = engine.universe().by_ticker(ticker) else {
            continue;
        };
        let mark = state
            .book()
            .is_valid()
            .then(|| state.book().mid_micros())
            .flatten()
            .or_else(|| state.last_trade().map(|trade| trade.yes_price.micros()));
        if let Some(mark) = mark.and_then(|micros| Price::from_micros(micros).ok()) {
            total = total + position.unrealized_pnl(mark);
        }
    }
    total
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
        "risk={} universe={} quoting={} open_orders={} fills={} pnl_realized={} \
         pnl_unrealized={} fees={} positions={} write_headroom={}% ({}/{} tokens in 10s)",
        figures.risk_state.as_str(),
        figures.universe,
        figures.markets_quoted,
        figures.open_orders,
        figures.fills,
        figures.realized_net,
        figures.unrealized,
        figures.fees,
        figures.positions,
        headroom,
        write_tokens_10s,
        write_budget_10s
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headroom_is_the_unspent_share_of_the_budget() {
        let figures = StatusFigures {
            universe: 3,
            markets_quoted: 2,
            open_orders: 12,
            fills: 4,
            realized_net: Money::from_micros(1_250_000),
            fees: Money::from_micros(70_000),
            unrealized: Money::from_micros(-300_000),
            positions: 1,
            risk_state: RiskState::Active,
        };
        let line = status_line(&figures, 250, 1000);
        assert!(line.contains("write_headroom=75%"), "{line}");
        assert!(line.contains("open_orders=12"), "{line}");
        assert!(line.contains("quoting=2"), "{line}");
        assert!(status_line(&figures, 5000, 1000).contains("write_headroom=0%"));
        assert!(status_line(&figures, 0, 0).contains("write_headroom=100%"));
    }
}
