//! Helpers shared by tests/sim_kube.rs and tests/sim_kube_requests.rs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::common::sim::poll_async;
use futures::StreamExt;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use kube::runtime::watcher::{self, Event};
use kube::runtime::{WatchStreamExt, reflector};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) const SETTLE: Duration = Duration::from_secs(10);

pub(crate) fn isvc_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("serving.kserve.io", "v1beta1", "InferenceService"),
        "inferenceservices",
    )
}

pub(crate) fn isvcs(client: &kube::Client, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), ns, &isvc_resource())
}

pub(crate) fn all_isvcs(client: &kube::Client) -> Api<DynamicObject> {
    Api::all_with(client.clone(), &isvc_resource())
}

pub(crate) fn api_error(e: kube::Error) -> Box<kube::core::Status> {
    match e {
        kube::Error::Api(s) => s,
        other => panic!("expected a Status from the server, got {other:?}"),
    }
}

pub(crate) fn label(obj: &DynamicObject, key: &str) -> Option<String> {
    obj.metadata.labels.as_ref()?.get(key).cloned()
}

pub(crate) async fn set_label(client: &kube::Client, ns: &str, name: &str, key: &str, value: &str) {
    isvcs(client, ns)
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {key: value}}})),
        )
        .await
        .expect("label patch");
}

/// What a watcher has seen: every event, and the objects as a reflector store holds them.
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) inits: usize,
    pub(crate) init_dones: usize,
    pub(crate) errors: Vec<String>,
    pub(crate) applied: Vec<DynamicObject>,
}

/// Runs `watcher` + `reflector` on InferenceServices in the background; returns the store
/// and the log of events.
pub(crate) fn reflect(
    client: &kube::Client,
    config: watcher::Config,
) -> (
    reflector::Store<DynamicObject>,
    Arc<Mutex<Seen>>,
    tokio::task::JoinHandle<()>,
) {
    let writer = reflector::store::Writer::<DynamicObject>::new(isvc_resource());
    let reader = writer.as_reader();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let log = seen.clone();
    let stream = watcher::watcher(all_isvcs(client), config)
        .default_backoff()
        .reflect(writer);
    let task = tokio::spawn(async move {
        futures::pin_mut!(stream);
        while let Some(item) = stream.next().await {
            let mut s = log.lock().unwrap();
            match item {
                Ok(Event::Init) => s.inits += 1,
                Ok(Event::InitDone) => s.init_dones += 1,
                Ok(Event::Apply(o)) => s.applied.push(o),
                Ok(_) => {}
                Err(e) => s.errors.push(e.to_string()),
            }
        }
    });
    (reader, seen, task)
}

pub(crate) async fn store_label(
    store: &reflector::Store<DynamicObject>,
    ns: &str,
    name: &str,
    key: &str,
    want: &str,
) -> bool {
    poll_async(SETTLE, || async {
        store
            .get(&reflector::ObjectRef::new_with(name, isvc_resource()).within(ns))
            .filter(|o| label(o, key).as_deref() == Some(want))
            .map(|_| ())
    })
    .await
    .is_some()
}

pub(crate) async fn can_i(client: &kube::Client, verb: &str, resource: &str, ns: &str) -> bool {
    let reviews: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                group: Some("serving.kserve.io".into()),
                resource: Some(resource.into()),
                verb: Some(verb.into()),
                namespace: Some(ns.into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = reviews
        .create(&PostParams::default(), &review)
        .await
        .unwrap();
    answer.status.expect("a status").allowed
}

/// A raw request through the kube client's connection; the status code and the JSON body.
pub(crate) async fn raw(
    client: &kube::Client,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, Value) {
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type)
        .body(kube::client::Body::from(body.to_vec()))
        .unwrap();
    let response = client.send(req).await.unwrap();
    let code = response.status().as_u16();
    let bytes = response.into_body().collect_bytes().await.unwrap();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {bytes:?}"));
    (code, value)
}

/// Method, path, content type, body; the code and reason the answer must have.
pub(crate) type BadRequest = (
    &'static str,
    String,
    &'static str,
    &'static [u8],
    u16,
    &'static str,
);
