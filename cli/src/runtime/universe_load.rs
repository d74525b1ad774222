//! What a run reads before it trades: the market listing with every market's fee parameters,
//! the universe the engine picks from it (or the markets a recording names), and the REST
//! book snapshots of the chosen markets.

use std::time::Duration;

use kalshi_core::events::Event;
use kalshi_core::market_data::MarketInfo;
use kalshi_core::market_scanner::scan_listings;
use kalshi_io::data_rest::RestClient;
use kalshi_io::data_rest::queries::MarketStatusFilter;

use super::clock::now_ns;
use super::fees::FeeDirectory;
use super::market_data::{fetch_listing, fetch_market_snapshot, fetch_markets_by_ticker};
use super::per_market_reads::snapshot_reads;
use super::run_options::{MarketSelection, Purpose, RunOptions};
use super::sequencer::Sequencer;
use super::trade_history::{ActivityReads, fetch_trade_history};
use crate::config::RuntimeSettings;

/// Orderbook snapshots read at once at startup (the rate limiter still paces them).
const SNAPSHOT_READS_IN_FLIGHT: usize = 8;
/// Longest a startup snapshot read (book and recent trades) may take before the market waits
/// for the WebSocket's snapshot instead.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(5);

/// REST book snapshots (and recent trades) of `markets`, read [`SNAPSHOT_READS_IN_FLIGHT`]
/// at a time within the rate limiter's read budget, each given at most [`SNAPSHOT_TIMEOUT`];
/// stepped in `markets` order. A market whose read fails or hangs waits for the WebSocket's
/// snapshot instead of holding up the others. With `activity` the trades are the market's
/// history over the recent window, read after the socket subscribed, so the tape has no gap
/// between the history read before the listing and the socket's first trade.
pub async fn fetch_snapshots(
    rest: &RestClient,
    markets: &[String],
    runtime: &RuntimeSettings,
    activity: Option<&ActivityReads>,
    sequencer: &mut Sequencer,
) -> anyhow::Result<()> {
    use futures_util::StreamExt as _;
    let window_ns = activity.map(|activity| activity.scanner.recent_window_ns);
    let reads = snapshot_reads(
        markets,
        |ticker| async move {
            match window_ns {
                None => {
                    fetch_market_snapshot(
                        rest,
                        ticker,
                        runtime.orderbook_depth,
                        runtime.recent_trades_per_market,
                    )
                    .await
                }
                Some(window_ns) => {
                    let mut events =
                        fetch_market_snapshot(rest, ticker, runtime.orderbook_depth, 0).await?;
                    let from_ns = now_ns().saturating_sub(window_ns);
                    // A failed history read costs the tape, not the book.
                    match fetch_trade_history(rest, ticker, from_ns, None).await {
                        Ok(history) => events.push(Event::TradeHistory(history)),
                        Err(error) => {
                            tracing::warn!(%ticker, error = %format!("{error:#}"), "trade history failed; the socket's trades follow")
                        }
                    }
                    Ok(events)
                }
            }
        },
        SNAPSHOT_READS_IN_FLIGHT,
        SNAPSHOT_TIMEOUT,
    );
    futures_util::pin_mut!(reads);
    while let Some((ticker, result)) = reads.next().await {
        match result {
            Ok(events) => {
                let now = now_ns();
                for event in events {
                    sequencer.step(now, event, None)?;
                }
            }
            Err(error) => {
                tracing::warn!(%ticker, error = %format!("{error:#}"), "REST snapshot failed; waiting for the WebSocket's")
            }
        }
    }
    Ok(())
}

/// Reads the fee directory for `markets` and sets each market's fee parameters (see
/// [`FeeDirectory`]); returns the scheduled fee changes still ahead, as dated inputs.
async fn attach_fees(rest: &RestClient, markets: &mut [MarketInfo]) -> Vec<(i64, Event)> {
    let directory = FeeDirectory::read(rest, markets).await;
    let unknown = directory.apply(markets);
    if unknown > 0 {
        tracing::warn!(
            markets = unknown,
            "fee parameters unreadable; those markets are not quoted (scan reason fee_unknown)"
        );
    }
    let changes = directory.scheduled_changes(markets, now_ns());
    if !changes.is_empty() {
        tracing::info!(
            changes = changes.len(),
            "scheduled fee changes will be applied at their times"
        );
    }
    changes
}

/// What a trading run reads for the recently-active filter (the tuning's
/// `recent_activity`): the trades of the best `quoted_markets_max × 3` markets by every other
/// filter. `None` when the setting is off or the run only records.
pub fn activity_reads(options: &RunOptions) -> Option<ActivityReads> {
    let trading = matches!(options.purpose, Purpose::Trade { .. });
    (trading && options.tuning.recent_activity).then(|| ActivityReads {
        scanner: options.engine.scanner,
        candidates_max: usize::try_from(options.engine.quoted_markets_max)
            .unwrap_or(usize::MAX)
            .saturating_mul(3),
    })
}

/// The markets to subscribe, and the scheduled fee changes to apply during the run.
pub type Universe = (Vec<String>, Vec<(i64, Event)>);

/// Lists markets (with their fee parameters) and decides the subscriptions.
pub async fn load_universe(
    options: &RunOptions,
    rest: &RestClient,
    sequencer: &mut Sequencer,
) -> anyhow::Result<Universe> {
    let progress = |pages: usize, markets: usize| {
        tracing::info!(pages, markets, "reading GET /markets");
    };
    match &options.purpose {
        Purpose::Record {
            markets: MarketSelection::Tickers(tickers),
        } => {
            let mut listing = fetch_markets_by_ticker(rest, tickers).await?;
            let fee_changes = attach_fees(rest, &mut listing.markets).await;
            let found: Vec<String> = listing.markets.iter().map(|m| m.ticker.clone()).collect();
            for ticker in tickers {
                if !found.contains(ticker) {
                    tracing::warn!(%ticker, "market not found; recording it anyway");
                }
            }
            sequencer.step(now_ns(), Event::MarketListing(listing.markets), None)?;
            sequencer.take_universe_change();
            Ok((tickers.clone(), fee_changes))
        }
        Purpose::Record {
            markets: MarketSelection::Top(count),
        } => {
            let mut listing = fetch_listing(rest, Some(MarketStatusFilter::Open), progress).await?;
            let fee_changes = attach_fees(rest, &mut listing.markets).await;
            let now = now_ns();
            let report = scan_listings(
                &listing.markets,
                &std::collections::BTreeSet::new(),
                &options.engine.scanner,
                now,
            );
            let chosen: Vec<String> = report
                .ranked
                .iter()
                .take(*count)
                .map(|row| row.ticker.clone())
                .collect();
            sequencer.step(now, Event::MarketListing(listing.markets), None)?;
            sequencer.take_universe_change();
            Ok((chosen, fee_changes))
        }
        Purpose::Trade { .. } => {
            let mut listing = fetch_listing(rest, Some(MarketStatusFilter::Open), progress).await?;
            let fee_changes = attach_fees(rest, &mut listing.markets).await;
            if let Some(activity) = activity_reads(options) {
                for history in activity.histories(rest, &listing.markets).await {
                    sequencer.step(now_ns(), history, None)?;
                }
            }
            tracing::info!(
                markets = listing.markets.len(),
                pages = listing.pages,
                unreadable = listing.unreadable,
                "market listing read"
            );
            sequencer.step(now_ns(), Event::MarketListing(listing.markets), None)?;
            Ok((sequencer.take_universe_change().added, fee_changes))
        }
    }
}
