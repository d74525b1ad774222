//! The shadow engine: the core engine replayed over the journal's inputs inside the ledger,
//! whose positions and marks are written as the `pnl` and `marks` rows after each input.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use kalshi_core::engine::Engine;
use kalshi_core::events::{Envelope, Event};
use kalshi_core::fixed::Price;
use kalshi_core::orders::MarketPosition;
use kalshi_core::pnl::{self, MarkSource, PnlBreakdown};

use super::LedgerError;

/// The engine replayed over the journal's inputs, in the ledger's memory: its positions and
/// its marks (the same state the live engine had after each input) give the `pnl` and
/// `marks` rows, by the one P&L definition ([`PnlBreakdown`]).
pub(crate) struct Shadow {
    engine: Engine,
    rows: BTreeMap<String, PnlRow>,
    /// Last seq this shadow applied (`None`: it has applied nothing yet).
    pub(super) last_seq: Option<i64>,
    /// A record failed half-way: the engine may be ahead of the tables.
    pub(super) broken: bool,
}

/// One `pnl` row's values, kept to skip writing rows that did not change.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PnlRow {
    position_centi: i64,
    cost_micros: i64,
    mark: Option<(Price, MarkSource)>,
    pnl: PnlBreakdown,
}

impl Shadow {
    /// A shadow that has seen nothing: it can only follow a ledger that is empty too.
    pub(crate) fn new() -> Shadow {
        Shadow {
            engine: Engine::new(),
            rows: BTreeMap::new(),
            last_seq: None,
            broken: false,
        }
    }

    /// True when this shadow has applied exactly the records the ledger holds (up to
    /// `last_seq`, or none).
    pub(super) fn follows(&self, last_seq: Option<i64>) -> bool {
        !self.broken && self.last_seq == last_seq
    }

    /// Feeds one input to the engine, then rewrites the rows of the markets it may have
    /// changed: the event's market, or every market the engine has a position in.
    pub(super) fn step(
        &mut self,
        conn: &Connection,
        seq: i64,
        envelope: &Envelope,
    ) -> Result<(), LedgerError> {
        self.engine.process(envelope);
        let single = match &envelope.event {
            Event::MarketListing(_) | Event::Reconciled { .. } => None,
            event => event.ticker(),
        };
        let tickers: Vec<String> = match single {
            Some(ticker) => vec![ticker.to_owned()],
            None => self
                .engine
                .orders()
                .positions()
                .iter()
                .map(|(ticker, _)| ticker.to_owned())
                .collect(),
        };
        for ticker in tickers {
            self.refresh(conn, seq, &ticker)?;
        }
        Ok(())
    }

    fn refresh(&mut self, conn: &Connection, seq: i64, ticker: &str) -> Result<(), LedgerError> {
        let position = self.engine.orders().positions().get(ticker);
        if position == MarketPosition::default() && !self.rows.contains_key(ticker) {
            return Ok(());
        }
        let mark = if position.position.centi() == 0 {
            None
        } else {
            self.engine.universe().by_ticker(ticker).and_then(pnl::mark)
        };
        let row = PnlRow {
            position_centi: position.position.centi(),
            cost_micros: position.cost.micros(),
            mark,
            pnl: PnlBreakdown::of_position(&position, mark.map(|(price, _)| price)),
        };
        if self.rows.get(ticker) == Some(&row) {
            return Ok(());
        }
        conn.execute(
            "INSERT INTO pnl (ticker, position_centi, cost_micros, realized_net_micros,
                              fees_micros, mark_price_micros, mark_source, unrealized_micros,
                              total_micros, updated_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT(ticker) DO UPDATE SET
                 position_centi = excluded.position_centi, cost_micros = excluded.cost_micros,
                 realized_net_micros = excluded.realized_net_micros,
                 fees_micros = excluded.fees_micros,
                 mark_price_micros = excluded.mark_price_micros,
                 mark_source = excluded.mark_source,
                 unrealized_micros = excluded.unrealized_micros,
                 total_micros = excluded.total_micros, updated_seq = excluded.updated_seq",
            params![
                ticker,
                row.position_centi,
                row.cost_micros,
                row.pnl.realized_net.micros(),
                row.pnl.fees.micros(),
                mark.map(|(price, _)| price.micros()),
                mark.map(|(_, source)| source.as_str()),
                row.pnl.unrealized.micros(),
                row.pnl.total.micros(),
                seq
            ],
        )?;
        if let Some((price, source)) = mark
            && self.rows.get(ticker).and_then(|old| old.mark) != mark
        {
            conn.execute(
                "INSERT INTO marks (ticker, price_micros, source, seq) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(ticker) DO UPDATE SET
                     price_micros = excluded.price_micros, source = excluded.source,
                     seq = excluded.seq",
                params![ticker, price.micros(), source.as_str(), seq],
            )?;
        }
        self.rows.insert(ticker.to_owned(), row);
        Ok(())
    }
}
