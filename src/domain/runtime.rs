//! ServingRuntime / ClusterServingRuntime and InferenceGraph (`serving.kserve.io/v1alpha1`,
//! FACTS.md §e), compactly.

use super::json::{array_at, bool_at, str_at};
use super::k8s::{CondStatus, Meta, conditions, find};
use serde_json::Value;

/// A (Cluster)ServingRuntime.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Runtime {
    pub meta: Meta,
    pub cluster_scoped: bool,
    pub formats: Vec<String>,
    pub protocols: Vec<String>,
    pub image: String,
    pub disabled: bool,
    pub multi_model: bool,
}

impl Runtime {
    pub fn parse(value: &Value, cluster_scoped: bool) -> Runtime {
        let list = |path: &[&str], key: Option<&str>| -> Vec<String> {
            array_at(value, path)
                .iter()
                .filter_map(|v| match key {
                    Some(k) => str_at(v, &[k]),
                    None => v.as_str(),
                })
                .map(str::to_string)
                .collect()
        };
        Runtime {
            meta: Meta::parse(value),
            cluster_scoped,
            formats: list(&["spec", "supportedModelFormats"], Some("name")),
            protocols: list(&["spec", "protocolVersions"], None),
            image: array_at(value, &["spec", "containers"])
                .first()
                .and_then(|c| str_at(c, &["image"]))
                .unwrap_or("")
                .to_string(),
            disabled: bool_at(value, &["spec", "disabled"]).unwrap_or(false),
            multi_model: bool_at(value, &["spec", "multiModel"]).unwrap_or(false),
        }
    }
}

/// An InferenceGraph.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Graph {
    pub meta: Meta,
    pub root_router: String,
    pub nodes: usize,
    /// What the graph's steps call: InferenceService names, or URLs for `serviceUrl` steps.
    pub targets: Vec<String>,
    pub ready: Option<bool>,
    pub url: Option<String>,
}

impl Graph {
    pub fn parse(value: &Value) -> Graph {
        let nodes = super::json::at(value, &["spec", "nodes"]).and_then(Value::as_object);
        let mut targets: Vec<String> = nodes
            .map(|m| {
                m.values()
                    .flat_map(|n| array_at(n, &["steps"]))
                    .filter_map(|s| {
                        str_at(s, &["serviceName"])
                            .or_else(|| str_at(s, &["serviceUrl"]))
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
        targets.sort();
        targets.dedup();
        let conds = conditions(value, &["status", "conditions"]);
        Graph {
            meta: Meta::parse(value),
            root_router: nodes
                .and_then(|m| m.get("root"))
                .and_then(|r| str_at(r, &["routerType"]))
                .unwrap_or("")
                .to_string(),
            nodes: nodes.map(|m| m.len()).unwrap_or(0),
            targets,
            ready: find(&conds, "Ready").map(|c| c.status == CondStatus::True),
            url: str_at(value, &["status", "url"]).map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documents of one of the repository's KServe-shaped fixtures.
    fn fixture(path: &str) -> Vec<Value> {
        let path = format!(
            "{}/tests/fixtures/kserve/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        serde_norway::Deserializer::from_str(&text)
            .map(|d| serde::Deserialize::deserialize(d).unwrap())
            .collect()
    }

    #[test]
    fn kserve_shaped_runtimes_parse_to_their_fields() {
        let r = Runtime::parse(&fixture("runtimes/sklearn-cluster-runtime.yaml")[0], true);
        assert_eq!(r.meta.name, "example-sklearnserver");
        assert_eq!(r.formats, ["sklearn"]);
        assert_eq!(r.protocols, ["v1", "v2"]);
        assert_eq!(r.image, "registry.example/sklearnserver:0.20.0");
        assert!(!r.disabled && !r.multi_model);
        let r = Runtime::parse(
            &fixture("runtimes/huggingface-cluster-runtime.yaml")[0],
            true,
        );
        assert_eq!(
            (r.formats.as_slice(), r.protocols.as_slice()),
            (
                &["huggingface".to_string()][..],
                &["v2".to_string(), "v1".to_string()][..]
            )
        );
        let r = Runtime::parse(
            &fixture("runtimes/xgboost-namespaced-runtime.yaml")[0],
            false,
        );
        assert_eq!(r.meta.namespace, "team-a");
        assert!(r.disabled && r.multi_model && !r.cluster_scoped);
    }

    #[test]
    fn kserve_shaped_graphs_parse_to_their_routers_and_targets() {
        for (file, router, targets) in [
            ("splitter", "Splitter", vec!["churn-a", "churn-b"]),
            (
                "sequence",
                "Sequence",
                vec!["features-sklearn", "scorer-xgb"],
            ),
            (
                "switch",
                "Switch",
                vec![
                    "http://route-large.default.{$your-domain}/switch",
                    "http://route-small.default.{$your-domain}/switch",
                    "http://route-text.default.{$your-domain}/switch",
                ],
            ),
        ] {
            let docs = fixture(&format!("graph/{file}.yaml"));
            let graph = docs
                .iter()
                .find(|d| str_at(d, &["kind"]) == Some("InferenceGraph"))
                .unwrap();
            let g = Graph::parse(graph);
            assert_eq!(g.root_router, router, "{file}");
            assert_eq!(g.targets, targets, "{file}");
            assert_eq!(g.nodes, 1, "{file}");
        }
    }
}
