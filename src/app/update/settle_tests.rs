//! Derived views once per frame: background messages only mark what they change, `settle`
//! derives the rows and the latency targets once for the whole burst, and input settles
//! first so that it acts on the rows the user sees.

use crate::app::msg::{Measurements, Msg};
use crate::app::update::{settle, unsettled, update, update_deferred};
use crate::ui::snapshot_tests::{cluster_state, key};

/// A round of figures for one service on screen.
fn metrics() -> Msg {
    let key = crate::domain::key::ObjectKey::new("ml-prod", "fraud-detector");
    let figures = crate::domain::figures::RevisionFigures {
        p99_ms: Some(120.0),
        error_ratio: Some(0.01),
        ..Default::default()
    };
    Msg::Metrics(Measurements {
        services: vec![(key, figures)],
        ..Measurements::default()
    })
}

#[test]
fn a_burst_of_background_messages_is_derived_once_when_settled() {
    let mut s = cluster_state();
    update(
        &mut s,
        Msg::Resize {
            width: 120,
            height: 30,
        },
    );
    assert!(!unsettled(&s));
    for _ in 0..3 {
        assert!(update_deferred(&mut s, metrics()).is_empty());
        assert!(s.derived.pending(), "a metric round waits for the frame");
        assert!(!s.derived.dirty, "it marks only the rows it measured");
    }
    assert!(
        !s.derived.targets_dirty,
        "metric rounds change no target by themselves"
    );
    settle(&mut s);
    assert!(!unsettled(&s), "settled once for the burst");
    assert!(!s.derived.services.is_empty());
}

#[test]
fn input_acts_on_settled_rows_and_marks_the_targets() {
    let mut s = cluster_state();
    update_deferred(&mut s, metrics());
    assert!(s.derived.pending());
    update_deferred(&mut s, key('j'));
    assert!(!s.derived.pending(), "the rows were derived before the key");
    assert!(
        s.derived.targets_dirty,
        "a key may change what is on screen"
    );
    settle(&mut s);
    assert!(!unsettled(&s));
}

fn pod_batch(s: &crate::state::State) -> Msg {
    let pod = crate::domain::kind::parse(
        crate::domain::kind::Kind::Pod,
        &serde_json::json!({"metadata": {"name": "fraud-detector-predictor-00001-deployment-x", "namespace": "ml-prod",
            "labels": {"serving.kserve.io/inferenceservice": "fraud-detector"}},
            "status": {"phase": "Running"}}),
    );
    Msg::Cluster(crate::app::msg::ClusterMsg::Watch {
        epoch: s.cluster.epoch,
        kind: crate::domain::kind::Kind::Pod,
        events: vec![crate::domain::watch::WatchEvent::Upsert(pod)],
    })
}

#[test]
fn pods_reorder_the_rows_only_under_a_sort_by_a_pod_column() {
    use crate::config::keymap::Scope;
    use crate::state::services::ServiceColumn;
    let mut s = cluster_state();
    settle(&mut s);
    let batch = pod_batch(&s);
    update_deferred(&mut s, batch);
    assert!(
        !s.derived.pending(),
        "sorted by health, a pod change leaves the rows as they are"
    );
    assert!(s.derived.targets_dirty, "the pods read may change");
    assert!(s.dirty, "its row is drawn again");
    settle(&mut s);
    s.ui.list(Scope::Services).sort_column = ServiceColumn::index(ServiceColumn::Replicas);
    let batch = pod_batch(&s);
    update_deferred(&mut s, batch);
    assert!(
        !s.derived.dirty
            && s.derived
                .touched
                .contains(&crate::domain::key::ObjectKey::new(
                    "ml-prod",
                    "fraud-detector"
                )),
        "sorted by replicas, a pod change may move its service's row, and only that"
    );
}
