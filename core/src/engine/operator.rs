//! What an operator sends a running engine: controls (halt, resume, kill, shutdown, flatten
//! and the unwinding a flatten drives) and live settings that may only tighten.

use super::*;
use crate::fixed::MICROS_PER_DOLLAR;

impl Engine {
    /// An operator's live setting: the edge in either direction, a risk limit only when it
    /// tightens; applied settings requote every market at once.
    pub(super) fn on_operator_set(&mut self, setting: LiveSetting, ts_ns: i64, out: &mut Output) {
        let refuse = |out: &mut Output, reason: String| {
            out.decide(Decision::OperatorSetting {
                setting,
                applied: false,
                reason,
            });
        };
        let Some(mut config) = self.config().cloned() else {
            refuse(out, "no configuration yet".to_string());
            return;
        };
        let risk = &mut config.risk;
        let tightens = match setting {
            LiveSetting::MinEdgeMicros(edge) if edge < 0 => {
                refuse(out, format!("min_edge_micros {edge} is negative"));
                return;
            }
            LiveSetting::MinEdgeMicros(edge) => {
                config.ev_gate.min_edge_micros = edge;
                true
            }
            LiveSetting::OrderContractsMax(count) => tighten(&mut risk.order_contracts_max, count),
            LiveSetting::MarketPositionMax(count) => tighten(&mut risk.market_position_max, count),
            LiveSetting::EventPositionMax(count) => tighten(&mut risk.event_position_max, count),
            LiveSetting::AccountExposureMax(money) => {
                tighten(&mut risk.account_exposure_max, money)
            }
            LiveSetting::OpenOrdersPerMarketMax(max) => {
                tighten(&mut risk.open_orders_per_market_max, max)
            }
            LiveSetting::DailyLossStop(money) => tighten(&mut risk.daily_loss_stop, money),
            LiveSetting::DailyLossReducing(money) => tighten(&mut risk.daily_loss_reducing, money),
            LiveSetting::SpreadTicksMax(ticks) => {
                config.scanner.spread_ticks_max = Some(ticks);
                true
            }
            LiveSetting::RungBaseSize(count) => {
                config.strategy.base_size = count;
                true
            }
            LiveSetting::RungSizeCap(count) => {
                config.strategy.size_cap = count;
                true
            }
        };
        if !tightens {
            refuse(
                out,
                "a risk limit may only tighten while running".to_string(),
            );
            return;
        }
        if let Err(error) = config.validate() {
            refuse(out, error.to_string());
            return;
        }
        self.risk.set_limits(config.risk.clone());
        let strategy_changed = matches!(
            setting,
            LiveSetting::RungBaseSize(_) | LiveSetting::RungSizeCap(_)
        );
        if let Some(configured) = self.configured.as_mut() {
            if strategy_changed && !configured.custom_strategy {
                // The ladder takes its settings when built; a new one re-lays every market.
                configured.strategy = Box::new(MakerLadder::new(config.strategy.clone()));
            }
            configured.ev_gate =
                EvGate::new(config.ev_gate.clone(), config.fee_target_precision_micros);
            configured.config = config;
        }
        out.decide(Decision::OperatorSetting {
            setting,
            applied: true,
            reason: String::new(),
        });
        self.check_loss(out);
        self.requote_all(ts_ns, out);
    }

    pub(super) fn on_control(&mut self, control: ControlCommand, ts_ns: i64, out: &mut Output) {
        match control {
            ControlCommand::KillSwitch => {
                self.markets.clear_flattening();
                self.flatten_active = false;
                if let Some(record) = self.risk.kill() {
                    out.decide(Decision::RiskState(record));
                }
                // The exchange-wide cancel covers every order; per-order records wait for the
                // exchange's cancel reports.
                self.orders.cancel_orders(None);
                self.markets.clear_desired();
                out.commands.push(Command::CancelAll);
            }
            ControlCommand::Halt => {
                self.markets.clear_flattening();
                self.flatten_active = false;
                if let Some(record) = self.risk.halt() {
                    out.decide(Decision::RiskState(record));
                }
                self.requote_all(ts_ns, out);
                out.commands.extend(self.orders.cancel_orders(None));
            }
            ControlCommand::Resume => {
                match self.risk.resume(self.unrealized_pnl()) {
                    Ok(Some(record)) => {
                        self.markets.clear_flattening();
                        self.flatten_active = false;
                        out.decide(Decision::RiskState(record));
                    }
                    Ok(None) => {
                        self.markets.clear_flattening();
                        self.flatten_active = false;
                    }
                    Err(state) => out.decide(Decision::ResumeRefused { state }),
                }
                self.requote_all(ts_ns, out);
            }
            ControlCommand::Shutdown => {
                self.shutting_down = true;
                self.requote_all(ts_ns, out);
                out.commands.extend(self.orders.cancel_orders(None));
            }
            ControlCommand::Flatten => self.flatten(ts_ns, out),
        }
    }

    /// Flatten (see [`ControlCommand::Flatten`]): REDUCING, every order of ours cancelled, and
    /// every market with a position marked for unwinding: from then on its requotes send
    /// reduce-only exits ([`Engine::unwind`]) instead of the ladder.
    pub(super) fn flatten(&mut self, ts_ns: i64, out: &mut Output) {
        match self.risk.flatten() {
            Ok(Some(record)) => out.decide(Decision::RiskState(record)),
            Ok(None) => {}
            Err(state) => {
                out.decide(Decision::ResumeRefused { state });
                return;
            }
        }
        self.flatten_active = true;
        out.commands.extend(self.orders.cancel_orders(None));
        self.markets.clear_desired();
        let held: Vec<String> = self
            .orders
            .positions()
            .iter()
            .filter(|(_, position)| position.position.centi() != 0)
            .map(|(ticker, _)| ticker.to_string())
            .collect();
        for ticker in held {
            if let Some(index) = self.universe.index_of(&ticker) {
                self.markets.slot(index).flattening = true;
                self.unwind(index, &ticker, ts_ns, out);
            }
        }
    }

    /// One unwinding step of a flattened market: a reduce-only immediate-or-cancel exit at
    /// the opposite touch for the part of the position that no order of ours is already
    /// selling (or buying back), at most what the touch holds. Orders still resting (their
    /// cancels not yet confirmed) keep it waiting; each cancel or exit report re-runs it.
    pub(super) fn unwind(
        &mut self,
        index: MarketIndex,
        ticker: &str,
        ts_ns: i64,
        out: &mut Output,
    ) {
        let (market, _) = self.orders.market_exposure(ticker, None);
        let position = market.position.centi();
        if position == 0 {
            self.markets.slot(index).flattening = false;
            return;
        }
        let Some(state) = self.universe.get(index) else {
            return;
        };
        let (side, touch, already) = if position > 0 {
            (
                BookSide::Ask,
                state.book().best_bid(),
                market.resting_ask.centi(),
            )
        } else {
            (
                BookSide::Bid,
                state.book().best_ask(),
                market.resting_bid.centi(),
            )
        };
        let Some(level) = touch else {
            return;
        };
        let mut wanted = (position.abs() - already).min(level.size.centi());
        if let Some(config) = self
            .configured
            .as_ref()
            .map(|configured| &configured.config)
        {
            // One exit at most what a single order may be, in contracts and in notional
            // (the rest goes out as this one reports back).
            wanted = wanted.min(config.risk.order_contracts_max.centi());
            let paid_micros = match side {
                BookSide::Bid => level.price.micros(),
                BookSide::Ask => MICROS_PER_DOLLAR - level.price.micros(),
            };
            if paid_micros > 0 {
                let notional_max = i128::from(config.risk.order_notional_max.micros());
                let by_notional = notional_max * 100 / i128::from(paid_micros);
                wanted = wanted.min(i64::try_from(by_notional).unwrap_or(i64::MAX));
            }
            // The risk checks' collar is around the fair value; a market no longer quoted
            // keeps its last one, and one never quoted gets it here. A touch beyond the collar
            // is not sent at all (risk would refuse it): the exit waits for the book to come
            // back inside it.
            if let Some(fair) = fair_value(state, ts_ns, &config.signals, &self.tuning.blend()) {
                self.markets.slot(index).fair_ppm = Some(fair.fair_ppm);
                let distance = (level.price.micros() - i64::from(fair.fair_ppm)).abs();
                if distance > config.risk.price_collar_micros {
                    return;
                }
            }
        }
        let Some(state) = self.universe.get(index) else {
            return;
        };
        let count_centi = if state.info().fractional_trading {
            wanted
        } else {
            wanted - wanted.rem_euclid(100)
        };
        let Ok(count) = Count::from_centi(count_centi) else {
            return;
        };
        if count.is_zero() {
            return;
        }
        self.send_exit(
            ticker,
            ExitOrder {
                side,
                price: level.price,
                count,
            },
            ts_ns,
            out,
        );
    }
}

/// Sets `limit` to `value` when that is no looser; returns whether it was.
fn tighten<T: PartialOrd>(limit: &mut T, value: T) -> bool {
    if value <= *limit {
        *limit = value;
        true
    } else {
        false
    }
}
