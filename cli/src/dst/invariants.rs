//! The invariants checked after every step and at quiescent checkpoints. Every failure names
//! the seed and the step, so `KALSHI_DST_SEEDS=<seed>` reproduces it.
//!
//! - **Journaled ids** (every step): every order the exchange holds for the bot carries a
//!   client order id of a place command the sequencer journaled durably before handing it to
//!   exec, and no two exchange orders share a client order id (a retry never duplicates).
//! - **Exposure** (every step), from the exchange's ground truth (positions and resting
//!   orders), against the run's `RiskLimits`: worst-case position per market and per event,
//!   and money at risk over the account (position cost plus the price paid of resting orders
//!   that could add exposure; orders on the side that reduces the position are left out, as
//!   the risk gate leaves reducing orders out of that check).
//! - **Positions** (quiescent checkpoints): with nothing in flight, the engine's position in
//!   every market equals the exchange's, no order of the engine is still of unknown outcome,
//!   and every order the engine believes may rest is resting on the exchange (and the other
//!   way round).
//! - **Cash** (end of run, from the journal; see `tests.rs`).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::bail;
use kalshi_core::SignedCount;
use kalshi_core::config::RiskLimits;
use kalshi_core::engine::Engine;
use kalshi_core::fixed::{Count, Money};
use kalshi_core::orders::OrderStatus as CoreStatus;
use kalshi_core::risk::price_paid;
use kalshi_core::side::BookSide;
use kalshi_sim::exchange::queries::{OrdersQuery, PositionsQuery};
use kalshi_sim::exchange::{Order, OrderStatus, UserId};
use kalshi_sim::server::detached::DetachedExchange;

/// Page size of exchange reads.
const PAGE: usize = 1000;

/// What the checks read.
pub struct View<'a> {
    /// The run's seed.
    pub seed: u64,
    /// The step just finished.
    pub step: u64,
    /// The risk limits the engine runs with.
    pub limits: &'a RiskLimits,
    /// The local exchange the bot trades against, read as the ground truth.
    pub exchange: &'a DetachedExchange,
    /// The bot's account.
    pub user: UserId,
    /// The bot's engine after the step, checked against the exchange.
    pub engine: &'a Engine,
    /// What was observed on the exchange so far.
    pub ledger: &'a Ledger,
}

/// Observations accumulated over a run.
#[derive(Debug)]
pub struct Ledger {
    /// Cash the account started with.
    pub starting_cash: Money,
    /// Client id → exchange order id of every order seen on the exchange.
    client_ids: BTreeMap<String, String>,
    /// Exchange order ids seen, newest last.
    order_ids: BTreeSet<String>,
    /// Orders whose client id was not journaled, or repeated (reported by the next check).
    violations: Vec<String>,
    /// Gaps and undecodable frames of connections already closed.
    closed_gaps: u64,
    closed_undecodable: u64,
    /// The current connection's generation and counters.
    generation: u64,
    gaps: u64,
    undecodable: u64,
}

impl Ledger {
    /// An empty ledger for an account that started with `starting_cash`.
    pub fn new(starting_cash: Money) -> Ledger {
        Ledger {
            starting_cash,
            client_ids: BTreeMap::new(),
            order_ids: BTreeSet::new(),
            violations: Vec::new(),
            closed_gaps: 0,
            closed_undecodable: 0,
            generation: 0,
            gaps: 0,
            undecodable: 0,
        }
    }

    /// Orders the exchange has held for the bot.
    pub fn exchange_orders_seen(&self) -> u64 {
        u64::try_from(self.order_ids.len()).unwrap_or(u64::MAX)
    }

    /// Sequence gaps detected over every connection.
    pub fn gaps(&self) -> u64 {
        self.closed_gaps + self.gaps
    }

    /// Undecodable frames over every connection.
    pub fn undecodable(&self) -> u64 {
        self.closed_undecodable + self.undecodable
    }

    /// Notes the WebSocket session's per-connection counters.
    pub fn note_ws_stats(&mut self, generation: u64, gaps: u64, undecodable: u64) {
        if generation != self.generation {
            self.closed_gaps += self.gaps;
            self.closed_undecodable += self.undecodable;
            self.generation = generation;
        }
        self.gaps = gaps;
        self.undecodable = undecodable;
    }

    /// Reads the orders the exchange created for the bot since the last call (newest first
    /// until a known one) and checks their client ids against `journaled`.
    pub fn observe_new_orders(
        &mut self,
        exchange: &DetachedExchange,
        user: UserId,
        journaled: &BTreeSet<String>,
    ) -> anyhow::Result<()> {
        let fresh: Vec<Order> = exchange.read(|ex| -> anyhow::Result<Vec<Order>> {
            let mut query = OrdersQuery {
                limit: Some(PAGE),
                ..OrdersQuery::default()
            };
            let mut fresh = Vec::new();
            loop {
                let page = ex.orders(user, &query)?;
                for order in page.items {
                    if self.order_ids.contains(&order.order_id) {
                        return Ok(fresh);
                    }
                    fresh.push(order);
                }
                if page.cursor.is_empty() {
                    return Ok(fresh);
                }
                query.cursor = Some(page.cursor);
            }
        })?;
        for order in fresh.into_iter().rev() {
            self.order_ids.insert(order.order_id.clone());
            let Some(client_id) = order.client_order_id.clone() else {
                self.violations.push(format!(
                    "exchange order {} has no client_order_id",
                    order.order_id
                ));
                continue;
            };
            if !journaled.contains(&client_id) {
                self.violations.push(format!(
                    "exchange order {} carries client_order_id {client_id}, which no journaled \
                     place command holds",
                    order.order_id
                ));
            }
            if let Some(first) = self
                .client_ids
                .insert(client_id.clone(), order.order_id.clone())
            {
                self.violations.push(format!(
                    "client_order_id {client_id} is on two exchange orders: {first} and {}",
                    order.order_id
                ));
            }
        }
        Ok(())
    }
}

/// The bot's resting orders on the exchange.
fn resting_orders(exchange: &DetachedExchange, user: UserId) -> anyhow::Result<Vec<Order>> {
    exchange.read(|ex| {
        let mut query = OrdersQuery {
            status: Some(OrderStatus::Resting),
            limit: Some(PAGE),
            ..OrdersQuery::default()
        };
        let mut orders = Vec::new();
        loop {
            let page = ex.orders(user, &query)?;
            orders.extend(page.items);
            if page.cursor.is_empty() {
                return Ok(orders);
            }
            query.cursor = Some(page.cursor);
        }
    })
}

/// The bot's exchange positions (signed contracts and cost basis) by ticker, with each
/// market's event.
fn positions(
    exchange: &DetachedExchange,
    user: UserId,
) -> anyhow::Result<BTreeMap<String, (SignedCount, Money, String)>> {
    exchange.read(|ex| {
        let mut query = PositionsQuery {
            limit: Some(PAGE),
            ..PositionsQuery::default()
        };
        let mut out = BTreeMap::new();
        loop {
            let page = ex.positions(user, &query)?;
            for row in page.items {
                out.insert(
                    row.ticker,
                    (row.position.position, row.position.cost, row.event_ticker),
                );
            }
            if page.cursor.is_empty() {
                return Ok(out);
            }
            query.cursor = Some(page.cursor);
        }
    })
}

/// The bot's exchange positions by ticker (non-zero and zero rows alike).
pub fn exchange_positions(
    exchange: &DetachedExchange,
    user: UserId,
) -> anyhow::Result<BTreeMap<String, SignedCount>> {
    Ok(positions(exchange, user)?
        .into_iter()
        .map(|(ticker, (position, _, _))| (ticker, position))
        .collect())
}

/// Position and resting contracts per side on one scope, in hundredths.
#[derive(Debug, Clone, Copy, Default)]
struct Scope {
    position: i64,
    resting_bid: i64,
    resting_ask: i64,
}

impl Scope {
    fn worst_bid(&self) -> i64 {
        self.position + self.resting_bid
    }

    fn worst_ask(&self) -> i64 {
        -self.position + self.resting_ask
    }
}

/// Checks that hold after every step: journaled ids, exposure limits.
pub fn check_step(view: &View<'_>) -> anyhow::Result<()> {
    let (seed, step) = (view.seed, view.step);
    if let Some(violation) = view.ledger.violations.first() {
        bail!("seed {seed} step {step}: no order without a journaled id: {violation}");
    }
    let positions = positions(view.exchange, view.user)?;
    let resting = resting_orders(view.exchange, view.user)?;
    let mut events_of: BTreeMap<String, String> = BTreeMap::new();
    let mut markets: BTreeMap<String, Scope> = BTreeMap::new();
    let mut account = Money::ZERO;
    for (ticker, (position, cost, event)) in &positions {
        markets.entry(ticker.clone()).or_default().position = position.centi();
        events_of.insert(ticker.clone(), event.clone());
        account = account + *cost;
    }
    for order in &resting {
        let scope = markets.entry(order.ticker.clone()).or_default();
        match order.side {
            BookSide::Bid => scope.resting_bid += order.remaining_count.centi(),
            BookSide::Ask => scope.resting_ask += order.remaining_count.centi(),
        }
        let reduces = match order.side {
            BookSide::Bid => scope.position < 0,
            BookSide::Ask => scope.position > 0,
        };
        if !reduces {
            account = account
                + Money::notional(
                    price_paid(order.side, order.yes_price),
                    order.remaining_count,
                );
        }
        if !events_of.contains_key(&order.ticker) {
            let event = view
                .exchange
                .read(|ex| ex.market(&order.ticker).map(|m| m.spec.event_ticker))?;
            events_of.insert(order.ticker.clone(), event);
        }
    }
    let limits = view.limits;
    let mut events: BTreeMap<String, Scope> = BTreeMap::new();
    for (ticker, scope) in &markets {
        let worst = scope.worst_bid().max(scope.worst_ask());
        if worst > limits.market_position_max.centi() {
            bail!(
                "seed {seed} step {step}: exposure within limits: market {ticker} worst-case \
                 position {} contracts (position {}, resting bid {}, resting ask {}) exceeds \
                 market_position_max {}",
                contracts_text(worst),
                contracts_text(scope.position),
                contracts_text(scope.resting_bid),
                contracts_text(scope.resting_ask),
                limits.market_position_max
            );
        }
        let event = events_of.get(ticker).cloned().unwrap_or_default();
        let total = events.entry(event).or_default();
        total.position += scope.position;
        total.resting_bid += scope.resting_bid;
        total.resting_ask += scope.resting_ask;
    }
    for (event, scope) in &events {
        let worst = scope.worst_bid().max(scope.worst_ask());
        if worst > limits.event_position_max.centi() {
            bail!(
                "seed {seed} step {step}: exposure within limits: event {event} worst-case \
                 position {} contracts exceeds event_position_max {}",
                contracts_text(worst),
                limits.event_position_max
            );
        }
    }
    if account > limits.account_exposure_max {
        bail!(
            "seed {seed} step {step}: exposure within limits: money at risk {account} exceeds \
             account_exposure_max {}",
            limits.account_exposure_max
        );
    }
    Ok(())
}

/// Checks that hold once nothing is in flight: positions equal, no unknown outcome left,
/// the engine's live orders are exactly the exchange's resting ones.
pub fn check_quiescent(view: &View<'_>) -> anyhow::Result<()> {
    let (seed, step) = (view.seed, view.step);
    let exchange = exchange_positions(view.exchange, view.user)?;
    let ledger = view.engine.orders().positions();
    let mut tickers: BTreeSet<String> = exchange.keys().cloned().collect();
    tickers.extend(ledger.iter().map(|(ticker, _)| ticker.to_string()));
    for ticker in &tickers {
        let theirs = exchange.get(ticker).copied().unwrap_or(SignedCount::ZERO);
        let ours = ledger.get(ticker).position;
        if theirs != ours {
            bail!(
                "seed {seed} step {step}: positions reconcile: engine holds {ours} in {ticker}, \
                 the exchange {theirs}"
            );
        }
    }
    let mut unknown = Vec::new();
    let mut live: BTreeSet<String> = BTreeSet::new();
    for record in view.engine.orders().orders() {
        let Some(client_id) = &record.client_order_id else {
            continue;
        };
        if record.status == CoreStatus::Unknown {
            unknown.push(client_id.as_str().to_string());
        }
        if record.managed && record.status.may_rest() {
            live.insert(client_id.as_str().to_string());
        }
    }
    if !unknown.is_empty() {
        bail!(
            "seed {seed} step {step}: every unknown outcome resolved: {} orders still unknown \
             with nothing in flight: {unknown:?}",
            unknown.len()
        );
    }
    let resting: BTreeSet<String> = resting_orders(view.exchange, view.user)?
        .into_iter()
        .filter_map(|order| order.client_order_id)
        .collect();
    if live != resting {
        let only_engine: Vec<&String> = live.difference(&resting).collect();
        let only_exchange: Vec<&String> = resting.difference(&live).collect();
        bail!(
            "seed {seed} step {step}: orders reconcile: live in the engine only {only_engine:?}, \
             resting on the exchange only {only_exchange:?}"
        );
    }
    Ok(())
}

/// After the shutdown input and a quiescent phase, nothing of ours rests.
pub fn check_no_resting_after_shutdown(view: &View<'_>) -> anyhow::Result<()> {
    let resting = resting_orders(view.exchange, view.user)?;
    if !resting.is_empty() {
        let ids: Vec<Option<String>> = resting.into_iter().map(|o| o.client_order_id).collect();
        bail!(
            "seed {} step {}: shutdown leaves nothing resting: still resting {ids:?}",
            view.seed,
            view.step
        );
    }
    Ok(())
}

fn contracts_text(centi: i64) -> String {
    Count::from_centi(centi.max(0))
        .map(|count| count.to_string())
        .unwrap_or_else(|_| format!("{centi}/100"))
}
