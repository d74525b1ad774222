//! The sweep report: one self-contained HTML page with every grid point's results, sorted by
//! total P&L (best first, ties in grid order), the best row marked.

use std::fmt::Write;

use crate::report::html::percent;
use crate::report::svg::escape;
use crate::sweep::{SweepAxis, SweepRow};

/// Renders the sweep's rows as one HTML document.
pub fn sweep_to_html(title: &str, axes: &[SweepAxis], rows: &[SweepRow]) -> String {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|a, b| {
        rows[*b]
            .metrics
            .pnl
            .total
            .cmp(&rows[*a].metrics.pnl.total)
            .then(a.cmp(b))
    });
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>{title}</title><style>\
body{{font-family:sans-serif;margin:24px;color:#222}}table{{border-collapse:collapse;margin:12px 0}}\
td,th{{border:1px solid #ddd;padding:4px 8px;text-align:right}}th{{background:#f4f4f4}}\
tr.best td{{background:#e6f4e6;font-weight:bold}}.note{{color:#555}}</style></head><body>\
<h1>{title}</h1><p class=\"note\">{points} configurations, sorted by total P&amp;L (best first); \
the best is marked ★. Each row is a full backtest of the same data.</p><table><tr><th>rank</th>",
        title = escape(title),
        points = rows.len(),
    );
    for axis in axes {
        let _ = write!(html, "<th>{}</th>", escape(&axis.key));
    }
    html.push_str(
        "<th>total P&amp;L</th><th>fees</th><th>max drawdown</th><th>orders</th><th>fills</th>\
         <th>filled</th><th>fill ratio</th><th>time quoted</th><th>digest</th></tr>",
    );
    for (rank, index) in order.iter().enumerate() {
        let row = &rows[*index];
        let m = &row.metrics;
        let best = rank == 0;
        let _ = write!(
            html,
            "<tr{}><td>{}{}</td>",
            if best { " class=\"best\"" } else { "" },
            rank + 1,
            if best { " ★" } else { "" }
        );
        for (_, value) in &row.point {
            let _ = write!(html, "<td>{}</td>", escape(value));
        }
        let _ = write!(
            html,
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            m.pnl.total.dollars(),
            m.pnl.fees.dollars(),
            m.max_drawdown.dollars(),
            m.orders,
            m.fills,
            m.filled_contracts,
            percent(m.fill_ratio_ppm),
            percent(m.time_quoted_ppm),
            escape(&row.output_digest.chars().take(12).collect::<String>())
        );
    }
    html.push_str("</table></body></html>\n");
    html
}
