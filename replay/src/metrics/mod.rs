//! Backtest metrics: P&L, fees, activity, inventory, drawdown, markouts and time quoted, for
//! the whole run and per market, plus the time series the HTML report draws.
//!
//! Money is exact ([`Money`], micro-dollars); ratios are integer parts per million; markouts
//! are micro-dollars per contract (volume-weighted, truncated toward zero).
//!
//! - **P&L** (`pnl`, and `gross_pnl` / `fees` / `net_pnl` derived from it) is the one
//!   definition of [`kalshi_core::pnl`], over the backtest engine's final positions and
//!   market states: realized net of fees, fees, unrealized at the mark (the result once
//!   known, else a valid book's mid, else the last trade), total. `net_pnl = pnl.total`,
//!   `gross_pnl = pnl.total + pnl.fees`.
//! - **Equity** (the chart and the drawdown) = cash from fills − fees + Σ position × mark
//!   while the run goes, the mark being the simulator's visible mid (else the last trade);
//!   its last point is the final `pnl.total`.
//! - **Markout** at horizon h of a fill at price p: (mark in force at fill time + h − p),
//!   signed + for buys and − for sells. Fills whose horizon ends after the data are left out
//!   (`markouts_*_count` says how many were used).
//! - **Time quoted**: ns during which at least one of our orders rested (in any market for
//!   the total, in the market for the breakdown) over the span from first to last event.
//!
//! The collector is here; the result records it produces are in `results.rs`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use kalshi_core::commands::Command;
use kalshi_core::engine::Engine;
use kalshi_core::events::Event;
use kalshi_core::market_data::{LifecycleKind, MarketResult, OwnFill};
use kalshi_core::pnl::{self, MarkSource, PnlBreakdown};
use kalshi_core::{BookSide, Count, Money, Price, SignedCount};

use crate::fill_sim::{FillSimulator, cash_flow};
use crate::series_thinning::LineThinning;

mod results;

pub use results::{
    DataFidelity, FILL_MARKS_MAX, FillMark, MarketMetrics, Metrics, QuoteSample, Series, Valuation,
};

/// One minute in ns.
pub const MINUTE_NS: i64 = 60_000_000_000;

#[derive(Debug, Clone, Copy)]
struct PendingMarkout {
    due_ns: i64,
    horizon: usize,
    sign: i64,
    price_micros: i64,
    count_centi: i64,
}

#[derive(Debug, Clone, Default)]
struct MarketAccumulator {
    cash: Money,
    fees: Money,
    orders: u64,
    fills: u64,
    placed: Count,
    filled: Count,
    maker: Count,
    position: SignedCount,
    inventory_max_abs: Count,
    mark_micros: Option<i64>,
    last_fill_price: Option<Price>,
    settlement: Option<Price>,
    pending: VecDeque<PendingMarkout>,
    markout_sum: [i128; 2],
    markout_centi: [i128; 2],
    markout_count: [u64; 2],
    time_quoted_ns: i64,
    /// This market's share of the collector's running equity, as last computed.
    equity_micros: i128,
}

impl MarketAccumulator {
    fn value_micros(&self) -> i128 {
        let mark = self
            .settlement
            .map(Price::micros)
            .or(self.mark_micros)
            .or(self.last_fill_price.map(Price::micros))
            .unwrap_or(0);
        i128::from(self.position.centi()) * i128::from(mark) / 100
    }

    fn resolve_due(&mut self, before_ns: i64, inclusive: bool) {
        let Some(mark) = self.mark_micros else { return };
        let (sum, centi, count) = (
            &mut self.markout_sum,
            &mut self.markout_centi,
            &mut self.markout_count,
        );
        self.pending.retain(|pending| {
            let due = if inclusive {
                pending.due_ns <= before_ns
            } else {
                pending.due_ns < before_ns
            };
            if due {
                let per_contract =
                    i128::from(pending.sign) * i128::from(mark - pending.price_micros);
                sum[pending.horizon] += per_contract * i128::from(pending.count_centi);
                centi[pending.horizon] += i128::from(pending.count_centi);
                count[pending.horizon] += 1;
            }
            !due
        });
    }
}

/// Accumulates metrics while a backtest runs. The driver calls [`advance`](Self::advance)
/// before the simulator changes at a time, [`observe_live`](Self::observe_live) after.
#[derive(Debug, Clone)]
pub struct MetricsCollector {
    horizons_ns: [i64; 2],
    markets: BTreeMap<String, MarketAccumulator>,
    /// Markets with a resting order of ours at the last `observe_live`.
    live_markets: BTreeSet<String>,
    /// Markets of `live_markets` whose last quote sample offered was not kept (thinned away,
    /// or dropped when its line was halved): they offer it again at every `observe_live`.
    unsettled: BTreeSet<String>,
    /// Reused by `observe_live`: the markets to visit.
    scratch_visit: Vec<String>,
    /// Σ over markets of cash − fees + position × mark, kept as each market changes.
    equity_micros: i128,
    /// Reused by `observe_live`: one market's resting bid prices.
    scratch_bids: Vec<Price>,
    /// Reused by `observe_live`: one market's resting ask prices.
    scratch_asks: Vec<Price>,
    start_ts_ns: Option<i64>,
    last_ts_ns: i64,
    inputs: u64,
    cancels: u64,
    time_quoted_ns: i64,
    peak_micros: i128,
    max_drawdown_micros: i128,
    series: Series,
    /// Thinning of `series.equity` and `series.inventory`.
    equity_thinning: LineThinning,
    inventory_thinning: LineThinning,
    /// Thinning of each market's quote samples.
    quote_thinning: BTreeMap<String, LineThinning>,
    /// Thinning of each market's equity and inventory lines.
    market_thinning: BTreeMap<String, [LineThinning; 2]>,
}

impl Default for MetricsCollector {
    fn default() -> MetricsCollector {
        MetricsCollector::new()
    }
}

impl MetricsCollector {
    /// A collector with 1- and 5-minute markouts.
    pub fn new() -> MetricsCollector {
        MetricsCollector {
            horizons_ns: [MINUTE_NS, 5 * MINUTE_NS],
            markets: BTreeMap::new(),
            live_markets: BTreeSet::new(),
            unsettled: BTreeSet::new(),
            scratch_visit: Vec::new(),
            equity_micros: 0,
            scratch_bids: Vec::new(),
            scratch_asks: Vec::new(),
            start_ts_ns: None,
            last_ts_ns: 0,
            inputs: 0,
            cancels: 0,
            time_quoted_ns: 0,
            peak_micros: 0,
            max_drawdown_micros: 0,
            series: Series::default(),
            equity_thinning: LineThinning::default(),
            inventory_thinning: LineThinning::default(),
            quote_thinning: BTreeMap::new(),
            market_thinning: BTreeMap::new(),
        }
    }

    /// Moves the clock to `ts_ns`, crediting time quoted for the interval just ended.
    pub fn advance(&mut self, ts_ns: i64) {
        let Some(_) = self.start_ts_ns else {
            self.start_ts_ns = Some(ts_ns);
            self.last_ts_ns = ts_ns;
            return;
        };
        let elapsed = ts_ns.saturating_sub(self.last_ts_ns).max(0);
        if elapsed > 0 {
            if !self.live_markets.is_empty() {
                self.time_quoted_ns += elapsed;
            }
            for ticker in &self.live_markets {
                if let Some(market) = self.markets.get_mut(ticker) {
                    market.time_quoted_ns += elapsed;
                }
            }
            self.last_ts_ns = ts_ns;
        }
    }

    /// Records the simulator's resting orders, touch and marks after a change at `ts_ns`.
    ///
    /// Looks at every market with a resting order now or at the last call, plus `touched`,
    /// but visits only those of them that can record something: `touched`, the markets `sim`
    /// names as changed since the caller last cleared them, and the unsettled ones (a market
    /// that is neither records nothing, so skipping it changes no output). Each visit touches
    /// only that market's state, so the visiting order does not matter.
    pub fn observe_live(&mut self, ts_ns: i64, sim: &FillSimulator, touched: Option<&str>) {
        let mut visit = std::mem::take(&mut self.scratch_visit);
        let mut count = 0;
        let changed = sim.changed_markets();
        let candidates = touched
            .into_iter()
            .chain(changed.iter().map(String::as_str))
            .chain(self.unsettled.iter().map(String::as_str));
        for ticker in candidates {
            let looked_at = touched == Some(ticker)
                || self.live_markets.contains(ticker)
                || sim.live_count(ticker) > 0;
            if looked_at && !visit[..count].iter().any(|seen| seen == ticker) {
                match visit.get_mut(count) {
                    Some(slot) => {
                        slot.clear();
                        slot.push_str(ticker);
                    }
                    None => visit.push(ticker.to_owned()),
                }
                count += 1;
            }
        }
        // A market joins or leaves the live set only by an order coming or going: it is changed.
        for ticker in changed {
            if sim.live_count(ticker) > 0 {
                if !self.live_markets.contains(ticker) {
                    self.live_markets.insert(ticker.clone());
                }
            } else {
                self.live_markets.remove(ticker);
            }
        }
        for ticker in &visit[..count] {
            self.visit_market(ts_ns, sim, ticker);
        }
        self.scratch_visit = visit;
        self.record_equity(ts_ns);
    }

    /// The quote sample and mark of one market after a change at `ts_ns`.
    fn visit_market(&mut self, ts_ns: i64, sim: &FillSimulator, ticker: &str) {
        self.scratch_bids.clear();
        self.scratch_asks.clear();
        for order in sim.live_orders_in(ticker) {
            match order.side {
                BookSide::Bid => self.scratch_bids.push(order.price),
                BookSide::Ask => self.scratch_asks.push(order.price),
            }
        }
        self.scratch_bids.sort_unstable();
        self.scratch_asks.sort_unstable();
        let (best_bid, best_ask) = sim.best_bid_ask(ticker);
        if !self.series.quotes.contains_key(ticker) {
            self.series.quotes.insert(ticker.to_owned(), Vec::new());
            self.quote_thinning
                .insert(ticker.to_owned(), LineThinning::default());
        }
        if let (Some(samples), Some(thinning)) = (
            self.series.quotes.get_mut(ticker),
            self.quote_thinning.get_mut(ticker),
        ) {
            let is_last = |samples: &[QuoteSample]| {
                samples.last().is_some_and(|last| {
                    last.best_bid == best_bid
                        && last.best_ask == best_ask
                        && last.our_bids == self.scratch_bids
                        && last.our_asks == self.scratch_asks
                })
            };
            if !is_last(samples) {
                thinning.push(
                    samples,
                    QuoteSample {
                        ts_ns,
                        best_bid,
                        best_ask,
                        our_bids: self.scratch_bids.clone(),
                        our_asks: self.scratch_asks.clone(),
                    },
                );
            }
            // Only a live market is looked at again without a change of its own.
            if is_last(samples) || sim.live_count(ticker) == 0 {
                self.unsettled.remove(ticker);
            } else if !self.unsettled.contains(ticker) {
                self.unsettled.insert(ticker.to_owned());
            }
        }
        let mark = sim.mark_micros(ticker);
        if !self.markets.contains_key(ticker) {
            self.markets
                .insert(ticker.to_owned(), MarketAccumulator::default());
        }
        if let Some(market) = self.markets.get_mut(ticker)
            && mark.is_some()
            && mark != market.mark_micros
        {
            market.resolve_due(ts_ns, false);
            market.mark_micros = mark;
            self.revalue(ticker);
            if self
                .markets
                .get(ticker)
                .is_some_and(|market| market.position.centi() != 0)
            {
                self.record_market(ts_ns, ticker);
            }
        }
    }

    /// Brings market `ticker`'s share of the running equity up to date after its cash, fees,
    /// position or marks changed.
    fn revalue(&mut self, ticker: &str) {
        if let Some(market) = self.markets.get_mut(ticker) {
            let equity = i128::from(market.cash.micros()) - i128::from(market.fees.micros())
                + market.value_micros();
            self.equity_micros += equity - market.equity_micros;
            market.equity_micros = equity;
        }
    }

    /// Records market `ticker`'s own equity and position at `ts_ns` when they changed.
    fn record_market(&mut self, ts_ns: i64, ticker: &str) {
        let Some(market) = self.markets.get(ticker) else {
            return;
        };
        let equity = clamp_i64(
            i128::from(market.cash.micros()) - i128::from(market.fees.micros())
                + market.value_micros(),
        );
        let position = market.position.centi();
        if !self.market_thinning.contains_key(ticker) {
            self.market_thinning.insert(
                ticker.to_owned(),
                [LineThinning::default(), LineThinning::default()],
            );
            self.series
                .market_equity
                .insert(ticker.to_owned(), Vec::new());
            self.series
                .market_inventory
                .insert(ticker.to_owned(), Vec::new());
        }
        let (Some([equity_thinning, inventory_thinning]), Some(equity_line), Some(inventory_line)) = (
            self.market_thinning.get_mut(ticker),
            self.series.market_equity.get_mut(ticker),
            self.series.market_inventory.get_mut(ticker),
        ) else {
            return;
        };
        if equity_line.last().is_none_or(|(_, last)| *last != equity) {
            equity_thinning.push(equity_line, (ts_ns, equity));
        }
        if inventory_line
            .last()
            .is_none_or(|(_, last)| *last != position)
        {
            inventory_thinning.push(inventory_line, (ts_ns, position));
        }
    }

    /// Counts one input the engine processed, and reads settlement results from it.
    pub fn on_input(&mut self, event: &Event) {
        self.inputs += 1;
        match event {
            Event::MarketListing(listings) => {
                for info in listings {
                    if let Some(price) = settlement_price(info.result, info.settlement_value) {
                        self.markets
                            .entry(info.ticker.clone())
                            .or_default()
                            .settlement = Some(price);
                        self.revalue(&info.ticker);
                    }
                }
            }
            Event::Lifecycle(change)
                if matches!(
                    change.kind,
                    LifecycleKind::Determined | LifecycleKind::Settled
                ) =>
            {
                if let Some(price) = settlement_price(change.result, change.settlement_value) {
                    self.markets
                        .entry(change.ticker.clone())
                        .or_default()
                        .settlement = Some(price);
                    self.revalue(&change.ticker);
                }
            }
            _ => {}
        }
    }

    /// Counts a command the engine sent.
    pub fn on_command(&mut self, command: &Command) {
        match command {
            Command::Place(order) => {
                let market = self.markets.entry(order.ticker.clone()).or_default();
                market.orders += 1;
                market.placed = market.placed + order.count;
            }
            Command::Cancel(_) | Command::CancelAll => self.cancels += 1,
            _ => {}
        }
    }

    /// Applies one simulated fill.
    pub fn on_fill(&mut self, fill: &OwnFill) {
        let horizons = self.horizons_ns;
        let market = self.markets.entry(fill.ticker.clone()).or_default();
        market.cash = market.cash + cash_flow(fill.side, fill.yes_price, fill.count);
        market.fees = market.fees + fill.fee;
        market.fills += 1;
        market.filled = market.filled + fill.count;
        if !fill.is_taker {
            market.maker = market.maker + fill.count;
        }
        market.position = match fill.side {
            BookSide::Bid => market.position + fill.count.signed(),
            BookSide::Ask => market.position - fill.count.signed(),
        };
        market.inventory_max_abs = market.inventory_max_abs.max(market.position.abs());
        market.last_fill_price = Some(fill.yes_price);
        let sign = match fill.side {
            BookSide::Bid => 1,
            BookSide::Ask => -1,
        };
        for (horizon, horizon_ns) in horizons.iter().enumerate() {
            market.pending.push_back(PendingMarkout {
                due_ns: fill.ts_ns.saturating_add(*horizon_ns),
                horizon,
                sign,
                price_micros: fill.yes_price.micros(),
                count_centi: fill.count.centi(),
            });
        }
        let marks = self.series.fills.entry(fill.ticker.clone()).or_default();
        if marks.len() < FILL_MARKS_MAX {
            marks.push(FillMark {
                ts_ns: fill.ts_ns,
                price: fill.yes_price,
                side: fill.side,
                count: fill.count,
            });
        }
        self.revalue(&fill.ticker);
        self.record_market(fill.ts_ns, &fill.ticker);
        let total: i64 = self
            .markets
            .values()
            .map(|market| market.position.centi())
            .sum();
        if self
            .series
            .inventory
            .last()
            .is_none_or(|(_, last)| *last != total)
        {
            self.inventory_thinning
                .push(&mut self.series.inventory, (fill.ts_ns, total));
        }
        self.record_equity(fill.ts_ns);
    }

    fn record_equity(&mut self, ts_ns: i64) {
        let equity = self.equity_micros;
        debug_assert_eq!(equity, self.equity_micros_summed());
        self.peak_micros = self.peak_micros.max(equity);
        self.max_drawdown_micros = self.max_drawdown_micros.max(self.peak_micros - equity);
        let equity = i64::try_from(equity).unwrap_or(if equity < 0 { i64::MIN } else { i64::MAX });
        if self
            .series
            .equity
            .last()
            .is_none_or(|(_, last)| *last != equity)
        {
            self.equity_thinning
                .push(&mut self.series.equity, (ts_ns, equity));
        }
    }

    /// The running equity summed market by market (what `equity_micros` must equal).
    fn equity_micros_summed(&self) -> i128 {
        self.markets
            .values()
            .map(|market| {
                i128::from(market.cash.micros()) - i128::from(market.fees.micros())
                    + market.value_micros()
            })
            .sum()
    }

    /// Settles or marks every market and returns the metrics and chart series.
    pub fn finish(mut self, fidelity: DataFidelity, engine: &Engine) -> (Metrics, Series) {
        let end_ts_ns = self.last_ts_ns;
        for market in self.markets.values_mut() {
            market.resolve_due(end_ts_ns, true);
        }
        let positions = engine.orders().positions();
        let mark_of = |ticker: &str| engine.universe().by_ticker(ticker).and_then(pnl::mark);
        let pnl_total =
            PnlBreakdown::of_ledger(positions, |ticker| mark_of(ticker).map(|(price, _)| price));
        let settled_equity = i128::from(pnl_total.total.micros());
        self.peak_micros = self.peak_micros.max(settled_equity);
        self.max_drawdown_micros = self
            .max_drawdown_micros
            .max(self.peak_micros - settled_equity);
        if let Ok(equity) = i64::try_from(settled_equity)
            && self
                .series
                .equity
                .last()
                .is_none_or(|(_, last)| *last != equity)
        {
            self.series.equity.push((end_ts_ns, equity));
        }
        // Every line reaches the end of the data, so the charts end together.
        self.series.start_ts_ns = self.start_ts_ns.unwrap_or(end_ts_ns);
        self.series.end_ts_ns = end_ts_ns;
        extend_to(&mut self.series.equity, end_ts_ns);
        extend_to(&mut self.series.inventory, end_ts_ns);
        for line in self
            .series
            .market_equity
            .values_mut()
            .chain(self.series.market_inventory.values_mut())
        {
            extend_to(line, end_ts_ns);
        }
        let mut markets = Vec::new();
        let mut totals = MarketAccumulator::default();
        let mut inventory_final_abs = Count::ZERO;
        for (ticker, market) in &self.markets {
            let position = positions.get(ticker);
            let mark = if position.position.centi() == 0 {
                None
            } else {
                mark_of(ticker)
            };
            let pnl = PnlBreakdown::of_position(&position, mark.map(|(price, _)| price));
            let (valuation, final_mark) = match mark {
                _ if position.position.centi() == 0 => (Valuation::Flat, None),
                Some((price, MarkSource::Settlement)) => (Valuation::Settled, Some(price)),
                Some((price, _)) => (Valuation::MarkedToMid, Some(price)),
                None => (Valuation::Unmarked, None),
            };
            markets.push(MarketMetrics {
                ticker: ticker.clone(),
                gross_pnl: pnl.total + pnl.fees,
                fees: pnl.fees,
                net_pnl: pnl.total,
                pnl,
                orders: market.orders,
                fills: market.fills,
                placed_contracts: market.placed,
                filled_contracts: market.filled,
                maker_contracts: market.maker,
                inventory_max_abs: market.inventory_max_abs,
                inventory_final: market.position,
                valuation,
                final_mark,
                markout_1m_micros: average(market.markout_sum[0], market.markout_centi[0]),
                markout_5m_micros: average(market.markout_sum[1], market.markout_centi[1]),
                time_quoted_ns: market.time_quoted_ns,
            });
            inventory_final_abs = inventory_final_abs + market.position.abs();
            totals.orders += market.orders;
            totals.fills += market.fills;
            totals.placed = totals.placed + market.placed;
            totals.filled = totals.filled + market.filled;
            totals.maker = totals.maker + market.maker;
            totals.inventory_max_abs = totals.inventory_max_abs.max(market.inventory_max_abs);
            for horizon in 0..2 {
                totals.markout_sum[horizon] += market.markout_sum[horizon];
                totals.markout_centi[horizon] += market.markout_centi[horizon];
                totals.markout_count[horizon] += market.markout_count[horizon];
            }
        }
        let start_ts_ns = self.start_ts_ns.unwrap_or(end_ts_ns);
        let span_ns = end_ts_ns.saturating_sub(start_ts_ns);
        let metrics = Metrics {
            fidelity,
            fidelity_note: fidelity.note().to_string(),
            start_ts_ns,
            end_ts_ns,
            inputs: self.inputs,
            gross_pnl: pnl_total.total + pnl_total.fees,
            fees: pnl_total.fees,
            net_pnl: pnl_total.total,
            pnl: pnl_total,
            orders: totals.orders,
            cancels: self.cancels,
            fills: totals.fills,
            placed_contracts: totals.placed,
            filled_contracts: totals.filled,
            fill_ratio_ppm: ratio_ppm(
                i128::from(totals.filled.centi()),
                i128::from(totals.placed.centi()),
            ),
            maker_share_ppm: ratio_ppm(
                i128::from(totals.maker.centi()),
                i128::from(totals.filled.centi()),
            ),
            inventory_max_abs: totals.inventory_max_abs,
            inventory_final_abs,
            max_drawdown: Money::from_micros(clamp_i64(self.max_drawdown_micros)),
            markout_1m_micros: average(totals.markout_sum[0], totals.markout_centi[0]),
            markouts_1m_count: totals.markout_count[0],
            markout_5m_micros: average(totals.markout_sum[1], totals.markout_centi[1]),
            markouts_5m_count: totals.markout_count[1],
            time_quoted_ns: self.time_quoted_ns,
            time_quoted_ppm: ratio_ppm(i128::from(self.time_quoted_ns), i128::from(span_ns)),
            markets,
        };
        (metrics, self.series)
    }
}

fn settlement_price(
    result: Option<MarketResult>,
    settlement_value: Option<Price>,
) -> Option<Price> {
    match result? {
        MarketResult::Yes => Some(Price::ONE),
        MarketResult::No => Some(Price::ZERO),
        MarketResult::Scalar => settlement_value,
    }
}

fn average(sum: i128, weight_centi: i128) -> Option<i64> {
    (weight_centi > 0).then(|| clamp_i64(sum / weight_centi))
}

fn ratio_ppm(part: i128, whole: i128) -> u64 {
    if whole <= 0 {
        return 0;
    }
    u64::try_from((part * 1_000_000 / whole).max(0)).unwrap_or(u64::MAX)
}

/// Appends `(end_ns, last value)` to `line` when it ends earlier, so a step line holds its
/// last value to the end of the data.
fn extend_to(line: &mut Vec<(i64, i64)>, end_ns: i64) {
    if let Some(&(last_ns, value)) = line.last()
        && last_ns < end_ns
    {
        line.push((end_ns, value));
    }
}

fn clamp_i64(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}
