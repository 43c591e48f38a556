//! The registry of resource kinds the console watches: API coordinates and how an object of
//! each kind becomes a compact row. Adding a kind touches this registry and one view.

use super::event::Event;
use super::isvc::Isvc;
use super::node::Node;
use super::pod::Pod;
use super::runtime::{Graph, Runtime};
use serde_json::Value;

/// A watched kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    InferenceService,
    ServingRuntime,
    ClusterServingRuntime,
    InferenceGraph,
    LlmInferenceService,
    TrainedModel,
    Pod,
    Node,
    Event,
    Namespace,
}

/// Where a kind lives in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    pub kind: Kind,
    pub group: &'static str,
    pub version: &'static str,
    pub api_kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
    /// Only watched when the cluster serves KServe's API group.
    pub kserve: bool,
}

/// Every watched kind, in the order watchers start (the services list first).
pub const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: Kind::InferenceService,
        group: "serving.kserve.io",
        version: "v1beta1",
        api_kind: "InferenceService",
        plural: "inferenceservices",
        namespaced: true,
        kserve: true,
    },
    KindSpec {
        kind: Kind::Pod,
        group: "",
        version: "v1",
        api_kind: "Pod",
        plural: "pods",
        namespaced: true,
        kserve: false,
    },
    KindSpec {
        kind: Kind::Node,
        group: "",
        version: "v1",
        api_kind: "Node",
        plural: "nodes",
        namespaced: false,
        kserve: false,
    },
    KindSpec {
        kind: Kind::Event,
        group: "",
        version: "v1",
        api_kind: "Event",
        plural: "events",
        namespaced: true,
        kserve: false,
    },
    KindSpec {
        kind: Kind::ServingRuntime,
        group: "serving.kserve.io",
        version: "v1alpha1",
        api_kind: "ServingRuntime",
        plural: "servingruntimes",
        namespaced: true,
        kserve: true,
    },
    KindSpec {
        kind: Kind::ClusterServingRuntime,
        group: "serving.kserve.io",
        version: "v1alpha1",
        api_kind: "ClusterServingRuntime",
        plural: "clusterservingruntimes",
        namespaced: false,
        kserve: true,
    },
    KindSpec {
        kind: Kind::InferenceGraph,
        group: "serving.kserve.io",
        version: "v1alpha1",
        api_kind: "InferenceGraph",
        plural: "inferencegraphs",
        namespaced: true,
        kserve: true,
    },
    KindSpec {
        kind: Kind::LlmInferenceService,
        group: "serving.kserve.io",
        version: "v1alpha1",
        api_kind: "LLMInferenceService",
        plural: "llminferenceservices",
        namespaced: true,
        kserve: true,
    },
    KindSpec {
        kind: Kind::TrainedModel,
        group: "serving.kserve.io",
        version: "v1alpha1",
        api_kind: "TrainedModel",
        plural: "trainedmodels",
        namespaced: true,
        kserve: true,
    },
    KindSpec {
        kind: Kind::Namespace,
        group: "",
        version: "v1",
        api_kind: "Namespace",
        plural: "namespaces",
        namespaced: false,
        kserve: false,
    },
];

impl Kind {
    pub fn spec(self) -> &'static KindSpec {
        KINDS.iter().find(|s| s.kind == self).unwrap_or(&KINDS[0])
    }

    /// The plural name, as in error messages ("cannot list inferenceservices").
    pub fn plural(self) -> &'static str {
        self.spec().plural
    }
}

/// One object of any watched kind, in its compact form.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterObject {
    Isvc(Box<Isvc>),
    Pod(Box<Pod>),
    Node(Box<Node>),
    Event(Box<Event>),
    Runtime(Box<Runtime>),
    Graph(Box<Graph>),
    /// An LLMInferenceService (see `domain::llm`).
    Llm(Box<super::llm::Llm>),
    /// A TrainedModel (see `domain::trained`).
    Trained(Box<super::trained::TrainedModel>),
    Namespace(String),
}

/// Parses an object of `kind` from its JSON. Never fails (see each kind's parser).
pub fn parse(kind: Kind, value: &Value) -> ClusterObject {
    match kind {
        Kind::InferenceService => ClusterObject::Isvc(Box::new(Isvc::parse(value))),
        Kind::Pod => ClusterObject::Pod(Box::new(Pod::parse(value))),
        Kind::Node => ClusterObject::Node(Box::new(Node::parse(value))),
        Kind::Event => ClusterObject::Event(Box::new(Event::parse(value))),
        Kind::ServingRuntime => ClusterObject::Runtime(Box::new(Runtime::parse(value, false))),
        Kind::ClusterServingRuntime => {
            ClusterObject::Runtime(Box::new(Runtime::parse(value, true)))
        }
        Kind::InferenceGraph => ClusterObject::Graph(Box::new(Graph::parse(value))),
        Kind::LlmInferenceService => ClusterObject::Llm(Box::new(super::llm::Llm::parse(value))),
        Kind::TrainedModel => {
            ClusterObject::Trained(Box::new(super::trained::TrainedModel::parse(value)))
        }
        Kind::Namespace => ClusterObject::Namespace(
            super::json::str_at(value, &["metadata", "name"])
                .unwrap_or("")
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_complete() {
        for kind in [
            Kind::InferenceService,
            Kind::ServingRuntime,
            Kind::ClusterServingRuntime,
            Kind::InferenceGraph,
            Kind::LlmInferenceService,
            Kind::TrainedModel,
            Kind::Pod,
            Kind::Node,
            Kind::Event,
            Kind::Namespace,
        ] {
            assert_eq!(kind.spec().kind, kind);
        }
    }
}
