//! The SQLite ledger: runs, decisions, commands, orders, fills, positions and P&L as a pure
//! projection of the journal (DESIGN.md §4: the journal is the truth).
//!
//! [`Ledger::rebuild`] drops every table and replays the whole journal inside one
//! transaction, so a failed rebuild leaves the previous ledger untouched and two rebuilds of
//! the same journal give identical tables. [`Ledger::apply`] keeps the ledger current during a
//! live run; it skips records at or below the last applied seq, so re-applying is harmless.
//! The `pnl` and `marks` tables come from the engine replayed over the journal's inputs (in
//! memory), so a ledger is extended only by the `Ledger` value that built it; one opened
//! over earlier records refuses new ones ([`LedgerError::ResumeNeedsRebuild`]).
//! See [`schema`] for the tables and units.

mod projector;
pub mod schema;
mod shadow;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::record::{RecordError, SequencedRecord};
use crate::typed_reader::RecordReader;

/// File name of the ledger inside a run directory.
pub const LEDGER_FILE: &str = "ledger.sqlite";

/// Why the ledger could not be built or updated.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// SQLite failed.
    #[error("ledger database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The journal could not be read.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A value could not be rendered as JSON.
    #[error("cannot render a ledger JSON column: {0}")]
    Json(String),
    /// A seq above `i64::MAX` reached the ledger.
    #[error("seq {seq} does not fit an SQLite integer")]
    SeqOutOfRange {
        /// The record's seq, as read from the journal.
        seq: u64,
    },
    /// The database was built by another schema version; rebuild it.
    #[error("ledger {} has schema version {found:?}, expected {expected}; run `ledger rebuild`", path.display())]
    SchemaMismatch {
        /// The ledger database file.
        path: PathBuf,
        /// Version found (`None` when the database has no ledger tables).
        found: Option<i64>,
        /// Version this build writes.
        expected: i64,
    },
    /// The ledger holds records this `Ledger` value did not apply itself (or a record
    /// failed half-way): its P&L rows need the engine state of every earlier input, so
    /// rebuild it instead.
    #[error(
        "the ledger's records (up to seq {last_seq:?}) were not applied by this process; run `ledger rebuild`"
    )]
    ResumeNeedsRebuild {
        /// Last seq in the ledger.
        last_seq: Option<u64>,
    },
    /// The database holds a value the ledger never writes.
    #[error("ledger holds an impossible value: {reason}")]
    Corrupt {
        /// What is wrong.
        reason: String,
    },
}

/// Counts and totals after a rebuild (or at any time, via [`Ledger::summary`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerSummary {
    /// Last journal seq applied.
    pub last_seq: Option<u64>,
    /// Journal records applied.
    pub records: u64,
    /// Rows in `runs`.
    pub runs: u64,
    /// Rows in `decisions`.
    pub decisions: u64,
    /// Rows in `commands`.
    pub commands: u64,
    /// Rows in `orders`.
    pub orders: u64,
    /// Rows in `fills` (distinct fill ids).
    pub fills: u64,
    /// Fills skipped because their fill id was already recorded.
    pub duplicate_fills: u64,
    /// Order events (acks, fills, …) that named no known order.
    pub unmatched_order_events: u64,
    /// P&L by the one definition ([`kalshi_core::pnl::PnlBreakdown`]) over every market:
    /// realized net of fees, fees, unrealized at the engine's marks and their total,
    /// micro-dollars.
    pub realized_net_micros: i64,
    /// Fees paid, micro-dollars (already inside `realized_net_micros`).
    pub fees_micros: i64,
    /// Open positions at the engine's marks minus their cost, micro-dollars.
    pub unrealized_micros: i64,
    /// `realized_net_micros + unrealized_micros`.
    pub total_micros: i64,
    /// Markets held with no mark (counted at zero unrealized).
    pub unmarked_markets: u64,
}

/// An open ledger database.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    shadow: shadow::Shadow,
}

impl Ledger {
    /// The ledger path of a run directory.
    pub fn path_in(run_dir: &Path) -> PathBuf {
        run_dir.join(LEDGER_FILE)
    }

    /// Opens (creating if missing) the ledger database at `path`. A database without ledger
    /// tables gets them; one with another schema version is refused.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let ledger = Self {
            conn,
            path: path.to_path_buf(),
            shadow: shadow::Shadow::new(),
        };
        match ledger.schema_version()? {
            None if !ledger.has_meta_table()? => {
                let tx = ledger.conn.unchecked_transaction()?;
                create_schema(&tx)?;
                tx.commit()?;
            }
            Some(schema::SCHEMA_VERSION) => {}
            found => {
                return Err(LedgerError::SchemaMismatch {
                    path: path.to_path_buf(),
                    found,
                    expected: schema::SCHEMA_VERSION,
                });
            }
        }
        Ok(ledger)
    }

    /// Rebuilds `run_dir`'s ledger (`run_dir/ledger.sqlite`) from its journal.
    pub fn rebuild(run_dir: &Path) -> Result<LedgerSummary, LedgerError> {
        Self::rebuild_into(run_dir, &Self::path_in(run_dir))
    }

    /// Rebuilds the ledger at `db_path` from the journal in `run_dir`.
    pub fn rebuild_into(run_dir: &Path, db_path: &Path) -> Result<LedgerSummary, LedgerError> {
        let conn = Connection::open(db_path)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let mut ledger = Self {
            conn,
            path: db_path.to_path_buf(),
            shadow: shadow::Shadow::new(),
        };
        ledger.rebuild_from(run_dir)
    }

    /// Drops every ledger table of this database and replays `run_dir`'s journal into fresh
    /// ones, in one transaction.
    pub fn rebuild_from(&mut self, run_dir: &Path) -> Result<LedgerSummary, LedgerError> {
        let mut reader = RecordReader::open(run_dir)?;
        let tx = self.conn.transaction()?;
        for (kind, name) in schema::OBJECTS.iter().rev() {
            tx.execute_batch(&format!("DROP {} IF EXISTS {name};", kind.to_uppercase()))?;
        }
        create_schema(&tx)?;
        let mut shadow = shadow::Shadow::new();
        while let Some(record) = reader.next_record()? {
            projector::apply(&tx, &mut shadow, &record)?;
        }
        tx.commit()?;
        self.shadow = shadow;
        self.summary()
    }

    /// Applies one record (skipped if its seq is not above the last applied one); returns
    /// whether it was applied. One transaction per call.
    pub fn apply(&mut self, record: &SequencedRecord) -> Result<bool, LedgerError> {
        let tx = self.conn.transaction()?;
        let applied = projector::apply(&tx, &mut self.shadow, record)?;
        tx.commit()?;
        Ok(applied)
    }

    /// Applies a batch of records in one transaction; returns how many were applied.
    pub fn apply_all<'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a SequencedRecord>,
    ) -> Result<u64, LedgerError> {
        let tx = self.conn.transaction()?;
        let mut applied = 0u64;
        for record in records {
            if projector::apply(&tx, &mut self.shadow, record)? {
                applied += 1;
            }
        }
        tx.commit()?;
        Ok(applied)
    }

    /// Counts and totals of the ledger as it stands.
    pub fn summary(&self) -> Result<LedgerSummary, LedgerError> {
        let count = |table: &str| -> Result<u64, LedgerError> {
            let rows: i64 =
                self.conn
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                        row.get(0)
                    })?;
            Ok(u64::try_from(rows).unwrap_or(0))
        };
        let meta = |key: &str| -> Result<u64, LedgerError> {
            Ok(projector::meta_get(&self.conn, key)?
                .and_then(|value| u64::try_from(value).ok())
                .unwrap_or(0))
        };
        let (realized_net_micros, fees_micros, unrealized_micros, total_micros, unmarked): (
            i64,
            i64,
            i64,
            i64,
            i64,
        ) = self.conn.query_row(
            "SELECT realized_net_micros, fees_micros, unrealized_micros, total_micros,
                    unmarked_markets
             FROM pnl_total",
            [],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )?;
        Ok(LedgerSummary {
            last_seq: projector::meta_get(&self.conn, projector::META_LAST_SEQ)?
                .and_then(|seq| u64::try_from(seq).ok()),
            records: meta(projector::META_RECORDS)?,
            runs: count("runs")?,
            decisions: count("decisions")?,
            commands: count("commands")?,
            orders: count("orders")?,
            fills: count("fills")?,
            duplicate_fills: meta(projector::META_DUPLICATE_FILLS)?,
            unmatched_order_events: meta(projector::META_UNMATCHED)?,
            realized_net_micros,
            fees_micros,
            unrealized_micros,
            total_micros,
            unmarked_markets: u64::try_from(unmarked).unwrap_or(0),
        })
    }

    /// Every row of every ledger table as text, in table order and primary-key order: for
    /// comparing two ledgers exactly.
    pub fn dump(&self) -> Result<Vec<String>, LedgerError> {
        let mut out = Vec::new();
        for (kind, name) in schema::OBJECTS {
            if *kind != "table" {
                continue;
            }
            let mut statement = self
                .conn
                .prepare(&format!("SELECT * FROM {name} ORDER BY 1"))?;
            let columns = statement.column_count();
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let mut line = format!("{name}:");
                for column in 0..columns {
                    let value: rusqlite::types::Value = row.get(column)?;
                    line.push_str(&format!(" {value:?}"));
                }
                out.push(line);
            }
        }
        Ok(out)
    }

    /// The underlying connection, for ad-hoc queries.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn has_meta_table(&self) -> Result<bool, LedgerError> {
        let found: i64 = self.conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |row| row.get(0),
        )?;
        Ok(found > 0)
    }

    fn schema_version(&self) -> Result<Option<i64>, LedgerError> {
        if !self.has_meta_table()? {
            return Ok(None);
        }
        projector::meta_get(&self.conn, projector::META_SCHEMA_VERSION)
    }
}

fn create_schema(conn: &Connection) -> Result<(), LedgerError> {
    conn.execute_batch(schema::CREATE)?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
        params![projector::META_SCHEMA_VERSION, schema::SCHEMA_VERSION],
    )?;
    Ok(())
}
