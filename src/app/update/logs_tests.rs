//! Tests of the logs view's rules: streams wanted, pods joining and leaving, sessions.

use super::*;
use crate::app::msg::{ClusterMsg, LogBatch, Msg};
use crate::app::update::update;
use crate::domain::kind::{Kind, parse};
use crate::domain::logline::sanitize;
use crate::domain::watch::WatchEvent;
use serde_json::json;

fn pod(name: &str, revision: &str) -> WatchEvent {
    WatchEvent::Upsert(parse(
        Kind::Pod,
        &json!({"metadata": {"name": name, "namespace": "ml", "labels": {
                "serving.kserve.io/inferenceservice": "fraud", "component": "predictor",
                "serving.knative.dev/revision": revision}},
            "spec": {"containers": [{"name": "kserve-container"}, {"name": "queue-proxy"}],
                     "initContainers": [{"name": "storage-initializer"}]},
            "status": {"phase": "Running",
                "initContainerStatuses": [{"name": "storage-initializer", "state": {"terminated": {"exitCode": 0}}}],
                "containerStatuses": [
                    {"name": "kserve-container", "ready": true, "state": {"running": {}}},
                    {"name": "queue-proxy", "ready": true, "state": {"running": {}}}]}}),
    ))
}

fn isvc() -> WatchEvent {
    WatchEvent::Upsert(parse(
        Kind::InferenceService,
        &json!({"metadata": {"name": "fraud", "namespace": "ml"},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}}}},
            "status": {"components": {"predictor": {"latestRolledoutRevision": "fraud-predictor-00001"}}}}),
    ))
}

fn watch(state: &State, kind: Kind, events: Vec<WatchEvent>) -> Msg {
    Msg::Cluster(ClusterMsg::Watch {
        epoch: state.cluster.epoch,
        kind,
        events,
    })
}

pub(super) fn starts(effects: &[Effect]) -> Vec<(String, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::StartLogStream(s) => Some((s.pod.name.clone(), s.container.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn lines(session: u64, pod: &str, texts: &[&str]) -> Msg {
    Msg::Logs(LogMsg::Lines(LogBatch {
        session,
        pod: ObjectKey::new("ml", pod),
        container: "kserve-container".to_string(),
        lines: texts
            .iter()
            .map(|t| {
                (
                    None,
                    sanitize(t.as_bytes()),
                    crate::domain::logline::level(t),
                )
            })
            .collect(),
    }))
}

/// One pod of the stable revision r1, one of the canary r2.
fn two_pods() -> Vec<WatchEvent> {
    vec![
        pod(
            "fraud-predictor-00001-deployment-a-x1",
            "fraud-predictor-00001",
        ),
        pod(
            "fraud-predictor-00002-deployment-b-y2",
            "fraud-predictor-00002",
        ),
    ]
}

pub(super) fn setup() -> State {
    let mut s = crate::ui::snapshot_tests::state();
    let m = watch(&s, Kind::InferenceService, vec![isvc()]);
    update(&mut s, m);
    let m = watch(&s, Kind::Pod, two_pods());
    update(&mut s, m);
    s
}

#[test]
fn opening_follows_every_pod_and_new_pods_join() {
    let mut s = setup();
    let effects = open(&mut s, LogTarget::Service(ObjectKey::new("ml", "fraud")));
    assert_eq!(starts(&effects).len(), 2);
    assert!(
        starts(&effects)
            .iter()
            .all(|(_, c)| c == "kserve-container")
    );
    let view = s.logs.as_ref().unwrap();
    let tags: Vec<(String, bool)> = view
        .streams
        .values()
        .map(|i| (i.tag.to_string(), i.canary))
        .collect();
    assert!(tags.contains(&("r1·x1".to_string(), false)), "{tags:?}");
    assert!(tags.contains(&("r2·y2".to_string(), true)), "{tags:?}");
    let m = watch(
        &s,
        Kind::Pod,
        vec![pod(
            "fraud-predictor-00002-deployment-b-z3",
            "fraud-predictor-00002",
        )],
    );
    let effects = update(&mut s, m);
    assert_eq!(
        starts(&effects),
        vec![(
            "fraud-predictor-00002-deployment-b-z3".to_string(),
            "kserve-container".to_string()
        )]
    );
    let view = s.logs.as_ref().unwrap();
    assert!(view.lines.back().unwrap().text.text.contains("joined"));
}

#[test]
fn pods_seen_before_their_service_are_recoloured_when_it_arrives() {
    let mut s = crate::ui::snapshot_tests::state();
    let m = watch(&s, Kind::Pod, two_pods());
    update(&mut s, m);
    open(&mut s, LogTarget::Service(ObjectKey::new("ml", "fraud")));
    let session = s.logs.as_ref().unwrap().session;
    update(
        &mut s,
        lines(session, "fraud-predictor-00002-deployment-b-y2", &["early"]),
    );
    let view = s.logs.as_ref().unwrap();
    assert!(view.streams.values().all(|i| !i.canary), "no service yet");
    // The service (with its rolled-out revision 00001) arrives after the pods.
    let m = watch(&s, Kind::InferenceService, vec![isvc()]);
    let effects = update(&mut s, m);
    assert!(starts(&effects).is_empty(), "streams restarted");
    update(
        &mut s,
        lines(session, "fraud-predictor-00002-deployment-b-y2", &["late"]),
    );
    let view = s.logs.as_ref().unwrap();
    let canary: Vec<(&str, bool)> = view
        .lines
        .iter()
        .map(|l| (l.text.text.as_str(), l.canary))
        .collect();
    assert_eq!(canary, vec![("early", true), ("late", true)]);
    let flags: Vec<(String, bool)> = view
        .streams
        .values()
        .map(|i| (i.tag.to_string(), i.canary))
        .collect();
    assert!(flags.contains(&("r1·x1".to_string(), false)), "{flags:?}");
    assert!(flags.contains(&("r2·y2".to_string(), true)), "{flags:?}");
}

#[test]
fn gone_pods_are_marked_and_old_sessions_ignored() {
    let mut s = setup();
    open(&mut s, LogTarget::Service(ObjectKey::new("ml", "fraud")));
    let session = s.logs.as_ref().unwrap().session;
    update(
        &mut s,
        lines(
            session,
            "fraud-predictor-00002-deployment-b-y2",
            &["ERROR boom", "ok"],
        ),
    );
    update(
        &mut s,
        lines(
            session + 7,
            "fraud-predictor-00002-deployment-b-y2",
            &["stale session"],
        ),
    );
    assert_eq!(s.logs.as_ref().unwrap().lines.len(), 2);
    assert_eq!(s.logs.as_ref().unwrap().lines[0].level, Level::Error);
    let m = watch(
        &s,
        Kind::Pod,
        vec![WatchEvent::Delete(ObjectKey::new(
            "ml",
            "fraud-predictor-00001-deployment-a-x1",
        ))],
    );
    update(&mut s, m);
    let view = s.logs.as_ref().unwrap();
    assert!(view.lines.back().unwrap().text.text.contains("went away"));
    assert!(view.streams.values().any(|i| i.ended.is_some()));
}

#[test]
fn switching_container_restarts_streams_in_a_new_session() {
    let mut s = setup();
    open(&mut s, LogTarget::Service(ObjectKey::new("ml", "fraud")));
    let old = s.logs.as_ref().unwrap().session;
    let effects = action(&mut s, Action::NextContainer);
    assert!(effects.contains(&Effect::StopLogs { session: old }));
    assert!(starts(&effects).iter().all(|(_, c)| c == "queue-proxy"));
    assert_eq!(starts(&effects).len(), 2);
    assert!(s.logs.as_ref().unwrap().session > old);
    let effects = action(&mut s, Action::TogglePrevious);
    assert!(
        starts(&effects).is_empty(),
        "no container restarted, so there is no previous log"
    );
}

#[test]
fn a_bad_search_pattern_is_a_notice_not_a_crash() {
    let mut s = setup();
    open(&mut s, LogTarget::Service(ObjectKey::new("ml", "fraud")));
    set_pattern(&mut s, "err(", true);
    assert!(
        s.ui.notice
            .as_ref()
            .unwrap()
            .text
            .contains("not a valid regular expression")
    );
    assert!(s.logs.as_ref().unwrap().search.is_none());
}
