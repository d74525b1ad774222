//! The one P&L definition every view uses (run summary, status line, ledger, backtest report,
//! audit), and the one way money is printed.
//!
//! - **Realized (net)** = P&L of closed contracts (a YES and a NO together pay $1) minus every
//!   fee paid, open or closed: `Σ realized_pnl − Σ fees_paid`.
//! - **Fees** = every fee paid, shown separately (already inside realized net).
//! - **Unrealized** = open contracts valued at the mark minus what they cost. The mark of a
//!   market is [`mark`]: the settlement price once the result is known (YES $1, NO $0, a
//!   scalar its value), else the mid of a valid book, else the last public trade, else none
//!   (an unmarked position counts zero unrealized). The engine's loss limits keep their own
//!   mark (mid, else last trade) so its outputs do not change; the two differ only once a
//!   held market's result is known.
//! - **Total** = realized net + unrealized.
//!
//! The engine's own P&L (`PnlBreakdown::of_engine`) is in `engine_pnl.rs`, so this module
//! never imports the engine that imports [`live_mark`] from it.
//!
//! Money is printed by [`Money::dollars`]: sign first, then `$`, 2 to 4 decimals
//! (`-$0.48`, `$12.3456`, `$0.00`). Display only: values stay exact micro-dollars, and a
//! remainder below $0.0001 is rounded half away from zero for the text alone.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fixed::{MICROS_PER_DOLLAR, Money, Price};
use crate::market_data::MarketResult;
use crate::market_state::MarketState;
use crate::orders::{MarketPosition, PositionLedger};

/// P&L split into its parts, all exact micro-dollars. `total = realized_net + unrealized`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PnlBreakdown {
    /// Closed-position P&L minus all fees paid.
    pub realized_net: Money,
    /// Fees paid (included in `realized_net`).
    pub fees: Money,
    /// Open positions at the mark minus their cost.
    pub unrealized: Money,
    /// `realized_net + unrealized`.
    pub total: Money,
}

impl PnlBreakdown {
    /// The P&L of one market's position at `mark` (`None`: unmarked, zero unrealized).
    pub fn of_position(position: &MarketPosition, mark: Option<Price>) -> PnlBreakdown {
        let realized_net = position.realized_pnl - position.fees_paid;
        let unrealized = if position.position.centi() == 0 {
            Money::ZERO
        } else {
            mark.map_or(Money::ZERO, |mark| position.unrealized_pnl(mark))
        };
        PnlBreakdown {
            realized_net,
            fees: position.fees_paid,
            unrealized,
            total: realized_net + unrealized,
        }
    }

    /// The sum of two breakdowns.
    pub fn plus(self, other: PnlBreakdown) -> PnlBreakdown {
        PnlBreakdown {
            realized_net: self.realized_net + other.realized_net,
            fees: self.fees + other.fees,
            unrealized: self.unrealized + other.unrealized,
            total: self.total + other.total,
        }
    }

    /// The P&L of every position in `positions`, each marked by `mark_of(ticker)`.
    pub fn of_ledger(
        positions: &PositionLedger,
        mut mark_of: impl FnMut(&str) -> Option<Price>,
    ) -> PnlBreakdown {
        positions
            .iter()
            .fold(PnlBreakdown::default(), |sum, (ticker, position)| {
                let mark = if position.position.centi() == 0 {
                    None
                } else {
                    mark_of(ticker)
                };
                sum.plus(PnlBreakdown::of_position(position, mark))
            })
    }
}

/// Where a mark comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkSource {
    /// The market's result is known: YES pays $1, NO pays $0, a scalar its settlement value.
    Settlement,
    /// The mid of a valid book.
    BookMid,
    /// The last public trade (the book is invalid or one-sided).
    LastTrade,
}

impl MarkSource {
    /// The source as the ledger spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            MarkSource::Settlement => "settlement",
            MarkSource::BookMid => "book_mid",
            MarkSource::LastTrade => "last_trade",
        }
    }
}

/// The mark of a market and where it came from: the settlement price once the result is
/// known, else the mid of its book when the book is valid and two-sided, else the last
/// public trade's YES price, else `None`.
pub fn mark(state: &MarketState) -> Option<(Price, MarkSource)> {
    if let Some(price) = settlement_price(state) {
        return Some((price, MarkSource::Settlement));
    }
    live_mark(state)
}

/// The mark while trading goes on: the mid of a valid two-sided book, else the last public
/// trade's YES price. The engine's loss limits mark with this alone (see the module docs).
pub fn live_mark(state: &MarketState) -> Option<(Price, MarkSource)> {
    let book = state.book();
    let mid = book
        .is_valid()
        .then(|| book.mid_micros())
        .flatten()
        .and_then(|micros| Price::from_micros(micros).ok());
    match mid {
        Some(price) => Some((price, MarkSource::BookMid)),
        None => state
            .last_trade()
            .map(|trade| (trade.yes_price, MarkSource::LastTrade)),
    }
}

/// What a contract of the market pays, once its result is known.
fn settlement_price(state: &MarketState) -> Option<Price> {
    let info = state.info();
    match info.result? {
        MarketResult::Yes => Some(Price::ONE),
        MarketResult::No => Some(Price::ZERO),
        MarketResult::Scalar => info.settlement_value,
    }
}

/// The price of [`mark`].
pub fn mark_price(state: &MarketState) -> Option<Price> {
    mark(state).map(|(price, _)| price)
}

/// Money printed as dollars: see [`Money::dollars`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dollars(Money);

impl Money {
    /// Display form in dollars, sign first: `-$0.48`, `$12.3456`, `$0.00`. Two decimals at
    /// least, four at most (trailing zeros past the second are dropped); a remainder below
    /// $0.0001 is rounded half away from zero, for display only. An amount that rounds to
    /// zero prints `$0.00` whatever its sign.
    pub fn dollars(self) -> Dollars {
        Dollars(self)
    }
}

/// Micro-dollars per display unit ($0.0001).
const MICROS_PER_DISPLAY_UNIT: i128 = 100;

impl fmt::Display for Dollars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = i128::from(self.0.micros());
        let magnitude = micros.abs();
        let units = (magnitude + MICROS_PER_DISPLAY_UNIT / 2) / MICROS_PER_DISPLAY_UNIT;
        let units_per_dollar = i128::from(MICROS_PER_DOLLAR) / MICROS_PER_DISPLAY_UNIT;
        let whole = units / units_per_dollar;
        let mut fraction = format!("{:04}", units % units_per_dollar);
        while fraction.len() > 2 && fraction.ends_with('0') {
            fraction.pop();
        }
        let sign = if micros < 0 && units > 0 { "-" } else { "" };
        f.pad(&format!("{sign}${whole}.{fraction}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::{Count, SignedCount};
    use crate::side::BookSide;

    fn text(micros: i64) -> String {
        Money::from_micros(micros).dollars().to_string()
    }

    #[test]
    fn dollars_put_the_sign_first_and_keep_two_to_four_decimals() {
        assert_eq!(text(-480_000), "-$0.48");
        assert_eq!(text(12_345_600), "$12.3456");
        assert_eq!(text(0), "$0.00");
        assert_eq!(text(1_000_000), "$1.00");
        assert_eq!(text(-2_280_000), "-$2.28");
        assert_eq!(text(-2_430_000), "-$2.43");
        assert_eq!(text(1_230_000), "$1.23");
        assert_eq!(text(1_234_000), "$1.234");
        assert_eq!(text(-1_255_000), "-$1.255");
        assert_eq!(
            format!("[{:>8}]", Money::from_micros(500_000).dollars()),
            "[   $0.50]"
        );
    }

    #[test]
    fn dollars_round_sub_display_remainders_half_away_from_zero() {
        assert_eq!(text(17_550), "$0.0176");
        assert_eq!(text(17_549), "$0.0175");
        assert_eq!(text(-17_550), "-$0.0176");
        assert_eq!(text(-17_549), "-$0.0175");
        // Rounds to zero: no negative zero.
        assert_eq!(text(-49), "$0.00");
        assert_eq!(text(49), "$0.00");
        assert_eq!(text(-50), "-$0.0001");
        assert_eq!(text(999_950), "$1.00");
    }

    #[test]
    fn dollars_print_the_extremes() {
        assert_eq!(text(i64::MAX), "$9223372036854.7758");
        assert_eq!(text(i64::MIN), "-$9223372036854.7758");
        assert_eq!(text(123_456_789_000_000), "$123456789.00");
    }

    fn price(text: &str) -> Price {
        Price::parse(text).unwrap()
    }

    #[test]
    fn breakdown_nets_fees_out_of_realized_and_marks_the_rest() {
        let mut positions = PositionLedger::new();
        let fee = Money::from_micros(70_000);
        positions.apply_fill(
            "A",
            BookSide::Bid,
            price("0.40"),
            Count::from_contracts(10).unwrap(),
            fee,
        );
        // Selling 4 YES at 0.55 closes 4: realized 4 × 0.15 = 0.60 before fees.
        positions.apply_fill(
            "A",
            BookSide::Ask,
            price("0.55"),
            Count::from_contracts(4).unwrap(),
            Money::from_micros(30_000),
        );
        // A flat market: its fee still counts, nothing is marked.
        positions.apply_fill(
            "B",
            BookSide::Bid,
            price("0.20"),
            Count::from_contracts(1).unwrap(),
            Money::from_micros(10_000),
        );
        positions.apply_fill(
            "B",
            BookSide::Ask,
            price("0.20"),
            Count::from_contracts(1).unwrap(),
            Money::from_micros(10_000),
        );
        assert_eq!(positions.get("B").position, SignedCount::ZERO);
        let mut asked = Vec::new();
        let pnl = PnlBreakdown::of_ledger(&positions, |ticker| {
            asked.push(ticker.to_string());
            Some(price("0.50"))
        });
        assert_eq!(asked, vec!["A".to_string()]);
        assert_eq!(pnl.fees, Money::from_micros(120_000));
        assert_eq!(pnl.realized_net, Money::from_micros(600_000 - 120_000));
        // 6 YES cost 2.40, worth 3.00 at 0.50.
        assert_eq!(pnl.unrealized, Money::from_micros(600_000));
        assert_eq!(pnl.total, Money::from_micros(1_080_000));
        let unmarked = PnlBreakdown::of_ledger(&positions, |_| None);
        assert_eq!(unmarked.unrealized, Money::ZERO);
        assert_eq!(unmarked.total, unmarked.realized_net);
    }

    #[test]
    fn the_mark_is_the_result_else_a_valid_mid_else_the_last_trade() {
        use crate::market_data::{LifecycleChange, LifecycleKind, PublicTrade};
        use crate::market_state::MarketStateConfig;
        let mut state = MarketState::from_ticker("M", MarketStateConfig::default());
        assert_eq!(mark(&state), None);
        state.on_trade(
            &PublicTrade {
                trade_id: "t1".into(),
                ticker: "M".into(),
                yes_price: price("0.37"),
                count: Count::from_contracts(1).unwrap(),
                taker_side: BookSide::Bid,
                ts_ns: 5,
            },
            5,
        );
        assert_eq!(mark(&state), Some((price("0.37"), MarkSource::LastTrade)));
        state.on_lifecycle(
            &LifecycleChange {
                ticker: "M".into(),
                kind: LifecycleKind::Determined,
                close_time_ns: None,
                result: Some(MarketResult::No),
                settlement_value: None,
                price_ranges: Vec::new(),
            },
            6,
        );
        assert_eq!(mark(&state), Some((Price::ZERO, MarkSource::Settlement)));
        assert_eq!(mark_price(&state), Some(Price::ZERO));
    }
}
