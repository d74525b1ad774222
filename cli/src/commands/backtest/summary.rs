//! The plain-text tables `backtest` prints: one run's metrics, and a sweep's rows.

use std::fmt::Write as _;

use kalshi_core::decision::Decision;
use kalshi_journal::JournalRecord;
use kalshi_replay::metrics::Metrics;
use kalshi_replay::sweep::{SweepAxis, SweepRow};

/// `12.34%` from parts per million (truncated to hundredths of a percent).
fn percent(ppm: u64) -> String {
    format!("{}.{:02}%", ppm / 10_000, (ppm % 10_000) / 100)
}

/// A markout in dollars per contract, or `-` when no fill qualified.
fn markout(micros: Option<i64>) -> String {
    micros.map_or_else(
        || "-".to_string(),
        |micros| {
            let sign = if micros < 0 { "-" } else { "" };
            let abs = micros.unsigned_abs();
            format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000)
        },
    )
}

/// Seconds with one decimal from ns.
fn seconds(ns: i64) -> String {
    let tenths = ns / 100_000_000;
    format!("{}.{}s", tenths / 10, (tenths % 10).abs())
}

/// The summary of one backtest: totals, then one row per market.
pub fn metrics_table(metrics: &Metrics) -> String {
    let mut out = String::new();
    let rows: [(&str, String); 17] = [
        (
            "data",
            format!("{:?} ({})", metrics.fidelity, metrics.fidelity_note),
        ),
        (
            "span",
            seconds(metrics.end_ts_ns.saturating_sub(metrics.start_ts_ns)),
        ),
        ("inputs", metrics.inputs.to_string()),
        ("orders placed", metrics.orders.to_string()),
        ("cancels", metrics.cancels.to_string()),
        ("fills", metrics.fills.to_string()),
        (
            "contracts filled",
            format!(
                "{} of {} placed ({})",
                metrics.filled_contracts,
                metrics.placed_contracts,
                percent(metrics.fill_ratio_ppm)
            ),
        ),
        ("maker share", percent(metrics.maker_share_ppm)),
        ("p&l total", metrics.pnl.total.dollars().to_string()),
        (
            "realized (net)",
            metrics.pnl.realized_net.dollars().to_string(),
        ),
        ("fees", metrics.pnl.fees.dollars().to_string()),
        ("unrealized", metrics.pnl.unrealized.dollars().to_string()),
        ("max drawdown", metrics.max_drawdown.dollars().to_string()),
        (
            "markout 1m / 5m",
            format!(
                "{} ({} fills) / {} ({} fills) $/contract",
                markout(metrics.markout_1m_micros),
                metrics.markouts_1m_count,
                markout(metrics.markout_5m_micros),
                metrics.markouts_5m_count
            ),
        ),
        (
            "inventory",
            format!(
                "max |position| {}, final Σ|position| {}",
                metrics.inventory_max_abs, metrics.inventory_final_abs
            ),
        ),
        (
            "time quoted",
            format!(
                "{} ({})",
                seconds(metrics.time_quoted_ns),
                percent(metrics.time_quoted_ppm)
            ),
        ),
        ("markets", metrics.markets.len().to_string()),
    ];
    for (label, value) in rows {
        let _ = writeln!(out, "{label:<18} {value}");
    }
    if !metrics.markets.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<32} {:>7} {:>6} {:>12} {:>10} {:>12} {:>10} {:>12}",
            "market", "orders", "fills", "filled", "fees", "P&L total", "position", "quoted"
        );
        for market in &metrics.markets {
            let _ = writeln!(
                out,
                "{:<32} {:>7} {:>6} {:>12} {:>10} {:>12} {:>10} {:>12}",
                market.ticker,
                market.orders,
                market.fills,
                market.filled_contracts.to_string(),
                market.pnl.fees.dollars().to_string(),
                market.pnl.total.dollars().to_string(),
                market.inventory_final.to_string(),
                seconds(market.time_quoted_ns)
            );
        }
    }
    out
}

/// When a run placed nothing: the last universe selection (with the scanner's reasons for
/// every dropped market) and the last withdrawal, so the user sees why.
pub fn why_no_orders(records: &[JournalRecord]) -> String {
    let mut universe = None;
    let mut withdraw = None;
    for record in records {
        if let JournalRecord::OutputDecision { decision, .. } = record {
            match decision {
                Decision::UniverseSelected { .. } => universe = Some(decision.to_string()),
                Decision::Withdraw { .. } => withdraw = Some(decision.to_string()),
                _ => {}
            }
        }
    }
    let mut out = String::from("no orders were placed.\n");
    match universe {
        Some(line) => {
            let _ = writeln!(out, "  last universe: {line}");
        }
        None => out.push_str("  no market was ever listed to the engine\n"),
    }
    if let Some(line) = withdraw {
        let _ = writeln!(out, "  last withdrawal: {line}");
    }
    out
}

/// One row per grid point: the swept values, then the key metrics and the digest prefix.
pub fn sweep_table(axes: &[SweepAxis], rows: &[SweepRow]) -> String {
    let mut header: Vec<String> = axes.iter().map(|axis| axis.key.clone()).collect();
    header.extend(
        [
            "orders",
            "fills",
            "filled",
            "fees",
            "P&L total",
            "drawdown",
            "quoted",
            "digest",
        ]
        .iter()
        .map(ToString::to_string),
    );
    let mut table: Vec<Vec<String>> = vec![header];
    for row in rows {
        let mut cells: Vec<String> = row.point.iter().map(|(_, value)| value.clone()).collect();
        let m = &row.metrics;
        cells.extend([
            m.orders.to_string(),
            m.fills.to_string(),
            m.filled_contracts.to_string(),
            m.pnl.fees.dollars().to_string(),
            m.pnl.total.dollars().to_string(),
            m.max_drawdown.dollars().to_string(),
            percent(m.time_quoted_ppm),
            row.output_digest.chars().take(12).collect(),
        ]);
        table.push(cells);
    }
    let columns = table.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            table
                .iter()
                .filter_map(|cells| cells.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for cells in &table {
        let line: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:>width$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_exactly() {
        assert_eq!(percent(78_833), "7.88%");
        assert_eq!(percent(1_000_000), "100.00%");
        assert_eq!(markout(Some(-12_345)), "-0.012345");
        assert_eq!(markout(None), "-");
        assert_eq!(seconds(900_000_000_000), "900.0s");
        assert_eq!(seconds(1_250_000_000), "1.2s");
    }
}
