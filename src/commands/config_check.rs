//! `kdeck config check`: every problem in the user's files (config.toml, keymap.toml and the
//! chosen theme), one per line with file and line, and whether the safety settings can be
//! trusted. Exit 0 when clean, 1 when there is any problem.

use super::out::outln;
use crate::cli::Cli;
use crate::config::keymap::Keymap;
use crate::config::{self, paths, theme};
use std::process::ExitCode;

/// `kdeck config …`.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

/// What to do with the config.
#[derive(Debug, Clone, Copy, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print every problem in config.toml, keymap.toml and the theme, with its line; exit 0
    /// when there is none, 1 otherwise (a problem with a safety setting makes kdeck read-only).
    Check,
}

/// Runs `kdeck config check`.
pub fn run(cli: &Cli, args: &ConfigArgs) -> ExitCode {
    match args.command {
        ConfigCommand::Check => check(cli),
    }
}

fn check(cli: &Cli) -> ExitCode {
    let loaded = config::load(cli.config.as_deref());
    let mut problems = loaded.warnings.clone();
    let user_keymap = paths::keymap_file().and_then(|p| {
        std::fs::read_to_string(&p)
            .ok()
            .map(|text| (p.display().to_string(), text))
    });
    let (_, keymap_problems) =
        Keymap::load(user_keymap.as_ref().map(|(p, t)| (p.as_str(), t.as_str())));
    problems.extend(keymap_problems);
    let theme_name = cli
        .theme
        .clone()
        .or_else(|| loaded.config.theme.clone())
        .unwrap_or_else(|| "dark".to_string());
    let (_, theme_problems) = theme::load(&theme_name, paths::themes_dir().as_deref());
    problems.extend(theme_problems);
    for problem in &problems {
        outln!("{problem}");
    }
    if let Some(lock) = &loaded.config.safety_lock {
        outln!("{}", lock.message());
    }
    let checked = loaded
        .path
        .map_or_else(|| "no config file".to_string(), |p| p.display().to_string());
    if problems.is_empty() {
        outln!("{checked}: no problems");
        ExitCode::SUCCESS
    } else {
        outln!("{checked}: {} problem(s)", problems.len());
        ExitCode::from(1)
    }
}
