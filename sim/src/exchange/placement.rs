//! Order creation: V2 (`side` bid/ask + YES price) and legacy (`side` yes/no + `action` +
//! one of four prices) onto the same engine, plus batch creates with per-item results.
//!
//! Post-only orders that would cross are **accepted and immediately cancelled** (the create
//! succeeds with `fill_count` 0, `remaining_count` 0, status `canceled` and
//! `last_update_reason` `PostOnlyCrossCancel`), never rejected with an error: Kalshi's
//! `user_order` enum carries `PostOnlyCrossCancel`, which only makes sense for an order that
//! existed. Clients must therefore check the returned status, not just the HTTP code.
//! Reduce-only orders work the same way when they are capped: the cap is applied at
//! placement (`ReduceOnlyCancel`), and a cap of zero yields a cancelled order, not an error.

use kalshi_core::side::{BookSide, OutcomeSide};
use kalshi_core::{Count, Money, Price};

use super::account::{AccountKey, UserId};
use super::error::{ExchangeError, LEGACY_PRICE_RULE_DETAILS};
use super::order::{
    CreateOrderLegacy, CreateOrderV2, LegacyDirection, Order, OrderIdx, OrderStatus, PlaceOutcome,
    SelfTradePrevention, TimeInForce, UpdateReason, outcome_price,
};
use super::{Exchange, NS_PER_S};

/// Longest client order id accepted.
const CLIENT_ORDER_ID_CHARS_MAX: usize = 64;

/// Extra constraints a legacy create brings.
#[derive(Debug, Clone, Copy, Default)]
struct LegacyExtras {
    direction: Option<LegacyDirection>,
    buy_max_cost: Option<Money>,
}

impl Exchange {
    /// `POST /portfolio/events/orders`: validates, matches, rests or cancels the remainder.
    pub fn place_v2(
        &mut self,
        user: UserId,
        request: CreateOrderV2,
        now_ns: i64,
    ) -> Result<PlaceOutcome, ExchangeError> {
        self.advance_to(now_ns);
        self.begin_action(now_ns);
        let outcome = self.place(user, request, LegacyExtras::default());
        self.end_action();
        outcome
    }

    /// `POST /portfolio/orders` (legacy): maps `(side, action, price)` onto the V2 engine.
    pub fn place_legacy(
        &mut self,
        user: UserId,
        request: CreateOrderLegacy,
        now_ns: i64,
    ) -> Result<PlaceOutcome, ExchangeError> {
        let (v2, extras) = map_legacy(request)?;
        self.advance_to(now_ns);
        self.begin_action(now_ns);
        let outcome = self.place(user, v2, extras);
        self.end_action();
        outcome
    }

    /// `POST /portfolio/events/orders/batched`: each item succeeds or fails on its own.
    pub fn batch_place_v2(
        &mut self,
        user: UserId,
        requests: Vec<CreateOrderV2>,
        now_ns: i64,
    ) -> Vec<Result<PlaceOutcome, ExchangeError>> {
        self.advance_to(now_ns);
        requests
            .into_iter()
            .map(|request| {
                self.begin_action(now_ns);
                let outcome = self.place(user, request, LegacyExtras::default());
                self.end_action();
                outcome
            })
            .collect()
    }

    /// `POST /portfolio/orders/batched` (legacy): each item succeeds or fails on its own.
    pub fn batch_place_legacy(
        &mut self,
        user: UserId,
        requests: Vec<CreateOrderLegacy>,
        now_ns: i64,
    ) -> Vec<Result<PlaceOutcome, ExchangeError>> {
        self.advance_to(now_ns);
        requests
            .into_iter()
            .map(|request| {
                let (v2, extras) = map_legacy(request)?;
                self.begin_action(now_ns);
                let outcome = self.place(user, v2, extras);
                self.end_action();
                outcome
            })
            .collect()
    }

    /// Checks that place/amend are allowed on a market right now.
    pub(crate) fn check_tradable(&self, market: u32) -> Result<(), ExchangeError> {
        if !self.exchange_active {
            return Err(ExchangeError::ExchangePaused);
        }
        if !self.trading_active {
            return Err(ExchangeError::TradingPaused);
        }
        let m = &self.markets[market as usize];
        if !m.status.is_tradable() {
            return Err(ExchangeError::MarketNotActive {
                ticker: m.spec.ticker.clone(),
                status: m.status,
            });
        }
        Ok(())
    }

    /// Checks a price against the market's tick grid.
    pub(crate) fn check_price(&self, market: u32, price: Price) -> Result<(), ExchangeError> {
        let m = &self.markets[market as usize];
        if m.grid.is_valid(price) {
            Ok(())
        } else {
            Err(ExchangeError::invalid_order(format!(
                "price {} is not on the tick grid of {} ({})",
                price.to_wire(),
                m.spec.ticker,
                m.spec.price_level_structure
            )))
        }
    }

    /// Checks a count: positive, and whole unless the market trades fractions.
    pub(crate) fn check_count(&self, market: u32, count: Count) -> Result<(), ExchangeError> {
        if count.centi() > super::fees::COUNT_MAX_CENTI {
            return Err(ExchangeError::InvalidCount {
                count,
                details: "count exceeds 1,000,000,000 contracts".into(),
            });
        }
        if count.is_zero() {
            return Err(ExchangeError::InvalidCount {
                count,
                details: "count must be at least 0.01".into(),
            });
        }
        if !self.markets[market as usize].spec.fractional_trading && count.centi() % 100 != 0 {
            return Err(ExchangeError::InvalidCount {
                count,
                details: "this market only trades whole contracts".into(),
            });
        }
        Ok(())
    }

    /// Checks a client order id's shape and that no open order of the user carries it.
    pub(crate) fn check_client_order_id(
        &self,
        user: UserId,
        id: &str,
        except: Option<OrderIdx>,
    ) -> Result<(), ExchangeError> {
        if id.is_empty() || id.chars().count() > CLIENT_ORDER_ID_CHARS_MAX {
            return Err(ExchangeError::invalid_order(format!(
                "client_order_id must be 1 to {CLIENT_ORDER_ID_CHARS_MAX} characters"
            )));
        }
        if !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '+' | '=' | '/'))
        {
            return Err(ExchangeError::invalid_order(
                "client_order_id may only contain letters, digits and _ - : + = /",
            ));
        }
        let state = self.user(user)?;
        // Only resting orders are open; scan the newest orders first (recent ones are likeliest).
        let duplicate = state.orders.iter().rev().any(|&idx| {
            let o = &self.orders[idx as usize];
            Some(idx) != except && o.is_resting() && o.client_order_id.as_deref() == Some(id)
        });
        if duplicate {
            return Err(ExchangeError::DuplicateClientOrderId {
                client_order_id: id.to_string(),
            });
        }
        Ok(())
    }

    fn place(
        &mut self,
        user: UserId,
        request: CreateOrderV2,
        extras: LegacyExtras,
    ) -> Result<PlaceOutcome, ExchangeError> {
        let now = self.now_ns;
        let key = AccountKey {
            user,
            subaccount: request.subaccount,
        };
        self.account(key)?;
        let market = self.market_idx(&request.ticker)?;
        self.check_tradable(market)?;
        self.check_count(market, request.count)?;
        self.check_price(market, request.price)?;
        let expiration_ns = match (request.time_in_force, request.expiration_time_s) {
            (_, None) => None,
            (TimeInForce::GoodTillCanceled, Some(seconds)) => {
                let expiry = seconds.checked_mul(NS_PER_S).ok_or_else(|| {
                    ExchangeError::invalid_order("expiration_time is out of range")
                })?;
                if expiry <= now {
                    return Err(ExchangeError::invalid_order(
                        "expiration_time must be in the future",
                    ));
                }
                Some(expiry)
            }
            (TimeInForce::ImmediateOrCancel, Some(_)) => {
                return Err(ExchangeError::invalid_order(
                    "expiration_time is not allowed with immediate_or_cancel",
                ));
            }
            (TimeInForce::FillOrKill, Some(_)) => {
                return Err(ExchangeError::invalid_order(
                    "expiration_time is only allowed with good_till_canceled",
                ));
            }
        };
        if request.reduce_only
            && request.time_in_force != TimeInForce::ImmediateOrCancel
            && extras.direction.is_none()
        {
            return Err(ExchangeError::invalid_order(
                "reduce_only requires time_in_force immediate_or_cancel",
            ));
        }
        if request.post_only && request.time_in_force != TimeInForce::GoodTillCanceled {
            return Err(ExchangeError::invalid_order(
                "post_only requires time_in_force good_till_canceled",
            ));
        }
        if let Some(id) = request.client_order_id.as_deref() {
            self.check_client_order_id(user, id, None)?;
        }
        if let Some(group_id) = request.order_group_id.as_deref() {
            let group = self.group_for(key, group_id)?;
            if self.groups[group].triggered {
                return Err(ExchangeError::OrderGroupTriggered {
                    order_group_id: group_id.to_string(),
                });
            }
        }
        let limit = self.config.resting_orders_per_user_max;
        if self.user(user)?.resting_count >= limit {
            return Err(ExchangeError::TooManyOrders { limit });
        }

        // Reduce-only: cap at the opposite position.
        let mut count = request.count;
        let mut reduce_capped = false;
        if request.reduce_only {
            let position = self.position_of(key, market);
            let opposite = match request.side {
                BookSide::Bid => (-position).to_count().unwrap_or(Count::ZERO),
                BookSide::Ask => position.to_count().unwrap_or(Count::ZERO),
            };
            if count > opposite {
                count = opposite;
                reduce_capped = true;
            }
        }

        // Legacy buy_max_cost: the whole order must fill and cost at most the cap.
        if let Some(cap) = extras.buy_max_cost
            && Money::notional(outcome_price(request.side, request.price), count) > cap
            && !self.fill_cost_within(market, request.side, request.price, count, cap)
        {
            return Err(ExchangeError::invalid_order(
                "buy_max_cost is below the cost of filling the order",
            ));
        }

        // Collateral.
        let closable = self.closable(key, market, request.side, None);
        let required =
            self.collateral_required(market, request.side, request.price, count, closable);
        let account = self.account(key)?;
        let available = account.cash - account.reserved;
        if !count.is_zero() && required > available {
            return Err(ExchangeError::InsufficientBalance {
                required_micros: required.micros(),
                available_micros: available.micros(),
            });
        }
        let open_count = count.saturating_sub(closable.min(count));

        // The order exists from here on.
        let order_id = self.ids.next_uuid();
        let idx = self.store_order(Order {
            order_id: order_id.clone(),
            user,
            subaccount: request.subaccount,
            client_order_id: request.client_order_id.clone(),
            ticker: request.ticker.clone(),
            side: request.side,
            yes_price: request.price,
            legacy: extras.direction,
            time_in_force: request.time_in_force,
            status: OrderStatus::Resting,
            initial_count: request.count,
            fill_count: Count::ZERO,
            remaining_count: count,
            taker_fill_cost: Money::ZERO,
            maker_fill_cost: Money::ZERO,
            taker_fees: Money::ZERO,
            maker_fees: Money::ZERO,
            expiration_ns,
            post_only: request.post_only,
            reduce_only: request.reduce_only,
            self_trade_prevention: request.self_trade_prevention,
            order_group_id: request.order_group_id.clone(),
            cancel_order_on_pause: request.cancel_order_on_pause,
            created_ns: now,
            last_update_ns: now,
            last_update_reason: reduce_capped.then_some(UpdateReason::ReduceOnlyCancel),
            rounding_accumulator: kalshi_core::fees::RoundingAccumulator::new(),
            reserved_open_count: open_count,
            reserved: Money::ZERO,
            market,
        })?;
        self.order_index.insert(order_id, idx);
        if self.keeps_history(user) {
            self.user_mut(user)?.orders.push(idx);
        }

        let summary = self.run_new_order(idx, reduce_capped, true);
        let order = self.orders[idx as usize].clone();
        Ok(PlaceOutcome {
            fill_count: summary.filled,
            remaining_count: order.remaining_count,
            average_fill_price: summary.average_price(),
            average_fee_paid: summary.average_fee(),
            order,
            ts_ns: now,
        })
    }

    /// Matches a freshly created (or re-priced) order and decides its fate: rest, or cancel
    /// the remainder. Emits the order's final update. `is_new` adds it to its order group
    /// (an amended order already belongs to it).
    pub(crate) fn run_new_order(
        &mut self,
        idx: OrderIdx,
        reduce_capped: bool,
        is_new: bool,
    ) -> super::matching::MatchSummary {
        let (market, side, price, post_only, tif) = {
            let o = &self.orders[idx as usize];
            (o.market, o.side, o.yes_price, o.post_only, o.time_in_force)
        };
        let mut summary = super::matching::MatchSummary::default();
        let end_reason: Option<UpdateReason>;
        if self.orders[idx as usize].remaining_count.is_zero() {
            end_reason = reduce_capped.then_some(UpdateReason::ReduceOnlyCancel);
        } else if post_only && self.markets[market as usize].book.crosses(side, price) {
            end_reason = Some(UpdateReason::PostOnlyCrossCancel);
        } else if tif == TimeInForce::FillOrKill
            && self.fillable(idx) < self.orders[idx as usize].remaining_count
        {
            end_reason = None;
        } else {
            summary = self.match_incoming(idx);
            end_reason = if summary.self_trade_stop {
                Some(UpdateReason::SelfTradeCancel)
            } else if reduce_capped {
                Some(UpdateReason::ReduceOnlyCancel)
            } else if summary.filled.is_zero() {
                None
            } else {
                Some(UpdateReason::Trade)
            };
        }
        let remaining = self.orders[idx as usize].remaining_count;
        let rests = !remaining.is_zero()
            && tif == TimeInForce::GoodTillCanceled
            && end_reason != Some(UpdateReason::PostOnlyCrossCancel)
            && !summary.self_trade_stop
            && !summary.group_triggered;
        let now = self.now_ns;
        if rests {
            self.rest_order(idx);
        } else {
            let o = &mut self.orders[idx as usize];
            o.remaining_count = Count::ZERO;
            o.status = if o.fill_count == o.initial_count {
                OrderStatus::Executed
            } else {
                OrderStatus::Canceled
            };
        }
        if is_new {
            self.attach_to_group(idx);
        }
        {
            let o = &mut self.orders[idx as usize];
            o.last_update_ns = now;
            if end_reason.is_some() || o.last_update_reason.is_none() {
                o.last_update_reason = end_reason;
            }
        }
        self.emit_order_update(idx);
        summary
    }

    /// True when walking the book, `count` contracts on `side` up to `limit` cost at most `cap`.
    fn fill_cost_within(
        &self,
        market: u32,
        side: BookSide,
        limit: Price,
        count: Count,
        cap: Money,
    ) -> bool {
        let mut left = count;
        let mut cost = Money::ZERO;
        for (price, level) in self.markets[market as usize]
            .book
            .crossing_levels(side, limit)
        {
            let take = left.min(level.total);
            cost = cost + Money::notional(outcome_price(side, price), take);
            left = left.saturating_sub(take);
            if left.is_zero() {
                break;
            }
        }
        left.is_zero() && cost <= cap
    }
}

/// Maps a legacy create onto V2 terms, enforcing the legacy rules.
fn map_legacy(request: CreateOrderLegacy) -> Result<(CreateOrderV2, LegacyExtras), ExchangeError> {
    let side = request
        .side
        .ok_or_else(|| ExchangeError::invalid_order("side must be yes or no"))?;
    let action = request
        .action
        .ok_or_else(|| ExchangeError::invalid_order("action must be buy or sell"))?;
    let given = [
        request.yes_price.is_some(),
        request.no_price.is_some(),
        request.yes_price_dollars.is_some(),
        request.no_price_dollars.is_some(),
    ]
    .iter()
    .filter(|&&present| present)
    .count();
    if given != 1 {
        return Err(ExchangeError::invalid_order(LEGACY_PRICE_RULE_DETAILS));
    }
    let cents_price = |cents: i64| -> Result<Price, ExchangeError> {
        if !(1..=99).contains(&cents) {
            return Err(ExchangeError::invalid_order(format!(
                "price {cents} must be between 1 and 99 cents"
            )));
        }
        Price::from_cents(cents).map_err(|e| ExchangeError::invalid_order(e.to_string()))
    };
    // The price as stated, and which outcome it is quoted in.
    let (quoted, quoted_in) = if let Some(cents) = request.yes_price {
        (cents_price(cents)?, OutcomeSide::Yes)
    } else if let Some(cents) = request.no_price {
        (cents_price(cents)?, OutcomeSide::No)
    } else if let Some(price) = request.yes_price_dollars {
        (price, OutcomeSide::Yes)
    } else if let Some(price) = request.no_price_dollars {
        (price, OutcomeSide::No)
    } else {
        return Err(ExchangeError::invalid_order(LEGACY_PRICE_RULE_DETAILS));
    };
    let yes_price = match quoted_in {
        OutcomeSide::Yes => quoted,
        OutcomeSide::No => quoted.complement(),
    };
    let count = match (request.count, request.count_fp) {
        (None, None) => {
            return Err(ExchangeError::invalid_order(
                "one of count or count_fp must be provided",
            ));
        }
        (Some(whole), None) => {
            if whole < 1 {
                return Err(ExchangeError::invalid_order("count must be at least 1"));
            }
            Count::from_contracts(whole).map_err(|e| ExchangeError::invalid_order(e.to_string()))?
        }
        (None, Some(fp)) => fp,
        (Some(whole), Some(fp)) => {
            let whole = Count::from_contracts(whole)
                .map_err(|e| ExchangeError::invalid_order(e.to_string()))?;
            if whole != fp {
                return Err(ExchangeError::invalid_order(
                    "count and count_fp must be equal when both are provided",
                ));
            }
            fp
        }
    };
    let reduce_only = match request.sell_position_floor {
        None => request.reduce_only,
        Some(0) => true,
        Some(_) => {
            return Err(ExchangeError::invalid_order(
                "sell_position_floor only accepts 0",
            ));
        }
    };
    let buy_max_cost = match request.buy_max_cost_cents {
        None => None,
        Some(cents) if cents < 1 => {
            return Err(ExchangeError::invalid_order(
                "buy_max_cost must be at least 1 cent",
            ));
        }
        Some(cents) => Some(
            Money::from_cents(cents).map_err(|e| ExchangeError::invalid_order(e.to_string()))?,
        ),
    };
    let mut time_in_force = request
        .time_in_force
        .unwrap_or(TimeInForce::GoodTillCanceled);
    if buy_max_cost.is_some() {
        time_in_force = TimeInForce::FillOrKill;
    }
    let book_side = BookSide::from_legacy(action, side);
    let v2 = CreateOrderV2 {
        ticker: request.ticker,
        side: book_side,
        count,
        price: yes_price,
        time_in_force,
        self_trade_prevention: request
            .self_trade_prevention
            .unwrap_or(SelfTradePrevention::TakerAtCross),
        client_order_id: request.client_order_id,
        expiration_time_s: request.expiration_ts_s,
        post_only: request.post_only,
        reduce_only,
        cancel_order_on_pause: request.cancel_order_on_pause,
        subaccount: request.subaccount,
        order_group_id: request.order_group_id,
    };
    Ok((
        v2,
        LegacyExtras {
            direction: Some(LegacyDirection { side, action }),
            buy_max_cost,
        },
    ))
}
