//! Listings for markets whose data carries none (imported trade or quote files): built from
//! what the data shows, with every assumption said in the backtest's notes.

use std::collections::{BTreeMap, BTreeSet};

use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{FeeParams, MarketInfo, MarketStatus, PriceRange};
use kalshi_core::time::NS_PER_S;
use kalshi_core::{Count, Price};

/// Fee schedule assumed for a synthesized listing: Kalshi's quadratic fee with maker fees
/// (the conservative choice: resting fills pay too).
const ASSUMED_FEE_TYPE: &str = "quadratic_with_maker_fees";
/// Close time assumed for a synthesized listing, after the last data point.
const ASSUMED_CLOSE_AFTER_NS: i64 = 24 * 3_600 * NS_PER_S;

/// Listings for the markets whose data carries none (imported trade or quote files), built
/// from what the data shows; each assumption is added to `notes`.
pub fn missing_listings(
    inputs: &[Envelope],
    requested: &BTreeSet<String>,
    notes: &mut Vec<String>,
) -> Vec<MarketInfo> {
    let mut listed = BTreeSet::new();
    let mut seen: BTreeMap<String, (MarketInfo, ObservedBook)> = BTreeMap::new();
    let mut first_ns = None;
    let mut last_ns = None;
    for envelope in inputs {
        first_ns.get_or_insert(envelope.ts_ns);
        last_ns = Some(envelope.ts_ns.max(last_ns.unwrap_or(envelope.ts_ns)));
        match &envelope.event {
            Event::MarketListing(infos) => {
                listed.extend(infos.iter().map(|info| info.ticker.clone()));
            }
            event => {
                if let Some(ticker) = event.ticker() {
                    let (info, book) = seen
                        .entry(ticker.to_string())
                        .or_insert_with(|| (blank_listing(ticker), ObservedBook::default()));
                    observe(info, book, event);
                }
            }
        }
    }
    for ticker in requested {
        seen.entry(ticker.clone())
            .or_insert_with(|| (blank_listing(ticker), ObservedBook::default()));
    }
    let first_ns = first_ns.unwrap_or(0);
    let close_ns = last_ns.unwrap_or(0).saturating_add(ASSUMED_CLOSE_AFTER_NS);
    let mut listings = Vec::new();
    for (ticker, (mut info, _)) in seen {
        if listed.contains(&ticker) {
            continue;
        }
        info.open_time_ns = Some(first_ns);
        info.close_time_ns = Some(close_ns);
        info.open_interest = info.volume_24h;
        notes.push(format!(
            "{ticker}: the data carries no listing; assumed active, 1-cent ticks, fee \
             {ASSUMED_FEE_TYPE}, close one day after the data, 24 h volume and open interest \
             = the {} contracts traded in the data",
            info.volume_24h
        ));
        listings.push(info);
    }
    listings
}

fn blank_listing(ticker: &str) -> MarketInfo {
    MarketInfo {
        ticker: ticker.to_string(),
        event_ticker: ticker.to_string(),
        title: format!("{ticker} (listing assumed for backtest)"),
        status: MarketStatus::Active,
        open_time_ns: None,
        close_time_ns: None,
        yes_bid: None,
        yes_bid_size: None,
        yes_ask: None,
        yes_ask_size: None,
        last_price: None,
        volume: Count::ZERO,
        volume_24h: Count::ZERO,
        open_interest: Count::ZERO,
        price_ranges: vec![PriceRange {
            start: Price::ZERO,
            end: Price::ONE,
            step: Price::from_micros(10_000).unwrap_or(Price::ZERO),
        }],
        fee: Some(FeeParams {
            fee_type: ASSUMED_FEE_TYPE.to_string(),
            multiplier_ppm: 1_000_000,
        }),
        fractional_trading: false,
        result: None,
        settlement_value: None,
    }
}

/// A market's book as the data builds it, until its first two-sided quote is taken.
#[derive(Debug, Default)]
struct ObservedBook {
    /// Level sizes (centi-contracts) by YES price.
    bids: BTreeMap<Price, i64>,
    asks: BTreeMap<Price, i64>,
    /// The listing's quote is set.
    quoted: bool,
}

/// Takes the first two-sided quote the data shows (from snapshots, or from deltas building a
/// book, as an imported L2 stream does) and the last trade price, and adds traded volume.
fn observe(info: &mut MarketInfo, book: &mut ObservedBook, event: &Event) {
    match event {
        Event::BookSnapshot(snapshot) if !book.quoted => {
            let levels = |levels: &[kalshi_core::market_data::BookLevel]| {
                levels
                    .iter()
                    .map(|level| (level.price, level.size.centi()))
                    .collect()
            };
            book.bids = levels(&snapshot.bids);
            book.asks = levels(&snapshot.asks);
            take_first_quote(info, book);
        }
        Event::BookDelta(delta) if !book.quoted => {
            let levels = match delta.side {
                kalshi_core::BookSide::Bid => &mut book.bids,
                kalshi_core::BookSide::Ask => &mut book.asks,
            };
            let size = levels.entry(delta.price).or_default();
            *size += delta.delta.centi();
            if *size <= 0 {
                levels.remove(&delta.price);
            }
            take_first_quote(info, book);
        }
        Event::PublicTrade(trade) => {
            info.last_price = Some(trade.yes_price);
            info.volume = info.volume + trade.count;
            info.volume_24h = info.volume;
        }
        _ => {}
    }
}

/// Sets the listing's quote from `book` once it has both sides.
fn take_first_quote(info: &mut MarketInfo, book: &mut ObservedBook) {
    let (Some((&bid, &bid_size)), Some((&ask, &ask_size))) =
        (book.bids.last_key_value(), book.asks.first_key_value())
    else {
        return;
    };
    info.yes_bid = Some(bid);
    info.yes_bid_size = Count::from_centi(bid_size).ok();
    info.yes_ask = Some(ask);
    info.yes_ask_size = Count::from_centi(ask_size).ok();
    book.quoted = true;
    book.bids.clear();
    book.asks.clear();
}
