//! Reports (JSON round trip, self-contained HTML) and sweeps (grid order, parallel results
//! equal to sequential runs, bad keys refused).

mod support;

use kalshi_replay::backtest::{BacktestConfig, run_backtest};
use kalshi_replay::progress::NoProgress;
use kalshi_replay::report::BacktestReport;
use kalshi_replay::report::html::to_html;
use kalshi_replay::report::json::to_json;
use kalshi_replay::sweep::{
    Shard, SweepAxis, SweepPointResult, apply_point, grid, merge_points, run_sweep,
    run_sweep_shard, sweep_id,
};
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
        "equity, drawdown, equity and position per market, markout curve, one market's quotes"
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
        // With the `engine.` prefix `--set` takes, or without.
        ("engine.strategy.base_size".to_string(), "7".to_string()),
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
fn sweep_points_set_tuning_settings() {
    // No tuning in the base: a swept key starts from the settings before tuning.
    let point = vec![(
        "tuning.fair_flow_weight_ppm".to_string(),
        "250000".to_string(),
    )];
    let applied = apply_point(&config(), &point).unwrap();
    let tuning = applied.tuning.unwrap();
    assert_eq!(tuning.fair_flow_weight_ppm, 250_000);
    assert_eq!(
        tuning,
        kalshi_core::tuning::Tuning {
            fair_flow_weight_ppm: 250_000,
            ..kalshi_core::tuning::Tuning::before_tuning()
        }
    );
    // A base tuning keeps its other settings.
    let mut base = config();
    base.tuning = Some(kalshi_core::tuning::Tuning::default());
    let applied = apply_point(&base, &point).unwrap();
    let tuning = applied.tuning.unwrap();
    assert!(tuning.live_filters);
    assert_eq!(tuning.fair_flow_weight_ppm, 250_000);
    // Untouched without a tuning key.
    let engine_only = [("strategy.rungs_per_side".to_string(), "2".to_string())];
    assert_eq!(apply_point(&config(), &engine_only).unwrap().tuning, None);
    let unknown = apply_point(
        &config(),
        &[("tuning.no_such_setting".to_string(), "1".to_string())],
    );
    assert!(unknown.unwrap_err().to_string().contains("no_such_setting"));
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

#[test]
fn shards_cover_the_grid_once_and_merge_back_into_the_unsharded_rows() {
    let data = market_data(300, 5);
    let axes = vec![
        SweepAxis::parse("strategy.fair_offset_ticks=1,2,3").unwrap(),
        SweepAxis::parse("fill.cancel_position=front,back").unwrap(),
    ];
    let whole = run_sweep(&data, &config(), &axes, 2, &NoProgress).unwrap();
    let id = sweep_id(&data, &config(), &axes).unwrap();
    let shard_points = |text: &str| -> Vec<SweepPointResult> {
        let shard = Shard::parse(text).unwrap();
        run_sweep_shard(&data, &config(), &axes, shard, 1, &NoProgress)
            .unwrap()
            .into_iter()
            .map(|(index, row)| SweepPointResult {
                sweep_id: id.clone(),
                index,
                total: 6,
                axes: axes.clone(),
                row,
            })
            .collect()
    };
    let first = shard_points("1/4");
    let indices: Vec<usize> = first.iter().map(|point| point.index).collect();
    assert_eq!(indices, vec![0, 4], "round robin over the grid");
    let mut all: Vec<SweepPointResult> = ["3/4", "2/4", "4/4"]
        .iter()
        .flat_map(|text| shard_points(text))
        .collect();
    all.extend(first.clone());
    let (merged_axes, rows) = merge_points(all.clone()).unwrap();
    assert_eq!(merged_axes, axes);
    assert_eq!(rows, whole, "merged shards equal the unsharded sweep");

    // A repeated identical point is fine; a missing or conflicting one is not.
    all.push(first[0].clone());
    assert_eq!(merge_points(all.clone()).unwrap().1, whole);
    let without_last: Vec<SweepPointResult> = all
        .iter()
        .filter(|point| point.index != 5)
        .cloned()
        .collect();
    let missing = merge_points(without_last).unwrap_err().to_string();
    assert!(
        missing.contains("1 of 6 grid points") && missing.contains("5"),
        "{missing}"
    );
    // The last point is the repeated copy of point 0: give it another result.
    let mut conflicting = all.clone();
    if let Some(repeat) = conflicting.last_mut() {
        repeat.row.output_digest = "other".to_string();
    }
    assert!(
        merge_points(conflicting)
            .unwrap_err()
            .to_string()
            .contains("two different")
    );
    let mut foreign = all;
    foreign[1].sweep_id = "another".to_string();
    assert!(
        merge_points(foreign)
            .unwrap_err()
            .to_string()
            .contains("another sweep")
    );
    assert!(merge_points(Vec::new()).is_err());
}

#[test]
fn shard_specs_parse_and_refuse_nonsense() {
    assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
    for bad in ["0/3", "4/3", "1/0", "x/2", "2", "1/-1"] {
        assert!(Shard::parse(bad).is_err(), "{bad}");
    }
    let shard = Shard::parse("2/3").unwrap();
    let mine: Vec<usize> = (0..9).filter(|index| shard.contains(*index)).collect();
    assert_eq!(mine, vec![1, 4, 7]);
}
