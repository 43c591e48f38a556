//! The headless rollout commands on the demo's LLM drill group (two LLMInferenceService
//! members of one routing group, the canary failing) against the simulated cluster: the
//! rollback is followed until `status.router.group` shows it, kubectl shows the weight or
//! the stop annotation it left, the Event and audit lines are written, and the sim's faults
//! (`lose-answer=patch`, `hang=patch`) give the same truthful outcomes as for
//! InferenceServices.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::llm::{group_status, weight};

use common::Sandbox;
use common::cluster::{Cluster, WAIT, audit_lines, audit_outcomes};
use common::headless::{run_kdeck, text};
use k8s_openapi::api::core::v1::Event;
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use serde_json::Value;
use std::process::Output;

const NS: &str = "llm";
const STOP: &str = "serving.kserve.io/stop";

fn llm_resource() -> ApiResource {
    ApiResource {
        group: "serving.kserve.io".into(),
        version: "v1alpha2".into(),
        api_version: "serving.kserve.io/v1alpha2".into(),
        kind: "LLMInferenceService".into(),
        plural: "llminferenceservices".into(),
    }
}

fn llms(cluster: &Cluster) -> Vec<Value> {
    let api: Api<DynamicObject> = Api::namespaced_with(cluster.client(), NS, &llm_resource());
    let list = cluster
        .block_on(api.list(&ListParams::default()))
        .expect("list llminferenceservices");
    list.items
        .iter()
        .map(|o| serde_json::to_value(o).unwrap())
        .collect()
}

fn llm(cluster: &Cluster, name: &str) -> Value {
    llms(cluster)
        .into_iter()
        .find(|v| v["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no LLMInferenceService {name}"))
}

/// The demo's drill group: (stable, canary) — the canary is the member with the smaller
/// weight in a group of two running members.
fn drill_group(cluster: &Cluster) -> (String, String) {
    let all = llms(cluster);
    let mut groups: std::collections::BTreeMap<String, Vec<(i64, String)>> = Default::default();
    for v in &all {
        if let Some(g) = v
            .pointer("/spec/router/route/group")
            .and_then(Value::as_str)
        {
            let weight = v
                .pointer("/spec/router/route/weight")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let name = v["metadata"]["name"].as_str().unwrap().to_string();
            groups
                .entry(g.to_string())
                .or_default()
                .push((weight, name));
        }
    }
    let mut members = groups
        .into_values()
        .find(|m| m.len() == 2)
        .expect("the demo has an LLM group canary of two members");
    members.sort();
    (members[1].1.clone(), members[0].1.clone())
}

fn kdeck_events(cluster: &Cluster, name: &str) -> Vec<(String, String)> {
    let api: Api<Event> = Api::namespaced(cluster.client(), NS);
    let params = ListParams::default().fields(&format!(
        "involvedObject.name={name},involvedObject.kind=LLMInferenceService"
    ));
    let list = cluster.block_on(api.list(&params)).expect("list events");
    list.items
        .into_iter()
        .filter(|e| e.source.as_ref().and_then(|s| s.component.as_deref()) == Some("kdeck"))
        .map(|e| (e.reason.unwrap_or_default(), e.message.unwrap_or_default()))
        .collect()
}

fn run(sandbox: &Sandbox, cluster: &Cluster, args: &[&str]) -> Output {
    let kubeconfig = cluster.kubeconfig_arg();
    let mut all = args.to_vec();
    all.extend(["-n", NS, "--kubeconfig", kubeconfig.as_str()]);
    run_kdeck(sandbox, &all, WAIT * 3).0
}

/// A sandbox whose config gives API requests a 2 s deadline.
fn sandbox_with_deadline() -> Sandbox {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.config_dir()).unwrap();
    std::fs::write(
        sandbox.config_dir().join("config.toml"),
        "[api]\nrequest_timeout = \"2s\"\nexec_timeout = \"2s\"\n",
    )
    .unwrap();
    sandbox
}

#[test]
fn rollback_of_the_drill_canary_sets_its_weight_to_zero_and_the_group_status_agrees() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let (stable, canary) = drill_group(&cluster);
    let stable_weight = weight(&llm(&cluster, &stable)).unwrap();
    let out = run(
        &sandbox,
        &cluster,
        &["rollback", &canary, "--yes", "--timeout", "40s"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("dry run: accepted"), "{stdout}");
    assert!(stdout.contains("done: weights"), "{stdout}");
    // kdeck returned once the group status showed it; the API agrees at once.
    let after = llm(&cluster, &canary);
    assert_eq!(weight(&after), Some(0), "{after}");
    assert!(
        group_status(&after).contains(&(canary.clone(), 0, false)),
        "{after}"
    );
    assert_eq!(weight(&llm(&cluster, &stable)), Some(stable_weight));
    // Real kubectl shows the weight kdeck left.
    let shown = cluster.kubectl().ok(&[
        "get",
        "llminferenceservice",
        &canary,
        "-n",
        NS,
        "-o",
        "jsonpath={.spec.router.route.weight}",
    ]);
    assert_eq!(shown.trim(), "0");
    let events = kdeck_events(&cluster, &canary);
    assert!(
        events.iter().any(|(r, _)| r == "KdeckGroupRollback"),
        "{events:?}"
    );
    let lines = audit_lines(&sandbox);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["outcome"], "intent");
    assert_eq!(lines[1]["outcome"], "applied");
    assert_eq!(lines[1]["name"], canary.as_str());
    // A second rollback has nothing to do: refused in words, exit 4, nothing sent.
    let again = run(&sandbox, &cluster, &["rollback", &canary, "--yes"]);
    assert_eq!(again.status.code(), Some(4), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("already rolled back"));
}

#[test]
fn rollback_with_stop_annotates_the_canary_and_promote_then_rollback_restarts_the_stable_first() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let (stable, canary) = drill_group(&cluster);
    // Once one scrape of its pods shows the canary failing (slow first tokens, aborts
    // against the stable member), promoting it is refused with exit 9 …
    let mut refused = None;
    assert!(
        common::cluster::wait_until(WAIT * 2, || {
            let out = run(&sandbox, &cluster, &["promote", &canary, "--dry-run"]);
            let is_refused = out.status.code() == Some(9);
            refused = Some(out);
            is_refused
        }),
        "{}",
        refused
            .as_ref()
            .map(|o| text(&o.stderr))
            .unwrap_or_default()
    );
    let stderr = text(&refused.unwrap().stderr);
    assert!(
        stderr.contains(&format!(
            "refused: the change sends more traffic to {canary}"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("measured against {stable}")),
        "{stderr}"
    );
    // … and goes ahead with --force.
    let out = run(
        &sandbox,
        &cluster,
        &["promote", &canary, "--yes", "--force", "--timeout", "40s"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = cluster.kubectl().ok(&[
        "get",
        "llminferenceservice",
        &stable,
        "-n",
        NS,
        "-o",
        "jsonpath={.metadata.annotations.serving\\.kserve\\.io/stop}",
    ]);
    assert_eq!(shown.trim(), "true");
    // Rolling back now starts the stopped stable member, waits for Ready, then stops the canary.
    let out = run(
        &sandbox,
        &cluster,
        &["rollback", &canary, "--stop", "--yes", "--timeout", "60s"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("step 1/2"), "{stdout}");
    assert!(stdout.contains(&format!("{stable} is Ready")), "{stdout}");
    let stable_now = llm(&cluster, &stable);
    assert!(
        stable_now
            .pointer(&format!(
                "/metadata/annotations/{}",
                STOP.replace('/', "~1")
            ))
            .is_none(),
        "{stable_now}"
    );
    let canary_now = llm(&cluster, &canary);
    assert_eq!(canary_now["metadata"]["annotations"][STOP], "true");
}

#[test]
fn a_lost_answer_is_read_back_as_applied_and_a_hung_patch_as_not_applied() {
    let sandbox = sandbox_with_deadline();
    let cluster = Cluster::start(&[]);
    let (_, canary) = drill_group(&cluster);
    let before = weight(&llm(&cluster, &canary));
    cluster.fault("hang=patch");
    let out = run(
        &sandbox,
        &cluster,
        &["rollback", &canary, "--yes", "--timeout", "30s"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("nothing was applied"),
        "{}",
        text(&out.stderr)
    );
    cluster.clear_faults();
    assert_eq!(weight(&llm(&cluster, &canary)), before);
    let outcomes = audit_outcomes(&sandbox);
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert!(outcomes[1].starts_with("not applied"), "{outcomes:?}");
    cluster.fault("lose-answer=patch");
    let out = run(
        &sandbox,
        &cluster,
        &["rollback", &canary, "--yes", "--timeout", "30s"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("answer to the patch was lost") && stderr.contains("applied"),
        "{stderr}"
    );
    cluster.clear_faults();
    assert_eq!(weight(&llm(&cluster, &canary)), Some(0));
    let outcomes = audit_outcomes(&sandbox);
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    assert!(outcomes[3].starts_with("applied"), "{outcomes:?}");
}
