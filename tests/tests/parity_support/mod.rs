//! The harness of `fill_sim_exchange_parity`: one scenario's steps run through the local
//! exchange's pure core and through the backtest's fill simulator, and the outcome of each of
//! our orders read back from both.

use std::collections::BTreeMap;

use kalshi_core::client_order_id::ClientOrderId;
use kalshi_core::commands::{AmendOrder, CancelOrder, Command, PlaceOrder, TimeInForce};
use kalshi_core::config::SelfTradePrevention;
use kalshi_core::events::{Event, RequestKind};
use kalshi_core::market_data::{
    BookDelta, ExchangeOrderStatus, LifecycleChange, MarketInfo, PublicTrade,
};
use kalshi_core::tick_grid::{LINEAR_CENT, TickGrid};
use kalshi_core::{BookSide, Count, Money, Price};
use kalshi_e2e::markets;
use kalshi_replay::fill_sim::{
    CLOSE_CANCEL, FillModelConfig, FillSimulator, HALT_CANCEL, SimEvent,
};
use kalshi_sim::Exchange;
use kalshi_sim::catalog::CatalogConfig;
use kalshi_sim::events_out::ExchangeEvent;
use kalshi_sim::exchange::{
    AmendOrder as SimAmendOrder, CreateOrderV2, EventSpec, ExchangeConfig, ExpirationChange,
    FeeType, MarketSpec, NS_PER_S, OrderStatus, SeriesSpec, TimeInForce as SimTimeInForce, UserId,
};
use kalshi_sim::flow::FlowConfig;

/// 2026-11-01T00:00:00Z, the exchange's start.
pub const START_NS: i64 = 1_793_491_200 * NS_PER_S;
pub const TICKER: &str = "KXPAR-26NOV30-T50";
/// The market closes an hour after start.
pub const CLOSE_NS: i64 = START_NS + 3600 * NS_PER_S;
pub const GROUP_LIMIT: i64 = 10;

pub fn price(text: &str) -> Price {
    Price::parse(text).unwrap()
}

pub fn count(contracts: i64) -> Count {
    Count::from_contracts(contracts).unwrap()
}

pub fn at(seconds: i64) -> i64 {
    START_NS + seconds * NS_PER_S
}

pub fn client_id(id: u64) -> String {
    format!("kb-par-{id}")
}

/// One of our orders.
#[derive(Debug, Clone, Copy)]
pub struct Ours {
    id: u64,
    side: BookSide,
    price: &'static str,
    contracts: i64,
    in_group: bool,
    cancel_on_pause: bool,
}

pub fn ours(id: u64, side: BookSide, price: &'static str, contracts: i64) -> Ours {
    Ours {
        id,
        side,
        price,
        contracts,
        in_group: false,
        cancel_on_pause: true,
    }
}

impl Ours {
    pub fn grouped(self) -> Ours {
        Ours {
            in_group: true,
            ..self
        }
    }

    pub fn kept_on_pause(self) -> Ours {
        Ours {
            cancel_on_pause: false,
            ..self
        }
    }
}

/// One step of a scenario, at a time in seconds from the start.
#[derive(Debug, Clone)]
pub enum Step {
    /// We place a GTC limit order.
    Place(i64, Ours),
    /// We amend one of our orders to this price and total count.
    Amend(i64, Ours),
    /// We cancel one of our orders.
    Cancel(i64, u64),
    /// The other trader rests a GTC order (visible to the backtest as book changes).
    Provide(i64, BookSide, &'static str, i64),
    /// The other trader sends an IOC order that trades with whatever it crosses.
    Take(i64, BookSide, &'static str, i64),
    /// A trading pause starts (`false`) or ends (`true`).
    TradingActive(i64, bool),
    /// The market is deactivated (paused) or activated again.
    MarketActive(i64, bool),
    /// The market's close time moves to this many seconds from the start.
    MoveClose(i64, i64),
    /// Our order group is reset.
    ResetGroup(i64),
    /// Time passes.
    Wait(i64),
}

/// What became of one of our orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Refused with this error code.
    Refused(String),
    /// Accepted.
    Sent {
        /// Each fill: (YES price, contracts, taker).
        fills: Vec<(Price, Count, bool)>,
        /// Final state.
        state: State,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Resting,
    Executed,
    /// Cancelled, with the reason the exchange gave when it cancelled on its own for a pause
    /// or a close (`None`: our cancel, a group trigger, or a remainder that did not rest).
    Canceled(Option<String>),
}

/// The halt reasons compared; other update reasons (`Trade`, …) belong to fills, which are
/// compared on their own.
pub fn halt_reason(reason: Option<&str>) -> Option<String> {
    reason
        .filter(|reason| *reason == CLOSE_CANCEL || *reason == HALT_CANCEL)
        .map(str::to_string)
}

/// The local exchange with one market, us and another trader.
pub struct ExchangeSide {
    exchange: Exchange,
    us: UserId,
    them: UserId,
    group: String,
    order_ids: BTreeMap<u64, String>,
    fates: BTreeMap<u64, Fate>,
    fills: BTreeMap<String, Vec<(Price, Count, bool)>>,
    /// Amends refused: (our id, error code), in order.
    pub amends_refused: Vec<(u64, String)>,
}

/// The fill simulator and every event it sent.
pub struct SimSide {
    pub sim: FillSimulator,
    group: String,
    events: Vec<SimEvent>,
    /// Contracts of every order we sent, by id.
    sent: BTreeMap<u64, Count>,
}

pub fn market_spec() -> MarketSpec {
    MarketSpec {
        ticker: TICKER.into(),
        event_ticker: "KXPAR-26NOV30".into(),
        title: "Parity market".into(),
        yes_sub_title: "Yes".into(),
        no_sub_title: "No".into(),
        created_ns: START_NS - NS_PER_S,
        open_ns: START_NS - NS_PER_S,
        close_ns: CLOSE_NS,
        determination_delay_ns: 60 * NS_PER_S,
        settlement_timer_s: 300,
        price_level_structure: LINEAR_CENT.into(),
        price_ranges: TickGrid::from_structure(LINEAR_CENT)
            .unwrap()
            .ranges()
            .to_vec(),
        fractional_trading: false,
        can_close_early: false,
        strike_type: "greater".into(),
        floor_strike: Some(50),
        cap_strike: None,
        forced_result: None,
    }
}

impl ExchangeSide {
    pub fn new() -> ExchangeSide {
        let config = ExchangeConfig {
            catalog: CatalogConfig {
                market_count: 0,
                ..CatalogConfig::default()
            },
            flow: FlowConfig {
                enabled: false,
                ..FlowConfig::default()
            },
            ..ExchangeConfig::default()
        };
        let mut exchange = Exchange::new(config, 7).unwrap();
        exchange
            .add_series(SeriesSpec {
                ticker: "KXPAR".into(),
                title: "Parity".into(),
                category: "Test".into(),
                frequency: "daily".into(),
                fee_type: FeeType::Quadratic,
                fee_multiplier_ppm: 1_000_000,
            })
            .unwrap();
        exchange
            .add_event(EventSpec {
                ticker: "KXPAR-26NOV30".into(),
                series_ticker: "KXPAR".into(),
                title: "Parity event".into(),
                sub_title: String::new(),
                mutually_exclusive: false,
                fee_type_override: None,
                fee_multiplier_override_ppm: None,
            })
            .unwrap();
        exchange.add_market(market_spec(), START_NS).unwrap();
        let us = exchange
            .add_user("us", Money::parse("10000").unwrap())
            .unwrap();
        let them = exchange
            .add_user("them", Money::parse("10000").unwrap())
            .unwrap();
        let group = exchange
            .create_order_group(us, 0, count(GROUP_LIMIT), START_NS)
            .unwrap();
        exchange.drain_events();
        ExchangeSide {
            exchange,
            us,
            them,
            group,
            order_ids: BTreeMap::new(),
            fates: BTreeMap::new(),
            fills: BTreeMap::new(),
            amends_refused: Vec::new(),
        }
    }

    /// The listing a backtest's data carries for the market.
    pub fn listing(&self) -> MarketInfo {
        let view = self.exchange.market(TICKER).unwrap();
        MarketInfo {
            event_ticker: view.spec.event_ticker.clone(),
            title: view.spec.title.clone(),
            status: view.status,
            open_time_ns: Some(view.spec.open_ns),
            close_time_ns: Some(view.spec.close_ns),
            volume: Count::ZERO,
            volume_24h: Count::ZERO,
            open_interest: Count::ZERO,
            price_ranges: view.spec.price_ranges.clone(),
            fee: Some(view.fee.clone()),
            fractional_trading: view.spec.fractional_trading,
            ..markets::listing(TICKER)
        }
    }

    /// Runs one step; returns the market data it published, as a backtest would read it:
    /// the other trader's book changes and trades, lifecycle changes, the exchange status.
    pub fn step(&mut self, step: &Step) -> Vec<(i64, Event)> {
        let mut public_trades = false;
        let mut status = None;
        match *step {
            Step::Place(seconds, order) => {
                let mut request = CreateOrderV2::limit(
                    TICKER,
                    order.side,
                    price(order.price),
                    count(order.contracts),
                );
                request.client_order_id = Some(client_id(order.id));
                request.cancel_order_on_pause = order.cancel_on_pause;
                if order.in_group {
                    request.order_group_id = Some(self.group.clone());
                }
                match self.exchange.place_v2(self.us, request, at(seconds)) {
                    Ok(outcome) => {
                        self.order_ids.insert(order.id, outcome.order.order_id);
                    }
                    Err(error) => {
                        self.fates
                            .insert(order.id, Fate::Refused(error.code().to_string()));
                    }
                }
            }
            Step::Amend(seconds, order) => {
                let amend = SimAmendOrder {
                    order_id: self.order_ids[&order.id].clone(),
                    ticker: TICKER.to_string(),
                    side: order.side,
                    price: price(order.price),
                    count: count(order.contracts),
                    client_order_id: None,
                    updated_client_order_id: None,
                    expiration: ExpirationChange::Keep,
                    subaccount: 0,
                };
                if let Err(error) = self.exchange.amend(self.us, amend, at(seconds)) {
                    self.amends_refused
                        .push((order.id, error.code().to_string()));
                }
            }
            Step::Cancel(seconds, id) => {
                let order_id = self.order_ids[&id].clone();
                self.exchange
                    .cancel(self.us, None, &order_id, at(seconds))
                    .unwrap();
            }
            Step::Provide(seconds, side, yes_price, contracts) => {
                let request =
                    CreateOrderV2::limit(TICKER, side, price(yes_price), count(contracts));
                self.exchange
                    .place_v2(self.them, request, at(seconds))
                    .unwrap();
            }
            Step::Take(seconds, side, yes_price, contracts) => {
                let mut request =
                    CreateOrderV2::limit(TICKER, side, price(yes_price), count(contracts));
                request.time_in_force = SimTimeInForce::ImmediateOrCancel;
                self.exchange
                    .place_v2(self.them, request, at(seconds))
                    .unwrap();
                public_trades = true;
            }
            Step::TradingActive(seconds, active) => {
                self.exchange.set_trading_active(active, at(seconds));
                status = Some((at(seconds), self.exchange.exchange_status().trading_active));
            }
            Step::MarketActive(seconds, true) => {
                self.exchange.activate_market(TICKER, at(seconds)).unwrap();
            }
            Step::MarketActive(seconds, false) => {
                self.exchange
                    .deactivate_market(TICKER, at(seconds))
                    .unwrap();
            }
            Step::MoveClose(seconds, close_seconds) => {
                self.exchange
                    .update_close_time(TICKER, at(close_seconds), at(seconds))
                    .unwrap();
            }
            Step::ResetGroup(seconds) => {
                self.exchange
                    .reset_order_group(self.us, 0, &self.group, at(seconds))
                    .unwrap();
            }
            Step::Wait(seconds) => self.exchange.advance_to(at(seconds)),
        }
        let mut data = Vec::new();
        if let Some((ts_ns, trading_active)) = status {
            data.push((ts_ns, Event::ExchangeStatus { trading_active }));
        }
        for event in self.exchange.drain_events() {
            match event {
                ExchangeEvent::Fill(fill) if fill.fill.user == self.us => {
                    let fill = fill.fill;
                    self.fills.entry(fill.order_id).or_default().push((
                        fill.yes_price,
                        fill.count,
                        fill.is_taker,
                    ));
                }
                ExchangeEvent::BookDelta(delta) if delta.user != self.us => data.push((
                    delta.ts_ns,
                    Event::BookDelta(BookDelta {
                        ticker: delta.ticker,
                        side: delta.side,
                        price: delta.yes_price,
                        delta: delta.delta,
                        clock: None,
                        client_order_id: None,
                    }),
                )),
                // Trades our own orders took are not in a backtest's data: the simulator
                // makes them itself from the visible book.
                ExchangeEvent::Trade(trade) if public_trades => data.push((
                    trade.ts_ns,
                    Event::PublicTrade(PublicTrade {
                        trade_id: trade.trade_id,
                        ticker: trade.ticker,
                        yes_price: trade.yes_price,
                        count: trade.count,
                        taker_side: trade.taker_book_side,
                        ts_ns: trade.ts_ns,
                    }),
                )),
                ExchangeEvent::Lifecycle(change) => data.push((
                    change.ts_ns,
                    Event::Lifecycle(LifecycleChange {
                        ticker: change.ticker,
                        kind: change.kind,
                        close_time_ns: change.close_ns,
                        result: change.result,
                        settlement_value: change.settlement_value,
                        price_ranges: change.price_ranges,
                    }),
                )),
                _ => {}
            }
        }
        data
    }

    /// The fate of every order we sent.
    pub fn fates(&self) -> BTreeMap<u64, Fate> {
        let mut fates = self.fates.clone();
        for (id, order_id) in &self.order_ids {
            let order = self.exchange.order(self.us, order_id).unwrap();
            let state = match order.status {
                OrderStatus::Resting => State::Resting,
                OrderStatus::Executed => State::Executed,
                OrderStatus::Canceled => State::Canceled(halt_reason(
                    order.last_update_reason.map(|reason| reason.as_str()),
                )),
            };
            let fills = self.fills.get(order_id).cloned().unwrap_or_default();
            fates.insert(*id, Fate::Sent { fills, state });
        }
        fates
    }
}

impl SimSide {
    pub fn new(listing: MarketInfo, group: &str) -> SimSide {
        let mut sim = FillSimulator::new(FillModelConfig {
            entry_latency_ns: 0,
            cancel_latency_ns: 0,
            ..FillModelConfig::default()
        })
        .unwrap();
        let mut events = sim.create_order_group(START_NS, group, Some(count(GROUP_LIMIT)));
        events.extend(
            sim.on_market_event(START_NS, &Event::MarketListing(vec![listing]))
                .unwrap(),
        );
        SimSide {
            sim,
            group: group.to_string(),
            events,
            sent: BTreeMap::new(),
        }
    }

    /// Moves to `ts_ns` as the backtest driver does: closes and actions due by then.
    pub fn advance(&mut self, ts_ns: i64) {
        loop {
            let close = self.sim.next_close_due_ns().filter(|due| *due <= ts_ns);
            let action = self.sim.next_due_ns().filter(|due| *due <= ts_ns);
            match (close, action) {
                (Some(close), action) if action.is_none_or(|action| close <= action) => {
                    let closed = self.sim.run_closes_until(close);
                    self.events.extend(closed);
                }
                (_, Some(_)) => {
                    let answered = self.sim.run_next_action().unwrap();
                    self.events.extend(answered);
                }
                _ => return,
            }
        }
    }

    pub fn command(&mut self, ts_ns: i64, command: &Command) {
        self.advance(ts_ns);
        self.sim.submit(ts_ns, command);
        self.advance(ts_ns);
    }

    pub fn place(&mut self, ts_ns: i64, order: PlaceOrder) {
        self.advance(ts_ns);
        self.sim.place(ts_ns, order);
        self.advance(ts_ns);
    }

    /// Our command of the step (if any), then the market data the exchange published.
    pub fn step(&mut self, step: &Step, data: Vec<(i64, Event)>) {
        match *step {
            Step::Place(seconds, order) => {
                self.sent.insert(order.id, count(order.contracts));
                let place = PlaceOrder {
                    client_order_id: ClientOrderId::parse(&client_id(order.id)).unwrap(),
                    ticker: TICKER.to_string(),
                    side: order.side,
                    price: price(order.price),
                    count: count(order.contracts),
                    time_in_force: TimeInForce::GoodTillCanceled,
                    post_only: false,
                    reduce_only: false,
                    self_trade_prevention: SelfTradePrevention::TakerAtCross,
                    cancel_order_on_pause: order.cancel_on_pause,
                    expiration_ts_s: None,
                    order_group_id: order.in_group.then(|| self.group.clone()),
                };
                self.place(at(seconds), place);
            }
            Step::Amend(seconds, order) => {
                let amend = AmendOrder {
                    client_order_id: ClientOrderId::parse(&client_id(order.id)).unwrap(),
                    order_id: String::new(),
                    ticker: TICKER.to_string(),
                    side: order.side,
                    price: price(order.price),
                    total_count: count(order.contracts),
                    remaining_count: count(order.contracts),
                };
                self.advance(at(seconds));
                self.sim.amend(at(seconds), amend);
                self.advance(at(seconds));
            }
            Step::Cancel(seconds, id) => {
                let cancel = CancelOrder {
                    client_order_id: ClientOrderId::parse(&client_id(id)).unwrap(),
                    order_id: None,
                    ticker: TICKER.to_string(),
                };
                self.command(at(seconds), &Command::Cancel(cancel));
            }
            Step::ResetGroup(seconds) => {
                self.advance(at(seconds));
                assert!(self.sim.reset_order_group(&self.group));
            }
            Step::Provide(seconds, ..)
            | Step::Take(seconds, ..)
            | Step::TradingActive(seconds, _)
            | Step::MarketActive(seconds, _)
            | Step::MoveClose(seconds, _)
            | Step::Wait(seconds) => self.advance(at(seconds)),
        }
        for (ts_ns, event) in data {
            self.advance(ts_ns);
            let caused = self.sim.on_market_event(ts_ns, &event).unwrap();
            self.events.extend(caused);
        }
    }

    /// Amends refused: (our id, error code), in order.
    pub fn amends_refused(&self) -> Vec<(u64, String)> {
        self.events
            .iter()
            .filter_map(|sim_event| match &sim_event.event {
                Event::OrderRejected(rejected) if rejected.request == RequestKind::Amend => {
                    let id = rejected
                        .client_order_id
                        .as_str()
                        .strip_prefix("kb-par-")?
                        .parse()
                        .ok()?;
                    Some((id, rejected.code.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// The fate of every order we sent, read from the events the engine would have seen.
    pub fn fates(&self) -> BTreeMap<u64, Fate> {
        let mut fates = BTreeMap::new();
        for (id, contracts) in &self.sent {
            let key = client_id(*id);
            let mut fills = Vec::new();
            let mut refused = None;
            let mut acked_remaining = None;
            let mut canceled = None;
            for event in self.events.iter().map(|sim_event| &sim_event.event) {
                match event {
                    Event::OrderRejected(rejected)
                        if rejected.client_order_id.as_str() == key
                            && rejected.request == RequestKind::Place =>
                    {
                        refused = Some(rejected.code.clone());
                    }
                    Event::OrderAck(ack)
                        if ack.client_order_id.as_str() == key
                            && ack.request == RequestKind::Place =>
                    {
                        acked_remaining = Some(ack.remaining_count);
                    }
                    Event::OwnFill(fill) if fill.client_order_id.as_deref() == Some(&key) => {
                        fills.push((fill.yes_price, fill.count, fill.is_taker));
                    }
                    Event::OrderSnapshot(snapshot)
                        if snapshot.client_order_id.as_deref() == Some(&key)
                            && snapshot.status == ExchangeOrderStatus::Canceled =>
                    {
                        canceled = Some(halt_reason(snapshot.last_update_reason.as_deref()));
                    }
                    Event::CancelAck(ack) if ack.client_order_id.as_str() == key => {
                        canceled = Some(None);
                    }
                    _ => {}
                }
            }
            let fate = match (refused, acked_remaining) {
                (Some(code), _) => Fate::Refused(code),
                (None, Some(remaining)) => {
                    let filled = fills.iter().fold(Count::ZERO, |sum, fill| sum + fill.1);
                    let live = self.sim.live_order(&key).is_some();
                    let state = match canceled {
                        Some(reason) => State::Canceled(reason),
                        None if live => State::Resting,
                        None if remaining.is_zero() && filled < *contracts => {
                            // The arrival's remainder did not rest.
                            State::Canceled(None)
                        }
                        None => State::Executed,
                    };
                    Fate::Sent { fills, state }
                }
                (None, None) => panic!("order {key} was neither acknowledged nor refused"),
            };
            fates.insert(*id, fate);
        }
        fates
    }
}

/// Runs `steps` through the exchange and the simulator; returns both sides after comparing
/// the fate of every order and the order group's state.
pub fn run(steps: &[Step]) -> (ExchangeSide, SimSide) {
    let mut exchange = ExchangeSide::new();
    let mut sim = SimSide::new(exchange.listing(), &exchange.group.clone());
    for step in steps {
        let data = exchange.step(step);
        sim.step(step, data);
    }
    let expected = exchange.fates();
    let simulated = sim.fates();
    assert_eq!(
        simulated, expected,
        "the simulator (left) and the exchange (right) disagree on our orders"
    );
    assert_eq!(
        sim.amends_refused(),
        exchange.amends_refused,
        "amends refused (simulator left, exchange right)"
    );
    let group = exchange
        .exchange
        .order_group(exchange.us, 0, &exchange.group)
        .unwrap();
    let sim_group = sim.sim.order_group(&sim.group).unwrap();
    assert_eq!(
        (sim_group.triggered, sim_group.window_matched),
        (group.triggered, group.window_matched),
        "order group state (triggered, matched in window)"
    );
    (exchange, sim)
}

pub fn fate(side: &ExchangeSide, id: u64) -> Fate {
    side.fates()[&id].clone()
}

pub fn canceled(fills: Vec<(Price, Count, bool)>, reason: Option<&str>) -> Fate {
    Fate::Sent {
        fills,
        state: State::Canceled(reason.map(str::to_string)),
    }
}
