//! The portfolio reads of one user: orders, fills, positions, balance, settlements and
//! queue positions. Lists are newest first except positions (market creation order); the
//! query and view types and the cursor pagination are those of `queries.rs`.

use kalshi_core::{Count, Money, SignedCount};

use super::Exchange;
use super::account::{AccountKey, BalanceView, FillRecord, Position, SettlementRecord, UserId};
use super::error::ExchangeError;
use super::order::Order;
use super::queries::{
    FillsQuery, OrdersQuery, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, Page, PositionView,
    PositionsQuery, QueuePosition, SettlementStatusFilter, SettlementsQuery, in_range, page_limit,
    paginate, parse_cursor,
};

impl Exchange {
    /// `GET /portfolio/orders`: newest first.
    pub fn orders(&self, user: UserId, query: &OrdersQuery) -> Result<Page<Order>, ExchangeError> {
        let limit = page_limit(query.limit, PAGE_LIMIT_MAX, PAGE_LIMIT_DEFAULT)?;
        let start = parse_cursor(query.cursor.as_deref())?;
        let list = &self.user(user)?.orders;
        Ok(paginate((0..list.len()).rev(), start, false, limit, |i| {
            let o = &self.orders[list[i] as usize];
            let event_ticker = &self.markets[o.market as usize].spec.event_ticker;
            let keep = query.ticker.as_deref().is_none_or(|t| t == o.ticker)
                && (query.event_tickers.is_empty()
                    || query.event_tickers.iter().any(|e| e == event_ticker))
                && query.status.is_none_or(|s| s == o.status)
                && query.subaccount.is_none_or(|s| s == o.subaccount)
                && in_range(o.last_update_ns, query.min_ts, query.max_ts);
            keep.then(|| o.clone())
        }))
    }

    /// `GET /portfolio/orders/{id}`.
    pub fn order(&self, user: UserId, order_id: &str) -> Result<Order, ExchangeError> {
        let idx = self.own_order(user, None, order_id)?;
        Ok(self.orders[idx as usize].clone())
    }

    /// `GET /portfolio/fills`: newest first.
    pub fn fills(
        &self,
        user: UserId,
        query: &FillsQuery,
    ) -> Result<Page<FillRecord>, ExchangeError> {
        let limit = page_limit(query.limit, PAGE_LIMIT_MAX, PAGE_LIMIT_DEFAULT)?;
        let start = parse_cursor(query.cursor.as_deref())?;
        let list = &self.user(user)?.fills;
        Ok(paginate((0..list.len()).rev(), start, false, limit, |i| {
            let f = &list[i];
            let keep = (query.tickers.is_empty() || query.tickers.contains(&f.ticker))
                && query.order_id.as_deref().is_none_or(|id| id == f.order_id)
                && query.subaccount.is_none_or(|s| s == f.subaccount)
                && in_range(f.ts_ns, query.min_ts, query.max_ts);
            keep.then(|| f.clone())
        }))
    }

    /// `GET /portfolio/positions`: in market creation order.
    pub fn positions(
        &self,
        user: UserId,
        query: &PositionsQuery,
    ) -> Result<Page<PositionView>, ExchangeError> {
        let limit = page_limit(query.limit, PAGE_LIMIT_MAX, PAGE_LIMIT_DEFAULT)?;
        let start = parse_cursor(query.cursor.as_deref())?;
        let account = self.account(AccountKey {
            user,
            subaccount: query.subaccount,
        })?;
        let rows: Vec<(usize, &Position)> = account
            .positions
            .iter()
            .map(|(&m, p)| (m as usize, p))
            .collect();
        let markets: Vec<usize> = rows.iter().map(|(m, _)| *m).collect();
        Ok(paginate(markets.into_iter(), start, true, limit, |m| {
            let position = account.positions.get(&u32::try_from(m).ok()?)?;
            let spec = &self.markets[m].spec;
            let keep = query.ticker.as_deref().is_none_or(|t| t == spec.ticker)
                && query
                    .event_ticker
                    .as_deref()
                    .is_none_or(|e| e == spec.event_ticker)
                && match query.settlement_status {
                    SettlementStatusFilter::Unsettled => !position.settled,
                    SettlementStatusFilter::Settled => position.settled,
                    SettlementStatusFilter::All => true,
                }
                && (!query.nonzero_position || position.position != SignedCount::ZERO)
                && (!query.nonzero_total_traded || position.total_traded != Money::ZERO);
            keep.then(|| PositionView {
                ticker: spec.ticker.clone(),
                event_ticker: spec.event_ticker.clone(),
                position: position.clone(),
            })
        }))
    }

    /// A subaccount's position in one market (all zero when it never traded there).
    pub fn position(
        &self,
        user: UserId,
        subaccount: u32,
        ticker: &str,
    ) -> Result<Position, ExchangeError> {
        let market = self.market_idx(ticker)?;
        Ok(self
            .account(AccountKey { user, subaccount })?
            .positions
            .get(&market)
            .cloned()
            .unwrap_or_default())
    }

    /// `GET /portfolio/balance`. `portfolio_value` marks open positions at the last trade
    /// price (at cost when the market never traded).
    pub fn balance(&self, user: UserId, subaccount: u32) -> Result<BalanceView, ExchangeError> {
        let account = self.account(AccountKey { user, subaccount })?;
        let mut portfolio_value = Money::ZERO;
        for (&market, position) in &account.positions {
            if position.position == SignedCount::ZERO {
                continue;
            }
            let value = match self.markets[market as usize].last_price {
                Some(last) if position.position > SignedCount::ZERO => {
                    Money::notional(last, position.position.abs())
                }
                Some(last) => Money::notional(last.complement(), position.position.abs()),
                None => position.cost,
            };
            portfolio_value = portfolio_value + value;
        }
        Ok(BalanceView {
            cash: account.cash,
            reserved: account.reserved,
            available: account.cash - account.reserved,
            portfolio_value,
            updated_ns: account.updated_ns,
        })
    }

    /// `GET /portfolio/settlements`: newest first.
    pub fn settlements(
        &self,
        user: UserId,
        query: &SettlementsQuery,
    ) -> Result<Page<SettlementRecord>, ExchangeError> {
        let limit = page_limit(query.limit, PAGE_LIMIT_MAX, PAGE_LIMIT_DEFAULT)?;
        let start = parse_cursor(query.cursor.as_deref())?;
        let list = &self
            .account(AccountKey {
                user,
                subaccount: query.subaccount,
            })?
            .settlements;
        Ok(paginate((0..list.len()).rev(), start, false, limit, |i| {
            let s = &list[i];
            let keep = query.ticker.as_deref().is_none_or(|t| t == s.ticker)
                && query
                    .event_ticker
                    .as_deref()
                    .is_none_or(|e| e == s.event_ticker)
                && in_range(s.settled_ns, query.min_ts, query.max_ts);
            keep.then(|| s.clone())
        }))
    }

    /// `GET /portfolio/orders/{id}/queue_position`: contracts ahead at the order's price.
    pub fn queue_position(&self, user: UserId, order_id: &str) -> Result<Count, ExchangeError> {
        let idx = self.own_order(user, None, order_id)?;
        let o = &self.orders[idx as usize];
        if !o.is_resting() {
            return Err(ExchangeError::OrderNotResting {
                order_id: order_id.to_string(),
            });
        }
        let level = self.markets[o.market as usize]
            .book
            .side(o.side)
            .get(&o.yes_price);
        let mut ahead = Count::ZERO;
        if let Some(level) = level {
            for &other in &level.queue {
                if other == idx {
                    break;
                }
                ahead = ahead + self.orders[other as usize].remaining_count;
            }
        }
        Ok(ahead)
    }

    /// `GET /portfolio/orders/queue_positions`: the user's resting orders in the given markets
    /// (or the event's markets), optionally one subaccount.
    pub fn queue_positions(
        &self,
        user: UserId,
        market_tickers: &[String],
        event_ticker: Option<&str>,
        subaccount: Option<u32>,
    ) -> Result<Vec<QueuePosition>, ExchangeError> {
        if market_tickers.is_empty() && event_ticker.is_none() {
            return Err(ExchangeError::invalid_parameters(
                "market_tickers or event_ticker is required",
            ));
        }
        let mut out = Vec::new();
        for &idx in &self.user(user)?.orders {
            let o = &self.orders[idx as usize];
            if !o.is_resting() || subaccount.is_some_and(|s| s != o.subaccount) {
                continue;
            }
            let spec = &self.markets[o.market as usize].spec;
            let wanted = market_tickers.contains(&spec.ticker)
                || event_ticker.is_some_and(|e| e == spec.event_ticker);
            if wanted {
                out.push(QueuePosition {
                    order_id: o.order_id.clone(),
                    market_ticker: o.ticker.clone(),
                    queue_position: self.queue_position(user, &o.order_id)?,
                });
            }
        }
        Ok(out)
    }
}
