//! The console's probe: the probe key on a service asks the effect runner to probe it
//! through the Kubernetes API server's pod proxy (one ready predictor pod per revision, so a
//! canary is tested without moving traffic, and a bastion that reaches only the API server
//! can probe), or, with no ready pod known, its URL and tagged revision URLs. The protocol
//! comes from the predictor's `protocolVersion`, else from its ServingRuntime's
//! `protocolVersions`. A service with an explainer also gets a V1 `:explain` probe of a
//! Ready explainer pod; with none Ready the console says so at once instead of asking the
//! service URL (which may resolve nowhere and would wait out the deadline). Each result
//! comes back into one notice for them all (`state::probe_batch`).

use crate::app::effect::{Effect, ProbeRequest};
use crate::domain::isvc::Isvc;
use crate::domain::key::ObjectKey;
use crate::domain::notice::NoticeLevel;
use crate::domain::probe::{Protocol, Summary};
use crate::state::State;
use crate::state::probe_batch::{ProbeBatch, ProbeResult};
use crate::state::ui::Route;

/// Requests per console probe, and how many at once.
pub const CONSOLE_COUNT: usize = 20;
pub const CONSOLE_CONCURRENCY: usize = 2;

/// The model server's HTTP port when the pod names none (KServe's default).
const DEFAULT_PORT: u16 = 8080;

/// A protocol name of KServe (`v1`, `v2`, `grpc-v2`) as the REST protocol to probe with
/// (gRPC services are probed over their REST port, which KServe serves too).
fn parse_protocol(name: &str) -> Option<Protocol> {
    match name {
        "v2" | "grpc-v2" => Some(Protocol::V2),
        "v1" | "grpc-v1" => Some(Protocol::V1),
        _ => None,
    }
}

/// The protocol to probe `isvc` with: the predictor's `protocolVersion`; else its runtime's
/// (named, or the first one supporting the model format) `protocolVersions`, V1 when the
/// runtime supports it (KServe's default) and its first otherwise; else V1.
pub fn protocol(state: &State, key: &ObjectKey, isvc: &Isvc) -> Protocol {
    let predictor = isvc.predictor();
    if let Some(p) = predictor
        .and_then(|p| p.protocol.as_deref())
        .and_then(parse_protocol)
    {
        return p;
    }
    let runtime_name = predictor.and_then(|p| p.runtime.as_deref());
    let format = predictor.and_then(|p| p.model_format.as_deref());
    let runtimes = &state.cluster.runtimes.items;
    let usable = |ns_ok: bool, r: &crate::domain::runtime::Runtime| {
        ns_ok
            && !r.disabled
            && match runtime_name {
                Some(name) => r.meta.name == name,
                None => format.is_some_and(|f| r.formats.iter().any(|x| x == f)),
            }
    };
    let runtime = runtimes
        .values()
        .find(|r| usable(r.meta.namespace == key.namespace, r))
        .or_else(|| runtimes.values().find(|r| usable(r.cluster_scoped, r)));
    let protocols: Vec<Protocol> = runtime
        .map(|r| {
            r.protocols
                .iter()
                .filter_map(|p| parse_protocol(p))
                .collect()
        })
        .unwrap_or_default();
    if protocols.is_empty() || protocols.contains(&Protocol::V1) {
        Protocol::V1
    } else {
        protocols[0]
    }
}

/// The probe action: the selected service, or the one in view.
pub fn action(state: &mut State) -> Vec<Effect> {
    let key = match state.ui.route().clone() {
        Route::Services => state.selected_service().cloned(),
        Route::Detail(key) | Route::Yaml(key) => Some(key),
        _ => None,
    };
    let Some(key) = key else {
        state.notify(
            NoticeLevel::Error,
            "select an InferenceService to probe".into(),
        );
        return Vec::new();
    };
    let requests = requests(state, &key);
    if requests.is_empty() {
        state.notify(
            NoticeLevel::Error,
            if state.cluster.llm_isvcs.items.contains_key(&key) {
                format!(
                    "{} has no ready vLLM pod: nothing to probe (see its conditions in the detail)",
                    key.name
                )
            } else {
                format!("{} has no URL yet (not ready?): nothing to probe", key.name)
            },
        );
        return Vec::new();
    }
    let what: Vec<String> = requests.iter().map(ProbeRequest::label).collect();
    state.ui.probe_batch = Some(ProbeBatch::new(key.clone(), requests.len()));
    let probing = format!("probing {}…", what.join(", "));
    match explainer_gap(state, &key) {
        Some(gap) => state.notify(NoticeLevel::Error, format!("{probing} {gap}")),
        None => state.notify(NoticeLevel::Info, probing),
    }
    requests.into_iter().map(Effect::Probe).collect()
}

/// What to probe for `key`: one ready predictor pod per revision through the API server's
/// pod proxy; with none known, the service URL and every tagged revision URL.
pub fn requests(state: &State, key: &ObjectKey) -> Vec<ProbeRequest> {
    if state.cluster.llm_isvcs.items.contains_key(key) {
        return super::probe_llm::requests(state, key);
    }
    let Some(isvc) = state.cluster.isvcs.items.get(key) else {
        return Vec::new();
    };
    let protocol = protocol(state, key, isvc);
    let make = |url: String, revision: Option<String>, via_api: bool| ProbeRequest {
        key: key.clone(),
        revision,
        url,
        via_api,
        model: key.name.clone(),
        protocol,
        count: CONSOLE_COUNT,
        concurrency: CONSOLE_CONCURRENCY,
        explain: false,
    };
    let explain = explain_request(state, key, isvc).map(|(url, via_api)| ProbeRequest {
        protocol: Protocol::V1,
        explain: true,
        ..make(url, None, via_api)
    });
    let through_pods = pod_targets(state, key, "predictor");
    let several = through_pods.len() > 1;
    if !through_pods.is_empty() {
        return through_pods
            .into_iter()
            .map(|(revision, path)| make(path, revision.filter(|_| several), true))
            .chain(explain)
            .collect();
    }
    let mut out: Vec<ProbeRequest> = isvc
        .url
        .iter()
        .map(|u| make(u.clone(), None, false))
        .collect();
    if let Some(status) = isvc.predictor_status() {
        for t in &status.traffic {
            if let (Some(url), Some(_)) = (&t.url, &t.tag) {
                out.push(make(url.clone(), Some(t.revision.clone()), false));
            }
        }
    }
    out.extend(explain);
    out
}

/// Where to probe the explainer of a service that has one (KServe's explainers speak V1
/// `:explain`): a ready explainer pod through the API server's pod proxy. Without one,
/// nothing: the service URL may resolve nowhere from here ([`explainer_gap`] says why).
/// (URL, through the API server.)
fn explain_request(state: &State, key: &ObjectKey, isvc: &Isvc) -> Option<(String, bool)> {
    isvc.component(crate::domain::isvc::ComponentKind::Explainer)?;
    let (_, path) = pod_targets(state, key, "explainer").into_iter().next()?;
    Some((path, true))
}

/// Why the explainer of a service that has one is not probed now (no Ready explainer pod),
/// worded for the user with what to do; `None` when it is probed or there is none.
pub fn explainer_gap(state: &State, key: &ObjectKey) -> Option<String> {
    let isvc = state.cluster.isvcs.items.get(key)?;
    isvc.component(crate::domain::isvc::ComponentKind::Explainer)?;
    if !pod_targets(state, key, "explainer").is_empty() {
        return None;
    }
    let waiting = state
        .cluster
        .pods_of(key)
        .filter(|p| p.component() == Some("explainer") && !p.meta.deleting)
        .count();
    let pods = match waiting {
        0 => "none exists yet".to_string(),
        1 => "its 1 pod is not Ready".to_string(),
        n => format!("its {n} pods are not Ready"),
    };
    Some(format!(
        "no Ready explainer pod ({pods}), so :explain was not probed: see the detail's Pods \
         and Events tabs, and probe again once it is Ready"
    ))
}

/// (revision, pod-proxy base path) of the first ready `component` pod (pods without the
/// label count as predictors) of each revision, the revisions in name order.
fn pod_targets(state: &State, key: &ObjectKey, component: &str) -> Vec<(Option<String>, String)> {
    let mut by_revision: std::collections::BTreeMap<Option<String>, String> = Default::default();
    let mut pods: Vec<&crate::domain::pod::Pod> = state
        .cluster
        .pods_of(key)
        .filter(|p| p.is_ready() && !p.meta.deleting)
        .filter(|p| match p.component() {
            Some(c) => c == component,
            None => component == "predictor",
        })
        .collect();
    pods.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
    for pod in pods {
        let port = pod
            .containers
            .iter()
            .find(|c| &*c.name == "kserve-container")
            .or_else(|| pod.containers.first())
            .and_then(|c| c.ports.first().copied())
            .unwrap_or(DEFAULT_PORT);
        let base = crate::sources::pod_proxy::proxy_path(&key.namespace, &pod.meta.name, port, "");
        by_revision
            .entry(pod.revision().map(str::to_string))
            .or_insert_with(|| base.trim_end_matches('/').to_string());
    }
    by_revision.into_iter().collect()
}

/// A probe finished: show it.
pub fn done(state: &mut State, request: &ProbeRequest, summary: &Summary) -> Vec<Effect> {
    if request.protocol == Protocol::Openai && summary.setup_error.is_none() {
        let probe = crate::state::figures::LlmProbe {
            at: state.now,
            ok: summary.ok,
            requests: summary.requests,
            stream: summary.stream.clone(),
        };
        state.figures.llm_probes.insert(request.key.clone(), probe);
    }
    // One notice for every probe the key started (a result of an older press, or of a
    // probe started elsewhere, gets one of its own).
    let mut batch = state
        .ui
        .probe_batch
        .take()
        .filter(|b| b.expects(&request.key))
        .unwrap_or_else(|| ProbeBatch::new(request.key.clone(), 1));
    batch.add(ProbeResult {
        explain: request.explain,
        revision: request.revision.as_deref(),
        line: &summary.one_line(),
        brief: &summary.brief(),
        model: &summary.model,
        failed: summary.setup_error.is_some() || summary.failed > 0,
    });
    let mut text = batch.text();
    if request.via_api {
        text.push_str(" · via API server");
    }
    if explainer_gap(state, &request.key).is_some() {
        text.push_str(" · :explain not probed (no Ready explainer pod)");
    }
    let level = if batch.failed() {
        NoticeLevel::Error
    } else {
        NoticeLevel::Info
    };
    state.ui.probe_batch = Some(batch);
    state.notify(level, text);
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::msg::{ClusterMsg, Msg};
    use crate::app::update::update;
    use crate::domain::kind::{Kind, parse};
    use crate::domain::probe::ProbeReport;
    use crate::domain::watch::WatchEvent;

    fn state_with_canary() -> State {
        let mut s = crate::ui::snapshot_tests::cluster_state();
        let isvc = parse(
            Kind::InferenceService,
            &serde_json::json!({"metadata": {"name": "fraud", "namespace": "ml", "resourceVersion": "9"},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "protocolVersion": "v2"}}},
            "status": {"url": "http://fraud.ml.example.com", "components": {"predictor": {
                "traffic": [{"revisionName": "fraud-predictor-00002", "latestRevision": true, "percent": 10, "tag": "latest", "url": "http://latest-fraud-predictor.ml.example.com"},
                            {"revisionName": "fraud-predictor-00001", "percent": 90}]}}}}),
        );
        let epoch = s.cluster.epoch;
        update(
            &mut s,
            Msg::Cluster(ClusterMsg::Watch {
                epoch,
                kind: Kind::InferenceService,
                events: vec![WatchEvent::Upsert(isvc)],
            }),
        );
        s
    }

    #[test]
    fn the_service_and_its_tagged_revisions_are_probed() {
        let s = state_with_canary();
        let r = requests(&s, &ObjectKey::new("ml", "fraud"));
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r[0].url, "http://fraud.ml.example.com");
        assert_eq!(r[0].protocol, Protocol::V2);
        assert_eq!(r[1].revision.as_deref(), Some("fraud-predictor-00002"));
        assert!(requests(&s, &ObjectKey::new("ml", "missing")).is_empty());
    }

    #[test]
    fn a_result_becomes_a_notice() {
        let mut s = state_with_canary();
        let r = requests(&s, &ObjectKey::new("ml", "fraud")).remove(1);
        let report = ProbeReport {
            setup_error: Some("connection refused".into()),
            ..ProbeReport::default()
        };
        let summary = report.summary(r.protocol, &r.url, &r.model, 2);
        let effects = update(&mut s, Msg::Probe(Box::new((r, summary))));
        assert!(effects.is_empty());
        let notice = s.ui.notice.as_ref().unwrap();
        assert_eq!(notice.level, NoticeLevel::Error);
        assert!(
            notice.text.contains("connection refused") && notice.text.contains("r2"),
            "{}",
            notice.text
        );
    }

    fn upsert(s: &mut State, kind: Kind, object: serde_json::Value) {
        let epoch = s.cluster.epoch;
        let parsed = parse(kind, &object);
        update(
            s,
            Msg::Cluster(ClusterMsg::Watch {
                epoch,
                kind,
                events: vec![WatchEvent::Upsert(parsed)],
            }),
        );
    }

    #[test]
    fn a_demo_canary_is_probed_through_the_api_server_once_per_revision() {
        let mut s = crate::ui::snapshot_tests::cluster_state();
        s.cluster = crate::ui::demo_cluster::cluster();
        let key = ObjectKey::new("ml-prod", "fraud-detector");
        let r = requests(&s, &key);
        assert_eq!(r.len(), 2, "{r:?}");
        for request in &r {
            assert!(request.via_api, "{request:?}");
            assert!(
                request
                    .url
                    .starts_with("/api/v1/namespaces/ml-prod/pods/fraud-detector-predictor-")
                    && request.url.ends_with(":8080/proxy"),
                "{}",
                request.url
            );
        }
        let revisions: Vec<_> = r.iter().filter_map(|q| q.revision.as_deref()).collect();
        assert_eq!(
            revisions,
            [
                "fraud-detector-predictor-00001",
                "fraud-detector-predictor-00002"
            ]
        );
        // A service with one revision is probed once, named by the service alone.
        let iris = requests(&s, &ObjectKey::new("ml-prod", "sklearn-iris"));
        assert_eq!(iris.len(), 1, "{iris:?}");
        assert_eq!(
            (iris[0].revision.as_deref(), iris[0].protocol),
            (None, Protocol::V1)
        );
    }

    #[test]
    fn without_protocol_version_the_runtime_decides() {
        let mut s = crate::ui::snapshot_tests::cluster_state();
        let isvc = |name: &str, runtime: serde_json::Value| {
            serde_json::json!({"metadata": {"name": name, "namespace": "ml", "resourceVersion": "1"},
                "spec": {"predictor": {"model": {"modelFormat": {"name": "triton-onnx"}, "runtime": runtime}}},
                "status": {"url": format!("http://{name}.ml.example.com")}})
        };
        upsert(
            &mut s,
            Kind::InferenceService,
            isvc("onnx", serde_json::json!("triton")),
        );
        upsert(
            &mut s,
            Kind::InferenceService,
            isvc("anyrt", serde_json::Value::Null),
        );
        upsert(
            &mut s,
            Kind::ServingRuntime,
            serde_json::json!({"metadata": {"name": "triton", "namespace": "ml", "resourceVersion": "1"},
                "spec": {"supportedModelFormats": [{"name": "triton-onnx"}], "protocolVersions": ["v2", "grpc-v2"],
                    "containers": [{"name": "kserve-container", "image": "nvcr.io/triton"}]}}),
        );
        let protocol_of =
            |s: &State, name: &str| requests(s, &ObjectKey::new("ml", name))[0].protocol;
        assert_eq!(protocol_of(&s, "onnx"), Protocol::V2);
        // Chosen by model format when the spec names no runtime.
        assert_eq!(protocol_of(&s, "anyrt"), Protocol::V2);
        // A runtime that supports v1 gets KServe's default, v1.
        upsert(
            &mut s,
            Kind::ServingRuntime,
            serde_json::json!({"metadata": {"name": "triton", "namespace": "ml", "resourceVersion": "2"},
                "spec": {"supportedModelFormats": [{"name": "triton-onnx"}], "protocolVersions": ["v1", "v2"],
                    "containers": [{"name": "kserve-container", "image": "nvcr.io/triton"}]}}),
        );
        assert_eq!(protocol_of(&s, "onnx"), Protocol::V1);
        // protocolVersion wins over the runtime.
        assert_eq!(
            requests(&state_with_canary(), &ObjectKey::new("ml", "fraud"))[0].protocol,
            Protocol::V2
        );
    }

    #[test]
    fn a_service_with_an_explainer_also_probes_explain_on_an_explainer_pod() {
        let mut s = state_with_canary();
        let key = ObjectKey::new("ml", "income");
        upsert(
            &mut s,
            Kind::InferenceService,
            serde_json::json!({"metadata": {"name": "income", "namespace": "ml", "resourceVersion": "3"},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "protocolVersion": "v2"}},
                     "explainer": {"art": {"type": "SquareAttack"}}},
            "status": {"url": "http://income.ml.example.com"}}),
        );
        // No Ready explainer pod: no :explain of the service URL (it may resolve nowhere
        // and wait out the deadline); the predictor is probed and the gap said at once.
        let r = requests(&s, &key);
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(!r[0].explain && r[0].protocol == Protocol::V2, "{r:?}");
        s.ui.push(Route::Detail(key.clone()));
        assert_eq!(action(&mut s).len(), 1);
        let notice = s.ui.notice.clone().unwrap();
        assert_eq!(notice.level, NoticeLevel::Error);
        assert!(
            notice
                .text
                .contains("no Ready explainer pod (none exists yet)")
                && notice.text.contains(":explain was not probed"),
            "{}",
            notice.text
        );
        // The predictor's result keeps saying it, since it replaces that notice.
        let summary = ProbeReport::default().summary(Protocol::V2, &r[0].url, "income", 2);
        update(&mut s, Msg::Probe(Box::new((r[0].clone(), summary))));
        let notice = &s.ui.notice.as_ref().unwrap().text;
        assert!(
            notice.ends_with(":explain not probed (no Ready explainer pod)"),
            "{notice}"
        );
        // An explainer pod that is not Ready yet is named as such.
        upsert(
            &mut s,
            Kind::Pod,
            serde_json::json!({"metadata": {"name": "income-explainer-w", "namespace": "ml", "resourceVersion": "4",
                "labels": {"serving.kserve.io/inferenceservice": "income", "component": "explainer"}},
            "spec": {"containers": [{"name": "kserve-container"}]},
            "status": {"phase": "Pending"}}),
        );
        assert!(
            explainer_gap(&s, &key).is_some_and(|g| g.contains("its 1 pod is not Ready")),
            "{:?}",
            explainer_gap(&s, &key)
        );
        // A ready explainer pod: through the API server's pod proxy to that pod.
        upsert(
            &mut s,
            Kind::Pod,
            serde_json::json!({"metadata": {"name": "income-explainer-x", "namespace": "ml", "resourceVersion": "5",
                "labels": {"serving.kserve.io/inferenceservice": "income", "component": "explainer"}},
            "spec": {"containers": [{"name": "kserve-container", "ports": [{"containerPort": 8080}]}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{"name": "kserve-container", "ready": true, "restartCount": 0}]}}),
        );
        let r = requests(&s, &key);
        assert_eq!(explainer_gap(&s, &key), None);
        let explain: Vec<&ProbeRequest> = r.iter().filter(|r| r.explain).collect();
        assert_eq!(explain.len(), 1, "{r:?}");
        assert!(explain[0].via_api, "{r:?}");
        assert!(explain[0].url.contains("income-explainer-x"), "{r:?}");
        // The explainer pod is not probed as a predictor.
        assert!(
            r.iter()
                .filter(|r| !r.explain)
                .all(|r| !r.url.contains("explainer")),
            "{r:?}"
        );
        // Services without an explainer ask no :explain.
        assert!(
            requests(&s, &ObjectKey::new("ml", "fraud"))
                .iter()
                .all(|r| !r.explain)
        );
        let summary = ProbeReport::default().summary(Protocol::V1, &r[0].url, "income", 2);
        update(&mut s, Msg::Probe(Box::new((explain[0].clone(), summary))));
        let notice = &s.ui.notice.as_ref().unwrap().text;
        assert!(notice.starts_with("probe income :explain (v1)"), "{notice}");
        // One press probes both; they end in any order and one notice says both, the
        // predictor first (the last result used to hide the other).
        let started: Vec<ProbeRequest> = action(&mut s)
            .into_iter()
            .filter_map(|e| match e {
                Effect::Probe(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(started.len(), 2, "{started:?}");
        assert!(
            s.ui.notice
                .as_ref()
                .unwrap()
                .text
                .contains("income :explain…"),
            "{:?}",
            s.ui.notice
        );
        for r in started.iter().rev() {
            let summary = ProbeReport::default().summary(r.protocol, &r.url, "income", 2);
            update(&mut s, Msg::Probe(Box::new((r.clone(), summary))));
        }
        let notice = &s.ui.notice.as_ref().unwrap().text;
        assert!(
            notice.starts_with("probe income: 0/0 ok")
                && notice.contains(" │ :explain 0/0 ok")
                && !notice.contains("more probing"),
            "{notice}"
        );
    }
}
