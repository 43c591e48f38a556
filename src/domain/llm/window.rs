//! The vLLM window: per pod, the deltas between consecutive scrapes over the window (counter
//! resets read as restarts), summed per LLMInferenceService into the figures an on-call reads
//! — TTFT p50/p99, ITL p50, e2e p99, queue time p50, tokens/s, preemptions/s, error share —
//! with the gauges (running, waiting, KV cache) from each pod's newest scrape. Reuses the
//! latency module's histogram arithmetic.

use super::vllm::VllmReading;
use crate::domain::key::ObjectKey;
use crate::domain::latency::Buckets;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// What was measured for one LLM service (a group member is a service of its own).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LlmFigures {
    pub ttft_p50_ms: Option<f64>,
    pub ttft_p99_ms: Option<f64>,
    pub itl_p50_ms: Option<f64>,
    pub e2e_p99_ms: Option<f64>,
    pub queue_p50_ms: Option<f64>,
    pub running: Option<f64>,
    pub waiting: Option<f64>,
    /// 0–1, the mean over the service's pods.
    pub kv_cache: Option<f64>,
    pub preemptions_per_s: Option<f64>,
    pub generation_tokens_per_s: Option<f64>,
    pub prompt_tokens_per_s: Option<f64>,
    pub requests_per_s: Option<f64>,
    /// Aborted or failed requests / finished requests.
    pub error_share: Option<f64>,
    pub at: Option<DateTime<Utc>>,
    /// Some pod of the service could not be read this round.
    pub stale: bool,
    /// From the first scrape's cumulative counts since the pods started (no window yet).
    pub cumulative: bool,
}

/// One vLLM pod scraped this round.
#[derive(Debug, Clone)]
pub struct LlmPodRound {
    pub pod: ObjectKey,
    pub uid: String,
    pub service: ObjectKey,
    /// When the pod was created: a first scrape's counts are read as "since then".
    pub started: Option<DateTime<Utc>>,
    /// Its reading; `None` when it could not be read this round (the scrape words why in
    /// the round's problems).
    pub reading: Option<VllmReading>,
}

#[derive(Debug, Clone, Default)]
struct Delta {
    seconds: f64,
    ttft: Option<Buckets>,
    itl: Option<Buckets>,
    e2e: Option<Buckets>,
    queue: Option<Buckets>,
    generation: f64,
    prompt: f64,
    preemptions: f64,
    finished: f64,
    failed: f64,
}

#[derive(Debug, Clone)]
struct History {
    uid: String,
    last: (DateTime<Utc>, VllmReading),
    deltas: VecDeque<(DateTime<Utc>, Delta)>,
}

/// Keeps the recent deltas of every vLLM pod.
#[derive(Debug, Clone)]
pub struct LlmTracker {
    window: chrono::Duration,
    pods: HashMap<ObjectKey, History>,
}

fn hist_delta(now: &Option<Buckets>, before: &Option<Buckets>) -> Option<Buckets> {
    match (now, before) {
        (Some(n), Some(b)) => Some(n.since(b).0),
        (Some(n), None) => Some(n.clone()),
        _ => None,
    }
}

fn counter_delta(now: Option<f64>, before: Option<f64>) -> f64 {
    match (now, before) {
        (Some(n), Some(b)) if n >= b => n - b,
        (Some(n), _) => n,
        _ => 0.0,
    }
}

fn delta(last: &(DateTime<Utc>, VllmReading), at: DateTime<Utc>, now: &VllmReading) -> Delta {
    let b = &last.1;
    Delta {
        seconds: ((at - last.0).num_milliseconds() as f64 / 1000.0).max(0.0),
        ttft: hist_delta(&now.ttft_ms, &b.ttft_ms),
        itl: hist_delta(&now.itl_ms, &b.itl_ms),
        e2e: hist_delta(&now.e2e_ms, &b.e2e_ms),
        queue: hist_delta(&now.queue_ms, &b.queue_ms),
        generation: counter_delta(now.generation_tokens, b.generation_tokens),
        prompt: counter_delta(now.prompt_tokens, b.prompt_tokens),
        preemptions: counter_delta(now.preemptions, b.preemptions),
        finished: counter_delta(now.finished, b.finished),
        failed: counter_delta(now.failed, b.failed),
    }
}

fn add(a: &mut Option<Buckets>, b: &Option<Buckets>) {
    if let Some(b) = b {
        *a = Some(match a.take() {
            Some(x) => x.add(b),
            None => b.clone(),
        });
    }
}

#[derive(Default)]
struct Sum {
    ttft: Option<Buckets>,
    itl: Option<Buckets>,
    e2e: Option<Buckets>,
    queue: Option<Buckets>,
    seconds: f64,
    generation: f64,
    prompt: f64,
    preemptions: f64,
    finished: f64,
    failed: f64,
    windows: usize,
    running: Option<f64>,
    waiting: Option<f64>,
    kv: Vec<f64>,
    stale: bool,
    /// Pods seen once so far, read as cumulative since they started; used only while no pod
    /// of the service has a window yet.
    first: Vec<Delta>,
}

impl Sum {
    fn figures(&self, at: DateTime<Utc>) -> LlmFigures {
        let q = |b: &Option<Buckets>, p: f64| b.as_ref().and_then(|b| b.quantile(p));
        let rate = |n: f64| (self.windows > 0 && self.seconds > 0.0).then(|| n / self.seconds);
        LlmFigures {
            ttft_p50_ms: q(&self.ttft, 0.5),
            ttft_p99_ms: q(&self.ttft, 0.99),
            itl_p50_ms: q(&self.itl, 0.5),
            e2e_p99_ms: q(&self.e2e, 0.99),
            queue_p50_ms: q(&self.queue, 0.5),
            running: self.running,
            waiting: self.waiting,
            kv_cache: (!self.kv.is_empty())
                .then(|| self.kv.iter().sum::<f64>() / self.kv.len() as f64),
            preemptions_per_s: rate(self.preemptions),
            generation_tokens_per_s: rate(self.generation),
            prompt_tokens_per_s: rate(self.prompt),
            requests_per_s: rate(self.finished),
            cumulative: false,
            error_share: (self.finished > 0.0)
                .then(|| (self.failed / self.finished).clamp(0.0, 1.0)),
            at: Some(at),
            stale: self.stale,
        }
    }
}

impl Sum {
    /// The figures of pods seen once: their counts since they started (one-shot commands).
    fn cumulative_figures(&self, at: DateTime<Utc>) -> LlmFigures {
        let mut s = Sum {
            running: self.running,
            waiting: self.waiting,
            kv: self.kv.clone(),
            stale: self.stale,
            ..Sum::default()
        };
        let spans: Vec<f64> = self
            .first
            .iter()
            .map(|d| d.seconds)
            .filter(|x| *x > 0.0)
            .collect();
        for d in &self.first {
            add(&mut s.ttft, &d.ttft);
            add(&mut s.itl, &d.itl);
            add(&mut s.e2e, &d.e2e);
            add(&mut s.queue, &d.queue);
            s.generation += d.generation;
            s.prompt += d.prompt;
            s.preemptions += d.preemptions;
            s.finished += d.finished;
            s.failed += d.failed;
        }
        if !spans.is_empty() {
            s.windows = spans.len();
            s.seconds = spans.iter().sum::<f64>() / spans.len() as f64;
        }
        LlmFigures {
            cumulative: true,
            ..s.figures(at)
        }
    }
}

fn plus(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x + y),
        (x, y) => x.or(y),
    }
}

impl LlmTracker {
    pub fn new(window: std::time::Duration) -> LlmTracker {
        LlmTracker {
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::minutes(1)),
            pods: HashMap::new(),
        }
    }

    /// Takes one round of vLLM scrapes taken at `at`; returns the figures per service. The
    /// rates are per second over the window, averaged over the service's pods' windows and
    /// summed across pods (tokens/s of the service, not of one pod).
    pub fn round(
        &mut self,
        at: DateTime<Utc>,
        pods: &[LlmPodRound],
    ) -> Vec<(ObjectKey, LlmFigures)> {
        self.pods
            .retain(|key, _| pods.iter().any(|p| &p.pod == key));
        for p in pods {
            let Some(reading) = &p.reading else { continue };
            match self.pods.get_mut(&p.pod).filter(|h| h.uid == p.uid) {
                None => {
                    self.pods.insert(
                        p.pod.clone(),
                        History {
                            uid: p.uid.clone(),
                            last: (at, reading.clone()),
                            deltas: VecDeque::new(),
                        },
                    );
                }
                Some(h) => {
                    let d = delta(&h.last, at, reading);
                    h.deltas.push_back((at, d));
                    h.last = (at, reading.clone());
                    while h
                        .deltas
                        .front()
                        .is_some_and(|(to, _)| at - *to >= self.window)
                    {
                        h.deltas.pop_front();
                    }
                }
            }
        }
        let mut sums: BTreeMap<ObjectKey, Sum> = BTreeMap::new();
        let mut seconds: BTreeMap<ObjectKey, Vec<f64>> = BTreeMap::new();
        for p in pods {
            let sum = sums.entry(p.service.clone()).or_default();
            let Some(h) = self.pods.get(&p.pod).filter(|h| h.uid == p.uid) else {
                sum.stale = true;
                continue;
            };
            if p.reading.is_none() {
                sum.stale = true;
            }
            let newest = &h.last.1;
            sum.running = plus(sum.running, newest.running);
            sum.waiting = plus(sum.waiting, newest.waiting);
            sum.kv.extend(newest.kv_cache);
            let mut pod_seconds = 0.0;
            for (_, d) in &h.deltas {
                add(&mut sum.ttft, &d.ttft);
                add(&mut sum.itl, &d.itl);
                add(&mut sum.e2e, &d.e2e);
                add(&mut sum.queue, &d.queue);
                sum.generation += d.generation;
                sum.prompt += d.prompt;
                sum.preemptions += d.preemptions;
                sum.finished += d.finished;
                sum.failed += d.failed;
                pod_seconds += d.seconds;
            }
            if h.deltas.is_empty() {
                let since = p
                    .started
                    .map(|s| ((at - s).num_milliseconds() as f64 / 1000.0).max(0.0));
                let mut whole = delta(&(at, VllmReading::default()), at, newest);
                whole.seconds = since.unwrap_or(0.0);
                sum.first.push(whole);
            } else {
                sum.windows += 1;
                seconds
                    .entry(p.service.clone())
                    .or_default()
                    .push(pod_seconds);
            }
        }
        sums.into_iter()
            .map(|(key, mut s)| {
                // Counts are summed across pods; divide by one pod's span (their mean).
                if let Some(v) = seconds.get(&key).filter(|v| !v.is_empty()) {
                    s.seconds = v.iter().sum::<f64>() / v.len() as f64;
                }
                if s.windows == 0 && !s.first.is_empty() {
                    return (key, s.cumulative_figures(at));
                }
                let f = s.figures(at);
                (key, f)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::vllm;
    use super::*;

    fn page(
        ttft_fast: f64,
        ttft_slow: f64,
        tokens: f64,
        preempt: f64,
        ok: f64,
        abort: f64,
    ) -> String {
        let total = ttft_fast + ttft_slow;
        format!(
            "# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{{le=\"0.1\",model_name=\"m\"}} {ttft_fast}
vllm:time_to_first_token_seconds_bucket{{le=\"1.0\",model_name=\"m\"}} {total}
vllm:time_to_first_token_seconds_bucket{{le=\"+Inf\",model_name=\"m\"}} {total}
vllm:time_to_first_token_seconds_count{{model_name=\"m\"}} {total}
vllm:time_to_first_token_seconds_sum{{model_name=\"m\"}} 1.0
# TYPE vllm:time_per_output_token_seconds histogram
vllm:time_per_output_token_seconds_bucket{{le=\"0.025\",model_name=\"m\"}} {total}
vllm:time_per_output_token_seconds_bucket{{le=\"+Inf\",model_name=\"m\"}} {total}
vllm:time_per_output_token_seconds_count{{model_name=\"m\"}} {total}
vllm:time_per_output_token_seconds_sum{{model_name=\"m\"}} 1.0
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{{model_name=\"m\"}} 3
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{{model_name=\"m\"}} 2
# TYPE vllm:gpu_cache_usage_perc gauge
vllm:gpu_cache_usage_perc{{model_name=\"m\"}} 0.5
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{{model_name=\"m\"}} {tokens}
# TYPE vllm:num_preemptions_total counter
vllm:num_preemptions_total{{model_name=\"m\"}} {preempt}
# TYPE vllm:request_success_total counter
vllm:request_success_total{{finished_reason=\"stop\",model_name=\"m\"}} {ok}
vllm:request_success_total{{finished_reason=\"length\",model_name=\"m\"}} 0
vllm:request_success_total{{finished_reason=\"abort\",model_name=\"m\"}} {abort}
"
        )
    }

    fn round(pod: &str, text: &str) -> LlmPodRound {
        LlmPodRound {
            pod: ObjectKey::new("llm", pod),
            uid: pod.to_string(),
            service: ObjectKey::new("llm", "chat"),
            started: None,
            reading: vllm::parse(text).0.ok(),
        }
    }

    #[test]
    fn old_names_are_read_and_a_foreign_page_is_explained() {
        let r = vllm::parse(&page(1.0, 0.0, 10.0, 0.0, 1.0, 0.0)).0.unwrap();
        assert_eq!(r.kv_cache, Some(0.5));
        assert!(r.itl_ms.is_some());
        assert_eq!(r.finished, Some(1.0));
        let e = vllm::parse("up 1\n").0.unwrap_err();
        assert!(e.to_string().contains("vLLM"), "{e}");
    }

    #[test]
    fn the_window_gives_rates_quantiles_and_error_share() {
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-12-04T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut tracker = LlmTracker::new(std::time::Duration::from_secs(60));
        let mut started = round("a", &page(10.0, 0.0, 1000.0, 0.0, 10.0, 0.0));
        started.started = Some(t0 - chrono::Duration::seconds(100));
        let first = tracker.round(t0, &[started]);
        // The first scrape: counts since the pod started, marked cumulative.
        assert_eq!(first[0].1.generation_tokens_per_s, Some(10.0));
        assert!(first[0].1.cumulative);
        assert_eq!(first[0].1.running, Some(3.0));
        // 10 s later: 90 more requests, 10 of them slow, 5 000 tokens, 20 preemptions, 100 finished of which 10 aborted.
        let t1 = t0 + chrono::Duration::seconds(10);
        let out = tracker.round(
            t1,
            &[round("a", &page(90.0, 10.0, 6000.0, 20.0, 100.0, 10.0))],
        );
        let f = &out[0].1;
        assert_eq!(f.generation_tokens_per_s, Some(500.0));
        assert_eq!(f.preemptions_per_s, Some(2.0));
        assert_eq!(f.error_share, Some(0.1));
        assert!(f.ttft_p99_ms.unwrap() > 100.0, "{f:?}");
        assert!(f.ttft_p50_ms.unwrap() <= 100.0, "{f:?}");
        assert_eq!(f.kv_cache, Some(0.5));
        assert!(!f.stale);
        // A pod that fails to answer marks the service stale but keeps its window.
        let mut bad = round("a", "");
        bad.reading = None;
        let out = tracker.round(t1 + chrono::Duration::seconds(10), &[bad]);
        assert!(out[0].1.stale);
    }
}
