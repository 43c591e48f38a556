//! DCGM samples from a Prometheus server's instant-query API (`/api/v1/query`), for clusters
//! where Prometheus already scrapes the DCGM exporter.

use super::{DcgmSample, metric};
use serde_json::Value;

/// One instant query that returns every DCGM series kdeck reads.
pub fn query() -> String {
    format!("{{__name__=~\"{}\"}}", metric::ALL.join("|"))
}

/// Parses a `/api/v1/query` response body (result type `vector`) into samples. An error
/// response or a body that is not Prometheus JSON is an `Err` worded for the user.
pub fn samples_from_query_response(body: &str) -> Result<Vec<DcgmSample>, String> {
    let json: Value = serde_json::from_str(body)
        .map_err(|e| format!("the answer is not Prometheus API JSON ({e})"))?;
    if json.get("status").and_then(Value::as_str) != Some("success") {
        let kind = json
            .get("errorType")
            .and_then(Value::as_str)
            .unwrap_or("error");
        let error = json
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no error message");
        return Err(format!("Prometheus refused the query ({kind}: {error})"));
    }
    let data = json
        .get("data")
        .ok_or("the Prometheus answer has no `data`")?;
    let result_type = data.get("resultType").and_then(Value::as_str);
    if result_type != Some("vector") {
        return Err(format!(
            "expected an instant vector from Prometheus, got {}",
            result_type.unwrap_or("nothing")
        ));
    }
    let results = data
        .get("result")
        .and_then(Value::as_array)
        .ok_or("the Prometheus answer has no `result` list")?;
    Ok(results.iter().filter_map(sample).collect())
}

fn sample(entry: &Value) -> Option<DcgmSample> {
    let metric_labels = entry.get("metric")?.as_object()?;
    let name = metric_labels.get("__name__")?.as_str()?.to_string();
    let labels = metric_labels
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect();
    let value = entry.get("value")?.as_array()?.get(1)?.as_str()?;
    let value = match value {
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other.parse().ok()?,
    };
    Some(DcgmSample {
        metric: name,
        labels,
        value,
    })
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
        assert!(err.contains("bad_data: parse error"), "{err}");
        assert!(samples_from_query_response("<html>").is_err());
    }
}
