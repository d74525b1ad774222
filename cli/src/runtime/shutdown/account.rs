//! The account at the end of a run: the backstop that cancels any resting order of ours the
//! engine's own cancels missed, and the REST read that confirms none remain (the closing
//! check, and the emergency stop of a run that failed). Signals are in
//! [`super::super::signals`].

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::CancelOrder;
use kalshi_core::events::Event;
use kalshi_core::market_data::{OrderSnapshot, PositionSnapshot};
use kalshi_io::exec::{Executor, WriteOutcome};

use crate::exit_code::{EXIT_OK, EXIT_RESTING_ORDERS_LEFT};

use super::super::clock::now_ns;
use super::super::market_data::{fetch_positions, fetch_resting_orders};
use super::super::sequencer::Sequencer;

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
