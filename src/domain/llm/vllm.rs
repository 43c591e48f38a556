//! What one scrape of a vLLM pod (`:8000/metrics`) says: the latency histograms (TTFT,
//! inter-token latency, end-to-end, queue time; in ms), the gauges (running and waiting
//! requests, KV-cache usage 0–1) and the counters (generated and prompt tokens, preemptions,
//! finished requests by `finished_reason`). Old names still met in the field are read too
//! (`vllm:gpu_cache_usage_perc`, `vllm:time_per_output_token_seconds`). All series of a
//! family are summed (every `model_name`), so a pod is one reading; gauges of a pod are
//! summed across series too, except KV-cache usage, which is the mean.

use crate::domain::latency::Buckets;
use crate::domain::latency::extract::MissingMetrics;
use crate::domain::prom::{Exposition, SampleRole};

/// The port and path vLLM serves its metrics on.
pub const VLLM_PORT: u16 = 8000;
pub const VLLM_PATH: &str = "/metrics";

pub const TTFT: &str = "vllm:time_to_first_token_seconds";
pub const ITL: &[&str] = &[
    "vllm:inter_token_latency_seconds",
    "vllm:time_per_output_token_seconds",
    "vllm:request_time_per_output_token_seconds",
];
pub const E2E: &str = "vllm:e2e_request_latency_seconds";
pub const QUEUE: &str = "vllm:request_queue_time_seconds";
pub const RUNNING: &str = "vllm:num_requests_running";
pub const WAITING: &str = "vllm:num_requests_waiting";
pub const KV_CACHE: &[&str] = &["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"];
pub const GENERATION_TOKENS: &str = "vllm:generation_tokens";
pub const PROMPT_TOKENS: &str = "vllm:prompt_tokens";
pub const PREEMPTIONS: &str = "vllm:num_preemptions";
pub const REQUEST_SUCCESS: &str = "vllm:request_success";

/// `finished_reason`s that count as failed requests (the others, `stop` and `length`, are
/// normal ends).
pub const FAILED_REASONS: &[&str] = &["abort", "error"];

/// Every family `reading` uses: the only ones the scrape parses.
pub const FAMILIES: &[&str] = &[
    TTFT,
    "vllm:inter_token_latency_seconds",
    "vllm:time_per_output_token_seconds",
    "vllm:request_time_per_output_token_seconds",
    E2E,
    QUEUE,
    RUNNING,
    WAITING,
    "vllm:kv_cache_usage_perc",
    "vllm:gpu_cache_usage_perc",
    GENERATION_TOKENS,
    PROMPT_TOKENS,
    PREEMPTIONS,
    REQUEST_SUCCESS,
];

/// One vLLM pod's figures at one scrape (histograms and counters cumulative).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VllmReading {
    pub ttft_ms: Option<Buckets>,
    pub itl_ms: Option<Buckets>,
    pub e2e_ms: Option<Buckets>,
    pub queue_ms: Option<Buckets>,
    pub running: Option<f64>,
    pub waiting: Option<f64>,
    /// 0–1.
    pub kv_cache: Option<f64>,
    pub generation_tokens: Option<f64>,
    pub prompt_tokens: Option<f64>,
    pub preemptions: Option<f64>,
    /// Requests finished, and those of them that were aborted or failed.
    pub finished: Option<f64>,
    pub failed: Option<f64>,
}

fn summed(exposition: &Exposition, name: &str) -> Option<Buckets> {
    exposition
        .histograms(name)
        .iter()
        .filter_map(|s| Buckets::from_cumulative(&s.buckets, s.count))
        .reduce(|a, b| a.add(&b))
        .map(|b| b.scaled(1000.0))
}

/// The values of a family under its base name or with `_total` (counters are declared
/// either way by different client libraries).
fn values<'a, 't>(
    exposition: &'a Exposition<'t>,
    name: &str,
) -> Option<Vec<(&'a crate::domain::prom::Sample<'t>, f64)>> {
    let total = format!("{name}_total");
    let family = exposition
        .family(name)
        .or_else(|| exposition.family(&total))
        .or_else(|| {
            name.strip_suffix("_total")
                .and_then(|n| exposition.family(n))
        })?;
    Some(
        family
            .samples
            .iter()
            .filter(|s| s.role == SampleRole::Value && s.value.is_finite())
            .map(|s| (s, s.value))
            .collect(),
    )
}

fn sum(exposition: &Exposition, name: &str) -> Option<f64> {
    values(exposition, name).map(|v| v.iter().map(|(_, x)| x).sum())
}

fn mean(exposition: &Exposition, name: &str) -> Option<f64> {
    let v = values(exposition, name)?;
    (!v.is_empty()).then(|| v.iter().map(|(_, x)| x).sum::<f64>() / v.len() as f64)
}

/// Reads a parsed scrape. `Err` when it holds no vLLM figure at all.
pub fn reading(exposition: &Exposition) -> Result<VllmReading, MissingMetrics> {
    let success = values(exposition, REQUEST_SUCCESS);
    let (finished, failed) = match &success {
        Some(v) => {
            let all: f64 = v.iter().map(|(_, x)| x).sum();
            let bad: f64 = v
                .iter()
                .filter(|(s, _)| {
                    s.label("finished_reason")
                        .is_some_and(|r| FAILED_REASONS.contains(&r))
                })
                .map(|(_, x)| x)
                .sum();
            (Some(all), Some(bad))
        }
        None => (None, None),
    };
    let r = VllmReading {
        ttft_ms: summed(exposition, TTFT),
        itl_ms: ITL.iter().find_map(|n| summed(exposition, n)),
        e2e_ms: summed(exposition, E2E),
        queue_ms: summed(exposition, QUEUE),
        running: sum(exposition, RUNNING),
        waiting: sum(exposition, WAITING),
        kv_cache: KV_CACHE
            .iter()
            .find_map(|n| mean(exposition, n))
            .map(|k| k.clamp(0.0, 1.0)),
        generation_tokens: sum(exposition, GENERATION_TOKENS),
        prompt_tokens: sum(exposition, PROMPT_TOKENS),
        preemptions: sum(exposition, PREEMPTIONS),
        finished,
        failed,
    };
    if r == VllmReading::default() {
        return Err(MissingMetrics::Vllm);
    }
    Ok(r)
}

impl VllmReading {
    /// The request latency (end to end), requests and failures, as the services list reads
    /// every model server.
    pub fn as_reading(&self) -> crate::domain::latency::Reading {
        crate::domain::latency::Reading {
            requests: self
                .finished
                .or_else(|| self.e2e_ms.as_ref().map(Buckets::total)),
            latency_ms: self.e2e_ms.clone(),
            errors: self.failed,
        }
    }
}

/// Parses a scrape's text and reads it; also returns the parser's problems.
pub fn parse(text: &str) -> (Result<VllmReading, MissingMetrics>, Vec<String>) {
    let exposition = Exposition::parse(text);
    (reading(&exposition), exposition.problems)
}

#[cfg(test)]
mod families_tests {
    use super::*;

    #[test]
    fn the_parsed_families_cover_every_name_the_reading_uses() {
        let singles = [
            TTFT,
            E2E,
            QUEUE,
            RUNNING,
            WAITING,
            GENERATION_TOKENS,
            PROMPT_TOKENS,
            PREEMPTIONS,
            REQUEST_SUCCESS,
        ];
        for name in singles.iter().chain(ITL).chain(KV_CACHE) {
            assert!(FAMILIES.contains(name), "{name} is read but not parsed");
        }
    }
}
