//! The simulated cluster's LLM serving, judged by real clients: the kube client (both served
//! versions of LLMInferenceService, watch, merge patches of the stop annotation and a
//! group weight), real kubectl (printer columns, `-o yaml`, annotate, patch, the Gateway
//! API and InferencePool kinds), the vLLM metrics page through the pod proxy (parsed by the
//! project's Prometheus parser) and a streamed chat completion through the pod proxy.
#![allow(clippy::unwrap_used)]

mod common;

use common::sim::{Sim, poll, poll_async};
use futures::{AsyncBufReadExt, StreamExt};
use kdeck::domain::prom::Exposition;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, WatchEvent,
    WatchParams,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SETTLE: Duration = Duration::from_secs(20);

fn llmisvcs(client: &kube::Client, version: &str) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("serving.kserve.io", version, "LLMInferenceService"),
        "llminferenceservices",
    );
    Api::namespaced_with(client.clone(), "llm", &ar)
}

fn condition(obj: &Value, kind: &str) -> (String, String) {
    let c = obj["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == kind))
        .cloned()
        .unwrap_or(Value::Null);
    (
        c["status"].as_str().unwrap_or("").to_string(),
        c["reason"].as_str().unwrap_or("").to_string(),
    )
}

fn member(obj: &Value, name: &str) -> Value {
    obj["status"]["router"]["group"]["members"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["name"] == name))
        .cloned()
        .unwrap_or(Value::Null)
}

async fn get(api: &Api<DynamicObject>, name: &str) -> Value {
    serde_json::to_value(api.get(name).await.unwrap()).unwrap()
}

/// Polls `name` until `pred` holds; the last object on failure.
async fn wait_for(api: &Api<DynamicObject>, name: &str, what: &str, pred: impl Fn(&Value) -> bool) {
    let got = poll_async(SETTLE, || async {
        let v = get(api, name).await;
        pred(&v).then_some(v)
    })
    .await;
    assert!(
        got.is_some(),
        "{name}: {what}; last {}",
        serde_json::to_string_pretty(&get(api, name).await).unwrap()
    );
}

async fn pod_count(client: &kube::Client, service: &str) -> usize {
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), "llm");
    pods.list(&ListParams::default().labels(&format!(
        "app.kubernetes.io/name={service},app.kubernetes.io/component=llminferenceservice-workload"
    )))
    .await
    .unwrap()
    .items
    .iter()
    .filter(|p| p.metadata.deletion_timestamp.is_none())
    .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_versions_list_the_demo_services_with_kserve_status() {
    let sim = Sim::demo();
    let client = sim.client().await;
    for version in ["v1alpha1", "v1alpha2"] {
        let list = llmisvcs(&client, version)
            .list(&ListParams::default())
            .await
            .unwrap();
        let mut names: Vec<String> = list
            .items
            .iter()
            .filter_map(|o| o.metadata.name.clone())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "deepseek-mn",
                "granite-pd",
                "llama-chat-canary",
                "llama-chat-stable",
                "phi-internal",
                "qwen-chat"
            ]
        );
        let first = serde_json::to_value(&list.items[0]).unwrap();
        assert_eq!(first["apiVersion"], format!("serving.kserve.io/{version}"));
    }
    let api = llmisvcs(&client, "v1alpha1");
    wait_for(&api, "qwen-chat", "Ready", |v| {
        condition(v, "Ready").0 == "True"
    })
    .await;
    let qwen = get(&api, "qwen-chat").await;
    assert_eq!(condition(&qwen, "WorkloadsReady").0, "True");
    assert_eq!(condition(&qwen, "RouterReady").0, "True");
    assert_eq!(condition(&qwen, "InferencePoolReady").0, "True");
    assert!(
        qwen["status"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/llm/qwen-chat")
    );
    assert_eq!(
        qwen["status"]["router"]["scheduler"]["inferencePool"]["name"],
        "qwen-chat-inference-pool"
    );
    let phi = get(&api, "phi-internal").await;
    assert_eq!(
        condition(&phi, "Ready"),
        ("False".into(), "WaitingForGateway".into())
    );
    assert_eq!(condition(&phi, "WorkloadsReady").0, "True");
    let mn = get(&api, "deepseek-mn").await;
    assert_eq!(condition(&mn, "WorkerWorkloadReady").0, "True");
    let pd = get(&api, "granite-pd").await;
    assert_eq!(condition(&pd, "PrefillWorkloadReady").0, "True");
    let canary = get(&api, "llama-chat-canary").await;
    assert_eq!(
        canary["metadata"]["labels"]["serving.kserve.io/routing-group"],
        "llama-chat"
    );
    assert_eq!(member(&canary, "llama-chat-stable")["weight"], 90);
    assert_eq!(member(&canary, "llama-chat-canary")["weight"], 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_weight_patches_show_in_the_group_and_a_watch_sees_them() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let old = llmisvcs(&client, "v1alpha1");
    let new = llmisvcs(&client, "v1alpha2");
    assert_eq!(pod_count(&client, "llama-chat-stable").await, 1);
    let list = old.list(&ListParams::default()).await.unwrap();
    let rv = list.metadata.resource_version.unwrap();
    let mut watch = old
        .watch(&WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    old.patch(
        "llama-chat-stable",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"serving.kserve.io/stop": "true"}}})),
    )
    .await
    .unwrap();
    let seen = tokio::time::timeout(SETTLE, async {
        while let Some(Ok(e)) = watch.next().await {
            if let WatchEvent::Modified(o) = e {
                let v = serde_json::to_value(&o).unwrap();
                if v["metadata"]["annotations"]["serving.kserve.io/stop"] == "true" {
                    return Some(v);
                }
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .expect("the watch delivers the annotated object");
    assert_eq!(seen["apiVersion"], "serving.kserve.io/v1alpha1");
    wait_for(
        &new,
        "llama-chat-canary",
        "the stable member shows stopped",
        |v| member(v, "llama-chat-stable")["stopped"] == true,
    )
    .await;
    wait_for(&new, "llama-chat-stable", "Ready False, Stopped", |v| {
        condition(v, "Ready") == ("False".to_string(), "Stopped".to_string())
    })
    .await;
    assert!(
        poll_async(SETTLE, || async {
            (pod_count(&client, "llama-chat-stable").await == 0).then_some(())
        })
        .await
        .is_some(),
        "the stopped member's pods go away"
    );
    // Restart: the annotation removed, pods come back and the member is Ready again.
    new.patch(
        "llama-chat-stable",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"serving.kserve.io/stop": null}}})),
    )
    .await
    .unwrap();
    wait_for(&new, "llama-chat-stable", "Ready again", |v| {
        condition(v, "Ready").0 == "True"
    })
    .await;
    assert_eq!(pod_count(&client, "llama-chat-stable").await, 1);
    // A weight change shows in every member's group status.
    old.patch(
        "llama-chat-canary",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"router": {"route": {"weight": 0}}}})),
    )
    .await
    .unwrap();
    wait_for(
        &new,
        "llama-chat-stable",
        "canary weight 0 in the group",
        |v| {
            member(v, "llama-chat-canary")["weight"] == 0
                && member(v, "llama-chat-stable")["stopped"] == false
        },
    )
    .await;
}

async fn raw(
    client: &kube::Client,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> http::Request<Vec<u8>> {
    let _ = client;
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(body)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vllm_metrics_parse_and_the_canary_streams_with_its_slow_first_token() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let canary = common::llm::ready_vllm_pod(&client, "llama-chat-canary").await;
    // The metrics page: vLLM's names, parsed by the project's parser, preemptions counting.
    let text = poll_async(SETTLE, || async {
        let req = raw(
            &client,
            "GET",
            &format!("/api/v1/namespaces/llm/pods/{canary}:8000/proxy/metrics"),
            Vec::new(),
        )
        .await;
        let text = client.request_text(req).await.ok()?;
        let page = Exposition::parse(&text);
        let preempted = page
            .family("vllm:num_preemptions_total")
            .or_else(|| page.family("vllm:num_preemptions"))
            .and_then(|f| f.samples.first().map(|s| s.value))
            .unwrap_or(0.0);
        (preempted > 0.0).then_some(text)
    })
    .await
    .expect("the canary's preemptions count up with its traffic");
    let page = Exposition::parse(&text);
    assert!(page.problems.is_empty(), "{:?}", page.problems);
    for h in [
        "vllm:time_to_first_token_seconds",
        "vllm:inter_token_latency_seconds",
        "vllm:e2e_request_latency_seconds",
        "vllm:request_queue_time_seconds",
    ] {
        let series = page.histograms(h);
        assert_eq!(series.len(), 1, "{h}");
        assert_eq!(
            series[0].label("model_name"),
            Some("meta-llama/Llama-3.1-8B-Instruct")
        );
    }
    assert!(page.family("vllm:kv_cache_usage_perc").is_some());
    // A streamed chat completion through the pod proxy: the first token after the canary's
    // median TTFT (0.9 s), then tokens one inter-token latency (42 ms) apart.
    let body = json!({"model": "meta-llama/Llama-3.1-8B-Instruct", "messages": [{"role": "user", "content": "hello"}],
        "max_tokens": 6, "stream": true});
    let req = raw(
        &client,
        "POST",
        &format!("/api/v1/namespaces/llm/pods/{canary}:8000/proxy/v1/chat/completions"),
        serde_json::to_vec(&body).unwrap(),
    )
    .await;
    let sent = Instant::now();
    let mut lines = client.request_stream(req).await.unwrap().lines();
    let mut token_times = Vec::new();
    let mut done = false;
    while let Some(Ok(line)) = lines.next().await {
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        if data == "[DONE]" {
            done = true;
            break;
        }
        let v: Value = serde_json::from_str(data).unwrap();
        if v["choices"][0]["delta"]["content"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
        {
            token_times.push(sent.elapsed());
        }
    }
    assert!(done, "the stream ends with data: [DONE]");
    assert_eq!(token_times.len(), 6);
    assert!(
        token_times[0] >= Duration::from_millis(900),
        "TTFT {:?}",
        token_times[0]
    );
    // The server cannot send the last token before five inter-token latencies have passed;
    // single gaps seen by the client can shrink when one token arrives late (a loaded
    // machine), so only their median is held to a margin.
    assert!(
        token_times[5] >= Duration::from_millis(900 + 5 * 40),
        "last token at {:?}",
        token_times[5]
    );
    let mut gaps: Vec<Duration> = token_times.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort();
    assert!(
        gaps[gaps.len() / 2] >= Duration::from_millis(30),
        "ITL {gaps:?}"
    );
    // The models list names the LoRA adapters of qwen-chat.
    let qwen = common::llm::ready_vllm_pod(&client, "qwen-chat").await;
    let req = raw(
        &client,
        "GET",
        &format!("/api/v1/namespaces/llm/pods/{qwen}:8000/proxy/v1/models"),
        Vec::new(),
    )
    .await;
    let models = client.request_text(req).await.unwrap();
    assert!(
        models.contains("\"sql-lora\"") && models.contains("\"summarize-lora\""),
        "{models}"
    );
}

#[test]
fn kubectl_prints_llm_columns_and_annotates_and_patches() {
    require_kubectl!();
    let sim = Sim::demo();
    let kubectl = sim.kubectl();
    let out = kubectl.ok(&["get", "llmisvc", "-A"]);
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAMESPACE", "NAME", "URL", "READY", "REASON", "AGE"],
        "{out}"
    );
    assert_eq!(out.lines().count(), 7, "{out}");
    let phi = out.lines().find(|l| l.contains("phi-internal")).unwrap();
    assert!(
        phi.contains("False") && phi.contains("WaitingForGateway"),
        "{out}"
    );
    let yaml = kubectl.ok(&["get", "llmisvc", "qwen-chat", "-n", "llm", "-o", "yaml"]);
    assert!(
        yaml.contains("apiVersion: serving.kserve.io/v1alpha2"),
        "{yaml}"
    );
    assert!(yaml.contains("type: RouterReady"), "{yaml}");
    let routing = kubectl.ok(&["get", "inferencepool,httproute,gateway", "-n", "llm"]);
    for name in [
        "qwen-chat-inference-pool",
        "qwen-chat-kserve-route",
        "kserve-ingress-gateway",
    ] {
        assert!(routing.contains(name), "{name} in {routing}");
    }
    kubectl.ok(&[
        "annotate",
        "llmisvc",
        "llama-chat-stable",
        "-n",
        "llm",
        "serving.kserve.io/stop=true",
    ]);
    kubectl.ok(&[
        "patch",
        "llmisvc",
        "llama-chat-canary",
        "-n",
        "llm",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"router":{"route":{"weight":100}}}}"#,
    ]);
    let path = "jsonpath={.status.router.group.members[*].weight} {.status.router.group.members[*].stopped}";
    let got = poll(SETTLE, || {
        let v = kubectl.ok(&[
            "get",
            "llmisvc",
            "llama-chat-canary",
            "-n",
            "llm",
            "-o",
            path,
        ]);
        (v.trim() == "100 90 false true").then_some(v)
    });
    assert!(
        got.is_some(),
        "group after promote: {}",
        kubectl.ok(&[
            "get",
            "llmisvc",
            "llama-chat-canary",
            "-n",
            "llm",
            "-o",
            path
        ])
    );
}
