//! What one scrape of a pod says about its requests: the latency histogram (in ms), the
//! request count and the error count, from either the KServe model server's
//! `request_predict_seconds` or Knative queue-proxy's `revision_app_request_*` metrics
//! (FACTS.md §f). All series of a family are summed (every `model_name`, every response
//! code), so a pod is one reading.

use super::chain_window;
use super::histogram::Buckets;
use crate::domain::llm::vllm;
use crate::domain::prom::{Exposition, MetricKind};

/// Which exporter a pod's metrics come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// The KServe Python model server, port 8080 `/metrics`: latency, no response codes.
    ModelServer,
    /// Knative's queue-proxy sidecar, port 9091 `/metrics`: latency and response codes.
    QueueProxy,
    /// vLLM of an LLMInferenceService, port 8000 `/metrics` (see `domain::llm::vllm`).
    Vllm,
    /// The KServe model server of a transformer, port 8080 `/metrics`: its stage
    /// histograms feed the chain split (`chain_window`), not the service's latency.
    Transformer,
}

impl Endpoint {
    /// The container port and path the exporter serves by default.
    pub fn default_port_path(self) -> (u16, &'static str) {
        match self {
            Endpoint::ModelServer | Endpoint::Transformer => (8080, "/metrics"),
            Endpoint::QueueProxy => (9091, "/metrics"),
            Endpoint::Vllm => (8000, "/metrics"),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Endpoint::ModelServer => "model server",
            Endpoint::QueueProxy => "queue-proxy",
            Endpoint::Vllm => "vLLM",
            Endpoint::Transformer => "transformer",
        }
    }
}

pub const PREDICT_SECONDS: &str = "request_predict_seconds";
pub const APP_LATENCIES_MS: &str = "revision_app_request_latencies";
pub const APP_REQUEST_COUNT: &str = "revision_app_request_count";

/// One pod's cumulative counters at one scrape.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reading {
    /// Request latency, bounds in milliseconds.
    pub latency_ms: Option<Buckets>,
    /// Requests served so far.
    pub requests: Option<f64>,
    /// Requests that failed (5xx) so far; `None` when the exporter cannot tell.
    pub errors: Option<f64>,
}

/// Why a scraped page holds nothing a reading can use: the exporter's metrics are not on it
/// (another exporter answered on that port, or not a metrics page at all). One variant per
/// exporter, worded for the user with what to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MissingMetrics {
    #[error(
        "no `{}` histogram in its metrics (is it a KServe Python model server? other runtimes \
         such as Triton or vLLM export other names)",
        PREDICT_SECONDS
    )]
    ModelServer,
    #[error(
        "no `{}` or `{}` in its queue-proxy metrics",
        APP_LATENCIES_MS,
        APP_REQUEST_COUNT
    )]
    QueueProxy,
    #[error(
        "no vLLM metrics (`{}`, `{}` …) in its :{}{} page: is it a vLLM server?",
        vllm::TTFT,
        vllm::RUNNING,
        vllm::VLLM_PORT,
        vllm::VLLM_PATH
    )]
    Vllm,
    #[error(
        "no `{}`, `{}` or `{}` histogram in the transformer's metrics (is it a KServe Python \
         transformer?)",
        chain_window::PREPROCESS_SECONDS,
        chain_window::PREDICT_SECONDS,
        chain_window::POSTPROCESS_SECONDS
    )]
    TransformerStages,
}

/// Parses a scrape's text and reads it; also returns the parser's problems (malformed lines
/// skipped), worded for the user.
pub fn parse(endpoint: Endpoint, text: &str) -> (Result<Reading, MissingMetrics>, Vec<String>) {
    let exposition = Exposition::parse_only(text, families(endpoint));
    (reading(endpoint, &exposition), exposition.problems)
}

/// The metric families an endpoint's reading uses: the only ones parsed.
pub fn families(endpoint: Endpoint) -> &'static [&'static str] {
    match endpoint {
        Endpoint::ModelServer => &[PREDICT_SECONDS],
        Endpoint::QueueProxy => &[APP_LATENCIES_MS, APP_REQUEST_COUNT],
        Endpoint::Vllm => vllm::FAMILIES,
        Endpoint::Transformer => chain_window::FAMILIES,
    }
}

/// Reads a parsed scrape. `Err` says, for the user, why it holds nothing usable.
pub fn reading(endpoint: Endpoint, exposition: &Exposition) -> Result<Reading, MissingMetrics> {
    match endpoint {
        Endpoint::Vllm => vllm::reading(exposition).map(|r| r.as_reading()),
        // A transformer's requests are its predict calls (the split reads every stage).
        Endpoint::ModelServer | Endpoint::Transformer => {
            let latency = summed(exposition, PREDICT_SECONDS).map(|b| b.scaled(1000.0));
            // prometheus_client declares the family but writes no series before the first
            // request: that is zero requests, not a foreign exporter.
            let declared = exposition.family(PREDICT_SECONDS).is_some();
            let latency = latency.or_else(|| {
                declared
                    .then(|| Buckets::from_cumulative(&[], Some(0.0)))
                    .flatten()
            });
            let Some(latency) = latency else {
                return Err(MissingMetrics::ModelServer);
            };
            Ok(Reading {
                requests: Some(latency.total()),
                latency_ms: Some(latency),
                errors: None,
            })
        }
        Endpoint::QueueProxy => {
            let latency = summed(exposition, APP_LATENCIES_MS);
            let counts = exposition
                .family(APP_REQUEST_COUNT)
                .filter(|f| matches!(f.kind, MetricKind::Counter | MetricKind::Untyped));
            if latency.is_none() && counts.is_none() {
                return Err(MissingMetrics::QueueProxy);
            }
            let (requests, errors) = match counts {
                Some(f) => {
                    let finite = f.samples.iter().filter(|s| s.value.is_finite());
                    let (all, bad) = finite.fold((0.0, 0.0), |(all, bad), s| {
                        let failed = s.label("response_code_class") == Some("5xx");
                        (all + s.value, if failed { bad + s.value } else { bad })
                    });
                    (Some(all), Some(bad))
                }
                None => (latency.as_ref().map(Buckets::total), None),
            };
            Ok(Reading {
                latency_ms: latency,
                requests,
                errors,
            })
        }
    }
}

/// Every series of histogram `name` summed into one.
fn summed(exposition: &Exposition, name: &str) -> Option<Buckets> {
    exposition
        .histograms(name)
        .iter()
        .filter_map(|s| Buckets::from_cumulative(&s.buckets, s.count))
        .reduce(|a, b| a.add(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL_SERVER: &str = "# HELP request_predict_seconds predict request latency
# TYPE request_predict_seconds histogram
request_predict_seconds_bucket{model_name=\"a\",le=\"0.005\"} 1.0
request_predict_seconds_bucket{model_name=\"a\",le=\"0.01\"} 3.0
request_predict_seconds_bucket{model_name=\"a\",le=\"+Inf\"} 4.0
request_predict_seconds_count{model_name=\"a\"} 4.0
request_predict_seconds_sum{model_name=\"a\"} 0.1
request_predict_seconds_bucket{model_name=\"b\",le=\"0.005\"} 0.0
request_predict_seconds_bucket{model_name=\"b\",le=\"0.01\"} 1.0
request_predict_seconds_bucket{model_name=\"b\",le=\"+Inf\"} 1.0
request_predict_seconds_count{model_name=\"b\"} 1.0
request_predict_seconds_sum{model_name=\"b\"} 0.01
";

    #[test]
    fn model_server_series_are_summed_and_converted_to_ms() {
        let r = reading(Endpoint::ModelServer, &Exposition::parse(MODEL_SERVER)).unwrap();
        let l = r.latency_ms.unwrap();
        assert_eq!(l.pairs(), &[(5.0, 1.0), (10.0, 4.0), (f64::INFINITY, 5.0)]);
        assert_eq!(r.requests, Some(5.0));
        assert_eq!(r.errors, None);
    }

    #[test]
    fn queue_proxy_counts_5xx_as_errors() {
        let text = "# TYPE revision_app_request_count counter
revision_app_request_count{response_code=\"200\",response_code_class=\"2xx\"} 90
revision_app_request_count{response_code=\"503\",response_code_class=\"5xx\"} 10
revision_app_request_count{response_code=\"404\",response_code_class=\"4xx\"} 5
# TYPE revision_app_request_latencies histogram
revision_app_request_latencies_bucket{response_code=\"200\",le=\"10\"} 50
revision_app_request_latencies_bucket{response_code=\"200\",le=\"+Inf\"} 90
revision_app_request_latencies_count{response_code=\"200\"} 90
revision_app_request_latencies_sum{response_code=\"200\"} 900
";
        let r = reading(Endpoint::QueueProxy, &Exposition::parse(text)).unwrap();
        assert_eq!(r.requests, Some(105.0));
        assert_eq!(r.errors, Some(10.0));
        assert_eq!(r.latency_ms.unwrap().pairs()[0], (10.0, 50.0));
    }

    #[test]
    fn a_declared_family_without_series_is_zero_requests() {
        let text = "# HELP request_predict_seconds predict request latency\n# TYPE request_predict_seconds histogram\n# HELP up x\n# TYPE up gauge\nup 1\n";
        let (r, problems) = parse(Endpoint::ModelServer, text);
        assert_eq!(r.map(|r| r.requests), Ok(Some(0.0)));
        let _ = problems;
        assert!(parse(Endpoint::ModelServer, "up 1\n").0.is_err());
    }

    #[test]
    fn the_wrong_exporter_is_explained() {
        let e = reading(Endpoint::ModelServer, &Exposition::parse("up 1\n")).unwrap_err();
        assert_eq!(e, MissingMetrics::ModelServer);
        let e = reading(Endpoint::QueueProxy, &Exposition::parse("up 1\n")).unwrap_err();
        assert_eq!(e, MissingMetrics::QueueProxy);
        let e = reading(Endpoint::Vllm, &Exposition::parse("up 1\n")).unwrap_err();
        assert_eq!(e, MissingMetrics::Vllm);
    }

    #[test]
    fn missing_metrics_read_as_the_users_message() {
        assert_eq!(
            MissingMetrics::ModelServer.to_string(),
            "no `request_predict_seconds` histogram in its metrics (is it a KServe Python model \
             server? other runtimes such as Triton or vLLM export other names)"
        );
        assert_eq!(
            MissingMetrics::QueueProxy.to_string(),
            "no `revision_app_request_latencies` or `revision_app_request_count` in its \
             queue-proxy metrics"
        );
        assert_eq!(
            MissingMetrics::Vllm.to_string(),
            "no vLLM metrics (`vllm:time_to_first_token_seconds`, `vllm:num_requests_running` …) \
             in its :8000/metrics page: is it a vLLM server?"
        );
        assert_eq!(
            MissingMetrics::TransformerStages.to_string(),
            "no `request_preprocess_seconds`, `request_predict_seconds` or \
             `request_postprocess_seconds` histogram in the transformer's metrics (is it a \
             KServe Python transformer?)"
        );
    }
}
