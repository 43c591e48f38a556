//! What the console knows about the cluster: one store per watched kind, an index of pods by
//! InferenceService, and whether KServe is installed. Fed only by watch messages.

use super::store::Store;
use crate::domain::event::Event;
use crate::domain::isvc::Isvc;
use crate::domain::k8s::Meta;
use crate::domain::key::ObjectKey;
use crate::domain::kind::{ClusterObject, Kind};
use crate::domain::llm::Llm;
use crate::domain::node::Node;
use crate::domain::pod::Pod;
use crate::domain::runtime::{Graph, Runtime};
use crate::domain::trained::TrainedModel;
use crate::domain::watch::{Kserve, WatchEvent};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};

/// Events kept at most (the oldest go first); a busy cluster makes many.
pub const MAX_EVENTS: usize = 5_000;

/// All cluster data.
#[derive(Debug, Clone, Default)]
pub struct ClusterState {
    /// Bumped on every context or namespace switch; messages from older watchers are dropped.
    pub epoch: u64,
    pub kserve: Kserve,
    pub isvcs: Store<Isvc>,
    pub llm_isvcs: Store<Llm>,
    pub pods: Store<Pod>,
    pub nodes: Store<Node>,
    pub events: Store<Event>,
    pub runtimes: Store<Runtime>,
    pub graphs: Store<Graph>,
    pub namespaces: Store<()>,
    /// TrainedModels (multi-model serving); grouped by InferenceService in `trained_by_isvc`.
    pub trained: Store<TrainedModel>,
    /// TrainedModels by the InferenceService they name (namespace, service name).
    pub trained_by_isvc: HashMap<ObjectKey, BTreeSet<ObjectKey>>,
    /// Pods by the InferenceService they serve (namespace, service name).
    pub pods_by_isvc: HashMap<ObjectKey, BTreeSet<ObjectKey>>,
    /// Every event by when it was last seen, oldest first: trimming takes the oldest
    /// without sorting them all.
    pub(crate) event_ages: BTreeSet<(Option<DateTime<Utc>>, ObjectKey)>,
}

fn key_of(meta: &Meta) -> ObjectKey {
    ObjectKey::new(&meta.namespace, &meta.name)
}

/// The service a pod serves: its InferenceService, or its LLMInferenceService.
pub fn pod_owner(pod: &Pod) -> Option<ObjectKey> {
    pod.isvc()
        .or_else(|| crate::domain::llm::pods::service_of(pod))
        .map(|service| ObjectKey::new(&pod.meta.namespace, service))
}

impl ClusterState {
    /// Applies a batch of watch events for one kind.
    pub fn apply(&mut self, kind: Kind, events: Vec<WatchEvent>) {
        for event in events {
            match event {
                WatchEvent::RelistStart => self.relist_start(kind),
                WatchEvent::RelistDone => self.relist_done(kind),
                WatchEvent::Live => self.live(kind),
                WatchEvent::Upsert(object) => self.upsert(object),
                WatchEvent::Delete(key) => self.delete(kind, &key),
            }
        }
        if kind == Kind::Event && self.events.len() > MAX_EVENTS {
            self.trim_events();
        }
    }

    fn relist_start(&mut self, kind: Kind) {
        match kind {
            Kind::InferenceService => self.isvcs.relist_start(),
            Kind::LlmInferenceService => self.llm_isvcs.relist_start(),
            Kind::TrainedModel => self.trained.relist_start(),
            Kind::Pod => self.pods.relist_start(),
            Kind::Node => self.nodes.relist_start(),
            Kind::Event => self.events.relist_start(),
            Kind::ServingRuntime | Kind::ClusterServingRuntime => self.runtimes.relist_start(),
            Kind::InferenceGraph => self.graphs.relist_start(),
            Kind::Namespace => self.namespaces.relist_start(),
        }
    }

    fn live(&mut self, kind: Kind) {
        match kind {
            Kind::InferenceService => self.isvcs.live(),
            Kind::LlmInferenceService => self.llm_isvcs.live(),
            Kind::TrainedModel => self.trained.live(),
            Kind::Pod => self.pods.live(),
            Kind::Node => self.nodes.live(),
            Kind::Event => self.events.live(),
            Kind::ServingRuntime | Kind::ClusterServingRuntime => self.runtimes.live(),
            Kind::InferenceGraph => self.graphs.live(),
            Kind::Namespace => self.namespaces.live(),
        }
    }

    fn relist_done(&mut self, kind: Kind) {
        match kind {
            Kind::InferenceService => drop(self.isvcs.relist_done()),
            Kind::LlmInferenceService => drop(self.llm_isvcs.relist_done()),
            Kind::TrainedModel => {
                for (key, tm) in self.trained.relist_done() {
                    self.unindex_trained(&key, &tm);
                }
            }
            Kind::Pod => {
                for (key, pod) in self.pods.relist_done() {
                    self.unindex_pod(&key, &pod);
                }
            }
            Kind::Node => drop(self.nodes.relist_done()),
            Kind::Event => {
                for (key, event) in self.events.relist_done() {
                    self.event_ages.remove(&(event.last_seen, key));
                }
            }
            Kind::ServingRuntime | Kind::ClusterServingRuntime => {
                // Both runtime kinds share one store; only drop those of the relisted scope.
                let cluster_scoped = kind == Kind::ClusterServingRuntime;
                let gone = self.runtimes.relist_done();
                for (key, runtime) in gone {
                    if runtime.cluster_scoped != cluster_scoped {
                        self.runtimes.items.insert(key, runtime);
                    }
                }
            }
            Kind::InferenceGraph => drop(self.graphs.relist_done()),
            Kind::Namespace => drop(self.namespaces.relist_done()),
        }
    }

    fn upsert(&mut self, object: ClusterObject) {
        match object {
            ClusterObject::Isvc(isvc) => {
                self.isvcs.upsert(key_of(&isvc.meta), *isvc);
            }
            ClusterObject::Llm(llm) => {
                self.llm_isvcs.upsert(key_of(&llm.meta), *llm);
            }
            ClusterObject::Trained(tm) => self.upsert_trained(*tm),
            ClusterObject::Pod(pod) => {
                let key = key_of(&pod.meta);
                if let Some(owner) = pod_owner(&pod) {
                    self.pods_by_isvc
                        .entry(owner)
                        .or_default()
                        .insert(key.clone());
                }
                if let Some(old) = self.pods.upsert(key.clone(), *pod)
                    && pod_owner(&old) != self.pods.items.get(&key).and_then(pod_owner)
                {
                    self.unindex_pod(&key, &old);
                    if let Some(owner) = self.pods.items.get(&key).and_then(pod_owner) {
                        self.pods_by_isvc.entry(owner).or_default().insert(key);
                    }
                }
            }
            ClusterObject::Node(node) => {
                self.nodes.upsert(key_of(&node.meta), *node);
            }
            ClusterObject::Event(event) => {
                let (key, at) = (key_of(&event.meta), event.last_seen);
                if let Some(old) = self.events.upsert(key.clone(), *event) {
                    self.event_ages.remove(&(old.last_seen, key.clone()));
                }
                self.event_ages.insert((at, key));
            }
            ClusterObject::Runtime(runtime) => {
                self.runtimes.upsert(key_of(&runtime.meta), *runtime);
            }
            ClusterObject::Graph(graph) => {
                self.graphs.upsert(key_of(&graph.meta), *graph);
            }
            ClusterObject::Namespace(name) => {
                self.namespaces.upsert(ObjectKey::new("", &name), ());
            }
        }
    }

    fn delete(&mut self, kind: Kind, key: &ObjectKey) {
        match kind {
            Kind::InferenceService => drop(self.isvcs.remove(key)),
            Kind::LlmInferenceService => drop(self.llm_isvcs.remove(key)),
            Kind::TrainedModel => {
                if let Some(tm) = self.trained.remove(key) {
                    self.unindex_trained(key, &tm);
                }
            }
            Kind::Pod => {
                if let Some(pod) = self.pods.remove(key) {
                    self.unindex_pod(key, &pod);
                }
            }
            Kind::Node => drop(self.nodes.remove(key)),
            Kind::Event => {
                if let Some(event) = self.events.remove(key) {
                    self.event_ages.remove(&(event.last_seen, key.clone()));
                }
            }
            Kind::ServingRuntime | Kind::ClusterServingRuntime => drop(self.runtimes.remove(key)),
            Kind::InferenceGraph => drop(self.graphs.remove(key)),
            Kind::Namespace => drop(self.namespaces.remove(key)),
        }
    }

    fn unindex_pod(&mut self, key: &ObjectKey, pod: &Pod) {
        if let Some(owner) = pod_owner(pod)
            && let Some(set) = self.pods_by_isvc.get_mut(&owner)
        {
            set.remove(key);
            if set.is_empty() {
                self.pods_by_isvc.remove(&owner);
            }
        }
    }

    /// Drops the oldest events beyond [`MAX_EVENTS`]: work for the ones dropped only.
    fn trim_events(&mut self) {
        while self.events.len() > MAX_EVENTS {
            let Some((_, key)) = self.event_ages.pop_first() else {
                break;
            };
            self.events.items.remove(&key);
        }
    }

    /// Marks a kind's watch as broken.
    pub fn mark_stale(&mut self, kind: Kind, now: DateTime<Utc>, error: String, forbidden: bool) {
        match kind {
            Kind::InferenceService => self.isvcs.mark_stale(now, error, forbidden),
            Kind::LlmInferenceService => self.llm_isvcs.mark_stale(now, error, forbidden),
            Kind::TrainedModel => self.trained.mark_stale(now, error, forbidden),
            Kind::Pod => self.pods.mark_stale(now, error, forbidden),
            Kind::Node => self.nodes.mark_stale(now, error, forbidden),
            Kind::Event => self.events.mark_stale(now, error, forbidden),
            Kind::ServingRuntime | Kind::ClusterServingRuntime => {
                self.runtimes.mark_stale(now, error, forbidden)
            }
            Kind::InferenceGraph => self.graphs.mark_stale(now, error, forbidden),
            Kind::Namespace => self.namespaces.mark_stale(now, error, forbidden),
        }
    }

    /// The earliest broken watch among the kinds the console shows (namespaces aside;
    /// TrainedModels are extra detail and say so in their own section).
    pub fn stale_since(&self) -> Option<(DateTime<Utc>, &str)> {
        [
            self.isvcs.stale.as_ref(),
            self.llm_isvcs.stale.as_ref(),
            self.pods.stale.as_ref(),
            self.nodes.stale.as_ref(),
            self.events.stale.as_ref(),
            self.runtimes.stale.as_ref(),
            self.graphs.stale.as_ref(),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|s| s.since)
        .map(|s| (s.since, s.error.as_str()))
    }

    /// Pods of one InferenceService.
    pub fn pods_of<'a>(&'a self, isvc: &ObjectKey) -> impl Iterator<Item = &'a Pod> + 'a {
        self.pods_by_isvc
            .get(isvc)
            .into_iter()
            .flatten()
            .filter_map(|k| self.pods.items.get(k))
    }

    /// Recent events about an object (and, for a service, its pods), newest first.
    pub fn events_for(&self, namespace: &str, names: &BTreeSet<String>) -> Vec<&Event> {
        let mut events: Vec<&Event> = self
            .events
            .items
            .values()
            .filter(|e| e.meta.namespace == namespace && names.contains(&*e.object_name))
            .collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
        events
    }

    /// Namespaces known from the namespace list or from objects seen.
    pub fn known_namespaces(&self) -> Vec<String> {
        let mut names: BTreeSet<String> = self
            .namespaces
            .items
            .keys()
            .map(|k| k.name.clone())
            .collect();
        names.extend(self.isvcs.items.keys().map(|k| k.namespace.clone()));
        names.into_iter().filter(|n| !n.is_empty()).collect()
    }

    /// Node by name.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.items.get(&ObjectKey::new("", name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, isvc: &str) -> ClusterObject {
        crate::domain::kind::parse(
            Kind::Pod,
            &json!({"metadata": {"name": name, "namespace": "ml", "labels": {"serving.kserve.io/inferenceservice": isvc}}}),
        )
    }

    #[test]
    fn pods_are_indexed_by_service_through_moves_and_relists() {
        let mut c = ClusterState::default();
        c.apply(
            Kind::Pod,
            vec![
                WatchEvent::Upsert(pod("p1", "a")),
                WatchEvent::Upsert(pod("p2", "a")),
            ],
        );
        let a = ObjectKey::new("ml", "a");
        assert_eq!(c.pods_of(&a).count(), 2);
        c.apply(Kind::Pod, vec![WatchEvent::Upsert(pod("p2", "b"))]);
        assert_eq!(c.pods_of(&a).count(), 1);
        assert_eq!(c.pods_of(&ObjectKey::new("ml", "b")).count(), 1);
        c.apply(
            Kind::Pod,
            vec![
                WatchEvent::RelistStart,
                WatchEvent::Upsert(pod("p2", "b")),
                WatchEvent::RelistDone,
            ],
        );
        assert_eq!(c.pods_of(&a).count(), 0);
        assert!(!c.pods_by_isvc.contains_key(&a));
        c.apply(
            Kind::Pod,
            vec![WatchEvent::Delete(ObjectKey::new("ml", "p2"))],
        );
        assert!(c.pods_by_isvc.is_empty());
    }

    #[test]
    fn events_are_bounded() {
        let mut c = ClusterState::default();
        let events: Vec<WatchEvent> = (0..MAX_EVENTS + 10)
            .map(|i| {
                WatchEvent::Upsert(crate::domain::kind::parse(
                    Kind::Event,
                    &json!({"metadata": {"name": format!("e{i}"), "namespace": "ml"},
                        "lastTimestamp": format!("2026-01-01T{:02}:{:02}:{:02}Z", i / 3600, (i / 60) % 60, i % 60)}),
                ))
            })
            .collect();
        c.apply(Kind::Event, events);
        assert_eq!(c.events.len(), MAX_EVENTS);
        assert!(!c.events.items.contains_key(&ObjectKey::new("ml", "e0")));
    }

    fn event_at(name: &str, second: usize) -> WatchEvent {
        WatchEvent::Upsert(crate::domain::kind::parse(
            Kind::Event,
            &json!({"metadata": {"name": name, "namespace": "ml"},
                "lastTimestamp": format!("2026-01-01T{:02}:{:02}:{:02}Z", second / 3600, (second / 60) % 60, second % 60)}),
        ))
    }

    #[test]
    fn trimming_drops_the_oldest_by_their_latest_sighting() {
        let mut c = ClusterState::default();
        let key = |name: &str| ObjectKey::new("ml", name);
        let events: Vec<WatchEvent> = (0..MAX_EVENTS)
            .map(|i| event_at(&format!("e{i}"), i))
            .collect();
        c.apply(Kind::Event, events);
        // e0 is seen again (now the newest), e1 is deleted, e2 vanishes in a relist.
        c.apply(Kind::Event, vec![event_at("e0", MAX_EVENTS + 1)]);
        c.apply(Kind::Event, vec![WatchEvent::Delete(key("e1"))]);
        let mut relist = vec![WatchEvent::RelistStart];
        relist.extend((0..MAX_EVENTS).filter(|i| ![1, 2].contains(i)).map(|i| {
            let second = if i == 0 { MAX_EVENTS + 1 } else { i };
            event_at(&format!("e{i}"), second)
        }));
        relist.push(WatchEvent::RelistDone);
        c.apply(Kind::Event, relist);
        assert_eq!(c.events.len(), MAX_EVENTS - 2);
        // Three newer ones: one over the bound, so the oldest left (e3) goes.
        c.apply(
            Kind::Event,
            (0..3)
                .map(|i| event_at(&format!("n{i}"), MAX_EVENTS + 2 + i))
                .collect(),
        );
        assert_eq!(c.events.len(), MAX_EVENTS);
        assert!(c.events.items.contains_key(&key("e0")));
        assert!(!c.events.items.contains_key(&key("e3")));
        assert!(c.events.items.contains_key(&key("e4")));
        assert!(c.events.items.contains_key(&key("n0")));
        assert_eq!(c.event_ages.len(), c.events.len());
    }
}
