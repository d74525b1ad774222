//! The fair-value blend: with every weight 0 it is the microprice the engine used before, bit
//! for bit; each signal moves fair the way it should; the clamps hold; and in the engine a
//! non-zero weight moves the ladder.

mod support;

use proptest::prelude::*;

use kalshi_core::commands::Command;
use kalshi_core::decision::Decision;
use kalshi_core::engine::Output;
use kalshi_core::ev_gate::FairSource;
use kalshi_core::events::Event;
use kalshi_core::fair_value::{BlendInputs, BlendSettings, blend, fair_value};
use kalshi_core::fixed::MICROS_PER_DOLLAR;
use kalshi_core::market_data::{BookLevel, BookSnapshot, MarketInfo, PublicTrade};
use kalshi_core::market_state::{MarketState, MarketStateConfig};
use kalshi_core::signals::{SignalConfig, Signals};
use kalshi_core::tuning::Tuning;
use kalshi_core::{BookSide, Count, Price};

const SECOND_NS: i64 = 1_000_000_000;
const TICKER: &str = "KXFAIR-1";

fn info() -> MarketInfo {
    MarketInfo {
        open_time_ns: Some(0),
        close_time_ns: Some(10_000 * SECOND_NS),
        ..support::bare_listing(TICKER, "KXFAIR")
    }
}

fn level(cents: i64, size_centi: i64) -> BookLevel {
    BookLevel {
        price: Price::from_micros(cents * 10_000).unwrap(),
        size: Count::from_centi(size_centi).unwrap(),
    }
}

fn snapshot(bids: Vec<BookLevel>, asks: Vec<BookLevel>) -> BookSnapshot {
    BookSnapshot {
        ticker: TICKER.into(),
        bids,
        asks,
        clock: None,
    }
}

fn trade(ts_ns: i64, cents: i64, size_centi: i64, taker_side: BookSide) -> PublicTrade {
    PublicTrade {
        trade_id: format!("t{ts_ns}"),
        ticker: TICKER.into(),
        yes_price: Price::from_micros(cents * 10_000).unwrap(),
        count: Count::from_centi(size_centi).unwrap(),
        taker_side,
        ts_ns,
    }
}

/// The engine's fair value before the blend existed, written out independently: the signals'
/// fair value in dollars, rounded to the nearest ppm within 0 ..= 1.
fn fair_before_blend(state: &MarketState, now_ns: i64, config: &SignalConfig) -> Option<u32> {
    let value = Signals::compute(state, now_ns, config).fair_value?;
    if !value.is_finite() {
        return None;
    }
    let scaled = (value * MICROS_PER_DOLLAR as f64)
        .round()
        .clamp(0.0, MICROS_PER_DOLLAR as f64);
    Some(scaled as u32)
}

fn weights(imbalance: i64, flow: i64, trend: i64, model: i64, max_shift: i64) -> BlendSettings {
    BlendSettings {
        imbalance_weight_ppm: imbalance,
        flow_weight_ppm: flow,
        trend_weight_ppm: trend,
        model_weight_ppm: model,
        max_shift_ppm: max_shift,
    }
}

/// A 0.40 / 0.50 book's inputs with nothing leaning either way.
fn neutral() -> BlendInputs {
    BlendInputs {
        base_ppm: 450_000,
        touch_micros: Some((400_000, 500_000)),
        depth_centi: (10_000, 10_000),
        flow_signed_centi: 0,
        flow_volume_centi: 0,
        mid_trend_micros: 0,
        model_ppm: None,
    }
}

fn fair(inputs: &BlendInputs, settings: &BlendSettings) -> u32 {
    blend(inputs, settings, FairSource::Book).fair_ppm
}

prop_compose! {
    /// A two-sided cent book (1–3 levels a side, fractional sizes), some trades, maybe a model.
    fn market()(
        bid_top in 1i64..97,
        gap in 1i64..10,
        bid_sizes in prop::collection::vec(1i64..50_000, 1..4),
        ask_sizes in prop::collection::vec(1i64..50_000, 1..4),
        trades in prop::collection::vec((1i64..100, 1i64..5_000, any::<bool>()), 0..6),
        model in prop::option::of(0u32..=1_000_000),
        invalid in any::<bool>(),
    ) -> (MarketState, i64) {
        let ask_top = (bid_top + gap).min(99);
        let bids = bid_sizes
            .iter()
            .enumerate()
            .filter_map(|(i, size)| {
                let cents = bid_top - i as i64;
                (cents >= 1).then(|| level(cents, *size))
            })
            .collect();
        let asks = ask_sizes
            .iter()
            .enumerate()
            .filter_map(|(i, size)| {
                let cents = ask_top + i as i64;
                (cents <= 99).then(|| level(cents, *size))
            })
            .collect();
        let mut state = MarketState::new(info(), MarketStateConfig::default());
        state.on_snapshot(&snapshot(bids, asks), SECOND_NS).unwrap();
        let mut ts_ns = SECOND_NS;
        for (cents, size, bought) in trades {
            ts_ns += SECOND_NS;
            let side = if bought { BookSide::Bid } else { BookSide::Ask };
            state.on_trade(&trade(ts_ns, cents, size, side), ts_ns);
        }
        if let Some(ppm) = model {
            state.signal_state_mut().set_model_probability(ppm, ts_ns).unwrap();
        }
        if invalid {
            state.book_mut().mark_invalid(kalshi_core::book::InvalidReason::Stale);
        }
        (state, ts_ns + SECOND_NS)
    }
}

proptest! {
    #[test]
    fn every_weight_zero_is_the_fair_value_before_the_blend(
        (state, now_ns) in market(),
        model_weight in prop::sample::select(vec![0.0, 0.25, 0.5, 1.0]),
        max_shift in 0i64..=100_000,
    ) {
        let config = SignalConfig { model_weight, ..SignalConfig::default() };
        let settings = weights(0, 0, 0, 0, max_shift);
        let blended = fair_value(&state, now_ns, &config, &settings).map(|fair| fair.fair_ppm);
        prop_assert_eq!(blended, fair_before_blend(&state, now_ns, &config));
        let before = fair_value(&state, now_ns, &config, &BlendSettings::default());
        prop_assert_eq!(
            before.map(|fair| fair.fair_ppm),
            fair_before_blend(&state, now_ns, &config)
        );
    }

    #[test]
    fn the_shift_never_passes_the_clamp_or_the_touch(
        (state, now_ns) in market(),
        imbalance in 0i64..=1_000_000,
        flow in 0i64..=1_000_000,
        trend in 0i64..=1_000_000,
        model in 0i64..=1_000_000,
        max_shift in 0i64..=100_000,
    ) {
        let config = SignalConfig::default();
        let settings = weights(imbalance, flow, trend, model, max_shift);
        if let Some(fair) = fair_value(&state, now_ns, &config, &settings) {
            let base = i64::from(fair.base_ppm);
            let value = i64::from(fair.fair_ppm);
            prop_assert!((value - base).abs() <= max_shift);
            prop_assert!(value <= 1_000_000);
            let book = state.book();
            if book.is_valid()
                && let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask())
            {
                let (bid, ask) = (bid.price.micros(), ask.price.micros());
                if value > base {
                    prop_assert!(value <= ask.max(base));
                }
                if value < base {
                    prop_assert!(value >= bid.min(base));
                }
            }
        }
    }
}

#[test]
fn zero_weights_leave_the_base_whatever_the_signals_say() {
    let inputs = BlendInputs {
        depth_centi: (90_000, 100),
        flow_signed_centi: 500,
        flow_volume_centi: 500,
        mid_trend_micros: 30_000,
        model_ppm: Some(900_000),
        ..neutral()
    };
    let value = blend(&inputs, &weights(0, 0, 0, 0, 100_000), FairSource::Book);
    assert_eq!(value.fair_ppm, 450_000);
    assert_eq!(
        (
            value.imbalance_ppm,
            value.flow_ppm,
            value.trend_ppm,
            value.model_ppm
        ),
        (0, 0, 0, 0)
    );
}

#[test]
fn bid_heavy_imbalance_raises_fair_and_ask_heavy_lowers_it() {
    let settings = weights(1_000_000, 0, 0, 0, 100_000);
    let bid_heavy = BlendInputs {
        depth_centi: (30_000, 10_000),
        ..neutral()
    };
    // (3 − 1)/(3 + 1) × half of 10¢ = 2.5¢.
    assert_eq!(fair(&bid_heavy, &settings), 475_000);
    let ask_heavy = BlendInputs {
        depth_centi: (10_000, 30_000),
        ..neutral()
    };
    assert_eq!(fair(&ask_heavy, &settings), 425_000);
    // Half the weight, half the shift.
    assert_eq!(
        fair(&bid_heavy, &weights(500_000, 0, 0, 0, 100_000)),
        462_500
    );
}

#[test]
fn buy_flow_raises_fair_and_sell_flow_lowers_it() {
    let settings = weights(0, 1_000_000, 0, 0, 100_000);
    let bought = BlendInputs {
        flow_signed_centi: 600,
        flow_volume_centi: 1_000,
        ..neutral()
    };
    // 0.6 × 5¢ = 3¢.
    assert_eq!(fair(&bought, &settings), 480_000);
    let sold = BlendInputs {
        flow_signed_centi: -600,
        flow_volume_centi: 1_000,
        ..neutral()
    };
    assert_eq!(fair(&sold, &settings), 420_000);
    // No trades in the window: no shift.
    assert_eq!(fair(&neutral(), &settings), 450_000);
}

#[test]
fn a_rising_mid_raises_fair_through_the_market_state() {
    let mut state = MarketState::new(info(), MarketStateConfig::default());
    let book = |bid: i64, ask: i64| snapshot(vec![level(bid, 1_000)], vec![level(ask, 1_000)]);
    state.on_snapshot(&book(40, 50), SECOND_NS).unwrap();
    state.on_snapshot(&book(42, 52), 2 * SECOND_NS).unwrap();
    state.on_snapshot(&book(44, 54), 3 * SECOND_NS).unwrap();
    let config = SignalConfig::default();
    let trend = state.signal_state().mid_trend_micros_at(3 * SECOND_NS);
    // 2¢ decayed by 60/(60 + 1) plus 2¢.
    assert_eq!(trend, 20_000 * 60 / 61 + 20_000);
    let off = fair_value(&state, 3 * SECOND_NS, &config, &BlendSettings::default()).unwrap();
    assert_eq!(off.fair_ppm, 490_000);
    let on = fair_value(
        &state,
        3 * SECOND_NS,
        &config,
        &weights(0, 0, 500_000, 0, 100_000),
    )
    .unwrap();
    assert_eq!(on.trend_ppm, trend / 2);
    assert_eq!(on.fair_ppm, 490_000 + u32::try_from(trend / 2).unwrap());
    // A falling mid lowers it.
    state.on_snapshot(&book(30, 40), 4 * SECOND_NS).unwrap();
    let down = fair_value(
        &state,
        4 * SECOND_NS,
        &config,
        &weights(0, 0, 500_000, 0, 100_000),
    )
    .unwrap();
    assert!(down.trend_ppm < 0);
    assert!(down.fair_ppm < down.base_ppm);
}

#[test]
fn a_model_at_ninety_percent_raises_fair_and_its_weight_replaces_the_old_one() {
    let mut state = MarketState::new(info(), MarketStateConfig::default());
    state
        .on_snapshot(
            &snapshot(vec![level(40, 1_000)], vec![level(50, 1_000)]),
            SECOND_NS,
        )
        .unwrap();
    state
        .signal_state_mut()
        .set_model_probability(900_000, SECOND_NS)
        .unwrap();
    // The older setting alone (engine default 1.0): fair is the model.
    let config = SignalConfig {
        model_weight: 1.0,
        ..SignalConfig::default()
    };
    let old = fair_value(&state, SECOND_NS, &config, &BlendSettings::default()).unwrap();
    assert_eq!((old.fair_ppm, old.source), (900_000, FairSource::Model));
    // The blend's weight wins: base is the microprice, the model shifts it, within the clamp
    // and up to the ask.
    let blended = fair_value(
        &state,
        SECOND_NS,
        &config,
        &weights(0, 0, 0, 100_000, 100_000),
    )
    .unwrap();
    assert_eq!(blended.base_ppm, 450_000);
    assert_eq!(blended.model_ppm, 45_000);
    assert_eq!(blended.fair_ppm, 495_000);
    assert_eq!(blended.source, FairSource::Model);
    let capped = fair_value(
        &state,
        SECOND_NS,
        &config,
        &weights(0, 0, 0, 1_000_000, 100_000),
    )
    .unwrap();
    assert_eq!(capped.fair_ppm, 500_000, "a shift stops at the ask");
}

#[test]
fn the_clamp_holds() {
    let inputs = BlendInputs {
        depth_centi: (1_000_000, 1),
        flow_signed_centi: 1_000,
        flow_volume_centi: 1_000,
        mid_trend_micros: 400_000,
        model_ppm: Some(1_000_000),
        ..neutral()
    };
    let all = weights(1_000_000, 1_000_000, 1_000_000, 1_000_000, 10_000);
    assert_eq!(fair(&inputs, &all), 460_000, "at most max_shift");
    let wide = weights(1_000_000, 1_000_000, 1_000_000, 1_000_000, 100_000);
    assert_eq!(fair(&inputs, &wide), 500_000, "never past the ask");
    let down = BlendInputs {
        depth_centi: (1, 1_000_000),
        flow_signed_centi: -1_000,
        flow_volume_centi: 1_000,
        mid_trend_micros: -400_000,
        model_ppm: Some(0),
        ..neutral()
    };
    assert_eq!(fair(&down, &wide), 400_000, "never past the bid");
    // Within 0 ..= 1 even without a book to stop it.
    let bookless = BlendInputs {
        base_ppm: 990_000,
        touch_micros: None,
        mid_trend_micros: 400_000,
        ..neutral()
    };
    assert_eq!(
        fair(&bookless, &weights(0, 0, 1_000_000, 0, 100_000)),
        1_000_000
    );
}

/// Bid and ask prices of one step's Place commands.
fn placed_prices(output: &Output) -> Vec<(BookSide, Price)> {
    let mut prices: Vec<(BookSide, Price)> = output
        .commands
        .iter()
        .filter_map(|command| match command {
            Command::Place(order) => Some((order.side, order.price)),
            _ => None,
        })
        .collect();
    prices.sort();
    prices
}

/// The ladder placed on a bid-heavy 0.40 / 0.50 book, with or without an imbalance weight.
fn ladder(tuning: Tuning) -> Output {
    let mut h = support::Harness::new();
    h.send(Event::Config(Box::new(support::quoting_config("fv"))));
    h.send(Event::TuningSettings(tuning.settings()));
    h.send(Event::Reconciled {
        orders: vec![],
        positions: vec![],
    });
    h.send(Event::MarketListing(vec![support::listing(
        TICKER,
        "KXFAIR",
        "fair value",
    )]));
    let deep_bids = vec![level(40, 10_000), level(39, 50_000), level(38, 50_000)];
    let thin_asks = vec![level(50, 10_000), level(51, 1_000), level(52, 1_000)];
    let mut book = snapshot(deep_bids, thin_asks);
    book.clock = Some(1);
    h.send(Event::BookSnapshot(book))
}

#[test]
fn a_non_zero_weight_moves_the_ladder_and_records_why() {
    let off = ladder(Tuning {
        fair_flow_weight_ppm: 0,
        ..Tuning::default()
    });
    let on = ladder(Tuning {
        fair_imbalance_weight_ppm: 1_000_000,
        fair_flow_weight_ppm: 0,
        fair_max_shift_ppm: 20_000,
        ..Tuning::default()
    });
    let (off_prices, on_prices) = (placed_prices(&off), placed_prices(&on));
    assert!(!off_prices.is_empty() && !on_prices.is_empty());
    assert_ne!(off_prices, on_prices);
    // Every rung moved up by the 2¢ clamp (the imbalance alone asks for 4¢).
    let best = |prices: &[(BookSide, Price)], side: BookSide| {
        prices
            .iter()
            .filter(|(s, _)| *s == side)
            .map(|(_, price)| price.micros())
            .max_by_key(|micros| {
                if side == BookSide::Bid {
                    *micros
                } else {
                    -micros
                }
            })
    };
    assert_eq!(
        best(&on_prices, BookSide::Bid).unwrap() - best(&off_prices, BookSide::Bid).unwrap(),
        20_000
    );
    let fair_records: Vec<_> = on
        .decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::FairValue { value, .. } => Some(*value),
            _ => None,
        })
        .collect();
    assert_eq!(fair_records.len(), 1, "{:?}", on.decisions);
    assert_eq!(fair_records[0].base_ppm, 450_000);
    assert_eq!(fair_records[0].fair_ppm, 470_000);
    assert!(
        !off.decisions
            .iter()
            .any(|decision| matches!(decision, Decision::FairValue { .. })),
        "no record while every weight is 0"
    );
}
