//! A lookup-only map from ticker (or another identifier: order key, exchange order id) to
//! value, keyed by a fixed 64-bit fingerprint of the string.
//!
//! Kalshi tickers share long prefixes (`KXEVENT-26NOV25-T42`), as do client order ids, so an
//! ordered map keyed by the string spends most of a lookup in byte comparisons of prefixes. Here a lookup
//! hashes the ticker once, searches integers, and compares the string only against the entry
//! (or, on a fingerprint collision, the few entries) filed under that fingerprint.
//!
//! The fingerprint is a fixed function of the bytes (no random seed), and the map offers no
//! iteration, so nothing about it can reach an output.

use std::collections::BTreeMap;

/// Multiplier of the fingerprint mix (an odd constant with well-spread bits).
const MIX: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// A fixed 64-bit fingerprint of `ticker`'s bytes.
pub fn ticker_fingerprint(ticker: &str) -> u64 {
    let bytes = ticker.as_bytes();
    let mut hash = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(MIX);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut word = [0u8; 8];
        word[..tail.len()].copy_from_slice(tail);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(MIX);
    }
    // Final avalanche so that every input bit reaches the high bits the tree orders by.
    hash ^= hash >> 32;
    hash = hash.wrapping_mul(MIX);
    hash ^ (hash >> 29)
}

/// Ticker → `V`, for lookups only (no iteration order is offered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickerMap<V> {
    /// Entries by fingerprint; a bucket holds more than one entry only on a collision.
    buckets: BTreeMap<u64, Vec<(String, V)>>,
    len: usize,
}

impl<V> Default for TickerMap<V> {
    fn default() -> TickerMap<V> {
        TickerMap::new()
    }
}

impl<V> TickerMap<V> {
    /// An empty map.
    pub fn new() -> TickerMap<V> {
        TickerMap {
            buckets: BTreeMap::new(),
            len: 0,
        }
    }

    /// Number of tickers in the map.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no ticker is in the map.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of `ticker`.
    pub fn get(&self, ticker: &str) -> Option<&V> {
        self.buckets
            .get(&ticker_fingerprint(ticker))?
            .iter()
            .find(|(key, _)| key == ticker)
            .map(|(_, value)| value)
    }

    /// The value of `ticker`, mutably.
    pub fn get_mut(&mut self, ticker: &str) -> Option<&mut V> {
        self.buckets
            .get_mut(&ticker_fingerprint(ticker))?
            .iter_mut()
            .find(|(key, _)| key == ticker)
            .map(|(_, value)| value)
    }

    /// Sets the value of `ticker`, returning the one it replaced.
    pub fn insert(&mut self, ticker: &str, value: V) -> Option<V> {
        let bucket = self.buckets.entry(ticker_fingerprint(ticker)).or_default();
        if let Some((_, slot)) = bucket.iter_mut().find(|(key, _)| key == ticker) {
            return Some(std::mem::replace(slot, value));
        }
        bucket.push((ticker.to_string(), value));
        self.len += 1;
        None
    }

    /// The value of `ticker`, inserting `make()` first when there is none.
    pub fn get_or_insert_with(&mut self, ticker: &str, make: impl FnOnce() -> V) -> &mut V {
        let bucket = self.buckets.entry(ticker_fingerprint(ticker)).or_default();
        let position = match bucket.iter().position(|(key, _)| key == ticker) {
            Some(position) => position,
            None => {
                bucket.push((ticker.to_string(), make()));
                self.len += 1;
                bucket.len() - 1
            }
        };
        &mut bucket[position].1
    }

    /// Removes `ticker`, returning its value.
    pub fn remove(&mut self, ticker: &str) -> Option<V> {
        let fingerprint = ticker_fingerprint(ticker);
        let bucket = self.buckets.get_mut(&fingerprint)?;
        let position = bucket.iter().position(|(key, _)| key == ticker)?;
        // `remove` (not `swap_remove`) keeps the remaining entries in insertion order.
        let (_, value) = bucket.remove(position);
        if bucket.is_empty() {
            self.buckets.remove(&fingerprint);
        }
        self.len -= 1;
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_a_fixed_function_of_the_bytes() {
        assert_eq!(
            ticker_fingerprint("KXBENCH-E001-M02"),
            ticker_fingerprint(&String::from("KXBENCH-E001-M02"))
        );
        assert_ne!(
            ticker_fingerprint("KXBENCH-E001-M02"),
            ticker_fingerprint("KXBENCH-E001-M03")
        );
        // Zero padding of the tail must not make a shorter ticker alias a longer one.
        assert_ne!(ticker_fingerprint("AB"), ticker_fingerprint("AB\0"));
    }

    #[test]
    fn insert_get_remove_round_trip() {
        let mut map = TickerMap::new();
        assert_eq!(map.insert("KX-A", 1u32), None);
        assert_eq!(map.insert("KX-B", 2), None);
        assert_eq!(map.insert("KX-A", 3), Some(1));
        assert_eq!(map.len(), 2);
        assert_eq!(map.get("KX-A"), Some(&3));
        assert_eq!(map.get("KX-C"), None);
        *map.get_or_insert_with("KX-C", || 0) += 5;
        *map.get_or_insert_with("KX-C", || 100) += 1;
        assert_eq!(map.get("KX-C"), Some(&6));
        if let Some(value) = map.get_mut("KX-B") {
            *value = 9;
        }
        assert_eq!(map.remove("KX-B"), Some(9));
        assert_eq!(map.remove("KX-B"), None);
        assert_eq!(map.get("KX-B"), None);
        assert_eq!(map.len(), 2);
        assert!(!map.is_empty());
    }

    #[test]
    fn colliding_fingerprints_keep_tickers_apart() {
        // Force a collision by filing two tickers under one bucket by hand.
        let mut map: TickerMap<u32> = TickerMap::new();
        let fingerprint = ticker_fingerprint("KX-A");
        map.buckets.insert(
            fingerprint,
            vec![("KX-A".to_string(), 1), ("KX-Z".to_string(), 2)],
        );
        map.len = 2;
        assert_eq!(map.get("KX-A"), Some(&1));
        assert_eq!(map.remove("KX-A"), Some(1));
        // The other entry of the bucket is untouched.
        assert_eq!(map.buckets.get(&fingerprint).map(Vec::len), Some(1));
        assert_eq!(map.len(), 1);
    }
}
