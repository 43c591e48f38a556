//! The simulated cluster keeps selector and pod-status logic of its own (DESIGN.md §2), so a
//! bug in the console's parser is not mirrored by the test double. These tests run the same
//! cases through the console's code (`domain::selector`, `domain::pod`) and the simulator's
//! (`sim::api::label_selector`, `sim::api::pod_status`) and fail where they disagree; the
//! selector cases also go through the real kubectl (`-l`, `--field-selector`) against the sim.
#![allow(clippy::unwrap_used)]

mod common;

use common::sim::{Sim, poll};
use kdeck::domain::pod::Pod;
use kdeck::domain::selector::Selector;
use kdeck::sim::api::label_selector::LabelSelector;
use kdeck::sim::api::pod_status;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

/// Selectors in the forms kubectl users write, valid and not.
const SELECTORS: &[&str] = &[
    "team=fraud",
    "team==fraud",
    "team = fraud",
    "team!=fraud",
    "team=fraud,env=prod",
    "team=fraud, env!=prod",
    "env in (prod,staging)",
    "env in (prod, staging)",
    "env in(prod)",
    "env notin (prod)",
    "env notin(dev,staging)",
    "env in ()",
    "env in (prod,)",
    "team",
    "!team",
    "! canary",
    "team,!canary",
    "tier=",
    "tier!=",
    "serving.kserve.io/inferenceservice=fraud-detector",
    "serving.kserve.io/inferenceservice in (fraud-detector,iris)",
    "component in (predictor),team",
    "a=b c",
    "a b",
    "=x",
    "env in prod",
    "env in (prod",
    "a=b=c",
    "a,",
];

/// Label sets the selectors are matched against.
fn label_sets() -> Vec<Vec<(&'static str, &'static str)>> {
    vec![
        vec![],
        vec![("team", "fraud"), ("env", "prod")],
        vec![("team", "fraud"), ("env", "staging"), ("canary", "true")],
        vec![("team", "search"), ("env", ""), ("tier", "")],
        vec![
            ("serving.kserve.io/inferenceservice", "fraud-detector"),
            ("component", "predictor"),
            ("team", "fraud"),
        ],
        vec![("tier", "gold"), ("env", "dev")],
    ]
}

fn as_object(labels: &[(&str, &str)]) -> Value {
    let map: serde_json::Map<String, Value> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({"metadata": {"labels": map}})
}

fn as_pairs(labels: &[(&str, &str)]) -> kdeck::domain::k8s::Labels {
    labels
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect()
}

/// Every selector the API server accepts, the console reads too, and both match the same
/// label sets.
#[test]
fn the_console_and_the_simulator_read_label_selectors_alike() {
    let mut disagreements = Vec::new();
    let mut valid = 0;
    for text in SELECTORS {
        let Ok(server) = LabelSelector::parse(text) else {
            continue;
        };
        valid += 1;
        let console = match Selector::parse(text) {
            Ok(s) => s,
            Err(e) => {
                disagreements.push(format!(
                    "{text:?}: the API accepts it, the console says {e}"
                ));
                continue;
            }
        };
        for labels in label_sets() {
            let (by_server, by_console) = (
                server.matches(&as_object(&labels)),
                console.matches(&as_pairs(&labels)),
            );
            if by_server != by_console {
                disagreements.push(format!(
                    "{text:?} on {labels:?}: the API says {by_server}, the console {by_console}"
                ));
            }
        }
    }
    assert!(valid >= 20, "only {valid} selectors were valid");
    assert!(
        disagreements.is_empty(),
        "the console's selector parser and the API server's disagree:\n{}",
        disagreements.join("\n")
    );
}

fn pod(init: Value, containers: Value, status: Value) -> Value {
    json!({
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ml"},
        "spec": {"initContainers": init, "containers": containers},
        "status": status,
    })
}

/// Pods in the states kubectl prints differently.
fn pod_cases() -> Vec<(&'static str, Value)> {
    let init = json!([{"name": "storage-initializer"}]);
    let two = json!([{"name": "kserve-container"}, {"name": "queue-proxy"}]);
    let init_done = json!([{"name": "storage-initializer", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]);
    let running = |name: &str, ready: bool, restarts: i64| json!({"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {}}});
    vec![
        (
            "running and ready",
            pod(
                init.clone(),
                two.clone(),
                json!({"phase": "Running", "initContainerStatuses": init_done,
                "containerStatuses": [running("kserve-container", true, 1), running("queue-proxy", true, 0)]}),
            ),
        ),
        (
            "running after the init container retried",
            pod(
                init.clone(),
                two.clone(),
                json!({"phase": "Running", "initContainerStatuses": [
                {"name": "storage-initializer", "restartCount": 2, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                "containerStatuses": [running("kserve-container", true, 1), running("queue-proxy", true, 0)]}),
            ),
        ),
        (
            "running, one container not ready",
            pod(
                init.clone(),
                two.clone(),
                json!({"phase": "Running", "initContainerStatuses": init_done,
                "containerStatuses": [running("kserve-container", false, 0), running("queue-proxy", true, 0)]}),
            ),
        ),
        (
            "crash loop",
            pod(
                init.clone(),
                two.clone(),
                json!({"phase": "Running", "initContainerStatuses": init_done,
                "containerStatuses": [
                    {"name": "kserve-container", "restartCount": 5, "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
                    running("queue-proxy", true, 0)]}),
            ),
        ),
        (
            "containers being created",
            pod(
                init.clone(),
                two.clone(),
                json!({"phase": "Pending", "initContainerStatuses": init_done,
                "containerStatuses": [
                    {"name": "kserve-container", "state": {"waiting": {"reason": "ContainerCreating"}}},
                    {"name": "queue-proxy", "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
            ),
        ),
        (
            "init container crash loop",
            pod(
                init.clone(),
                two.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "storage-initializer", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}),
            ),
        ),
        (
            "init container running",
            pod(
                init.clone(),
                two.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "storage-initializer", "state": {"running": {}}}]}),
            ),
        ),
        (
            "init container failed without a reason",
            pod(
                init.clone(),
                two.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "storage-initializer", "state": {"terminated": {"exitCode": 2}}}]}),
            ),
        ),
        (
            "OOM killed",
            pod(
                json!([]),
                json!([{"name": "kserve-container"}]),
                json!({"phase": "Running", "containerStatuses": [
                {"name": "kserve-container", "restartCount": 1, "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}),
            ),
        ),
        (
            "unschedulable",
            pod(
                json!([]),
                json!([{"name": "kserve-container"}]),
                json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                "reason": "Unschedulable", "message": "0/5 nodes are available"}]}),
            ),
        ),
        (
            "evicted",
            pod(
                json!([]),
                json!([{"name": "kserve-container"}]),
                json!({"phase": "Failed", "reason": "Evicted"}),
            ),
        ),
    ]
}

/// kubectl's READY, STATUS and RESTARTS as the console computes them.
fn console_columns(obj: &Value) -> (String, String, i64) {
    let p = Pod::parse(obj);
    let (ready, total) = p.ready_counts();
    (format!("{ready}/{total}"), p.status_word(), p.restarts())
}

fn server_columns(obj: &Value) -> (String, String, i64) {
    let c = pod_status::columns(obj);
    (format!("{}/{}", c.ready, c.total), c.status, c.restarts)
}

fn pod_disagreements<'a>(cases: impl Iterator<Item = (String, &'a Value)>) -> Vec<String> {
    cases
        .filter_map(|(name, obj)| {
            let (console, server) = (console_columns(obj), server_columns(obj));
            (console != server).then(|| {
                format!("{name}: console {console:?}, kubectl's columns from the sim {server:?}")
            })
        })
        .collect()
}

/// The console's pod columns agree with the simulator's kubectl-style ones, for crafted pods
/// and for every pod the demo cluster runs.
#[test]
fn the_console_and_the_simulator_read_pod_status_alike() {
    let cases = pod_cases();
    let mut disagreements =
        pod_disagreements(cases.iter().map(|(name, obj)| (name.to_string(), obj)));

    let sim = Sim::demo();
    let pods: Value = sim.block_on(async {
        let client = sim.client().await;
        let req = http::Request::get("/api/v1/pods").body(Vec::new()).unwrap();
        client.request::<Value>(req).await.unwrap()
    });
    let items = pods["items"].as_array().unwrap();
    assert!(items.len() > 10, "the demo runs {} pods", items.len());
    disagreements.extend(pod_disagreements(items.iter().map(|p| {
        let name = p["metadata"]["name"].as_str().unwrap_or("?").to_string();
        (name, p)
    })));
    assert!(
        disagreements.is_empty(),
        "the console's pod columns and the simulator's disagree:\n{}",
        disagreements.join("\n")
    );
}

/// Which pods a field selector should pick.
type Pick = fn(&Value) -> bool;

fn pod_name(p: &Value) -> String {
    format!(
        "{}/{}",
        p["metadata"]["namespace"].as_str().unwrap_or(""),
        p["metadata"]["name"].as_str().unwrap_or("")
    )
}

/// The pods kubectl lists for `args` (JSON objects).
fn kubectl_pods(sim: &Sim, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["get", "pods", "-A", "-o", "json"];
    all.extend_from_slice(args);
    let out: Value = serde_json::from_str(&sim.kubectl().ok(&all)).unwrap();
    out["items"].as_array().cloned().unwrap_or_default()
}

fn console_labels(p: &Value) -> kdeck::domain::k8s::Labels {
    p["metadata"]["labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str().into(), v.as_str().unwrap_or("").into()))
                .collect()
        })
        .unwrap_or_default()
}

/// Lists every pod and the selected ones until two lists in a row agree (the demo's pods come
/// and go between two requests); returns the last (kubectl's pick, the expected pick).
fn selected(
    sim: &Sim,
    args: &[&str],
    pick: impl Fn(&Value) -> bool,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut last = (BTreeSet::new(), BTreeSet::new());
    let agreed = poll(Duration::from_secs(15), || {
        let want: BTreeSet<String> = kubectl_pods(sim, &[])
            .iter()
            .filter(|p| pick(p))
            .map(pod_name)
            .collect();
        let got: BTreeSet<String> = kubectl_pods(sim, args).iter().map(pod_name).collect();
        last = (got.clone(), want.clone());
        (got == want).then_some(())
    });
    if agreed.is_none() {
        eprintln!("{args:?} never agreed");
    }
    last
}

/// kubectl `-l` against the sim lists exactly the pods the console's selector picks, and
/// `--field-selector` the pods whose fields say so.
#[test]
fn kubectl_selects_what_the_console_selects() {
    require_kubectl!();
    let sim = Sim::demo();
    for selector in [
        "serving.kserve.io/inferenceservice=fraud-detector",
        "serving.kserve.io/inferenceservice in (fraud-detector,iris),component=predictor",
        "component!=predictor",
        "!serving.knative.dev/revision",
        "serving.kserve.io/inferenceservice",
    ] {
        let console = Selector::parse(selector).unwrap();
        let (got, want) = selected(&sim, &["-l", selector], |p| {
            console.matches(&console_labels(p))
        });
        assert_eq!(got, want, "-l {selector}: kubectl, then the console");
    }
    let fields: [(&str, Pick); 2] = [
        ("status.phase=Running", |p| {
            p["status"]["phase"] == "Running"
        }),
        ("metadata.namespace!=ml-prod", |p| {
            p["metadata"]["namespace"] != "ml-prod"
        }),
    ];
    for (field, pick) in fields {
        let (got, want) = selected(&sim, &["--field-selector", field], pick);
        assert!(!want.is_empty(), "no pod has {field}");
        assert_eq!(
            got, want,
            "--field-selector {field}: kubectl, then expected"
        );
    }
    let bad = sim
        .kubectl()
        .command(&["get", "pods", "-A", "-l", "a b"])
        .output()
        .unwrap();
    assert!(
        !bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("unable to parse"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
