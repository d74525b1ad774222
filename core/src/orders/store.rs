//! Records filed under string keys (client order ids, exchange order ids), found by key in
//! O(1) and iterated in key order.
//!
//! Client order ids share a long run prefix, so an ordered map keyed by the id spends every
//! lookup, insert and removal comparing that prefix at each level of the tree — and the order
//! books look records up many times per event and retire thousands. Here the values sit in a
//! dense slab found through a [`TickerMap`] (one hash, one string comparison); key order is
//! produced only when someone iterates (status lines, invariant checks), by sorting then.

use crate::ticker_map::TickerMap;

/// Values by string key: O(1) lookups, iteration in key order.
#[derive(Debug, Clone)]
pub(crate) struct RecordStore<V> {
    /// Keys and values by slab position; `None` marks a free position.
    slots: Vec<Option<(Box<str>, V)>>,
    /// Free slab positions, reused last-freed first.
    free: Vec<usize>,
    /// Slab position of each key.
    position_of: TickerMap<usize>,
}

impl<V> Default for RecordStore<V> {
    fn default() -> RecordStore<V> {
        RecordStore {
            slots: Vec::new(),
            free: Vec::new(),
            position_of: TickerMap::new(),
        }
    }
}

impl<V> RecordStore<V> {
    /// The value filed under `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        let position = *self.position_of.get(key)?;
        self.slots.get(position)?.as_ref().map(|(_, value)| value)
    }

    /// The value filed under `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let position = *self.position_of.get(key)?;
        self.slots
            .get_mut(position)?
            .as_mut()
            .map(|(_, value)| value)
    }

    /// True when a value is filed under `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position_of.get(key).is_some()
    }

    /// Files `value` under `key`, returning the value it replaced.
    pub fn insert(&mut self, key: &str, value: V) -> Option<V> {
        if let Some(slot) = self.get_mut(key) {
            return Some(std::mem::replace(slot, value));
        }
        let entry = Some((Box::from(key), value));
        let position = match self.free.pop() {
            Some(position) => {
                self.slots[position] = entry;
                position
            }
            None => {
                self.slots.push(entry);
                self.slots.len() - 1
            }
        };
        self.position_of.insert(key, position);
        None
    }

    /// Removes the value filed under `key`.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let position = self.position_of.remove(key)?;
        let (_, value) = self.slots.get_mut(position)?.take()?;
        self.free.push(position);
        Some(value)
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.position_of.len()
    }

    /// Keys and values, in key order (sorted on each call: O(n log n)).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        let mut entries: Vec<(&str, &V)> = self
            .slots
            .iter()
            .flatten()
            .map(|(key, value)| (&**key, value))
            .collect();
        entries.sort_unstable_by(|left, right| left.0.cmp(right.0));
        entries.into_iter()
    }

    /// Values, in key order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, value)| value)
    }
}

/// Two stores are equal when they file equal values under the same keys, wherever the slab
/// put them.
impl<V: PartialEq> PartialEq for RecordStore<V> {
    fn eq(&self, other: &RecordStore<V>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<V: Eq> Eq for RecordStore<V> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_follow_inserts_replacements_and_removals() {
        let mut store = RecordStore::default();
        assert_eq!(store.insert("run-2", 'b'), None);
        assert_eq!(store.insert("run-1", 'a'), None);
        assert_eq!(store.insert("run-2", 'B'), Some('b'));
        assert_eq!(store.get("run-2"), Some(&'B'));
        assert!(store.contains_key("run-1"));
        assert_eq!(store.remove("run-1"), Some('a'));
        assert_eq!(store.remove("run-1"), None);
        assert_eq!(store.get("run-1"), None);
        // The freed slab position is reused without disturbing the other key.
        assert_eq!(store.insert("run-3", 'c'), None);
        if let Some(value) = store.get_mut("run-3") {
            *value = 'C';
        }
        assert_eq!(store.get("run-2"), Some(&'B'));
        assert_eq!(store.get("run-3"), Some(&'C'));
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn iteration_is_in_key_order_whatever_the_insertion_order() {
        let mut store = RecordStore::default();
        for key in ["c", "a", "d", "b"] {
            store.insert(key, key.to_uppercase());
        }
        store.remove("d");
        store.insert("0", "zero".to_string());
        let keys: Vec<&str> = store.iter().map(|(key, _)| key).collect();
        assert_eq!(keys, ["0", "a", "b", "c"]);
        let values: Vec<&str> = store.values().map(String::as_str).collect();
        assert_eq!(values, ["zero", "A", "B", "C"]);
    }

    #[test]
    fn equality_ignores_slab_layout() {
        let mut first = RecordStore::default();
        first.insert("x", 1);
        first.insert("y", 2);
        let mut second = RecordStore::default();
        second.insert("gone", 0);
        second.insert("y", 2);
        second.remove("gone");
        second.insert("x", 1);
        assert_eq!(first, second);
        second.insert("x", 3);
        assert_ne!(first, second);
    }
}
