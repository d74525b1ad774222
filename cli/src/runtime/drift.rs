//! The drift monitor's queue-position reads: every `drift.queue_read_interval_s` the markets
//! where we rest orders are read with `GET /portfolio/orders/queue_positions` (one request
//! for all of them) and the answer is journaled as an [`Event::QueuePositions`] input, which
//! the sequencer's [`kalshi_replay::drift::DriftMonitor`] compares with its shadow.
//!
//! Budget: one read costs one read request per interval (10 tokens every 5 s by default, well
//! under 1% of the basic tier's read budget). A read is skipped, with a log line, when less
//! than `drift.read_budget_reserve_percent` of the read bucket is available: the reads the
//! run needs (reconciliation, snapshots, rescans) come first.

use std::time::Duration;

use kalshi_core::Count;
use kalshi_core::events::{Event, OrderQueuePosition, QueuePositions};
use kalshi_io::data_rest::RestClient;
use kalshi_io::ratelimit::BucketKind;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::clock::now_ns;
use super::timers::Input;

/// Settings of the queue-position reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueReadSettings {
    /// Time between reads.
    pub interval: Duration,
    /// A read is skipped when less than this share of the read bucket is available, percent.
    pub reserve_percent: u8,
}

/// True when `available` of `capacity` tokens is below `reserve_percent` of the capacity.
pub fn budget_short(available: u32, capacity: u32, reserve_percent: u8) -> bool {
    u64::from(available) * 100 < u64::from(capacity) * u64::from(reserve_percent)
}

/// Starts the reads: every interval, the markets in `markets` (where we rest orders, kept up
/// to date by the event loop) are read and the answer sent to the sequencer.
pub fn spawn_queue_reads(
    rest: RestClient,
    settings: QueueReadSettings,
    markets: watch::Receiver<Vec<String>>,
    inputs: mpsc::Sender<Input>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(settings.interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let tickers = markets.borrow().clone();
            if tickers.is_empty() {
                continue;
            }
            if let Some(limiter) = rest.limiter() {
                let (available, capacity) = limiter.available(BucketKind::Read).await;
                if budget_short(available, capacity, settings.reserve_percent) {
                    tracing::info!(
                        available,
                        capacity,
                        "queue-position read skipped: the read budget is short"
                    );
                    continue;
                }
            }
            let answer = match rest.get_queue_positions(&tickers, None).await {
                Ok(answer) => answer,
                Err(error) => {
                    tracing::warn!(error = %error, "queue-position read failed");
                    continue;
                }
            };
            let orders = answer
                .queue_positions
                .into_iter()
                .map(|row| OrderQueuePosition {
                    order_id: row.order_id,
                    ticker: row.market_ticker,
                    ahead: row.queue_position_fp.unwrap_or_else(|| {
                        row.queue_position
                            .and_then(|whole| Count::from_contracts(whole).ok())
                            .unwrap_or(Count::ZERO)
                    }),
                })
                .collect();
            let input = Input::Events {
                recv_ts_ns: now_ns(),
                events: vec![Event::QueuePositions(QueuePositions { tickers, orders })],
            };
            if inputs.send(input).await.is_err() {
                return;
            }
        }
    })
}

/// Starts the queue-position reads of `[drift]` (none when `queue_read_interval_s` is 0):
/// the task, and where the event loop publishes the markets to read.
pub fn start_reads(
    config: &crate::config::DriftConfig,
    rest: &RestClient,
    inputs: &mpsc::Sender<Input>,
) -> Option<(JoinHandle<()>, watch::Sender<Vec<String>>)> {
    if config.queue_read_interval_s == 0 {
        return None;
    }
    let (markets_tx, markets_rx) = watch::channel(Vec::new());
    let task = spawn_queue_reads(
        rest.clone(),
        QueueReadSettings {
            interval: super::timers::seconds(config.queue_read_interval_s),
            reserve_percent: config.read_budget_reserve_percent,
        },
        markets_rx,
        inputs.clone(),
    );
    Some((task, markets_tx))
}

/// Gives a trading run's sequencer its drift monitor, with the `[drift]` fill model at the
/// engine's fee precision. A refused setting only leaves the run without a monitor.
pub fn start_monitor(
    config: &crate::config::DriftConfig,
    fee_target_precision_micros: i64,
    sequencer: &mut super::sequencer::Sequencer,
) {
    let mut fill_model = config.fill.clone();
    fill_model.fee_target_precision_micros = fee_target_precision_micros;
    let settings = kalshi_replay::drift::DriftSettings {
        fill_model,
        fill_tolerance_ms: config.fill_tolerance_ms,
        timing: config.shadow_timing,
    };
    match kalshi_replay::drift::DriftMonitor::new(settings) {
        Ok(monitor) => sequencer.set_drift_monitor(monitor),
        Err(error) => tracing::warn!(error = %error, "no drift monitor for this run"),
    }
}

/// File of a trading run's directory holding its final drift report.
pub const DRIFT_FILE: &str = "drift.json";

/// Writes the run's final drift report to `<run>/drift.json` (`kalshi-bot drift --journal`
/// takes its settings from there and recomputes the same figures).
pub fn write_report(journal_dir: &std::path::Path, report: &kalshi_replay::drift::DriftReport) {
    let path = journal_dir.join(DRIFT_FILE);
    let written = serde_json::to_vec_pretty(report)
        .map_err(anyhow::Error::from)
        .and_then(|bytes| std::fs::write(&path, bytes).map_err(anyhow::Error::from));
    if let Err(error) = written {
        tracing::warn!(path = %path.display(), error = %format!("{error:#}"), "drift report not written");
    }
}

#[cfg(test)]
mod tests {
    use super::budget_short;

    #[test]
    fn a_read_waits_for_the_reserve() {
        assert!(!budget_short(100, 200, 50));
        assert!(budget_short(99, 200, 50));
        assert!(!budget_short(0, 200, 0));
        assert!(budget_short(0, 200, 1));
    }
}
