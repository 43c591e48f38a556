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
    state.services_on_screen().contains(service)
}

#[cfg(test)]
mod tests {
    use crate::app::msg::{ClusterMsg, Msg};
    use crate::app::update::{settle, update};
    use crate::domain::key::ObjectKey;
    use crate::domain::kind::{Kind, parse};
    use crate::domain::watch::WatchEvent;
    use crate::state::State;
    use crate::ui::snapshot_tests::cluster_state;

    /// The fixture cluster on a screen two rows high, settled and drawn.
    fn two_rows() -> State {
        let mut s = cluster_state();
        update(
            &mut s,
            Msg::Resize {
                width: 120,
                height: 7,
            },
        );
        settle(&mut s);
        s.dirty = false;
        s.derived.targets_dirty = false;
        s
    }

    fn pod_of(s: &State, service: &ObjectKey) -> Msg {
        let pod = parse(
            Kind::Pod,
            &serde_json::json!({"metadata": {"name": format!("{}-predictor-00001-deployment-z", service.name),
                "namespace": service.namespace, "uid": "u-z",
                "labels": {"serving.kserve.io/inferenceservice": service.name, "component": "predictor"}},
                "status": {"phase": "Running"}}),
        );
        Msg::Cluster(ClusterMsg::Watch {
            epoch: s.cluster.epoch,
            kind: Kind::Pod,
            events: vec![WatchEvent::Upsert(pod)],
        })
    }

    fn off_screen(s: &State) -> ObjectKey {
        let rows = s.ui.list_rows();
        s.derived.services[rows..]
            .iter()
            .find(|k| s.derived.canaries.binary_search(k).is_err())
            .cloned()
            .expect("a service below the screen without a canary")
    }

    #[test]
    fn a_pod_of_a_service_off_screen_draws_no_frame_and_reads_no_new_targets() {
        let mut s = two_rows();
        let below = off_screen(&s);
        let msg = pod_of(&s, &below);
        update(&mut s, msg);
        assert!(!s.dirty, "{below} is not on screen");
        assert!(!s.derived.targets_dirty);
        assert_eq!(
            s.cluster.pods_of(&below).count(),
            1 + cluster_state().cluster.pods_of(&below).count()
        );
        // Its pod on screen: drawn again, and its targets may change.
        let top = s.derived.services[0].clone();
        let msg = pod_of(&s, &top);
        crate::app::update::update_deferred(&mut s, msg);
        assert!(s.dirty && s.derived.targets_dirty, "{top} is on screen");
    }

    #[test]
    fn off_screen_churn_draws_only_where_it_shows() {
        let event = |s: &State| {
            Msg::Cluster(ClusterMsg::Watch {
                epoch: s.cluster.epoch,
                kind: Kind::Event,
                events: vec![WatchEvent::Upsert(parse(
                    Kind::Event,
                    &serde_json::json!({"metadata": {"name": "e1", "namespace": "ml-prod"},
                        "involvedObject": {"kind": "Pod", "name": "x"}, "reason": "BackOff", "message": "restarting"}),
                ))],
            })
        };
        let mut s = two_rows();
        let msg = event(&s);
        update(&mut s, msg);
        assert!(!s.dirty, "the services list shows no events");
        // The events view shows them.
        s.ui.stack.push(crate::state::ui::Route::Events);
        let msg = event(&s);
        update(&mut s, msg);
        assert!(s.dirty);
    }

    #[test]
    fn a_service_off_screen_that_fails_redraws_the_title_count() {
        let mut s = two_rows();
        let below = ObjectKey::new("ml-prod", "sklearn-iris");
        assert!(!super::on_screen(&s, &below));
        let mut isvc =
            crate::ui::fixture_cluster::isvc_object(&below).expect("the fixture has the service");
        isvc["status"]["conditions"] =
            serde_json::json!([{"type": "Ready", "status": "False", "reason": "RevisionFailed"}]);
        let ready_before = s.derived.services_ready;
        let msg = Msg::Cluster(ClusterMsg::Watch {
            epoch: s.cluster.epoch,
            kind: Kind::InferenceService,
            events: vec![WatchEvent::Upsert(parse(Kind::InferenceService, &isvc))],
        });
        crate::app::update::update_deferred(&mut s, msg);
        s.dirty = false;
        settle(&mut s);
        assert_eq!(s.derived.services_ready + 1, ready_before);
        assert!(s.dirty, "the title's count changed");
    }
}
