//! Whether an LLM service (a group member is one) breaches the [canary] thresholds: TTFT p99,
//! preemptions per second, and the share of aborted or failed requests. A stopped member
//! takes no traffic and breaches nothing.

use super::Llm;
use super::window::LlmFigures;
use crate::domain::canary::{CanaryThresholds, percent};

/// The breached thresholds in words ("TTFT p99 3.2s > 2s"), empty when none is.
pub fn breaches(llm: &Llm, f: &LlmFigures, t: &CanaryThresholds) -> Vec<String> {
    if llm.stopped() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(ttft) = f.ttft_p99_ms.filter(|v| *v > t.ttft_p99_ms) {
        out.push(format!("TTFT p99 {:.0} ms > {:.0} ms", ttft, t.ttft_p99_ms));
    }
    if let Some(p) = f.preemptions_per_s.filter(|v| *v > t.preemptions_per_s) {
        out.push(format!("preemptions {p:.1}/s > {}/s", t.preemptions_per_s));
    }
    if let Some(e) = f.error_share.filter(|v| *v > t.error_ratio) {
        out.push(format!(
            "errors {} > {}",
            percent(e),
            percent(t.error_ratio)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slow_first_tokens_and_preemptions_breach_unless_stopped() {
        let mut llm = Llm::parse(
            &json!({"metadata": {"name": "chat-v2"}, "spec": {"model": {"uri": "hf://m"}}}),
        );
        let t = CanaryThresholds::default();
        let f = LlmFigures {
            ttft_p99_ms: Some(3200.0),
            preemptions_per_s: Some(4.0),
            error_share: Some(0.0),
            ..LlmFigures::default()
        };
        let b = breaches(&llm, &f, &t);
        assert_eq!(b.len(), 2, "{b:?}");
        assert!(b[0].starts_with("TTFT p99 3200 ms"), "{b:?}");
        let fine = LlmFigures {
            ttft_p99_ms: Some(300.0),
            ..LlmFigures::default()
        };
        assert!(breaches(&llm, &fine, &t).is_empty());
        let mut annotations = llm.meta.annotations.to_vec();
        annotations.push(("serving.kserve.io/stop".into(), "true".into()));
        llm.meta.annotations = annotations.into();
        assert!(breaches(&llm, &f, &t).is_empty());
    }
}
