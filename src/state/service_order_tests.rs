//! The services list kept incrementally must always equal the list derived from scratch:
//! after each change to one or a few services (watch events, rounds of figures, pods), the
//! order, the title's counts and the canaries are compared with a full derive, under every
//! sort column, so a stale cache (a change that forgets to mark its rows) fails here.

use crate::app::msg::{ClusterMsg, Measurements, Msg};
use crate::app::update::update;
use crate::config::keymap::Scope;
use crate::domain::figures::RevisionFigures;
use crate::domain::key::ObjectKey;
use crate::domain::kind::{Kind, parse};
use crate::domain::watch::WatchEvent;
use crate::state::State;
use crate::state::services::ServiceColumn;
use serde_json::json;

/// A deterministic stream of choices (no randomness between runs).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn key_of(i: usize) -> ObjectKey {
    ObjectKey::new(&format!("team-{}", i % 3), &format!("model-{i:03}"))
}

/// An InferenceService: ready or not, with a canary at `canary` % when given.
fn isvc(i: usize, ready: bool, canary: Option<i64>) -> WatchEvent {
    let key = key_of(i);
    let traffic = match canary {
        Some(pct) => json!([
            {"revisionName": format!("{}-predictor-00002", key.name), "latestRevision": true, "percent": pct},
            {"revisionName": format!("{}-predictor-00001", key.name), "percent": 100 - pct, "tag": "prev"}]),
        None => {
            json!([{"revisionName": format!("{}-predictor-00001", key.name), "latestRevision": true, "percent": 100}])
        }
    };
    let runtime = ["sklearn", "xgboost", "onnx"][i % 3];
    WatchEvent::Upsert(parse(
        Kind::InferenceService,
        &json!({"metadata": {"name": key.name, "namespace": key.namespace, "resourceVersion": "1",
                "creationTimestamp": format!("2026-01-{:02}T00:00:00Z", 1 + i % 28),
                "labels": {"tier": if i.is_multiple_of(2) { "gold" } else { "silver" }}},
            "spec": {"predictor": {"model": {"modelFormat": {"name": runtime}}}},
            "status": {"deploymentMode": "Knative",
                "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }, "reason": if ready { "" } else { "RevisionFailed" }}],
                "components": {"predictor": {"latestRolledoutRevision": format!("{}-predictor-00001", key.name), "traffic": traffic}}}}),
    ))
}

/// A predictor pod of service `i`.
fn pod(i: usize, n: usize, ready: bool) -> WatchEvent {
    let key = key_of(i);
    WatchEvent::Upsert(parse(
        Kind::Pod,
        &json!({"metadata": {"name": format!("{}-predictor-00001-p{n}", key.name), "namespace": key.namespace, "uid": format!("u-{i}-{n}"),
                "labels": {"serving.kserve.io/inferenceservice": key.name, "component": "predictor"}},
            "spec": {"nodeName": "node-1", "containers": [{"name": "kserve-container"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
                "containerStatuses": [{"name": "kserve-container", "ready": ready, "restartCount": 0, "state": {"running": {}}}]}}),
    ))
}

fn watch(s: &State, kind: Kind, events: Vec<WatchEvent>) -> Msg {
    Msg::Cluster(ClusterMsg::Watch {
        epoch: s.cluster.epoch,
        kind,
        events,
    })
}

/// A round of figures for the services `picked`; canaries get revision figures, failing
/// (high error rate) when `bad`.
fn round(picked: &[(usize, bool, bool)], sec: i64) -> Msg {
    let at = chrono::DateTime::from_timestamp(1_800_000_000 + sec, 0).unwrap_or_default();
    let fig = |p99: f64, err: f64| RevisionFigures {
        p99_ms: Some(p99),
        p50_ms: Some(p99 / 3.0),
        rps: Some(p99 / 10.0),
        error_ratio: Some(err),
        at: Some(at),
        ..RevisionFigures::default()
    };
    let mut services = Vec::new();
    let mut revisions = Vec::new();
    for &(i, canary, bad) in picked {
        let key = key_of(i);
        let err = if bad { 0.2 } else { 0.001 * (i % 7) as f64 };
        services.push((key.clone(), fig(50.0 + i as f64, err)));
        if canary {
            revisions.push((
                key.clone(),
                format!("{}-predictor-00002", key.name),
                fig(60.0, err),
            ));
            revisions.push((
                key.clone(),
                format!("{}-predictor-00001", key.name),
                fig(40.0, 0.0),
            ));
        }
    }
    Msg::Metrics(Measurements {
        at,
        llm: Vec::new(),
        chains: Vec::new(),
        services,
        revisions,
        problems: vec![],
    })
}

/// A short account of a change, for a failure message.
fn describe(msg: &Msg) -> String {
    match msg {
        Msg::Cluster(ClusterMsg::Watch { kind, events, .. }) => {
            format!("{kind:?} batch of {}", events.len())
        }
        Msg::Metrics(m) => format!(
            "figures for {:?}",
            m.services.iter().map(|(k, _)| &k.name).collect::<Vec<_>>()
        ),
        other => format!("{other:?}"),
    }
}

/// The services list derived from scratch from the same state.
fn from_scratch(s: &State) -> State {
    let mut full = s.clone();
    full.derived.dirty = true;
    full.refresh_derived();
    full
}

fn assert_as_from_scratch(s: &State, step: &str) {
    let full = from_scratch(s);
    assert_eq!(
        s.derived.services, full.derived.services,
        "order after {step}"
    );
    assert_eq!(
        s.derived.services_ready, full.derived.services_ready,
        "ready count after {step}"
    );
    assert_eq!(
        s.derived.failing_canaries, full.derived.failing_canaries,
        "failing canaries after {step}"
    );
    assert_eq!(
        s.derived.canaries, full.derived.canaries,
        "canaries after {step}"
    );
}

const SERVICES: usize = 120;

fn cluster(dice: &mut Dice) -> State {
    let mut s = crate::ui::snapshot_tests::cluster_state();
    let mut events = Vec::new();
    let mut pods = Vec::new();
    for i in 0..SERVICES {
        events.push(isvc(i, dice.roll(5) > 0, (i % 10 == 3).then_some(10)));
        pods.push(pod(i, 0, true));
    }
    let m = watch(&s, Kind::InferenceService, events);
    update(&mut s, m);
    let m = watch(&s, Kind::Pod, pods);
    update(&mut s, m);
    s
}

/// One change to a few services, as the cluster and the latency source send them.
fn change(s: &State, dice: &mut Dice, step: i64) -> Msg {
    let i = dice.roll(SERVICES + 5);
    match dice.roll(6) {
        0 => watch(
            s,
            Kind::InferenceService,
            vec![isvc(i, dice.roll(2) == 0, None)],
        ),
        1 => watch(
            s,
            Kind::InferenceService,
            vec![isvc(i, true, Some([0, 10, 50][dice.roll(3)]))],
        ),
        2 => watch(
            s,
            Kind::InferenceService,
            vec![WatchEvent::Delete(key_of(i))],
        ),
        3 => watch(s, Kind::Pod, vec![pod(i, dice.roll(3), dice.roll(2) == 0)]),
        _ => {
            let picked: Vec<(usize, bool, bool)> = (0..1 + dice.roll(6))
                .map(|_| {
                    let j = dice.roll(SERVICES);
                    (j, j % 10 == 3 || dice.roll(4) == 0, dice.roll(3) == 0)
                })
                .collect();
            round(&picked, step * 5)
        }
    }
}

#[test]
fn the_list_kept_incrementally_equals_the_list_derived_from_scratch_under_every_sort() {
    let columns = [
        ServiceColumn::Err,
        ServiceColumn::Name,
        ServiceColumn::Ready,
        ServiceColumn::Replicas,
        ServiceColumn::P99,
        ServiceColumn::Traffic,
        ServiceColumn::Runtime,
        ServiceColumn::Age,
    ];
    for (c, column) in columns.into_iter().enumerate() {
        let mut dice = Dice(7 + c as u64);
        let mut s = cluster(&mut dice);
        let view = s.ui.list(Scope::Services);
        view.sort_column = ServiceColumn::index(column);
        view.sort_reverse = c % 2 == 1;
        if c == 2 {
            view.filter = "model-0".to_string();
        }
        s.derived.dirty = true;
        s.refresh_derived();
        for step in 0..300 {
            let msg = change(&s, &mut dice, step);
            let what = format!("{column:?} step {step}: {}", describe(&msg));
            update(&mut s, msg);
            assert_as_from_scratch(&s, &what);
        }
        assert!(
            s.derived.services.len() > SERVICES / 3,
            "{column:?}: a list to order"
        );
    }
}

#[test]
fn the_title_counts_a_failing_canary_from_the_round_that_judges_it_until_it_recovers() {
    let mut dice = Dice(3);
    let mut s = cluster(&mut dice);
    let canary = 13;
    let theme = crate::ui::snapshot_tests::theme("dark");
    let title = |s: &State| crate::ui::views::services::title(s, &theme);
    assert!(s.derived.failing_canaries.is_empty(), "{}", title(&s));
    update(&mut s, round(&[(canary, true, true)], 0));
    assert_eq!(
        s.derived.failing_canaries.iter().collect::<Vec<_>>(),
        vec![&key_of(canary)]
    );
    assert!(
        title(&s).contains("1 failing canary: model-013"),
        "{}",
        title(&s)
    );
    // Rolled back to 0 %: no longer serving, so no longer counted.
    let m = watch(
        &s,
        Kind::InferenceService,
        vec![isvc(canary, true, Some(0))],
    );
    update(&mut s, m);
    assert!(!title(&s).contains("failing"), "{}", title(&s));
    let m = watch(
        &s,
        Kind::InferenceService,
        vec![isvc(canary, true, Some(10))],
    );
    update(&mut s, m);
    assert!(title(&s).contains("1 failing canary"), "{}", title(&s));
    // Judged fine again.
    update(&mut s, round(&[(canary, true, false)], 5));
    assert!(!title(&s).contains("failing"), "{}", title(&s));
    assert_as_from_scratch(&s, "recovery");
}

#[test]
fn a_change_to_one_service_moves_its_row_and_counts_without_deriving_everything() {
    let mut dice = Dice(5);
    let mut s = cluster(&mut dice);
    let ready_before = s.derived.services_ready;
    let target = (0..SERVICES)
        .find(|i| {
            crate::state::service_kind::lookup(&s, &key_of(*i))
                .is_some_and(|svc| svc.readiness() == crate::domain::isvc::Readiness::Ready)
                && i % 10 != 3
        })
        .unwrap_or(0);
    let m = watch(&s, Kind::InferenceService, vec![isvc(target, false, None)]);
    crate::app::update::update_deferred(&mut s, m);
    assert!(
        !s.derived.dirty,
        "one service changed: only its row is marked"
    );
    assert_eq!(
        s.derived.touched.iter().collect::<Vec<_>>(),
        vec![&key_of(target)]
    );
    s.refresh_derived();
    assert_eq!(s.derived.services_ready, ready_before - 1);
    // Under the default sort (the unhealthy first) the failed service moves up among the
    // failed ones.
    let at = s.derived.position(&key_of(target)).unwrap_or(usize::MAX);
    assert_eq!(s.derived.services.get(at), Some(&key_of(target)));
    assert_as_from_scratch(&s, "one service failing");
}
