//! The console's probe: the probe key on a service asks the effect runner to probe its URL
//! (and each tagged revision's URL, so a canary can be tested without moving traffic) with a
//! short burst of inferences; each result comes back as a notice.

use crate::app::effect::{Effect, ProbeRequest};
use crate::domain::probe::{Protocol, Summary};
use crate::state::State;
use crate::state::ui::{NoticeLevel, ObjectKey, Route};

/// Requests per console probe, and how many at once.
pub const CONSOLE_COUNT: usize = 20;
pub const CONSOLE_CONCURRENCY: usize = 2;

/// The protocol of the predictor's `protocolVersion` (KServe's default is v1). gRPC services
/// are probed over their REST port, which KServe serves too.
fn protocol(spec: Option<&str>) -> Protocol {
    match spec {
        Some("v2") | Some("grpc-v2") => Protocol::V2,
        _ => Protocol::V1,
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
            format!("{} has no URL yet (not ready?): nothing to probe", key.name),
        );
        return Vec::new();
    }
    let what: Vec<String> = requests.iter().map(ProbeRequest::label).collect();
    state.notify(NoticeLevel::Info, format!("probing {}…", what.join(", ")));
    requests.into_iter().map(Effect::Probe).collect()
}

/// The service URL and every tagged revision URL of `key`.
pub fn requests(state: &State, key: &ObjectKey) -> Vec<ProbeRequest> {
    let Some(isvc) = state.cluster.isvcs.items.get(key) else {
        return Vec::new();
    };
    let protocol = protocol(isvc.predictor().and_then(|p| p.protocol.as_deref()));
    let make = |url: &str, revision: Option<String>| ProbeRequest {
        key: key.clone(),
        revision,
        url: url.to_string(),
        model: key.name.clone(),
        protocol,
        count: CONSOLE_COUNT,
        concurrency: CONSOLE_CONCURRENCY,
    };
    let mut out: Vec<ProbeRequest> = isvc.url.iter().map(|u| make(u, None)).collect();
    if let Some(status) = isvc.predictor_status() {
        for t in &status.traffic {
            if let (Some(url), Some(_)) = (&t.url, &t.tag) {
                out.push(make(url, Some(t.revision.clone())));
            }
        }
    }
    out
}

/// A probe finished: show it.
pub fn done(state: &mut State, request: &ProbeRequest, summary: &Summary) -> Vec<Effect> {
    let level = if summary.setup_error.is_some() || summary.failed > 0 {
        NoticeLevel::Error
    } else {
        NoticeLevel::Info
    };
    let mut line = summary.one_line();
    if let Some(rev) = &request.revision {
        line = format!(
            "{line} [revision {}]",
            crate::domain::isvc::short_revision(rev)
        );
    }
    state.notify(level, line);
    state.dirty = true;
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::msg::{ClusterMsg, Msg};
    use crate::app::update::update;
    use crate::domain::kind::{Kind, parse};
    use crate::domain::probe::ProbeReport;
    use crate::state::cluster::WatchEvent;

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
}
