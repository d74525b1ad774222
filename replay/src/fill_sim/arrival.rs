//! What happens when one of our commands reaches the simulated book (after its latency): a
//! place crosses or rests, a cancel, amend or decrease takes effect, a lookup reads the
//! order's state.

use super::*;

impl FillSimulator {
    pub(super) fn arrive_place(
        &mut self,
        ts_ns: i64,
        order: PlaceOrder,
        events: &mut Vec<Event>,
    ) -> Result<(), ReplayError> {
        let key = order.client_order_id.to_string();
        let reject = |code: &str, message: &str| {
            Event::OrderRejected(OrderRejected {
                client_order_id: order.client_order_id.clone(),
                request: RequestKind::Place,
                code: code.to_string(),
                message: message.to_string(),
            })
        };
        if let Some((code, message)) = self.refusal(&order.ticker) {
            events.push(reject(code, message));
            return Ok(());
        }
        if self.live.contains_key(&key)
            || self.done.get(&key).is_some()
            || self.done_ids.get(&key).is_some()
        {
            events.push(reject(
                "duplicate_client_order_id",
                "an order with this client id exists",
            ));
            return Ok(());
        }
        if let Some(group_id) = order.order_group_id.as_deref() {
            self.ensure_group(group_id);
            if self.group_triggered(Some(group_id)) {
                events.push(reject("order_group_triggered", "order group triggered"));
                return Ok(());
            }
        }
        let market = market_entry(&mut self.markets, &order.ticker);
        let mut count = order.count;
        if order.reduce_only {
            let reducible = match order.side {
                BookSide::Bid if market.position.centi() < 0 => market.position.abs(),
                BookSide::Ask if market.position.centi() > 0 => market.position.abs(),
                _ => Count::ZERO,
            };
            count = count.min(reducible);
        }
        if count.is_zero() {
            events.push(reject(
                "invalid_order",
                "nothing to place (zero count or reduce-only with no position to reduce)",
            ));
            return Ok(());
        }
        let crossing = market.book.crossing_levels(order.side, order.price);
        if order.post_only && !crossing.is_empty() {
            events.push(reject(
                "post_only_cross",
                "post-only order would cross the book",
            ));
            return Ok(());
        }
        let available = crossing
            .iter()
            .fold(Count::ZERO, |sum, (_, size)| sum + *size);
        self.next_order += 1;
        self.next_priority += 1;
        let live = LiveOrder {
            order_id: format!("sim-o-{}", self.next_order),
            client_order_id: order.client_order_id.clone(),
            ticker: order.ticker.clone(),
            side: order.side,
            price: order.price,
            remaining: count,
            filled: Count::ZERO,
            queue_ahead: joining_queue(
                self.config.queue_position,
                market.book.size_at(order.side, order.price),
            ),
            post_only: order.post_only,
            priority: self.next_priority,
            rounding: RoundingAccumulator::new(),
            order_group_id: order.order_group_id.clone(),
            cancel_order_on_pause: order.cancel_order_on_pause,
        };
        let order_id = live.order_id.clone();
        self.insert_live(key.clone(), live);
        let fill_or_kill_short =
            order.time_in_force == TimeInForce::FillOrKill && available < count;
        if !fill_or_kill_short {
            let mut left = count;
            for (price, size) in crossing {
                if left.is_zero() || self.group_triggered(order.order_group_id.as_deref()) {
                    break;
                }
                let taken = size.min(left);
                if let Some(market) = self.markets.get_mut(&order.ticker) {
                    market.book.take(opposite(order.side), price, taken);
                }
                self.note_changed(&order.ticker);
                self.fill(ts_ns, &key, price, taken, Liquidity::Taker, events)?;
                left = left.saturating_sub(taken);
            }
        }
        let (filled, remaining) = match self.live.get(&key) {
            Some(live) => (live.filled, live.remaining),
            None => (count, Count::ZERO),
        };
        // An order whose own fills triggered its group does not rest.
        let rests = order.time_in_force == TimeInForce::GoodTillCanceled
            && !self.group_triggered(order.order_group_id.as_deref());
        if !rests && !remaining.is_zero() {
            self.retire(&key, ExchangeOrderStatus::Canceled, ts_ns);
        } else if let Some(live) = self.live.get_mut(&key) {
            // Whatever crossed is gone, so the order now leads its level only behind the
            // visible size that was there.
            live.queue_ahead = joining_queue(
                self.config.queue_position,
                self.markets
                    .get(&order.ticker)
                    .map_or(Count::ZERO, |m| m.book.size_at(order.side, order.price)),
            );
        }
        events.push(Event::OrderAck(OrderAck {
            client_order_id: order.client_order_id.clone(),
            order_id,
            request: RequestKind::Place,
            fill_count: filled,
            remaining_count: if rests { remaining } else { Count::ZERO },
        }));
        Ok(())
    }

    pub(super) fn arrive_cancel(
        &mut self,
        ts_ns: i64,
        client_order_id: &ClientOrderId,
        events: &mut Vec<Event>,
    ) {
        let key = client_order_id.to_string();
        match self.live.get(&key) {
            Some(order) => {
                events.push(Event::CancelAck(CancelAck {
                    client_order_id: client_order_id.clone(),
                    order_id: order.order_id.clone(),
                    reduced_by: order.remaining,
                }));
                self.retire(&key, ExchangeOrderStatus::Canceled, ts_ns);
            }
            None => events.push(not_found(client_order_id, RequestKind::Cancel)),
        }
    }

    pub(super) fn arrive_amend(&mut self, amend: &AmendOrder, events: &mut Vec<Event>) {
        let key = amend.client_order_id.to_string();
        let Some(order) = self.live.get(&key) else {
            events.push(not_found(&amend.client_order_id, RequestKind::Amend));
            return;
        };
        if let Some((code, message)) = self.refusal(&order.ticker) {
            events.push(Event::OrderRejected(OrderRejected {
                client_order_id: amend.client_order_id.clone(),
                request: RequestKind::Amend,
                code: code.to_string(),
                message: message.to_string(),
            }));
            return;
        }
        let Some(remaining) = amend
            .total_count
            .checked_sub(order.filled)
            .filter(|left| !left.is_zero())
        else {
            events.push(Event::OrderRejected(OrderRejected {
                client_order_id: amend.client_order_id.clone(),
                request: RequestKind::Amend,
                code: "invalid_order".to_string(),
                message: "total count not above the filled count".to_string(),
            }));
            return;
        };
        let Some(market) = self.markets.get(&order.ticker) else {
            return;
        };
        if order.post_only
            && !market
                .book
                .crossing_levels(order.side, amend.price)
                .is_empty()
        {
            events.push(Event::OrderRejected(OrderRejected {
                client_order_id: amend.client_order_id.clone(),
                request: RequestKind::Amend,
                code: "post_only_cross".to_string(),
                message: "amended post-only order would cross the book".to_string(),
            }));
            return;
        }
        // Same price and no more contracts keeps the order's place in the queue, as on the
        // exchange; anything else rejoins the level at the back.
        let keeps_priority = amend.price == order.price && remaining <= order.remaining;
        let (queue_ahead, priority) = if keeps_priority {
            (order.queue_ahead, order.priority)
        } else {
            self.next_priority += 1;
            (
                joining_queue(
                    self.config.queue_position,
                    market.book.size_at(order.side, amend.price),
                ),
                self.next_priority,
            )
        };
        if amend.price != order.price {
            let ticker = order.ticker.clone();
            self.note_changed(&ticker);
        }
        if let Some(order) = self.live.get_mut(&key) {
            order.price = amend.price;
            order.remaining = remaining;
            order.queue_ahead = queue_ahead;
            order.priority = priority;
            events.push(Event::OrderAck(OrderAck {
                client_order_id: amend.client_order_id.clone(),
                order_id: order.order_id.clone(),
                request: RequestKind::Amend,
                fill_count: order.filled,
                remaining_count: order.remaining,
            }));
        }
    }

    pub(super) fn arrive_decrease(
        &mut self,
        ts_ns: i64,
        decrease: &DecreaseOrder,
        events: &mut Vec<Event>,
    ) {
        let key = decrease.client_order_id.to_string();
        let Some(order) = self.live.get_mut(&key) else {
            events.push(not_found(&decrease.client_order_id, RequestKind::Decrease));
            return;
        };
        order.remaining = order.remaining.min(decrease.reduce_to);
        events.push(Event::OrderAck(OrderAck {
            client_order_id: decrease.client_order_id.clone(),
            order_id: order.order_id.clone(),
            request: RequestKind::Decrease,
            fill_count: order.filled,
            remaining_count: order.remaining,
        }));
        if order.remaining.is_zero() {
            self.retire(&key, ExchangeOrderStatus::Canceled, ts_ns);
        }
    }

    pub(super) fn arrive_lookup(
        &mut self,
        ts_ns: i64,
        client_order_id: &ClientOrderId,
        events: &mut Vec<Event>,
    ) {
        let key = client_order_id.to_string();
        if let Some(order) = self.live.get(&key) {
            events.push(Event::OrderSnapshot(snapshot_of(
                order,
                ExchangeOrderStatus::Resting,
                ts_ns,
            )));
        } else if let Some(snapshot) = self.done.get(&key) {
            events.push(Event::OrderSnapshot(snapshot.clone()));
        } else {
            events.push(Event::OrderNotFound {
                client_order_id: client_order_id.clone(),
            });
        }
    }
}
