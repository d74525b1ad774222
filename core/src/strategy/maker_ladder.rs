//! Maker-first ladder: 2–3 post-only GTC rungs per side around an inventory-skewed fair value.
//!
//! - **Prices.** The reservation price is `fair − skew × position`. The innermost bid is the
//!   `fair_offset_ticks`-th tick strictly below it, the innermost ask the same distance above;
//!   further rungs step `rung_spacing_ticks` outward. Bids are clamped strictly below the best
//!   ask and asks strictly above the best bid, so no rung can cross; every price is on the
//!   market's tick grid.
//! - **Sizes.** `base_size + depth_fraction × visible same-side depth`, capped at `size_cap`;
//!   the side that would add to inventory shrinks linearly to zero at `inventory_soft_limit`
//!   (the plan then names that side as held, journaled as a `SideHeld` decision). Whole
//!   contracts unless the market trades fractions.
//! - **Inventory and the EV gate.** The engine gates every rung at the same reservation price
//!   the ladder is built around (`EvInputs::inventory_skew_micros`): a reducing rung is worth
//!   its distance from the reservation, not from fair, so the side that unwinds the position
//!   keeps quoting however large the position grows, while the adding side needs the same
//!   edge over a reservation that has moved against it. (Gating at the unskewed fair value
//!   once stranded positions: past about 87 contracts with the defaults no reducing rung
//!   passed and the market went unquoted.)
//! - **Repricing.** Quotes are re-laid only when fair value or the touch moved at least the
//!   configured number of ticks, the position changed, the ladder is older than
//!   `rung_age_max_ns`, or a working quote would now cross. Otherwise the plan is `Keep`,
//!   which leaves queue priority alone; when quotes are re-laid the order manager keeps every
//!   rung whose price did not change (shrinking it in place when smaller).
//! - **Withdrawal.** Every quote is pulled when the best edge of any rung at or inside the
//!   touch falls below `edge_decay_cancel_micros`, or inside the wind-down window before close. Kalshi's V2
//!   endpoints accept `reduce_only` only with immediate-or-cancel, so in wind-down the ladder
//!   stops opening and, when `wind_down_exit_ioc` is set, sends one IOC reduce-only order at the
//!   opposite touch per `rung_age_max_ns` to flatten.

use std::collections::BTreeMap;

use crate::config::{MakerLadderConfig, RUNGS_PER_SIDE_MAX, RUNGS_PER_SIDE_MIN};
use crate::ev_gate::{EvGate, MakerTerms, inventory_skew_micros};
use crate::fees::FeeSchedule;
use crate::fixed::{CENTI_PER_CONTRACT, Count, MICROS_PER_DOLLAR, Price};
use crate::orders::DesiredQuote;
use crate::side::BookSide;
use crate::strategy::{
    ExitOrder, HeldSide, PlanKey, PlanKeyContext, QuoteContext, QuotePlan, RequoteReason,
    SideHeldReason, Strategy, WithdrawReason,
};
use crate::tick_grid::TickGrid;
use crate::universe::MarketIndex;

/// What the ladder remembers about the last time it quoted a market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Anchor {
    fair: Price,
    best_bid: Price,
    best_ask: Price,
    position_centi: i64,
    ts_ns: i64,
}

/// Most rungs per side a ladder lays (and the edge-decay memo holds).
const EDGE_RUNGS_MAX: usize = RUNGS_PER_SIDE_MAX as usize;

/// Everything the edge-decay test of one market reads: the rungs at or inside the touch, the
/// size priced, fair value, skew, fees and the gate. The test is re-run only when one of these
/// changed since the last requote (most book changes leave all of them alone).
#[derive(Debug, Clone, PartialEq, Eq)]
struct EdgeInputs {
    bid_rungs: [Option<Price>; EDGE_RUNGS_MAX],
    ask_rungs: [Option<Price>; EDGE_RUNGS_MAX],
    bid_count: Count,
    ask_count: Count,
    fair_ppm: u32,
    skew_micros: i64,
    fees: Option<FeeSchedule>,
    gate: EvGate,
}

/// The maker ladder strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MakerLadder {
    config: MakerLadderConfig,
    anchors: BTreeMap<MarketIndex, Anchor>,
    last_exit_ts_ns: BTreeMap<MarketIndex, i64>,
    /// The last edge-decay test per market: its inputs and the best edge it found.
    last_edge: BTreeMap<MarketIndex, (EdgeInputs, Option<i64>)>,
}

impl MakerLadder {
    /// A ladder with these parameters; `rungs_per_side` is held to the range configuration
    /// validation accepts ([`RUNGS_PER_SIDE_MIN`]..=[`RUNGS_PER_SIDE_MAX`]).
    pub fn new(mut config: MakerLadderConfig) -> MakerLadder {
        config.rungs_per_side = config
            .rungs_per_side
            .clamp(RUNGS_PER_SIDE_MIN, RUNGS_PER_SIDE_MAX);
        MakerLadder {
            config,
            anchors: BTreeMap::new(),
            last_exit_ts_ns: BTreeMap::new(),
            last_edge: BTreeMap::new(),
        }
    }

    fn requote_reason(&self, context: &QuoteContext<'_>, now: &Anchor) -> Option<RequoteReason> {
        let Some(previous) = self.anchors.get(&context.market) else {
            return Some(RequoteReason::Initial);
        };
        if context.working_quote_crosses {
            return Some(RequoteReason::WouldCross);
        }
        if previous.position_centi != now.position_centi {
            return Some(RequoteReason::InventoryChanged);
        }
        let grid = context.grid;
        if grid.ticks_between(previous.fair, now.fair).abs()
            >= i64::from(self.config.reprice_fair_ticks)
        {
            return Some(RequoteReason::FairMoved);
        }
        let touch_ticks = i64::from(self.config.reprice_touch_ticks);
        if grid.ticks_between(previous.best_bid, now.best_bid).abs() >= touch_ticks
            || grid.ticks_between(previous.best_ask, now.best_ask).abs() >= touch_ticks
        {
            return Some(RequoteReason::TouchMoved);
        }
        if now.ts_ns.saturating_sub(previous.ts_ns) >= self.config.rung_age_max_ns {
            return Some(RequoteReason::Aged);
        }
        None
    }

    fn wind_down(
        &mut self,
        context: &QuoteContext<'_>,
        best_bid: Option<Price>,
        best_ask: Option<Price>,
    ) -> QuotePlan {
        let mut exits = Vec::new();
        let position = context.position.centi();
        let last = self.last_exit_ts_ns.get(&context.market).copied();
        let due =
            last.is_none_or(|ts| context.ts_ns.saturating_sub(ts) >= self.config.rung_age_max_ns);
        if self.config.wind_down_exit_ioc && position != 0 && due {
            let (side, touch) = if position > 0 {
                (BookSide::Ask, best_bid)
            } else {
                (BookSide::Bid, best_ask)
            };
            if let Some(price) = touch {
                let available = context.book.size_at(side.opposite(), price);
                let count = whole(context.position.abs().min(available), context.fractional);
                if !count.is_zero() {
                    exits.push(ExitOrder { side, price, count });
                    self.last_exit_ts_ns.insert(context.market, context.ts_ns);
                }
            }
        }
        self.anchors.remove(&context.market);
        QuotePlan::Withdraw {
            reason: WithdrawReason::WindDown,
            exits,
        }
    }

    /// The rung size of `side`, and whether the inventory shrink alone made it zero.
    fn rung_size(&self, context: &QuoteContext<'_>, side: BookSide) -> (Count, bool) {
        let depth = context.book.depth(
            side,
            usize::try_from(self.config.depth_levels).unwrap_or(usize::MAX),
        );
        let scaled = mul_div(
            depth.centi(),
            i64::from(self.config.depth_fraction_ppm),
            1_000_000,
        );
        let raw = i128::from(self.config.base_size.centi()) + scaled;
        let mut size_centi = i64::try_from(raw)
            .unwrap_or(i64::MAX)
            .min(self.config.size_cap.centi());
        let position = context.position.centi();
        let adds = match side {
            BookSide::Bid => position > 0,
            BookSide::Ask => position < 0,
        };
        let limit = self.config.inventory_soft_limit.centi();
        let unshrunk = whole(
            Count::from_centi(size_centi).unwrap_or(Count::ZERO),
            context.fractional,
        );
        if adds {
            let room = (limit - position.abs()).max(0);
            size_centi = if limit == 0 {
                0
            } else {
                i64::try_from(mul_div(size_centi, room, limit)).unwrap_or(0)
            };
        }
        let size = whole(
            Count::from_centi(size_centi).unwrap_or(Count::ZERO),
            context.fractional,
        );
        (size, adds && size.is_zero() && !unshrunk.is_zero())
    }

    /// The best edge any rung could earn at or inside the touch, over both sides: the ladder
    /// is withdrawn only when none of those clears the edge-decay threshold (the innermost
    /// rung is often filtered by the EV gate while the next one inside the spread still pays).
    /// Rungs behind the touch do not count: deeper always looks richer. A side sized zero is
    /// priced at the base size. Answered from the last test of the market when nothing it
    /// reads has changed.
    fn edge_test(
        &mut self,
        context: &QuoteContext<'_>,
        skew_micros: i64,
        tops: [(Option<Price>, Count); 2],
        touch: (Price, Price),
    ) -> Option<i64> {
        let count_of = |size: Count| {
            if size.is_zero() {
                self.config.base_size
            } else {
                size
            }
        };
        let price_rung = |side: BookSide, rung: Price, count: Count| {
            let terms = MakerTerms {
                side,
                price: rung,
                count,
                fair_ppm: context.fair_ppm,
                inventory_skew_micros: skew_micros,
            };
            context.ev_gate.maker_ev_micros(terms, context.fees)
        };
        let sides = [BookSide::Bid, BookSide::Ask];
        let mut rungs = [[None; EDGE_RUNGS_MAX]; 2];
        for ((side, (top, _)), side_rungs) in sides.into_iter().zip(tops).zip(rungs.iter_mut()) {
            let mut slots = side_rungs.iter_mut();
            self.walk_inside_rungs(context.grid, side, top, touch, |rung| {
                if let Some(slot) = slots.next() {
                    *slot = Some(rung);
                }
            });
        }
        let inputs = EdgeInputs {
            bid_rungs: rungs[0],
            ask_rungs: rungs[1],
            bid_count: count_of(tops[0].1),
            ask_count: count_of(tops[1].1),
            fair_ppm: context.fair_ppm,
            skew_micros,
            fees: context.fees.copied(),
            gate: context.ev_gate.clone(),
        };
        if let Some((last, edge)) = self.last_edge.get(&context.market)
            && *last == inputs
        {
            return *edge;
        }
        let mut best: Option<i64> = None;
        for (side, side_rungs, count) in [
            (BookSide::Bid, &inputs.bid_rungs, inputs.bid_count),
            (BookSide::Ask, &inputs.ask_rungs, inputs.ask_count),
        ] {
            for rung in side_rungs.iter().map_while(|rung| *rung) {
                let ev = price_rung(side, rung, count);
                best = Some(best.map_or(ev, |b| b.max(ev)));
            }
        }
        self.last_edge.insert(context.market, (inputs, best));
        best
    }

    /// Calls `visit` with each rung of `side` from `top` outward that is at or inside the touch
    /// `(best_bid, best_ask)`, at most `rungs_per_side` of them.
    fn walk_inside_rungs(
        &self,
        grid: &TickGrid,
        side: BookSide,
        top: Option<Price>,
        (best_bid, best_ask): (Price, Price),
        mut visit: impl FnMut(Price),
    ) {
        let mut price = top;
        for _ in 0..self.config.rungs_per_side {
            let Some(rung) = price else { break };
            let at_or_inside_touch = match side {
                BookSide::Bid => rung >= best_bid,
                BookSide::Ask => rung <= best_ask,
            };
            if !at_or_inside_touch {
                break;
            }
            visit(rung);
            price = step(grid, rung, side, self.config.rung_spacing_ticks);
        }
    }

    fn ladder(
        &self,
        grid: &TickGrid,
        top: Price,
        side: BookSide,
        size: Count,
    ) -> Vec<DesiredQuote> {
        let mut quotes = Vec::new();
        if size.is_zero() {
            return quotes;
        }
        let mut price = Some(top);
        for _ in 0..self.config.rungs_per_side {
            let Some(rung) = price else { break };
            quotes.push(DesiredQuote {
                side,
                price: rung,
                count: size,
            });
            price = step(grid, rung, side, self.config.rung_spacing_ticks);
        }
        quotes
    }
}

/// Moves `ticks` ticks away from the touch: down for bids, up for asks.
fn step(grid: &TickGrid, from: Price, side: BookSide, ticks: u32) -> Option<Price> {
    let mut price = from;
    for _ in 0..ticks {
        price = match side {
            BookSide::Bid => grid.next_tick_below(price)?,
            BookSide::Ask => grid.next_tick_above(price)?,
        };
    }
    Some(price)
}

/// `a × b / c` exactly, truncated toward zero (`c` must not be zero): in `i64` when the
/// product fits, which is the common case and avoids a 128-bit division.
fn mul_div(a: i64, b: i64, c: i64) -> i128 {
    match a.checked_mul(b).and_then(|product| product.checked_div(c)) {
        Some(quotient) => i128::from(quotient),
        None => i128::from(a) * i128::from(b) / i128::from(c),
    }
}

/// Rounds down to whole contracts unless fractions trade.
fn whole(count: Count, fractional: bool) -> Count {
    if fractional {
        count
    } else {
        Count::from_centi(count.centi() - count.centi() % CENTI_PER_CONTRACT).unwrap_or(Count::ZERO)
    }
}

impl Strategy for MakerLadder {
    fn name(&self) -> &'static str {
        "maker_ladder"
    }

    fn plan(&mut self, context: &QuoteContext<'_>) -> QuotePlan {
        let best_bid = context.book.best_bid().map(|level| level.price);
        let best_ask = context.book.best_ask().map(|level| level.price);
        if context
            .time_to_close_ns
            .is_some_and(|left| left <= self.config.wind_down_before_close_ns)
        {
            return self.wind_down(context, best_bid, best_ask);
        }
        if !context.book.is_valid() {
            self.anchors.remove(&context.market);
            return QuotePlan::Withdraw {
                reason: WithdrawReason::BookInvalid,
                exits: Vec::new(),
            };
        }
        let (Some(best_bid), Some(best_ask)) = (best_bid, best_ask) else {
            self.anchors.remove(&context.market);
            return QuotePlan::Withdraw {
                reason: WithdrawReason::NoTouch,
                exits: Vec::new(),
            };
        };
        let fair_micros = i64::from(context.fair_ppm).min(MICROS_PER_DOLLAR);
        let skew = inventory_skew_micros(
            context.position,
            self.config.inventory_skew_micros_per_contract,
        );
        let reservation_micros = (fair_micros - skew).clamp(0, MICROS_PER_DOLLAR);
        let reservation = Price::from_micros(reservation_micros).unwrap_or(Price::ZERO);
        let grid = context.grid;
        let offset = self.config.fair_offset_ticks.max(1);
        let top_bid = step(grid, reservation, BookSide::Bid, offset)
            .and_then(|price| grid.next_tick_below(best_ask).map(|limit| price.min(limit)));
        let top_ask = step(grid, reservation, BookSide::Ask, offset)
            .and_then(|price| grid.next_tick_above(best_bid).map(|limit| price.max(limit)));

        let (bid_size, bid_held) = self.rung_size(context, BookSide::Bid);
        let (ask_size, ask_held) = self.rung_size(context, BookSide::Ask);
        let best_edge = self.edge_test(
            context,
            skew,
            [(top_bid, bid_size), (top_ask, ask_size)],
            (best_bid, best_ask),
        );
        if best_edge.is_none_or(|ev| ev < self.config.edge_decay_cancel_micros) {
            self.anchors.remove(&context.market);
            return QuotePlan::Withdraw {
                reason: WithdrawReason::EdgeDecayed,
                exits: Vec::new(),
            };
        }

        let fair = Price::from_micros(fair_micros).unwrap_or(Price::ZERO);
        let now = Anchor {
            fair,
            best_bid,
            best_ask,
            position_centi: context.position.centi(),
            ts_ns: context.ts_ns,
        };
        let Some(reason) = self.requote_reason(context, &now) else {
            return QuotePlan::Keep;
        };
        self.anchors.insert(context.market, now);
        let mut quotes = Vec::new();
        if let Some(top) = top_bid {
            quotes.extend(self.ladder(grid, top, BookSide::Bid, bid_size));
        }
        if let Some(top) = top_ask {
            quotes.extend(self.ladder(grid, top, BookSide::Ask, ask_size));
        }
        let held = [(BookSide::Bid, bid_held), (BookSide::Ask, ask_held)]
            .into_iter()
            .filter(|(_, held)| *held)
            .map(|(side, _)| HeldSide {
                side,
                reason: SideHeldReason::InventorySoftLimit,
            })
            .collect();
        QuotePlan::Quote {
            reason,
            quotes,
            held,
        }
    }

    fn forget(&mut self, market: MarketIndex) {
        self.anchors.remove(&market);
        self.last_edge.remove(&market);
    }

    /// The touch (prices and sizes: the wind-down exit is sized from the touch), the depth the
    /// rungs are sized from, and four clock facts: inside the wind-down window, an anchor held,
    /// the anchor aged past `rung_age_max_ns`, a wind-down exit due. The fair value, the
    /// position and the working orders the plan also reads come from the engine's side of the
    /// key; the edge-decay memo only caches answers and is not part of it.
    fn plan_key(&self, context: &PlanKeyContext<'_>) -> Option<PlanKey> {
        let book = context.book;
        let levels = usize::try_from(self.config.depth_levels).unwrap_or(usize::MAX);
        let anchor = self.anchors.get(&context.market);
        let wind_down = context
            .time_to_close_ns
            .is_some_and(|left| left <= self.config.wind_down_before_close_ns);
        let aged = anchor.is_some_and(|anchor| {
            context.ts_ns.saturating_sub(anchor.ts_ns) >= self.config.rung_age_max_ns
        });
        let exit_due = self
            .last_exit_ts_ns
            .get(&context.market)
            .is_none_or(|ts| context.ts_ns.saturating_sub(*ts) >= self.config.rung_age_max_ns);
        let clock_bits = u8::from(wind_down)
            | u8::from(anchor.is_some()) << 1
            | u8::from(aged) << 2
            | u8::from(exit_due) << 3;
        Some(PlanKey {
            best_bid: book.best_bid().map(|level| (level.price, level.size)),
            best_ask: book.best_ask().map(|level| (level.price, level.size)),
            depth_centi: (
                book.depth(BookSide::Bid, levels).centi(),
                book.depth(BookSide::Ask, levels).centi(),
            ),
            clock_bits,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::OrderBook;
    use crate::config::EvGateConfig;
    use crate::ev_gate::{EvGate, FairSource};
    use crate::fees::{FeeSchedule, FeeType, PPM_PER_UNIT};
    use crate::fixed::SignedCount;
    use crate::market_data::{BookLevel, BookSnapshot};

    fn price(text: &str) -> Price {
        Price::parse(text).unwrap()
    }
    fn count(contracts: i64) -> Count {
        Count::from_contracts(contracts).unwrap()
    }
    fn book(bid: &str, ask: &str, size: i64) -> OrderBook {
        let mut book = OrderBook::new(10_000).unwrap();
        book.apply_snapshot(&BookSnapshot {
            ticker: "M".to_string(),
            bids: vec![BookLevel {
                price: price(bid),
                size: count(size),
            }],
            asks: vec![BookLevel {
                price: price(ask),
                size: count(size),
            }],
            clock: None,
        })
        .unwrap();
        book
    }

    struct Fixture {
        grid: TickGrid,
        gate: EvGate,
        fees: FeeSchedule,
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture {
                grid: TickGrid::from_structure("linear_cent").unwrap(),
                gate: EvGate::new(
                    EvGateConfig {
                        min_edge_micros: 0,
                        taker_slippage_micros: 0,
                        adverse_selection_micros: 0,
                    },
                    100,
                ),
                fees: FeeSchedule::new(FeeType::Quadratic, PPM_PER_UNIT).unwrap(),
            }
        }

        fn context<'a>(
            &'a self,
            book: &'a OrderBook,
            fair_ppm: u32,
            position_centi: i64,
            ts_ns: i64,
        ) -> QuoteContext<'a> {
            QuoteContext {
                market: MarketIndex(0),
                ticker: "M",
                ts_ns,
                book,
                grid: &self.grid,
                fair_ppm,
                fair_source: FairSource::Book,
                position: SignedCount::from_centi(position_centi),
                time_to_close_ns: None,
                has_working_quotes: false,
                working_quote_crosses: false,
                fractional: false,
                ev_gate: &self.gate,
                fees: Some(&self.fees),
            }
        }
    }

    fn quotes(plan: QuotePlan) -> Vec<DesiredQuote> {
        match plan {
            QuotePlan::Quote { quotes, .. } => quotes,
            other => panic!("expected quotes, got {other:?}"),
        }
    }

    #[test]
    fn three_rungs_per_side_inside_the_spread_on_the_grid() {
        let fixture = Fixture::new();
        let book = book("0.40", "0.50", 100);
        let mut ladder = MakerLadder::new(MakerLadderConfig::default());
        let quotes = quotes(ladder.plan(&fixture.context(&book, 450_000, 0, 0)));
        let bids: Vec<_> = quotes
            .iter()
            .filter(|q| q.side == BookSide::Bid)
            .map(|q| q.price)
            .collect();
        let asks: Vec<_> = quotes
            .iter()
            .filter(|q| q.side == BookSide::Ask)
            .map(|q| q.price)
            .collect();
        assert_eq!(bids, vec![price("0.44"), price("0.43"), price("0.42")]);
        assert_eq!(asks, vec![price("0.46"), price("0.47"), price("0.48")]);
        // base 5 + 2 % of 100 visible = 7 contracts.
        assert!(quotes.iter().all(|q| q.count == count(7)));
    }

    #[test]
    fn rungs_never_cross_even_when_fair_is_outside_the_touch() {
        let fixture = Fixture::new();
        let book = book("0.40", "0.42", 100);
        let mut ladder = MakerLadder::new(MakerLadderConfig::default());
        let quotes = quotes(ladder.plan(&fixture.context(&book, 600_000, 0, 0)));
        for quote in &quotes {
            match quote.side {
                BookSide::Bid => assert!(quote.price < price("0.42")),
                BookSide::Ask => assert!(quote.price > price("0.40")),
            }
            assert!(fixture.grid.is_valid(quote.price));
        }
    }

    #[test]
    fn inventory_shifts_quotes_down_and_shrinks_the_adding_side() {
        let fixture = Fixture::new();
        let book = book("0.40", "0.50", 100);
        let config = MakerLadderConfig {
            inventory_skew_micros_per_contract: 1_000,
            ..MakerLadderConfig::default()
        };
        let mut flat = MakerLadder::new(config.clone());
        let mut long = MakerLadder::new(config);
        let flat_quotes = quotes(flat.plan(&fixture.context(&book, 450_000, 0, 0)));
        // Long 50 contracts: reservation 0.45 − 0.05 = 0.40.
        let long_quotes = quotes(long.plan(&fixture.context(&book, 450_000, 5_000, 0)));
        let top = |quotes: &[DesiredQuote], side| {
            quotes.iter().find(|q| q.side == side).copied().unwrap()
        };
        assert!(top(&long_quotes, BookSide::Bid).price < top(&flat_quotes, BookSide::Bid).price);
        assert!(top(&long_quotes, BookSide::Ask).price < top(&flat_quotes, BookSide::Ask).price);
        assert!(top(&long_quotes, BookSide::Bid).count < top(&long_quotes, BookSide::Ask).count);
        assert_eq!(top(&long_quotes, BookSide::Ask).price, price("0.41"));
    }

    #[test]
    fn keeps_quotes_until_a_threshold_is_passed() {
        let fixture = Fixture::new();
        let book = book("0.40", "0.50", 100);
        let mut ladder = MakerLadder::new(MakerLadderConfig::default());
        assert!(matches!(
            ladder.plan(&fixture.context(&book, 450_000, 0, 0)),
            QuotePlan::Quote {
                reason: RequoteReason::Initial,
                ..
            }
        ));
        assert_eq!(
            ladder.plan(&fixture.context(&book, 452_000, 0, 1)),
            QuotePlan::Keep
        );
        assert!(matches!(
            ladder.plan(&fixture.context(&book, 462_000, 0, 2)),
            QuotePlan::Quote {
                reason: RequoteReason::FairMoved,
                ..
            }
        ));
        assert!(matches!(
            ladder.plan(&fixture.context(&book, 462_000, 0, 31_000_000_002)),
            QuotePlan::Quote {
                reason: RequoteReason::Aged,
                ..
            }
        ));
        assert!(matches!(
            ladder.plan(&fixture.context(&book, 462_000, 100, 31_000_000_003)),
            QuotePlan::Quote {
                reason: RequoteReason::InventoryChanged,
                ..
            }
        ));
    }

    #[test]
    fn withdraws_when_edge_decays_or_close_nears() {
        let fixture = Fixture::new();
        let tight = book("0.44", "0.46", 100);
        let config = MakerLadderConfig {
            edge_decay_cancel_micros: 20_000,
            ..MakerLadderConfig::default()
        };
        let mut ladder = MakerLadder::new(config);
        assert_eq!(
            ladder.plan(&fixture.context(&tight, 450_000, 0, 0)),
            QuotePlan::Withdraw {
                reason: WithdrawReason::EdgeDecayed,
                exits: vec![]
            }
        );
        let config = MakerLadderConfig {
            wind_down_exit_ioc: true,
            ..MakerLadderConfig::default()
        };
        let mut ladder = MakerLadder::new(config);
        let wide = book("0.40", "0.50", 100);
        let mut context = fixture.context(&wide, 450_000, 300, 0);
        context.time_to_close_ns = Some(1_000);
        let plan = ladder.plan(&context);
        assert_eq!(
            plan,
            QuotePlan::Withdraw {
                reason: WithdrawReason::WindDown,
                exits: vec![ExitOrder {
                    side: BookSide::Ask,
                    price: price("0.40"),
                    count: count(3)
                }]
            }
        );
        // One exit per rung age, not one per event.
        assert_eq!(
            ladder.plan(&context),
            QuotePlan::Withdraw {
                reason: WithdrawReason::WindDown,
                exits: vec![]
            }
        );
    }
}
