//! A row of the services list is an InferenceService or an LLMInferenceService: one view of
//! either for sorting, filtering and drawing, and the LLM services' health against the
//! [canary] thresholds.

use super::State;
use crate::domain::isvc::{Isvc, Readiness};
use crate::domain::k8s::Meta;
use crate::domain::key::ObjectKey;
use crate::domain::llm::Llm;
use crate::domain::mode::DeploymentMode;

/// One service of either kind.
#[derive(Debug, Clone, Copy)]
pub enum Svc<'a> {
    Isvc(&'a Isvc),
    Llm(&'a Llm),
}

impl<'a> Svc<'a> {
    pub fn meta(&self) -> &'a Meta {
        match self {
            Svc::Isvc(i) => &i.meta,
            Svc::Llm(l) => &l.meta,
        }
    }

    /// `InferenceService` or `LLMInferenceService` (headless `kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Svc::Isvc(_) => "InferenceService",
            Svc::Llm(_) => "LLMInferenceService",
        }
    }

    pub fn is_llm(&self) -> bool {
        matches!(self, Svc::Llm(_))
    }

    /// Readiness, a stop annotation reading as not ready (Stopped).
    pub fn readiness(&self) -> Readiness {
        match self {
            Svc::Isvc(i) if i.stopped() => Readiness::NotReady("Stopped".to_string()),
            Svc::Isvc(i) => i.readiness(),
            Svc::Llm(l) if l.stopped() && l.readiness() == Readiness::Ready => {
                Readiness::NotReady("Stopped".to_string())
            }
            Svc::Llm(l) => l.readiness(),
        }
    }

    /// A change in flight: a Knative or Standard canary, or an LLM routing group with more
    /// than one member taking traffic.
    pub fn canary_in_progress(&self) -> bool {
        match self {
            Svc::Isvc(i) => i.canary_in_progress(),
            Svc::Llm(l) => l.status.router.group.as_ref().is_some_and(|g| {
                g.members
                    .iter()
                    .filter(|m| !m.stopped && m.weight > 0)
                    .count()
                    > 1
            }),
        }
    }

    pub fn mode(&self) -> Option<DeploymentMode> {
        match self {
            Svc::Isvc(i) => i.mode,
            Svc::Llm(_) => None,
        }
    }

    pub fn runtime_label(&self) -> String {
        match self {
            Svc::Isvc(i) => i.runtime_label(),
            Svc::Llm(l) => match l.topology() {
                "single" => "vLLM".to_string(),
                t => format!("vLLM {t}"),
            },
        }
    }

    pub fn has_problems(&self) -> bool {
        match self {
            Svc::Isvc(i) => !i.problems.is_empty(),
            Svc::Llm(l) => !l.problems.is_empty(),
        }
    }
}

/// The service at `key`: the InferenceService if there is one, else the LLMInferenceService.
pub fn lookup<'a>(state: &'a State, key: &ObjectKey) -> Option<Svc<'a>> {
    state
        .cluster
        .isvcs
        .items
        .get(key)
        .map(Svc::Isvc)
        .or_else(|| state.cluster.llm_isvcs.items.get(key).map(Svc::Llm))
}

/// The thresholds an LLM service breaches now, in words (empty when none, or not an LLM).
pub fn llm_breaches(state: &State, key: &ObjectKey) -> Vec<String> {
    let (Some(llm), Some(f)) = (
        state.cluster.llm_isvcs.items.get(key),
        state.figures.llm.get(key),
    ) else {
        return Vec::new();
    };
    crate::domain::llm::health::breaches(llm, f, &state.config.canary)
}
