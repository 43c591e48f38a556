//! Simulator fidelity, judged by a tool nobody here wrote: the real kubectl against the
//! simulated cluster (DESIGN.md §2, §4). Each test starts its own demo cluster in-process
//! (twenty times faster than real time). Without kubectl on PATH each test fails under CI
//! and skips, saying why, elsewhere.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "support/sim_kubectl.rs"]
mod support;

use common::sim::Sim;
use serde_json::Value;

use support::*;

#[test]
fn get_isvc_all_namespaces_prints_the_crd_columns_and_the_canary_split() {
    require_kubectl!();
    let sim = Sim::demo();
    let out = sim.kubectl().ok(&["get", "isvc", "-A"]);
    let (header, rows) = table(&out);
    assert_eq!(
        header,
        [
            "NAMESPACE",
            "NAME",
            "URL",
            "READY",
            "PREV",
            "LATEST",
            "PREVROLLEDOUTREVISION",
            "LATESTREADYREVISION",
            "AGE"
        ],
        "{out}"
    );
    assert_eq!(rows.len(), 13, "the demo's services:\n{out}");
    let fraud = row(&rows, "fraud-detector");
    assert_eq!(
        &fraud[..8],
        [
            "ml-prod",
            "fraud-detector",
            "http://fraud-detector.ml-prod.example.com",
            "True",
            "90",
            "10",
            // The prev entry is the last fully rolled-out revision (FACTS.md §b).
            "fraud-detector-predictor-00001",
            "fraud-detector-predictor-00002",
        ],
        "{out}"
    );
    // No canary: everything on the latest revision, and PREV blank as the API server's
    // table convertor leaves missing cells (not "<none>").
    let iris = row(&rows, "sklearn-iris");
    assert_eq!(
        &iris[3..8],
        ["True", "", "100", "", "sklearn-iris-predictor-00001"]
    );
    // Standard mode has no traffic split at all.
    let recommender = row(&rows, "recommender");
    assert_eq!(&recommender[4..8], ["", "", "", ""]);
    // A service whose model bucket is missing is not ready, and fails once the storage
    // initializer has given up.
    assert_ne!(row(&rows, "sentiment-bert")[3], "True");
    wait_jsonpath(
        &sim,
        "ml-staging",
        "sentiment-bert",
        ".status.conditions[?(@.type=='Ready')].status",
        "False",
    );
    assert!(!out.contains("<none>"), "missing cells print empty:\n{out}");
}

#[test]
fn get_isvc_yaml_is_a_kserve_object() {
    require_kubectl!();
    let sim = Sim::demo();
    let out = sim.kubectl().ok(&[
        "get",
        "isvc",
        "fraud-detector",
        "-n",
        "ml-prod",
        "-o",
        "yaml",
    ]);
    let obj: Value = serde_norway::from_str(&out).expect("kubectl printed YAML");
    assert_eq!(obj["apiVersion"], "serving.kserve.io/v1beta1");
    assert_eq!(obj["kind"], "InferenceService");
    assert_eq!(obj["metadata"]["name"], "fraud-detector");
    assert_eq!(obj["metadata"]["namespace"], "ml-prod");
    assert!(obj["metadata"]["resourceVersion"].as_str().is_some());
    assert!(obj["metadata"]["uid"].as_str().is_some());
    assert_eq!(obj["metadata"]["generation"], 2);
    assert_eq!(obj["spec"]["predictor"]["canaryTrafficPercent"], 10);
    let status = &obj["status"];
    assert_eq!(status["observedGeneration"], 2);
    assert_eq!(status["deploymentMode"], "Knative");
    let predictor = &status["components"]["predictor"];
    assert_eq!(
        predictor["latestCreatedRevision"],
        "fraud-detector-predictor-00002"
    );
    assert_eq!(
        predictor["latestRolledoutRevision"],
        "fraud-detector-predictor-00001"
    );
    let traffic = predictor["traffic"].as_array().expect("traffic");
    // The demo turns on tag routing for this one: the latest entry is tagged too.
    let latest = traffic
        .iter()
        .find(|t| t["latestRevision"] == true)
        .expect("a latest entry");
    assert_eq!(latest["tag"], "latest");
    assert_eq!(
        latest["url"],
        "http://latest-fraud-detector-predictor.ml-prod.example.com"
    );
    let prev = traffic
        .iter()
        .find(|t| t["tag"] == "prev")
        .expect("a prev entry");
    assert_eq!(prev["revisionName"], predictor["latestRolledoutRevision"]);
    assert_eq!(prev["percent"], 90);
    assert_eq!(prev["latestRevision"], false);
    let conditions = status["conditions"].as_array().expect("conditions");
    for kind in ["Ready", "PredictorReady", "IngressReady"] {
        let c = conditions
            .iter()
            .find(|c| c["type"] == kind)
            .unwrap_or_else(|| panic!("condition {kind}"));
        assert_eq!(c["status"], "True", "{kind}");
        assert!(c["lastTransitionTime"].as_str().is_some());
    }
}

#[test]
fn get_watch_sees_a_patch() {
    require_kubectl!();
    let sim = Sim::demo();
    let kubectl = sim.kubectl();
    let mut watch = kubectl.spawn(&["get", "isvc", "-n", "ml-prod", "-w"]);
    let first = watch.wait_for(SETTLE, |l| l.starts_with("fraud-detector "));
    assert!(first.is_some(), "no first row:\n{}", watch.transcript());
    kubectl.ok(&[
        "patch",
        "isvc",
        "fraud-detector",
        "-n",
        "ml-prod",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"predictor":{"canaryTrafficPercent":30}}}"#,
    ]);
    let moved = watch.wait_for(SETTLE, |l| {
        let cells: Vec<&str> = l.split_whitespace().collect();
        cells.first() == Some(&"fraud-detector") && cells.get(3..5) == Some(&["70", "30"][..])
    });
    assert!(
        moved.is_some(),
        "the watch never showed 70/30:\n{}",
        watch.transcript()
    );
}

#[test]
fn patch_canary_percent_then_promote_then_pin_follow_kserve() {
    require_kubectl!();
    let sim = Sim::demo();
    let k = sim.kubectl();
    let patch = |body: &str| {
        let out = k.ok(&[
            "patch",
            "isvc",
            "fraud-detector",
            "-n",
            "ml-prod",
            "--type",
            "merge",
            "-p",
            body,
        ]);
        assert!(out.contains("patched"), "{out}");
    };
    let (ns, name) = ("ml-prod", "fraud-detector");
    // Canary 10 → 50: the status follows.
    patch(r#"{"spec":{"predictor":{"canaryTrafficPercent":50}}}"#);
    wait_jsonpath(&sim, ns, name, LATEST_PCT, "50");
    assert_eq!(jsonpath(&sim, ns, name, PREV_PCT), "50");
    assert_eq!(
        jsonpath(&sim, ns, name, PREV_REV),
        "fraud-detector-predictor-00001"
    );
    // A traffic change is not a new revision.
    assert_eq!(
        jsonpath(
            &sim,
            ns,
            name,
            ".status.components.predictor.latestCreatedRevision"
        ),
        "fraud-detector-predictor-00002"
    );
    // Promote: remove the field; the latest takes everything and the bookkeeping shifts.
    patch(r#"{"spec":{"predictor":{"canaryTrafficPercent":null}}}"#);
    wait_jsonpath(&sim, ns, name, LATEST_PCT, "100");
    assert_eq!(jsonpath(&sim, ns, name, PREV_PCT), "");
    wait_jsonpath(
        &sim,
        ns,
        name,
        ".status.components.predictor.latestRolledoutRevision",
        "fraud-detector-predictor-00002",
    );
    assert_eq!(
        jsonpath(
            &sim,
            ns,
            name,
            ".status.components.predictor.previousRolledoutRevision"
        ),
        "fraud-detector-predictor-00001"
    );
    // Pin after promotion (canaryTrafficPercent 0): two passes later all traffic is on the
    // revision before the promotion (FACTS.md §c).
    patch(r#"{"spec":{"predictor":{"canaryTrafficPercent":0}}}"#);
    wait_jsonpath(&sim, ns, name, PREV_REV, "fraud-detector-predictor-00001");
    wait_jsonpath(&sim, ns, name, PREV_PCT, "100");
    assert_eq!(jsonpath(&sim, ns, name, LATEST_PCT), "0");
    // Out-of-range values are refused by the webhook rules.
    let out = k.run(&[
        "patch",
        "isvc",
        name,
        "-n",
        ns,
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"predictor":{"canaryTrafficPercent":150}}}"#,
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is invalid") && err.contains("canaryTrafficPercent"),
        "{err}"
    );
}
