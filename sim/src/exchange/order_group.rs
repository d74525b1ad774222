//! Order groups: an automatic kill switch. Each group counts contracts matched by its orders
//! over a rolling window (15 s by default); when that total exceeds the group's limit (or the
//! owner triggers it, or lowers the limit below the window total) the group triggers: its
//! resting orders are cancelled and new orders naming it are refused until it is reset.

use std::collections::VecDeque;

use kalshi_core::Count;
use serde::Serialize;

use super::account::AccountKey;
use super::order::OrderIdx;

/// One order group's state.
#[derive(Debug, Clone)]
pub(crate) struct OrderGroup {
    pub(crate) id: String,
    pub(crate) owner: AccountKey,
    pub(crate) limit: Count,
    pub(crate) triggered: bool,
    /// Matched contracts inside the window, oldest first: (time ns, count).
    pub(crate) window: VecDeque<(i64, Count)>,
    pub(crate) window_total: Count,
    /// Every order ever placed in the group.
    pub(crate) orders: Vec<OrderIdx>,
}

impl OrderGroup {
    pub(crate) fn new(id: String, owner: AccountKey, limit: Count) -> OrderGroup {
        OrderGroup {
            id,
            owner,
            limit,
            triggered: false,
            window: VecDeque::new(),
            window_total: Count::ZERO,
            orders: Vec::new(),
        }
    }

    /// Drops matches older than the window.
    pub(crate) fn evict(&mut self, now_ns: i64, window_ns: i64) {
        while let Some(&(ts, count)) = self.window.front() {
            if ts > now_ns - window_ns {
                break;
            }
            self.window.pop_front();
            self.window_total = self.window_total.saturating_sub(count);
        }
    }

    /// Records matched contracts; returns true when the window total now exceeds the limit.
    pub(crate) fn record_match(&mut self, now_ns: i64, window_ns: i64, count: Count) -> bool {
        self.evict(now_ns, window_ns);
        self.window.push_back((now_ns, count));
        self.window_total = self.window_total + count;
        self.window_total > self.limit
    }

    /// Clears the window and lifts the trigger.
    pub(crate) fn reset(&mut self) {
        self.window.clear();
        self.window_total = Count::ZERO;
        self.triggered = false;
    }
}

/// An order group as the REST layer reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderGroupView {
    /// Group id.
    pub order_group_id: String,
    /// Owner's subaccount.
    pub subaccount: u32,
    /// Contracts limit over the rolling window.
    pub contracts_limit: Count,
    /// True once triggered and until reset (`is_auto_cancel_enabled` is its negation).
    pub triggered: bool,
    /// Matched contracts currently inside the window.
    pub window_matched: Count,
    /// Ids of the group's resting orders.
    pub resting_order_ids: Vec<String>,
}

use super::Exchange;
use super::account::UserId;
use super::error::ExchangeError;
use super::events_out::{ExchangeEvent, OrderGroupChange, OrderGroupEvent};

/// Largest contracts limit a group may have.
const CONTRACTS_LIMIT_MAX: i64 = 1_000_000;

impl Exchange {
    /// Finds a group owned by `key`.
    pub(crate) fn group_for(
        &self,
        key: AccountKey,
        order_group_id: &str,
    ) -> Result<usize, ExchangeError> {
        self.group_index
            .get(order_group_id)
            .copied()
            .filter(|&g| self.groups[g].owner == key)
            .ok_or_else(|| ExchangeError::OrderGroupNotFound {
                order_group_id: order_group_id.to_string(),
            })
    }

    /// Records an order as a member of its group (after placement).
    pub(crate) fn attach_to_group(&mut self, idx: OrderIdx) {
        let group = self.orders[idx as usize]
            .order_group_id
            .as_deref()
            .and_then(|id| self.group_index.get(id).copied());
        if let Some(g) = group {
            self.groups[g].orders.push(idx);
        }
    }

    /// Adds matched contracts to an order's group window; triggers the group on excess.
    pub(crate) fn record_group_match(&mut self, idx: OrderIdx, qty: Count) {
        let group = self.orders[idx as usize]
            .order_group_id
            .as_deref()
            .and_then(|id| self.group_index.get(id).copied());
        let Some(g) = group else { return };
        let now = self.now_ns;
        let window = self.config.order_group_window_ns;
        let exceeded = self.groups[g].record_match(now, window, qty);
        if exceeded && !self.groups[g].triggered {
            self.trigger_group(g);
        }
    }

    /// Triggers a group: cancels its resting orders and blocks new ones until reset.
    fn trigger_group(&mut self, g: usize) {
        self.groups[g].triggered = true;
        let members = self.groups[g].orders.clone();
        for idx in members {
            self.cancel_resting(idx, None);
        }
        self.emit_group_event(g, OrderGroupChange::Triggered, None);
    }

    fn emit_group_event(
        &mut self,
        g: usize,
        change: OrderGroupChange,
        contracts_limit: Option<Count>,
    ) {
        let group = &self.groups[g];
        self.events_out
            .push(ExchangeEvent::OrderGroup(OrderGroupEvent {
                user: group.owner.user,
                subaccount: group.owner.subaccount,
                order_group_id: group.id.clone(),
                change,
                contracts_limit,
                ts_ns: self.now_ns,
            }));
    }

    fn check_contracts_limit(limit: Count) -> Result<(), ExchangeError> {
        if limit.centi() < 100 || limit.centi() > CONTRACTS_LIMIT_MAX * 100 {
            return Err(ExchangeError::invalid_parameters(
                "contracts_limit must be between 1 and 1,000,000",
            ));
        }
        Ok(())
    }

    /// `POST /portfolio/order_groups/create`: returns the new group id.
    pub fn create_order_group(
        &mut self,
        user: UserId,
        subaccount: u32,
        contracts_limit: Count,
        now_ns: i64,
    ) -> Result<String, ExchangeError> {
        self.advance_to(now_ns);
        let key = AccountKey { user, subaccount };
        self.account(key)?;
        Self::check_contracts_limit(contracts_limit)?;
        self.begin_action(now_ns);
        let id = self.ids.next_uuid();
        let g = self.groups.len();
        self.groups
            .push(OrderGroup::new(id.clone(), key, contracts_limit));
        self.group_index.insert(id.clone(), g);
        self.emit_group_event(g, OrderGroupChange::Created, Some(contracts_limit));
        self.end_action();
        Ok(id)
    }

    /// `GET /portfolio/order_groups/{id}`.
    pub fn order_group(
        &self,
        user: UserId,
        subaccount: u32,
        order_group_id: &str,
    ) -> Result<OrderGroupView, ExchangeError> {
        let g = self.group_for(AccountKey { user, subaccount }, order_group_id)?;
        Ok(self.group_view(g))
    }

    /// `GET /portfolio/order_groups`: the subaccount's groups, oldest first.
    pub fn order_groups(&self, user: UserId, subaccount: u32) -> Vec<OrderGroupView> {
        let key = AccountKey { user, subaccount };
        let mut found: Vec<usize> = self
            .group_index
            .values()
            .copied()
            .filter(|&g| self.groups[g].owner == key)
            .collect();
        found.sort_unstable();
        found.into_iter().map(|g| self.group_view(g)).collect()
    }

    fn group_view(&self, g: usize) -> OrderGroupView {
        let group = &self.groups[g];
        let mut window = group.clone();
        window.evict(self.now_ns, self.config.order_group_window_ns);
        OrderGroupView {
            order_group_id: group.id.clone(),
            subaccount: group.owner.subaccount,
            contracts_limit: group.limit,
            triggered: group.triggered,
            window_matched: window.window_total,
            resting_order_ids: group
                .orders
                .iter()
                .map(|&idx| &self.orders[idx as usize])
                .filter(|o| o.is_resting())
                .map(|o| o.order_id.clone())
                .collect(),
        }
    }

    /// `PUT /portfolio/order_groups/{id}/trigger`.
    pub fn trigger_order_group(
        &mut self,
        user: UserId,
        subaccount: u32,
        order_group_id: &str,
        now_ns: i64,
    ) -> Result<(), ExchangeError> {
        self.advance_to(now_ns);
        let g = self.group_for(AccountKey { user, subaccount }, order_group_id)?;
        self.begin_action(now_ns);
        self.trigger_group(g);
        self.end_action();
        Ok(())
    }

    /// `PUT /portfolio/order_groups/{id}/reset`: clears the window and allows orders again.
    pub fn reset_order_group(
        &mut self,
        user: UserId,
        subaccount: u32,
        order_group_id: &str,
        now_ns: i64,
    ) -> Result<(), ExchangeError> {
        self.advance_to(now_ns);
        let g = self.group_for(AccountKey { user, subaccount }, order_group_id)?;
        self.begin_action(now_ns);
        self.groups[g].reset();
        self.emit_group_event(g, OrderGroupChange::Reset, None);
        self.end_action();
        Ok(())
    }

    /// `PUT /portfolio/order_groups/{id}/limit`: triggers at once if the window already exceeds it.
    pub fn update_order_group_limit(
        &mut self,
        user: UserId,
        subaccount: u32,
        order_group_id: &str,
        contracts_limit: Count,
        now_ns: i64,
    ) -> Result<(), ExchangeError> {
        self.advance_to(now_ns);
        let g = self.group_for(AccountKey { user, subaccount }, order_group_id)?;
        Self::check_contracts_limit(contracts_limit)?;
        self.begin_action(now_ns);
        let now = self.now_ns;
        let window = self.config.order_group_window_ns;
        let group = &mut self.groups[g];
        group.limit = contracts_limit;
        group.evict(now, window);
        let exceeded = group.window_total > group.limit && !group.triggered;
        self.emit_group_event(g, OrderGroupChange::LimitUpdated, Some(contracts_limit));
        if exceeded {
            self.trigger_group(g);
        }
        self.end_action();
        Ok(())
    }

    /// `DELETE /portfolio/order_groups/{id}`: cancels its orders and deletes it.
    pub fn delete_order_group(
        &mut self,
        user: UserId,
        subaccount: u32,
        order_group_id: &str,
        now_ns: i64,
    ) -> Result<(), ExchangeError> {
        self.advance_to(now_ns);
        let g = self.group_for(AccountKey { user, subaccount }, order_group_id)?;
        self.begin_action(now_ns);
        let members = self.groups[g].orders.clone();
        for idx in members {
            self.cancel_resting(idx, None);
        }
        self.emit_group_event(g, OrderGroupChange::Deleted, None);
        self.group_index.remove(order_group_id);
        self.end_action();
        Ok(())
    }
}
