//! The resource kinds the simulated API server serves: API coordinates, names, verbs, short
//! names and categories for discovery, subresources, and the printer columns kubectl shows.
//! KServe's columns follow its CRDs (FACTS.md §a; `kubectl get isvc` prints URL, READY,
//! PREV, LATEST, PREVROLLEDOUTREVISION, LATESTREADYREVISION, AGE).

/// One printer column: name, JSONPath (a small subset: `.a.b`, `[?(@.k=='v')]`), type.
#[derive(Debug, Clone, Copy)]
pub struct PrinterColumn {
    pub name: &'static str,
    pub json_path: &'static str,
    pub kind: &'static str,
    pub priority: u8,
}

/// A served resource.
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub verbs: &'static [&'static str],
    pub subresources: &'static [&'static str],
    /// Objects of this kind bump `metadata.generation` when their spec changes.
    pub has_spec_generation: bool,
    pub columns: &'static [PrinterColumn],
}

impl Resource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const AGE: PrinterColumn = PrinterColumn {
    name: "Age",
    json_path: ".metadata.creationTimestamp",
    kind: "date",
    priority: 0,
};

macro_rules! col {
    ($n:expr, $p:expr) => {
        PrinterColumn {
            name: $n,
            json_path: $p,
            kind: "string",
            priority: 0,
        }
    };
    ($n:expr, $p:expr, $k:expr) => {
        PrinterColumn {
            name: $n,
            json_path: $p,
            kind: $k,
            priority: 0,
        }
    };
}

/// LLMInferenceService's columns, as its CRD prints them.
const LLM_COLUMNS: &[PrinterColumn] = &[
    col!("URL", ".status.url"),
    col!("Ready", ".status.conditions[?(@.type=='Ready')].status"),
    col!("Reason", ".status.conditions[?(@.type=='Ready')].reason"),
    AGE,
];

/// Every served resource.
pub const RESOURCES: &[Resource] = &[
    Resource {
        group: "",
        version: "v1",
        kind: "Namespace",
        plural: "namespaces",
        singular: "namespace",
        namespaced: false,
        short_names: &["ns"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &["status"],
        has_spec_generation: false,
        columns: &[col!("Status", ".status.phase"), AGE],
    },
    Resource {
        group: "",
        version: "v1",
        kind: "Node",
        plural: "nodes",
        singular: "node",
        namespaced: false,
        short_names: &["no"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &["status", "proxy"],
        has_spec_generation: false,
        columns: &[],
    },
    Resource {
        group: "",
        version: "v1",
        kind: "Pod",
        plural: "pods",
        singular: "pod",
        namespaced: true,
        short_names: &["po"],
        categories: &["all"],
        verbs: ALL_VERBS,
        subresources: &["status", "log", "proxy"],
        has_spec_generation: false,
        columns: &[],
    },
    Resource {
        group: "",
        version: "v1",
        kind: "Service",
        plural: "services",
        singular: "service",
        namespaced: true,
        short_names: &["svc"],
        categories: &["all"],
        verbs: ALL_VERBS,
        subresources: &["status", "proxy"],
        has_spec_generation: false,
        columns: &[
            col!("Type", ".spec.type"),
            col!("Cluster-IP", ".spec.clusterIP"),
            AGE,
        ],
    },
    Resource {
        group: "",
        version: "v1",
        kind: "Event",
        plural: "events",
        singular: "event",
        namespaced: true,
        short_names: &["ev"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &[],
        has_spec_generation: false,
        columns: &[],
    },
    Resource {
        group: "",
        version: "v1",
        kind: "ConfigMap",
        plural: "configmaps",
        singular: "configmap",
        namespaced: true,
        short_names: &["cm"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &[],
        has_spec_generation: false,
        columns: &[AGE],
    },
    Resource {
        group: "apps",
        version: "v1",
        kind: "Deployment",
        plural: "deployments",
        singular: "deployment",
        namespaced: true,
        short_names: &["deploy"],
        categories: &["all"],
        verbs: ALL_VERBS,
        subresources: &["status", "scale"],
        has_spec_generation: true,
        columns: &[
            col!("Ready", ".status.readyReplicas"),
            col!("Up-to-date", ".status.updatedReplicas"),
            col!("Available", ".status.availableReplicas"),
            AGE,
        ],
    },
    Resource {
        group: "apps",
        version: "v1",
        kind: "ReplicaSet",
        plural: "replicasets",
        singular: "replicaset",
        namespaced: true,
        short_names: &["rs"],
        categories: &["all"],
        verbs: ALL_VERBS,
        subresources: &["status", "scale"],
        has_spec_generation: true,
        columns: &[
            col!("Desired", ".spec.replicas"),
            col!("Current", ".status.replicas"),
            col!("Ready", ".status.readyReplicas"),
            AGE,
        ],
    },
    Resource {
        group: "apiextensions.k8s.io",
        version: "v1",
        kind: "CustomResourceDefinition",
        plural: "customresourcedefinitions",
        singular: "customresourcedefinition",
        namespaced: false,
        short_names: &["crd", "crds"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &["status"],
        has_spec_generation: true,
        columns: &[col!("Created At", ".metadata.creationTimestamp")],
    },
    Resource {
        group: "serving.kserve.io",
        version: "v1alpha1",
        kind: "TrainedModel",
        plural: "trainedmodels",
        singular: "trainedmodel",
        namespaced: true,
        short_names: &["tm"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &["status"],
        has_spec_generation: true,
        columns: &[
            col!("URL", ".status.url"),
            col!("Ready", ".status.conditions[?(@.type=='Ready')].status"),
            AGE,
        ],
    },
    Resource {
        group: "authorization.k8s.io",
        version: "v1",
        kind: "SelfSubjectAccessReview",
        plural: "selfsubjectaccessreviews",
        singular: "selfsubjectaccessreview",
        namespaced: false,
        short_names: &[],
        categories: &[],
        verbs: &["create"],
        subresources: &[],
        has_spec_generation: false,
        columns: &[],
    },
    Resource {
        group: "serving.kserve.io",
        version: "v1beta1",
        kind: "InferenceService",
        plural: "inferenceservices",
        singular: "inferenceservice",
        namespaced: true,
        short_names: &["isvc"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &["status"],
        has_spec_generation: true,
        columns: &[
            col!("URL", ".status.url"),
            col!("Ready", ".status.conditions[?(@.type=='Ready')].status"),
            col!(
                "Prev",
                ".status.components.predictor.traffic[?(@.tag=='prev')].percent",
                "integer"
            ),
            col!(
                "Latest",
                ".status.components.predictor.traffic[?(@.latestRevision==true)].percent",
                "integer"
            ),
            col!(
                "PrevRolledoutRevision",
                ".status.components.predictor.traffic[?(@.tag=='prev')].revisionName"
            ),
            col!(
                "LatestReadyRevision",
                ".status.components.predictor.traffic[?(@.latestRevision==true)].revisionName"
            ),
            AGE,
        ],
    },
    Resource {
        group: "serving.kserve.io",
        version: "v1alpha1",
        kind: "ServingRuntime",
        plural: "servingruntimes",
        singular: "servingruntime",
        namespaced: true,
        short_names: &[],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &[],
        has_spec_generation: true,
        columns: &[
            col!("Disabled", ".spec.disabled", "boolean"),
            col!("ModelType", ".spec.supportedModelFormats[*].name"),
            col!("Containers", ".spec.containers[*].name"),
            AGE,
        ],
    },
    Resource {
        group: "serving.kserve.io",
        version: "v1alpha1",
        kind: "ClusterServingRuntime",
        plural: "clusterservingruntimes",
        singular: "clusterservingruntime",
        namespaced: false,
        short_names: &[],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &[],
        has_spec_generation: true,
        columns: &[
            col!("Disabled", ".spec.disabled", "boolean"),
            col!("ModelType", ".spec.supportedModelFormats[*].name"),
            col!("Containers", ".spec.containers[*].name"),
            AGE,
        ],
    },
    Resource {
        group: "serving.kserve.io",
        version: "v1alpha1",
        kind: "InferenceGraph",
        plural: "inferencegraphs",
        singular: "inferencegraph",
        namespaced: true,
        short_names: &["ig"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &["status"],
        has_spec_generation: true,
        columns: &[
            col!("URL", ".status.url"),
            col!("Ready", ".status.conditions[?(@.type=='Ready')].status"),
            AGE,
        ],
    },
    Resource {
        group: "serving.kserve.io",
        version: "v1alpha2",
        kind: "LLMInferenceService",
        plural: "llminferenceservices",
        singular: "llminferenceservice",
        namespaced: true,
        short_names: &["llmisvc"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &["status"],
        has_spec_generation: true,
        columns: LLM_COLUMNS,
    },
    Resource {
        group: "serving.kserve.io",
        version: "v1alpha1",
        kind: "LLMInferenceService",
        plural: "llminferenceservices",
        singular: "llminferenceservice",
        namespaced: true,
        short_names: &["llmisvc"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &["status"],
        has_spec_generation: true,
        columns: LLM_COLUMNS,
    },
    Resource {
        group: "serving.kserve.io",
        version: "v1alpha1",
        kind: "LLMInferenceServiceConfig",
        plural: "llminferenceserviceconfigs",
        singular: "llminferenceserviceconfig",
        namespaced: true,
        short_names: &["llmisvcconfig"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &[],
        has_spec_generation: true,
        columns: &[AGE],
    },
    Resource {
        group: "inference.networking.k8s.io",
        version: "v1",
        kind: "InferencePool",
        plural: "inferencepools",
        singular: "inferencepool",
        namespaced: true,
        short_names: &["infpool"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &["status"],
        has_spec_generation: true,
        columns: &[AGE],
    },
    Resource {
        group: "gateway.networking.k8s.io",
        version: "v1",
        kind: "Gateway",
        plural: "gateways",
        singular: "gateway",
        namespaced: true,
        short_names: &["gtw"],
        categories: &["gateway-api"],
        verbs: ALL_VERBS,
        subresources: &["status"],
        has_spec_generation: true,
        columns: &[
            col!("Class", ".spec.gatewayClassName"),
            col!("Address", ".status.addresses[*].value"),
            col!(
                "Programmed",
                ".status.conditions[?(@.type=='Programmed')].status"
            ),
            AGE,
        ],
    },
    Resource {
        group: "gateway.networking.k8s.io",
        version: "v1",
        kind: "HTTPRoute",
        plural: "httproutes",
        singular: "httproute",
        namespaced: true,
        short_names: &[],
        categories: &["gateway-api"],
        verbs: ALL_VERBS,
        subresources: &["status"],
        has_spec_generation: true,
        columns: &[col!("Hostnames", ".spec.hostnames"), AGE],
    },
    Resource {
        group: "leaderworkerset.x-k8s.io",
        version: "v1",
        kind: "LeaderWorkerSet",
        plural: "leaderworkersets",
        singular: "leaderworkerset",
        namespaced: true,
        short_names: &["lws"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &["status", "scale"],
        has_spec_generation: true,
        columns: &[AGE],
    },
];

/// The resource with this group, version and plural.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The resource of an object's `apiVersion` and `kind`.
pub fn of_kind(api_version: &str, kind: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.api_version() == api_version && r.kind == kind)
}

/// Kubernetes' version priority: GA before beta before alpha, higher numbers first (as the
/// API server orders a group's versions; the first is the preferred one).
fn version_rank(v: &str) -> (u8, i64, i64) {
    let Some(rest) = v.strip_prefix('v') else {
        return (0, 0, 0);
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major = digits.parse::<i64>().unwrap_or(0);
    let tail = &rest[digits.len()..];
    let (level, minor) = if let Some(n) = tail.strip_prefix("beta") {
        (2, n.parse::<i64>().unwrap_or(0))
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (1, n.parse::<i64>().unwrap_or(0))
    } else if tail.is_empty() {
        (3, 0)
    } else {
        (0, 0)
    };
    (level, major, minor)
}

/// The version objects of this group and plural are stored as (the first listed), when the
/// resource is served in several versions.
pub fn storage_version(group: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural)
}

/// An object as the version `r` serves it: the same fields under `r`'s apiVersion (the
/// conversion between the versions this sim serves is the identity on what it models).
pub fn served_as<'a>(
    r: &Resource,
    obj: &'a serde_json::Value,
) -> std::borrow::Cow<'a, serde_json::Value> {
    let wanted = r.api_version();
    if obj["apiVersion"].as_str().is_none_or(|v| v == wanted) {
        return std::borrow::Cow::Borrowed(obj);
    }
    let mut converted = obj.clone();
    converted["apiVersion"] = serde_json::Value::String(wanted);
    std::borrow::Cow::Owned(converted)
}

/// The API groups served, with their versions (core group excluded), in a stable order.
pub fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        match out.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, versions)) => {
                if !versions.contains(&r.version) {
                    versions.push(r.version);
                }
            }
            None => out.push((r.group, vec![r.version])),
        }
    }
    for (_, versions) in out.iter_mut() {
        versions.sort_by_key(|v| std::cmp::Reverse(version_rank(v)));
    }
    out
}
