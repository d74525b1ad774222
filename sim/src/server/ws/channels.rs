//! Channels, subscriptions and the translation of exchange events into channel messages
//! (sequenced vs unsequenced exactly as Kalshi: `seq` per sid on `orderbook_*`, `trade`,
//! `market_lifecycle_v2`, `order_group_updates`; none on `ticker`, `fill`, `user_order`,
//! `market_position`).

use std::collections::{BTreeMap, BTreeSet};

use kalshi_core::OutcomeSide;
use kalshi_wire::numbers::WireTime;
use kalshi_wire::orderbook::PriceLevel;
use kalshi_wire::time::format_rfc3339_micros;
use kalshi_wire::ws::{WsFrame, WsServerMessage};
use kalshi_wire::ws_msg::WsErrorMsg;
use kalshi_wire::ws_msg::{OrderbookDeltaMsg, OrderbookSnapshotMsg, TickerMsg};

use crate::events_out::{BookDeltaEvent, ExchangeEvent};
use crate::exchange::UserId;
use crate::exchange::queries::OrderbookView;
use crate::server::convert;

/// An `error` frame.
pub(crate) fn error_frame(
    id: Option<u64>,
    sid: Option<u64>,
    code: u32,
    text: &str,
) -> WsServerMessage {
    WsServerMessage::Error(WsFrame {
        id,
        sid,
        seq: None,
        sending_ts_ms: None,
        msg: WsErrorMsg {
            code,
            msg: text.to_string(),
            market_ticker: None,
            market_tickers: None,
        },
    })
}

/// A channel this server knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    /// `orderbook_delta` (snapshots then deltas; market list required).
    OrderbookDelta,
    /// `ticker`: price, volume and open-interest changes (no `seq`).
    Ticker,
    /// `trade`: public trades (sequenced).
    Trade,
    /// `fill` (own fills).
    Fill,
    /// `user_orders` (own orders).
    UserOrders,
    /// `market_positions` (own positions).
    MarketPositions,
    /// `market_lifecycle_v2`.
    MarketLifecycle,
    /// `order_group_updates` (own groups).
    OrderGroupUpdates,
    /// A real Kalshi channel this exchange has no data for (accepted, stays quiet).
    Quiet(&'static str),
}

/// Channels Kalshi offers that carry nothing here.
const QUIET_CHANNELS: [&str; 5] = [
    "multivariate_market_lifecycle",
    "communications",
    "cfbenchmarks_value",
    "cfbenchmarks_value_5hz",
    "pyth_value",
];

impl Channel {
    /// Parses a channel name.
    pub(crate) fn from_name(name: &str) -> Option<Channel> {
        Some(match name {
            "orderbook_delta" => Channel::OrderbookDelta,
            "ticker" => Channel::Ticker,
            "trade" => Channel::Trade,
            "fill" => Channel::Fill,
            "user_orders" => Channel::UserOrders,
            "market_positions" => Channel::MarketPositions,
            "market_lifecycle_v2" => Channel::MarketLifecycle,
            "order_group_updates" => Channel::OrderGroupUpdates,
            other => {
                return QUIET_CHANNELS
                    .iter()
                    .find(|q| **q == other)
                    .map(|q| Channel::Quiet(q));
            }
        })
    }

    /// The channel's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Channel::OrderbookDelta => "orderbook_delta",
            Channel::Ticker => "ticker",
            Channel::Trade => "trade",
            Channel::Fill => "fill",
            Channel::UserOrders => "user_orders",
            Channel::MarketPositions => "market_positions",
            Channel::MarketLifecycle => "market_lifecycle_v2",
            Channel::OrderGroupUpdates => "order_group_updates",
            Channel::Quiet(name) => name,
        }
    }

    /// Whether its messages carry `seq`.
    pub(crate) fn is_sequenced(self) -> bool {
        matches!(
            self,
            Channel::OrderbookDelta
                | Channel::Trade
                | Channel::MarketLifecycle
                | Channel::OrderGroupUpdates
                | Channel::Quiet(_)
        )
    }

    /// Whether `update_subscription` add/delete markets applies.
    pub(crate) fn supports_market_updates(self) -> bool {
        matches!(
            self,
            Channel::OrderbookDelta
                | Channel::Fill
                | Channel::UserOrders
                | Channel::Ticker
                | Channel::Trade
        )
    }
}

/// One subscription of a connection.
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub(crate) sid: u64,
    pub(crate) channel: Channel,
    /// Markets; `None` = every market.
    pub(crate) markets: Option<BTreeSet<String>>,
    /// Last `seq` sent (sequenced channels).
    pub(crate) seq: u64,
    /// Batches numbered up to this were before the subscription (or its last snapshot).
    pub(crate) start_batch: u64,
    /// Per market: clock of the last snapshot sent; deltas at or below it are skipped.
    pub(crate) snapshot_clock: BTreeMap<String, u64>,
    /// `use_yes_price`: NO levels in YES prices.
    pub(crate) use_yes_price: bool,
    /// `skip_ticker_ack`: leave market lists out of `ok` replies.
    pub(crate) skip_ticker_ack: bool,
    /// Data messages after which this subscription goes silent (fault).
    pub(crate) silent_after: Option<u64>,
    /// Data messages produced so far.
    pub(crate) data_messages: u64,
}

impl Subscription {
    fn wants_market(&self, ticker: &str) -> bool {
        self.markets.as_ref().is_none_or(|m| m.contains(ticker))
    }

    fn next_seq(&mut self) -> Option<u64> {
        if self.channel.is_sequenced() {
            self.seq += 1;
            Some(self.seq)
        } else {
            None
        }
    }

    /// True once the silent-subscription fault has kicked in.
    fn is_silent(&self) -> bool {
        self.silent_after.is_some_and(|n| self.data_messages >= n)
    }

    /// Wraps a body in a frame of this subscription, counting it.
    fn frame<T>(&mut self, msg: T, sending_ts_ms: i64) -> WsFrame<T> {
        self.data_messages += 1;
        let seq = self.next_seq();
        WsFrame {
            id: None,
            sid: Some(self.sid),
            seq,
            sending_ts_ms: Some(sending_ts_ms),
            msg,
        }
    }

    /// The `orderbook_snapshot` for `book`, recording its clock.
    pub(crate) fn snapshot(&mut self, book: &OrderbookView, sending_ts_ms: i64) -> WsServerMessage {
        self.snapshot_clock.insert(book.ticker.clone(), book.clock);
        let yes: Vec<PriceLevel> = book.yes.iter().map(|&(p, c)| PriceLevel(p, c)).collect();
        let no: Vec<PriceLevel> = book
            .no
            .iter()
            .map(|&(p, c)| {
                PriceLevel(
                    if self.use_yes_price {
                        p.complement()
                    } else {
                        p
                    },
                    c,
                )
            })
            .collect();
        let msg = OrderbookSnapshotMsg {
            market_ticker: book.ticker.clone(),
            market_id: Some(convert::market_id(&book.ticker)),
            clock: Some(book.clock),
            yes_dollars_fp: (!yes.is_empty()).then_some(yes),
            no_dollars_fp: (!no.is_empty()).then_some(no),
            ..OrderbookSnapshotMsg::default()
        };
        self.data_messages += 1;
        let seq = self.next_seq();
        WsServerMessage::OrderbookSnapshot(WsFrame {
            id: None,
            sid: Some(self.sid),
            seq,
            sending_ts_ms: Some(sending_ts_ms),
            msg,
        })
    }

    /// A `ticker` message with the market's current values (`send_initial_snapshot`).
    pub(crate) fn initial_ticker(
        &mut self,
        msg: &TickerMsg,
        sending_ts_ms: i64,
    ) -> WsServerMessage {
        WsServerMessage::Ticker(self.frame(msg.clone(), sending_ts_ms))
    }

    fn delta(
        &mut self,
        delta: &BookDeltaEvent,
        own: bool,
        sending_ts_ms: i64,
    ) -> Option<WsServerMessage> {
        if !self.wants_market(&delta.ticker)
            || self
                .snapshot_clock
                .get(&delta.ticker)
                .is_some_and(|&c| delta.clock <= c)
        {
            return None;
        }
        let price = if delta.wire_side == OutcomeSide::No && self.use_yes_price {
            delta.yes_price
        } else {
            delta.wire_price
        };
        let msg = OrderbookDeltaMsg {
            market_ticker: delta.ticker.clone(),
            market_id: Some(convert::market_id(&delta.ticker)),
            clock: Some(delta.clock),
            side: delta.wire_side,
            price_dollars: Some(price),
            delta_fp: Some(delta.delta),
            price: None,
            delta: None,
            client_order_id: if own {
                delta.client_order_id.clone()
            } else {
                None
            },
            subaccount: own.then_some(delta.subaccount),
            ts: Some(WireTime::Text(format_rfc3339_micros(delta.ts_ns))),
            ts_ms: Some(convert::ms(delta.ts_ns)),
        };
        Some(WsServerMessage::OrderbookDelta(
            self.frame(msg, sending_ts_ms),
        ))
    }

    /// The messages this subscription sends for `event` (at most one).
    pub(crate) fn on_event(
        &mut self,
        event: &ExchangeEvent,
        me: UserId,
        user_id_text: &str,
        sending_ts_ms: i64,
    ) -> Option<WsServerMessage> {
        if self.is_silent() {
            return None;
        }
        match (self.channel, event) {
            (Channel::OrderbookDelta, ExchangeEvent::BookDelta(d)) => {
                self.delta(d, d.user == me, sending_ts_ms)
            }
            (Channel::Trade, ExchangeEvent::Trade(t)) if self.wants_market(&t.ticker) => Some(
                WsServerMessage::Trade(self.frame(convert::trade_msg(t), sending_ts_ms)),
            ),
            (Channel::Ticker, ExchangeEvent::Ticker(t)) if self.wants_market(&t.ticker) => Some(
                WsServerMessage::Ticker(self.frame(convert::ticker_msg(t), sending_ts_ms)),
            ),
            (Channel::Fill, ExchangeEvent::Fill(f))
                if f.fill.user == me && self.wants_market(&f.fill.ticker) =>
            {
                Some(WsServerMessage::Fill(
                    self.frame(convert::fill_msg(&f.fill), sending_ts_ms),
                ))
            }
            (Channel::UserOrders, ExchangeEvent::OrderUpdate(o))
                if o.order.user == me && self.wants_market(&o.order.ticker) =>
            {
                Some(WsServerMessage::UserOrder(self.frame(
                    convert::user_order(&o.order, user_id_text),
                    sending_ts_ms,
                )))
            }
            (Channel::MarketPositions, ExchangeEvent::Position(p))
                if p.user == me && self.wants_market(&p.ticker) =>
            {
                Some(WsServerMessage::MarketPosition(self.frame(
                    convert::position_msg(p, user_id_text),
                    sending_ts_ms,
                )))
            }
            (Channel::MarketLifecycle, ExchangeEvent::Lifecycle(l)) => {
                Some(WsServerMessage::MarketLifecycle(
                    self.frame(convert::lifecycle_msg(l), sending_ts_ms),
                ))
            }
            (Channel::OrderGroupUpdates, ExchangeEvent::OrderGroup(g)) if g.user == me => {
                Some(WsServerMessage::OrderGroupUpdate(
                    self.frame(convert::order_group_msg(g), sending_ts_ms),
                ))
            }
            _ => None,
        }
    }
}
