//! What a simulated vLLM pod does: its token profile (time to first token, inter-token
//! latency, tokens per request, preemptions), the cumulative V1 metrics that advance with the
//! traffic it gets (histograms with vLLM's bucket boundaries, label `model_name`; fixed-size,
//! so they never grow), and the `/metrics` text it serves on port 8000.

use super::latency::Profile;
use super::{Inner, Role};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// vLLM V1's time-to-first-token buckets, seconds.
pub const TTFT_BUCKETS: [f64; 22] = [
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
];
/// vLLM V1's inter-token (and per-output-token) latency buckets, seconds.
pub const ITL_BUCKETS: [f64; 19] = [
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
    40.0, 80.0,
];
/// vLLM V1's request latency buckets (e2e, queue, prefill, decode), seconds.
pub const REQUEST_BUCKETS: [f64; 21] = [
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0,
    480.0, 960.0, 1920.0, 7680.0,
];

/// How an LLM serving pod behaves (milliseconds; tokens per request).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenProfile {
    pub ttft: Profile,
    pub itl: Profile,
    pub queue: Profile,
    pub prompt_tokens: f64,
    pub output_tokens: f64,
    /// Preemptions per request (KV cache pressure).
    pub preemptions_per_request: f64,
    /// Share of requests that end in `abort` (errors).
    pub abort_ratio: f64,
    /// KV cache usage at idle, and added per running request.
    pub kv_idle: f64,
    pub kv_per_running: f64,
    /// Share of prompt tokens found in the prefix cache.
    pub prefix_hit_ratio: f64,
}

impl TokenProfile {
    /// A healthy 8B-class model on one GPU.
    pub const HEALTHY: TokenProfile = TokenProfile {
        ttft: Profile {
            median_ms: 120.0,
            p99_ms: 450.0,
            error_ratio: 0.0,
        },
        itl: Profile {
            median_ms: 18.0,
            p99_ms: 45.0,
            error_ratio: 0.0,
        },
        queue: Profile {
            median_ms: 4.0,
            p99_ms: 60.0,
            error_ratio: 0.0,
        },
        prompt_tokens: 512.0,
        output_tokens: 180.0,
        preemptions_per_request: 0.0,
        abort_ratio: 0.002,
        kv_idle: 0.02,
        kv_per_running: 0.035,
        prefix_hit_ratio: 0.42,
    };
    /// The demo's bad canary member: slow first tokens, KV pressure and preemptions.
    pub const SLOW: TokenProfile = TokenProfile {
        ttft: Profile {
            median_ms: 900.0,
            p99_ms: 4200.0,
            error_ratio: 0.0,
        },
        itl: Profile {
            median_ms: 42.0,
            p99_ms: 160.0,
            error_ratio: 0.0,
        },
        queue: Profile {
            median_ms: 350.0,
            p99_ms: 3000.0,
            error_ratio: 0.0,
        },
        prompt_tokens: 512.0,
        output_tokens: 180.0,
        preemptions_per_request: 0.35,
        abort_ratio: 0.04,
        kv_idle: 0.1,
        kv_per_running: 0.09,
        prefix_hit_ratio: 0.08,
    };

    /// Mean seconds a request spends decoding (output tokens after the first).
    pub fn decode_s(&self) -> f64 {
        (self.output_tokens - 1.0).max(0.0) * self.itl.mean_ms() / 1000.0
    }

    /// Mean end-to-end seconds of a request.
    pub fn e2e_s(&self) -> f64 {
        (self.queue.mean_ms() + self.ttft.mean_ms()) / 1000.0 + self.decode_s()
    }
}

/// A cumulative histogram over fixed buckets (expected counts; bounded size).
#[derive(Debug, Clone, Default)]
pub struct Hist {
    pub buckets: Vec<f64>,
    pub sum: f64,
    pub count: f64,
}

impl Hist {
    fn new(bounds: &[f64]) -> Hist {
        Hist {
            buckets: vec![0.0; bounds.len()],
            sum: 0.0,
            count: 0.0,
        }
    }

    /// Adds `n` observations drawn from `profile` (milliseconds), scaled by `scale`.
    fn add(&mut self, bounds: &[f64], n: f64, profile: &Profile, scale: f64) {
        for (b, le) in self.buckets.iter_mut().zip(bounds) {
            *b += n * profile.cdf(le * 1000.0 / scale.max(1e-9));
        }
        self.count += n;
        self.sum += n * profile.mean_ms() * scale / 1000.0;
    }
}

/// One vLLM pod's cumulative metrics.
#[derive(Debug, Clone)]
pub struct VllmStats {
    pub created: f64,
    pub ttft: Hist,
    pub itl: Hist,
    pub tpot: Hist,
    pub e2e: Hist,
    pub queue: Hist,
    pub prefill: Hist,
    pub decode: Hist,
    pub prompt_tokens: f64,
    pub generation_tokens: f64,
    pub preemptions: f64,
    pub finished_stop: f64,
    pub finished_length: f64,
    pub finished_abort: f64,
    pub prefix_queries: f64,
    pub prefix_hits: f64,
    pub running: f64,
    pub waiting: f64,
    pub kv_usage: f64,
}

impl VllmStats {
    pub fn new(created: f64) -> VllmStats {
        VllmStats {
            created,
            ttft: Hist::new(&TTFT_BUCKETS),
            itl: Hist::new(&ITL_BUCKETS),
            tpot: Hist::new(&ITL_BUCKETS),
            e2e: Hist::new(&REQUEST_BUCKETS),
            queue: Hist::new(&REQUEST_BUCKETS),
            prefill: Hist::new(&REQUEST_BUCKETS),
            decode: Hist::new(&REQUEST_BUCKETS),
            prompt_tokens: 0.0,
            generation_tokens: 0.0,
            preemptions: 0.0,
            finished_stop: 0.0,
            finished_length: 0.0,
            finished_abort: 0.0,
            prefix_queries: 0.0,
            prefix_hits: 0.0,
            running: 0.0,
            waiting: 0.0,
            kv_usage: 0.0,
        }
    }

    /// Advances by `dt` seconds at `rps` requests per second.
    pub fn advance(&mut self, rps: f64, dt: f64, p: &TokenProfile) {
        let n = rps * dt;
        // Little's law: requests in flight = rate × time in system.
        self.running = (rps * (p.ttft.mean_ms() / 1000.0 + p.decode_s())).max(0.0);
        self.waiting = rps * p.queue.mean_ms() / 1000.0;
        self.kv_usage = (p.kv_idle + p.kv_per_running * self.running).min(0.99);
        if n <= 0.0 {
            return;
        }
        let tokens = n * (p.output_tokens - 1.0).max(0.0);
        self.ttft.add(&TTFT_BUCKETS, n, &p.ttft, 1.0);
        self.itl.add(&ITL_BUCKETS, tokens, &p.itl, 1.0);
        self.tpot.add(&ITL_BUCKETS, n, &p.itl, 1.0);
        self.queue.add(&REQUEST_BUCKETS, n, &p.queue, 1.0);
        self.prefill.add(&REQUEST_BUCKETS, n, &p.ttft, 0.8);
        let decode = Profile {
            median_ms: p.decode_s() * 1000.0,
            p99_ms: p.decode_s() * 1000.0 * 2.5,
            error_ratio: 0.0,
        };
        self.decode.add(&REQUEST_BUCKETS, n, &decode, 1.0);
        let e2e = Profile {
            median_ms: p.e2e_s() * 1000.0,
            p99_ms: p.e2e_s() * 1000.0 * 2.5,
            error_ratio: 0.0,
        };
        self.e2e.add(&REQUEST_BUCKETS, n, &e2e, 1.0);
        self.prompt_tokens += n * p.prompt_tokens;
        self.generation_tokens += n * p.output_tokens;
        self.preemptions += n * p.preemptions_per_request;
        self.finished_abort += n * p.abort_ratio;
        self.finished_length += n * (1.0 - p.abort_ratio) * 0.3;
        self.finished_stop += n * (1.0 - p.abort_ratio) * 0.7;
        self.prefix_queries += n * p.prompt_tokens;
        self.prefix_hits += n * p.prompt_tokens * p.prefix_hit_ratio;
    }
}

/// Advances every vLLM pod by `dt` seconds: its metrics, and now and then the engine's
/// periodic stats line and access lines in the log of `main`, as vLLM writes them.
pub(super) fn tick(i: &mut Inner, dt: f64, now: DateTime<Utc>) {
    let log_stats = i.ticks.is_multiple_of(10);
    for (k, pod) in i.pods.iter_mut() {
        let Role::Vllm { profile, .. } = &pod.role else {
            continue;
        };
        let Some(stats) = i.vllm.get_mut(k) else {
            continue;
        };
        let rps = if pod.ready { pod.rps } else { 0.0 };
        stats.advance(rps, dt, profile);
        if !pod.ready {
            continue;
        }
        let log = pod.logs.entry("main".to_string()).or_default();
        pod.log_budget += (rps * dt).min(2.0 * dt);
        let mut seq = stats.generation_tokens as u64;
        while pod.log_budget >= 1.0 {
            pod.log_budget -= 1.0;
            seq = seq
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            log.push(
                now,
                format!(
                    "INFO:     10.244.1.{}:{} - \"POST /v1/chat/completions HTTP/1.1\" 200 OK",
                    (seq >> 40) % 250,
                    40_000 + (seq >> 20) % 20_000
                ),
            );
        }
        if log_stats {
            let prompt_tps = rps * profile.prompt_tokens;
            let gen_tps = rps * profile.output_tokens;
            log.push(
                now,
                format!(
                    "INFO {} [loggers.py:123] Engine 000: Avg prompt throughput: {prompt_tps:.1} tokens/s, Avg generation throughput: {gen_tps:.1} tokens/s, Running: {:.0} reqs, Waiting: {:.0} reqs, GPU KV cache usage: {:.1}%, Prefix cache hit rate: {:.1}%",
                    now.format("%m-%d %H:%M:%S"),
                    stats.running,
                    stats.waiting,
                    stats.kv_usage * 100.0,
                    profile.prefix_hit_ratio * 100.0
                ),
            );
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn histogram(out: &mut String, name: &str, help: &str, labels: &str, bounds: &[f64], h: &Hist) {
    header(out, name, "histogram", help);
    for (le, count) in bounds.iter().zip(&h.buckets) {
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels},le=\"{le:?}\"}} {:.1}",
            count.floor()
        );
    }
    let _ = writeln!(
        out,
        "{name}_bucket{{{labels},le=\"+Inf\"}} {:.1}",
        h.count.floor()
    );
    let _ = writeln!(out, "{name}_count{{{labels}}} {:.1}", h.count.floor());
    let _ = writeln!(out, "{name}_sum{{{labels}}} {:.6}", h.sum);
}

fn counter(out: &mut String, name: &str, help: &str, labels: &str, value: f64, created: f64) {
    header(out, name, "counter", help);
    let _ = writeln!(out, "{name}{{{labels}}} {:.1}", value.floor());
    let base = name.trim_end_matches("_total");
    let _ = writeln!(out, "# HELP {base}_created {help}");
    let _ = writeln!(out, "# TYPE {base}_created gauge");
    let _ = writeln!(out, "{base}_created{{{labels}}} {created:.9e}");
}

fn gauge(out: &mut String, name: &str, help: &str, labels: &str, value: f64) {
    header(out, name, "gauge", help);
    let _ = writeln!(out, "{name}{{{labels}}} {value:.6}");
}

/// vLLM's `/metrics` (V1 engine names, label `model_name`).
pub fn vllm_metrics(model: &str, s: &VllmStats) -> String {
    let mut out = String::with_capacity(16_384);
    let l = format!("engine=\"0\",model_name=\"{model}\"");
    let gauges = [
        (
            "vllm:num_requests_running",
            "Number of requests in model execution batches.",
            s.running.round(),
        ),
        (
            "vllm:num_requests_waiting",
            "Number of requests waiting to be processed.",
            s.waiting.round(),
        ),
        (
            "vllm:kv_cache_usage_perc",
            "KV-cache usage. 1 means 100 percent usage.",
            s.kv_usage,
        ),
    ];
    for (name, help, value) in gauges {
        gauge(&mut out, name, help, &l, value);
    }
    let counters = [
        (
            "vllm:prefix_cache_queries_total",
            "Prefix cache queries, in terms of number of queried tokens.",
            s.prefix_queries,
        ),
        (
            "vllm:prefix_cache_hits_total",
            "Prefix cache hits, in terms of number of cached tokens.",
            s.prefix_hits,
        ),
        (
            "vllm:num_preemptions_total",
            "Cumulative number of preemption from the engine.",
            s.preemptions,
        ),
        (
            "vllm:prompt_tokens_total",
            "Number of prefill tokens processed.",
            s.prompt_tokens,
        ),
        (
            "vllm:generation_tokens_total",
            "Number of generation tokens processed.",
            s.generation_tokens,
        ),
    ];
    for (name, help, value) in counters {
        counter(&mut out, name, help, &l, value, s.created);
    }
    let name = "vllm:request_success_total";
    header(
        &mut out,
        name,
        "counter",
        "Count of successfully processed requests.",
    );
    for (reason, v) in [
        ("stop", s.finished_stop),
        ("length", s.finished_length),
        ("abort", s.finished_abort),
    ] {
        let _ = writeln!(
            out,
            "{name}{{{l},finished_reason=\"{reason}\"}} {:.1}",
            v.floor()
        );
    }
    let hists: [(&str, &str, &[f64], &Hist); 7] = [
        (
            "vllm:time_to_first_token_seconds",
            "Histogram of time to first token in seconds.",
            &TTFT_BUCKETS,
            &s.ttft,
        ),
        (
            "vllm:inter_token_latency_seconds",
            "Histogram of inter-token latency in seconds.",
            &ITL_BUCKETS,
            &s.itl,
        ),
        (
            "vllm:request_time_per_output_token_seconds",
            "Histogram of time_per_output_token_seconds per request.",
            &ITL_BUCKETS,
            &s.tpot,
        ),
        (
            "vllm:e2e_request_latency_seconds",
            "Histogram of e2e request latency in seconds.",
            &REQUEST_BUCKETS,
            &s.e2e,
        ),
        (
            "vllm:request_queue_time_seconds",
            "Histogram of time spent in WAITING phase for request.",
            &REQUEST_BUCKETS,
            &s.queue,
        ),
        (
            "vllm:request_prefill_time_seconds",
            "Histogram of time spent in PREFILL phase for request.",
            &REQUEST_BUCKETS,
            &s.prefill,
        ),
        (
            "vllm:request_decode_time_seconds",
            "Histogram of time spent in DECODE phase for request.",
            &REQUEST_BUCKETS,
            &s.decode,
        ),
    ];
    for (name, help, bounds, h) in hists {
        histogram(&mut out, name, help, &l, bounds, h);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::prom::Exposition;

    #[test]
    fn the_page_parses_and_follows_the_profile() {
        let mut s = VllmStats::new(1.0);
        s.advance(10.0, 60.0, &TokenProfile::SLOW);
        let text = vllm_metrics("llama", &s);
        let page = Exposition::parse(&text);
        assert!(page.problems.is_empty(), "{:?}", page.problems);
        for wanted in [
            "vllm:num_requests_running",
            "vllm:num_requests_waiting",
            "vllm:kv_cache_usage_perc",
            "vllm:prompt_tokens_total",
            "vllm:generation_tokens_total",
            "vllm:num_preemptions_total",
            "vllm:request_success_total",
            "vllm:prefix_cache_queries_total",
            "vllm:prefix_cache_hits_total",
        ] {
            let found = page
                .family(wanted)
                .or_else(|| page.family(wanted.trim_end_matches("_total")));
            assert!(found.is_some(), "{wanted} missing");
        }
        for wanted in [
            "vllm:time_to_first_token_seconds",
            "vllm:inter_token_latency_seconds",
            "vllm:request_time_per_output_token_seconds",
            "vllm:e2e_request_latency_seconds",
            "vllm:request_queue_time_seconds",
            "vllm:request_prefill_time_seconds",
            "vllm:request_decode_time_seconds",
        ] {
            let series = page.histograms(wanted);
            assert_eq!(series.len(), 1, "{wanted}");
            assert_eq!(series[0].label("model_name"), Some("llama"));
        }
        // Half the first tokens come within the median (0.9 s), none within 1 ms.
        let ttft = &page.histograms("vllm:time_to_first_token_seconds")[0];
        let at = |le: f64| {
            ttft.buckets
                .iter()
                .find(|(b, _)| (*b - le).abs() < 1e-9)
                .map(|(_, c)| *c)
                .unwrap_or(-1.0)
        };
        assert!(at(0.001) < 1.0);
        assert!(at(0.75) < 300.0 && at(1.0) > 300.0, "{text}");
        assert!(s.preemptions > 100.0);
    }
}
