//! `kdeck status` on the simulated cluster's LLM services (the demo's llm namespace): JSON
//! entries carry `kind` and, for LLMInferenceServices, vLLM's figures per service and per
//! group member; the stuck service (WaitingForGateway) makes it exit 1 with its reason; the
//! table marks LLM rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use common::cluster::{Cluster, WAIT};
use common::headless::{run_kdeck, text};
use serde_json::Value;
use std::time::{Duration, Instant};

fn status(sandbox: &Sandbox, cluster: &Cluster, extra: &[&str]) -> std::process::Output {
    let kubeconfig = cluster.kubeconfig_arg();
    let mut args = vec!["status", "-n", "llm", "--kubeconfig", kubeconfig.as_str()];
    args.extend(extra);
    run_kdeck(sandbox, &args, WAIT * 2).0
}

fn entry<'a>(all: &'a [Value], name: &str) -> &'a Value {
    all.iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no entry {name} in {all:?}"))
}

#[test]
fn llm_entries_carry_kind_figures_and_members_and_fail_when_not_ready() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    // The simulated vLLM pods serve tokens from their start; wait until the stable member's
    // first tokens have been timed (observable in the output), with a deadline.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (out, all) = loop {
        let out = status(&sandbox, &cluster, &["-o", "json"]);
        let all: Vec<Value> = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
        let ready = all
            .iter()
            .find(|e| e["name"] == "llama-chat-stable")
            .is_some_and(|e| e["ttft_p99_ms"].is_number());
        if ready || Instant::now() > deadline {
            break (out, all);
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    for e in &all {
        assert!(e["kind"].is_string(), "{e}");
    }
    let stable = entry(&all, "llama-chat-stable");
    assert_eq!(stable["kind"], "LLMInferenceService");
    for field in [
        "ttft_p50_ms",
        "ttft_p99_ms",
        "itl_p50_ms",
        "generation_tokens_per_s",
        "requests_waiting",
        "kv_cache_usage",
    ] {
        assert!(stable[field].is_number(), "{field}: {stable}");
    }
    let kv = stable["kv_cache_usage"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&kv), "{kv}");
    let members = stable["group"]["members"]
        .as_array()
        .expect("group members");
    let names: Vec<&str> = members
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"llama-chat-canary"), "{names:?}");
    for m in members {
        assert!(
            m.get("ttft_p99_ms").is_some() && m.get("weight").is_some(),
            "{m}"
        );
    }
    // The stuck service: not Ready with KServe's reason, and the exit code says so.
    let stuck = entry(&all, "phi-internal");
    assert_eq!(stuck["ready"], false);
    assert!(
        !stuck["diagnosis"].as_array().unwrap().is_empty(),
        "{stuck}"
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("llm/phi-internal LLM service not Ready"),
        "{stderr}"
    );
    // The table marks LLM rows.
    let table = status(&sandbox, &cluster, &[]);
    assert!(
        text(&table.stdout).contains("llama-chat-stable [LLM]"),
        "{}",
        text(&table.stdout)
    );
}
