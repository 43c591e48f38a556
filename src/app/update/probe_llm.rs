//! The console's probe of an LLMInferenceService: streamed OpenAI chat completions through
//! the API server's pod proxy to one ready vLLM `main` pod of the service (port 8000, route
//! `/v1`), asking for the model the service serves. Its time to first token, inter-token
//! latency and decode rate come back in the probe's notice.

use super::probe::{CONSOLE_CONCURRENCY, CONSOLE_COUNT};
use crate::app::effect::ProbeRequest;
use crate::domain::key::ObjectKey;
use crate::domain::llm::pods::vllm_target;
use crate::domain::probe::Protocol;
use crate::state::State;

/// The route under which vLLM serves the OpenAI API.
const VLLM_ROUTE: &str = "/v1";

/// The probe of the LLM service at `key` (one, to its first ready vLLM pod by name), or
/// none when `key` is not an LLM service or none of its model servers is ready.
pub fn requests(state: &State, key: &ObjectKey) -> Vec<ProbeRequest> {
    let Some(llm) = state.cluster.llm_isvcs.items.get(key) else {
        return Vec::new();
    };
    let mut targets: Vec<_> = state
        .cluster
        .pods_of(key)
        .filter(|p| !p.meta.deleting)
        .filter_map(vllm_target)
        .filter(|t| &t.service == key)
        .collect();
    targets.sort_by(|a, b| a.pod.name.cmp(&b.pod.name));
    let Some(target) = targets.first() else {
        return Vec::new();
    };
    let base =
        crate::sources::pod_proxy::proxy_path(&key.namespace, &target.pod.name, target.port, "");
    vec![ProbeRequest {
        key: key.clone(),
        revision: None,
        url: format!("{}{VLLM_ROUTE}", base.trim_end_matches('/')),
        via_api: true,
        model: llm.model_name().to_string(),
        protocol: Protocol::Openai,
        count: CONSOLE_COUNT,
        concurrency: CONSOLE_CONCURRENCY,
        explain: false,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_llm_service_is_probed_through_its_vllm_pod() {
        let mut s = crate::ui::llm_snapshot_tests::llm_state();
        let key = ObjectKey::new("llm", "chat-v1");
        let r = requests(&s, &key);
        assert_eq!(r.len(), 1, "{r:?}");
        let r = &r[0];
        assert!(r.via_api);
        assert_eq!(r.protocol, Protocol::Openai);
        assert_eq!(r.model, "chat");
        let prefix = "/api/v1/namespaces/llm/pods/chat-v1-kserve-0";
        assert!(
            r.url.starts_with(prefix) && r.url.ends_with(":8000/proxy/v1"),
            "{}",
            r.url
        );
        // The stuck service has no ready vLLM pod: nothing to probe.
        assert!(requests(&s, &ObjectKey::new("llm", "summarize-pd")).is_empty());
        // Through the probe action, the LLM service gets this request, as an effect.
        s.ui.push(crate::state::ui::Route::Detail(key.clone()));
        let effects = super::super::probe::action(&mut s);
        assert!(
            matches!(effects.as_slice(), [crate::app::effect::Effect::Probe(p)] if p.protocol == Protocol::Openai),
            "{effects:?}"
        );
        // Its result lands in the notice and, for the detail, beside the vLLM figures.
        let Some(crate::app::effect::Effect::Probe(request)) = effects.into_iter().next() else {
            unreachable!()
        };
        let report = crate::domain::probe::ProbeReport {
            latencies: vec![std::time::Duration::from_millis(1500)],
            streams: vec![crate::domain::probe::timing::StreamTiming {
                token_times: vec![
                    std::time::Duration::from_millis(900),
                    std::time::Duration::from_millis(942),
                ],
                end: std::time::Duration::from_millis(1500),
                usage_tokens: Some(2),
            }],
            elapsed: std::time::Duration::from_secs(2),
            ..Default::default()
        };
        let summary = report.summary(request.protocol, &request.url, &request.model, 2);
        crate::app::update::update(
            &mut s,
            crate::app::msg::Msg::Probe(Box::new((request, summary))),
        );
        let notice = &s.ui.notice.as_ref().unwrap().text;
        assert!(
            notice.contains("TTFT p50 900 ms p99 900 ms, ITL p50 42.0 ms"),
            "{notice}"
        );
        let probe = &s.figures.llm_probes[&key];
        assert_eq!((probe.ok, probe.requests), (1, 1));
        let text = crate::ui::snapshot_tests::screen(&crate::ui::snapshot_tests::render(
            &mut s,
            &crate::ui::snapshot_tests::theme("dark"),
            140,
            40,
        ));
        assert!(
            text.contains("Probe 0s ago: 1/1 ok · TTFT p50 900ms"),
            "{text}"
        );
    }
}
