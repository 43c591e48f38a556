//! What `config.toml` can set, as plain data with its defaults: the settings State holds and
//! update reads. Reading and checking the file is `config`'s job.

use std::collections::BTreeMap;
use std::time::Duration;

/// Settings for one kubeconfig context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextConfig {
    /// A protected context gets a red frame and confirmation asks to type the service name.
    pub protected: bool,
    /// No mutating action is allowed in this context.
    pub readonly: bool,
}

/// Everything `config.toml` can set, with defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub theme: Option<String>,
    pub readonly: bool,
    pub log_buffer_lines: usize,
    pub metrics_interval: Duration,
    pub prometheus_url: Option<String>,
    pub gpu_interval: Duration,
    pub dcgm_selectors: Vec<String>,
    pub prices: BTreeMap<String, f64>,
    pub contexts: BTreeMap<String, ContextConfig>,
    /// Guard every canary (not only those switched on with the guard key).
    pub guard_all: bool,
    pub guard: crate::domain::guard::GuardConfig,
    /// `[api]`: deadlines of API requests and credential plugin runs.
    pub api: crate::domain::api_health::ApiTimeouts,
    /// Set when the safety settings cannot be trusted; `readonly` is then true as well.
    pub safety_lock: Option<SafetyLock>,
    /// Namespaces for the keys 1–9 (`namespaces = ["ml-prod", "llm"]`); empty: the
    /// namespaces seen, in name order.
    pub namespace_favourites: Vec<String>,
    /// When a canary counts as worse than its stable revision (`[canary]`).
    pub canary: crate::domain::canary::CanaryThresholds,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            theme: None,
            readonly: false,
            log_buffer_lines: 20_000,
            metrics_interval: Duration::from_secs(5),
            prometheus_url: None,
            gpu_interval: Duration::from_secs(1),
            dcgm_selectors: vec![
                "app=nvidia-dcgm-exporter".to_string(),
                "app.kubernetes.io/name=dcgm-exporter".to_string(),
            ],
            prices: BTreeMap::new(),
            contexts: BTreeMap::new(),
            guard_all: false,
            guard: crate::domain::guard::GuardConfig::default(),
            api: crate::domain::api_health::ApiTimeouts::default(),
            safety_lock: None,
            namespace_favourites: Vec::new(),
            canary: crate::domain::canary::CanaryThresholds::default(),
        }
    }
}

/// Why the safety settings cannot be trusted; while one is set, kdeck refuses every change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyLock {
    /// The problem, with file and line (`config.toml:5: …`).
    pub problem: String,
}

impl SafetyLock {
    /// What to tell the user wherever a change is refused.
    pub fn message(&self) -> String {
        format!(
            "read-only: the config's safety settings cannot be trusted ({}); fix the file \
             (`kdeck config check` lists every problem) to allow changes",
            self.problem
        )
    }
}
