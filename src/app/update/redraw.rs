//! Whether a watch batch can change what is on screen, so that a busy cluster's churn off
//! screen (pods restarting, events, nodes) costs no frame. Only the plain services list is
//! judged: it shows the rows on screen (their services and pods), the title's counts and
//! the stale marker; anything else on screen (another view, a dialog, a prompt, the help)
//! redraws on every batch. Rows that move, and counts that change, redraw through `settle`.

use crate::domain::key::ObjectKey;
use crate::domain::kind::{ClusterObject, Kind};
use crate::domain::watch::WatchEvent;
use crate::state::State;
use crate::state::ui::{Mode, Route};

/// Whether the batch of `kind` (read before it applies) can change the screen.
pub fn batch_shows(state: &State, kind: Kind, events: &[WatchEvent]) -> bool {
    if !plain_services_list(state) || state.cluster.stale_since().is_some() {
        return true;
    }
    match kind {
        // The list shows their rows and counts; their changes are few.
        Kind::InferenceService | Kind::LlmInferenceService | Kind::TrainedModel => true,
        Kind::Pod => events.iter().any(|event| pod_event_shows(state, event)),
        // Not shown by the list (the RUNTIME column reads the InferenceService).
        Kind::Event
        | Kind::Node
        | Kind::Namespace
        | Kind::ServingRuntime
        | Kind::ClusterServingRuntime
        | Kind::InferenceGraph => false,
    }
}

/// Only the services list with rows, without a dialog, prompt, command line or help.
fn plain_services_list(state: &State) -> bool {
    matches!(state.ui.route(), Route::Services)
        && matches!(state.ui.mode, Mode::Normal)
        && state.rollout.is_none()
        && state.group_rollout.is_none()
        && !state.derived.services.is_empty()
}

/// Whether a pod event reaches a service on screen (the pod before or after the change).
fn pod_event_shows(state: &State, event: &WatchEvent) -> bool {
    match pod_event_services(state, event) {
        Some(services) => services.iter().any(|s| on_screen(state, s)),
        None => true,
    }
}

/// The services a pod event reaches: the owner of the pod after the change and before it
/// (read before the event applies). None for a relist or a resumed watch (any pod).
pub fn pod_event_services(state: &State, event: &WatchEvent) -> Option<Vec<ObjectKey>> {
    let (new, key) = match event {
        WatchEvent::Upsert(ClusterObject::Pod(pod)) => (
            crate::state::cluster::pod_owner(pod),
            ObjectKey::new(&pod.meta.namespace, &pod.meta.name),
        ),
        WatchEvent::Delete(key) => (None, key.clone()),
        _ => return None,
    };
    let old = (state.cluster.pods.items.get(&key)).and_then(crate::state::cluster::pod_owner);
    Some(new.into_iter().chain(old).collect())
}

/// Whether `service`'s row is on screen.
pub fn on_screen(state: &State, service: &ObjectKey) -> bool {
    let offset = state
        .ui
        .lists
        .get(&crate::config::keymap::Scope::Services)
        .map_or(0, |l| l.cursor.offset);
    state
        .derived
        .services
        .iter()
        .skip(offset)
        .take(state.ui.list_rows())
        .any(|k| k == service)
}
