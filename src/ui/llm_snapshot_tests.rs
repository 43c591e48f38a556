//! Screen and update tests of LLM services: the fixture cluster plus the LLMInferenceService
//! fixtures (a group canary whose new member is slow), their vLLM pods and one round of vLLM
//! figures; the services list and the LLM detail at 80×24 and 140×40, with styles.

use super::snapshot_tests::{cluster_state, render, screen, styled_screen, theme};
use crate::app::msg::{Measurements, Msg};
use crate::app::update::update;
use crate::domain::key::ObjectKey;
use crate::domain::kind::{Kind, parse};
use crate::domain::llm::window::LlmFigures;
use crate::domain::watch::WatchEvent;
use crate::state::State;
use crate::state::services::ServiceColumn;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};

fn fixture(file: &str, name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/kserve/llmisvc/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|d| <Value as serde::Deserialize>::deserialize(d).unwrap())
        .find(|v| v["metadata"]["name"] == name)
        .unwrap()
}

fn vllm_pod(service: &str, n: u8) -> Value {
    json!({"metadata": {"name": format!("{service}-kserve-{n}"), "namespace": "llm", "uid": format!("{service}-{n}"),
            "creationTimestamp": "2026-11-20T11:00:00Z",
            "labels": {"app.kubernetes.io/part-of": "llminferenceservice", "app.kubernetes.io/name": service}},
        "spec": {"containers": [{"name": "main", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "main", "ready": true}]}})
}

/// Applies a watch batch as the cluster source sends it.
fn watch(s: &mut State, kind: Kind, events: Vec<WatchEvent>) {
    let epoch = s.cluster.epoch;
    update(
        s,
        Msg::Cluster(crate::app::msg::ClusterMsg::Watch {
            epoch,
            kind,
            events,
        }),
    );
}

/// The fixture cluster with the `chat` group: chat-v1 (9) healthy, chat-v2 (1) live (its
/// stop annotation removed) and slow, and the stuck prefill/decode service.
pub fn llm_state() -> State {
    let mut s = cluster_state();
    let v1 = fixture("group-canary-v1alpha2.yaml", "chat-v1");
    let mut v2 = fixture("group-canary-v1alpha2.yaml", "chat-v2");
    v2["metadata"]["annotations"] = json!({});
    v2["status"] = v1["status"].clone();
    let stuck = fixture("stuck-v1alpha2.yaml", "summarize-pd");
    let llms = [v1, v2, stuck]
        .iter()
        .map(|v| WatchEvent::Upsert(parse(Kind::LlmInferenceService, v)))
        .collect();
    watch(&mut s, Kind::LlmInferenceService, llms);
    let pods = [("chat-v1", 0), ("chat-v1", 1), ("chat-v2", 0)]
        .iter()
        .map(|(svc, n)| WatchEvent::Upsert(parse(Kind::Pod, &vllm_pod(svc, *n))))
        .collect();
    watch(&mut s, Kind::Pod, pods);
    let now = s.now;
    let figures = |ttft99: f64, preempt: f64, waiting: f64| LlmFigures {
        ttft_p50_ms: Some(ttft99 / 4.0),
        ttft_p99_ms: Some(ttft99),
        itl_p50_ms: Some(18.0),
        e2e_p99_ms: Some(ttft99 + 4000.0),
        queue_p50_ms: Some(12.0),
        running: Some(6.0),
        waiting: Some(waiting),
        kv_cache: Some(0.42),
        preemptions_per_s: Some(preempt),
        generation_tokens_per_s: Some(1800.0),
        error_share: Some(0.002),
        at: Some(now),
        ..LlmFigures::default()
    };
    update(
        &mut s,
        Msg::Metrics(Measurements {
            at: now,
            llm: vec![
                (ObjectKey::new("llm", "chat-v1"), figures(420.0, 0.0, 1.0)),
                (ObjectKey::new("llm", "chat-v2"), figures(3600.0, 3.5, 9.0)),
            ],
            ..Measurements::default()
        }),
    );
    s.refresh_derived();
    s
}

#[test]
fn the_slow_member_sorts_first_and_reads_as_failing() {
    let s = llm_state();
    // The default sort is health: the breaching LLM member before everything else.
    assert_eq!(s.derived.services[0], ObjectKey::new("llm", "chat-v2"));
    let key = &s.derived.services[0];
    let sym = &crate::ui::symbols::Symbols::UNICODE;
    let cell = |c| crate::ui::views::services::cell(&s, sym, key, c);
    assert_eq!(cell(ServiceColumn::Name).text, "chat-v2 [LLM]");
    assert_eq!(
        cell(ServiceColumn::Ttft99).slot,
        Some(crate::config::slot::Slot::StatusFailed)
    );
    assert!(cell(ServiceColumn::Traffic).text.contains("chat 10%"));
    assert_eq!(cell(ServiceColumn::KvCache).text, "42%");
    assert_eq!(cell(ServiceColumn::Replicas).text, "1/1");
    // The healthy member and the stuck service are listed too; InferenceServices keep a dash.
    assert!(
        s.derived
            .services
            .contains(&ObjectKey::new("llm", "chat-v1"))
    );
    assert!(
        s.derived
            .services
            .contains(&ObjectKey::new("llm", "summarize-pd"))
    );
    let isvc = s.cluster.isvcs.items.keys().next().unwrap();
    assert_eq!(
        crate::ui::views::services::cell(&s, sym, isvc, ServiceColumn::Ttft99).text,
        "–"
    );
    // Each member's breach is its own: the healthy one breaches nothing.
    assert!(
        crate::state::service_kind::llm_breaches(&s, &ObjectKey::new("llm", "chat-v1")).is_empty()
    );
    assert_eq!(crate::state::service_kind::llm_breaches(&s, key).len(), 2);
    // The title counts the rows the list marks failing, the LLM member among them.
    assert!(cell(ServiceColumn::Traffic).text.starts_with(sym.fail));
    let theme = crate::ui::snapshot_tests::theme("dark");
    let title = crate::ui::views::services::title(&s, &theme);
    assert!(
        title.contains("1 failing canary: chat-v2 TTFT p99 3600 ms > "),
        "{title}"
    );
}

#[test]
fn llm_list_and_detail_snapshots() {
    for (w, h) in [(80u16, 24u16), (140, 40)] {
        let t = theme("dark");
        let mut s = llm_state();
        let list = render(&mut s, &t, w, h);
        let text = screen(&list);
        assert!(text.contains("chat-v2 [LLM]"), "{text}");
        insta::assert_snapshot!(format!("llm_services_{w}x{h}"), styled_screen(&list));
        update(
            &mut s,
            Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        );
        let detail = render(&mut s, &t, w, h);
        let text = screen(&detail);
        assert!(text.contains("Group chat: members side by side"), "{text}");
        insta::assert_snapshot!(format!("llm_detail_{w}x{h}"), styled_screen(&detail));
    }
}

#[test]
fn the_stuck_service_says_what_is_false_and_what_to_do() {
    let mut s = llm_state();
    let key = ObjectKey::new("llm", "summarize-pd");
    s.ui.push(crate::state::ui::Route::Detail(key));
    let text = screen(&render(&mut s, &theme("dark"), 140, 40));
    assert!(
        text.contains("KServe reports InferencePoolReady = False"),
        "{text}"
    );
    assert!(text.contains("WaitingForGateway"), "{text}");
    assert!(
        text.contains("→ The InferencePool waits for its Gateway"),
        "{text}"
    );
}

#[test]
fn the_cost_view_prices_an_llm_service_per_million_generated_tokens() {
    let mut s = llm_state();
    // chat-v1's two vLLM pods run on the fixture's priced g5.xlarge node.
    let mut pods = Vec::new();
    for n in [0, 1] {
        let mut pod = vllm_pod("chat-v1", n);
        pod["spec"]["nodeName"] = json!("gpu-g5-1");
        pods.push(WatchEvent::Upsert(parse(Kind::Pod, &pod)));
    }
    s.cluster.apply(Kind::Pod, pods);
    crate::app::update::gpu::refresh_costs(&mut s);
    let key = ObjectKey::new("llm", "chat-v1");
    let usd_per_hour = s
        .costs
        .get(&key)
        .and_then(crate::domain::cost::CostEstimate::usd_per_hour)
        .expect("chat-v1 is priced like an InferenceService");
    assert!(usd_per_hour > 0.0);
    // 1,800 generated tokens/s (the fixture's vLLM figures).
    let per_million = crate::ui::views::cost::per_million_tokens(&s, &key).expect("a $/1M tokens");
    let expected = usd_per_hour / (1800.0 * 3600.0) * 1e6;
    assert!(
        (per_million - expected).abs() < 1e-9,
        "{per_million} vs {expected}"
    );
    // An InferenceService has no token rate: no $/1M tokens.
    assert_eq!(
        crate::ui::views::cost::per_million_tokens(&s, &ObjectKey::new("ml-prod", "sklearn-iris")),
        None
    );
    s.ui.push(crate::state::ui::Route::Cost);
    let text = screen(&render(&mut s, &theme("dark"), 140, 40));
    assert!(text.contains("$/1M TOK"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("chat-v1"))
        .expect("a chat-v1 row");
    assert!(row.contains(&format!("${per_million:.2}")), "{row}");
}

/// A DCGM exporter page of a MIG node: one A100 slice (GPU_UTIL reported as 0, its engine
/// 62 % active) used by chat-v2's vLLM pod, one slice idle.
const MIG_PAGE: &str = r#"# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a100",modelName="NVIDIA A100-SXM4-40GB",GPU_I_PROFILE="3g.20gb",GPU_I_ID="1",Hostname="gpu-a100-mig-1",container="main",namespace="llm",pod="chat-v2-kserve-0"} 0
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a100",modelName="NVIDIA A100-SXM4-40GB",GPU_I_PROFILE="3g.20gb",GPU_I_ID="2",Hostname="gpu-a100-mig-1"} 0
# TYPE DCGM_FI_PROF_GR_ENGINE_ACTIVE gauge
DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu="0",UUID="GPU-a100",modelName="NVIDIA A100-SXM4-40GB",GPU_I_PROFILE="3g.20gb",GPU_I_ID="1",Hostname="gpu-a100-mig-1",container="main",namespace="llm",pod="chat-v2-kserve-0"} 0.62
DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu="0",UUID="GPU-a100",modelName="NVIDIA A100-SXM4-40GB",GPU_I_PROFILE="3g.20gb",GPU_I_ID="2",Hostname="gpu-a100-mig-1"} 0
"#;

#[test]
fn an_llm_pods_mig_slice_counts_for_its_service_with_its_engine_activity() {
    let mut s = llm_state();
    let page = crate::domain::prom::Exposition::parse(MIG_PAGE);
    let gpus = crate::domain::dcgm::parse_scrape(&page, None);
    assert_eq!(gpus.len(), 2, "{gpus:?}");
    let used = gpus.iter().find(|g| !g.workloads.is_empty()).unwrap();
    assert_eq!(used.util_pct, Some(62.0));
    let idle = gpus.iter().find(|g| g.workloads.is_empty()).unwrap();
    assert_eq!(idle.util_pct, Some(0.0));
    let batch = crate::domain::dcgm::DcgmBatch {
        taken_at: s.now,
        targets: 1,
        gpus,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    update(&mut s, Msg::Gpu(crate::app::msg::GpuMsg::Cluster(batch)));
    let key = ObjectKey::new("llm", "chat-v2");
    let figures = s.figures.service(&key).expect("chat-v2's figures");
    assert_eq!(figures.gpu_util_pct, Some(62.0));
    let per_service = &s.gpu.cluster.as_ref().unwrap().per_service;
    assert!(
        per_service
            .iter()
            .any(|u| u.service.namespace == "llm" && u.service.name == "chat-v2" && u.gpus == 1),
        "{per_service:?}"
    );
    s.ui.push(crate::state::ui::Route::Gpu);
    let text = screen(&render(&mut s, &theme("dark"), 140, 40));
    assert!(text.contains("llm/chat-v2"), "{text}");
}

#[test]
fn help_on_a_group_member_says_the_canary_key_sets_its_weight() {
    let mut s = llm_state();
    assert_eq!(
        s.selected_service(),
        Some(&ObjectKey::new("llm", "chat-v2"))
    );
    update(&mut s, crate::ui::snapshot_tests::key('?'));
    let text = screen(&render(&mut s, &theme("dark"), 140, 40));
    assert!(text.contains("Set this group member's weight"), "{text}");
    assert!(!text.contains("Set canary percent"), "{text}");
}
