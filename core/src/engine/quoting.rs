//! Quoting one market: whether it may be quoted now (filters, risk, staleness, pauses), the
//! strategy's plan at the blended fair value through the EV gate, and the withdrawals and
//! wind-down exits when it may not.

use super::*;
use crate::vocab::ev::FairValue;

impl Engine {
    pub(super) fn requote_ticker(&mut self, ticker: &str, ts_ns: i64, out: &mut Output) {
        if let Some(index) = self.universe.index_of(ticker) {
            self.requote(index, ts_ns, out);
        }
    }

    pub(super) fn requote_all(&mut self, ts_ns: i64, out: &mut Output) {
        let mut markets: BTreeSet<MarketIndex> = self
            .markets
            .iter()
            .filter(|(_, slot)| slot.quoted || slot.desired.is_some())
            .map(|(index, _)| index)
            .collect();
        for record in self.orders.live_orders() {
            if record.managed
                && !record.status.is_terminal()
                && let Some(index) = self.universe.index_of(&record.ticker)
            {
                markets.insert(index);
            }
        }
        for index in markets {
            self.requote(index, ts_ns, out);
        }
    }

    /// Why `index` may not be quoted right now, if it may not.
    pub(super) fn blocked(&self, index: MarketIndex) -> Option<WithdrawReason> {
        let state = self.universe.get(index)?;
        if self.shutting_down || self.risk.state() == RiskState::Halted {
            return Some(WithdrawReason::Stopped);
        }
        if self.fill_burst.is_tripped() {
            return Some(WithdrawReason::FillBurst);
        }
        if self.data_stale {
            return Some(WithdrawReason::StaleData);
        }
        if self.markets.is_live_failing(index) {
            return Some(WithdrawReason::LiveFilter);
        }
        if !self.markets.is_quoted(index) {
            return Some(WithdrawReason::NotInUniverse);
        }
        if state.status() != MarketStatus::Active {
            return Some(WithdrawReason::NotTradable);
        }
        if !state.book().is_valid() {
            return Some(WithdrawReason::BookInvalid);
        }
        None
    }

    /// Re-judges the scanner's book filters on market `index`'s live book (when the tuning
    /// asks for it): a market that fails is withdrawn by [`Engine::blocked`] until it passes
    /// again with the hysteresis room.
    pub(super) fn judge_live_filters(&mut self, index: MarketIndex) {
        if !self.tuning.live_filters {
            return;
        }
        let (Some(config), Some(state)) = (self.config(), self.universe.get(index)) else {
            return;
        };
        let was_failing = self.markets.is_live_failing(index);
        let failing = state.book().is_valid()
            && fails_live_filters(
                state,
                &config.scanner,
                was_failing,
                self.tuning.live_filter_hysteresis_ticks,
            );
        if failing != was_failing {
            self.markets.slot(index).live_failing = failing;
        }
    }

    /// Brings one market's working quotes in line with what the strategy wants now; `fair` is
    /// the market's fair value at `ts_ns` ([`Engine::fair_now`]).
    pub(super) fn requote_now(
        &mut self,
        index: MarketIndex,
        ts_ns: i64,
        fair: Option<FairValue>,
        out: &mut Output,
    ) {
        let Some(ticker) = self.universe.shared_ticker(index) else {
            return;
        };
        if self.flatten_active
            && !self.markets.is_flattening(index)
            && self.orders.positions().get(&ticker).position.centi() != 0
        {
            // A fill that landed after the flatten (an order whose cancel was still on its
            // way) is unwound too.
            self.markets.slot(index).flattening = true;
        }
        if self.markets.is_flattening(index) {
            self.unwind(index, &ticker, ts_ns, out);
            return;
        }
        if self.flatten_active {
            // Flattening: no new quotes anywhere (their orders were cancelled by the flatten).
            return;
        }
        self.judge_live_filters(index);
        if let Some(reason) = self.blocked(index) {
            self.withdraw(index, &ticker, reason, out);
            return;
        }
        if !self.trading_active {
            // Place and amend are refused during a pause; resting orders stay (cancels would
            // still be allowed, but nothing here needs one).
            return;
        }
        let plan = self.plan(index, &ticker, ts_ns, fair, out);
        match plan {
            None => {}
            Some(QuotePlan::Keep) => {}
            Some(QuotePlan::Quote { .. }) => {}
            Some(QuotePlan::Withdraw { reason, exits }) => {
                self.withdraw(index, &ticker, reason, out);
                if let Some(held) = self.places_held_reason() {
                    if !exits.is_empty() {
                        out.decide(Decision::PlacesHeld {
                            ticker: ticker.to_string(),
                            count: u32::try_from(exits.len()).unwrap_or(u32::MAX),
                            reason: held,
                        });
                    }
                    return;
                }
                for exit in exits {
                    self.send_exit(&ticker, exit, ts_ns, out);
                }
                return;
            }
        }
        let desired = self
            .markets
            .get(index)
            .and_then(|slot| slot.desired.as_deref())
            .unwrap_or(&[]);
        let diff = self.orders.diff(&ticker, desired);
        self.apply_diff(&ticker, diff, ts_ns, out);
    }

    /// Runs the strategy for one market at fair value `fair`, gating new quotes through the EV
    /// gate.
    pub(super) fn plan(
        &mut self,
        index: MarketIndex,
        ticker: &str,
        ts_ns: i64,
        fair: Option<FairValue>,
        out: &mut Output,
    ) -> Option<QuotePlan> {
        let configured = self.configured.as_mut()?;
        let config = &configured.config;
        let state = self.universe.get(index)?;
        let grid = state.tick_grid().ok()?;
        let blend = self.tuning.blend();
        let Some(fair) = fair else {
            return Some(QuotePlan::Withdraw {
                reason: WithdrawReason::NoTouch,
                exits: Vec::new(),
            });
        };
        let fair_ppm = fair.fair_ppm;
        let fair_source = fair.source;
        self.markets.slot(index).fair_ppm = Some(fair_ppm);
        let fees = fee_schedule_for(state.info().fee.as_ref());
        let ev_gate = &configured.ev_gate;
        let book = state.book();
        let best_bid = book.best_bid().map(|level| level.price);
        let best_ask = book.best_ask().map(|level| level.price);
        let mut has_working_quotes = false;
        let mut working_quote_crosses = false;
        for record in self.orders.working_quotes(ticker) {
            has_working_quotes = true;
            working_quote_crosses |= match record.side {
                BookSide::Bid => best_ask.is_some_and(|ask| record.price >= ask),
                BookSide::Ask => best_bid.is_some_and(|bid| record.price <= bid),
            };
        }
        let position = self.orders.positions().get(ticker).position;
        let context = QuoteContext {
            market: index,
            ticker,
            ts_ns,
            book,
            grid,
            fair_ppm,
            fair_source,
            position,
            time_to_close_ns: state.time_to_close_ns(ts_ns),
            has_working_quotes,
            working_quote_crosses,
            fractional: state.info().fractional_trading,
            ev_gate,
            fees: fees.as_ref(),
        };
        let inventory_skew =
            inventory_skew_micros(position, config.strategy.inventory_skew_micros_per_contract);
        let plan = configured.strategy.plan(&context);
        if let QuotePlan::Quote {
            reason,
            quotes,
            held,
        } = &plan
        {
            if !blend.is_off()
                && self
                    .markets
                    .get(index)
                    .and_then(|slot| slot.fair_record.as_ref())
                    != Some(&fair)
            {
                self.markets.slot(index).fair_record = Some(fair);
                out.decide(Decision::FairValue {
                    ticker: ticker.to_string(),
                    value: fair,
                });
            }
            let mut passed = Vec::new();
            for quote in quotes {
                let inputs = EvInputs {
                    ticker: ticker.to_string(),
                    side: quote.side,
                    price: quote.price,
                    count: quote.count,
                    liquidity: Liquidity::Maker,
                    fair_ppm,
                    fair_source,
                    inventory_skew_micros: inventory_skew,
                };
                let decision = ev_gate.evaluate_maker(inputs, fees.as_ref());
                if decision.passed() {
                    passed.push(*quote);
                }
                out.decide(Decision::Ev(decision));
            }
            out.decide(Decision::Quote(QuoteDecision {
                ticker: ticker.to_string(),
                strategy: configured.strategy.name().to_string(),
                reason: *reason,
                fair_ppm,
                fair_source,
                best_bid,
                best_ask,
                position,
                quotes: passed.clone(),
            }));
            for held in held {
                out.decide(Decision::SideHeld {
                    ticker: ticker.to_string(),
                    side: held.side,
                    position,
                    reason: held.reason,
                });
            }
            if let Some(reducing) = reducing_side(position)
                && quotes.iter().any(|quote| quote.side == reducing)
                && !passed.iter().any(|quote| quote.side == reducing)
            {
                out.decide(Decision::SideHeld {
                    ticker: ticker.to_string(),
                    side: reducing,
                    position,
                    reason: SideHeldReason::ReducingBelowMinEdge,
                });
            }
            self.markets.slot(index).desired = Some(passed);
        }
        Some(plan)
    }

    pub(super) fn withdraw(
        &mut self,
        index: MarketIndex,
        ticker: &str,
        reason: WithdrawReason,
        out: &mut Output,
    ) {
        if let Some(strategy) = self.strategy_mut() {
            strategy.forget(index);
        }
        let had_desired = self
            .markets
            .slot(index)
            .desired
            .take()
            .is_some_and(|quotes| !quotes.is_empty());
        // Every managed order of the market, exits included; orders not yet acknowledged are
        // cancelled as soon as the exchange names them.
        let cancels = self.orders.cancel_orders(Some(ticker));
        if had_desired || !cancels.is_empty() {
            out.decide(Decision::Withdraw {
                ticker: ticker.to_string(),
                reason,
            });
        }
        out.commands.extend(cancels);
    }

    /// Why new orders and size-increasing amends are held right now, if they are.
    pub(super) fn places_held_reason(&self) -> Option<PlacesHeldReason> {
        self.awaiting_reconciliation
            .then_some(PlacesHeldReason::AwaitingReconciliation)
    }
}
