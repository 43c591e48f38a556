//! The Pod object a simulated pod shows through the API: labels, spec, and the status of
//! its stage (phase, conditions, container statuses), as kubelet reports them.

use super::*;

impl SimPod {
    fn container_status(
        &self,
        name: &str,
        ready: bool,
        state: Value,
        restarts: u32,
        last: Option<Value>,
    ) -> Value {
        let mut s = json!({"name": name, "ready": ready, "restartCount": restarts, "state": null, "image": self.plan.image, "imageID": "", "started": ready});
        s["state"] = state;
        if let Some(l) = last {
            s["lastState"] = l;
        }
        s
    }

    /// The Pod object as the API serves it.
    pub fn render(&self, deleting: Option<DateTime<Utc>>) -> Value {
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": null, "spec": null, "status": null});
        pod["metadata"] = self.render_meta(deleting);
        pod["spec"] = self.render_spec();
        pod["status"] = self.render_status();
        pod
    }

    /// KServe's and Knative's labels on the pod.
    fn render_labels(&self) -> serde_json::Map<String, Value> {
        let mut labels: serde_json::Map<String, Value> = self
            .plan
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        labels.insert(
            "serving.kserve.io/inferenceservice".into(),
            json!(self.plan.isvc),
        );
        labels.insert("component".into(), json!(self.plan.component));
        if let Some(rev) = &self.plan.revision {
            labels.insert("serving.knative.dev/revision".into(), json!(rev));
            labels.insert(
                "serving.knative.dev/configuration".into(),
                json!(format!("{}-{}", self.plan.isvc, self.plan.component)),
            );
            labels.insert(
                "serving.knative.dev/service".into(),
                json!(format!("{}-{}", self.plan.isvc, self.plan.component)),
            );
            labels.insert("app".into(), json!(rev));
        }
        labels
    }

    /// The containers (model server, queue-proxy, agent), the storage-initializer, the node.
    fn render_spec(&self) -> Value {
        let gpu_limits = if self.plan.gpus > 0 {
            json!({"nvidia.com/gpu": self.plan.gpus.to_string(), "cpu": self.plan.cpu, "memory": self.plan.memory})
        } else {
            json!({"cpu": self.plan.cpu, "memory": self.plan.memory})
        };
        // Values are moved into place rather than through `json!`, which would copy them by
        // serialising (this runs for every pod change; the scale scenario has thousands).
        let mut main = json!({"name": "kserve-container", "image": self.plan.image, "ports": [{"containerPort": 8080, "name": "user-port", "protocol": "TCP"}],
            "resources": {"limits": null, "requests": {"cpu": self.plan.cpu, "memory": self.plan.memory}}});
        main["resources"]["limits"] = gpu_limits;
        let mut containers = vec![main];
        if self.plan.queue_proxy {
            containers.push(json!({"name": "queue-proxy", "image": "gcr.io/knative-releases/knative.dev/serving/cmd/queue:v1.15.2",
                "ports": [{"containerPort": 8022, "name": "http-queueadm"}, {"containerPort": 9090, "name": "http-autometric"}, {"containerPort": 9091, "name": "http-usermetric"}, {"containerPort": 8012, "name": "queue-port"}],
                "resources": {"requests": {"cpu": "25m"}}}));
        }
        if self.plan.agent {
            containers.push(json!({"name": "agent", "image": "kserve/agent:v0.15.0", "ports": [{"containerPort": 9081, "name": "agent-port"}]}));
        }
        let mut spec = json!({"containers": null, "restartPolicy": "Always", "serviceAccountName": "default", "terminationGracePeriodSeconds": 300});
        spec["containers"] = Value::Array(containers);
        if let Some(uri) = &self.plan.storage_uri {
            spec["initContainers"] = json!([{"name": "storage-initializer", "image": "kserve/storage-initializer:v0.15.0", "args": [uri, "/mnt/models"],
                "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]);
        }
        if let Some(node) = &self.node {
            spec["nodeName"] = json!(node);
        }
        if let Some(sel) = &self.plan.node_selector {
            spec["nodeSelector"] = json!({"node.kubernetes.io/instance-type": sel});
        }
        spec
    }

    /// The status for the pod's stage: phase, conditions, container statuses, addresses.
    fn render_status(&self) -> Value {
        let started = stamp(self.created);
        let running = json!({"running": {"startedAt": started}});
        let (phase, init_status, main_ready, main_state, scheduled) = match self.stage {
            Stage::Unschedulable => ("Pending", None, false, json!({"waiting": {"reason": "ContainerCreating"}}), false),
            Stage::Init => ("Pending", Some(self.container_status("storage-initializer", false, running.clone(), self.init_restarts, None)), false, json!({"waiting": {"reason": "PodInitializing"}}), true),
            Stage::InitBackoff => (
                "Pending",
                Some(self.container_status(
                    "storage-initializer",
                    false,
                    json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off restarting failed container storage-initializer"}}),
                    self.init_restarts,
                    Some(json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": started, "finishedAt": started}})),
                )),
                false,
                json!({"waiting": {"reason": "PodInitializing"}}),
                true,
            ),
            Stage::Starting => ("Pending", self.init_done(), false, json!({"waiting": {"reason": "ContainerCreating"}}), true),
            Stage::Loading => ("Running", self.init_done(), false, running.clone(), true),
            Stage::Ready | Stage::Terminating | Stage::Gone => ("Running", self.init_done(), self.stage == Stage::Ready, running.clone(), true),
        };
        let statuses: Vec<Value> = self
            .containers()
            .iter()
            .map(|c| {
                let ready = main_ready
                    || (*c != "kserve-container" && matches!(self.stage, Stage::Loading));
                self.container_status(c, ready, main_state.clone(), 0, None)
            })
            .collect();
        let ready_all = main_ready;
        let mut conditions = vec![
            json!({"type": "PodScheduled", "status": if scheduled { "True" } else { "False" }, "lastTransitionTime": started}),
        ];
        if !scheduled {
            conditions[0]["reason"] = json!("Unschedulable");
            conditions[0]["message"] = json!(self.unschedulable_message);
        } else {
            conditions.push(json!({"type": "Initialized", "status": if init_status.is_some() && matches!(self.stage, Stage::Init | Stage::InitBackoff) { "False" } else { "True" }, "lastTransitionTime": started}));
            conditions.push(json!({"type": "ContainersReady", "status": if ready_all { "True" } else { "False" }, "lastTransitionTime": started}));
            conditions.push(json!({"type": "Ready", "status": if ready_all { "True" } else { "False" }, "lastTransitionTime": started}));
        }
        let mut status = json!({"phase": phase, "conditions": null, "qosClass": "Burstable"});
        status["conditions"] = Value::Array(conditions);
        // An unscheduled pod has no container statuses yet (kubectl then prints Pending).
        if scheduled {
            status["containerStatuses"] = Value::Array(statuses);
        }
        if let Some(init) = init_status.filter(|_| scheduled) {
            status["initContainerStatuses"] = Value::Array(vec![init]);
        }
        if scheduled {
            status["podIP"] = json!(self.ip);
            status["hostIP"] = json!(
                self.ip
                    .rsplit_once('.')
                    .map(|(n, _)| format!("{n}.1"))
                    .unwrap_or_default()
            );
            status["startTime"] = json!(started);
        }
        status
    }

    /// Name, labels, scrape annotations, owner, and the deletion stamp when deleting.
    fn render_meta(&self, deleting: Option<DateTime<Utc>>) -> Value {
        let labels = self.render_labels();
        let mut meta = json!({"name": self.name, "namespace": self.namespace, "uid": self.uid, "labels": null,
            "annotations": {"prometheus.kserve.io/port": "8080", "prometheus.kserve.io/path": "/metrics"},
            "ownerReferences": [{"apiVersion": if self.plan.revision.is_some() { "serving.knative.dev/v1" } else { "apps/v1" }, "kind": self.plan.owner.0, "name": self.plan.owner.1, "uid": "", "controller": true}]});
        if self.plan.queue_proxy {
            meta["annotations"] = json!({"prometheus.io/port": "9091", "prometheus.io/path": "/metrics", "prometheus.kserve.io/port": "8080", "prometheus.kserve.io/path": "/metrics"});
        }
        meta["labels"] = Value::Object(labels);
        if let Some(t) = deleting {
            meta["deletionTimestamp"] = json!(stamp(t));
        }
        meta
    }

    fn init_done(&self) -> Option<Value> {
        self.plan.storage_uri.as_ref().map(|_| {
            self.container_status("storage-initializer", false, json!({"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": stamp(self.created), "finishedAt": stamp(self.created)}}), self.init_restarts, None)
        })
    }
}
