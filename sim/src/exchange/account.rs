//! Users, their (sub)accounts, signed positions with netting, fills and settlements.
//!
//! Cash accounting of one fill for one party (side `S`, YES price `p`, `c` contracts):
//! the party buys its outcome at `o` (`p` for a bid, `1 − p` for an ask). The part of `c`
//! that offsets an opposite position (`k`) closes it: a YES+NO pair redeems for $1, so the
//! party receives `1 − o` per contract and realizes `k·(1 − o)` minus the proportional cost
//! basis. The rest (`c − k`) opens new exposure at `o` per contract. The fee then follows
//! §9.3 (see `fees.rs`).

use std::collections::BTreeMap;

use kalshi_core::market_data::MarketResult;
use kalshi_core::side::BookSide;
use kalshi_core::{Count, Money, Price, SignedCount};
use serde::Serialize;

/// Dense index of a user (the authenticated principal; the server maps API keys to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct UserId(pub u32);

/// Price per contract on the leg a side buys: `p` for a bid (YES), `1 − p` for an ask (NO).
pub fn outcome_price(side: BookSide, yes_price: Price) -> Price {
    match side {
        BookSide::Bid => yes_price,
        BookSide::Ask => yes_price.complement(),
    }
}

/// One balance-holding account: a user's subaccount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct AccountKey {
    /// The user the subaccount belongs to.
    pub user: UserId,
    /// Subaccount number (0 = primary).
    pub subaccount: u32,
}

/// A position in one market.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Position {
    /// Signed contracts: + YES, − NO.
    pub position: SignedCount,
    /// Cost basis of the current position (what was paid for it), micro-dollars.
    pub cost: Money,
    /// Realized profit and loss (excluding fees).
    pub realized_pnl: Money,
    /// Fees paid in this market.
    pub fees_paid: Money,
    /// Dollar value traded (outcome-leg cost of every fill).
    pub total_traded: Money,
    /// Contracts traded.
    pub volume: Count,
    /// Last change, Unix ns.
    pub last_updated_ns: i64,
    /// True once the market settled and the position was paid out.
    pub settled: bool,
}

/// One execution of one order, as `GET /portfolio/fills` and the `fill` channel report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FillRecord {
    /// Unique fill id.
    pub fill_id: String,
    /// The trade this fill belongs to (shared by maker and taker).
    pub trade_id: String,
    /// The order filled.
    pub order_id: String,
    /// Its client order id.
    pub client_order_id: Option<String>,
    /// Market ticker.
    pub ticker: String,
    /// The user whose order filled.
    pub user: UserId,
    /// Owner's subaccount.
    pub subaccount: u32,
    /// The order's side of the YES book.
    pub side: BookSide,
    /// Execution YES price.
    pub yes_price: Price,
    /// Contracts this fill traded.
    pub count: Count,
    /// Whether this order took liquidity.
    pub is_taker: bool,
    /// Fee charged on this fill (trade fee + rounding − rebate, §9.3).
    pub fee_cost: Money,
    /// Signed position after the fill.
    pub post_position: SignedCount,
    /// Cash change of this fill (revenue − fee), micro-dollars.
    pub balance_change: Money,
    /// Fill time, Unix ns.
    pub ts_ns: i64,
}

/// A payout row (`GET /portfolio/settlements`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettlementRecord {
    /// The market that settled.
    pub ticker: String,
    /// The event that market belongs to.
    pub event_ticker: String,
    /// How the market resolved: YES, NO or a scalar value.
    pub market_result: MarketResult,
    /// YES contracts held at settlement.
    pub yes_count: Count,
    /// Cost basis of those YES contracts.
    pub yes_total_cost: Money,
    /// NO contracts held at settlement.
    pub no_count: Count,
    /// Cost basis of those NO contracts.
    pub no_total_cost: Money,
    /// Cash paid out.
    pub revenue: Money,
    /// Fees paid in the market over its life.
    pub fee_cost: Money,
    /// YES settlement value.
    pub value: Price,
    /// Settlement time, Unix ns.
    pub settled_ns: i64,
}

/// One subaccount's money and holdings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Account {
    /// Cash, micro-dollars (includes cash reserved for resting orders).
    pub(crate) cash: Money,
    /// Sum of `reserved` over this account's resting orders.
    pub(crate) reserved: Money,
    pub(crate) positions: BTreeMap<u32, Position>,
    pub(crate) settlements: Vec<SettlementRecord>,
    pub(crate) updated_ns: i64,
}

/// A user: identity, subaccounts and history indices.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) user_id: String,
    pub(crate) subaccounts: BTreeMap<u32, Account>,
    /// Every order of the user, oldest first.
    pub(crate) orders: Vec<u32>,
    /// Every fill of the user, oldest first (empty when history is off).
    pub(crate) fills: Vec<FillRecord>,
    /// Whether fills are kept (synthetic traders keep none, to bound memory).
    pub(crate) keeps_history: bool,
    /// Resting orders now (the per-user limit counts these).
    pub(crate) resting_count: usize,
}

/// The cash and position effect of one fill on one party, before fees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FillEffect {
    /// Signed cash flow before fees: + closing proceeds − opening cost.
    pub(crate) revenue: Money,
    /// Contracts that closed an opposite position.
    pub(crate) closed: Count,
    /// Contracts that opened new exposure.
    pub(crate) opened: Count,
}

/// Splits a fill into closing and opening parts against the current position.
pub(crate) fn fill_effect(
    position: SignedCount,
    side: BookSide,
    yes_price: Price,
    count: Count,
) -> FillEffect {
    let outcome_price = outcome_price(side, yes_price);
    let opposite = match side {
        BookSide::Bid => (-position).to_count().unwrap_or(Count::ZERO),
        BookSide::Ask => position.to_count().unwrap_or(Count::ZERO),
    };
    let closed = count.min(opposite);
    let opened = count.saturating_sub(closed);
    let revenue = Money::notional(outcome_price.complement(), closed)
        - Money::notional(outcome_price, opened);
    FillEffect {
        revenue,
        closed,
        opened,
    }
}

impl Position {
    /// Applies a fill's position effect (not its fee); returns realized P&L of the closing part.
    pub(crate) fn apply(
        &mut self,
        side: BookSide,
        yes_price: Price,
        count: Count,
        effect: FillEffect,
        now_ns: i64,
    ) {
        let outcome_price = outcome_price(side, yes_price);
        if !effect.closed.is_zero() {
            let held = self.position.abs();
            let removed = proportional(self.cost, effect.closed, held);
            self.cost = self.cost - removed;
            self.realized_pnl = self.realized_pnl
                + Money::notional(outcome_price.complement(), effect.closed)
                - removed;
        }
        if !effect.opened.is_zero() {
            self.cost = self.cost + Money::notional(outcome_price, effect.opened);
        }
        let signed = match side {
            BookSide::Bid => count.signed(),
            BookSide::Ask => -count.signed(),
        };
        self.position = self.position + signed;
        if self.position == SignedCount::ZERO {
            self.cost = Money::ZERO;
        }
        self.total_traded = self.total_traded + Money::notional(outcome_price, count);
        self.volume = self.volume + count;
        self.last_updated_ns = now_ns;
    }
}

/// `total × part / whole`, rounded to the nearest micro-dollar; `total` when `part ≥ whole`.
pub(crate) fn proportional(total: Money, part: Count, whole: Count) -> Money {
    if whole.is_zero() || part >= whole {
        return total;
    }
    let scaled = i128::from(total.micros()) * i128::from(part.centi());
    let whole = i128::from(whole.centi());
    let rounded = if scaled >= 0 {
        (scaled + whole / 2) / whole
    } else {
        (scaled - whole / 2) / whole
    };
    Money::from_micros(i64::try_from(rounded).unwrap_or(0))
}

/// A subaccount's balance as `GET /portfolio/balance` needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BalanceView {
    /// All cash including what resting orders reserve.
    pub cash: Money,
    /// Cash reserved by resting orders.
    pub reserved: Money,
    /// Cash free for new orders (`cash − reserved`); what Kalshi calls `balance`.
    pub available: Money,
    /// Value of open positions at their cost basis (`portfolio_value`).
    pub portfolio_value: Money,
    /// Last change, Unix ns.
    pub updated_ns: i64,
}
