//! REST reads the runtime turns into engine inputs: the market listing sweep, per-market
//! book snapshots (trade histories are `super::trade_history`'s), and the account reconciliation (resting orders,
//! positions and, after an outage, the fills the socket missed). Also the background tasks that serve these reads while the sequencer runs: the
//! feed task (trades, rescans) and the reconciler (account reads after a reconnect, retried
//! until they succeed).

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use futures_util::StreamExt as _;
use kalshi_core::events::Event;
use kalshi_core::market_data::{MarketInfo, OrderSnapshot, OwnFill, PositionSnapshot};
use kalshi_io::data_rest::RestClient;
use kalshi_io::data_rest::queries::{
    FillsQuery, MarketStatusFilter, MarketsQuery, OrderStatusFilter, OrdersQuery, PositionsQuery,
};
use kalshi_io::normalize;
use kalshi_io::wire::market::Market;
use kalshi_io::wire::portfolio::Fill;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::clock::now_ns;
use super::timers::Input;
use super::trade_history::{ActivityReads, fetch_recent_trades, read_trade_histories};

/// Page size of listing sweeps (Kalshi's maximum).
pub const LISTING_PAGE_SIZE: u32 = 1000;
/// Tickers per `GET /markets?tickers=` request.
const TICKERS_PER_REQUEST: usize = 100;

/// One listing sweep's result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    /// Normalized markets, in the order the exchange listed them.
    pub markets: Vec<MarketInfo>,
    /// Pages read.
    pub pages: usize,
    /// Markets whose payload could not be normalized (left out, logged).
    pub unreadable: usize,
}

/// Normalizes wire markets, leaving out (and logging) the ones that cannot be read.
fn normalize_markets(markets: &[Market], listing: &mut Listing) {
    for market in markets {
        match normalize::market_info(market) {
            Ok(info) => listing.markets.push(info),
            Err(error) => {
                listing.unreadable += 1;
                tracing::warn!(%error, "listing entry left out");
            }
        }
    }
}

/// `GET /markets` across every page of the cursor chain, 1000 per page; `status` narrows it
/// (`None` lists every status). `progress(pages, markets)` runs after each page.
pub async fn fetch_listing(
    rest: &RestClient,
    status: Option<MarketStatusFilter>,
    mut progress: impl FnMut(usize, usize),
) -> anyhow::Result<Listing> {
    let query = MarketsQuery {
        status,
        limit: Some(LISTING_PAGE_SIZE),
        ..MarketsQuery::default()
    };
    let mut listing = Listing::default();
    let pages = rest.markets_pages(&query);
    futures_util::pin_mut!(pages);
    while let Some(page) = pages.next().await {
        let page = page.context("reading a GET /markets page")?;
        listing.pages += 1;
        for entry in &page.unreadable {
            listing.unreadable += 1;
            tracing::warn!(entry = %entry, "listing entry left out: it does not decode");
        }
        normalize_markets(&page.markets, &mut listing);
        progress(listing.pages, listing.markets.len());
    }
    Ok(listing)
}

/// `GET /markets?tickers=…` for specific markets (any status), in batches.
pub async fn fetch_markets_by_ticker(
    rest: &RestClient,
    tickers: &[String],
) -> anyhow::Result<Listing> {
    let mut listing = Listing::default();
    for chunk in tickers.chunks(TICKERS_PER_REQUEST) {
        let query = MarketsQuery {
            tickers: chunk.to_vec(),
            limit: Some(LISTING_PAGE_SIZE),
            ..MarketsQuery::default()
        };
        let markets = rest
            .collect_markets(&query, |_, _| listing.pages += 1)
            .await
            .context("reading GET /markets?tickers=")?;
        normalize_markets(&markets, &mut listing);
    }
    Ok(listing)
}

/// A market's REST book snapshot followed by its recent public trades, oldest first.
/// `depth` 0 asks for every level.
pub async fn fetch_market_snapshot(
    rest: &RestClient,
    ticker: &str,
    depth: u32,
    recent_trades: u32,
) -> anyhow::Result<Vec<Event>> {
    let depth = (depth > 0).then_some(depth);
    let book = rest
        .get_book(ticker, depth)
        .await
        .with_context(|| format!("reading the orderbook of {ticker}"))?;
    let mut events = vec![Event::BookSnapshot(book)];
    events.extend(fetch_recent_trades(rest, ticker, recent_trades).await?);
    Ok(events)
}

/// Every resting order of the account (all pages), normalized.
pub async fn fetch_resting_orders(rest: &RestClient) -> anyhow::Result<Vec<OrderSnapshot>> {
    let query = OrdersQuery {
        status: Some(OrderStatusFilter::Resting),
        limit: Some(LISTING_PAGE_SIZE),
        ..OrdersQuery::default()
    };
    let orders = rest.orders_stream(&query);
    futures_util::pin_mut!(orders);
    let mut snapshots = Vec::new();
    while let Some(order) = orders.next().await {
        let order = order.context("reading GET /portfolio/orders?status=resting")?;
        let snapshot = normalize::order_snapshot(&order)
            .with_context(|| format!("reading resting order {}", order.order_id))?;
        snapshots.push(snapshot);
    }
    Ok(snapshots)
}

/// Every open market position of the account (all pages), normalized.
pub async fn fetch_positions(rest: &RestClient) -> anyhow::Result<Vec<PositionSnapshot>> {
    let positions = rest
        .all_market_positions(&PositionsQuery {
            limit: Some(LISTING_PAGE_SIZE),
            ..PositionsQuery::default()
        })
        .await
        .context("reading GET /portfolio/positions")?;
    let mut snapshots = Vec::with_capacity(positions.len());
    for position in &positions {
        let snapshot = normalize::position(position)
            .with_context(|| format!("reading the position in {}", position.ticker))?;
        snapshots.push(snapshot);
    }
    Ok(snapshots)
}

/// The account's resting orders and positions as a `Reconciled` event. Any failure is an
/// error: the engine must not trade on a partial picture.
pub async fn reconcile(rest: &RestClient) -> anyhow::Result<Event> {
    let orders = fetch_resting_orders(rest).await?;
    let positions = fetch_positions(rest).await?;
    Ok(Event::Reconciled { orders, positions })
}

/// How far before an outage was noticed the fills read starts: the socket may have been
/// silently dead for a while before the runtime learned of it. Re-reading fills the engine
/// already has costs nothing (it drops them by fill id).
pub const FILLS_LOOKBACK_S: i64 = 300;

/// `min_ts` (Unix seconds, as `GET /portfolio/fills` takes it) of the fills read after an
/// outage noticed at `outage_since_ns`: its whole second, less [`FILLS_LOOKBACK_S`].
pub fn fills_min_ts_s(outage_since_ns: i64) -> i64 {
    outage_since_ns
        .div_euclid(1_000_000_000)
        .saturating_sub(FILLS_LOOKBACK_S)
}

/// A REST fill normalized as the engine receives fills. Its id is the `trade_id`, the id the
/// WebSocket `fill` channel carries, so the engine recognizes a fill it already has.
pub fn reconciliation_fill(fill: &Fill) -> anyhow::Result<OwnFill> {
    let mut own = normalize::own_fill(fill)
        .with_context(|| format!("reading fill of order {}", fill.order_id))?;
    if let Some(trade_id) = fill.trade_id.as_ref().filter(|id| !id.is_empty()) {
        own.fill_id.clone_from(trade_id);
    }
    Ok(own)
}

/// Fills as `Event::OwnFill`s, oldest first (the endpoint lists newest first).
pub fn fill_events(mut fills: Vec<OwnFill>) -> Vec<Event> {
    fills.sort_by(|a, b| {
        a.ts_ns
            .cmp(&b.ts_ns)
            .then_with(|| a.fill_id.cmp(&b.fill_id))
    });
    fills.into_iter().map(Event::OwnFill).collect()
}

/// Every fill of the account at or after `min_ts_s` (all pages), normalized.
pub async fn fetch_fills_since(rest: &RestClient, min_ts_s: i64) -> anyhow::Result<Vec<OwnFill>> {
    let query = FillsQuery {
        min_ts: Some(min_ts_s),
        limit: Some(LISTING_PAGE_SIZE),
        ..FillsQuery::default()
    };
    let fills = rest.fills_stream(&query);
    futures_util::pin_mut!(fills);
    let mut own = Vec::new();
    while let Some(fill) = fills.next().await {
        let fill = fill.context("reading GET /portfolio/fills")?;
        own.push(reconciliation_fill(&fill)?);
    }
    Ok(own)
}

/// The reconciliation after an outage: the fills since `fills_min_ts_s` (see
/// [`fills_min_ts_s`]) as `OwnFill`s, oldest first, then the `Reconciled` event. The fills
/// come first so their cash, fees and realized P&L reach the journal before the engine
/// adopts the positions they produced. Any failure is an error.
pub async fn reconcile_after_outage(
    rest: &RestClient,
    fills_min_ts_s: Option<i64>,
) -> anyhow::Result<Vec<Event>> {
    let fills = match fills_min_ts_s {
        Some(min_ts_s) => fetch_fills_since(rest, min_ts_s).await?,
        None => Vec::new(),
    };
    let reconciled = reconcile(rest).await?;
    let mut events = fill_events(fills);
    events.push(reconciled);
    Ok(events)
}

/// What the feed task is asked to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedRequest {
    /// Recent trades of markets that entered the universe while running. Their books come
    /// from the WebSocket subscription's own snapshot: a REST snapshot read at the same time
    /// could arrive after it and wind the book back under the socket's deltas.
    RecentTrades(Vec<String>),
    /// A fresh listing sweep; `known` markets missing from it are read by ticker so their
    /// new status (closed, settled …) reaches the engine.
    Rescan {
        /// Markets the engine has seen listed.
        known: Vec<String>,
    },
}

/// Settings of the feed task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedSettings {
    /// Recent trades per market.
    pub recent_trades: u32,
    /// With the tuning's recent activity: the trade-history reads of each rescan (journaled
    /// before its listing); markets entering the universe then get their history over the
    /// recent window instead of a fixed count of recent trades.
    pub activity: Option<ActivityReads>,
}

/// Starts the feed task: it serves requests one at a time and sends the resulting events to
/// the sequencer as [`Input::Events`]. Failures are logged; the data simply arrives later
/// (the next rescan or reconnect).
pub fn spawn_feed(
    rest: RestClient,
    settings: FeedSettings,
    mut requests: mpsc::Receiver<FeedRequest>,
    inputs: mpsc::Sender<Input>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(request) = requests.recv().await {
            let events = match request {
                FeedRequest::RecentTrades(tickers) if settings.activity.is_some() => {
                    let window_ns = settings
                        .activity
                        .map_or(0, |activity| activity.scanner.recent_window_ns);
                    let mut events = Vec::new();
                    let from_ns = now_ns().saturating_sub(window_ns);
                    for (ticker, result) in
                        read_trade_histories(&rest, &tickers, from_ns, None).await
                    {
                        match result {
                            Ok(history) => events.push(Event::TradeHistory(history)),
                            Err(error) => {
                                tracing::warn!(%ticker, error = %format!("{error:#}"), "trade history failed")
                            }
                        }
                    }
                    events
                }
                FeedRequest::RecentTrades(tickers) => {
                    let mut events = Vec::new();
                    for ticker in tickers {
                        match fetch_recent_trades(&rest, &ticker, settings.recent_trades).await {
                            Ok(more) => events.extend(more),
                            Err(error) => {
                                tracing::warn!(%ticker, error = %format!("{error:#}"), "recent trades failed")
                            }
                        }
                    }
                    events
                }
                FeedRequest::Rescan { known } => match rescan(&rest, &known).await {
                    Ok(markets) => {
                        let mut events = match &settings.activity {
                            Some(activity) => activity.histories(&rest, &markets).await,
                            None => Vec::new(),
                        };
                        events.push(Event::MarketListing(markets));
                        events
                    }
                    Err(error) => {
                        tracing::warn!(error = %format!("{error:#}"), "rescan failed");
                        Vec::new()
                    }
                },
            };
            if events.is_empty() {
                continue;
            }
            let input = Input::Events {
                recv_ts_ns: now_ns(),
                events,
            };
            if inputs.send(input).await.is_err() {
                return;
            }
        }
    })
}

/// Pause between attempts of a reconciliation whose reads failed.
pub const RECONCILE_RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// What the reconciler is asked to read: the ticket the answer must carry and where the
/// fills read starts (`None`: no fills read).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileRequest {
    /// Which request (0 = none yet).
    pub ticket: u64,
    /// `min_ts` of the fills read, Unix seconds.
    pub fills_min_ts_s: Option<i64>,
}

/// Starts the reconciler: whenever `wanted` changes to a new request it reads the account
/// (`read`, normally [`reconcile_after_outage`], given the request's `fills_min_ts_s`) and
/// sends the resulting events as [`Input::Reconciliation`] with that ticket. A failed read is
/// tried again every `retry` until it succeeds — never skipped; a newer request that arrives
/// meanwhile replaces the old one (the older read would be stale). It has its own task so a
/// reconciliation never waits behind a listing sweep.
pub fn spawn_reconciler<R, F>(
    read: R,
    retry: Duration,
    mut wanted: watch::Receiver<ReconcileRequest>,
    inputs: mpsc::Sender<Input>,
) -> JoinHandle<()>
where
    R: Fn(Option<i64>) -> F + Send + 'static,
    F: Future<Output = anyhow::Result<Vec<Event>>> + Send,
{
    tokio::spawn(async move {
        loop {
            if wanted.changed().await.is_err() {
                return;
            }
            let mut attempt = 0u32;
            loop {
                let request = *wanted.borrow_and_update();
                let ticket = request.ticket;
                attempt += 1;
                match read(request.fills_min_ts_s).await {
                    Ok(events) => {
                        let input = Input::Reconciliation {
                            ticket,
                            recv_ts_ns: now_ns(),
                            events,
                        };
                        if inputs.send(input).await.is_err() {
                            return;
                        }
                        break;
                    }
                    Err(error) => {
                        tracing::error!(
                            ticket,
                            attempt,
                            retry_ms = u64::try_from(retry.as_millis()).unwrap_or(u64::MAX),
                            error = %format!("{error:#}"),
                            "reconciliation failed; trying again"
                        );
                        tokio::time::sleep(retry).await;
                    }
                }
            }
        }
    })
}

/// A listing sweep of open markets plus the known markets that left it.
async fn rescan(rest: &RestClient, known: &[String]) -> anyhow::Result<Vec<MarketInfo>> {
    let mut listing = fetch_listing(rest, Some(MarketStatusFilter::Open), |_, _| {}).await?;
    let listed: std::collections::BTreeSet<&str> = listing
        .markets
        .iter()
        .map(|market| market.ticker.as_str())
        .collect();
    let missing: Vec<String> = known
        .iter()
        .filter(|ticker| !listed.contains(ticker.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        let extra = fetch_markets_by_ticker(rest, &missing).await?;
        listing.markets.extend(extra.markets);
    }
    let fees = super::fees::FeeDirectory::read(rest, &listing.markets).await;
    let fees_unknown = fees.apply(&mut listing.markets);
    tracing::info!(
        markets = listing.markets.len(),
        pages = listing.pages,
        fees_unknown,
        "rescanned markets"
    );
    Ok(listing.markets)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    use super::*;

    fn reconciled() -> Event {
        Event::Reconciled {
            orders: Vec::new(),
            positions: Vec::new(),
        }
    }

    fn request(ticket: u64) -> ReconcileRequest {
        ReconcileRequest {
            ticket,
            fills_min_ts_s: Some(1_700_000_000),
        }
    }

    /// One reconciliation read in flight.
    type ReadFuture = std::pin::Pin<Box<dyn Future<Output = anyhow::Result<Vec<Event>>> + Send>>;

    /// A read that fails `failures` times, recording when each attempt started.
    fn flaky_read(
        failures: usize,
        attempts: Arc<Mutex<Vec<Instant>>>,
    ) -> impl Fn(Option<i64>) -> ReadFuture + Send + 'static {
        move |_fills_min_ts_s| {
            let attempts = Arc::clone(&attempts);
            Box::pin(async move {
                let mut attempts = attempts.lock().unwrap();
                attempts.push(Instant::now());
                if attempts.len() <= failures {
                    anyhow::bail!("GET /portfolio/orders: 503");
                }
                Ok(vec![reconciled()])
            })
        }
    }

    fn rest_fill(fill_id: &str, trade_id: &str, created_time: &str) -> Fill {
        serde_json::from_value(serde_json::json!({
            "fill_id": fill_id,
            "trade_id": trade_id,
            "order_id": "ord-1",
            "ticker": "KXTEST-A",
            "book_side": "bid",
            "count_fp": "3.00",
            "yes_price_dollars": "0.4200",
            "is_taker": false,
            "fee_cost": "0.010000",
            "created_time": created_time,
        }))
        .unwrap()
    }

    #[test]
    fn missed_fills_carry_the_websocket_id_and_arrive_oldest_first() {
        let newer =
            reconciliation_fill(&rest_fill("f-2", "t-2", "2026-01-10T16:11:12.000000Z")).unwrap();
        let older =
            reconciliation_fill(&rest_fill("f-1", "t-1", "2026-01-10T16:11:11.000000Z")).unwrap();
        assert_eq!(older.fill_id, "t-1", "the id the `fill` channel carries");
        assert_eq!(older.fee.micros(), 10_000);
        let events = fill_events(vec![newer, older]);
        let ids: Vec<&str> = events
            .iter()
            .map(|event| match event {
                Event::OwnFill(fill) => fill.fill_id.as_str(),
                other => panic!("unexpected event {other:?}"),
            })
            .collect();
        assert_eq!(ids, ["t-1", "t-2"]);
    }

    #[test]
    fn the_fills_read_starts_a_margin_before_the_outage() {
        let since_ns = 1_768_061_471_900_000_000;
        assert_eq!(fills_min_ts_s(since_ns), 1_768_061_471 - FILLS_LOOKBACK_S);
    }

    #[tokio::test]
    async fn a_failed_reconciliation_is_retried_until_it_succeeds() {
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let retry = Duration::from_millis(60);
        let (wanted_tx, wanted_rx) = watch::channel(ReconcileRequest::default());
        let (inputs_tx, mut inputs_rx) = mpsc::channel(4);
        let task = spawn_reconciler(
            flaky_read(3, Arc::clone(&attempts)),
            retry,
            wanted_rx,
            inputs_tx,
        );
        wanted_tx.send_replace(request(1));
        let input = tokio::time::timeout(Duration::from_secs(5), inputs_rx.recv())
            .await
            .unwrap()
            .unwrap();
        match input {
            Input::Reconciliation { ticket, events, .. } => {
                assert_eq!(ticket, 1);
                assert_eq!(events, vec![reconciled()]);
            }
            other => panic!("unexpected input {other:?}"),
        }
        let attempts = attempts.lock().unwrap().clone();
        assert_eq!(attempts.len(), 4, "three failures, then success");
        for pair in attempts.windows(2) {
            assert!(pair[1] - pair[0] >= retry, "retried too soon");
        }
        task.abort();
    }

    #[tokio::test]
    async fn a_newer_ticket_replaces_the_one_being_retried() {
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let (wanted_tx, wanted_rx) = watch::channel(ReconcileRequest::default());
        let (inputs_tx, mut inputs_rx) = mpsc::channel(4);
        let task = spawn_reconciler(
            flaky_read(2, Arc::clone(&attempts)),
            Duration::from_millis(100),
            wanted_rx,
            inputs_tx,
        );
        wanted_tx.send_replace(request(1));
        tokio::time::sleep(Duration::from_millis(30)).await;
        // A second outage while the first read is failing: its answer must carry ticket 2.
        wanted_tx.send_replace(request(2));
        let input = tokio::time::timeout(Duration::from_secs(5), inputs_rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(
            matches!(input, Input::Reconciliation { ticket: 2, .. }),
            "{input:?}"
        );
        // Nothing more: ticket 1 was never answered separately.
        assert!(
            tokio::time::timeout(Duration::from_millis(300), inputs_rx.recv())
                .await
                .is_err()
        );
        task.abort();
    }
}
