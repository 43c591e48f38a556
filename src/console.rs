//! Starting the interactive console: read config, keymap and theme (problems become
//! warnings), build the initial state, and run the app loop.

use crate::app::inbox::{self, Outbox};
use crate::app::msg::{GpuMsg, Msg};
use crate::app::run::{Launch, run};
use crate::app::runner::EffectRunner;
use crate::app::update::reconnect;
use crate::cli::Cli;
use crate::config::Config;
use crate::config::keymap::Keymap;
use crate::config::warning::ConfigWarning;
use crate::config::{self, paths, theme};
use crate::domain::cost::PriceTable;
use crate::domain::scope::NamespaceScope;
use crate::sources::gpu::dcgm_targets::DcgmScrapeConfig;
use crate::sources::gpu::{FnSink, SamplerConfig, SamplerHandle, spawn_nvml_sampler};
use crate::sources::kube::connect::KubeconfigSource;
use crate::state::State;
use crate::state::session::Session;
use crate::ui::color::ColorDepth;
use crate::ui::symbols::Symbols;
use crate::ui::theme::Theme;
use std::sync::Arc;

/// Reads the environment variable `name`.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Everything loaded from user files, with the problems found.
pub struct Settings {
    pub config: config::Config,
    pub keymap: Keymap,
    pub theme: Theme,
    pub warnings: Vec<ConfigWarning>,
}

/// Loads config, keymap and theme. Never fails: problems are returned as warnings.
pub fn load_settings(cli: &Cli) -> Settings {
    let loaded = config::load(cli.config.as_deref());
    let mut warnings = loaded.warnings;
    let user_keymap = paths::keymap_file().and_then(|p| {
        std::fs::read_to_string(&p)
            .ok()
            .map(|text| (p.display().to_string(), text))
    });
    let (keymap, keymap_warnings) =
        Keymap::load(user_keymap.as_ref().map(|(p, t)| (p.as_str(), t.as_str())));
    warnings.extend(keymap_warnings);
    let theme_name = cli
        .theme
        .clone()
        .or_else(|| loaded.config.theme.clone())
        .unwrap_or_else(|| "dark".to_string());
    let (spec, theme_warnings) = theme::load(&theme_name, paths::themes_dir().as_deref());
    warnings.extend(theme_warnings);
    let (theme, colour_warnings) =
        Theme::resolve(&spec, ColorDepth::detect(env), Symbols::detect(env));
    warnings.extend(colour_warnings);
    Settings {
        config: loaded.config,
        keymap,
        theme,
        warnings,
    }
}

/// The namespace scope the command line asks for.
pub fn namespace_scope(cli: &Cli) -> NamespaceScope {
    match &cli.namespace {
        Some(ns) => NamespaceScope::One(ns.clone()),
        None => NamespaceScope::All,
    }
}

/// Runs the interactive console.
pub async fn run_console(
    cli: &Cli,
    log: Result<std::path::PathBuf, crate::logging::LogError>,
) -> color_eyre::Result<()> {
    let mut settings = load_settings(cli);
    if let Some(url) = &cli.prometheus {
        settings.config.prometheus_url = Some(url.clone());
    }
    let mut warnings = settings.warnings;
    if let Err(problem) = log {
        warnings.push(ConfigWarning::new(
            "log file",
            None,
            format!("{problem}; logging is off"),
        ));
    }
    let (mut prices, price_problems) = PriceTable::shipped();
    let overrides = settings.config.prices.iter().map(|(k, v)| (k.as_str(), *v));
    for problem in price_problems
        .into_iter()
        .chain(prices.apply_overrides(overrides))
    {
        warnings.push(ConfigWarning::new("prices", None, problem));
    }
    let (_, selector_problems) = DcgmScrapeConfig::with_selectors(&settings.config.dcgm_selectors);
    for problem in selector_problems {
        warnings.push(ConfigWarning::new(
            "config",
            Some("gpu.dcgm_selectors"),
            problem,
        ));
    }
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    let session = Session {
        namespace: namespace_scope(cli),
        readonly: cli.readonly || settings.config.readonly,
        ..Session::default()
    };
    let config = Arc::new(settings.config);
    let mut state = State::new(
        settings.keymap,
        (*config).clone(),
        session,
        chrono::Utc::now(),
    );
    state.warnings = warnings;
    state.prices = Arc::new(prices);
    state.debug_panic_key = env("KDECK_DEBUG_PANIC_KEY").and_then(|k| k.chars().next());
    let (tx, rx) = inbox::channel();
    // The demo cluster lives as long as the console; it is reached over HTTP like any other.
    let demo = match cli.demo {
        true => Some(start_demo_cluster().await?),
        false => None,
    };
    let source = match (&demo, &cli.kubeconfig) {
        (Some(server), _) => KubeconfigSource::Inline(Box::new(server.kubeconfig()?)),
        (None, Some(path)) => KubeconfigSource::File(path.clone()),
        (None, None) => KubeconfigSource::Default,
    };
    let runner = EffectRunner::new(tx.clone(), source, config.clone());
    let _sampler = start_gpu_sampler(&config, tx.clone());
    let namespace = state.session.namespace.clone();
    let initial = reconnect(&mut state, cli.context.clone(), namespace);
    let theme = settings.theme;
    run(Launch {
        state,
        draw: Box::new(move |frame, state| crate::ui::draw(frame, state, &theme)),
        runner,
        tx,
        rx,
        initial,
    })
    .await?;
    // A change being written when the user quit (or SIGTERM came) finishes its audit
    // record first: write, read back, outcome line — each bounded by the request deadline.
    let request = crate::sources::kube::deadline::timeouts().request;
    crate::sources::kube::write::drain(request * 4).await;
    drop(demo);
    Ok(())
}

/// Starts the embedded simulated cluster of `--demo` on a free loopback port.
async fn start_demo_cluster() -> color_eyre::Result<crate::sim::SimServer> {
    crate::sim::SimServer::start(crate::sim::SimOptions::default())
        .await
        .map_err(|e| color_eyre::eyre::eyre!("cannot start the demo cluster: {e}"))
}

/// Starts the local NVML sampler on its own thread; its reports go to the inbox. Without
/// NVML it reports why once and ends. `KDECK_NVML_LIB` names a specific library.
fn start_gpu_sampler(config: &Config, tx: Outbox) -> Option<SamplerHandle> {
    let sampler_config = SamplerConfig {
        interval: config.gpu_interval,
        ..SamplerConfig::default()
    };
    let sink = FnSink(move |report| tx.blocking_send(Msg::Gpu(GpuMsg::Local(report))).is_ok());
    match spawn_nvml_sampler(std::env::var_os("KDECK_NVML_LIB"), sampler_config, sink) {
        Ok(handle) => Some(handle),
        Err(e) => {
            tracing::warn!("cannot start the GPU sampler thread: {e}");
            None
        }
    }
}
