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
    out
}
