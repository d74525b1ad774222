//! Third-party L2 data: rows that set the absolute size of one book level, or record a
//! trade, turned into the engine's inputs (book deltas and public trades).
//!
//! Columns, by name in any order (unknown columns are ignored):
//! - `ts_ns` (Unix nanoseconds) or `ts` (RFC 3339);
//! - `ticker`;
//! - `kind`: `book` (the level at `side`/`price` now holds `size` contracts; 0 removes it) or
//!   `trade`;
//! - `side`: `bid` or `ask` in YES terms (also `yes` / `no`); for a trade, the taker's side
//!   (`bid` = the taker bought YES);
//! - `price`: YES price in dollars, a decimal string or number;
//! - `size`: contracts, decimal;
//! - optional `trade_id` (else the ticker and the row's number among the data rows name the
//!   trade, so the same rows give the same ids from CSV and Parquet).
//!
//! Rows are ordered by time (ties in file order). Each market's first row is preceded by an
//! empty book snapshot, so the deltas that follow build a book the engine trusts; a `book` row
//! becomes the delta between the size it sets and the size the level held (a row that
//! changes nothing produces no input). A bad row is refused with its line number. Several
//! markets may share a file.

use std::collections::BTreeMap;

use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{BookDelta, BookSnapshot, PublicTrade};
use kalshi_core::{BookSide, Count, Price, SignedCount};

use crate::error::ReplayError;

/// What a row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepthKind {
    /// The absolute size of one level.
    Book,
    /// A trade of `size` contracts at `price`; `side` is the taker's.
    Trade,
}

/// One parsed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepthRow {
    /// 1-based line of the file (CSV: the header is line 1; Parquet: the row), for errors.
    pub line: u64,
    /// 1-based number among the data rows (default trade ids).
    pub row: u64,
    /// Unix ns.
    pub ts_ns: i64,
    /// Market ticker.
    pub ticker: String,
    /// Level or trade.
    pub kind: DepthKind,
    /// Book side in YES terms; for a trade, the taker's side.
    pub side: BookSide,
    /// YES price.
    pub price: Price,
    /// The level's new size, or the trade's count.
    pub size: Count,
    /// The trade's id, when the file carries one.
    pub trade_id: Option<String>,
}

/// Reads `kind`.
pub fn parse_kind(text: &str) -> Result<DepthKind, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "book" | "level" => Ok(DepthKind::Book),
        "trade" => Ok(DepthKind::Trade),
        other => Err(format!("kind `{other}` is neither book nor trade")),
    }
}

/// Reads `side`.
pub fn parse_side(text: &str) -> Result<BookSide, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "bid" | "yes" | "buy" => Ok(BookSide::Bid),
        "ask" | "no" | "sell" => Ok(BookSide::Ask),
        other => Err(format!("side `{other}` is neither bid/yes nor ask/no")),
    }
}

/// Reads `ts_ns` (integer) or, when that column is absent, `ts` (RFC 3339).
pub fn parse_time(ts_ns: Option<&str>, ts: Option<&str>) -> Result<i64, String> {
    match (
        ts_ns.filter(|t| !t.is_empty()),
        ts.filter(|t| !t.is_empty()),
    ) {
        (Some(text), _) => text
            .parse()
            .map_err(|_| format!("ts_ns `{text}` is not an integer")),
        (None, Some(text)) => {
            kalshi_core::time::parse_rfc3339_ns(text).map_err(|error| format!("ts: {error}"))
        }
        (None, None) => Err("neither `ts_ns` nor `ts` is set".to_string()),
    }
}

/// Parses a depth CSV (see the module documentation). `origin` names the file in errors.
pub fn parse_depth_csv(origin: &str, text: &str) -> Result<Vec<DepthRow>, ReplayError> {
    let bad = |line: u64, reason: String| ReplayError::BadInput {
        origin: origin.to_string(),
        line,
        reason,
    };
    let header = text.lines().next().unwrap_or_default();
    let columns: BTreeMap<&str, usize> = header
        .split(',')
        .enumerate()
        .map(|(index, name)| (name.trim(), index))
        .collect();
    if !columns.contains_key("ts_ns") && !columns.contains_key("ts") {
        return Err(bad(1, "missing column `ts_ns` (or `ts`)".to_string()));
    }
    for name in ["ticker", "kind", "side", "price", "size"] {
        if !columns.contains_key(name) {
            return Err(bad(1, format!("missing column `{name}`")));
        }
    }
    let mut rows = Vec::new();
    for (index, row) in text.lines().enumerate().skip(1) {
        let line = index as u64 + 1;
        if row.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = row.split(',').map(str::trim).collect();
        let field = |name: &str| columns.get(name).and_then(|i| fields.get(*i)).copied();
        let required = |name: &str| match field(name) {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(bad(line, format!("empty `{name}`"))),
        };
        let ts_ns = parse_time(field("ts_ns"), field("ts")).map_err(|reason| bad(line, reason))?;
        let price_text = required("price")?;
        let size_text = required("size")?;
        rows.push(DepthRow {
            line,
            row: index as u64,
            ts_ns,
            ticker: required("ticker")?.to_string(),
            kind: parse_kind(required("kind")?).map_err(|reason| bad(line, reason))?,
            side: parse_side(required("side")?).map_err(|reason| bad(line, reason))?,
            price: Price::parse(price_text)
                .map_err(|error| bad(line, format!("price `{price_text}`: {error}")))?,
            size: Count::parse(size_text)
                .map_err(|error| bad(line, format!("size `{size_text}`: {error}")))?,
            trade_id: field("trade_id")
                .filter(|id| !id.is_empty())
                .map(str::to_string),
        });
    }
    Ok(rows)
}

/// One market's book, level sizes by side and price.
#[derive(Default)]
struct LevelBook {
    bids: BTreeMap<Price, Count>,
    asks: BTreeMap<Price, Count>,
}

/// Turns rows into inputs (see the module documentation); seqs from 1.
pub fn depth_inputs(origin: &str, mut rows: Vec<DepthRow>) -> Result<Vec<Envelope>, ReplayError> {
    rows.sort_by_key(|row| (row.ts_ns, row.line));
    let mut books: BTreeMap<String, LevelBook> = BTreeMap::new();
    let mut events: Vec<(i64, Event)> = Vec::with_capacity(rows.len() + 1);
    for row in rows {
        if row.price == Price::ZERO {
            return Err(ReplayError::BadInput {
                origin: origin.to_string(),
                line: row.line,
                reason: "price 0 is not a tradable level".to_string(),
            });
        }
        if !books.contains_key(&row.ticker) {
            books.insert(row.ticker.clone(), LevelBook::default());
            events.push((
                row.ts_ns,
                Event::BookSnapshot(BookSnapshot {
                    ticker: row.ticker.clone(),
                    bids: Vec::new(),
                    asks: Vec::new(),
                    clock: None,
                }),
            ));
        }
        match row.kind {
            DepthKind::Trade => {
                if row.size.is_zero() {
                    return Err(ReplayError::BadInput {
                        origin: origin.to_string(),
                        line: row.line,
                        reason: "a trade of size 0".to_string(),
                    });
                }
                events.push((
                    row.ts_ns,
                    Event::PublicTrade(PublicTrade {
                        trade_id: row
                            .trade_id
                            .unwrap_or_else(|| format!("{}-{}", row.ticker, row.row)),
                        ticker: row.ticker,
                        yes_price: row.price,
                        count: row.size,
                        taker_side: row.side,
                        ts_ns: row.ts_ns,
                    }),
                ));
            }
            DepthKind::Book => {
                let Some(book) = books.get_mut(&row.ticker) else {
                    continue;
                };
                let levels = match row.side {
                    BookSide::Bid => &mut book.bids,
                    BookSide::Ask => &mut book.asks,
                };
                let before = levels.get(&row.price).copied().unwrap_or(Count::ZERO);
                let change = row.size.centi() - before.centi();
                if change == 0 {
                    continue;
                }
                if row.size.is_zero() {
                    levels.remove(&row.price);
                } else {
                    levels.insert(row.price, row.size);
                }
                events.push((
                    row.ts_ns,
                    Event::BookDelta(BookDelta {
                        ticker: row.ticker,
                        side: row.side,
                        price: row.price,
                        delta: SignedCount::from_centi(change),
                        clock: None,
                        client_order_id: None,
                    }),
                ));
            }
        }
    }
    Ok(events
        .into_iter()
        .enumerate()
        .map(|(index, (ts_ns, event))| Envelope {
            seq: index as u64 + 1,
            ts_ns,
            event,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "\
ts,ticker,kind,side,price,size,venue
2026-11-01T00:00:00Z,KXA-1,book,bid,0.40,10,x
2026-11-01T00:00:00Z,KXA-1,book,ask,0.45,7,x
2026-11-01T00:00:01Z,KXA-1,book,bid,0.40,4,x
2026-11-01T00:00:01Z,KXB-2,book,ask,0.9,3,x
2026-11-01T00:00:02Z,KXA-1,trade,ask,0.40,6,x
2026-11-01T00:00:03Z,KXA-1,book,bid,0.40,0,x
2026-11-01T00:00:03Z,KXA-1,book,ask,0.45,7,x
";

    fn delta_of(event: &Event) -> Option<(BookSide, i64, i64)> {
        match event {
            Event::BookDelta(delta) => {
                Some((delta.side, delta.price.micros(), delta.delta.centi()))
            }
            _ => None,
        }
    }

    #[test]
    fn absolute_levels_become_deltas_and_each_market_starts_from_an_empty_book() {
        let rows = parse_depth_csv("d.csv", CSV).unwrap();
        assert_eq!(rows.len(), 7);
        let inputs = depth_inputs("d.csv", rows).unwrap();
        let kinds: Vec<&str> = inputs
            .iter()
            .map(|e| match &e.event {
                Event::BookSnapshot(_) => "snapshot",
                Event::BookDelta(_) => "delta",
                Event::PublicTrade(_) => "trade",
                _ => "other",
            })
            .collect();
        // The last row sets the ask to the size it already has: no input.
        assert_eq!(
            kinds,
            [
                "snapshot", "delta", "delta", "delta", "snapshot", "delta", "trade", "delta"
            ]
        );
        let deltas: Vec<_> = inputs.iter().filter_map(|e| delta_of(&e.event)).collect();
        assert_eq!(
            deltas,
            [
                (BookSide::Bid, 400_000, 1000),
                (BookSide::Ask, 450_000, 700),
                (BookSide::Bid, 400_000, -600),
                (BookSide::Ask, 900_000, 300),
                (BookSide::Bid, 400_000, -400),
            ]
        );
        let seqs: Vec<u64> = inputs.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=8).collect::<Vec<_>>());
        match &inputs[6].event {
            Event::PublicTrade(trade) => {
                assert_eq!(trade.taker_side, BookSide::Ask);
                assert_eq!(trade.trade_id, "KXA-1-5");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_row_is_refused_with_its_line() {
        for (row, needle) in [
            ("2026-11-01T00:00:00Z,KXA-1,quote,bid,0.40,1", "kind"),
            ("2026-11-01T00:00:00Z,KXA-1,book,up,0.40,1", "side"),
            ("2026-11-01T00:00:00Z,KXA-1,book,bid,1.40,1", "price"),
            ("2026-11-01T00:00:00Z,KXA-1,book,bid,0.40,-1", "size"),
            ("2026-13-01T00:00:00Z,KXA-1,book,bid,0.40,1", "ts"),
        ] {
            let text = format!(
                "ts,ticker,kind,side,price,size\n2026-11-01T00:00:00Z,KXA-1,book,bid,0.40,1\n{row}\n"
            );
            match parse_depth_csv("d.csv", &text) {
                Err(ReplayError::BadInput { line, reason, .. }) => {
                    assert_eq!(line, 3, "{row}");
                    assert!(reason.contains(needle), "{row}: {reason}");
                }
                other => panic!("{row}: {other:?}"),
            }
        }
        let missing = parse_depth_csv("d.csv", "ts_ns,ticker,kind,side,price\n");
        assert!(matches!(
            missing,
            Err(ReplayError::BadInput { line: 1, .. })
        ));
    }

    #[test]
    fn unix_nanoseconds_and_rfc3339_give_the_same_time() {
        assert_eq!(
            parse_time(None, Some("2026-11-01T00:00:01Z")).unwrap(),
            parse_time(Some("1793491201000000000"), None).unwrap()
        );
    }
}
