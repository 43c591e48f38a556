//! Shared copies of what thousands of objects repeat: label keys and values
//! (`serving.kserve.io/inferenceservice`, `component: predictor` …), container names and
//! images, and whole label sets. Each distinct string is kept once, as an `Arc<str>` that
//! every object holding it shares (16 bytes a use instead of a 24-byte `String` and its own
//! heap copy); each distinct set of label (or annotation) pairs is kept once too, as an
//! `Arc<[…]>`: the pods of one revision carry the same labels, so they share one list.
//!
//! The pools are process-wide. Each forgets what no object holds any more whenever it has
//! doubled since its last sweep, so a long session with churning pods (new pod-template
//! hashes, new revisions) does not grow them without bound.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// A pool never sweeps below this many entries.
const MIN_SWEEP: usize = 4096;

/// Key-value pairs of metadata (labels, annotations), as one shared list.
pub type Pairs = [(Arc<str>, Arc<str>)];

struct Pool<T: ?Sized> {
    items: HashSet<Arc<T>>,
    sweep_at: usize,
}

static STRINGS: Mutex<Option<Pool<str>>> = Mutex::new(None);
static PAIRS: Mutex<Option<Pool<Pairs>>> = Mutex::new(None);

/// The pooled copy of `item`, made by `make` when the pool has none.
fn share<T: ?Sized + Eq + Hash>(
    pool: &Mutex<Option<Pool<T>>>,
    item: &T,
    make: impl FnOnce(&T) -> Arc<T>,
) -> Arc<T> {
    let Ok(mut guard) = pool.lock() else {
        // A thread panicked while holding the pool: an unshared copy is still correct.
        return make(item);
    };
    let pool = guard.get_or_insert_with(|| Pool {
        items: HashSet::new(),
        sweep_at: MIN_SWEEP,
    });
    if let Some(shared) = pool.items.get(item) {
        return shared.clone();
    }
    let shared = make(item);
    pool.items.insert(shared.clone());
    if pool.items.len() >= pool.sweep_at {
        pool.items.retain(|s| Arc::strong_count(s) > 1);
        pool.sweep_at = (pool.items.len() * 2).max(MIN_SWEEP);
    }
    shared
}

/// A pool of another module's repeated values (a pod's container list …), shared the way
/// strings and label sets are: equal values share one `Arc`, and what no object holds any
/// more is forgotten as the pool grows.
pub struct SharedPool<T: ?Sized>(Mutex<Option<Pool<T>>>);

impl<T: ?Sized + Eq + Hash> SharedPool<T> {
    pub const fn new() -> Self {
        SharedPool(Mutex::new(None))
    }

    /// The pooled copy of `item`, made by `make` when the pool has none.
    pub fn share(&self, item: &T, make: impl FnOnce(&T) -> Arc<T>) -> Arc<T> {
        share(&self.0, item, make)
    }
}

impl<T: ?Sized + Eq + Hash> Default for SharedPool<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The shared copy of `text`.
pub fn intern(text: &str) -> Arc<str> {
    share(&STRINGS, text, |t| Arc::from(t))
}

/// The shared list of these pairs (each string shared too); the same pairs in the same
/// order give the same list.
pub fn intern_pairs(pairs: &[(&str, &str)]) -> Arc<Pairs> {
    let pairs: Vec<(Arc<str>, Arc<str>)> =
        pairs.iter().map(|(k, v)| (intern(k), intern(v))).collect();
    share(&PAIRS, &pairs[..], |p| Arc::from(p))
}

/// How many distinct strings the pool holds now (for the tests).
#[cfg(test)]
fn pooled() -> usize {
    STRINGS
        .lock()
        .ok()
        .and_then(|p| p.as_ref().map(|p| p.items.len()))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_copy() {
        let a = intern("serving.kserve.io/inferenceservice");
        let b = intern(&String::from("serving.kserve.io/inferenceservice"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "serving.kserve.io/inferenceservice");
        assert!(!Arc::ptr_eq(&a, &intern("component")));
    }

    #[test]
    fn strings_nobody_holds_are_forgotten() {
        // Far more unique strings than a sweep keeps, none of them held: the pool stays small.
        for i in 0..(MIN_SWEEP * 4) {
            drop(intern(&format!("pod-template-hash-{i}")));
        }
        let held = intern("still-held-by-an-object");
        assert!(pooled() <= MIN_SWEEP * 2, "{} strings pooled", pooled());
        assert!(Arc::ptr_eq(&held, &intern("still-held-by-an-object")));
    }

    #[test]
    fn equal_label_sets_share_one_list() {
        let a = intern_pairs(&[("app", "fraud"), ("component", "predictor")]);
        let b = intern_pairs(&[("app", "fraud"), ("component", "predictor")]);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(
            Arc::ptr_eq(&a[0].1, &intern("fraud")),
            "its strings are shared too"
        );
        let other = intern_pairs(&[("app", "fraud"), ("component", "transformer")]);
        assert!(!Arc::ptr_eq(&a, &other));
        assert_eq!(&*other[1].1, "transformer");
        assert!(intern_pairs(&[]).is_empty());
    }
}
