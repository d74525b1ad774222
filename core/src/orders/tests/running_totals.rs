//! The running exposure totals agree with walking the records after any sequence of events.

use proptest::prelude::*;

use super::*;
use crate::risk::ScopeExposure;

const TICKERS: [&str; 3] = ["A-1", "A-2", "B-1"];

/// One thing that can happen to the books.
#[derive(Debug, Clone)]
enum Step {
    Place {
        order: u8,
        market: u8,
        bid: bool,
        cents: i64,
        contracts: i64,
    },
    Ack {
        order: u8,
        filled: i64,
        remaining: i64,
    },
    Fill {
        order: u8,
        fill: u16,
        contracts: i64,
        post_position: Option<i64>,
    },
    CancelAll {
        market: Option<u8>,
    },
    CancelAck {
        order: u8,
    },
    Unknown {
        order: u8,
    },
    NotFound {
        order: u8,
    },
    Rejected {
        order: u8,
    },
    Snapshot {
        order: u8,
        status: u8,
        remaining: i64,
        cents: i64,
    },
    Diff {
        market: u8,
        cents: i64,
        contracts: i64,
    },
    Reconcile {
        keep: Vec<u8>,
        position: i64,
    },
    /// Market "A-2" moves to the other event.
    MoveEvent,
}

fn step() -> impl Strategy<Value = Step> {
    let order = 0u8..6;
    prop_oneof![
        (order.clone(), 0u8..3, any::<bool>(), 1i64..99, 1i64..20).prop_map(
            |(order, market, bid, cents, contracts)| Step::Place {
                order,
                market,
                bid,
                cents,
                contracts
            }
        ),
        (order.clone(), 0i64..5, 0i64..20).prop_map(|(order, filled, remaining)| {
            Step::Ack {
                order,
                filled,
                remaining,
            }
        }),
        (
            order.clone(),
            0u16..40,
            1i64..10,
            proptest::option::of(-30i64..30)
        )
            .prop_map(|(order, fill, contracts, post_position)| {
                Step::Fill {
                    order,
                    fill,
                    contracts,
                    post_position,
                }
            }),
        proptest::option::of(0u8..3).prop_map(|market| Step::CancelAll { market }),
        order.clone().prop_map(|order| Step::CancelAck { order }),
        order.clone().prop_map(|order| Step::Unknown { order }),
        order.clone().prop_map(|order| Step::NotFound { order }),
        order.clone().prop_map(|order| Step::Rejected { order }),
        (order, 0u8..4, 0i64..20, 1i64..99).prop_map(|(order, status, remaining, cents)| {
            Step::Snapshot {
                order,
                status,
                remaining,
                cents,
            }
        }),
        (0u8..3, 1i64..99, 1i64..20).prop_map(|(market, cents, contracts)| {
            Step::Diff {
                market,
                cents,
                contracts,
            }
        }),
        (proptest::collection::vec(0u8..6, 0..4), -20i64..20)
            .prop_map(|(keep, position)| Step::Reconcile { keep, position }),
        Just(Step::MoveEvent),
    ]
}

fn client(order: u8) -> String {
    format!("kb-p-{order}")
}

fn cents(value: i64) -> Price {
    Price::from_cents(value).unwrap()
}

/// Every ticker's event; market 1 ("A-2") can move between events.
fn events(moved: bool) -> [&'static str; 3] {
    if moved {
        ["A", "B", "B"]
    } else {
        ["A", "A", "B"]
    }
}

fn apply(manager: &mut OrderManager, step: &Step, moved: &mut bool, tickers: &mut [u8; 6]) {
    match step {
        Step::Place {
            order,
            market,
            bid,
            cents: c,
            contracts,
        } => {
            tickers[usize::from(*order)] = *market;
            let mut request = place(
                &client(*order),
                if *bid { BookSide::Bid } else { BookSide::Ask },
                "0.50",
                *contracts,
            );
            request.ticker = TICKERS[usize::from(*market)].to_string();
            request.price = cents(*c);
            manager.record_place_sent(&request, 0);
        }
        Step::Ack {
            order,
            filled,
            remaining,
        } => {
            manager.on_ack(&ack(
                &client(*order),
                &format!("ex-{order}"),
                *filled,
                *remaining,
            ));
        }
        Step::Fill {
            order,
            fill: fill_number,
            contracts,
            post_position,
        } => {
            let mut applied = fill(
                &format!("f-{fill_number}"),
                &client(*order),
                &format!("ex-{order}"),
                *contracts,
            );
            applied.ticker = TICKERS[usize::from(tickers[usize::from(*order)])].to_string();
            applied.post_position = post_position.map(|p| SignedCount::from_centi(p * 100));
            manager.on_fill(&applied);
        }
        Step::CancelAll { market } => {
            manager.cancel_orders(market.map(|m| TICKERS[usize::from(m)]));
        }
        Step::CancelAck { order } => {
            manager.on_cancel_ack(&CancelAck {
                client_order_id: id(&client(*order)),
                order_id: format!("ex-{order}"),
                reduced_by: count(1),
            });
        }
        Step::Unknown { order } => {
            manager.on_unknown(&id(&client(*order)));
        }
        Step::NotFound { order } => {
            manager.on_not_found(&id(&client(*order)));
        }
        Step::Rejected { order } => {
            manager.on_rejected(&OrderRejected {
                client_order_id: id(&client(*order)),
                request: RequestKind::Place,
                code: "invalid_order".to_string(),
                message: String::new(),
            });
        }
        Step::Snapshot {
            order,
            status,
            remaining,
            cents: c,
        } => {
            manager.on_snapshot(
                &snapshot_of(*order, *status, *remaining, *c, tickers),
                TransitionCause::Snapshot,
            );
        }
        Step::Diff {
            market,
            cents: c,
            contracts,
        } => {
            let quote = DesiredQuote {
                side: BookSide::Bid,
                price: cents(*c),
                count: count(*contracts),
            };
            manager.diff(TICKERS[usize::from(*market)], &[quote]);
        }
        Step::Reconcile { keep, position } => {
            let orders: Vec<OrderSnapshot> = keep
                .iter()
                .map(|order| snapshot_of(*order, 0, 3, 40, tickers))
                .collect();
            let positions = vec![PositionSnapshot {
                ticker: TICKERS[0].to_string(),
                position: SignedCount::from_centi(position * 100),
                cost: Money::from_micros(position.abs() * 400_000),
                realized_pnl: Money::ZERO,
                fees_paid: Money::ZERO,
            }];
            manager.reconcile(&orders, &positions);
        }
        Step::MoveEvent => {
            *moved = !*moved;
            manager.assign_event(TICKERS[1], events(*moved)[1]);
        }
    }
}

fn snapshot_of(order: u8, status: u8, remaining: i64, c: i64, tickers: &[u8; 6]) -> OrderSnapshot {
    OrderSnapshot {
        order_id: format!("ex-{order}"),
        client_order_id: Some(client(order)),
        ticker: TICKERS[usize::from(tickers[usize::from(order)])].to_string(),
        side: BookSide::Ask,
        yes_price: cents(c),
        status: match status {
            0 => ExchangeOrderStatus::Resting,
            1 => ExchangeOrderStatus::Canceled,
            2 => ExchangeOrderStatus::Executed,
            _ => ExchangeOrderStatus::Unknown,
        },
        fill_count: Count::ZERO,
        remaining_count: count(remaining),
        initial_count: None,
        last_update_reason: None,
        ts_ns: 0,
    }
}

/// The totals agree with walking the records, for every scope and every exclusion.
fn check(manager: &OrderManager, moved: bool) -> Result<(), TestCaseError> {
    let mut exclusions: Vec<Option<ClientOrderId>> = vec![None];
    exclusions.extend((0u8..6).map(|order| Some(id(&client(order)))));
    for excluding in &exclusions {
        let excluding = excluding.as_ref();
        prop_assert_eq!(
            manager.account_exposure(excluding),
            manager.account_exposure_walk(excluding)
        );
        for event in ["A", "B"] {
            let mut walked = ScopeExposure::default();
            for (ticker, _) in TICKERS
                .iter()
                .zip(events(moved))
                .filter(|(_, of)| *of == event)
            {
                let (market, open) = manager.market_exposure(ticker, excluding);
                prop_assert_eq!(
                    (market, open),
                    manager.market_exposure_walk(ticker, excluding)
                );
                walked.position = walked.position + market.position;
                walked.resting_bid = walked.resting_bid + market.resting_bid;
                walked.resting_ask = walked.resting_ask + market.resting_ask;
            }
            prop_assert_eq!(manager.event_exposure(event, excluding), Some(walked));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn running_totals_equal_a_full_walk_after_any_sequence(
        steps in proptest::collection::vec(step(), 1..60),
        file_first in any::<bool>(),
    ) {
        let mut manager = OrderManager::with_archive_max(4);
        let mut moved = false;
        let mut tickers = [0u8; 6];
        // Markets may be filed under their events before or after orders exist.
        if file_first {
            for (ticker, event) in TICKERS.iter().zip(events(false)) {
                manager.assign_event(ticker, event);
            }
        }
        for (number, step) in steps.iter().enumerate() {
            apply(&mut manager, step, &mut moved, &mut tickers);
            if !file_first && number == steps.len() / 2 {
                for (ticker, event) in TICKERS.iter().zip(events(moved)) {
                    manager.assign_event(ticker, event);
                }
            }
            if file_first || number >= steps.len() / 2 {
                check(&manager, moved)?;
            }
        }
    }
}
