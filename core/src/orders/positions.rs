//! Working positions per market, built from our own fills, with cost basis and realized P&L.
//!
//! Kalshi keeps one signed position per market (+ YES, − NO). Buying the outcome we are short
//! of closes contracts pairwise: a YES and a NO together pay exactly $1, so closing `n`
//! contracts realizes `n × (1 − price paid now) − cost released`. Costs are the money paid for
//! the contracts held (YES prices for a long YES position, NO prices for a long NO position).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fixed::{Count, Money, Price, SignedCount};
use crate::market_data::PositionSnapshot;
use crate::side::BookSide;

/// Our position in one market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MarketPosition {
    /// Signed contracts: + YES, − NO.
    pub position: SignedCount,
    /// Money paid for the contracts currently held (never negative).
    pub cost: Money,
    /// Realized profit and loss before fees.
    pub realized_pnl: Money,
    /// Fees paid on this market's fills.
    pub fees_paid: Money,
}

impl MarketPosition {
    /// Applies one fill; returns the realized P&L it produced (before fees).
    pub fn apply_fill(
        &mut self,
        side: BookSide,
        yes_price: Price,
        count: Count,
        fee: Money,
    ) -> Money {
        let price_paid = match side {
            BookSide::Bid => yes_price,
            BookSide::Ask => yes_price.complement(),
        };
        let direction: i64 = match side {
            BookSide::Bid => 1,
            BookSide::Ask => -1,
        };
        self.fees_paid = self.fees_paid + fee;
        let held = self.position.centi();
        let mut realized = Money::ZERO;
        let mut opening = count.centi();
        if held != 0 && held.signum() != direction {
            let held_abs = held.abs();
            let closed = opening.min(held_abs);
            let released = scale(self.cost, closed, held_abs);
            let closed_count = Count::from_centi(closed).unwrap_or(Count::ZERO);
            realized = Money::notional(price_paid.complement(), closed_count) - released;
            self.cost = self.cost - released;
            self.position = SignedCount::from_centi(held + direction * closed);
            opening -= closed;
        }
        if opening > 0 {
            let opened = Count::from_centi(opening).unwrap_or(Count::ZERO);
            self.cost = self.cost + Money::notional(price_paid, opened);
            self.position = SignedCount::from_centi(self.position.centi() + direction * opening);
        }
        if self.position.centi() == 0 {
            self.cost = Money::ZERO;
        }
        self.realized_pnl = self.realized_pnl + realized;
        realized
    }

    /// Value of the position at fair YES price `fair` minus its cost.
    pub fn unrealized_pnl(&self, fair: Price) -> Money {
        let held = self.position.centi();
        let value = if held >= 0 {
            Money::notional(fair, self.position.abs())
        } else {
            Money::notional(fair.complement(), self.position.abs())
        };
        value - self.cost
    }
}

/// Positions of every market we have touched, by ticker.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PositionLedger {
    markets: BTreeMap<String, MarketPosition>,
}

impl PositionLedger {
    /// An empty ledger.
    pub fn new() -> PositionLedger {
        PositionLedger::default()
    }

    /// The position in `ticker` (flat when never touched).
    pub fn get(&self, ticker: &str) -> MarketPosition {
        self.markets.get(ticker).copied().unwrap_or_default()
    }

    /// Applies a fill; returns the realized P&L it produced (before fees).
    pub fn apply_fill(
        &mut self,
        ticker: &str,
        side: BookSide,
        yes_price: Price,
        count: Count,
        fee: Money,
    ) -> Money {
        self.markets
            .entry(ticker.to_string())
            .or_default()
            .apply_fill(side, yes_price, count, fee)
    }

    /// Overrides the signed position with the exchange's (`post_position` of a fill), scaling
    /// the cost basis to the new size when the direction is unchanged.
    pub fn correct_position(&mut self, ticker: &str, position: SignedCount) {
        let entry = self.markets.entry(ticker.to_string()).or_default();
        let old = entry.position.centi();
        let new = position.centi();
        if old == new {
            return;
        }
        entry.cost = if old != 0 && old.signum() == new.signum() {
            scale(entry.cost, new.abs(), old.abs())
        } else {
            Money::ZERO
        };
        entry.position = position;
    }

    /// Adopts the exchange's view of a market (reconciliation).
    pub fn adopt_snapshot(&mut self, snapshot: &PositionSnapshot) {
        let entry = self.markets.entry(snapshot.ticker.clone()).or_default();
        entry.position = snapshot.position;
        entry.cost = if snapshot.position.centi() == 0 {
            Money::ZERO
        } else {
            snapshot.cost
        };
        entry.realized_pnl = snapshot.realized_pnl;
        entry.fees_paid = snapshot.fees_paid;
    }

    /// Every market with its position, in ticker order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &MarketPosition)> {
        self.markets
            .iter()
            .map(|(ticker, position)| (ticker.as_str(), position))
    }
}

/// `amount × numerator / denominator`, rounded toward zero; zero denominator gives zero.
fn scale(amount: Money, numerator: i64, denominator: i64) -> Money {
    if denominator == 0 {
        return Money::ZERO;
    }
    let value = i128::from(amount.micros()) * i128::from(numerator) / i128::from(denominator);
    Money::from_micros(i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(text: &str) -> Price {
        Price::parse(text).unwrap()
    }
    fn count(contracts: i64) -> Count {
        Count::from_contracts(contracts).unwrap()
    }

    #[test]
    fn buying_then_selling_yes_realizes_the_difference() {
        let mut position = MarketPosition::default();
        position.apply_fill(
            BookSide::Bid,
            price("0.40"),
            count(10),
            Money::from_micros(10_000),
        );
        assert_eq!(position.position, SignedCount::from_centi(1_000));
        assert_eq!(position.cost, Money::from_micros(4_000_000));
        let realized = position.apply_fill(BookSide::Ask, price("0.55"), count(4), Money::ZERO);
        // Selling YES at 0.55 = buying NO at 0.45; a YES+NO pair pays $1: 4 × (1 − 0.45 − 0.40).
        assert_eq!(realized, Money::from_micros(600_000));
        assert_eq!(position.position, SignedCount::from_centi(600));
        assert_eq!(position.cost, Money::from_micros(2_400_000));
        assert_eq!(position.fees_paid, Money::from_micros(10_000));
    }

    #[test]
    fn crossing_through_zero_opens_the_other_outcome() {
        let mut position = MarketPosition::default();
        position.apply_fill(BookSide::Bid, price("0.30"), count(2), Money::ZERO);
        let realized = position.apply_fill(BookSide::Ask, price("0.20"), count(5), Money::ZERO);
        assert_eq!(realized, Money::from_micros(-200_000));
        assert_eq!(position.position, SignedCount::from_centi(-300));
        // Three NO contracts bought at 0.80.
        assert_eq!(position.cost, Money::from_micros(2_400_000));
        assert_eq!(
            position.unrealized_pnl(price("0.10")),
            Money::from_micros(300_000)
        );
    }

    #[test]
    fn fill_position_correction_keeps_proportional_cost() {
        let mut ledger = PositionLedger::new();
        ledger.apply_fill("M", BookSide::Bid, price("0.50"), count(10), Money::ZERO);
        ledger.correct_position("M", SignedCount::from_centi(500));
        assert_eq!(ledger.get("M").cost, Money::from_micros(2_500_000));
        ledger.correct_position("M", SignedCount::from_centi(-100));
        assert_eq!(ledger.get("M").cost, Money::ZERO);
    }
}
