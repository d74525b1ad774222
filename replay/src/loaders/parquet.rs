//! Parquet import of public trades and top-of-book quotes, read row by row.
//!
//! The columns are those of the CSV formats ([`crate::loaders::csv`]), looked up by name (any
//! order, extra columns ignored, nulls treated as absent):
//!
//! - trades: `ts_ns`, `ticker`, `yes_price`, `count`, `taker_side`, optional `trade_id`;
//! - top of book: `ts_ns`, `ticker`, `bid_price`, `bid_size`, `ask_price`, `ask_size` (a null
//!   or empty price means an empty side).
//!
//! Accepted physical types, all converted exactly:
//! - `ts_ns`: INT64 nanoseconds, or a TIMESTAMP in milliseconds or microseconds;
//! - prices: UTF8 dollars (`"0.4500"`), DOUBLE dollars (read through their shortest decimal
//!   form), DECIMAL dollars, or integers as legacy cents;
//! - sizes: UTF8 or DOUBLE or DECIMAL contracts, or integers as whole contracts;
//! - `ticker`, `taker_side`, `trade_id`: UTF8 (`trade_id` may also be an integer).
//!
//! L2 depth files ([`read_depth_parquet`]) take the columns of [`crate::loaders::depth`].
//!
//! When the file has no `ticker` column, `ticker_fallback` names the market. Rows are ordered
//! by time, ties by file order, and numbered from seq 1, as the CSV loaders do.

use std::collections::BTreeMap;

use ::parquet::data_type::Decimal;
use ::parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use ::parquet::record::Field;

use kalshi_core::events::{Envelope, Event};
use kalshi_core::market_data::{BookLevel, BookSnapshot, PublicTrade};
use kalshi_core::{BookSide, Count, Price};

use crate::error::ReplayError;
use crate::loaders::csv::merge_streams;
use crate::loaders::depth::{DepthRow, parse_kind, parse_side, parse_time};

/// Nanoseconds per millisecond.
use kalshi_core::time::NS_PER_MS;
/// Nanoseconds per microsecond.
use kalshi_core::time::NS_PER_US;

/// One row's columns by name, with its 1-based row number for errors.
struct RowFields<'a> {
    origin: &'a str,
    row: u64,
    fields: BTreeMap<String, Field>,
    ticker_fallback: Option<&'a str>,
}

impl RowFields<'_> {
    fn bad(&self, reason: String) -> ReplayError {
        ReplayError::BadInput {
            origin: self.origin.to_string(),
            line: self.row,
            reason,
        }
    }

    /// The field, `None` when the column is missing or null.
    fn get(&self, name: &str) -> Option<&Field> {
        self.fields
            .get(name)
            .filter(|field| !matches!(field, Field::Null))
    }

    fn required(&self, name: &str) -> Result<&Field, ReplayError> {
        self.get(name)
            .ok_or_else(|| self.bad(format!("missing or null `{name}`")))
    }

    fn text(&self, name: &str) -> Result<Option<String>, ReplayError> {
        match self.get(name) {
            None => Ok(None),
            Some(Field::Str(text)) => Ok(Some(text.trim().to_string())),
            Some(Field::Long(value)) => Ok(Some(value.to_string())),
            Some(Field::Int(value)) => Ok(Some(value.to_string())),
            Some(other) => Err(self.bad(format!("`{name}` is {other:?}, expected text"))),
        }
    }

    fn ts_ns(&self) -> Result<i64, ReplayError> {
        let scaled = |value: i64, scale: i64| {
            value
                .checked_mul(scale)
                .ok_or_else(|| self.bad(format!("ts_ns: {value} is out of range")))
        };
        match self.required("ts_ns")? {
            Field::Long(ns) => Ok(*ns),
            Field::TimestampMicros(us) => scaled(*us, NS_PER_US),
            Field::TimestampMillis(ms) => scaled(*ms, NS_PER_MS),
            other => Err(self.bad(format!("ts_ns is {other:?}, expected INT64 nanoseconds"))),
        }
    }

    fn ticker(&self) -> Result<String, ReplayError> {
        match (self.text("ticker")?, self.ticker_fallback) {
            (Some(ticker), _) if !ticker.is_empty() => Ok(ticker),
            (_, Some(fallback)) => Ok(fallback.to_string()),
            _ => Err(self.bad("missing `ticker` (and no market given)".to_string())),
        }
    }

    /// A price, `None` when absent or an empty string.
    fn price(&self, name: &str) -> Result<Option<Price>, ReplayError> {
        let field = match self.get(name) {
            None => return Ok(None),
            Some(Field::Str(text)) if text.trim().is_empty() => return Ok(None),
            Some(field) => field,
        };
        let parsed = match field {
            Field::Str(text) => Price::parse(text.trim()),
            Field::Double(value) => Price::from_f64(*value),
            Field::Decimal(decimal) => Price::parse(&decimal_text(decimal)),
            Field::Long(cents) => Price::from_cents(*cents),
            Field::Int(cents) => Price::from_cents(i64::from(*cents)),
            other => return Err(self.bad(format!("`{name}` is {other:?}, expected a price"))),
        };
        parsed
            .map(Some)
            .map_err(|error| self.bad(format!("{name}: {error}")))
    }

    fn count(&self, name: &str) -> Result<Count, ReplayError> {
        let parsed = match self.required(name)? {
            Field::Str(text) => Count::parse(text.trim()),
            Field::Double(value) => Count::from_f64(*value),
            Field::Decimal(decimal) => Count::parse(&decimal_text(decimal)),
            Field::Long(contracts) => Count::from_contracts(*contracts),
            Field::Int(contracts) => Count::from_contracts(i64::from(*contracts)),
            other => return Err(self.bad(format!("`{name}` is {other:?}, expected a count"))),
        };
        parsed.map_err(|error| self.bad(format!("{name}: {error}")))
    }
}

/// A DECIMAL's exact text (`12345` at scale 4 → `1.2345`).
fn decimal_text(decimal: &Decimal) -> String {
    let bytes = decimal.data();
    let negative = bytes.first().is_some_and(|byte| byte & 0x80 != 0);
    let mut unscaled: i128 = if negative { -1 } else { 0 };
    for byte in bytes.iter().take(16) {
        unscaled = (unscaled << 8) | i128::from(*byte);
    }
    let scale = usize::try_from(decimal.scale().max(0)).unwrap_or(0);
    let digits = unscaled.unsigned_abs().to_string();
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    let sign = if unscaled < 0 { "-" } else { "" };
    if scale == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// Calls `visit` on every row of `reader`.
fn for_each_row<R: ChunkReader + 'static>(
    origin: &str,
    reader: R,
    ticker_fallback: Option<&str>,
    mut visit: impl FnMut(&RowFields<'_>) -> Result<(), ReplayError>,
) -> Result<(), ReplayError> {
    let open_error = |error: ::parquet::errors::ParquetError| ReplayError::BadInput {
        origin: origin.to_string(),
        line: 0,
        reason: format!("not a readable Parquet file: {error}"),
    };
    let file = SerializedFileReader::new(reader).map_err(open_error)?;
    let rows = file.get_row_iter(None).map_err(open_error)?;
    for (index, row) in rows.enumerate() {
        let row_number = index as u64 + 1;
        let row = row.map_err(|error| ReplayError::BadInput {
            origin: origin.to_string(),
            line: row_number,
            reason: error.to_string(),
        })?;
        visit(&RowFields {
            origin,
            row: row_number,
            fields: row.into_columns().into_iter().collect(),
            ticker_fallback,
        })?;
    }
    Ok(())
}

/// Reads every row of `reader`, calling `convert` on each.
fn read_rows<R: ChunkReader + 'static>(
    origin: &str,
    reader: R,
    ticker_fallback: Option<&str>,
    mut convert: impl FnMut(&RowFields<'_>) -> Result<(i64, Event), ReplayError>,
) -> Result<Vec<Envelope>, ReplayError> {
    let mut envelopes = Vec::new();
    for_each_row(origin, reader, ticker_fallback, |fields| {
        let (ts_ns, event) = convert(fields)?;
        envelopes.push(Envelope {
            seq: fields.row,
            ts_ns,
            event,
        });
        Ok(())
    })?;
    Ok(merge_streams(vec![envelopes]))
}

/// Reads an L2 depth Parquet file into rows (columns as in [`crate::loaders::depth`]; `ts_ns`
/// as for the other files, or `ts` as RFC 3339 text); turn them into inputs with
/// [`crate::loaders::depth::depth_inputs`].
pub fn read_depth_parquet<R: ChunkReader + 'static>(
    origin: &str,
    reader: R,
) -> Result<Vec<DepthRow>, ReplayError> {
    let mut rows = Vec::new();
    for_each_row(origin, reader, None, |row| {
        let ts_ns = if row.get("ts_ns").is_some() {
            row.ts_ns()?
        } else {
            parse_time(None, row.text("ts")?.as_deref()).map_err(|reason| row.bad(reason))?
        };
        let required_text = |name: &str| {
            row.text(name)?
                .filter(|text| !text.is_empty())
                .ok_or_else(|| row.bad(format!("missing or empty `{name}`")))
        };
        rows.push(DepthRow {
            line: row.row,
            row: row.row,
            ts_ns,
            ticker: row.ticker()?,
            kind: parse_kind(&required_text("kind")?).map_err(|reason| row.bad(reason))?,
            side: parse_side(&required_text("side")?).map_err(|reason| row.bad(reason))?,
            price: row
                .price("price")?
                .ok_or_else(|| row.bad("missing or empty `price`".to_string()))?,
            size: row.count("size")?,
            trade_id: row.text("trade_id")?.filter(|id| !id.is_empty()),
        });
        Ok(())
    })?;
    Ok(rows)
}

/// Reads a trades Parquet file (see the module documentation).
pub fn read_trades_parquet<R: ChunkReader + 'static>(
    origin: &str,
    reader: R,
    ticker_fallback: Option<&str>,
) -> Result<Vec<Envelope>, ReplayError> {
    read_rows(origin, reader, ticker_fallback, |row| {
        let ts_ns = row.ts_ns()?;
        let taker = row
            .text("taker_side")?
            .ok_or_else(|| row.bad("missing or null `taker_side`".to_string()))?;
        let taker_side = match taker.to_ascii_lowercase().as_str() {
            "bid" | "yes" | "buy" => BookSide::Bid,
            "ask" | "no" | "sell" => BookSide::Ask,
            _ => {
                return Err(row.bad(format!("taker_side `{taker}` is not bid/yes or ask/no")));
            }
        };
        let trade_id = match row.text("trade_id")? {
            Some(id) if !id.is_empty() => id,
            _ => format!("{origin}:{}", row.row),
        };
        let yes_price = row
            .price("yes_price")?
            .ok_or_else(|| row.bad("missing or empty `yes_price`".to_string()))?;
        Ok((
            ts_ns,
            Event::PublicTrade(PublicTrade {
                trade_id,
                ticker: row.ticker()?,
                yes_price,
                count: row.count("count")?,
                taker_side,
                ts_ns,
            }),
        ))
    })
}

/// Reads a top-of-book Parquet file into one-level snapshots (see the module documentation).
pub fn read_top_of_book_parquet<R: ChunkReader + 'static>(
    origin: &str,
    reader: R,
    ticker_fallback: Option<&str>,
) -> Result<Vec<Envelope>, ReplayError> {
    read_rows(origin, reader, ticker_fallback, |row| {
        let ts_ns = row.ts_ns()?;
        let level = |price_name: &str, size_name: &str| -> Result<Vec<BookLevel>, ReplayError> {
            match row.price(price_name)? {
                Some(price) => Ok(vec![BookLevel {
                    price,
                    size: row.count(size_name)?,
                }]),
                None => Ok(Vec::new()),
            }
        };
        Ok((
            ts_ns,
            Event::BookSnapshot(BookSnapshot {
                ticker: row.ticker()?,
                bids: level("bid_price", "bid_size")?,
                asks: level("ask_price", "ask_size")?,
                clock: None,
            }),
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::sync::Arc;

    use ::parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
    use ::parquet::file::properties::WriterProperties;
    use ::parquet::file::writer::SerializedFileWriter;
    use ::parquet::schema::parser::parse_message_type;

    use super::*;

    /// One column's values, with definition levels for optional columns (`None` = null).
    enum Column {
        Long(Vec<i64>),
        Int(Vec<Option<i32>>),
        Double(Vec<f64>),
        Text(Vec<Option<&'static str>>),
    }

    fn write(schema: &str, columns: Vec<Column>) -> File {
        let file = tempfile::tempfile().unwrap();
        let schema = Arc::new(parse_message_type(schema).unwrap());
        let mut writer = SerializedFileWriter::new(
            file.try_clone().unwrap(),
            schema,
            Arc::new(WriterProperties::builder().build()),
        )
        .unwrap();
        let mut group = writer.next_row_group().unwrap();
        let mut columns = columns.into_iter();
        while let Some(mut writer) = group.next_column().unwrap() {
            match columns.next().unwrap() {
                Column::Long(values) => {
                    writer
                        .typed::<Int64Type>()
                        .write_batch(&values, None, None)
                        .unwrap();
                }
                Column::Double(values) => {
                    writer
                        .typed::<DoubleType>()
                        .write_batch(&values, None, None)
                        .unwrap();
                }
                Column::Int(values) => {
                    let levels: Vec<i16> = values.iter().map(|v| i16::from(v.is_some())).collect();
                    let present: Vec<i32> = values.into_iter().flatten().collect();
                    writer
                        .typed::<Int32Type>()
                        .write_batch(&present, Some(&levels), None)
                        .unwrap();
                }
                Column::Text(values) => {
                    let levels: Vec<i16> = values.iter().map(|v| i16::from(v.is_some())).collect();
                    let present: Vec<ByteArray> =
                        values.into_iter().flatten().map(ByteArray::from).collect();
                    writer
                        .typed::<ByteArrayType>()
                        .write_batch(&present, Some(&levels), None)
                        .unwrap();
                }
            }
            writer.close().unwrap();
        }
        group.close().unwrap();
        writer.close().unwrap();
        file
    }

    fn trades_file(taker_sides: Vec<Option<&'static str>>) -> File {
        write(
            "message trades { required int64 ts_ns; optional binary ticker (UTF8); \
             optional binary yes_price (UTF8); required double count; \
             optional binary taker_side (UTF8); }",
            vec![
                Column::Long(vec![3_000, 1_000, 2_000]),
                Column::Text(vec![Some("KX-A"), None, Some("KX-B")]),
                Column::Text(vec![Some("0.4500"), Some("0.46"), Some("0.010000")]),
                Column::Double(vec![12.5, 1.0, 3.0]),
                Column::Text(taker_sides),
            ],
        )
    }

    #[test]
    fn trades_are_read_exactly_sorted_by_time_with_the_fallback_ticker() {
        let file = trades_file(vec![Some("yes"), Some("no"), Some("ask")]);
        let envelopes = read_trades_parquet("t.parquet", file, Some("KX-FALLBACK")).unwrap();
        let trades: Vec<(u64, i64, PublicTrade)> = envelopes
            .into_iter()
            .map(|envelope| match envelope.event {
                Event::PublicTrade(trade) => (envelope.seq, envelope.ts_ns, trade),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            trades
                .iter()
                .map(|(seq, ts, _)| (*seq, *ts))
                .collect::<Vec<_>>(),
            vec![(1, 1_000), (2, 2_000), (3, 3_000)]
        );
        let (_, _, first) = &trades[0];
        assert_eq!(
            first.ticker, "KX-FALLBACK",
            "a null ticker takes the market given"
        );
        assert_eq!(first.taker_side, BookSide::Ask);
        assert_eq!(first.trade_id, "t.parquet:2", "no trade_id: origin and row");
        let (_, _, last) = &trades[2];
        assert_eq!(last.ticker, "KX-A");
        assert_eq!(last.yes_price, Price::parse("0.45").unwrap());
        assert_eq!(last.count, Count::from_centi(1_250).unwrap());
        assert_eq!(last.taker_side, BookSide::Bid);
        assert_eq!(trades[1].2.yes_price, Price::from_micros(10_000).unwrap());
    }

    #[test]
    fn a_bad_value_names_its_row_and_column() {
        let file = trades_file(vec![Some("yes"), Some("maybe"), Some("no")]);
        let error = read_trades_parquet("t.parquet", file, None).unwrap_err();
        match error {
            ReplayError::BadInput {
                origin,
                line,
                reason,
            } => {
                assert_eq!((origin.as_str(), line), ("t.parquet", 2));
                assert!(reason.contains("taker_side `maybe`"), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
        let file = trades_file(vec![Some("yes"), None, Some("no")]);
        let error = read_trades_parquet("t.parquet", file, Some("KX")).unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
        assert!(error.to_string().contains("taker_side"), "{error}");
    }

    #[test]
    fn top_of_book_rows_become_one_level_snapshots_with_empty_sides() {
        let file = write(
            "message book { required int64 ts_ns; optional int32 bid_price; \
             optional int32 bid_size; optional int32 ask_price; optional int32 ask_size; }",
            vec![
                Column::Long(vec![5, 6]),
                Column::Int(vec![Some(40), None]),
                Column::Int(vec![Some(100), None]),
                Column::Int(vec![Some(50), Some(51)]),
                Column::Int(vec![Some(7), Some(8)]),
            ],
        );
        let envelopes = read_top_of_book_parquet("b.parquet", file, Some("KX-B")).unwrap();
        let snapshots: Vec<BookSnapshot> = envelopes
            .into_iter()
            .map(|envelope| match envelope.event {
                Event::BookSnapshot(snapshot) => snapshot,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(snapshots.len(), 2);
        assert_eq!(snapshots[0].ticker, "KX-B");
        assert_eq!(
            snapshots[0].bids,
            vec![BookLevel {
                price: Price::from_cents(40).unwrap(),
                size: Count::from_contracts(100).unwrap(),
            }]
        );
        assert_eq!(snapshots[0].asks[0].price, Price::from_cents(50).unwrap());
        assert!(snapshots[1].bids.is_empty(), "a null bid is an empty side");
        assert_eq!(snapshots[1].asks[0].size, Count::from_contracts(8).unwrap());
    }

    #[test]
    fn a_file_that_is_not_parquet_is_refused_by_name() {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, b"ts_ns,ticker\n1,KX\n").unwrap();
        let error = read_trades_parquet("x.parquet", file, None).unwrap_err();
        assert!(
            matches!(error, ReplayError::BadInput { line: 0, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("x.parquet"), "{error}");
    }

    #[test]
    fn depth_rows_read_with_double_prices_and_rfc3339_times() {
        let file = write(
            "message depth { optional binary ts (UTF8); optional binary ticker (UTF8); \
             optional binary kind (UTF8); optional binary side (UTF8); required double price; \
             required double size; }",
            vec![
                Column::Text(vec![
                    Some("2026-11-01T00:00:00Z"),
                    Some("2026-11-01T00:00:01.5Z"),
                ]),
                Column::Text(vec![Some("KXA-1"), Some("KXA-1")]),
                Column::Text(vec![Some("book"), Some("trade")]),
                Column::Text(vec![Some("bid"), Some("sell")]),
                Column::Double(vec![0.41, 0.41]),
                Column::Double(vec![12.5, 2.0]),
            ],
        );
        let rows = read_depth_parquet("d.parquet", file).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].price, Price::parse("0.41").unwrap());
        assert_eq!(rows[0].size, Count::parse("12.50").unwrap());
        assert_eq!(rows[1].side, BookSide::Ask);
        assert_eq!(rows[1].ts_ns - rows[0].ts_ns, 1_500_000_000);

        let bad = write(
            "message depth { required int64 ts_ns; optional binary ticker (UTF8); \
             optional binary kind (UTF8); optional binary side (UTF8); required double price; \
             required double size; }",
            vec![
                Column::Long(vec![1, 2]),
                Column::Text(vec![Some("KXA-1"), Some("KXA-1")]),
                Column::Text(vec![Some("book"), Some("quote")]),
                Column::Text(vec![Some("bid"), Some("bid")]),
                Column::Double(vec![0.41, 0.41]),
                Column::Double(vec![1.0, 1.0]),
            ],
        );
        match read_depth_parquet("bad.parquet", bad) {
            Err(ReplayError::BadInput { line, reason, .. }) => {
                assert_eq!(line, 2);
                assert!(reason.contains("quote"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
