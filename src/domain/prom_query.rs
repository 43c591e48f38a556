//! Answers of a Prometheus server's HTTP query API (`/api/v1/query`): instant vectors as
//! owned samples, and error answers worded for the user. Used by the latency and the DCGM
//! sources in Prometheus mode.

use serde_json::Value;
use std::collections::BTreeMap;

/// One element of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorSample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Why a `/api/v1/query` answer gives no instant vector, in the user's words.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer is not Prometheus API JSON ({0})")]
    NotJson(#[source] serde_json::Error),
    #[error("Prometheus refused the query ({kind}: {error})")]
    Refused { kind: String, error: String },
    #[error("the Prometheus answer has no `data`")]
    NoData,
    #[error("expected an instant vector from Prometheus, got {0}")]
    NotAVector(String),
    #[error("the Prometheus answer has no `result` list")]
    NoResults,
}

/// Parses a `/api/v1/query` answer (result type `vector`). An error answer or a body that
/// is not Prometheus JSON is an [`AnswerError`].
pub fn parse_vector(body: &str) -> Result<Vec<VectorSample>, AnswerError> {
    let json: Value = serde_json::from_str(body).map_err(AnswerError::NotJson)?;
    if json.get("status").and_then(Value::as_str) != Some("success") {
        let text = |field: &str, otherwise: &str| {
            json.get(field)
                .and_then(Value::as_str)
                .unwrap_or(otherwise)
                .to_string()
        };
        return Err(AnswerError::Refused {
            kind: text("errorType", "error"),
            error: text("error", "no error message"),
        });
    }
    let data = json.get("data").ok_or(AnswerError::NoData)?;
    let result_type = data.get("resultType").and_then(Value::as_str);
    if result_type != Some("vector") {
        return Err(AnswerError::NotAVector(
            result_type.unwrap_or("nothing").to_string(),
        ));
    }
    let results = data
        .get("result")
        .and_then(Value::as_array)
        .ok_or(AnswerError::NoResults)?;
    Ok(results
        .iter()
        .filter_map(|entry| {
            let labels = entry
                .get("metric")?
                .as_object()?
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect();
            let value = match entry.get("value")?.as_array()?.get(1)?.as_str()? {
                "+Inf" | "Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                other => other.parse().ok()?,
            };
            Some(VectorSample { labels, value })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_that_are_no_vector_say_why() {
        let refused = parse_vector(
            r#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#,
        );
        assert_eq!(
            refused.err().map(|e| e.to_string()).as_deref(),
            Some("Prometheus refused the query (bad_data: parse error at char 3)")
        );
        let matrix = parse_vector(r#"{"status":"success","data":{"resultType":"matrix"}}"#);
        assert_eq!(
            matrix.err().map(|e| e.to_string()).as_deref(),
            Some("expected an instant vector from Prometheus, got matrix")
        );
        let html = parse_vector("<html>").err();
        assert!(matches!(html, Some(AnswerError::NotJson(_))));
        assert!(
            html.map(|e| e.to_string())
                .is_some_and(|m| m.starts_with("the answer is not Prometheus API JSON ("))
        );
        assert!(matches!(
            parse_vector(r#"{"status":"success"}"#),
            Err(AnswerError::NoData)
        ));
        assert!(matches!(
            parse_vector(r#"{"status":"success","data":{"resultType":"vector"}}"#),
            Err(AnswerError::NoResults)
        ));
    }

    #[test]
    fn vectors_keep_labels_and_infinities() {
        let body = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"up","pod":"a"},"value":[1,"1"]},
            {"metric":{"pod":"b"},"value":[1,"+Inf"]},
            {"metric":{"pod":"c"},"value":[1,"not a number"]}]}}"#;
        let samples = parse_vector(body).expect("a vector");
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].labels["pod"], "a");
        assert_eq!(samples[0].value, 1.0);
        assert_eq!(samples[1].value, f64::INFINITY);
    }
}
