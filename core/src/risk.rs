//! The risk gate: every order intent passes here before it can become a command.
//!
//! Only this module wraps an intent in [`RiskApproved`] (its constructor is crate-private and
//! clippy refuses it everywhere but here), and `Command::Place` / `Command::Amend` accept
//! nothing else. Checks, in order: state (ACTIVE /
//! REDUCING / HALTED), price validity and tick grid, per-order contracts and dollars, price
//! collar around fair value, open orders per market, worst-case position per market and per
//! event (position plus resting orders on the same side), account exposure, and finally the
//! order-rate token bucket (driven by envelope `ts_ns`, never a clock). Cancels never come here:
//! they are always allowed.
//!
//! The state is itself a journaled decision ([`RiskStateRecord`]); replaying the last record
//! into a new engine restores it, so a HALTED engine stays halted after a restart.

use serde::{Deserialize, Serialize};

use crate::commands::{AmendOrder, PlaceOrder, RiskApproved};
use crate::config::RiskLimits;
use crate::fixed::{Count, MICROS_PER_DOLLAR, Money, Price, SignedCount};
use crate::side::BookSide;
pub use crate::vocab::risk::{RiskRejection, RiskState, RiskStateReason, RiskStateRecord};

/// Wraps an intent that passed every check: the one place an intent becomes approved.
#[allow(clippy::disallowed_methods)] // the risk gate is the one caller the lint lets through
fn approve<T>(intent: T) -> RiskApproved<T> {
    RiskApproved::approve(intent)
}

/// Exposure on one scope (a market or an event): position and resting orders per side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScopeExposure {
    /// Signed position (+ YES, − NO).
    pub position: SignedCount,
    /// Contracts resting on the bid side (would add YES).
    pub resting_bid: Count,
    /// Contracts resting on the ask side (would add NO).
    pub resting_ask: Count,
}

impl ScopeExposure {
    /// Worst-case long-YES (bid) or long-NO (ask) position if every resting order on `side`
    /// plus `extra` filled.
    pub fn worst_case(&self, side: BookSide, extra: Count) -> i64 {
        match side {
            BookSide::Bid => self.position.centi() + self.resting_bid.centi() + extra.centi(),
            BookSide::Ask => -self.position.centi() + self.resting_ask.centi() + extra.centi(),
        }
    }
}

/// What the risk gate needs to know about the book of orders and positions around an intent.
/// Built by the engine from the order manager, excluding the order being amended.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RiskView {
    /// The intent's market.
    pub market: ScopeExposure,
    /// The intent's event (all its markets together, this one included).
    pub event: ScopeExposure,
    /// Open orders in the market.
    pub open_orders_in_market: u32,
    /// Money at risk over the account: position costs plus resting orders' prices paid.
    pub account_exposure: Money,
    /// Fair YES price, when known.
    pub fair: Option<Price>,
    /// Whether the price lies on the market's tick grid.
    pub price_on_grid: bool,
}

/// One order-like intent as the checks see it.
struct Candidate {
    side: BookSide,
    price: Price,
    count: Count,
    /// Counts against the open-orders limit (a new order, not an amend).
    adds_order: bool,
}

/// The risk gate and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    limits: RiskLimits,
    state: RiskState,
    day_realized_net: Money,
    tokens_milli: i64,
    last_refill_ts_ns: Option<i64>,
    /// Why the state last became HALTED (`None` while not halted).
    #[serde(default)]
    halt_reason: Option<RiskStateReason>,
}

const MILLI: i64 = 1_000;

impl Risk {
    /// A new gate in the ACTIVE state with a full order-rate budget.
    pub fn new(limits: RiskLimits) -> Risk {
        let tokens_milli = i64::from(limits.order_rate_burst) * MILLI;
        Risk {
            limits,
            state: RiskState::Active,
            day_realized_net: Money::ZERO,
            tokens_milli,
            last_refill_ts_ns: None,
            halt_reason: None,
        }
    }

    /// Replaces the limits (a new config), keeping state and P&L.
    pub fn set_limits(&mut self, limits: RiskLimits) {
        let burst_milli = i64::from(limits.order_rate_burst) * MILLI;
        self.tokens_milli = self.tokens_milli.min(burst_milli);
        self.limits = limits;
    }

    /// The limits in force.
    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }

    /// The state in force.
    pub fn state(&self) -> RiskState {
        self.state
    }

    /// Realized P&L after fees since the day started.
    pub fn day_realized_net(&self) -> Money {
        self.day_realized_net
    }

    fn record(&self, reason: RiskStateReason) -> RiskStateRecord {
        RiskStateRecord {
            state: self.state,
            reason,
            day_realized_net: self.day_realized_net,
        }
    }

    fn transition(&mut self, state: RiskState, reason: RiskStateReason) -> Option<RiskStateRecord> {
        if self.state == state {
            return None;
        }
        self.state = state;
        self.halt_reason = (state == RiskState::Halted).then_some(reason);
        Some(self.record(reason))
    }

    /// Whether lifting the HALT in force needs the operator's explicit confirmation: it was
    /// not an operator's own halt or kill switch (the daily loss stop, or a HALT restored from
    /// a previous run whose cause is not known here).
    pub fn halt_needs_confirmation(&self) -> bool {
        self.state == RiskState::Halted
            && !matches!(
                self.halt_reason,
                Some(RiskStateReason::OperatorHalt | RiskStateReason::KillSwitch)
            )
    }

    /// Restores the state journaled by a previous run.
    pub fn restore(&mut self, record: &RiskStateRecord) -> RiskStateRecord {
        self.state = record.state;
        self.halt_reason = (record.state == RiskState::Halted).then_some(record.reason);
        self.day_realized_net = record.day_realized_net;
        self.record(RiskStateReason::Restored)
    }

    /// Why the state is HALTED (`None` when it is not).
    pub fn halt_reason(&self) -> Option<RiskStateReason> {
        self.halt_reason
    }

    /// The state in force now, with today's realized P&L after fees, as a record whose reason
    /// is `reason` (what a durable copy of the state needs between transitions).
    pub fn snapshot(&self, reason: RiskStateReason) -> RiskStateRecord {
        self.record(reason)
    }

    /// Pulls the kill switch: HALTED until an operator resumes.
    pub fn kill(&mut self) -> Option<RiskStateRecord> {
        self.transition(RiskState::Halted, RiskStateReason::KillSwitch)
    }

    /// Operator flatten: REDUCING (only position-shrinking orders pass) until resumed. Also
    /// lifts an operator's own HALT or kill switch to REDUCING; refused (returns `Err` with the
    /// state) while a HALT that needs confirmation to lift is in force.
    pub fn flatten(&mut self) -> Result<Option<RiskStateRecord>, RiskState> {
        if self.halt_needs_confirmation() {
            return Err(self.state);
        }
        Ok(self.transition(RiskState::Reducing, RiskStateReason::OperatorFlatten))
    }

    /// Operator halt.
    pub fn halt(&mut self) -> Option<RiskStateRecord> {
        self.transition(RiskState::Halted, RiskStateReason::OperatorHalt)
    }

    /// Operator resume: back to ACTIVE. Refused (returns `Err` with the current state) while
    /// the daily loss is still beyond the stop, given the marked P&L `unrealized`.
    pub fn resume(&mut self, unrealized: Money) -> Result<Option<RiskStateRecord>, RiskState> {
        if self.day_pnl(unrealized) <= -self.limits.daily_loss_stop {
            return Err(self.state);
        }
        Ok(self.transition(RiskState::Active, RiskStateReason::OperatorResume))
    }

    /// A new trading day: realized P&L restarts from zero and REDUCING lifts; HALTED stays.
    pub fn daily_reset(&mut self) -> Option<RiskStateRecord> {
        self.day_realized_net = Money::ZERO;
        if self.state == RiskState::Reducing {
            self.transition(RiskState::Active, RiskStateReason::DailyReset)
        } else {
            None
        }
    }

    /// Books the realized P&L (before fees) and fee of one fill.
    pub fn record_fill(&mut self, realized: Money, fee: Money) {
        self.day_realized_net = self.day_realized_net + realized - fee;
    }

    /// Day P&L: realized net of fees plus the marked P&L of open positions.
    pub fn day_pnl(&self, unrealized: Money) -> Money {
        self.day_realized_net + unrealized
    }

    /// Applies the daily loss stop to the current P&L; returns a state change if any.
    pub fn check_loss(&mut self, unrealized: Money) -> Option<RiskStateRecord> {
        let pnl = self.day_pnl(unrealized);
        if pnl <= -self.limits.daily_loss_stop {
            return self.transition(RiskState::Halted, RiskStateReason::DailyLossStop);
        }
        if pnl <= -self.limits.daily_loss_reducing && self.state == RiskState::Active {
            return self.transition(RiskState::Reducing, RiskStateReason::DailyLossReducing);
        }
        None
    }

    fn refill(&mut self, ts_ns: i64) {
        let burst_milli = i64::from(self.limits.order_rate_burst) * MILLI;
        if let Some(last) = self.last_refill_ts_ns {
            if ts_ns > last {
                let elapsed_ns = i128::from(ts_ns - last);
                let added =
                    elapsed_ns * i128::from(self.limits.order_rate_per_second) * i128::from(MILLI)
                        / 1_000_000_000;
                let total = (i128::from(self.tokens_milli) + added).min(i128::from(burst_milli));
                self.tokens_milli = i64::try_from(total).unwrap_or(burst_milli);
                self.last_refill_ts_ns = Some(ts_ns);
            }
        } else {
            self.last_refill_ts_ns = Some(ts_ns);
        }
    }

    /// Order requests that the budget allows right now (at `ts_ns`).
    pub fn rate_budget_available(&mut self, ts_ns: i64) -> i64 {
        self.refill(ts_ns);
        self.tokens_milli / MILLI
    }

    /// Checks a new order. On approval one order-rate token is spent.
    pub fn check_place(
        &mut self,
        order: PlaceOrder,
        view: &RiskView,
        ts_ns: i64,
    ) -> Result<RiskApproved<PlaceOrder>, RiskRejection> {
        let candidate = Candidate {
            side: order.side,
            price: order.price,
            count: order.count,
            adds_order: true,
        };
        self.check(&candidate, view, ts_ns)?;
        Ok(approve(order))
    }

    /// Checks an amend; `view` must exclude the order being amended. Spends one token.
    pub fn check_amend(
        &mut self,
        amend: AmendOrder,
        view: &RiskView,
        ts_ns: i64,
    ) -> Result<RiskApproved<AmendOrder>, RiskRejection> {
        let candidate = Candidate {
            side: amend.side,
            price: amend.price,
            count: amend.remaining_count,
            adds_order: false,
        };
        self.check(&candidate, view, ts_ns)?;
        Ok(approve(amend))
    }

    fn check(
        &mut self,
        candidate: &Candidate,
        view: &RiskView,
        ts_ns: i64,
    ) -> Result<(), RiskRejection> {
        let limits = &self.limits;
        let reduces = is_reducing(&view.market, candidate.side, candidate.count);
        match self.state {
            RiskState::Halted => return Err(RiskRejection::Halted),
            RiskState::Reducing if !reduces => return Err(RiskRejection::ReducingOnly),
            RiskState::Reducing | RiskState::Active => {}
        }
        let price_micros = candidate.price.micros();
        if price_micros <= 0 || price_micros >= MICROS_PER_DOLLAR || !view.price_on_grid {
            return Err(RiskRejection::InvalidPrice);
        }
        if candidate.count.is_zero() {
            return Err(RiskRejection::ZeroCount);
        }
        if candidate.count > limits.order_contracts_max {
            return Err(RiskRejection::OrderContracts {
                count: candidate.count,
                max: limits.order_contracts_max,
            });
        }
        let paid = price_paid(candidate.side, candidate.price);
        let notional = Money::notional(paid, candidate.count);
        if notional > limits.order_notional_max {
            return Err(RiskRejection::OrderNotional {
                notional,
                max: limits.order_notional_max,
            });
        }
        let fair = view.fair.ok_or(RiskRejection::NoFairValue)?;
        if (candidate.price.micros() - fair.micros()).abs() > limits.price_collar_micros {
            return Err(RiskRejection::PriceCollar {
                price: candidate.price,
                fair,
                collar_micros: limits.price_collar_micros,
            });
        }
        if candidate.adds_order && view.open_orders_in_market >= limits.open_orders_per_market_max {
            return Err(RiskRejection::OpenOrders {
                open: view.open_orders_in_market,
                max: limits.open_orders_per_market_max,
            });
        }
        let market_worst = view.market.worst_case(candidate.side, candidate.count);
        if market_worst > limits.market_position_max.centi() {
            return Err(RiskRejection::MarketPosition {
                worst: Count::from_centi(market_worst).unwrap_or(Count::ZERO),
                max: limits.market_position_max,
            });
        }
        let event_worst = view.event.worst_case(candidate.side, candidate.count);
        if event_worst > limits.event_position_max.centi() {
            return Err(RiskRejection::EventPosition {
                worst: Count::from_centi(event_worst).unwrap_or(Count::ZERO),
                max: limits.event_position_max,
            });
        }
        if !reduces {
            let exposure = view.account_exposure + notional;
            if exposure > limits.account_exposure_max {
                return Err(RiskRejection::AccountExposure {
                    exposure,
                    max: limits.account_exposure_max,
                });
            }
        }
        self.refill(ts_ns);
        if self.tokens_milli < MILLI {
            return Err(RiskRejection::RateLimited);
        }
        self.tokens_milli -= MILLI;
        Ok(())
    }
}

/// The money a buyer of this side pays per contract: the YES price for a bid, the NO price
/// (`1 − yes`) for an ask.
pub fn price_paid(side: BookSide, yes_price: Price) -> Price {
    match side {
        BookSide::Bid => yes_price,
        BookSide::Ask => yes_price.complement(),
    }
}

/// True when an order of `count` on `side`, together with the orders already resting on that
/// side, cannot take the market position past flat: it only reduces exposure.
pub fn is_reducing(market: &ScopeExposure, side: BookSide, count: Count) -> bool {
    let position = market.position.centi();
    match side {
        BookSide::Bid => position < 0 && market.resting_bid.centi() + count.centi() <= -position,
        BookSide::Ask => position > 0 && market.resting_ask.centi() + count.centi() <= position,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_order_id::ClientOrderId;
    use crate::commands::TimeInForce;
    use crate::config::SelfTradePrevention;

    fn order(side: BookSide, price_text: &str, contracts: i64) -> PlaceOrder {
        PlaceOrder {
            client_order_id: ClientOrderId::parse("kb-t-1").unwrap(),
            ticker: "M".to_string(),
            side,
            price: Price::parse(price_text).unwrap(),
            count: Count::from_contracts(contracts).unwrap(),
            time_in_force: TimeInForce::GoodTillCanceled,
            post_only: true,
            reduce_only: false,
            self_trade_prevention: SelfTradePrevention::TakerAtCross,
            cancel_order_on_pause: true,
            expiration_ts_s: None,
            order_group_id: None,
        }
    }

    fn view(fair_text: &str) -> RiskView {
        RiskView {
            fair: Some(Price::parse(fair_text).unwrap()),
            price_on_grid: true,
            ..RiskView::default()
        }
    }

    #[test]
    fn a_small_order_near_fair_passes_and_spends_a_token() {
        let mut risk = Risk::new(RiskLimits::default());
        let before = risk.rate_budget_available(0);
        assert!(
            risk.check_place(order(BookSide::Bid, "0.49", 5), &view("0.50"), 0)
                .is_ok()
        );
        assert_eq!(risk.rate_budget_available(0), before - 1);
    }

    #[test]
    fn each_limit_names_itself() {
        let mut risk = Risk::new(RiskLimits::default());
        let v = view("0.50");
        assert!(matches!(
            risk.check_place(order(BookSide::Bid, "0.49", 51), &v, 0),
            Err(RiskRejection::OrderContracts { .. })
        ));
        assert!(matches!(
            risk.check_place(order(BookSide::Bid, "0.30", 5), &v, 0),
            Err(RiskRejection::PriceCollar { .. })
        ));
        assert_eq!(
            risk.check_place(order(BookSide::Bid, "0.00", 5), &v, 0),
            Err(RiskRejection::InvalidPrice)
        );
        let off_grid = RiskView {
            price_on_grid: false,
            ..v.clone()
        };
        assert_eq!(
            risk.check_place(order(BookSide::Bid, "0.49", 5), &off_grid, 0),
            Err(RiskRejection::InvalidPrice)
        );
        let no_fair = RiskView {
            fair: None,
            ..v.clone()
        };
        assert_eq!(
            risk.check_place(order(BookSide::Bid, "0.49", 5), &no_fair, 0),
            Err(RiskRejection::NoFairValue)
        );
        let crowded = RiskView {
            open_orders_in_market: 8,
            ..v.clone()
        };
        assert!(matches!(
            risk.check_place(order(BookSide::Bid, "0.49", 5), &crowded, 0),
            Err(RiskRejection::OpenOrders { .. })
        ));
        let long = RiskView {
            market: ScopeExposure {
                position: SignedCount::from_centi(19_000),
                resting_bid: Count::from_centi(500).unwrap(),
                resting_ask: Count::ZERO,
            },
            ..v.clone()
        };
        assert!(matches!(
            risk.check_place(order(BookSide::Bid, "0.49", 10), &long, 0),
            Err(RiskRejection::MarketPosition { .. })
        ));
        // The same position may still be sold down.
        assert!(
            risk.check_place(order(BookSide::Ask, "0.51", 10), &long, 0)
                .is_ok()
        );
        let exposed = RiskView {
            account_exposure: Money::from_micros(999_000_000),
            ..v.clone()
        };
        assert!(matches!(
            risk.check_place(order(BookSide::Bid, "0.49", 5), &exposed, 0),
            Err(RiskRejection::AccountExposure { .. })
        ));
    }

    #[test]
    fn ask_notional_is_the_no_price() {
        let limits = RiskLimits {
            order_notional_max: Money::from_micros(1_000_000),
            ..RiskLimits::default()
        };
        let mut risk = Risk::new(limits);
        // 5 × (1 − 0.90) = $0.50 paid for NO: allowed, though 5 × 0.90 would not be.
        assert!(
            risk.check_place(order(BookSide::Ask, "0.90", 5), &view("0.90"), 0)
                .is_ok()
        );
        assert!(matches!(
            risk.check_place(order(BookSide::Bid, "0.90", 5), &view("0.90"), 0),
            Err(RiskRejection::OrderNotional { .. })
        ));
    }

    #[test]
    fn rate_budget_refills_with_event_time_only() {
        let limits = RiskLimits {
            order_rate_per_second: 2,
            order_rate_burst: 2,
            ..RiskLimits::default()
        };
        let mut risk = Risk::new(limits);
        let v = view("0.50");
        assert!(
            risk.check_place(order(BookSide::Bid, "0.49", 1), &v, 1_000)
                .is_ok()
        );
        assert!(
            risk.check_place(order(BookSide::Bid, "0.49", 1), &v, 1_000)
                .is_ok()
        );
        assert_eq!(
            risk.check_place(order(BookSide::Bid, "0.49", 1), &v, 1_000),
            Err(RiskRejection::RateLimited)
        );
        // Time going backwards adds nothing.
        assert_eq!(
            risk.check_place(order(BookSide::Bid, "0.49", 1), &v, 0),
            Err(RiskRejection::RateLimited)
        );
        // Half a second at 2/s buys one request.
        assert!(
            risk.check_place(order(BookSide::Bid, "0.49", 1), &v, 500_001_000)
                .is_ok()
        );
        assert_eq!(
            risk.check_place(order(BookSide::Bid, "0.49", 1), &v, 500_001_000),
            Err(RiskRejection::RateLimited)
        );
    }

    #[test]
    fn loss_stop_halts_and_halt_survives_restore() {
        let mut risk = Risk::new(RiskLimits::default());
        risk.record_fill(Money::from_micros(-60_000_000), Money::ZERO);
        let reducing = risk.check_loss(Money::ZERO).unwrap();
        assert_eq!(reducing.state, RiskState::Reducing);
        let v = view("0.50");
        assert_eq!(
            risk.check_place(order(BookSide::Bid, "0.49", 1), &v, 0),
            Err(RiskRejection::ReducingOnly)
        );
        let halted = risk.check_loss(Money::from_micros(-50_000_000)).unwrap();
        assert_eq!(
            (halted.state, halted.reason),
            (RiskState::Halted, RiskStateReason::DailyLossStop)
        );
        assert_eq!(
            risk.check_place(order(BookSide::Ask, "0.51", 1), &v, 0),
            Err(RiskRejection::Halted)
        );
        assert_eq!(
            risk.resume(Money::from_micros(-50_000_000)),
            Err(RiskState::Halted)
        );

        let mut restarted = Risk::new(RiskLimits::default());
        let restored = restarted.restore(&halted);
        assert_eq!(restored.state, RiskState::Halted);
        assert_eq!(
            restarted.check_place(order(BookSide::Bid, "0.49", 1), &v, 0),
            Err(RiskRejection::Halted)
        );
        assert!(restarted.daily_reset().is_none());
        assert_eq!(restarted.state(), RiskState::Halted);
    }

    #[test]
    fn reducing_state_lets_exits_through() {
        let mut risk = Risk::new(RiskLimits::default());
        risk.record_fill(Money::from_micros(-60_000_000), Money::ZERO);
        risk.check_loss(Money::ZERO);
        let long = RiskView {
            market: ScopeExposure {
                position: SignedCount::from_centi(1_000),
                ..ScopeExposure::default()
            },
            ..view("0.50")
        };
        assert!(
            risk.check_place(order(BookSide::Ask, "0.51", 10), &long, 0)
                .is_ok()
        );
        assert_eq!(
            risk.check_place(order(BookSide::Ask, "0.51", 11), &long, 0),
            Err(RiskRejection::ReducingOnly)
        );
    }
}
