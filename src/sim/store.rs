//! The simulated cluster's object store: every object as JSON with Kubernetes metadata
//! (uid, resourceVersion from one global counter, creationTimestamp, generation), a bounded
//! history of changes per resource so watches can resume from a resourceVersion (older ones
//! get 410 Gone, like etcd compaction), and a broadcast channel per resource feeding
//! watchers without ever waiting for a slow one. The history is bounded in count and in age
//! ([`HISTORY_AGE`]): each change holds a whole old version of its object. The count is sized
//! per resource by how many objects it has ([`history_capacity`]), as the API server sizes
//! its watch cache per resource by event count: the start-up's changes already fill it, so a
//! churning cluster reaches its size at once instead of growing for the first minutes.

use super::clock::stamp;
use super::error::ApiError;
use super::resources::Resource;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// The fewest changes per resource a watch can resume from (the API server's default watch
/// cache size).
pub const HISTORY_MIN: usize = 100;
/// The most changes per resource a watch can resume from, however many objects it has.
pub const HISTORY_MAX: usize = 20_000;
/// Objects per change kept: a resource of N objects keeps the last N / this changes.
pub const OBJECTS_PER_CHANGE: usize = 8;
/// How long a change stays resumable (the API server's etcd compacts every 5 minutes).
pub const HISTORY_AGE: Duration = Duration::from_secs(300);
/// How far a watcher may fall behind before it is cut off with 410 Gone.
pub const BROADCAST: usize = 16_384;

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Modified,
    Deleted,
}

impl Change {
    pub fn word(self) -> &'static str {
        match self {
            Change::Added => "ADDED",
            Change::Modified => "MODIFIED",
            Change::Deleted => "DELETED",
        }
    }
}

/// One change, as watches deliver it.
#[derive(Debug, Clone)]
pub struct StoreEvent {
    pub rv: u64,
    pub change: Change,
    pub object: Arc<Value>,
    /// When it happened (for compaction).
    pub at: Instant,
}

/// Namespace (empty for cluster-scoped) and name.
pub type Key = (String, String);

struct Collection {
    objects: BTreeMap<Key, Arc<Value>>,
    history: VecDeque<Arc<StoreEvent>>,
    /// The newest resourceVersion compacted away (0: none): resuming before it is 410 Gone.
    compacted: u64,
    tx: broadcast::Sender<Arc<StoreEvent>>,
}

impl Collection {
    fn new() -> Collection {
        let (tx, _) = broadcast::channel(BROADCAST);
        Collection {
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            compacted: 0,
            tx,
        }
    }

    /// Keeps `event` in the history and announces it; compacts what is beyond
    /// [`history_capacity`] changes or older than [`HISTORY_AGE`] at `now`.
    fn record(&mut self, event: Arc<StoreEvent>, now: Instant) {
        self.history.push_back(event.clone());
        self.compact(now);
        let _ = self.tx.send(event);
    }

    fn compact(&mut self, now: Instant) {
        let capacity = history_capacity(self.objects.len());
        while let Some(oldest) = self.history.front() {
            let expired = now.saturating_duration_since(oldest.at) > HISTORY_AGE;
            if self.history.len() <= capacity && !expired {
                break;
            }
            self.compacted = oldest.rv;
            self.history.pop_front();
        }
    }
}

/// How many changes a resource of `objects` objects keeps for resuming watches.
pub fn history_capacity(objects: usize) -> usize {
    (objects / OBJECTS_PER_CHANGE).clamp(HISTORY_MIN, HISTORY_MAX)
}

struct Inner {
    rv: u64,
    uid: u64,
    collections: HashMap<String, Collection>,
}

/// The store. Cheap to clone (shared).
#[derive(Clone)]
pub struct Store {
    inner: Arc<RwLock<Inner>>,
}

fn id(r: &Resource) -> String {
    format!("{}/{}", r.group, r.plural)
}

/// The key of an object.
pub fn key_of(obj: &Value) -> Key {
    let meta = &obj["metadata"];
    (
        meta["namespace"].as_str().unwrap_or("").to_string(),
        meta["name"].as_str().unwrap_or("").to_string(),
    )
}

/// The resourceVersion an object carries, if any.
pub fn rv_of(obj: &Value) -> Option<u64> {
    obj["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
}

impl Default for Store {
    fn default() -> Self {
        Store {
            inner: Arc::new(RwLock::new(Inner {
                rv: 1000,
                uid: 0,
                collections: HashMap::new(),
            })),
        }
    }
}

impl Store {
    fn read<T>(&self, f: impl FnOnce(&Inner) -> T) -> T {
        match self.inner.read() {
            Ok(g) => f(&g),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    fn write<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        match self.inner.write() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// A fresh uid, for objects whose uid must be known before they are first stored.
    pub fn new_uid(&self) -> String {
        self.write(|i| {
            i.uid += 1;
            format!("{:08x}-sim0-4000-8000-{:012x}", i.uid, i.uid)
        })
    }

    /// The current resourceVersion.
    pub fn rv(&self) -> u64 {
        self.read(|i| i.rv)
    }

    pub fn get(&self, r: &Resource, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.read(|i| {
            i.collections
                .get(&id(r))?
                .objects
                .get(&(ns.to_string(), name.to_string()))
                .cloned()
        })
    }

    /// Objects in namespace `ns` (all namespaces when `None`), sorted by namespace and name,
    /// with the resourceVersion of the list.
    pub fn list(&self, r: &Resource, ns: Option<&str>) -> (Vec<Arc<Value>>, u64) {
        self.read(|i| {
            let items = match i.collections.get(&id(r)) {
                None => Vec::new(),
                Some(c) => match ns {
                    Some(ns) => c
                        .objects
                        .range((ns.to_string(), String::new())..)
                        .take_while(|((n, _), _)| n == ns)
                        .map(|(_, v)| v.clone())
                        .collect(),
                    None => c.objects.values().cloned().collect(),
                },
            };
            (items, i.rv)
        })
    }

    pub fn count(&self, r: &Resource) -> usize {
        self.read(|i| {
            i.collections
                .get(&id(r))
                .map(|c| c.objects.len())
                .unwrap_or(0)
        })
    }

    /// Subscribes to changes, returning the receiver and the rv it starts after.
    pub fn subscribe(&self, r: &Resource) -> (broadcast::Receiver<Arc<StoreEvent>>, u64) {
        self.write(|i| {
            let rv = i.rv;
            let c = i.collections.entry(id(r)).or_insert_with(Collection::new);
            (c.tx.subscribe(), rv)
        })
    }

    /// Changes after `since`, or 410 Gone when the history no longer reaches back that far.
    pub fn changes_since(
        &self,
        r: &Resource,
        since: u64,
    ) -> Result<Vec<Arc<StoreEvent>>, ApiError> {
        self.read(|i| {
            let Some(c) = i.collections.get(&id(r)) else {
                return Ok(Vec::new());
            };
            if since < c.compacted {
                return Err(ApiError::gone(format!(
                    "too old resource version: {since} ({})",
                    c.compacted
                )));
            }
            Ok(c.history.iter().filter(|e| e.rv > since).cloned().collect())
        })
    }

    /// Stores `object` (new or replacing), stamping uid, creationTimestamp, generation and a
    /// new resourceVersion, and announces the change. Returns the stored object. Unchanged
    /// objects are not re-announced.
    pub fn put(&self, r: &Resource, mut object: Value) -> Arc<Value> {
        self.write(|i| {
            let key = key_of(&object);
            let existing = i
                .collections
                .get(&id(r))
                .and_then(|c| c.objects.get(&key))
                .cloned();
            let meta = &mut object["metadata"];
            if !meta.is_object() {
                *meta = json!({});
            }
            match &existing {
                Some(old) => {
                    meta["uid"] = old["metadata"]["uid"].clone();
                    meta["creationTimestamp"] = old["metadata"]["creationTimestamp"].clone();
                    if r.has_spec_generation {
                        let generation = old["metadata"]["generation"].as_i64().unwrap_or(1);
                        let changed = old.get("spec") != object.get("spec");
                        object["metadata"]["generation"] =
                            json!(if changed { generation + 1 } else { generation });
                    }
                    // Nothing changed: keep the old version. (Compared in place: the
                    // resourceVersion is overwritten below anyway.)
                    object["metadata"]["resourceVersion"] =
                        old["metadata"]["resourceVersion"].clone();
                    if object == **old {
                        return old.clone();
                    }
                }
                None => {
                    i.uid += 1;
                    if meta["uid"].as_str().is_none() {
                        meta["uid"] = json!(format!("{:08x}-sim0-4000-8000-{:012x}", i.uid, i.uid));
                    }
                    if meta["creationTimestamp"].as_str().is_none() {
                        meta["creationTimestamp"] = json!(stamp(chrono::Utc::now()));
                    }
                    if r.has_spec_generation {
                        meta["generation"] = json!(1);
                    }
                }
            }
            i.rv += 1;
            let rv = i.rv;
            object["metadata"]["resourceVersion"] = json!(rv.to_string());
            let object = Arc::new(object);
            let change = if existing.is_some() {
                Change::Modified
            } else {
                Change::Added
            };
            let c = i.collections.entry(id(r)).or_insert_with(Collection::new);
            c.objects.insert(key, object.clone());
            let now = Instant::now();
            let event = Arc::new(StoreEvent {
                rv,
                change,
                object: object.clone(),
                at: now,
            });
            c.record(event, now);
            object
        })
    }

    /// Removes an object and announces it; returns the removed object.
    pub fn delete(&self, r: &Resource, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.write(|i| {
            let c = i.collections.get_mut(&id(r))?;
            let old = c.objects.remove(&(ns.to_string(), name.to_string()))?;
            i.rv += 1;
            let rv = i.rv;
            let mut gone = (*old).clone();
            gone["metadata"]["resourceVersion"] = json!(rv.to_string());
            let gone = Arc::new(gone);
            let c = i.collections.get_mut(&id(r))?;
            let now = Instant::now();
            let event = Arc::new(StoreEvent {
                rv,
                change: Change::Deleted,
                object: gone.clone(),
                at: now,
            });
            c.record(event, now);
            Some(gone)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::resources::find;

    #[test]
    fn put_stamps_metadata_and_skips_no_op_updates() {
        let store = Store::default();
        let r = find("serving.kserve.io", "v1beta1", "inferenceservices").unwrap();
        let a = store.put(
            r,
            json!({"metadata": {"name": "a", "namespace": "ns"}, "spec": {"x": 1}}),
        );
        assert_eq!(a["metadata"]["generation"], json!(1));
        let rv1 = rv_of(&a).unwrap();
        let same = store.put(r, (*a).clone());
        assert_eq!(rv_of(&same), Some(rv1));
        let b = store.put(
            r,
            json!({"metadata": {"name": "a", "namespace": "ns"}, "spec": {"x": 2}}),
        );
        assert_eq!(b["metadata"]["generation"], json!(2));
        assert_eq!(b["metadata"]["uid"], a["metadata"]["uid"]);
        let c = store.put(r, json!({"metadata": {"name": "a", "namespace": "ns"}, "spec": {"x": 2}, "status": {"y": 1}}));
        assert_eq!(
            c["metadata"]["generation"],
            json!(2),
            "status changes keep the generation"
        );
        let changes = store.changes_since(r, rv1).unwrap();
        assert_eq!(changes.len(), 2);
        assert!(store.delete(r, "ns", "a").is_some());
        assert!(store.get(r, "ns", "a").is_none());
    }

    #[test]
    fn resuming_from_a_compacted_version_is_gone() {
        let store = Store::default();
        let r = find("", "v1", "configmaps").unwrap();
        for i in 0..HISTORY_MIN + 10 {
            store.put(r, json!({"metadata": {"name": format!("c{}", i % 3), "namespace": "ns"}, "data": {"i": i.to_string()}}));
        }
        assert_eq!(store.changes_since(r, 1000).unwrap_err().code, 410);
        let recent = store.rv() - 5;
        assert_eq!(store.changes_since(r, recent).unwrap().len(), 5);
    }

    fn history_len(store: &Store, r: &Resource) -> usize {
        store.read(|i| i.collections.get(&id(r)).map_or(0, |c| c.history.len()))
    }

    #[test]
    fn the_history_is_bounded_by_a_count_sized_by_the_resource() {
        assert_eq!(history_capacity(0), HISTORY_MIN);
        assert_eq!(history_capacity(8_000), 1_000);
        assert_eq!(history_capacity(10_000_000), HISTORY_MAX);
        let store = Store::default();
        let r = find("", "v1", "configmaps").unwrap();
        let objects = 2_000;
        let capacity = history_capacity(objects);
        for i in 0..objects {
            store.put(r, json!({"metadata": {"name": format!("c{i}"), "namespace": "ns"}, "data": {"v": "0"}}));
        }
        assert_eq!(
            history_len(&store, r),
            capacity,
            "full from the start-up's changes"
        );
        let before_churn = store.rv();
        // Churn: every object changes five times; the history never holds more.
        for round in 1..=5 {
            for i in 0..objects {
                store.put(r, json!({"metadata": {"name": format!("c{i}"), "namespace": "ns"}, "data": {"v": round.to_string()}}));
                assert!(history_len(&store, r) <= capacity);
            }
        }
        assert_eq!(history_len(&store, r), capacity);
        // A resume from before the kept changes is 410 Gone; one within them replays the rest.
        let gone = store.changes_since(r, before_churn).unwrap_err();
        assert_eq!(gone.code, 410);
        let newest = store.rv();
        let kept = store.changes_since(r, newest - capacity as u64).unwrap();
        assert_eq!(kept.len(), capacity);
        assert_eq!(
            store
                .changes_since(r, newest - capacity as u64 - 1)
                .unwrap_err()
                .code,
            410
        );
        assert_eq!(store.count(r), objects);
    }

    #[test]
    fn old_changes_are_compacted_by_age_so_the_history_stays_small() {
        let store = Store::default();
        let r = find("", "v1", "configmaps").unwrap();
        for i in 0..100 {
            store.put(r, json!({"metadata": {"name": format!("c{}", i % 3), "namespace": "ns"}, "data": {"i": i.to_string()}}));
        }
        let newest = store.rv();
        assert_eq!(store.changes_since(r, newest - 10).unwrap().len(), 10);
        let later = Instant::now() + HISTORY_AGE + Duration::from_secs(1);
        store.write(|i| {
            if let Some(c) = i.collections.get_mut(&id(r)) {
                c.compact(later);
            }
        });
        assert_eq!(
            history_len(&store, r),
            0,
            "changes older than {HISTORY_AGE:?} are dropped"
        );
        assert_eq!(store.changes_since(r, newest - 1).unwrap_err().code, 410);
        assert!(store.changes_since(r, newest).unwrap().is_empty());
        // The objects themselves stay.
        assert_eq!(store.count(r), 3);
    }
}
