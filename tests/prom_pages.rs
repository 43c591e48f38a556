//! The Prometheus text parser on whole exporter pages (tests/fixtures/metrics/): every line
//! of each page parses, reading only the families kdeck uses gives the same families as
//! reading all of them, and the readings built on them (latency, DCGM) are right.

use kdeck::domain::latency::extract::{self, Endpoint};
use kdeck::domain::prom::{Exposition, MetricKind};
use std::path::PathBuf;

fn page(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/metrics")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Counts the sample lines of a page: every line that is neither blank nor a comment.
fn sample_lines(text: &str) -> usize {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count()
}

#[test]
fn every_line_of_every_page_parses() {
    for name in [
        "kserve-model-server.txt",
        "knative-queue-proxy.txt",
        "vllm.txt",
        "dcgm-exporter.txt",
    ] {
        let text = page(name);
        let all = Exposition::parse(&text);
        assert!(all.problems.is_empty(), "{name}: {:?}", all.problems);
        let parsed: usize = all.families.iter().map(|f| f.samples.len()).sum();
        assert_eq!(
            parsed,
            sample_lines(&text),
            "{name}: a sample line went missing"
        );
    }
}

#[test]
fn reading_only_some_families_gives_the_same_families() {
    for (name, wanted) in [
        ("kserve-model-server.txt", vec!["request_predict_seconds"]),
        (
            "knative-queue-proxy.txt",
            vec![
                "revision_app_request_latencies",
                "revision_app_request_count",
            ],
        ),
        (
            "vllm.txt",
            vec![
                "vllm:time_to_first_token_seconds",
                "vllm:request_success_total",
                "vllm:num_requests_running",
            ],
        ),
        (
            "dcgm-exporter.txt",
            kdeck::domain::dcgm::metric::ALL.to_vec(),
        ),
    ] {
        let text = page(name);
        let all = Exposition::parse(&text);
        let some = Exposition::parse_only(&text, &wanted);
        assert_eq!(some.families.len(), wanted.len(), "{name}");
        for family in &some.families {
            assert!(
                wanted.contains(&family.name.as_str()),
                "{name}: {}",
                family.name
            );
            assert_eq!(Some(family), all.family(&family.name), "{name}");
        }
    }
}

#[test]
fn model_server_page_reads_as_predict_latency() {
    let (reading, problems) =
        extract::parse(Endpoint::ModelServer, &page("kserve-model-server.txt"));
    assert!(problems.is_empty(), "{problems:?}");
    let reading = reading.unwrap();
    assert_eq!(reading.requests, Some(1252.0));
    assert_eq!(reading.errors, None);
    let text = page("kserve-model-server.txt");
    let all = Exposition::parse(&text);
    // Declared before its first observation: a family with no series, not a problem.
    let explain = all.family("request_explain_seconds").unwrap();
    assert_eq!(
        (explain.kind, explain.samples.len()),
        (MetricKind::Histogram, 0)
    );
    // prometheus_client's `_created` gauges are families of their own, not histogram lines.
    assert_eq!(
        all.family("request_predict_seconds_created")
            .map(|f| f.kind),
        Some(MetricKind::Gauge)
    );
    let h = &all.histograms("request_predict_seconds")[0];
    assert_eq!(h.buckets.len(), 15);
    assert_eq!(h.buckets[14], (f64::INFINITY, 1252.0));
}

#[test]
fn queue_proxy_page_reads_requests_and_errors() {
    let (reading, problems) =
        extract::parse(Endpoint::QueueProxy, &page("knative-queue-proxy.txt"));
    assert!(problems.is_empty(), "{problems:?}");
    let reading = reading.unwrap();
    assert_eq!(reading.requests, Some(4849.0));
    assert_eq!(reading.errors, Some(37.0));
    assert!(reading.latency_ms.is_some());
}

#[test]
fn vllm_page_keeps_colons_counters_and_histograms() {
    let text = page("vllm.txt");
    let all = Exposition::parse(&text);
    let success = all.family("vllm:request_success_total").unwrap();
    assert_eq!(success.kind, MetricKind::Counter);
    let stop = success
        .samples
        .iter()
        .find(|s| s.label("finished_reason") == Some("stop"))
        .unwrap();
    assert_eq!(stop.value, 401.0);
    assert_eq!(
        stop.label("model_name"),
        Some("meta-llama/Llama-3.1-8B-Instruct")
    );
    let ttft = &all.histograms("vllm:time_to_first_token_seconds")[0];
    assert_eq!((ttft.count, ttft.buckets.len()), (Some(413.0), 23));
}

#[test]
fn dcgm_page_reads_both_gpus_and_the_pod_on_one() {
    let text = page("dcgm-exporter.txt");
    let some = Exposition::parse_only(&text, &kdeck::domain::dcgm::metric::ALL);
    let gpus = kdeck::domain::dcgm::parse_scrape(&some, None);
    assert_eq!(gpus.len(), 2, "{gpus:?}");
    let busy = gpus.iter().find(|g| g.workloads.len() == 1).unwrap();
    assert_eq!(
        busy.workloads[0].pod,
        "llama-predictor-00001-deployment-5f7b9c8d4-q7x2m"
    );
}
