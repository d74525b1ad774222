//! The fee engine against every worked example in kalshi-api.md §9, plus the properties the
//! EV gate and the simulator rely on.

use kalshi_core::fees::{
    FeeError, FeeOverride, FeeSchedule, FeeType, FillTerms, Liquidity, RoundingAccumulator,
    TargetPrecision, fee_for_fill_2026, fee_for_fill_classic, multiplier_ppm_from_json,
    parse_multiplier_ppm,
};
use kalshi_core::market_data::FeeParams;
use kalshi_core::{BookSide, Count, Money, Price};
use proptest::prelude::*;
use serde_json::json;

fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn money(text: &str) -> Money {
    Money::parse(text).unwrap()
}

fn contracts(whole: i64) -> Count {
    Count::from_contracts(whole).unwrap()
}

fn params(fee_type: &str, multiplier_ppm: i64) -> FeeParams {
    FeeParams {
        fee_type: fee_type.to_string(),
        multiplier_ppm,
    }
}

fn schedule(fee_type: FeeType, multiplier_ppm: i64) -> FeeSchedule {
    FeeSchedule::new(fee_type, multiplier_ppm).unwrap()
}

fn taker_buy(yes_price: &str, count: i64) -> FillTerms {
    FillTerms {
        side: BookSide::Bid,
        yes_price: price(yes_price),
        count: contracts(count),
        liquidity: Liquidity::Taker,
    }
}

#[test]
fn fee_types_parse_with_their_maker_factors() {
    assert_eq!(FeeType::parse("quadratic").unwrap().maker_factor_ppm(), 0);
    assert_eq!(
        FeeType::parse("quadratic_with_maker_fees")
            .unwrap()
            .maker_factor_ppm(),
        250_000
    );
    assert_eq!(
        FeeType::parse("quadratic_with_combo_maker_fees")
            .unwrap()
            .maker_factor_ppm(),
        500_000
    );
    for fee_type in [
        FeeType::Quadratic,
        FeeType::QuadraticWithMakerFees,
        FeeType::QuadraticWithComboMakerFees,
    ] {
        assert_eq!(fee_type.as_str().parse::<FeeType>().unwrap(), fee_type);
    }
}

#[test]
fn flat_fee_type_is_refused_never_priced_at_zero() {
    let error = FeeType::parse("flat").unwrap_err();
    assert_eq!(
        error,
        FeeError::UnsupportedFeeType {
            fee_type: "flat".to_string()
        }
    );
    let message = error.to_string();
    assert!(
        message.contains("flat") && message.contains("Specific Trading Fees Table"),
        "{message}"
    );

    assert_eq!(
        fee_for_fill_classic(
            &params("flat", 1_000_000),
            true,
            price("0.50"),
            contracts(1)
        ),
        Err(error)
    );
}

#[test]
fn unknown_fee_type_is_refused_by_name() {
    let error = FeeType::parse("cubic").unwrap_err();
    assert_eq!(
        error,
        FeeError::UnsupportedFeeType {
            fee_type: "cubic".to_string()
        }
    );
    assert!(
        error.to_string().contains("unknown fee type \"cubic\""),
        "{error}"
    );
}

#[test]
fn multipliers_parse_exactly_from_json_numbers_and_strings() {
    assert_eq!(multiplier_ppm_from_json(&json!(1)).unwrap(), 1_000_000);
    assert_eq!(multiplier_ppm_from_json(&json!(0.5)).unwrap(), 500_000);
    assert_eq!(multiplier_ppm_from_json(&json!(1.25)).unwrap(), 1_250_000);
    assert_eq!(multiplier_ppm_from_json(&json!(0.1)).unwrap(), 100_000);
    assert_eq!(multiplier_ppm_from_json(&json!("1.25")).unwrap(), 1_250_000);
    assert_eq!(parse_multiplier_ppm("0").unwrap(), 0);

    assert_eq!(
        multiplier_ppm_from_json(&json!(-0.5)),
        Err(FeeError::NegativeMultiplier {
            multiplier_ppm: -500_000
        })
    );
    assert_eq!(
        multiplier_ppm_from_json(&json!(null)),
        Err(FeeError::MultiplierNotNumeric { json_kind: "null" })
    );
    assert!(matches!(
        parse_multiplier_ppm("half"),
        Err(FeeError::InvalidMultiplier { .. })
    ));
    assert!(matches!(
        parse_multiplier_ppm("0.0000001"),
        Err(FeeError::InvalidMultiplier { .. })
    ));
    assert_eq!(
        FeeSchedule::new(FeeType::Quadratic, -1),
        Err(FeeError::NegativeMultiplier { multiplier_ppm: -1 })
    );
}

#[test]
fn event_override_takes_precedence_field_by_field() {
    let series = params("quadratic", 1_000_000);
    assert_eq!(
        FeeSchedule::effective(&series, None).unwrap(),
        schedule(FeeType::Quadratic, 1_000_000)
    );

    let both = FeeOverride {
        fee_type: Some("quadratic_with_maker_fees".to_string()),
        multiplier_ppm: Some(500_000),
    };
    assert_eq!(
        FeeSchedule::effective(&series, Some(&both)).unwrap(),
        schedule(FeeType::QuadraticWithMakerFees, 500_000)
    );

    let multiplier_only = FeeOverride {
        fee_type: None,
        multiplier_ppm: Some(250_000),
    };
    assert_eq!(
        FeeSchedule::effective(&series, Some(&multiplier_only)).unwrap(),
        schedule(FeeType::Quadratic, 250_000)
    );

    let cleared = FeeOverride::default();
    assert_eq!(
        FeeSchedule::effective(&series, Some(&cleared)).unwrap(),
        schedule(FeeType::Quadratic, 1_000_000)
    );

    // An override replaces an unpriceable series type; an unpriceable override is refused.
    let flat_series = params("flat", 1_000_000);
    let quadratic = FeeOverride {
        fee_type: Some("quadratic".to_string()),
        multiplier_ppm: None,
    };
    assert_eq!(
        FeeSchedule::effective(&flat_series, Some(&quadratic)).unwrap(),
        schedule(FeeType::Quadratic, 1_000_000)
    );
    let flat = FeeOverride {
        fee_type: Some("flat".to_string()),
        multiplier_ppm: None,
    };
    assert!(matches!(
        FeeSchedule::effective(&series, Some(&flat)),
        Err(FeeError::UnsupportedFeeType { .. })
    ));
}

#[test]
fn classic_rounding_matches_the_published_examples() {
    let taker_params = params("quadratic", 1_000_000);
    let cases = [
        ("0.50", 1, "0.02"),
        ("0.50", 10, "0.18"),
        ("0.50", 100, "1.75"),
        ("0.10", 100, "0.63"),
    ];
    for (yes_price, count, expected) in cases {
        let fee =
            fee_for_fill_classic(&taker_params, true, price(yes_price), contracts(count)).unwrap();
        assert_eq!(fee, money(expected), "taker {count} @ {yes_price}");
    }
    // 0.0175 × 100 × 0.25 = 0.4375 → 0.44.
    let maker_params = params("quadratic_with_maker_fees", 1_000_000);
    assert_eq!(
        fee_for_fill_classic(&maker_params, false, price("0.50"), contracts(100)).unwrap(),
        money("0.44")
    );
    // Plain quadratic charges makers nothing.
    assert_eq!(
        fee_for_fill_classic(&taker_params, false, price("0.50"), contracts(100)).unwrap(),
        Money::ZERO
    );
    // Combo maker fees: 0.035 × 100 × 0.25 = 0.875 → 0.88.
    let combo_params = params("quadratic_with_combo_maker_fees", 1_000_000);
    assert_eq!(
        fee_for_fill_classic(&combo_params, false, price("0.50"), contracts(100)).unwrap(),
        money("0.88")
    );
}

#[test]
fn multiplier_scales_the_whole_formula() {
    let half = params("quadratic", 500_000);
    // 0.5 × 1.75 = 0.875.
    assert_eq!(
        fee_for_fill_2026(&half, true, price("0.50"), contracts(100)).unwrap(),
        money("0.875")
    );
    assert_eq!(
        fee_for_fill_classic(&half, true, price("0.50"), contracts(100)).unwrap(),
        money("0.88")
    );
    // 0.5 × 0.0175 = 0.00875 → 0.0088 at $0.0001, 0.01 at the cent.
    assert_eq!(
        fee_for_fill_2026(&half, true, price("0.50"), contracts(1)).unwrap(),
        money("0.0088")
    );
    assert_eq!(
        fee_for_fill_classic(&half, true, price("0.50"), contracts(1)).unwrap(),
        money("0.01")
    );
}

#[test]
fn fractional_counts_and_deci_cent_prices_are_exact() {
    let taker = schedule(FeeType::Quadratic, 1_000_000);
    // 0.07 × 0.5 × 0.505 × 0.495 = 0.008749125 → 0.0088.
    let fee = taker
        .trade_fee(
            Liquidity::Taker,
            price("0.505"),
            Count::parse("0.50").unwrap(),
        )
        .unwrap();
    assert_eq!(fee, money("0.0088"));
    // 0.07 × 100 × 0.1 × 0.9 is exactly 0.63: an exact engine must not round it up to 0.64.
    assert_eq!(
        taker
            .classic_fee(Liquidity::Taker, price("0.10"), contracts(100))
            .unwrap(),
        money("0.63")
    );
}

#[test]
fn absurd_inputs_overflow_with_a_typed_error() {
    let absurd = schedule(FeeType::Quadratic, i64::MAX);
    let result = absurd.classic_fee(
        Liquidity::Taker,
        price("0.50"),
        Count::from_centi(i64::MAX).unwrap(),
    );
    assert!(
        matches!(result, Err(FeeError::Overflow { .. })),
        "{result:?}"
    );
}

#[test]
fn four_one_lot_fills_cost_the_same_as_one_four_lot_fill() {
    let taker = schedule(FeeType::Quadratic, 1_000_000);
    let mut order = RoundingAccumulator::new();
    let mut net_total = Money::ZERO;
    let mut balance_total = Money::ZERO;
    let mut charges = Vec::new();
    for _ in 0..4 {
        let charge = order
            .charge_fill(&taker, TargetPrecision::STANDARD, &taker_buy("0.50", 1))
            .unwrap();
        net_total = net_total + charge.net_fee;
        balance_total = balance_total + charge.balance_applied;
        charges.push(charge);
    }
    let first = charges[0];
    assert_eq!(first.trade_fee, money("0.0175"));
    assert_eq!(first.revenue, money("-0.50"));
    assert_eq!(first.balance_change, money("-0.5175"));
    assert_eq!(first.balance_applied, money("-0.52"));
    assert_eq!(first.rounding_fee, money("0.0025"));
    assert_eq!(first.rebate, Money::ZERO);
    assert_eq!(first.net_fee, money("0.02"));
    // The fourth fill brings the accumulator to exactly $0.01, which fires the rebate.
    assert_eq!(charges[3].rebate, money("0.01"));
    assert_eq!(charges[3].net_fee, money("0.01"));
    assert_eq!(order.accumulated(), Money::ZERO);
    assert_eq!(net_total, money("0.07"));
    assert_eq!(balance_total, money("-2.07"));

    let mut single = RoundingAccumulator::new();
    let one_fill = single
        .charge_fill(&taker, TargetPrecision::STANDARD, &taker_buy("0.50", 4))
        .unwrap();
    assert_eq!(one_fill.trade_fee, money("0.07"));
    assert_eq!(one_fill.rounding_fee, Money::ZERO);
    assert_eq!(one_fill.net_fee, net_total);
    assert_eq!(one_fill.balance_applied, balance_total);
}

#[test]
fn direct_member_pays_the_exact_trade_fee() {
    let taker = schedule(FeeType::Quadratic, 1_000_000);
    let mut order = RoundingAccumulator::new();
    for _ in 0..4 {
        let charge = order
            .charge_fill(
                &taker,
                TargetPrecision::DIRECT_MEMBER,
                &taker_buy("0.50", 1),
            )
            .unwrap();
        assert_eq!(charge.net_fee, money("0.0175"));
        assert_eq!(charge.rounding_fee, Money::ZERO);
        assert_eq!(charge.balance_applied, money("-0.5175"));
    }
    assert_eq!(order.accumulated(), Money::ZERO);
}

#[test]
fn no_buyer_pays_the_complement_of_the_yes_price() {
    let taker = schedule(FeeType::Quadratic, 1_000_000);
    let sell_yes = FillTerms {
        side: BookSide::Ask,
        yes_price: price("0.40"),
        count: contracts(3),
        liquidity: Liquidity::Taker,
    };
    let charge = RoundingAccumulator::new()
        .charge_fill(&taker, TargetPrecision::STANDARD, &sell_yes)
        .unwrap();
    assert_eq!(charge.revenue, money("-1.80"));
    // 0.07 × 3 × 0.4 × 0.6 = 0.0504.
    assert_eq!(charge.trade_fee, money("0.0504"));
    assert_eq!(charge.balance_applied, money("-1.86"));
    assert_eq!(charge.rounding_fee, money("0.0096"));
}

#[test]
fn accumulator_is_shared_by_an_orders_taker_and_maker_fills() {
    let maker_fees = schedule(FeeType::QuadraticWithMakerFees, 1_000_000);
    let mut order = RoundingAccumulator::new();
    // Taker 1 @ 0.50: rounding 0.0025. Maker 1 @ 0.50: 0.004375 → 0.0044, rounding 0.0056.
    let taker = order
        .charge_fill(
            &maker_fees,
            TargetPrecision::STANDARD,
            &taker_buy("0.50", 1),
        )
        .unwrap();
    assert_eq!(taker.rounding_fee, money("0.0025"));
    let maker_fill = FillTerms {
        liquidity: Liquidity::Maker,
        ..taker_buy("0.50", 1)
    };
    let maker = order
        .charge_fill(&maker_fees, TargetPrecision::STANDARD, &maker_fill)
        .unwrap();
    assert_eq!(maker.trade_fee, money("0.0044"));
    assert_eq!(maker.rounding_fee, money("0.0056"));
    assert_eq!(maker.rebate, Money::ZERO);
    assert_eq!(order.accumulated(), money("0.0081"));
    // A second maker fill pushes the shared total past $0.01.
    let again = order
        .charge_fill(&maker_fees, TargetPrecision::STANDARD, &maker_fill)
        .unwrap();
    assert_eq!(again.rebate, money("0.01"));
    assert_eq!(order.accumulated(), money("0.0037"));
}

#[test]
fn net_fee_never_goes_negative_when_a_rebate_meets_a_zero_fee_fill() {
    // Plain quadratic makers pay no trade fee; deci-cent prices still leave rounding.
    let quadratic = schedule(FeeType::Quadratic, 1_000_000);
    let maker_fill = FillTerms {
        side: BookSide::Bid,
        yes_price: price("0.505"),
        count: contracts(1),
        liquidity: Liquidity::Maker,
    };
    let mut order = RoundingAccumulator::new();
    let first = order
        .charge_fill(&quadratic, TargetPrecision::STANDARD, &maker_fill)
        .unwrap();
    assert_eq!(first.trade_fee, Money::ZERO);
    assert_eq!(first.rounding_fee, money("0.005"));
    assert_eq!(first.net_fee, money("0.005"));
    let second = order
        .charge_fill(&quadratic, TargetPrecision::STANDARD, &maker_fill)
        .unwrap();
    assert_eq!(second.rebate, money("0.01"));
    assert_eq!(second.net_fee, Money::ZERO);
    // The balance still gets the full rebate: −0.51 + 0.01.
    assert_eq!(second.balance_applied, money("-0.50"));
}

#[test]
fn target_precision_must_divide_a_cent() {
    assert_eq!(TargetPrecision::default(), TargetPrecision::STANDARD);
    assert_eq!(
        TargetPrecision::from_micros(100).unwrap(),
        TargetPrecision::DIRECT_MEMBER
    );
    for bad in [0, -100, 3_000, 20_000] {
        assert_eq!(
            TargetPrecision::from_micros(bad),
            Err(FeeError::InvalidTargetPrecision {
                precision_micros: bad
            })
        );
    }
}

fn arbitrary_schedule() -> impl Strategy<Value = FeeSchedule> {
    let fee_type = prop_oneof![
        Just(FeeType::Quadratic),
        Just(FeeType::QuadraticWithMakerFees),
        Just(FeeType::QuadraticWithComboMakerFees)
    ];
    (fee_type, 0i64..=3_000_000)
        .prop_map(|(fee_type, multiplier_ppm)| schedule(fee_type, multiplier_ppm))
}

/// Prices on a deci-cent grid, as Kalshi markets quote them.
fn arbitrary_price() -> impl Strategy<Value = Price> {
    (0i64..=1_000).prop_map(|mills| Price::from_micros(mills * 1_000).unwrap())
}

fn arbitrary_count() -> impl Strategy<Value = Count> {
    (0i64..=1_000_000).prop_map(|centi| Count::from_centi(centi).unwrap())
}

fn arbitrary_liquidity() -> impl Strategy<Value = Liquidity> {
    prop_oneof![Just(Liquidity::Maker), Just(Liquidity::Taker)]
}

fn arbitrary_fill() -> impl Strategy<Value = FillTerms> {
    (
        prop_oneof![Just(BookSide::Bid), Just(BookSide::Ask)],
        arbitrary_price(),
        1i64..=5_000,
        arbitrary_liquidity(),
    )
        .prop_map(|(side, yes_price, centi, liquidity)| FillTerms {
            side,
            yes_price,
            count: Count::from_centi(centi).unwrap(),
            liquidity,
        })
}

proptest! {
    #[test]
    fn fee_is_never_negative(s in arbitrary_schedule(), l in arbitrary_liquidity(), p in arbitrary_price(), c in arbitrary_count()) {
        prop_assert!(s.classic_fee(l, p, c).unwrap() >= Money::ZERO);
        prop_assert!(s.trade_fee(l, p, c).unwrap() >= Money::ZERO);
    }

    #[test]
    fn fee_does_not_decrease_with_count(s in arbitrary_schedule(), l in arbitrary_liquidity(), p in arbitrary_price(), a in arbitrary_count(), b in arbitrary_count()) {
        let (small, large) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(s.classic_fee(l, p, small).unwrap() <= s.classic_fee(l, p, large).unwrap());
        prop_assert!(s.trade_fee(l, p, small).unwrap() <= s.trade_fee(l, p, large).unwrap());
    }

    #[test]
    fn fee_is_symmetric_in_yes_and_no_price(s in arbitrary_schedule(), l in arbitrary_liquidity(), p in arbitrary_price(), c in arbitrary_count()) {
        prop_assert_eq!(s.classic_fee(l, p, c).unwrap(), s.classic_fee(l, p.complement(), c).unwrap());
        prop_assert_eq!(s.trade_fee(l, p, c).unwrap(), s.trade_fee(l, p.complement(), c).unwrap());
    }

    #[test]
    fn maker_never_pays_more_than_taker(s in arbitrary_schedule(), p in arbitrary_price(), c in arbitrary_count()) {
        prop_assert!(s.classic_fee(Liquidity::Maker, p, c).unwrap() <= s.classic_fee(Liquidity::Taker, p, c).unwrap());
        prop_assert!(s.trade_fee(Liquidity::Maker, p, c).unwrap() <= s.trade_fee(Liquidity::Taker, p, c).unwrap());
    }

    #[test]
    fn classic_fee_is_the_trade_fee_rounded_up_to_the_cent(s in arbitrary_schedule(), l in arbitrary_liquidity(), p in arbitrary_price(), c in arbitrary_count()) {
        let classic = s.classic_fee(l, p, c).unwrap().micros();
        let trade = s.trade_fee(l, p, c).unwrap().micros();
        prop_assert_eq!(classic % 10_000, 0);
        prop_assert!(trade <= classic && classic - trade < 10_000);
    }

    #[test]
    fn an_orders_fees_exceed_its_trade_fees_by_less_than_a_cent(
        s in arbitrary_schedule(),
        fills in prop::collection::vec(arbitrary_fill(), 1..20),
        direct in any::<bool>(),
    ) {
        let precision = if direct { TargetPrecision::DIRECT_MEMBER } else { TargetPrecision::STANDARD };
        let mut order = RoundingAccumulator::new();
        let (mut revenue, mut trade_fees, mut balance) = (Money::ZERO, Money::ZERO, Money::ZERO);
        for fill in &fills {
            let charge = order.charge_fill(&s, precision, fill).unwrap();
            prop_assert!(charge.net_fee >= Money::ZERO);
            prop_assert!(charge.rounding_fee >= Money::ZERO);
            prop_assert!(charge.rounding_fee.micros() < precision.unit_micros());
            prop_assert_eq!(charge.balance_applied.micros() % precision.unit_micros(), 0);
            prop_assert_eq!(charge.balance_applied, charge.balance_change - charge.rounding_fee + charge.rebate);
            revenue = revenue + charge.revenue;
            trade_fees = trade_fees + charge.trade_fee;
            balance = balance + charge.balance_applied;
        }
        let carried = order.accumulated();
        prop_assert!(carried >= Money::ZERO && carried.micros() < 10_000);
        // Cash moved = revenue − exact trade fees − the rounding still carried by the order.
        prop_assert_eq!(balance, revenue - trade_fees - carried);
    }
}
