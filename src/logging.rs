//! Logging with tracing to a file in the state directory, never to the terminal while the UI
//! runs. The level comes from `KDECK_LOG` (e.g. `debug`, `kdeck=trace`), default `info`.

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::sync::Mutex;
use tracing_subscriber::EnvFilter;

/// Starts file logging. Returns the log path, or why there is none (shown as a warning).
pub fn init() -> Result<PathBuf, String> {
    let dir =
        crate::config::paths::state_dir().ok_or("no state directory (set KDECK_STATE_DIR)")?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("kdeck.log");
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let filter = EnvFilter::try_from_env("KDECK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // A blocking writer: log volume is small, and nothing is lost when a panic ends the
    // process right after logging it.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .map_err(|e| format!("logging already set up: {e}"))?;
    Ok(path)
}
