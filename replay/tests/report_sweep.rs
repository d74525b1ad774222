//! Reports (JSON round trip, self-contained HTML) and sweeps (grid order, parallel results
//! equal to sequential runs, bad keys refused).

mod support;

use kalshi_replay::backtest::{BacktestConfig, run_backtest};
use kalshi_replay::progress::NoProgress;
use kalshi_replay::report::BacktestReport;
use kalshi_replay::report::html::to_html;
use kalshi_replay::report::json::to_json;
use kalshi_replay::sweep::{SweepAxis, apply_point, grid, run_sweep};
use support::{engine_config, listing, market_data};

fn config() -> BacktestConfig {
    let mut config = BacktestConfig::new(engine_config());
    config.listings = vec![listing()];
    config
}

#[test]
fn the_json_report_round_trips() {
    let config = config();
    let outcome = run_backtest(&market_data(300, 3), &config, &NoProgress).unwrap();
    let report = BacktestReport::new("synthetic", &config, &outcome);
    let text = to_json(&report).unwrap();
    let back: BacktestReport = serde_json::from_str(&text).unwrap();
    assert_eq!(back, report);
    assert!(text.contains("\"fidelity\": \"full_l2\""));
}

#[test]
fn the_html_report_is_self_contained_and_shows_the_metrics() {
    let config = config();
    let outcome = run_backtest(&market_data(300, 3), &config, &NoProgress).unwrap();
    let report = BacktestReport::new("synthetic <run> & co", &config, &outcome);
    let html = to_html(&report, &outcome.series);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "no scripts");
    assert!(
        !html.contains("https://") && !html.contains("src="),
        "no external resources"
    );
    assert_eq!(
        html.matches("<svg").count(),
        6,
        "equity, drawdown, equity per market, position per market, the markout curve and one \
         market's quotes"
    );
    assert!(html.contains("synthetic &lt;run&gt; &amp; co"));
    assert!(html.contains(&outcome.metrics.pnl.total.dollars().to_string()));
    assert!(html.contains("our bids") && html.contains("best ask"));
    assert!(html.contains("<circle"), "our resting quotes are drawn");
}

#[test]
fn the_grid_puts_the_first_key_slowest() {
    let axes = [
        SweepAxis::parse("a=1,2").unwrap(),
        SweepAxis::parse("b=x,y,z").unwrap(),
    ];
    let points: Vec<String> = grid(&axes)
        .iter()
        .map(|p| p.iter().map(|(k, v)| format!("{k}{v}")).collect())
        .collect();
    assert_eq!(points, ["a1bx", "a1by", "a1bz", "a2bx", "a2by", "a2bz"]);
    assert!(SweepAxis::parse("novalue").is_err());
    assert!(SweepAxis::parse("k=1,,2").is_err());
}

#[test]
fn sweep_points_set_engine_and_fill_model_fields() {
    let point = vec![
        ("strategy.rungs_per_side".to_string(), "2".to_string()),
        ("strategy.base_size".to_string(), "7".to_string()),
        ("fill.cancel_position".to_string(), "front".to_string()),
        ("fill.entry_latency_ns".to_string(), "1000".to_string()),
    ];
    let applied = apply_point(&config(), &point).unwrap();
    assert_eq!(applied.engine.strategy.rungs_per_side, 2);
    assert_eq!(applied.engine.strategy.base_size, support::contracts(7));
    assert_eq!(
        applied.fill_model.cancel_position,
        kalshi_replay::fill_sim::CancelPosition::Front
    );
    assert_eq!(applied.fill_model.entry_latency_ns, 1_000);
    let unknown = apply_point(
        &config(),
        &[("strategy.no_such_field".to_string(), "1".to_string())],
    );
    assert!(unknown.unwrap_err().to_string().contains("no_such_field"));
}

#[test]
fn a_parallel_sweep_equals_sequential_runs_in_grid_order() {
    let data = market_data(300, 5);
    let axes = [
        SweepAxis::parse("strategy.fair_offset_ticks=1,2").unwrap(),
        SweepAxis::parse("fill.cancel_position=front,back").unwrap(),
    ];
    let rows = run_sweep(&data, &config(), &axes, 2, &NoProgress).unwrap();
    assert_eq!(rows.len(), 4);
    for (row, point) in rows.iter().zip(grid(&axes)) {
        assert_eq!(row.point, point);
        let sequential =
            run_backtest(&data, &apply_point(&config(), &point).unwrap(), &NoProgress).unwrap();
        assert_eq!(row.output_digest, sequential.output_digest);
        assert_eq!(row.metrics, sequential.metrics);
    }
}
