//! Stopping a run: the backstop that cancels any resting order of ours the engine's own
//! cancels missed, the REST read that confirms none remain (the closing check, and the
//! emergency stop of a run that failed), and the summary. Signals are in [`super::signals`].

use std::path::Path;

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::CancelOrder;
use kalshi_core::events::Event;
use kalshi_core::market_data::{OrderSnapshot, PositionSnapshot};
use kalshi_io::exec::{Executor, WriteOutcome};

use crate::exit_code::{EXIT_OK, EXIT_RESTING_ORDERS_LEFT};

use super::clock::now_ns;
use super::market_data::{fetch_positions, fetch_resting_orders};
use super::sequencer::{RunCounters, Sequencer};
use super::status::StatusFigures;

/// Whether a resting order was placed by this system (any run).
fn is_ours(order: &OrderSnapshot) -> bool {
    order
        .client_order_id
        .as_deref()
        .and_then(|id| ClientOrderId::parse(id).ok())
        .is_some_and(|id| id.is_ours())
}

/// Cancels every resting order of ours still on the exchange (or, with `cancel_all`, every
/// resting order of the account). Returns the acknowledgements as engine events so the journal
/// shows how each order ended.
pub async fn backstop_cancel(executor: &Executor, cancel_all: bool) -> anyhow::Result<Vec<Event>> {
    let resting = fetch_resting_orders(executor.rest()).await?;
    if resting.is_empty() {
        return Ok(Vec::new());
    }
    let ours: Vec<OrderSnapshot> = resting.into_iter().filter(is_ours).collect();
    cancel_resting(executor, &ours, cancel_all).await
}

/// Cancels `ours` (resting orders of ours, read just before) in V2 batches, or with
/// `cancel_all` every resting order of the account in one request. Returns the
/// acknowledgements as engine events; refusals are logged (the closing read shows what is
/// left).
pub async fn cancel_resting(
    executor: &Executor,
    ours: &[OrderSnapshot],
    cancel_all: bool,
) -> anyhow::Result<Vec<Event>> {
    if cancel_all {
        tracing::warn!(
            ours = ours.len(),
            "cancelling every resting order of the account"
        );
        let outcome = executor.cancel_all().await;
        if !matches!(outcome, WriteOutcome::Accepted(())) {
            anyhow::bail!("cancel-all did not succeed: {}", outcome.kind_name());
        }
        return Ok(Vec::new());
    }
    if ours.is_empty() {
        return Ok(Vec::new());
    }
    let cancels: Vec<CancelOrder> = ours
        .iter()
        .filter_map(|order| {
            let client_order_id = order
                .client_order_id
                .as_deref()
                .and_then(|id| ClientOrderId::parse(id).ok())
                .filter(ClientOrderId::is_ours)?;
            tracing::warn!(ticker = %order.ticker, order_id = %order.order_id, "backstop cancel");
            Some(CancelOrder {
                client_order_id,
                order_id: Some(order.order_id.clone()),
                ticker: order.ticker.clone(),
            })
        })
        .collect();
    // The backstop's spending is not shown anywhere: the status line is gone by now.
    let events = executor.cancel_in_batches(&cancels, &mut |_| {}).await;
    Ok(events
        .into_iter()
        .filter(|event| match event {
            Event::CancelAck(_) => true,
            other => {
                tracing::error!(outcome = %other, "backstop cancel failed");
                false
            }
        })
        .collect())
}

/// What the exchange says after shutdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCheck {
    /// Resting orders placed by this system.
    pub resting_ours: Vec<OrderSnapshot>,
    /// Resting orders placed by something else.
    pub resting_foreign: usize,
    /// Non-zero positions.
    pub positions: Vec<PositionSnapshot>,
}

/// Reads resting orders and positions over REST.
pub async fn confirm_account(executor: &Executor) -> anyhow::Result<AccountCheck> {
    let resting = fetch_resting_orders(executor.rest()).await?;
    let positions = fetch_positions(executor.rest()).await?;
    let (ours, foreign): (Vec<_>, Vec<_>) = resting.into_iter().partition(is_ours);
    Ok(AccountCheck {
        resting_ours: ours,
        resting_foreign: foreign.len(),
        positions: positions
            .into_iter()
            .filter(|position| position.position.centi() != 0)
            .collect(),
    })
}

/// Everything the end-of-run summary prints.
#[derive(Debug, Clone)]
pub struct RunSummary<'a> {
    /// Run id.
    pub run_id: &'a str,
    /// Journal directory.
    pub journal_dir: &'a Path,
    /// Why the run stopped.
    pub stop: &'a str,
    /// Counters.
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
    pub model: Option<super::model_line::ModelCounters>,
}

/// Why a trading run placed no order, from the engine's state at the end: an empty or
/// unquotable universe (with the most common reasons markets were dropped), a risk state or a
/// quoting hold.
pub fn why_no_orders(
    sequencer: &super::sequencer::Sequencer,
    figures: &super::status::StatusFigures,
) -> String {
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
    line(format!(
        "replay it with: kalshi-bot replay --journal {} --verify",
        summary.journal_dir.display()
    ));
    text
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

/// After a run failed mid-way (e.g. the journal cannot be written): cancels every order of
/// ours without journaling, reads the account afresh and prints how many of ours still rest.
/// Returns the exit code: 3 if any rest or the account cannot be read, else 0.
pub async fn emergency_stop(executor: &Executor, cancel_all: bool) -> i32 {
    if let Err(error) = backstop_cancel(executor, cancel_all).await {
        tracing::error!(error = %format!("{error:#}"), "emergency cancel failed");
    }
    match confirm_account(executor).await {
        Ok(check) => {
            let resting = check.resting_ours.len();
            crate::logging::warn(&format!(
                "after the emergency cancel, {resting} order(s) of ours still rest on the \
                 exchange; {} position(s) open",
                check.positions.len()
            ));
            if resting > 0 {
                EXIT_RESTING_ORDERS_LEFT
            } else {
                EXIT_OK
            }
        }
        Err(error) => {
            crate::logging::warn(&format!(
                "cannot read the account after the emergency cancel ({error:#}): treat orders \
                 of ours as still resting"
            ));
            EXIT_RESTING_ORDERS_LEFT
        }
    }
}

/// The closing account check: one REST read of resting orders and positions; anything of
/// ours still resting (or, with `cancel_all`, anything at all) is cancelled in batches and
/// read again. The exchange's positions are journaled, so any difference from the engine's
/// own books shows as a `PositionDrift` decision. `None` when the account cannot be read.
pub async fn closing_check(
    executor: &Executor,
    sequencer: &mut Sequencer,
    cancel_all: bool,
) -> anyhow::Result<Option<AccountCheck>> {
    let mut check = match confirm_account(executor).await {
        Ok(check) => check,
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "cannot confirm the account's resting orders");
            return Ok(None);
        }
    };
    let left = !check.resting_ours.is_empty() || (cancel_all && check.resting_foreign > 0);
    if left {
        tracing::warn!(
            ours = check.resting_ours.len(),
            "orders still resting after the engine's cancels; using the backstop"
        );
        match cancel_resting(executor, &check.resting_ours, cancel_all).await {
            Ok(events) => {
                let now = now_ns();
                for event in events {
                    sequencer.step(now, event, None)?;
                }
                sequencer.drain_local(now)?;
            }
            Err(error) => tracing::error!(error = %format!("{error:#}"), "backstop cancel failed"),
        }
        check = match confirm_account(executor).await {
            Ok(check) => check,
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "cannot confirm the account's resting orders");
                return Ok(None);
            }
        };
    }
    let now = now_ns();
    for position in &check.positions {
        sequencer.step(now, Event::PositionSnapshot(position.clone()), None)?;
    }
    Ok(Some(check))
}
