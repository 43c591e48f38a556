//! "Why isn't it ready?": ranks the likely causes of a service not being Ready from what
//! the cluster already says — conditions, model status, pods, events and the last log lines
//! — each with the evidence and where to look next.

use super::event::Event;
use super::isvc::{Isvc, Readiness};
use super::k8s::CondStatus;
use super::pod::{Container, Pod, RunState};

/// One likely cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// Higher is more likely to be the root cause.
    pub weight: u8,
    pub title: String,
    pub evidence: String,
    pub next: String,
}

/// Log lines fetched for the diagnosis: (pod, container, line).
pub type LogTail = [(String, String, String)];

fn cause(weight: u8, title: &str, evidence: String, next: &str) -> Cause {
    Cause {
        weight,
        title: title.to_string(),
        evidence,
        next: next.to_string(),
    }
}

const IMAGE_PULL: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
];
const CUDA_OOM: &[&str] = &[
    "CUDA out of memory",
    "OutOfMemoryError",
    "CUBLAS_STATUS_ALLOC_FAILED",
    "cudaErrorMemoryAllocation",
];

/// Ranks the causes, most likely first. Empty when the service is Ready.
pub fn diagnose(isvc: &Isvc, pods: &[&Pod], events: &[&Event], logs: &LogTail) -> Vec<Cause> {
    if isvc.readiness() == Readiness::Ready && !isvc.stopped() {
        return Vec::new();
    }
    let mut causes = service_causes(isvc);
    for pod in pods {
        causes.extend(scheduling_causes(pod));
        causes.extend(storage_initializer_causes(pod));
        for c in pod.containers.iter().chain(&pod.init_containers) {
            causes.extend(container_causes(pod, c));
        }
    }
    causes.extend(gpu_memory_cause(logs));
    causes.extend(revision_cause(isvc));
    causes.extend(reported_causes(isvc, events));
    if causes.is_empty() {
        causes.push(no_clear_cause(isvc));
    }
    causes.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| a.title.cmp(&b.title)));
    causes.dedup_by(|a, b| a.title == b.title);
    causes
}

/// What the service's own object says: stopped, or the model failed to load.
fn service_causes(isvc: &Isvc) -> Vec<Cause> {
    let mut causes = Vec::new();
    if isvc.stopped() {
        causes.push(cause(
            100,
            "The service is stopped",
            "annotation serving.kserve.io/stop: \"true\"".to_string(),
            "Remove the annotation to start it again.",
        ));
    }
    if let Some(failure) = isvc.model_status.as_ref().and_then(|m| m.failure.as_ref()) {
        causes.push(cause(
            90,
            "The model failed to load",
            format!(
                "{}: {} ({})",
                failure.reason, failure.message, failure.location
            ),
            "Check storageUri and the storage-initializer logs; then the model server logs.",
        ));
    }
    causes
}

/// A pod the scheduler cannot place: short of GPUs, or for another reason.
fn scheduling_causes(pod: &Pod) -> Option<Cause> {
    let msg = pod.unschedulable.as_ref()?;
    Some(if msg.contains("Insufficient") && msg.contains("gpu") {
        cause(
            85,
            "Not enough free GPUs to schedule the pods",
            format!("{}: {msg}", pod.meta.name),
            "See :nodes for GPU allocation; free GPUs, add GPU nodes, or lower the GPU request or replicas.",
        )
    } else {
        cause(
            70,
            "Pods cannot be scheduled",
            format!("{}: {msg}", pod.meta.name),
            "Check node selectors, tolerations and resource requests against :nodes.",
        )
    })
}

/// A failing model download (the storage-initializer init container).
fn storage_initializer_causes(pod: &Pod) -> Vec<Cause> {
    pod.init_containers
        .iter()
        .filter(|c| &*c.name == "storage-initializer")
        .filter(|c| {
            matches!(&c.state, RunState::Terminated { exit_code, .. } if *exit_code != 0)
                || matches!(&c.state, RunState::Waiting { reason, .. } if &**reason == "CrashLoopBackOff")
                || (c.restarts > 0
                    && !matches!(c.state, RunState::Terminated { exit_code: 0, .. }))
        })
        .map(|c| cause(
            80,
            "The model download (storage-initializer) fails",
            format!("{}: storage-initializer restarted {} times", pod.meta.name, c.restarts),
            "Read the storage-initializer logs (previous container); check the URI and the bucket credentials.",
        ))
        .collect()
}

/// One container's trouble: image pull, out of memory, crash loop.
fn container_causes(pod: &Pod, c: &Container) -> Vec<Cause> {
    let mut causes = Vec::new();
    if let RunState::Waiting { reason, message } = &c.state
        && IMAGE_PULL.contains(&&**reason)
    {
        causes.push(cause(
            75,
            "A container image cannot be pulled",
            format!("{}/{}: {reason} {message}", pod.meta.name, c.name),
            "Check the image name and tag, and the registry's pull secret.",
        ));
    }
    let oom_now =
        matches!(&c.state, RunState::Terminated { reason, .. } if &**reason == "OOMKilled");
    if oom_now || c.last_terminated.as_deref() == Some("OOMKilled") {
        causes.push(cause(
            78,
            "A container runs out of memory (OOMKilled)",
            format!(
                "{}/{}: OOMKilled, {} restarts",
                pod.meta.name, c.name, c.restarts
            ),
            "Raise the memory limit, or load a smaller model or batch.",
        ));
    }
    if matches!(&c.state, RunState::Waiting { reason, .. } if &**reason == "CrashLoopBackOff")
        && &*c.name != "storage-initializer"
    {
        causes.push(cause(
            72,
            "The model server crash-loops",
            format!(
                "{}/{}: CrashLoopBackOff, {} restarts",
                pod.meta.name, c.name, c.restarts
            ),
            "Read the previous container's logs (logs view, previous).",
        ));
    }
    causes
}

/// CUDA out of memory in the last log lines.
fn gpu_memory_cause(logs: &LogTail) -> Option<Cause> {
    let (pod, container, line) = logs
        .iter()
        .find(|(_, _, l)| CUDA_OOM.iter().any(|m| l.contains(m)))?;
    Some(cause(
        82,
        "The GPU runs out of memory (CUDA out of memory)",
        format!("{pod}/{container}: {}", line.trim()),
        "Use a GPU with more memory, fewer GPUs per model shard, a smaller batch or quantisation.",
    ))
}

/// The newest revision stays behind the ready one.
fn revision_cause(isvc: &Isvc) -> Option<Cause> {
    let status = isvc.predictor_status()?;
    let (Some(created), Some(ready)) = (&status.latest_created, &status.latest_ready) else {
        return None;
    };
    (created != ready).then(|| {
        cause(
            60,
            "The newest revision does not become ready",
            format!(
                "latest created {created}, latest ready {ready}: traffic stays on the ready one"
            ),
            "Look at the pods of the new revision (Pods tab) and its events.",
        )
    })
}

/// What KServe and the events report: False conditions with a message, warning events.
fn reported_causes(isvc: &Isvc, events: &[&Event]) -> Vec<Cause> {
    let conditions = isvc
        .conditions
        .iter()
        .filter(|c| c.status == CondStatus::False && !c.message.is_empty())
        .map(|c| {
            cause(
                40,
                &format!("KServe reports {} = False", c.kind),
                format!("{}: {}", c.reason, c.message),
                "The message names the failing part; see the events below.",
            )
        });
    let warnings = events.iter().filter(|e| e.warning).take(3).map(|e| {
        cause(
            30,
            &format!("Warning event {}", e.reason),
            format!(
                "{} {} (x{}): {}",
                e.object_kind, e.object_name, e.count, e.message
            ),
            "See the Events tab.",
        )
    });
    conditions.chain(warnings).collect()
}

/// When nothing points anywhere: what KServe says so far.
fn no_clear_cause(isvc: &Isvc) -> Cause {
    let reason = match isvc.readiness() {
        Readiness::NotReady(r) | Readiness::Progressing(r) => r,
        _ => "no status yet".to_string(),
    };
    cause(
        10,
        "No clear cause yet",
        format!("KServe reports: {reason}"),
        "Wait for the reconcile, or look at the Pods and Events tabs.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn not_ready() -> Isvc {
        Isvc::parse(&json!({"metadata": {"name": "s", "namespace": "ml"},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "onnx"}}}},
            "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "PredictorNotReady", "message": "pods not ready"}]}}))
    }

    fn pod(v: serde_json::Value) -> Pod {
        Pod::parse(&v)
    }

    #[test]
    fn gpu_shortage_ranks_above_generic_conditions() {
        let p = pod(
            json!({"metadata": {"name": "s-1"}, "status": {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "message": "0/7 nodes are available: 4 Insufficient nvidia.com/gpu."}]}}),
        );
        let causes = diagnose(&not_ready(), &[&p], &[], &[]);
        assert_eq!(causes[0].title, "Not enough free GPUs to schedule the pods");
        assert!(causes[0].evidence.contains("Insufficient nvidia.com/gpu"));
        assert!(causes.iter().any(|c| c.title.contains("Ready = False")));
    }

    #[test]
    fn download_failure_oom_and_cuda_oom_are_named() {
        let p = pod(json!({"metadata": {"name": "s-2"},
            "spec": {"initContainers": [{"name": "storage-initializer"}], "containers": [{"name": "kserve-container"}]},
            "status": {"phase": "Pending",
                "initContainerStatuses": [{"name": "storage-initializer", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
                "containerStatuses": [{"name": "kserve-container", "restartCount": 2, "state": {"waiting": {"reason": "PodInitializing"}},
                    "lastState": {"terminated": {"reason": "OOMKilled"}}}]}}));
        let logs = vec![(
            "s-2".to_string(),
            "kserve-container".to_string(),
            "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"
                .to_string(),
        )];
        let causes = diagnose(&not_ready(), &[&p], &[], &logs);
        let titles: Vec<&str> = causes.iter().map(|c| c.title.as_str()).collect();
        assert!(
            titles.contains(&"The model download (storage-initializer) fails"),
            "{titles:?}"
        );
        assert!(
            titles.contains(&"A container runs out of memory (OOMKilled)"),
            "{titles:?}"
        );
        assert!(
            titles.contains(&"The GPU runs out of memory (CUDA out of memory)"),
            "{titles:?}"
        );
        assert!(causes.windows(2).all(|w| w[0].weight >= w[1].weight));
    }

    #[test]
    fn a_ready_service_has_no_causes() {
        let ready = Isvc::parse(
            &json!({"metadata": {"name": "s"}, "spec": {"predictor": {"model": {}}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
        );
        assert!(diagnose(&ready, &[], &[], &[]).is_empty());
    }
}
