//! The console's probe key end to end: the real binary in a pseudo-terminal against the
//! simulated demo cluster, whose model servers are reachable only through the API server's
//! pod proxy (their URLs resolve nowhere), so a successful probe proves the proxy route and
//! the protocol chosen from the service.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use common::cluster::{Cluster, WAIT, console, line_with};
use common::pty::PtySession;

#[test]
fn probe_key_on_a_demo_service_shows_a_successful_probe_with_latency() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console_on(&sandbox, &cluster, "sklearn-iris", "ml-prod");
    probe_until(&mut s, "no successful probe", |t| {
        t.contains("probe sklearn-iris (v1): 20/20 ok, p50 ") && t.contains(" ms")
    });
    s.send("q");
    s.wait_exit(WAIT);
}

#[test]
fn probe_key_goes_through_the_api_server() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console_on(&sandbox, &cluster, "recommender", "ml-prod");
    probe_until(&mut s, "no probe through the API server", |t| {
        t.contains("probe recommender (") && t.contains("20/20 ok") && t.contains("via API server")
    });
    s.send("q");
    s.wait_exit(WAIT);
}

/// A canary: one press probes each revision's pod, and one notice says both, the failing
/// revision first (the results end in any order; the last used to hide the other, and at
/// 80 columns the failing one must still show).
#[test]
fn probe_key_on_a_canary_says_both_revisions_failing_first() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console_on(&sandbox, &cluster, "fraud-detector", "ml-prod");
    // The demo's canary pod fails 8 % of inferences (1 or 2 of the 20 probes).
    probe_until(&mut s, "no notice with both revisions", |t| {
        line_with(t, "probe fraud-detector: r2 ")
            .is_some_and(|l| l.contains("; errors: http_5xx ") && l.contains(" │ r1 20/20 ok"))
    });
    s.send("q");
    s.wait_exit(WAIT);
}

/// The console filtered to the service `name`, once its row in `namespace` has latency
/// figures (they come from its pods, so the console knows the pods by then).
fn console_on(sandbox: &Sandbox, cluster: &Cluster, name: &str, namespace: &str) -> PtySession {
    let mut s = console(sandbox, cluster, &[]);
    s.send(&format!("/{name}\r"));
    let (filtered, row) = (format!("filter /{name} "), format!(" {namespace} "));
    assert!(
        s.wait_for(WAIT, |t| t.contains(&filtered)
            && line_with(t, &row).is_some_and(|l| l.contains("ms "))),
        "filter did not apply, or the pods are not known:\n{}",
        s.screen()
    );
    s
}

/// Presses the probe key and waits for the screen `want` accepts; `what` names what is
/// missing when it never comes.
fn probe_until(s: &mut PtySession, what: &str, want: impl Fn(&str) -> bool) {
    s.send("i");
    assert!(
        s.wait_for(WAIT, want),
        "{what}:\n{}\n{}",
        s.screen(),
        probe_lines(s)
    );
}

/// What the console wrote about probes (notices come and go; the raw output keeps them).
fn probe_lines(s: &PtySession) -> String {
    let raw = String::from_utf8_lossy(&s.output()).to_string();
    raw.match_indices("prob")
        .map(|(i, _)| raw[i..].chars().take(160).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The probe source through the API server against the demo's canary: the bad revision's pod
/// fails its share of inferences (HTTP 500, kept through the proxy), the stable one none.
#[test]
fn probe_through_the_pod_proxy_sees_the_bad_canary_fail() {
    use k8s_openapi::api::core::v1::Pod;
    use kdeck::domain::probe::Protocol;
    use kdeck::sources::probe::{ProbeSpec, run_via_api};
    use kube::api::{Api, ListParams};
    let cluster = Cluster::start(&[]);
    let client = cluster.client();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "ml-prod");
    let report_for = |revision: &str| {
        let params =
            ListParams::default().labels(&format!("serving.knative.dev/revision={revision}"));
        let list = cluster.block_on(pods.list(&params)).expect("list pods");
        let pod = list.items[0].metadata.name.clone().expect("pod name");
        let spec = ProbeSpec {
            target: format!("/api/v1/namespaces/ml-prod/pods/{pod}:8080/proxy"),
            model: "fraud-detector".into(),
            protocol: Protocol::V2,
            count: 50,
            concurrency: 2,
            timeout: std::time::Duration::from_secs(5),
            payload: None,
        };
        cluster.block_on(run_via_api(&client, &spec))
    };
    let stable = report_for("fraud-detector-predictor-00001");
    assert_eq!(stable.setup_error, None, "{stable:?}");
    assert_eq!((stable.latencies.len(), stable.errors.len()), (50, 0));
    let canary = report_for("fraud-detector-predictor-00002");
    assert_eq!(canary.setup_error, None, "{canary:?}");
    assert_eq!(canary.errors.len(), 4, "8 % of 50: {canary:?}");
    assert!(
        canary.errors[0].message.contains("HTTP 500"),
        "{:?}",
        canary.errors[0]
    );
}

#[test]
fn probe_key_on_a_service_with_an_explainer_also_probes_explain() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console_on(&sandbox, &cluster, "income-explainer", "ml-staging");
    // Until its explainer pod is Ready the console would ask the service URL, which resolves
    // nowhere here: wait for the pod (the console's watch sees it at once).
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(cluster.client(), "ml-staging");
    let explainer_ready = || {
        cluster
            .block_on(pods.list(
                &kube::api::ListParams::default().labels(
                    "serving.kserve.io/inferenceservice=income-explainer,component=explainer",
                ),
            ))
            .map(|l| {
                l.items.iter().any(|p| {
                    p.status
                        .as_ref()
                        .and_then(|st| st.conditions.as_ref())
                        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
                })
            })
            .unwrap_or(false)
    };
    assert!(
        common::cluster::wait_until(WAIT, explainer_ready),
        "the explainer pod never became Ready"
    );
    // The explainer pod answers :explain through the API server's pod proxy; one notice
    // says both results, whichever ends first.
    probe_until(&mut s, "no :explain probe", |t| {
        t.contains("probe income-explainer: 20/20 ok") && t.contains(" │ :explain 20/20 ok")
    });
    s.send("q");
    s.wait_exit(WAIT);
}

/// An explainer that never gets Ready (its model's bucket does not exist): the probe key
/// says at once that :explain cannot be probed and why, instead of asking the service URL
/// (which resolves nowhere here) and waiting out the deadline; the predictor is probed.
#[test]
fn probe_key_without_a_ready_explainer_pod_says_so_at_once() {
    use kube::api::{Api, ApiResource, DynamicObject, ListParams, PostParams};
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let resource = ApiResource {
        group: "serving.kserve.io".into(),
        version: "v1beta1".into(),
        api_version: "serving.kserve.io/v1beta1".into(),
        kind: "InferenceService".into(),
        plural: "inferenceservices".into(),
    };
    let isvcs: Api<DynamicObject> = Api::namespaced_with(cluster.client(), "ml-staging", &resource);
    let isvc: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "credit-explained", "namespace": "ml-staging"},
        "spec": {
            "predictor": {"model": {"modelFormat": {"name": "sklearn"},
                "storageUri": "gs://example-models/sklearn/churn/3"}},
            "explainer": {"art": {"type": "SquareAttack",
                "storageUri": "gs://kdeck-demo-missing/art"}}}
    }))
    .unwrap();
    cluster
        .block_on(isvcs.create(&PostParams::default(), &isvc))
        .expect("create isvc");
    // Its explainer pod exists (and never gets Ready: the bucket does not exist).
    let pods: Api<k8s_openapi::api::core::v1::Pod> =
        Api::namespaced(cluster.client(), "ml-staging");
    let explainer_pod = ListParams::default()
        .labels("serving.kserve.io/inferenceservice=credit-explained,component=explainer");
    assert!(
        common::cluster::wait_until(WAIT, || cluster
            .block_on(pods.list(&explainer_pod))
            .is_ok_and(|l| !l.items.is_empty())),
        "the explainer pod was never created"
    );
    let mut s = console_on(&sandbox, &cluster, "credit-explained", "ml-staging");
    probe_until(&mut s, "the missing explainer pod was not said", |t| {
        t.contains("no Ready explainer pod")
    });
    // The predictor's result (whatever route it took) keeps saying it, and no :explain
    // request was made.
    assert!(
        s.wait_for(WAIT, |t| t.contains(":explain not probed")),
        "no predictor result:\n{}\n{}",
        s.screen(),
        probe_lines(&s)
    );
    assert!(
        !probe_lines(&s).contains(":explain (v1)"),
        "an :explain probe ran:\n{}",
        probe_lines(&s)
    );
    s.send("q");
    s.wait_exit(WAIT);
}
