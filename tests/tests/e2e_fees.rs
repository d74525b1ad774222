//! Fees: a run prices every market with the fee parameters the exchange lists for it (its
//! series', or its event's overrides) — read over REST, journaled with the listing — and those
//! parameters, run through core's fee engine, give exactly the fee the exchange charged on
//! every fill, to the micro-dollar. The local exchange mixes `quadratic` series (no maker fee),
//! `quadratic_with_maker_fees` series and multipliers other than 1 (and events overriding
//! their series), so a bot pricing every market with one schedule fails this test. A second
//! run spans scheduled series fee changes (`GET /series/fee_changes`): the engine hears of
//! them at their time, and fills on either side are charged with the parameters in force.

mod reliability_support;

use std::collections::BTreeMap;
use std::time::Duration;

use kalshi_core::events::Event;
use kalshi_core::fees::{FeeSchedule, FillTerms, Liquidity, RoundingAccumulator, TargetPrecision};
use kalshi_core::market_data::{FeeParams, OwnFill};
use kalshi_journal::JournalRecord;
use kalshi_journal::typed_reader::read_all_records;
use kalshi_sim::exchange::{FeeType, NS_PER_S, SeriesFeeChangeSpec};
use kalshi_sim::faults::FaultConfig;
use reliability_support::{TestExchange, signal, spawn_bot, wait_for_journal, wait_with_limit};

/// The local exchange's (and the engine's default) balance precision: $0.01.
const PRECISION_MICROS: i64 = 10_000;

/// Charges `fill` to its order's rounding accumulator under `params`, as the exchange does,
/// and asserts the charged fee is exactly the predicted net fee (`context` adds to the message).
fn assert_charged_as_predicted(
    fill: &OwnFill,
    params: &FeeParams,
    accumulators: &mut BTreeMap<String, RoundingAccumulator>,
    context: &str,
) {
    let schedule = FeeSchedule::from_params(params).unwrap();
    let charge = accumulators
        .entry(fill.order_id.clone())
        .or_default()
        .charge_fill(
            &schedule,
            TargetPrecision::from_micros(PRECISION_MICROS).unwrap(),
            &FillTerms {
                side: fill.side,
                yes_price: fill.yes_price,
                count: fill.count,
                liquidity: Liquidity::from_is_taker(fill.is_taker),
            },
        )
        .unwrap();
    assert_eq!(
        charge.net_fee, fill.fee,
        "fill {} in {}{context} ({} ×{} ppm): predicted {}, charged {}",
        fill.fill_id, fill.ticker, params.fee_type, params.multiplier_ppm, charge.net_fee, fill.fee
    );
}

#[test]
fn every_fill_costs_what_the_journaled_fee_parameters_predict() {
    let dir = tempfile::tempdir().unwrap();
    let exchange = TestExchange::start(51, &dir.path().join("keys"));
    let run_dir = dir.path().join("journal").join("run-fees");
    std::fs::create_dir_all(run_dir.parent().unwrap()).unwrap();
    let child = spawn_bot(
        &exchange,
        &run_dir,
        &[
            "--seed",
            "51",
            "--markets",
            "12",
            "--set",
            "engine.risk.fill_burst_contracts_max=100000",
        ],
    );
    wait_for_journal(&run_dir, Duration::from_secs(120), "six fills", |records| {
        records
            .iter()
            .filter(|record| {
                matches!(&record.record, JournalRecord::Input(envelope)
                    if matches!(envelope.event, Event::OwnFill(_)))
            })
            .count()
            >= 6
    });
    signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(30));
    assert!(
        matches!(output.status.code(), Some(0)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let records = read_all_records(&run_dir).unwrap();
    let mut fees: BTreeMap<String, FeeParams> = BTreeMap::new();
    let mut accumulators: BTreeMap<String, RoundingAccumulator> = BTreeMap::new();
    let mut checked = 0;
    let mut maker_fee_micros = 0;
    for record in &records {
        let JournalRecord::Input(envelope) = &record.record else {
            continue;
        };
        match &envelope.event {
            Event::MarketListing(markets) => {
                for market in markets {
                    let fee = market
                        .fee
                        .clone()
                        .expect("a listing without fee parameters");
                    // The parameters are the exchange's own for that market.
                    let listed = exchange
                        .handle()
                        .with_exchange(|exchange, _| exchange.market(&market.ticker).unwrap().fee);
                    assert_eq!(fee, listed, "{}", market.ticker);
                    fees.insert(market.ticker.clone(), fee);
                }
            }
            Event::FeesChanged(changes) => {
                for change in changes {
                    fees.insert(change.ticker.clone(), change.fee.clone());
                }
            }
            Event::OwnFill(fill) => {
                assert_charged_as_predicted(fill, &fees[&fill.ticker], &mut accumulators, "");
                if !fill.is_taker {
                    maker_fee_micros += fill.fee.micros();
                }
                checked += 1;
            }
            _ => {}
        }
    }
    let fee_types: std::collections::BTreeSet<&str> =
        fees.values().map(|fee| fee.fee_type.as_str()).collect();
    assert!(
        fee_types.contains("quadratic") && fee_types.contains("quadratic_with_maker_fees"),
        "the run listed {fee_types:?}"
    );
    assert!(checked >= 6, "{checked} fills checked");
    eprintln!(
        "fees: {checked} fills, each charged exactly as predicted; fee types listed {fee_types:?}; \
         maker fees paid {maker_fee_micros} µ$"
    );
}

/// The series whose fees change mid-run, with their new type and multiplier (ppm).
const CHANGES: [(&str, FeeType, i64); 2] = [
    ("KXHIGHNY", FeeType::QuadraticWithMakerFees, 1_500_000),
    ("KXBTCD", FeeType::Quadratic, 500_000),
];
/// When the changes take effect, after the bot starts.
const CHANGE_AFTER_S: i64 = 20;

/// The exchange's fee parameters of every market.
fn exchange_fees(exchange: &TestExchange) -> BTreeMap<String, FeeParams> {
    exchange.handle().with_exchange(|exchange, _| {
        exchange
            .market_tickers()
            .into_iter()
            .map(|ticker| {
                let fee = exchange.market(&ticker).unwrap().fee;
                (ticker, fee)
            })
            .collect()
    })
}

#[test]
fn a_run_spanning_a_scheduled_fee_change_is_charged_as_predicted_on_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    // The exchange starts ten minutes before the wall clock; the changes come
    // `CHANGE_AFTER_S` seconds after now, rounded up to a second by the exchange.
    let exchange = TestExchange::start_with_config(
        52,
        &dir.path().join("keys"),
        FaultConfig::default(),
        |config| {
            config.exchange.catalog.fee_changes = CHANGES
                .iter()
                .map(|&(series, fee_type, multiplier_ppm)| SeriesFeeChangeSpec {
                    series_ticker: series.to_string(),
                    after_start_ns: (600 + CHANGE_AFTER_S) * NS_PER_S,
                    fee_type,
                    fee_multiplier_ppm: multiplier_ppm,
                })
                .collect();
        },
    );
    let scheduled = exchange
        .handle()
        .with_exchange(|exchange, _| exchange.series_fee_changes(None, false));
    assert_eq!(scheduled.len(), CHANGES.len(), "{scheduled:?}");
    let at_ns = scheduled[0].scheduled_ns;
    let before = exchange_fees(&exchange);
    let series_of: BTreeMap<String, String> = exchange.handle().with_exchange(|exchange, _| {
        exchange
            .market_tickers()
            .into_iter()
            .map(|ticker| {
                let series = exchange.market(&ticker).unwrap().series_ticker;
                (ticker, series)
            })
            .collect()
    });
    let changed_series: Vec<&str> = CHANGES.iter().map(|c| c.0).collect();

    let run_dir = dir.path().join("journal").join("run-fee-change");
    std::fs::create_dir_all(run_dir.parent().unwrap()).unwrap();
    let child = spawn_bot(
        &exchange,
        &run_dir,
        &[
            "--seed",
            "52",
            "--markets",
            "16",
            "--set",
            "engine.risk.fill_burst_contracts_max=100000",
        ],
    );
    let fill_after_change = |records: &[kalshi_journal::SequencedRecord]| {
        records.iter().any(|record| {
            matches!(&record.record, JournalRecord::Input(envelope)
                if matches!(&envelope.event, Event::OwnFill(fill)
                    if fill.ts_ns >= at_ns
                        && changed_series.contains(&series_of[&fill.ticker].as_str())))
        })
    };
    wait_for_journal(
        &run_dir,
        Duration::from_secs(180),
        "a fill in a changed series after the change",
        fill_after_change,
    );
    signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(30));
    assert!(
        matches!(output.status.code(), Some(0)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = exchange_fees(&exchange);
    let differs: Vec<&String> = before
        .keys()
        .filter(|ticker| before[*ticker] != after[*ticker])
        .collect();
    assert!(!differs.is_empty(), "the changes changed no market's fees");
    for ticker in &differs {
        assert!(
            changed_series.contains(&series_of[*ticker].as_str()),
            "{ticker}"
        );
    }

    let records = read_all_records(&run_dir).unwrap();
    // The markets of the startup listing: the ones the bot schedules the changes for.
    let mut first_listing: Option<Vec<String>> = None;
    let mut heard: BTreeMap<String, (i64, FeeParams)> = BTreeMap::new();
    let mut accumulators: BTreeMap<String, RoundingAccumulator> = BTreeMap::new();
    let (mut fills_before, mut fills_after, mut fills_after_changed) = (0, 0, 0);
    for record in &records {
        let JournalRecord::Input(envelope) = &record.record else {
            continue;
        };
        match &envelope.event {
            Event::MarketListing(markets) => {
                for market in markets {
                    let fee = market
                        .fee
                        .clone()
                        .expect("a listing without fee parameters");
                    // A listing read across the change may show either side of it.
                    let near = (envelope.ts_ns - at_ns).abs() < 5 * NS_PER_S;
                    let expected = if envelope.ts_ns >= at_ns {
                        &after[&market.ticker]
                    } else {
                        &before[&market.ticker]
                    };
                    assert!(
                        fee == *expected
                            || (near
                                && (fee == before[&market.ticker] || fee == after[&market.ticker])),
                        "{} listed {fee:?} at {} (change at {at_ns})",
                        market.ticker,
                        envelope.ts_ns
                    );
                }
                if first_listing.is_none() {
                    first_listing = Some(markets.iter().map(|m| m.ticker.clone()).collect());
                }
            }
            Event::FeesChanged(changes) => {
                for change in changes {
                    heard.insert(change.ticker.clone(), (envelope.ts_ns, change.fee.clone()));
                }
            }
            Event::OwnFill(fill) => {
                let params = if fill.ts_ns >= at_ns {
                    &after[&fill.ticker]
                } else {
                    &before[&fill.ticker]
                };
                assert_charged_as_predicted(
                    fill,
                    params,
                    &mut accumulators,
                    &format!(" at {} (change at {at_ns})", fill.ts_ns),
                );
                if fill.ts_ns >= at_ns {
                    fills_after += 1;
                    if differs.contains(&&fill.ticker) {
                        fills_after_changed += 1;
                    }
                } else {
                    fills_before += 1;
                }
            }
            _ => {}
        }
    }
    // The engine heard of the change, at its time, for every market of its startup listing
    // that the change changed, and for no market it left alone.
    let first_listing = first_listing.expect("no market listing");
    let expected_heard: Vec<&String> = differs
        .iter()
        .copied()
        .filter(|ticker| first_listing.contains(ticker))
        .collect();
    assert!(!expected_heard.is_empty(), "no listed market changed");
    for ticker in &expected_heard {
        assert!(heard.contains_key(*ticker), "no FeesChanged for {ticker}");
    }
    for ticker in heard.keys() {
        assert!(
            differs.contains(&ticker),
            "FeesChanged for unchanged {ticker}"
        );
    }
    for (ticker, (ts_ns, fee)) in &heard {
        assert_eq!(*fee, after[ticker], "{ticker}");
        assert!(
            (*ts_ns - at_ns).abs() < 2 * NS_PER_S,
            "{ticker}: heard at {ts_ns}, change at {at_ns}"
        );
    }
    assert!(fills_before >= 1, "no fill before the change");
    assert!(
        fills_after_changed >= 1,
        "no fill in a changed market after it"
    );
    eprintln!(
        "fee change: {} markets changed ({} listed), heard {} ms from its time; fills {fills_before} \
         before, {fills_after} after ({fills_after_changed} in changed markets), each charged \
         exactly as predicted",
        differs.len(),
        expected_heard.len(),
        heard
            .values()
            .map(|(ts, _)| (ts - at_ns) / 1_000_000)
            .max()
            .unwrap_or(0)
    );
}
