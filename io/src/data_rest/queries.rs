//! Query parameter sets of the list endpoints. Each turns into `(name, value)` pairs; unset
//! fields are left out so the exchange applies its defaults. Timestamps are Unix seconds.

/// `GET /markets?status=` values (one per request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarketStatusFilter {
    /// Not yet open.
    Unopened,
    /// Trading (market status `active`).
    Open,
    /// Paused by the exchange (market status `inactive`).
    Paused,
    /// Past close, not finalized.
    Closed,
    /// Finalized.
    Settled,
}

impl MarketStatusFilter {
    /// Wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            MarketStatusFilter::Unopened => "unopened",
            MarketStatusFilter::Open => "open",
            MarketStatusFilter::Paused => "paused",
            MarketStatusFilter::Closed => "closed",
            MarketStatusFilter::Settled => "settled",
        }
    }
}

/// `mve_filter`: multivariate (combo) markets only, or excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MveFilter {
    /// Only combo markets.
    Only,
    /// No combo markets.
    Exclude,
}

impl MveFilter {
    /// Wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            MveFilter::Only => "only",
            MveFilter::Exclude => "exclude",
        }
    }
}

/// Pushes `name=value` when set.
fn push<T: ToString>(
    pairs: &mut Vec<(&'static str, String)>,
    name: &'static str,
    value: Option<T>,
) {
    if let Some(value) = value {
        pairs.push((name, value.to_string()));
    }
}

/// Pushes a comma-joined list when non-empty.
fn push_list(pairs: &mut Vec<(&'static str, String)>, name: &'static str, values: &[String]) {
    if !values.is_empty() {
        pairs.push((name, values.join(",")));
    }
}

/// Filters of `GET /markets`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarketsQuery {
    /// Lifecycle filter.
    pub status: Option<MarketStatusFilter>,
    /// One event.
    pub event_ticker: Option<String>,
    /// One series.
    pub series_ticker: Option<String>,
    /// Specific markets (sent comma-separated).
    pub tickers: Vec<String>,
    /// Close time at or after (Unix s).
    pub min_close_ts: Option<i64>,
    /// Close time at or before (Unix s).
    pub max_close_ts: Option<i64>,
    /// Created at or after (Unix s).
    pub min_created_ts: Option<i64>,
    /// Created at or before (Unix s).
    pub max_created_ts: Option<i64>,
    /// Combo-market filter.
    pub mve_filter: Option<MveFilter>,
    /// Page size (1..=1000; exchange default 100).
    pub limit: Option<u32>,
}

impl MarketsQuery {
    /// The query pairs (without the cursor).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "limit", self.limit);
        push(
            &mut pairs,
            "status",
            self.status.map(MarketStatusFilter::as_str),
        );
        push(&mut pairs, "event_ticker", self.event_ticker.as_deref());
        push(&mut pairs, "series_ticker", self.series_ticker.as_deref());
        push_list(&mut pairs, "tickers", &self.tickers);
        push(&mut pairs, "min_close_ts", self.min_close_ts);
        push(&mut pairs, "max_close_ts", self.max_close_ts);
        push(&mut pairs, "min_created_ts", self.min_created_ts);
        push(&mut pairs, "max_created_ts", self.max_created_ts);
        push(
            &mut pairs,
            "mve_filter",
            self.mve_filter.map(MveFilter::as_str),
        );
        pairs
    }
}

/// Filters of `GET /markets/trades`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradesQuery {
    /// One market.
    pub ticker: Option<String>,
    /// From (Unix s).
    pub min_ts: Option<i64>,
    /// To (Unix s).
    pub max_ts: Option<i64>,
    /// Page size (1..=1000).
    pub limit: Option<u32>,
}

impl TradesQuery {
    /// The query pairs (without the cursor).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "limit", self.limit);
        push(&mut pairs, "ticker", self.ticker.as_deref());
        push(&mut pairs, "min_ts", self.min_ts);
        push(&mut pairs, "max_ts", self.max_ts);
        pairs
    }
}

/// Candle width of the candlestick endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandlePeriod {
    /// One minute.
    Minute,
    /// One hour.
    Hour,
    /// One day.
    Day,
}

impl CandlePeriod {
    /// `period_interval` in minutes.
    pub const fn minutes(self) -> u32 {
        match self {
            CandlePeriod::Minute => 1,
            CandlePeriod::Hour => 60,
            CandlePeriod::Day => 1440,
        }
    }
}

/// `GET /events` status filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventStatusFilter {
    /// Not yet open.
    Unopened,
    /// Open: at least one market trades or will.
    Open,
    /// Past close, not yet settled.
    Closed,
    /// Settled: the result is paid out.
    Settled,
}

impl EventStatusFilter {
    /// Wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventStatusFilter::Unopened => "unopened",
            EventStatusFilter::Open => "open",
            EventStatusFilter::Closed => "closed",
            EventStatusFilter::Settled => "settled",
        }
    }
}

/// Filters of `GET /events`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsQuery {
    /// Status filter.
    pub status: Option<EventStatusFilter>,
    /// One series.
    pub series_ticker: Option<String>,
    /// Include each event's markets.
    pub with_nested_markets: bool,
    /// Close time at or after (Unix s).
    pub min_close_ts: Option<i64>,
    /// Page size (1..=200).
    pub limit: Option<u32>,
}

impl EventsQuery {
    /// The query pairs (without the cursor).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "limit", self.limit);
        push(
            &mut pairs,
            "status",
            self.status.map(EventStatusFilter::as_str),
        );
        push(&mut pairs, "series_ticker", self.series_ticker.as_deref());
        if self.with_nested_markets {
            pairs.push(("with_nested_markets", "true".to_string()));
        }
        push(&mut pairs, "min_close_ts", self.min_close_ts);
        pairs
    }
}

/// `GET /portfolio/orders?status=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatusFilter {
    /// Resting (possibly partially filled).
    Resting,
    /// Cancelled.
    Canceled,
    /// Fully filled.
    Executed,
}

impl OrderStatusFilter {
    /// Wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatusFilter::Resting => "resting",
            OrderStatusFilter::Canceled => "canceled",
            OrderStatusFilter::Executed => "executed",
        }
    }
}

/// Filters of `GET /portfolio/orders`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrdersQuery {
    /// One market.
    pub ticker: Option<String>,
    /// One event.
    pub event_ticker: Option<String>,
    /// Only orders in this status; `None` returns every status.
    pub status: Option<OrderStatusFilter>,
    /// From (Unix s).
    pub min_ts: Option<i64>,
    /// To (Unix s).
    pub max_ts: Option<i64>,
    /// Subaccount (omit = all).
    pub subaccount: Option<u32>,
    /// Page size (1..=1000).
    pub limit: Option<u32>,
}

impl OrdersQuery {
    /// The query pairs (without the cursor).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "limit", self.limit);
        push(&mut pairs, "ticker", self.ticker.as_deref());
        push(&mut pairs, "event_ticker", self.event_ticker.as_deref());
        push(
            &mut pairs,
            "status",
            self.status.map(OrderStatusFilter::as_str),
        );
        push(&mut pairs, "min_ts", self.min_ts);
        push(&mut pairs, "max_ts", self.max_ts);
        push(&mut pairs, "subaccount", self.subaccount);
        pairs
    }
}

/// Filters of `GET /portfolio/fills`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FillsQuery {
    /// Markets (sent comma-separated, ≤ 100).
    pub tickers: Vec<String>,
    /// One order.
    pub order_id: Option<String>,
    /// From (Unix s).
    pub min_ts: Option<i64>,
    /// To (Unix s).
    pub max_ts: Option<i64>,
    /// Subaccount (omit = all).
    pub subaccount: Option<u32>,
    /// Page size (1..=1000).
    pub limit: Option<u32>,
}

impl FillsQuery {
    /// The query pairs (without the cursor).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "limit", self.limit);
        push_list(&mut pairs, "ticker", &self.tickers);
        push(&mut pairs, "order_id", self.order_id.as_deref());
        push(&mut pairs, "min_ts", self.min_ts);
        push(&mut pairs, "max_ts", self.max_ts);
        push(&mut pairs, "subaccount", self.subaccount);
        pairs
    }
}

/// `settlement_status` of `GET /portfolio/positions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettlementStatusFilter {
    /// Open positions (exchange default).
    Unsettled,
    /// Settled only.
    Settled,
    /// Both.
    All,
}

impl SettlementStatusFilter {
    /// Wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            SettlementStatusFilter::Unsettled => "unsettled",
            SettlementStatusFilter::Settled => "settled",
            SettlementStatusFilter::All => "all",
        }
    }
}

/// Filters of `GET /portfolio/positions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PositionsQuery {
    /// One market.
    pub ticker: Option<String>,
    /// One event.
    pub event_ticker: Option<String>,
    /// Keep only rows with a non-zero position (`count_filter=position`).
    pub nonzero_only: bool,
    /// Settlement filter.
    pub settlement_status: Option<SettlementStatusFilter>,
    /// Subaccount (exchange default 0).
    pub subaccount: Option<u32>,
    /// Page size (1..=1000).
    pub limit: Option<u32>,
}

impl PositionsQuery {
    /// The query pairs (without the cursor).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "limit", self.limit);
        push(&mut pairs, "ticker", self.ticker.as_deref());
        push(&mut pairs, "event_ticker", self.event_ticker.as_deref());
        if self.nonzero_only {
            pairs.push(("count_filter", "position".to_string()));
        }
        push(
            &mut pairs,
            "settlement_status",
            self.settlement_status.map(SettlementStatusFilter::as_str),
        );
        push(&mut pairs, "subaccount", self.subaccount);
        pairs
    }
}

/// Filters of `GET /portfolio/settlements`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettlementsQuery {
    /// One market.
    pub ticker: Option<String>,
    /// One event.
    pub event_ticker: Option<String>,
    /// From (Unix s).
    pub min_ts: Option<i64>,
    /// To (Unix s).
    pub max_ts: Option<i64>,
    /// Only this subaccount (0 = primary); `None` means every subaccount.
    pub subaccount: Option<u32>,
    /// Page size.
    pub limit: Option<u32>,
}

impl SettlementsQuery {
    /// The query pairs (without the cursor).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "limit", self.limit);
        push(&mut pairs, "ticker", self.ticker.as_deref());
        push(&mut pairs, "event_ticker", self.event_ticker.as_deref());
        push(&mut pairs, "min_ts", self.min_ts);
        push(&mut pairs, "max_ts", self.max_ts);
        push(&mut pairs, "subaccount", self.subaccount);
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markets_query_pairs() {
        let query = MarketsQuery {
            status: Some(MarketStatusFilter::Open),
            tickers: vec!["A".to_string(), "B".to_string()],
            max_close_ts: Some(1_800_000_000),
            mve_filter: Some(MveFilter::Exclude),
            limit: Some(1000),
            ..MarketsQuery::default()
        };
        assert_eq!(
            query.to_pairs(),
            vec![
                ("limit", "1000".to_string()),
                ("status", "open".to_string()),
                ("tickers", "A,B".to_string()),
                ("max_close_ts", "1800000000".to_string()),
                ("mve_filter", "exclude".to_string()),
            ]
        );
        assert!(MarketsQuery::default().to_pairs().is_empty());
    }

    #[test]
    fn positions_query_pairs() {
        let query = PositionsQuery {
            nonzero_only: true,
            settlement_status: Some(SettlementStatusFilter::All),
            ..PositionsQuery::default()
        };
        assert_eq!(
            query.to_pairs(),
            vec![
                ("count_filter", "position".to_string()),
                ("settlement_status", "all".to_string())
            ]
        );
    }
}
