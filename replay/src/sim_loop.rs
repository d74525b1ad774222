//! The interleaving rule of simulated execution, shared by the backtest driver and paper
//! trading (`run-strategy --paper`), so the two cannot drift apart:
//!
//! 1. before an input at time `t`, every market close and simulated action due at or before
//!    `t` runs (in due order; a close before an action due at the same time, actions tied in
//!    submission order), each of its answers stepped at its due time;
//! 2. the simulator sees the input first (a trade may fill our resting orders);
//! 3. the engine steps the input at `t`;
//! 4. the fills the input caused are stepped, at `t`.
//!
//! A [`SimHost`] owns the engine side: it steps an event and hands the commands the step
//! produced to its simulator, sent at the step's time.

use kalshi_core::events::Event;

use crate::error::ReplayError;
use crate::fill_sim::FillSimulator;

/// The side of a simulated run that steps events through an engine.
pub trait SimHost {
    /// What stepping can fail with.
    type Error: From<ReplayError>;

    /// The simulated exchange.
    fn sim(&mut self) -> &mut FillSimulator;

    /// Steps one event at `ts_ns` and submits the commands it produced to [`SimHost::sim`]
    /// at `ts_ns`.
    fn step(&mut self, ts_ns: i64, event: Event) -> Result<(), Self::Error>;
}

/// Runs the simulator's earliest action if it is due at or before `until_ns`, stepping each of
/// its answers at the action's due time. Returns that due time, or `None` when nothing was due.
pub fn run_next_due<H: SimHost>(host: &mut H, until_ns: i64) -> Result<Option<i64>, H::Error> {
    let Some(due_ns) = host.sim().next_due_ns().filter(|due| *due <= until_ns) else {
        return Ok(None);
    };
    for answer in host.sim().run_next_action()? {
        host.step(answer.ts_ns, answer.event)?;
    }
    Ok(Some(due_ns))
}

/// Runs every action due at or before `until_ns` (rule 1), including the ones their answers'
/// steps submit, as long as those fall due in time.
pub fn run_due<H: SimHost>(host: &mut H, until_ns: i64) -> Result<(), H::Error> {
    while run_next_due(host, until_ns)?.is_some() {}
    Ok(())
}

/// Rules 2–4 for one input at `ts_ns` (call [`run_due`] up to `ts_ns` first).
pub fn feed_input<H: SimHost>(host: &mut H, ts_ns: i64, event: Event) -> Result<(), H::Error> {
    let fills = host.sim().on_market_event(ts_ns, &event)?;
    host.step(ts_ns, event)?;
    for fill in fills {
        host.step(fill.ts_ns, fill.event)?;
    }
    Ok(())
}

/// Rule 1 with market closes: every close and action due at or before `until_ns`, in due
/// order, a close first when both fall due at the same time (as the backtest driver orders
/// them). Closes are time-driven: Kalshi sends nothing at a scheduled close.
pub fn run_due_with_closes<H: SimHost>(host: &mut H, until_ns: i64) -> Result<(), H::Error> {
    loop {
        let close_due = host
            .sim()
            .next_close_due_ns()
            .filter(|due| *due <= until_ns);
        let action_due = host.sim().next_due_ns().filter(|due| *due <= until_ns);
        match (close_due, action_due) {
            (Some(close), action) if action.is_none_or(|action| close <= action) => {
                for answer in host.sim().run_closes_until(close) {
                    host.step(answer.ts_ns, answer.event)?;
                }
            }
            (_, Some(_)) => {
                run_next_due(host, until_ns)?;
            }
            _ => return Ok(()),
        }
    }
}

/// [`run_due_with_closes`] up to `ts_ns`, then [`feed_input`]: one input of a paper run.
pub fn run_due_then_feed<H: SimHost>(
    host: &mut H,
    ts_ns: i64,
    event: Event,
) -> Result<(), H::Error> {
    run_due_with_closes(host, ts_ns)?;
    feed_input(host, ts_ns, event)
}

#[cfg(test)]
mod tests {
    use kalshi_core::client_order_id::ClientOrderId;
    use kalshi_core::commands::{PlaceOrder, TimeInForce};
    use kalshi_core::config::SelfTradePrevention;
    use kalshi_core::market_data::{BookLevel, BookSnapshot, PublicTrade};
    use kalshi_core::{BookSide, Count, Price};

    use super::*;
    use crate::fill_sim::FillModelConfig;

    /// Records every step; places one resting bid on the first book it sees.
    struct Recorder {
        sim: FillSimulator,
        steps: Vec<(i64, String)>,
        placed: bool,
    }

    impl SimHost for Recorder {
        type Error = ReplayError;

        fn sim(&mut self) -> &mut FillSimulator {
            &mut self.sim
        }

        fn step(&mut self, ts_ns: i64, event: Event) -> Result<(), ReplayError> {
            let label = match &event {
                Event::BookSnapshot(_) => "book",
                Event::PublicTrade(_) => "trade",
                Event::OrderAck(_) => "ack",
                Event::OwnFill(_) => "fill",
                Event::Timer { .. } => "timer",
                _ => "other",
            };
            self.steps.push((ts_ns, label.to_string()));
            if matches!(event, Event::BookSnapshot(_)) && !self.placed {
                self.placed = true;
                let order = PlaceOrder {
                    client_order_id: ClientOrderId::parse("t-1").unwrap(),
                    ticker: "M".to_string(),
                    side: BookSide::Bid,
                    price: Price::parse("0.40").unwrap(),
                    count: Count::from_contracts(5).unwrap(),
                    time_in_force: TimeInForce::GoodTillCanceled,
                    post_only: true,
                    reduce_only: false,
                    self_trade_prevention: SelfTradePrevention::TakerAtCross,
                    cancel_order_on_pause: false,
                    expiration_ts_s: None,
                    order_group_id: None,
                };
                self.sim.place(ts_ns, order);
            }
            Ok(())
        }
    }

    #[test]
    fn due_answers_come_before_the_input_and_fills_after_it() {
        let config = FillModelConfig {
            entry_latency_ns: 10,
            ..FillModelConfig::default()
        };
        let mut host = Recorder {
            sim: FillSimulator::new(config).unwrap(),
            steps: Vec::new(),
            placed: false,
        };
        let book = Event::BookSnapshot(BookSnapshot {
            ticker: "M".to_string(),
            bids: vec![BookLevel {
                price: Price::parse("0.39").unwrap(),
                size: Count::from_contracts(10).unwrap(),
            }],
            asks: vec![BookLevel {
                price: Price::parse("0.45").unwrap(),
                size: Count::from_contracts(10).unwrap(),
            }],
            clock: None,
        });
        run_due_then_feed(&mut host, 100, book).unwrap();
        let trade = Event::PublicTrade(PublicTrade {
            ticker: "M".to_string(),
            yes_price: Price::parse("0.38").unwrap(),
            count: Count::from_contracts(2).unwrap(),
            taker_side: BookSide::Ask,
            ts_ns: 200,
            trade_id: "x".to_string(),
        });
        run_due_then_feed(&mut host, 200, trade).unwrap();
        let labels: Vec<(i64, &str)> = host
            .steps
            .iter()
            .map(|(ts, label)| (*ts, label.as_str()))
            .collect();
        assert_eq!(
            labels,
            vec![(100, "book"), (110, "ack"), (200, "trade"), (200, "fill")]
        );
    }
}
