//! One-shot reads of the cluster for headless commands: list a kind completely (following
//! `continue` tokens) and build the same `ClusterState` the console builds from watches.

use super::watch::api_resource;
use crate::domain::kind::{self, Kind};
use crate::domain::scope::NamespaceScope;
use crate::domain::watch::WatchEvent;
use crate::state::cluster::ClusterState;
use kube::api::{Api, DynamicObject, ListParams};

/// Lists every object of `kind` in `namespace` (or cluster-wide), page by page.
pub async fn list_all(
    client: &kube::Client,
    kind: Kind,
    namespace: &NamespaceScope,
    selector: Option<&str>,
) -> Result<Vec<DynamicObject>, kube::Error> {
    let spec = kind.spec();
    let resource = api_resource(spec);
    let api: Api<DynamicObject> = match (namespace, spec.namespaced) {
        (NamespaceScope::One(ns), true) => Api::namespaced_with(client.clone(), ns, &resource),
        _ => Api::all_with(client.clone(), &resource),
    };
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(500);
        if let Some(sel) = selector {
            params = params.labels(sel);
        }
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let page = api.list(&params).await?;
        out.extend(page.items);
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// Whether `e` says the kind is not served (404) or not readable (403).
fn is_absent_or_forbidden(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(status) if status.code == 404) || super::errors::is_forbidden(e)
}

/// Loads InferenceServices, their pods and the nodes into a `ClusterState`.
pub async fn load_services(
    client: &kube::Client,
    namespace: &NamespaceScope,
) -> Result<ClusterState, kube::Error> {
    let mut state = ClusterState::default();
    let llm_pods = format!(
        "{}={}",
        crate::domain::llm::POD_PART_OF_LABEL,
        crate::domain::llm::POD_PART_OF_VALUE
    );
    let jobs = [
        (Kind::InferenceService, None),
        (Kind::LlmInferenceService, None),
        (Kind::TrainedModel, None),
        (Kind::Pod, Some(crate::domain::pod::ISVC_LABEL)),
        (Kind::Pod, Some(llm_pods.as_str())),
        (Kind::Node, None),
    ];
    for (kind, selector) in jobs {
        let objects = match list_all(client, kind, namespace, selector).await {
            Ok(objects) => objects,
            // Nodes are extra detail (instance types); a user may not be allowed to list them.
            Err(e) if kind == Kind::Node && super::errors::is_forbidden(&e) => Vec::new(),
            // A KServe without LLMInferenceService (before 0.16) serves no such resource.
            Err(kube::Error::Api(status))
                if kind == Kind::LlmInferenceService && status.code == 404 =>
            {
                Vec::new()
            }
            // TrainedModels are extra detail: a cluster without the CRD, or a user who may
            // not read them, still gets the services' status.
            Err(e) if kind == Kind::TrainedModel && is_absent_or_forbidden(&e) => Vec::new(),
            Err(e) => return Err(e),
        };
        let events: Vec<WatchEvent> = objects
            .iter()
            .map(|o| {
                WatchEvent::Upsert(kind::parse(
                    kind,
                    &serde_json::to_value(o).unwrap_or_default(),
                ))
            })
            .collect();
        state.apply(kind, events);
    }
    state.isvcs.synced = true;
    Ok(state)
}
