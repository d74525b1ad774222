//! The HTML report: one self-contained file with inline SVG charts (equity, inventory, our
//! quotes against the market touch for each market) and the metrics tables. No scripts, no
//! external resources: it opens from disk in any browser.

use std::fmt::Write;

use kalshi_core::{Count, Money, Price};

use crate::metrics::{QuoteSample, Series};
use crate::report::BacktestReport;
use crate::report::svg::{Line, chart, escape};

/// Most markets drawn with a quotes chart (the table lists them all).
pub const QUOTE_CHARTS_MAX: usize = 8;

fn money_label(micros: i64) -> String {
    Money::from_micros(micros).dollars().to_string()
}

fn price_label(micros: i64) -> String {
    Price::from_micros(micros).map_or_else(|_| micros.to_string(), |price| price.to_string())
}

fn count_label(centi: i64) -> String {
    let text = Count::from_centi(centi.abs())
        .map_or_else(|_| centi.to_string(), |count| count.to_string());
    if centi < 0 { format!("-{text}") } else { text }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "–".to_string(), |value| value.to_string())
}

fn quote_chart(ticker: &str, samples: &[QuoteSample]) -> String {
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
    chart(
        &format!("{ticker}: market touch and our resting quotes"),
        &[
            Line {
                name: "best bid",
                color: "#1f77b4",
                points: touch(|s| s.best_bid),
                step: true,
                dots: false,
            },
            Line {
                name: "best ask",
                color: "#d62728",
                points: touch(|s| s.best_ask),
                step: true,
                dots: false,
            },
            Line {
                name: "our bids",
                color: "#2ca02c",
                points: ours(|s| &s.our_bids),
                step: false,
                dots: true,
            },
            Line {
                name: "our asks",
                color: "#ff7f0e",
                points: ours(|s| &s.our_asks),
                step: false,
                dots: true,
            },
        ],
        &price_label,
    )
}

/// Renders the report and its series as one HTML document.
pub fn to_html(report: &BacktestReport, series: &Series) -> String {
    let m = &report.metrics;
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>\
body{{font-family:sans-serif;margin:24px;color:#222}}table{{border-collapse:collapse;margin:12px 0}}\
td,th{{border:1px solid #ddd;padding:4px 8px;text-align:right}}th{{background:#f4f4f4}}td:first-child,th:first-child{{text-align:left}}\
figure{{margin:16px 0}}figcaption{{font-weight:bold;margin-bottom:4px}}.note{{color:#555}}</style></head><body>\
<h1>{title}</h1><p class=\"note\">Data fidelity: {fidelity}. Output digest <code>{digest}</code> over {outputs} outputs.</p>",
        title = escape(&report.title),
        fidelity = escape(&m.fidelity_note),
        digest = escape(&report.output_digest),
        outputs = report.outputs,
    );
    let rows: Vec<(&str, String)> = vec![
        ("Total P&L", m.pnl.total.dollars().to_string()),
        (
            "Realized P&L (net of fees)",
            m.pnl.realized_net.dollars().to_string(),
        ),
        ("Fees", m.pnl.fees.dollars().to_string()),
        ("Unrealized P&L", m.pnl.unrealized.dollars().to_string()),
        ("Orders", m.orders.to_string()),
        ("Cancels", m.cancels.to_string()),
        ("Fills", m.fills.to_string()),
        (
            "Contracts placed / filled",
            format!("{} / {}", m.placed_contracts, m.filled_contracts),
        ),
        ("Fill ratio (ppm)", m.fill_ratio_ppm.to_string()),
        ("Maker share (ppm)", m.maker_share_ppm.to_string()),
        (
            "Inventory max |pos| / final Σ|pos|",
            format!("{} / {}", m.inventory_max_abs, m.inventory_final_abs),
        ),
        ("Max drawdown", m.max_drawdown.dollars().to_string()),
        (
            "Markout 1 min (µ$/contract, n)",
            format!("{} ({})", opt(m.markout_1m_micros), m.markouts_1m_count),
        ),
        (
            "Markout 5 min (µ$/contract, n)",
            format!("{} ({})", opt(m.markout_5m_micros), m.markouts_5m_count),
        ),
        ("Time quoted (ppm of span)", m.time_quoted_ppm.to_string()),
        ("Inputs processed", m.inputs.to_string()),
    ];
    html.push_str("<h2>Metrics</h2><table><tr><th>metric</th><th>value</th></tr>");
    for (name, value) in rows {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(name),
            escape(&value)
        );
    }
    html.push_str("</table><h2>Per market</h2><table><tr><th>market</th><th>total P&amp;L</th><th>fees</th><th>orders</th><th>fills</th><th>filled</th><th>max |pos|</th><th>final pos</th><th>valued</th><th>markout 1m</th><th>markout 5m</th><th>quoted s</th></tr>");
    for market in &m.markets {
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
            opt(market.final_mark),
            opt(market.markout_1m_micros),
            opt(market.markout_5m_micros),
            market.time_quoted_ns / 1_000_000_000
        );
    }
    html.push_str("</table><h2>Charts</h2>");
    html.push_str(&chart(
        "Equity (cash − fees + marked positions)",
        &[Line {
            name: "equity",
            color: "#1f77b4",
            points: series.equity.clone(),
            step: true,
            dots: false,
        }],
        &money_label,
    ));
    html.push_str(&chart(
        "Inventory (Σ signed position)",
        &[Line {
            name: "position",
            color: "#9467bd",
            points: series.inventory.clone(),
            step: true,
            dots: false,
        }],
        &count_label,
    ));
    for (ticker, samples) in series.quotes.iter().take(QUOTE_CHARTS_MAX) {
        html.push_str(&quote_chart(ticker, samples));
    }
    html.push_str("</body></html>\n");
    html
}
