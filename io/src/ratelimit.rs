//! The client's side of Kalshi's token-bucket rate limits: its own cost table and an async
//! limiter, so requests never exceed the exchange's budget.
//!
//! Kalshi gives each user two independent buckets: **read** (GETs and anything not routed
//! elsewhere) and **write** (order placement, amend, decrease, cancel, order groups, the RFQ
//! quote flow). Each request costs tokens — 10 by default, less for a few cheap calls, and per
//! item for batches. A bucket refills at the tier's budget per second up to its capacity.
//!
//! Three layers:
//! - the client's cost table: [`cost_of`] and [`bucket_of`], gathered in a [`CostTable`].
//!   It is the client's own reading of Kalshi's published table, deliberately *not*
//!   `kalshi_wire::ratelimit` (which the local exchange enforces): a client table that
//!   underpays then draws 429s from the local exchange in tests instead of agreeing with
//!   itself;
//! - [`TokenBucket`] (from `kalshi-wire`), a pure bucket whose time is passed in as monotonic
//!   nanoseconds, exact in integers so it can be tested deterministically;
//! - [`RateLimiter`], an async wrapper that waits (FIFO per bucket) until tokens are available.
//!
//! The usage tiers and their budgets ([`UsageTier`], [`TierLimits`]) are the published ones
//! from `kalshi-wire`; at startup the client replaces them with what `GET /account/limits`
//! reports.

use thiserror::Error;
use tokio::sync::Mutex;
use tokio::time::Instant;

pub use kalshi_wire::ratelimit::{BucketKind, BucketSpec, TierLimits, TokenBucket, UsageTier};

/// Cost of a request whose endpoint has no listed cost.
pub const DEFAULT_COST: u32 = 10;
/// Cost of a cheap call: one order lookup, one V2 cancel, cancel-all, quote calls.
pub const CHEAP_COST: u32 = 2;
/// Cost per order of a batch create.
pub const BATCH_CREATE_COST_PER_ORDER: u32 = 10;
/// Cost per cancel of a batch cancel.
pub const BATCH_CANCEL_COST_PER_ORDER: u32 = 2;
/// Cost of `POST /account/api_usage_level/upgrade`.
pub const USAGE_LEVEL_UPGRADE_COST: u32 = 30;

/// Path prefix that [`cost_of`] and [`bucket_of`] strip when present.
const API_PATH_PREFIX: &str = "/trade-api/v2";

/// Splits a request path into segments after dropping the query and the `/trade-api/v2`
/// prefix (when present).
fn segments(path: &str) -> Vec<&str> {
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    let path = path.strip_prefix(API_PATH_PREFIX).unwrap_or(path);
    path.split('/')
        .filter(|segment| !segment.is_empty())
        .collect()
}

/// Which bucket a request uses. `path` may include the `/trade-api/v2` prefix and a query.
pub fn bucket_of(method: &str, path: &str) -> BucketKind {
    let method = method.to_ascii_uppercase();
    let segments = segments(path);
    let is_get = method == "GET" || method == "HEAD";
    match segments.as_slice() {
        // Orders (V2 and legacy): everything except reads.
        ["portfolio", "events", "orders", ..] | ["portfolio", "orders", ..] if !is_get => {
            BucketKind::Write
        }
        // Order groups: create, trigger, reset, limit, delete.
        ["portfolio", "order_groups", ..] if !is_get => BucketKind::Write,
        // RFQ quote flow: create / accept / confirm / delete quotes.
        ["communications", "quotes", ..] | ["communications", "rfqs", _, "quotes", ..]
            if !is_get =>
        {
            BucketKind::Write
        }
        ["account", "api_usage_level", "upgrade"] if method == "POST" => BucketKind::Write,
        _ => BucketKind::Read,
    }
}

/// Tokens a request costs. `batch_len` is the number of orders in a batch create or cancel
/// (ignored elsewhere; a batch counts at least one item). `path` may include the
/// `/trade-api/v2` prefix and a query.
///
/// Listed costs (Kalshi spec 3.34): `GET /portfolio/orders/{id}` 2; `DELETE
/// /portfolio/events/orders/{id}` 2; `DELETE /portfolio/events/orders` (cancel all) 2; batch
/// create 10 per order; batch cancel 2 per cancel; quote create/get/delete 2; usage-level
/// upgrade 30; everything else [`DEFAULT_COST`]. The legacy `/portfolio/orders/batched`
/// endpoints are billed like their V2 twins (per item); a legacy single cancel costs the
/// default.
pub fn cost_of(method: &str, path: &str, batch_len: usize) -> u32 {
    let method = method.to_ascii_uppercase();
    let segments = segments(path);
    let items = u32::try_from(batch_len.max(1)).unwrap_or(u32::MAX);
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["portfolio", "orders", "batched"])
        | ("POST", ["portfolio", "events", "orders", "batched"]) => {
            items.saturating_mul(BATCH_CREATE_COST_PER_ORDER)
        }
        ("DELETE", ["portfolio", "orders", "batched"])
        | ("DELETE", ["portfolio", "events", "orders", "batched"]) => {
            items.saturating_mul(BATCH_CANCEL_COST_PER_ORDER)
        }
        ("GET", ["portfolio", "orders", order_id]) if !is_orders_collection_word(order_id) => {
            CHEAP_COST
        }
        ("DELETE", ["portfolio", "events", "orders"])
        | ("DELETE", ["portfolio", "events", "orders", _]) => CHEAP_COST,
        ("POST", ["communications", "quotes"])
        | ("GET" | "DELETE", ["communications", "quotes", _])
        | ("GET" | "DELETE", ["communications", "rfqs", _, "quotes", _]) => CHEAP_COST,
        ("POST", ["account", "api_usage_level", "upgrade"]) => USAGE_LEVEL_UPGRADE_COST,
        _ => DEFAULT_COST,
    }
}

/// A cost table: which bucket a request draws from and what it costs. `path` may include the
/// `/trade-api/v2` prefix and a query; `batch_len` is the number of items of a batch.
#[derive(Debug, Clone, Copy)]
pub struct CostTable {
    /// Which bucket a request uses.
    pub bucket: fn(method: &str, path: &str) -> BucketKind,
    /// Tokens a request costs.
    pub cost: fn(method: &str, path: &str, batch_len: usize) -> u32,
}

impl CostTable {
    /// The client's table: [`bucket_of`] and [`cost_of`].
    pub const CLIENT: CostTable = CostTable {
        bucket: bucket_of,
        cost: cost_of,
    };
}

impl Default for CostTable {
    fn default() -> Self {
        CostTable::CLIENT
    }
}

/// Literal path words under `/portfolio/orders/` that are not order ids.
fn is_orders_collection_word(segment: &str) -> bool {
    matches!(segment, "queue_positions" | "batched")
}

/// Why tokens can never be granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RateLimitError {
    /// The request costs more than the bucket can ever hold (e.g. a batch too large for the
    /// tier); split it.
    #[error("request costs {cost} tokens but the {bucket:?} bucket holds at most {capacity}")]
    ExceedsCapacity {
        /// Which bucket.
        bucket: BucketKind,
        /// The request's cost.
        cost: u32,
        /// The bucket's (margin-adjusted) capacity in whole tokens.
        capacity: u32,
    },
}

/// Default share of the published budget the client uses.
pub const DEFAULT_SAFETY_MARGIN_PERCENT: u8 = 90;

/// Async client-side limiter over the read and write buckets.
///
/// [`RateLimiter::acquire`] waits until the bucket can pay the cost. Waiters on one bucket are
/// served first-come first-served (a large batch is not starved by a stream of small calls).
#[derive(Debug)]
pub struct RateLimiter {
    origin: Instant,
    margin_percent: u8,
    costs: CostTable,
    read: Mutex<TokenBucket>,
    write: Mutex<TokenBucket>,
}

impl RateLimiter {
    /// A limiter for `limits`, using `margin_percent` (1..=100) of each budget and the
    /// client's cost table ([`CostTable::CLIENT`]).
    pub fn new(limits: TierLimits, margin_percent: u8) -> RateLimiter {
        RateLimiter::with_costs(limits, margin_percent, CostTable::CLIENT)
    }

    /// A limiter that charges requests by `costs` instead of the client's table (tests use
    /// it to show what the exchange does to a client whose table is wrong).
    pub fn with_costs(limits: TierLimits, margin_percent: u8, costs: CostTable) -> RateLimiter {
        RateLimiter {
            origin: Instant::now(),
            margin_percent,
            costs,
            read: Mutex::new(TokenBucket::with_margin(limits.read, margin_percent, 0)),
            write: Mutex::new(TokenBucket::with_margin(limits.write, margin_percent, 0)),
        }
    }

    /// A limiter for a tier with [`DEFAULT_SAFETY_MARGIN_PERCENT`].
    pub fn for_tier(tier: UsageTier) -> RateLimiter {
        RateLimiter::new(tier.limits(), DEFAULT_SAFETY_MARGIN_PERCENT)
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn bucket(&self, kind: BucketKind) -> &Mutex<TokenBucket> {
        match kind {
            BucketKind::Read => &self.read,
            BucketKind::Write => &self.write,
        }
    }

    /// Waits until `cost` tokens can be taken from the `kind` bucket, then takes them.
    pub async fn acquire(&self, kind: BucketKind, cost: u32) -> Result<(), RateLimitError> {
        // The lock is held across the sleep on purpose: tokio's mutex is fair, so waiters
        // are served in arrival order.
        let mut bucket = self.bucket(kind).lock().await;
        loop {
            let now_ns = self.now_ns();
            match bucket.time_until_available(cost, now_ns) {
                None => {
                    return Err(RateLimitError::ExceedsCapacity {
                        bucket: kind,
                        cost,
                        capacity: bucket.capacity_tokens(),
                    });
                }
                Some(wait) if wait.is_zero() => {
                    if bucket.try_take(cost, now_ns) {
                        return Ok(());
                    }
                }
                Some(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// The cost table this limiter charges by.
    pub fn costs(&self) -> CostTable {
        self.costs
    }

    /// Waits for the tokens a request to `method path` costs by this limiter's table
    /// ([`CostTable::CLIENT`] unless built with [`RateLimiter::with_costs`]).
    pub async fn acquire_for(
        &self,
        method: &str,
        path: &str,
        batch_len: usize,
    ) -> Result<(), RateLimitError> {
        let kind = (self.costs.bucket)(method, path);
        let cost = (self.costs.cost)(method, path, batch_len);
        self.acquire(kind, cost).await
    }

    /// Tokens available now in the `kind` bucket, and its capacity.
    pub async fn available(&self, kind: BucketKind) -> (u32, u32) {
        let now_ns = self.now_ns();
        let mut bucket = self.bucket(kind).lock().await;
        (bucket.available_tokens(now_ns), bucket.capacity_tokens())
    }

    /// Takes the tokens now if available, without waiting.
    pub async fn try_acquire(&self, kind: BucketKind, cost: u32) -> bool {
        let now_ns = self.now_ns();
        self.bucket(kind).lock().await.try_take(cost, now_ns)
    }

    /// Empties a bucket after the exchange answered 429, so following calls wait for refill.
    pub async fn note_rate_limited(&self, kind: BucketKind) {
        let now_ns = self.now_ns();
        self.bucket(kind).lock().await.drain(now_ns);
    }

    /// Replaces the budgets (e.g. with the numbers `GET /account/limits` returned). The new
    /// buckets start empty, so a change never grants a burst the exchange has not.
    pub async fn set_limits(&self, limits: TierLimits) {
        let now_ns = self.now_ns();
        for (kind, spec) in [
            (BucketKind::Read, limits.read),
            (BucketKind::Write, limits.write),
        ] {
            let mut bucket = TokenBucket::with_margin(spec, self.margin_percent, now_ns);
            bucket.drain(now_ns);
            *self.bucket(kind).lock().await = bucket;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_table() {
        assert_eq!(cost_of("GET", "/markets", 0), 10);
        assert_eq!(
            cost_of("GET", "/trade-api/v2/portfolio/orders/abc-123", 0),
            2
        );
        assert_eq!(cost_of("GET", "/portfolio/orders?ticker=X", 0), 10);
        assert_eq!(cost_of("GET", "/portfolio/orders/queue_positions", 0), 10);
        assert_eq!(
            cost_of("GET", "/portfolio/orders/abc/queue_position", 0),
            10
        );
        assert_eq!(cost_of("DELETE", "/portfolio/events/orders/abc-123", 0), 2);
        assert_eq!(
            cost_of("delete", "/trade-api/v2/portfolio/events/orders", 0),
            2
        );
        assert_eq!(cost_of("POST", "/portfolio/events/orders", 0), 10);
        assert_eq!(cost_of("POST", "/portfolio/events/orders/batched", 7), 70);
        assert_eq!(cost_of("DELETE", "/portfolio/events/orders/batched", 7), 14);
        assert_eq!(cost_of("POST", "/portfolio/orders/batched", 3), 30);
        assert_eq!(cost_of("DELETE", "/portfolio/orders/batched", 3), 6);
        assert_eq!(cost_of("POST", "/portfolio/events/orders/batched", 0), 10);
        assert_eq!(cost_of("POST", "/portfolio/events/orders/abc/amend", 0), 10);
        assert_eq!(cost_of("DELETE", "/portfolio/orders/abc", 0), 10);
        assert_eq!(cost_of("POST", "/communications/quotes", 0), 2);
        assert_eq!(cost_of("POST", "/account/api_usage_level/upgrade", 0), 30);
    }

    #[test]
    fn bucket_routing() {
        use BucketKind::{Read, Write};
        assert_eq!(bucket_of("GET", "/markets"), Read);
        assert_eq!(bucket_of("GET", "/portfolio/orders"), Read);
        assert_eq!(bucket_of("GET", "/trade-api/v2/portfolio/orders/abc"), Read);
        assert_eq!(bucket_of("GET", "/portfolio/order_groups"), Read);
        assert_eq!(bucket_of("GET", "/portfolio/balance"), Read);
        assert_eq!(
            bucket_of("POST", "/trade-api/v2/portfolio/events/orders"),
            Write
        );
        assert_eq!(bucket_of("POST", "/portfolio/orders"), Write);
        assert_eq!(
            bucket_of("POST", "/portfolio/events/orders/abc/amend"),
            Write
        );
        assert_eq!(
            bucket_of("POST", "/portfolio/events/orders/abc/decrease"),
            Write
        );
        assert_eq!(bucket_of("POST", "/portfolio/orders/abc/decrease"), Write);
        assert_eq!(bucket_of("DELETE", "/portfolio/events/orders/abc"), Write);
        assert_eq!(bucket_of("DELETE", "/portfolio/events/orders"), Write);
        assert_eq!(bucket_of("POST", "/portfolio/events/orders/batched"), Write);
        assert_eq!(
            bucket_of("DELETE", "/portfolio/events/orders/batched"),
            Write
        );
        assert_eq!(bucket_of("POST", "/portfolio/order_groups/create"), Write);
        assert_eq!(
            bucket_of("PUT", "/portfolio/order_groups/g1/trigger"),
            Write
        );
        assert_eq!(bucket_of("DELETE", "/portfolio/order_groups/g1"), Write);
        assert_eq!(bucket_of("POST", "/account/api_usage_level/upgrade"), Write);
        assert_eq!(bucket_of("GET", "/account/limits"), Read);
    }
}
