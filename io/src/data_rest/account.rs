//! `GET /account/limits`: the account's usage tier and token buckets, in both shapes the
//! exchange has used (nested buckets, and the older flat per-second limits).

use serde::{Deserialize, Serialize};

use crate::ratelimit::{BucketSpec, TierLimits, UsageTier};

/// One bucket as `GET /account/limits` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketLimit {
    /// Tokens per second.
    pub refill_rate: u32,
    /// Most tokens held.
    pub bucket_capacity: u32,
}

/// `GET /account/limits` answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountLimits {
    /// Tier name (`basic`, `advanced`, …).
    #[serde(default)]
    pub usage_tier: String,
    /// Read bucket (current shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<BucketLimit>,
    /// Write bucket (current shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<BucketLimit>,
    /// Older shape: read requests per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_limit: Option<u32>,
    /// Older shape: write requests per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_limit: Option<u32>,
}

/// Tokens one request cost in the older per-second model.
const TOKENS_PER_LEGACY_REQUEST: u32 = 10;

impl AccountLimits {
    /// The buckets to enforce: the reported buckets when present; else the older per-second
    /// limits converted at 10 tokens per request (one second of capacity); else the named
    /// tier's published budgets. `None` when nothing usable was reported.
    pub fn tier_limits(&self) -> Option<TierLimits> {
        let tier = UsageTier::from_wire(&self.usage_tier).map(UsageTier::limits);
        let from_bucket = |bucket: BucketLimit| BucketSpec {
            refill_per_s: bucket.refill_rate,
            capacity: bucket.bucket_capacity,
        };
        let from_legacy = |per_s: u32| {
            let tokens = per_s.saturating_mul(TOKENS_PER_LEGACY_REQUEST);
            BucketSpec {
                refill_per_s: tokens,
                capacity: tokens,
            }
        };
        let read = self
            .read
            .map(from_bucket)
            .or(self.read_limit.map(from_legacy))
            .or(tier.map(|limits| limits.read))?;
        let write = self
            .write
            .map(from_bucket)
            .or(self.write_limit.map(from_legacy))
            .or(tier.map(|limits| limits.write))?;
        Some(TierLimits { read, write })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_convert_to_buckets() {
        let nested: AccountLimits = serde_json::from_str(
            r#"{"usage_tier":"advanced","read":{"refill_rate":300,"bucket_capacity":300},
                "write":{"refill_rate":300,"bucket_capacity":600},"grants":[]}"#,
        )
        .unwrap();
        assert_eq!(nested.tier_limits(), Some(UsageTier::Advanced.limits()));
        let flat: AccountLimits =
            serde_json::from_str(r#"{"usage_tier":"basic","read_limit":20,"write_limit":10}"#)
                .unwrap();
        let limits = flat.tier_limits().unwrap();
        assert_eq!(
            limits.read,
            BucketSpec {
                refill_per_s: 200,
                capacity: 200
            }
        );
        assert_eq!(
            limits.write,
            BucketSpec {
                refill_per_s: 100,
                capacity: 100
            }
        );
        let named: AccountLimits = serde_json::from_str(r#"{"usage_tier":"prime"}"#).unwrap();
        assert_eq!(named.tier_limits(), Some(UsageTier::Prime.limits()));
        let unknown: AccountLimits = serde_json::from_str(r#"{"usage_tier":"expert"}"#).unwrap();
        assert_eq!(unknown.tier_limits(), None);
    }
}
