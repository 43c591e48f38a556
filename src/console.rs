//! Starting the interactive console: read config, keymap and theme (problems become
//! warnings), build the initial state, and run the app loop.

use crate::app::inbox;
use crate::app::run::{Launch, run};
use crate::app::runner::EffectRunner;
use crate::app::update::reconnect;
use crate::cli::Cli;
use crate::config::keymap::Keymap;
use crate::config::warning::ConfigWarning;
use crate::config::{self, paths, theme};
use crate::sources::kube::connect::KubeconfigSource;
use crate::state::State;
use crate::state::session::{NamespaceScope, Session};
use crate::ui::color::ColorDepth;
use crate::ui::symbols::Symbols;
use crate::ui::theme::Theme;

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
    log: Result<std::path::PathBuf, String>,
) -> color_eyre::Result<()> {
    let settings = load_settings(cli);
    let mut warnings = settings.warnings;
    if let Err(problem) = log {
        warnings.push(ConfigWarning::new(
            "log file",
            None,
            format!("{problem}; logging is off"),
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
    let mut state = State::new(
        settings.keymap,
        settings.config,
        session,
        chrono::Utc::now(),
    );
    state.warnings = warnings;
    state.debug_panic_key = env("KDECK_DEBUG_PANIC_KEY").and_then(|k| k.chars().next());
    let (tx, rx) = inbox::channel();
    let source = match &cli.kubeconfig {
        Some(path) => KubeconfigSource::File(path.clone()),
        None => KubeconfigSource::Default,
    };
    let runner = EffectRunner::new(tx.clone(), source);
    let namespace = state.session.namespace.clone();
    let initial = reconnect(&mut state, cli.context.clone(), namespace);
    run(Launch {
        state,
        theme: settings.theme,
        runner,
        tx,
        rx,
        initial,
    })
    .await
}
