//! Where kdeck's files live: XDG config and state directories, with environment overrides.
//!
//! `KDECK_CONFIG_DIR` and `KDECK_STATE_DIR` override the XDG locations (used by tests and by
//! people who keep dotfiles elsewhere).

use std::path::PathBuf;

/// The directory holding `config.toml`, `keymap.toml` and `themes/`.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KDECK_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    dirs::config_dir().map(|d| d.join("kdeck"))
}

/// The directory holding the log file, the audit log and saved files.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KDECK_STATE_DIR") {
        return Some(PathBuf::from(dir));
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("kdeck"))
}

/// The default config file path.
pub fn config_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join("config.toml"))
}

/// The user keymap file path.
pub fn keymap_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join("keymap.toml"))
}

/// The directory of user theme files.
pub fn themes_dir() -> Option<PathBuf> {
    config_dir().map(|d| d.join("themes"))
}
