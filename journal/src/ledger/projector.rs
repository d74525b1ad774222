//! Applying one journal record to the ledger tables. Pure SQL over a connection the caller
//! holds inside a transaction; no clock, no randomness, so the same records always produce
//! the same rows.

use rusqlite::{Connection, OptionalExtension, params};

use kalshi_core::Money;
use kalshi_core::commands::Command;
use kalshi_core::decision::Decision;
use kalshi_core::events::{Event, RequestKind};
use kalshi_core::fixed::{Count, Price, SignedCount};
use kalshi_core::market_data::{ExchangeOrderStatus, OrderSnapshot, OwnFill, PositionSnapshot};
use kalshi_core::orders::MarketPosition;

use super::LedgerError;
use super::shadow::Shadow;
use crate::record::{JournalRecord, RecordIndex, RunStarted, SequencedRecord, command_name};

/// Meta keys.
pub(crate) const META_LAST_SEQ: &str = "last_seq";
pub(crate) const META_RECORDS: &str = "records_applied";
pub(crate) const META_DUPLICATE_FILLS: &str = "duplicate_fills";
pub(crate) const META_UNMATCHED: &str = "unmatched_order_events";
pub(crate) const META_SCHEMA_VERSION: &str = "schema_version";

/// Converts a journal seq (at most `i64::MAX` by the journal's own rule) to SQL.
fn sql_seq(seq: u64) -> Result<i64, LedgerError> {
    i64::try_from(seq).map_err(|_| LedgerError::SeqOutOfRange { seq })
}

pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<i64>, LedgerError> {
    Ok(conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            params![key],
            |row| row.get(0),
        )
        .optional()?)
}

pub(crate) fn meta_set(conn: &Connection, key: &str, value: i64) -> Result<(), LedgerError> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn meta_bump(conn: &Connection, key: &str) -> Result<(), LedgerError> {
    let value = meta_get(conn, key)?.unwrap_or(0);
    meta_set(conn, key, value.saturating_add(1))
}

/// Applies `record` unless its seq is not above the last applied one (then it is skipped, so
/// applying a record twice is harmless). Returns whether it was applied.
pub(crate) fn apply(
    conn: &Connection,
    shadow: &mut Shadow,
    record: &SequencedRecord,
) -> Result<bool, LedgerError> {
    let seq = sql_seq(record.seq)?;
    let last = meta_get(conn, META_LAST_SEQ)?;
    if last.is_some_and(|last| seq <= last) {
        return Ok(false);
    }
    if !shadow.follows(last) {
        return Err(LedgerError::ResumeNeedsRebuild {
            last_seq: last.and_then(|seq| u64::try_from(seq).ok()),
        });
    }
    // Until this record is fully applied the shadow is ahead of the tables.
    shadow.broken = true;
    let at = At {
        seq,
        ts_ns: record.ts_ns,
    };
    match &record.record {
        JournalRecord::RunStarted(started) => run_started(conn, at, started)?,
        JournalRecord::RunEnded { reason } => run_ended(conn, at, reason)?,
        JournalRecord::Input(envelope) => {
            input(conn, at, &envelope.event)?;
            shadow.step(conn, at.seq, envelope)?;
        }
        JournalRecord::OutputCommand {
            input_seq,
            index,
            command,
        } => output_command(conn, at, sql_seq(*input_seq)?, *index, command)?,
        JournalRecord::OutputDecision {
            input_seq,
            index,
            decision,
        } => output_decision(conn, at, sql_seq(*input_seq)?, *index, decision)?,
        JournalRecord::RawFrame(_) => {}
    }
    meta_set(conn, META_LAST_SEQ, seq)?;
    meta_bump(conn, META_RECORDS)?;
    shadow.last_seq = Some(seq);
    shadow.broken = false;
    Ok(true)
}

/// Seq and time of the record being applied.
#[derive(Clone, Copy)]
struct At {
    seq: i64,
    ts_ns: i64,
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, LedgerError> {
    serde_json::to_string(value).map_err(|e| LedgerError::Json(e.to_string()))
}

fn run_started(conn: &Connection, at: At, started: &RunStarted) -> Result<(), LedgerError> {
    conn.execute(
        "INSERT INTO runs (run_id, build_id, environment, seed, started_seq, started_ts_ns,
                           config_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(run_id) DO UPDATE SET
             build_id = excluded.build_id, environment = excluded.environment,
             seed = excluded.seed, started_seq = excluded.started_seq,
             started_ts_ns = excluded.started_ts_ns, config_json = excluded.config_json,
             ended_seq = NULL, ended_ts_ns = NULL, end_reason = NULL",
        params![
            started.run_id,
            started.build_id,
            started.environment,
            started.seed.to_string(),
            at.seq,
            started.started_ts_ns,
            to_json(&started.config)?
        ],
    )?;
    Ok(())
}

fn run_ended(conn: &Connection, at: At, reason: &str) -> Result<(), LedgerError> {
    conn.execute(
        "UPDATE runs SET ended_seq = ?1, ended_ts_ns = ?2, end_reason = ?3
         WHERE started_seq = (SELECT max(started_seq) FROM runs)",
        params![at.seq, at.ts_ns, reason],
    )?;
    Ok(())
}

fn input(conn: &Connection, at: At, event: &Event) -> Result<(), LedgerError> {
    match event {
        Event::OwnFill(fill) => own_fill(conn, at, fill),
        Event::OrderAck(ack) => {
            let Some(order) = load_order(conn, ack.client_order_id.as_str())? else {
                return meta_bump(conn, META_UNMATCHED);
            };
            let fills = fills_of(
                conn,
                Some(ack.client_order_id.as_str()),
                Some(&ack.order_id),
            )?;
            let filled = ack.fill_count.centi().max(fills);
            let remaining = ack.remaining_count.centi();
            let (price, count) = match ack.request {
                RequestKind::Amend => (
                    order.amend_price_micros.unwrap_or(order.price_micros),
                    order.amend_total_centi.unwrap_or(filled + remaining),
                ),
                RequestKind::Decrease => (order.price_micros, filled + remaining),
                RequestKind::Place | RequestKind::Cancel => (order.price_micros, order.count_centi),
            };
            let status = live_status(filled, remaining);
            conn.execute(
                "UPDATE orders SET order_id = ?2, price_micros = ?3, count_centi = ?4,
                     filled_centi = ?5, remaining_centi = ?6, status = ?7,
                     acked_ts_ns = coalesce(acked_ts_ns, ?8),
                     closed_ts_ns = CASE WHEN ?6 = 0 THEN ?8 ELSE NULL END,
                     amend_price_micros = CASE WHEN ?9 THEN NULL ELSE amend_price_micros END,
                     amend_total_centi = CASE WHEN ?9 THEN NULL ELSE amend_total_centi END,
                     updated_seq = ?10, updated_ts_ns = ?8
                 WHERE order_key = ?1",
                params![
                    order.key,
                    ack.order_id,
                    price,
                    count,
                    filled,
                    remaining,
                    status,
                    at.ts_ns,
                    ack.request == RequestKind::Amend,
                    at.seq
                ],
            )?;
            Ok(())
        }
        Event::OrderRejected(rejected) => {
            let Some(order) = load_order(conn, rejected.client_order_id.as_str())? else {
                return meta_bump(conn, META_UNMATCHED);
            };
            let (status, closed) = if rejected.request == RequestKind::Place {
                ("rejected".to_owned(), Some(at.ts_ns))
            } else {
                (order.status.clone(), None)
            };
            conn.execute(
                "UPDATE orders SET status = ?2, closed_ts_ns = coalesce(?3, closed_ts_ns),
                     last_reject_code = ?4, last_reject_message = ?5,
                     amend_price_micros = CASE WHEN ?6 THEN NULL ELSE amend_price_micros END,
                     amend_total_centi = CASE WHEN ?6 THEN NULL ELSE amend_total_centi END,
                     updated_seq = ?7, updated_ts_ns = ?8
                 WHERE order_key = ?1",
                params![
                    order.key,
                    status,
                    closed,
                    rejected.code,
                    rejected.message,
                    rejected.request == RequestKind::Amend,
                    at.seq,
                    at.ts_ns
                ],
            )?;
            Ok(())
        }
        Event::OrderUnknown {
            client_order_id,
            request,
        } => {
            let Some(order) = load_order(conn, client_order_id.as_str())? else {
                return meta_bump(conn, META_UNMATCHED);
            };
            if *request == RequestKind::Place && order.status == "pending" {
                set_status(conn, at, &order.key, "unknown", false)?;
            }
            Ok(())
        }
        Event::OrderNotFound { client_order_id } => {
            let Some(order) = load_order(conn, client_order_id.as_str())? else {
                return meta_bump(conn, META_UNMATCHED);
            };
            if !is_terminal(&order.status) {
                set_status(conn, at, &order.key, "not_found", true)?;
            }
            Ok(())
        }
        Event::CancelAck(ack) => {
            let Some(order) = load_order(conn, ack.client_order_id.as_str())? else {
                return meta_bump(conn, META_UNMATCHED);
            };
            conn.execute(
                "UPDATE orders SET order_id = ?2, remaining_centi = 0, status = 'cancelled',
                     closed_ts_ns = ?3, updated_seq = ?4, updated_ts_ns = ?3
                 WHERE order_key = ?1",
                params![order.key, ack.order_id, at.ts_ns, at.seq],
            )?;
            Ok(())
        }
        Event::OrderSnapshot(snapshot) => order_snapshot(conn, at, snapshot),
        Event::Reconciled { orders, positions } => {
            for snapshot in orders {
                order_snapshot(conn, at, snapshot)?;
            }
            for position in positions {
                exchange_position(conn, at, position)?;
            }
            Ok(())
        }
        Event::PositionSnapshot(position) => exchange_position(conn, at, position),
        _ => Ok(()),
    }
}

/// One row of `orders`, as far as the projector needs it.
struct OrderRow {
    key: String,
    price_micros: i64,
    count_centi: i64,
    status: String,
    amend_price_micros: Option<i64>,
    amend_total_centi: Option<i64>,
}

fn load_order(conn: &Connection, key: &str) -> Result<Option<OrderRow>, LedgerError> {
    Ok(conn
        .query_row(
            "SELECT order_key, price_micros, count_centi, status, amend_price_micros,
                    amend_total_centi
             FROM orders WHERE order_key = ?1",
            params![key],
            |row| {
                Ok(OrderRow {
                    key: row.get(0)?,
                    price_micros: row.get(1)?,
                    count_centi: row.get(2)?,
                    status: row.get(3)?,
                    amend_price_micros: row.get(4)?,
                    amend_total_centi: row.get(5)?,
                })
            },
        )
        .optional()?)
}

/// The order row a fill or snapshot belongs to: by client order id, else by exchange id.
fn find_order_key(
    conn: &Connection,
    client_order_id: Option<&str>,
    order_id: &str,
) -> Result<Option<String>, LedgerError> {
    if let Some(client_order_id) = client_order_id {
        if load_order(conn, client_order_id)?.is_some() {
            return Ok(Some(client_order_id.to_owned()));
        }
    }
    Ok(conn
        .query_row(
            "SELECT order_key FROM orders WHERE order_id = ?1 ORDER BY order_key LIMIT 1",
            params![order_id],
            |row| row.get(0),
        )
        .optional()?)
}

/// Contracts filled by our recorded fills for an order, hundredths.
fn fills_of(
    conn: &Connection,
    client_order_id: Option<&str>,
    order_id: Option<&str>,
) -> Result<i64, LedgerError> {
    Ok(conn.query_row(
        "SELECT coalesce(sum(count_centi), 0) FROM fills
         WHERE (?1 IS NOT NULL AND client_order_id = ?1) OR (?2 IS NOT NULL AND order_id = ?2)",
        params![client_order_id, order_id],
        |row| row.get(0),
    )?)
}

fn is_terminal(status: &str) -> bool {
    matches!(status, "filled" | "cancelled" | "rejected" | "not_found")
}

fn live_status(filled_centi: i64, remaining_centi: i64) -> &'static str {
    match (filled_centi > 0, remaining_centi > 0) {
        (true, true) => "partially_filled",
        (false, true) => "resting",
        (true, false) => "filled",
        (false, false) => "cancelled",
    }
}

fn set_status(
    conn: &Connection,
    at: At,
    key: &str,
    status: &str,
    closes: bool,
) -> Result<(), LedgerError> {
    conn.execute(
        "UPDATE orders SET status = ?2,
             closed_ts_ns = CASE WHEN ?3 THEN ?4 ELSE closed_ts_ns END,
             remaining_centi = CASE WHEN ?3 THEN 0 ELSE remaining_centi END,
             updated_seq = ?5, updated_ts_ns = ?4
         WHERE order_key = ?1",
        params![key, status, closes, at.ts_ns, at.seq],
    )?;
    Ok(())
}

fn order_snapshot(conn: &Connection, at: At, snapshot: &OrderSnapshot) -> Result<(), LedgerError> {
    let key = find_order_key(
        conn,
        snapshot.client_order_id.as_deref(),
        &snapshot.order_id,
    )?
    .unwrap_or_else(|| match &snapshot.client_order_id {
        Some(client_order_id) => client_order_id.clone(),
        None => format!("order:{}", snapshot.order_id),
    });
    let fills = fills_of(
        conn,
        snapshot.client_order_id.as_deref(),
        Some(&snapshot.order_id),
    )?;
    let filled = snapshot.fill_count.centi().max(fills);
    let remaining = snapshot.remaining_count.centi();
    let count = snapshot
        .initial_count
        .map_or(filled + remaining, Count::centi);
    let status = match snapshot.status {
        ExchangeOrderStatus::Resting => live_status(filled, remaining.max(1)),
        ExchangeOrderStatus::Canceled => "cancelled",
        ExchangeOrderStatus::Executed => "filled",
        ExchangeOrderStatus::Unknown => "unknown",
    };
    let closed = matches!(
        snapshot.status,
        ExchangeOrderStatus::Canceled | ExchangeOrderStatus::Executed
    );
    conn.execute(
        "INSERT INTO orders (order_key, client_order_id, order_id, ticker, side, price_micros,
                             count_centi, filled_centi, remaining_centi, status, closed_ts_ns,
                             updated_seq, updated_ts_ns)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, CASE WHEN ?11 THEN ?13 END, ?12, ?13)
         ON CONFLICT(order_key) DO UPDATE SET
             order_id = excluded.order_id, price_micros = excluded.price_micros,
             count_centi = excluded.count_centi, filled_centi = excluded.filled_centi,
             remaining_centi = excluded.remaining_centi, status = excluded.status,
             closed_ts_ns = CASE WHEN ?11 THEN coalesce(closed_ts_ns, ?13) ELSE NULL END,
             updated_seq = excluded.updated_seq, updated_ts_ns = excluded.updated_ts_ns",
        params![
            key,
            snapshot.client_order_id,
            snapshot.order_id,
            snapshot.ticker,
            snapshot.side.as_str(),
            snapshot.yes_price.micros(),
            count,
            filled,
            remaining,
            status,
            closed,
            at.seq,
            at.ts_ns
        ],
    )?;
    Ok(())
}

fn exchange_position(
    conn: &Connection,
    at: At,
    position: &PositionSnapshot,
) -> Result<(), LedgerError> {
    conn.execute(
        "INSERT INTO positions (ticker, position_centi, cost_micros, realized_micros,
                                fees_micros, fill_count, updated_seq, exchange_position_centi,
                                exchange_seq)
         VALUES (?1, 0, 0, 0, 0, 0, ?3, ?2, ?3)
         ON CONFLICT(ticker) DO UPDATE SET
             exchange_position_centi = excluded.exchange_position_centi,
             exchange_seq = excluded.exchange_seq",
        params![position.ticker, position.position.centi(), at.seq],
    )?;
    Ok(())
}

fn load_position(conn: &Connection, ticker: &str) -> Result<MarketPosition, LedgerError> {
    let row: Option<(i64, i64, i64, i64)> = conn
        .query_row(
            "SELECT position_centi, cost_micros, realized_micros, fees_micros
             FROM positions WHERE ticker = ?1",
            params![ticker],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?;
    Ok(match row {
        Some((position, cost, realized, fees)) => MarketPosition {
            position: SignedCount::from_centi(position),
            cost: Money::from_micros(cost),
            realized_pnl: Money::from_micros(realized),
            fees_paid: Money::from_micros(fees),
        },
        None => MarketPosition::default(),
    })
}

/// Net trading cash of a position's history: realized − cost of what is held − fees.
fn cash_micros(position: &MarketPosition) -> i64 {
    position.realized_pnl.micros() - position.cost.micros() - position.fees_paid.micros()
}

fn own_fill(conn: &Connection, at: At, fill: &OwnFill) -> Result<(), LedgerError> {
    let seen: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM fills WHERE fill_id = ?1",
            params![fill.fill_id],
            |row| row.get(0),
        )
        .optional()?;
    if seen.is_some() {
        return meta_bump(conn, META_DUPLICATE_FILLS);
    }
    let mut position = load_position(conn, &fill.ticker)?;
    let cash_before = cash_micros(&position);
    let realized = position.apply_fill(fill.side, fill.yes_price, fill.count, fill.fee);
    let cash_delta = cash_micros(&position) - cash_before;
    conn.execute(
        "INSERT INTO fills (fill_id, seq, ts_ns, fill_ts_ns, order_id, client_order_id, ticker,
                            side, yes_price_micros, count_centi, is_taker, fee_micros,
                            realized_micros, cash_delta_micros, position_after_centi)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            fill.fill_id,
            at.seq,
            at.ts_ns,
            fill.ts_ns,
            fill.order_id,
            fill.client_order_id,
            fill.ticker,
            fill.side.as_str(),
            fill.yes_price.micros(),
            fill.count.centi(),
            fill.is_taker,
            fill.fee.micros(),
            realized.micros(),
            cash_delta,
            position.position.centi()
        ],
    )?;
    conn.execute(
        "INSERT INTO positions (ticker, position_centi, cost_micros, realized_micros,
                                fees_micros, fill_count, updated_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)
         ON CONFLICT(ticker) DO UPDATE SET
             position_centi = excluded.position_centi, cost_micros = excluded.cost_micros,
             realized_micros = excluded.realized_micros, fees_micros = excluded.fees_micros,
             fill_count = fill_count + 1, updated_seq = excluded.updated_seq",
        params![
            fill.ticker,
            position.position.centi(),
            position.cost.micros(),
            position.realized_pnl.micros(),
            position.fees_paid.micros(),
            at.seq
        ],
    )?;
    if let Some(key) = find_order_key(conn, fill.client_order_id.as_deref(), &fill.order_id)? {
        let filled = fills_of(conn, fill.client_order_id.as_deref(), Some(&fill.order_id))?;
        conn.execute(
            "UPDATE orders SET
                 order_id = coalesce(order_id, ?2),
                 filled_centi = max(filled_centi, ?3),
                 remaining_centi = max(count_centi - max(filled_centi, ?3), 0),
                 status = CASE
                     WHEN status IN ('cancelled', 'rejected', 'not_found') THEN status
                     WHEN count_centi - max(filled_centi, ?3) <= 0 THEN 'filled'
                     ELSE 'partially_filled' END,
                 closed_ts_ns = CASE
                     WHEN count_centi - max(filled_centi, ?3) <= 0
                     THEN coalesce(closed_ts_ns, ?4) ELSE closed_ts_ns END,
                 updated_seq = ?5, updated_ts_ns = ?4
             WHERE order_key = ?1",
            params![key, fill.order_id, filled, at.ts_ns, at.seq],
        )?;
    } else {
        meta_bump(conn, META_UNMATCHED)?;
    }
    Ok(())
}

fn output_command(
    conn: &Connection,
    at: At,
    input_seq: i64,
    index: u32,
    command: &Command,
) -> Result<(), LedgerError> {
    let columns = JournalRecord::OutputCommand {
        input_seq: 0,
        index,
        command: command.clone(),
    }
    .index();
    conn.execute(
        "INSERT INTO commands (seq, input_seq, idx, ts_ns, kind, market, client_order_id,
                               order_id, side, price_micros, count_centi, summary, detail_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            at.seq,
            input_seq,
            index,
            at.ts_ns,
            command_name(command),
            columns.market,
            columns.client_order_id,
            columns.order_id,
            columns.side,
            columns.price_micros,
            columns.count_centi,
            command.transcript_line(),
            to_json(command)?
        ],
    )?;
    match command {
        Command::Place(order) => {
            conn.execute(
                "INSERT INTO orders (order_key, client_order_id, ticker, side, price_micros,
                                     count_centi, filled_centi, remaining_centi, status,
                                     time_in_force, post_only, placed_seq, placed_ts_ns,
                                     updated_seq, updated_ts_ns)
                 VALUES (?1, ?1, ?2, ?3, ?4, ?5, 0, ?5, 'pending', ?6, ?7, ?8, ?9, ?8, ?9)
                 ON CONFLICT(order_key) DO UPDATE SET
                     status = CASE WHEN status IN ('unknown', 'not_found') THEN 'pending'
                                   ELSE status END,
                     closed_ts_ns = CASE WHEN status = 'not_found' THEN NULL
                                         ELSE closed_ts_ns END,
                     updated_seq = excluded.updated_seq, updated_ts_ns = excluded.updated_ts_ns",
                params![
                    order.client_order_id.as_str(),
                    order.ticker,
                    order.side.as_str(),
                    order.price.micros(),
                    order.count.centi(),
                    order.time_in_force.as_str(),
                    order.post_only,
                    at.seq,
                    at.ts_ns
                ],
            )?;
        }
        Command::Amend(amend) => {
            conn.execute(
                "UPDATE orders SET amend_price_micros = ?2, amend_total_centi = ?3,
                     updated_seq = ?4, updated_ts_ns = ?5
                 WHERE order_key = ?1",
                params![
                    amend.client_order_id.as_str(),
                    amend.price.micros(),
                    amend.total_count.centi(),
                    at.seq,
                    at.ts_ns
                ],
            )?;
        }
        _ => {}
    }
    Ok(())
}

/// Typed columns of a decision row beyond the record index.
#[derive(Default)]
struct DecisionColumns {
    liquidity: Option<&'static str>,
    fair_ppm: Option<u32>,
    fair_source: Option<String>,
    best_bid_micros: Option<i64>,
    best_ask_micros: Option<i64>,
    position_centi: Option<i64>,
    components: Option<kalshi_core::ev_gate::EvComponents>,
    ev_micros: Option<i64>,
    min_edge_micros: Option<i64>,
    gate_result: Option<String>,
    passed: Option<bool>,
}

/// The snake-case spelling serde gives a unit-like enum value.
fn serde_name<T: serde::Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => Some(text),
        _ => None,
    }
}

fn decision_columns(decision: &Decision) -> DecisionColumns {
    match decision {
        Decision::Ev(ev) => DecisionColumns {
            liquidity: Some(match ev.inputs.liquidity {
                kalshi_core::fees::Liquidity::Maker => "maker",
                kalshi_core::fees::Liquidity::Taker => "taker",
            }),
            fair_ppm: Some(ev.inputs.fair_ppm),
            fair_source: serde_name(&ev.inputs.fair_source),
            components: Some(ev.components),
            ev_micros: Some(ev.ev_micros),
            min_edge_micros: Some(ev.min_edge_micros),
            gate_result: serde_name(&ev.reason),
            passed: Some(ev.passed()),
            ..DecisionColumns::default()
        },
        Decision::Risk(risk) => DecisionColumns {
            gate_result: Some(match &risk.rejection {
                None => "approved".to_owned(),
                Some(rejection) => rejection.to_string(),
            }),
            passed: Some(risk.rejection.is_none()),
            ..DecisionColumns::default()
        },
        Decision::Quote(quote) => DecisionColumns {
            fair_ppm: Some(quote.fair_ppm),
            fair_source: serde_name(&quote.fair_source),
            best_bid_micros: quote.best_bid.map(Price::micros),
            best_ask_micros: quote.best_ask.map(Price::micros),
            position_centi: Some(quote.position.centi()),
            gate_result: Some(format!("{:?}", quote.reason)),
            ..DecisionColumns::default()
        },
        Decision::FairValue { value, .. } => DecisionColumns {
            fair_ppm: Some(value.fair_ppm),
            fair_source: serde_name(&value.source),
            ..DecisionColumns::default()
        },
        Decision::Order(transition) => DecisionColumns {
            gate_result: serde_name(&transition.to),
            ..DecisionColumns::default()
        },
        Decision::Fill(fill) => DecisionColumns {
            position_centi: Some(fill.position_after.centi()),
            ..DecisionColumns::default()
        },
        Decision::RiskState(record) => DecisionColumns {
            gate_result: Some(record.state.as_str().to_owned()),
            ..DecisionColumns::default()
        },
        _ => DecisionColumns::default(),
    }
}

fn output_decision(
    conn: &Connection,
    at: At,
    input_seq: i64,
    index: u32,
    decision: &Decision,
) -> Result<(), LedgerError> {
    let RecordIndex {
        kind,
        market,
        side,
        price_micros,
        count_centi,
        client_order_id,
        ..
    } = JournalRecord::OutputDecision {
        input_seq: 0,
        index,
        decision: decision.clone(),
    }
    .index();
    let kind = kind
        .strip_prefix("output.decision.")
        .unwrap_or(&kind)
        .to_owned();
    let columns = decision_columns(decision);
    let component = |pick: fn(&kalshi_core::ev_gate::EvComponents) -> i64| {
        columns.components.as_ref().map(pick)
    };
    conn.execute(
        "INSERT INTO decisions (seq, input_seq, idx, ts_ns, kind, market, client_order_id, side,
                                price_micros, count_centi, liquidity, fair_ppm, fair_source,
                                best_bid_micros, best_ask_micros, position_centi,
                                win_value_micros, price_paid_micros, fee_micros,
                                spread_paid_micros, slippage_micros, adverse_selection_micros,
                                ev_micros, min_edge_micros, gate_result, passed, summary,
                                detail_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)",
        params![
            at.seq,
            input_seq,
            index,
            at.ts_ns,
            kind,
            market,
            client_order_id,
            side,
            price_micros,
            count_centi,
            columns.liquidity,
            columns.fair_ppm,
            columns.fair_source,
            columns.best_bid_micros,
            columns.best_ask_micros,
            columns.position_centi,
            component(|c| c.win_value_micros),
            component(|c| c.price_paid_micros),
            component(|c| c.fee_micros),
            component(|c| c.spread_paid_micros),
            component(|c| c.slippage_micros),
            component(|c| c.adverse_selection_micros),
            columns.ev_micros,
            columns.min_edge_micros,
            columns.gate_result,
            columns.passed,
            decision.transcript_line(),
            to_json(decision)?
        ],
    )?;
    Ok(())
}
