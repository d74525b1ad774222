//! `s3://bucket/prefix` URLs and where a run lives in a bucket.
//!
//! An uploaded run lives under `PREFIX/date=YYYY-MM-DD/run=RUN_ID/` (the UTC date the run was
//! created): `manifest.json` and the sealed `seg-NNNNNNNN.parquet` segments. The `key=value`
//! folders are Hive-style partitions, so query engines read `date` and `run` as columns and
//! skip whole folders when a query filters on them.

use std::fmt;

use crate::error::StoreError;

/// A bucket and a key prefix (no leading or trailing `/`; empty for the bucket's root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix, `/`-separated, without leading or trailing `/`.
    pub prefix: String,
}

/// Whether `text` names an object-storage location rather than a local path.
pub fn is_s3_url(text: &str) -> bool {
    text.starts_with("s3://")
}

impl S3Location {
    /// Parses `s3://bucket[/prefix…]`.
    pub fn parse(url: &str) -> Result<S3Location, StoreError> {
        let bad = |reason: &str| StoreError::BadUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| bad("it does not start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(bad("no bucket name"));
        }
        if !bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        {
            return Err(bad(
                "a bucket name holds lower-case letters, digits, `-` and `.`",
            ));
        }
        let parts: Vec<&str> = prefix.split('/').filter(|part| !part.is_empty()).collect();
        if parts.iter().any(|part| *part == "." || *part == "..") {
            return Err(bad("`.` and `..` are not allowed in the prefix"));
        }
        Ok(S3Location {
            bucket: bucket.to_string(),
            prefix: parts.join("/"),
        })
    }

    /// The key of `name` under this prefix.
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }

    /// This location with `child` (a `/`-separated relative path) appended to the prefix.
    pub fn join(&self, child: &str) -> S3Location {
        S3Location {
            bucket: self.bucket.clone(),
            prefix: self.key(child.trim_matches('/')),
        }
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// The folder of a run under an upload prefix: `date=YYYY-MM-DD/run=RUN_ID` (UTC date of
/// `created_ts_ns`).
pub fn run_prefix(run_id: &str, created_ts_ns: i64) -> String {
    let stamp = kalshi_core::time::format_rfc3339_seconds(created_ts_ns);
    let date = stamp.get(..10).unwrap_or(&stamp);
    format!("date={date}/run={run_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_into_bucket_and_prefix() {
        let location = S3Location::parse("s3://journals/a/b/RUN/").unwrap();
        assert_eq!(location.bucket, "journals");
        assert_eq!(location.prefix, "a/b/RUN");
        assert_eq!(location.key("manifest.json"), "a/b/RUN/manifest.json");
        assert_eq!(location.to_string(), "s3://journals/a/b/RUN");
        let root = S3Location::parse("s3://journals").unwrap();
        assert_eq!(root.prefix, "");
        assert_eq!(root.key("x"), "x");
        assert_eq!(
            root.join("date=1/run=2").to_string(),
            "s3://journals/date=1/run=2"
        );
        assert!(S3Location::parse("journals/a").is_err());
        assert!(S3Location::parse("s3:///a").is_err());
        assert!(S3Location::parse("s3://Upper/a").is_err());
        assert!(S3Location::parse("s3://b/../a").is_err());
    }

    #[test]
    fn run_prefix_is_partitioned_by_utc_date() {
        assert_eq!(run_prefix("r1", 0), "date=1970-01-01/run=r1");
        // 2026-12-07T00:32:06Z
        assert_eq!(
            run_prefix("r2", 1_796_603_526_000_000_000),
            "date=2026-12-07/run=r2"
        );
        // 2024-02-29T23:59:59Z, a leap day.
        assert_eq!(
            run_prefix("r3", 1_709_251_199_000_000_000),
            "date=2024-02-29/run=r3"
        );
        assert_eq!(run_prefix("r4", -1), "date=1969-12-31/run=r4");
    }
}
