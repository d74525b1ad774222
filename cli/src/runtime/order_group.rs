//! The exchange-side kill switch: an order group every quote of the run is attached to.
//!
//! When `orders.order_group_contracts_limit` is set and no `orders.order_group_id` is given,
//! the run creates a group with that limit before the configuration is journaled, so the id
//! is part of the journaled config and of every place command; Kalshi then cancels every
//! order of the group once more than the limit is matched within 15 s, even if this process
//! is gone. The run deletes the group it created when it ends. A group named in the
//! configuration is used as it is and left alone.

use std::time::Duration;

use anyhow::bail;
use kalshi_core::config::OrderDefaults;
use kalshi_io::exec::{Executor, WriteOutcome};

/// Attempts at creating the group (a 429 or an unknown outcome is tried again).
const CREATE_ATTEMPTS: u32 = 3;
/// Pause between attempts.
const CREATE_RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Creates the run's order group when the configuration asks for one and names none; sets
/// `orders.order_group_id` and returns the id (to delete at the end). Fails, before any order,
/// when the group cannot be created: the configuration asked for the exchange-side limit.
pub async fn create_for_run(
    executor: &Executor,
    orders: &mut OrderDefaults,
) -> anyhow::Result<Option<String>> {
    if orders.order_group_id.is_some() {
        return Ok(None);
    }
    let Some(limit) = orders.order_group_contracts_limit else {
        return Ok(None);
    };
    let mut last_failure = String::new();
    for attempt in 1..=CREATE_ATTEMPTS {
        match executor.create_order_group(limit).await {
            WriteOutcome::Accepted(id) => {
                tracing::info!(order_group_id = %id, contracts_limit = %limit, "order group created");
                orders.order_group_id = Some(id.clone());
                return Ok(Some(id));
            }
            WriteOutcome::Rejected {
                status,
                code,
                message,
            } => bail!(
                "creating the order group (contracts limit {limit}) was refused: HTTP {status} \
                 {code} {message}; not trading without the exchange-side limit the configuration \
                 asks for (orders.order_group_contracts_limit)"
            ),
            WriteOutcome::NotSent { reason } => {
                bail!("creating the order group (contracts limit {limit}) was not sent: {reason}")
            }
            WriteOutcome::RateLimited => last_failure = "rate limited (429)".to_string(),
            WriteOutcome::Unknown { reason } => last_failure = reason,
        }
        tracing::warn!(attempt, failure = %last_failure, "creating the order group failed; retrying");
        if attempt < CREATE_ATTEMPTS {
            tokio::time::sleep(CREATE_RETRY_PAUSE).await;
        }
    }
    bail!(
        "creating the order group (contracts limit {limit}) failed {CREATE_ATTEMPTS} times, last: \
         {last_failure}; not trading without the exchange-side limit the configuration asks for"
    )
}

/// Deletes the group the run created (which also cancels any order of it still resting).
/// Logs the outcome; a failure leaves an empty group on the account, nothing more.
pub async fn delete_after_run(executor: &Executor, order_group_id: &str) {
    match executor.delete_order_group(order_group_id).await {
        WriteOutcome::Accepted(()) => tracing::info!(%order_group_id, "order group deleted"),
        other => tracing::warn!(
            %order_group_id,
            outcome = ?other,
            "deleting the order group failed; delete it by hand if it matters"
        ),
    }
}
