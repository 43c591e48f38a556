//! User configuration: `config.toml`, the keymap and themes. Problems in user files become
//! warnings shown in the UI (with file and key); kdeck always starts with defaults for
//! anything it cannot read.

pub mod keymap;
pub mod keys;
pub mod paths;
pub mod reader;
pub mod theme;
pub mod warning;

use reader::TableReader;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use warning::ConfigWarning;

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
            canary: crate::domain::canary::CanaryThresholds::default(),
        }
    }
}

/// The config and what was wrong with the file, if anything.
#[derive(Debug, Clone, Default)]
pub struct LoadedConfig {
    pub config: Config,
    pub path: Option<PathBuf>,
    pub warnings: Vec<ConfigWarning>,
}

/// Loads `explicit` (from `--config`) or the default config file. A missing default file is
/// normal; a missing explicit file is a warning.
pub fn load(explicit: Option<&Path>) -> LoadedConfig {
    let path = explicit.map(Path::to_path_buf).or_else(paths::config_file);
    let Some(path) = path else {
        return LoadedConfig::default();
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let (config, warnings) = parse(&path.display().to_string(), &text);
            LoadedConfig {
                config,
                path: Some(path),
                warnings,
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
            LoadedConfig::default()
        }
        Err(err) => LoadedConfig {
            config: Config::default(),
            warnings: vec![ConfigWarning::new(
                path.display().to_string(),
                None,
                format!("cannot read the config file ({err}); using defaults"),
            )],
            path: Some(path),
        },
    }
}

/// Parses config text; every problem is a warning and leaves that setting at its default.
pub fn parse(file: &str, text: &str) -> (Config, Vec<ConfigWarning>) {
    let mut warnings = Vec::new();
    let mut config = Config::default();
    let table: toml::Table = match toml::from_str(text) {
        Ok(table) => table,
        Err(err) => {
            warnings.push(ConfigWarning::new(
                file,
                None,
                format!("not valid TOML, using defaults: {}", err.message()),
            ));
            return (config, warnings);
        }
    };
    let mut top = TableReader::new(file, "", table, &mut warnings);
    config.theme = top.string("theme");
    if let Some(readonly) = top.bool("readonly") {
        config.readonly = readonly;
    }
    if let Some(mut logs) = top.section("logs") {
        if let Some(lines) = logs.positive_usize("buffer_lines") {
            config.log_buffer_lines = lines;
        }
        logs.finish();
    }
    if let Some(mut metrics) = top.section("metrics") {
        if let Some(interval) = metrics.duration("interval") {
            config.metrics_interval = interval;
        }
        config.prometheus_url = metrics.string("prometheus_url");
        metrics.finish();
    }
    if let Some(mut gpu) = top.section("gpu") {
        if let Some(interval) = gpu.duration("interval") {
            config.gpu_interval = interval;
        }
        if let Some(selectors) = gpu.string_list("dcgm_selectors") {
            config.dcgm_selectors = selectors;
        }
        gpu.finish();
    }
    if let Some(mut guard) = top.section("guard") {
        if let Some(all) = guard.bool("all_canaries") {
            config.guard_all = all;
        }
        if let Some(ms) = guard.non_negative_f64("p99_ms") {
            config.guard.p99_ms = ms;
        }
        if let Some(pct) = guard.non_negative_f64("error_percent") {
            config.guard.error_ratio = pct / 100.0;
        }
        if let Some(n) = guard.positive_usize("intervals") {
            config.guard.intervals = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some(auto) = guard.bool("auto_rollback") {
            config.guard.auto_rollback = auto;
        }
        guard.finish();
    }
    if let Some(mut canary) = top.section("canary") {
        if let Some(pct) = canary.non_negative_f64("error_percent") {
            config.canary.error_ratio = pct / 100.0;
        }
        if let Some(f) = canary.non_negative_f64("error_factor") {
            config.canary.error_factor = f;
        }
        if let Some(f) = canary.non_negative_f64("p99_factor") {
            config.canary.p99_factor = f;
        }
        if let Some(ms) = canary.non_negative_f64("p99_floor_ms") {
            config.canary.p99_floor_ms = ms;
        }
        canary.finish();
    }
    if let Some(mut prices) = top.section("prices") {
        for key in prices.keys() {
            if let Some(price) = prices.non_negative_f64(&key) {
                config.prices.insert(key, price);
            }
        }
        prices.finish();
    }
    if let Some(mut contexts) = top.section("contexts") {
        for name in contexts.keys() {
            if let Some(mut ctx) = contexts.section(&name) {
                let mut entry = ContextConfig::default();
                if let Some(protected) = ctx.bool("protected") {
                    entry.protected = protected;
                }
                if let Some(readonly) = ctx.bool("readonly") {
                    entry.readonly = readonly;
                }
                ctx.finish();
                config.contexts.insert(name, entry);
            }
        }
        contexts.finish();
    }
    top.finish();
    (config, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_config_parses_without_warnings() {
        let text = r#"
theme = "light"
readonly = true
[logs]
buffer_lines = 5000
[metrics]
interval = "10s"
prometheus_url = "http://prometheus.monitoring:9090"
[gpu]
interval = "500ms"
dcgm_selectors = ["app=dcgm"]
[prices]
"g5.xlarge" = 0.9
[contexts.prod]
protected = true
[guard]
all_canaries = true
p99_ms = 800
error_percent = 5
intervals = 2
auto_rollback = true
[canary]
error_percent = 2
error_factor = 3
p99_factor = 2
p99_floor_ms = 250
"#;
        let (config, warnings) = parse("config.toml", text);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(config.guard_all);
        assert_eq!(config.guard.p99_ms, 800.0);
        assert_eq!(config.guard.error_ratio, 0.05);
        assert_eq!(config.guard.intervals, 2);
        assert!(config.guard.auto_rollback);
        assert_eq!(
            config.canary,
            crate::domain::canary::CanaryThresholds {
                error_ratio: 0.02,
                error_factor: 3.0,
                p99_factor: 2.0,
                p99_floor_ms: 250.0,
            }
        );
        assert_eq!(config.theme.as_deref(), Some("light"));
        assert!(config.readonly);
        assert_eq!(config.log_buffer_lines, 5000);
        assert_eq!(config.metrics_interval, Duration::from_secs(10));
        assert_eq!(config.gpu_interval, Duration::from_millis(500));
        assert_eq!(config.dcgm_selectors, vec!["app=dcgm"]);
        assert_eq!(config.prices.get("g5.xlarge"), Some(&0.9));
        assert!(config.contexts["prod"].protected);
    }

    #[test]
    fn bad_values_and_unknown_keys_are_warnings_with_file_and_key() {
        let text = r#"
readonly = "yes"
colour = "blue"
[logs]
buffer_lines = -3
[gpu]
interval = "soon"
[prices]
"g5.xlarge" = "cheap"
[contexts.prod]
protected = true
protect = true
"#;
        let (config, warnings) = parse("config.toml", text);
        let text: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        let has = |needle: &str| text.iter().any(|w| w.contains(needle));
        assert!(has("config.toml: readonly:"), "{text:?}");
        assert!(has("config.toml: colour: unknown setting"), "{text:?}");
        assert!(has("logs.buffer_lines"), "{text:?}");
        assert!(has("gpu.interval"), "{text:?}");
        assert!(has("prices.g5.xlarge"), "{text:?}");
        assert!(has("contexts.prod.protect: unknown setting"), "{text:?}");
        assert_eq!(config.log_buffer_lines, 20_000);
        assert!(!config.readonly);
        assert!(config.contexts["prod"].protected);
    }

    #[test]
    fn broken_toml_gives_defaults_and_one_warning() {
        let (config, warnings) = parse("config.toml", "theme = ");
        assert_eq!(config, Config::default());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn a_missing_explicit_file_is_a_warning() {
        let loaded = load(Some(Path::new("/nonexistent/kdeck.toml")));
        assert_eq!(loaded.warnings.len(), 1);
        assert!(loaded.warnings[0].message.contains("cannot read"));
    }
}
