//! The expected-value gate: only orders whose expected value per contract, after every cost,
//! reaches the configured edge may be sent.
//!
//! ```text
//! EV per contract = P(win) × $1 − (price paid + fee + spread paid + slippage + adverse selection)
//! ```
//!
//! - `P(win)`: the fair YES probability for a bid; `1 − P` for an ask (selling YES at `p` is
//!   buying NO at `1 − p`). The probability is quantized to parts per million first, so one
//!   ppm of probability is exactly one micro-dollar of a $1 payout and everything after that
//!   is integer arithmetic. When we hold inventory, `P` is the *reservation* value
//!   `fair − inventory_skew_micros` (see [`inventory_skew_micros`]): a contract that reduces
//!   the position is worth more to us than its fair value, one that adds to it less. Without
//!   this, a maker whose skewed rungs sit on the far side of fair could never unwind.
//! - price paid: the limit price for a maker (YES price for a bid, `1 − price` for an ask);
//!   for a taker, the touch price on the side it takes.
//! - fee: the exact Kalshi fee of the whole order (per level for a taker, each level being a
//!   separate execution), divided by the count and rounded up to the micro-dollar. When the
//!   balance target precision is one cent the fee is rounded up to the cent per execution
//!   (the most a single execution can cost before rebates); for direct members it is the
//!   $0.0001 trade fee.
//! - spread paid: zero for a maker; for a taker, the volume-weighted price of walking the book
//!   up to the limit minus the touch price.
//! - slippage: a configured allowance, for takers only.
//! - adverse selection: a configured allowance for every order.

use crate::book::OrderBook;
use crate::config::EvGateConfig;
use crate::fees::{FeeSchedule, FeeType, Liquidity, PPM_PER_UNIT};
use crate::fixed::{CENTI_PER_CONTRACT, Count, MICROS_PER_DOLLAR, Money, Price, SignedCount};
use crate::market_data::FeeParams;
use crate::side::BookSide;
pub use crate::vocab::ev::{EvComponents, EvDecision, EvInputs, EvReason, FairSource};

/// What prices a resting order's EV: [`EvInputs`] without the journaled labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MakerTerms {
    /// Order side.
    pub side: BookSide,
    /// Limit YES price.
    pub price: Price,
    /// Contracts.
    pub count: Count,
    /// Fair YES probability, parts per million.
    pub fair_ppm: u32,
    /// Inventory adjustment subtracted from the fair value, micros.
    pub inventory_skew_micros: i64,
}

/// The inventory adjustment of the reservation value: `position × skew per contract`, in
/// micro-dollars (positive when long YES, negative when long NO). Exact; rounds toward zero.
pub fn inventory_skew_micros(position: SignedCount, skew_micros_per_contract: i64) -> i64 {
    let skew = i128::from(position.centi()) * i128::from(skew_micros_per_contract)
        / i128::from(CENTI_PER_CONTRACT);
    i64::try_from(skew.clamp(
        -i128::from(MICROS_PER_DOLLAR),
        i128::from(MICROS_PER_DOLLAR),
    ))
    .unwrap_or(0)
}

/// Fee schedule used when a market's listing carried no fee parameters: the standard
/// multiplier with maker fees, so a missing field never makes an order look cheaper.
pub fn fallback_fee_schedule() -> Option<FeeSchedule> {
    FeeSchedule::new(FeeType::QuadraticWithMakerFees, PPM_PER_UNIT).ok()
}

/// The schedule for a market's fee parameters (`None` when they cannot be priced).
pub fn fee_schedule_for(params: Option<&FeeParams>) -> Option<FeeSchedule> {
    match params {
        Some(params) => FeeSchedule::from_params(params).ok(),
        None => fallback_fee_schedule(),
    }
}

/// The gate: configuration plus fee rounding mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvGate {
    config: EvGateConfig,
    fee_target_precision_micros: i64,
}

impl EvGate {
    /// A gate with these parameters; `fee_target_precision_micros` is the account's balance
    /// precision (10 000 = one cent, 100 = direct member).
    pub fn new(config: EvGateConfig, fee_target_precision_micros: i64) -> EvGate {
        EvGate {
            config,
            fee_target_precision_micros,
        }
    }

    /// The minimum edge per contract.
    pub fn min_edge_micros(&self) -> i64 {
        self.config.min_edge_micros
    }

    /// Evaluates an order that would rest (post-only): priced at its limit, no spread paid.
    pub fn evaluate_maker(&self, inputs: EvInputs, fees: Option<&FeeSchedule>) -> EvDecision {
        let inputs = EvInputs {
            liquidity: Liquidity::Maker,
            ..inputs
        };
        let terms = MakerTerms {
            side: inputs.side,
            price: inputs.price,
            count: inputs.count,
            fair_ppm: inputs.fair_ppm,
            inventory_skew_micros: inputs.inventory_skew_micros,
        };
        let (components, failure) = self.maker_components(terms, fees);
        self.finish(inputs, components, failure)
    }

    /// The EV per contract [`EvGate::evaluate_maker`] would report for `terms`, without
    /// building the journaled decision (for strategies probing prices they may not quote).
    pub fn maker_ev_micros(&self, terms: MakerTerms, fees: Option<&FeeSchedule>) -> i64 {
        self.maker_components(terms, fees).0.ev_micros()
    }

    /// The cost components of a resting order, and why it fails before the edge test if it
    /// does.
    fn maker_components(
        &self,
        terms: MakerTerms,
        fees: Option<&FeeSchedule>,
    ) -> (EvComponents, Option<EvReason>) {
        let mut components =
            self.base_components(terms.side, terms.fair_ppm, terms.inventory_skew_micros);
        if let Some(reason) = precheck(terms.fair_ppm, terms.count) {
            return (components, Some(reason));
        }
        components.price_paid_micros = paid(terms.side, terms.price);
        let fee = fees.and_then(|schedule| {
            self.execution_fee(schedule, Liquidity::Maker, terms.price, terms.count)
        });
        let Some(fee) = fee else {
            return (components, Some(EvReason::FeeUnavailable));
        };
        components.fee_micros = per_contract_ceil(fee.micros(), terms.count);
        (components, None)
    }

    /// Evaluates an order that takes liquidity, walking `book` up to the limit price.
    pub fn evaluate_taker(
        &self,
        inputs: EvInputs,
        book: &OrderBook,
        fees: Option<&FeeSchedule>,
    ) -> EvDecision {
        let inputs = EvInputs {
            liquidity: Liquidity::Taker,
            ..inputs
        };
        let mut components =
            self.base_components(inputs.side, inputs.fair_ppm, inputs.inventory_skew_micros);
        components.slippage_micros = self.config.taker_slippage_micros;
        if let Some(reason) = precheck(inputs.fair_ppm, inputs.count) {
            return self.finish(inputs, components, Some(reason));
        }
        let Some(schedule) = fees else {
            return self.finish(inputs, components, Some(EvReason::FeeUnavailable));
        };
        // A bid takes asks (ascending, at most the limit); an ask takes bids (descending, at
        // least the limit).
        let taken_side = inputs.side.opposite();
        let mut remaining_centi = inputs.count.centi();
        let mut paid_total: i128 = 0;
        let mut fee_total_micros: i64 = 0;
        let mut touch_paid: Option<i64> = None;
        for level in book.levels(taken_side) {
            if remaining_centi == 0 {
                break;
            }
            let within_limit = match inputs.side {
                BookSide::Bid => level.price <= inputs.price,
                BookSide::Ask => level.price >= inputs.price,
            };
            if !within_limit {
                break;
            }
            let take_centi = remaining_centi.min(level.size.centi());
            let take = Count::from_centi(take_centi).unwrap_or(Count::ZERO);
            let level_paid = paid(inputs.side, level.price);
            touch_paid.get_or_insert(level_paid);
            paid_total += i128::from(level_paid) * i128::from(take_centi);
            let Some(fee) = self.execution_fee(schedule, Liquidity::Taker, level.price, take)
            else {
                return self.finish(inputs, components, Some(EvReason::FeeUnavailable));
            };
            fee_total_micros = fee_total_micros.saturating_add(fee.micros());
            remaining_centi -= take_centi;
        }
        let Some(touch) = touch_paid.filter(|_| remaining_centi == 0) else {
            return self.finish(inputs, components, Some(EvReason::InsufficientDepth));
        };
        let count_centi = i128::from(inputs.count.centi());
        let vwap_ceil =
            i64::try_from((paid_total + count_centi - 1) / count_centi).unwrap_or(i64::MAX);
        components.price_paid_micros = touch;
        components.spread_paid_micros = vwap_ceil - touch;
        components.fee_micros = per_contract_ceil(fee_total_micros, inputs.count);
        self.finish(inputs, components, None)
    }

    fn base_components(
        &self,
        side: BookSide,
        fair_ppm: u32,
        inventory_skew_micros: i64,
    ) -> EvComponents {
        let fair = (i64::from(fair_ppm.min(1_000_000)) - inventory_skew_micros)
            .clamp(0, MICROS_PER_DOLLAR);
        let win_value_micros = match side {
            BookSide::Bid => fair,
            BookSide::Ask => MICROS_PER_DOLLAR - fair,
        };
        EvComponents {
            win_value_micros,
            adverse_selection_micros: self.config.adverse_selection_micros,
            ..EvComponents::default()
        }
    }

    fn execution_fee(
        &self,
        schedule: &FeeSchedule,
        liquidity: Liquidity,
        price: Price,
        count: Count,
    ) -> Option<Money> {
        let result = if self.fee_target_precision_micros >= crate::fees::CENT_MICROS {
            schedule.classic_fee(liquidity, price, count)
        } else {
            schedule.trade_fee(liquidity, price, count)
        };
        result.ok()
    }

    fn finish(
        &self,
        inputs: EvInputs,
        components: EvComponents,
        failure: Option<EvReason>,
    ) -> EvDecision {
        let ev_micros = components.ev_micros();
        let reason = match failure {
            Some(reason) => reason,
            None if ev_micros >= self.config.min_edge_micros => EvReason::Pass,
            None => EvReason::BelowMinEdge,
        };
        EvDecision {
            inputs,
            components,
            ev_micros,
            min_edge_micros: self.config.min_edge_micros,
            reason,
        }
    }
}

fn precheck(fair_ppm: u32, count: Count) -> Option<EvReason> {
    if fair_ppm > 1_000_000 {
        return Some(EvReason::InvalidProbability);
    }
    if count.is_zero() {
        return Some(EvReason::ZeroCount);
    }
    None
}

fn paid(side: BookSide, yes_price: Price) -> i64 {
    match side {
        BookSide::Bid => yes_price.micros(),
        BookSide::Ask => MICROS_PER_DOLLAR - yes_price.micros(),
    }
}

/// `total / contracts`, rounded up to the micro-dollar (a cost is never understated).
fn per_contract_ceil(total_micros: i64, count: Count) -> i64 {
    let centi = i128::from(count.centi());
    if centi == 0 {
        return 0;
    }
    let scaled = i128::from(total_micros) * i128::from(CENTI_PER_CONTRACT);
    i64::try_from((scaled + centi - 1).div_euclid(centi)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market_data::{BookLevel, BookSnapshot};

    fn price(text: &str) -> Price {
        Price::parse(text).unwrap()
    }
    fn count(contracts: i64) -> Count {
        Count::from_contracts(contracts).unwrap()
    }
    fn inputs(side: BookSide, price_text: &str, contracts: i64, fair_ppm: u32) -> EvInputs {
        EvInputs {
            ticker: "M".to_string(),
            side,
            price: price(price_text),
            count: count(contracts),
            liquidity: Liquidity::Maker,
            fair_ppm,
            fair_source: FairSource::Book,
            inventory_skew_micros: 0,
        }
    }
    fn gate(min_edge_micros: i64) -> EvGate {
        EvGate::new(
            EvGateConfig {
                min_edge_micros,
                taker_slippage_micros: 2_000,
                adverse_selection_micros: 3_000,
            },
            100,
        )
    }
    fn quadratic() -> FeeSchedule {
        FeeSchedule::new(FeeType::Quadratic, PPM_PER_UNIT).unwrap()
    }

    #[test]
    fn maker_bid_below_fair_passes_with_exact_components() {
        let decision = gate(5_000).evaluate_maker(
            inputs(BookSide::Bid, "0.48", 10, 500_000),
            Some(&quadratic()),
        );
        // quadratic: no maker fee. 0.50 − 0.48 − 0.003 adverse = 0.017.
        assert_eq!(decision.components.win_value_micros, 500_000);
        assert_eq!(decision.components.price_paid_micros, 480_000);
        assert_eq!(decision.components.fee_micros, 0);
        assert_eq!(decision.ev_micros, 17_000);
        assert!(decision.passed());
    }

    #[test]
    fn ask_wins_with_the_complement_and_pays_the_no_price() {
        let decision = gate(5_000).evaluate_maker(
            inputs(BookSide::Ask, "0.52", 10, 500_000),
            Some(&quadratic()),
        );
        assert_eq!(decision.components.win_value_micros, 500_000);
        assert_eq!(decision.components.price_paid_micros, 480_000);
        assert_eq!(decision.ev_micros, 17_000);
        let decision = gate(5_000).evaluate_maker(
            inputs(BookSide::Ask, "0.52", 10, 515_000),
            Some(&quadratic()),
        );
        assert_eq!(decision.ev_micros, 2_000);
        assert_eq!(decision.reason, EvReason::BelowMinEdge);
    }

    #[test]
    fn maker_fee_is_exact_per_contract() {
        let schedule = FeeSchedule::new(FeeType::QuadraticWithMakerFees, PPM_PER_UNIT).unwrap();
        // 0.0175 × 100 × 0.5 × 0.5 = 0.4375 for 100 contracts → 4 375 µ$ each.
        let decision =
            gate(0).evaluate_maker(inputs(BookSide::Bid, "0.50", 100, 600_000), Some(&schedule));
        assert_eq!(decision.components.fee_micros, 4_375);
        // Cent precision rounds the execution up to $0.44 → 4 400 µ$ each.
        let cent_gate = EvGate::new(
            EvGateConfig {
                min_edge_micros: 0,
                ..EvGateConfig::default()
            },
            10_000,
        );
        let decision =
            cent_gate.evaluate_maker(inputs(BookSide::Bid, "0.50", 100, 600_000), Some(&schedule));
        assert_eq!(decision.components.fee_micros, 4_400);
    }

    #[test]
    fn taker_walks_the_book_and_charges_the_spread_beyond_the_touch() {
        let mut book = OrderBook::new(10_000).unwrap();
        book.apply_snapshot(&BookSnapshot {
            ticker: "M".to_string(),
            bids: vec![BookLevel {
                price: price("0.42"),
                size: count(13),
            }],
            asks: vec![
                BookLevel {
                    price: price("0.44"),
                    size: count(17),
                },
                BookLevel {
                    price: price("0.45"),
                    size: count(20),
                },
            ],
            clock: None,
        })
        .unwrap();
        let decision = gate(0).evaluate_taker(
            inputs(BookSide::Bid, "0.45", 25, 600_000),
            &book,
            Some(&quadratic()),
        );
        // VWAP (17 × 0.44 + 8 × 0.45) / 25 = 0.4432.
        assert_eq!(decision.components.price_paid_micros, 440_000);
        assert_eq!(decision.components.spread_paid_micros, 3_200);
        assert_eq!(decision.components.slippage_micros, 2_000);
        // Fees per level: ceil(0.07×17×0.44×0.56 = 0.293216) → 0.2933; 0.07×8×0.45×0.55 = 0.1386.
        assert_eq!(
            decision.components.fee_micros,
            (293_300 + 138_600 + 24) / 25
        );
        assert!(decision.passed());
        let too_big = gate(0).evaluate_taker(
            inputs(BookSide::Bid, "0.45", 38, 600_000),
            &book,
            Some(&quadratic()),
        );
        assert_eq!(too_big.reason, EvReason::InsufficientDepth);
        let sell = gate(0).evaluate_taker(
            inputs(BookSide::Ask, "0.42", 5, 300_000),
            &book,
            Some(&quadratic()),
        );
        assert_eq!(sell.components.price_paid_micros, 580_000);
        assert_eq!(sell.components.win_value_micros, 700_000);
    }

    #[test]
    fn unpriceable_fee_fails_closed() {
        let decision = gate(0).evaluate_maker(inputs(BookSide::Bid, "0.40", 1, 900_000), None);
        assert_eq!(decision.reason, EvReason::FeeUnavailable);
        assert!(!decision.passed());
    }
}
