//! The demo cluster for end-to-end tests: a [`Sim`] with a kube client to verify through
//! the API what the console did, and helpers to read traffic, events and kdeck's audit log.

use super::Sandbox;
use super::pty::PtySession;
use super::sim::Sim;
use k8s_openapi::api::core::v1::{ConfigMap, Event};
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long a test waits for anything (the cluster settling, a screen, traffic moving).
pub const WAIT: Duration = Duration::from_secs(15);

/// The demo cluster (a [`Sim`]) with a kube client, for verifying through the API what the
/// console did. Derefs to the [`Sim`] (`cluster.server`, `cluster.kubeconfig`).
pub struct Cluster {
    base: Sim,
    client: kube::Client,
}

impl std::ops::Deref for Cluster {
    type Target = Sim;

    fn deref(&self) -> &Sim {
        &self.base
    }
}

fn isvc_resource() -> ApiResource {
    ApiResource {
        group: "serving.kserve.io".into(),
        version: "v1beta1".into(),
        api_version: "serving.kserve.io/v1beta1".into(),
        kind: "InferenceService".into(),
        plural: "inferenceservices".into(),
    }
}

impl Cluster {
    /// Starts the demo scenario, fast, with `faults` from the start.
    pub fn start(faults: &[&str]) -> Cluster {
        let base = Sim::demo_with(faults);
        let client = base.block_on(base.client());
        Cluster { base, client }
    }

    pub fn kubeconfig_arg(&self) -> String {
        self.kubeconfig.display().to_string()
    }

    /// A kube client for this cluster.
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// Adds a fault now (the grammar of `src/sim/faults.rs`).
    pub fn fault(&self, spec: &str) {
        self.server.faults.add(spec.parse().expect("fault"));
    }

    /// Removes every fault (the outage is over).
    pub fn clear_faults(&self) {
        self.server.faults.clear();
    }

    /// The InferenceService as the API server returns it.
    pub fn isvc(&self, ns: &str, name: &str) -> Value {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), ns, &isvc_resource());
        let obj = self.block_on(api.get(name)).expect("get isvc");
        serde_json::to_value(obj).unwrap()
    }

    /// A Deployment as the API server returns it.
    pub fn deployment(&self, ns: &str, name: &str) -> Value {
        let api: Api<k8s_openapi::api::apps::v1::Deployment> =
            Api::namespaced(self.client.clone(), ns);
        serde_json::to_value(self.block_on(api.get(name)).expect("get deployment")).unwrap()
    }

    /// Creates a small scikit-learn InferenceService as another user would.
    pub fn create_isvc(&self, ns: &str, name: &str) {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), ns, &isvc_resource());
        let obj: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"},
                "storageUri": "gs://example-models/sklearn/churn/3"}}}
        }))
        .unwrap();
        self.block_on(api.create(&PostParams::default(), &obj))
            .expect("create isvc");
    }

    /// Merge-patches the InferenceService as another user would (no resourceVersion).
    pub fn patch_isvc(&self, ns: &str, name: &str, patch: Value) -> Value {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), ns, &isvc_resource());
        let params = PatchParams {
            field_manager: Some("someone-else".into()),
            ..PatchParams::default()
        };
        let obj = self
            .block_on(api.patch(name, &params, &Patch::Merge(&patch)))
            .expect("patch isvc");
        serde_json::to_value(obj).unwrap()
    }

    /// Polls the service until `pred` holds; returns it, or None after `timeout`.
    pub fn wait_isvc(
        &self,
        ns: &str,
        name: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let start = Instant::now();
        loop {
            let obj = self.isvc(ns, name);
            if pred(&obj) {
                return Some(obj);
            }
            if start.elapsed() >= timeout {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Events on the InferenceService written by kdeck: (reason, message).
    pub fn kdeck_events(&self, ns: &str, name: &str) -> Vec<(String, String)> {
        let api: Api<Event> = Api::namespaced(self.client.clone(), ns);
        let params = ListParams::default().fields(&format!(
            "involvedObject.name={name},involvedObject.kind=InferenceService"
        ));
        let list = self.block_on(api.list(&params)).expect("list events");
        list.items
            .into_iter()
            .filter(|e| e.source.as_ref().and_then(|s| s.component.as_deref()) == Some("kdeck"))
            .map(|e| (e.reason.unwrap_or_default(), e.message.unwrap_or_default()))
            .collect()
    }

    /// Whether kdeck's spec-history ConfigMap exists in `ns` (kdeck writes it just before
    /// it patches a service).
    pub fn has_history(&self, ns: &str) -> bool {
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), ns);
        self.block_on(api.get_opt("kdeck-history"))
            .expect("get configmap")
            .is_some()
    }

    /// The simulated server's request counts by kind (`/kdeck-sim/v1/stats`).
    pub fn request_counts(&self) -> Value {
        let req = http::Request::get("/kdeck-sim/v1/stats")
            .body(Vec::new())
            .unwrap();
        let text = self.block_on(self.client.request_text(req)).expect("stats");
        let stats: Value = serde_json::from_str(&text).unwrap();
        stats["requests"].clone()
    }

    /// Patch requests the server has answered so far (any resource, dry runs included).
    pub fn patches(&self) -> u64 {
        self.request_counts()["patch"]["requests"]
            .as_u64()
            .unwrap_or(0)
    }
}

/// `spec.predictor.canaryTrafficPercent`, if set.
pub fn canary_percent(isvc: &Value) -> Option<i64> {
    isvc.pointer("/spec/predictor/canaryTrafficPercent")
        .and_then(Value::as_i64)
}

/// The predictor's status traffic: (revision, percent, latestRevision, tag).
pub fn traffic(isvc: &Value) -> Vec<(String, i64, bool, Option<String>)> {
    isvc.pointer("/status/components/predictor/traffic")
        .and_then(Value::as_array)
        .map(|targets| {
            targets
                .iter()
                .map(|t| {
                    (
                        t["revisionName"].as_str().unwrap_or("").to_string(),
                        t["percent"].as_i64().unwrap_or(0),
                        t["latestRevision"].as_bool().unwrap_or(false),
                        t["tag"].as_str().map(str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The share of traffic `revision` gets in the status.
pub fn percent_of(isvc: &Value, revision: &str) -> i64 {
    traffic(isvc)
        .iter()
        .filter(|t| t.0 == revision)
        .map(|t| t.1)
        .sum()
}

/// A status field of the predictor component (`latestRolledoutRevision` …).
pub fn predictor_status<'a>(isvc: &'a Value, field: &str) -> Option<&'a str> {
    isvc.pointer(&format!("/status/components/predictor/{field}"))
        .and_then(Value::as_str)
}

/// The lines of kdeck's local audit log in the sandbox's state directory.
pub fn audit_lines(sandbox: &Sandbox) -> Vec<Value> {
    let path = sandbox.state_dir().join("audit.log");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("an audit line is JSON"))
        .collect()
}

/// The `outcome` of each audit line, in order (`intent` before each write, then what it
/// came to).
pub fn audit_outcomes(sandbox: &Sandbox) -> Vec<String> {
    audit_lines(sandbox)
        .iter()
        .map(|l| l["outcome"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Waits for a file-based condition (the audit log is written after the patch returns).
pub fn wait_until(timeout: Duration, mut pred: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if pred() {
            return true;
        }
        if start.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The console against `cluster`, in a 160×45 terminal, with the sandbox's private dirs.
pub fn console(sandbox: &Sandbox, cluster: &Cluster, extra: &[&str]) -> PtySession {
    console_with_env(sandbox, cluster, extra, &[])
}

/// [`console`] with extra environment variables.
pub fn console_with_env(
    sandbox: &Sandbox,
    cluster: &Cluster,
    extra: &[&str],
    more_env: &[(&str, &str)],
) -> PtySession {
    let mut env = sandbox.env();
    env.extend(more_env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let kubeconfig = cluster.kubeconfig_arg();
    let mut args = vec!["--kubeconfig", kubeconfig.as_str()];
    args.extend_from_slice(extra);
    let session = PtySession::spawn(super::kdeck(), &args, &super::env_refs(&env), 160, 45);
    assert!(
        session.wait_for(WAIT, |s| s.contains("fraud-detector")
            && s.contains("r2 10%")),
        "the services list did not load:\n{}",
        session.screen()
    );
    session
}

/// The line of the screen holding `needle`.
pub fn line_with<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(needle))
}
