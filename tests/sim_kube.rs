//! The real kube client (kube-rs: `Client`, `Api`, `runtime::watcher`, `reflector`) against
//! the simulated API server over HTTPS, built from the sim's kubeconfig the way kdeck builds
//! its own (DESIGN.md §4, "kube I/O"): lists, watches and their faults, patches and
//! conflicts, dry run, the status subresource, log streams, access reviews, paging,
//! selectors, and the errors bad input gets.
#![allow(clippy::unwrap_used)]

mod common;

use common::sim::{Sim, poll_async};
use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, LogParams, Patch, PatchParams,
    PostParams, WatchEvent, WatchParams,
};
use kube::runtime::watcher::{self, Event};
use kube::runtime::{WatchStreamExt, reflector};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SETTLE: Duration = Duration::from_secs(10);

fn isvc_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("serving.kserve.io", "v1beta1", "InferenceService"),
        "inferenceservices",
    )
}

fn isvcs(client: &kube::Client, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), ns, &isvc_resource())
}

fn all_isvcs(client: &kube::Client) -> Api<DynamicObject> {
    Api::all_with(client.clone(), &isvc_resource())
}

fn api_error(e: kube::Error) -> Box<kube::core::Status> {
    match e {
        kube::Error::Api(s) => s,
        other => panic!("expected a Status from the server, got {other:?}"),
    }
}

fn label(obj: &DynamicObject, key: &str) -> Option<String> {
    obj.metadata.labels.as_ref()?.get(key).cloned()
}

async fn set_label(client: &kube::Client, ns: &str, name: &str, key: &str, value: &str) {
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
struct Seen {
    inits: usize,
    init_dones: usize,
    errors: Vec<String>,
    applied: Vec<DynamicObject>,
}

/// Runs `watcher` + `reflector` on InferenceServices in the background; returns the store
/// and the log of events.
fn reflect(
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

async fn store_label(
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_list_watch_and_a_reflector_see_a_patch() {
    let sim = Sim::demo();
    let client = sim.client().await;
    // kube's discovery finds KServe's kinds with their scope and verbs.
    let discovery = kube::Discovery::new(client.clone()).run().await.unwrap();
    let (ar, caps) = discovery
        .resolve_gvk(&GroupVersionKind::gvk(
            "serving.kserve.io",
            "v1beta1",
            "InferenceService",
        ))
        .expect("InferenceService is discovered");
    assert_eq!(ar.plural, "inferenceservices");
    assert_eq!(caps.scope, kube::discovery::Scope::Namespaced);
    assert!(caps.supports_operation(kube::discovery::verbs::WATCH));
    // A plain list.
    let list = all_isvcs(&client)
        .list(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(list.items.len(), 13);
    assert!(list.metadata.resource_version.is_some());
    // A reflector: fills, then follows a patch.
    let (store, seen, task) = reflect(&client, watcher::Config::default());
    store.wait_until_ready().await.unwrap();
    assert_eq!(store.state().len(), 13);
    set_label(&client, "ml-prod", "fraud-detector", "kdeck-test", "one").await;
    assert!(store_label(&store, "ml-prod", "fraud-detector", "kdeck-test", "one").await);
    let s = seen.lock().unwrap();
    assert_eq!((s.inits, s.init_dones), (1, 1), "one list, no relist");
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    drop(s);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_watch_resumes_from_its_version_without_losing_changes() {
    let sim = Sim::demo();
    let client = sim.client().await;
    // The raw watch ends when the server drops it.
    let api = all_isvcs(&client);
    let rv = api
        .list(&ListParams::default().limit(1))
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut raw = api
        .watch(&WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    sim.server.faults.drop_watches();
    let ended = tokio::time::timeout(SETTLE, async {
        while let Some(e) = raw.next().await {
            e.unwrap();
        }
    })
    .await;
    assert!(ended.is_ok(), "the dropped watch never ended");
    // A watcher resumes from the last version it saw: the change made while it reconnects
    // arrives, with no relist.
    let (store, seen, task) = reflect(&client, watcher::Config::default());
    store.wait_until_ready().await.unwrap();
    for round in 0..3 {
        sim.server.faults.drop_watches();
        let value = format!("drop-{round}");
        set_label(&client, "ml-prod", "sklearn-iris", "kdeck-test", &value).await;
        assert!(
            store_label(&store, "ml-prod", "sklearn-iris", "kdeck-test", &value).await,
            "round {round}: the change made across a dropped watch was lost"
        );
    }
    // The periodic fault: watches end every 200 ms; every change still arrives.
    sim.server.faults.add("drop-watches=200ms".parse().unwrap());
    for round in 0..5 {
        let value = format!("periodic-{round}");
        set_label(&client, "ml-staging", "lgbm-ranker", "kdeck-test", &value).await;
        assert!(
            store_label(&store, "ml-staging", "lgbm-ranker", "kdeck-test", &value).await,
            "round {round}: lost under drop-watches=200ms"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let s = seen.lock().unwrap();
    assert_eq!(s.inits, 1, "resumed without relisting: {:?}", s.errors);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    drop(s);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_on_resume_makes_the_watcher_relist_and_it_catches_up() {
    let sim = Sim::start(kdeck::sim::SimOptions {
        time_scale: 20.0,
        faults: vec!["gone-on-resume".parse().unwrap()],
        ..Default::default()
    });
    let client = sim.client().await;
    // A watch from a listed version is a start, not a resume: it works.
    let (store, seen, task) = reflect(&client, watcher::Config::default());
    store.wait_until_ready().await.unwrap();
    set_label(&client, "ml-prod", "xgb-churn", "kdeck-test", "watched").await;
    assert!(store_label(&store, "ml-prod", "xgb-churn", "kdeck-test", "watched").await);
    assert_eq!(seen.lock().unwrap().inits, 1);
    // A resume after a drop gets 410; the watcher relists and sees what changed meanwhile.
    sim.server.faults.drop_watches();
    set_label(&client, "ml-prod", "xgb-churn", "kdeck-test", "relisted").await;
    assert!(store_label(&store, "ml-prod", "xgb-churn", "kdeck-test", "relisted").await);
    let relisted = poll_async(SETTLE, || async {
        let s = seen.lock().unwrap();
        (s.inits >= 2 && s.init_dones >= 2).then_some(s.errors.clone())
    })
    .await
    .expect("the watcher relisted");
    assert!(
        relisted
            .iter()
            .any(|e| e.contains("410") || e.contains("too old")),
        "{relisted:?}"
    );
    // And after the relist it watches again (changes arrive as events, not relists).
    let inits = seen.lock().unwrap().inits;
    set_label(&client, "ml-prod", "xgb-churn", "kdeck-test", "after").await;
    assert!(store_label(&store, "ml-prod", "xgb-churn", "kdeck-test", "after").await);
    let s = seen.lock().unwrap();
    assert_eq!(s.inits, inits);
    assert!(
        s.applied
            .iter()
            .any(|o| label(o, "kdeck-test").as_deref() == Some("after"))
    );
    drop(s);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_patch_with_a_resource_version_and_conflicts() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let api = isvcs(&client, "ml-prod");
    let patch_at = |rv: String, value: &'static str| {
        let api = api.clone();
        async move {
            api.patch(
                "sklearn-iris",
                &PatchParams::default(),
                &Patch::Merge(
                    json!({"metadata": {"resourceVersion": rv, "labels": {"kdeck-test": value}}}),
                ),
            )
            .await
        }
    };
    // The current version: accepted (the controller may write status in between; retry).
    let mut done = None;
    for _ in 0..5 {
        let current = api.get("sklearn-iris").await.unwrap();
        let rv = current.metadata.resource_version.clone().unwrap();
        match patch_at(rv.clone(), "fresh").await {
            Ok(obj) => {
                done = Some((rv, obj));
                break;
            }
            Err(e) => assert!(api_error(e).is_conflict()),
        }
    }
    let (old_rv, patched) = done.expect("a patch at the current version succeeds");
    assert_eq!(label(&patched, "kdeck-test").as_deref(), Some("fresh"));
    assert_ne!(patched.metadata.resource_version.as_deref(), Some(&*old_rv));
    // A stale version: 409 Conflict, nothing changes.
    let stale = api_error(patch_at(old_rv, "stale").await.unwrap_err());
    assert_eq!(stale.code, 409);
    assert_eq!(stale.reason, "Conflict");
    assert!(stale.message.contains("the object has been modified"));
    let now = api.get("sklearn-iris").await.unwrap();
    assert_eq!(label(&now, "kdeck-test").as_deref(), Some("fresh"));
    // conflict-next-patch: the next patch fails once, the one after works.
    sim.server
        .faults
        .add("conflict-next-patch".parse().unwrap());
    let merge = Patch::Merge(json!({"metadata": {"labels": {"kdeck-test": "after-fault"}}}));
    let first = api
        .patch("sklearn-iris", &PatchParams::default(), &merge)
        .await;
    assert!(api_error(first.unwrap_err()).is_conflict());
    let second = api
        .patch("sklearn-iris", &PatchParams::default(), &merge)
        .await
        .unwrap();
    assert_eq!(label(&second, "kdeck-test").as_deref(), Some("after-fault"));
    // Update (PUT) with a stale version is refused the same way.
    let mut stale_obj = now.clone();
    stale_obj
        .metadata
        .labels
        .get_or_insert_default()
        .insert("kdeck-test".into(), "put".into());
    let put = api
        .replace("sklearn-iris", &PostParams::default(), &stale_obj)
        .await;
    assert!(api_error(put.unwrap_err()).is_conflict());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_answers_without_persisting() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let api = isvcs(&client, "ml-prod");
    let before = api.get("torch-mnist").await.unwrap();
    let dry = PatchParams {
        dry_run: true,
        ..Default::default()
    };
    let answered = api
        .patch(
            "torch-mnist",
            &dry,
            &Patch::Merge(json!({"spec": {"predictor": {"minReplicas": 3}}})),
        )
        .await
        .unwrap();
    assert_eq!(answered.data["spec"]["predictor"]["minReplicas"], 3);
    let after = api.get("torch-mnist").await.unwrap();
    assert_eq!(after.data["spec"], before.data["spec"]);
    assert_eq!(after.metadata.generation, before.metadata.generation);
    // Create and delete, dry: nothing appears, nothing goes.
    let mut obj = DynamicObject::new("dry-created", &isvc_resource()).within("ml-prod");
    obj.data = json!({"spec": {"predictor": {"sklearn": {"storageUri": "gs://x"}}}});
    let pp = PostParams {
        dry_run: true,
        ..Default::default()
    };
    api.create(&pp, &obj).await.unwrap();
    assert!(api_error(api.get("dry-created").await.unwrap_err()).is_not_found());
    let dp = kube::api::DeleteParams {
        dry_run: true,
        ..Default::default()
    };
    api.delete("torch-mnist", &dp).await.unwrap();
    assert!(api.get("torch-mnist").await.is_ok());
    // An invalid object is refused even in a dry run.
    let invalid = api
        .patch(
            "torch-mnist",
            &dry,
            &Patch::Merge(json!({"spec": {"predictor": {"canaryTrafficPercent": 101}}})),
        )
        .await;
    assert_eq!(api_error(invalid.unwrap_err()).code, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_subresource_is_separate_from_the_spec() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let api = isvcs(&client, "ml-prod");
    let before = api.get("xgb-churn").await.unwrap();
    let generation = before.metadata.generation;
    // The main resource ignores status changes.
    let main = api
        .patch(
            "xgb-churn",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"kdeckTest": "main"}, "metadata": {"labels": {"kdeck-test": "main"}}})),
        )
        .await
        .unwrap();
    assert!(main.data["status"].get("kdeckTest").is_none());
    assert!(main.data["status"]["conditions"].is_array());
    // The status subresource changes only the status, and the generation stays.
    let status = api
        .patch_status(
            "xgb-churn",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"kdeckTest": "status"}, "spec": {"predictor": {"minReplicas": 7}}})),
        )
        .await
        .unwrap();
    assert_eq!(status.data["status"]["kdeckTest"], "status");
    assert_eq!(
        status.data["spec"]["predictor"]["minReplicas"],
        before.data["spec"]["predictor"]["minReplicas"]
    );
    assert_eq!(status.metadata.generation, generation);
    let read = api.get_status("xgb-churn").await.unwrap();
    assert!(read.data["status"]["conditions"].is_array());
    // A spec change bumps the generation; the controller then observes it.
    let spec = api
        .patch(
            "xgb-churn",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"predictor": {"minReplicas": 2}}})),
        )
        .await
        .unwrap();
    let next = generation.unwrap() + 1;
    assert_eq!(spec.metadata.generation, Some(next));
    let observed = poll_async(SETTLE, || async {
        let o = api.get("xgb-churn").await.ok()?;
        (o.data["status"]["observedGeneration"] == json!(next)).then_some(())
    })
    .await;
    assert!(
        observed.is_some(),
        "the controller never observed generation {next}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_pod_log_stream_gives_lines() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "ml-prod");
    let list = pods
        .list(
            &ListParams::default()
                .labels("serving.kserve.io/inferenceservice=fraud-detector,component=predictor")
                .fields("status.phase=Running"),
        )
        .await
        .unwrap();
    let pod = list.items.first().expect("a running predictor pod");
    let name = pod.metadata.name.clone().unwrap();
    let params = LogParams {
        follow: true,
        container: Some("kserve-container".into()),
        tail_lines: Some(2),
        timestamps: true,
        ..Default::default()
    };
    let mut lines = pods.log_stream(&name, &params).await.unwrap().lines();
    let got = tokio::time::timeout(SETTLE, async {
        let mut got = Vec::new();
        while got.len() < 5 {
            match lines.try_next().await.unwrap() {
                Some(l) => got.push(l),
                None => break,
            }
        }
        got
    })
    .await
    .expect("five lines within the deadline");
    assert_eq!(got.len(), 5, "{got:?}");
    for l in &got {
        // kubelet's RFC 3339 timestamp, then the model server's line.
        let (ts, rest) = l.split_once(' ').expect("timestamped");
        assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{l}");
        assert!(!rest.is_empty());
    }
    assert!(
        got.iter().any(|l| l.contains("POST /v2/models/")),
        "{got:?}"
    );
    // Without a container on a two-container pod: the API server's 400.
    let ambiguous = pods.logs(&name, &LogParams::default()).await;
    let e = api_error(ambiguous.unwrap_err());
    assert_eq!(e.code, 400);
    assert!(
        e.message.contains("a container name must be specified"),
        "{}",
        e.message
    );
}

async fn can_i(client: &kube::Client, verb: &str, resource: &str, ns: &str) -> bool {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_subject_access_review_is_allowed_until_a_fault_forbids() {
    let sim = Sim::demo();
    let client = sim.client().await;
    assert!(can_i(&client, "patch", "inferenceservices", "ml-prod").await);
    sim.server
        .faults
        .add("forbid-verb=patch:inferenceservices".parse().unwrap());
    assert!(!can_i(&client, "patch", "inferenceservices", "ml-prod").await);
    assert!(can_i(&client, "get", "inferenceservices", "ml-prod").await);
    sim.server
        .faults
        .add("forbid-namespace=ml-staging".parse().unwrap());
    assert!(!can_i(&client, "get", "inferenceservices", "ml-staging").await);
    // The requests themselves answer 403 the same way.
    let e = api_error(
        isvcs(&client, "ml-staging")
            .list(&ListParams::default())
            .await
            .unwrap_err(),
    );
    assert!(e.is_forbidden(), "{e:?}");
    sim.server.faults.clear();
    assert!(can_i(&client, "patch", "inferenceservices", "ml-staging").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_and_continue_page_through_every_item_exactly_once() {
    let sim = Sim::scale(300);
    let client = sim.client().await;
    let pods: Api<Pod> = Api::all(client.clone());
    let expected = sim
        .server
        .store
        .count(kdeck::sim::resources::find("", "v1", "pods").unwrap());
    assert!(expected >= 800, "{expected}");
    let mut names = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    let mut first_rv = None;
    loop {
        let mut lp = ListParams::default().limit(128);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = pods.list(&lp).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 128);
        let rv = page.metadata.resource_version.clone();
        assert_eq!(
            *first_rv.get_or_insert(rv.clone()),
            rv,
            "every page has the first page's version"
        );
        names.extend(page.items.iter().map(|p| {
            format!(
                "{}/{}",
                p.metadata.namespace.as_deref().unwrap_or(""),
                p.metadata.name.as_deref().unwrap_or("")
            )
        }));
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    let unique: HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "no item twice");
    assert!(
        names.len() >= expected - 30 && names.len() <= expected + 30,
        "{} listed, {expected} in the store",
        names.len()
    );
    assert_eq!(pages, names.len().div_ceil(128));
    // The same over InferenceServices: exactly the 300.
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().limit(64);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = all_isvcs(&client).list(&lp).await.unwrap();
        all.extend(page.items.into_iter().map(|o| o.metadata.name.unwrap()));
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!((all.len(), unique.len()), (300, 300));
    // A reflector over paged lists holds the same set.
    let (store, _seen, task) = reflect(&client, watcher::Config::default().page_size(50));
    store.wait_until_ready().await.unwrap();
    assert_eq!(store.state().len(), 300);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_and_field_selectors_filter_lists_and_watches() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let pods: Api<Pod> = Api::all(client.clone());
    let all = pods.list(&ListParams::default()).await.unwrap().items;
    let fraud = pods
        .list(&ListParams::default().labels("serving.kserve.io/inferenceservice=fraud-detector"))
        .await
        .unwrap()
        .items;
    assert!(!fraud.is_empty() && fraud.len() < all.len());
    assert!(fraud.iter().all(
        |p| p.metadata.labels.as_ref().unwrap()["serving.kserve.io/inferenceservice"]
            == "fraud-detector"
    ));
    let set = pods
        .list(&ListParams::default().labels(
            "serving.kserve.io/inferenceservice in (fraud-detector,sklearn-iris),component=predictor",
        ))
        .await
        .unwrap()
        .items;
    let owners: HashSet<String> = set
        .iter()
        .map(|p| p.metadata.labels.as_ref().unwrap()["serving.kserve.io/inferenceservice"].clone())
        .collect();
    assert_eq!(
        owners,
        HashSet::from(["fraud-detector".into(), "sklearn-iris".into()])
    );
    let not_prod = pods
        .list(&ListParams::default().fields("metadata.namespace!=ml-prod"))
        .await
        .unwrap()
        .items;
    assert!(
        not_prod
            .iter()
            .all(|p| p.metadata.namespace.as_deref() != Some("ml-prod"))
    );
    let in_prod = pods
        .list(&ListParams::default().fields("metadata.namespace=ml-prod"))
        .await
        .unwrap()
        .items;
    // The demo's pods come and go (autoscaling, LLM workloads): every pod listed before and
    // after the two selector lists is in exactly one of them.
    let after = pods.list(&ListParams::default()).await.unwrap().items;
    let key = |p: &Pod| {
        (
            p.metadata.namespace.clone().unwrap_or_default(),
            p.metadata.name.clone().unwrap_or_default(),
        )
    };
    let after: HashSet<_> = after.iter().map(key).collect();
    let in_prod_keys: HashSet<_> = in_prod.iter().map(key).collect();
    let not_prod_keys: HashSet<_> = not_prod.iter().map(key).collect();
    let throughout: Vec<_> = all.iter().map(key).filter(|k| after.contains(k)).collect();
    assert!(
        throughout.len() > all.len() / 2,
        "{} of {}",
        throughout.len(),
        all.len()
    );
    for k in &throughout {
        assert!(
            in_prod_keys.contains(k) != not_prod_keys.contains(k),
            "{k:?} in both or neither selector list"
        );
    }
    let one = &fraud[0];
    let by_name = pods
        .list(&ListParams::default().fields(&format!(
            "metadata.name={},metadata.namespace=ml-prod",
            one.metadata.name.as_deref().unwrap()
        )))
        .await
        .unwrap()
        .items;
    assert_eq!(by_name.len(), 1);
    let running = pods
        .list(&ListParams::default().fields("status.phase=Running"))
        .await
        .unwrap()
        .items;
    assert!(
        running
            .iter()
            .all(|p| p.status.as_ref().unwrap().phase.as_deref() == Some("Running"))
    );
    // A bad selector is a 400.
    let bad = pods.list(&ListParams::default().labels("a in (b")).await;
    assert_eq!(api_error(bad.unwrap_err()).code, 400);
    // A watch with a selector only carries matching objects.
    let api = all_isvcs(&client);
    let rv = api
        .list(&ListParams::default().limit(1))
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut watch = api
        .watch(&WatchParams::default().labels("kdeck-test=picked"), &rv)
        .await
        .unwrap()
        .boxed();
    set_label(&client, "ml-prod", "torch-mnist", "kdeck-test", "other").await;
    set_label(&client, "ml-prod", "xgb-churn", "kdeck-test", "picked").await;
    let first = tokio::time::timeout(SETTLE, async {
        loop {
            match watch.next().await.expect("the watch stays open").unwrap() {
                WatchEvent::Added(o) | WatchEvent::Modified(o) => return o,
                _ => continue,
            }
        }
    })
    .await
    .expect("an event");
    assert_eq!(first.metadata.name.as_deref(), Some("xgb-churn"));
}

/// A raw request through the kube client's connection; the status code and the JSON body.
async fn raw(
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
type BadRequest = (
    &'static str,
    String,
    &'static str,
    &'static [u8],
    u16,
    &'static str,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_answers_status_errors_and_the_server_keeps_working() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let base = "/apis/serving.kserve.io/v1beta1/namespaces/ml-prod/inferenceservices";
    let json = "application/json";
    let merge = "application/merge-patch+json";
    let cases: Vec<BadRequest> = vec![
        (
            "POST",
            base.to_string(),
            json,
            b"{not json",
            400,
            "BadRequest",
        ),
        ("POST", base.to_string(), json, b"[1,2]", 400, "BadRequest"),
        (
            "POST",
            base.to_string(),
            json,
            br#"{"metadata":{"name":"no-predictor"},"spec":{}}"#,
            422,
            "Invalid",
        ),
        (
            "POST",
            base.to_string(),
            json,
            br#"{"metadata":{"name":"sklearn-iris"},"spec":{"predictor":{"sklearn":{}}}}"#,
            409,
            "AlreadyExists",
        ),
        (
            "GET",
            "/apis/serving.kserve.io/v1beta1/namespaces/ml-prod/widgets".into(),
            json,
            b"",
            404,
            "NotFound",
        ),
        ("GET", format!("{base}/nope"), json, b"", 404, "NotFound"),
        (
            "GET",
            "/api/v1/namespaces/nowhere/pods/x".into(),
            json,
            b"",
            404,
            "NotFound",
        ),
        (
            "PATCH",
            format!("{base}/sklearn-iris"),
            merge,
            b"{oops",
            400,
            "BadRequest",
        ),
        (
            "PATCH",
            format!("{base}/sklearn-iris"),
            merge,
            b"\"text\"",
            400,
            "BadRequest",
        ),
        (
            "PATCH",
            format!("{base}/sklearn-iris"),
            "application/json-patch+json",
            br#"[{"op":"replace","path":"/spec/nothing/here","value":1}]"#,
            422,
            "Invalid",
        ),
        (
            "PATCH",
            format!("{base}/sklearn-iris"),
            "application/json-patch+json",
            br#"{"op":"add"}"#,
            400,
            "BadRequest",
        ),
        (
            "PATCH",
            format!("{base}/sklearn-iris"),
            merge,
            br#"{"spec":{"predictor":{"minReplicas":5,"maxReplicas":2}}}"#,
            422,
            "Invalid",
        ),
        (
            "PATCH",
            format!("{base}/sklearn-iris"),
            "text/plain",
            b"x",
            415,
            "UnsupportedMediaType",
        ),
        (
            "GET",
            format!("{base}?labelSelector=%3D%3D%3D"),
            json,
            b"",
            400,
            "BadRequest",
        ),
        (
            "GET",
            format!("{base}?continue=garbage"),
            json,
            b"",
            400,
            "BadRequest",
        ),
        ("DELETE", format!("{base}/nope"), json, b"", 404, "NotFound"),
        (
            "PUT",
            format!("{base}/sklearn-iris/nonsense"),
            json,
            b"{}",
            405,
            "MethodNotAllowed",
        ),
    ];
    for (method, path, ct, body, code, reason) in &cases {
        let (got, status) = raw(&client, method, path, ct, body).await;
        assert_eq!(got, *code, "{method} {path}: {status}");
        assert_eq!(status["kind"], "Status", "{method} {path}: {status}");
        assert_eq!(status["status"], "Failure", "{method} {path}: {status}");
        assert_eq!(status["reason"], *reason, "{method} {path}: {status}");
        assert!(
            status["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{method} {path}: {status}"
        );
    }
    // A 422 names the field.
    let (_, invalid) = raw(&client, "POST", base, json, br#"{"metadata":{"name":"x"},"spec":{"predictor":{"sklearn":{},"canaryTrafficPercent":-1}}}"#).await;
    assert!(
        invalid["details"]["causes"].as_array().is_some_and(|c| c
            .iter()
            .any(|c| c["field"] == "spec.predictor.canaryTrafficPercent")),
        "{invalid}"
    );
    // Nothing was created or changed, and the server still answers.
    let api = isvcs(&client, "ml-prod");
    assert!(api_error(api.get("no-predictor").await.unwrap_err()).is_not_found());
    let iris = api.get("sklearn-iris").await.unwrap();
    assert!(iris.data["spec"]["predictor"].get("maxReplicas").is_none());
    let list = all_isvcs(&client)
        .list(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(list.items.len(), 13);
    let stats = sim.stats(&client).await;
    assert!(stats["requests"]["list"]["requests"].as_u64().unwrap() >= 1);
    let _: BTreeMap<String, Value> = serde_json::from_value(stats["objects"].clone()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_set_over_the_control_api_answer_500_until_cleared() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let (code, added) = raw(
        &client,
        "POST",
        "/kdeck-sim/v1/faults",
        "text/plain",
        b"error500=list",
    )
    .await;
    assert_eq!(code, 200, "{added}");
    let (_, listed) = raw(
        &client,
        "GET",
        "/kdeck-sim/v1/faults",
        "application/json",
        b"",
    )
    .await;
    assert_eq!(
        listed["faults"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    let e = api_error(
        all_isvcs(&client)
            .list(&ListParams::default())
            .await
            .unwrap_err(),
    );
    assert_eq!((e.code, e.reason.as_str()), (500, "InternalError"));
    // Only lists fail; a get still works.
    isvcs(&client, "ml-prod").get("sklearn-iris").await.unwrap();
    let (bad, _) = raw(
        &client,
        "POST",
        "/kdeck-sim/v1/faults",
        "text/plain",
        b"explode",
    )
    .await;
    assert_eq!(bad, 400);
    let (code, _) = raw(
        &client,
        "DELETE",
        "/kdeck-sim/v1/faults",
        "application/json",
        b"",
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        all_isvcs(&client)
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        13
    );
}
