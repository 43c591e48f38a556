//! What a simulated model server answers on its HTTP port (8080) through the pod proxy:
//! KServe's V1 (`/v1/models/NAME`, `:predict`) and V2 / Open Inference Protocol
//! (`/v2/health/{live,ready}`, `/v2/models/NAME[/ready]`, `/v2/models/NAME/infer`) endpoints
//! (and an explainer's V1 `:explain`),
//! like the KServe model server, which serves both. Inference fails with HTTP 500 at the
//! revision's error ratio (a deterministic budget, so a bad canary fails a steady share).

use super::latency::Profile;
use serde_json::{Value, json};

/// An HTTP answer: status, content type, body.
pub type Answer = (u16, &'static str, String);

const JSON: &str = "application/json";

/// The answer of a model server called `model` to `method path` (path without the leading
/// `/`), or `None` when it serves nothing there. `fail` says whether this inference is one
/// of the revision's failures (the caller keeps the budget).
pub fn answer(model: &str, method: &str, path: &str, body: &[u8], fail: bool) -> Option<Answer> {
    let v1_model = format!("v1/models/{model}");
    let v1_predict = format!("v1/models/{model}:predict");
    let v2_model = format!("v2/models/{model}");
    let v2_ready = format!("v2/models/{model}/ready");
    let v2_infer = format!("v2/models/{model}/infer");
    let ok = |v: Value| Some((200, JSON, v.to_string()));
    match (method, path) {
        ("GET", "" | "v2/health/live" | "v2/health/ready") => {
            ok(json!({"status": "alive", "model": model}))
        }
        ("GET", "v2") => ok(json!({"name": "kserve", "version": "sim", "extensions": []})),
        ("GET", p) if p == v1_model => ok(json!({"name": model, "ready": true})),
        ("GET", p) if p == v2_ready => ok(json!({"name": model, "ready": true})),
        ("GET", p) if p == v2_model => ok(json!({
            "name": model, "versions": ["1"], "platform": "kserve-sim",
            "inputs": [{"name": "input-0", "datatype": "FP32", "shape": [-1, 4]}],
            "outputs": [{"name": "output-0", "datatype": "FP32", "shape": [-1]}],
        })),
        ("POST", p) if p == v1_predict || p == v2_infer => {
            if serde_json::from_slice::<Value>(body).is_err() {
                return Some((
                    400,
                    JSON,
                    json!({"error": "the request body is not JSON"}).to_string(),
                ));
            }
            if fail {
                return Some((
                    500,
                    JSON,
                    json!({"error": format!("model {model}: inference failed (simulated bad revision)")})
                        .to_string(),
                ));
            }
            if p == v1_predict {
                ok(json!({"predictions": [1]}))
            } else {
                ok(
                    json!({"model_name": model, "model_version": "1", "outputs": [
                    {"name": "output-0", "datatype": "FP32", "shape": [1], "data": [1.0]}]}),
                )
            }
        }
        _ => None,
    }
}

/// An explainer's answer to V1 `POST v1/models/NAME:explain`: one explanation per instance
/// (feature importances), as KServe's explainers answer; `None` for any other request.
pub fn explain(model: &str, method: &str, path: &str, body: &[u8]) -> Option<Answer> {
    if method != "POST" || path != format!("v1/models/{model}:explain") {
        return None;
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return Some((
            400,
            JSON,
            json!({"error": "the request body is not JSON"}).to_string(),
        ));
    };
    let explanations: Vec<Value> = request["instances"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    let width = row.as_array().map_or(0, Vec::len);
                    json!({"feature_importance": vec![1.0 / width.max(1) as f64; width]})
                })
                .collect()
        })
        .unwrap_or_default();
    Some((200, JSON, json!({"explanations": explanations}).to_string()))
}

/// Whether `method path` is an inference (which spends the error budget).
pub fn is_inference(method: &str, path: &str) -> bool {
    method == "POST" && (path.ends_with(":predict") || path.ends_with("/infer"))
}

/// Adds one inference's share of `profile`'s errors to `budget`; true when it fails.
pub fn spend(budget: &mut f64, profile: &Profile) -> bool {
    *budget += profile.error_ratio;
    // A little slack so 0.08 × 25 counts as 2 despite floating-point sums.
    if *budget >= 1.0 - 1e-9 {
        *budget -= 1.0;
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explainers_answer_explain_for_their_model_only() {
        let (code, _, body) = explain(
            "income",
            "POST",
            "v1/models/income:explain",
            br#"{"instances": [[1, 2]]}"#,
        )
        .expect("explain");
        assert_eq!(code, 200);
        assert!(body.contains("\"feature_importance\":[0.5,0.5]"), "{body}");
        assert!(explain("income", "POST", "v1/models/other:explain", b"{}").is_none());
        assert!(explain("income", "POST", "v1/models/income:predict", b"{}").is_none());
        assert_eq!(
            explain("income", "POST", "v1/models/income:explain", b"x").map(|a| a.0),
            Some(400)
        );
    }

    #[test]
    fn v1_and_v2_endpoints_answer_and_unknown_ones_do_not() {
        let get = |p: &str| answer("iris", "GET", p, b"", false).map(|a| a.0);
        assert_eq!(get("v2/health/ready"), Some(200));
        assert_eq!(get("v2/models/iris/ready"), Some(200));
        assert_eq!(get("v1/models/iris"), Some(200));
        assert_eq!(get("v2/models/other/ready"), None);
        let meta = answer("iris", "GET", "v2/models/iris", b"", false).expect("metadata");
        let inputs = crate::domain::probe::payload::inputs_from_metadata(
            &serde_json::from_str(&meta.2).expect("json"),
        )
        .expect("inputs");
        assert_eq!(inputs.len(), 1);
        let infer = answer("iris", "POST", "v2/models/iris/infer", b"{}", false).expect("infer");
        assert!(infer.2.contains("outputs"), "{infer:?}");
        let predict = answer("iris", "POST", "v1/models/iris:predict", b"{}", false).expect("v1");
        assert!(predict.2.contains("predictions"));
        assert_eq!(
            answer("iris", "POST", "v2/models/iris/infer", b"{}", true).map(|a| a.0),
            Some(500)
        );
        assert_eq!(
            answer("iris", "POST", "v2/models/iris/infer", b"not json", false).map(|a| a.0),
            Some(400)
        );
    }

    #[test]
    fn the_error_budget_fails_the_profiles_share() {
        let mut budget = 0.0;
        let failures = (0..100)
            .filter(|_| spend(&mut budget, &Profile::BAD))
            .count();
        assert_eq!(failures, 8);
        let mut budget = 0.0;
        let failures = (0..100)
            .filter(|_| spend(&mut budget, &Profile::HEALTHY))
            .count();
        assert_eq!(failures, 0);
    }
}
