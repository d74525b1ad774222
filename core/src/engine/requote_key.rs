//! Requoting only markets whose strategy inputs changed.
//!
//! A step first applies its event, then requotes the markets it concerns. Most requotes find
//! nothing to do: the plan is `Keep` and the diff against the working orders is empty, or the
//! market is blocked and has nothing left to withdraw. Such a requote is a fixed point: it
//! emits nothing, and run again on the same inputs it emits nothing and changes nothing.
//!
//! After a requote that emitted nothing and left its own inputs as it found them, the market
//! keeps that [`QuoteKey`] as its clean key. The next requote computes the key again first and,
//! when it equals the clean key, stops there: everything the requote would read is what the
//! no-op requote read, so it would be a no-op again. The key holds, exactly:
//!
//! - the requote epoch: bumped before and after every event other than book snapshots and
//!   deltas, public trades, timer ticks and read-only inputs, and whenever the loss check or the
//!   fill-burst breaker speaks during one of those. Everything those events change (orders,
//!   positions, listings, fees, config, tuning, operator controls, universe choice, model
//!   probabilities, risk limits) is covered by it;
//! - the gates that can move within the step: risk state, fill-burst breaker, stale data,
//!   exchange pause, held places, flatten and shutdown, the market's universe and live-filter
//!   standing, its status and book validity;
//! - the fair value at this instant ([`fair_value`]: touch, depth, trade flow window, mid trend
//!   and model freshness all enter through it, time included);
//! - the strategy's [`PlanKey`]: the book facts its plan reads (touch with sizes, sizing depth)
//!   and its clock facts (wind-down window, anchor age, exit due).
//!
//! A custom strategy without a key, a flatten in force, or a market being unwound is never
//! skipped. A skipped requote still trims the order books' archive of ended orders where the
//! requote would have (its diff and its cancel pass both do), so lookups of old orders answer
//! as they did.

use super::*;
use crate::strategy::{PlanKey, PlanKeyContext};
use crate::vocab::ev::FairValue;

/// Everything one market's requote reads that the requote epoch does not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct QuoteKey {
    epoch: u64,
    risk_state: RiskState,
    status: MarketStatus,
    /// Gate flags, one bit each (see [`Engine::quote_key`]).
    gates: u16,
    fair: Option<FairValue>,
    plan: PlanKey,
}

impl Engine {
    /// Starts a new requote epoch: every market's clean key is stale.
    pub(super) fn bump_requote_epoch(&mut self) {
        self.requote_epoch = self.requote_epoch.wrapping_add(1);
    }

    /// The fair value market `index`'s plan would decide with at `ts_ns`.
    pub(super) fn fair_now(&self, index: MarketIndex, ts_ns: i64) -> Option<FairValue> {
        let config = self.config()?;
        let state = self.universe.get(index)?;
        fair_value(state, ts_ns, &config.signals, &self.tuning.blend())
    }

    /// The key of market `index`'s requote at `ts_ns` with its fair value `fair` (`None` when
    /// the requote may not be skipped at all).
    pub(super) fn quote_key(
        &self,
        index: MarketIndex,
        ts_ns: i64,
        fair: Option<FairValue>,
    ) -> Option<QuoteKey> {
        if self.has_custom_strategy() || self.flatten_active || self.markets.is_flattening(index) {
            return None;
        }
        let state = self.universe.get(index)?;
        let strategy = &self.configured.as_ref()?.strategy;
        let plan = strategy.plan_key(&PlanKeyContext {
            market: index,
            ts_ns,
            book: state.book(),
            time_to_close_ns: state.time_to_close_ns(ts_ns),
        })?;
        let flags = [
            self.shutting_down,
            self.fill_burst.is_tripped(),
            self.data_stale,
            self.trading_active,
            self.awaiting_reconciliation,
            self.markets.is_quoted(index),
            self.markets.is_live_failing(index),
            state.book().is_valid(),
        ];
        let gates = flags
            .into_iter()
            .enumerate()
            .fold(0u16, |bits, (at, flag)| bits | u16::from(flag) << at);
        Some(QuoteKey {
            epoch: self.requote_epoch,
            risk_state: self.risk.state(),
            status: state.status(),
            gates,
            fair,
            plan,
        })
    }

    /// Requotes market `index` unless its inputs are those of its last no-op requote.
    pub(super) fn requote(&mut self, index: MarketIndex, ts_ns: i64, out: &mut Output) {
        if self.configured.is_none() || !self.reconciled {
            return;
        }
        let fair = self.fair_now(index, ts_ns);
        let key = self.quote_key(index, ts_ns, fair);
        if key.is_some() && self.markets.get(index).and_then(|slot| slot.clean_key) == key {
            // The one thing the skipped requote would still have done: its diff (or its
            // withdrawal's cancel pass) trims the order books' archive of ended orders, which
            // another step may have grown past its bound. Everything but a market that is
            // neither blocked nor tradable during a pause gets that far.
            if self.trading_active || self.blocked(index).is_some() {
                self.orders.evict_archived();
            }
            return;
        }
        let emitted = (out.commands.len(), out.decisions.len());
        self.requotes_run = self.requotes_run.wrapping_add(1);
        self.requote_now(index, ts_ns, fair, out);
        // The requote does not touch the market's own state, so the fair value still holds.
        let clean = key.filter(|key| {
            emitted == (out.commands.len(), out.decisions.len())
                && self.quote_key(index, ts_ns, fair) == Some(*key)
        });
        self.markets.slot(index).clean_key = clean;
    }
}
