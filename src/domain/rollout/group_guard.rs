//! Whether a group member that a change sends more traffic to is failing, judged as an
//! InferenceService canary is (domain/canary.rs, the `[canary]` thresholds): from one scrape
//! of vLLM's metrics on its pods against the stable member's — time to first token p99 as the
//! latency, the share of requests that finished with `abort` or `error` as the errors — or
//! simply from its Ready condition when it is not Ready. Pure: the pages come from the caller.

use crate::domain::canary::{CanaryThresholds, judge};
use crate::domain::figures::RevisionFigures;
use crate::domain::llm::vllm;

/// The figures of one member from its pods' vLLM pages (cumulative since each pod started);
/// None when no page has vLLM's metrics.
pub fn member_figures(pages: &[String]) -> Option<RevisionFigures> {
    let readings: Vec<vllm::VllmReading> =
        pages.iter().filter_map(|p| vllm::parse(p).0.ok()).collect();
    if readings.is_empty() {
        return None;
    }
    let ttft = readings
        .iter()
        .filter_map(|r| r.ttft_ms.clone())
        .reduce(|a, b| a.add(&b));
    let finished: f64 = readings.iter().filter_map(|r| r.finished).sum();
    let failed: f64 = readings.iter().filter_map(|r| r.failed).sum();
    Some(RevisionFigures {
        p50_ms: ttft.as_ref().and_then(|b| b.quantile(0.5)),
        p99_ms: ttft.as_ref().and_then(|b| b.quantile(0.99)),
        error_ratio: (finished > 0.0).then(|| failed / finished),
        cumulative: true,
        ..RevisionFigures::default()
    })
}

/// Why `member` counts as failing against `stable`, if it does: "TTFT p99 … vs … stable",
/// "errors … vs … stable".
pub fn failing_member(
    thresholds: &CanaryThresholds,
    member: &[String],
    stable: Option<&[String]>,
) -> Option<String> {
    let mine = member_figures(member)?;
    let base = stable.and_then(member_figures);
    let reasons = judge(thresholds, &mine, base.as_ref());
    (!reasons.is_empty()).then(|| {
        reasons
            .iter()
            .map(|r| r.replacen("p99", "TTFT p99", 1))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vLLM page whose TTFT requests fall in the bucket ending at `le` seconds, with
    /// `errors` of 100 requests finished with `error`.
    fn page(le: &str, errors: u32) -> String {
        let bounds = ["0.05", "0.1", "0.5", "1.0", "2.5", "5.0", "10.0"];
        let mut text = String::from("# TYPE vllm:time_to_first_token_seconds histogram\n");
        let mut reached = false;
        for b in bounds {
            reached |= b == le;
            let n = if reached { 100 } else { 0 };
            text.push_str(&format!(
                "vllm:time_to_first_token_seconds_bucket{{model_name=\"m\",le=\"{b}\"}} {n}\n"
            ));
        }
        text.push_str(
            "vllm:time_to_first_token_seconds_bucket{model_name=\"m\",le=\"+Inf\"} 100\n",
        );
        text.push_str("vllm:time_to_first_token_seconds_count{model_name=\"m\"} 100\n");
        text.push_str("vllm:time_to_first_token_seconds_sum{model_name=\"m\"} 10\n");
        text.push_str("# TYPE vllm:request_success_total counter\n");
        text.push_str(&format!(
            "vllm:request_success_total{{model_name=\"m\",finished_reason=\"stop\"}} {}\n",
            100 - errors
        ));
        text.push_str(&format!(
            "vllm:request_success_total{{model_name=\"m\",finished_reason=\"error\"}} {errors}\n"
        ));
        text
    }

    #[test]
    fn a_slow_member_fails_against_a_fast_stable_one_and_a_like_one_does_not() {
        let t = CanaryThresholds::default();
        let slow = vec![page("5.0", 0)];
        let fast = vec![page("0.1", 0)];
        let why = failing_member(&t, &slow, Some(&fast)).unwrap();
        assert!(why.contains("TTFT p99"), "{why}");
        assert_eq!(failing_member(&t, &fast, Some(&fast)), None);
        let erring = vec![page("0.1", 20)];
        let why = failing_member(&t, &erring, Some(&fast)).unwrap();
        assert!(why.contains("errors 20"), "{why}");
        // No vLLM page: no verdict (the caller says it could not measure).
        assert_eq!(
            failing_member(&t, &["up 1\n".to_string()], Some(&fast)),
            None
        );
        let figures = member_figures(&slow).unwrap();
        assert!(figures.p99_ms.unwrap() > 2500.0, "{figures:?}");
        assert_eq!(figures.error_ratio, Some(0.0));
    }
}
