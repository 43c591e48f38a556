//! User configuration: `config.toml`, the keymap and themes. Problems in user files become
//! warnings shown in the UI (with file, line and key); kdeck always starts with defaults for
//! anything it cannot read — but it fails closed on safety: a file that cannot be read whole
//! or a safety setting of the wrong type makes it read-only ([`safety::SafetyLock`]).

pub mod paths;
// The keymap, key names and warnings are pure vocabulary that State holds: they live in domain
// and keep their paths here.
pub use crate::domain::config_warning as warning;
pub use crate::domain::key_spec as keys;
pub use crate::domain::keymap;
pub use crate::domain::settings::{Config, ContextConfig};
pub mod reader;
pub mod safety;
pub mod slot;
pub mod theme;

use reader::TableReader;
use safety::SafetyLock;
use std::path::{Path, PathBuf};
use warning::ConfigWarning;

/// The config and what was wrong with the file, if anything.
#[derive(Debug, Clone, Default)]
pub struct LoadedConfig {
    pub config: Config,
    pub path: Option<PathBuf>,
    pub warnings: Vec<ConfigWarning>,
}

/// Loads `explicit` (from `--config`) or the default config file. A missing default file is
/// normal; a file that exists (or was named with `--config`) but cannot be read locks the
/// safety settings: kdeck is read-only.
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
        Err(err) => {
            let warning = ConfigWarning::new(
                path.display().to_string(),
                None,
                format!("cannot read the config file ({err}); using defaults, read-only"),
            );
            let mut config = Config::default();
            lock(&mut config, &warning);
            LoadedConfig {
                config,
                warnings: vec![warning],
                path: Some(path),
            }
        }
    }
}

/// Makes `config` read-only because of `problem` (the first problem is the one named).
fn lock(config: &mut Config, problem: &ConfigWarning) {
    config.readonly = true;
    if config.safety_lock.is_none() {
        config.safety_lock = Some(SafetyLock {
            problem: problem.to_string(),
        });
    }
}

/// Parses config text; every problem is a warning (with its line) and leaves that setting at
/// its default. A syntax error anywhere, or a problem with a safety setting, makes the
/// config read-only.
pub fn parse(file: &str, text: &str) -> (Config, Vec<ConfigWarning>) {
    let (mut config, mut warnings) = parse_values(file, text);
    for warning in &mut warnings {
        if warning.line.is_none() {
            warning.line = warning
                .key
                .as_deref()
                .and_then(|key| safety::line_of_key(text, key));
        }
    }
    let unsafe_problem = warnings
        .iter()
        .find(|w| w.key.is_none() || w.key.as_deref().is_some_and(safety::is_safety_key));
    if let Some(problem) = unsafe_problem.cloned() {
        lock(&mut config, &problem);
    }
    (config, warnings)
}

fn parse_values(file: &str, text: &str) -> (Config, Vec<ConfigWarning>) {
    let mut warnings = Vec::new();
    let mut config = Config::default();
    let table: toml::Table = match toml::from_str(text) {
        Ok(table) => table,
        Err(err) => {
            let mut warning = ConfigWarning::new(
                file,
                None,
                format!(
                    "not valid TOML ({}); using the defaults",
                    err.message().trim()
                ),
            );
            warning.line = err
                .span()
                .map(|span| safety::line_of_offset(text, span.start));
            warnings.push(warning);
            return (config, warnings);
        }
    };
    let mut top = TableReader::new(file, "", table, &mut warnings);
    config.theme = top.string("theme");
    if let Some(readonly) = top.bool("readonly") {
        config.readonly = readonly;
    }
    if let Some(favourites) = top.string_list("namespaces") {
        config.namespace_favourites = favourites;
    }
    read_sources(&mut top, &mut config);
    read_guard(&mut top, &mut config);
    read_api(&mut top, &mut config);
    read_canary(&mut top, &mut config);
    if let Some(mut prices) = top.section("prices") {
        for key in prices.keys() {
            if let Some(price) = prices.non_negative_f64(&key) {
                config.prices.insert(key, price);
            }
        }
        prices.finish();
    }
    read_contexts(&mut top, &mut config);
    top.finish();
    (config, warnings)
}

/// `[logs]`, `[metrics]`, `[gpu]`: buffer size, scrape intervals, Prometheus, DCGM.
fn read_sources(top: &mut TableReader, config: &mut Config) {
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
}

/// `[guard]`: the canary guard's thresholds and whether it rolls back by itself.
fn read_guard(top: &mut TableReader, config: &mut Config) {
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
}

/// `[api]`: the request and credential-plugin deadlines.
fn read_api(top: &mut TableReader, config: &mut Config) {
    if let Some(mut api) = top.section("api") {
        if let Some(timeout) = api.duration("request_timeout") {
            config.api.request = timeout;
        }
        if let Some(timeout) = api.duration("exec_timeout") {
            config.api.exec_plugin = timeout;
        }
        api.finish();
    }
}

/// `[canary]`: when a canary counts as failing against its stable revision.
fn read_canary(top: &mut TableReader, config: &mut Config) {
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
        if let Some(ms) = canary.non_negative_f64("ttft_p99_ms") {
            config.canary.ttft_p99_ms = ms;
        }
        if let Some(rate) = canary.non_negative_f64("preemptions_per_s") {
            config.canary.preemptions_per_s = rate;
        }
        canary.finish();
    }
}

/// `[contexts.NAME]`: protected and read-only contexts.
fn read_contexts(top: &mut TableReader, config: &mut Config) {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_full_config_parses_without_warnings() {
        let text = r#"
theme = "light"
readonly = true
namespaces = ["ml-prod", "llm"]
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
ttft_p99_ms = 1500
preemptions_per_s = 0.5
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
                ttft_p99_ms: 1500.0,
                preemptions_per_s: 0.5,
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
        assert_eq!(config.namespace_favourites, vec!["ml-prod", "llm"]);
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
        assert!(has("config.toml:2: readonly:"), "{text:?}");
        assert!(has("config.toml:3: colour: unknown setting"), "{text:?}");
        assert!(has("logs.buffer_lines"), "{text:?}");
        assert!(has("gpu.interval"), "{text:?}");
        assert!(has("prices.g5.xlarge"), "{text:?}");
        assert!(has("contexts.prod.protect: unknown setting"), "{text:?}");
        assert_eq!(config.log_buffer_lines, 20_000);
        // A safety setting of the wrong type fails closed: read-only, naming the line.
        assert!(config.readonly);
        let lock = config.safety_lock.expect("locked");
        assert!(lock.problem.contains("config.toml:2: readonly"), "{lock:?}");
        assert!(config.contexts["prod"].protected);
    }

    #[test]
    fn a_wrong_type_or_a_typo_in_a_context_locks_too() {
        for text in [
            "readonly = \"true\"\n",
            "[contexts.prod]\nprotected = \"yes\"\n",
            "[contexts.prod]\nprotect = true\n",
            "contexts = 1\n",
        ] {
            let (config, _) = parse("config.toml", text);
            assert!(config.readonly && config.safety_lock.is_some(), "{text}");
        }
        let (config, warnings) = parse("config.toml", "[logs]\nbuffer_lines = -3\n");
        assert!(!config.readonly && config.safety_lock.is_none());
        assert_eq!(warnings[0].line, Some(2));
    }

    #[test]
    fn a_syntax_error_anywhere_keeps_readonly_on_and_names_the_line() {
        let text = "readonly = true\n[logs]\nbuffer_lines = 5000x\n";
        let (config, warnings) = parse("config.toml", text);
        assert!(config.readonly);
        let lock = config.safety_lock.expect("locked");
        assert!(
            lock.problem.starts_with("config.toml:3: not valid TOML"),
            "{lock:?}"
        );
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn broken_toml_gives_defaults_and_one_warning() {
        let (config, warnings) = parse("config.toml", "theme = ");
        assert_eq!(config.log_buffer_lines, Config::default().log_buffer_lines);
        assert!(config.readonly && config.safety_lock.is_some());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn a_missing_explicit_file_is_a_warning() {
        let loaded = load(Some(Path::new("/nonexistent/kdeck.toml")));
        assert_eq!(loaded.warnings.len(), 1);
        assert!(loaded.warnings[0].message.contains("cannot read"));
        assert!(loaded.config.readonly && loaded.config.safety_lock.is_some());
    }
}
