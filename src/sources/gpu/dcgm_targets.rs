//! Which pods are DCGM exporters: label selectors (any one matching is enough), an optional
//! namespace, and the scrape settings. Pure; the scraper uses it each round on the caller's
//! current pod list.

use k8s_openapi::api::core::v1::Pod;
use std::time::Duration;

/// The exporters' default label selectors: the GPU operator's and the Helm chart's.
pub const DEFAULT_SELECTORS: [&str; 2] = [
    "app=nvidia-dcgm-exporter",
    "app.kubernetes.io/name=dcgm-exporter",
];

/// Why an exporter selector (from the config file) was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExporterSelectorError {
    #[error("label selector term `{term}` is not key=value (in `{text}`)")]
    NotKeyValue { term: String, text: String },
    #[error("label selector term `{term}` is not key=value; only equality is supported")]
    NotEquality { term: String },
    #[error("label selector `{0}` is empty")]
    Empty(String),
}

/// An equality-based label selector such as `app=nvidia-dcgm-exporter,tier=gpu`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSelector(pub Vec<(String, String)>);

impl LabelSelector {
    /// Parses `key=value[,key=value…]`; `key==value` is accepted too.
    pub fn parse(text: &str) -> Result<LabelSelector, ExporterSelectorError> {
        let mut terms = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (key, value) = term
                .split_once("==")
                .or_else(|| term.split_once('='))
                .ok_or_else(|| ExporterSelectorError::NotKeyValue {
                    term: term.to_string(),
                    text: text.to_string(),
                })?;
            let (key, value) = (key.trim(), value.trim());
            if key.is_empty() || key.ends_with('!') {
                return Err(ExporterSelectorError::NotEquality {
                    term: term.to_string(),
                });
            }
            terms.push((key.to_string(), value.to_string()));
        }
        if terms.is_empty() {
            return Err(ExporterSelectorError::Empty(text.to_string()));
        }
        Ok(LabelSelector(terms))
    }

    /// Whether the pod's labels have every term.
    pub fn matches(&self, pod: &Pod) -> bool {
        let labels = pod.metadata.labels.as_ref();
        self.0
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
    }
}

/// Where and how often to scrape.
#[derive(Debug, Clone)]
pub struct DcgmScrapeConfig {
    /// A pod is an exporter when any selector matches it.
    pub selectors: Vec<LabelSelector>,
    /// Only this namespace; `None` for any.
    pub namespace: Option<String>,
    pub port: u16,
    pub path: String,
    pub interval: Duration,
    /// Per exporter, per round.
    pub timeout: Duration,
}

impl Default for DcgmScrapeConfig {
    fn default() -> Self {
        DcgmScrapeConfig {
            selectors: DEFAULT_SELECTORS
                .iter()
                .filter_map(|s| LabelSelector::parse(s).ok())
                .collect(),
            namespace: None,
            port: 9400,
            path: "/metrics".into(),
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
        }
    }
}

impl DcgmScrapeConfig {
    /// The defaults with the user's selectors (from the config file) instead of the default
    /// ones; selectors that do not parse become warnings. An empty list keeps the defaults.
    pub fn with_selectors(selectors: &[String]) -> (DcgmScrapeConfig, Vec<String>) {
        let mut config = DcgmScrapeConfig::default();
        let mut warnings = Vec::new();
        let parsed: Vec<LabelSelector> = selectors
            .iter()
            .filter_map(|s| match LabelSelector::parse(s) {
                Ok(sel) => Some(sel),
                Err(e) => {
                    warnings.push(format!("DCGM exporter selector ignored: {e}"));
                    None
                }
            })
            .collect();
        if !parsed.is_empty() {
            config.selectors = parsed;
        }
        (config, warnings)
    }
}

/// One exporter pod to scrape.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScrapeTarget {
    pub namespace: String,
    pub pod: String,
    /// The node it runs on, used as the host when the exporter sends no host label.
    pub node: Option<String>,
}

impl ScrapeTarget {
    /// `namespace/pod`.
    pub fn describe(&self) -> String {
        format!("{}/{}", self.namespace, self.pod)
    }
}

/// The exporter pods among `pods` that can be scraped now (running, not being deleted).
pub fn discover<'a>(
    pods: impl IntoIterator<Item = &'a Pod>,
    config: &DcgmScrapeConfig,
) -> Vec<ScrapeTarget> {
    let mut targets: Vec<ScrapeTarget> = pods
        .into_iter()
        .filter(|pod| config.selectors.iter().any(|s| s.matches(pod)))
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .filter(|pod| {
            let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
            phase.is_none_or(|p| p == "Running")
        })
        .filter_map(|pod| {
            let namespace = pod.metadata.namespace.clone()?;
            if config.namespace.as_ref().is_some_and(|ns| *ns != namespace) {
                return None;
            }
            Some(ScrapeTarget {
                namespace,
                pod: pod.metadata.name.clone()?,
                node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            })
        })
        .collect();
    targets.sort();
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(ns: &str, name: &str, labels: &[(&str, &str)], phase: &str) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {
                "namespace": ns,
                "name": name,
                "labels": labels.iter().map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            },
            "spec": {"nodeName": "gpu-node-1", "containers": []},
            "status": {"phase": phase},
        }))
        .expect("a pod")
    }

    #[test]
    fn default_selectors_find_operator_and_helm_exporters() {
        let pods = [
            pod(
                "gpu-operator",
                "nvidia-dcgm-exporter-7xk2p",
                &[("app", "nvidia-dcgm-exporter")],
                "Running",
            ),
            pod(
                "monitoring",
                "dcgm-exporter-q9w4m",
                &[("app.kubernetes.io/name", "dcgm-exporter")],
                "Running",
            ),
            pod(
                "monitoring",
                "dcgm-exporter-pending",
                &[("app.kubernetes.io/name", "dcgm-exporter")],
                "Pending",
            ),
            pod("ml", "llm-predictor", &[("app", "llm")], "Running"),
        ];
        let targets = discover(&pods, &DcgmScrapeConfig::default());
        let names: Vec<String> = targets.iter().map(ScrapeTarget::describe).collect();
        assert_eq!(
            names,
            vec![
                "gpu-operator/nvidia-dcgm-exporter-7xk2p",
                "monitoring/dcgm-exporter-q9w4m"
            ]
        );
        assert_eq!(targets[0].node.as_deref(), Some("gpu-node-1"));

        let only_monitoring = DcgmScrapeConfig {
            namespace: Some("monitoring".into()),
            ..DcgmScrapeConfig::default()
        };
        assert_eq!(discover(&pods, &only_monitoring).len(), 1);
    }

    #[test]
    fn selectors_parse_and_bad_ones_become_warnings() {
        let sel = LabelSelector::parse("app=dcgm, tier==gpu").expect("valid");
        assert_eq!(sel.0.len(), 2);
        assert_eq!(
            LabelSelector::parse("app"),
            Err(ExporterSelectorError::NotKeyValue {
                term: "app".into(),
                text: "app".into()
            })
        );
        assert_eq!(
            LabelSelector::parse("app!=x"),
            Err(ExporterSelectorError::NotEquality {
                term: "app!=x".into()
            })
        );
        assert_eq!(
            LabelSelector::parse(" , "),
            Err(ExporterSelectorError::Empty(" , ".into()))
        );
        let (config, warnings) =
            DcgmScrapeConfig::with_selectors(&["app=mine".into(), "broken".into()]);
        assert_eq!(
            config.selectors,
            vec![LabelSelector(vec![("app".into(), "mine".into())])]
        );
        assert_eq!(
            warnings,
            vec![
                "DCGM exporter selector ignored: label selector term `broken` is not key=value \
                 (in `broken`)"
                    .to_string()
            ]
        );
    }

    #[test]
    fn selector_errors_say_what_is_wrong() {
        assert_eq!(
            ExporterSelectorError::NotKeyValue {
                term: "app".into(),
                text: "app,tier=gpu".into()
            }
            .to_string(),
            "label selector term `app` is not key=value (in `app,tier=gpu`)"
        );
        assert_eq!(
            ExporterSelectorError::NotEquality {
                term: "app!=x".into()
            }
            .to_string(),
            "label selector term `app!=x` is not key=value; only equality is supported"
        );
        assert_eq!(
            ExporterSelectorError::Empty(",".into()).to_string(),
            "label selector `,` is empty"
        );
    }
}
