//! The local exchange with its WebSocket fan-out and REST read conversions, but without
//! sockets, tasks or a runtime: for deterministic whole-system simulation.
//!
//! [`DetachedExchange`] holds the same shared state the server holds (the exchange behind its
//! lock, the event broadcast with batch numbers) on a virtual clock; a [`DetachedWsConnection`]
//! is the server's own per-connection session (subscriptions, `sid`/`seq` numbering, snapshots
//! consistent with the batch they were read at) whose frames the caller collects as text
//! instead of writing them to a socket. The `wire_*` reads return what the REST handlers would
//! serialize. Nothing here reads a clock; time moves only with [`DetachedExchange::set_time`].

use std::sync::Arc;

use kalshi_core::Money;
use kalshi_wire::market::Market as WireMarket;
use kalshi_wire::portfolio::{MarketPosition, Order as WireOrder};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::TryRecvError;
use tokio::sync::watch;

use super::state::{EventBatch, ServerState};
use super::ws::{Outgoing, Session};
use super::{ClockMode, SimConfig, SimError, convert};
use crate::exchange::queries::{MarketStatusFilter, MarketsQuery, OrdersQuery, PositionsQuery};
use crate::exchange::{Exchange, OrderStatus, UserId};

/// Largest page the list reads ask for.
const PAGE_SIZE: usize = 1000;

/// The exchange and its server-side state on a virtual clock, without any network.
#[derive(Debug)]
pub struct DetachedExchange {
    state: Arc<ServerState>,
    _shutdown: watch::Sender<bool>,
}

/// One frame a detached connection produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetachedFrame {
    /// An ack or error (the server never applies faults to these).
    Control(String),
    /// Channel data.
    Data(String),
}

impl DetachedFrame {
    /// The frame's JSON text.
    pub fn text(&self) -> &str {
        match self {
            DetachedFrame::Control(text) | DetachedFrame::Data(text) => text,
        }
    }
}

/// One WebSocket connection of one user, without a socket.
pub struct DetachedWsConnection {
    session: Session,
    events: Receiver<Arc<EventBatch>>,
}

impl DetachedExchange {
    /// Builds the exchange from `config` on a virtual clock with rate limits off (time moves
    /// only with [`DetachedExchange::set_time`]). No keys are loaded and no user exists yet.
    pub fn new(config: &SimConfig) -> Result<DetachedExchange, SimError> {
        let mut config = config.clone();
        config.clock = ClockMode::Virtual;
        config.rate_limits_enabled = false;
        config.faults.validate()?;
        let exchange = Exchange::new(config.exchange.clone(), config.seed)?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let state = Arc::new(ServerState::new(&config, exchange, shutdown_rx));
        Ok(DetachedExchange {
            state,
            _shutdown: shutdown,
        })
    }

    /// Adds an API user holding `cash`.
    pub fn add_user(&self, user_id: &str, cash: Money) -> Result<UserId, SimError> {
        Ok(self
            .state
            .with_exchange(|exchange, _| exchange.add_user(user_id, cash))?)
    }

    /// Runs `f` on the exchange with its current time; the events it causes are published to
    /// the connections.
    pub fn with_exchange<R>(&self, f: impl FnOnce(&mut Exchange, i64) -> R) -> R {
        self.state.with_exchange(f)
    }

    /// Runs a read-only `f` on the exchange.
    pub fn read<R>(&self, f: impl FnOnce(&Exchange) -> R) -> R {
        self.state.read_at_batch(f).0
    }

    /// Moves virtual time to `now_ns` (never backwards), running lifecycle and synthetic
    /// flow up to it.
    pub fn set_time(&self, now_ns: i64) -> Result<(), SimError> {
        self.state.with_exchange(|exchange, current| {
            if now_ns < current {
                return Err(SimError::Clock {
                    details: format!("{now_ns} ns is before the current time {current} ns"),
                });
            }
            exchange.advance_to(now_ns);
            Ok(())
        })
    }

    /// Opens a WebSocket connection for `user`: it sees every batch published from now on.
    pub fn connect(&self, user: UserId) -> Result<DetachedWsConnection, SimError> {
        let user_id_text = self
            .read(|exchange| exchange.user_id_text(user).map(str::to_string))
            .map_err(SimError::Exchange)?;
        let events = self.state.subscribe_events();
        Ok(DetachedWsConnection {
            session: Session::detached(Arc::clone(&self.state), user, user_id_text),
            events,
        })
    }

    /// `GET /portfolio/orders` (every page) as the REST handler serializes it: `user`'s
    /// orders, newest first, narrowed to `ticker` and, when `resting_only`, to resting ones.
    pub fn wire_orders(
        &self,
        user: UserId,
        ticker: Option<&str>,
        resting_only: bool,
    ) -> Result<Vec<WireOrder>, SimError> {
        self.read(|exchange| {
            let user_id_text = exchange.user_id_text(user)?.to_string();
            let mut query = OrdersQuery {
                ticker: ticker.map(str::to_string),
                status: resting_only.then_some(OrderStatus::Resting),
                limit: Some(PAGE_SIZE),
                ..OrdersQuery::default()
            };
            let mut orders = Vec::new();
            loop {
                let page = exchange.orders(user, &query)?;
                orders.extend(
                    page.items
                        .iter()
                        .map(|order| convert::order(order, &user_id_text)),
                );
                if page.cursor.is_empty() {
                    return Ok(orders);
                }
                query.cursor = Some(page.cursor);
            }
        })
    }

    /// `GET /portfolio/positions` (every page, unsettled, subaccount 0) as the REST handler
    /// serializes it.
    pub fn wire_positions(&self, user: UserId) -> Result<Vec<MarketPosition>, SimError> {
        self.read(|exchange| {
            let mut query = PositionsQuery {
                limit: Some(PAGE_SIZE),
                ..PositionsQuery::default()
            };
            let mut positions = Vec::new();
            loop {
                let page = exchange.positions(user, &query)?;
                positions.extend(page.items.iter().map(convert::market_position));
                if page.cursor.is_empty() {
                    return Ok(positions);
                }
                query.cursor = Some(page.cursor);
            }
        })
    }

    /// `GET /markets?status=open` (every page) as the REST handler serializes it.
    pub fn wire_open_markets(&self) -> Result<Vec<WireMarket>, SimError> {
        self.read(|exchange| {
            let mut query = MarketsQuery {
                limit: Some(PAGE_SIZE),
                status: Some(MarketStatusFilter::Open),
                ..MarketsQuery::default()
            };
            let mut markets = Vec::new();
            loop {
                let page = exchange.markets(&query)?;
                markets.extend(page.items.iter().map(convert::market));
                if page.cursor.is_empty() {
                    return Ok(markets);
                }
                query.cursor = Some(page.cursor);
            }
        })
    }
}

impl DetachedWsConnection {
    /// Hands the server one text frame from the client (`subscribe`, `update_subscription`
    /// …). Batches published before it are fanned out first, as the server's loop does.
    pub fn send_text(&mut self, text: &str) {
        self.pump();
        self.session.handle_text(text);
    }

    /// Fans out every batch published since the last call and takes every frame queued
    /// since, in order.
    pub fn poll(&mut self) -> Vec<DetachedFrame> {
        self.pump();
        self.session
            .take_out()
            .into_iter()
            .map(|frame| match frame {
                Outgoing::Control(text) => DetachedFrame::Control(text),
                Outgoing::Data(text) => DetachedFrame::Data(text),
            })
            .collect()
    }

    fn pump(&mut self) {
        loop {
            match self.events.try_recv() {
                Ok(batch) => self.session.handle_batch(&batch),
                Err(TryRecvError::Lagged(_)) => self.session.handle_overflow(),
                Err(TryRecvError::Empty | TryRecvError::Closed) => return,
            }
        }
    }
}
