//! A store of one kind's objects, fed by watch events: upserts, deletes, and relists that
//! drop objects which vanished while the watch was down. It also tracks whether the kind is
//! synced and, when its watch is broken, since when it is stale.

use crate::domain::key::ObjectKey;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashSet};

/// A watch that is currently broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub since: DateTime<Utc>,
    pub error: String,
}

/// Objects of one kind by namespace/name.
#[derive(Debug, Clone)]
pub struct Store<T> {
    pub items: BTreeMap<ObjectKey, T>,
    relist_seen: Option<HashSet<ObjectKey>>,
    /// The first full list has arrived.
    pub synced: bool,
    pub stale: Option<Stale>,
    /// The last error, kept after recovery for the detail of "why was it stale".
    pub forbidden: bool,
}

impl<T> Default for Store<T> {
    fn default() -> Self {
        Store {
            items: BTreeMap::new(),
            relist_seen: None,
            synced: false,
            stale: None,
            forbidden: false,
        }
    }
}

impl<T> Store<T> {
    /// A relist begins: objects not seen again before it ends will be removed.
    pub fn relist_start(&mut self) {
        self.relist_seen = Some(HashSet::new());
    }

    /// Inserts or replaces an object; returns the previous one.
    pub fn upsert(&mut self, key: ObjectKey, item: T) -> Option<T> {
        if let Some(seen) = &mut self.relist_seen {
            seen.insert(key.clone());
        }
        self.recovered();
        self.items.insert(key, item)
    }

    pub fn remove(&mut self, key: &ObjectKey) -> Option<T> {
        self.recovered();
        self.items.remove(key)
    }

    /// The relist is complete: drops what it did not contain; returns the dropped objects.
    pub fn relist_done(&mut self) -> Vec<(ObjectKey, T)> {
        self.synced = true;
        self.recovered();
        let Some(seen) = self.relist_seen.take() else {
            return Vec::new();
        };
        let gone: Vec<ObjectKey> = self
            .items
            .keys()
            .filter(|k| !seen.contains(*k))
            .cloned()
            .collect();
        let gone = gone
            .into_iter()
            .filter_map(|k| self.items.remove(&k).map(|v| (k, v)))
            .collect();
        self.pack();
        gone
    }

    /// Rebuilds the map with full nodes. A (re)list inserts in key order, which leaves a
    /// `BTreeMap`'s nodes a little over half full: with objects of a few hundred bytes each,
    /// 6,000 pods took the room of about 11,000. Built from the sorted items at once, every
    /// node is full (what changes later fills the gaps of a node it splits).
    fn pack(&mut self) {
        let items = std::mem::take(&mut self.items);
        self.items = items.into_iter().collect();
    }

    /// The watch broke; keeps the first time it did.
    pub fn mark_stale(&mut self, now: DateTime<Utc>, error: String, forbidden: bool) {
        self.forbidden = forbidden;
        match &mut self.stale {
            Some(stale) => stale.error = error,
            None => self.stale = Some(Stale { since: now, error }),
        }
    }

    /// The watch delivers again: no longer stale.
    pub fn live(&mut self) {
        self.recovered();
    }

    fn recovered(&mut self) {
        self.stale = None;
        self.forbidden = false;
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relist_drops_vanished_objects_and_clears_stale() {
        let mut s: Store<u32> = Store::default();
        let k = |n: &str| ObjectKey::new("ns", n);
        s.upsert(k("a"), 1);
        s.upsert(k("b"), 2);
        let now = Utc::now();
        s.mark_stale(now, "connection reset".into(), false);
        s.mark_stale(now + chrono::Duration::seconds(5), "refused".into(), false);
        assert_eq!(s.stale.as_ref().unwrap().since, now);
        assert_eq!(s.stale.as_ref().unwrap().error, "refused");
        s.relist_start();
        s.upsert(k("b"), 3);
        let gone = s.relist_done();
        assert_eq!(gone, vec![(k("a"), 1)]);
        assert!(s.stale.is_none());
        assert!(s.synced);
        assert_eq!(s.items.get(&k("b")), Some(&3));
    }

    #[test]
    fn a_relist_keeps_every_object_in_order_once_the_map_is_packed() {
        let mut s: Store<usize> = Store::default();
        let key = |i: usize| ObjectKey::new(&format!("ns-{}", i % 7), &format!("obj-{i:05}"));
        s.relist_start();
        for i in 0..5_000 {
            s.upsert(key(i), i);
        }
        assert!(s.relist_done().is_empty());
        assert_eq!(s.len(), 5_000);
        assert!((0..5_000).all(|i| s.items.get(&key(i)) == Some(&i)));
        let keys: Vec<&ObjectKey> = s.items.keys().collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted");
        // It keeps working as a map afterwards: inserts, updates and removals.
        s.upsert(key(5_000), 5_000);
        s.upsert(key(3), 33);
        s.remove(&key(4));
        assert_eq!(s.len(), 5_000);
        assert_eq!(s.items.get(&key(3)), Some(&33));
        assert_eq!(s.items.get(&key(4)), None);
    }
}
