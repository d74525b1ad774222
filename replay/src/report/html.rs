//! The HTML report: one self-contained file (inline SVG, no scripts, no external resources;
//! well-formed XML, so any XML parser can check it) with the metrics tables and charts that
//! share one time axis: equity, drawdown, each market's equity and position, our quotes
//! against the market's touch with our fills marked, and the markout curve. Money prints as
//! dollars with the sign first, ratios as percentages. A run without orders says so instead
//! of drawing empty charts.

use std::fmt::Write;

use kalshi_core::{BookSide, Count, Money, Price};

use crate::metrics::{Metrics, QuoteSample, Series};
use crate::report::BacktestReport;
use crate::report::markout_curve::{HORIZON_LABELS, markout_curve};
use crate::report::svg::{Chart, Series as Line, Style, XAxis, escape, render};

/// Most markets drawn with their own charts (the tables list them all).
pub const QUOTE_CHARTS_MAX: usize = 8;

/// Colours of the per-market lines.
const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// What an empty chart says.
const NO_TRADES: &str = "no trades";

fn money_label(micros: i64) -> String {
    Money::from_micros(micros).dollars().to_string()
}

fn price_label(micros: i64) -> String {
    Price::from_micros(micros).map_or_else(|_| micros.to_string(), |price| format!("${price}"))
}

fn count_label(centi: i64) -> String {
    let text = Count::from_centi(centi.abs())
        .map_or_else(|_| centi.to_string(), |count| count.to_string());
    if centi < 0 { format!("-{text}") } else { text }
}

/// Parts per million as a percentage with two decimals (`12.34%`).
pub fn percent(ppm: u64) -> String {
    format!("{}.{:02}%", ppm / 10_000, (ppm % 10_000) / 100)
}

/// A markout in micro-dollars per contract as dollars, or `–`.
fn markout(micros: Option<i64>) -> String {
    micros.map_or_else(|| "–".to_string(), money_label)
}

fn time_axis(series: &Series) -> XAxis {
    XAxis::Time {
        start_ns: series.start_ts_ns,
        end_ns: series.end_ts_ns,
    }
}

/// The drawdown line: how far equity is below its running peak (zero or negative).
fn drawdown(equity: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut peak = i64::MIN;
    equity
        .iter()
        .map(|&(ts_ns, value)| {
            peak = peak.max(value);
            (ts_ns, value - peak)
        })
        .collect()
}

fn quote_chart(ticker: &str, samples: &[QuoteSample], series: &Series) -> String {
    let touch = |pick: fn(&QuoteSample) -> Option<Price>| -> Vec<(i64, i64)> {
        samples
            .iter()
            .filter_map(|sample| pick(sample).map(|price| (sample.ts_ns, price.micros())))
            .collect()
    };
    let ours = |pick: fn(&QuoteSample) -> &Vec<Price>| -> Vec<(i64, i64)> {
        samples
            .iter()
            .flat_map(|sample| {
                pick(sample)
                    .iter()
                    .map(move |price| (sample.ts_ns, price.micros()))
            })
            .collect()
    };
    let fills = |side: BookSide| -> Vec<(i64, i64)> {
        series
            .fills
            .get(ticker)
            .map(|fills| {
                fills
                    .iter()
                    .filter(|fill| fill.side == side)
                    .map(|fill| (fill.ts_ns, fill.price.micros()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let title = format!("{ticker}: market touch, our resting quotes and our fills");
    render(
        &Chart {
            title: &title,
            y_title: "YES price ($)",
            y_label: &price_label,
            x: time_axis(series),
            series: vec![
                Line {
                    name: "best bid",
                    color: "#1f77b4",
                    points: touch(|s| s.best_bid),
                    style: Style::Step,
                },
                Line {
                    name: "best ask",
                    color: "#d62728",
                    points: touch(|s| s.best_ask),
                    style: Style::Step,
                },
                Line {
                    name: "our bids",
                    color: "#2ca02c",
                    points: ours(|s| &s.our_bids),
                    style: Style::Dots,
                },
                Line {
                    name: "our asks",
                    color: "#ff7f0e",
                    points: ours(|s| &s.our_asks),
                    style: Style::Dots,
                },
                Line {
                    name: "we bought",
                    color: "#2ca02c",
                    points: fills(BookSide::Bid),
                    style: Style::Up,
                },
                Line {
                    name: "we sold",
                    color: "#ff7f0e",
                    points: fills(BookSide::Ask),
                    style: Style::Down,
                },
            ],
            zero_line: false,
        },
        "no book",
    )
}

/// One line per market (the first [`QUOTE_CHARTS_MAX`]).
fn per_market_lines<'a>(
    lines: &'a std::collections::BTreeMap<String, Vec<(i64, i64)>>,
) -> Vec<Line<'a>> {
    lines
        .iter()
        .take(QUOTE_CHARTS_MAX)
        .zip(PALETTE.iter().cycle())
        .map(|((ticker, points), color)| Line {
            name: ticker,
            color,
            points: points.clone(),
            style: Style::Step,
        })
        .collect()
}

fn charts(html: &mut String, series: &Series) {
    html.push_str(&render(
        &Chart {
            title: "Equity (cash − fees + marked positions)",
            y_title: "equity ($)",
            y_label: &money_label,
            x: time_axis(series),
            series: vec![Line {
                name: "equity",
                color: "#1f77b4",
                points: series.equity.clone(),
                style: Style::Step,
            }],
            zero_line: true,
        },
        NO_TRADES,
    ));
    html.push_str(&render(
        &Chart {
            title: "Drawdown (equity below its running peak)",
            y_title: "drawdown ($)",
            y_label: &money_label,
            x: time_axis(series),
            series: vec![Line {
                name: "drawdown",
                color: "#d62728",
                points: drawdown(&series.equity),
                style: Style::Step,
            }],
            zero_line: true,
        },
        NO_TRADES,
    ));
    html.push_str(&render(
        &Chart {
            title: "Equity per market",
            y_title: "equity ($)",
            y_label: &money_label,
            x: time_axis(series),
            series: per_market_lines(&series.market_equity),
            zero_line: true,
        },
        NO_TRADES,
    ));
    html.push_str(&render(
        &Chart {
            title: "Position per market (YES contracts; negative = short YES)",
            y_title: "position (contracts)",
            y_label: &count_label,
            x: time_axis(series),
            series: per_market_lines(&series.market_inventory),
            zero_line: true,
        },
        NO_TRADES,
    ));
    let curve = markout_curve(series);
    let fills_label = curve
        .iter()
        .map(|point| format!("{} {}", HORIZON_LABELS[point.horizon], point.fills))
        .collect::<Vec<_>>()
        .join(", ");
    let markout_title = if curve.is_empty() {
        "Markout after our fills".to_string()
    } else {
        format!("Markout after our fills (fills per horizon: {fills_label})")
    };
    html.push_str(&render(
        &Chart {
            title: &markout_title,
            y_title: "markout ($ per contract)",
            y_label: &money_label,
            x: XAxis::Categories(&HORIZON_LABELS),
            series: vec![Line {
                name: "mid move in our favour",
                color: "#9467bd",
                points: curve
                    .iter()
                    .map(|point| {
                        (
                            i64::try_from(point.horizon).unwrap_or(0),
                            point.micros_per_contract,
                        )
                    })
                    .collect(),
                style: Style::Line,
            }],
            zero_line: true,
        },
        NO_TRADES,
    ));
    for (ticker, samples) in series.quotes.iter().take(QUOTE_CHARTS_MAX) {
        html.push_str(&quote_chart(ticker, samples, series));
    }
}

fn metric_rows(m: &Metrics) -> Vec<(&'static str, String)> {
    vec![
        ("Total P&L", m.pnl.total.dollars().to_string()),
        (
            "Realized P&L (net of fees)",
            m.pnl.realized_net.dollars().to_string(),
        ),
        ("Fees", m.pnl.fees.dollars().to_string()),
        ("Unrealized P&L", m.pnl.unrealized.dollars().to_string()),
        ("Max drawdown", m.max_drawdown.dollars().to_string()),
        ("Orders", m.orders.to_string()),
        ("Cancels", m.cancels.to_string()),
        ("Fills", m.fills.to_string()),
        (
            "Contracts placed / filled",
            format!("{} / {}", m.placed_contracts, m.filled_contracts),
        ),
        ("Fill ratio", percent(m.fill_ratio_ppm)),
        ("Maker share", percent(m.maker_share_ppm)),
        (
            "Inventory max |pos| / final Σ|pos|",
            format!("{} / {}", m.inventory_max_abs, m.inventory_final_abs),
        ),
        (
            "Markout 1 min ($/contract, fills)",
            format!("{} ({})", markout(m.markout_1m_micros), m.markouts_1m_count),
        ),
        (
            "Markout 5 min ($/contract, fills)",
            format!("{} ({})", markout(m.markout_5m_micros), m.markouts_5m_count),
        ),
        ("Time quoted", percent(m.time_quoted_ppm)),
        ("Inputs processed", m.inputs.to_string()),
    ]
}

/// Renders the report and its series as one HTML document.
pub fn to_html(report: &BacktestReport, series: &Series) -> String {
    let m = &report.metrics;
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>{title}</title><style>\
body{{font-family:sans-serif;margin:24px;color:#222}}table{{border-collapse:collapse;margin:12px 0}}\
td,th{{border:1px solid #ddd;padding:4px 8px;text-align:right}}th{{background:#f4f4f4}}td:first-child,th:first-child{{text-align:left}}\
figure{{margin:16px 0}}figcaption{{font-weight:bold;margin-bottom:4px}}.note{{color:#555}}.empty-run{{font-size:1.2em;color:#a33}}</style></head><body>\
<h1>{title}</h1><p class=\"note\">Data fidelity: {fidelity}. Output digest <code>{digest}</code> over {outputs} outputs.</p>",
        title = escape(&report.title),
        fidelity = escape(&m.fidelity_note),
        digest = escape(&report.output_digest),
        outputs = report.outputs,
    );
    html.push_str("<h2>Metrics</h2><table><tr><th>metric</th><th>value</th></tr>");
    for (name, value) in metric_rows(m) {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(name),
            escape(&value)
        );
    }
    html.push_str("</table><h2>Per market</h2><table><tr><th>market</th><th>total P&amp;L</th><th>fees</th><th>orders</th><th>fills</th><th>filled</th><th>max |pos|</th><th>final pos</th><th>valued</th><th>markout 1 min</th><th>markout 5 min</th><th>time quoted</th></tr>");
    let span_ns = m.end_ts_ns.saturating_sub(m.start_ts_ns).max(1);
    for market in &m.markets {
        let quoted_ppm =
            u64::try_from(i128::from(market.time_quoted_ns) * 1_000_000 / i128::from(span_ns))
                .unwrap_or(0);
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:?} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&market.ticker),
            market.pnl.total.dollars(),
            market.pnl.fees.dollars(),
            market.orders,
            market.fills,
            market.filled_contracts,
            market.inventory_max_abs,
            market.inventory_final,
            market.valuation,
            market
                .final_mark
                .map_or_else(|| "–".to_string(), |price| format!("${price}")),
            markout(market.markout_1m_micros),
            markout(market.markout_5m_micros),
            percent(quoted_ppm)
        );
    }
    html.push_str("</table>");
    if let Some(drift) = &report.drift {
        drift_section(&mut html, drift);
    }
    html.push_str("<h2>Charts</h2>");
    if m.orders == 0 {
        html.push_str(
            "<p class=\"empty-run\">No trades: the engine placed no orders over this data, so \
             there is nothing to chart. The terminal summary of the backtest says why (the \
             universe decision and its drop reasons).</p>",
        );
    } else {
        charts(&mut html, series);
    }
    html.push_str("</body></html>\n");
    html
}

/// The drift section: the fill model's shadow against the run's real fills and queue reads.
fn drift_section(html: &mut String, drift: &crate::drift::DriftReport) {
    use crate::drift::ratio_text;
    let ms = |value: Option<i64>| value.map_or_else(|| "-".to_string(), |ms| ms.to_string());
    html.push_str(
        "<h2>Drift</h2><p class=\"note\">The fill model run as a shadow of the recorded run \
         (its orders at their real times, the market data without our own orders) against the \
         exchange's real fills and queue positions.</p><table><tr><th>figure</th><th>value</th></tr>",
    );
    let rows = [
        ("fill precision", ratio_text(drift.precision_ppm)),
        ("fill recall", ratio_text(drift.recall_ppm)),
        ("fill F1", ratio_text(drift.f1_ppm)),
        (
            "fills real / shadow / matched (contracts)",
            format!(
                "{} / {} / {}",
                drift.real_fill_contracts, drift.shadow_fill_contracts, drift.matched_contracts
            ),
        ),
        (
            "time-to-fill error p50 / p90 (ms)",
            format!(
                "{} / {}",
                ms(drift.fill_time_abs_error_p50_ms),
                ms(drift.fill_time_abs_error_p90_ms)
            ),
        ),
        (
            "queue error p50 / p90 (contracts)",
            format!(
                "{} / {}",
                drift.queue_abs_error_p50, drift.queue_abs_error_p90
            ),
        ),
        (
            "queue bias (modelled - exchange)",
            drift.queue_bias.to_string(),
        ),
        ("queue reads compared", drift.queue_samples.to_string()),
    ];
    for (name, value) in rows {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(name),
            escape(&value)
        );
    }
    html.push_str("</table>");
    if drift.per_order.is_empty() {
        return;
    }
    html.push_str(
        "<table><tr><th>order</th><th>market</th><th>price</th><th>queue reads</th>\
         <th>queue error max</th><th>queue error mean</th><th>real filled</th>\
         <th>shadow filled</th><th>fill time error (ms)</th></tr>",
    );
    for row in drift.per_order.iter().take(50) {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            escape(&row.client_order_id),
            escape(&row.ticker),
            row.price,
            row.queue_reads,
            row.queue_abs_error_max,
            row.queue_abs_error_mean,
            row.real_filled,
            row.shadow_filled,
            ms(row.fill_time_error_ms)
        );
    }
    html.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_and_drawdowns() {
        assert_eq!(percent(123_456), "12.34%");
        assert_eq!(percent(1_000_000), "100.00%");
        assert_eq!(percent(0), "0.00%");
        assert_eq!(
            drawdown(&[(0, 5), (1, 9), (2, 4), (3, 12)]),
            vec![(0, 0), (1, 0), (2, -5), (3, 0)]
        );
    }
}
