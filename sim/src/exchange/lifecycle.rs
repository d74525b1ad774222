//! Time-driven behaviour: the market lifecycle (initialized → active at open time; → closed
//! at close time with resting orders cancelled; → determined; → finalized with payouts after
//! the settlement timer), order expiry, synthetic flow steps, and the manual controls
//! (deactivate/activate a market, move its close time, pause trading or the exchange).
//!
//! Kalshi sends no lifecycle message for opening or closing at the scheduled times, so
//! neither does this exchange; `determined`, `settled`, `activated`, `deactivated` and
//! `close_date_updated` are emitted.

use kalshi_core::market_data::{LifecycleKind, MarketResult, MarketStatus};
use kalshi_core::{Count, Money, Price, SignedCount};
use rand::Rng;

use super::account::SettlementRecord;
use super::error::ExchangeError;
use super::events_out::{ExchangeEvent, LifecycleEvent};
use super::order::{OrderIdx, UpdateReason};
use super::{Exchange, NS_PER_S};

/// A scheduled lifecycle step of one market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LifecycleStep {
    /// initialized → active.
    Open,
    /// active/inactive → closed.
    Close,
    /// closed → determined.
    Determine,
    /// determined → finalized, with payouts.
    Finalize,
}

impl Exchange {
    /// Moves time forward to `now_ns`: runs every lifecycle step, order expiry and synthetic
    /// flow step due up to then, in time order (flow steps are fixed-interval). Calling it
    /// with an earlier time than already seen does nothing.
    pub fn advance_to(&mut self, now_ns: i64) {
        loop {
            let next_flow = self
                .flow
                .as_ref()
                .map(|f| f.next_step_ns())
                .filter(|&t| t <= now_ns);
            match next_flow {
                Some(step_ns) => {
                    self.run_schedule_until(step_ns);
                    self.run_flow_step(step_ns);
                }
                None => break,
            }
        }
        self.run_schedule_until(now_ns);
    }

    fn run_flow_step(&mut self, step_ns: i64) {
        let Some(mut flow) = self.flow.take() else {
            return;
        };
        flow.step(self, step_ns);
        self.flow = Some(flow);
    }

    /// Runs lifecycle steps and expiries due at or before `until_ns`, in time order.
    pub(crate) fn run_schedule_until(&mut self, until_ns: i64) {
        loop {
            let next_step = self
                .schedule
                .first()
                .copied()
                .filter(|&(t, _, _)| t <= until_ns);
            let next_expiry = self
                .expiries
                .first()
                .copied()
                .filter(|&(t, _)| t <= until_ns);
            match (next_step, next_expiry) {
                (Some(step), Some(expiry)) if expiry.0 < step.0 => self.run_expiry(expiry),
                (Some(step), _) => {
                    self.schedule.remove(&step);
                    self.run_step(step.0, step.1, step.2);
                }
                (None, Some(expiry)) => self.run_expiry(expiry),
                (None, None) => break,
            }
        }
        if until_ns > self.now_ns {
            self.now_ns = until_ns;
            self.apply_due_fee_changes();
        }
    }

    fn run_expiry(&mut self, (expiry_ns, idx): (i64, OrderIdx)) {
        self.expiries.remove(&(expiry_ns, idx));
        self.begin_action(expiry_ns);
        self.cancel_resting(idx, Some(UpdateReason::ExpiryCancel));
        self.end_action();
    }

    fn run_step(&mut self, at_ns: i64, market: u32, step: LifecycleStep) {
        self.begin_action(at_ns);
        let status = self.markets[market as usize].status;
        match step {
            LifecycleStep::Open => {
                if status == MarketStatus::Initialized {
                    self.markets[market as usize].status = MarketStatus::Active;
                    self.markets[market as usize].updated_ns = self.now_ns;
                }
            }
            LifecycleStep::Close => {
                if matches!(
                    status,
                    MarketStatus::Active | MarketStatus::Inactive | MarketStatus::Initialized
                ) {
                    self.cancel_market_orders(market, UpdateReason::CloseCancel);
                    let m = &mut self.markets[market as usize];
                    m.status = MarketStatus::Closed;
                    m.updated_ns = self.now_ns;
                    let determine_at =
                        m.spec.close_ns.max(at_ns) + m.spec.determination_delay_ns.max(0);
                    self.schedule
                        .insert((determine_at, market, LifecycleStep::Determine));
                }
            }
            LifecycleStep::Determine => {
                if status == MarketStatus::Closed {
                    let result = self.decide_result(market);
                    self.determine(market, result);
                }
            }
            LifecycleStep::Finalize => {
                if status == MarketStatus::Determined {
                    self.finalize(market);
                }
            }
        }
        self.end_action();
    }

    /// The result of a market: forced by its spec, else drawn from the flow's latent
    /// probability (or 50/50 without flow).
    fn decide_result(&mut self, market: u32) -> MarketResult {
        if let Some(result) = self.markets[market as usize].spec.forced_result {
            return result;
        }
        let probability_ppm = self.flow.as_ref().map_or(500_000, |f| f.latent_ppm(market));
        let draw: i64 = self.result_rng.gen_range(0..1_000_000);
        if draw < probability_ppm {
            MarketResult::Yes
        } else {
            MarketResult::No
        }
    }

    fn determine(&mut self, market: u32, result: MarketResult) {
        let now = self.now_ns;
        let value = match result {
            MarketResult::Yes => Price::ONE,
            MarketResult::No | MarketResult::Scalar => Price::ZERO,
        };
        let m = &mut self.markets[market as usize];
        m.status = MarketStatus::Determined;
        m.result = Some(result);
        m.settlement_value = Some(value);
        m.determined_ns = Some(now);
        m.updated_ns = now;
        let settle_at = now + m.spec.settlement_timer_s.max(0).saturating_mul(NS_PER_S);
        let mut event = LifecycleEvent::bare(&m.spec.ticker, LifecycleKind::Determined, now);
        event.determination_ns = Some(now);
        event.result = Some(result);
        event.settlement_value = Some(value);
        self.schedule
            .insert((settle_at, market, LifecycleStep::Finalize));
        self.events_out.push(ExchangeEvent::Lifecycle(event));
    }

    /// Pays every holder: YES pays the settlement value, NO pays 1 − it.
    fn finalize(&mut self, market: u32) {
        let now = self.now_ns;
        let (value, result, ticker, event_ticker, holders) = {
            let m = &self.markets[market as usize];
            (
                m.settlement_value.unwrap_or(Price::ZERO),
                m.result.unwrap_or(MarketResult::No),
                m.spec.ticker.clone(),
                m.spec.event_ticker.clone(),
                m.holders.iter().copied().collect::<Vec<_>>(),
            )
        };
        for key in holders {
            let Ok(account) = self.account_mut(key) else {
                continue;
            };
            let Some(position) = account.positions.get_mut(&market) else {
                continue;
            };
            if position.settled {
                continue;
            }
            let held = position.position;
            let contracts = held.abs();
            let (payout_per_contract, yes_count, no_count) = if held > SignedCount::ZERO {
                (value, contracts, Count::ZERO)
            } else {
                (value.complement(), Count::ZERO, contracts)
            };
            let revenue = Money::notional(payout_per_contract, contracts);
            let cost = position.cost;
            position.realized_pnl = position.realized_pnl + revenue - cost;
            position.position = SignedCount::ZERO;
            position.cost = Money::ZERO;
            position.settled = true;
            position.last_updated_ns = now;
            let fee_cost = position.fees_paid;
            account.cash = account.cash + revenue;
            account.updated_ns = now;
            account.settlements.push(SettlementRecord {
                ticker: ticker.clone(),
                event_ticker: event_ticker.clone(),
                market_result: result,
                yes_count,
                yes_total_cost: if yes_count.is_zero() {
                    Money::ZERO
                } else {
                    cost
                },
                no_count,
                no_total_cost: if no_count.is_zero() {
                    Money::ZERO
                } else {
                    cost
                },
                revenue,
                fee_cost,
                value,
                settled_ns: now,
            });
            self.emit_position(key, market);
        }
        let m = &mut self.markets[market as usize];
        m.status = MarketStatus::Finalized;
        m.settled_ns = Some(now);
        m.updated_ns = now;
        m.open_interest = Count::ZERO;
        let mut event = LifecycleEvent::bare(&m.spec.ticker, LifecycleKind::Settled, now);
        event.settled_ns = Some(now);
        self.events_out.push(ExchangeEvent::Lifecycle(event));
    }

    /// Cancels every resting order of a market.
    fn cancel_market_orders(&mut self, market: u32, reason: UpdateReason) {
        let book = &self.markets[market as usize].book;
        let resting: Vec<OrderIdx> = book
            .bids
            .values()
            .chain(book.asks.values())
            .flat_map(|level| level.queue.iter().copied())
            .collect();
        for idx in resting {
            self.cancel_resting(idx, Some(reason));
        }
    }

    /// Pauses one market (`deactivated`): place/amend refused, resting orders stay.
    pub fn deactivate_market(&mut self, ticker: &str, now_ns: i64) -> Result<(), ExchangeError> {
        self.advance_to(now_ns);
        let market = self.market_idx(ticker)?;
        if self.markets[market as usize].status != MarketStatus::Active {
            return Err(ExchangeError::MarketNotActive {
                ticker: ticker.to_string(),
                status: self.markets[market as usize].status,
            });
        }
        self.begin_action(now_ns);
        self.markets[market as usize].status = MarketStatus::Inactive;
        let mut event = LifecycleEvent::bare(ticker, LifecycleKind::Deactivated, self.now_ns);
        event.is_deactivated = Some(true);
        self.events_out.push(ExchangeEvent::Lifecycle(event));
        self.end_action();
        Ok(())
    }

    /// Resumes a paused market (`activated`); as on Kalshi, every resting order is cancelled.
    pub fn activate_market(&mut self, ticker: &str, now_ns: i64) -> Result<(), ExchangeError> {
        self.advance_to(now_ns);
        let market = self.market_idx(ticker)?;
        let status = self.markets[market as usize].status;
        if status != MarketStatus::Inactive {
            return Err(ExchangeError::invalid_parameters(format!(
                "market {ticker:?} is {status:?}, not inactive"
            )));
        }
        self.begin_action(now_ns);
        self.cancel_market_orders(market, UpdateReason::HaltCancel);
        self.markets[market as usize].status = MarketStatus::Active;
        let mut event = LifecycleEvent::bare(ticker, LifecycleKind::Activated, self.now_ns);
        event.is_deactivated = Some(false);
        self.events_out.push(ExchangeEvent::Lifecycle(event));
        self.end_action();
        Ok(())
    }

    /// Moves a market's close time (`close_date_updated`). A time at or before now closes it
    /// at once; a later time re-opens a closed, undetermined market (`activated`).
    pub fn update_close_time(
        &mut self,
        ticker: &str,
        close_ns: i64,
        now_ns: i64,
    ) -> Result<(), ExchangeError> {
        self.advance_to(now_ns);
        let market = self.market_idx(ticker)?;
        let (status, old_close, open_ns) = {
            let m = &self.markets[market as usize];
            (m.status, m.spec.close_ns, m.spec.open_ns)
        };
        if matches!(
            status,
            MarketStatus::Determined
                | MarketStatus::Disputed
                | MarketStatus::Amended
                | MarketStatus::Finalized
        ) {
            return Err(ExchangeError::MarketNotActive {
                ticker: ticker.to_string(),
                status,
            });
        }
        if close_ns <= open_ns {
            return Err(ExchangeError::invalid_parameters(
                "close time must be after the open time",
            ));
        }
        self.begin_action(now_ns);
        let now = self.now_ns;
        self.schedule
            .remove(&(old_close, market, LifecycleStep::Close));
        let determine: Vec<(i64, u32, LifecycleStep)> = self
            .schedule
            .iter()
            .copied()
            .filter(|&(_, m, s)| m == market && s == LifecycleStep::Determine)
            .collect();
        {
            let m = &mut self.markets[market as usize];
            m.spec.close_ns = close_ns;
            m.updated_ns = now;
        }
        let mut event = LifecycleEvent::bare(ticker, LifecycleKind::CloseDateUpdated, now);
        event.close_ns = Some(close_ns);
        self.events_out.push(ExchangeEvent::Lifecycle(event));
        if status == MarketStatus::Closed && close_ns > now {
            for step in determine {
                self.schedule.remove(&step);
            }
            self.markets[market as usize].status = MarketStatus::Active;
            let mut reopened = LifecycleEvent::bare(ticker, LifecycleKind::Activated, now);
            reopened.is_deactivated = Some(false);
            self.events_out.push(ExchangeEvent::Lifecycle(reopened));
        }
        self.end_action();
        if status != MarketStatus::Closed || close_ns > now {
            self.schedule
                .insert((close_ns.max(now), market, LifecycleStep::Close));
        }
        self.run_schedule_until(self.now_ns);
        Ok(())
    }

    /// Determines a closed market's result now (instead of waiting for its scheduled time).
    pub fn determine_market(
        &mut self,
        ticker: &str,
        result: MarketResult,
        now_ns: i64,
    ) -> Result<(), ExchangeError> {
        self.advance_to(now_ns);
        let market = self.market_idx(ticker)?;
        let status = self.markets[market as usize].status;
        if status != MarketStatus::Closed {
            return Err(ExchangeError::invalid_parameters(format!(
                "market {ticker:?} is {status:?}, not closed"
            )));
        }
        let pending: Vec<(i64, u32, LifecycleStep)> = self
            .schedule
            .iter()
            .copied()
            .filter(|&(_, m, s)| m == market && s == LifecycleStep::Determine)
            .collect();
        for step in pending {
            self.schedule.remove(&step);
        }
        self.begin_action(now_ns);
        self.determine(market, result);
        self.end_action();
        self.run_schedule_until(self.now_ns);
        Ok(())
    }

    /// Starts or ends a trading pause. Starting one cancels orders flagged
    /// `cancel_order_on_pause` (`HaltCancel`); resting orders otherwise stay.
    pub fn set_trading_active(&mut self, active: bool, now_ns: i64) {
        self.advance_to(now_ns);
        if self.trading_active == active {
            return;
        }
        self.trading_active = active;
        if !active {
            self.begin_action(now_ns);
            let flagged: Vec<OrderIdx> = (0..self.orders.len())
                .filter_map(|i| u32::try_from(i).ok())
                .filter(|&i| {
                    let o = &self.orders[i as usize];
                    o.is_resting() && o.cancel_order_on_pause
                })
                .collect();
            for idx in flagged {
                self.cancel_resting(idx, Some(UpdateReason::HaltCancel));
            }
            self.end_action();
        }
    }

    /// Starts or ends an exchange pause: nothing at all is allowed while paused.
    pub fn set_exchange_active(&mut self, active: bool, now_ns: i64) {
        self.advance_to(now_ns);
        self.exchange_active = active;
    }
}
