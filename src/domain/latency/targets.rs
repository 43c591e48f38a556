//! Which pods to scrape for latency: ready predictor pods of InferenceServices, each with the
//! exporter it exposes — Knative's queue-proxy (port 9091) when the pod has that sidecar,
//! else the KServe model server on the pod's `prometheus.kserve.io/port` annotation or 8080;
//! and ready transformer pods, whose model server (annotation or 8080, never queue-proxy)
//! gives the chain's stage split.
//! The console chooses the pods (those of the services on screen and of every canary) from
//! the pods it already watches, so the source never lists pods itself.

use crate::domain::key::ObjectKey;
use crate::domain::latency::Endpoint;
use crate::domain::pod::Pod;

/// One pod to scrape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub pod: ObjectKey,
    pub uid: String,
    pub service: ObjectKey,
    pub revision: Option<String>,
    pub endpoint: Endpoint,
    pub port: u16,
    pub path: String,
    /// When the pod was created: the first scrape's counts are read as "since then".
    pub started: Option<chrono::DateTime<chrono::Utc>>,
}

impl Target {
    /// `namespace/pod (queue-proxy :9091/metrics)`.
    pub fn describe(&self) -> String {
        format!(
            "{}/{} ({} :{}{})",
            self.pod.namespace,
            self.pod.name,
            self.endpoint.describe(),
            self.port,
            self.path
        )
    }
}

/// The targets among `pods` (raw pod JSON), sorted by pod.
pub fn targets<'a>(pods: impl IntoIterator<Item = &'a serde_json::Value>) -> Vec<Target> {
    let mut out: Vec<Target> = pods
        .into_iter()
        .filter_map(|json| target(&Pod::parse(json)))
        .collect();
    out.sort_by(|a, b| a.pod.cmp(&b.pod));
    out
}

/// The target of one pod, if it is a ready predictor or transformer pod of an
/// InferenceService.
pub fn target(pod: &Pod) -> Option<Target> {
    if crate::domain::llm::pods::service_of(pod).is_some() {
        return crate::domain::llm::pods::vllm_target(pod);
    }
    let service = pod.isvc()?;
    let transformer = pod.component() == Some("transformer");
    if pod.component().is_some_and(|c| c != "predictor") && !transformer || !pod.is_ready() {
        return None;
    }
    let model_server = || {
        pod.metrics_annotation().unwrap_or_else(|| {
            let (port, path) = Endpoint::ModelServer.default_port_path();
            (port, path.to_string())
        })
    };
    let (endpoint, port, path) = if transformer {
        let (port, path) = model_server();
        (Endpoint::Transformer, port, path)
    } else if pod.has_container("queue-proxy") {
        let (port, path) = Endpoint::QueueProxy.default_port_path();
        (Endpoint::QueueProxy, port, path.to_string())
    } else {
        let (port, path) = model_server();
        (Endpoint::ModelServer, port, path)
    };
    Some(Target {
        pod: ObjectKey::new(&pod.meta.namespace, &pod.meta.name),
        uid: pod.meta.uid.clone(),
        service: ObjectKey::new(&pod.meta.namespace, service),
        revision: pod.revision().map(str::to_string),
        endpoint,
        port,
        path,
        started: pod.meta.created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(
        name: &str,
        labels: serde_json::Value,
        containers: &[&str],
        ready: bool,
    ) -> serde_json::Value {
        json!({
            "metadata": {"name": name, "namespace": "ml", "uid": format!("u-{name}"), "labels": labels,
                         "annotations": {"prometheus.kserve.io/port": "8082"}},
            "spec": {"containers": containers.iter().map(|c| json!({"name": c})).collect::<Vec<_>>()},
            "status": {"phase": "Running", "containerStatuses": containers.iter().map(|c| json!({"name": c, "ready": ready, "state": {"running": {}}})).collect::<Vec<_>>()}
        })
    }

    #[test]
    fn knative_pods_use_queue_proxy_and_raw_pods_the_model_server() {
        let knative = pod(
            "a-predictor-00002-deployment-x",
            json!({"serving.kserve.io/inferenceservice": "a", "component": "predictor", "serving.knative.dev/revision": "a-predictor-00002"}),
            &["kserve-container", "queue-proxy"],
            true,
        );
        let raw = pod(
            "b-predictor-7f9",
            json!({"serving.kserve.io/inferenceservice": "b", "component": "predictor"}),
            &["kserve-container"],
            true,
        );
        let t = targets([&knative, &raw]);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].endpoint, t[0].port), (Endpoint::QueueProxy, 9091));
        assert_eq!(t[0].revision.as_deref(), Some("a-predictor-00002"));
        assert_eq!(t[0].service, ObjectKey::new("ml", "a"));
        assert_eq!(
            (t[1].endpoint, t[1].port),
            (Endpoint::ModelServer, 8082),
            "the annotation wins"
        );
        assert_eq!(t[1].revision, None);
    }

    #[test]
    fn unready_explainer_and_foreign_pods_are_skipped() {
        let unready = pod(
            "a",
            json!({"serving.kserve.io/inferenceservice": "a"}),
            &["kserve-container"],
            false,
        );
        let explainer = pod(
            "e",
            json!({"serving.kserve.io/inferenceservice": "a", "component": "explainer"}),
            &["kserve-container"],
            true,
        );
        let other = pod("o", json!({"app": "web"}), &["web"], true);
        assert!(targets([&unready, &explainer, &other]).is_empty());
    }

    #[test]
    fn ready_transformers_are_read_on_their_model_server_for_the_split() {
        let labels = json!({"serving.kserve.io/inferenceservice": "a", "component": "transformer"});
        let knative = pod(
            "t",
            labels.clone(),
            &["kserve-container", "queue-proxy"],
            true,
        );
        let t = targets([&knative]);
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(
            (t[0].endpoint, t[0].port, t[0].path.as_str()),
            (Endpoint::Transformer, 8082, "/metrics"),
            "the model server (annotated port), not queue-proxy: only it has the stages"
        );
        assert_eq!(t[0].service, ObjectKey::new("ml", "a"));
        let unready = pod("t2", labels, &["kserve-container"], false);
        assert!(targets([&unready]).is_empty());
    }
}
