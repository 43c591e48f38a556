//! Real kubectl against `kdeck sim`, part two (part one: tests/sim_kubectl.rs): pod logs, wide
//! pod lists and describe, the pod proxy's metrics, auth can-i, events, KServe's example manifests,
//! explain and apply, and the `kdeck sim` command's flags.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "support/sim_kubectl.rs"]
mod support;

use common::sim::{Child, Kubectl, Sim, poll};

use support::*;

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
