//! "Why isn't it ready?" for an LLMInferenceService: walks the condition tree to the false
//! leaves and says what is false, why (reason, message) and the next step, from KServe's
//! documented reasons. Pod-level causes come from `domain::diagnose` as for any service.

use super::Llm;
use super::conditions::CondNode;
use crate::domain::diagnose::Cause;
use crate::domain::isvc::Readiness;
use crate::domain::k8s::CondStatus;

/// The next step for a false condition, by its reason first, then by the condition.
pub fn next_step(kind: &str, reason: &str) -> &'static str {
    match reason {
        "Stopped" => {
            "The service is stopped: remove the serving.kserve.io/stop annotation to start it."
        }
        "ConfigNotFound" => {
            "A referenced LLMInferenceServiceConfig is missing: check spec.baseRefs and that the config exists in the namespace or kserve's."
        }
        "CombineBaseError" => {
            "The configs do not merge: read the message and fix the conflicting fields in spec.baseRefs."
        }
        "WaitingForGateway" => {
            "The InferencePool waits for its Gateway: check the Gateway's status (kubectl get gateway) and its controller."
        }
        "InferencePoolNotReady" | "InferencePoolFetchError" => {
            "Check the InferencePool (status.router.scheduler.inferencePool) and the scheduler pods."
        }
        "SchedulerReconcileError" => {
            "The EPP scheduler Deployment could not be reconciled: read the message and the controller's events."
        }
        "GatewaysNotReady" | "RefsInvalid" | "GatewayPreconditionNotMet" => {
            "Check the Gateway refs in spec.router.gateway and the Gateways' status."
        }
        "HTTPRoutesNotReady" | "HTTPRouteReconcileError" | "HTTPRouteFetchError" => {
            "Check the HTTPRoute's parent status: is it accepted by its Gateway?"
        }
        "ProgressDeadlineExceeded" | "DeploymentUnavailable" | "MinimumReplicasUnavailable" => {
            "The vLLM pods do not become ready: look at the pods (GPU scheduling, image, model download) and the `main` container's logs."
        }
        "FailedGetExternalMetric" | "TriggerError" | "ScalingCRDNotFound" => {
            "The autoscaler cannot read its metric: check the Prometheus adapter or KEDA and the wva_desired_replicas metric."
        }
        "MemberDivergence" => {
            "Group members serve different model names or LoRA adapter sets: align spec.model across the group."
        }
        "FinalizationPending" => {
            "Deletion waits for the other members to drop this backend from their routes."
        }
        _ => match kind {
            "MainWorkloadReady"
            | "WorkerWorkloadReady"
            | "PrefillWorkloadReady"
            | "PrefillWorkerWorkloadReady" => {
                "Look at the workload's pods and the `main` container's logs."
            }
            "ScalingReady" | "PrefillScalingReady" => {
                "Check the autoscaler (HPA or KEDA ScaledObject) of the workload."
            }
            "SchedulerWorkloadReady" => "Look at the scheduler (EPP) pods.",
            _ => "Read the message; see the events of the service.",
        },
    }
}

fn weight_of(kind: &str) -> u8 {
    match kind {
        "PresetsCombined" => 95,
        "MainWorkloadReady"
        | "WorkerWorkloadReady"
        | "PrefillWorkloadReady"
        | "PrefillWorkerWorkloadReady" => 65,
        "GatewaysReady" | "InferencePoolReady" | "HTTPRoutesReady" => 62,
        "SchedulerWorkloadReady" | "ScalingReady" | "PrefillScalingReady" => 58,
        "GroupDegraded" => 35,
        _ => 45,
    }
}

fn from_node(node: &CondNode) -> Cause {
    let (reason, message) = node
        .condition
        .as_ref()
        .map(|c| (&*c.reason, c.message.as_str()))
        .unwrap_or(("", ""));
    let state = match (node.kind, node.status()) {
        ("GroupDegraded", CondStatus::True) => "True",
        (_, CondStatus::False) => "False",
        (_, _) if node.condition.is_none() => "not reported",
        _ => "Unknown",
    };
    let evidence = match (reason.is_empty(), message.is_empty()) {
        (true, true) => format!("{} is {state}", node.kind),
        (false, true) => format!("{}: {reason}", node.kind),
        (_, false) => format!("{}: {reason}: {message}", node.kind),
    };
    Cause {
        weight: weight_of(node.kind),
        title: format!("KServe reports {} = {state}", node.kind),
        evidence,
        next: next_step(node.kind, reason).to_string(),
    }
}

/// The causes the status names, most likely first. Empty when Ready, not stopped, the
/// configs merged and the group is not degraded.
pub fn diagnose(llm: &Llm) -> Vec<Cause> {
    let tree = llm.condition_tree();
    let mut causes: Vec<Cause> = Vec::new();
    if llm.stopped() {
        causes.push(Cause {
            weight: 100,
            title: "The service is stopped".to_string(),
            evidence: "annotation serving.kserve.io/stop: \"true\"".to_string(),
            next: next_step("", "Stopped").to_string(),
        });
    }
    for node in tree.independent.iter().filter(|n| n.kind != "GroupReady") {
        causes.extend(node.failing_leaves().into_iter().map(from_node));
    }
    if llm.readiness() != Readiness::Ready && llm.status.present {
        causes.extend(tree.ready.failing_leaves().into_iter().map(from_node));
    }
    if let (Some(observed), generation) = (llm.status.observed_generation, llm.meta.generation)
        && generation > observed
        && !causes.is_empty()
    {
        causes.push(Cause {
            weight: 20,
            title: "The controller has not seen the latest spec".to_string(),
            evidence: format!("observedGeneration {observed} < generation {generation}"),
            next: "Wait for the reconcile; if it does not come, check the KServe controller."
                .to_string(),
        });
    }
    causes.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| a.title.cmp(&b.title)));
    causes.dedup_by(|a, b| a.title == b.title);
    causes
}
