//! The real kube client against the simulated API server, part two (part one: tests/sim_kube.rs):
//! log streams, access reviews, paging, label and field selectors, the errors bad input gets, and
//! faults set over the control API.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "support/sim_kube.rs"]
mod support;

use common::sim::Sim;
use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams, WatchEvent, WatchParams};
use kube::runtime::watcher::{self};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

use support::*;

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
