//! The services list's derived order, kept between frames: the listed keys in order, the
//! title's counts (Ready, failing canaries) and the canaries in progress, with each service's
//! facts (`services::RowFacts`) cached. A change to a few services (a watch event, a round
//! of figures for the rows on screen) recomputes only their facts and moves only their
//! rows, so the work per change does not grow with the number of services; a change to the
//! filter, the sort or the namespaces, or to many services at once, re-derives everything.

use super::State;
use super::services::{ListSpec, RowFacts, row_facts, row_order};
use crate::domain::key::ObjectKey;
use std::collections::{BTreeSet, HashMap, HashSet};

/// The facts each service's row was placed with, and the spec the order was built under.
#[derive(Debug, Clone, Default)]
pub struct Order {
    facts: HashMap<ObjectKey, RowFacts>,
    spec: Option<ListSpec>,
}

impl Order {
    /// The position of `key` in `rows` (the listed keys in this order), by binary search.
    pub fn position(&self, rows: &[ObjectKey], key: &ObjectKey) -> Option<usize> {
        let facts = self.facts.get(key).filter(|f| f.listed)?;
        self.search(rows, facts, key).ok()
    }

    /// Where `key` with `facts` is (Ok) or would go (Err) in `rows`.
    fn search(
        &self,
        rows: &[ObjectKey],
        facts: &RowFacts,
        key: &ObjectKey,
    ) -> Result<usize, usize> {
        let descending = self.spec.as_ref().is_some_and(|s| s.descending);
        rows.binary_search_by(|probe| match self.facts.get(probe) {
            Some(probe_facts) => row_order(descending, (probe_facts, probe), (facts, key)),
            // Never: every listed key has facts. Sorting it first keeps the search total.
            None => std::cmp::Ordering::Less,
        })
    }
}

/// Above this many changed services (plus one in 64 of all), re-deriving everything is
/// about as cheap as moving each one.
const INCREMENTAL_MAX: usize = 32;

/// Brings the order up to date: everything when `derived.dirty` is set or the spec changed,
/// else the services in `derived.touched`. Returns whether anything changed (rows, counts
/// or canaries).
pub fn refresh(state: &mut State) -> bool {
    let spec = ListSpec::of(state);
    let spec_changed = !state
        .derived
        .order
        .spec
        .as_ref()
        .is_some_and(|s| s.same_as(&spec));
    let touched = std::mem::take(&mut state.derived.touched);
    let many = touched.len() > INCREMENTAL_MAX + state.derived.services.len() / 64;
    if state.derived.dirty || spec_changed || many {
        rebuild(state, spec);
        return true;
    }
    let mut changed = false;
    for key in touched {
        let facts = row_facts(state, &spec, &key);
        match move_row(state, &key, facts) {
            Moved::Same => {}
            Moved::Changed => changed = true,
            Moved::Lost => {
                // The cache disagreed with the rows (never expected): start afresh.
                rebuild(state, spec);
                return true;
            }
        }
    }
    changed
}

enum Moved {
    Same,
    Changed,
    Lost,
}

/// Replaces `key`'s facts: its row leaves its old place and takes its new one, the counts
/// and the canaries follow.
fn move_row(state: &mut State, key: &ObjectKey, new: Option<RowFacts>) -> Moved {
    let derived = &mut state.derived;
    let order = &mut derived.order;
    let old = order.facts.get(key);
    if old == new.as_ref() {
        return Moved::Same;
    }
    let at = match old.filter(|f| f.listed) {
        Some(old) => match order.search(&derived.services, old, key) {
            Ok(at) => Some(at),
            Err(_) => return Moved::Lost,
        },
        None => None,
    };
    let old = match new.clone() {
        Some(new) => order.facts.insert(key.clone(), new),
        None => order.facts.remove(key),
    };
    let rows = &mut derived.services;
    match (at, new.as_ref().filter(|f| f.listed)) {
        (Some(at), Some(new)) if stays(order, rows, at, new, key) => {}
        (at, new_place) => {
            if let Some(at) = at {
                rows.remove(at);
            }
            if let Some(new) = new_place {
                match order.search(rows, new, key) {
                    Err(to) => rows.insert(to, key.clone()),
                    Ok(_) => return Moved::Lost,
                }
            }
        }
    }
    let count = |f: Option<&RowFacts>, what: fn(&RowFacts) -> bool| {
        usize::from(f.is_some_and(|f| f.listed && what(f)))
    };
    derived.services_ready = (derived.services_ready + count(new.as_ref(), |f| f.ready))
        .saturating_sub(count(old.as_ref(), |f| f.ready));
    if count(new.as_ref(), |f| f.failing) == 1 {
        derived.failing_canaries.insert(key.clone());
    } else {
        derived.failing_canaries.remove(key);
    }
    let canary = new.as_ref().is_some_and(|f| f.canary);
    match (derived.canaries.binary_search(key), canary) {
        (Err(to), true) => derived.canaries.insert(to, key.clone()),
        (Ok(at), false) => drop(derived.canaries.remove(at)),
        _ => {}
    }
    Moved::Changed
}

/// Whether the row at `at`, with its new facts, still sorts between its neighbours.
fn stays(order: &Order, rows: &[ObjectKey], at: usize, new: &RowFacts, key: &ObjectKey) -> bool {
    let descending = order.spec.as_ref().is_some_and(|s| s.descending);
    let before = |other: &ObjectKey| {
        order
            .facts
            .get(other)
            .map(|f| row_order(descending, (f, other), (new, key)))
    };
    let after_previous = at == 0 || rows.get(at - 1).and_then(before).is_some_and(|o| o.is_lt());
    let before_next = rows.get(at + 1).and_then(before).is_none_or(|o| o.is_gt());
    after_previous && before_next
}

/// Re-derives the whole list from the stores.
fn rebuild(state: &mut State, spec: ListSpec) {
    let isvcs = state.cluster.isvcs.items.keys();
    // An LLMInferenceService named like an InferenceService of its namespace is one row.
    let llms = (state.cluster.llm_isvcs.items.keys())
        .filter(|k| !state.cluster.isvcs.items.contains_key(*k));
    let facts: HashMap<ObjectKey, RowFacts> = isvcs
        .chain(llms)
        .filter_map(|k| row_facts(state, &spec, k).map(|f| (k.clone(), f)))
        .collect();
    let mut rows: Vec<&ObjectKey> = facts
        .iter()
        .filter(|(_, f)| f.listed)
        .map(|(k, _)| k)
        .collect();
    rows.sort_by(|a, b| row_order(spec.descending, (&facts[*a], a), (&facts[*b], b)));
    let derived = &mut state.derived;
    derived.services = rows.into_iter().cloned().collect();
    derived.services_ready = facts.values().filter(|f| f.listed && f.ready).count();
    derived.failing_canaries = facts
        .iter()
        .filter(|(_, f)| f.listed && f.failing)
        .map(|(k, _)| k.clone())
        .collect::<BTreeSet<_>>();
    let mut canaries: Vec<ObjectKey> = facts
        .iter()
        .filter(|(_, f)| f.canary)
        .map(|(k, _)| k.clone())
        .collect();
    canaries.sort();
    derived.canaries = canaries;
    derived.services_filter_error = spec.error.clone();
    derived.order = Order {
        facts,
        spec: Some(spec),
    };
    derived.dirty = false;
    derived.touched = HashSet::new();
}
