//! Which pods belong to an LLMInferenceService and which of them serve vLLM's metrics: pods
//! labelled `app.kubernetes.io/part-of: llminferenceservice` belong to the service named by
//! `app.kubernetes.io/name`; of those, the ready ones with a `main` container that are not the
//! scheduler (EPP) and not a LeaderWorkerSet worker (only the leader serves the API) are read
//! on vLLM's port 8000.

use super::vllm::{VLLM_PATH, VLLM_PORT};
use super::{MAIN_CONTAINER, POD_NAME_LABEL, POD_PART_OF_LABEL, POD_PART_OF_VALUE};
use crate::domain::key::ObjectKey;
use crate::domain::latency::Endpoint;
use crate::domain::latency::targets::Target;
use crate::domain::pod::Pod;

const COMPONENT: &str = "app.kubernetes.io/component";
const LWS_WORKER_INDEX: &str = "leaderworkerset.sigs.k8s.io/worker-index";

/// The LLMInferenceService a pod belongs to, if any.
pub fn service_of(pod: &Pod) -> Option<&str> {
    (pod.meta.label(POD_PART_OF_LABEL) == Some(POD_PART_OF_VALUE))
        .then(|| pod.meta.label(POD_NAME_LABEL))
        .flatten()
        .filter(|n| !n.is_empty())
}

/// Whether the pod is the EPP scheduler or another router part, not a model server.
pub fn is_router_pod(pod: &Pod) -> bool {
    pod.meta
        .label(COMPONENT)
        .is_some_and(|c| c.contains("scheduler") || c.contains("router"))
}

/// The vLLM metrics target of a pod, if it is a ready vLLM server of an LLMInferenceService.
pub fn vllm_target(pod: &Pod) -> Option<Target> {
    let service = service_of(pod)?;
    if is_router_pod(pod)
        || !pod.has_container(MAIN_CONTAINER)
        || !pod.is_ready()
        || pod.meta.label(LWS_WORKER_INDEX).is_some_and(|i| i != "0")
    {
        return None;
    }
    Some(Target {
        pod: ObjectKey::new(&pod.meta.namespace, &pod.meta.name),
        uid: pod.meta.uid.clone(),
        service: ObjectKey::new(&pod.meta.namespace, service),
        revision: None,
        endpoint: Endpoint::Vllm,
        port: VLLM_PORT,
        path: VLLM_PATH.to_string(),
        started: pod.meta.created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(labels: serde_json::Value, container: &str) -> Pod {
        Pod::parse(
            &json!({"metadata": {"name": "p", "namespace": "llm", "uid": "u", "labels": labels},
            "spec": {"containers": [{"name": container}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": container, "ready": true}]}}),
        )
    }

    #[test]
    fn only_ready_vllm_leaders_are_read_on_8000() {
        let base = json!({"app.kubernetes.io/part-of": "llminferenceservice", "app.kubernetes.io/name": "chat"});
        let t = vllm_target(&pod(base.clone(), "main")).unwrap();
        assert_eq!(
            (t.endpoint, t.port, t.service.name.as_str()),
            (Endpoint::Vllm, 8000, "chat")
        );
        let mut epp = base.clone();
        epp["app.kubernetes.io/component"] = json!("llminferenceservice-router-scheduler");
        assert!(vllm_target(&pod(epp, "main")).is_none());
        let mut worker = base.clone();
        worker["leaderworkerset.sigs.k8s.io/worker-index"] = json!("1");
        assert!(vllm_target(&pod(worker, "main")).is_none());
        assert!(vllm_target(&pod(base, "kserve-container")).is_none());
        assert!(vllm_target(&pod(json!({"app.kubernetes.io/name": "chat"}), "main")).is_none());
    }
}
