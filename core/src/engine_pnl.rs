//! The P&L of a running engine: joins the engine (which marks its loss limits with
//! [`crate::pnl::live_mark`]) and the one P&L definition in [`crate::pnl`], so neither of
//! the two imports the other.

use crate::engine::Engine;
use crate::pnl::{PnlBreakdown, mark_price};

impl PnlBreakdown {
    /// The P&L of `engine`'s positions, each marked by [`crate::pnl::mark`] over the engine's state of
    /// its market (a market the engine does not know is unmarked).
    pub fn of_engine(engine: &Engine) -> PnlBreakdown {
        PnlBreakdown::of_ledger(engine.orders().positions(), |ticker| {
            engine.universe().by_ticker(ticker).and_then(mark_price)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_engine_has_zero_pnl() {
        assert_eq!(
            PnlBreakdown::of_engine(&Engine::new()),
            PnlBreakdown::default()
        );
    }
}
