//! What the end of a run prints: the summary (text, or one JSON document) and, for a trading
//! run that placed no order, why not.

use std::path::Path;

use super::super::sequencer::{RunCounters, Sequencer};
use super::super::status::StatusFigures;
use super::account::AccountCheck;

/// Everything the end-of-run summary prints.
#[derive(Debug, Clone)]
pub struct RunSummary<'a> {
    /// The run's id, the stem of its client order ids.
    pub run_id: &'a str,
    /// Journal directory.
    pub journal_dir: &'a Path,
    /// Why the run stopped.
    pub stop: &'a str,
    /// Inputs, commands, fills and rejections the sequencer counted.
    pub counters: &'a RunCounters,
    /// Final figures.
    pub figures: &'a StatusFigures,
    /// The exchange's view after shutdown (`None` when it could not be read, or for runs that
    /// never trade).
    pub account: Option<&'a AccountCheck>,
    /// Entries in the sealed journal.
    pub journal_entries: Option<u64>,
    /// The WebSocket's health over the run (`ws: reconnects=… gaps=…`).
    pub websocket: Option<String>,
    /// Times the inputs became older than the staleness bound (quoting held meanwhile).
    pub stale_episodes: u64,
    /// Model lines accepted and refused (runs that follow a model file).
    pub model: Option<super::super::model_line::ModelCounters>,
}

/// Why a trading run placed no order, from the engine's state at the end: an empty or
/// unquotable universe (with the most common reasons markets were dropped), a risk state or a
/// quoting hold.
pub fn why_no_orders(sequencer: &Sequencer, figures: &StatusFigures) -> String {
    let engine = sequencer.engine();
    if figures.risk_state != kalshi_core::risk::RiskState::Active {
        return format!("the risk state was {}", figures.risk_state.as_str());
    }
    if let Some(hold) = figures.quoting_hold {
        return format!("quoting was held ({})", hold.as_str());
    }
    let listed = engine.universe().len();
    if listed == 0 {
        return "no market was listed (the listing was empty or could not be read)".to_string();
    }
    let mut reasons: std::collections::BTreeMap<&'static str, usize> =
        std::collections::BTreeMap::new();
    for market in engine.dropped_markets() {
        for reason in &market.reasons {
            *reasons.entry(reason.as_str()).or_default() += 1;
        }
    }
    let mut top: Vec<(&str, usize)> = reasons.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let quoted = sequencer.quoted().len();
    let reasons = top
        .iter()
        .take(3)
        .map(|(reason, count)| format!("{reason} ×{count}"))
        .collect::<Vec<_>>()
        .join(", ");
    if quoted == 0 {
        format!(
            "no market passed the scanner ({listed} listed, {} dropped: {reasons}); loosen \
             [engine.scanner] with --set",
            engine.dropped_markets().len()
        )
    } else {
        format!(
            "{quoted} market(s) were quoted but every rung was refused (the EV gate or risk: \
             see `kalshi-bot audit` / the journal's decisions); dropped markets: {reasons}"
        )
    }
}

/// The summary text (printed on stdout).
pub fn summary_text(summary: &RunSummary<'_>) -> String {
    let mut text = String::new();
    let mut line = |line: String| {
        text.push_str(&line);
        text.push('\n');
    };
    line(format!("run {} stopped ({})", summary.run_id, summary.stop));
    line(format!(
        "  journal         : {}",
        summary.journal_dir.display()
    ));
    if let Some(entries) = summary.journal_entries {
        line(format!("  journal entries : {entries}"));
    }
    let counters = summary.counters;
    line(format!("  inputs          : {}", counters.inputs));
    line(format!(
        "  orders placed   : {} ({} post-only)",
        counters.places, counters.post_only_places
    ));
    line(format!(
        "  cancels         : {}   amends/decreases: {}   lookups: {}",
        counters.cancels, counters.modifies, counters.lookups
    ));
    line(format!(
        "  rejections      : {}   refused locally: {}",
        counters.rejections, counters.refused_locally
    ));
    line(format!(
        "  fills           : {} ({} contracts)",
        counters.fills, counters.filled
    ));
    if let Some(websocket) = &summary.websocket {
        line(format!(
            "  websocket       : {}",
            websocket.trim_start_matches("ws: ")
        ));
    }
    if summary.stale_episodes > 0 {
        line(format!(
            "  stale inputs    : {} time(s) past the bound; quotes withdrawn meanwhile",
            summary.stale_episodes
        ));
    }
    if let Some(model) = &summary.model {
        line(format!("  model inputs    : {}", model.line()));
    }
    outcome_lines(summary, &mut line);
    line(format!(
        "replay it with: kalshi-bot replay --journal {} --verify",
        summary.journal_dir.display()
    ));
    text
}

/// The summary's lines on what the run came to: P&L, risk state, and the account at the end.
fn outcome_lines(summary: &RunSummary<'_>, line: &mut impl FnMut(String)) {
    let figures = summary.figures;
    let pnl = figures.pnl;
    line(format!(
        "  p&l             : total {} = realized {} (net of {} fees) + unrealized {}",
        pnl.total.dollars(),
        pnl.realized_net.dollars(),
        pnl.fees.dollars(),
        pnl.unrealized.dollars()
    ));
    line(format!(
        "  p&l micros      : total={} realized_net={} fees={} unrealized={}",
        pnl.total.micros(),
        pnl.realized_net.micros(),
        pnl.fees.micros(),
        pnl.unrealized.micros()
    ));
    line(format!(
        "  risk state      : {}{}",
        figures.risk_state.as_str(),
        figures.quoting_hold.map_or(String::new(), |hold| format!(
            " (quoting held: {})",
            hold.as_str()
        ))
    ));
    match summary.account {
        Some(account) => {
            line(format!(
                "  resting orders  : {} of ours, {} others",
                account.resting_ours.len(),
                account.resting_foreign
            ));
            if account.positions.is_empty() {
                line("  positions       : flat".to_string());
            } else {
                line(format!(
                    "  positions       : {} markets",
                    account.positions.len()
                ));
                for position in &account.positions {
                    line(format!(
                        "    {} {} (cost {})",
                        position.ticker,
                        position.position,
                        position.cost.dollars()
                    ));
                }
            }
        }
        None => line("  resting orders  : not confirmed".to_string()),
    }
}

/// The end-of-run summary as one JSON document (`--json`): the same figures as
/// [`summary_text`], money in micro-dollars, counts of contracts as decimal strings.
pub fn summary_json(summary: &RunSummary<'_>, no_orders_why: Option<&str>) -> serde_json::Value {
    let counters = summary.counters;
    let figures = summary.figures;
    let pnl = figures.pnl;
    let account = summary.account.map(|account| {
        serde_json::json!({
            "resting_ours": account.resting_ours.len(),
            "resting_others": account.resting_foreign,
            "positions": account.positions.iter().map(|position| serde_json::json!({
                "ticker": position.ticker,
                "position": position.position.to_string(),
                "cost_micros": position.cost.micros(),
            })).collect::<Vec<_>>(),
        })
    });
    serde_json::json!({
        "run_id": summary.run_id,
        "stop": summary.stop,
        "journal": summary.journal_dir.display().to_string(),
        "journal_entries": summary.journal_entries,
        "inputs": counters.inputs,
        "orders_placed": counters.places,
        "post_only_placed": counters.post_only_places,
        "cancels": counters.cancels,
        "amends_decreases": counters.modifies,
        "lookups": counters.lookups,
        "rejections": counters.rejections,
        "refused_locally": counters.refused_locally,
        "fills": counters.fills,
        "filled_contracts": counters.filled.to_string(),
        "websocket": summary.websocket.as_deref().map(|ws| ws.trim_start_matches("ws: ")),
        "stale_episodes": summary.stale_episodes,
        "model_inputs": summary.model.as_ref().map(|model| serde_json::json!({
            "accepted": model.accepted,
            "refused": model.refused_total(),
        })),
        "pnl_total_micros": pnl.total.micros(),
        "pnl_realized_net_micros": pnl.realized_net.micros(),
        "fees_micros": pnl.fees.micros(),
        "pnl_unrealized_micros": pnl.unrealized.micros(),
        "risk_state": figures.risk_state.as_str(),
        "quoting_hold": figures.quoting_hold.map(|hold| hold.as_str()),
        "account": account,
        "no_orders": no_orders_why,
        "replay_command": format!(
            "kalshi-bot replay --journal {} --verify",
            summary.journal_dir.display()
        ),
    })
}
