//! Changing resting orders: cancel, decrease (`reduce_by` / `reduce_to`), amend (price and
//! total size; may cross and fill), cancel-all and batch cancel.
//!
//! Queue priority on amend: keeping the price and not increasing the remaining size keeps
//! the order's place (a pure decrease or an expiry-only change); a price change or a size
//! increase sends it to the back of the new level, after matching anything it now crosses.

use kalshi_core::Money;

use super::account::{AccountKey, UserId};
use super::error::ExchangeError;
use super::order::{
    AmendOrder, AmendOutcome, CancelOutcome, Decrease, ExpirationChange, OrderIdx, UpdateReason,
};
use super::{Exchange, NS_PER_S};

impl Exchange {
    /// Finds the caller's order by id (optionally requiring a subaccount).
    pub(crate) fn own_order(
        &self,
        user: UserId,
        subaccount: Option<u32>,
        order_id: &str,
    ) -> Result<OrderIdx, ExchangeError> {
        let not_found = || ExchangeError::OrderNotFound {
            order_id: order_id.to_string(),
        };
        let idx = *self.order_index.get(order_id).ok_or_else(not_found)?;
        let o = &self.orders[idx as usize];
        if o.user != user || subaccount.is_some_and(|s| s != o.subaccount) {
            return Err(not_found());
        }
        Ok(idx)
    }

    /// `DELETE …/orders/{id}`: cancels the remaining size. An order that is no longer resting
    /// answers with `reduced_by` zero. Allowed during a trading pause, not an exchange pause.
    pub fn cancel(
        &mut self,
        user: UserId,
        subaccount: Option<u32>,
        order_id: &str,
        now_ns: i64,
    ) -> Result<CancelOutcome, ExchangeError> {
        self.advance_to(now_ns);
        if !self.exchange_active {
            return Err(ExchangeError::ExchangePaused);
        }
        let idx = self.own_order(user, subaccount, order_id)?;
        self.begin_action(now_ns);
        let reduced_by = self.cancel_resting(idx, Some(UpdateReason::Decrease));
        self.end_action();
        Ok(CancelOutcome {
            order: self.orders[idx as usize].clone(),
            reduced_by,
            ts_ns: self.now_ns,
        })
    }

    /// `DELETE …/orders/batched`: cancels each id independently.
    pub fn batch_cancel(
        &mut self,
        user: UserId,
        subaccount: Option<u32>,
        order_ids: &[String],
        now_ns: i64,
    ) -> Vec<Result<CancelOutcome, ExchangeError>> {
        order_ids
            .iter()
            .map(|id| self.cancel(user, subaccount, id, now_ns))
            .collect()
    }

    /// `DELETE /portfolio/events/orders`: cancels every resting order of the user (of one
    /// subaccount when given). Returns how many orders were cancelled.
    pub fn cancel_all(
        &mut self,
        user: UserId,
        subaccount: Option<u32>,
        now_ns: i64,
    ) -> Result<usize, ExchangeError> {
        self.advance_to(now_ns);
        if !self.exchange_active {
            return Err(ExchangeError::ExchangePaused);
        }
        let resting: Vec<OrderIdx> = self
            .user(user)?
            .orders
            .iter()
            .copied()
            .filter(|&idx| {
                let o = &self.orders[idx as usize];
                o.is_resting() && subaccount.is_none_or(|s| s == o.subaccount)
            })
            .collect();
        self.begin_action(now_ns);
        for &idx in &resting {
            self.cancel_resting(idx, Some(UpdateReason::Decrease));
        }
        self.end_action();
        Ok(resting.len())
    }

    /// `POST …/orders/{id}/decrease`: shrinks the remaining size, keeping queue priority.
    /// `By` beyond the remaining size cancels the rest; `To` must not exceed it.
    pub fn decrease(
        &mut self,
        user: UserId,
        subaccount: Option<u32>,
        order_id: &str,
        decrease: Decrease,
        now_ns: i64,
    ) -> Result<CancelOutcome, ExchangeError> {
        self.advance_to(now_ns);
        if !self.exchange_active {
            return Err(ExchangeError::ExchangePaused);
        }
        let idx = self.own_order(user, subaccount, order_id)?;
        let o = &self.orders[idx as usize];
        if !o.is_resting() {
            return Err(ExchangeError::OrderNotResting {
                order_id: order_id.to_string(),
            });
        }
        let remaining = o.remaining_count;
        let by = match decrease {
            Decrease::By(by) => {
                if by.is_zero() {
                    return Err(ExchangeError::invalid_order("reduce_by must be positive"));
                }
                by.min(remaining)
            }
            Decrease::To(to) => remaining.checked_sub(to).ok_or_else(|| {
                ExchangeError::invalid_order("reduce_to must not exceed the remaining count")
            })?,
        };
        let market = o.market;
        if !self.markets[market as usize].spec.fractional_trading && by.centi() % 100 != 0 {
            return Err(ExchangeError::InvalidCount {
                count: by,
                details: "this market only trades whole contracts".into(),
            });
        }
        self.begin_action(now_ns);
        let reduced_by = self.shrink_resting(idx, by, UpdateReason::Decrease);
        self.end_action();
        Ok(CancelOutcome {
            order: self.orders[idx as usize].clone(),
            reduced_by,
            ts_ns: self.now_ns,
        })
    }

    /// `POST …/orders/{id}/amend`: `count` is the new TOTAL (filled + remaining).
    pub fn amend(
        &mut self,
        user: UserId,
        request: AmendOrder,
        now_ns: i64,
    ) -> Result<AmendOutcome, ExchangeError> {
        self.advance_to(now_ns);
        let idx = self.own_order(user, Some(request.subaccount), &request.order_id)?;
        let (market, old) = {
            let o = &self.orders[idx as usize];
            (o.market, o.clone())
        };
        if !old.is_resting() {
            return Err(ExchangeError::OrderNotResting {
                order_id: request.order_id.clone(),
            });
        }
        self.check_tradable(market)?;
        if request.ticker != old.ticker {
            return Err(ExchangeError::invalid_order(
                "ticker does not match the order",
            ));
        }
        if request.side != old.side {
            return Err(ExchangeError::invalid_order(
                "side does not match the order",
            ));
        }
        if let Some(id) = request.client_order_id.as_deref()
            && old.client_order_id.as_deref() != Some(id)
        {
            return Err(ExchangeError::invalid_order(
                "client_order_id does not match the order",
            ));
        }
        if let Some(id) = request.updated_client_order_id.as_deref() {
            self.check_client_order_id(user, id, Some(idx))?;
        }
        self.check_price(market, request.price)?;
        self.check_count(market, request.count)?;
        let new_remaining = request
            .count
            .checked_sub(old.fill_count)
            .filter(|rest| !rest.is_zero())
            .ok_or_else(|| {
                ExchangeError::invalid_order(
                    "count is the new total and must exceed the filled count",
                )
            })?;
        let expiration_ns = match request.expiration {
            ExpirationChange::Keep => old.expiration_ns,
            ExpirationChange::Remove => None,
            ExpirationChange::Set(seconds) => {
                let expiry = seconds.checked_mul(NS_PER_S).ok_or_else(|| {
                    ExchangeError::invalid_order("expiration_time is out of range")
                })?;
                if expiry <= now_ns.max(self.now_ns) {
                    return Err(ExchangeError::invalid_order(
                        "expiration_time must be in the future",
                    ));
                }
                Some(expiry)
            }
        };
        let keeps_priority = request.price == old.yes_price && new_remaining <= old.remaining_count;
        let key = AccountKey {
            user,
            subaccount: old.subaccount,
        };
        let mut open_count = old.reserved_open_count;
        if !keeps_priority {
            let closable = self.closable(key, market, old.side, Some(idx));
            let required =
                self.collateral_required(market, old.side, request.price, new_remaining, closable);
            let account = self.account(key)?;
            let available = account.cash - account.reserved + old.reserved;
            if required > available {
                return Err(ExchangeError::InsufficientBalance {
                    required_micros: required.micros(),
                    available_micros: available.micros(),
                });
            }
            open_count = new_remaining.saturating_sub(closable.min(new_remaining));
        }

        self.begin_action(now_ns);
        let now = self.now_ns;
        if let Some(id) = request.updated_client_order_id.clone() {
            self.orders[idx as usize].client_order_id = Some(id);
        }
        if old.expiration_ns != expiration_ns {
            if let Some(expiry) = old.expiration_ns {
                self.expiries.remove(&(expiry, idx));
            }
            if let Some(expiry) = expiration_ns {
                self.expiries.insert((expiry, idx));
            }
            self.orders[idx as usize].expiration_ns = expiration_ns;
        }
        let mut summary = super::matching::MatchSummary::default();
        if keeps_priority {
            let by = old.remaining_count.saturating_sub(new_remaining);
            if !by.is_zero() {
                self.shrink_resting(idx, by, UpdateReason::Amend);
            }
            let o = &mut self.orders[idx as usize];
            o.initial_count = request.count;
            o.last_update_ns = now;
            o.last_update_reason = Some(UpdateReason::Amend);
            self.emit_order_update(idx);
        } else {
            // Leave the book (keeping the order record), re-price, and run it as new.
            self.lift_for_amend(idx);
            {
                let o = &mut self.orders[idx as usize];
                o.yes_price = request.price;
                o.remaining_count = new_remaining;
                o.initial_count = request.count;
                o.reserved_open_count = open_count;
                o.last_update_reason = Some(UpdateReason::Amend);
            }
            summary = self.run_new_order(idx, false, false);
            let o = &mut self.orders[idx as usize];
            if o.is_resting() && summary.filled.is_zero() {
                o.last_update_reason = Some(UpdateReason::Amend);
            }
        }
        self.end_action();
        let order = self.orders[idx as usize].clone();
        Ok(AmendOutcome {
            old_order: old,
            fill_count: summary.filled,
            remaining_count: order.remaining_count,
            average_fill_price: summary.average_price(),
            average_fee_paid: summary.average_fee(),
            order,
            ts_ns: self.now_ns,
        })
    }

    /// Takes a resting order off the book for an amend without ending it.
    fn lift_for_amend(&mut self, idx: OrderIdx) {
        let (market, side, price, remaining, expiration, user) = {
            let o = &self.orders[idx as usize];
            (
                o.market,
                o.side,
                o.yes_price,
                o.remaining_count,
                o.expiration_ns,
                o.user,
            )
        };
        self.markets[market as usize]
            .book
            .remove(side, price, idx, remaining);
        if let Some(expiry) = expiration {
            self.expiries.remove(&(expiry, idx));
        }
        if let Ok(u) = self.user_mut(user) {
            u.resting_count = u.resting_count.saturating_sub(1);
        }
        self.emit_delta(idx, price, -remaining.signed());
        // Release its reservation; the re-run reserves again if it rests.
        let key = AccountKey {
            user,
            subaccount: self.orders[idx as usize].subaccount,
        };
        let old = self.orders[idx as usize].reserved;
        self.orders[idx as usize].reserved = Money::ZERO;
        if let Ok(account) = self.account_mut(key) {
            account.reserved = account.reserved - old;
        }
    }
}
