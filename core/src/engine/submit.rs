//! From a quote plan to commands: the diff against working orders becomes places, amends,
//! decreases and cancels, each new order through the risk checks with the exposure view it
//! needs; wind-down and flatten exits go the same way.

use super::*;

impl Engine {
    pub(super) fn risk_view(
        &self,
        ticker: &str,
        price: Price,
        excluding: Option<&ClientOrderId>,
    ) -> RiskView {
        let (market, open_orders_in_market) = self.orders.market_exposure(ticker, excluding);
        let state = self.universe.by_ticker(ticker);
        let event_ticker = state
            .map(|state| state.info().event_ticker.clone())
            .unwrap_or_default();
        let event = if event_ticker.is_empty() {
            None
        } else {
            self.orders.event_exposure(&event_ticker, excluding)
        }
        .unwrap_or(market);
        debug_assert_eq!(
            event,
            self.event_exposure_walk(&event_ticker, market, excluding)
        );
        let fair = self
            .universe
            .index_of(ticker)
            .and_then(|index| self.markets.get(index))
            .and_then(|slot| slot.fair_ppm)
            .and_then(|ppm| Price::from_micros(i64::from(ppm)).ok());
        let price_on_grid = state
            .and_then(|state| state.tick_grid().ok())
            .is_some_and(|grid| grid.is_valid(price));
        RiskView {
            market,
            event,
            open_orders_in_market,
            account_exposure: self.orders.account_exposure(excluding),
            fair,
            price_on_grid,
        }
    }

    /// The event scope of [`Engine::risk_view`] summed market by market (the reference the
    /// order books' running totals are checked against).
    pub(super) fn event_exposure_walk(
        &self,
        event_ticker: &str,
        market: ScopeExposure,
        excluding: Option<&ClientOrderId>,
    ) -> ScopeExposure {
        let mut event = ScopeExposure::default();
        match self.event_markets.get(event_ticker) {
            Some(tickers) if !event_ticker.is_empty() => {
                for sibling in tickers {
                    let (exposure, _) = self.orders.market_exposure(sibling, excluding);
                    event.position = event.position + exposure.position;
                    event.resting_bid = event.resting_bid + exposure.resting_bid;
                    event.resting_ask = event.resting_ask + exposure.resting_ask;
                }
                event
            }
            _ => market,
        }
    }

    pub(super) fn apply_diff(
        &mut self,
        ticker: &str,
        diff: DiffPlan,
        ts_ns: i64,
        out: &mut Output,
    ) {
        out.decisions
            .extend(diff.transitions.into_iter().map(Decision::Order));
        for cancel in diff.cancels {
            self.orders
                .record_sent(&cancel.client_order_id, InFlight::Cancel, ts_ns);
            out.commands.push(Command::Cancel(cancel));
        }
        for decrease in diff.decreases {
            self.orders.record_sent(
                &decrease.client_order_id,
                InFlight::Decrease {
                    reduce_to: decrease.reduce_to,
                },
                ts_ns,
            );
            out.commands.push(Command::Decrease(decrease));
        }
        if let Some(reason) = self.places_held_reason() {
            // The diff's amends only ever top an order up, so they wait with the places.
            let held = diff.amends.len() + diff.places.len();
            if held > 0 {
                out.decide(Decision::PlacesHeld {
                    ticker: ticker.to_string(),
                    count: u32::try_from(held).unwrap_or(u32::MAX),
                    reason,
                });
            }
            return;
        }
        for amend in diff.amends {
            let view = self.risk_view(ticker, amend.price, Some(&amend.client_order_id));
            let mut decision = RiskDecision {
                client_order_id: amend.client_order_id.clone(),
                ticker: ticker.to_string(),
                request: RequestKind::Amend,
                side: amend.side,
                price: amend.price,
                count: amend.remaining_count,
                rejection: None,
            };
            match self.risk.check_amend(amend, &view, ts_ns) {
                Ok(approved) => {
                    self.orders.record_sent(
                        &approved.client_order_id,
                        InFlight::Amend {
                            price: approved.price,
                            total_count: approved.total_count,
                        },
                        ts_ns,
                    );
                    out.decide(Decision::Risk(decision));
                    out.commands.push(Command::Amend(approved));
                }
                Err(rejection) => {
                    decision.rejection = Some(rejection);
                    out.decide(Decision::Risk(decision));
                }
            }
        }
        let mut deferred: u32 = 0;
        for spec in diff.places {
            // With the order-rate budget spent, a new place would only be refused by risk and
            // burn a client id: leave it desired for a later step instead.
            if self.risk.rate_budget_available(ts_ns) < 1 {
                deferred += 1;
                continue;
            }
            let client_order_id = match spec.retry_of.clone() {
                Some(id) => id,
                None => match self.next_id() {
                    Some(id) => id,
                    None => return,
                },
            };
            let order = self.place_order(
                client_order_id,
                ticker,
                spec.quote.side,
                spec.quote.price,
                spec.quote.count,
                false,
            );
            self.submit(order, ts_ns, out);
        }
        if deferred > 0 {
            out.decide(Decision::PlacesDeferred {
                ticker: ticker.to_string(),
                count: deferred,
            });
        }
    }

    pub(super) fn place_order(
        &self,
        client_order_id: ClientOrderId,
        ticker: &str,
        side: BookSide,
        price: Price,
        count: Count,
        exit: bool,
    ) -> PlaceOrder {
        let defaults = self
            .config()
            .map(|config| config.orders.clone())
            .unwrap_or_default();
        PlaceOrder {
            client_order_id,
            ticker: ticker.to_string(),
            side,
            price,
            count,
            time_in_force: if exit {
                TimeInForce::ImmediateOrCancel
            } else {
                TimeInForce::GoodTillCanceled
            },
            post_only: !exit,
            reduce_only: exit,
            self_trade_prevention: defaults.self_trade_prevention,
            cancel_order_on_pause: defaults.cancel_order_on_pause && !exit,
            expiration_ts_s: None,
            order_group_id: defaults.order_group_id,
        }
    }

    pub(super) fn submit(&mut self, order: PlaceOrder, ts_ns: i64, out: &mut Output) {
        let view = self.risk_view(&order.ticker, order.price, None);
        let mut decision = RiskDecision {
            client_order_id: order.client_order_id.clone(),
            ticker: order.ticker.clone(),
            request: RequestKind::Place,
            side: order.side,
            price: order.price,
            count: order.count,
            rejection: None,
        };
        match self.risk.check_place(order, &view, ts_ns) {
            Ok(approved) => {
                let transition = self.orders.record_place_sent(&approved, ts_ns);
                out.decide(Decision::Risk(decision));
                out.decide(Decision::Order(transition));
                out.commands.push(Command::Place(approved));
            }
            Err(rejection) => {
                decision.rejection = Some(rejection);
                out.decide(Decision::Risk(decision));
            }
        }
    }

    /// Sends a wind-down exit: recorded through the EV gate (as a taker) for the transcript,
    /// but not required to pass it, since it only reduces a position; risk still applies.
    pub(super) fn send_exit(
        &mut self,
        ticker: &str,
        exit: ExitOrder,
        ts_ns: i64,
        out: &mut Output,
    ) {
        let Some(client_order_id) = self.next_id() else {
            return;
        };
        if let (Some(configured), Some(state)) =
            (self.configured.as_ref(), self.universe.by_ticker(ticker))
        {
            let config = &configured.config;
            let fair_ppm = fair_value(state, ts_ns, &config.signals, &self.tuning.blend())
                .map_or(0, |fair| fair.fair_ppm);
            let inputs = EvInputs {
                ticker: ticker.to_string(),
                side: exit.side,
                price: exit.price,
                count: exit.count,
                liquidity: Liquidity::Taker,
                fair_ppm,
                fair_source: FairSource::Book,
                inventory_skew_micros: inventory_skew_micros(
                    self.orders.positions().get(ticker).position,
                    config.strategy.inventory_skew_micros_per_contract,
                ),
            };
            let fees = fee_schedule_for(state.info().fee.as_ref());
            out.decide(Decision::Ev(configured.ev_gate.evaluate_taker(
                inputs,
                state.book(),
                fees.as_ref(),
            )));
        }
        let order = self.place_order(
            client_order_id,
            ticker,
            exit.side,
            exit.price,
            exit.count,
            true,
        );
        self.submit(order, ts_ns, out);
    }
}
