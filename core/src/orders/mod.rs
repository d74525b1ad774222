//! The order books of the engine: the lifecycle of every order, the desired-vs-working diff,
//! reconciliation, and the working position and exposure per market.
//!
//! [`OrderManager`] is the one entry point; each of its jobs lives in its own file:
//!
//! | file | job |
//! |---|---|
//! | `record.rs` | what is known about one order ([`OrderRecord`], [`OrderStatus`]) and its fill counting |
//! | `lifecycle.rs` | acks, rejections, lost outcomes, lookups, cancels and snapshots moving a record through its states |
//! | `fills.rs` | applying our fills once each ([`FillApplied`]), with a bounded memory of fill ids |
//! | `diff.rs` | the requests that move the working quotes toward the desired ones ([`DiffPlan`]) |
//! | `reconcile.rs` | adopting the exchange's orders and positions at startup and after a reconnect |
//! | `exposure.rs` | position plus resting orders per market, event and account, for the risk gate |
//! | `totals.rs` | the running totals `exposure.rs` reads in O(1) |
//! | `positions.rs` | positions per market from our fills, with cost basis and realized P&L |
//! | `index.rs` | which records are live per market, and the bounded archive of finished ones |
//! | `store.rs` | the records by key (O(1) lookups, key order on iteration) |
//!
//! Lifecycle: `Intent → Pending (sent) → Resting → PartiallyFilled → Filled`, or `Cancelled` /
//! `Rejected`; a request whose outcome is lost becomes `Unknown` and is resolved by a
//! `LookupOrder` before anything else is sent for it. A lookup that finds nothing turns a lost
//! create back into an `Intent`, which the next diff re-sends under the **same** client id if it
//! is still wanted (or drops otherwise).
//!
//! Counting: the exchange's `remaining_count` (acks, snapshots) is authoritative; fills only
//! ever lower it (`remaining ≤ count − filled`). `filled` is the larger of two tallies kept
//! apart — the sum of the fills seen and the highest fill count the exchange reported on an
//! ack or snapshot — so a fill and an ack that both report the same execution, in either
//! order, count it once. Fills are deduplicated by `fill_id` before they touch the position.
//!
//! Coalescing: an order with a request in flight is never sent another one; the diff simply
//! runs again against the latest desired quotes once the answer arrives, so the latest desired
//! quote wins.

mod diff;
mod exposure;
mod fills;
mod index;
mod lifecycle;
mod positions;
mod reconcile;
mod record;
mod store;
mod totals;

#[cfg(test)]
mod tests;

pub use diff::{DesiredQuote, DiffPlan, PlaceSpec};
pub use fills::{FILL_IDS_REMEMBERED_MAX, FillApplied};
pub use index::TERMINAL_ARCHIVE_MAX;
pub use lifecycle::{Effects, OrderTransition, TransitionCause};
pub use positions::{MarketPosition, PositionLedger};
pub use reconcile::ReconcileSummary;
pub use record::{InFlight, OrderRecord, OrderStatus};

use crate::client_order_id::ClientOrderId;
use crate::ticker_map::TickerMap;
use fills::SeenFills;
use index::RecordIndex;
use store::RecordStore;
use totals::ExposureTotals;

/// The order books of the engine.
///
/// Records are kept in one map by key; an index lists the live (non-terminal) ones per market
/// so that exposure, the diff and requoting never look at finished orders. Terminal records
/// stay reachable until [`TERMINAL_ARCHIVE_MAX`] newer ones have ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderManager {
    /// Every record held, by key (client id, or `order:<id>` for a foreign order).
    orders: RecordStore<OrderRecord>,
    /// Record key by exchange order id.
    by_order_id: TickerMap<String>,
    /// Fill ids already applied, so a fill delivered twice moves nothing twice.
    seen_fills: SeenFills,
    /// Signed position, cost basis and P&L per market, from our fills and reconciliation.
    positions: PositionLedger,
    /// Live records per market and the archive order of terminal ones.
    index: RecordIndex,
    /// Running exposure totals, kept in step with the records and positions.
    totals: ExposureTotals,
    /// Terminal records kept reachable (at least one).
    archive_max: usize,
}

impl Default for OrderManager {
    fn default() -> OrderManager {
        OrderManager::with_archive_max(TERMINAL_ARCHIVE_MAX)
    }
}

impl OrderManager {
    /// Empty books keeping up to [`TERMINAL_ARCHIVE_MAX`] terminal records.
    pub fn new() -> OrderManager {
        OrderManager::default()
    }

    /// Empty books keeping up to `archive_max` terminal records (at least one).
    pub fn with_archive_max(archive_max: usize) -> OrderManager {
        OrderManager {
            orders: RecordStore::default(),
            by_order_id: TickerMap::new(),
            seen_fills: SeenFills::new(FILL_IDS_REMEMBERED_MAX),
            positions: PositionLedger::default(),
            index: RecordIndex::default(),
            totals: ExposureTotals::default(),
            archive_max: archive_max.max(1),
        }
    }

    /// Live (non-terminal) records, in key order.
    pub fn live_orders(&self) -> impl Iterator<Item = &OrderRecord> {
        self.index
            .live
            .iter()
            .filter_map(|key| self.orders.get(key))
    }

    /// Live records of `ticker` with their keys, in key order.
    fn live_records_in<'a>(
        &'a self,
        ticker: &str,
    ) -> impl Iterator<Item = (&'a String, &'a OrderRecord)> + 'a {
        let keys = self.index.live_by_ticker.get(ticker);
        keys.into_iter()
            .flatten()
            .filter_map(|key| self.orders.get(key).map(|record| (key, record)))
    }

    /// Stores `record` under `key` (new, or replacing the record there) and indexes it.
    fn insert_record(&mut self, key: String, record: OrderRecord) {
        if let Some(previous) = self.orders.get(&key)
            && previous.ticker != record.ticker
        {
            self.index.forget(&key, &previous.ticker);
        }
        self.index.track(&key, &record.ticker, record.status);
        self.orders.insert(&key, record);
        self.refresh(&key);
    }

    /// The key of the record an exchange message names: its client id when a record is filed
    /// under it, else the record of its exchange order id.
    fn key_for(&self, client_order_id: Option<&str>, order_id: &str) -> Option<String> {
        if let Some(id) = client_order_id
            && self.orders.contains_key(id)
        {
            return Some(id.to_string());
        }
        self.by_order_id.get(order_id).cloned()
    }

    /// Positions by market.
    pub fn positions(&self) -> &PositionLedger {
        &self.positions
    }

    /// Every record still held (live ones and the bounded archive of terminal ones), in key
    /// order.
    pub fn orders(&self) -> impl Iterator<Item = &OrderRecord> {
        self.orders.values()
    }

    /// The record for a client id.
    pub fn get(&self, client_order_id: &ClientOrderId) -> Option<&OrderRecord> {
        self.orders.get(client_order_id.as_str())
    }
}
