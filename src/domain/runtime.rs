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

    fn shared(path: &str) -> Vec<Value> {
        let text =
            std::fs::read_to_string(crate::domain::fixtures::shared_dir().join(path)).unwrap();
        serde_yaml::Deserializer::from_str(&text)
            .map(|d| serde::Deserialize::deserialize(d).unwrap())
            .collect()
    }

    #[test]
    fn shipped_runtimes_and_graphs_parse() {
        let rt = &shared("kserve/runtimes/kserve-sklearnserver.yaml")[0];
        let r = Runtime::parse(rt, true);
        assert!(
            r.formats.contains(&"sklearn".to_string()),
            "{:?}",
            r.formats
        );
        assert!(!r.protocols.is_empty());
        for file in ["splitter", "sequence", "switch"] {
            let docs = shared(&format!("kserve/graph/{file}.yaml"));
            let graph = docs
                .iter()
                .find(|d| str_at(d, &["kind"]) == Some("InferenceGraph"))
                .unwrap();
            let g = Graph::parse(graph);
            assert!(!g.root_router.is_empty(), "{file}");
            assert!(!g.targets.is_empty(), "{file}");
        }
    }
}
