//! What the KServe admission webhook refuses (422 Invalid with causes): a predictor without
//! an implementation, `canaryTrafficPercent` outside 0–100, minReplicas above maxReplicas,
//! negative replicas, and the v0.20 `spec.canary[]` rules (Standard mode only, a unique
//! `predictor.name` different from the stable one, shares summing to at most 100, no
//! maxReplicas on canaries). Source: kserve `inference_service_validation.go` (FACTS.md §c).

use super::error::ApiError;
use crate::domain::isvc::MODEL_KEYS;
use crate::domain::mode::DeploymentMode;
use serde_json::Value;

fn replicas(component: &Value, path: &str, causes: &mut Vec<(String, String)>) {
    let min = component.get("minReplicas").and_then(Value::as_i64);
    let max = component.get("maxReplicas").and_then(Value::as_i64);
    if min.is_some_and(|m| m < 0) {
        causes.push((
            format!("{path}.minReplicas"),
            "minReplicas cannot be less than 0".into(),
        ));
    }
    if max.is_some_and(|m| m < 0) {
        causes.push((
            format!("{path}.maxReplicas"),
            "maxReplicas cannot be less than 0".into(),
        ));
    }
    if let (Some(a), Some(b)) = (min, max)
        && b > 0
        && a > b
    {
        causes.push((
            format!("{path}.minReplicas"),
            format!("minReplicas {a} cannot be greater than maxReplicas {b}"),
        ));
    }
    if let Some(p) = component
        .get("canaryTrafficPercent")
        .and_then(Value::as_i64)
        && !(0..=100).contains(&p)
    {
        causes.push((
            format!("{path}.canaryTrafficPercent"),
            format!("{p}: canaryTrafficPercent must be between 0 and 100"),
        ));
    }
}

/// Validates an InferenceService; `Err` is the 422 to answer.
pub fn inference_service(obj: &Value) -> Result<(), ApiError> {
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    let mut causes = Vec::new();
    let spec = &obj["spec"];
    let predictor = &spec["predictor"];
    if !predictor.is_object() {
        causes.push(("spec.predictor".to_string(), "Required value".to_string()));
    } else {
        let set: Vec<&&str> = MODEL_KEYS
            .iter()
            .chain(&["containers"])
            .filter(|k| predictor.get(**k).is_some())
            .collect();
        if set.is_empty() {
            causes.push((
                "spec.predictor".to_string(),
                "exactly one of model, a framework or containers must be specified".to_string(),
            ));
        } else if set.iter().filter(|k| ***k != "containers").count() > 1 {
            causes.push((
                "spec.predictor".to_string(),
                format!(
                    "exactly one predictor implementation must be specified, found {}",
                    set.len()
                ),
            ));
        }
        replicas(predictor, "spec.predictor", &mut causes);
    }
    for component in ["transformer", "explainer"] {
        if spec[component].is_object() {
            replicas(&spec[component], &format!("spec.{component}"), &mut causes);
        }
    }
    if let Some(canaries) = spec.get("canary").and_then(Value::as_array)
        && !canaries.is_empty()
    {
        let mode = obj["metadata"]["annotations"]["serving.kserve.io/deploymentMode"]
            .as_str()
            .and_then(DeploymentMode::parse);
        if mode != Some(DeploymentMode::Standard) {
            causes.push((
                "spec.canary".to_string(),
                "canary is only supported with serving.kserve.io/deploymentMode: Standard"
                    .to_string(),
            ));
        }
        let stable = predictor["name"].as_str().unwrap_or("");
        let mut names = Vec::new();
        let mut sum = 0;
        for (i, c) in canaries.iter().enumerate() {
            let path = format!("spec.canary[{i}]");
            let cname = c["predictor"]["name"].as_str().unwrap_or("");
            if cname.is_empty() {
                causes.push((
                    format!("{path}.predictor.name"),
                    "Required value: a canary needs predictor.name".to_string(),
                ));
            } else if cname == stable || names.contains(&cname) {
                causes.push((
                    format!("{path}.predictor.name"),
                    format!("duplicate predictor name '{cname}'"),
                ));
            }
            names.push(cname);
            let pct = c["trafficPercent"].as_i64().unwrap_or(-1);
            if !(0..=100).contains(&pct) {
                causes.push((
                    format!("{path}.trafficPercent"),
                    "must be between 0 and 100".to_string(),
                ));
            } else {
                sum += pct;
            }
            if c["predictor"].get("maxReplicas").is_some() {
                causes.push((
                    format!("{path}.predictor.maxReplicas"),
                    "canaries have fixed replicas; maxReplicas is not allowed".to_string(),
                ));
            }
        }
        if sum > 100 {
            causes.push((
                "spec.canary".to_string(),
                format!("the canaries' trafficPercent adds up to {sum}, more than 100"),
            ));
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid("InferenceService", name, causes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kserve_rules() {
        let ok = json!({"metadata": {"name": "a"}, "spec": {"predictor": {"model": {}, "canaryTrafficPercent": 10}}});
        assert!(inference_service(&ok).is_ok());
        let bad = json!({"metadata": {"name": "a"}, "spec": {"predictor": {"model": {}, "canaryTrafficPercent": 150, "minReplicas": 3, "maxReplicas": 2}}});
        let e = inference_service(&bad).unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(
            e.details.as_ref().unwrap()["causes"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let none = json!({"metadata": {"name": "a"}, "spec": {"predictor": {"minReplicas": 1}}});
        assert!(inference_service(&none).is_err());
        let canary_knative = json!({"metadata": {"name": "a"}, "spec": {"predictor": {"model": {}}, "canary": [{"trafficPercent": 10, "predictor": {"name": "c"}}]}});
        assert!(
            inference_service(&canary_knative)
                .unwrap_err()
                .message
                .contains("Standard")
        );
    }
}
