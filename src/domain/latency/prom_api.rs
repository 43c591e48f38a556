//! Latency from a Prometheus server (`--prometheus URL`): the instant queries to ask
//! (`histogram_quantile` over `rate(…_bucket[1m])` per revision and per service, and the
//! request and 5xx rates), and the answers turned into the same per-service and per-revision
//! figures the pod scraper produces. Knative's queue-proxy series are used where they exist;
//! the KServe model server's `request_predict_seconds` covers services without them (its
//! `model_name` is taken as the InferenceService name, which is KServe's default).

use super::extract::{APP_LATENCIES_MS, APP_REQUEST_COUNT, PREDICT_SECONDS};
use super::window::RoundFigures;
use crate::domain::figures::RevisionFigures;
use crate::domain::key::ObjectKey;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

pub use crate::domain::prom_query::{VectorSample, parse_vector};

/// The rate window of every query.
pub const RANGE: &str = "1m";

/// What a query measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// A latency quantile, in ms.
    Quantile(Quantile),
    /// Requests per second, split by response code class (queue-proxy) or not.
    Rate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantile {
    P50,
    P90,
    P99,
}

impl Quantile {
    pub const ALL: [Quantile; 3] = [Quantile::P50, Quantile::P90, Quantile::P99];
    fn value(self) -> f64 {
        match self {
            Quantile::P50 => 0.5,
            Quantile::P90 => 0.9,
            Quantile::P99 => 0.99,
        }
    }
}

/// Whose series a query reads and how its results group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// queue-proxy, per revision.
    Revision,
    /// queue-proxy, per Knative service (`{isvc}-predictor`).
    Service,
    /// KServe model server, per `model_name`.
    Model,
}

/// One instant query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub scope: Scope,
    pub measure: Measure,
    pub promql: String,
}

/// Every query of one round.
pub fn queries() -> Vec<Query> {
    let mut out = Vec::new();
    let groups = [
        (
            Scope::Revision,
            "namespace_name, service_name, revision_name",
        ),
        (Scope::Service, "namespace_name, service_name"),
    ];
    for (scope, by) in groups {
        for q in Quantile::ALL {
            out.push(Query {
                scope,
                measure: Measure::Quantile(q),
                promql: format!(
                    "histogram_quantile({}, sum by (le, {by}) (rate({APP_LATENCIES_MS}_bucket[{RANGE}])))",
                    q.value()
                ),
            });
        }
    }
    out.push(Query {
        scope: Scope::Revision,
        measure: Measure::Rate,
        promql: format!(
            "sum by (namespace_name, service_name, revision_name, response_code_class) (rate({APP_REQUEST_COUNT}[{RANGE}]))"
        ),
    });
    for q in Quantile::ALL {
        out.push(Query {
            scope: Scope::Model,
            measure: Measure::Quantile(q),
            promql: format!(
                "histogram_quantile({}, sum by (le, namespace, model_name) (rate({PREDICT_SECONDS}_bucket[{RANGE}]))) * 1000",
                q.value()
            ),
        });
    }
    out.push(Query {
        scope: Scope::Model,
        measure: Measure::Rate,
        promql: format!("sum by (namespace, model_name) (rate({PREDICT_SECONDS}_count[{RANGE}]))"),
    });
    out
}

/// The InferenceService of a Knative service name (`{isvc}-predictor`).
fn isvc_of(knative_service: &str) -> &str {
    knative_service
        .strip_suffix("-predictor")
        .unwrap_or(knative_service)
}

#[derive(Default)]
struct Acc {
    fig: RevisionFigures,
    requests: f64,
    errors: f64,
    has_rate: bool,
    /// The rates carry response code classes, so errors are known.
    codes: bool,
}

impl Acc {
    fn set(&mut self, measure: Measure, sample: &VectorSample) {
        let v = sample.value;
        match measure {
            // NaN means no requests in the window: no percentile, not zero.
            Measure::Quantile(q) if v.is_finite() => {
                let slot = match q {
                    Quantile::P50 => &mut self.fig.p50_ms,
                    Quantile::P90 => &mut self.fig.p90_ms,
                    Quantile::P99 => &mut self.fig.p99_ms,
                };
                *slot = Some(v);
            }
            Measure::Quantile(_) => {}
            Measure::Rate if v.is_finite() => {
                self.has_rate = true;
                self.requests += v;
                let class = sample.labels.get("response_code_class").map(String::as_str);
                self.codes |= class.is_some();
                if class == Some("5xx") {
                    self.errors += v;
                }
            }
            Measure::Rate => {}
        }
    }

    fn finish(mut self, at: DateTime<Utc>) -> RevisionFigures {
        if self.has_rate {
            self.fig.rps = Some(self.requests);
            if self.codes && self.requests > 0.0 {
                self.fig.error_ratio = Some(self.errors / self.requests);
            }
        }
        self.fig.at = Some(at);
        self.fig
    }
}

/// Turns the answers (in the order of [`queries`]) into figures. Services with queue-proxy
/// series win over the model-server series of the same name.
pub fn figures(at: DateTime<Utc>, answers: &[(Query, Vec<VectorSample>)]) -> RoundFigures {
    let mut revisions: BTreeMap<(ObjectKey, String), Acc> = BTreeMap::new();
    let mut services: BTreeMap<ObjectKey, Acc> = BTreeMap::new();
    let mut models: BTreeMap<ObjectKey, Acc> = BTreeMap::new();
    for (query, samples) in answers {
        for s in samples {
            let label = |k: &str| s.labels.get(k).map(String::as_str);
            match query.scope {
                Scope::Revision => {
                    let (Some(ns), Some(svc), Some(rev)) = (
                        label("namespace_name"),
                        label("service_name"),
                        label("revision_name"),
                    ) else {
                        continue;
                    };
                    let key = ObjectKey::new(ns, isvc_of(svc));
                    revisions
                        .entry((key.clone(), rev.to_string()))
                        .or_default()
                        .set(query.measure, s);
                    if query.measure == Measure::Rate {
                        services.entry(key).or_default().set(query.measure, s);
                    }
                }
                Scope::Service => {
                    let (Some(ns), Some(svc)) = (label("namespace_name"), label("service_name"))
                    else {
                        continue;
                    };
                    services
                        .entry(ObjectKey::new(ns, isvc_of(svc)))
                        .or_default()
                        .set(query.measure, s);
                }
                Scope::Model => {
                    let (Some(ns), Some(model)) = (label("namespace"), label("model_name")) else {
                        continue;
                    };
                    models
                        .entry(ObjectKey::new(ns, model))
                        .or_default()
                        .set(query.measure, s);
                }
            }
        }
    }
    for (key, acc) in models {
        services.entry(key).or_insert(acc);
    }
    RoundFigures {
        services: services
            .into_iter()
            .map(|(k, a)| (k, a.finish(at)))
            .collect(),
        revisions: revisions
            .into_iter()
            .map(|((k, r), a)| (k, r, a.finish(at)))
            .collect(),
        restarts: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(result: &str) -> Vec<VectorSample> {
        parse_vector(&format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{result}]}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn queries_use_histogram_quantile_over_bucket_rates() {
        let q = queries();
        assert!(q.iter().any(|q| q.promql
            == "histogram_quantile(0.99, sum by (le, namespace_name, service_name, revision_name) (rate(revision_app_request_latencies_bucket[1m])))"));
        assert!(
            q.iter()
                .any(|q| q.promql.contains("request_predict_seconds_bucket")
                    && q.promql.ends_with("* 1000"))
        );
    }

    #[test]
    fn answers_become_revision_and_service_figures() {
        let qs = queries();
        let find = |scope, measure| {
            qs.iter()
                .find(|q| q.scope == scope && q.measure == measure)
                .unwrap()
                .clone()
        };
        let rev = r#"{"metric":{"namespace_name":"ml","service_name":"fraud-predictor","revision_name":"fraud-predictor-00002"},"value":[1,"812.5"]}"#;
        let rates = r#"{"metric":{"namespace_name":"ml","service_name":"fraud-predictor","revision_name":"fraud-predictor-00002","response_code_class":"2xx"},"value":[1,"9"]},
                       {"metric":{"namespace_name":"ml","service_name":"fraud-predictor","revision_name":"fraud-predictor-00002","response_code_class":"5xx"},"value":[1,"1"]}"#;
        let svc = r#"{"metric":{"namespace_name":"ml","service_name":"fraud-predictor"},"value":[1,"NaN"]}"#;
        let model = r#"{"metric":{"namespace":"ml","model_name":"iris"},"value":[1,"3.5"]}"#;
        let answers = vec![
            (
                find(Scope::Revision, Measure::Quantile(Quantile::P99)),
                answer(rev),
            ),
            (find(Scope::Revision, Measure::Rate), answer(rates)),
            (
                find(Scope::Service, Measure::Quantile(Quantile::P99)),
                answer(svc),
            ),
            (
                find(Scope::Model, Measure::Quantile(Quantile::P50)),
                answer(model),
            ),
        ];
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let f = figures(at, &answers);
        let (k, r, fig) = &f.revisions[0];
        assert_eq!(
            (k.name.as_str(), r.as_str()),
            ("fraud", "fraud-predictor-00002")
        );
        assert_eq!(fig.p99_ms, Some(812.5));
        assert_eq!(fig.rps, Some(10.0));
        assert_eq!(fig.error_ratio, Some(0.1));
        let fraud = f.services.iter().find(|(k, _)| k.name == "fraud").unwrap();
        assert_eq!(fraud.1.p99_ms, None, "NaN (no requests) is no figure");
        assert_eq!(fraud.1.rps, Some(10.0));
        let iris = f.services.iter().find(|(k, _)| k.name == "iris").unwrap();
        assert_eq!(iris.1.p50_ms, Some(3.5));
        assert_eq!(iris.1.error_ratio, None);
    }
}
