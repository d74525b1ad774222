//! WebSocket frames: client commands, and the server frame decoder.
//!
//! Every server frame is `{"type", "id"?, "sid"?, "seq"?, "sending_ts_ms"?, "msg"?}`.
//! [`decode_ws_frame`] reads the envelope once (keeping `msg` as raw text), then parses `msg`
//! into the body type its `type` names. Unknown types become [`WsServerMessage::Unknown`];
//! nothing here panics on input. Frames above a size limit are refused before any parsing.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use super::error::WireError;
use super::ws_msg::{
    EventLifecycleMsg, FillMsg, MarketLifecycleMsg, MarketPositionMsg, OkMarketsMsg,
    OrderGroupUpdateMsg, OrderbookDeltaMsg, OrderbookSnapshotMsg, SubscribedMsg, SubscriptionInfo,
    TickerMsg, TradeMsg, UserOrderMsg, WsErrorMsg,
};

/// Default largest frame [`decode_ws_frame`] accepts (1 MiB). Real snapshots are a few kB.
pub const WS_FRAME_BYTES_MAX_DEFAULT: usize = 1 << 20;

/// `subscribe` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SubscribeParams {
    /// Channels, e.g. `orderbook_delta`, `ticker`, `trade`, `fill`, `user_orders`,
    /// `market_positions`, `market_lifecycle_v2`, `order_group_updates`.
    pub channels: Vec<String>,
    /// One market (exclusive with `market_tickers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<String>,
    /// Several markets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_tickers: Option<Vec<String>>,
    /// Ticker channel: send current values right away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_initial_snapshot: Option<bool>,
    /// Leave the market list out of `ok` replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_ticker_ack: Option<bool>,
    /// Orderbook channel: express NO-side levels in YES prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_yes_price: Option<bool>,
}

/// `unsubscribe` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UnsubscribeParams {
    /// Subscriptions to end.
    pub sids: Vec<u64>,
}

/// What an `update_subscription` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateAction {
    /// Add markets to the subscription.
    AddMarkets,
    /// Remove markets from the subscription.
    DeleteMarkets,
    /// Push a fresh `orderbook_snapshot` for the listed markets.
    GetSnapshot,
}

/// `update_subscription` parameters (exactly one subscription id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateSubscriptionParams {
    /// The subscription, as a one-element list (Kalshi also accepts a bare `sid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sids: Option<Vec<u64>>,
    /// The subscription as a bare id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<u64>,
    /// Markets to add, delete or snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_tickers: Option<Vec<String>>,
    /// Add markets, delete markets, or ask for fresh snapshots of `market_tickers`.
    pub action: UpdateAction,
}

/// The command itself, tagged by `cmd`, parameters under `params`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", content = "params", rename_all = "snake_case")]
pub enum WsCommandBody {
    /// Start subscriptions.
    Subscribe(SubscribeParams),
    /// End subscriptions.
    Unsubscribe(UnsubscribeParams),
    /// Change the markets of one subscription, or ask for snapshots.
    UpdateSubscription(UpdateSubscriptionParams),
    /// List active subscriptions.
    ListSubscriptions,
}

/// A client → server command: `{"id": n, "cmd": …, "params": {…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WsCommand {
    /// Client-chosen id, echoed in replies (unique per connection; 0 = none).
    pub id: u64,
    /// The command.
    #[serde(flatten)]
    pub body: WsCommandBody,
}

impl WsCommand {
    /// `subscribe` to `channels` for `market_tickers` (all markets when empty).
    pub fn subscribe(id: u64, channels: &[&str], market_tickers: &[&str]) -> WsCommand {
        WsCommand {
            id,
            body: WsCommandBody::Subscribe(SubscribeParams {
                channels: channels.iter().map(|c| (*c).to_string()).collect(),
                market_tickers: (!market_tickers.is_empty())
                    .then(|| market_tickers.iter().map(|t| (*t).to_string()).collect()),
                ..SubscribeParams::default()
            }),
        }
    }

    /// `update_subscription` of subscription `sid` with `action` on `market_tickers`.
    pub fn update_subscription(
        id: u64,
        sid: u64,
        action: UpdateAction,
        market_tickers: &[&str],
    ) -> WsCommand {
        WsCommand {
            id,
            body: WsCommandBody::UpdateSubscription(UpdateSubscriptionParams {
                sids: Some(vec![sid]),
                sid: None,
                market_tickers: Some(market_tickers.iter().map(|t| (*t).to_string()).collect()),
                action,
            }),
        }
    }

    /// `unsubscribe` from `sids`.
    pub fn unsubscribe(id: u64, sids: &[u64]) -> WsCommand {
        WsCommand {
            id,
            body: WsCommandBody::Unsubscribe(UnsubscribeParams {
                sids: sids.to_vec(),
            }),
        }
    }

    /// `list_subscriptions`.
    pub fn list_subscriptions(id: u64) -> WsCommand {
        WsCommand {
            id,
            body: WsCommandBody::ListSubscriptions,
        }
    }
}

/// The envelope fields every server frame may carry, around a body `T`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WsFrame<T> {
    /// Echo of the command id (acks and errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// Subscription id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<u64>,
    /// Per-subscription sequence number (sequenced channels, and `ok` acks in practice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Server send time, Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_ts_ms: Option<i64>,
    /// The body.
    pub msg: T,
}

impl<T> WsFrame<T> {
    /// A frame on subscription `sid` with sequence number `seq`.
    pub fn sequenced(sid: u64, seq: u64, msg: T) -> WsFrame<T> {
        WsFrame {
            id: None,
            sid: Some(sid),
            seq: Some(seq),
            sending_ts_ms: None,
            msg,
        }
    }

    /// A frame on subscription `sid` without a sequence number.
    pub fn unsequenced(sid: u64, msg: T) -> WsFrame<T> {
        WsFrame {
            id: None,
            sid: Some(sid),
            seq: None,
            sending_ts_ms: None,
            msg,
        }
    }
}

/// The body of an `ok` frame: a market list after `update_subscription`, or the subscription
/// list answering `list_subscriptions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OkBody {
    /// `{"market_tickers": […]}` (or `{}`).
    Markets(OkMarketsMsg),
    /// `[{"channel","sid"}, …]`.
    Subscriptions(Vec<SubscriptionInfo>),
}

/// The `unsubscribed` frame: `{"id","type":"unsubscribed","sid","seq"}`, no body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UnsubscribedFrame {
    /// Echo of the command id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// The ended subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<u64>,
    /// Its last sequence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Server send time, Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_ts_ms: Option<i64>,
}

/// One decoded server → client frame.
#[derive(Debug, Clone, PartialEq)]
pub enum WsServerMessage {
    /// A channel subscription was created.
    Subscribed(WsFrame<SubscribedMsg>),
    /// A subscription ended.
    Unsubscribed(UnsubscribedFrame),
    /// A command succeeded (`update_subscription`, `list_subscriptions`).
    Ok(WsFrame<OkBody>),
    /// A command failed.
    Error(WsFrame<WsErrorMsg>),
    /// Full book for one market.
    OrderbookSnapshot(WsFrame<OrderbookSnapshotMsg>),
    /// One level changed.
    OrderbookDelta(WsFrame<OrderbookDeltaMsg>),
    /// Top of book / volume update.
    Ticker(WsFrame<TickerMsg>),
    /// Public trade.
    Trade(WsFrame<TradeMsg>),
    /// One of our fills.
    Fill(WsFrame<FillMsg>),
    /// One of our orders changed.
    UserOrder(WsFrame<UserOrderMsg>),
    /// Our position in a market changed.
    MarketPosition(WsFrame<MarketPositionMsg>),
    /// A market lifecycle change (`market_lifecycle_v2`).
    MarketLifecycle(WsFrame<MarketLifecycleMsg>),
    /// A new event (`event_lifecycle`).
    EventLifecycle(WsFrame<EventLifecycleMsg>),
    /// One of our order groups changed.
    OrderGroupUpdate(WsFrame<OrderGroupUpdateMsg>),
    /// A frame type this decoder does not know; kept so callers can count and log it.
    Unknown {
        /// The frame's `type`.
        type_name: String,
        /// Its subscription id, if any.
        sid: Option<u64>,
        /// Its sequence number, if any (it still occupies a slot in the sid's sequence).
        seq: Option<u64>,
    },
}

impl WsServerMessage {
    /// Kalshi's `type` string for this frame.
    pub fn type_name(&self) -> &str {
        match self {
            WsServerMessage::Subscribed(_) => "subscribed",
            WsServerMessage::Unsubscribed(_) => "unsubscribed",
            WsServerMessage::Ok(_) => "ok",
            WsServerMessage::Error(_) => "error",
            WsServerMessage::OrderbookSnapshot(_) => "orderbook_snapshot",
            WsServerMessage::OrderbookDelta(_) => "orderbook_delta",
            WsServerMessage::Ticker(_) => "ticker",
            WsServerMessage::Trade(_) => "trade",
            WsServerMessage::Fill(_) => "fill",
            WsServerMessage::UserOrder(_) => "user_order",
            WsServerMessage::MarketPosition(_) => "market_position",
            WsServerMessage::MarketLifecycle(_) => "market_lifecycle_v2",
            WsServerMessage::EventLifecycle(_) => "event_lifecycle",
            WsServerMessage::OrderGroupUpdate(_) => "order_group_updates",
            WsServerMessage::Unknown { type_name, .. } => type_name,
        }
    }

    /// The subscription id, when the frame carries one.
    pub fn sid(&self) -> Option<u64> {
        self.envelope().0
    }

    /// The sequence number, when the frame carries one. Note that real `ok` acks to
    /// `update_subscription` carry a `seq` that consumes a slot of the sid's sequence.
    pub fn seq(&self) -> Option<u64> {
        self.envelope().1
    }

    fn envelope(&self) -> (Option<u64>, Option<u64>) {
        match self {
            WsServerMessage::Subscribed(f) => (f.sid.or(Some(f.msg.sid)), f.seq),
            WsServerMessage::Unsubscribed(f) => (f.sid, f.seq),
            WsServerMessage::Ok(f) => (f.sid, f.seq),
            WsServerMessage::Error(f) => (f.sid, f.seq),
            WsServerMessage::OrderbookSnapshot(f) => (f.sid, f.seq),
            WsServerMessage::OrderbookDelta(f) => (f.sid, f.seq),
            WsServerMessage::Ticker(f) => (f.sid, f.seq),
            WsServerMessage::Trade(f) => (f.sid, f.seq),
            WsServerMessage::Fill(f) => (f.sid, f.seq),
            WsServerMessage::UserOrder(f) => (f.sid, f.seq),
            WsServerMessage::MarketPosition(f) => (f.sid, f.seq),
            WsServerMessage::MarketLifecycle(f) => (f.sid, f.seq),
            WsServerMessage::EventLifecycle(f) => (f.sid, f.seq),
            WsServerMessage::OrderGroupUpdate(f) => (f.sid, f.seq),
            WsServerMessage::Unknown { sid, seq, .. } => (*sid, *seq),
        }
    }
}

/// Serializes a frame as Kalshi sends it: `type` first, then the envelope and `msg`.
/// `Unknown` frames cannot be serialized (their content was not kept).
impl Serialize for WsServerMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        fn frame<S: Serializer, T: Serialize>(
            serializer: S,
            type_name: &str,
            f: &WsFrame<T>,
        ) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(None)?;
            map.serialize_entry("type", type_name)?;
            if let Some(id) = f.id {
                map.serialize_entry("id", &id)?;
            }
            if let Some(sid) = f.sid {
                map.serialize_entry("sid", &sid)?;
            }
            if let Some(seq) = f.seq {
                map.serialize_entry("seq", &seq)?;
            }
            if let Some(sending_ts_ms) = f.sending_ts_ms {
                map.serialize_entry("sending_ts_ms", &sending_ts_ms)?;
            }
            map.serialize_entry("msg", &f.msg)?;
            map.end()
        }
        let type_name = self.type_name();
        match self {
            WsServerMessage::Subscribed(f) => frame(serializer, type_name, f),
            WsServerMessage::Ok(f) => frame(serializer, type_name, f),
            WsServerMessage::Error(f) => frame(serializer, type_name, f),
            WsServerMessage::OrderbookSnapshot(f) => frame(serializer, type_name, f),
            WsServerMessage::OrderbookDelta(f) => frame(serializer, type_name, f),
            WsServerMessage::Ticker(f) => frame(serializer, type_name, f),
            WsServerMessage::Trade(f) => frame(serializer, type_name, f),
            WsServerMessage::Fill(f) => frame(serializer, type_name, f),
            WsServerMessage::UserOrder(f) => frame(serializer, type_name, f),
            WsServerMessage::MarketPosition(f) => frame(serializer, type_name, f),
            WsServerMessage::MarketLifecycle(f) => frame(serializer, type_name, f),
            WsServerMessage::EventLifecycle(f) => frame(serializer, type_name, f),
            WsServerMessage::OrderGroupUpdate(f) => frame(serializer, type_name, f),
            WsServerMessage::Unsubscribed(f) => {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("type", type_name)?;
                if let Some(id) = f.id {
                    map.serialize_entry("id", &id)?;
                }
                if let Some(sid) = f.sid {
                    map.serialize_entry("sid", &sid)?;
                }
                if let Some(seq) = f.seq {
                    map.serialize_entry("seq", &seq)?;
                }
                if let Some(sending_ts_ms) = f.sending_ts_ms {
                    map.serialize_entry("sending_ts_ms", &sending_ts_ms)?;
                }
                map.end()
            }
            WsServerMessage::Unknown { type_name, .. } => Err(serde::ser::Error::custom(format!(
                "cannot serialize a frame of unknown type {type_name:?}"
            ))),
        }
    }
}

/// The envelope as first read: `msg` stays unparsed text.
#[derive(Deserialize)]
struct RawEnvelope<'a> {
    #[serde(rename = "type", borrow)]
    type_name: std::borrow::Cow<'a, str>,
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    sid: Option<u64>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    sending_ts_ms: Option<i64>,
    #[serde(default, borrow)]
    msg: Option<&'a RawValue>,
}

/// Decodes one server frame with the default size limit
/// ([`WS_FRAME_BYTES_MAX_DEFAULT`]).
pub fn decode_ws_frame(text: &str) -> Result<WsServerMessage, WireError> {
    decode_ws_frame_with_limit(text, WS_FRAME_BYTES_MAX_DEFAULT)
}

/// Decodes one server frame, refusing frames longer than `max_bytes` before parsing.
pub fn decode_ws_frame_with_limit(
    text: &str,
    max_bytes: usize,
) -> Result<WsServerMessage, WireError> {
    if text.len() > max_bytes {
        return Err(WireError::FrameTooLarge {
            size_bytes: text.len(),
            max_bytes,
        });
    }
    let envelope: RawEnvelope<'_> =
        serde_json::from_str(text).map_err(|e| WireError::json("ws frame", e))?;
    let RawEnvelope {
        type_name,
        id,
        sid,
        seq,
        sending_ts_ms,
        msg,
    } = envelope;

    fn body<'a, T: Deserialize<'a>>(
        msg: Option<&'a RawValue>,
        what: &'static str,
    ) -> Result<T, WireError> {
        let raw = msg.ok_or(WireError::MissingMsg { type_name: what })?;
        serde_json::from_str(raw.get()).map_err(|e| WireError::json(what, e))
    }
    macro_rules! frame {
        ($variant:ident, $what:literal) => {
            WsServerMessage::$variant(WsFrame {
                id,
                sid,
                seq,
                sending_ts_ms,
                msg: body(msg, $what)?,
            })
        };
    }

    Ok(match type_name.as_ref() {
        "orderbook_delta" => frame!(OrderbookDelta, "orderbook_delta"),
        "orderbook_snapshot" => frame!(OrderbookSnapshot, "orderbook_snapshot"),
        "ticker" => frame!(Ticker, "ticker"),
        "trade" => frame!(Trade, "trade"),
        "fill" => frame!(Fill, "fill"),
        "user_order" => frame!(UserOrder, "user_order"),
        "market_position" => frame!(MarketPosition, "market_position"),
        "market_lifecycle_v2" => frame!(MarketLifecycle, "market_lifecycle_v2"),
        "event_lifecycle" => frame!(EventLifecycle, "event_lifecycle"),
        "order_group_updates" => frame!(OrderGroupUpdate, "order_group_updates"),
        "subscribed" => frame!(Subscribed, "subscribed"),
        "error" => frame!(Error, "error"),
        "unsubscribed" => WsServerMessage::Unsubscribed(UnsubscribedFrame {
            id,
            sid,
            seq,
            sending_ts_ms,
        }),
        "ok" => {
            let body = match msg {
                None => OkBody::Markets(OkMarketsMsg::default()),
                Some(raw) if raw.get().trim_start().starts_with('[') => OkBody::Subscriptions(
                    serde_json::from_str(raw.get()).map_err(|e| WireError::json("ok msg", e))?,
                ),
                Some(raw) => OkBody::Markets(
                    serde_json::from_str(raw.get()).map_err(|e| WireError::json("ok msg", e))?,
                ),
            };
            WsServerMessage::Ok(WsFrame {
                id,
                sid,
                seq,
                sending_ts_ms,
                msg: body,
            })
        }
        other => WsServerMessage::Unknown {
            type_name: other.to_string(),
            sid,
            seq,
        },
    })
}
