//! The handlers of the golden answers under `fixtures/rest/The-Obstacle-Is-The-Way-…/golden/`
//! (one per response type), used by `wire_fixtures`'s handler table.

use kalshi_core::Count;
use kalshi_io::normalize;
use kalshi_io::wire::candlestick::BatchCandlesticksResponse;
use kalshi_io::wire::event::{
    EventResponse, EventsPage, SeriesFeeChangesResponse, SeriesList, SeriesResponse,
};
use kalshi_io::wire::exchange::{ExchangeStatus, UserDataTimestamp};
use kalshi_io::wire::market::{MarketResponse, MarketsPage};
use kalshi_io::wire::order_group::{
    CreateOrderGroupResponse, EmptyResponse, OrderGroupResponse, OrderGroupsList,
};
use kalshi_io::wire::order_legacy::{
    AmendOrderResponse, BatchCancelOrdersResponse, BatchCreateOrdersResponse, CancelOrderResponse,
};
use kalshi_io::wire::orderbook::OrderbookResponse;
use kalshi_io::wire::portfolio::{
    Balance, FillsPage, OrderResponse, OrdersPage, PositionsPage, QueuePositionResponse,
    QueuePositionsResponse, SettlementsPage,
};
use kalshi_io::wire::trade::TradesPage;
use serde::de::DeserializeOwned;

use crate::{Outcome, at, candles, json, markets, norm, parse};

pub fn golden<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    parse(at(&json(text)?, "/response")?, "response")
}

pub fn g_order(text: &str) -> Outcome {
    let response: OrderResponse = golden(text)?;
    norm(normalize::order_snapshot(&response.order), "order")?;
    Ok(1)
}

pub fn g_amend(text: &str) -> Outcome {
    let response: AmendOrderResponse = golden(text)?;
    let old = norm(normalize::order_snapshot(&response.old_order), "old order")?;
    let new = norm(normalize::order_snapshot(&response.order), "order")?;
    if old.order_id != new.order_id {
        return Err("amend changed the order id".into());
    }
    Ok(2)
}

pub fn g_cancel(text: &str) -> Outcome {
    let response: CancelOrderResponse = golden(text)?;
    norm(normalize::order_snapshot(&response.order), "order")?;
    if response.reduced_by.is_none() && response.reduced_by_fp.is_none() {
        return Err("cancel without reduced_by".into());
    }
    Ok(1)
}

pub fn g_batch_create(text: &str) -> Outcome {
    let response: BatchCreateOrdersResponse = golden(text)?;
    for item in &response.orders {
        let order = item.order.as_ref().ok_or("batch item without order")?;
        norm(normalize::order_snapshot(order), "order")?;
    }
    Ok(response.orders.len())
}

pub fn g_batch_cancel(text: &str) -> Outcome {
    let response: BatchCancelOrdersResponse = golden(text)?;
    for item in &response.orders {
        let order = item.order.as_ref().ok_or("batch item without order")?;
        norm(normalize::order_snapshot(order), "order")?;
    }
    Ok(response.orders.len())
}

pub fn g_candles_batch(text: &str) -> Outcome {
    let response: BatchCandlesticksResponse = golden(text)?;
    let mut count = 0;
    for market in &response.markets {
        count += candles(&market.candlesticks, &market.market_ticker)?;
    }
    Ok(count)
}

pub fn g_event_single(text: &str) -> Outcome {
    let response: EventResponse = golden(text)?;
    Ok(1 + markets(response.markets.as_deref().unwrap_or(&[]))?)
}

pub fn g_events(text: &str) -> Outcome {
    let page: EventsPage = golden(text)?;
    if page
        .events
        .iter()
        .any(|e| e.event_ticker.is_empty() || e.series_ticker.is_empty())
    {
        return Err("event without ticker".into());
    }
    Ok(page.events.len())
}

pub fn g_exchange_status(text: &str) -> Outcome {
    let status: ExchangeStatus = golden(text)?;
    if !status.exchange_active {
        return Err("recorded status should be active".into());
    }
    Ok(1)
}

pub fn g_market_single(text: &str) -> Outcome {
    markets(&[golden::<MarketResponse>(text)?.market])
}

pub fn g_markets(text: &str) -> Outcome {
    markets(&golden::<MarketsPage>(text)?.markets)
}

pub fn g_order_group_create(text: &str) -> Outcome {
    let response: CreateOrderGroupResponse = golden(text)?;
    Ok(usize::from(!response.order_group_id.is_empty()))
}

pub fn g_empty(text: &str) -> Outcome {
    let _: EmptyResponse = golden(text)?;
    Ok(1)
}

pub fn g_order_group_single(text: &str) -> Outcome {
    let _: OrderGroupResponse = golden(text)?;
    Ok(1)
}

pub fn g_order_groups(text: &str) -> Outcome {
    Ok(golden::<OrderGroupsList>(text)?.order_groups.len())
}

pub fn g_queue_position(text: &str) -> Outcome {
    let response: QueuePositionResponse = golden(text)?;
    Ok(usize::from(
        response.queue_position.is_some() || response.queue_position_fp.is_some(),
    ))
}

pub fn g_queue_positions(text: &str) -> Outcome {
    Ok(golden::<QueuePositionsResponse>(text)?
        .queue_positions
        .len())
}

pub fn g_orderbook_null_sides(text: &str) -> Outcome {
    let response: OrderbookResponse = golden(text)?;
    let book = norm(normalize::book_from_rest("empty", &response), "orderbook")?;
    if !book.bids.is_empty() || !book.asks.is_empty() {
        return Err("null sides must give an empty book".into());
    }
    Ok(1)
}

pub fn g_balance(text: &str) -> Outcome {
    let balance: Balance = golden(text)?;
    Ok(usize::from(balance.balance.is_some()))
}

pub fn g_fills(text: &str) -> Outcome {
    let page: FillsPage = golden(text)?;
    for fill in &page.fills {
        let own = norm(normalize::own_fill(fill), &fill.order_id)?;
        if own.count == Count::ZERO {
            return Err("empty fill".into());
        }
    }
    Ok(page.fills.len())
}

pub fn g_orders(text: &str) -> Outcome {
    let page: OrdersPage = golden(text)?;
    for order in &page.orders {
        norm(normalize::order_snapshot(order), &order.order_id)?;
    }
    Ok(page.orders.len())
}

pub fn g_positions(text: &str) -> Outcome {
    let page: PositionsPage = golden(text)?;
    for position in &page.market_positions {
        norm(normalize::position(position), &position.ticker)?;
    }
    Ok(page.market_positions.len() + page.event_positions.len())
}

pub fn g_settlements(text: &str) -> Outcome {
    Ok(golden::<SettlementsPage>(text)?.settlements.len())
}

pub fn g_series_fee_changes(text: &str) -> Outcome {
    let _: SeriesFeeChangesResponse = golden(text)?;
    Ok(1)
}

pub fn g_series_list(text: &str) -> Outcome {
    let list: SeriesList = golden(text)?;
    let with_fees = list
        .series
        .iter()
        .filter(|s| normalize::fee_params(s).is_some())
        .count();
    if with_fees * 2 < list.series.len() {
        return Err(format!(
            "only {with_fees} of {} series have fee parameters",
            list.series.len()
        ));
    }
    Ok(list.series.len())
}

pub fn g_series_single(text: &str) -> Outcome {
    let response: SeriesResponse = golden(text)?;
    normalize::fee_params(&response.series).ok_or("no fee params")?;
    Ok(1)
}

pub fn g_trades(text: &str) -> Outcome {
    let page: TradesPage = golden(text)?;
    for trade in &page.trades {
        norm(normalize::public_trade(trade), &trade.trade_id)?;
    }
    Ok(page.trades.len())
}

pub fn g_user_data_timestamp(text: &str) -> Outcome {
    let response: UserDataTimestamp = golden(text)?;
    kalshi_io::time::parse_rfc3339_ns(&response.as_of_time).map_err(|e| e.to_string())?;
    Ok(1)
}
