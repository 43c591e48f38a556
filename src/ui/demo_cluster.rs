//! The demo scenario of the simulated cluster, as the console's state holds it, for screen
//! tests: the sim builds its objects, each goes through the same parsing the watchers use,
//! and every timestamp is pinned so snapshots never change.

use crate::domain::kind::{KINDS, parse};
use crate::domain::watch::WatchEvent;
use crate::sim::clock::SimClock;
use crate::sim::scenario::{self, Scenario};
use crate::sim::store::Store;
use crate::sim::workload::Workload;
use crate::state::cluster::ClusterState;
use serde_json::Value;
use std::sync::Arc;

/// Every object's time, one hour before the screen tests' fixed clock.
const PINNED: &str = "2026-11-20T11:00:00Z";

/// Replaces every RFC 3339 timestamp in `value` with the pinned time.
fn pin_times(value: &mut Value) {
    match value {
        Value::String(s) if crate::domain::k8s::parse_time(s).is_some() && s.contains('T') => {
            *s = PINNED.to_string();
        }
        Value::Array(items) => items.iter_mut().for_each(pin_times),
        Value::Object(map) => map.values_mut().for_each(pin_times),
        _ => {}
    }
}

/// Every object of the demo scenario by kind, with pinned times.
fn objects() -> Vec<(crate::domain::kind::Kind, Vec<Value>)> {
    let store = Store::default();
    let workload = Arc::new(Workload::default());
    let clock = SimClock::new(1.0);
    let _controller = scenario::build(Scenario::Demo, 0, &store, &workload, clock);
    // The TrainedModels' status, as the controller writes it once they had their load time.
    crate::sim::controller::trained::pass(
        &store,
        &clock,
        chrono::Utc::now() + chrono::Duration::hours(1),
    );
    KINDS
        .iter()
        .filter_map(|spec| {
            let resource = crate::sim::resources::find(spec.group, spec.version, spec.plural)?;
            let values = store
                .list(resource, None)
                .0
                .iter()
                .map(|obj| {
                    let mut obj = (**obj).clone();
                    pin_times(&mut obj);
                    obj
                })
                .collect();
            Some((spec.kind, values))
        })
        .collect()
}

/// The demo cluster, loaded and synced.
pub fn cluster() -> ClusterState {
    let mut cluster = ClusterState::default();
    for (kind, values) in objects() {
        let events: Vec<WatchEvent> = values
            .iter()
            .map(|obj| WatchEvent::Upsert(parse(kind, obj)))
            .collect();
        cluster.apply(kind, events);
    }
    cluster.isvcs.synced = true;
    cluster
}

/// One object of the demo cluster as the API server would answer a read of it.
pub fn object(
    kind: crate::domain::kind::Kind,
    key: &crate::domain::key::ObjectKey,
) -> Option<Value> {
    objects()
        .into_iter()
        .filter(|(k, _)| *k == kind)
        .flat_map(|(_, values)| values)
        .find(|v| super::fixture_cluster::is(v, key))
}
