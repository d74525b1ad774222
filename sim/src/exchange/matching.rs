//! Price-time matching of an incoming order against one market's book, executions at the
//! resting order's price, per-party accounting of each fill, and the primitives that put
//! orders on and take them off the book.

use kalshi_core::side::BookSide;
use kalshi_core::{Count, Money, Price, SignedCount};

use super::account::{AccountKey, FillRecord, fill_effect};
use super::events_out::{ExchangeEvent, FillEvent, TradeEvent};
use super::fees::{charge_fill, fee_reserve, trade_fee};
use super::ids::format_uuid;
use super::market::TapeTrade;
use super::order::{OrderIdx, OrderStatus, SelfTradePrevention, UpdateReason, outcome_price};
use super::{Exchange, TRADES_PER_MARKET_MAX};

/// What matching an incoming order did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MatchSummary {
    /// Contracts filled.
    pub(crate) filled: Count,
    /// Σ YES price × contracts (micro-dollars × hundredths), for the VWAP.
    pub(crate) yes_notional: i128,
    /// Σ net fees of the incoming order's fills.
    pub(crate) fees: Money,
    /// Self-trade prevention (taker_at_cross) stopped the order.
    pub(crate) self_trade_stop: bool,
    /// The order's group triggered while it was matching.
    pub(crate) group_triggered: bool,
}

impl MatchSummary {
    /// YES-price VWAP of the fills, rounded to the nearest micro-dollar.
    pub(crate) fn average_price(&self) -> Option<Price> {
        if self.filled.is_zero() {
            return None;
        }
        let count = i128::from(self.filled.centi());
        let vwap = (self.yes_notional + count / 2) / count;
        Price::from_micros(i64::try_from(vwap).ok()?).ok()
    }

    /// Average net fee per contract, rounded to the nearest micro-dollar.
    pub(crate) fn average_fee(&self) -> Option<Money> {
        if self.filled.is_zero() {
            return None;
        }
        let count = i128::from(self.filled.centi());
        let per_contract = (i128::from(self.fees.micros()) * 100 + count / 2) / count;
        Some(Money::from_micros(i64::try_from(per_contract).ok()?))
    }
}

impl Exchange {
    /// Collateral an order of `count` contracts at `yes_price` needs, given how many of them
    /// would close an existing opposite position (`closable`).
    pub(crate) fn collateral_required(
        &self,
        market: u32,
        side: BookSide,
        yes_price: Price,
        count: Count,
        closable: Count,
    ) -> Money {
        let open = count.saturating_sub(closable.min(count));
        Money::notional(outcome_price(side, yes_price), open)
            + fee_reserve(self.fee_schedule_of(market), count, self.precision)
    }

    /// Opposite position of `key` in `market` not yet claimed by its resting orders on `side`.
    pub(crate) fn closable(
        &self,
        key: AccountKey,
        market: u32,
        side: BookSide,
        excluding: Option<OrderIdx>,
    ) -> Count {
        let position = self.position_of(key, market);
        let opposite = match side {
            BookSide::Bid => (-position).to_count().unwrap_or(Count::ZERO),
            BookSide::Ask => position.to_count().unwrap_or(Count::ZERO),
        };
        if opposite.is_zero() {
            return Count::ZERO;
        }
        let mut claimed = Count::ZERO;
        for level in self.markets[market as usize].book.side(side).values() {
            for &idx in &level.queue {
                let o = &self.orders[idx as usize];
                if Some(idx) != excluding && o.user == key.user && o.subaccount == key.subaccount {
                    claimed = claimed + o.remaining_count;
                }
            }
        }
        opposite.saturating_sub(claimed)
    }

    /// Recomputes a resting order's reservation from its remaining size.
    pub(crate) fn refresh_reservation(&mut self, idx: OrderIdx) {
        let (key, market, side, price, remaining, open_count, old, resting) = {
            let o = &self.orders[idx as usize];
            (
                AccountKey {
                    user: o.user,
                    subaccount: o.subaccount,
                },
                o.market,
                o.side,
                o.yes_price,
                o.remaining_count,
                o.reserved_open_count,
                o.reserved,
                o.is_resting(),
            )
        };
        let new = if resting && !remaining.is_zero() {
            let closable = remaining.saturating_sub(open_count.min(remaining));
            self.collateral_required(market, side, price, remaining, closable)
        } else {
            Money::ZERO
        };
        self.orders[idx as usize].reserved = new;
        if let Ok(account) = self.account_mut(key) {
            account.reserved = account.reserved - old + new;
        }
    }

    /// Puts an order's remaining size at the back of its price level.
    pub(crate) fn rest_order(&mut self, idx: OrderIdx) {
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
            .push(side, price, idx, remaining);
        self.orders[idx as usize].status = OrderStatus::Resting;
        if let Ok(u) = self.user_mut(user) {
            u.resting_count += 1;
        }
        if let Some(expiry) = expiration {
            self.expiries.insert((expiry, idx));
        }
        self.emit_delta(idx, price, remaining.signed());
        self.refresh_reservation(idx);
    }

    /// Cancels a resting order's whole remaining size; returns the size removed (zero if it
    /// was not resting). Emits the book delta and the order update.
    pub(crate) fn cancel_resting(&mut self, idx: OrderIdx, reason: Option<UpdateReason>) -> Count {
        let (market, side, price, remaining, expiration, user, resting) = {
            let o = &self.orders[idx as usize];
            (
                o.market,
                o.side,
                o.yes_price,
                o.remaining_count,
                o.expiration_ns,
                o.user,
                o.is_resting(),
            )
        };
        if !resting {
            return Count::ZERO;
        }
        self.markets[market as usize]
            .book
            .remove(side, price, idx, remaining);
        if let Some(expiry) = expiration {
            self.expiries.remove(&(expiry, idx));
        }
        if let Ok(u) = self.user_mut(user) {
            u.resting_count = u.resting_count.saturating_sub(1);
        }
        let now = self.now_ns;
        {
            let o = &mut self.orders[idx as usize];
            o.remaining_count = Count::ZERO;
            o.status = OrderStatus::Canceled;
            o.last_update_ns = now;
            o.last_update_reason = reason;
        }
        self.emit_delta(idx, price, -remaining.signed());
        self.refresh_reservation(idx);
        self.emit_order_update(idx);
        remaining
    }

    /// Shrinks a resting order in place (queue priority kept); cancels it at zero.
    pub(crate) fn shrink_resting(
        &mut self,
        idx: OrderIdx,
        by: Count,
        reason: UpdateReason,
    ) -> Count {
        let (market, side, price, remaining) = {
            let o = &self.orders[idx as usize];
            (o.market, o.side, o.yes_price, o.remaining_count)
        };
        let by = by.min(remaining);
        if by.is_zero() {
            return Count::ZERO;
        }
        if by == remaining {
            return self.cancel_resting(idx, Some(reason));
        }
        self.markets[market as usize].book.shrink(side, price, by);
        let now = self.now_ns;
        {
            let o = &mut self.orders[idx as usize];
            o.remaining_count = remaining.saturating_sub(by);
            o.last_update_ns = now;
            o.last_update_reason = Some(reason);
        }
        self.emit_delta(idx, price, -by.signed());
        self.refresh_reservation(idx);
        self.emit_order_update(idx);
        by
    }

    /// How much of `count` an incoming order could fill right now without side effects
    /// (fill-or-kill check): stops at the first own order under taker_at_cross, skips own
    /// orders under maker mode and makers that could not pay.
    pub(crate) fn fillable(&self, taker: OrderIdx) -> Count {
        let t = &self.orders[taker as usize];
        let book = &self.markets[t.market as usize].book;
        let mut fillable = Count::ZERO;
        for (price, level) in book.crossing_levels(t.side, t.yes_price) {
            for &maker in &level.queue {
                let m = &self.orders[maker as usize];
                if m.user == t.user {
                    match t.self_trade_prevention {
                        SelfTradePrevention::TakerAtCross => return fillable,
                        SelfTradePrevention::Maker => continue,
                    }
                }
                let want = t.remaining_count.saturating_sub(fillable);
                let qty = want.min(m.remaining_count);
                if !self.maker_can_pay(maker, price, qty) {
                    continue;
                }
                fillable = fillable + qty;
                if fillable >= t.remaining_count {
                    return fillable;
                }
            }
        }
        fillable
    }

    /// True when a maker's owner can pay for a fill of `qty` at `price` while keeping every
    /// other resting order collateralized.
    fn maker_can_pay(&self, maker: OrderIdx, price: Price, qty: Count) -> bool {
        let m = &self.orders[maker as usize];
        let key = AccountKey {
            user: m.user,
            subaccount: m.subaccount,
        };
        let Ok(account) = self.account(key) else {
            return false;
        };
        let position = account
            .positions
            .get(&m.market)
            .map_or(SignedCount::ZERO, |p| p.position);
        let effect = fill_effect(position, m.side, price, qty);
        let fee = trade_fee(self.fee_schedule_of(m.market), price, qty, false);
        let precision = Money::from_micros(self.precision.unit_micros());
        let cash_after = account.cash + effect.revenue - fee - precision;
        let remaining_after = m.remaining_count.saturating_sub(qty);
        let own_after = if remaining_after.is_zero() {
            Money::ZERO
        } else {
            let closable =
                remaining_after.saturating_sub(m.reserved_open_count.min(remaining_after));
            self.collateral_required(m.market, m.side, m.yes_price, remaining_after, closable)
        };
        let reserved_after = account.reserved - m.reserved + own_after;
        cash_after >= reserved_after
    }

    /// Matches an incoming (not yet resting) order against the book.
    pub(crate) fn match_incoming(&mut self, taker: OrderIdx) -> MatchSummary {
        let mut summary = MatchSummary::default();
        loop {
            let (market, side, limit, remaining, user, stp, group) = {
                let t = &self.orders[taker as usize];
                (
                    t.market,
                    t.side,
                    t.yes_price,
                    t.remaining_count,
                    t.user,
                    t.self_trade_prevention,
                    t.order_group_id.clone(),
                )
            };
            if remaining.is_zero() {
                break;
            }
            if let Some(group) = group.as_deref()
                && self
                    .group_index
                    .get(group)
                    .is_some_and(|&g| self.groups[g].triggered)
            {
                summary.group_triggered = true;
                break;
            }
            let book = &self.markets[market as usize].book;
            let Some(price) = book.best_crossing(side, limit) else {
                break;
            };
            let Some(&maker) = book
                .side(side.opposite())
                .get(&price)
                .and_then(|level| level.queue.front())
            else {
                break;
            };
            if self.orders[maker as usize].user == user {
                match stp {
                    SelfTradePrevention::TakerAtCross => {
                        summary.self_trade_stop = true;
                        break;
                    }
                    SelfTradePrevention::Maker => {
                        self.cancel_resting(maker, Some(UpdateReason::SelfTradeCancel));
                        continue;
                    }
                }
            }
            let qty = remaining.min(self.orders[maker as usize].remaining_count);
            if !self.maker_can_pay(maker, price, qty) {
                self.cancel_resting(maker, Some(UpdateReason::MarginCancel));
                continue;
            }
            let taker_fee = self.execute(taker, maker, price, qty);
            summary.filled = summary.filled + qty;
            summary.yes_notional += i128::from(price.micros()) * i128::from(qty.centi());
            summary.fees = summary.fees + taker_fee;
        }
        summary
    }

    /// Executes one match of `qty` at the maker's `price`; returns the taker's net fee.
    fn execute(&mut self, taker: OrderIdx, maker: OrderIdx, price: Price, qty: Count) -> Money {
        let now = self.now_ns;
        let market = self.orders[taker as usize].market;
        let taker_side = self.orders[taker as usize].side;
        let raw_id = self.ids.next_raw();
        let trade_id = format_uuid(raw_id);
        let ticker = self.markets[market as usize].spec.ticker.clone();
        let seq = self.trade_seq;
        self.trade_seq += 1;
        {
            let m = &mut self.markets[market as usize];
            if m.trades.len() >= TRADES_PER_MARKET_MAX {
                m.trades.pop_front();
            }
            m.trades.push_back(TapeTrade {
                seq,
                trade_id: raw_id,
                yes_price: price,
                count: qty,
                taker_side,
                ts_ns: now,
            });
            m.last_price = Some(price);
            m.last_trade_size = qty;
            m.volume = m.volume + qty;
        }
        self.events_out.push(ExchangeEvent::Trade(TradeEvent {
            trade_id: trade_id.clone(),
            ticker,
            yes_price: price,
            no_price: price.complement(),
            count: qty,
            taker_outcome_side: taker_side.outcome(),
            taker_book_side: taker_side,
            ts_ns: now,
        }));

        // The maker's level shrinks first: that is the book change the trade caused.
        let (maker_side, maker_remaining) = {
            let m = &self.orders[maker as usize];
            (m.side, m.remaining_count.saturating_sub(qty))
        };
        if maker_remaining.is_zero() {
            self.markets[market as usize]
                .book
                .remove(maker_side, price, maker, qty);
            let (expiration, user) = {
                let m = &self.orders[maker as usize];
                (m.expiration_ns, m.user)
            };
            if let Some(expiry) = expiration {
                self.expiries.remove(&(expiry, maker));
            }
            if let Ok(u) = self.user_mut(user) {
                u.resting_count = u.resting_count.saturating_sub(1);
            }
        } else {
            self.markets[market as usize]
                .book
                .shrink(maker_side, price, qty);
        }
        self.emit_delta(maker, price, -qty.signed());

        let taker_abs_before = self.party_position(taker).abs();
        let maker_abs_before = self.party_position(maker).abs();
        let taker_fee = self.apply_party(taker, &trade_id, price, qty, true);
        {
            let t = &mut self.orders[taker as usize];
            t.remaining_count = t.remaining_count.saturating_sub(qty);
        }
        let _maker_fee = self.apply_party(maker, &trade_id, price, qty, false);
        let taker_abs_after = self.party_position(taker).abs();
        let maker_abs_after = self.party_position(maker).abs();
        {
            let m = &mut self.orders[maker as usize];
            m.remaining_count = maker_remaining;
            if maker_remaining.is_zero() {
                m.status = OrderStatus::Executed;
            }
        }
        self.refresh_reservation(maker);
        self.emit_order_update(maker);

        let change = taker_abs_after.centi() - taker_abs_before.centi() + maker_abs_after.centi()
            - maker_abs_before.centi();
        {
            let m = &mut self.markets[market as usize];
            let open_interest = m.open_interest.centi() + change / 2;
            m.open_interest = Count::from_centi(open_interest.max(0)).unwrap_or(Count::ZERO);
        }
        self.record_candle(market, Some((price, qty)));
        self.touch(market);
        self.record_group_match(taker, qty);
        self.record_group_match(maker, qty);
        taker_fee
    }

    fn party_position(&self, idx: OrderIdx) -> SignedCount {
        let o = &self.orders[idx as usize];
        self.position_of(
            AccountKey {
                user: o.user,
                subaccount: o.subaccount,
            },
            o.market,
        )
    }

    /// Books one side of a fill: cash, position, fees, the order's fill fields, the fill
    /// record and its events. Returns the net fee.
    fn apply_party(
        &mut self,
        idx: OrderIdx,
        trade_id: &str,
        price: Price,
        qty: Count,
        is_taker: bool,
    ) -> Money {
        let now = self.now_ns;
        let precision = self.precision;
        let (key, market, side) = {
            let o = &self.orders[idx as usize];
            (
                AccountKey {
                    user: o.user,
                    subaccount: o.subaccount,
                },
                o.market,
                o.side,
            )
        };
        let paid = outcome_price(side, price);
        let schedule = *self.fee_schedule_of(market);
        let settled = {
            let o = &mut self.orders[idx as usize];
            charge_fill(
                &schedule,
                precision,
                &mut o.rounding_accumulator,
                side,
                price,
                qty,
                is_taker,
            )
        };
        let position_before = self.position_of(key, market);
        let effect = fill_effect(position_before, side, price, qty);
        let redemption = Money::notional(Price::ONE, effect.closed);
        let balance_change = settled.balance_applied + redemption;
        let post_position = {
            let Ok(account) = self.account_mut(key) else {
                return settled.net_fee;
            };
            account.cash = account.cash + balance_change;
            account.updated_ns = now;
            let position = account.positions.entry(market).or_default();
            position.apply(side, price, qty, effect, now);
            position.fees_paid = position.fees_paid + settled.net_fee;
            position.position
        };
        self.markets[market as usize].holders.insert(key);
        let fill = {
            let o = &mut self.orders[idx as usize];
            o.fill_count = o.fill_count + qty;
            let cost = Money::notional(paid, qty);
            if is_taker {
                o.taker_fill_cost = o.taker_fill_cost + cost;
                o.taker_fees = o.taker_fees + settled.net_fee;
            } else {
                o.maker_fill_cost = o.maker_fill_cost + cost;
                o.maker_fees = o.maker_fees + settled.net_fee;
            }
            o.last_update_ns = now;
            o.last_update_reason = Some(UpdateReason::Trade);
            FillRecord {
                fill_id: String::new(),
                trade_id: trade_id.to_string(),
                order_id: o.order_id.clone(),
                client_order_id: o.client_order_id.clone(),
                ticker: self.markets[market as usize].spec.ticker.clone(),
                user: key.user,
                subaccount: key.subaccount,
                side,
                yes_price: price,
                count: qty,
                is_taker,
                fee_cost: settled.net_fee,
                post_position,
                balance_change,
                ts_ns: now,
            }
        };
        let fill = FillRecord {
            fill_id: self.ids.next_uuid(),
            ..fill
        };
        if let Ok(user) = self.user_mut(key.user)
            && user.keeps_history
        {
            user.fills.push(fill.clone());
        }
        self.events_out
            .push(ExchangeEvent::Fill(FillEvent { fill }));
        self.emit_position(key, market);
        settled.net_fee
    }
}
