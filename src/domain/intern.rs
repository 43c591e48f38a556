//! Shared copies of the strings thousands of objects repeat: label keys and values
//! (`serving.kserve.io/inferenceservice`, `component: predictor` …), container names and
//! images. Each distinct string is kept once, as an `Arc<str>` that every object holding it
//! shares (16 bytes a use instead of a 24-byte `String` and its own heap copy).
//!
//! The pool is process-wide. It forgets strings no object holds any more whenever it has
//! doubled since the last sweep, so a long session with churning pods (new pod-template
//! hashes, new revisions) does not grow it without bound.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The pool never sweeps below this many strings.
const MIN_SWEEP: usize = 4096;

struct Pool {
    strings: HashSet<Arc<str>>,
    sweep_at: usize,
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

/// The shared copy of `text`.
pub fn intern(text: &str) -> Arc<str> {
    let Ok(mut guard) = POOL.lock() else {
        // A thread panicked while holding the pool: an unshared copy is still correct.
        return Arc::from(text);
    };
    let pool = guard.get_or_insert_with(|| Pool {
        strings: HashSet::new(),
        sweep_at: MIN_SWEEP,
    });
    if let Some(shared) = pool.strings.get(text) {
        return shared.clone();
    }
    let shared: Arc<str> = Arc::from(text);
    pool.strings.insert(shared.clone());
    if pool.strings.len() >= pool.sweep_at {
        pool.strings.retain(|s| Arc::strong_count(s) > 1);
        pool.sweep_at = (pool.strings.len() * 2).max(MIN_SWEEP);
    }
    shared
}

/// How many distinct strings the pool holds now (for the tests).
#[cfg(test)]
fn pooled() -> usize {
    POOL.lock()
        .ok()
        .and_then(|p| p.as_ref().map(|p| p.strings.len()))
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
}
