//! The scanner's book filters judged on the live book: the spread limits (in ticks and in
//! dollars) and the near-resolved price margin, with hysteresis so a market on the edge of a
//! limit does not flap between quoted and withdrawn.

use crate::fixed::{MICROS_PER_DOLLAR, Price};
use crate::market_scanner::ScannerConfig;
use crate::market_state::MarketState;

/// Whether `market`'s live book fails the spread or near-resolved price filter of `scanner`.
/// A market that failed before (`was_failing`) passes only with `hysteresis_ticks` of room on
/// every limit. A book without a two-sided touch or a grid is left to the engine's other
/// checks (not judged here).
pub fn fails_live_filters(
    market: &MarketState,
    scanner: &ScannerConfig,
    was_failing: bool,
    hysteresis_ticks: i64,
) -> bool {
    let book = market.book();
    let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) else {
        return false;
    };
    let Ok(grid) = market.tick_grid() else {
        return false;
    };
    let room_ticks = if was_failing { hysteresis_ticks } else { 0 };
    let (bid, ask) = (bid.price, ask.price);
    let spread_ticks = grid.ticks_between(bid, ask);
    if scanner
        .spread_ticks_max
        .is_some_and(|max| spread_ticks > max - room_ticks)
    {
        return true;
    }
    // Dollar limits get their room in the finest tick at the touch.
    let tick_micros = tick_at(grid, bid).max(tick_at(grid, ask));
    let room_micros = room_ticks.saturating_mul(tick_micros);
    let spread_micros = ask.micros() - bid.micros();
    if scanner
        .spread_micros_max
        .is_some_and(|max| spread_micros > max - room_micros)
    {
        return true;
    }
    let margin = scanner.near_resolved_margin_micros + room_micros;
    bid.micros() <= margin || ask.micros() >= MICROS_PER_DOLLAR - margin
}

/// The size of the tick above `price` on `grid` (below it at the top of the grid).
fn tick_at(grid: &crate::tick_grid::TickGrid, price: Price) -> i64 {
    grid.next_tick_above(price)
        .map(|above| above.micros() - price.micros())
        .or_else(|| {
            grid.next_tick_below(price)
                .map(|below| price.micros() - below.micros())
        })
        .unwrap_or(0)
}
