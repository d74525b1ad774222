//! Typed calls for the market-data and portfolio endpoints the project reads.

use futures_util::stream::{Stream, TryStreamExt as _};
use kalshi_core::market_data::BookSnapshot;
use reqwest::Method;

use super::account::AccountLimits;
use super::queries::{
    CandlePeriod, EventsQuery, FillsQuery, MarketsQuery, OrdersQuery, PositionsQuery,
    SettlementsQuery, TradesQuery,
};
use super::{AuthMode, RestClient, RestRequest};
use crate::error::RestError;
use crate::normalize;
use crate::wire::candlestick::CandlesticksResponse;
use crate::wire::event::{
    Event, EventResponse, EventsPage, Series, SeriesFeeChange, SeriesFeeChangesResponse,
    SeriesList, SeriesResponse,
};
use crate::wire::exchange::ExchangeStatus;
use crate::wire::market::{Market, MarketResponse, MarketsPage};
use crate::wire::order_group::{OrderGroupResponse, OrderGroupsList};
use crate::wire::orderbook::{OrderbookResponse, OrderbooksResponse};
use crate::wire::portfolio::{
    Balance, Fill, FillsPage, MarketPosition, Order, OrderResponse, OrdersPage, PositionsPage,
    QueuePositionsResponse, SettlementsPage,
};
use crate::wire::trade::{Trade, TradesPage};

/// Most tickers the batch orderbook endpoint takes per call.
pub const ORDERBOOKS_BATCH_TICKERS_MAX: usize = 100;
/// Most levels per side `depth` may ask for.
pub const ORDERBOOK_DEPTH_MAX: u32 = 100;

/// Checks that a value is safe as one URL path segment (tickers, order ids, group ids).
pub(crate) fn path_segment<'a>(what: &str, value: &'a str) -> Result<&'a str, RestError> {
    let valid = !value.is_empty()
        && value.len() <= 128
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'+' | b'=')
        });
    if valid {
        Ok(value)
    } else {
        Err(RestError::InvalidRequest {
            endpoint: what.to_string(),
            reason: format!("{value:?} is not a valid path segment"),
        })
    }
}

fn get(path: impl Into<String>) -> RestRequest {
    RestRequest::new(Method::GET, path, AuthMode::Public)
}

fn get_signed(path: impl Into<String>) -> RestRequest {
    RestRequest::new(Method::GET, path, AuthMode::Signed)
}

fn with_subaccount(subaccount: Option<u32>) -> Vec<(&'static str, String)> {
    subaccount.map_or_else(Vec::new, |n| vec![("subaccount", n.to_string())])
}

impl RestClient {
    // ---- markets ------------------------------------------------------------------------

    /// `GET /markets`: one page (pass `cursor` from the previous page, or `None`).
    pub async fn get_markets(
        &self,
        query: &MarketsQuery,
        cursor: Option<&str>,
    ) -> Result<MarketsPage, RestError> {
        let mut pairs = query.to_pairs();
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor.to_string()));
        }
        self.read_json(&get("/markets").with_query(pairs)).await
    }

    /// `GET /markets` as a stream of pages, following the cursor to the end.
    pub fn markets_pages(
        &self,
        query: &MarketsQuery,
    ) -> impl Stream<Item = Result<MarketsPage, RestError>> + Send + '_ {
        self.pages("/markets", AuthMode::Public, query.to_pairs())
    }

    /// `GET /markets` as a stream of markets across all pages.
    pub fn markets_stream(
        &self,
        query: &MarketsQuery,
    ) -> impl Stream<Item = Result<Market, RestError>> + Send + '_ {
        self.markets_pages(query)
            .map_ok(|page| futures_util::stream::iter(page.markets.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Every market matching `query`; `progress(pages_done, markets_so_far)` after each page.
    pub async fn collect_markets(
        &self,
        query: &MarketsQuery,
        progress: impl FnMut(usize, usize),
    ) -> Result<Vec<Market>, RestError> {
        self.collect_all::<MarketsPage>("/markets", AuthMode::Public, query.to_pairs(), progress)
            .await
    }

    /// `GET /markets/{ticker}`.
    pub async fn get_market(&self, ticker: &str) -> Result<Market, RestError> {
        let ticker = path_segment("GET /markets/{ticker}", ticker)?;
        let response: MarketResponse = self.read_json(&get(format!("/markets/{ticker}"))).await?;
        Ok(response.market)
    }

    /// `GET /markets/{ticker}/orderbook`; `depth` = levels per side (`None` = all, ≤ 100).
    pub async fn get_orderbook(
        &self,
        ticker: &str,
        depth: Option<u32>,
    ) -> Result<OrderbookResponse, RestError> {
        let ticker = path_segment("GET /markets/{ticker}/orderbook", ticker)?;
        let mut request = get(format!("/markets/{ticker}/orderbook"));
        if let Some(depth) = depth {
            request
                .query
                .push(("depth", depth.min(ORDERBOOK_DEPTH_MAX).to_string()));
        }
        self.read_json(&request).await
    }

    /// The orderbook normalized to a one-YES-book snapshot.
    pub async fn get_book(
        &self,
        ticker: &str,
        depth: Option<u32>,
    ) -> Result<BookSnapshot, RestError> {
        let response = self.get_orderbook(ticker, depth).await?;
        normalize::book_from_rest(ticker, &response).map_err(|error| RestError::Decode {
            endpoint: format!("GET /markets/{ticker}/orderbook"),
            status: 200,
            reason: error.to_string(),
        })
    }

    /// `GET /markets/orderbooks` for up to 100 tickers (sent as repeated `tickers=`).
    pub async fn get_orderbooks(
        &self,
        tickers: &[String],
    ) -> Result<OrderbooksResponse, RestError> {
        if tickers.is_empty() || tickers.len() > ORDERBOOKS_BATCH_TICKERS_MAX {
            return Err(RestError::InvalidRequest {
                endpoint: "GET /markets/orderbooks".to_string(),
                reason: format!(
                    "{} tickers given; 1..={ORDERBOOKS_BATCH_TICKERS_MAX} allowed",
                    tickers.len()
                ),
            });
        }
        let pairs = tickers
            .iter()
            .map(|ticker| ("tickers", ticker.clone()))
            .collect();
        self.read_json(&get("/markets/orderbooks").with_query(pairs))
            .await
    }

    /// `GET /markets/trades`: one page.
    pub async fn get_trades(
        &self,
        query: &TradesQuery,
        cursor: Option<&str>,
    ) -> Result<TradesPage, RestError> {
        let mut pairs = query.to_pairs();
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor.to_string()));
        }
        self.read_json(&get("/markets/trades").with_query(pairs))
            .await
    }

    /// `GET /markets/trades` as a stream of trades across all pages.
    pub fn trades_stream(
        &self,
        query: &TradesQuery,
    ) -> impl Stream<Item = Result<Trade, RestError>> + Send + '_ {
        self.pages::<TradesPage>("/markets/trades", AuthMode::Public, query.to_pairs())
            .map_ok(|page| futures_util::stream::iter(page.trades.into_iter().map(Ok)))
            .try_flatten()
    }

    /// `GET /series/{series}/markets/{ticker}/candlesticks` for `[start_ts, end_ts]` (Unix s).
    pub async fn get_candlesticks(
        &self,
        series_ticker: &str,
        ticker: &str,
        start_ts: i64,
        end_ts: i64,
        period: CandlePeriod,
    ) -> Result<CandlesticksResponse, RestError> {
        let label = "GET /series/{series}/markets/{ticker}/candlesticks";
        let series_ticker = path_segment(label, series_ticker)?;
        let ticker = path_segment(label, ticker)?;
        let request = get(format!(
            "/series/{series_ticker}/markets/{ticker}/candlesticks"
        ))
        .with_query(vec![
            ("start_ts", start_ts.to_string()),
            ("end_ts", end_ts.to_string()),
            ("period_interval", period.minutes().to_string()),
        ]);
        self.read_json(&request).await
    }

    // ---- exchange, series, events ------------------------------------------------------

    /// `GET /exchange/status`.
    pub async fn get_exchange_status(&self) -> Result<ExchangeStatus, RestError> {
        self.read_json(&get("/exchange/status")).await
    }

    /// `GET /series/{series_ticker}`.
    pub async fn get_series(&self, series_ticker: &str) -> Result<Series, RestError> {
        let series_ticker = path_segment("GET /series/{series_ticker}", series_ticker)?;
        let response: SeriesResponse = self
            .read_json(&get(format!("/series/{series_ticker}")))
            .await?;
        Ok(response.series)
    }

    /// `GET /series`: every series with its fee type and multiplier, in one answer.
    pub async fn get_series_list(&self) -> Result<Vec<Series>, RestError> {
        let response: SeriesList = self.read_json(&get("/series")).await?;
        Ok(response.series)
    }

    /// `GET /series/fee_changes`: the scheduled (not yet applied) series fee changes.
    pub async fn get_series_fee_changes(&self) -> Result<Vec<SeriesFeeChange>, RestError> {
        let response: SeriesFeeChangesResponse =
            self.read_json(&get("/series/fee_changes")).await?;
        Ok(response.series_fee_change_arr)
    }

    /// Every event matching `query`, across all pages.
    pub async fn collect_events(&self, query: &EventsQuery) -> Result<Vec<Event>, RestError> {
        self.collect_all::<EventsPage>("/events", AuthMode::Public, query.to_pairs(), |_, _| {})
            .await
    }

    /// `GET /events`: one page.
    pub async fn get_events(
        &self,
        query: &EventsQuery,
        cursor: Option<&str>,
    ) -> Result<EventsPage, RestError> {
        let mut pairs = query.to_pairs();
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor.to_string()));
        }
        self.read_json(&get("/events").with_query(pairs)).await
    }

    /// `GET /events/{event_ticker}`, optionally with its markets nested.
    pub async fn get_event(
        &self,
        event_ticker: &str,
        with_nested_markets: bool,
    ) -> Result<EventResponse, RestError> {
        let event_ticker = path_segment("GET /events/{event_ticker}", event_ticker)?;
        let mut request = get(format!("/events/{event_ticker}"));
        if with_nested_markets {
            request
                .query
                .push(("with_nested_markets", "true".to_string()));
        }
        self.read_json(&request).await
    }

    // ---- portfolio (signed) -------------------------------------------------------------

    /// `GET /portfolio/orders`: one page.
    pub async fn get_orders(
        &self,
        query: &OrdersQuery,
        cursor: Option<&str>,
    ) -> Result<OrdersPage, RestError> {
        let mut pairs = query.to_pairs();
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor.to_string()));
        }
        self.read_json(&get_signed("/portfolio/orders").with_query(pairs))
            .await
    }

    /// `GET /portfolio/orders` as a stream of orders across all pages.
    pub fn orders_stream(
        &self,
        query: &OrdersQuery,
    ) -> impl Stream<Item = Result<Order, RestError>> + Send + '_ {
        self.pages::<OrdersPage>("/portfolio/orders", AuthMode::Signed, query.to_pairs())
            .map_ok(|page| futures_util::stream::iter(page.orders.into_iter().map(Ok)))
            .try_flatten()
    }

    /// `GET /portfolio/orders/{order_id}` (2 tokens).
    pub async fn get_order(&self, order_id: &str) -> Result<Order, RestError> {
        let order_id = path_segment("GET /portfolio/orders/{order_id}", order_id)?;
        let response: OrderResponse = self
            .read_json(&get_signed(format!("/portfolio/orders/{order_id}")))
            .await?;
        Ok(response.order)
    }

    /// `GET /portfolio/fills`: one page.
    pub async fn get_fills(
        &self,
        query: &FillsQuery,
        cursor: Option<&str>,
    ) -> Result<FillsPage, RestError> {
        let mut pairs = query.to_pairs();
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor.to_string()));
        }
        self.read_json(&get_signed("/portfolio/fills").with_query(pairs))
            .await
    }

    /// `GET /portfolio/fills` as a stream of fills across all pages.
    pub fn fills_stream(
        &self,
        query: &FillsQuery,
    ) -> impl Stream<Item = Result<Fill, RestError>> + Send + '_ {
        self.pages::<FillsPage>("/portfolio/fills", AuthMode::Signed, query.to_pairs())
            .map_ok(|page| futures_util::stream::iter(page.fills.into_iter().map(Ok)))
            .try_flatten()
    }

    /// `GET /portfolio/positions`: one page (market and event positions).
    pub async fn get_positions(
        &self,
        query: &PositionsQuery,
        cursor: Option<&str>,
    ) -> Result<PositionsPage, RestError> {
        let mut pairs = query.to_pairs();
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor.to_string()));
        }
        self.read_json(&get_signed("/portfolio/positions").with_query(pairs))
            .await
    }

    /// Every market position matching `query`, across all pages.
    pub async fn all_market_positions(
        &self,
        query: &PositionsQuery,
    ) -> Result<Vec<MarketPosition>, RestError> {
        let mut positions = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.get_positions(query, cursor.as_deref()).await?;
            positions.extend(page.market_positions);
            match page.cursor {
                Some(next) if !next.is_empty() && Some(&next) != cursor.as_ref() => {
                    cursor = Some(next)
                }
                _ => return Ok(positions),
            }
        }
    }

    /// `GET /portfolio/balance`.
    pub async fn get_balance(&self, subaccount: Option<u32>) -> Result<Balance, RestError> {
        self.read_json(&get_signed("/portfolio/balance").with_query(with_subaccount(subaccount)))
            .await
    }

    /// `GET /portfolio/settlements`: one page.
    pub async fn get_settlements(
        &self,
        query: &SettlementsQuery,
        cursor: Option<&str>,
    ) -> Result<SettlementsPage, RestError> {
        let mut pairs = query.to_pairs();
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor.to_string()));
        }
        self.read_json(&get_signed("/portfolio/settlements").with_query(pairs))
            .await
    }

    /// `GET /portfolio/orders/queue_positions` for resting orders in `market_tickers`.
    pub async fn get_queue_positions(
        &self,
        market_tickers: &[String],
        subaccount: Option<u32>,
    ) -> Result<QueuePositionsResponse, RestError> {
        let mut pairs = with_subaccount(subaccount);
        if !market_tickers.is_empty() {
            pairs.push(("market_tickers", market_tickers.join(",")));
        }
        self.read_json(&get_signed("/portfolio/orders/queue_positions").with_query(pairs))
            .await
    }

    /// `GET /portfolio/order_groups`.
    pub async fn get_order_groups(
        &self,
        subaccount: Option<u32>,
    ) -> Result<OrderGroupsList, RestError> {
        self.read_json(
            &get_signed("/portfolio/order_groups").with_query(with_subaccount(subaccount)),
        )
        .await
    }

    /// `GET /portfolio/order_groups/{id}`.
    pub async fn get_order_group(
        &self,
        order_group_id: &str,
    ) -> Result<OrderGroupResponse, RestError> {
        let order_group_id = path_segment("GET /portfolio/order_groups/{id}", order_group_id)?;
        self.read_json(&get_signed(format!(
            "/portfolio/order_groups/{order_group_id}"
        )))
        .await
    }

    /// `GET /account/limits`: the account's tier and token buckets.
    pub async fn get_account_limits(&self) -> Result<AccountLimits, RestError> {
        self.read_json(&get_signed("/account/limits")).await
    }

    /// Reads `GET /account/limits` and, when it names usable budgets, applies them to the
    /// shared rate limiter. Returns what the exchange reported.
    pub async fn sync_rate_limits(&self) -> Result<AccountLimits, RestError> {
        let limits = self.get_account_limits().await?;
        if let (Some(tier_limits), Some(limiter)) = (limits.tier_limits(), self.limiter()) {
            limiter.set_limits(tier_limits).await;
        }
        Ok(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_refuse_injection() {
        assert!(path_segment("e", "KXHIGHNY-26OCT27-T60").is_ok());
        assert!(path_segment("e", "KXBTCD-26JUL0317-T60499.99").is_ok());
        assert!(path_segment("e", "3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d").is_ok());
        for bad in ["", "../exchange", "a/b", "a?b=1", "a b", "a%2Fb", "a#b"] {
            assert!(path_segment("e", bad).is_err(), "{bad:?}");
        }
    }
}
