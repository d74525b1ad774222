//! Recent trades over REST: the trade history of the best candidates read before each listing
//! (at startup and every rescan) so the engine picks its universe on real activity, and the
//! recent trades of one market. Reads are paged, bounded in number and time, and run a few
//! at a time within the rate limiter.

use std::time::Duration;

use anyhow::Context as _;
use futures_util::StreamExt as _;
use kalshi_core::events::{Event, TradeHistory};
use kalshi_core::market_data::MarketInfo;
use kalshi_core::market_scanner::{ScannerConfig, activity_candidates};
use kalshi_io::data_rest::RestClient;
use kalshi_io::data_rest::queries::TradesQuery;
use kalshi_io::normalize;

use super::clock::now_ns;
use super::per_market_reads::snapshot_reads;

/// A market's most recent public trades (at most `count`), oldest first.
pub async fn fetch_recent_trades(
    rest: &RestClient,
    ticker: &str,
    count: u32,
) -> anyhow::Result<Vec<Event>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let query = TradesQuery {
        ticker: Some(ticker.to_string()),
        limit: Some(count),
        ..TradesQuery::default()
    };
    let page = rest
        .get_trades(&query, None)
        .await
        .with_context(|| format!("reading recent trades of {ticker}"))?;
    let mut trades = Vec::with_capacity(page.trades.len());
    for trade in &page.trades {
        match normalize::public_trade(trade) {
            Ok(trade) => trades.push(trade),
            Err(error) => tracing::warn!(%error, "trade left out"),
        }
    }
    trades.sort_by(|a, b| {
        a.ts_ns
            .cmp(&b.ts_ns)
            .then_with(|| a.trade_id.cmp(&b.trade_id))
    });
    Ok(trades.into_iter().map(Event::PublicTrade).collect())
}

/// Most pages of one market's trade history read for the recently-active filter.
pub const TRADE_HISTORY_PAGES_MAX: usize = 2;
/// Trades per page of those reads (the endpoint's largest page).
const TRADE_HISTORY_PAGE_SIZE: u32 = 1000;
/// Trade-history reads in flight at once (the rate limiter still paces them).
pub const TRADE_HISTORY_READS_IN_FLIGHT: usize = 8;
/// Longest one market's trade-history read may take.
pub const TRADE_HISTORY_TIMEOUT: Duration = Duration::from_secs(10);
/// Nanoseconds per second.
use kalshi_core::time::NS_PER_S;

/// A market's public trades from `from_ns` (to `until_ns` when given, else to now), at most
/// [`TRADE_HISTORY_PAGES_MAX`] pages, oldest first. When the pages run out before reaching
/// `from_ns` the history covers only from its oldest trade.
pub async fn fetch_trade_history(
    rest: &RestClient,
    ticker: &str,
    from_ns: i64,
    until_ns: Option<i64>,
) -> anyhow::Result<TradeHistory> {
    let query = TradesQuery {
        ticker: Some(ticker.to_string()),
        min_ts: Some(from_ns.div_euclid(NS_PER_S)),
        max_ts: until_ns.map(|until| until.div_euclid(NS_PER_S)),
        limit: Some(TRADE_HISTORY_PAGE_SIZE),
    };
    let mut trades = Vec::new();
    let mut cursor: Option<String> = None;
    let mut truncated = false;
    for page_number in 0..TRADE_HISTORY_PAGES_MAX {
        let page = rest
            .get_trades(&query, cursor.as_deref())
            .await
            .with_context(|| format!("reading the trade history of {ticker}"))?;
        for trade in &page.trades {
            match normalize::public_trade(trade) {
                Ok(trade) => trades.push(trade),
                Err(error) => tracing::warn!(%error, "trade left out"),
            }
        }
        cursor = page.cursor.filter(|next| !next.is_empty());
        if cursor.is_none() || page.trades.is_empty() {
            break;
        }
        truncated = page_number + 1 == TRADE_HISTORY_PAGES_MAX;
    }
    trades.sort_by(|a, b| {
        a.ts_ns
            .cmp(&b.ts_ns)
            .then_with(|| a.trade_id.cmp(&b.trade_id))
    });
    let covered_from_ns = match trades.first() {
        Some(oldest) if truncated => oldest.ts_ns.max(from_ns),
        _ => from_ns,
    };
    Ok(TradeHistory {
        ticker: ticker.to_string(),
        covered_from_ns,
        trades,
    })
}

/// The trade histories of `tickers` from `from_ns` to `until_ns` (now when `None`), read
/// [`TRADE_HISTORY_READS_IN_FLIGHT`] at a time, in `tickers` order. Returns each market's
/// history or the error of its read.
pub async fn read_trade_histories(
    rest: &RestClient,
    tickers: &[String],
    from_ns: i64,
    until_ns: Option<i64>,
) -> Vec<(String, anyhow::Result<TradeHistory>)> {
    let reads = snapshot_reads(
        tickers,
        |ticker| async move {
            let history = fetch_trade_history(rest, ticker, from_ns, until_ns).await?;
            Ok(vec![Event::TradeHistory(history)])
        },
        TRADE_HISTORY_READS_IN_FLIGHT,
        TRADE_HISTORY_TIMEOUT,
    );
    futures_util::pin_mut!(reads);
    let mut out = Vec::with_capacity(tickers.len());
    while let Some((ticker, result)) = reads.next().await {
        let history = result.and_then(|events| {
            events
                .into_iter()
                .find_map(|event| match event {
                    Event::TradeHistory(history) => Some(history),
                    _ => None,
                })
                .ok_or_else(|| anyhow::anyhow!("no trade history of {ticker}"))
        });
        out.push((ticker.to_string(), history));
    }
    out
}

/// What a run reads for the recently-active filter before choosing its universe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActivityReads {
    /// The scanner settings (its recent window and every other filter).
    pub scanner: ScannerConfig,
    /// Most markets whose trades are read: the best of the listing by every other filter.
    pub candidates_max: usize,
}

impl ActivityReads {
    /// The candidate markets' trade histories as `Event::TradeHistory` inputs, to be
    /// journaled before the listing they judge. A market whose read fails is logged and
    /// left without a history.
    pub async fn histories(&self, rest: &RestClient, listings: &[MarketInfo]) -> Vec<Event> {
        let candidates =
            activity_candidates(listings, &self.scanner, now_ns(), self.candidates_max);
        let from_ns = now_ns().saturating_sub(self.scanner.recent_window_ns);
        let results = read_trade_histories(rest, &candidates, from_ns, None).await;
        let mut events = Vec::with_capacity(results.len());
        let mut failed = 0usize;
        let mut trades = 0usize;
        for (ticker, result) in results {
            match result {
                Ok(history) => {
                    trades += history.trades.len();
                    events.push(Event::TradeHistory(history));
                }
                Err(error) => {
                    failed += 1;
                    tracing::warn!(%ticker, error = %format!("{error:#}"), "trade history unreadable; the market is judged without trade data");
                }
            }
        }
        tracing::info!(
            markets = events.len(),
            failed,
            trades,
            "read the trade history of the candidate markets"
        );
        events
    }
}
