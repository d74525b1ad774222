//! Fees: a run prices every market with the fee parameters the exchange lists for it (its
//! series', or its event's overrides) — read over REST, journaled with the listing — and those
//! parameters, run through core's fee engine, give exactly the fee the exchange charged on
//! every fill, to the micro-dollar. The local exchange mixes `quadratic` series (no maker fee)
//! and `quadratic_with_maker_fees` series, so a bot pricing every market with one schedule
//! fails this test.

mod reliability_support;

use std::collections::BTreeMap;
use std::time::Duration;

use kalshi_core::events::Event;
use kalshi_core::fees::{FeeSchedule, FillTerms, Liquidity, RoundingAccumulator, TargetPrecision};
use kalshi_core::market_data::FeeParams;
use kalshi_journal::JournalRecord;
use kalshi_journal::typed_reader::read_all_records;
use reliability_support::{TestExchange, signal, spawn_bot, wait_for_journal, wait_with_limit};

/// The local exchange's (and the engine's default) balance precision: $0.01.
const PRECISION_MICROS: i64 = 10_000;

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
                let params = &fees[&fill.ticker];
                let schedule = FeeSchedule::from_params(params).unwrap();
                let accumulator = accumulators.entry(fill.order_id.clone()).or_default();
                let charge = accumulator
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
                    charge.net_fee,
                    fill.fee,
                    "fill {} in {} ({} ×{} ppm): predicted {}, charged {}",
                    fill.fill_id,
                    fill.ticker,
                    params.fee_type,
                    params.multiplier_ppm,
                    charge.net_fee,
                    fill.fee
                );
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
