//! Order books → one YES book: YES bids stay bids; NO bids at NO price `q` become YES asks at
//! `1 − q`. Input order does not matter (consumers sort); empty levels are dropped.

use kalshi_core::fixed::{Count, Price, SignedCount};
use kalshi_core::market_data::{BookDelta, BookLevel, BookSnapshot};
use kalshi_core::side::{BookSide, OutcomeSide};

use super::error::NormalizeError;
use crate::wire::orderbook::{
    CentsLevel, LegacyOrderbook, OrderbookFp, OrderbookResponse, PriceLevel,
};
use crate::wire::ws_msg::{OrderbookDeltaMsg, OrderbookSnapshotMsg};

/// Builds a snapshot from a REST orderbook body (2026 `orderbook_fp`, or the legacy
/// `orderbook`). A side that is absent or `null` is an empty side.
pub fn book_from_rest(
    ticker: &str,
    response: &OrderbookResponse,
) -> Result<BookSnapshot, NormalizeError> {
    let (yes, no) = match (&response.orderbook_fp, &response.orderbook) {
        (
            Some(OrderbookFp {
                yes_dollars,
                no_dollars,
            }),
            _,
        ) => (
            Side::Dollars(yes_dollars.as_deref()),
            Side::Dollars(no_dollars.as_deref()),
        ),
        (None, Some(legacy)) => legacy_sides(legacy),
        (None, None) => return Err(NormalizeError::missing("orderbook_fp|orderbook", ticker)),
    };
    build(ticker, yes, no, false, None)
}

/// Builds a snapshot from a WS `orderbook_snapshot`. `use_yes_price` must match the
/// subscription: with it, NO-side levels are already YES prices.
pub fn book_from_ws(
    msg: &OrderbookSnapshotMsg,
    use_yes_price: bool,
) -> Result<BookSnapshot, NormalizeError> {
    let yes = if msg.yes_dollars_fp.is_some() {
        Side::Dollars(msg.yes_dollars_fp.as_deref())
    } else if msg.yes_dollars.is_some() {
        Side::Dollars(msg.yes_dollars.as_deref())
    } else {
        Side::Cents(msg.yes.as_deref())
    };
    let no = if msg.no_dollars_fp.is_some() {
        Side::Dollars(msg.no_dollars_fp.as_deref())
    } else if msg.no_dollars.is_some() {
        Side::Dollars(msg.no_dollars.as_deref())
    } else {
        Side::Cents(msg.no.as_deref())
    };
    build(&msg.market_ticker, yes, no, use_yes_price, msg.clock)
}

/// Builds a delta from a WS `orderbook_delta`: `yes` ⇒ a bid level, `no` ⇒ an ask level at
/// `1 − price` (or at `price` with `use_yes_price`).
pub fn book_delta(
    msg: &OrderbookDeltaMsg,
    use_yes_price: bool,
) -> Result<BookDelta, NormalizeError> {
    let ticker = msg.market_ticker.as_str();
    let price = match (msg.price_dollars, msg.price) {
        (Some(price), _) => price,
        (None, Some(cents)) => {
            Price::from_cents(cents).map_err(|e| NormalizeError::invalid("price", ticker, e))?
        }
        (None, None) => return Err(NormalizeError::missing("price_dollars|price", ticker)),
    };
    let delta = match (msg.delta_fp, msg.delta) {
        (Some(delta), _) => delta,
        (None, Some(whole)) => whole
            .checked_mul(100)
            .map(SignedCount::from_centi)
            .ok_or_else(|| NormalizeError::invalid("delta", ticker, "too large"))?,
        (None, None) => return Err(NormalizeError::missing("delta_fp|delta", ticker)),
    };
    let (side, price) = match msg.side {
        OutcomeSide::Yes => (BookSide::Bid, price),
        OutcomeSide::No if use_yes_price => (BookSide::Ask, price),
        OutcomeSide::No => (BookSide::Ask, price.complement()),
    };
    Ok(BookDelta {
        ticker: msg.market_ticker.clone(),
        side,
        price,
        delta,
        clock: msg.clock,
        client_order_id: msg.client_order_id.clone(),
    })
}

/// One side's levels in whichever dialect the payload used.
#[derive(Clone, Copy)]
enum Side<'a> {
    Dollars(Option<&'a [PriceLevel]>),
    Cents(Option<&'a [CentsLevel]>),
}

fn legacy_sides(legacy: &LegacyOrderbook) -> (Side<'_>, Side<'_>) {
    let yes = if legacy.yes_dollars.is_some() {
        Side::Dollars(legacy.yes_dollars.as_deref())
    } else {
        Side::Cents(legacy.yes.as_deref())
    };
    let no = if legacy.no_dollars.is_some() {
        Side::Dollars(legacy.no_dollars.as_deref())
    } else {
        Side::Cents(legacy.no.as_deref())
    };
    (yes, no)
}

fn build(
    ticker: &str,
    yes: Side<'_>,
    no: Side<'_>,
    no_in_yes_prices: bool,
    clock: Option<u64>,
) -> Result<BookSnapshot, NormalizeError> {
    let mut bids = Vec::new();
    push_levels(&mut bids, yes, false, "yes levels", ticker)?;
    let mut asks = Vec::new();
    push_levels(&mut asks, no, !no_in_yes_prices, "no levels", ticker)?;
    Ok(BookSnapshot {
        ticker: ticker.to_string(),
        bids,
        asks,
        clock,
    })
}

fn push_levels(
    out: &mut Vec<BookLevel>,
    side: Side<'_>,
    complement: bool,
    field: &'static str,
    ticker: &str,
) -> Result<(), NormalizeError> {
    let level = |price: Price, size: Count| {
        (!size.is_zero()).then(|| BookLevel {
            price: if complement {
                price.complement()
            } else {
                price
            },
            size,
        })
    };
    match side {
        Side::Dollars(levels) => {
            let levels = levels.unwrap_or(&[]);
            out.reserve(levels.len());
            out.extend(
                levels
                    .iter()
                    .filter_map(|&PriceLevel(price, size)| level(price, size)),
            );
        }
        Side::Cents(levels) => {
            let levels = levels.unwrap_or(&[]);
            out.reserve(levels.len());
            for &CentsLevel(cents, contracts) in levels {
                let price = Price::from_cents(cents)
                    .map_err(|e| NormalizeError::invalid(field, ticker, e))?;
                let size = Count::from_contracts(contracts)
                    .map_err(|e| NormalizeError::invalid(field, ticker, e))?;
                out.extend(level(price, size));
            }
        }
    }
    Ok(())
}
