//! Public market data: exchange status, series, events, markets, order books, trades and
//! candlesticks.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use kalshi_wire::candlestick::{
    BatchCandlesticksResponse, CandlesticksResponse, MarketCandlesticks,
};
use kalshi_wire::event::{
    EventResponse, EventsPage, SeriesFeeChangesResponse, SeriesList, SeriesResponse,
};
use kalshi_wire::exchange::{ExchangeIndexStatus, ExchangeStatus, UserDataTimestamp};
use kalshi_wire::market::{MarketResponse, MarketsPage};
use kalshi_wire::orderbook::{OrderbookResponse, OrderbooksResponse, TickerOrderbook};
use kalshi_wire::time::format_rfc3339_micros;
use kalshi_wire::trade::TradesPage;

use super::{AppState, json, query};
use crate::exchange::queries::{EventsQuery, MarketStatusFilter, MarketsQuery, TradesQuery};
use crate::server::convert;
use crate::server::error::ApiError;
use crate::server::query::QueryParams;

/// Most order book levels per side a request may ask for.
const DEPTH_MAX: i64 = 100;
/// Most tickers in a batch order book or candlestick request.
const BATCH_TICKERS_MAX: usize = 100;
/// Largest `limit` of `GET /markets` and `GET /markets/trades` (spec: 0..=1000, 0 = default).
const PAGE_LIMIT_MAX: i64 = 1000;
/// Largest `limit` of `GET /events` (spec: 1..=200).
const EVENTS_LIMIT_MAX: i64 = 200;

fn status_filter(q: &QueryParams) -> Result<Option<MarketStatusFilter>, ApiError> {
    match q.get("status") {
        None => Ok(None),
        Some(text) => MarketStatusFilter::from_wire(text)
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "status {text:?} is not one of unopened, open, paused, closed, settled"
                ))
            }),
    }
}

fn page_cursor(cursor: String) -> Option<String> {
    Some(cursor)
}

/// `GET /exchange/status`.
pub(crate) async fn exchange_status(State(state): State<AppState>) -> Response {
    let status = state.with_exchange(|exchange, _| exchange.exchange_status());
    let body = ExchangeStatus {
        exchange_active: status.exchange_active,
        trading_active: status.trading_active,
        intra_exchange_transfers_active: Some(status.exchange_active),
        exchange_estimated_resume_time: None,
        exchange_index_statuses: Some(vec![ExchangeIndexStatus {
            exchange_index: 0,
            description: Some("local simulator".to_string()),
            exchange_active: status.exchange_active,
            trading_active: status.trading_active,
            intra_exchange_transfers_active: Some(status.exchange_active),
        }]),
    };
    json(StatusCode::OK, &body)
}

/// `GET /exchange/user_data_timestamp`.
pub(crate) async fn user_data_timestamp(State(state): State<AppState>) -> Response {
    let now_ns = state.with_exchange(|exchange, _| exchange.now_ns());
    json(
        StatusCode::OK,
        &UserDataTimestamp {
            as_of_time: format_rfc3339_micros(now_ns),
        },
    )
}

/// `GET /series`.
pub(crate) async fn series_list(State(state): State<AppState>) -> Response {
    let list = state.with_exchange(|exchange, _| exchange.series_list());
    json(
        StatusCode::OK,
        &SeriesList {
            series: list.iter().map(convert::series).collect(),
        },
    )
}

/// `GET /series/{series_ticker}`.
pub(crate) async fn series_one(
    State(state): State<AppState>,
    Path(ticker): Path<String>,
) -> Result<Response, ApiError> {
    let spec = state.with_exchange(|exchange, _| exchange.series(&ticker))?;
    Ok(json(
        StatusCode::OK,
        &SeriesResponse {
            series: convert::series(&spec),
        },
    ))
}

/// `GET /series/fee_changes`: changes still ahead (`show_historical=true` adds past ones),
/// optionally of one `series_ticker`.
pub(crate) async fn series_fee_changes(
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = query(&uri)?;
    let show_historical = q.flag("show_historical")?;
    let series_ticker = q.get("series_ticker").map(str::to_string);
    let changes = state.with_exchange(|exchange, _| {
        exchange.series_fee_changes(series_ticker.as_deref(), show_historical)
    });
    Ok(json(
        StatusCode::OK,
        &SeriesFeeChangesResponse {
            series_fee_change_arr: changes.iter().map(convert::series_fee_change).collect(),
        },
    ))
}

/// `GET /events`.
pub(crate) async fn events(State(state): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let q = query(&uri)?;
    let nested = q.flag("with_nested_markets")?;
    let request = EventsQuery {
        limit: q.limit(1, EVENTS_LIMIT_MAX)?,
        cursor: q.get("cursor").map(str::to_string),
        status: status_filter(&q)?,
        series_ticker: q.get("series_ticker").map(str::to_string),
    };
    let tickers = q.list("tickers");
    let page = state.with_exchange(|exchange, _| {
        let page = exchange.events(&request)?;
        let mut events = Vec::with_capacity(page.items.len());
        for view in &page.items {
            if !tickers.is_empty() && !tickers.contains(&view.spec.ticker) {
                continue;
            }
            let category = exchange
                .series(&view.spec.series_ticker)
                .ok()
                .map(|s| s.category);
            let markets = if nested {
                let (_, markets) = exchange.event(&view.spec.ticker)?;
                Some(markets.iter().map(convert::market).collect())
            } else {
                None
            };
            events.push(convert::event(view, category, markets));
        }
        Ok::<_, crate::exchange::ExchangeError>(EventsPage {
            events,
            cursor: page_cursor(page.cursor),
        })
    })?;
    Ok(json(StatusCode::OK, &page))
}

/// `GET /events/{event_ticker}`.
pub(crate) async fn event_one(
    State(state): State<AppState>,
    Path(ticker): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = query(&uri)?;
    let nested = q.flag("with_nested_markets")?;
    let exclude = q.flag("exclude_markets")?;
    let body = state.with_exchange(|exchange, _| {
        let (view, markets) = exchange.event(&ticker)?;
        let category = exchange
            .series(&view.spec.series_ticker)
            .ok()
            .map(|s| s.category);
        let wire_markets: Vec<_> = markets.iter().map(convert::market).collect();
        let event = convert::event(&view, category, nested.then(|| wire_markets.clone()));
        Ok::<_, crate::exchange::ExchangeError>(EventResponse {
            event,
            // Required by the spec: the same markets as the nested field (empty with
            // `exclude_markets`).
            markets: Some(if exclude { Vec::new() } else { wire_markets }),
        })
    })?;
    Ok(json(StatusCode::OK, &body))
}

/// `GET /markets`.
pub(crate) async fn markets(State(state): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let q = query(&uri)?;
    let request = MarketsQuery {
        limit: q.limit(0, PAGE_LIMIT_MAX)?,
        cursor: q.get("cursor").map(str::to_string),
        event_ticker: q.get("event_ticker").map(str::to_string),
        series_ticker: q.get("series_ticker").map(str::to_string),
        tickers: q.list("tickers"),
        status: status_filter(&q)?,
        min_created_ts: q.parse_opt("min_created_ts")?,
        max_created_ts: q.parse_opt("max_created_ts")?,
        min_close_ts: q.parse_opt("min_close_ts")?,
        max_close_ts: q.parse_opt("max_close_ts")?,
        min_settled_ts: q.parse_opt("min_settled_ts")?,
        max_settled_ts: q.parse_opt("max_settled_ts")?,
    };
    let page = state.with_exchange(|exchange, _| exchange.markets(&request))?;
    let body = MarketsPage {
        markets: page.items.iter().map(convert::market).collect(),
        cursor: page_cursor(page.cursor),
        unreadable: Vec::new(),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `GET /markets/{ticker}`.
pub(crate) async fn market_one(
    State(state): State<AppState>,
    Path(ticker): Path<String>,
) -> Result<Response, ApiError> {
    let view = state.with_exchange(|exchange, _| exchange.market(&ticker))?;
    Ok(json(
        StatusCode::OK,
        &MarketResponse {
            market: convert::market(&view),
        },
    ))
}

fn depth(q: &QueryParams) -> Result<usize, ApiError> {
    // The spec bounds depth to 0..=100 (0 = all levels); a negative depth is refused.
    let depth = q.bounded("depth", 0, DEPTH_MAX)?.unwrap_or(0);
    Ok(usize::try_from(depth).unwrap_or(0))
}

/// `GET /markets/{ticker}/orderbook`.
pub(crate) async fn orderbook(
    State(state): State<AppState>,
    Path(ticker): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let depth = depth(&query(&uri)?)?;
    let view = state.with_exchange(|exchange, _| exchange.orderbook(&ticker, depth))?;
    Ok(json(
        StatusCode::OK,
        &OrderbookResponse {
            orderbook_fp: Some(convert::orderbook_fp(&view)),
            orderbook: None,
        },
    ))
}

/// `GET /markets/orderbooks?tickers=A&tickers=B`.
pub(crate) async fn orderbooks(
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = query(&uri)?;
    let tickers = q.list("tickers");
    if tickers.is_empty() || tickers.len() > BATCH_TICKERS_MAX {
        return Err(ApiError::bad_request(format!(
            "tickers must name 1 to {BATCH_TICKERS_MAX} markets"
        )));
    }
    let depth = depth(&q)?;
    let books = state.with_exchange(|exchange, _| {
        tickers
            .iter()
            .map(|t| exchange.orderbook(t, depth))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let body = OrderbooksResponse {
        orderbooks: books
            .iter()
            .map(|b| TickerOrderbook {
                ticker: b.ticker.clone(),
                orderbook_fp: Some(convert::orderbook_fp(b)),
                orderbook: None,
            })
            .collect(),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `GET /markets/trades`.
pub(crate) async fn trades(State(state): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let q = query(&uri)?;
    let request = TradesQuery {
        limit: q.limit(0, PAGE_LIMIT_MAX)?,
        cursor: q.get("cursor").map(str::to_string),
        ticker: q.get("ticker").map(str::to_string),
        min_ts: q.parse_opt("min_ts")?,
        max_ts: q.parse_opt("max_ts")?,
    };
    let page = state.with_exchange(|exchange, _| exchange.trades(&request))?;
    let body = TradesPage {
        trades: page.items.iter().map(convert::trade).collect(),
        cursor: page_cursor(page.cursor),
    };
    Ok(json(StatusCode::OK, &body))
}

fn candle_range(q: &QueryParams) -> Result<(i64, i64, i64), ApiError> {
    let required = |name: &str| {
        q.parse_opt::<i64>(name)?
            .ok_or_else(|| ApiError::bad_request(format!("query parameter {name} is required")))
    };
    Ok((
        required("start_ts")?,
        required("end_ts")?,
        required("period_interval")?,
    ))
}

/// `GET /series/{series_ticker}/markets/{ticker}/candlesticks`.
pub(crate) async fn candlesticks(
    State(state): State<AppState>,
    Path((series_ticker, ticker)): Path<(String, String)>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (start_s, end_s, period) = candle_range(&query(&uri)?)?;
    let candles = state.with_exchange(|exchange, _| {
        let market = exchange.market(&ticker)?;
        if market.series_ticker != series_ticker {
            return Err(crate::exchange::ExchangeError::MarketNotFound {
                ticker: ticker.clone(),
            });
        }
        exchange.candlesticks(&ticker, start_s, end_s, period)
    })?;
    let body = CandlesticksResponse {
        ticker: Some(ticker),
        candlesticks: candles.iter().map(convert::candlestick).collect(),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `GET /markets/candlesticks?market_tickers=A,B`.
pub(crate) async fn candlesticks_batch(
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = query(&uri)?;
    let tickers = q.list("market_tickers");
    if tickers.is_empty() || tickers.len() > BATCH_TICKERS_MAX {
        return Err(ApiError::bad_request(format!(
            "market_tickers must name 1 to {BATCH_TICKERS_MAX} markets"
        )));
    }
    let (start_s, end_s, period) = candle_range(&q)?;
    let markets = state.with_exchange(|exchange, _| {
        tickers
            .iter()
            .map(|t| {
                exchange
                    .candlesticks(t, start_s, end_s, period)
                    .map(|candles| MarketCandlesticks {
                        market_ticker: t.clone(),
                        candlesticks: candles.iter().map(convert::candlestick).collect(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(json(StatusCode::OK, &BatchCandlesticksResponse { markets }))
}
