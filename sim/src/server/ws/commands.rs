//! WebSocket commands: `subscribe`, `unsubscribe`, `update_subscription` (add_markets,
//! delete_markets, get_snapshot) and `list_subscriptions`, with Kalshi's error codes
//! (1 unprocessable, 2 params required, 3 channels required, 4 sids required, 5 unknown
//! command, 7 unknown sid, 8 unknown channel, 11 invalid parameter, 12 exactly one sid,
//! 13 unsupported action, 14 market ticker required, 15 action required, 26 subscription
//! market limit exceeded).
//!
//! Bounds: a command's market list is deduplicated (a ticker named twice is one market); a
//! subscription holds at most [`MARKETS_PER_SUBSCRIPTION_MAX`] markets (code 26, also when
//! `add_markets` would exceed it); a connection holds at most
//! [`SUBSCRIPTIONS_PER_CONNECTION_MAX`] subscriptions; and a subscription to a channel with
//! the same market scope as an existing one is refused as already subscribed. Kalshi's own
//! "already subscribed" code (6) is retired and its numbers are unpublished, so those two
//! refusals use the generic code 1 with a text saying why.

use std::collections::{BTreeMap, BTreeSet};

use kalshi_wire::ws::{
    OkBody, SubscribeParams, UnsubscribeParams, UnsubscribedFrame, WsFrame, WsServerMessage,
};
use kalshi_wire::ws_msg::{OkMarketsMsg, SubscribedMsg, SubscriptionInfo};
use serde_json::Value;

use super::channels::{Channel, Subscription, error_frame};
use super::session::Session;
use crate::events_out::TickerEvent;
use crate::exchange::MarketView;
use crate::exchange::queries::OrderbookView;
use crate::server::convert;

/// Most markets one subscription may name (Kalshi has such a limit, error 26, but does not
/// publish it). The bot subscribes to the markets it quotes, tens at most; 1,000 leaves room
/// for any client while keeping one command's snapshots and bookkeeping bounded.
pub(crate) const MARKETS_PER_SUBSCRIPTION_MAX: usize = 1000;

/// Most subscriptions one connection may hold: every channel (13) several times over.
pub(crate) const SUBSCRIPTIONS_PER_CONNECTION_MAX: usize = 64;

/// A command failure: code and text.
type CommandError = (u32, String);

fn fail<T>(code: u32, text: impl Into<String>) -> Result<T, CommandError> {
    Err((code, text.into()))
}

/// The markets named by `market_ticker` / `market_tickers` (empty when neither), each once,
/// in first-named order.
fn named_markets(params: &SubscribeParams) -> Vec<String> {
    let mut markets: Vec<String> = params.market_tickers.clone().unwrap_or_default();
    markets.extend(params.market_ticker.clone());
    dedup(markets)
}

/// `markets` without repeats, in first-named order.
fn dedup(markets: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    markets
        .into_iter()
        .filter(|m| seen.insert(m.clone()))
        .collect()
}

/// Refuses a market list longer than [`MARKETS_PER_SUBSCRIPTION_MAX`].
fn check_market_count(count: usize) -> Result<(), CommandError> {
    if count > MARKETS_PER_SUBSCRIPTION_MAX {
        return fail(
            26,
            format!(
                "Subscription market limit exceeded: {count} markets, at most {MARKETS_PER_SUBSCRIPTION_MAX}"
            ),
        );
    }
    Ok(())
}

fn ticker_event(view: &MarketView, ts_ns: i64) -> TickerEvent {
    TickerEvent {
        ticker: view.spec.ticker.clone(),
        last_price: view.last_price,
        yes_bid: view.yes_bid,
        yes_ask: view.yes_ask,
        last_trade_size: kalshi_core::Count::ZERO,
        volume: view.volume,
        open_interest: view.open_interest,
        ts_ns,
    }
}

impl Session {
    /// Handles one text frame from the client.
    pub(crate) fn handle_text(&mut self, text: &str) {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            self.control(&error_frame(None, None, 1, "Unable to process message"));
            return;
        };
        let id = value.get("id").and_then(Value::as_u64);
        let Some(cmd) = value.get("cmd").and_then(Value::as_str) else {
            self.control(&error_frame(id, None, 5, "Unknown command"));
            return;
        };
        let params = value.get("params").cloned();
        let result = match cmd {
            "subscribe" => self.subscribe(id, params),
            "unsubscribe" => self.unsubscribe(id, params),
            "update_subscription" => self.update_subscription(id, params),
            "list_subscriptions" => {
                self.list_subscriptions(id);
                Ok(())
            }
            _ => fail(5, "Unknown command"),
        };
        if let Err((code, text)) = result {
            self.control(&error_frame(id, None, code, &text));
        }
    }

    fn ack_ts_ms(&self) -> i64 {
        self.sending_ts_ms(self.exchange_now_ns())
    }

    fn subscribe(&mut self, id: Option<u64>, params: Option<Value>) -> Result<(), CommandError> {
        let Some(params) = params else {
            return fail(2, "Params required");
        };
        if params
            .get("channels")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            return fail(3, "Channels required");
        }
        let params: SubscribeParams =
            serde_json::from_value(params).map_err(|e| (11, format!("Invalid parameter: {e}")))?;
        let markets = named_markets(&params);
        check_market_count(markets.len())?;
        let ts_ms = self.ack_ts_ms();
        for name in &params.channels {
            let Some(channel) = Channel::from_name(name) else {
                self.control(&error_frame(id, None, 8, "Unknown channel name"));
                continue;
            };
            if channel == Channel::OrderbookDelta && markets.is_empty() {
                self.control(&error_frame(id, None, 14, "Market ticker required"));
                continue;
            }
            let market_set: Option<BTreeSet<String>> = (!markets.is_empty()
                && channel != Channel::MarketLifecycle)
                .then(|| markets.iter().cloned().collect());
            if let Some(existing) = self
                .subs
                .values()
                .find(|s| s.channel == channel && s.markets == market_set)
            {
                let text = format!(
                    "Unable to process message: already subscribed to {} (sid {})",
                    channel.name(),
                    existing.sid
                );
                self.control(&error_frame(id, None, 1, &text));
                continue;
            }
            if self.subs.len() >= SUBSCRIPTIONS_PER_CONNECTION_MAX {
                let text = format!(
                    "Unable to process message: a connection holds at most {SUBSCRIPTIONS_PER_CONNECTION_MAX} subscriptions"
                );
                self.control(&error_frame(id, None, 1, &text));
                continue;
            }
            // Read what the subscription starts from (books, tickers) at one batch number.
            let ((books, views, now_ns), batch) = self.state.read_at_batch(|exchange| {
                let books: Result<Vec<OrderbookView>, String> =
                    if channel == Channel::OrderbookDelta {
                        markets
                            .iter()
                            .map(|t| exchange.orderbook(t, 0).map_err(|_| t.clone()))
                            .collect()
                    } else {
                        Ok(Vec::new())
                    };
                let views: Vec<MarketView> =
                    if channel == Channel::Ticker && params.send_initial_snapshot == Some(true) {
                        markets
                            .iter()
                            .filter_map(|t| exchange.market(t).ok())
                            .collect()
                    } else {
                        Vec::new()
                    };
                (books, views, exchange.now_ns())
            });
            let books = match books {
                Ok(books) => books,
                Err(unknown) => {
                    let mut frame =
                        error_frame(id, None, 11, "Invalid parameter: unknown market ticker");
                    if let WsServerMessage::Error(f) = &mut frame {
                        f.msg.market_ticker = Some(unknown);
                    }
                    self.control(&frame);
                    continue;
                }
            };
            let sid = self.next_sid;
            self.next_sid += 1;
            let silent_after = self.faults.as_mut().and_then(|f| f.silent_after());
            let mut sub = Subscription {
                sid,
                channel,
                markets: market_set,
                seq: 0,
                start_batch: batch,
                snapshot_clock: BTreeMap::new(),
                use_yes_price: params.use_yes_price == Some(true),
                skip_ticker_ack: params.skip_ticker_ack == Some(true),
                silent_after,
                data_messages: 0,
            };
            self.control(&WsServerMessage::Subscribed(WsFrame {
                id,
                sid: None,
                seq: None,
                sending_ts_ms: Some(ts_ms),
                msg: SubscribedMsg {
                    channel: channel.name().to_string(),
                    sid,
                },
            }));
            let snapshot_ts_ms = self.sending_ts_ms(now_ns);
            for book in &books {
                let msg = sub.snapshot(book, snapshot_ts_ms);
                self.data(&msg);
            }
            for view in &views {
                let msg = sub.initial_ticker(
                    &convert::ticker_msg(&ticker_event(view, now_ns)),
                    snapshot_ts_ms,
                );
                self.data(&msg);
            }
            self.subs.insert(sid, sub);
        }
        Ok(())
    }

    fn unsubscribe(&mut self, id: Option<u64>, params: Option<Value>) -> Result<(), CommandError> {
        let Some(params) = params else {
            return fail(2, "Params required");
        };
        let params: UnsubscribeParams = serde_json::from_value(params)
            .map_err(|_| (4, "Subscription IDs required".to_string()))?;
        if params.sids.is_empty() {
            return fail(4, "Subscription IDs required");
        }
        let ts_ms = self.ack_ts_ms();
        for sid in params.sids {
            match self.subs.remove(&sid) {
                Some(sub) => self.control(&WsServerMessage::Unsubscribed(UnsubscribedFrame {
                    id,
                    sid: Some(sid),
                    // The subscription's last message: the next number (at least 1).
                    seq: Some(sub.seq + 1),
                    sending_ts_ms: Some(ts_ms),
                })),
                None => self.control(&error_frame(id, Some(sid), 7, "Unknown subscription ID")),
            }
        }
        Ok(())
    }

    fn update_subscription(
        &mut self,
        id: Option<u64>,
        params: Option<Value>,
    ) -> Result<(), CommandError> {
        let Some(params) = params else {
            return fail(2, "Params required");
        };
        let sid = match (
            params.get("sids").and_then(Value::as_array),
            params.get("sid").and_then(Value::as_u64),
        ) {
            (Some(sids), None) if sids.len() == 1 => sids[0].as_u64(),
            (None, Some(sid)) => Some(sid),
            _ => None,
        };
        let Some(sid) = sid else {
            return fail(12, "Exactly one subscription ID is required");
        };
        let Some(action) = params.get("action").and_then(Value::as_str) else {
            return fail(15, "Action required");
        };
        let Some(channel) = self.subs.get(&sid).map(|s| s.channel) else {
            return fail(7, "Unknown subscription ID");
        };
        let markets: Vec<String> = params
            .get("market_tickers")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let markets = dedup(markets);
        if markets.is_empty() {
            return fail(14, "Market ticker required");
        }
        check_market_count(markets.len())?;
        match action {
            "add_markets" | "delete_markets" if channel.supports_market_updates() => {
                let adding = action == "add_markets";
                if adding && let Some(set) = self.subs.get(&sid).and_then(|s| s.markets.as_ref()) {
                    let after = set.len() + markets.iter().filter(|m| !set.contains(*m)).count();
                    check_market_count(after)?;
                }
                if adding && channel == Channel::OrderbookDelta {
                    self.send_snapshots(sid, &markets)?;
                }
                let ts_ms = self.ack_ts_ms();
                let Some(sub) = self.subs.get_mut(&sid) else {
                    return fail(7, "Unknown subscription ID");
                };
                if let Some(set) = sub.markets.as_mut() {
                    for market in &markets {
                        if adding {
                            set.insert(market.clone());
                        } else {
                            set.remove(market);
                            sub.snapshot_clock.remove(market);
                        }
                    }
                }
                let list =
                    (!sub.skip_ticker_ack).then(|| sub.markets.iter().flatten().cloned().collect());
                let seq = if channel.is_sequenced() {
                    sub.seq += 1;
                    Some(sub.seq)
                } else {
                    None
                };
                let msg = WsServerMessage::Ok(WsFrame {
                    id,
                    sid: Some(sid),
                    seq,
                    sending_ts_ms: Some(ts_ms),
                    msg: OkBody::Markets(OkMarketsMsg {
                        market_tickers: list,
                        market_ids: None,
                    }),
                });
                self.control(&msg);
                Ok(())
            }
            "get_snapshot" if channel == Channel::OrderbookDelta => {
                self.send_snapshots(sid, &markets)
            }
            "add_markets" | "delete_markets" | "get_snapshot" => fail(13, "Unsupported action"),
            _ => fail(13, "Unsupported action"),
        }
    }

    /// Pushes a fresh `orderbook_snapshot` of each market on subscription `sid`.
    fn send_snapshots(&mut self, sid: u64, markets: &[String]) -> Result<(), CommandError> {
        let ((books, now_ns), _) = self.state.read_at_batch(|exchange| {
            let books: Result<Vec<OrderbookView>, String> = markets
                .iter()
                .map(|t| exchange.orderbook(t, 0).map_err(|_| t.clone()))
                .collect();
            (books, exchange.now_ns())
        });
        let books = books.map_err(|unknown| {
            (
                11,
                format!("Invalid parameter: unknown market ticker {unknown}"),
            )
        })?;
        let ts_ms = self.sending_ts_ms(now_ns);
        let mut frames = Vec::new();
        let Some(sub) = self.subs.get_mut(&sid) else {
            return fail(7, "Unknown subscription ID");
        };
        for book in &books {
            frames.push(sub.snapshot(book, ts_ms));
        }
        for frame in &frames {
            self.data(frame);
        }
        Ok(())
    }

    fn list_subscriptions(&mut self, id: Option<u64>) {
        let list: Vec<SubscriptionInfo> = self
            .subs
            .values()
            .map(|s| SubscriptionInfo {
                channel: s.channel.name().to_string(),
                sid: s.sid,
            })
            .collect();
        let ts_ms = self.ack_ts_ms();
        self.control(&WsServerMessage::Ok(WsFrame {
            id,
            sid: None,
            seq: None,
            sending_ts_ms: Some(ts_ms),
            msg: OkBody::Subscriptions(list),
        }));
    }
}
