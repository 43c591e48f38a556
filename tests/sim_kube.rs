//! The real kube client (kube-rs: `Client`, `Api`, `runtime::watcher`, `reflector`) against
//! the simulated API server over HTTPS, built from the sim's kubeconfig the way kdeck builds
//! its own (DESIGN.md §4, "kube I/O"): lists, watches and their faults, patches and
//! conflicts, dry run, the status subresource, log streams, access reviews, paging,
//! selectors, and the errors bad input gets.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "support/sim_kube.rs"]
mod support;

use common::sim::{Sim, poll_async};
use futures::StreamExt;
use kube::api::{
    DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams, WatchParams,
};
use kube::runtime::watcher::{self};
use serde_json::json;
use std::time::Duration;

use support::*;

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
async fn a_resume_from_a_version_beyond_the_history_is_gone_and_a_relist_recovers() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let api = all_isvcs(&client);
    let listed = api.list(&ListParams::default()).await.unwrap();
    let old_rv = listed.metadata.resource_version.unwrap();
    // The demo's dozen services keep the fewest changes a resource keeps; more changes than
    // that push the listed version out of the history.
    let changes = kdeck::sim::store::HISTORY_MIN + 5;
    for n in 0..changes {
        set_label(
            &client,
            "ml-prod",
            "xgb-churn",
            "kdeck-test",
            &format!("n{n}"),
        )
        .await;
    }
    // A watch resuming from it gets 410 Gone inside the stream, the form kdeck's watcher
    // turns into a relist.
    let mut stream = api
        .watch(&WatchParams::default(), &old_rv)
        .await
        .unwrap()
        .boxed();
    match stream.next().await {
        Some(Ok(kube::api::WatchEvent::Error(status))) => {
            assert_eq!(status.code, 410, "{status:?}");
        }
        other => panic!("expected 410 Gone for a compacted version, got {other:?}"),
    }
    // The relist holds the latest change, and a watch from the relist's version follows.
    let relisted = api.list(&ListParams::default()).await.unwrap();
    let last = format!("n{}", changes - 1);
    assert!(relisted.items.iter().any(|o| {
        o.metadata.name.as_deref() == Some("xgb-churn")
            && label(o, "kdeck-test").as_deref() == Some(last.as_str())
    }));
    let mut stream = api
        .watch(
            &WatchParams::default(),
            &relisted.metadata.resource_version.unwrap(),
        )
        .await
        .unwrap()
        .boxed();
    set_label(&client, "ml-prod", "xgb-churn", "kdeck-test", "followed").await;
    let followed = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(event) = stream.next().await {
            if let Ok(kube::api::WatchEvent::Modified(o)) = event
                && label(&o, "kdeck-test").as_deref() == Some("followed")
            {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        followed,
        Ok(true),
        "the watch from the relist saw the change"
    );
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
