//! Simulator fidelity, judged by a tool nobody here wrote: the real kubectl against the
//! simulated cluster (DESIGN.md §2, §4). Each test starts its own demo cluster in-process
//! (twenty times faster than real time). Without kubectl on PATH each test fails under CI
//! and skips, saying why, elsewhere.
#![allow(clippy::unwrap_used)]

mod common;

use common::sim::{Child, Kubectl, Sim, poll};
use serde_json::Value;
use std::time::Duration;

const SETTLE: Duration = Duration::from_secs(10);

/// kubectl's table output split into cells by the header's column offsets (empty cells
/// stay empty, which splitting on whitespace would lose).
fn table(output: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = output.lines();
    let header = lines.next().unwrap_or("");
    let mut starts = Vec::new();
    let mut names = Vec::new();
    // kubectl pads columns with at least three spaces; a single space is inside a name
    // ("LAST SEEN").
    let mut spaces = 2;
    for (i, c) in header.char_indices() {
        if c != ' ' && spaces >= 2 {
            starts.push(i);
        }
        spaces = if c == ' ' { spaces + 1 } else { 0 };
    }
    for (n, s) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(header.len());
        names.push(header[*s..end].trim().to_string());
    }
    let rows = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            starts
                .iter()
                .enumerate()
                .map(|(n, s)| {
                    let end = starts.get(n + 1).copied().unwrap_or(l.len()).min(l.len());
                    l.get(*s..end).unwrap_or("").trim().to_string()
                })
                .collect()
        })
        .collect();
    (names, rows)
}

fn row<'a>(rows: &'a [Vec<String>], name: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r.iter().any(|c| c == name))
        .unwrap_or_else(|| panic!("no row for {name} in {rows:?}"))
}

fn jsonpath(sim: &Sim, ns: &str, name: &str, path: &str) -> String {
    sim.kubectl()
        .ok(&[
            "get",
            "isvc",
            name,
            "-n",
            ns,
            "-o",
            &format!("jsonpath={{{path}}}"),
        ])
        .trim()
        .to_string()
}

/// Polls a jsonpath until it reads `want`.
fn wait_jsonpath(sim: &Sim, ns: &str, name: &str, path: &str, want: &str) {
    let got = poll(SETTLE, || {
        let v = jsonpath(sim, ns, name, path);
        (v == want).then_some(v)
    });
    assert!(
        got.is_some(),
        "{ns}/{name} {path}: wanted {want:?}, last {:?}",
        jsonpath(sim, ns, name, path)
    );
}

const LATEST_PCT: &str = ".status.components.predictor.traffic[?(@.latestRevision==true)].percent";
const PREV_PCT: &str = ".status.components.predictor.traffic[?(@.tag=='prev')].percent";
const PREV_REV: &str = ".status.components.predictor.traffic[?(@.tag=='prev')].revisionName";

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

fn predictor_pod(sim: &Sim, ns: &str, isvc: &str) -> String {
    let out = sim.kubectl().ok(&[
        "get",
        "pods",
        "-n",
        ns,
        "-l",
        &format!("serving.kserve.io/inferenceservice={isvc},component=predictor"),
        "--field-selector",
        "status.phase=Running",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    let pod = out.trim().to_string();
    assert!(!pod.is_empty(), "no running predictor pod of {ns}/{isvc}");
    pod
}

#[test]
fn logs_follow_streams_the_model_server() {
    require_kubectl!();
    let sim = Sim::demo();
    let pod = predictor_pod(&sim, "ml-prod", "fraud-detector");
    let mut logs = sim.kubectl().spawn(&["logs", "-f", &pod, "-n", "ml-prod"]);
    let mut access = 0;
    let got = logs.wait_for(SETTLE, |l| l.contains("POST /v2/models/"));
    assert!(got.is_some(), "no access line:\n{}", logs.transcript());
    while access < 3 {
        let line = logs.wait_for(SETTLE, |l| l.contains("POST /v2/models/"));
        assert!(line.is_some(), "the stream stopped:\n{}", logs.transcript());
        access += 1;
    }
    // kubectl picks the model server by itself and says so.
    assert!(
        logs.transcript()
            .contains("Defaulted container \"kserve-container\""),
        "{}",
        logs.transcript()
    );
    // An explicit sidecar is served too.
    let qp = sim.kubectl().run(&[
        "logs",
        &pod,
        "-n",
        "ml-prod",
        "-c",
        "queue-proxy",
        "--tail",
        "1",
    ]);
    assert!(qp.status.success(), "{qp:?}");
    let missing = sim
        .kubectl()
        .run(&["logs", &pod, "-n", "ml-prod", "-c", "nope"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("nope"),
        "{missing:?}"
    );
}

#[test]
fn get_pods_wide_and_describe_pod() {
    require_kubectl!();
    let sim = Sim::demo();
    let k = sim.kubectl();
    let out = k.ok(&["get", "pods", "-n", "ml-prod", "-o", "wide"]);
    let (header, rows) = table(&out);
    assert_eq!(
        header,
        [
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED NODE",
            "READINESS GATES"
        ],
        "{out}"
    );
    let pod = predictor_pod(&sim, "ml-prod", "fraud-detector");
    let r = row(&rows, &pod);
    // Knative predictor pods: the model server and queue-proxy.
    assert_eq!(r[1], "2/2");
    assert_eq!(r[2], "Running");
    assert!(r[5].starts_with("10.244."), "{r:?}");
    assert!(!r[6].is_empty() && r[6] != "<none>", "{r:?}");
    let narrow = k.ok(&["get", "pods", "-n", "ml-prod"]);
    assert_eq!(
        table(&narrow).0,
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    // describe finds the pod's events by its uid.
    let described = k.ok(&["describe", "pod", &pod, "-n", "ml-prod"]);
    assert!(described.contains("Scheduled"), "{described}");
    assert!(described.contains("kserve-container:"), "{described}");
    let isvc = k.ok(&["describe", "isvc", "fraud-detector", "-n", "ml-prod"]);
    assert!(isvc.contains("RevisionCreated"), "{isvc}");
}

#[test]
fn get_raw_pod_proxy_serves_prometheus_metrics() {
    require_kubectl!();
    let sim = Sim::demo();
    let pod = predictor_pod(&sim, "ml-prod", "sklearn-iris");
    let text = sim.kubectl().ok(&[
        "get",
        "--raw",
        &format!("/api/v1/namespaces/ml-prod/pods/{pod}:8080/proxy/metrics"),
    ]);
    assert!(text.contains("# TYPE request_predict_seconds"), "{text}");
    let sample = text
        .lines()
        .find(|l| l.starts_with("request_predict_seconds_count"))
        .expect("a request_predict_seconds_count sample");
    let value: f64 = sample
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a number");
    assert!(value >= 0.0, "{sample}");
    let nothing = sim.kubectl().run(&[
        "get",
        "--raw",
        &format!("/api/v1/namespaces/ml-prod/pods/{pod}:9999/proxy/metrics"),
    ]);
    assert!(!nothing.status.success(), "nothing listens on 9999");
}

#[test]
fn auth_can_i_follows_the_forbid_fault() {
    require_kubectl!();
    let sim = Sim::demo();
    let k = sim.kubectl();
    let yes = k.run(&[
        "auth",
        "can-i",
        "patch",
        "inferenceservices",
        "-n",
        "ml-prod",
    ]);
    assert!(yes.status.success(), "{yes:?}");
    assert_eq!(String::from_utf8_lossy(&yes.stdout).trim(), "yes");
    sim.server
        .faults
        .add("forbid-verb=patch:inferenceservices".parse().unwrap());
    let no = k.run(&[
        "auth",
        "can-i",
        "patch",
        "inferenceservices",
        "-n",
        "ml-prod",
    ]);
    assert_eq!(no.status.code(), Some(1), "{no:?}");
    // "no", then the reason the server gave.
    let said = String::from_utf8_lossy(&no.stdout);
    assert!(said.starts_with("no"), "{said}");
    // Other verbs stay allowed, and the real request is refused the same way.
    assert_eq!(
        k.ok(&["auth", "can-i", "get", "isvc", "-n", "ml-prod"])
            .trim(),
        "yes"
    );
    let patch = k.run(&[
        "patch",
        "isvc",
        "fraud-detector",
        "-n",
        "ml-prod",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"labels":{"x":"y"}}}"#,
    ]);
    assert!(!patch.status.success());
    let err = String::from_utf8_lossy(&patch.stderr);
    assert!(err.contains("Forbidden"), "{err}");
}

#[test]
fn get_events_lists_the_controllers_events() {
    require_kubectl!();
    let sim = Sim::demo();
    let out = sim.kubectl().ok(&["get", "events", "-n", "ml-prod"]);
    let (header, rows) = table(&out);
    assert_eq!(header, ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    assert!(
        rows.iter()
            .any(|r| r[3] == "inferenceservice/fraud-detector" && r[2] == "RevisionCreated"),
        "{out}"
    );
    assert!(
        rows.iter()
            .any(|r| r[3].starts_with("pod/") && r[2] == "Scheduled"),
        "{out}"
    );
    assert!(rows.iter().all(|r| r[1] == "Normal" || r[1] == "Warning"));
}

/// Every InferenceService in a manifest file, as (namespace in the file, name).
fn manifest_services(text: &str) -> Vec<(Option<String>, String)> {
    serde_norway::Deserializer::from_str(text)
        .filter_map(|doc| {
            let v = serde_json::to_value(
                <serde_norway::Value as serde::Deserialize>::deserialize(doc).ok()?,
            )
            .ok()?;
            (v["kind"] == "InferenceService").then(|| {
                (
                    v["metadata"]["namespace"].as_str().map(str::to_string),
                    v["metadata"]["name"].as_str().unwrap_or("").to_string(),
                )
            })
        })
        .collect()
}

#[test]
fn create_f_accepts_every_kserve_example_and_each_gets_a_status() {
    require_kubectl!();
    let dir = common::sim::kserve_isvc_fixtures();
    let sim = Sim::demo();
    let k = sim.kubectl();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 17, "{files:?}");
    let mut created = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).unwrap();
        let services = manifest_services(&text);
        assert!(!services.is_empty(), "{}", file.display());
        let path = file.to_str().unwrap();
        // A fresh namespace per file (the rollout-* examples share a name), unless the
        // manifest names its own.
        let ns = match services.iter().find_map(|s| s.0.clone()) {
            Some(ns) => {
                k.ok(&["create", "-f", path]);
                ns
            }
            None => {
                let ns = format!("example-{i}");
                k.ok(&["create", "namespace", &ns]);
                k.ok(&["create", "-f", path, "-n", &ns]);
                ns
            }
        };
        for (_, name) in services {
            created.push((file.clone(), ns.clone(), name));
        }
    }
    for (file, ns, name) in &created {
        let got = poll(SETTLE, || {
            let v = jsonpath(
                &sim,
                ns,
                name,
                ".status.conditions[?(@.type=='Ready')].status",
            );
            (!v.is_empty()).then_some(v)
        });
        assert!(
            got.is_some(),
            "{} ({ns}/{name}) never got a status",
            file.display()
        );
        assert_eq!(
            jsonpath(&sim, ns, name, ".status.observedGeneration"),
            "1",
            "{ns}/{name}"
        );
    }
    // The canary step on a fresh service: no rolled-out revision yet, so the canary
    // percentage does not apply and the first revision takes everything.
    let canary_ns = created
        .iter()
        .find(|(f, _, _)| f.ends_with("rollout-canary.yaml"))
        .map(|(_, ns, _)| ns.clone())
        .expect("rollout-canary.yaml");
    wait_jsonpath(&sim, &canary_ns, "plants-rollout", LATEST_PCT, "100");
    assert_eq!(jsonpath(&sim, &canary_ns, "plants-rollout", PREV_PCT), "");
    // Standard mode reports itself and has no traffic split.
    assert_eq!(
        jsonpath(&sim, "default", "strategy-surge", ".status.deploymentMode"),
        "Standard"
    );
    let all = k.ok(&["get", "isvc", "-A", "--no-headers"]);
    assert_eq!(all.lines().count(), 13 + created.len(), "{all}");
}

#[test]
fn explain_and_the_documented_apply_canary_flow_work() {
    require_kubectl!();
    let dir = common::sim::kserve_isvc_fixtures();
    let sim = Sim::demo();
    let k = sim.kubectl();
    let explain = k.ok(&["explain", "isvc"]);
    assert!(
        explain.contains("KIND:       InferenceService") && explain.contains("serving.kserve.io"),
        "{explain}"
    );
    assert!(k.ok(&["explain", "isvc.spec"]).contains("FIELD: spec"));
    // The documented canary flow (website: rollout-strategies/canary-example.md) with the
    // repository's rollout steps, kubectl apply and no flags.
    let file = |n: &str| dir.join(n).to_str().unwrap().to_string();
    k.ok(&["create", "namespace", "canary"]);
    let ns = "canary";
    let out = k.ok(&["apply", "-f", &file("rollout-first.yaml"), "-n", ns]);
    assert!(out.contains("created"), "{out}");
    wait_jsonpath(
        &sim,
        ns,
        "plants-rollout",
        ".status.components.predictor.latestRolledoutRevision",
        "plants-rollout-predictor-00001",
    );
    let out = k.ok(&["apply", "-f", &file("rollout-canary.yaml"), "-n", ns]);
    assert!(out.contains("configured"), "{out}");
    wait_jsonpath(&sim, ns, "plants-rollout", LATEST_PCT, "25");
    assert_eq!(jsonpath(&sim, ns, "plants-rollout", PREV_PCT), "75");
    assert_eq!(
        jsonpath(&sim, ns, "plants-rollout", PREV_REV),
        "plants-rollout-predictor-00001"
    );
    // Without enable-tag-routing only the prev entry is tagged.
    assert_eq!(
        jsonpath(
            &sim,
            ns,
            "plants-rollout",
            ".status.components.predictor.traffic[?(@.latestRevision==true)].tag"
        ),
        ""
    );
    k.ok(&["apply", "-f", &file("rollout-promote.yaml"), "-n", ns]);
    wait_jsonpath(&sim, ns, "plants-rollout", LATEST_PCT, "100");
    k.ok(&["apply", "-f", &file("rollout-pin.yaml"), "-n", ns]);
    wait_jsonpath(&sim, ns, "plants-rollout", PREV_PCT, "100");
    assert_eq!(
        jsonpath(&sim, ns, "plants-rollout", PREV_REV),
        "plants-rollout-predictor-00001"
    );
    // Applying the same file again changes nothing.
    let again = k.ok(&["apply", "-f", &file("rollout-pin.yaml"), "-n", ns]);
    assert!(again.contains("unchanged"), "{again}");
    // Server-side field validation (kubectl's default, Strict) refuses unknown fields.
    let typo = sim.dir.path().join("typo.yaml");
    std::fs::write(
        &typo,
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: typo\nspec:\n  predictr:\n    sklearn:\n      storageUri: gs://x\n  predictor:\n    sklearn:\n      storageUri: gs://x\n",
    )
    .unwrap();
    let refused = k.run(&["create", "-f", typo.to_str().unwrap(), "-n", ns]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("unknown field \"spec.predictr\""), "{err}");
}

#[test]
fn the_kdeck_sim_command_serves_kubectl_with_its_flags() {
    require_kubectl!();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let mut command = std::process::Command::new(common::kdeck());
    command
        .args(["sim", "--listen", "127.0.0.1:0", "--scenario", "empty"])
        .args([
            "--time-scale",
            "20",
            "--fault",
            "forbid-namespace=ml-staging",
        ])
        .arg("--kubeconfig-out")
        .arg(&kubeconfig);
    let mut sim = Child::spawn(command);
    let line = sim.wait_for(SETTLE, |l| l.contains("listening on https://127.0.0.1:"));
    assert!(
        line.is_some(),
        "kdeck sim did not start:\n{}",
        sim.transcript()
    );
    let k = Kubectl {
        kubeconfig,
        home: dir.path().to_path_buf(),
    };
    let namespaces = k.ok(&["get", "namespaces", "-o", "name"]);
    assert!(namespaces.contains("namespace/ml-prod"), "{namespaces}");
    assert_eq!(
        k.ok(&["get", "isvc", "-A", "--no-headers"]).trim(),
        "",
        "the empty scenario has no services"
    );
    let no = k.run(&["auth", "can-i", "list", "pods", "-n", "ml-staging"]);
    assert!(
        String::from_utf8_lossy(&no.stdout).starts_with("no"),
        "{no:?}"
    );
    let refused = k.run(&["get", "pods", "-n", "ml-staging"]);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Forbidden"),
        "{refused:?}"
    );
    // The control API: faults can be cleared while it runs.
    let cleared = k.run(&["delete", "--raw", "/kdeck-sim/v1/faults"]);
    assert!(cleared.status.success(), "{cleared:?}");
    k.ok(&["get", "pods", "-n", "ml-staging"]);
}
