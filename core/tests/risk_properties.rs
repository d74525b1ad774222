//! Property: whatever the state and the intent, an approved order never breaches a limit, and
//! a halted gate approves nothing.

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::{PlaceOrder, TimeInForce};
use kalshi_core::config::{RiskLimits, SelfTradePrevention};
use kalshi_core::risk::{Risk, RiskView, ScopeExposure, is_reducing, price_paid};
use kalshi_core::{BookSide, Count, Money, Price, SignedCount};
use proptest::prelude::*;

fn scope() -> impl Strategy<Value = ScopeExposure> {
    (-40_000i64..40_000, 0i64..30_000, 0i64..30_000).prop_map(|(position, bid, ask)| {
        ScopeExposure {
            position: SignedCount::from_centi(position),
            resting_bid: Count::from_centi(bid).unwrap(),
            resting_ask: Count::from_centi(ask).unwrap(),
        }
    })
}

fn view() -> impl Strategy<Value = RiskView> {
    (
        scope(),
        scope(),
        0u32..12,
        0i64..1_500_000_000,
        proptest::option::of(0i64..=1_000_000),
        any::<bool>(),
    )
        .prop_map(
            |(market, event_extra, open, exposure, fair, on_grid)| RiskView {
                market,
                event: ScopeExposure {
                    position: market.position + event_extra.position,
                    resting_bid: market.resting_bid + event_extra.resting_bid,
                    resting_ask: market.resting_ask + event_extra.resting_ask,
                },
                open_orders_in_market: open,
                account_exposure: Money::from_micros(exposure),
                fair: fair.map(|micros| Price::from_micros(micros).unwrap()),
                price_on_grid: on_grid,
            },
        )
}

fn order() -> impl Strategy<Value = PlaceOrder> {
    (any::<bool>(), 0i64..=1_000_000, 0i64..10_000).prop_map(|(bid, price, count)| PlaceOrder {
        client_order_id: ClientOrderId::parse("kb-p-1").unwrap(),
        ticker: "M".to_string(),
        side: if bid { BookSide::Bid } else { BookSide::Ask },
        price: Price::from_micros(price).unwrap(),
        count: Count::from_centi(count).unwrap(),
        time_in_force: TimeInForce::GoodTillCanceled,
        post_only: true,
        reduce_only: false,
        self_trade_prevention: SelfTradePrevention::TakerAtCross,
        cancel_order_on_pause: true,
        expiration_ts_s: None,
        order_group_id: None,
    })
}

fn worst(scope: &ScopeExposure, side: BookSide, count: Count) -> i64 {
    scope.worst_case(side, count)
}

static APPROVALS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn approved_orders_never_breach_limits(
        steps in proptest::collection::vec((view(), order(), 0i64..400_000_000), 1..30),
        halted in any::<bool>(),
    ) {
        let limits = RiskLimits::default();
        let mut risk = Risk::new(limits.clone());
        if halted {
            risk.halt();
        }
        let mut ts_ns = 0i64;
        let mut approvals_at: Vec<i64> = Vec::new();
        for (view, order, dt) in steps {
            ts_ns += dt;
            let side = order.side;
            let price = order.price;
            let count = order.count;
            let Ok(approved) = risk.check_place(order, &view, ts_ns) else { continue };
            prop_assert!(!halted, "a halted gate approved an order");
            prop_assert_eq!(approved.price, price);
            prop_assert!(price > Price::ZERO && price < Price::ONE && view.price_on_grid);
            prop_assert!(!count.is_zero() && count <= limits.order_contracts_max);
            let notional = Money::notional(price_paid(side, price), count);
            prop_assert!(notional <= limits.order_notional_max);
            let fair = view.fair.expect("approved without a fair value");
            prop_assert!((price.micros() - fair.micros()).abs() <= limits.price_collar_micros);
            prop_assert!(view.open_orders_in_market < limits.open_orders_per_market_max);
            prop_assert!(worst(&view.market, side, count) <= limits.market_position_max.centi());
            prop_assert!(worst(&view.event, side, count) <= limits.event_position_max.centi());
            if !is_reducing(&view.market, side, count) {
                prop_assert!(view.account_exposure + notional <= limits.account_exposure_max);
            }
            approvals_at.push(ts_ns);
            APPROVALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        // Order-rate budget: in any window of one second, at most burst + rate approvals.
        let window_max = (limits.order_rate_burst + limits.order_rate_per_second) as usize;
        for (index, start) in approvals_at.iter().enumerate() {
            let in_window = approvals_at[index..].iter().take_while(|ts| **ts < start + 1_000_000_000).count();
            prop_assert!(in_window <= window_max);
        }
    }
}

#[test]
fn the_property_exercises_approvals() {
    // Runs the property body once more through proptest's runner and checks that approvals
    // happened at all, so the property above is not vacuously true.
    approved_orders_never_breach_limits();
    assert!(APPROVALS.load(std::sync::atomic::Ordering::Relaxed) > 50);
}
