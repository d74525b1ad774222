//! Kalshi's token-bucket rate limits as Kalshi publishes them: the table the local exchange
//! enforces.
//!
//! Kalshi gives each user two independent buckets: **read** (GETs and anything not routed
//! elsewhere) and **write** (order placement, amend, decrease, cancel, order groups, the RFQ
//! quote flow). Each request costs tokens — 10 by default, less for a few cheap calls, and per
//! item for batches. A bucket refills at the tier's budget per second up to its capacity.
//!
//! Here:
//! - the usage tiers and their budgets ([`UsageTier::limits`]);
//! - the published cost table: [`cost_of`] and [`bucket_of`], figures from Kalshi's
//!   rate-limit documentation and the 3.34 spec (`GET /account/endpoint_costs`);
//! - [`TokenBucket`], a pure bucket whose time is passed in as monotonic nanoseconds, exact in
//!   integers so it can be tested deterministically (the exchange's and the client's).
//!
//! The client (`kalshi_io::ratelimit`) keeps its own cost table and an async limiter on top of
//! [`TokenBucket`]; it does not read this one, so a client table that underpays is refused by
//! the local exchange (429) instead of agreeing with itself.

use std::time::Duration;

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

/// Which of the two buckets a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BucketKind {
    /// Reads and everything not routed to the write bucket.
    Read,
    /// Order placement, amend, decrease, cancel, order groups, quote flow.
    Write,
}

/// Kalshi API usage tiers with published budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UsageTier {
    /// After signup: 200 read / 100 write tokens per second, write capacity 1 s.
    Basic,
    /// 300 / 300, write capacity 2 s.
    Advanced,
    /// 1000 / 1000, write capacity 2 s.
    Premier,
    /// 2000 / 2000, write capacity 2 s.
    Paragon,
    /// 4000 / 4000, write capacity 2 s.
    Prime,
}

impl UsageTier {
    /// Parses the `usage_tier` string of `GET /account/limits` (case-insensitive).
    pub fn from_wire(text: &str) -> Option<UsageTier> {
        match text.trim().to_ascii_lowercase().as_str() {
            "basic" => Some(UsageTier::Basic),
            "advanced" => Some(UsageTier::Advanced),
            "premier" => Some(UsageTier::Premier),
            "paragon" => Some(UsageTier::Paragon),
            "prime" => Some(UsageTier::Prime),
            _ => None,
        }
    }

    /// The tier's read and write buckets. Read capacity is one second of budget; write
    /// capacity is two seconds, except Basic (one second).
    pub const fn limits(self) -> TierLimits {
        let (read_per_s, write_per_s, write_capacity_s) = match self {
            UsageTier::Basic => (200, 100, 1),
            UsageTier::Advanced => (300, 300, 2),
            UsageTier::Premier => (1_000, 1_000, 2),
            UsageTier::Paragon => (2_000, 2_000, 2),
            UsageTier::Prime => (4_000, 4_000, 2),
        };
        TierLimits {
            read: BucketSpec {
                refill_per_s: read_per_s,
                capacity: read_per_s,
            },
            write: BucketSpec {
                refill_per_s: write_per_s,
                capacity: write_per_s * write_capacity_s,
            },
        }
    }
}

/// One bucket's budget: tokens added per second and the most it can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BucketSpec {
    /// Tokens added per second (`refill_rate`).
    pub refill_per_s: u32,
    /// Maximum tokens held (`bucket_capacity`).
    pub capacity: u32,
}

/// The read and write budgets of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TierLimits {
    /// Read bucket.
    pub read: BucketSpec,
    /// Write bucket.
    pub write: BucketSpec,
}

impl TierLimits {
    /// The spec of one bucket.
    pub const fn bucket(&self, kind: BucketKind) -> BucketSpec {
        match kind {
            BucketKind::Read => self.read,
            BucketKind::Write => self.write,
        }
    }
}

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

/// Literal path words under `/portfolio/orders/` that are not order ids.
fn is_orders_collection_word(segment: &str) -> bool {
    matches!(segment, "queue_positions" | "batched")
}

/// Sub-token resolution: one token = 10^12 units. A refill rate in milli-tokens per second
/// times nanoseconds gives exactly these units, so refills are exact integer arithmetic.
const UNITS_PER_TOKEN: u128 = 1_000_000_000_000;
/// Units added per nanosecond for a rate of one milli-token per second.
const MILLI_PER_TOKEN: u128 = 1_000;
/// Percent denominator of the safety margin.
const PERCENT: u128 = 100;

/// A token bucket with time passed in (monotonic nanoseconds from any fixed origin).
///
/// Starts full. The safety margin scales both the refill rate and the capacity, so a client
/// using 90 % never outruns a server bucket of the full size that started at the same level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBucket {
    /// Refill in milli-tokens per second (rate × margin%).
    refill_milli_per_s: u128,
    /// Capacity in units (capacity × margin% × 10^12 / 100).
    capacity_units: u128,
    /// Current level in units.
    level_units: u128,
    /// Time of the last refill, ns.
    last_ns: u64,
}

impl TokenBucket {
    /// A full bucket of exactly `spec`, as the exchange enforces it.
    pub fn new(spec: BucketSpec, now_ns: u64) -> TokenBucket {
        TokenBucket::with_margin(spec, 100, now_ns)
    }

    /// A full bucket using `margin_percent` (clamped to 1..=100) of `spec`'s rate and
    /// capacity.
    pub fn with_margin(spec: BucketSpec, margin_percent: u8, now_ns: u64) -> TokenBucket {
        let margin = u128::from(margin_percent.clamp(1, 100));
        let capacity_units = u128::from(spec.capacity) * margin * UNITS_PER_TOKEN / PERCENT;
        TokenBucket {
            refill_milli_per_s: u128::from(spec.refill_per_s) * margin * MILLI_PER_TOKEN / PERCENT,
            capacity_units,
            level_units: capacity_units,
            last_ns: now_ns,
        }
    }

    /// Capacity in whole tokens (after the margin).
    pub fn capacity_tokens(&self) -> u32 {
        u32::try_from(self.capacity_units / UNITS_PER_TOKEN).unwrap_or(u32::MAX)
    }

    /// Whole tokens available at `now_ns`.
    pub fn available_tokens(&mut self, now_ns: u64) -> u32 {
        self.refill(now_ns);
        u32::try_from(self.level_units / UNITS_PER_TOKEN).unwrap_or(u32::MAX)
    }

    /// Takes `cost` tokens if the bucket holds them at `now_ns`; returns whether it did.
    pub fn try_take(&mut self, cost: u32, now_ns: u64) -> bool {
        self.refill(now_ns);
        let cost_units = u128::from(cost) * UNITS_PER_TOKEN;
        if cost_units <= self.level_units {
            self.level_units -= cost_units;
            true
        } else {
            false
        }
    }

    /// How long until `cost` tokens are available (zero if they are now), or `None` if the
    /// bucket can never hold that many.
    pub fn time_until_available(&mut self, cost: u32, now_ns: u64) -> Option<Duration> {
        self.refill(now_ns);
        let cost_units = u128::from(cost) * UNITS_PER_TOKEN;
        if cost_units > self.capacity_units {
            return None;
        }
        if cost_units <= self.level_units {
            return Some(Duration::ZERO);
        }
        if self.refill_milli_per_s == 0 {
            return None;
        }
        let deficit_units = cost_units - self.level_units;
        let wait_ns = deficit_units.div_ceil(self.refill_milli_per_s);
        Some(Duration::from_nanos(
            u64::try_from(wait_ns).unwrap_or(u64::MAX),
        ))
    }

    /// Empties the bucket, e.g. after the exchange answered 429 (its view is the truth).
    pub fn drain(&mut self, now_ns: u64) {
        self.refill(now_ns);
        self.level_units = 0;
    }

    fn refill(&mut self, now_ns: u64) {
        // Time never runs backwards for the bucket: an earlier `now_ns` adds nothing.
        if now_ns <= self.last_ns {
            return;
        }
        let elapsed_ns = u128::from(now_ns - self.last_ns);
        self.last_ns = now_ns;
        let added = elapsed_ns.saturating_mul(self.refill_milli_per_s);
        self.level_units = self
            .level_units
            .saturating_add(added)
            .min(self.capacity_units);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;
    const S: u64 = 1_000_000_000;

    #[test]
    fn tier_budgets_match_kalshi() {
        let basic = UsageTier::Basic.limits();
        assert_eq!(
            basic.read,
            BucketSpec {
                refill_per_s: 200,
                capacity: 200
            }
        );
        assert_eq!(
            basic.write,
            BucketSpec {
                refill_per_s: 100,
                capacity: 100
            }
        );
        let advanced = UsageTier::Advanced.limits();
        assert_eq!(
            advanced.read,
            BucketSpec {
                refill_per_s: 300,
                capacity: 300
            }
        );
        assert_eq!(
            advanced.write,
            BucketSpec {
                refill_per_s: 300,
                capacity: 600
            }
        );
        assert_eq!(UsageTier::Premier.limits().write.capacity, 2_000);
        assert_eq!(UsageTier::Paragon.limits().read.refill_per_s, 2_000);
        assert_eq!(
            UsageTier::Prime.limits().write,
            BucketSpec {
                refill_per_s: 4_000,
                capacity: 8_000
            }
        );
        assert_eq!(UsageTier::from_wire("Advanced"), Some(UsageTier::Advanced));
        assert_eq!(UsageTier::from_wire("expert"), None);
    }

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

    #[test]
    fn bucket_starts_full_and_refills_exactly() {
        let spec = BucketSpec {
            refill_per_s: 100,
            capacity: 100,
        };
        let mut bucket = TokenBucket::new(spec, 0);
        assert_eq!(bucket.available_tokens(0), 100);
        assert!(bucket.try_take(100, 0));
        assert!(!bucket.try_take(1, 0));
        // 100 tokens/s = one token every 10 ms.
        assert_eq!(
            bucket.time_until_available(10, 0),
            Some(Duration::from_millis(100))
        );
        assert!(!bucket.try_take(10, 99 * MS));
        assert!(bucket.try_take(10, 100 * MS));
        // Never above capacity, however long it idles.
        assert_eq!(bucket.available_tokens(3_600 * S), 100);
        assert_eq!(bucket.time_until_available(101, 3_600 * S), None);
    }

    #[test]
    fn margin_scales_rate_and_capacity() {
        let spec = BucketSpec {
            refill_per_s: 300,
            capacity: 600,
        };
        let mut bucket = TokenBucket::with_margin(spec, 90, 0);
        assert_eq!(bucket.capacity_tokens(), 540);
        assert!(bucket.try_take(540, 0));
        // 270 tokens/s ⇒ 27 tokens after 100 ms.
        assert_eq!(bucket.available_tokens(100 * MS), 27);
        assert_eq!(bucket.time_until_available(541, 100 * MS), None);
    }

    #[test]
    fn time_going_backwards_adds_nothing() {
        let mut bucket = TokenBucket::new(
            BucketSpec {
                refill_per_s: 10,
                capacity: 10,
            },
            S,
        );
        assert!(bucket.try_take(10, S));
        assert!(!bucket.try_take(1, 0));
        assert!(bucket.try_take(1, S + 100 * MS));
    }
}
