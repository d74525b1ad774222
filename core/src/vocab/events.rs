//! Events: everything io and the runtime feed the engine, each wrapped in an [`Envelope`]
//! stamped by the sequencer. The enum is closed; the journal stores envelopes with a binary
//! serde format, so only externally tagged enums and plain structs appear here.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::client_order_id::ClientOrderId;
use crate::fixed::{Count, Money};
use crate::market_data::{
    BookDelta, BookSnapshot, FeeParams, LifecycleChange, MarketInfo, OrderSnapshot, OwnFill,
    PositionSnapshot, PublicTrade,
};
use crate::vocab::config::EngineConfig;
use crate::vocab::risk::RiskStateRecord;
use crate::vocab::tuning::{TuningSetting, TuningV1};

/// One input to the engine: its sequence number (the authority on order), the time it was
/// received (Unix ns) and the event itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Position in the journal; strictly increasing.
    pub seq: u64,
    /// Receive time, Unix ns. The engine's only notion of time.
    pub ts_ns: i64,
    /// What arrived: market data, an exchange answer, a timer or an operator control.
    pub event: Event,
}

/// Why io declared a book untrustworthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookInvalidation {
    /// A subscription sequence gap: deltas were missed.
    SequenceGap,
    /// The socket reconnected; the book waits for a fresh snapshot.
    Reconnect,
    /// The feed went quiet for too long.
    Stale,
}

impl BookInvalidation {
    /// Snake-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            BookInvalidation::SequenceGap => "sequence_gap",
            BookInvalidation::Reconnect => "reconnect",
            BookInvalidation::Stale => "stale",
        }
    }
}

/// Which request an acknowledgement, rejection or unknown outcome refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A create.
    Place,
    /// An amend of a resting order's price or total count.
    Amend,
    /// A decrease of a resting order's remaining count.
    Decrease,
    /// A cancel of a resting order's remaining count.
    Cancel,
}

/// The exchange accepted a create, amend or decrease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAck {
    /// Our client id.
    pub client_order_id: ClientOrderId,
    /// Exchange order id.
    pub order_id: String,
    /// Which request this answers.
    pub request: RequestKind,
    /// Filled so far (immediately on placement, or in total after an amend).
    pub fill_count: Count,
    /// Resting after the request.
    pub remaining_count: Count,
}

/// The exchange refused a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRejected {
    /// Our client id.
    pub client_order_id: ClientOrderId,
    /// Which request was refused.
    pub request: RequestKind,
    /// Kalshi error code (`invalid_order`, …), or an io-side code.
    pub code: String,
    /// Human message (never contains secrets).
    pub message: String,
}

/// A cancel was acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelAck {
    /// Our client id.
    pub client_order_id: ClientOrderId,
    /// Exchange order id.
    pub order_id: String,
    /// Contracts that were still resting and are now cancelled.
    pub reduced_by: Count,
}

/// Periodic or scheduled wake-ups, produced by io and journaled like any event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// Housekeeping: rung ages, wind-down windows, risk marks.
    Tick,
    /// A new trading day: the daily P&L restarts.
    DailyReset,
}

/// Operator controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlCommand {
    /// Cancel everything on the account and halt.
    KillSwitch,
    /// Cancel our orders and halt.
    Halt,
    /// Return to ACTIVE (refused while beyond the daily loss stop).
    Resume,
    /// Cancel our orders and stop quoting for the rest of the run (the risk state is untouched).
    Shutdown,
    /// Flatten: cancel our orders, go REDUCING (only orders that shrink a position pass risk)
    /// and send, for every position, a reduce-only immediate-or-cancel order at the opposite
    /// touch for what the touch holds (the price collar still applies). `Resume` lifts it.
    /// Appended last so journals written before it still decode.
    Flatten,
}

/// Everything the engine can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The effective configuration (first event of a run).
    Config(Box<EngineConfig>),
    /// Listing pages: market metadata; markets listed here become the quotable universe.
    MarketListing(Vec<MarketInfo>),
    /// A full book.
    BookSnapshot(BookSnapshot),
    /// A change at one level.
    BookDelta(BookDelta),
    /// io lost track of a book (gap, reconnect, staleness); a snapshot will follow.
    BookInvalidated {
        /// Market ticker.
        ticker: String,
        /// Why.
        reason: BookInvalidation,
    },
    /// A trade on the public tape (anyone's, ours included).
    PublicTrade(PublicTrade),
    /// One of our fills.
    OwnFill(OwnFill),
    /// A request was accepted.
    OrderAck(OrderAck),
    /// A request was refused.
    OrderRejected(OrderRejected),
    /// A request's outcome is unknown (timeout, 5xx, lost connection).
    OrderUnknown {
        /// Our client id.
        client_order_id: ClientOrderId,
        /// Which request's outcome was lost (place, amend, decrease, cancel).
        request: RequestKind,
    },
    /// The exchange's view of one of our orders (`user_order` stream or a lookup).
    OrderSnapshot(OrderSnapshot),
    /// A lookup found no order with this client id: it never reached the book.
    OrderNotFound {
        /// Our client id.
        client_order_id: ClientOrderId,
    },
    /// A cancel was acknowledged.
    CancelAck(CancelAck),
    /// The exchange's view of a position (`market_positions`).
    PositionSnapshot(PositionSnapshot),
    /// A market lifecycle change.
    Lifecycle(LifecycleChange),
    /// An external model's YES probability, parts per million.
    ModelProbability {
        /// Market ticker.
        ticker: String,
        /// Probability of YES, 0..=1 000 000.
        probability_ppm: u32,
    },
    /// Startup or reconnect reconciliation is complete: the exchange's orders and positions.
    Reconciled {
        /// Every resting order of the account.
        orders: Vec<OrderSnapshot>,
        /// Every position of the account.
        positions: Vec<PositionSnapshot>,
    },
    /// A timer fired.
    Timer {
        /// Which timer.
        kind: TimerKind,
    },
    /// An operator control.
    Control(ControlCommand),
    /// Exchange-wide trading status (`GET /exchange/status`, pauses).
    ExchangeStatus {
        /// Whether orders may be placed and amended.
        trading_active: bool,
    },
    /// The risk state journaled by a previous run, replayed into a fresh engine at start.
    RiskStateRestored(RiskStateRecord),
    /// The market-data or order feed reconnected after an outage: fills and order updates may
    /// have been missed, so no new order (and no size-increasing amend) is sent until the next
    /// [`Event::Reconciled`]. Cancels and decreases still flow. Appended last so journals
    /// written before it still decode.
    FeedReconnected,
    /// The runtime measured how far behind its inputs the engine is (the age of the input about
    /// to be processed, from its arrival to now). `stale: true` withdraws every quote and holds
    /// quoting until a later `FeedLag { stale: false, .. }`: nothing is decided on data older
    /// than the runtime's bound. Appended last so journals written before it still decode.
    FeedLag {
        /// Age of the input that was about to be processed, ms.
        lag_ms: u64,
        /// Whether that age is beyond the bound.
        stale: bool,
    },
    /// Fee parameters that take effect now (a scheduled series or event fee change reached
    /// its time): each market's schedule is replaced and its quotes re-priced. Appended last
    /// so journals written before it still decode.
    FeesChanged(Vec<MarketFee>),
    /// Engine settings added after record format 2 in the first tuning release's form
    /// ([`crate::vocab::tuning::TuningV1`]); read from that release's journals, no longer sent.
    Tuning(TuningV1),
    /// Engine settings added after record format 2 ([`crate::tuning`]), sent by new runs
    /// right after the configuration; a setting missing from the list keeps its
    /// before-tuning value. Appended last so journals written before it still decode.
    TuningSettings(Vec<TuningSetting>),
    /// An operator control sent to the running bot (`kalshi-bot ctl`), with who sent it; the
    /// envelope's time says when. Appended last so journals written before it still decode.
    Operator(OperatorControl),
    /// A setting an operator changed on the running bot (`kalshi-bot ctl set`), with who
    /// changed it. Appended last so journals written before it still decode.
    OperatorSet(OperatorSet),
    /// A market's public trades read over REST, covering the time from `covered_from_ns` to
    /// the read: they join the market's trade tape (trades it already has, by trade id, are
    /// skipped) and the tape is declared complete from `covered_from_ns`. Sent before the
    /// listing that the universe is chosen from. Appended last so journals written before it
    /// still decode.
    TradeHistory(TradeHistory),
    /// Where our resting orders stand in the exchange's queues, read over REST on the drift
    /// monitor's budgeted schedule. Informational: the engine ignores it; the drift monitor
    /// compares it with its fill model's queue. Appended last so journals written before it
    /// still decode.
    QueuePositions(QueuePositions),
}

/// An operator's live change of one setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSet {
    /// Unix user id of the process that sent it (the socket peer).
    pub peer_uid: u32,
    /// The setting and its new value.
    pub setting: LiveSetting,
}

/// The settings that are safe to change while running: the quoting edge, and risk limits
/// that may only tighten (the engine refuses a looser value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveSetting {
    /// `engine.ev_gate.min_edge_micros`: the edge every quote must clear (0 or more).
    MinEdgeMicros(i64),
    /// `engine.risk.order_contracts_max` (tighten only).
    OrderContractsMax(Count),
    /// `engine.risk.market_position_max` (tighten only).
    MarketPositionMax(Count),
    /// `engine.risk.event_position_max` (tighten only).
    EventPositionMax(Count),
    /// `engine.risk.account_exposure_max` (tighten only).
    AccountExposureMax(Money),
    /// `engine.risk.open_orders_per_market_max` (tighten only).
    OpenOrdersPerMarketMax(u32),
    /// `engine.risk.daily_loss_stop` (tighten only: a smaller loss stops).
    DailyLossStop(Money),
    /// `engine.risk.daily_loss_reducing` (tighten only).
    DailyLossReducing(Money),
    /// `engine.scanner.spread_ticks_max`: the widest spread quoted, ticks (either way; the
    /// live filters judge every book against it at once). Appended last.
    SpreadTicksMax(i64),
    /// `engine.strategy.base_size`: a rung's size before depth scaling (either way, within
    /// `size_cap`). Appended last.
    RungBaseSize(Count),
    /// `engine.strategy.size_cap`: the largest rung (either way, at least `base_size`).
    /// Appended last.
    RungSizeCap(Count),
}

/// An operator control as the runtime accepted it from its local control channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorControl {
    /// Unix user id of the process that sent it (the socket peer).
    pub peer_uid: u32,
    /// What it asks for.
    pub command: ControlCommand,
    /// The operator confirmed lifting a HALT that the daily loss stop (or a previous run)
    /// caused; a `Resume` without it leaves such a HALT in force.
    pub confirm_daily_loss: bool,
}

/// One market's public trades read over REST (see [`Event::TradeHistory`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeHistory {
    /// Market ticker.
    pub ticker: String,
    /// Every trade of the market from this time (Unix ns) up to the read is in `trades`.
    pub covered_from_ns: i64,
    /// The trades, oldest first.
    pub trades: Vec<PublicTrade>,
}

/// One read of our resting orders' queue positions (see [`Event::QueuePositions`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePositions {
    /// The markets the read asked about.
    pub tickers: Vec<String>,
    /// One row per resting order the exchange reported.
    pub orders: Vec<OrderQueuePosition>,
}

/// Contracts ahead of one of our resting orders at its price, as the exchange reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderQueuePosition {
    /// Exchange order id.
    pub order_id: String,
    /// Market ticker.
    pub ticker: String,
    /// Contracts that match before this order does (price-time priority).
    pub ahead: Count,
}

/// The fee parameters of one market from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketFee {
    /// Market ticker.
    pub ticker: String,
    /// The series' (or the event's overriding) fee type and multiplier.
    pub fee: FeeParams,
}

impl Event {
    /// The market the event concerns, if it concerns one.
    pub fn ticker(&self) -> Option<&str> {
        match self {
            Event::BookSnapshot(snapshot) => Some(&snapshot.ticker),
            Event::BookDelta(delta) => Some(&delta.ticker),
            Event::BookInvalidated { ticker, .. } | Event::ModelProbability { ticker, .. } => {
                Some(ticker)
            }
            Event::PublicTrade(trade) => Some(&trade.ticker),
            Event::OwnFill(fill) => Some(&fill.ticker),
            Event::OrderSnapshot(order) => Some(&order.ticker),
            Event::PositionSnapshot(position) => Some(&position.ticker),
            Event::Lifecycle(change) => Some(&change.ticker),
            Event::TradeHistory(history) => Some(&history.ticker),
            _ => None,
        }
    }

    /// One readable line for transcripts.
    pub fn transcript_line(&self) -> String {
        self.to_string()
    }
}

impl Envelope {
    /// `#seq @ts_ns <event>`.
    pub fn transcript_line(&self) -> String {
        format!("#{} @{} {}", self.seq, self.ts_ns, self.event)
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Config(config) => write!(
                f,
                "CONFIG run={} rungs={} min_edge_micros={}",
                config.run_id, config.strategy.rungs_per_side, config.ev_gate.min_edge_micros
            ),
            Event::MarketListing(markets) => {
                write!(f, "LISTING {} markets", markets.len())?;
                for market in markets.iter().take(5) {
                    write!(f, " {}:{}", market.ticker, market.status.as_str())?;
                }
                if markets.len() > 5 {
                    f.write_str(" …")?;
                }
                Ok(())
            }
            Event::BookSnapshot(snapshot) => {
                let best_bid = snapshot.bids.iter().map(|level| level.price).max();
                let best_ask = snapshot.asks.iter().map(|level| level.price).min();
                write!(
                    f,
                    "SNAPSHOT {} bids={} asks={} best={}/{}",
                    snapshot.ticker,
                    snapshot.bids.len(),
                    snapshot.asks.len(),
                    best_bid.map_or_else(|| "-".to_string(), |p| p.to_string()),
                    best_ask.map_or_else(|| "-".to_string(), |p| p.to_string())
                )
            }
            Event::BookDelta(delta) => {
                write!(
                    f,
                    "DELTA {} {} {} {}",
                    delta.ticker,
                    delta.side.as_str(),
                    delta.price,
                    delta.delta
                )
            }
            Event::BookInvalidated { ticker, reason } => {
                write!(f, "BOOK_INVALID {ticker} {}", reason.as_str())
            }
            Event::PublicTrade(trade) => write!(
                f,
                "TRADE {} {}@{} taker={}",
                trade.ticker,
                trade.count,
                trade.yes_price,
                trade.taker_side.as_str()
            ),
            Event::OwnFill(fill) => write!(
                f,
                "FILL {} {} {} {}@{} fee={} id={}",
                fill.ticker,
                fill.client_order_id.as_deref().unwrap_or("-"),
                fill.side.as_str(),
                fill.count,
                fill.yes_price,
                fill.fee,
                fill.fill_id
            ),
            Event::OrderAck(ack) => write!(
                f,
                "ACK {:?} {} order={} filled={} remaining={}",
                ack.request, ack.client_order_id, ack.order_id, ack.fill_count, ack.remaining_count
            ),
            Event::OrderRejected(rejected) => write!(
                f,
                "REJECTED {:?} {} code={} {}",
                rejected.request, rejected.client_order_id, rejected.code, rejected.message
            ),
            Event::OrderUnknown {
                client_order_id,
                request,
            } => write!(f, "UNKNOWN {request:?} {client_order_id}"),
            Event::OrderSnapshot(order) => write!(
                f,
                "ORDER {} {} {:?} {} @{} filled={} remaining={}",
                order.ticker,
                order.client_order_id.as_deref().unwrap_or("-"),
                order.status,
                order.side.as_str(),
                order.yes_price,
                order.fill_count,
                order.remaining_count
            ),
            Event::OrderNotFound { client_order_id } => write!(f, "NOT_FOUND {client_order_id}"),
            Event::CancelAck(ack) => {
                write!(
                    f,
                    "CANCEL_ACK {} order={} reduced_by={}",
                    ack.client_order_id, ack.order_id, ack.reduced_by
                )
            }
            Event::PositionSnapshot(position) => {
                write!(
                    f,
                    "POSITION {} {} cost={}",
                    position.ticker, position.position, position.cost
                )
            }
            Event::Lifecycle(change) => write!(f, "LIFECYCLE {} {:?}", change.ticker, change.kind),
            Event::ModelProbability {
                ticker,
                probability_ppm,
            } => write!(f, "MODEL {ticker} p_ppm={probability_ppm}"),
            Event::Reconciled { orders, positions } => {
                write!(
                    f,
                    "RECONCILED orders={} positions={}",
                    orders.len(),
                    positions.len()
                )
            }
            Event::Timer { kind } => write!(f, "TIMER {kind:?}"),
            Event::Control(control) => write!(f, "CONTROL {control:?}"),
            Event::ExchangeStatus { trading_active } => {
                write!(f, "EXCHANGE trading_active={trading_active}")
            }
            Event::RiskStateRestored(record) => write!(f, "RISK_RESTORED {record}"),
            Event::FeedReconnected => f.write_str("FEED_RECONNECTED"),
            Event::FeedLag { lag_ms, stale } => {
                write!(f, "FEED_LAG lag_ms={lag_ms} stale={stale}")
            }
            Event::Tuning(tuning) => write!(f, "TUNING {tuning:?}"),
            Event::TuningSettings(settings) => write!(f, "TUNING_SETTINGS {settings:?}"),
            Event::OperatorSet(set) => {
                write!(f, "OPERATOR_SET {:?} uid={}", set.setting, set.peer_uid)
            }
            Event::Operator(control) => write!(
                f,
                "OPERATOR {:?} uid={} confirm_daily_loss={}",
                control.command, control.peer_uid, control.confirm_daily_loss
            ),
            Event::FeesChanged(fees) => {
                f.write_str("FEES_CHANGED")?;
                for change in fees {
                    write!(
                        f,
                        " {}={}x{}ppm",
                        change.ticker, change.fee.fee_type, change.fee.multiplier_ppm
                    )?;
                }
                Ok(())
            }
            Event::TradeHistory(history) => write!(
                f,
                "TRADE_HISTORY {} trades={} from={}",
                history.ticker,
                history.trades.len(),
                history.covered_from_ns
            ),
            Event::QueuePositions(read) => {
                write!(f, "QUEUE_POSITIONS markets={}", read.tickers.len())?;
                for row in &read.orders {
                    write!(f, " {}={}", row.order_id, row.ahead)?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::Price;
    use crate::market_data::BookLevel;

    #[test]
    fn envelopes_round_trip_through_json() {
        let envelope = Envelope {
            seq: 7,
            ts_ns: 1_000,
            event: Event::BookSnapshot(BookSnapshot {
                ticker: "M".to_string(),
                bids: vec![BookLevel {
                    price: Price::parse("0.40").unwrap(),
                    size: Count::from_contracts(3).unwrap(),
                }],
                asks: vec![],
                clock: Some(9),
            }),
        };
        let text = serde_json::to_string(&envelope).unwrap();
        let back: Envelope = serde_json::from_str(&text).unwrap();
        assert_eq!(back, envelope);
        assert_eq!(
            envelope.transcript_line(),
            "#7 @1000 SNAPSHOT M bids=1 asks=0 best=0.4000/-"
        );
    }

    #[test]
    fn config_event_round_trips() {
        let event = Event::Config(Box::default());
        let back: Event = serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
        assert_eq!(back, event);
    }
}
