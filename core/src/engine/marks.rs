//! Marking: each open position's P&L at its live mark, kept as a running total that one
//! market's book change updates in O(1), and the daily loss check that reads it.

use super::*;

impl Engine {
    /// Marked P&L of every open position, from the running total.
    pub(super) fn unrealized_pnl(&self) -> Money {
        debug_assert_eq!(self.marked_pnl_total, self.unrealized_pnl_walk());
        self.marked_pnl_total
    }

    /// The marked P&L of market `index`'s position: `None` when flat (or unknown); zero when
    /// held but with no mark (no valid book and no trade).
    pub(super) fn marked_pnl_of(&self, index: MarketIndex) -> Option<Money> {
        let state = self.universe.get(index)?;
        let position = self.orders.positions().get(state.ticker());
        if position.position.centi() == 0 {
            return None;
        }
        Some(live_mark(state).map_or(Money::ZERO, |(mark, _)| position.unrealized_pnl(mark)))
    }

    /// Re-marks market `index` (O(1) in the number of markets); true when its marked P&L
    /// changed.
    pub(super) fn remark(&mut self, index: MarketIndex) -> bool {
        let next = self.marked_pnl_of(index);
        let previous = self.markets.get(index).and_then(|slot| slot.marked_pnl);
        if next == previous {
            return false;
        }
        self.marked_pnl_total =
            self.marked_pnl_total - previous.unwrap_or(Money::ZERO) + next.unwrap_or(Money::ZERO);
        self.markets.slot(index).marked_pnl = next;
        previous.unwrap_or(Money::ZERO) != next.unwrap_or(Money::ZERO)
    }

    /// After a book (or trade) change in market `index`: when we hold a position there and its
    /// mark moved, the daily loss thresholds are applied in this same step.
    pub(super) fn remark_after_book_change(&mut self, index: MarketIndex, out: &mut Output) {
        let held = self
            .markets
            .get(index)
            .is_some_and(|slot| slot.marked_pnl.is_some());
        if held && self.remark(index) {
            self.check_loss(out);
        }
    }

    /// Re-marks every open position from scratch (positions adopted or listed wholesale).
    pub(super) fn remark_all(&mut self) {
        for slot in self.markets.slots_mut() {
            slot.marked_pnl = None;
        }
        self.marked_pnl_total = Money::ZERO;
        let held: Vec<MarketIndex> = self
            .orders
            .positions()
            .iter()
            .filter(|(_, position)| position.position.centi() != 0)
            .filter_map(|(ticker, _)| self.universe.index_of(ticker))
            .collect();
        for index in held {
            self.remark(index);
        }
    }

    /// [`Engine::unrealized_pnl`] by walking every position (the reference the running total
    /// is checked against).
    pub(super) fn unrealized_pnl_walk(&self) -> Money {
        let mut total = Money::ZERO;
        for (ticker, position) in self.orders.positions().iter() {
            if position.position.centi() == 0 {
                continue;
            }
            let Some(state) = self.universe.by_ticker(ticker) else {
                continue;
            };
            if let Some((mark, _)) = live_mark(state) {
                total = total + position.unrealized_pnl(mark);
            }
        }
        total
    }

    pub(super) fn check_loss(&mut self, out: &mut Output) {
        if let Some(record) = self.risk.check_loss(self.unrealized_pnl()) {
            self.bump_requote_epoch();
            out.decide(Decision::RiskState(record));
            if record.state == RiskState::Halted {
                self.markets.clear_desired();
                out.commands.extend(self.orders.cancel_orders(None));
            }
        }
    }
}
