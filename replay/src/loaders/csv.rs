//! CSV import of public trades and top-of-book quotes.
//!
//! Both formats are plain comma-separated text with a header line naming the columns (any
//! order; extra columns are ignored; no quoting — tickers and ids never contain commas).
//! Prices are YES prices in dollars (`0.4500`), sizes contracts (`12` or `12.50`), times
//! Unix nanoseconds.
//!
//! - trades: `ts_ns,ticker,yes_price,count,taker_side[,trade_id]` with `taker_side` `bid`/`yes`
//!   (taker bought YES) or `ask`/`no` (taker sold YES). Without `trade_id` the line number is used.
//! - top of book: `ts_ns,ticker,bid_price,bid_size,ask_price,ask_size`; an empty price means an
//!   empty side. Each line becomes a one-level `BookSnapshot`.
//!
//! Rows are ordered by time, ties by file order (a stable sort), and numbered from seq 1.

use std::collections::BTreeMap;

use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{BookLevel, BookSnapshot, PublicTrade};
use kalshi_core::{BookSide, Count, Price};

use crate::error::ReplayError;

struct Table<'a> {
    origin: &'a str,
    columns: BTreeMap<&'a str, usize>,
}

impl<'a> Table<'a> {
    fn new(origin: &'a str, header: &'a str, required: &[&str]) -> Result<Table<'a>, ReplayError> {
        let columns: BTreeMap<&str, usize> = header
            .split(',')
            .enumerate()
            .map(|(index, name)| (name.trim(), index))
            .collect();
        for name in required {
            if !columns.contains_key(name) {
                return Err(ReplayError::BadInput {
                    origin: origin.to_string(),
                    line: 1,
                    reason: format!("missing column `{name}`"),
                });
            }
        }
        Ok(Table { origin, columns })
    }

    fn bad(&self, line: u64, reason: String) -> ReplayError {
        ReplayError::BadInput {
            origin: self.origin.to_string(),
            line,
            reason,
        }
    }

    fn field<'b>(
        &self,
        fields: &[&'b str],
        name: &str,
        line: u64,
    ) -> Result<Option<&'b str>, ReplayError> {
        let Some(index) = self.columns.get(name) else {
            return Ok(None);
        };
        match fields.get(*index) {
            Some(value) => Ok(Some(value.trim())),
            None => Err(self.bad(line, format!("missing field `{name}`"))),
        }
    }

    fn required<'b>(
        &self,
        fields: &[&'b str],
        name: &str,
        line: u64,
    ) -> Result<&'b str, ReplayError> {
        match self.field(fields, name, line)? {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(self.bad(line, format!("empty `{name}`"))),
        }
    }

    fn ts(&self, fields: &[&str], line: u64) -> Result<i64, ReplayError> {
        let text = self.required(fields, "ts_ns", line)?;
        text.parse()
            .map_err(|_| self.bad(line, format!("ts_ns `{text}` is not an integer")))
    }

    fn price(&self, text: &str, name: &str, line: u64) -> Result<Price, ReplayError> {
        Price::parse(text).map_err(|error| self.bad(line, format!("{name} `{text}`: {error}")))
    }

    fn count(&self, text: &str, name: &str, line: u64) -> Result<Count, ReplayError> {
        Count::parse(text).map_err(|error| self.bad(line, format!("{name} `{text}`: {error}")))
    }
}

fn data_lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    text.lines()
        .enumerate()
        .skip(1)
        .map(|(index, line)| (index as u64 + 1, line))
        .filter(|(_, line)| !line.trim().is_empty())
}

fn sequence(mut rows: Vec<(i64, Event)>) -> Vec<Envelope> {
    rows.sort_by_key(|(ts_ns, _)| *ts_ns);
    rows.into_iter()
        .enumerate()
        .map(|(index, (ts_ns, event))| Envelope {
            seq: index as u64 + 1,
            ts_ns,
            event,
        })
        .collect()
}

/// Parses a trades CSV (see the module documentation). `origin` names the file in errors.
pub fn parse_trades_csv(origin: &str, text: &str) -> Result<Vec<Envelope>, ReplayError> {
    let header = text.lines().next().unwrap_or_default();
    let table = Table::new(
        origin,
        header,
        &["ts_ns", "ticker", "yes_price", "count", "taker_side"],
    )?;
    let mut rows = Vec::new();
    for (line, row) in data_lines(text) {
        let fields: Vec<&str> = row.split(',').collect();
        let ts_ns = table.ts(&fields, line)?;
        let taker = table.required(&fields, "taker_side", line)?;
        let taker_side = match taker.to_ascii_lowercase().as_str() {
            "bid" | "yes" | "buy" => BookSide::Bid,
            "ask" | "no" | "sell" => BookSide::Ask,
            _ => {
                return Err(table.bad(
                    line,
                    format!("taker_side `{taker}` is not bid/yes or ask/no"),
                ));
            }
        };
        let trade_id = match table.field(&fields, "trade_id", line)? {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => format!("{origin}:{line}"),
        };
        rows.push((
            ts_ns,
            Event::PublicTrade(PublicTrade {
                trade_id,
                ticker: table.required(&fields, "ticker", line)?.to_string(),
                yes_price: table.price(
                    table.required(&fields, "yes_price", line)?,
                    "yes_price",
                    line,
                )?,
                count: table.count(table.required(&fields, "count", line)?, "count", line)?,
                taker_side,
                ts_ns,
            }),
        ));
    }
    Ok(sequence(rows))
}

/// Parses a top-of-book CSV into one-level snapshots (see the module documentation).
pub fn parse_top_of_book_csv(origin: &str, text: &str) -> Result<Vec<Envelope>, ReplayError> {
    let header = text.lines().next().unwrap_or_default();
    let table = Table::new(
        origin,
        header,
        &[
            "ts_ns",
            "ticker",
            "bid_price",
            "bid_size",
            "ask_price",
            "ask_size",
        ],
    )?;
    let mut rows = Vec::new();
    for (line, row) in data_lines(text) {
        let fields: Vec<&str> = row.split(',').collect();
        let ts_ns = table.ts(&fields, line)?;
        let level = |price_name: &str, size_name: &str| -> Result<Vec<BookLevel>, ReplayError> {
            match table.field(&fields, price_name, line)? {
                Some(price) if !price.is_empty() => Ok(vec![BookLevel {
                    price: table.price(price, price_name, line)?,
                    size: table.count(
                        table.required(&fields, size_name, line)?,
                        size_name,
                        line,
                    )?,
                }]),
                _ => Ok(Vec::new()),
            }
        };
        let bids = level("bid_price", "bid_size")?;
        let asks = level("ask_price", "ask_size")?;
        rows.push((
            ts_ns,
            Event::BookSnapshot(BookSnapshot {
                ticker: table.required(&fields, "ticker", line)?.to_string(),
                bids,
                asks,
                clock: None,
            }),
        ));
    }
    Ok(sequence(rows))
}

/// Merges several loaded streams by time (ties: earlier argument first, then original
/// order) and renumbers seqs from 1.
pub fn merge_streams(streams: Vec<Vec<Envelope>>) -> Vec<Envelope> {
    let mut keyed: Vec<(i64, usize, u64, Event)> = Vec::new();
    for (stream_index, stream) in streams.into_iter().enumerate() {
        for envelope in stream {
            keyed.push((envelope.ts_ns, stream_index, envelope.seq, envelope.event));
        }
    }
    keyed.sort_by_key(|(ts_ns, stream, seq, _)| (*ts_ns, *stream, *seq));
    keyed
        .into_iter()
        .enumerate()
        .map(|(index, (ts_ns, _, _, event))| Envelope {
            seq: index as u64 + 1,
            ts_ns,
            event,
        })
        .collect()
}
