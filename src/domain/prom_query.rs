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

/// Parses a `/api/v1/query` answer (result type `vector`). An error answer or a body that
/// is not Prometheus JSON is an `Err` worded for the user.
pub fn parse_vector(body: &str) -> Result<Vec<VectorSample>, String> {
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
