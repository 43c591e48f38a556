//! TrainedModels grouped by the InferenceService they are loaded into: the index kept in
//! step with the TrainedModel store (upserts, moves to another service, deletes, relists),
//! and the per-service reads the services list, the detail and `kdeck status` share.

use super::cluster::ClusterState;
use crate::domain::key::ObjectKey;
use crate::domain::trained::TrainedModel;

/// The InferenceService a TrainedModel names (none when `spec.inferenceService` is missing).
fn parent_of(tm: &TrainedModel) -> Option<ObjectKey> {
    (!tm.inference_service.is_empty())
        .then(|| ObjectKey::new(&tm.meta.namespace, &tm.inference_service))
}

/// How the TrainedModels of one service stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrainedCounts {
    pub total: usize,
    pub loaded: usize,
    pub failed: usize,
}

impl ClusterState {
    /// Stores a TrainedModel and files it under its InferenceService.
    pub(super) fn upsert_trained(&mut self, tm: TrainedModel) {
        let key = ObjectKey::new(&tm.meta.namespace, &tm.meta.name);
        let parent = parent_of(&tm);
        if let Some(old) = self.trained.upsert(key.clone(), tm)
            && parent_of(&old) != parent
        {
            self.unindex_trained(&key, &old);
        }
        if let Some(parent) = parent {
            self.trained_by_isvc.entry(parent).or_default().insert(key);
        }
    }

    /// Takes `key` out of the group of the service `tm` named.
    pub(super) fn unindex_trained(&mut self, key: &ObjectKey, tm: &TrainedModel) {
        if let Some(parent) = parent_of(tm)
            && let Some(set) = self.trained_by_isvc.get_mut(&parent)
        {
            set.remove(key);
            if set.is_empty() {
                self.trained_by_isvc.remove(&parent);
            }
        }
    }

    /// The TrainedModels loaded into the service `isvc`, by name.
    pub fn trained_of<'a>(&'a self, isvc: &ObjectKey) -> impl Iterator<Item = &'a TrainedModel> {
        self.trained_by_isvc
            .get(isvc)
            .into_iter()
            .flatten()
            .filter_map(|k| self.trained.items.get(k))
    }

    /// Counts of the service's TrainedModels by load state.
    pub fn trained_counts(&self, isvc: &ObjectKey) -> TrainedCounts {
        let mut counts = TrainedCounts::default();
        for tm in self.trained_of(isvc) {
            let state = tm.load_state();
            counts.total += 1;
            counts.loaded += usize::from(state == crate::domain::trained::LoadState::Loaded);
            counts.failed += usize::from(state.failed());
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kind::{Kind, parse};
    use crate::domain::watch::WatchEvent;
    use serde_json::json;

    fn fixture_events() -> Vec<WatchEvent> {
        crate::domain::trained::tests::fixture()
            .iter()
            .map(|v| WatchEvent::Upsert(parse(Kind::TrainedModel, v)))
            .collect()
    }

    fn tm(name: &str, parent: &str) -> WatchEvent {
        WatchEvent::Upsert(parse(
            Kind::TrainedModel,
            &json!({"metadata": {"name": name, "namespace": "ml"},
                "spec": {"inferenceService": parent, "model": {"storageUri": "s3://m"}}}),
        ))
    }

    #[test]
    fn trained_models_are_grouped_by_their_service_with_counts() {
        let mut c = ClusterState::default();
        c.apply(Kind::TrainedModel, fixture_events());
        let churn = ObjectKey::new("ml", "churn");
        let names: Vec<&str> = c.trained_of(&churn).map(|t| t.meta.name.as_str()).collect();
        assert_eq!(names, ["churn-big", "churn-v2", "churn-v3"]);
        assert_eq!(
            c.trained_counts(&churn),
            TrainedCounts {
                total: 3,
                loaded: 1,
                failed: 1
            }
        );
        // Without spec.inferenceService a TrainedModel is stored but in no group.
        assert!(
            c.trained
                .items
                .contains_key(&ObjectKey::new("ml", "no-spec"))
        );
        assert_eq!(c.trained_by_isvc.len(), 1);
    }

    #[test]
    fn moves_deletes_and_relists_keep_the_groups_right() {
        let mut c = ClusterState::default();
        let (a, b) = (ObjectKey::new("ml", "a"), ObjectKey::new("ml", "b"));
        c.apply(Kind::TrainedModel, vec![tm("m1", "a"), tm("m2", "a")]);
        assert_eq!(c.trained_counts(&a).total, 2);
        c.apply(Kind::TrainedModel, vec![tm("m2", "b")]);
        assert_eq!(c.trained_counts(&a).total, 1);
        assert_eq!(c.trained_counts(&b).total, 1);
        c.apply(
            Kind::TrainedModel,
            vec![
                WatchEvent::RelistStart,
                tm("m2", "b"),
                WatchEvent::RelistDone,
            ],
        );
        assert_eq!(c.trained_counts(&a).total, 0);
        assert!(!c.trained_by_isvc.contains_key(&a));
        c.apply(
            Kind::TrainedModel,
            vec![WatchEvent::Delete(ObjectKey::new("ml", "m2"))],
        );
        assert!(c.trained_by_isvc.is_empty());
        assert!(c.trained.is_empty());
    }
}
