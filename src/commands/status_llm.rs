//! The LLMInferenceService entries of `kdeck status -o json`, and why an LLM service makes
//! `kdeck status` exit 1: not Ready, or a member past the [canary] thresholds (TTFT p99,
//! preemptions, errors). Each group member is an entry of its own; every entry also lists its
//! group's members with their figures, side by side.

use crate::domain::isvc::Readiness;
use crate::domain::key::ObjectKey;
use crate::domain::llm::Llm;
use crate::domain::llm::window::LlmFigures;
use crate::state::State;
use crate::state::service_kind::{Svc, llm_breaches};
use serde_json::{Value, json};

/// vLLM's figures as `-o json` names them; nulls when not measured.
pub fn figures_json(f: Option<&LlmFigures>) -> Value {
    let f = f.cloned().unwrap_or_default();
    let window = if f.at.is_none() {
        Value::Null
    } else if f.cumulative {
        json!(super::status::ONE_SHOT_WINDOW)
    } else {
        json!(format!(
            "last {}",
            crate::domain::latency::window::window_label(
                crate::domain::latency::window::DEFAULT_WINDOW
            )
        ))
    };
    json!({
        "ttft_p50_ms": f.ttft_p50_ms,
        "ttft_p99_ms": f.ttft_p99_ms,
        "itl_p50_ms": f.itl_p50_ms,
        "e2e_p99_ms": f.e2e_p99_ms,
        "queue_p50_ms": f.queue_p50_ms,
        "generation_tokens_per_s": f.generation_tokens_per_s,
        "requests_running": f.running,
        "requests_waiting": f.waiting,
        "kv_cache_usage": f.kv_cache,
        "preemptions_per_s": f.preemptions_per_s,
        "error_share": f.error_share,
        "window": window,
    })
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

/// The group's members side by side: weight, stopped, and each member's figures.
fn members_json(state: &State, key: &ObjectKey, llm: &Llm) -> Value {
    let Some(group) = &llm.status.router.group else {
        return Value::Null;
    };
    let members: Vec<Value> = group
        .members
        .iter()
        .map(|m| {
            let mkey = ObjectKey::new(&key.namespace, &m.name);
            let breaches = llm_breaches(state, &mkey);
            merge(
                json!({
                    "name": m.name,
                    "weight": m.weight,
                    "stopped": m.stopped,
                    "share_percent": group.share_percent(&m.name),
                    "failing": !breaches.is_empty(),
                    "reasons": breaches,
                }),
                figures_json(state.figures.llm.get(&mkey)),
            )
        })
        .collect();
    json!({"name": group.name, "members": members})
}

/// One LLM service's entry.
pub fn entry(state: &State, key: &ObjectKey, llm: &Llm) -> Value {
    let (ready, total, gpus) = crate::state::services::replica_counts(state, key);
    let (is_ready, reason) = match Svc::Llm(llm).readiness() {
        Readiness::Ready => (true, String::new()),
        Readiness::NotReady(r) | Readiness::Progressing(r) => (false, r),
        Readiness::Unknown => (false, "NoStatus".to_string()),
    };
    let breaches = llm_breaches(state, key);
    let causes: Vec<Value> = crate::domain::llm::diagnose::diagnose(llm)
        .into_iter()
        .map(|c| json!({"title": c.title, "evidence": c.evidence, "next": c.next}))
        .collect();
    merge(
        json!({
            "kind": "LLMInferenceService",
            "name": key.name,
            "namespace": key.namespace,
            "ready": is_ready,
            "reason": reason,
            "stopped": llm.stopped(),
            "model": llm.model_name(),
            "model_uri": llm.spec.model_uri,
            "runtime": Svc::Llm(llm).runtime_label(),
            "url": llm.status.url,
            "group": members_json(state, key, llm),
            "weight": llm.spec.weight(),
            "replicas": {"ready": ready, "total": total},
            "gpus": gpus,
            "created": llm.meta.created,
            "problems": llm.problems.0,
            "failing": !breaches.is_empty(),
            "reasons": breaches,
            "diagnosis": causes,
        }),
        figures_json(state.figures.llm.get(key)),
    )
}

/// Why LLM services make `kdeck status` fail: one line each.
pub fn failures(state: &State) -> Vec<String> {
    state
        .derived
        .services
        .iter()
        .filter_map(|k| state.cluster.llm_isvcs.items.get(k).map(|l| (k, l)))
        .filter(|(k, _)| !state.cluster.isvcs.items.contains_key(*k))
        .filter_map(|(k, llm)| {
            let breaches = llm_breaches(state, k);
            if !breaches.is_empty() {
                return Some(format!(
                    "{}/{} LLM member {}",
                    k.namespace,
                    k.name,
                    breaches.join("; ")
                ));
            }
            match Svc::Llm(llm).readiness() {
                Readiness::Ready => None,
                Readiness::NotReady(r) | Readiness::Progressing(r) => Some(format!(
                    "{}/{} LLM service not Ready: {r}",
                    k.namespace, k.name
                )),
                Readiness::Unknown => Some(format!(
                    "{}/{} LLM service has no status yet",
                    k.namespace, k.name
                )),
            }
        })
        .collect()
}
