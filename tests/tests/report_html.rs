//! The backtest's HTML report and the sweep report, through the binary: well-formed (parsed
//! as XML), self-contained (no script, no external resource), charts with labelled axes,
//! ticks and gridlines on one time axis, fills marked on the quote charts, ratios in percent
//! and money in dollars sign first; a run without orders says "no trades" instead of drawing
//! empty charts; an existing report is not overwritten without --force.

mod backtest_support;

use std::path::Path;

use backtest_support::{bot, path, stderr, stdout, write_config};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/depth")
        .join(name)
}

fn depth_journal(dir: &Path) -> std::path::PathBuf {
    let journal = dir.join("depth");
    let output = bot(&[
        "import",
        "--depth",
        path(&fixture("two_markets.csv")),
        "--out",
        path(&journal),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    journal
}

/// `backtest` over `journal` with `config`, writing to `report`, plus `extra` arguments.
fn backtest(journal: &Path, config: &Path, report: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "backtest",
        "--journal",
        path(journal),
        "--config",
        path(config),
        "--report",
        path(report),
    ];
    args.extend_from_slice(extra);
    bot(&args)
}

/// Parses `html` as XML and returns it (panics with the parser's message otherwise).
fn parse(html: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(html, options)
        .unwrap_or_else(|error| panic!("the report is not well-formed: {error}"))
}

fn texts_of_class<'a>(figure: roxmltree::Node<'a, 'a>, class: &str) -> Vec<&'a str> {
    figure
        .descendants()
        .filter(|node| node.attribute("class") == Some(class))
        .filter_map(|node| node.text())
        .collect()
}

#[test]
fn the_report_is_well_formed_self_contained_and_its_charts_have_axes() {
    let dir = tempfile::tempdir().unwrap();
    let journal = depth_journal(dir.path());
    let config = write_config(dir.path());
    let report = dir.path().join("report");
    let output = backtest(&journal, &config, &report, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(!html.contains("<script"), "no scripts");
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "no linked resources"
    );
    assert!(!html.contains("https://"), "no remote resources");
    let document = parse(&html);
    let figures: Vec<_> = document
        .descendants()
        .filter(|node| node.has_tag_name("figure"))
        .collect();
    // Equity, drawdown, per-market equity, per-market position, markout, two quote charts.
    assert_eq!(figures.len(), 7, "{}", figures.len());
    for figure in &figures {
        let caption = figure
            .descendants()
            .find(|node| node.has_tag_name("figcaption"))
            .and_then(|node| node.text())
            .unwrap_or_default();
        assert!(
            figure
                .descendants()
                .any(|node| node.tag_name().name() == "svg"),
            "{caption}: no svg"
        );
        assert!(
            texts_of_class(*figure, "ytick").len() >= 3,
            "{caption}: value ticks"
        );
        assert!(
            texts_of_class(*figure, "xtick").len() >= 3,
            "{caption}: time ticks"
        );
        assert!(
            figure
                .descendants()
                .filter(|node| node.attribute("class") == Some("grid"))
                .count()
                >= 6,
            "{caption}: gridlines"
        );
        assert_eq!(texts_of_class(*figure, "ytitle").len(), 1, "{caption}");
    }
    // Every time chart spans the same data: the same first and last tick labels.
    let time_ticks: Vec<Vec<&str>> = figures
        .iter()
        .filter(|figure| texts_of_class(**figure, "xtitle") == ["time (UTC)"])
        .map(|figure| texts_of_class(*figure, "xtick"))
        .collect();
    assert_eq!(time_ticks.len(), 6);
    assert!(time_ticks.windows(2).all(|pair| pair[0] == pair[1]));
    assert_eq!(time_ticks[0].first(), Some(&"00:00:00"));
    // Fills marked on the quote charts.
    let markers = document
        .descendants()
        .filter(|node| node.attribute("class") == Some("fill-marker"))
        .count();
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("metrics.json")).unwrap())
            .unwrap();
    let fills = metrics["metrics"]["fills"].as_u64().unwrap();
    assert!(fills > 0);
    assert_eq!(markers as u64, fills, "one marker per fill");
    // Ratios in percent, money sign first.
    assert!(html.contains("<td>Fill ratio</td><td>"), "{html}");
    assert!(!html.contains("ppm"), "no ppm left in the page");
    let total = metrics["metrics"]["pnl"]["total"].as_str().unwrap();
    assert!(
        html.contains(&format!("<td>Total P&amp;L</td><td>{}", dollars(total))),
        "total {total} as dollars"
    );

    // The same --report again is refused without --force, and replaced with it.
    let again = backtest(&journal, &config, &report, &[]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    let forced = backtest(&journal, &config, &report, &["--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
}

/// `-1.2500` → `-$1.25`, `0.3400` → `$0.34` (the report's form of a metrics.json amount).
fn dollars(amount: &str) -> String {
    let (sign, digits) = match amount.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", amount),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut fraction = fraction.trim_end_matches('0').to_string();
    while fraction.len() < 2 {
        fraction.push('0');
    }
    format!("{sign}${whole}.{fraction}")
}

#[test]
fn a_run_without_orders_says_no_trades_instead_of_drawing_empty_charts() {
    let dir = tempfile::tempdir().unwrap();
    let journal = depth_journal(dir.path());
    let report = dir.path().join("report");
    // Without the permissive scanner config, the imported markets' volume is too low to quote.
    let config = dir.path().join("strict.toml");
    std::fs::write(&config, "[engine.scanner]\nvolume_24h_min = \"1000000\"\n").unwrap();
    let output = backtest(&journal, &config, &report, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("no orders were placed"),
        "{}",
        stdout(&output)
    );
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    let document = parse(&html);
    assert!(html.contains("No trades"), "{html}");
    assert_eq!(
        document
            .descendants()
            .filter(|node| node.has_tag_name("figure"))
            .count(),
        0
    );
}

#[test]
fn a_sweep_writes_an_html_table_sorted_by_pnl_with_the_best_row_marked() {
    let dir = tempfile::tempdir().unwrap();
    let journal = depth_journal(dir.path());
    let config = write_config(dir.path());
    let report = dir.path().join("sweep");
    let output = backtest(
        &journal,
        &config,
        &report,
        &["--sweep", "strategy.fair_offset_ticks=1,2,3"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let html = std::fs::read_to_string(report.join("sweep.html")).unwrap();
    let document = parse(&html);
    let rows: Vec<_> = document
        .descendants()
        .filter(|node| node.has_tag_name("tr"))
        .skip(1)
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].attribute("class"), Some("best"));
    assert!(rows[1..].iter().all(|row| row.attribute("class").is_none()));
    let pnl = |row: &roxmltree::Node<'_, '_>| -> i64 {
        let cell = row
            .children()
            .filter(|node| node.has_tag_name("td"))
            .nth(2)
            .and_then(|node| node.text())
            .unwrap()
            .to_string();
        let negative = cell.starts_with('-');
        let digits: String = cell.chars().filter(|c| c.is_ascii_digit()).collect();
        let (whole, fraction) = cell
            .trim_start_matches('-')
            .trim_start_matches('$')
            .split_once('.')
            .unwrap();
        let micros = whole.parse::<i64>().unwrap() * 1_000_000
            + format!("{fraction:0<6}").parse::<i64>().unwrap();
        assert!(!digits.is_empty());
        if negative { -micros } else { micros }
    };
    let values: Vec<i64> = rows.iter().map(pnl).collect();
    assert!(
        values.windows(2).all(|pair| pair[0] >= pair[1]),
        "{values:?}"
    );
}
