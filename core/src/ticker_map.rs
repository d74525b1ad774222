//! A lookup-only map from ticker (or another identifier: order key, exchange order id) to
//! value, hashed by a fixed 64-bit fingerprint of the string.
//!
//! Kalshi tickers share long prefixes (`KXEVENT-26NOV25-T42`), as do client order ids, so an
//! ordered map keyed by the string spends most of a lookup in byte comparisons of prefixes. Here a
//! lookup hashes the ticker once, probes one slot of a hash table, and compares the string only
//! against the entry (or, on a collision, the few entries) it finds there.
//!
//! The fingerprint is a fixed function of the bytes (no random seed) and the map offers no
//! iteration, so neither its layout nor its order can reach an output. That is why the
//! `HashMap` the crate's lint otherwise refuses is allowed in this one file.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiplier of the fingerprint mix (an odd constant with well-spread bits).
const MIX: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// A fixed 64-bit fingerprint of `ticker`'s bytes.
pub fn ticker_fingerprint(ticker: &str) -> u64 {
    avalanche(mix_bytes(ticker.len() as u64, ticker.as_bytes()))
}

/// Folds `bytes` into `seed`, eight at a time (the tail zero-padded; callers fold the length
/// in so that padding cannot alias a longer input).
fn mix_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut hash = seed;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = mix_word(hash, u64::from_le_bytes(word));
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut word = [0u8; 8];
        word[..tail.len()].copy_from_slice(tail);
        hash = mix_word(hash, u64::from_le_bytes(word));
    }
    hash
}

fn mix_word(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(5) ^ word).wrapping_mul(MIX)
}

/// Final avalanche so that every input bit reaches the bits the table indexes by.
fn avalanche(mut hash: u64) -> u64 {
    hash ^= hash >> 32;
    hash = hash.wrapping_mul(MIX);
    hash ^ (hash >> 29)
}

/// The table's hasher: [`ticker_fingerprint`]'s mixing over the bytes written, with no
/// per-process seed; the avalanche runs once, in `finish`.
#[derive(Debug, Default, Clone, Copy)]
pub struct FingerprintHasher {
    hash: u64,
}

impl Hasher for FingerprintHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.hash = mix_bytes(self.hash ^ bytes.len() as u64, bytes);
    }

    /// `str` hashing ends with one marker byte: fold it in without a second pass.
    fn write_u8(&mut self, byte: u8) {
        self.hash = mix_word(self.hash, u64::from(byte));
    }

    fn finish(&self) -> u64 {
        avalanche(self.hash)
    }
}

#[allow(clippy::disallowed_types)] // lookups only, fixed hasher: nothing iterates it
type Table<V> = std::collections::HashMap<Box<str>, V, BuildHasherDefault<FingerprintHasher>>;

/// Ticker → `V`, for lookups only (no iteration order is offered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickerMap<V> {
    table: Table<V>,
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
            table: Table::default(),
        }
    }

    /// Number of tickers in the map.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when no ticker is in the map.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The value of `ticker`.
    pub fn get(&self, ticker: &str) -> Option<&V> {
        self.table.get(ticker)
    }

    /// The value of `ticker`, mutably.
    pub fn get_mut(&mut self, ticker: &str) -> Option<&mut V> {
        self.table.get_mut(ticker)
    }

    /// Sets the value of `ticker`, returning the one it replaced.
    pub fn insert(&mut self, ticker: &str, value: V) -> Option<V> {
        if let Some(slot) = self.table.get_mut(ticker) {
            return Some(std::mem::replace(slot, value));
        }
        self.table.insert(Box::from(ticker), value);
        None
    }

    /// The value of `ticker`, inserting `make()` first when there is none.
    pub fn get_or_insert_with(&mut self, ticker: &str, make: impl FnOnce() -> V) -> &mut V {
        if !self.table.contains_key(ticker) {
            self.table.insert(Box::from(ticker), make());
        }
        self.table
            .get_mut(ticker)
            .unwrap_or_else(|| unreachable!("inserted just above"))
    }

    /// Removes `ticker`, returning its value.
    pub fn remove(&mut self, ticker: &str) -> Option<V> {
        self.table.remove(ticker)
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
    fn colliding_hashes_keep_tickers_apart() {
        // A hasher that files every key under one hash forces every lookup through the
        // string comparison.
        #[derive(Default)]
        struct OneBucket;
        impl Hasher for OneBucket {
            fn write(&mut self, _bytes: &[u8]) {}
            fn finish(&self) -> u64 {
                7
            }
        }
        #[allow(clippy::disallowed_types)]
        let mut table: std::collections::HashMap<
            Box<str>,
            u32,
            BuildHasherDefault<OneBucket>,
        > = Default::default();
        table.insert(Box::from("KX-A"), 1);
        table.insert(Box::from("KX-Z"), 2);
        assert_eq!(table.get("KX-A"), Some(&1));
        assert_eq!(table.remove("KX-A"), Some(1));
        assert_eq!(table.get("KX-Z"), Some(&2));
        assert_eq!(table.get("KX-A"), None);
    }

    #[test]
    fn hasher_is_the_fingerprint_and_has_no_seed() {
        use std::hash::BuildHasher;
        let build = BuildHasherDefault::<FingerprintHasher>::default();
        let hash_of = |text: &str| build.hash_one(text);
        assert_eq!(hash_of("KXBENCH-E001-M02"), hash_of("KXBENCH-E001-M02"));
        assert_ne!(hash_of("KXBENCH-E001-M02"), hash_of("KXBENCH-E001-M03"));
        let mut direct = FingerprintHasher::default();
        direct.write(b"KX");
        assert_eq!(direct.finish(), ticker_fingerprint("KX"));
        // The marker byte `str` hashing appends changes the hash.
        direct.write_u8(0xff);
        assert_ne!(direct.finish(), ticker_fingerprint("KX"));
    }
}
