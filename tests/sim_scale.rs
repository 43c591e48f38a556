//! Scale: the `scale` scenario with 2000 InferenceServices (6000 pods) — kubectl lists every
//! row, and ten kube watchers on pods all keep up with a burst of changes. Timings are
//! printed (wall time, and the server's own handling time from `/kdeck-sim/v1/stats`), never
//! asserted: benchmarks measure, tests check.
#![allow(clippy::unwrap_used)]

mod common;

use common::sim::Sim;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, Patch, PatchParams, WatchEvent, WatchParams};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const SERVICES: usize = 2000;

fn start() -> Sim {
    let started = Instant::now();
    let sim = Sim::scale(SERVICES);
    let pods = sim
        .server
        .store
        .count(kdeck::sim::resources::find("", "v1", "pods").unwrap());
    report(&format!(
        "scale: built {SERVICES} InferenceServices and {pods} pods in {:.2?}",
        started.elapsed()
    ));
    sim
}

/// Prints a measurement so it shows in the test output even when cargo captures it (the
/// harness captures `println!`/`eprintln!`, not writes to the stderr handle).
fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn millis(stats: &serde_json::Value, kind: &str) -> String {
    let r = &stats["requests"][kind];
    format!(
        "{} request(s), {:.1} ms in all, {:.1} ms mean",
        r["requests"].as_u64().unwrap_or(0),
        r["total_ms"].as_f64().unwrap_or(0.0),
        r["mean_ms"].as_f64().unwrap_or(0.0)
    )
}

#[test]
fn kubectl_lists_all_2000_services() {
    require_kubectl!();
    let sim = start();
    let k = sim.kubectl();
    let started = Instant::now();
    let out = k.ok(&["get", "isvc", "-A", "--no-headers"]);
    let wall = started.elapsed();
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), SERVICES);
    let names: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.split_whitespace().nth(1))
        .collect();
    assert_eq!(names.len(), SERVICES, "every service once");
    assert!(names.contains("model-00000") && names.contains("model-01999"));
    // The canaries of the scenario show their split (one in a hundred).
    let canaries = rows
        .iter()
        .filter(|r| {
            let c: Vec<&str> = r.split_whitespace().collect();
            c.get(4..6) == Some(&["90", "10"][..])
        })
        .count();
    assert_eq!(canaries, SERVICES / 100, "canary rows");
    let stats = sim.stats_blocking();
    report(&format!(
        "scale: kubectl get isvc -A ({SERVICES} rows): {wall:.2?} wall; server list handling: {}",
        millis(&stats, "list")
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_pod_watchers_all_see_every_change_of_a_burst() {
    let sim = start();
    let client = sim.client().await;
    let pods_resource = kdeck::sim::resources::find("", "v1", "pods").unwrap();
    let pods: Api<Pod> = Api::all(client.clone());
    let start_rv = pods
        .list(&ListParams::default().limit(1))
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    // Ten watchers from the same version, each on its own connection.
    // Ten watchers from the same version, each on its own connection, each reading as the
    // events come (a watcher that fell behind would get 410 and end).
    let (marker_tx, marker_rx) = tokio::sync::watch::channel(u64::MAX);
    let mut watchers = Vec::new();
    for n in 0..10 {
        let client = sim.client().await;
        let api: Api<Pod> = Api::all(client);
        let mut stream = api
            .watch(&WatchParams::default(), &start_rv)
            .await
            .unwrap()
            .boxed();
        let marker = marker_rx.clone();
        watchers.push(tokio::spawn(async move {
            let mut seen = BTreeSet::new();
            while let Some(e) = stream.next().await {
                let obj = match e.unwrap() {
                    WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o) => o,
                    WatchEvent::Bookmark(_) => continue,
                    WatchEvent::Error(e) => panic!("watcher {n} fell behind: {e:?}"),
                };
                let rv: u64 = obj.metadata.resource_version.unwrap().parse().unwrap();
                seen.insert(rv);
                if rv >= *marker.borrow() {
                    return seen;
                }
            }
            panic!("watcher {n}: the watch ended");
        }));
    }
    // The burst: 50 services get a new model (new revisions, new pods, old pods going),
    // then a marker pod change that every watcher must reach.
    let started = Instant::now();
    let isvcs = Api::<kube::api::DynamicObject>::namespaced_with(
        client.clone(),
        "team-00",
        &kube::api::ApiResource::from_gvk_with_plural(
            &kube::api::GroupVersionKind::gvk("serving.kserve.io", "v1beta1", "InferenceService"),
            "inferenceservices",
        ),
    );
    for i in 0..50 {
        isvcs
            .patch(
                &format!("model-{i:05}"),
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"predictor": {"model": {"storageUri": format!("gs://kdeck-scale/models/{i}/v2")}}}})),
            )
            .await
            .unwrap();
    }
    // Wait (bounded) until the controller has started a pod of every new revision (counted
    // from the store's changes, not from the pods present: the old revisions' pods go and the
    // new ones may scale, so a count of present pods depends on how fast this machine is),
    // then mark the end of the burst with one more pod change.
    // The store's changes are read as they come (its history is bounded by count, as the
    // API server's watch cache is, so the whole burst may not be resumable at the end):
    // (resourceVersion, namespace, revision label) of every pod change since `start_rv`.
    let changes = std::sync::Mutex::new((start_rv.parse::<u64>().unwrap(), Vec::new()));
    let read_changes = || {
        let mut guard = changes.lock().unwrap();
        let (last, seen) = &mut *guard;
        let new = sim
            .server
            .store
            .changes_since(pods_resource, *last)
            .unwrap_or_else(|e| panic!("the test fell behind the sim's history: {e:?}"));
        for e in new {
            let labels = &e.object["metadata"]["labels"];
            seen.push((
                e.rv,
                e.object["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                labels["serving.knative.dev/revision"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            ));
            *last = (*last).max(e.rv);
        }
    };
    let revisions_started = || {
        read_changes();
        let guard = changes.lock().unwrap();
        guard
            .1
            .iter()
            .filter(|(_, ns, revision)| ns == "team-00" && revision.ends_with("-00002"))
            .map(|(_, _, revision)| revision.clone())
            .collect::<BTreeSet<_>>()
            .len()
    };
    let rolled = common::sim::poll_async(Duration::from_secs(60), || async {
        (revisions_started() >= 50).then_some(())
    })
    .await;
    assert!(
        rolled.is_some(),
        "only {} of 50 new revisions started a pod",
        revisions_started()
    );
    let marker_ns = "team-09";
    let marker_api: Api<Pod> = Api::namespaced(client.clone(), marker_ns);
    let marker_pod = marker_api
        .list(&ListParams::default().labels("serving.kserve.io/inferenceservice=model-01999"))
        .await
        .unwrap()
        .items
        .remove(0);
    let marker = marker_api
        .patch(
            marker_pod.metadata.name.as_deref().unwrap(),
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"kdeck-test": "marker"}}})),
        )
        .await
        .unwrap();
    let marker_rv: u64 = marker.metadata.resource_version.unwrap().parse().unwrap();
    // The truth: every pod change the store made in between.
    read_changes();
    let truth: BTreeSet<u64> = (changes.lock().unwrap().1.iter())
        .map(|(rv, _, _)| *rv)
        .filter(|rv| *rv <= marker_rv)
        .collect();
    assert!(truth.len() > 100, "a burst: {} pod changes", truth.len());
    marker_tx.send(marker_rv).unwrap();
    for (n, w) in watchers.into_iter().enumerate() {
        let seen = tokio::time::timeout(Duration::from_secs(20), w)
            .await
            .unwrap_or_else(|_| panic!("watcher {n} did not reach the marker"))
            .unwrap();
        let seen: BTreeSet<u64> = seen.into_iter().filter(|rv| *rv <= marker_rv).collect();
        assert_eq!(
            seen.len(),
            truth.len(),
            "watcher {n} missed {:?}",
            truth.difference(&seen).take(10).collect::<Vec<_>>()
        );
        assert_eq!(seen, truth, "watcher {n}");
    }
    let elapsed = started.elapsed();
    let stats = sim.stats(&client).await;
    report(&format!(
        "scale: 10 pod watchers each saw all {} changes of a 50-service rollout burst in {elapsed:.2?}; server watch setup: {}; patches: {}",
        truth.len(),
        millis(&stats, "watch"),
        millis(&stats, "patch")
    ));
}
