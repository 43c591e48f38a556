//! Helpers for tests of the demo's LLMInferenceServices: a Ready vLLM pod of a service, and
//! a member's routing weight and the group as `status.router.group` reports it.

use kube::api::{Api, ListParams};
use serde_json::Value;
use std::time::Duration;

/// The name of a Ready vLLM pod of `service` in the `llm` namespace, waiting up to 20 s.
pub async fn ready_vllm_pod(client: &kube::Client, service: &str) -> String {
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), "llm");
    super::sim::poll_async(Duration::from_secs(20), || async {
        pods.list(&ListParams::default().labels(&format!(
            "app.kubernetes.io/name={service},app.kubernetes.io/component=llminferenceservice-workload"
        )))
        .await
        .ok()?
        .items
        .into_iter()
        .find(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .and_then(|p| p.metadata.name)
    })
    .await
    .expect("a ready vLLM pod")
}

/// `spec.router.route.weight` of an LLMInferenceService.
pub fn weight(v: &Value) -> Option<i64> {
    v.pointer("/spec/router/route/weight")
        .and_then(Value::as_i64)
}

/// `status.router.group.members[]` of `v` as (name, weight, stopped).
pub fn group_status(v: &Value) -> Vec<(String, i64, bool)> {
    v.pointer("/status/router/group/members")
        .and_then(Value::as_array)
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    (
                        m["name"].as_str().unwrap_or_default().to_string(),
                        m["weight"].as_i64().unwrap_or(0),
                        m["stopped"].as_bool().unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
