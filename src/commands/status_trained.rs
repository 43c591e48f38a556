//! TrainedModels in `kdeck status`: the `trained_models` of an InferenceService's JSON entry
//! (`name`, `ready`, `state`, `reason`), and the models that failed to load, which make the
//! exit code 1 (a model clients call that does not serve). A model still loading is not a
//! failure: the InferenceService serves its other models meanwhile.

use crate::domain::key::ObjectKey;
use crate::domain::trained::LoadState;
use crate::state::State;
use serde_json::{Value, json};

/// The service's TrainedModels for its JSON entry; `None` when it has none.
pub fn entries(state: &State, key: &ObjectKey) -> Option<Value> {
    let models: Vec<Value> = state
        .cluster
        .trained_of(key)
        .map(|tm| {
            let load = tm.load_state();
            json!({
                "name": tm.meta.name,
                "ready": load == LoadState::Loaded,
                "state": load.label(),
                "reason": load.reason(),
            })
        })
        .collect();
    (!models.is_empty()).then_some(Value::Array(models))
}

/// One line per TrainedModel of a listed service that failed to load.
pub fn failures(state: &State) -> Vec<String> {
    state
        .derived
        .services
        .iter()
        .flat_map(|key| {
            state
                .cluster
                .trained_of(key)
                .filter_map(move |tm| match tm.load_state() {
                    LoadState::FailedToLoad {
                        condition, reason, ..
                    } => Some(format!(
                        "{}/{} trained model {} failed to load: {condition} {reason}",
                        key.namespace, key.name, tm.meta.name
                    )),
                    _ => None,
                })
        })
        .collect()
}
