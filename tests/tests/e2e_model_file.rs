//! End-to-end: a model file against the local exchange. A value of 0.9 moves the fair value
//! and skews the quotes to buying YES, refused lines are counted by reason, the journal
//! replays identical with the model inputs in it, and `backtest --model` feeds the same file
//! at its own timestamps.

mod operator_support;
mod reliability_support;

use std::io::Write as _;
use std::process::Command;
use std::time::Duration;

use kalshi_core::decision::Decision;
use kalshi_core::ev_gate::FairSource;
use kalshi_core::events::Event;
use kalshi_core::side::BookSide;
use kalshi_journal::JournalRecord;
use kalshi_journal::typed_reader::read_all_records;
use operator_support::replay_identical;
use reliability_support::{
    TestExchange, decisions, inputs, kalshi_bot, signal, spawn_bot, wait_for_journal,
    wait_with_limit, wall_ns,
};

#[test]
fn a_model_file_moves_quotes_and_backtests_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("journal");
    std::fs::create_dir_all(&root).unwrap();
    let exchange = TestExchange::start(43, &dir.path().join("keys"));
    let run_dir = root.join("run-model");
    let model = dir.path().join("model.csv");
    std::fs::write(&model, "ts,ticker,probability\n").unwrap();
    let model_text = model.display().to_string();
    let child = spawn_bot(
        &exchange,
        &run_dir,
        // The fair value is the model's alone (no taker-flow shift on top), so it can be
        // read exactly below.
        &[
            "--seed",
            "43",
            "--model-file",
            &model_text,
            "--set",
            "tuning.fair_flow_weight_ppm=0",
        ],
    );
    wait_for_journal(&run_dir, Duration::from_secs(90), "a quote", |records| {
        decisions(records).iter().any(
            |(_, decision)| matches!(decision, Decision::Quote(quote) if !quote.quotes.is_empty()),
        )
    });
    let records = read_all_records(&run_dir).unwrap();
    let ticker = decisions(&records)
        .iter()
        .find_map(|(_, decision)| match decision {
            Decision::Quote(quote) if !quote.quotes.is_empty() => Some(quote.ticker.clone()),
            _ => None,
        })
        .unwrap();

    // One good value, four refused lines.
    let now_s = wall_ns() / 1_000_000_000;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&model)
        .unwrap();
    writeln!(file, "{now_s},{ticker},0.9").unwrap();
    writeln!(file, "{now_s},KXNOSUCH-1,0.5").unwrap();
    writeln!(file, "{now_s},{ticker},1.7").unwrap();
    writeln!(file, "not a model line").unwrap();
    writeln!(file, "1000,{ticker},0.5").unwrap();
    drop(file);
    wait_for_journal(
        &run_dir,
        Duration::from_secs(30),
        "the model input",
        |records| inputs(records).any(|(_, event)| matches!(event, Event::ModelProbability { .. })),
    );
    std::thread::sleep(Duration::from_secs(2));
    signal(&child, "-TERM");
    let output = wait_with_limit(child, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(
            "model inputs    : 1 accepted, 4 refused (malformed=1 out_of_range=1 \
             unknown_ticker=1 stale=1)"
        ),
        "{stdout}"
    );

    // The value is journaled, and the quotes after it follow the model: fair value 0.9, bids
    // only (nobody sells YES far below its fair value).
    let records = read_all_records(&run_dir).unwrap();
    let model_inputs: Vec<(u64, &Event)> = inputs(&records)
        .filter(|(_, event)| matches!(event, Event::ModelProbability { .. }))
        .collect();
    assert_eq!(model_inputs.len(), 1);
    let (model_seq, event) = model_inputs[0];
    assert_eq!(
        *event,
        Event::ModelProbability {
            ticker: ticker.clone(),
            probability_ppm: 900_000
        }
    );
    let quote = decisions(&records)
        .into_iter()
        .find_map(|(seq, decision)| match decision {
            Decision::Quote(quote) if seq == model_seq && quote.ticker == ticker => {
                Some(quote.clone())
            }
            _ => None,
        })
        .expect("the model input requotes its market");
    assert_eq!(quote.fair_source, FairSource::Model);
    assert_eq!(quote.fair_ppm, 900_000);
    // Skewed to buying YES: bids at the market, asks only at or above the model's 0.90 —
    // where before the model the ladder offered YES near the market.
    let lowest_ask = |quote: &kalshi_core::decision::QuoteDecision| {
        quote
            .quotes
            .iter()
            .filter(|desired| desired.side == BookSide::Ask)
            .map(|desired| desired.price.micros())
            .min()
    };
    assert!(
        quote
            .quotes
            .iter()
            .any(|desired| desired.side == BookSide::Bid),
        "{quote:?}"
    );
    assert!(
        lowest_ask(&quote).is_none_or(|ask| ask >= 900_000),
        "{quote:?}"
    );
    let before = decisions(&records)
        .into_iter()
        .filter_map(|(seq, decision)| match decision {
            Decision::Quote(quote) if seq < model_seq && quote.ticker == ticker => Some(quote),
            _ => None,
        })
        .next_back()
        .unwrap();
    assert_eq!(before.fair_source, FairSource::Book);
    assert!(
        lowest_ask(before).is_some_and(|ask| ask < 900_000),
        "{before:?}"
    );
    replay_identical(&run_dir);

    // The backtest feeds the file at its own timestamps: the same value, the same skew.
    let report = dir.path().join("report");
    let no_flow = dir.path().join("no-flow.toml");
    std::fs::write(&no_flow, "[tuning]\nfair_flow_weight_ppm = 0\n").unwrap();
    let backtest = Command::new(kalshi_bot())
        .args(["backtest", "--market", &ticker, "--journal"])
        .arg(&run_dir)
        .arg("--config")
        .arg(&no_flow)
        .arg("--model")
        .arg(&model)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        backtest.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&backtest.stdout),
        String::from_utf8_lossy(&backtest.stderr)
    );
    let stderr = String::from_utf8_lossy(&backtest.stderr);
    assert!(stderr.contains("1 accepted, 4 refused"), "{stderr}");
    let tested = read_all_records(&report.join("journal")).unwrap();
    let tested_model: Vec<(u64, i64)> = tested
        .iter()
        .filter_map(|record| match &record.record {
            JournalRecord::Input(envelope) => match &envelope.event {
                Event::ModelProbability {
                    ticker: model_ticker,
                    probability_ppm: 900_000,
                } if *model_ticker == ticker => Some((envelope.seq, envelope.ts_ns)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(tested_model.len(), 1, "one model input in the backtest");
    assert_eq!(tested_model[0].1, now_s * 1_000_000_000);
    // The first quote of the market from the model's input on (the value may precede the
    // market's first book, which then quotes with it).
    let tested_quote = decisions(&tested)
        .into_iter()
        .find_map(|(seq, decision)| match decision {
            Decision::Quote(quote) if seq >= tested_model[0].0 && quote.ticker == ticker => {
                Some(quote.clone())
            }
            _ => None,
        })
        .expect("the backtest quotes after the model input");
    assert_eq!(tested_quote.fair_source, FairSource::Model);
    assert_eq!(tested_quote.fair_ppm, 900_000);
    assert!(
        lowest_ask(&tested_quote).is_none_or(|ask| ask >= 900_000),
        "{tested_quote:?}"
    );
}
