//! Single-service headless commands without `-n` against the simulated cluster: they find the
//! service in whichever namespace holds it, and refuse a name held by several namespaces with
//! their list (exit code 2) instead of guessing. Each subcommand's help lists only its options.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cluster::{Cluster, WAIT};
use common::headless::{run_kdeck, text};
use common::{Sandbox, kdeck};
use kube::api::{Api, ApiResource, DynamicObject, PostParams};
use std::process::{Command, Output};

/// Runs `kdeck ARGS --kubeconfig …` (no `-n`) with stdin not a terminal.
fn run(sandbox: &Sandbox, cluster: &Cluster, args: &[&str]) -> Output {
    let kubeconfig = cluster.kubeconfig_arg();
    let mut all = args.to_vec();
    all.extend(["--kubeconfig", kubeconfig.as_str()]);
    run_kdeck(sandbox, &all, WAIT * 2).0
}

/// Creates a second `sklearn-iris` in `ml-staging` (the demo's is in `ml-prod`).
fn add_second_iris(cluster: &Cluster) {
    let resource = ApiResource {
        group: "serving.kserve.io".into(),
        version: "v1beta1".into(),
        api_version: "serving.kserve.io/v1beta1".into(),
        kind: "InferenceService".into(),
        plural: "inferenceservices".into(),
    };
    let api: Api<DynamicObject> = Api::namespaced_with(cluster.client(), "ml-staging", &resource);
    let object: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "sklearn-iris", "namespace": "ml-staging"},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"},
            "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}}}
    }))
    .unwrap();
    cluster
        .block_on(api.create(&PostParams::default(), &object))
        .expect("create the second sklearn-iris");
}

#[test]
fn without_n_a_service_is_found_in_its_own_namespace() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    // fraud-detector lives in ml-prod, not in the kubeconfig's default namespace.
    let out = run(
        &sandbox,
        &cluster,
        &["rollback", "fraud-detector", "--dry-run"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("dry run: accepted by the API server"));
    let out = run(
        &sandbox,
        &cluster,
        &["logs", "fraud-detector", "--tail", "5"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).is_empty(), "no log lines");
}

#[test]
fn an_ambiguous_name_is_refused_with_the_namespaces_that_hold_it() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    add_second_iris(&cluster);
    for args in [
        &["rollback", "sklearn-iris", "--dry-run"][..],
        &["canary", "sklearn-iris", "--percent", "10", "--dry-run"][..],
        &["promote", "sklearn-iris", "--dry-run"][..],
        &["logs", "sklearn-iris", "--tail", "5"][..],
    ] {
        let out = run(&sandbox, &cluster, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("sklearn-iris exists in 2 namespaces: ml-prod, ml-staging")
                && stderr.contains("-n NAMESPACE"),
            "{args:?}: {stderr}"
        );
    }
    // Naming the namespace settles it.
    let out = run(
        &sandbox,
        &cluster,
        &["logs", "sklearn-iris", "-n", "ml-prod", "--tail", "5"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn subcommand_help_lists_only_its_own_options() {
    let help = |args: &[&str]| {
        let out = Command::new(kdeck()).args(args).output().expect("help");
        assert_eq!(out.status.code(), Some(0));
        text(&out.stdout)
    };
    for sub in ["gpu", "sim", "probe"] {
        let h = help(&[sub, "--help"]);
        for flag in [
            "--readonly",
            "--prometheus",
            "--all-namespaces",
            "--context",
        ] {
            assert!(!h.contains(flag), "kdeck {sub} --help lists {flag}:\n{h}");
        }
    }
    let status = help(&["status", "--help"]);
    assert!(status.contains("--all-namespaces") && !status.contains("--readonly"));
    let rollback = help(&["rollback", "--help"]);
    assert!(rollback.contains("--readonly") && !rollback.contains("--all-namespaces"));
    assert!(
        rollback.contains("default: search all namespaces"),
        "{rollback}"
    );
}
