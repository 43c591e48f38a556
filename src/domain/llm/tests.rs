//! Fixture tests for the LLMInferenceService model (tests/fixtures/kserve/llmisvc/).

use super::diagnose::diagnose;
use super::*;
use crate::domain::k8s::CondStatus;
use serde_json::json;
use std::collections::BTreeMap;

fn fixtures() -> BTreeMap<String, Llm> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kserve/llmisvc");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for doc in serde_norway::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(doc).unwrap();
            let llm = Llm::parse(&value);
            out.insert(llm.meta.name.clone(), llm);
        }
    }
    out
}

#[test]
fn every_fixture_parses_without_problems() {
    let all = fixtures();
    assert_eq!(all.len(), 5, "{:?}", all.keys().collect::<Vec<_>>());
    for (name, llm) in &all {
        assert!(llm.problems.is_empty(), "{name}: {:?}", llm.problems);
    }
}

#[test]
fn a_v1alpha2_group_member_reads_spec_and_status() {
    let all = fixtures();
    let v1 = &all["chat-v1"];
    assert_eq!(v1.version, "v1alpha2");
    assert_eq!(v1.model_name(), "chat");
    assert_eq!(
        v1.spec.model_uri.as_deref(),
        Some("hf://example-org/chat-8b-instruct")
    );
    assert_eq!(v1.spec.lora_adapters[0].name, "chat-sql");
    assert_eq!(v1.spec.main.replicas, Some(2));
    assert_eq!(v1.spec.group(), Some("chat"));
    assert_eq!(v1.spec.weight(), Some(9));
    assert_eq!(v1.gpus_per_replica(), 1.0);
    assert_eq!(v1.readiness(), Readiness::Ready);
    assert!(!v1.stopped());
    let s = &v1.status;
    assert_eq!(s.observed_generation, Some(3));
    assert_eq!(
        s.workloads.primary.as_ref().unwrap().label(),
        "Deployment/chat-v1-kserve"
    );
    assert_eq!(
        s.router.gateways[0].http_routes,
        vec!["chat-v1-kserve-route"]
    );
    assert_eq!(
        s.router.inference_pool.as_ref().unwrap().name,
        "chat-v1-inference-pool"
    );
    let group = s.router.group.as_ref().unwrap();
    assert_eq!(group.members.len(), 2);
    assert_eq!(group.share_percent("chat-v1"), Some(90.0));
    assert_eq!(
        s.addresses[1].models,
        vec!["publishers/llm/models/chat", "chat"]
    );
    assert_eq!(
        s.addresses[0].origin.as_ref().unwrap().name,
        "inference-gateway"
    );
    assert_eq!(s.applied_configs[1].source, "Preset");
    assert!(diagnose(v1).is_empty());
    let tree = v1.condition_tree();
    assert_eq!(tree.ready.children[0].children.len(), 1);
    assert_eq!(tree.ready.children[1].children.len(), 3);
    assert_eq!(
        tree.independent.iter().map(|n| n.kind).collect::<Vec<_>>(),
        vec!["PresetsCombined", "GroupReady"]
    );
}

#[test]
fn a_stopped_member_is_stopped_in_spec_and_group() {
    let all = fixtures();
    let v2 = &all["chat-v2"];
    assert!(v2.stopped());
    assert_eq!(v2.readiness(), Readiness::NotReady("Stopped".into()));
    let group = v2.status.router.group.as_ref().unwrap();
    assert!(group.members[1].stopped);
    assert_eq!(group.share_percent("chat-v2"), Some(0.0));
    assert_eq!(group.share_percent("chat-v1"), Some(100.0));
    let causes = diagnose(v2);
    assert_eq!(causes[0].title, "The service is stopped");
    assert!(
        causes
            .iter()
            .any(|c| c.evidence.contains("MainWorkloadReady: Stopped"))
    );
}

#[test]
fn waiting_for_gateway_names_the_pool_and_the_next_step() {
    let all = fixtures();
    let pd = &all["summarize-pd"];
    assert_eq!(pd.topology(), "P/D");
    assert_eq!(
        pd.spec.prefill.as_ref().unwrap().parallelism.label(),
        "TP 2"
    );
    assert_eq!(pd.gpus_per_replica(), 4.0);
    assert_eq!(
        pd.readiness(),
        Readiness::NotReady("WaitingForGateway".into())
    );
    let leaves = pd
        .condition_tree()
        .ready
        .failing_leaves()
        .iter()
        .map(|n| n.kind)
        .collect::<Vec<_>>();
    assert_eq!(leaves, vec!["InferencePoolReady"]);
    let causes = diagnose(pd);
    assert_eq!(causes[0].title, "KServe reports InferencePoolReady = False");
    assert!(
        causes[0]
            .evidence
            .contains("waits for Gateway kserve/inference-gateway")
    );
    assert!(causes[0].next.contains("Gateway"));
    assert_eq!(
        pd.spec.router.as_ref().unwrap().gateway_refs,
        vec!["kserve/inference-gateway"]
    );
}

#[test]
fn a_missing_config_is_not_ready_though_ready_is_unknown() {
    let all = fixtures();
    let orphan = &all["orphan-config"];
    assert_eq!(
        orphan.readiness(),
        Readiness::NotReady("ConfigNotFound".into())
    );
    let causes = diagnose(orphan);
    assert_eq!(causes[0].title, "KServe reports PresetsCombined = False");
    assert!(causes[0].next.contains("baseRefs"));
    assert_eq!(orphan.spec.base_refs, vec!["team-overrides"]);
}

#[test]
fn v1alpha1_multi_node_reads_worker_and_single_address() {
    let all = fixtures();
    let mn = &all["reason-mn"];
    assert_eq!(mn.version, "v1alpha1");
    assert_eq!(mn.topology(), "multi-node");
    assert_eq!(mn.spec.main.parallelism.label(), "TP 8 · PP 2");
    assert_eq!(mn.gpus_per_replica(), 16.0);
    assert_eq!(mn.status.addresses.len(), 1);
    assert!(mn.status.workloads.primary.is_none());
    assert!(mn.status.router.group.is_none());
    assert_eq!(
        mn.readiness(),
        Readiness::NotReady("ProgressDeadlineExceeded".into())
    );
    let causes = diagnose(mn);
    assert_eq!(
        causes[0].title,
        "KServe reports WorkerWorkloadReady = False"
    );
    assert!(causes[0].next.contains("main"));
}

#[test]
fn group_degraded_is_apart_from_ready() {
    let v = json!({"apiVersion": "serving.kserve.io/v1alpha2", "metadata": {"name": "a"},
        "spec": {"model": {"uri": "hf://x"}, "router": {"route": {"group": "g", "weight": 1}}},
        "status": {"conditions": [
            {"type": "Ready", "status": "True"},
            {"type": "GroupDegraded", "status": "True", "reason": "MemberDivergence", "message": "model names differ"}]}});
    let llm = Llm::parse(&v);
    assert_eq!(llm.readiness(), Readiness::Ready);
    let causes = diagnose(&llm);
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].title, "KServe reports GroupDegraded = True");
    assert!(causes[0].next.contains("align"));
    let tree = llm.condition_tree();
    assert!(!tree.independent[0].healthy());
    assert_eq!(tree.ready.children[0].status(), CondStatus::Unknown);
}

#[test]
fn malformed_objects_never_panic_and_say_what_is_wrong() {
    for v in [
        json!(null),
        json!({"metadata": {"name": "x"}, "spec": "oops", "status": []}),
        json!({"metadata": {"name": "x"}, "spec": {"model": 5, "router": "r"},
               "status": {"conditions": {"type": "Ready"}, "router": {"group": {"members": "all"}}}}),
        json!({"metadata": {"name": 7}, "spec": {"model": {"uri": 3, "lora": {"adapters": [1, {"name": 2}]}},
               "replicas": "many", "parallelism": [], "worker": "w"},
               "status": {"workloads": "w", "addresses": [{"url": 1}, "a"], "router": {"gateways": [1]},
                          "appliedConfigs": {"a": 1}, "conditions": [{"status": "True"}]}}),
    ] {
        let llm = Llm::parse(&v);
        assert!(!llm.problems.is_empty(), "{v}");
        let _ = llm.readiness();
        let _ = diagnose(&llm);
        let _ = llm.gpus_per_replica();
        let _ = llm.group();
    }
}
