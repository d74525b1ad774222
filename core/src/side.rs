//! Order direction in Kalshi's one-YES-book language.
//!
//! A `Bid` buys YES (≡ outcome YES); an `Ask` sells YES, which is the same as buying NO at the
//! complementary price (≡ outcome NO). Legacy `(side, action)` pairs map onto these.

use serde::{Deserialize, Serialize};

/// Which side of the YES book an order or trade is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BookSide {
    /// Buy YES.
    Bid,
    /// Sell YES (= buy NO).
    Ask,
}

/// Which outcome a position or fill leaves us long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeSide {
    /// Long YES.
    Yes,
    /// Long NO.
    No,
}

/// Legacy order action (`buy` / `sell`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegacyAction {
    /// Buy the named outcome.
    Buy,
    /// Sell the named outcome.
    Sell,
}

impl BookSide {
    /// The outcome this side makes us long: bid ≡ YES, ask ≡ NO.
    pub const fn outcome(self) -> OutcomeSide {
        match self {
            BookSide::Bid => OutcomeSide::Yes,
            BookSide::Ask => OutcomeSide::No,
        }
    }

    /// The other side.
    pub const fn opposite(self) -> BookSide {
        match self {
            BookSide::Bid => BookSide::Ask,
            BookSide::Ask => BookSide::Bid,
        }
    }

    /// Maps a legacy `(action, side)` pair: buy YES / sell NO ⇒ bid; buy NO / sell YES ⇒ ask.
    pub const fn from_legacy(action: LegacyAction, outcome: OutcomeSide) -> BookSide {
        match (action, outcome) {
            (LegacyAction::Buy, OutcomeSide::Yes) | (LegacyAction::Sell, OutcomeSide::No) => {
                BookSide::Bid
            }
            (LegacyAction::Buy, OutcomeSide::No) | (LegacyAction::Sell, OutcomeSide::Yes) => {
                BookSide::Ask
            }
        }
    }

    /// Wire spelling (`"bid"` / `"ask"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            BookSide::Bid => "bid",
            BookSide::Ask => "ask",
        }
    }
}

impl OutcomeSide {
    /// The side of the YES book this outcome corresponds to.
    pub const fn book_side(self) -> BookSide {
        match self {
            OutcomeSide::Yes => BookSide::Bid,
            OutcomeSide::No => BookSide::Ask,
        }
    }

    /// Wire spelling (`"yes"` / `"no"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            OutcomeSide::Yes => "yes",
            OutcomeSide::No => "no",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_direction_table_matches_kalshi() {
        use LegacyAction::*;
        use OutcomeSide::*;
        assert_eq!(BookSide::from_legacy(Buy, Yes), BookSide::Bid);
        assert_eq!(BookSide::from_legacy(Sell, No), BookSide::Bid);
        assert_eq!(BookSide::from_legacy(Buy, No), BookSide::Ask);
        assert_eq!(BookSide::from_legacy(Sell, Yes), BookSide::Ask);
        assert_eq!(BookSide::Ask.outcome(), No);
        assert_eq!(No.book_side(), BookSide::Ask);
    }
}
