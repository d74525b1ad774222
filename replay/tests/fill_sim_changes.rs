//! The simulator's list of changed markets, on which the backtest metrics rely to look only at
//! markets that moved: over seeded streams of books, deltas, trades, places (resting and
//! crossing), amends, decreases and cancels in three markets, every market whose resting
//! prices, visible touch or mark differ from when the list was last cleared is on the list, and
//! each market's resting orders are exactly the live orders of its ticker.

mod support;

use std::collections::BTreeMap;

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::{
    AmendOrder, CancelOrder, Command, DecreaseOrder, PlaceOrder, TimeInForce,
};
use kalshi_core::config::SelfTradePrevention;
use kalshi_core::events::Event;
use kalshi_core::market_data::{BookDelta, BookLevel, BookSnapshot, PublicTrade};
use kalshi_core::{BookSide, Price, SignedCount};
use kalshi_replay::fill_sim::{FillModelConfig, FillSimulator};

const MARKETS: [&str; 3] = ["KXCHG-A", "KXCHG-B", "KXCHG-C"];
const MS: i64 = 1_000_000;

/// A small deterministic generator (xorshift64*), so each seed replays the same stream.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// What the metrics read of one market.
type Observed = (
    Vec<(BookSide, Price)>,
    (Option<Price>, Option<Price>),
    Option<i64>,
);

fn observe(sim: &FillSimulator, ticker: &str) -> Observed {
    let mut resting: Vec<(BookSide, Price)> = sim
        .live_orders()
        .filter(|order| order.ticker == ticker)
        .map(|order| (order.side, order.price))
        .collect();
    resting.sort();
    (resting, sim.best_bid_ask(ticker), sim.mark_micros(ticker))
}

fn price(cents: u64) -> Price {
    support::price_cents(i64::try_from(cents).unwrap())
}

fn side(stream: &mut Stream) -> BookSide {
    if stream.below(2) == 0 {
        BookSide::Bid
    } else {
        BookSide::Ask
    }
}

fn place(id: u64, ticker: &str, side: BookSide, cents: u64, post_only: bool) -> PlaceOrder {
    PlaceOrder {
        client_order_id: ClientOrderId::parse(&format!("kb-chg-{id}")).unwrap(),
        ticker: ticker.to_string(),
        side,
        price: price(cents),
        count: support::contracts(3),
        time_in_force: TimeInForce::GoodTillCanceled,
        post_only,
        reduce_only: false,
        self_trade_prevention: SelfTradePrevention::TakerAtCross,
        cancel_order_on_pause: false,
        expiration_ts_s: None,
        order_group_id: None,
    }
}

/// One random step at `ts_ns`: a market event, or a command that arrives later.
fn step(sim: &mut FillSimulator, stream: &mut Stream, ts_ns: i64, placed: &mut u64) {
    let ticker = MARKETS[usize::try_from(stream.below(3)).unwrap()];
    let live: Vec<(ClientOrderId, String, BookSide, Price)> = sim
        .live_orders()
        .map(|order| {
            (
                order.client_order_id.clone(),
                order.ticker.clone(),
                order.side,
                order.price,
            )
        })
        .collect();
    match stream.below(10) {
        0 => {
            let mid = 30 + stream.below(40);
            let event = Event::BookSnapshot(BookSnapshot {
                ticker: ticker.to_string(),
                bids: vec![BookLevel {
                    price: price(mid - 1),
                    size: support::contracts(5 + i64::try_from(stream.below(20)).unwrap()),
                }],
                asks: vec![BookLevel {
                    price: price(mid + 1),
                    size: support::contracts(5 + i64::try_from(stream.below(20)).unwrap()),
                }],
                clock: None,
            });
            sim.on_market_event(ts_ns, &event).unwrap();
        }
        1..=3 => {
            let side = side(stream);
            let (low, _) = sim.best_bid_ask(ticker);
            let anchor = low.map_or(45, |bid| u64::try_from(bid.micros() / 10_000).unwrap());
            let cents = (anchor + stream.below(5)).clamp(2, 97);
            let delta = i64::try_from(stream.below(9)).unwrap() - 4;
            let event = Event::BookDelta(BookDelta {
                ticker: ticker.to_string(),
                side,
                price: price(if side == BookSide::Bid {
                    cents.saturating_sub(2).max(1)
                } else {
                    cents + 2
                }),
                delta: SignedCount::from_centi(delta * 100),
                clock: None,
                client_order_id: None,
            });
            // A delta that would take a level below zero is refused; nothing changes then.
            let _ = sim.on_market_event(ts_ns, &event);
        }
        4 => {
            let (bid, ask) = sim.best_bid_ask(ticker);
            let taker = side(stream);
            let at = match taker {
                BookSide::Bid => ask,
                BookSide::Ask => bid,
            };
            if let Some(at) = at {
                let event = Event::PublicTrade(PublicTrade {
                    ticker: ticker.to_string(),
                    yes_price: at,
                    count: support::contracts(1 + i64::try_from(stream.below(6)).unwrap()),
                    taker_side: taker,
                    ts_ns,
                    trade_id: format!("chg-{ts_ns}"),
                });
                sim.on_market_event(ts_ns, &event).unwrap();
            }
        }
        5 | 6 => {
            *placed += 1;
            let cents = 20 + stream.below(60);
            let post_only = stream.below(4) != 0;
            let order = place(*placed, ticker, side(stream), cents, post_only);
            sim.place(ts_ns, order);
        }
        7 if !live.is_empty() => {
            let (id, ticker, side, _) =
                &live[usize::try_from(stream.below(live.len() as u64)).unwrap()];
            let amend = AmendOrder {
                client_order_id: id.clone(),
                order_id: String::new(),
                ticker: ticker.clone(),
                side: *side,
                price: price(20 + stream.below(60)),
                total_count: support::contracts(4),
                remaining_count: support::contracts(4),
            };
            sim.amend(ts_ns, amend);
        }
        8 if !live.is_empty() => {
            let (id, ticker, _, _) =
                &live[usize::try_from(stream.below(live.len() as u64)).unwrap()];
            sim.submit(
                ts_ns,
                &Command::Decrease(DecreaseOrder {
                    client_order_id: id.clone(),
                    order_id: String::new(),
                    ticker: ticker.clone(),
                    reduce_to: support::contracts(i64::try_from(stream.below(3)).unwrap()),
                }),
            );
        }
        _ if !live.is_empty() => {
            let (id, ticker, _, _) =
                &live[usize::try_from(stream.below(live.len() as u64)).unwrap()];
            sim.submit(
                ts_ns,
                &Command::Cancel(CancelOrder {
                    client_order_id: id.clone(),
                    order_id: None,
                    ticker: ticker.clone(),
                }),
            );
        }
        _ => {}
    }
}

#[test]
fn every_market_that_moved_is_listed_as_changed() {
    let mut moves_seen = 0usize;
    for seed in 1..=8u64 {
        let config = FillModelConfig {
            entry_latency_ns: 3 * MS,
            cancel_latency_ns: 5 * MS,
            ..FillModelConfig::default()
        };
        let mut sim = FillSimulator::new(config).unwrap();
        let listing = Event::MarketListing(
            MARKETS
                .iter()
                .map(|ticker| support::bare_listing(ticker, "KXCHG"))
                .collect(),
        );
        sim.on_market_event(0, &listing).unwrap();
        let mut stream = Stream(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut placed = 0u64;
        let mut seen: BTreeMap<String, Observed> = BTreeMap::new();
        let mut ts_ns = 0i64;
        for _ in 0..3_000 {
            ts_ns += i64::try_from(stream.below(4)).unwrap() * MS;
            if stream.below(2) == 0 {
                while sim.next_due_ns().is_some_and(|due| due <= ts_ns) {
                    sim.run_next_action().unwrap();
                }
            } else {
                step(&mut sim, &mut stream, ts_ns, &mut placed);
            }
            let changed = sim.changed_markets().to_vec();
            for ticker in MARKETS {
                let now = observe(&sim, ticker);
                if seen.get(ticker).is_some_and(|before| *before != now) {
                    moves_seen += 1;
                    assert!(
                        changed.iter().any(|name| name == ticker),
                        "seed {seed}: {ticker} moved ({:?} → {now:?}) but is not listed as changed",
                        seen.get(ticker)
                    );
                }
                let mut ids: Vec<String> = sim
                    .live_orders_in(ticker)
                    .map(|order| order.client_order_id.to_string())
                    .collect();
                ids.sort();
                let mut expected: Vec<String> = sim
                    .live_orders()
                    .filter(|order| order.ticker == ticker)
                    .map(|order| order.client_order_id.to_string())
                    .collect();
                expected.sort();
                assert_eq!(ids, expected, "seed {seed}: resting orders of {ticker}");
                assert_eq!(sim.live_count(ticker), expected.len());
                seen.insert(ticker.to_string(), now);
            }
            let mut unique = changed.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), changed.len(), "a market listed twice");
            sim.clear_changed();
            assert!(sim.changed_markets().is_empty());
        }
    }
    // The streams exercise the rule: markets moved thousands of times.
    assert!(moves_seen > 1_000, "only {moves_seen} moves");
}
