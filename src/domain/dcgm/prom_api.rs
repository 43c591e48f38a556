//! DCGM samples from a Prometheus server's instant-query API (`/api/v1/query`), for clusters
//! where Prometheus already scrapes the DCGM exporter.

use super::{DcgmSample, metric};
use crate::domain::prom_query::{AnswerError, VectorSample, parse_vector};

/// One instant query that returns every DCGM series kdeck reads.
pub fn query() -> String {
    format!("{{__name__=~\"{}\"}}", metric::ALL.join("|"))
}

/// Parses a `/api/v1/query` response body (result type `vector`) into samples. An error
/// response or a body that is not Prometheus JSON is an [`AnswerError`].
pub fn samples_from_query_response(body: &str) -> Result<Vec<DcgmSample>, AnswerError> {
    Ok(samples_from_vector(parse_vector(body)?))
}

/// The DCGM samples of an instant vector: each series named by its `__name__`.
pub fn samples_from_vector(vector: Vec<VectorSample>) -> Vec<DcgmSample> {
    vector
        .into_iter()
        .filter_map(|mut s| {
            let metric = s.labels.remove("__name__")?;
            Some(DcgmSample {
                metric,
                labels: s.labels.into_iter().collect(),
                value: s.value,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_names_every_metric() {
        let q = query();
        for name in metric::ALL {
            assert!(q.contains(name));
        }
        assert!(q.starts_with("{__name__=~\""));
    }

    #[test]
    fn error_answers_are_worded() {
        let err = samples_from_query_response(
            r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#,
        )
        .expect_err("an error answer");
        assert_eq!(
            err.to_string(),
            "Prometheus refused the query (bad_data: parse error)"
        );
        assert!(samples_from_query_response("<html>").is_err());
    }
}
