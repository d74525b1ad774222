//! The drift monitor: how far the fill model is from the exchange a run really traded on.
//!
//! A [`DriftMonitor`] is fed a trading run's journal one record at a time (every input, then
//! the commands the engine produced for it) — live by the runtime, offline by `kalshi-bot
//! drift --journal RUN` — and runs a [`FillSimulator`] alongside as a *shadow*:
//!
//! - the shadow sees the run's market data. Book deltas our own orders caused (the feed tags
//!   them with our client id) are left out, and a book snapshot has our known resting size
//!   taken off, so the shadow's book is the other participants' book, as in a backtest;
//! - the shadow receives our real orders ([`ShadowTiming`]): by default when the exchange
//!   acknowledged them (a placement, amend or decrease at its ack, a cancel at its cancel ack
//!   or at the exchange's report of the order cancelled; a refused command never reaches
//!   it), or at the engine's command time plus the model's latencies, as a backtest sends
//!   them (a placement the exchange refused is then cancelled when the refusal arrives);
//! - every [`Event::QueuePositions`] read is compared with the shadow's modelled queue ahead
//!   of the same order: queue error = modelled − exchange, per order per read;
//! - the shadow's fills are matched with the real ones ([`Event::OwnFill`]), per order,
//!   contract by contract, earliest first, when they happened within the tolerance of each
//!   other: precision = matched / shadow contracts, recall = matched / real contracts; the
//!   time-to-fill error is the shadow's first fill of an order minus the real first fill.
//!
//! Pure: no clock (all times are the journal's), so the live figures and the offline ones are
//! the same numbers. [`calibrate`] runs the monitor over a journal for a grid of fill-model
//! settings and ranks them by fit ([`calibration`]).

pub mod calibration;

pub use calibration::{
    CALIBRATION_LATENCIES_MS, CalibrationPoint, apply_fill_setting, calibrate, calibration_grid,
    set_lines,
};

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use kalshi_core::commands::{CancelOrder, Command};
use kalshi_core::events::{Envelope, Event, QueuePositions, RequestKind};
use kalshi_core::market_data::{BookLevel, BookSnapshot, ExchangeOrderStatus, OwnFill};
use kalshi_core::{BookSide, Count, Price, SignedCount};
use kalshi_journal::JournalRecord;

use crate::error::ReplayError;
use crate::fill_sim::{FillModelConfig, FillSimulator, SimEvent};

/// Default tolerance between a shadow fill and the real fill it matches, ms.
pub const DEFAULT_FILL_TOLERANCE_MS: i64 = 1_000;
/// Most per-order rows a report keeps (the orders with the largest queue error first).
pub const REPORT_ORDERS_MAX: usize = 200;

const NS_PER_MS: i64 = 1_000_000;
const PPM: i64 = 1_000_000;

/// When our orders reach the shadow's book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShadowTiming {
    /// When the exchange acknowledged them: a placement, amend or decrease at its ack, a
    /// cancel at its cancel ack (the model's latencies are not used). Measures the queue and
    /// fill rules alone (the default).
    #[default]
    Acked,
    /// When the engine issued them, plus the model's latencies, as a backtest does. Measures
    /// the latencies too (the calibration's mode).
    Commanded,
}

/// Settings of a drift monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftSettings {
    /// The fill model the shadow runs.
    pub fill_model: FillModelConfig,
    /// Largest time between a shadow fill and the real fill it matches, ms.
    pub fill_tolerance_ms: i64,
    /// When our orders reach the shadow.
    #[serde(default)]
    pub timing: ShadowTiming,
}

impl Default for DriftSettings {
    fn default() -> DriftSettings {
        DriftSettings {
            fill_model: FillModelConfig::default(),
            fill_tolerance_ms: DEFAULT_FILL_TOLERANCE_MS,
            timing: ShadowTiming::Acked,
        }
    }
}

/// One of our orders as the run really had it.
#[derive(Debug, Clone)]
struct RealOrder {
    ticker: String,
    side: BookSide,
    price: Price,
    /// Contracts resting at the exchange as far as the journal says (0 until acked).
    resting: Count,
}

/// Fills of one order, real and shadow, `(ts_ns, contracts)` in time order.
#[derive(Debug, Clone, Default)]
struct OrderFills {
    real: Vec<(i64, Count)>,
    shadow: Vec<(i64, Count)>,
}

/// Queue comparisons of one order.
#[derive(Debug, Clone, Default)]
struct OrderQueue {
    reads: u64,
    abs_error_max: Count,
    abs_error_sum_centi: i64,
    last_modelled: Count,
    last_exchange: Count,
}

/// The queue and fill comparison of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDrift {
    /// Our client id.
    pub client_order_id: String,
    /// Market ticker.
    pub ticker: String,
    /// `bid` or `ask`.
    pub side: BookSide,
    /// Limit YES price (the last one, after amends).
    pub price: Price,
    /// Queue-position reads compared.
    pub queue_reads: u64,
    /// Largest |modelled − exchange| queue ahead over those reads.
    pub queue_abs_error_max: Count,
    /// Mean |modelled − exchange| over those reads.
    pub queue_abs_error_mean: Count,
    /// Modelled queue ahead at the last read.
    pub last_modelled_ahead: Count,
    /// The exchange's queue ahead at the last read.
    pub last_exchange_ahead: Count,
    /// Contracts the exchange filled.
    pub real_filled: Count,
    /// Contracts the shadow filled.
    pub shadow_filled: Count,
    /// The shadow's first fill of the order minus the real first fill, ms (both filled).
    pub fill_time_error_ms: Option<i64>,
}

/// Drift figures so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftReport {
    /// The fill model the shadow ran.
    pub fill_model: FillModelConfig,
    /// The fill-matching tolerance, ms.
    pub fill_tolerance_ms: i64,
    /// Orders the engine placed.
    pub orders: u64,
    /// Contracts the exchange filled.
    pub real_fill_contracts: Count,
    /// Contracts the shadow filled.
    pub shadow_fill_contracts: Count,
    /// Shadow contracts matched by a real fill of the same order within the tolerance.
    pub matched_contracts: Count,
    /// matched / shadow, parts per million (`None` without shadow fills).
    pub precision_ppm: Option<i64>,
    /// matched / real, parts per million (`None` without real fills).
    pub recall_ppm: Option<i64>,
    /// Harmonic mean of precision and recall, ppm (`None` when either is missing).
    pub f1_ppm: Option<i64>,
    /// Orders filled both really and in the shadow (time-to-fill samples).
    pub fill_time_samples: u64,
    /// Median |shadow first fill − real first fill|, ms.
    pub fill_time_abs_error_p50_ms: Option<i64>,
    /// 90th percentile of the same, ms.
    pub fill_time_abs_error_p90_ms: Option<i64>,
    /// Queue-position rows compared with a resting shadow order.
    pub queue_samples: u64,
    /// Rows whose order the shadow did not have resting (filled or not yet arrived there).
    pub queue_unmodelled: u64,
    /// Median |modelled − exchange| queue ahead.
    pub queue_abs_error_p50: Count,
    /// 90th percentile of the same.
    pub queue_abs_error_p90: Count,
    /// Mean modelled − exchange (positive: the model puts us further back than we are).
    pub queue_bias: SignedCount,
    /// Book deltas the feed tagged as our own orders' (left out of the shadow's book).
    #[serde(default)]
    pub own_deltas: u64,
    /// When our orders reached the shadow.
    #[serde(default)]
    pub timing: ShadowTiming,
    /// Median time from a placement to its ack, ns (the measured round trip).
    #[serde(default)]
    pub place_ack_p50_ns: Option<i64>,
    /// Median time from a cancel to its ack, ns.
    #[serde(default)]
    pub cancel_ack_p50_ns: Option<i64>,
    /// Per-order figures: orders with queue reads or fills, largest queue error first, at
    /// most [`REPORT_ORDERS_MAX`].
    pub per_order: Vec<OrderDrift>,
}

impl DriftReport {
    /// One short line for the status line and the run summary.
    pub fn line(&self) -> String {
        format!(
            "drift: precision={} recall={} fills real={} shadow={} matched={} \
             fill_time_err_p50_ms={} queue_err_p50={} p90={} bias={} reads={}",
            ratio_text(self.precision_ppm),
            ratio_text(self.recall_ppm),
            self.real_fill_contracts,
            self.shadow_fill_contracts,
            self.matched_contracts,
            self.fill_time_abs_error_p50_ms
                .map_or_else(|| "-".to_string(), |ms| ms.to_string()),
            self.queue_abs_error_p50,
            self.queue_abs_error_p90,
            self.queue_bias,
            self.queue_samples,
        )
    }
}

/// A ppm ratio as a decimal with three places (`0.953`), `-` when missing.
pub fn ratio_text(ppm: Option<i64>) -> String {
    match ppm {
        Some(ppm) => format!("{}.{:03}", ppm / PPM, (ppm % PPM) / 1_000),
        None => "-".to_string(),
    }
}

/// The shadow fill simulator and the comparison. See the module documentation.
#[derive(Debug, Clone)]
pub struct DriftMonitor {
    settings: DriftSettings,
    shadow: FillSimulator,
    /// Time of the input being processed (commands take it).
    now_ns: i64,
    orders: BTreeMap<String, RealOrder>,
    orders_placed: u64,
    /// Exchange order id → client id.
    order_ids: BTreeMap<String, String>,
    fills: BTreeMap<String, OrderFills>,
    fill_ids: BTreeSet<String>,
    queues: BTreeMap<String, OrderQueue>,
    /// Signed queue errors (modelled − exchange), centi-contracts.
    queue_errors_centi: Vec<i64>,
    queue_unmodelled: u64,
    own_deltas: u64,
    /// Commands not yet answered, per client id: when they were issued and what they were.
    sent: BTreeMap<String, Vec<(i64, Command)>>,
    /// Issue → acknowledgement of placements, and of cancels, ns.
    place_ack_ns: Vec<i64>,
    cancel_ack_ns: Vec<i64>,
    /// Market, side and last price of finished orders that had fills or queue reads (for
    /// the per-order rows).
    finished: BTreeMap<String, (String, BookSide, Price)>,
}

impl DriftMonitor {
    /// A monitor with an empty shadow.
    pub fn new(settings: DriftSettings) -> Result<DriftMonitor, ReplayError> {
        if settings.fill_tolerance_ms < 0 {
            return Err(ReplayError::InvalidConfig {
                field: "fill_tolerance_ms",
                reason: format!("{} is negative", settings.fill_tolerance_ms),
            });
        }
        let mut shadow_model = settings.fill_model.clone();
        shadow_model.validate()?;
        if settings.timing == ShadowTiming::Acked {
            shadow_model.entry_latency_ns = 0;
            shadow_model.cancel_latency_ns = 0;
        }
        let shadow = FillSimulator::new(shadow_model)?;
        Ok(DriftMonitor {
            settings,
            shadow,
            now_ns: i64::MIN,
            orders: BTreeMap::new(),
            orders_placed: 0,
            order_ids: BTreeMap::new(),
            fills: BTreeMap::new(),
            fill_ids: BTreeSet::new(),
            queues: BTreeMap::new(),
            queue_errors_centi: Vec::new(),
            queue_unmodelled: 0,
            own_deltas: 0,
            sent: BTreeMap::new(),
            place_ack_ns: Vec::new(),
            cancel_ack_ns: Vec::new(),
            finished: BTreeMap::new(),
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &DriftSettings {
        &self.settings
    }

    /// Markets where we have orders resting as far as the journal says, sorted.
    pub fn resting_tickers(&self) -> Vec<String> {
        let tickers: BTreeSet<&String> = self
            .orders
            .values()
            .filter(|order| !order.resting.is_zero())
            .map(|order| &order.ticker)
            .collect();
        tickers.into_iter().cloned().collect()
    }

    /// Feeds one journal record (inputs and commands; everything else is ignored).
    pub fn on_record(&mut self, record: &JournalRecord) -> Result<(), ReplayError> {
        match record {
            JournalRecord::Input(envelope) => self.on_input(envelope),
            JournalRecord::OutputCommand { command, .. } => {
                self.on_command(command);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Feeds one input, as journaled. Shadow actions due by its time run first.
    pub fn on_input(&mut self, envelope: &Envelope) -> Result<(), ReplayError> {
        let ts_ns = envelope.ts_ns.max(self.now_ns);
        self.run_due(ts_ns)?;
        self.now_ns = ts_ns;
        match &envelope.event {
            Event::BookDelta(delta) if delta.client_order_id.is_some() => {
                self.own_deltas += 1;
                self.shadow.on_own_delta(delta);
            }
            Event::BookSnapshot(snapshot) => {
                let others = self.others_book(snapshot);
                let events = self
                    .shadow
                    .on_market_event(ts_ns, &Event::BookSnapshot(others))?;
                self.take_shadow_events(events);
            }
            Event::MarketListing(_) | Event::BookDelta(_) | Event::PublicTrade(_) => {
                let events = self.shadow.on_market_event(ts_ns, &envelope.event)?;
                self.take_shadow_events(events);
            }
            Event::OrderAck(ack) => {
                let key = ack.client_order_id.to_string();
                self.order_ids.insert(ack.order_id.clone(), key.clone());
                if let Some(order) = self.orders.get_mut(&key) {
                    order.resting = ack.remaining_count;
                }
                if let Some((sent_ns, command)) = self.answered(&key, ack.request) {
                    if ack.request == RequestKind::Place {
                        self.place_ack_ns.push(ts_ns.saturating_sub(sent_ns));
                    }
                    if self.settings.timing == ShadowTiming::Acked {
                        self.shadow.submit(ts_ns, &command);
                    }
                }
            }
            Event::OrderRejected(rejected) => {
                let key = rejected.client_order_id.to_string();
                self.answered(&key, rejected.request);
                if rejected.request == RequestKind::Place
                    && let Some(order) = self.orders.remove(&key)
                    && self.settings.timing == ShadowTiming::Commanded
                {
                    self.fills.remove(&key);
                    // The exchange never had it: the shadow must not keep it either.
                    self.shadow.submit(
                        ts_ns,
                        &Command::Cancel(CancelOrder {
                            client_order_id: rejected.client_order_id.clone(),
                            order_id: None,
                            ticker: order.ticker,
                        }),
                    );
                }
            }
            Event::CancelAck(ack) => {
                let key = ack.client_order_id.to_string();
                if let Some((sent_ns, _)) = self.answered(&key, RequestKind::Cancel) {
                    self.cancel_ack_ns.push(ts_ns.saturating_sub(sent_ns));
                }
                if self.settings.timing == ShadowTiming::Acked {
                    self.shadow.submit(
                        ts_ns,
                        &Command::Cancel(CancelOrder {
                            client_order_id: ack.client_order_id.clone(),
                            order_id: None,
                            ticker: self
                                .orders
                                .get(&key)
                                .map(|order| order.ticker.clone())
                                .unwrap_or_default(),
                        }),
                    );
                }
                self.finish(&key);
            }
            Event::OwnFill(fill) => self.on_real_fill(ts_ns, fill),
            // An order the exchange reports cancelled, with or without a cancel ack of ours
            // (a cancel-all, an expiry, the order group's limit): it leaves the shadow too.
            Event::OrderSnapshot(snapshot) if snapshot.status == ExchangeOrderStatus::Canceled => {
                if let Some(key) = snapshot.client_order_id.clone() {
                    if self.settings.timing == ShadowTiming::Acked
                        && let Some(live) = self.shadow.live_order(&key)
                    {
                        let cancel = Command::Cancel(CancelOrder {
                            client_order_id: live.client_order_id.clone(),
                            order_id: None,
                            ticker: live.ticker.clone(),
                        });
                        self.shadow.submit(ts_ns, &cancel);
                    }
                    self.finish(&key);
                }
            }
            Event::QueuePositions(read) => self.on_queue_read(read),
            _ => {}
        }
        Ok(())
    }

    /// Feeds one command the engine issued for the input last fed.
    pub fn on_command(&mut self, command: &Command) {
        match command {
            Command::Place(order) => {
                self.orders_placed += 1;
                self.orders.insert(
                    order.client_order_id.to_string(),
                    RealOrder {
                        ticker: order.ticker.clone(),
                        side: order.side,
                        price: order.price,
                        resting: Count::ZERO,
                    },
                );
            }
            Command::Amend(amend) => {
                if let Some(order) = self.orders.get_mut(&amend.client_order_id.to_string()) {
                    order.price = amend.price;
                }
            }
            _ => {}
        }
        let key = match command {
            Command::Place(order) => Some(order.client_order_id.to_string()),
            Command::Amend(amend) => Some(amend.client_order_id.to_string()),
            Command::Decrease(decrease) => Some(decrease.client_order_id.to_string()),
            Command::Cancel(cancel) => Some(cancel.client_order_id.to_string()),
            Command::CancelAll | Command::LookupOrder { .. } => None,
        };
        if let Some(key) = key {
            self.sent
                .entry(key)
                .or_default()
                .push((self.now_ns, command.clone()));
        }
        if self.settings.timing == ShadowTiming::Commanded {
            self.shadow.submit(self.now_ns, command);
        }
    }

    /// Takes the oldest unanswered command of `kind` sent for `key`.
    fn answered(&mut self, key: &str, kind: RequestKind) -> Option<(i64, Command)> {
        let list = self.sent.get_mut(key)?;
        let index = list.iter().position(|(_, command)| {
            matches!(
                (kind, command),
                (RequestKind::Place, Command::Place(_))
                    | (RequestKind::Amend, Command::Amend(_))
                    | (RequestKind::Decrease, Command::Decrease(_))
                    | (RequestKind::Cancel, Command::Cancel(_))
            )
        })?;
        let taken = list.remove(index);
        if list.is_empty() {
            self.sent.remove(key);
        }
        Some(taken)
    }

    /// Runs the shadow's actions due by `ts_ns` (call at the end of a journal).
    pub fn run_due(&mut self, ts_ns: i64) -> Result<(), ReplayError> {
        while let Some(due_ns) = self.shadow.next_due_ns() {
            if due_ns > ts_ns {
                break;
            }
            let events = self.shadow.run_next_action()?;
            self.take_shadow_events(events);
        }
        Ok(())
    }

    fn take_shadow_events(&mut self, events: Vec<SimEvent>) {
        for SimEvent { ts_ns, event } in events {
            if let Event::OwnFill(fill) = event
                && let Some(key) = fill.client_order_id
            {
                self.fills
                    .entry(key)
                    .or_default()
                    .shadow
                    .push((ts_ns, fill.count));
            }
        }
    }

    fn on_real_fill(&mut self, ts_ns: i64, fill: &OwnFill) {
        if !self.fill_ids.insert(fill.fill_id.clone()) {
            return;
        }
        let key = fill
            .client_order_id
            .clone()
            .or_else(|| self.order_ids.get(&fill.order_id).cloned());
        let Some(key) = key else {
            return;
        };
        // A fill before the order's ack leaves it to the ack to say what rests.
        let done = self.orders.get_mut(&key).is_some_and(|order| {
            let acked = !order.resting.is_zero();
            order.resting = order.resting.saturating_sub(fill.count);
            acked && order.resting.is_zero()
        });
        self.fills
            .entry(key.clone())
            .or_default()
            .real
            .push((ts_ns, fill.count));
        if done {
            self.finish(&key);
        }
    }

    /// Forgets a finished real order, keeping what its per-order row needs when it had fills
    /// or queue reads.
    fn finish(&mut self, key: &str) {
        if let Some(order) = self.orders.remove(key)
            && (self.fills.contains_key(key) || self.queues.contains_key(key))
        {
            self.finished
                .insert(key.to_string(), (order.ticker, order.side, order.price));
        }
    }

    fn on_queue_read(&mut self, read: &QueuePositions) {
        for row in &read.orders {
            let Some(key) = self.order_ids.get(&row.order_id) else {
                self.queue_unmodelled += 1;
                continue;
            };
            let Some(modelled) = self.shadow.live_order(key).map(|order| order.queue_ahead) else {
                self.queue_unmodelled += 1;
                continue;
            };
            let error_centi = modelled.centi() - row.ahead.centi();
            self.queue_errors_centi.push(error_centi);
            let queue = self.queues.entry(key.clone()).or_default();
            let abs = SignedCount::from_centi(error_centi).abs();
            queue.reads += 1;
            queue.abs_error_max = if abs > queue.abs_error_max {
                abs
            } else {
                queue.abs_error_max
            };
            queue.abs_error_sum_centi = queue.abs_error_sum_centi.saturating_add(abs.centi());
            queue.last_modelled = modelled;
            queue.last_exchange = row.ahead;
        }
    }

    /// `snapshot` less the size our resting orders hold in it.
    fn others_book(&self, snapshot: &BookSnapshot) -> BookSnapshot {
        let mut own: BTreeMap<(BookSide, Price), Count> = BTreeMap::new();
        for order in self
            .orders
            .values()
            .filter(|order| order.ticker == snapshot.ticker && !order.resting.is_zero())
        {
            let entry = own.entry((order.side, order.price)).or_insert(Count::ZERO);
            *entry = *entry + order.resting;
        }
        if own.is_empty() {
            return snapshot.clone();
        }
        let less = |side: BookSide, levels: &[BookLevel]| -> Vec<BookLevel> {
            levels
                .iter()
                .map(|level| BookLevel {
                    size: level.size.saturating_sub(
                        own.get(&(side, level.price))
                            .copied()
                            .unwrap_or(Count::ZERO),
                    ),
                    ..*level
                })
                .collect()
        };
        BookSnapshot {
            bids: less(BookSide::Bid, &snapshot.bids),
            asks: less(BookSide::Ask, &snapshot.asks),
            ..snapshot.clone()
        }
    }

    /// The figures so far.
    pub fn report(&self) -> DriftReport {
        let tolerance_ns = self.settings.fill_tolerance_ms.saturating_mul(NS_PER_MS);
        let mut real_total = Count::ZERO;
        let mut shadow_total = Count::ZERO;
        let mut matched_total = Count::ZERO;
        let mut time_errors_ms = Vec::new();
        for fills in self.fills.values() {
            let real: Count = fills.real.iter().fold(Count::ZERO, |sum, f| sum + f.1);
            let shadow: Count = fills.shadow.iter().fold(Count::ZERO, |sum, f| sum + f.1);
            real_total = real_total + real;
            shadow_total = shadow_total + shadow;
            matched_total = matched_total + matched(&fills.real, &fills.shadow, tolerance_ns);
            if let (Some(real), Some(shadow)) = (fills.real.first(), fills.shadow.first()) {
                time_errors_ms.push((shadow.0.saturating_sub(real.0) / NS_PER_MS).abs());
            }
        }
        time_errors_ms.sort_unstable();
        let precision_ppm = ratio_ppm(matched_total, shadow_total);
        let recall_ppm = ratio_ppm(matched_total, real_total);
        let f1_ppm = match (precision_ppm, recall_ppm) {
            (Some(p), Some(r)) if p + r > 0 => Some(2 * p * r / (p + r)),
            (Some(_), Some(_)) => Some(0),
            _ => None,
        };
        let mut abs_errors: Vec<i64> = self.queue_errors_centi.iter().map(|e| e.abs()).collect();
        abs_errors.sort_unstable();
        let samples = i64::try_from(self.queue_errors_centi.len()).unwrap_or(i64::MAX);
        let bias_centi = if samples == 0 {
            0
        } else {
            self.queue_errors_centi
                .iter()
                .fold(0i64, |sum, e| sum.saturating_add(*e))
                / samples
        };
        DriftReport {
            fill_model: self.settings.fill_model.clone(),
            fill_tolerance_ms: self.settings.fill_tolerance_ms,
            orders: self.orders_placed,
            real_fill_contracts: real_total,
            shadow_fill_contracts: shadow_total,
            matched_contracts: matched_total,
            precision_ppm,
            recall_ppm,
            f1_ppm,
            fill_time_samples: time_errors_ms.len() as u64,
            fill_time_abs_error_p50_ms: percentile(&time_errors_ms, 50),
            fill_time_abs_error_p90_ms: percentile(&time_errors_ms, 90),
            queue_samples: self.queue_errors_centi.len() as u64,
            queue_unmodelled: self.queue_unmodelled,
            queue_abs_error_p50: centi_count(percentile(&abs_errors, 50)),
            queue_abs_error_p90: centi_count(percentile(&abs_errors, 90)),
            queue_bias: SignedCount::from_centi(bias_centi),
            own_deltas: self.own_deltas,
            timing: self.settings.timing,
            place_ack_p50_ns: median(&self.place_ack_ns),
            cancel_ack_p50_ns: median(&self.cancel_ack_ns),
            per_order: self.per_order(),
        }
    }

    fn per_order(&self) -> Vec<OrderDrift> {
        let keys: BTreeSet<&String> = self.queues.keys().chain(self.fills.keys()).collect();
        let mut rows: Vec<OrderDrift> = keys
            .into_iter()
            .map(|key| {
                let queue = self.queues.get(key).cloned().unwrap_or_default();
                let fills = self.fills.get(key);
                let total = |list: &[(i64, Count)]| list.iter().fold(Count::ZERO, |s, f| s + f.1);
                let (ticker, side, price) = self
                    .orders
                    .get(key)
                    .map(|o| (o.ticker.clone(), o.side, o.price))
                    .or_else(|| self.finished.get(key).cloned())
                    .unwrap_or_else(|| (String::new(), BookSide::Bid, Price::ZERO));
                let reads = i64::try_from(queue.reads).unwrap_or(i64::MAX).max(1);
                OrderDrift {
                    client_order_id: key.clone(),
                    ticker,
                    side,
                    price,
                    queue_reads: queue.reads,
                    queue_abs_error_max: queue.abs_error_max,
                    queue_abs_error_mean: centi_count(Some(queue.abs_error_sum_centi / reads)),
                    last_modelled_ahead: queue.last_modelled,
                    last_exchange_ahead: queue.last_exchange,
                    real_filled: fills.map_or(Count::ZERO, |f| total(&f.real)),
                    shadow_filled: fills.map_or(Count::ZERO, |f| total(&f.shadow)),
                    fill_time_error_ms: fills.and_then(|f| {
                        Some(f.shadow.first()?.0.saturating_sub(f.real.first()?.0) / NS_PER_MS)
                    }),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            b.queue_abs_error_max
                .cmp(&a.queue_abs_error_max)
                .then_with(|| a.client_order_id.cmp(&b.client_order_id))
        });
        rows.truncate(REPORT_ORDERS_MAX);
        rows
    }
}

/// Contracts of `shadow` matched by `real` fills no further apart than `tolerance_ns`,
/// earliest first (both lists in time order).
fn matched(real: &[(i64, Count)], shadow: &[(i64, Count)], tolerance_ns: i64) -> Count {
    let mut real: Vec<(i64, Count)> = real.to_vec();
    let mut shadow: Vec<(i64, Count)> = shadow.to_vec();
    real.sort_by_key(|f| f.0);
    shadow.sort_by_key(|f| f.0);
    let (mut i, mut j) = (0, 0);
    let mut total = Count::ZERO;
    while i < real.len() && j < shadow.len() {
        let (real_ts, real_left) = real[i];
        let (shadow_ts, shadow_left) = shadow[j];
        if real_ts.abs_diff(shadow_ts) <= tolerance_ns.unsigned_abs() {
            let both = real_left.min(shadow_left);
            total = total + both;
            real[i].1 = real_left.saturating_sub(both);
            shadow[j].1 = shadow_left.saturating_sub(both);
            if real[i].1.is_zero() {
                i += 1;
            }
            if shadow[j].1.is_zero() {
                j += 1;
            }
        } else if real_ts < shadow_ts {
            i += 1;
        } else {
            j += 1;
        }
    }
    total
}

fn ratio_ppm(part: Count, whole: Count) -> Option<i64> {
    if whole.is_zero() {
        return None;
    }
    let ppm = i128::from(part.centi()) * i128::from(PPM) / i128::from(whole.centi());
    i64::try_from(ppm).ok()
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], pct: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() * pct).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn median(values: &[i64]) -> Option<i64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    percentile(&sorted, 50)
}

fn centi_count(centi: Option<i64>) -> Count {
    centi
        .and_then(|centi| Count::from_centi(centi).ok())
        .unwrap_or(Count::ZERO)
}

/// Runs a monitor with `settings` over `records` and returns its final report.
pub fn drift_of(
    records: &[JournalRecord],
    settings: DriftSettings,
) -> Result<DriftReport, ReplayError> {
    let mut monitor = DriftMonitor::new(settings)?;
    let mut last_ns = i64::MIN;
    for record in records {
        if let JournalRecord::Input(envelope) = record {
            last_ns = last_ns.max(envelope.ts_ns);
        }
        monitor.on_record(record)?;
    }
    monitor.run_due(last_ns)?;
    Ok(monitor.report())
}
